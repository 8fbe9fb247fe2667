"""Catalogue parser benchmark: a file in the Amazon 2018 ratings layout, parsed and canonicalised.

Writes a synthetic ``item,user,rating,timestamp`` CSV (no header, Amazon-style ids: 10-char
ASINs, 14-char reviewer ids, skewed popularity, some repeated pairs) of ``--rows`` lines
(50M by default, about 2 GB), then in fresh processes, so each peak RSS is its own:

- omnirec: the ``amazon2018-books`` catalogue parser and canonicalisation
  (``CatalogEntry.parse``), target under 60 s and 8 GB on 2 cores;
- baseline: plain ``pandas.read_csv`` without dtypes, then the same canonicalisation.

It prints wall and CPU seconds, peak memory, the load average (other work on the machine
slows the wall clock; CPU seconds show the work itself) and the baseline/omnirec ratios.

    nice python benchmarks/bench_parsers.py                       # 50M rows
    python benchmarks/bench_parsers.py --rows 5000000 --keep /tmp/amz   # smaller, file kept
    python benchmarks/bench_parsers.py --record benchmarks/bench_parsers.results.txt
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

TARGET_SECONDS = 60.0
TARGET_BYTES = 8 * 1024**3
ALPHABET = np.frombuffer(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", dtype=np.uint8)


def _ids(rng: np.random.Generator, n: int, length: int, prefix: bytes) -> np.ndarray:
    out = np.empty((n, len(prefix) + length), dtype=np.uint8)
    out[:, : len(prefix)] = np.frombuffer(prefix, dtype=np.uint8)
    out[:, len(prefix) :] = ALPHABET[rng.integers(0, 36, size=(n, length))]
    return out


def generate(path: Path, rows: int, seed: int = 0) -> None:
    """Amazon 2018 layout; users and items in about Books' proportions (3.3 and 17 ratings each)."""
    rng = np.random.default_rng(seed)
    users = _ids(rng, max(10, int(rows / 3.3)), 13, b"A")
    items = _ids(rng, max(10, rows // 17), 10, b"")
    chunk = 2_000_000
    with open(path, "wb") as fh:
        for start in range(0, rows, chunk):
            m = min(chunk, rows - start)
            # Skewed popularity: power-transformed uniform draws favour low indices.
            u = users[(rng.random(m) ** 1.3 * len(users)).astype(np.int64)]
            i = items[(rng.random(m) ** 2.0 * len(items)).astype(np.int64)]
            stars = rng.integers(1, 6, m).astype(np.uint8) + ord("0")
            ts = np.char.encode(rng.integers(1_000_000_000, 1_540_000_000, m).astype("U10")).view(np.uint8)
            row = np.empty((m, 41), dtype=np.uint8)
            row[:, 0:10], row[:, 10], row[:, 11:25], row[:, 25] = i, ord(","), u, ord(",")
            row[:, 26], row[:, 27], row[:, 28], row[:, 29] = stars, ord("."), ord("0"), ord(",")
            row[:, 30:40], row[:, 40] = ts.reshape(m, 10), ord("\n")
            fh.write(row.tobytes())


def child(mode: str, path: str) -> None:
    """Run one side in this process and print its figures as JSON."""
    t, c = time.perf_counter(), time.process_time()
    if mode == "omnirec":
        from omnirec_core.data.catalog import entry
        from omnirec_core.data.dataset import RecSysDataSet

        ds = RecSysDataSet.from_dataframe(entry("amazon2018-books").parse({"Books.csv": Path(path)}), "bench")
    else:
        import pandas as pd

        from omnirec_core.data.dataset import RecSysDataSet

        df = pd.read_csv(path, header=None, names=["item", "user", "rating", "timestamp"])
        ds = RecSysDataSet.from_dataframe(df[["user", "item", "rating", "timestamp"]], "bench")
    wall, cpu = time.perf_counter() - t, time.process_time() - c
    print(
        json.dumps(
            {
                "wall": wall,
                "cpu": cpu,
                "max_rss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
                "users": ds.n_users,
                "items": ds.n_items,
                "interactions": ds.num_interactions(),
                "duplicates": ds.meta.get("duplicates_dropped"),
            }
        )
    )


def measure(mode: str, path: Path) -> dict:
    done = subprocess.run(
        [sys.executable, __file__, "--child", mode, str(path)], capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise SystemExit(f"{mode} run failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=50_000_000, help="lines of the file (default 50M)")
    parser.add_argument("--keep", type=Path, help="directory for the generated file (reused if present)")
    parser.add_argument("--no-baseline", action="store_true", help="skip the pandas baseline")
    parser.add_argument("--record", type=Path, help="also write the report to this file")
    parser.add_argument("--child", nargs=2, metavar=("MODE", "PATH"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return

    lines: list[str] = []

    def say(text: str) -> None:
        print(text, flush=True)
        lines.append(text)

    with tempfile.TemporaryDirectory() as tmp:
        folder = args.keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"amazon2018-layout-{args.rows}.csv"
        if not path.is_file():
            t = time.perf_counter()
            generate(path, args.rows)
            print(f"generated {path} in {time.perf_counter() - t:.0f} s")
        say(
            f"file: {args.rows:,} lines in the Amazon 2018 ratings layout, {path.stat().st_size / 1e9:.2f} GB"
        )
        say(f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} before the runs")
        ours = measure("omnirec", path)
        say(
            f"omnirec parser + canonicalise: {ours['wall']:.1f} s wall, {ours['cpu']:.1f} s CPU, "
            f"peak {ours['max_rss'] / 1024**3:.2f} GiB; {ours['users']:,} users, {ours['items']:,} items, "
            f"{ours['interactions']:,} interactions ({ours['duplicates']:,} duplicates dropped)"
        )
        wall_ok = "ok" if ours["wall"] < TARGET_SECONDS else "MISSED"
        mem_ok = "ok" if ours["max_rss"] < TARGET_BYTES else "MISSED"
        say(
            f"targets: < {TARGET_SECONDS:.0f} s wall: {wall_ok}; < {TARGET_BYTES / 1024**3:.0f} GiB: {mem_ok}"
        )
        if not args.no_baseline:
            base = measure("baseline", path)
            say(
                f"baseline pandas.read_csv (no dtypes) + canonicalise: {base['wall']:.1f} s wall, "
                f"{base['cpu']:.1f} s CPU, peak {base['max_rss'] / 1024**3:.2f} GiB"
            )
            if base["interactions"] != ours["interactions"]:
                say("WARNING: the baseline found a different number of interactions")
            say(
                f"ratio baseline / omnirec: wall {base['wall'] / ours['wall']:.2f}x, CPU "
                f"{base['cpu'] / ours['cpu']:.2f}x, peak memory {base['max_rss'] / ours['max_rss']:.2f}x"
            )
        say(f"load average after the runs: {os.getloadavg()[0]:.1f}")
    if args.record:
        args.record.write_text("\n".join(lines) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
