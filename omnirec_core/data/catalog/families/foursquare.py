"""Foursquare NYC and Tokyo check-ins (Yang et al., TSMC 2014).

``dataset_tsmc2014.zip`` holds ``dataset_tsmc2014/dataset_TSMC2014_{NYC,TKY}.txt``:
tab-separated, no header, Latin-1: user, venue, venue category id, category name,
latitude, longitude, time-zone offset (minutes), UTC time such as
``Tue Apr 03 18:00:09 +0000 2012``.
"""

from __future__ import annotations

from functools import partial

from omnirec_core.data.catalog.common import read_one, stats
from omnirec_core.data.catalog.entry import CatalogEntry, RemoteFile
from omnirec_core.data.catalog.tables import Col, Layout

FILE = RemoteFile(
    "dataset_tsmc2014.zip",
    (
        "http://www-public.imtbs-tsp.eu/~zhang_da/pub/dataset_tsmc2014.zip",
        "http://www-public.it-sudparis.eu/~zhang_da/pub/dataset_tsmc2014.zip",
    ),
)
LAYOUT = Layout(
    (Col(0, "user", "intid"), Col(1, "item", "id"), Col(7, "timestamp", "time", "%a %b %d %H:%M:%S %z %Y")),
    sep="\t",
    header=False,
    encoding="latin-1",
    quote=None,
)
CITATION = """@article{yang2015modeling,
  title={Modeling User Activity Preference by Leveraging User Spatial Temporal Characteristics in LBSNs},
  author={Yang, Dingqi and Zhang, Daqing and Zheng, Vincent W. and Yu, Zhiyong},
  journal={IEEE Transactions on Systems, Man, and Cybernetics: Systems},
  volume={45},
  number={1},
  pages={129--142},
  year={2015}
}"""


def _entry(city: str, label: str, counts: tuple[int, int, int], aliases: tuple[str, ...]) -> CatalogEntry:
    return CatalogEntry(
        name=f"foursquare-{city.lower()}",
        family="foursquare",
        files=(FILE,),
        parser=partial(
            read_one,
            filename=FILE.filename,
            layout=LAYOUT,
            member=f"dataset_tsmc2014/dataset_TSMC2014_{city}.txt",
        ),
        description=f"Foursquare check-ins in {label}, Apr 2012 - Feb 2013 (repeat visits collapse to the latest).",
        feedback="implicit",
        timestamps=True,
        licence="Shared by the authors for research; cite the paper below (see the dataset's readme).",
        citation=CITATION,
        homepage="https://sites.google.com/site/yangdingqi/home/foursquare-dataset",
        aliases=aliases,
        size=f"{counts[2] / 1e3:.0f}K",
        expected=stats(*counts),
        notes=(
            "No published checksum: first use. Check-in counts from the dataset's readme, users "
            "and venues from RecBole's dataset_info."
        ),
    )


ENTRIES: tuple[CatalogEntry, ...] = (
    _entry("NYC", "New York City", (1_083, 38_333, 227_428), ("FoursquareNYC",)),
    _entry("TKY", "Tokyo", (2_293, 61_858, 573_703), ("FoursquareTKY", "FoursquareTokyo")),
)
