"""Where a registered dataset's files come from: their locations and published checksums."""

from __future__ import annotations

from typing import Any

from omnirec_core.data import catalog
from omnirec_core.data.movielens import release


def published_files(name: str) -> list[dict[str, Any]]:
    """``file``, ``urls``, ``sha256`` (``None`` when unpublished), ``pin_source`` and
    ``manual`` of each file registered dataset ``name`` is read from ([] when unknown)."""
    try:
        found = catalog.entry(name)
    except KeyError:
        found = None
    if found is not None:
        return [
            {
                "file": f.filename,
                "urls": list(f.urls),
                "sha256": f.sha256,
                "pin_source": f.pin_source,
                "manual": f.manual,
            }
            for f in found.files
        ]
    # The MovieLens core family is not in the catalogue: its releases list their sources.
    try:
        ml = release(name)
    except KeyError:
        return []
    return [
        {
            "file": ml.archive,
            "urls": [ml.url],
            "sha256": ml.sha256,
            "pin_source": "tensorflow-datasets / GroupLens",
            "manual": False,
        }
    ]
