"""``omnirec datasets`` and ``omnirec data stats|download``."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import click

DATA_DIR_OPTION = click.option(
    "--data-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Data directory (default: $OMNIREC_DATA_DIR or the user cache dir).",
)


def _console() -> Any:
    from rich.console import Console

    return Console()


def _short_source(source: str) -> str:
    """``host/.../file`` for a URL (the full URL is in the docs), else the text itself."""
    from urllib.parse import urlsplit

    parts = urlsplit(source.split(" ")[0])
    if not parts.scheme.startswith("http") or not parts.netloc:
        return source
    path = parts.path.rstrip("/").split("/")
    short = parts.netloc + ("/.../" if len(path) > 2 else "/") + path[-1]
    return short + source[len(source.split(" ")[0]) :]


@click.command("datasets")
@DATA_DIR_OPTION
def datasets_cmd(data_dir: Path | None) -> None:
    """List the registered datasets and which are already downloaded."""
    from rich.table import Table

    from omnirec_core.data.paths import data_dir as resolve
    from omnirec_core.data.registry import is_downloaded
    from omnirec_core.plugin.manager import get_plugin_manager

    pm = get_plugin_manager()
    provided = pm.datasets()
    # Built-ins first, each plugin's datasets in the order it declares them.
    order = sorted(provided, key=lambda n: provided[n].distribution != "omnirec-core")
    third_party = any(provided[n].distribution != "omnirec-core" for n in order)
    table = Table(title=f"datasets (data directory: {resolve(data_dir)})")
    table.add_column("name", no_wrap=True)
    table.add_column("size", no_wrap=True)
    table.add_column("feedback")
    table.add_column("source", overflow="fold")
    table.add_column("downloaded")
    if third_party:
        table.add_column("plugin")
    for name in order:
        spec = provided[name].spec
        state = is_downloaded(spec, data_dir)
        row = [name, spec.size, spec.feedback, _short_source(spec.source)]
        row.append("-" if state is None else ("yes" if state else "no"))
        if third_party:
            row.append(provided[name].distribution)
        table.add_row(*row)
    console = _console()
    console.print(table)
    for problem in pm.problems:
        console.print(
            f"[yellow]plugin {problem.plugin!r} ({problem.distribution}) skipped: {problem.error}[/yellow]"
        )


@click.group("data")
def data_group() -> None:
    """Inspect and download datasets."""


def _load(name: str, data_dir: Path | None) -> Any:
    from omnirec_core.data.dataset import RecSysDataSet
    from omnirec_core.data.registry import load_registered

    path = Path(name).expanduser()
    # A path to a saved dataset file wins over a registered name; anything that looks like
    # a path but is not there gets the file error, not "unknown dataset".
    if path.is_file() or name.endswith(".npz") or "/" in name:
        return RecSysDataSet.load(path)
    return load_registered(name, data_dir=data_dir)


def _fmt_time(seconds: int | None) -> str:
    if seconds is None:
        return "-"
    return dt.datetime.fromtimestamp(seconds, tz=dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S")


def _fmt_quantiles(q: dict[str, float]) -> str:
    if not q:
        return "-"
    return "  ".join(f"{k} {v:,.4g}" for k, v in q.items())


@data_group.command("stats")
@click.argument("name")
@DATA_DIR_OPTION
@click.option("--json", "as_json", is_flag=True, help="Print the statistics as JSON.")
def stats_cmd(name: str, data_dir: Path | None, as_json: bool) -> None:
    """Statistics of a registered dataset NAME or of a saved dataset file."""
    from rich.table import Table

    ds = _load(name, data_dir)
    stats = ds.stats()
    if as_json:
        click.echo(json.dumps(stats.as_dict(), indent=2))
        return
    table = Table(title=f"{stats.name} ({type(ds.data).__name__})", show_header=False)
    table.add_column("statistic", style="bold")
    table.add_column("value")
    rating = "-" if stats.rating_min is None else f"{stats.rating_min:g} .. {stats.rating_max:g}"
    rows = [
        ("users", f"{stats.users:,}"),
        ("items", f"{stats.items:,}"),
        ("interactions", f"{stats.interactions:,}"),
        ("density", f"{stats.density:.4%}"),
        ("feedback", stats.feedback),
        ("ratings", rating),
        ("first interaction", _fmt_time(stats.time_min)),
        ("last interaction", _fmt_time(stats.time_max)),
        ("per user", _fmt_quantiles(stats.per_user)),
        ("per item", _fmt_quantiles(stats.per_item)),
    ]
    rows += [(f"part {k}", f"{v:,}") for k, v in stats.parts.items()]
    for row in rows:
        table.add_row(*row)
    _console().print(table)


@data_group.command("download")
@click.argument("name")
@DATA_DIR_OPTION
@click.option("--force", is_flag=True, help="Download again even if the files are present.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
def download_cmd(name: str, data_dir: Path | None, force: bool, quiet: bool) -> None:
    """Download a registered dataset NAME and cache its canonical form."""
    from omnirec_core.data.paths import dataset_dir
    from omnirec_core.data.registry import is_downloaded, load_registered
    from omnirec_core.plugin.manager import get_dataset

    spec = get_dataset(name)
    ds = load_registered(name, data_dir=data_dir, force_download=force, quiet=True if quiet else None)
    where = (
        "generated, nothing to download"
        if is_downloaded(spec, data_dir) is None
        else f"files in {dataset_dir(spec.name, data_dir)}"
    )
    click.echo(
        f"{ds.name}: {ds.n_users:,} users, {ds.n_items:,} items, "
        f"{ds.num_interactions():,} interactions; {where}"
    )


__all__ = ["data_group", "datasets_cmd"]
