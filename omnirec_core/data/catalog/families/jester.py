"""Jester jokes (Goldberg et al.): dataset 1 (three Excel sheets) and dataset 2 (a text file).

Dataset 1: ``jester_dataset_1_{1,2,3}.zip`` hold ``jester-data-{1,2,3}.xls``: one row per
user, the first column the number of jokes rated, then 100 columns of ratings from
-10 to 10, with 99 for "not rated". Dataset 2: ``jester_ratings.dat`` in
``jester_dataset_2.zip``, ``user joke rating`` separated by blanks.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd

from omnirec_core.data.catalog.common import read_one, stats
from omnirec_core.data.catalog.entry import CatalogEntry, RemoteFile
from omnirec_core.data.catalog.members import Member
from omnirec_core.data.catalog.report import finish, new_report
from omnirec_core.data.catalog.tables import WHITESPACE, Col, Layout
from omnirec_core.errors import DataError

BASE = "https://eigentaste.berkeley.edu/dataset/"
PARTS = tuple(
    RemoteFile(f"jester_dataset_1_{i}.zip", (BASE + f"jester_dataset_1_{i}.zip",)) for i in (1, 2, 3)
)
TWO = RemoteFile(
    "jester_dataset_2.zip", (BASE + "archive/jester_dataset_2.zip", BASE + "jester_dataset_2.zip")
)
NOT_RATED = 99.0
CITATION = """@article{goldberg2001eigentaste,
  title={Eigentaste: A Constant Time Collaborative Filtering Algorithm},
  author={Goldberg, Ken and Roeder, Theresa and Gupta, Dhruv and Perkins, Chris},
  journal={Information Retrieval},
  volume={4},
  number={2},
  pages={133--151},
  year={2001}
}"""
LICENCE = (
    "Freely available for research use when acknowledged with the citation below (per the dataset page)."
)
TWO_LAYOUT = Layout(
    (Col(0, "user", "intid"), Col(1, "item", "intid"), Col(2, "rating", "float")),
    sep=WHITESPACE,
    header=False,
)


def ratings_from_matrix(matrix: np.ndarray, first_user: int) -> pd.DataFrame:
    """Rows of users (count column first) as (user, joke 1..n, rating), 99 = not rated."""
    ratings = matrix[:, 1:].astype("float64")
    users, jokes = np.nonzero((ratings != NOT_RATED) & ~np.isnan(ratings))
    return pd.DataFrame({"user": users + first_user, "item": jokes + 1, "rating": ratings[users, jokes]})


def read_sheets(paths: Mapping[str, Path]) -> pd.DataFrame:
    try:
        import xlrd  # noqa: F401  (pandas needs it for .xls)
    except ImportError:
        raise DataError(
            "Jester dataset 1 is a set of .xls sheets; reading them needs xlrd: pip install xlrd"
        ) from None
    frames, first = [], 0
    for i, part in enumerate(PARTS, start=1):
        member = Member(paths[part.filename], f"jester-data-{i}.xls")
        report = new_report(member.label)
        with member.open() as fh:
            matrix = pd.read_excel(io.BytesIO(fh.read()), header=None).to_numpy()
        report.lines = len(matrix)
        finish(report)
        frames.append(ratings_from_matrix(matrix, first))
        first += len(matrix)
    return pd.concat(frames, ignore_index=True)


ENTRIES: tuple[CatalogEntry, ...] = (
    CatalogEntry(
        name="jester",
        family="jester",
        files=PARTS,
        parser=read_sheets,
        description="Jester dataset 1: 4.1M ratings -10..10 of 100 jokes by 73,421 users.",
        feedback="explicit",
        timestamps=False,
        licence=LICENCE,
        citation=CITATION,
        homepage="https://eigentaste.berkeley.edu/dataset/",
        aliases=("Jester1", "jester-1"),
        size="4.14M",
        expected=stats(73_421, 101, 4_136_360),
        notes=(
            "Needs the xlrd package to read the .xls sheets. No published checksums: first use. "
            "Statistics from RecBole's dataset_info (it counts 101 columns as items)."
        ),
    ),
    CatalogEntry(
        name="jester-2",
        family="jester",
        files=(TWO,),
        parser=partial(read_one, filename=TWO.filename, layout=TWO_LAYOUT, member="jester_ratings.dat"),
        description="Jester dataset 2: 1.7M ratings -10..10 of 150 jokes by 59,132 users (2006-2009).",
        feedback="explicit",
        timestamps=False,
        licence=LICENCE,
        citation=CITATION,
        homepage="https://eigentaste.berkeley.edu/dataset/",
        aliases=("Jester2",),
        notes="No published checksum: first use. Counts from the dataset page as quoted in a public README.",
    ),
)
