"""MIND small (Microsoft News): news articles users clicked in impression logs.

``MINDsmall_{train,dev}.zip`` each hold ``behaviors.tsv``, tab-separated, no header:
impression id, user, time (``11/15/2019 8:55:22 AM``), click history (space-separated
ids) and impressions (``N123-1 N456-0``: article and whether it was clicked). Each
click in an impression becomes an interaction at the impression's time; histories
carry no times and non-clicks are not interactions, so both are left out.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from omnirec_core.data.catalog.entry import CatalogEntry, RemoteFile
from omnirec_core.data.catalog.members import Member
from omnirec_core.data.catalog.report import report_values
from omnirec_core.data.catalog.tables import Col, Layout, read_table

HOSTS = (
    "https://mind201910small.blob.core.windows.net/release/",
    "https://recodatasets.z20.web.core.windows.net/newsrec/",
)
PARTS = tuple(
    RemoteFile(f"MINDsmall_{p}.zip", tuple(h + f"MINDsmall_{p}.zip" for h in HOSTS)) for p in ("train", "dev")
)
LAYOUT = Layout(
    (
        Col(1, "user", "id"),
        Col(2, "timestamp", "time", "%m/%d/%Y %I:%M:%S %p"),
        Col(4, "impressions", "str", skip_missing=True),
    ),
    sep="\t",
    header=False,
    quote=None,
)
CITATION = """@inproceedings{wu2020mind,
  title={{MIND}: A Large-scale Dataset for News Recommendation},
  author={Wu, Fangzhao and Qiao, Ying and Chen, Jiun-Hung and Wu, Chuhan and Qi, Tao and Lian, Jianxun and Liu, Danyang and Xie, Xing and Gao, Jianfeng and Wu, Winnie and Zhou, Ming},
  booktitle={Proceedings of the 58th Annual Meeting of the Association for Computational Linguistics (ACL)},
  pages={3597--3606},
  year={2020}
}"""


def clicks(df: pd.DataFrame, label: str) -> pd.DataFrame:
    """One row per clicked article of each impression; malformed entries are reported."""
    lists = df["impressions"].astype(str).str.split(" ")
    counts = lists.str.len().to_numpy()
    entries = pd.Series(np.concatenate(lists.to_numpy()) if len(lists) else np.array([], dtype=object))
    row = np.repeat(np.arange(len(df)), counts)
    parts = entries.str.rsplit("-", n=1, expand=True).reindex(columns=[0, 1])
    clicked = (parts[1] == "1").to_numpy()
    valid = parts[1].isin(["0", "1"]).to_numpy() & (parts[0].str.len() > 0).to_numpy()
    report_values(f"{label}: impressions", len(entries), ~valid, entries.to_numpy(), "not <article>-<0|1>")
    keep = clicked & valid
    users = df["user"]
    return pd.DataFrame(
        {
            "user": pd.Categorical.from_codes(users.cat.codes.to_numpy()[row[keep]], dtype=users.dtype),
            "item": parts[0].to_numpy()[keep],
            "timestamp": df["timestamp"].to_numpy()[row[keep]],
        }
    )


def read_clicks(paths: Mapping[str, Path]) -> pd.DataFrame:
    frames = []
    for part in PARTS:
        member = Member(paths[part.filename], "behaviors.tsv")
        frames.append(clicks(read_table(member, LAYOUT), member.label))
    return pd.concat(frames, ignore_index=True)


ENTRIES: tuple[CatalogEntry, ...] = (
    CatalogEntry(
        name="mind-small",
        family="mind",
        files=PARTS,
        parser=read_clicks,
        description="MIND small (50K users, Oct-Nov 2019): news clicks in impression logs, train and dev together.",
        feedback="implicit",
        timestamps=True,
        licence="Microsoft Research License Terms: non-commercial research only (see msnews.github.io).",
        citation=CITATION,
        homepage="https://msnews.github.io/",
        aliases=("MINDSmall",),
        notes=(
            "No published checksums: first use. A public notebook records the sizes 52,952,752 "
            "(train) and 30,945,572 (dev) bytes."
        ),
    ),
)
