"""The Yelp Open Dataset, one entry per release; a manual download (Yelp's licence gates it).

Each release has ``yelp_academic_dataset_review.json``: JSON lines with ``user_id``,
``business_id``, ``stars`` and ``date`` (``YYYY-MM-DD HH:MM:SS`` in recent releases,
``YYYY-MM-DD`` in early ones). Releases differ only in content, so each entry has its
own folder for the file of that release.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from omnirec_core.data.catalog.common import stats
from omnirec_core.data.catalog.entry import CatalogEntry, RemoteFile
from omnirec_core.data.catalog.members import Member
from omnirec_core.data.catalog.records import read_records
from omnirec_core.data.catalog.tables import Col

REVIEWS = "yelp_academic_dataset_review.json"
FIELDS = (
    Col("user_id", "user", "id"),
    Col("business_id", "item", "id"),
    Col("stars", "rating", "float"),
    Col("date", "timestamp", "time", "%Y-%m-%d %H:%M:%S||%Y-%m-%d"),
)
LICENCE = "Yelp Dataset User Agreement: non-commercial, personal or academic use; no redistribution."
CITATION = """@misc{yelp_open_dataset,
  title={Yelp Open Dataset},
  author={{Yelp Inc.}},
  howpublished={\\url{https://www.yelp.com/dataset}}
}"""
YELP_PAGE = "https://business.yelp.com/data/resources/open-dataset/"
KAGGLE = "https://www.kaggle.com/datasets/yelp-dataset/yelp-dataset"


def read_reviews(paths: Mapping[str, Path]) -> pd.DataFrame:
    return read_records(Member(paths[REVIEWS]), FIELDS)


def _instructions(where: str) -> str:
    return (
        f"Yelp shares its dataset only after you accept the Dataset User Agreement: download it "
        f"from {where}, extract {REVIEWS} (it is inside the archive, in a tar file for recent "
        "releases) and put it in the folder named below."
    )


# (year, where to get that release, (users, items, reviews) as RecBole lists them, if it does)
RELEASES: tuple[tuple[int, str, tuple[int, int, int] | None], ...] = (
    (2018, f"{KAGGLE} (version 1)", (1_326_101, 174_567, 5_261_669)),
    (2019, f"{KAGGLE} (the 2019 version)", None),
    (2020, f"{KAGGLE} (version 2)", (1_968_703, 209_393, 8_021_122)),
    (2021, f"{KAGGLE} (version 3)", (2_189_457, 160_585, 8_635_403)),
    (2022, f"{KAGGLE} (version 4) or {YELP_PAGE}", (1_987_929, 150_346, 6_990_280)),
    (2023, YELP_PAGE, None),
)


def _entry(year: int, where: str, counts: tuple[int, int, int] | None) -> CatalogEntry:
    return CatalogEntry(
        name=f"yelp-{year}",
        family="yelp",
        files=(RemoteFile(REVIEWS),),
        parser=read_reviews,
        description=f"Yelp Open Dataset, {year} release: star ratings 1-5 of businesses, with review dates.",
        feedback="explicit",
        timestamps=True,
        licence=LICENCE,
        citation=CITATION,
        homepage=YELP_PAGE,
        aliases=(f"Yelp{year}", f"yelp{year}"),
        size=f"{counts[2] / 1e6:.3g}M" if counts else "",
        expected=stats(*counts) if counts else {},
        instructions=_instructions(where),
        notes=(
            "Manual download; the file is recorded on first use. "
            + ("Statistics from RecBole's dataset_info." if counts else "No published statistics found.")
        ),
    )


ENTRIES: tuple[CatalogEntry, ...] = tuple(_entry(*r) for r in RELEASES)
