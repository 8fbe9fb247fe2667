"""``omnirec datasets`` and ``omnirec data stats|download|info``."""

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


INTEGRITY = {"pinned": "pinned", "first-use": "first use", "partly-pinned": "partly pinned", "": "-"}


def _matches(name: str, spec: Any, search: str | None, feedback: str | None, family: str | None) -> bool:
    if feedback and spec.feedback != feedback:
        return False
    if family and spec.family.lower() != family.lower():
        return False
    if search:
        text = " ".join([name, *spec.aliases, spec.family, spec.description, spec.source]).lower()
        return all(word in text for word in search.lower().split())
    return True


def _checks(spec: Any) -> str:
    text = INTEGRITY.get(spec.integrity, spec.integrity)
    return f"{text}, manual" if spec.manual else text


@click.command("datasets")
@DATA_DIR_OPTION
@click.option(
    "--search",
    "-s",
    metavar="TEXT",
    help="Only datasets whose name, aliases or description contain every word.",
)
@click.option(
    "--feedback", type=click.Choice(["implicit", "explicit"]), help="Only datasets with this feedback."
)
@click.option("--family", metavar="NAME", help="Only this family, e.g. amazon2018, goodreads, movielens.")
def datasets_cmd(data_dir: Path | None, search: str | None, feedback: str | None, family: str | None) -> None:
    """List the registered datasets, how their files are checked and which are on disk.

    "pinned": checked against a published checksum; "first use": the first download's
    size and SHA-256 are recorded and later downloads checked against them; "manual":
    you download the files yourself (omnirec data info NAME says where).
    """
    from rich.table import Table

    from omnirec_core.data.paths import data_dir as resolve
    from omnirec_core.data.registry import is_downloaded
    from omnirec_core.plugin.manager import get_plugin_manager

    pm = get_plugin_manager()
    provided = pm.datasets()
    # Built-ins first, each plugin's datasets in the order it declares them.
    order = sorted(provided, key=lambda n: provided[n].distribution != "omnirec-core")
    order = [n for n in order if _matches(n, provided[n].spec, search, feedback, family)]
    third_party = any(provided[n].distribution != "omnirec-core" for n in order)
    shown = (
        f"{len(order)} of {len(provided)} datasets"
        if len(order) != len(provided)
        else f"{len(order)} datasets"
    )
    table = Table(title=f"{shown} (data directory: {resolve(data_dir)})")
    table.add_column("name", no_wrap=True)
    table.add_column("family", no_wrap=True)
    table.add_column("size", no_wrap=True, justify="right")
    table.add_column("feedback")
    table.add_column("checks")
    table.add_column("source", overflow="fold")
    table.add_column("on disk")
    if third_party:
        table.add_column("plugin")
    for name in order:
        spec = provided[name].spec
        state = is_downloaded(spec, data_dir)
        row = [name, spec.family, spec.size, spec.feedback, _checks(spec), _short_source(spec.source)]
        row.append("-" if state is None else ("yes" if state else "no"))
        if third_party:
            row.append(provided[name].distribution)
        table.add_row(*row)
    console = _console()
    console.print(table)
    if not order:
        console.print("no dataset matches; try fewer words or another --family (see the family column)")
    for problem in pm.problems:
        console.print(
            f"[yellow]plugin {problem.plugin!r} ({problem.distribution}) skipped: {problem.error}[/yellow]"
        )


@click.group("data")
def data_group() -> None:
    """Inspect and download datasets."""


def _load(name: str, data_dir: Path | None) -> Any:
    from omnirec_core.data.dataset import RecSysDataSet

    path = Path(name).expanduser()
    # A path to a saved dataset file wins over a registered name; anything that looks like
    # a path but is not there gets the file error, not "unknown dataset".
    if path.is_file() or name.endswith(".npz") or "/" in name:
        return RecSysDataSet.load(path)
    return RecSysDataSet.use_dataloader(name, data_dir=data_dir)


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
    from omnirec_core.data.dataset import RecSysDataSet
    from omnirec_core.data.paths import dataset_dir
    from omnirec_core.data.registry import is_downloaded
    from omnirec_core.plugin.manager import get_dataset

    spec = get_dataset(name)
    ds = RecSysDataSet.use_dataloader(
        name, data_dir=data_dir, force_download=force, quiet=True if quiet else None
    )
    where = (
        "generated, nothing to download"
        if is_downloaded(spec, data_dir) is None
        else f"files in {dataset_dir(spec.name, data_dir)}"
    )
    click.echo(
        f"{ds.name}: {ds.n_users:,} users, {ds.n_items:,} items, "
        f"{ds.num_interactions():,} interactions; {where}"
    )


