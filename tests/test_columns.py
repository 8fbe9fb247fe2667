"""Column files: a process hashes a file once while it stays the same file."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from omnirec_core.runner import columns
from omnirec_core.runner.columns import ColumnFileError, read_columns, write_columns


def test_a_file_is_hashed_once_until_it_changes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    desc = write_columns(tmp_path, {"user": np.arange(100), "item": np.arange(100)[::-1]})
    hashed: list[str] = []
    real = columns.sha256_file
    monkeypatch.setattr(columns, "sha256_file", lambda p: hashed.append(Path(p).name) or real(p))
    monkeypatch.setattr(columns, "_verified", {})
    for _ in range(3):
        assert read_columns(desc)["item"][0] == 99
    assert sorted(hashed) == ["item.npy", "user.npy"]  # once each, not three times

    # Same size, new content: the stat differs (mtime), so the file is hashed again and refused.
    path = Path(desc["columns"]["item"]["path"])
    st = path.stat()
    np.save(path, np.arange(100))
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000))
    assert path.stat().st_size == st.st_size
    with pytest.raises(ColumnFileError, match="does not match its recorded sha256"):
        read_columns(desc)
    assert hashed.count("item.npy") == 2
