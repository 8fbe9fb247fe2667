"""The dataset file: one ``.npz`` archive with a JSON header, no pickles.

Layout: ``__meta__`` (UTF-8 JSON: format name and version, dataset name, kind, lineage,
meta, list of parts), ``user_ids`` / ``item_ids``, and one array per column per part,
named ``<part>/<column>`` (parts: ``raw``, ``train``, ``val``, ``test``, ``fold<i>/<part>``).
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from omnirec_core.data.canon import COLUMNS
from omnirec_core.data.model import DatasetFields, FoldedData, RawData, SplitData
from omnirec_core.errors import DataError
from omnirec_core.runner.fs import atomic_open

FORMAT = "omnirec-dataset"
VERSION = 1


def _id_array(ids: np.ndarray) -> np.ndarray:
    if ids.dtype.kind in "iufU":
        return ids
    return np.asarray([str(x) for x in ids.tolist()], dtype=str)


def save_dataset(ds: DatasetFields | Any, path: Path) -> Path:
    """Write a dataset (anything with the fields of :class:`DatasetFields`) to ``path``."""
    arrays: dict[str, Any] = {
        "user_ids": _id_array(ds.user_ids),
        "item_ids": _id_array(ds.item_ids),
    }
    parts: list[str] = []

    def add(prefix: str, df: pd.DataFrame) -> None:
        parts.append(prefix)
        for col in COLUMNS:
            if col in df.columns:
                arrays[f"{prefix}/{col}"] = df[col].to_numpy()

    d = ds.data
    if isinstance(d, RawData):
        kind = "raw"
        add("raw", d.df)
    elif isinstance(d, SplitData):
        kind = "split"
        for name, df in d.parts().items():
            add(name, df)
    elif isinstance(d, FoldedData):
        kind = "folded"
        for i, fold in enumerate(d.folds):
            for name, df in fold.parts().items():
                add(f"fold{i}/{name}", df)
    else:
        raise DataError(f"cannot save data of type {type(d).__name__}")
    header = {
        "format": FORMAT,
        "version": VERSION,
        "name": ds.name,
        "kind": kind,
        "parts": parts,
        "lineage": ds.lineage,
        "meta": ds.meta,
    }
    arrays["__meta__"] = np.frombuffer(json.dumps(header, default=str).encode(), dtype=np.uint8)
    if path.suffix != ".npz":
        path = path.with_name(path.name + ".npz")
    with atomic_open(path, "wb") as fh:
        np.savez(fh, **arrays)
    return path


def _frame(z: Any, prefix: str) -> pd.DataFrame:
    cols = {c: z[f"{prefix}/{c}"] for c in COLUMNS if f"{prefix}/{c}" in z.files}
    if "user" not in cols or "item" not in cols:
        raise KeyError(f"part {prefix!r} has no user/item columns")
    return pd.DataFrame(cols, copy=False)  # the arrays were just read: no second copy


def load_dataset(path: Path) -> DatasetFields:
    """The fields of the dataset file at ``path`` (a clear DataError when it is not one)."""
    if not path.exists() and path.with_name(path.name + ".npz").exists():
        path = path.with_name(path.name + ".npz")
    if not path.exists():
        raise DataError(f"no dataset file at {path}")
    try:
        # Our own handle: np.load leaks the file it opened when the zip is corrupt.
        with open(path, "rb") as fh:
            loaded = np.load(fh, allow_pickle=False)
            if not isinstance(loaded, np.lib.npyio.NpzFile):  # a bare .npy array
                raise DataError(f"{path} is not an omnirec dataset file (a plain numpy array)")
            with loaded as z:
                if "__meta__" not in z.files:
                    raise DataError(f"{path} is not an omnirec dataset file (no header)")
                header = json.loads(z["__meta__"].tobytes().decode())
                if header.get("format") != FORMAT:
                    raise DataError(
                        f"{path} is not an omnirec dataset file (format {header.get('format')!r})"
                    )
                if header.get("version") != VERSION:
                    raise DataError(
                        f"{path} has dataset format version {header.get('version')!r}; this omnirec "
                        f"reads version {VERSION}. Upgrade omnirec-core or re-create the file."
                    )
                kind = header["kind"]
                if kind == "raw":
                    data: Any = RawData(_frame(z, "raw"))
                elif kind == "split":
                    data = _split(z, "", header["parts"])
                elif kind == "folded":
                    n = len({p.split("/")[0] for p in header["parts"]})
                    data = FoldedData([_split(z, f"fold{i}/", header["parts"]) for i in range(n)])
                else:
                    raise DataError(f"{path}: unknown data kind {kind!r}")
                user_ids, item_ids = z["user_ids"], z["item_ids"]
    except DataError:
        raise
    except (zipfile.BadZipFile, ValueError, KeyError, OSError, EOFError, json.JSONDecodeError) as exc:
        raise DataError(
            f"{path} is corrupt or truncated ({type(exc).__name__}: {exc}); re-create it with save()"
        ) from None
    return DatasetFields(
        header["name"], data, user_ids, item_ids, lineage=header["lineage"], meta=header["meta"]
    )


def _split(z: Any, prefix: str, parts: list[str]) -> SplitData:
    val = _frame(z, f"{prefix}val") if f"{prefix}val" in parts else None
    return SplitData(_frame(z, f"{prefix}train"), _frame(z, f"{prefix}test"), val)
