"""A fast synthetic interaction generator for tests and benchmarks.

Item popularity follows a power law (Zipf with ``popularity_exponent``), user activity
is log-normal (``activity_skew`` is the sigma of log-activity: 1.5 gives a few percent
of users under 5 interactions and a long tail of heavy users, like real data); every
(user, item) pair occurs at most once.
Ratings (1-5) mix a user bias, an item quality and noise; timestamps fall in a random
activity window per user. Generation runs in blocks of users (duplicates can only
arise within a user, so blocks never need to see each other), with int32 ids.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd

from omnirec_core.errors import DataError

# Size presets: keyword arguments for :func:`generate`.
SYNTHETIC_SIZES: dict[str, dict[str, int]] = {
    "tiny": {"n_users": 100, "n_items": 200, "n_interactions": 2_000},
    "small": {"n_users": 1_000, "n_items": 1_500, "n_interactions": 50_000},
    "medium": {"n_users": 5_000, "n_items": 4_000, "n_interactions": 250_000},
    "1m": {"n_users": 6_000, "n_items": 4_000, "n_interactions": 1_000_000},
    "10m": {"n_users": 70_000, "n_items": 11_000, "n_interactions": 10_000_000},
    "25m": {"n_users": 160_000, "n_items": 60_000, "n_interactions": 25_000_000},
}

T_START = 946_684_800  # 2000-01-01 UTC
T_END = 1_577_836_800  # 2020-01-01 UTC
BLOCK_ROWS = 4_000_000
POPULARITY_ROUNDS = 12  # rejection rounds drawn by popularity before uniform top-up


def _check_count(what: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise DataError(f"synthetic data: {what} must be a whole number >= 1, got {value!r}")
    return int(value)


def _degrees(
    rng: np.random.Generator, n_users: int, n_interactions: int, cap: int, skew: float
) -> np.ndarray:
    """Interactions per user summing to the total: ``floor(c * w)`` with log-normal
    activity ``w`` (sigma ``skew``), clipped to [1, cap] (0 allowed when there are fewer
    interactions than users), ``c`` found by bisection."""
    weight = np.exp(skew * rng.standard_normal(n_users))
    low = 1 if n_interactions >= n_users else 0

    def total(c: float) -> int:
        return int(np.clip(np.floor(c * weight), low, cap).sum())

    lo, hi = 0.0, n_interactions / weight.sum() + 1.0
    while total(hi) < n_interactions:
        hi *= 2
    for _ in range(100):
        mid = (lo + hi) / 2
        if total(mid) < n_interactions:
            lo = mid
        else:
            hi = mid
    deg = np.clip(np.floor(hi * weight), low, cap).astype(np.int64)
    over = int(deg.sum()) - n_interactions
    if over:
        # Several users crossed a step at once; take one back from as many of them.
        room = np.flatnonzero(deg > low)
        deg[rng.choice(room, size=over, replace=False)] -= 1
    return deg


def _sorted_unique(x: np.ndarray) -> np.ndarray:
    # Sort-based; numpy's hash-based unique is several times slower on int64 keys.
    x = np.sort(x)
    return x[np.concatenate(([True], x[1:] != x[:-1]))] if len(x) else x


def _contains(sorted_keys: np.ndarray, x: np.ndarray) -> np.ndarray:
    if len(sorted_keys) == 0:
        return np.zeros(len(x), dtype=bool)
    at = np.minimum(np.searchsorted(sorted_keys, x), len(sorted_keys) - 1)
    return sorted_keys[at] == x


def _popular_items(rng: np.random.Generator, size: int, n_items: int, exponent: float) -> np.ndarray:
    """Item ranks with P(rank r) roughly proportional to (r + 1) ** -exponent.

    Inverse transform of the continuous power law on [1, n_items + 1): O(1) per draw,
    unlike a search in the discrete CDF.
    """
    u = rng.random(size)
    a = 1.0 - exponent
    if abs(a) < 1e-9:
        x = np.exp(u * np.log(n_items + 1.0))
    else:
        x = (1.0 + u * ((n_items + 1.0) ** a - 1.0)) ** (1.0 / a)
    return np.minimum(x.astype(np.int64) - 1, n_items - 1).clip(0)


def _draw_block(rng: np.random.Generator, deg: np.ndarray, n_items: int, exponent: float) -> np.ndarray:
    """Distinct ``user_local * n_items + item`` keys, ``deg[u]`` for each local user."""
    n = len(deg)
    # Round one: draw exactly the degrees; duplicates only make users come up short.
    users = np.repeat(np.arange(n, dtype=np.int64), deg)
    keys = _sorted_unique(users * n_items + _popular_items(rng, len(users), n_items, exponent))
    missing = deg - np.bincount(keys // n_items, minlength=n)
    extra = np.empty(0, dtype=np.int64)  # later rounds' keys, kept sorted
    rounds = 0
    while missing.any():
        rounds += 1
        active = np.flatnonzero(missing)
        popular = rounds <= POPULARITY_ROUNDS
        draws = np.ceil(missing[active] * (1.25 if popular else 2.0)).astype(np.int64) + 1
        users = np.repeat(active, draws)
        if popular:
            items = _popular_items(rng, len(users), n_items, exponent)
        else:
            # Heavy users may need rare items; uniform draws fill them quickly.
            items = rng.integers(0, n_items, len(users))
        cand = users * n_items + items
        _, first = np.unique(cand, return_index=True)
        first.sort()  # first occurrence of each key, in draw order
        cand, users = cand[first], users[first]
        fresh = ~(_contains(keys, cand) | _contains(extra, cand))
        cand, users = cand[fresh], users[fresh]
        # Keep the first `missing` fresh draws of each user (users are in ascending runs).
        runs = np.bincount(users, minlength=n)
        rank = np.arange(len(users)) - (np.cumsum(runs) - runs)[users]
        take = rank < missing[users]
        # Both runs sorted: the stable sort (timsort) merges them in linear time.
        extra = np.sort(np.concatenate([extra, np.sort(cand[take])]), kind="stable")
        missing -= np.bincount(users[take], minlength=n)
    return np.concatenate([keys, extra])


def generate(
    n_users: int,
    n_items: int,
    n_interactions: int,
    *,
    seed: int = 0,
    popularity_exponent: float = 1.0,
    activity_skew: float = 1.5,
    ratings: bool = True,
    timestamps: bool = True,
) -> pd.DataFrame:
    """Synthetic interactions: columns ``user``, ``item`` (int32), optionally ``rating``
    (float32, 1-5) and ``timestamp`` (int64 seconds in 2000-2019).

    Exactly ``n_interactions`` distinct (user, item) pairs; every user gets at least one
    when ``n_interactions >= n_users``; a user gets at most half the items, so
    ``n_interactions`` may be at most ``n_users * max(1, n_items // 2)``. The same
    arguments give the same table.
    """
    n_users = _check_count("n_users", n_users)
    n_items = _check_count("n_items", n_items)
    n_interactions = _check_count("n_interactions", n_interactions)
    for what, value in (
        ("popularity_exponent", popularity_exponent),
        ("activity_skew", activity_skew),
    ):
        if not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
            raise DataError(f"synthetic data: {what} must be a number >= 0, got {value!r}")
    cap = max(1, n_items // 2)
    if n_interactions > n_users * cap:
        raise DataError(
            f"synthetic data: {n_interactions} interactions do not fit {n_users} users x "
            f"{n_items} items (at most {n_users * cap}: each user gets at most half the items); "
            "ask for fewer interactions or more users/items"
        )
    rng = np.random.default_rng(seed)
    deg = _degrees(rng, n_users, n_interactions, cap, float(activity_skew))
    # Blocks of consecutive users holding about BLOCK_ROWS interactions each.
    ends = np.searchsorted(np.cumsum(deg), np.arange(BLOCK_ROWS, n_interactions, BLOCK_ROWS))
    bounds = np.unique(np.concatenate([[0], ends + 1, [n_users]]).clip(0, n_users))
    user_rank = np.empty(n_interactions, dtype=np.int32)
    item_rank = np.empty(n_interactions, dtype=np.int32)
    at = 0
    for lo, hi in itertools.pairwise(bounds.tolist()):
        keys = _draw_block(rng, deg[lo:hi], n_items, float(popularity_exponent))
        user_rank[at : at + len(keys)] = keys // n_items + lo
        item_rank[at : at + len(keys)] = keys % n_items
        at += len(keys)
    # Random ids, so neither activity nor popularity follows id order.
    user_perm = rng.permutation(n_users).astype(np.int32)
    item_perm = rng.permutation(n_items).astype(np.int32)
    cols: dict[str, np.ndarray] = {"user": user_perm[user_rank], "item": item_perm[item_rank]}
    if ratings:
        user_bias = rng.normal(0.0, 0.5, n_users).astype(np.float32)
        # Popular items are rated a little higher, as in real data.
        quality = rng.normal(0.0, 0.5, n_items) + 0.5 - np.arange(n_items) / max(n_items, 1)
        raw = rng.standard_normal(n_interactions, dtype=np.float32)
        raw += np.float32(3.5)
        raw += user_bias[user_rank]
        raw += quality.astype(np.float32)[item_rank]
        cols["rating"] = np.clip(np.rint(raw), 1, 5)
    if timestamps:
        first = rng.integers(T_START, T_END, n_users)
        length = (rng.random(n_users) * (T_END - first)).astype(np.int64)
        offset = (rng.random(n_interactions) * length[user_rank]).astype(np.int64)
        cols["timestamp"] = first[user_rank] + offset
    return pd.DataFrame(cols, copy=False)


def generate_preset(size: str, *, seed: int = 0, **kwargs: object) -> pd.DataFrame:
    """:func:`generate` with the sizes of ``SYNTHETIC_SIZES[size]``."""
    if size not in SYNTHETIC_SIZES:
        raise DataError(f"unknown synthetic size {size!r}; choose one of {', '.join(SYNTHETIC_SIZES)}")
    return generate(**SYNTHETIC_SIZES[size], seed=seed, **kwargs)  # type: ignore[arg-type]
