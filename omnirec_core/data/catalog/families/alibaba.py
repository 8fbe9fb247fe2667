"""Alibaba iFashion (POG) and the Tianchi mobile recommendation log; both manual downloads.

iFashion: ``user_data.txt``, one line per user: ``user_id,item_id;item_id;...,outfit_id``
(published 7-Zip compressed; omnirec does not read 7z, so the user unpacks it). Mobile:
``tianchi_mobile_recommend_train_user.zip`` with a CSV of header
``user_id,item_id,behavior_type,user_geohash,item_category,time`` (``2014-12-06 02``).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from omnirec_core.data.catalog.common import OMNIREC_PIN, stats
from omnirec_core.data.catalog.entry import CatalogEntry, RemoteFile
from omnirec_core.data.catalog.members import Member
from omnirec_core.data.catalog.tables import Col, Layout, read_table

IFASHION = RemoteFile("user_data.txt")
MOBILE = RemoteFile(
    "tianchi_mobile_recommend_train_user.zip",
    (),
    "84156725849ff62e758323657adefa9d3f9c7fba7a6d847b04f77724be7c2992",
    pin_source=OMNIREC_PIN,
)
IFASHION_LAYOUT = Layout((Col(0, "user", "id"), Col(1, "items", "str")), header=False, quote=None)
MOBILE_LAYOUT = Layout(
    (
        Col("user_id", "user", "intid"),
        Col("item_id", "item", "intid"),
        Col("time", "timestamp", "time", "%Y-%m-%d %H"),
    )
)
CITATION_IFASHION = """@inproceedings{chen2019pog,
  title={{POG}: Personalized Outfit Generation for Fashion Recommendation at {Alibaba iFashion}},
  author={Chen, Wen and Huang, Pipei and Xu, Jiaming and Guo, Xin and Guo, Cheng and Sun, Fei and Li, Chao and Pfadler, Andreas and Zhao, Huan and Zhao, Binqiang},
  booktitle={Proceedings of the 25th ACM SIGKDD International Conference on Knowledge Discovery and Data Mining},
  pages={2662--2670},
  year={2019}
}"""
CITATION_MOBILE = """@misc{tianchi_mobile,
  title={Mobile Recommendation Algorithm Competition dataset},
  author={{Alibaba Tianchi}},
  howpublished={\\url{https://tianchi.aliyun.com/dataset/46}}
}"""


def read_ifashion(paths: Mapping[str, Path]) -> pd.DataFrame:
    """One row per (user, item) from the ';'-separated item list of each user line."""
    df = read_table(Member(paths[IFASHION.filename]), IFASHION_LAYOUT)
    lists = df["items"].astype(str).str.split(";")
    counts = lists.str.len().to_numpy()
    users = df["user"]
    return pd.DataFrame(
        {
            "user": pd.Categorical.from_codes(
                np.repeat(users.cat.codes.to_numpy(), counts), dtype=users.dtype
            ),
            "item": np.concatenate(lists.to_numpy()) if len(lists) else np.array([], dtype=object),
        }
    )


def read_mobile(paths: Mapping[str, Path]) -> pd.DataFrame:
    return read_table(
        Member(paths[MOBILE.filename], "tianchi_mobile_recommend_train_user.csv"), MOBILE_LAYOUT
    )


ENTRIES: tuple[CatalogEntry, ...] = (
    CatalogEntry(
        name="alibaba-ifashion",
        family="alibaba",
        files=(IFASHION,),
        parser=read_ifashion,
        description="Alibaba iFashion (POG): the fashion items each user clicked.",
        feedback="implicit",
        timestamps=False,
        licence="Released with the POG paper for research (see github.com/wenyuer/POG; terms not verified here).",
        citation=CITATION_IFASHION,
        homepage="https://github.com/wenyuer/POG",
        aliases=("AlibabaIFashion",),
        size="191M",
        expected=stats(3_569_112, 4_463_302, 191_394_393),
        instructions=(
            "Download user_data.txt.7z from the POG repository's data link (https://github.com/wenyuer/POG), "
            "unpack it with 7-Zip (omnirec does not read .7z) and put user_data.txt in the folder named below."
        ),
        notes="Statistics from RecBole's dataset_info. OmniRec's pin is for the .7z file, which omnirec does not read.",
    ),
    CatalogEntry(
        name="alibaba-mobile",
        family="alibaba",
        files=(MOBILE,),
        parser=read_mobile,
        description="Alibaba mobile recommendation (Tianchi): users' item behaviours (view, favourite, cart, buy) with hours.",
        feedback="implicit",
        timestamps=True,
        licence="Tianchi dataset terms (registration required): research use.",
        citation=CITATION_MOBILE,
        homepage="https://tianchi.aliyun.com/dataset/46",
        aliases=("AlibabaMobile",),
        instructions=(
            "Tianchi requires an account: download tianchi_mobile_recommend_train_user.zip from "
            "https://tianchi.aliyun.com/dataset/46 and put it, unchanged, in the folder named below."
        ),
        notes="All behaviour types count as interactions; the archive is checked against OmniRec's pin.",
    ),
)
