"""``omnirec envs list|build|remove|prune``: manage the runner virtualenvs."""

from __future__ import annotations

import datetime as dt
import sys
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
    """List the runner envs on disk (when each was last used, and by which installation)
    and the installed runners without one."""
    from rich.table import Table

    from omnirec_core.plugin.manager import get_runners

    mgr = _manager(env_dir)
    runners = get_runners()
    rows = mgr.describe(runners.values())
    table = Table(title=f"runner envs ({mgr.cache_dir})")
    for col in ("runner", "state", "python", "size", "last used", "used by", "path"):
        table.add_column(col, no_wrap=col not in ("path", "used by"), overflow="fold")
    colors = {"ready": "green", "building": "cyan"}
    for row in rows:
        color = colors.get(row["state"], "red")
        state = row["state"] + (" (this installation)" if row["current"] else "")
        table.add_row(
            row["runner"],
            f"[{color}]{state}[/{color}]",
            row["python"],
            _size(row["size"]),
            _when(row["last_used"]),
            row["used_by"],
            row["path"],
        )
    current = {r["runner"].lower() for r in rows if r["current"]}
    for name in sorted(runners):
        if name.lower() not in current:
            table.add_row(name, "not built", runners[name].python, "", "", "", "")
    _console().print(table)


def _when(timestamp: float | None) -> str:
    return dt.datetime.fromtimestamp(timestamp).strftime("%Y-%m-%d %H:%M") if timestamp else ""


def parse_age(text: str) -> float:
    """``30d``, ``12h``, ``90m``, ``45s`` or a number of days, in seconds."""
    units = {"d": 86400.0, "h": 3600.0, "m": 60.0, "s": 1.0}
    value, unit = (text[:-1], text[-1]) if text and text[-1] in units else (text, "d")
    try:
        seconds = float(value) * units[unit]
    except ValueError:
        raise click.BadParameter(f"{text!r} is not an age such as 30d, 12h or 90m") from None
    if seconds < 0:
        raise click.BadParameter(f"{text!r}: an age cannot be negative")
    return seconds


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
@click.option(
    "--older-than",
    default="30d",
    show_default=True,
    metavar="AGE",
    help="Remove envs no installation has used for this long (30d, 12h, 90m; 0 = every env not in use).",
)
@click.option("--dry-run", is_flag=True, help="Only list what would be removed.")
@click.option("--yes", "-y", is_flag=True, help="Remove without asking.")
@ENV_DIR_OPTION
def prune_cmd(older_than: str, dry_run: bool, yes: bool, env_dir: Path | None) -> None:
    """Remove runner envs unused for a while, and half-built leftovers.

    The env cache is shared by every checkout and venv that uses it; an env counts as in
    use by when any of them last ran it, not by which runners this installation has.
    """
    console = _console()
    mgr = _manager(env_dir, console)
    items = mgr.prune(parse_age(older_than), dry_run=True)
    if not items:
        console.print(
            f"nothing to prune in {mgr.cache_dir} (no env unused for {older_than}, no half-built one)"
        )
        return
    for item in items:
        console.print(f"{item.runner:<12} {_size(item.size):>9}  {item.reason}  {item.path}")
    total = _size(sum(item.size for item in items))
    console.print(f"{len(items)} env(s), {total}")
    if dry_run:
        console.print("dry run: nothing removed")
        return
    if not yes:
        if not sys.stdin.isatty():
            raise click.UsageError("not asking on a non-interactive input: pass --yes to remove them")
        click.confirm(f"remove these {len(items)} env(s) and free {total}?", abort=True)
    removed = mgr.prune(parse_age(older_than))
    console.print(
        f"{len(removed)} env(s) removed from {mgr.cache_dir}, {_size(sum(i.size for i in removed))} freed"
    )
