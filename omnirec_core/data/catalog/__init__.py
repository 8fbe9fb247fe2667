"""The built-in dataset catalogue: every family module's entries, by name.

Each family module under :mod:`omnirec_core.data.catalog.families` lists its datasets
as :class:`~omnirec_core.data.catalog.entry.CatalogEntry` records; this package
gathers them in a fixed order (the order of ``FAMILIES``) and checks that no name or
alias is used twice.
"""

from __future__ import annotations

import difflib
import importlib
from collections.abc import Mapping
from functools import cache
from os import PathLike
from pathlib import Path

import pandas as pd

from omnirec_core.data.catalog.entry import CatalogEntry, RemoteFile
from omnirec_core.errors import DataError

FAMILIES: tuple[str, ...] = (
    "movielens",
    "amazon2014",
    "amazon2018",
    "amazon2023",
    "hetrec",
    "lastfm",
    "yelp",
    "gowalla",
    "foursquare",
    "googlelocal",
    "steam",
    "goodreads",
    "bookcrossing",
    "douban",
    "librec",
    "epinions",
    "citeulike",
    "jester",
    "yahoo",
    "anime",
    "beer",
    "behance",
    "adressa",
    "alibaba",
    "deliveryhero",
    "dianping",
    "frappe",
    "mind",
    "retailrocket",
    "diginetica",
    "taobao",
)


@cache
def entries() -> tuple[CatalogEntry, ...]:
    """Every catalogue entry, family by family."""
    found: list[CatalogEntry] = []
    for family in FAMILIES:
        module = importlib.import_module(f"omnirec_core.data.catalog.families.{family}")
        found.extend(module.ENTRIES)
    _check_unique(found)
    return tuple(found)


def _check_unique(found: list[CatalogEntry]) -> None:
    seen: dict[str, str] = {}
    for e in found:
        for key in (e.name, *e.aliases):
            # Aliases match exactly, so one entry may list spellings differing in case.
            if seen.get(key.lower(), e.name) != e.name:
                raise RuntimeError(
                    f"catalogue name {key!r} of {e.name} is already used by {seen[key.lower()]}"
                )
            seen[key.lower()] = e.name


def entry(name: str) -> CatalogEntry:
    """The entry called ``name`` or having it as an alias (case-insensitive)."""
    lowered = name.lower()
    for e in entries():
        if e.name.lower() == lowered or lowered in (a.lower() for a in e.aliases):
            return e
    raise KeyError(name)


def load_local(
    like: str, files: str | PathLike[str] | Mapping[str, str | PathLike[str]]
) -> tuple[pd.DataFrame, str]:
    """Parse your own copy of a file in the layout of catalogue dataset ``like``.

    ``files`` is the path of the dataset's one file (for a dataset of several files, a
    mapping from each file name the catalogue lists to its path). Returns the interactions
    (parse reports in ``df.attrs["parse_reports"]``) and a name: the first file's stem.
    """
    try:
        layout = entry(like)
    except KeyError:
        names = [n for e in entries() for n in (e.name, *e.aliases)]
        close = difflib.get_close_matches(like, names, n=3)
        hint = f" Did you mean {', '.join(map(repr, close))}?" if close else ""
        raise DataError(
            f"no catalogue dataset {like!r} to take the layout from.{hint} See `omnirec datasets`."
        ) from None
    wanted = [f.filename for f in layout.files]
    if not isinstance(files, Mapping):
        if len(wanted) != 1:
            raise DataError(
                f"{layout.name} is read from {len(wanted)} files ({', '.join(wanted)}); pass "
                "a dict mapping each of these names to your file"
            )
        files = {wanted[0]: files}
    missing = [w for w in wanted if w not in files]
    if missing:
        raise DataError(
            f"{layout.name} needs the files {', '.join(wanted)}; missing from the dict: {', '.join(missing)}"
        )
    paths = {k: Path(v).expanduser() for k, v in files.items()}
    for path in paths.values():
        if not path.is_file():
            raise DataError(f"no such file: {path}")
    first = paths[wanted[0]]
    return layout.parse(paths), first.name.split(".")[0]


__all__ = ["FAMILIES", "CatalogEntry", "RemoteFile", "entries", "entry", "load_local"]
