"""The requirements of the ``omnirec`` distribution (the rest is in pyproject.toml).

``omnirec`` is omnirec-core plus the LensKit, RecBole and RecPack runner plugins. Built
inside an omnirec source checkout (``pip install ./packages/omnirec``), it requires them
from that checkout (direct file references), so one path installs everything. Built from
an sdist elsewhere, or with ``OMNIREC_DEPS=index`` (releases), it requires version ranges
that pip resolves from the package index.
"""

from __future__ import annotations

import os
from pathlib import Path

from setuptools import setup

ROOT = Path(__file__).resolve().parents[2]
RANGE = ">=0.1,<0.2"
#: distribution -> its directory in a source checkout
SOURCES = {
    "omnirec-core": ".",
    "omnirec-lenskit": "plugins/omnirec-lenskit",
    "omnirec-recbole": "plugins/omnirec-recbole",
    "omnirec-recpack": "plugins/omnirec-recpack",
    "omnirec-implicit": "plugins/omnirec-implicit",
    "omnirec-cornac": "plugins/omnirec-cornac",
}
BATTERIES = ("omnirec-core", "omnirec-lenskit", "omnirec-recbole", "omnirec-recpack")
MORE_RUNNERS = {"implicit": "omnirec-implicit", "cornac": "omnirec-cornac"}
CORE_EXTRAS = ("tune", "parquet", "ray", "report")


def from_checkout() -> bool:
    if os.environ.get("OMNIREC_DEPS", "") == "index":
        return False
    return (ROOT / "omnirec_core" / "__init__.py").is_file() and all(
        (ROOT / path / "pyproject.toml").is_file() for path in SOURCES.values()
    )


def requirement(dist: str, extra: str = "") -> str:
    extras = f"[{extra}]" if extra else ""
    if from_checkout():
        return f"{dist}{extras} @ {(ROOT / SOURCES[dist]).resolve().as_uri()}"
    return f"{dist}{extras}{RANGE}"


extras = {name: [requirement(dist)] for name, dist in MORE_RUNNERS.items()}
extras["all"] = [requirement(dist) for dist in MORE_RUNNERS.values()]
extras.update({name: [requirement("omnirec-core", name)] for name in CORE_EXTRAS})

setup(install_requires=[requirement(dist) for dist in BATTERIES], extras_require=extras)
