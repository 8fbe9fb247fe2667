"""What the experiment report costs on a large run.

A checkpoint tree of 100 rows (algorithm x config) x 5 folds = 500 evaluated jobs with 100k
evaluated users each (per-user NDCG@10, NDCG@20 and Recall@10), job records with timings,
and a dataset record. Measured, each in a fresh process on the same tree:

- baseline: what ``omnirec results --compare ROW0 --metric NDCG@10`` does (load every result
  with its per-user values, the paired tests against one row, the tables as text);
- report: ``omnirec report`` with the same options (the same tables plus every plot,
  pairwise tests over all 4,950 pairs, per-user distributions summarised, the page written).

Prints the wall time and peak memory of both, their ratio and the size of the page, and the
load average (the figures are only comparable on a quiet machine; the ratio, measured in
the same run, much more so). Targets: the report costs at most twice what
``omnirec results --compare`` costs on the same tree (the tables' own paired tests are a
large part of both), and the page stays under 5 MB.

    nice python benchmarks/bench_report.py [--rows 100] [--folds 5] [--users 100000] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from omnirec_core.evaluation.result import JobResult

LABELS = ("NDCG@10", "NDCG@20", "Recall@10")


def make_tree(root: Path, rows: int, folds: int, users: int, seed: int = 0) -> None:
    """A tree as a run of ``rows`` configurations on ``folds`` folds leaves it."""
    from omnirec_core import RecSysDataSet, UserCrossValidation
    from omnirec_core.data.synthetic import generate
    from omnirec_core.orchestration.provenance import write_dataset_record

    rng = np.random.default_rng(seed)
    key = "b" * 12
    ds_dir = root / f"bench-{key}"
    ds = UserCrossValidation(folds).process(
        RecSysDataSet.from_dataframe(generate(users, 20_000, 20 * users, seed=seed), name="bench")
    )
    write_dataset_record(ds_dir, ds, key)
    ids = np.arange(users, dtype=np.int64)
    for r in range(rows):
        algo = f"Bench.Algo{r // 10}"
        config = {"p": r % 10}
        quality = 0.2 + 0.3 * rng.random()
        for fold in range(folds):
            job_dir = ds_dir / f"{algo}-{r:04d}" / f"fold_{fold}"
            hit = rng.random(users) < quality
            per_user = {lab: np.where(hit, rng.beta(2, 5 + i, users), 0.0) for i, lab in enumerate(LABELS)}
            res = JobResult({lab: float(v.mean()) for lab, v in per_user.items()}, ids, per_user)
            res.save(job_dir)
            (job_dir / "job.json").write_text(
                json.dumps(
                    {
                        "dataset": "bench",
                        "dataset_key": key,
                        "algorithm": algo,
                        "config": config,
                        "effective_config": config,
                        "fold": fold,
                        "seed": int(rng.integers(2**31)),
                        "env_key": "bench-env",
                        "status": "done",
                        "timings": {
                            "fit_wall_s": float(rng.gamma(2, 5)),
                            "predict_wall_s": float(rng.gamma(2, 1)),
                        },
                        "peak_rss_mib": float(200 + 800 * rng.random()),
                        "versions": {
                            "runner": "Bench",
                            "framework_version": "1.0",
                            "python": "3.11",
                            "sdk": "0.1.0",
                        },
                        "host": "bench",
                    }
                )
            )


RESULTS = """
import sys
from omnirec_core.evaluation.presentation import to_text
from omnirec_core.orchestration.tree import load_checkpoint_results
results = load_checkpoint_results(sys.argv[1])
print(len(to_text(results, baseline=sys.argv[2], metric="NDCG@10")), file=sys.stderr)
"""

REPORT = """
import sys
from omnirec_core.report import build
build(sys.argv[1], sys.argv[3], baseline=sys.argv[2], metric="NDCG@10")
"""


def measure(code: str, *args: str) -> tuple[float, float]:
    """Wall seconds and peak memory (MiB) of ``code`` in a fresh interpreter."""
    t = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-c", code, *args], stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"benchmark step failed (exit {os.waitstatus_to_exitcode(status)})")
    return wall, usage.ru_maxrss / 1024


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=100)
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--users", type=int, default=100_000)
    ap.add_argument("--keep", type=Path, help="build the tree here and keep it (reused when present)")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-report-"))
    root = args.keep or tmp / "checkpoints"
    try:
        if not root.exists():
            t = time.perf_counter()
            make_tree(root, args.rows, args.folds, args.users)
            size = sum(p.stat().st_size for p in root.rglob("*") if p.is_file()) / 2**20
            print(
                f"tree: {args.rows} rows x {args.folds} folds = {args.rows * args.folds} jobs, "
                f"{args.users:,} users each, {size:,.0f} MiB, made in {time.perf_counter() - t:.1f} s (excluded)"
            )
        baseline = "Bench.Algo0 [p=0]"
        out = tmp / "report.html"
        base_s, base_mib = measure(RESULTS, str(root), baseline)
        rep_s, rep_mib = measure(REPORT, str(root), baseline, str(out))
        page = out.stat().st_size / 2**20
        print(
            f"baseline (omnirec results --compare, per-user values of every metric): {base_s:.1f} s, {base_mib:,.0f} MiB"
        )
        print(
            f"report (tables, 6 plots, {args.rows * (args.rows - 1) // 2:,} pairwise tests): {rep_s:.1f} s, {rep_mib:,.0f} MiB"
        )
        print(
            f"report / baseline: {rep_s / base_s:.2f}x time, {rep_mib / base_mib:.2f}x memory; page {page:.2f} MB"
        )
        ok = rep_s / base_s <= 2 and page < 5
        print(f"load average while measuring: {os.getloadavg()[1]:.1f} on {os.cpu_count()} CPUs")
        print(f"targets (report <= 2x baseline, page < 5 MB): {'OK' if ok else 'MISSED'}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
