"""Yahoo! R3 (Webscope): music ratings chosen by users (train) and at random (test); manual.

Both files are tab-separated, no header: ``user song rating`` (1-5). Webscope requires
an application and agreement, so the files are placed by hand.
"""

from __future__ import annotations

from functools import partial

from omnirec_core.data.catalog.common import read_one
from omnirec_core.data.catalog.entry import CatalogEntry, RemoteFile
from omnirec_core.data.catalog.tables import Col, Layout

TRAIN = RemoteFile("ydata-ymusic-rating-study-v1_0-train.txt")
TEST = RemoteFile("ydata-ymusic-rating-study-v1_0-test.txt")
LAYOUT = Layout(
    (Col(0, "user", "intid"), Col(1, "item", "intid"), Col(2, "rating", "float")),
    sep="\t",
    header=False,
    quote=None,
)
CITATION = """@inproceedings{marlin2009collaborative,
  title={Collaborative Prediction and Ranking with Non-Random Missing Data},
  author={Marlin, Benjamin M. and Zemel, Richard S.},
  booktitle={Proceedings of the 3rd ACM Conference on Recommender Systems (RecSys)},
  pages={5--12},
  year={2009}
}"""
LICENCE = "Yahoo! Webscope data sharing agreement: academic research only, no redistribution."
PAGE = "https://webscope.sandbox.yahoo.com/catalog.php?datatype=r"
HOWTO = (
    "Yahoo! shares R3 only through Webscope after you apply and accept its agreement: request "
    f"'R3 - Yahoo! Music ratings for User Selected and Randomly Selected songs' at {PAGE}, unpack it "
    "and put {file} in the folder named below."
)

ENTRIES: tuple[CatalogEntry, ...] = (
    CatalogEntry(
        name="yahoo-r3",
        family="yahoo-r3",
        files=(TRAIN,),
        parser=partial(read_one, filename=TRAIN.filename, layout=LAYOUT),
        description="Yahoo! R3: ratings 1-5 of songs the users chose to rate (the MNAR part).",
        feedback="explicit",
        timestamps=False,
        licence=LICENCE,
        citation=CITATION,
        homepage=PAGE,
        aliases=("YahooR3",),
        instructions=HOWTO.format(file=TRAIN.filename),
        notes="Manual download; recorded on first use.",
    ),
    CatalogEntry(
        name="yahoo-r3-random",
        family="yahoo-r3",
        files=(TEST,),
        parser=partial(read_one, filename=TEST.filename, layout=LAYOUT),
        description="Yahoo! R3: ratings 1-5 of songs chosen at random for each test user (the MAR part).",
        feedback="explicit",
        timestamps=False,
        licence=LICENCE,
        citation=CITATION,
        homepage=PAGE,
        aliases=("YahooR3Random",),
        instructions=HOWTO.format(file=TEST.filename),
        notes="Manual download; recorded on first use.",
    ),
)
