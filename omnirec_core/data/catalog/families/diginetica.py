"""DIGINETICA (CIKM Cup 2016): product views in search sessions; manual download.

``train-item-views.csv``, semicolon-separated, header
``sessionId;userId;itemId;timeframe;eventdate``. Most sessions have no user, so the
session is the user here (as in session-based recommendation). The time of a view is
its date (``YYYY-MM-DD``) plus ``timeframe`` (milliseconds into the session).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from omnirec_core.data.catalog.common import read_one
from omnirec_core.data.catalog.entry import CatalogEntry, RemoteFile
from omnirec_core.data.catalog.tables import Col, Layout

FILE = RemoteFile("train-item-views.csv")
LAYOUT = Layout(
    (
        Col("sessionId", "user", "intid"),
        Col("itemId", "item", "intid"),
        Col("timeframe", "offset", "int"),
        Col("eventdate", "timestamp", "time", "%Y-%m-%d"),
    ),
    sep=";",
)
CITATION = """@misc{cikmcup2016,
  title={{CIKM Cup 2016 Track 2}: Personalized E-Commerce Search Challenge},
  author={{DIGINETICA}},
  howpublished={\\url{https://competitions.codalab.org/competitions/11161}},
  year={2016}
}"""


def read_views(paths: Mapping[str, Path]) -> pd.DataFrame:
    df = read_one(paths, FILE.filename, LAYOUT)
    df["timestamp"] = df["timestamp"] + df.pop("offset") // 1000
    return df


ENTRIES: tuple[CatalogEntry, ...] = (
    CatalogEntry(
        name="diginetica",
        family="diginetica",
        files=(FILE,),
        parser=read_views,
        description="DIGINETICA: products viewed in e-commerce search sessions (session = user), with times.",
        feedback="implicit",
        timestamps=True,
        licence="Released for the CIKM Cup 2016 for research; see the competition page (terms not verified here).",
        citation=CITATION,
        homepage="https://competitions.codalab.org/competitions/11161",
        aliases=("Diginetica", "DIGINETICA"),
        instructions=(
            "Download dataset-train-diginetica.zip from the CIKM Cup 2016 page "
            "(https://competitions.codalab.org/competitions/11161), extract train-item-views.csv and "
            "put it in the folder named below."
        ),
        notes="RecBole's published statistics are after its own filtering, so none are listed.",
    ),
)
