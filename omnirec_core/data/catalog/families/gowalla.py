"""Gowalla check-ins (SNAP): ``loc-gowalla_totalCheckins.txt.gz``, tab-separated, no header.

Columns: user, check-in time (ISO 8601, UTC), latitude, longitude, location id.
"""

from __future__ import annotations

from functools import partial

from omnirec_core.data.catalog.common import OMNIREC_PIN, read_one, stats
from omnirec_core.data.catalog.entry import CatalogEntry, RemoteFile
from omnirec_core.data.catalog.tables import Col, Layout

FILE = RemoteFile(
    "loc-gowalla_totalCheckins.txt.gz",
    ("https://snap.stanford.edu/data/loc-gowalla_totalCheckins.txt.gz",),
    "c1c3e19effba649b6c89aeab3c1f9459fad88cfdc2b460fc70fd54e295d83ea0",
    pin_source=OMNIREC_PIN,
)
LAYOUT = Layout(
    (Col(0, "user", "intid"), Col(4, "item", "intid"), Col(1, "timestamp", "time", "%Y-%m-%dT%H:%M:%SZ")),
    sep="\t",
    header=False,
    quote=None,
)
CITATION = """@inproceedings{cho2011friendship,
  title={Friendship and Mobility: User Movement in Location-Based Social Networks},
  author={Cho, Eunjoon and Myers, Seth A. and Leskovec, Jure},
  booktitle={Proceedings of the 17th ACM SIGKDD International Conference on Knowledge Discovery and Data Mining},
  pages={1082--1090},
  year={2011}
}"""

ENTRIES: tuple[CatalogEntry, ...] = (
    CatalogEntry(
        name="gowalla",
        family="gowalla",
        files=(FILE,),
        parser=partial(read_one, filename=FILE.filename, layout=LAYOUT),
        description="Gowalla check-ins, Feb 2009 - Oct 2010 (repeat visits collapse to the latest).",
        feedback="implicit",
        timestamps=True,
        licence="Stanford SNAP dataset; no licence is stated, cite the paper below.",
        citation=CITATION,
        homepage="https://snap.stanford.edu/data/loc-gowalla.html",
        aliases=("Gowalla",),
        size="6.44M",
        expected=stats(107_092, 1_280_969, 6_442_892),
        notes="Statistics (before duplicates are dropped) from RecBole's dataset_info.",
    ),
)
