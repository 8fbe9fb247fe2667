"""Behance appreciations (He et al., Vista): ``Behance_appreciate_1M.gz``.

Gzipped text, one line per appreciate ("like"): ``user item timestamp`` separated by
blanks, times in epoch seconds.
"""

from __future__ import annotations

from functools import partial

from omnirec_core.data.catalog.common import MCAULEY_TERMS, OMNIREC_PIN, read_one, stats
from omnirec_core.data.catalog.entry import CatalogEntry, RemoteFile
from omnirec_core.data.catalog.tables import WHITESPACE, Col, Layout

FILE = RemoteFile(
    "Behance_appreciate_1M.gz",
    ("https://mcauleylab.ucsd.edu/public_datasets/gdrive/behance/Behance_appreciate_1M.gz",),
    "b25b96fbfa913914b13c0c5ae38b196363d5791f2f87127bc3cdcfddb9d3d793",
    pin_source=OMNIREC_PIN,
)
LAYOUT = Layout(
    (Col(0, "user", "intid"), Col(1, "item", "intid"), Col(2, "timestamp", "time")),
    sep=WHITESPACE,
    header=False,
)
CITATION = """@inproceedings{he2016vista,
  title={Vista: A Visually, Socially, and Temporally-aware Model for Artistic Recommendation},
  author={He, Ruining and Lin, Chen and Wang, Jianxiong and McAuley, Julian},
  booktitle={Proceedings of the 10th ACM Conference on Recommender Systems (RecSys)},
  pages={309--316},
  year={2016}
}"""

ENTRIES: tuple[CatalogEntry, ...] = (
    CatalogEntry(
        name="behance",
        family="behance",
        files=(FILE,),
        parser=partial(read_one, filename=FILE.filename, layout=LAYOUT),
        description="Behance: 1M appreciates (likes) of art works by users, with times.",
        feedback="implicit",
        timestamps=True,
        licence=MCAULEY_TERMS,
        citation=CITATION,
        homepage="https://cseweb.ucsd.edu/~jmcauley/datasets.html#behance",
        aliases=("Behance",),
        size="1M",
        expected=stats(63_497, 178_788, 1_000_000),
        notes=(
            "Statistics from RecBole's dataset_info. OmniRec reports the download as corrupt at "
            "times; the pin catches that."
        ),
    ),
)
