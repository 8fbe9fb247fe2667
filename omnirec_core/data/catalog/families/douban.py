"""Douban: movie, music and book ratings (three tab-separated files), and the short-comments set.

``Douban.tar.gz`` holds ``Douban/<domain>/douban_<domain>.tsv`` with header
``UserId ItemId Rating Timestamp`` (epoch seconds); a rating of -1 marks an item the
user interacted with but did not rate. The "Douban Movie Short Comments" set (DMSC,
Kaggle) has ``DMSC.csv`` with header
``ID,Movie_Name_EN,Movie_Name_CN,Crawl_Date,Number,Username,Date,Star,Comment,Like``.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial
from pathlib import Path

import pandas as pd

from omnirec_core.data.catalog.common import OMNIREC_PIN, read_ratings, stats
from omnirec_core.data.catalog.entry import CatalogEntry, RemoteFile
from omnirec_core.data.catalog.members import Member
from omnirec_core.data.catalog.tables import Col, Layout, read_table

FILE = RemoteFile(
    "Douban.tar.gz",
    (
        "https://www.dropbox.com/scl/fi/9zoykjl7km4wlrddscqrf/Douban.tar.gz?dl=1&e=2&rlkey=i6w593rb3m8p8u13znp9mq1t3",
    ),
    "8c2106750f457c8770d125718041f518ab088b6f8696c21c5e1764d85ff6a993",
    pin_source=OMNIREC_PIN,
)
LAYOUT = Layout(
    (
        Col("UserId", "user", "intid"),
        Col("ItemId", "item", "intid"),
        Col("Rating", "rating", "float"),
        Col("Timestamp", "timestamp", "time"),
    ),
    sep="\t",
    quote=None,
)
SHORT = RemoteFile("DMSC.csv")
SHORT_LAYOUT = Layout(
    (
        Col("Username", "user", "id"),
        Col("Movie_Name_EN", "item", "id"),
        Col("Star", "rating", "float"),
        Col("Date", "timestamp", "time", "%Y-%m-%d"),
    ),
    multiline=True,  # comments are free text in quotes
)
CITATION = """@misc{douban_ratings,
  title={Douban movie, music and book ratings},
  howpublished={\\url{https://www.douban.com}, as distributed in Douban.tar.gz}
}"""
CITATION_SHORT = """@misc{utmhikari2018dmsc,
  title={Douban Movie Short Comments Dataset},
  author={utmhikari},
  howpublished={\\url{https://www.kaggle.com/datasets/utmhikari/doubanmovieshortcomments}},
  year={2018}
}"""
LICENCE = "Crawled from douban.com; no licence is stated. Research use only."


def read_short(paths: Mapping[str, Path]) -> pd.DataFrame:
    return read_table(Member(paths[SHORT.filename]), SHORT_LAYOUT)


def _domain(domain: str) -> CatalogEntry:
    return CatalogEntry(
        name=f"douban-{domain}",
        family="douban",
        files=(FILE,),
        parser=partial(
            read_ratings,
            filename=FILE.filename,
            layout=LAYOUT,
            member=f"Douban/{domain}/douban_{domain}.tsv",
            explicit=True,
        ),
        description=f"Douban {domain}: ratings 1-5 with times (rows with rating -1, i.e. not rated, left out).",
        feedback="explicit",
        timestamps=True,
        licence=LICENCE,
        citation=CITATION,
        homepage="https://www.douban.com",
        aliases=(f"Douban{domain.capitalize()}",),
        notes=(
            "The archive and its pin come from OmniRec's registry; the paper that first published "
            "these files could not be identified, so the citation names the source only."
        ),
    )


ENTRIES: tuple[CatalogEntry, ...] = (
    *(_domain(d) for d in ("movie", "music", "book")),
    CatalogEntry(
        name="douban-short-comments",
        family="douban",
        files=(SHORT,),
        parser=read_short,
        description="Douban Movie Short Comments: star ratings 1-5 of 28 films, with dates.",
        feedback="explicit",
        timestamps=True,
        licence="As stated on the Kaggle page (not verified here); crawled from douban.com.",
        citation=CITATION_SHORT,
        homepage="https://www.kaggle.com/datasets/utmhikari/doubanmovieshortcomments",
        aliases=("DoubanShort", "douban"),
        size="2.13M",
        expected=stats(738_701, 28, 2_125_056),
        instructions=(
            "Kaggle requires signing in: download "
            "https://www.kaggle.com/datasets/utmhikari/doubanmovieshortcomments, extract DMSC.csv and "
            "put it in the folder named below."
        ),
        notes="Statistics from RecBole's dataset_info (its 'douban' is this set); the user count is RecBole's.",
    ),
)
