"""Pickle-based torch files, unpickled only when their sha256 is the one recorded.

RecBole checkpoints and our saved model hold whole Python objects (configs, model
classes), so they need ``torch.load(weights_only=False)``, which runs arbitrary
pickled code. We only unpickle bytes whose hash we recorded when we wrote them; the
bytes are read once and hashed in memory, so the file cannot change between the check
and the load.
"""

from __future__ import annotations

import hashlib
import io
from pathlib import Path
from typing import Any

import torch

from omnirec_core.runner.fs import atomic_write_bytes, sha256_file

__all__ = ["UntrustedFileError", "load", "save", "sha256_file"]


class UntrustedFileError(RuntimeError):
    """A pickle file does not match the sha256 recorded when it was written."""


def save(obj: Any, path: Path) -> str:
    """``torch.save`` ``obj`` to ``path`` atomically; return the file's sha256."""
    buf = io.BytesIO()
    torch.save(obj, buf, pickle_protocol=4)
    data = buf.getvalue()
    atomic_write_bytes(path, data)
    return hashlib.sha256(data).hexdigest()


def load(path: Path, sha256: str | None, map_location: Any = None) -> Any:
    """Unpickle ``path`` with ``torch.load`` only if its bytes hash to ``sha256``."""
    if not sha256:
        raise UntrustedFileError(f"no sha256 was recorded for {path}; refusing to unpickle it")
    data = Path(path).read_bytes()
    actual = hashlib.sha256(data).hexdigest()
    if actual != sha256:
        raise UntrustedFileError(
            f"{path} has sha256 {actual}, but {sha256} was recorded when it was written; "
            "it was changed or replaced, so it is not unpickled. Refit the job."
        )
    return torch.load(io.BytesIO(data), map_location=map_location, weights_only=False)
