"""``omnirec envs list|build|remove|prune``: manage the runner virtualenvs."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import click

ENV_DIR_OPTION = click.option(
    "--env-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Env cache directory (default: $OMNIREC_ENV_DIR or the user cache dir).",
)


def _console() -> Any:
    from rich.console import Console

    return Console()


def _manager(env_dir: Path | None, console: Any = None, *, verbose: bool = False) -> Any:
    from omnirec_core.orchestration.envs.manager import EnvManager

    progress = (lambda msg: console.print(f"[dim]{msg}[/dim]")) if console else None
    return EnvManager(env_dir, quiet=not verbose, progress=progress)


def _size(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return str(n)  # pragma: no cover - loop always returns


@click.group("envs")
def envs_group() -> None:
    """Build, list and remove the isolated runner environments."""


@envs_group.command("list")
@ENV_DIR_OPTION
def list_cmd(env_dir: Path | None) -> None:
    """List the runner envs on disk and the installed runners without one."""
    from rich.table import Table

    from omnirec_core.plugin.manager import get_runners

    mgr = _manager(env_dir)
    runners = get_runners()
    rows = mgr.describe(runners.values())
    table = Table(title=f"runner envs ({mgr.cache_dir})")
    for col in ("runner", "state", "python", "size", "created", "path"):
        table.add_column(col, no_wrap=col != "path", overflow="fold")
    colors = {"ready": "green", "unused": "yellow", "building": "cyan"}
    for row in rows:
        created = (
            dt.datetime.fromtimestamp(row["created"]).strftime("%Y-%m-%d %H:%M") if row["created"] else ""
        )
        color = colors.get(row["state"], "red")
        table.add_row(
            row["runner"],
            f"[{color}]{row['state']}[/{color}]",
            row["python"],
            _size(row["size"]),
            created,
            row["path"],
        )
    ready = {r["runner"].lower() for r in rows if r["state"] == "ready"}
    for name in sorted(runners):
        if name.lower() not in ready:
            table.add_row(name, "not built", runners[name].python, "", "", "")
    _console().print(table)


@envs_group.command("build")
@click.argument("runners", nargs=-1, required=True)
@click.option("--rebuild", is_flag=True, help="Delete and build again even if it exists.")
@click.option("-v", "--verbose", is_flag=True, help="Show pip's output while building.")
@ENV_DIR_OPTION
def build_cmd(runners: tuple[str, ...], rebuild: bool, verbose: bool, env_dir: Path | None) -> None:
    """Build (or reuse) the env of each RUNNER."""
    from omnirec_core.plugin.manager import get_runner

    console = _console()
    mgr = _manager(env_dir, console, verbose=verbose)
    for name in runners:
        spec = get_runner(name)
        env = mgr.ensure(spec, rebuild=rebuild)
        verb = "built" if env.built else "already built"
        console.print(f"[green]{spec.name}[/green]: env {verb} (Python {env.python_version}) at {env.path}")


@envs_group.command("remove")
@click.argument("runner")
@ENV_DIR_OPTION
def remove_cmd(runner: str, env_dir: Path | None) -> None:
    """Remove every env of RUNNER (any Python, any requirement set)."""
    console = _console()
    removed = _manager(env_dir, console).remove(runner)
    if not removed:
        console.print(f"no env of runner {runner!r} in {_manager(env_dir).cache_dir}")
    for path in removed:
        console.print(f"removed {path}")


@envs_group.command("prune")
@ENV_DIR_OPTION
def prune_cmd(env_dir: Path | None) -> None:
    """Remove envs no installed runner needs any more, and half-built leftovers."""
    console = _console()
    mgr = _manager(env_dir, console)
    removed = mgr.prune()
    for path in removed:
        console.print(f"removed {path}")
    console.print(f"{len(removed)} env(s) removed from {mgr.cache_dir}")
