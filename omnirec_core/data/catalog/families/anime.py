"""Anime Recommendations Database (Kaggle, from MyAnimeList): ``rating.csv``; manual download.

Header ``user_id,anime_id,rating``; ratings 1-10, and -1 for an anime the user watched
without rating it.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from omnirec_core.data.catalog.common import OMNIREC_PIN, stats
from omnirec_core.data.catalog.entry import CatalogEntry, RemoteFile
from omnirec_core.data.catalog.members import Member
from omnirec_core.data.catalog.tables import Col, Layout, read_table

FILE = RemoteFile(
    "archive.zip",
    (),
    "49595ab309d1d773ae66464379dc23d813466199816ae6b24e38bc73b8f2cd12",
    pin_source=OMNIREC_PIN,
)
LAYOUT = Layout(
    (Col("user_id", "user", "intid"), Col("anime_id", "item", "intid"), Col("rating", "rating", "float"))
)
PAGE = "https://www.kaggle.com/datasets/CooperUnion/anime-recommendations-database"
CITATION = """@misc{cooperunion2016anime,
  title={Anime Recommendations Database},
  author={{CooperUnion}},
  howpublished={\\url{https://www.kaggle.com/datasets/CooperUnion/anime-recommendations-database}},
  year={2016}
}"""
LICENCE = "CC0: Public Domain, as stated on the Kaggle page (not verified here); data from myanimelist.net."
HOWTO = f"Kaggle requires signing in: download {PAGE} as archive.zip and put it, unchanged, in the folder named below."


def read_ratings(paths: Mapping[str, Path], explicit: bool) -> pd.DataFrame:
    df = read_table(Member(paths[FILE.filename], "rating.csv"), LAYOUT)
    if explicit:
        return df[df["rating"] > 0].reset_index(drop=True)
    return df.drop(columns="rating")


def _explicit(paths: Mapping[str, Path]) -> pd.DataFrame:
    return read_ratings(paths, True)


def _watched(paths: Mapping[str, Path]) -> pd.DataFrame:
    return read_ratings(paths, False)


ENTRIES: tuple[CatalogEntry, ...] = (
    CatalogEntry(
        name="anime",
        family="anime",
        files=(FILE,),
        parser=_explicit,
        description="Anime (MyAnimeList): ratings 1-10 (watched but unrated rows, -1, left out).",
        feedback="explicit",
        timestamps=False,
        licence=LICENCE,
        citation=CITATION,
        homepage=PAGE,
        aliases=("Anime",),
        instructions=HOWTO,
        notes="The archive is checked against OmniRec's pin.",
    ),
    CatalogEntry(
        name="anime-watched",
        family="anime",
        files=(FILE,),
        parser=_watched,
        description="Anime (MyAnimeList): every anime each user completed, rated or not.",
        feedback="implicit",
        timestamps=False,
        licence=LICENCE,
        citation=CITATION,
        homepage=PAGE,
        size="7.81M",
        expected=stats(73_515, 11_200, 7_813_737),
        instructions=HOWTO,
        notes="Statistics from RecBole's dataset_info.",
    ),
)
