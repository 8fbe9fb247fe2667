"""Column files: how bulk data travels between coordinator and runner.

Each column is one ``.npy`` file written atomically; its description (path, sha256,
dtype, row count) is what travels in protocol messages instead of the data.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from omnirec_core.runner.errors import ColumnFileError
from omnirec_core.runner.fs import atomic_open, sha256_file

COLUMN_DTYPES = {
    "user": np.int64,
    "item": np.int64,
    "rating": np.float64,
    "timestamp": np.int64,
    "score": np.float64,
    "rank": np.int64,
}

__all__ = ["COLUMN_DTYPES", "ColumnFileError", "read_columns", "write_columns"]

#: Files this process hashed and found matching: (path, inode, size, mtime in ns) -> sha256.
#: A runner reads a split's columns for every job and trial on it (hashing 8M training rows
#: takes about 0.4 s each time); a file changed since has another stat and is hashed again.
_verified: dict[tuple[str, int, int, int], str] = {}
_VERIFIED_MAX = 4096


def write_columns(directory: Path, columns: dict[str, np.ndarray]) -> dict[str, Any]:
    """Write each column as ``<name>.npy`` atomically; return its description.

    The description ``{"rows": n, "columns": {name: {"path", "sha256", "dtype"}}}`` is what
    travels in protocol messages instead of the data.
    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    rows = None
    desc: dict[str, Any] = {}
    for name, values in columns.items():
        arr = np.ascontiguousarray(values, dtype=COLUMN_DTYPES.get(name))
        if rows is None:
            rows = len(arr)
        elif len(arr) != rows:
            raise ValueError(f"column {name!r} has {len(arr)} rows, expected {rows}")
        path = directory / f"{name}.npy"
        with atomic_open(path, "wb") as fh:
            np.save(fh, arr, allow_pickle=False)
        desc[name] = {"path": str(path), "sha256": sha256_file(path), "dtype": str(arr.dtype)}
    return {"rows": int(rows or 0), "columns": desc}


def read_columns(desc: dict[str, Any], *, verify: bool = True, mmap: bool = False) -> dict[str, np.ndarray]:
    """Load columns described by :func:`write_columns`, checking hash, dtype and length."""
    out: dict[str, np.ndarray] = {}
    for name, col in desc["columns"].items():
        path = Path(col["path"])
        if not path.exists():
            raise ColumnFileError(f"column file {path} is missing")
        if verify and not _matches(path, col["sha256"]):
            raise ColumnFileError(f"column file {path} does not match its recorded sha256")
        try:
            arr = np.load(path, allow_pickle=False, mmap_mode="r" if mmap else None)
        except (ValueError, OSError, EOFError) as exc:
            raise ColumnFileError(f"column file {path} is unreadable: {exc}") from None
        if str(arr.dtype) != col.get("dtype", str(arr.dtype)) or arr.ndim != 1:
            raise ColumnFileError(
                f"column file {path} has dtype {arr.dtype}/{arr.ndim}-d, expected {col.get('dtype')}"
            )
        if len(arr) != desc["rows"]:
            raise ColumnFileError(f"column file {path} has {len(arr)} rows, expected {desc['rows']}")
        out[name] = arr
    return out


def _matches(path: Path, sha256: str) -> bool:
    """Whether the file's SHA-256 is ``sha256``; not hashed again while its stat is unchanged."""
    st = path.stat()
    ident = (str(path), st.st_ino, st.st_size, st.st_mtime_ns)
    if _verified.get(ident) == sha256:
        return True
    if sha256_file(path) != sha256:
        return False
    if len(_verified) >= _VERIFIED_MAX:
        _verified.clear()
    _verified[ident] = sha256
    return True
