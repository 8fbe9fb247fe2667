"""Adressa one-week news reading logs (Gulla et al.): seven JSON-lines members of a tar.gz.

``one_week.tar.gz`` holds ``one_week/20170101`` ... ``one_week/20170107``; each line is
one event with ``userId``, ``time`` (epoch seconds) and, for article views, the article
``id``. Events without an article (front-page views) are skipped and counted.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from omnirec_core.data.catalog.common import OMNIREC_PIN
from omnirec_core.data.catalog.entry import CatalogEntry, RemoteFile
from omnirec_core.data.catalog.members import Member
from omnirec_core.data.catalog.records import read_records
from omnirec_core.data.catalog.tables import Col

FILE = RemoteFile(
    "one_week.tar.gz",
    ("https://reclab.idi.ntnu.no/dataset/one_week.tar.gz",),
    "a68a1af8322e7fabada7a8b8a118ba0564beab7eb0433e80b3dec13cf5158e03",
    pin_source=OMNIREC_PIN,
)
DAYS = tuple(f"201701{d:02d}" for d in range(1, 8))
FIELDS = (
    Col("userId", "user", "id"),
    Col("id", "item", "id", skip_missing=True),
    Col("time", "timestamp", "time"),
)
CITATION = """@inproceedings{gulla2017adressa,
  title={The Adressa Dataset for News Recommendation},
  author={Gulla, Jon Atle and Zhang, Lemei and Liu, Peng and {\\"O}zg{\\"o}bek, {\\"O}zlem and Su, Xiaomeng},
  booktitle={Proceedings of the International Conference on Web Intelligence (WI)},
  pages={1042--1048},
  year={2017}
}"""


def read_week(paths: Mapping[str, Path]) -> pd.DataFrame:
    days = [read_records(Member(paths[FILE.filename], f"one_week/{day}"), FIELDS) for day in DAYS]
    return pd.concat(days, ignore_index=True)


ENTRIES: tuple[CatalogEntry, ...] = (
    CatalogEntry(
        name="adressa-one-week",
        family="adressa",
        files=(FILE,),
        parser=read_week,
        description="Adressa (Norwegian news), one week of Jan 2017: which articles users read, with times.",
        feedback="implicit",
        timestamps=True,
        licence="Shared by NTNU and Adresseavisen for research; see the dataset page (terms not verified here).",
        citation=CITATION,
        homepage="https://reclab.idi.ntnu.no/dataset/",
        aliases=("AdressaOneWeek",),
        notes="OmniRec downloads this file without TLS verification (certificate problems at the host); omnirec verifies TLS.",
    ),
)
