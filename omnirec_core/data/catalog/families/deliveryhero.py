"""Delivery Hero recommendation dataset (Singapore, Sweden, Taiwan): orders of food products.

``data_<cc>.zip`` holds ``data_<cc>/orders_<cc>.txt``, CSV with a header including
``customer_id``, ``product_id``, ``order_day`` (``"12 days"``, days since the start of
the data) and ``order_time`` (``HH:MM:SS``). The time of an order is
``days * 86400 + seconds of the day``: seconds since the start of the data, not since 1970.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd

from omnirec_core.data.catalog.common import OMNIREC_PIN
from omnirec_core.data.catalog.entry import CatalogEntry, RemoteFile
from omnirec_core.data.catalog.members import Member
from omnirec_core.data.catalog.report import report_values
from omnirec_core.data.catalog.tables import Col, Layout, read_table

DRIVE = "https://drive.usercontent.google.com/download?id={}&export=download&confirm=t"
LAYOUT = Layout(
    (
        Col("customer_id", "user", "id"),
        Col("product_id", "item", "id"),
        Col("order_day", "day", "str"),
        Col("order_time", "clock", "str"),
    )
)
CITATION = """@misc{deliveryhero_reco,
  title={Delivery Hero Recommendation Dataset},
  author={{Delivery Hero SE}},
  note={Orders of food products in Singapore, Sweden and Taiwan}
}"""


def order_seconds(day: pd.Series, clock: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """``("12 days", "13:05:00")`` -> seconds since the start; and which rows parsed."""
    days = pd.to_numeric(day.astype(str).str.extract(r"^\s*(-?\d+)\s+days?\s*$")[0], errors="coerce")
    parts = clock.astype(str).str.extract(r"^\s*(\d{1,2}):(\d{2}):(\d{2})(?:\.\d+)?\s*$")
    hms = parts.apply(pd.to_numeric, errors="coerce")
    seconds = days * 86400 + hms[0] * 3600 + hms[1] * 60 + hms[2]
    ok = seconds.notna().to_numpy()
    return np.where(ok, seconds.fillna(0).to_numpy(), 0).astype("int64"), ok


def read_orders(paths: Mapping[str, Path], country: str) -> pd.DataFrame:
    filename = f"data_{country}.zip"
    member = Member(paths[filename], f"data_{country}/orders_{country}.txt")
    df = read_table(member, LAYOUT)
    seconds, ok = order_seconds(df["day"], df["clock"])
    pairs = list(zip(df["day"], df["clock"]))
    report_values(f"{member.label}: order_day/order_time", len(df), ~ok, pairs, "not a day and time")
    return pd.DataFrame(
        {"user": df["user"][ok], "item": df["item"][ok], "timestamp": seconds[ok]}
    ).reset_index(drop=True)


# (country code, name, Google Drive id and SHA-256 from OmniRec's registry)
COUNTRIES: tuple[tuple[str, str, str, str], ...] = (
    (
        "se",
        "Sweden",
        "11OsafYu26ISaUfGEXzFSwNyKDJxKCy8e",
        "2a3947bd29a892a634882b0ec45e4d47a09e68dfdc74fca353b53467eeb43da4",
    ),
    (
        "sg",
        "Singapore",
        "1v-FfCbLtv02EpNpopDx25EQnHZeT1nL2",
        "55a94a5c7eeba9610776b864aae7d653426afdb8aae93e5fa5050cbdc1c25d32",
    ),
    (
        "tw",
        "Taiwan",
        "1Td7sTeJ7xcP8DLcY4bOQ_JqWUdqT93Ox",
        "83e8c0f5bfb4c27f14e3dd13964cc72117975397d7bee2522336301eaed781ec",
    ),
)


def _entry(cc: str, country: str, drive_id: str, sha: str) -> CatalogEntry:
    return CatalogEntry(
        name=f"deliveryhero-{cc}",
        family="deliveryhero",
        files=(RemoteFile(f"data_{cc}.zip", (DRIVE.format(drive_id),), sha, pin_source=OMNIREC_PIN),),
        parser=partial(read_orders, country=cc),
        description=f"Delivery Hero, {country}: food products customers ordered, with relative order times.",
        feedback="implicit",
        timestamps=True,
        licence="Released by Delivery Hero for research; see the dataset's repository for its terms (not verified here).",
        citation=CITATION,
        homepage="",
        aliases=(f"DeliveryHero{cc.upper()}",),
        notes=(
            "Times are seconds since the start of the data (order day and time of day), not since "
            "1970. The paper that introduced the data could not be verified, so the citation names "
            "the provider only; cite the paper from the dataset's own page."
        ),
    )


ENTRIES: tuple[CatalogEntry, ...] = tuple(_entry(*c) for c in COUNTRIES)