def _info(spec: Any, data_dir: Path | None) -> dict[str, Any]:
    """What ``omnirec data info`` shows, as plain data (also the ``--json`` output)."""
    from dataclasses import asdict

    from omnirec_core.data.catalog.lock import read_lock
    from omnirec_core.data.origin import published_files
    from omnirec_core.data.paths import dataset_dir
    from omnirec_core.data.registry import is_downloaded
    from omnirec_core.errors import DataError

    raw = dataset_dir(spec.name, data_dir)
    files = published_files(spec.name)
    try:
        recorded: dict[str, Any] = {name: asdict(e) for name, e in read_lock(raw).items()}
    except DataError as exc:  # a damaged lock file must not hide the rest
        recorded = {"error": str(exc)}
    state = is_downloaded(spec, data_dir)
    return {
        "name": spec.name,
        "aliases": list(spec.aliases),
        "family": spec.family,
        "description": spec.description,
        "feedback": spec.feedback,
        "timestamps": spec.timestamps,
        "size": spec.size,
        "expected": dict(spec.expected),
        "source": spec.source,
        "urls": list(spec.urls),
        "checks": _checks(spec),
        "files": files,
        "licence": spec.licence_note,
        "citation": spec.citation,
        "notes": spec.notes,
        "folder": str(raw),
        "on_disk": None if state is None else bool(state),
        "recorded": recorded,
    }


@data_group.command("info")
@click.argument("name")
@DATA_DIR_OPTION
@click.option("--json", "as_json", is_flag=True, help="Print the information as JSON.")
def info_cmd(name: str, data_dir: Path | None, as_json: bool) -> None:
    """Source, licence, citation (BibTeX) and expected statistics of dataset NAME."""
    from omnirec_core.plugin.manager import get_dataset

    info = _info(get_dataset(name), data_dir)
    if as_json:
        click.echo(json.dumps(info, indent=2, ensure_ascii=False))
        return
    line = click.echo
    line(f"{info['name']}" + (f"  (also: {', '.join(info['aliases'])})" if info["aliases"] else ""))
    line(f"  {info['description']}")
    times = {True: "with timestamps", False: "no timestamps", None: "timestamps not stated"}[
        info["timestamps"]
    ]
    line(
        f"  family {info['family'] or '-'}; {info['feedback']} feedback, {times}; size {info['size'] or '-'}"
    )
    if info["expected"]:
        stats = ", ".join(f"{v:,} {k}" for k, v in info["expected"].items())
        line(f"  expected statistics: {stats}")
    line(f"  source: {info['source'] or '-'}")
    line(f"  checks: {info['checks']}")
    for f in info["files"]:
        where = ", ".join(f["urls"]) if f["urls"] else "manual download"
        pin = f"sha256 {f['sha256']} (from {f['pin_source']})" if f["sha256"] else "recorded on first use"
        line(f"    {f['file']}: {where}; {pin}")
    if not info["files"]:
        for url in info["urls"]:
            line(f"    {url}")
    line(
        f"  folder: {info['folder']} ({'on disk' if info['on_disk'] else 'not on disk' if info['on_disk'] is not None else 'generated'})"
    )
    for fname, rec in info["recorded"].items():
        if fname == "error":
            line(f"  lock file problem: {rec}")
        else:
            line(f"    recorded {fname}: {rec['size']:,} bytes, sha256 {rec['sha256']} ({rec['recorded']})")
    line("")
    line(f"Licence / terms: {info['licence'] or '-'}")
    if info["notes"]:
        line(f"Notes: {info['notes']}")
    line("")
    line("Cite:")
    line(info["citation"] or "  (no citation registered)")


__all__ = ["data_group", "datasets_cmd", "info_cmd"]
