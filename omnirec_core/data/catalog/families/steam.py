"""Steam (McAuley lab and Kaggle): Australian users' reviews and libraries, reviews, recommendations.

The McAuley-lab files are gzipped Python-literal lines: ``australian_user_reviews``
(``user_id`` and a list of ``reviews`` with ``item_id``, ``recommend``, ``posted``),
``australian_users_items`` (``steam_id`` and a list of ``items``) and
``steam_reviews`` (``username``, ``product_id``, ``date``). The Kaggle "Game
Recommendations on Steam" set has ``recommendations.csv`` with header
``app_id,helpful,funny,date,is_recommended,hours,user_id,review_id``.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial
from pathlib import Path
from typing import Any

import pandas as pd

from omnirec_core.data.catalog.common import MCAULEY_TERMS, OMNIREC_PIN, read_one, stats
from omnirec_core.data.catalog.entry import CatalogEntry, RemoteFile
from omnirec_core.data.catalog.members import Member
from omnirec_core.data.catalog.records import read_literal_rows, read_records
from omnirec_core.data.catalog.tables import Col, Layout

BASE = "https://mcauleylab.ucsd.edu/public_datasets/data/steam/"
REVIEWS_AU = RemoteFile(
    "australian_user_reviews.json.gz",
    (BASE + "australian_user_reviews.json.gz",),
    "a934bf74d8579bb25bc7bf24e652a87e2ccc91064e429a4cb4af5809178687a8",
    pin_source=OMNIREC_PIN,
)
LIBRARIES_AU = RemoteFile(
    "australian_users_items.json.gz",
    (BASE + "australian_users_items.json.gz",),
    "0b329f79ddf450aba0aad923c8cb6d1affac0c98efaf70242d22fd10987a8d99",
    pin_source=OMNIREC_PIN,
)
REVIEWS = RemoteFile(
    "steam_reviews.json.gz",
    ("https://cseweb.ucsd.edu/~wckang/steam_reviews.json.gz",),
    "40c6343deedf488689987749c5f8435233da48c163fbaa2a7766c215d584bc61",
    pin_source=OMNIREC_PIN,
)
RECOMMENDATIONS = RemoteFile(
    "archive.zip",
    (),
    "7620a48dbff9fdb53e08c06640fae6060189f458784df646835eff4f69c7995a",
    pin_source=OMNIREC_PIN,
)
CITATION_AU = """@inproceedings{wan2018item,
  title={Item Recommendation on Monotonic Behavior Chains},
  author={Wan, Mengting and McAuley, Julian},
  booktitle={Proceedings of the 12th ACM Conference on Recommender Systems (RecSys)},
  pages={86--94},
  year={2018}
}
@inproceedings{pathak2017generating,
  title={Generating and Personalizing Bundle Recommendations on Steam},
  author={Pathak, Apurva and Gupta, Kshitiz and McAuley, Julian},
  booktitle={Proceedings of the 40th International ACM SIGIR Conference on Research and Development in Information Retrieval},
  pages={1073--1076},
  year={2017}
}"""
CITATION_REVIEWS = """@inproceedings{kang2018self,
  title={Self-Attentive Sequential Recommendation},
  author={Kang, Wang-Cheng and McAuley, Julian},
  booktitle={2018 IEEE International Conference on Data Mining (ICDM)},
  pages={197--206},
  year={2018}
}"""
CITATION_KAGGLE = """@misc{kozyriev2023steam,
  title={Game Recommendations on Steam},
  author={Kozyriev, Anton},
  howpublished={\\url{https://www.kaggle.com/datasets/antonkozyriev/game-recommendations-on-steam}},
  year={2023}
}"""
HOMEPAGE = "https://cseweb.ucsd.edu/~jmcauley/datasets.html#steam_data"
PAIR = (Col("user", "user", "id"), Col("item", "item", "id"))


def _recommended(record: dict[str, Any]) -> list[tuple[Any, ...]]:
    return [(record["user_id"], r["item_id"]) for r in record["reviews"] if r["recommend"]]


def _owned(record: dict[str, Any]) -> list[tuple[Any, ...]]:
    return [(record["steam_id"], i["item_id"]) for i in record["items"]]


def read_australian_reviews(paths: Mapping[str, Path]) -> pd.DataFrame:
    return read_literal_rows(Member(paths[REVIEWS_AU.filename]), PAIR, _recommended)


def read_australian_libraries(paths: Mapping[str, Path]) -> pd.DataFrame:
    return read_literal_rows(Member(paths[LIBRARIES_AU.filename]), PAIR, _owned)


def read_reviews(paths: Mapping[str, Path]) -> pd.DataFrame:
    fields = (
        Col("username", "user", "id"),
        Col("product_id", "item", "id"),
        Col("date", "timestamp", "time", "%Y-%m-%d"),
    )
    return read_records(Member(paths[REVIEWS.filename]), fields, literal=True)


RECOMMENDATION_LAYOUT = Layout(
    (
        Col("user_id", "user", "intid"),
        Col("app_id", "item", "intid"),
        Col("date", "timestamp", "time", "%Y-%m-%d"),
        Col("is_recommended", "recommended", "str"),
    ),
    where={"recommended": ("true",)},
)


ENTRIES: tuple[CatalogEntry, ...] = (
    CatalogEntry(
        name="steam-australian-reviews",
        family="steam",
        files=(REVIEWS_AU,),
        parser=read_australian_reviews,
        description="Steam, Australian users: games each user reviewed and recommended.",
        feedback="implicit",
        timestamps=False,
        licence=MCAULEY_TERMS,
        citation=CITATION_AU,
        homepage=HOMEPAGE,
        aliases=("SteamAustralianReviews",),
        notes="Reviews that do not recommend the game are left out. The 'posted' dates lack the year for recent reviews, so no times are kept.",
    ),
    CatalogEntry(
        name="steam-australian-libraries",
        family="steam",
        files=(LIBRARIES_AU,),
        parser=read_australian_libraries,
        description="Steam, Australian users: the games in each user's library.",
        feedback="implicit",
        timestamps=False,
        licence=MCAULEY_TERMS,
        citation=CITATION_AU,
        homepage=HOMEPAGE,
        aliases=("SteamAustralianLibraries",),
    ),
    CatalogEntry(
        name="steam-reviews",
        family="steam",
        files=(REVIEWS,),
        parser=read_reviews,
        description="Steam reviews (SASRec's Steam data): which games users reviewed, with dates.",
        feedback="implicit",
        timestamps=True,
        licence=MCAULEY_TERMS,
        citation=CITATION_REVIEWS,
        homepage=HOMEPAGE,
        aliases=("SteamReviews", "steam"),
        size="7.79M",
        expected=stats(2_567_538, 32_135, 7_793_069),
        notes="Statistics (before duplicates are dropped) from RecBole's dataset_info.",
    ),
    CatalogEntry(
        name="steam-recommendations",
        family="steam",
        files=(RECOMMENDATIONS,),
        parser=partial(
            read_one,
            filename=RECOMMENDATIONS.filename,
            layout=RECOMMENDATION_LAYOUT,
            member="recommendations.csv",
            drop=("recommended",),
        ),
        description="Game Recommendations on Steam (Kaggle): positive recommendations, with dates.",
        feedback="implicit",
        timestamps=True,
        licence="CC0: Public Domain, as stated on the Kaggle page (not verified here).",
        citation=CITATION_KAGGLE,
        homepage="https://www.kaggle.com/datasets/antonkozyriev/game-recommendations-on-steam",
        aliases=("SteamRecommendations",),
        instructions=(
            "Kaggle requires signing in: download the dataset from "
            "https://www.kaggle.com/datasets/antonkozyriev/game-recommendations-on-steam as archive.zip "
            "and put it, unchanged, in the folder named below."
        ),
        notes="The archive is checked against OmniRec's pin; Kaggle may have published newer versions since.",
    ),
)
