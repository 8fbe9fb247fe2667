"""The ``omnirec`` command line. Each command group lives in its own module here."""

from __future__ import annotations

import importlib
import sys

import click

from omnirec_core import __version__
from omnirec_core.cli.exitcodes import EXIT_BAD_INPUT, EXIT_INTERRUPTED
from omnirec_core.errors import OmniRecError

# (module, attribute) of each command or group added to the top level.
COMMANDS: tuple[tuple[str, str], ...] = (
    ("omnirec_core.cli.data", "datasets_cmd"),
    ("omnirec_core.cli.data", "data_group"),
    ("omnirec_core.cli.run", "run_cmd"),
    ("omnirec_core.cli.run", "plugins_cmd"),
    ("omnirec_core.cli.run", "status_cmd"),
    ("omnirec_core.cli.run", "worker_group"),
    ("omnirec_core.cli.results", "results_cmd"),
    ("omnirec_core.cli.report", "report_cmd"),
    ("omnirec_core.cli.envs", "envs_group"),
)


class _Main(click.Group):
    """Prints omnirec's own errors as one message, never a traceback."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except OmniRecError as exc:
            click.secho(f"error: {exc}", fg="red", err=True)
            sys.exit(EXIT_BAD_INPUT)
        except SystemExit as exc:
            if isinstance(exc.code, str):  # the library's one-line message for bad input
                click.secho(f"error: {exc.code.removeprefix('omnirec: ')}", fg="red", err=True)
                sys.exit(EXIT_BAD_INPUT)
            raise
        except KeyboardInterrupt:
            click.secho("interrupted: finished jobs are kept; run the same command again to resume", err=True)
            sys.exit(EXIT_INTERRUPTED)


@click.group(cls=_Main, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="omnirec")
def main() -> None:
    """Reproducible recommender-system experiments across frameworks."""


for _module, _attr in COMMANDS:
    main.add_command(getattr(importlib.import_module(_module), _attr))
