"""Where datasets live on disk: one data directory, one folder per dataset inside it.

The data directory is, in order of precedence: an explicit argument, the environment
variable ``OMNIREC_DATA_DIR``, or ``<user cache dir>/omnirec/datasets``.
"""

from __future__ import annotations

import os
from os import PathLike
from pathlib import Path

import platformdirs

DATA_DIR_ENV = "OMNIREC_DATA_DIR"
# Bump when a built-in parser changes what it produces, so stale canonical caches are rebuilt.
CANONICAL_VERSION = 1


def data_dir(override: str | PathLike[str] | None = None) -> Path:
    """The data directory: ``override``, else ``$OMNIREC_DATA_DIR``, else the user cache dir."""
    if override is not None and str(override) != "":
        return Path(override).expanduser()
    env = os.environ.get(DATA_DIR_ENV, "").strip()
    if env:
        return Path(env).expanduser()
    return Path(platformdirs.user_cache_dir("omnirec")) / "datasets"


def dataset_dir(name: str, root: str | PathLike[str] | None = None) -> Path:
    """The folder holding the raw files of dataset ``name``."""
    return data_dir(root) / name


def canonical_path(name: str, raw_dir: str | PathLike[str]) -> Path:
    """The default cached canonical dataset file for ``name``, beside its raw files."""
    return Path(raw_dir) / f"{name}.canonical-v{CANONICAL_VERSION}.npz"


def has_raw_files(raw_dir: str | PathLike[str]) -> bool:
    """Whether ``raw_dir`` holds any downloaded file (hidden and temporary files aside)."""
    path = Path(raw_dir)
    if not path.is_dir():
        return False
    return any(
        p.is_file() and not p.name.startswith(".") and not p.name.endswith(".npz") for p in path.iterdir()
    )


__all__ = [
    "CANONICAL_VERSION",
    "DATA_DIR_ENV",
    "canonical_path",
    "data_dir",
    "dataset_dir",
    "has_raw_files",
]
