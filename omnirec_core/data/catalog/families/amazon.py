"""What the three Amazon review releases share: names, layouts and parsers.

Ratings-only files are headerless CSV: ``user,item,rating,timestamp`` in 2014,
``item,user,rating,timestamp`` in 2018; 2023's ``rating_only`` files are gzipped CSV
with header ``user_id,parent_asin,rating,timestamp`` and times in milliseconds. The
5-core review files are gzipped JSON lines with ``reviewerID``, ``asin``, ``overall``
and ``unixReviewTime``.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from omnirec_core.data.catalog.members import Member
from omnirec_core.data.catalog.records import read_records
from omnirec_core.data.catalog.tables import Col, Layout, read_table

RATINGS_2014 = Layout(
    (Col(0, "user", "id"), Col(1, "item", "id"), Col(2, "rating", "float"), Col(3, "timestamp", "time")),
    header=False,
)
RATINGS_2018 = Layout(
    (Col(1, "user", "id"), Col(0, "item", "id"), Col(2, "rating", "float"), Col(3, "timestamp", "time")),
    header=False,
)
RATINGS_2023 = Layout(
    (
        Col("user_id", "user", "id"),
        Col("parent_asin", "item", "id"),
        Col("rating", "rating", "float"),
        Col("timestamp", "timestamp", "time", "ms"),
    )
)
REVIEW_FIELDS = (
    Col("reviewerID", "user", "id"),
    Col("asin", "item", "id"),
    Col("overall", "rating", "float"),
    Col("unixReviewTime", "timestamp", "time"),
)


def words(stem: str) -> list[str]:
    """``Clothing_Shoes_and_Jewelry`` -> ``['clothing', 'shoes', 'and', 'jewelry']``."""
    return stem.lower().split("_")


def slug(stem: str) -> str:
    """Our name part: lower case, ``and`` and a leading ``amazon`` dropped (RecBole's style)."""
    parts = [w for w in words(stem) if w != "and"]
    if parts[0] == "amazon" and len(parts) > 1:
        parts = parts[1:]
    return "-".join(parts)


def omnirec_name(prefix: str, stem: str) -> str:
    """OmniRec's enum name, e.g. ``Amazon2018ClothingShoesAndJewelry``."""
    return prefix + "".join(w.capitalize() for w in words(stem))


def read_ratings(paths: Mapping[str, Path], filename: str, layout: Layout) -> pd.DataFrame:
    return read_table(Member(paths[filename]), layout)


def read_reviews(paths: Mapping[str, Path], filename: str) -> pd.DataFrame:
    return read_records(Member(paths[filename]), REVIEW_FIELDS)


__all__ = [
    "RATINGS_2014",
    "RATINGS_2018",
    "RATINGS_2023",
    "REVIEW_FIELDS",
    "omnirec_name",
    "read_ratings",
    "read_reviews",
    "slug",
]
