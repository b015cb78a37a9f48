"""The ``edge-sentiment`` console script: Ctrl-C while the command line is still
being imported exits with status 130 and no traceback, as it does later on."""

import signal
import sys


def main() -> None:
    # Held (blocked) while the handler's module loads; one that came meanwhile is delivered
    # the moment it is unblocked, to the handler, which raises KeyboardInterrupt here.
    held = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        from .cli_output import install_interrupt_handler

        install_interrupt_handler()
    finally:
        try:
            signal.pthread_sigmask(signal.SIG_SETMASK, held)
        except KeyboardInterrupt:
            sys.exit(130)
    try:
        from .cli import main as run_cli

        run_cli()
    except KeyboardInterrupt:
        sys.exit(130)
