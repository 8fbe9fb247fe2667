"""FilmTrust and CiaoDVD as distributed by LibRec (Guo et al.).

``filmtrust.zip``: ``ratings.txt``, ``user item rating`` separated by blanks, ratings
0.5-4. ``CiaoDVD.zip``: ``movie-ratings.txt``, comma-separated, no header:
``userID,movieID,genreID,reviewID,movieRating,date`` (``YYYY-MM-DD``).
"""

from __future__ import annotations

from functools import partial

from omnirec_core.data.catalog.common import OMNIREC_PIN, read_one
from omnirec_core.data.catalog.entry import CatalogEntry, RemoteFile
from omnirec_core.data.catalog.tables import WHITESPACE, Col, Layout

BASE = "https://guoguibing.github.io/librec/datasets/"
FILMTRUST = RemoteFile(
    "filmtrust.zip",
    (BASE + "filmtrust.zip",),
    "de4a55cb4ae26f663d88e9ad1ba1fae2d0d6d7a7499e37dc5245bab470c2d13c",
    pin_source=OMNIREC_PIN,
)
CIAODVD = RemoteFile(
    "CiaoDVD.zip",
    (BASE + "CiaoDVD.zip",),
    "e36e06034dcf767f0f5cac120b03f262caef68cba86690e451571c13fa3236dd",
    pin_source=OMNIREC_PIN,
)
FILMTRUST_LAYOUT = Layout(
    (Col(0, "user", "intid"), Col(1, "item", "intid"), Col(2, "rating", "float")),
    sep=WHITESPACE,
    header=False,
)
CIAODVD_LAYOUT = Layout(
    (
        Col(0, "user", "intid"),
        Col(1, "item", "intid"),
        Col(4, "rating", "float"),
        Col(5, "timestamp", "time", "%Y-%m-%d"),
    ),
    header=False,
)
LICENCE = "Shared by the LibRec authors for research; cite the paper below."
CITATION_FILMTRUST = """@inproceedings{guo2013novel,
  title={A Novel Bayesian Similarity Measure for Recommender Systems},
  author={Guo, Guibing and Zhang, Jie and Yorke-Smith, Neil},
  booktitle={Proceedings of the 23rd International Joint Conference on Artificial Intelligence (IJCAI)},
  pages={2619--2625},
  year={2013}
}"""
CITATION_CIAODVD = """@inproceedings{guo2014etaf,
  title={{ETAF}: An Extended Trust Antecedents Framework for Trust Prediction},
  author={Guo, Guibing and Zhang, Jie and Thalmann, Daniel and Yorke-Smith, Neil},
  booktitle={Proceedings of the 2014 IEEE/ACM International Conference on Advances in Social Networks Analysis and Mining (ASONAM)},
  pages={540--547},
  year={2014}
}"""

ENTRIES: tuple[CatalogEntry, ...] = (
    CatalogEntry(
        name="filmtrust",
        family="librec",
        files=(FILMTRUST,),
        parser=partial(read_one, filename=FILMTRUST.filename, layout=FILMTRUST_LAYOUT, member="ratings.txt"),
        description="FilmTrust: ratings 0.5-4 of films (the trust network is not loaded).",
        feedback="explicit",
        timestamps=False,
        licence=LICENCE,
        citation=CITATION_FILMTRUST,
        homepage="https://guoguibing.github.io/librec/datasets.html",
        aliases=("FilmTrust",),
    ),
    CatalogEntry(
        name="ciaodvd",
        family="librec",
        files=(CIAODVD,),
        parser=partial(
            read_one, filename=CIAODVD.filename, layout=CIAODVD_LAYOUT, member="movie-ratings.txt"
        ),
        description="CiaoDVD: ratings 1-5 of DVDs, with dates (the trust network is not loaded).",
        feedback="explicit",
        timestamps=True,
        licence=LICENCE,
        citation=CITATION_CIAODVD,
        homepage="https://guoguibing.github.io/librec/datasets.html",
        aliases=("CiaoDVD",),
    ),
)
