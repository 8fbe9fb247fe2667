"""One global seed from which every random choice in omnirec is derived.

Each consumer derives its own generator from the global seed plus a stable label, so
adding a step never shifts the random numbers another step sees.
"""

from __future__ import annotations

import hashlib

import numpy as np

DEFAULT_SEED = 42
_seed: int = DEFAULT_SEED


def set_random_state(seed: int) -> None:
    """Set the global seed used by splitters, subsampling, plan sampling and job seeds."""
    global _seed
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool) or seed < 0:
        raise ValueError(f"the random seed must be a non-negative integer, got {seed!r}")
    _seed = int(seed)


def get_random_state() -> int:
    """The current global seed."""
    return _seed


def label_seed(*labels: object, seed: int | None = None) -> int:
    """A 63-bit seed derived from the global seed (or ``seed``) and the labels."""
    base = _seed if seed is None else seed
    text = "\x1f".join([str(base), *map(str, labels)])
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big") >> 1


def rng(*labels: object, seed: int | None = None) -> np.random.Generator:
    """A numpy generator derived from the global seed and the labels."""
    return np.random.default_rng(label_seed(*labels, seed=seed))
