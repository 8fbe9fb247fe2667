"""The built-in dataset catalogue: every family module's entries, by name.

Each family module under :mod:`omnirec_core.data.catalog.families` lists its datasets
as :class:`~omnirec_core.data.catalog.entry.CatalogEntry` records; this package
gathers them in a fixed order (the order of ``FAMILIES``) and checks that no name or
alias is used twice.
"""

from __future__ import annotations

import importlib
from functools import cache

from omnirec_core.data.catalog.entry import CatalogEntry, RemoteFile

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


__all__ = ["FAMILIES", "CatalogEntry", "RemoteFile", "entries", "entry"]
