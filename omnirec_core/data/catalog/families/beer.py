"""BeerAdvocate and RateBeer reviews (McAuley et al.): gzipped Python-literal lines.

Fields used: ``review/profileName`` (user), ``beer/beerId`` (item), ``review/overall``
and ``review/time`` (epoch seconds). The overall rating is text: ``4.5`` on
BeerAdvocate, ``13/20`` on RateBeer; the part before a slash is kept.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial
from pathlib import Path

import pandas as pd

from omnirec_core.data.catalog.common import MCAULEY_TERMS, OMNIREC_PIN, stats
from omnirec_core.data.catalog.entry import CatalogEntry, RemoteFile
from omnirec_core.data.catalog.members import Member
from omnirec_core.data.catalog.records import read_records
from omnirec_core.data.catalog.tables import Col

BASE = "https://mcauleylab.ucsd.edu/public_datasets/data/beer/"
FIELDS = (
    Col("review/profileName", "user", "id"),
    Col("beer/beerId", "item", "id"),
    Col("review/overall", "rating", "float", "numerator"),
    Col("review/time", "timestamp", "time"),
)
CITATION = """@inproceedings{mcauley2012learning,
  title={Learning Attitudes and Attributes from Multi-Aspect Reviews},
  author={McAuley, Julian and Leskovec, Jure and Jurafsky, Dan},
  booktitle={2012 IEEE 12th International Conference on Data Mining (ICDM)},
  pages={1020--1025},
  year={2012}
}
@inproceedings{mcauley2013amateurs,
  title={From Amateurs to Connoisseurs: Modeling the Evolution of User Expertise through Online Reviews},
  author={McAuley, Julian and Leskovec, Jure},
  booktitle={Proceedings of the 22nd International Conference on World Wide Web (WWW)},
  pages={897--908},
  year={2013}
}"""


def read_reviews(paths: Mapping[str, Path], filename: str) -> pd.DataFrame:
    return read_records(Member(paths[filename]), FIELDS, literal=True)


def _entry(name: str, sha: str, counts: tuple[int, int, int], scale: str) -> CatalogEntry:
    filename = f"{name.lower()}.json.gz"
    return CatalogEntry(
        name=name.lower(),
        family="beer",
        files=(RemoteFile(filename, (BASE + filename,), sha, pin_source=OMNIREC_PIN),),
        parser=partial(read_reviews, filename=filename),
        description=f"{name} beer reviews: overall ratings ({scale}), with review times.",
        feedback="explicit",
        timestamps=True,
        licence=MCAULEY_TERMS,
        citation=CITATION,
        homepage="https://cseweb.ucsd.edu/~jmcauley/datasets.html#multi_aspect",
        aliases=(name,),
        size=f"{counts[2] / 1e6:.3g}M",
        expected=stats(*counts),
        notes="Statistics from RecBole's dataset_info.",
    )


ENTRIES: tuple[CatalogEntry, ...] = (
    _entry(
        "BeerAdvocate",
        "1e62c122f3645e46bffa6fd00d5d8b46ee4f61dc01fc8a60b0c35be16c2315a8",
        (33_388, 66_055, 1_586_614),
        "0-5",
    ),
    _entry(
        "RateBeer",
        "f3b2569d23a831017f2d199ace85bb49d8c088e2ebff55d91f49a2a4d44efd74",
        (29_265, 110_369, 2_924_163),
        "0-20",
    ),
)
