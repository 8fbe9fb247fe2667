"""The runner SDK's reuse of prepared data: content keys, the cache and its memory rule."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from omnirec_core.runner import FitRequest, PreparedCache, write_columns
from omnirec_core.runner import reuse as reuse_module
from omnirec_core.runner.api import data_key
from omnirec_core.runner.messages import FitMessage


def _message(tmp: Path, name: str, user: list[int], item: list[int], n_items: int = 9) -> FitMessage:
    desc = write_columns(tmp / name, {"user": np.array(user), "item": np.array(item)})
    return FitMessage(
        algorithm="A",
        config={},
        seed=1,
        job_dir=str(tmp / f"job-{name}"),
        n_users=5,
        n_items=n_items,
        feedback="implicit",
        train=desc,
    )


def test_data_key_follows_content_not_place(tmp_path: Path) -> None:
    a = FitRequest.load(_message(tmp_path, "a", [0, 1, 2], [3, 4, 5]))
    same = FitRequest.load(_message(tmp_path, "b", [0, 1, 2], [3, 4, 5]))  # other files, same data
    other = FitRequest.load(_message(tmp_path, "c", [0, 1, 2], [3, 4, 6]))
    wider = FitRequest.load(_message(tmp_path, "d", [0, 1, 2], [3, 4, 5], n_items=10))
    assert len(a.data_key) == 64
    assert a.data_key == same.data_key
    assert len({a.data_key, other.data_key, wider.data_key}) == 3
    desc = _message(tmp_path, "e", [0], [1]).train
    assert data_key(desc, None, 5, 9) != data_key(desc, desc, 5, 9)  # a validation part counts


def test_cache_builds_once_per_key_and_evicts_the_oldest() -> None:
    cache = PreparedCache(entries=2, min_free=0.0)
    calls: list[str] = []

    def build(key: str) -> object:
        calls.append(key)
        return {"built": key}

    first = cache.get_or_build("a", lambda: build("a"))
    assert cache.last == "built"
    assert cache.get_or_build("a", lambda: build("a")) is first and cache.last == "reused"
    cache.get_or_build("b", lambda: build("b"))
    cache.get_or_build("a", lambda: build("a"))  # a is now the most recent
    cache.get_or_build("c", lambda: build("c"))  # evicts b
    assert "b" not in cache and "a" in cache and "c" in cache
    assert calls == ["a", "b", "c"]
    assert (cache.built, cache.reused, cache.dropped) == (3, 2, 1)


def test_zero_entries_turns_reuse_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(reuse_module.ENV_ENTRIES, "0")
    cache = PreparedCache()
    values = [cache.get_or_build("k", object) for _ in range(3)]
    assert len({id(v) for v in values}) == 3 and len(cache) == 0
    assert cache.last == "built, not kept"


def test_tight_memory_drops_everything(monkeypatch: pytest.MonkeyPatch) -> None:
    headroom = {"share": 0.9}
    monkeypatch.setattr(reuse_module, "memory_headroom", lambda: headroom["share"])
    cache = PreparedCache(entries=4, min_free=0.25)
    cache.get_or_build("a", object)
    cache.get_or_build("b", object)
    assert len(cache) == 2
    headroom["share"] = 0.1  # memory got tight: the next job gives everything back
    fresh = cache.get_or_build("a", object)
    assert len(cache) == 0 and cache.last == "built, not kept" and cache.dropped == 2
    headroom["share"] = 0.9
    assert cache.get_or_build("a", object) is not fresh and cache.last == "built"


def test_memory_headroom_reads_this_machine() -> None:
    share = reuse_module.memory_headroom()
    assert share is None or 0.0 <= share <= 1.0
