"""The ``edge-sentiment`` console script: Ctrl-C or SIGTERM while the command line is
still being imported exits with status 130 or 143 and no traceback, as it does later on."""

import signal
import sys


def main() -> None:
    # Held (blocked) while the handler's module loads; one that came meanwhile is delivered
    # the moment it is unblocked, to the handler, which raises KeyboardInterrupt here.
    held = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
    try:
        from .cli_output import install_interrupt_handler, interrupted_status

        install_interrupt_handler()
    finally:
        try:
            signal.pthread_sigmask(signal.SIG_SETMASK, held)
        except KeyboardInterrupt:
            sys.exit(interrupted_status())
    try:
        from .cli import main as run_cli

        run_cli()
    except KeyboardInterrupt:
        sys.exit(interrupted_status())
