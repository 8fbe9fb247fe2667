"""Frappe (Baltrunas et al.): app usage logs with context, ``frappe.csv`` (tab-separated, header).

Header ``user item cnt daytime weekday isweekend homework cost weather country city``;
``cnt`` is how often the user used the app in that context. Only who used which app
is kept.
"""

from __future__ import annotations

from functools import partial

from omnirec_core.data.catalog.common import OMNIREC_PIN, read_one
from omnirec_core.data.catalog.entry import CatalogEntry, RemoteFile
from omnirec_core.data.catalog.tables import Col, Layout

FILE = RemoteFile(
    "Mobile_Frappe.zip",
    (
        "https://www.baltrunas.info/_files/archives/be17b7_474755a5e9684a749a012516d04fb456.zip?dn=Mobile_Frappe.zip",
    ),
    "4adc616de57170f282397f6e6e30215f97fa7ad1b7f40bd12ef5dceaaf3e9b4e",
    pin_source=OMNIREC_PIN,
)
LAYOUT = Layout((Col("user", "user", "intid"), Col("item", "item", "intid")), sep="\t", quote=None)
CITATION = """@article{baltrunas2015frappe,
  title={Frappe: Understanding the Usage and Perception of Mobile App Recommendations In-The-Wild},
  author={Baltrunas, Linas and Church, Karen and Karatzoglou, Alexandros and Oliver, Nuria},
  journal={arXiv preprint arXiv:1505.03014},
  year={2015}
}"""

ENTRIES: tuple[CatalogEntry, ...] = (
    CatalogEntry(
        name="frappe",
        family="frappe",
        files=(FILE,),
        parser=partial(
            read_one, filename=FILE.filename, layout=LAYOUT, member="Mobile_Frappe/frappe/frappe.csv"
        ),
        description="Frappe: which mobile apps users used (context columns dropped).",
        feedback="implicit",
        timestamps=False,
        licence="Shared by the authors for research; cite the paper below (terms not verified here).",
        citation=CITATION,
        homepage="https://www.baltrunas.info/context-aware",
        aliases=("Frappe",),
    ),
)
