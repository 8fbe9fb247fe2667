"""Small helpers shared by the family modules: sizes as text, standard layouts, terms."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from omnirec_core.data.catalog.members import Member
from omnirec_core.data.catalog.tables import Col, Layout, read_table

MCAULEY_TERMS = (
    "No licence is stated; the McAuley lab (UCSD) shares the data for research and asks "
    "users to cite the paper(s) listed on the dataset page."
)
RECBOLE_STATS = "Expected statistics from RecBole's dataset_info (RUCAIBox/RecSysDatasets)."
OMNIREC_PIN = "OmniRec's registry (ISG-Siegen/OmniRec)"


def short_count(n: int) -> str:
    """2_000 -> '2K', 51_311_621 -> '51.3M' (for tables)."""
    for div, unit in ((10**9, "B"), (10**6, "M"), (10**3, "K")):
        if n >= div:
            return f"{n / div:.3g}{unit}"
    return str(n)


def stats(users: int, items: int, interactions: int) -> dict[str, int]:
    return {"users": users, "items": items, "interactions": interactions}


def size_of(expected: Mapping[str, int]) -> str:
    return short_count(expected["interactions"]) if "interactions" in expected else ""


def user_item_rating_time(
    user: int | str,
    item: int | str,
    rating: int | str,
    time: int | str,
    *,
    fmt: str = "s",
    id_kind: str = "id",
) -> tuple[Col, ...]:
    """The four usual columns (``id_kind`` ``intid`` for numeric ids)."""
    return (
        Col(user, "user", id_kind),  # type: ignore[arg-type]
        Col(item, "item", id_kind),  # type: ignore[arg-type]
        Col(rating, "rating", "float"),
        Col(time, "timestamp", "time", fmt),
    )


def read_one(
    paths: Mapping[str, Path],
    filename: str,
    layout: Layout,
    member: str | None = None,
    drop: tuple[str, ...] = (),
) -> pd.DataFrame:
    """Read ``filename`` (or one member of it) with ``layout``; ``drop`` helper columns
    (such as the event type a ``where`` filter used)."""
    df = read_table(Member(paths[filename], member), layout)
    return df.drop(columns=list(drop)) if drop else df


def read_ratings(
    paths: Mapping[str, Path], filename: str, layout: Layout, member: str | None = None, *, explicit: bool
) -> pd.DataFrame:
    """Ratings where 0 or -1 marks "interacted, not rated": with ``explicit`` only the
    rated rows, else every row as implicit feedback (the rating column dropped)."""
    df = read_one(paths, filename, layout, member)
    if explicit:
        return df[df["rating"] > 0].reset_index(drop=True)
    return df.drop(columns="rating")


__all__ = [
    "MCAULEY_TERMS",
    "OMNIREC_PIN",
    "RECBOLE_STATS",
    "read_one",
    "read_ratings",
    "short_count",
    "size_of",
    "stats",
    "user_item_rating_time",
]
