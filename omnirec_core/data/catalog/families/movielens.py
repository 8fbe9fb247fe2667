"""MovieLens releases beyond the pinned core family: ``ml-latest`` and the 1B synthetic set.

``ml-latest.zip`` has ``ml-latest/ratings.csv`` (the layout of ML-20M); GroupLens
replaces it from time to time, so its pin (from OmniRec's registry) fails when it
changes and says so. ``ml-20mx16x32.tar`` holds 16 train and 16 test ``.npz`` files
(``ml-20mx16x32/{train,test}x16x32_<i>.npz``), each an ``arr_0`` array of
``(user, item)`` rows: 1.2 billion implicit interactions.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from omnirec_core.data.catalog.common import OMNIREC_PIN
from omnirec_core.data.catalog.entry import CatalogEntry, RemoteFile
from omnirec_core.data.catalog.members import Member
from omnirec_core.data.catalog.report import finish, new_report
from omnirec_core.data.movielens import CITATION, GROUPLENS, LICENCE, read_ratings_csv
from omnirec_core.errors import DataError

LATEST = RemoteFile(
    "ml-latest.zip",
    (GROUPLENS + "ml-latest.zip",),
    "66a9e518c747d76b241d9a859b001a2619d3ed1672ceef599eb50daf73a7b4a3",
    pin_source=OMNIREC_PIN,
)
SYNTHETIC = RemoteFile(
    "ml-20mx16x32.tar",
    (GROUPLENS + "ml-20mx16x32.tar",),
    "a8c3fd4788659da7dac1ad15c335877f5da8b49eed9478e93072fc3c352325d5",
    pin_source=OMNIREC_PIN,
)


def read_latest(paths: Mapping[str, Path]) -> pd.DataFrame:
    member = Member(paths[LATEST.filename], "ml-latest/ratings.csv")
    report = new_report(member.label)
    with member.open() as fh:
        df = read_ratings_csv(fh)
    report.lines = len(df)
    finish(report)
    return df


def read_synthetic(paths: Mapping[str, Path]) -> pd.DataFrame:
    parts = []
    for split in ("train", "test"):
        for i in range(16):
            member = Member(paths[SYNTHETIC.filename], f"ml-20mx16x32/{split}x16x32_{i}.npz")
            with member.open() as fh:
                try:
                    pairs = np.load(io.BytesIO(fh.read()), allow_pickle=False)["arr_0"]
                except (ValueError, KeyError, OSError) as exc:
                    raise DataError(
                        f"{member.label} is not the expected .npz ({exc}); delete the archive and download it again"
                    ) from None
            if pairs.ndim != 2 or pairs.shape[1] != 2:
                raise DataError(f"{member.label} holds an array of shape {pairs.shape}, expected (n, 2)")
            parts.append(pairs.astype(np.int64, copy=False))
    pairs = np.concatenate(parts)
    return pd.DataFrame({"user": pairs[:, 0], "item": pairs[:, 1]})


ENTRIES: tuple[CatalogEntry, ...] = (
    CatalogEntry(
        name="movielens-latest",
        family="movielens",
        files=(LATEST,),
        parser=read_latest,
        description="MovieLens latest (full): half-star ratings; GroupLens updates this release.",
        feedback="explicit",
        timestamps=True,
        licence=LICENCE,
        citation=CITATION,
        homepage="https://grouplens.org/datasets/movielens/latest/",
        aliases=("ml-latest", "MovieLensLatest"),
        notes="Pinned to the copy OmniRec's registry hashed; a newer upstream release fails the check.",
    ),
    CatalogEntry(
        name="movielens-1b-synthetic",
        family="movielens",
        files=(SYNTHETIC,),
        parser=read_synthetic,
        description="MovieLens 1B synthetic (ml-20mx16x32): 1.2B implicit interactions expanded from ML-20M.",
        feedback="implicit",
        timestamps=False,
        licence=LICENCE,
        citation=CITATION,
        homepage="https://grouplens.org/datasets/movielens/",
        aliases=("ml-20mx16x32", "MovieLens1BSynthetic"),
        size="1.2B",
        notes="Needs tens of GB of memory to canonicalise.",
    ),
)
