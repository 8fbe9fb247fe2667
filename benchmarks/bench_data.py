"""Data pipeline benchmark: canonicalise + CorePruning(5) + UserHoldout(0.2).

Runs the pipeline on synthetic data (25M interactions by default) and prints wall time
and peak memory against the targets (60 s, 8 GB on 2 cores), then runs a straightforward
pandas ``groupby().apply`` k-core + user holdout and the same omnirec steps on a smaller
sample in the same process and prints the per-row speed ratio.

    nice python benchmarks/bench_data.py              # 25M rows
    python benchmarks/bench_data.py --rows 2000000    # smaller
"""

from __future__ import annotations

import argparse
import gc
import resource
import time
import tracemalloc

import numpy as np
import pandas as pd

from omnirec_core.data.dataset import RecSysDataSet
from omnirec_core.data.synthetic import SYNTHETIC_SIZES, generate
from omnirec_core.preprocess import CorePruning, UserHoldout

TARGET_SECONDS = 60.0
TARGET_BYTES = 8 * 1024**3
REFERENCE = SYNTHETIC_SIZES["25m"]


def shape_for(rows: int) -> dict[str, int]:
    """Users and items scaled from the 25M preset to ``rows`` interactions."""
    scale = rows / REFERENCE["n_interactions"]
    return {
        "n_users": max(10, round(REFERENCE["n_users"] * scale)),
        "n_items": max(20, round(REFERENCE["n_items"] * scale**0.5)),
        "n_interactions": rows,
    }


def max_rss_bytes() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # KiB on Linux


def naive_kcore(df: pd.DataFrame, k: int) -> pd.DataFrame:
    """k-core the obvious pandas way: filter groups until nothing changes."""
    while True:
        before = len(df)
        df = df.groupby("user").filter(lambda g: len(g) >= k)
        df = df.groupby("item").filter(lambda g: len(g) >= k)
        if len(df) == before:
            return df


def naive_user_holdout(df: pd.DataFrame, frac: float, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per-user random holdout the obvious pandas way: sample inside groupby().apply."""

    def pick(g: pd.DataFrame) -> pd.DataFrame:
        return g.sample(n=max(1, int(np.floor(len(g) * frac + 0.5))), random_state=seed)

    test = df.groupby("user", group_keys=False).apply(pick)
    return df.drop(index=test.index), test


class Clock:
    """Wall and CPU seconds of a phase (CPU time shows the work itself when other
    processes share the cores)."""

    def __init__(self, wall: float = 0.0, cpu: float = 0.0) -> None:
        self.wall, self.cpu = wall, cpu

    def __add__(self, other: Clock) -> Clock:
        return Clock(self.wall + other.wall, self.cpu + other.cpu)

    def __str__(self) -> str:
        return f"{self.wall:8.2f} s wall {self.cpu:8.2f} s CPU"


def timed(label: str, fn, *args):  # type: ignore[no-untyped-def]
    """Run ``fn``, print its clock, return (result, Clock)."""
    t, c = time.perf_counter(), time.process_time()
    out = fn(*args)
    clock = Clock(time.perf_counter() - t, time.process_time() - c)
    print(f"  {label:<34} {clock}")
    return out, clock


def run_omnirec(df: pd.DataFrame, *, canonicalise: bool = True) -> tuple[Clock, Clock, RecSysDataSet]:
    """Returns (clock of everything, clock of prune + holdout, result)."""
    total = Clock()
    if canonicalise:
        ds, clock = timed("canonicalise (from_dataframe)", RecSysDataSet.from_dataframe, df, "bench")
        total += clock
    else:
        ds = RecSysDataSet.from_dataframe(df, "bench")
    pruned, prune = timed("CorePruning(5)", CorePruning(5).process, ds)
    split, holdout = timed("UserHoldout(0.2)", UserHoldout(0.2).process, pruned)
    return total + prune + holdout, prune + holdout, split


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=25_000_000, help="interactions (default 25M)")
    parser.add_argument(
        "--baseline-rows",
        type=int,
        default=1_000_000,
        help="rows for the pandas baseline (default 1M)",
    )
    args = parser.parse_args()

    shape = shape_for(args.rows)
    print(f"generating {args.rows:,} synthetic interactions {shape} ...")
    df, _ = timed("generate", lambda: generate(**shape, seed=0))
    gc.collect()
    rss_before = max_rss_bytes()

    print(f"omnirec pipeline on {len(df):,} rows:")
    tracemalloc.start()
    tracemalloc.reset_peak()
    total, core, split = run_omnirec(df)
    _, traced_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rss = max_rss_bytes()
    report = split.meta["split_report"]
    print(
        f"  result: train {report['train']['rows']:,} / test {report['test']['rows']:,} rows, "
        f"{split.n_users:,} users, {split.n_items:,} items"
    )
    print(
        f"  total {total} (target < {TARGET_SECONDS:.0f} s: wall "
        f"{'ok' if total.wall < TARGET_SECONDS else 'MISSED'}, CPU "
        f"{'ok' if total.cpu < TARGET_SECONDS else 'MISSED'})"
    )
    print(
        f"  peak memory: process max RSS {rss / 1024**3:.2f} GiB "
        f"(before the pipeline {rss_before / 1024**3:.2f} GiB, input frame included), "
        f"traced numpy/pandas allocations of the pipeline {traced_peak / 1024**3:.2f} GiB "
        f"(target < {TARGET_BYTES / 1024**3:.0f} GiB: {'ok' if rss < TARGET_BYTES else 'MISSED'})"
    )
    del split, df
    gc.collect()

    base_rows = min(args.baseline_rows, args.rows)
    print(f"baseline on {base_rows:,} rows (same generator shape):")
    small = generate(**shape_for(base_rows), seed=1)
    canon = RecSysDataSet.from_dataframe(small, "baseline").data.df
    _, small_core, _ = run_omnirec(small, canonicalise=False)
    _, naive = timed(
        "pandas groupby k-core + holdout", lambda: naive_user_holdout(naive_kcore(canon, 5), 0.2, 0)
    )

    print("ratios, pandas baseline / omnirec (prune + holdout):")
    for what in ("wall", "cpu"):
        n, s, b = getattr(naive, what), getattr(small_core, what), getattr(core, what)
        per_naive, per_big = n / base_rows, max(b, 1e-9) / args.rows
        print(
            f"  {what:>4}: same {base_rows:,} rows {n / max(s, 1e-9):6.1f}x; "
            f"per row against {args.rows:,} rows {per_naive / per_big:6.1f}x ({per_naive * 1e6:.2f} vs {per_big * 1e6:.3f} us per row)"
        )


if __name__ == "__main__":
    main()
