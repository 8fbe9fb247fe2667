"""Anime Recommendations Database (Kaggle, from MyAnimeList): ``rating.csv``; manual download.

Header ``user_id,anime_id,rating``; ratings 1-10, and -1 for an anime the user watched
without rating it.
"""

from __future__ import annotations

from functools import partial

from omnirec_core.data.catalog.common import OMNIREC_PIN, read_ratings, stats
from omnirec_core.data.catalog.entry import CatalogEntry, RemoteFile
from omnirec_core.data.catalog.tables import Col, Layout

FILE = RemoteFile(
    "archive.zip",
    (),
    "49595ab309d1d773ae66464379dc23d813466199816ae6b24e38bc73b8f2cd12",
    pin_source=OMNIREC_PIN,
)
LAYOUT = Layout(
    (Col("user_id", "user", "intid"), Col("anime_id", "item", "intid"), Col("rating", "rating", "float"))
)
PAGE = "https://www.kaggle.com/datasets/CooperUnion/anime-recommendations-database"
CITATION = """@misc{cooperunion2016anime,
  title={Anime Recommendations Database},
  author={{CooperUnion}},
  howpublished={\\url{https://www.kaggle.com/datasets/CooperUnion/anime-recommendations-database}},
  year={2016}
}"""
LICENCE = "CC0: Public Domain, as stated on the Kaggle page (not verified here); data from myanimelist.net."
HOWTO = f"Kaggle requires signing in: download {PAGE} as archive.zip and put it, unchanged, in the folder named below."


ENTRIES: tuple[CatalogEntry, ...] = (
    CatalogEntry(
        name="anime",
        family="anime",
        files=(FILE,),
        parser=partial(
            read_ratings, filename=FILE.filename, layout=LAYOUT, member="rating.csv", explicit=True
        ),
        description="Anime (MyAnimeList): ratings 1-10 (watched but unrated rows, -1, left out).",
        feedback="explicit",
        timestamps=False,
        licence=LICENCE,
        citation=CITATION,
        homepage=PAGE,
        aliases=("Anime",),
        instructions=HOWTO,
        notes="The archive is checked against OmniRec's pin.",
    ),
    CatalogEntry(
        name="anime-watched",
        family="anime",
        files=(FILE,),
        parser=partial(
            read_ratings, filename=FILE.filename, layout=LAYOUT, member="rating.csv", explicit=False
        ),
        description="Anime (MyAnimeList): every anime each user completed, rated or not.",
        feedback="implicit",
        timestamps=False,
        licence=LICENCE,
        citation=CITATION,
        homepage=PAGE,
        size="7.81M",
        expected=stats(73_515, 11_200, 7_813_737),
        instructions=HOWTO,
        notes="Statistics from RecBole's dataset_info.",
    ),
)
