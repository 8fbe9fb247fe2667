"""Book-Crossing (Ziegler et al., 2004): ``BX-Book-Ratings.csv`` in ``BX-CSV-Dump.zip``.

Semicolon-separated, every field in double quotes, header
``"User-ID";"ISBN";"Book-Rating"``, Latin-1. Ratings 1-10 are explicit; 0 marks an
implicit interaction (the book was read or owned, not rated).
"""

from __future__ import annotations

from functools import partial

from omnirec_core.data.catalog.common import read_ratings, stats
from omnirec_core.data.catalog.entry import CatalogEntry, RemoteFile
from omnirec_core.data.catalog.tables import Col, Layout

MEMBER = "BX-Book-Ratings.csv"
FILE = RemoteFile("BX-CSV-Dump.zip", ("http://www2.informatik.uni-freiburg.de/~cziegler/BX/BX-CSV-Dump.zip",))
LAYOUT = Layout(
    (Col("User-ID", "user", "intid"), Col("ISBN", "item", "id"), Col("Book-Rating", "rating", "float")),
    sep=";",
    encoding="latin-1",
)
CITATION = """@inproceedings{ziegler2005improving,
  title={Improving Recommendation Lists through Topic Diversification},
  author={Ziegler, Cai-Nicolas and McNee, Sean M. and Konstan, Joseph A. and Lausen, Georg},
  booktitle={Proceedings of the 14th International Conference on World Wide Web (WWW)},
  pages={22--32},
  year={2005}
}"""
LICENCE = (
    "Freely available for research use when acknowledged with the citation below (per the dataset page)."
)
NOTE = (
    "No published checksum: first use. The original host is often offline; place BX-CSV-Dump.zip "
    "in the folder yourself if the download fails."
)


ENTRIES: tuple[CatalogEntry, ...] = (
    CatalogEntry(
        name="book-crossing",
        family="book-crossing",
        files=(FILE,),
        parser=partial(read_ratings, filename=FILE.filename, layout=LAYOUT, member=MEMBER, explicit=True),
        description="Book-Crossing: explicit ratings 1-10 of books (rows with rating 0 left out).",
        feedback="explicit",
        timestamps=False,
        licence=LICENCE,
        citation=CITATION,
        homepage="http://www2.informatik.uni-freiburg.de/~cziegler/BX/",
        aliases=("BookCrossing", "bookcrossing"),
        notes=NOTE,
    ),
    CatalogEntry(
        name="book-crossing-all",
        family="book-crossing",
        files=(FILE,),
        parser=partial(read_ratings, filename=FILE.filename, layout=LAYOUT, member=MEMBER, explicit=False),
        description="Book-Crossing: every user-book interaction, explicit (1-10) and implicit (0), as implicit feedback.",
        feedback="implicit",
        timestamps=False,
        licence=LICENCE,
        citation=CITATION,
        homepage="http://www2.informatik.uni-freiburg.de/~cziegler/BX/",
        size="1.15M",
        expected=stats(105_284, 340_557, 1_149_780),
        notes=NOTE + " Statistics from RecBole's dataset_info.",
    ),
)
