"""Tmall (IJCAI-16 contest) and Taobao UserBehavior (Tianchi); manual downloads.

Tmall: ``ijcai2016_taobao.csv``, header ``use_ID,sel_ID,ite_ID,cat_ID,act_ID,time``
(``act_ID`` 0 = click, 1 = buy; ``time`` as ``YYYYMMDD``). UserBehavior:
``UserBehavior.csv``, no header: ``user,item,category,behavior,timestamp`` with
behaviour ``pv``, ``buy``, ``cart`` or ``fav``.
"""

from __future__ import annotations

from functools import partial

from omnirec_core.data.catalog.common import read_one, stats
from omnirec_core.data.catalog.entry import CatalogEntry, RemoteFile
from omnirec_core.data.catalog.tables import Col, Layout

TMALL = RemoteFile("ijcai2016_taobao.csv")
BEHAVIOUR = RemoteFile("UserBehavior.csv")
TIANCHI_TERMS = "Tianchi dataset terms (registration required): research use, no redistribution."
CITATION_TMALL = """@misc{ijcai16tmall,
  title={{IJCAI-16} Brick-and-Mortar Store Recommendation with Budget Constraints},
  author={{Alibaba Tianchi}},
  howpublished={\\url{https://tianchi.aliyun.com/dataset/53}},
  year={2016}
}"""
CITATION_BEHAVIOUR = """@inproceedings{zhu2018learning,
  title={Learning Tree-based Deep Model for Recommender Systems},
  author={Zhu, Han and Li, Xiang and Zhang, Pengye and Li, Guozheng and He, Jie and Li, Han and Gai, Kun},
  booktitle={Proceedings of the 24th ACM SIGKDD International Conference on Knowledge Discovery and Data Mining},
  pages={1079--1088},
  year={2018}
}"""


def _tmall_layout(action: int) -> Layout:
    return Layout(
        (
            Col("use_ID", "user", "intid"),
            Col("ite_ID", "item", "intid"),
            Col("time", "timestamp", "time", "%Y%m%d"),
            Col("act_ID", "action", "int"),
        ),
        where={"action": (action,)},
    )


def _behaviour_layout(behaviour: str) -> Layout:
    return Layout(
        (
            Col(0, "user", "intid"),
            Col(1, "item", "intid"),
            Col(4, "timestamp", "time"),
            Col(3, "behaviour", "str"),
        ),
        header=False,
        where={"behaviour": (behaviour,)},
    )


def _tmall(action: int, kind: str, recbole: str, counts: tuple[int, int, int]) -> CatalogEntry:
    return CatalogEntry(
        name=f"tmall-{kind}",
        family="tmall",
        files=(TMALL,),
        parser=partial(read_one, filename=TMALL.filename, layout=_tmall_layout(action), drop=("action",)),
        description=f"Tmall (IJCAI-16): online {kind} actions of users on items, with dates.",
        feedback="implicit",
        timestamps=True,
        licence=TIANCHI_TERMS,
        citation=CITATION_TMALL,
        homepage="https://tianchi.aliyun.com/dataset/53",
        aliases=(recbole,) + (("Tmall",) if kind == "click" else ()),
        size=f"{counts[2] / 1e6:.3g}M",
        expected=stats(*counts),
        instructions=(
            "Tianchi requires an account: download the IJCAI-16 data from https://tianchi.aliyun.com/dataset/53, "
            "extract ijcai2016_taobao.csv and put it in the folder named below."
        ),
        notes="Statistics (before duplicates are dropped) from RecBole's dataset_info.",
    )


def _behaviour(behaviour: str, label: str) -> CatalogEntry:
    return CatalogEntry(
        name=f"taobao-{behaviour}",
        family="taobao",
        files=(BEHAVIOUR,),
        parser=partial(
            read_one, filename=BEHAVIOUR.filename, layout=_behaviour_layout(behaviour), drop=("behaviour",)
        ),
        description=f"Taobao UserBehavior (25 Nov - 3 Dec 2017): {label} events of users on items, with times.",
        feedback="implicit",
        timestamps=True,
        licence=TIANCHI_TERMS,
        citation=CITATION_BEHAVIOUR,
        homepage="https://tianchi.aliyun.com/dataset/649",
        aliases=("TaobaoUserBehavior",) if behaviour == "pv" else (),
        instructions=(
            "Tianchi requires an account: download UserBehavior.csv.zip from https://tianchi.aliyun.com/dataset/649, "
            "extract UserBehavior.csv and put it in the folder named below."
        ),
    )


ENTRIES: tuple[CatalogEntry, ...] = (
    _tmall(0, "click", "tmall-click-not-merged", (626_041, 2_200_291, 35_179_371)),
    _tmall(1, "buy", "tmall-buy-not-merged", (885_759, 1_144_124, 9_348_756)),
    _behaviour("pv", "page-view"),
    _behaviour("buy", "purchase"),
    _behaviour("cart", "add-to-cart"),
    _behaviour("fav", "favourite"),
)
