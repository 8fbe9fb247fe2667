"""Goodreads (UCSD Book Graph): all 228M shelf interactions, and the per-genre subsets.

``goodreads_interactions.csv`` has header ``user_id,book_id,is_read,rating,is_reviewed``
(integer ids; rating 0 means not rated) and no times. The per-genre files
``goodreads_interactions_<genre>.json.gz`` are JSON lines with ``user_id``, ``book_id``,
``rating`` and ``date_updated`` (``Mon Aug 21 12:11:00 -0700 2017``).
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial
from pathlib import Path

import pandas as pd

from omnirec_core.data.catalog.common import MCAULEY_TERMS, OMNIREC_PIN, read_one, stats
from omnirec_core.data.catalog.entry import CatalogEntry, RemoteFile
from omnirec_core.data.catalog.members import Member
from omnirec_core.data.catalog.records import read_records
from omnirec_core.data.catalog.tables import Col, Layout

BASE = "https://mcauleylab.ucsd.edu/public_datasets/gdrive/goodreads/"
HOMEPAGE = "https://mengtingwan.github.io/data/goodreads.html"
CITATION = """@inproceedings{wan2018item,
  title={Item Recommendation on Monotonic Behavior Chains},
  author={Wan, Mengting and McAuley, Julian},
  booktitle={Proceedings of the 12th ACM Conference on Recommender Systems (RecSys)},
  pages={86--94},
  year={2018}
}
@inproceedings{wan2019fine,
  title={Fine-Grained Spoiler Detection from Large-Scale Review Corpora},
  author={Wan, Mengting and Misra, Rishabh and Nakashole, Ndapa and McAuley, Julian},
  booktitle={Proceedings of the 57th Annual Meeting of the Association for Computational Linguistics (ACL)},
  pages={2605--2610},
  year={2019}
}"""
FULL = RemoteFile("goodreads_interactions.csv", (BASE + "goodreads_interactions.csv",))
SHELVED = Layout((Col("user_id", "user", "intid"), Col("book_id", "item", "intid")))
RATED = Layout(
    (Col("user_id", "user", "intid"), Col("book_id", "item", "intid"), Col("rating", "rating", "int")),
    where={"rating": (1, 2, 3, 4, 5)},
)
# Ids are JSON strings in these files: kept as text (reading them as numbers would push
# every block off pyarrow's fast path).
GENRE_FIELDS = (
    Col("user_id", "user", "id"),
    Col("book_id", "item", "id"),
    Col("date_updated", "timestamp", "time", "%a %b %d %H:%M:%S %z %Y"),
)
# (genre in the file name, OmniRec's name, SHA-256 from OmniRec's registry)
GENRES: tuple[tuple[str, str, str], ...] = (
    ("children", "GoodreadsChildren", "d8ce59259e45262b3322bd87f5c2a13228cd8bb659332414a05660aed7cd7c71"),
    (
        "comics_graphic",
        "GoodreadsComicsAndGraphic",
        "b55fbe66c2c802cefad5051808724d5074e342d6a4004309595a972702a62f4d",
    ),
    (
        "fantasy_paranormal",
        "GoodreadsFantasyAndParanormal",
        "ec6a2444c13aa05b056988ac2671c5d643883c9aca0d8f9e46e413fc5773fa4b",
    ),
    (
        "history_biography",
        "GoodreadsHistoryAndBiography",
        "c08c7ebe477807556d4f92b75ba146916f2ae49e3ed269e3966fd9ca4ce517ca",
    ),
    (
        "mystery_thriller_crime",
        "GoodreadsMysteryThrillerAndCrime",
        "9c3c179ce5e5612cf72dc7aa2e570b49ab655b42a44cb8e9ddd5697393c43c4f",
    ),
    ("poetry", "GoodreadsPoetry", "65fb9777f5e482695f0e4b71ef9884f6a7e5ab31c224dabc7ae0c2dcd60e49de"),
    ("romance", "GoodreadsRomance", "3dde6e1dae8ebb7384f849e4378f5f294cbd6385abeac238aea2ce7e66e0faf0"),
    (
        "young_adult",
        "GoodreadsYoungAdult",
        "6d03182383f10e1eec36ac0a972533806518e2a082089867e3deb941ed77d6c4",
    ),
)


def read_genre(paths: Mapping[str, Path], filename: str) -> pd.DataFrame:
    return read_records(Member(paths[filename]), GENRE_FIELDS)


def _genre(genre: str, omnirec: str, sha: str) -> CatalogEntry:
    filename = f"goodreads_interactions_{genre}.json.gz"
    return CatalogEntry(
        name="goodreads-" + genre.replace("_", "-"),
        family="goodreads",
        files=(RemoteFile(filename, (BASE + "byGenre/" + filename,), sha, pin_source=OMNIREC_PIN),),
        parser=partial(read_genre, filename=filename),
        description=f"Goodreads, genre {genre.replace('_', ', ')}: books users shelved, with the time of the last update.",
        feedback="implicit",
        timestamps=True,
        licence=MCAULEY_TERMS,
        citation=CITATION,
        homepage=HOMEPAGE,
        aliases=(omnirec,),
        notes="Every shelf interaction counts (rating 0 means 'not rated'); times are 'date_updated'.",
    )


_FULL_NOTE = (
    "No published checksum: first use. The URL follows the lab's current host for the per-genre "
    "files and was not verified. Statistics from RecBole's dataset_info."
)

ENTRIES: tuple[CatalogEntry, ...] = (
    CatalogEntry(
        name="goodreads",
        family="goodreads",
        files=(FULL,),
        parser=partial(read_one, filename=FULL.filename, layout=SHELVED),
        description="Goodreads: every book 876K users shelved (228M interactions, no times).",
        feedback="implicit",
        timestamps=False,
        licence=MCAULEY_TERMS,
        citation=CITATION,
        homepage=HOMEPAGE,
        aliases=("Goodreads", "GoodReads"),
        size="229M",
        expected=stats(876_145, 2_360_650, 228_648_342),
        notes=_FULL_NOTE,
    ),
    CatalogEntry(
        name="goodreads-ratings",
        family="goodreads",
        files=(FULL,),
        parser=partial(read_one, filename=FULL.filename, layout=RATED),
        description="Goodreads: the shelf interactions that carry a rating 1-5.",
        feedback="explicit",
        timestamps=False,
        licence=MCAULEY_TERMS,
        citation=CITATION,
        homepage=HOMEPAGE,
        notes=_FULL_NOTE.replace(" Statistics from RecBole's dataset_info.", ""),
    ),
    *(_genre(*g) for g in GENRES),
)
