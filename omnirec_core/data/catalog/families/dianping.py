"""Dianping (Hui Li): restaurant ratings with a social network, and user action sequences.

``Dianping_SocialRec_2015.tar.bz2`` holds ``Dianping_SocialRec_2015/rating.txt``:
``user|item|rating|time``. ``Dianping_SequentialRec.tar.bz2`` holds
``Dianping_SequentialRec/actions.txt``: ``user,item,rating,time,...`` where the rating
is ``-`` for actions without one. The time format is not documented where we looked:
epoch seconds and ISO dates are both accepted.
"""

from __future__ import annotations

from functools import partial

from omnirec_core.data.catalog.common import OMNIREC_PIN, read_one
from omnirec_core.data.catalog.entry import CatalogEntry, RemoteFile
from omnirec_core.data.catalog.tables import Col, Layout

TIME = "s||%Y-%m-%d %H:%M:%S||%Y-%m-%d"
SOCIAL = RemoteFile(
    "Dianping_SocialRec_2015.tar.bz2",
    ("https://lihui.info/file/Dianping_SocialRec_2015.tar.bz2",),
    "adcb6bffff16136a99e390cafd0f549a7e7f3028351e19886e9e3696b0722275",
    pin_source=OMNIREC_PIN,
)
SEQUENTIAL = RemoteFile(
    "Dianping_SequentialRec.tar.bz2",
    ("https://lihui.info/file/Dianping_SequentialRec.tar.bz2",),
    "d6c72dfcf89cab73cd8413ff226b051d3170169c8e6db5216827e5b779e7dc48",
    pin_source=OMNIREC_PIN,
)
SOCIAL_LAYOUT = Layout(
    (
        Col(0, "user", "intid"),
        Col(1, "item", "intid"),
        Col(2, "rating", "float"),
        Col(3, "timestamp", "time", TIME),
    ),
    sep="|",
    header=False,
    quote=None,
)
SEQUENTIAL_LAYOUT = Layout(
    (Col(0, "user", "intid"), Col(1, "item", "intid"), Col(3, "timestamp", "time", TIME)),
    header=False,
    quote=None,
)
CITATION_SOCIAL = """@inproceedings{li2015overlapping,
  title={Overlapping Community Regularization for Rating Prediction in Social Recommender Systems},
  author={Li, Hui and Wu, Dingming and Tang, Wenbin and Mamoulis, Nikos},
  booktitle={Proceedings of the 9th ACM Conference on Recommender Systems (RecSys)},
  pages={27--34},
  year={2015}
}"""
CITATION_SEQUENTIAL = """@misc{li_dianping_sequential,
  title={Dianping SequentialRec dataset},
  author={Li, Hui},
  howpublished={\\url{https://lihui.info/data/}}
}"""
LICENCE = "Shared by the author for research; cite the paper listed on the data page."
NOTE = "The layout follows OmniRec's loader; the time format was not verified (seconds and dates accepted)."

ENTRIES: tuple[CatalogEntry, ...] = (
    CatalogEntry(
        name="dianping",
        family="dianping",
        files=(SOCIAL,),
        parser=partial(
            read_one,
            filename=SOCIAL.filename,
            layout=SOCIAL_LAYOUT,
            member="Dianping_SocialRec_2015/rating.txt",
        ),
        description="Dianping (2015 social recommendation set): restaurant ratings 1-5, with times.",
        feedback="explicit",
        timestamps=True,
        licence=LICENCE,
        citation=CITATION_SOCIAL,
        homepage="https://lihui.info/data/",
        aliases=("DianpingSocialRec",),
        notes=NOTE,
    ),
    CatalogEntry(
        name="dianping-sequential",
        family="dianping",
        files=(SEQUENTIAL,),
        parser=partial(
            read_one,
            filename=SEQUENTIAL.filename,
            layout=SEQUENTIAL_LAYOUT,
            member="Dianping_SequentialRec/actions.txt",
        ),
        description="Dianping sequential recommendation set: which businesses users acted on, with times.",
        feedback="implicit",
        timestamps=True,
        licence=LICENCE,
        citation=CITATION_SEQUENTIAL,
        homepage="https://lihui.info/data/",
        aliases=("DianpingSequentialRec",),
        notes=NOTE + " The paper to cite could not be identified; see the data page.",
    ),
)
