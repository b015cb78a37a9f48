"""The ``edge-sentiment`` console script: Ctrl-C while the command line is still
being imported exits with status 130 and no traceback, as it does later on."""

import sys


def main() -> None:
    from .cli_output import install_interrupt_handler  # standard library only: quick to import

    install_interrupt_handler()  # before the imports a Ctrl-C could otherwise break into
    try:
        from .cli import main as run_cli

        run_cli()
    except KeyboardInterrupt:
        sys.exit(130)
