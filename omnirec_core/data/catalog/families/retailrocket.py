"""Retailrocket e-commerce events (Kaggle): ``events.csv``; manual download.

Header ``timestamp,visitorid,event,itemid,transactionid``; times in milliseconds;
``event`` is ``view``, ``addtocart`` or ``transaction``. One entry per event type.
"""

from __future__ import annotations

from functools import partial

from omnirec_core.data.catalog.common import read_one, stats
from omnirec_core.data.catalog.entry import CatalogEntry, RemoteFile
from omnirec_core.data.catalog.tables import Col, Layout

FILE = RemoteFile("events.csv")
PAGE = "https://www.kaggle.com/datasets/retailrocket/ecommerce-dataset"
CITATION = """@misc{retailrocket2016,
  title={Retailrocket Recommender System Dataset},
  author={{Retailrocket}},
  howpublished={\\url{https://www.kaggle.com/datasets/retailrocket/ecommerce-dataset}},
  year={2016}
}"""


def _layout(event: str) -> Layout:
    return Layout(
        (
            Col("visitorid", "user", "intid"),
            Col("itemid", "item", "intid"),
            Col("timestamp", "timestamp", "time", "ms"),
            Col("event", "event", "str"),
        ),
        where={"event": (event,)},
    )


# (event, RecBole's name, (users, items, events) as RecBole lists them)
EVENTS = (
    ("view", "retailrocket-view-not-merged", (1_404_179, 234_838, 2_664_312)),
    ("addtocart", "retailrocket-addtocart-not-merged", (37_722, 23_903, 69_332)),
    ("transaction", "retailrocket-transaction-not-merged", (11_719, 12_025, 22_457)),
)

ENTRIES: tuple[CatalogEntry, ...] = tuple(
    CatalogEntry(
        name=f"retailrocket-{event}",
        family="retailrocket",
        files=(FILE,),
        parser=partial(read_one, filename=FILE.filename, layout=_layout(event), drop=("event",)),
        description=f"Retailrocket: '{event}' events of visitors on items of an online shop, with times.",
        feedback="implicit",
        timestamps=True,
        licence="CC BY-NC-SA 4.0, as stated on the Kaggle page (not verified here).",
        citation=CITATION,
        homepage=PAGE,
        aliases=(recbole,) + (("Retailrocket",) if event == "view" else ()),
        size=f"{counts[2] / 1e6:.3g}M" if counts[2] >= 1e6 else f"{counts[2] / 1e3:.3g}K",
        expected=stats(*counts),
        instructions=f"Kaggle requires signing in: download {PAGE}, extract events.csv and put it in the folder named below.",
        notes="Statistics (before duplicates are dropped) from RecBole's dataset_info.",
    )
    for event, recbole, counts in EVENTS
)
