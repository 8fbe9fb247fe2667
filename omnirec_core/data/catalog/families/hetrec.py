"""HetRec 2011 (GroupLens): Last.fm, Delicious and MovieLens-2k, tab-separated with headers.

Each archive holds ``.dat`` files at its root: ``user_artists.dat`` (``userID artistID
weight``: listening counts), ``user_taggedartists-timestamps.dat`` and
``user_taggedbookmarks-timestamps.dat`` (``userID <item>ID tagID timestamp``, one row
per tag assignment, times in milliseconds) and ``user_ratedmovies-timestamps.dat``
(``userID movieID rating timestamp``).
"""

from __future__ import annotations

from functools import partial

from omnirec_core.data.catalog.common import OMNIREC_PIN, read_one, stats
from omnirec_core.data.catalog.entry import CatalogEntry, RemoteFile
from omnirec_core.data.catalog.tables import Col, Layout

BASE = "https://files.grouplens.org/datasets/hetrec2011/"
HOMEPAGE = "https://grouplens.org/datasets/hetrec-2011/"
LICENCE = (
    "Released by GroupLens for research in the HetRec 2011 workshop; see the readme.txt in each "
    "archive (cite the workshop; the Last.fm and MovieLens parts also fall under the terms of "
    "Last.fm and MovieLens)."
)
CITATION = """@inproceedings{cantador2011hetrec,
  title={2nd Workshop on Information Heterogeneity and Fusion in Recommender Systems (HetRec 2011)},
  author={Cantador, Iv{\\'a}n and Brusilovsky, Peter and Kuflik, Tsvi},
  booktitle={Proceedings of the 5th ACM Conference on Recommender Systems (RecSys 2011)},
  year={2011}
}"""

LASTFM = RemoteFile(
    "hetrec2011-lastfm-2k.zip",
    (BASE + "hetrec2011-lastfm-2k.zip",),
    "6738f48195667ff03caaab4d32ca9a3133d8cc026b7c3cdaf6ce1010e913c59c",
    pin_source=OMNIREC_PIN,
)
DELICIOUS = RemoteFile("hetrec2011-delicious-2k.zip", (BASE + "hetrec2011-delicious-2k.zip",))
MOVIELENS = RemoteFile("hetrec2011-movielens-2k-v2.zip", (BASE + "hetrec2011-movielens-2k-v2.zip",))


def _tagged(item: str) -> Layout:
    return Layout(
        (
            Col("userID", "user", "intid"),
            Col(item, "item", "intid"),
            Col("timestamp", "timestamp", "time", "ms"),
        ),
        sep="\t",
        quote=None,
    )


LISTENS = Layout((Col("userID", "user", "intid"), Col("artistID", "item", "intid")), sep="\t", quote=None)
RATED = Layout(
    (
        Col("userID", "user", "intid"),
        Col("movieID", "item", "intid"),
        Col("rating", "rating", "float"),
        Col("timestamp", "timestamp", "time", "ms"),
    ),
    sep="\t",
    quote=None,
)


def _entry(name: str, file: RemoteFile, member: str, layout: Layout, **kw: object) -> CatalogEntry:
    return CatalogEntry(
        name=name,
        family="hetrec2011",
        files=(file,),
        parser=partial(read_one, filename=file.filename, layout=layout, member=member),
        licence=LICENCE,
        citation=CITATION,
        homepage=HOMEPAGE,
        **kw,  # type: ignore[arg-type]
    )


ENTRIES: tuple[CatalogEntry, ...] = (
    _entry(
        "hetrec-lastfm",
        LASTFM,
        "user_artists.dat",
        LISTENS,
        description="HetRec 2011 Last.fm: which artists 1,892 users listened to (listening counts dropped).",
        feedback="implicit",
        timestamps=False,
        aliases=("lastfm-2k", "lastfm"),
        size="92.8K",
        expected=stats(1_892, 17_632, 92_834),
        notes="Expected statistics from RecBole's dataset_info (its 'lastfm' is this file).",
    ),
    _entry(
        "hetrec-lastfm-tags",
        LASTFM,
        "user_taggedartists-timestamps.dat",
        _tagged("artistID"),
        description="HetRec 2011 Last.fm: user-artist pairs from tag assignments, with times (OmniRec's HetrecLastFM).",
        feedback="implicit",
        timestamps=True,
        aliases=("HetrecLastFM",),
        notes="One row per tag assignment; repeated (user, artist) pairs collapse to the latest.",
    ),
    _entry(
        "hetrec-delicious",
        DELICIOUS,
        "user_taggedbookmarks-timestamps.dat",
        _tagged("bookmarkID"),
        description="HetRec 2011 Delicious: user-bookmark pairs from tag assignments, with times.",
        feedback="implicit",
        timestamps=True,
        aliases=("HetrecDelicious",),
        notes="No published checksum: first use. One row per tag assignment.",
    ),
    _entry(
        "hetrec-movielens-2k",
        MOVIELENS,
        "user_ratedmovies-timestamps.dat",
        RATED,
        description="HetRec 2011 MovieLens-2k: half-star ratings of 2,113 users on 10,197 movies (from ML-10M).",
        feedback="explicit",
        timestamps=True,
        aliases=("movielens-2k", "HetrecMovieLens"),
        size="856K",
        expected=stats(2_113, 10_197, 855_598),
        notes="No published checksum: first use. Statistics from the archive's readme.",
    ),
)
