"""Epinions: the McAuley-lab review set (Zhao et al.) and Massa's trustlet.org ratings.

``epinions_data.tar.gz`` holds ``epinions_data/epinions.json``: Python-literal lines
with ``user``, ``item``, ``stars``, ``time`` (epoch seconds), ``paid`` and ``review``.
``ratings_data.txt.bz2`` (trustlet.org) is ``user item rating`` separated by blanks.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial
from pathlib import Path

import pandas as pd

from omnirec_core.data.catalog.common import MCAULEY_TERMS, read_one, stats
from omnirec_core.data.catalog.entry import CatalogEntry, RemoteFile
from omnirec_core.data.catalog.members import Member
from omnirec_core.data.catalog.records import read_records
from omnirec_core.data.catalog.tables import WHITESPACE, Col, Layout

REVIEWS = RemoteFile(
    "epinions_data.tar.gz",
    (
        "http://deepyeti.ucsd.edu/jmcauley/datasets/epinions/epinions_data.tar.gz",
        "https://mcauleylab.ucsd.edu/public_datasets/data/epinions/epinions_data.tar.gz",
    ),
)
TRUSTLET = RemoteFile(
    "ratings_data.txt.bz2", ("http://www.trustlet.org/datasets/downloaded_epinions/ratings_data.txt.bz2",)
)
FIELDS = (
    Col("user", "user", "id"),
    Col("item", "item", "id"),
    Col("stars", "rating", "float"),
    Col("time", "timestamp", "time"),
)
TRUSTLET_LAYOUT = Layout(
    (Col(0, "user", "intid"), Col(1, "item", "intid"), Col(2, "rating", "float")),
    sep=WHITESPACE,
    header=False,
)
CITATION = """@inproceedings{zhao2014leveraging,
  title={Leveraging Social Connections to Improve Personalized Ranking for Collaborative Filtering},
  author={Zhao, Tong and McAuley, Julian and King, Irwin},
  booktitle={Proceedings of the 23rd ACM International Conference on Information and Knowledge Management (CIKM)},
  pages={261--270},
  year={2014}
}"""
CITATION_TRUSTLET = """@inproceedings{massa2007trust,
  title={Trust-aware Recommender Systems},
  author={Massa, Paolo and Avesani, Paolo},
  booktitle={Proceedings of the 2007 ACM Conference on Recommender Systems (RecSys)},
  pages={17--24},
  year={2007}
}"""


def read_reviews(paths: Mapping[str, Path]) -> pd.DataFrame:
    return read_records(Member(paths[REVIEWS.filename], "epinions_data/epinions.json"), FIELDS, literal=True)


ENTRIES: tuple[CatalogEntry, ...] = (
    CatalogEntry(
        name="epinions",
        family="epinions",
        files=(REVIEWS,),
        parser=read_reviews,
        description="Epinions reviews (McAuley lab): ratings 1-5 of products, with times.",
        feedback="explicit",
        timestamps=True,
        licence=MCAULEY_TERMS,
        citation=CITATION,
        homepage="https://cseweb.ucsd.edu/~jmcauley/datasets.html#social_data",
        aliases=("Epinions",),
        size="188K",
        expected=stats(116_260, 41_269, 188_478),
        notes=(
            "No published checksum: first use. The first URL is the one RecBole's conversion guide "
            "uses; the second is the lab's current host pattern (not verified). Statistics from "
            "RecBole's dataset_info."
        ),
    ),
    CatalogEntry(
        name="epinions-trustlet",
        family="epinions",
        files=(TRUSTLET,),
        parser=partial(read_one, filename=TRUSTLET.filename, layout=TRUSTLET_LAYOUT),
        description="Epinions ratings collected by Massa and Avesani (trustlet.org): ratings 1-5, no times.",
        feedback="explicit",
        timestamps=False,
        licence="Released by trustlet.org for research; cite the paper below.",
        citation=CITATION_TRUSTLET,
        homepage="http://www.trustlet.org/epinions.html",
        aliases=("EpinionsTrustlet",),
        notes="No published checksum: first use. trustlet.org is often offline.",
    ),
)
