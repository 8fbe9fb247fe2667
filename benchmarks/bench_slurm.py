"""Slurm executor against the local executor on a 50-job plan of short jobs.

Needs the one-node test cluster (``scripts/slurm-cluster.sh start``). Both runs use the
fake runner on the current interpreter; each executor gets a fresh checkpoint dir in
the same process, so the numbers are comparable. Reports the wall time of each, their
ratio, the number of sbatch submissions and array tasks (bundling keeps both far below
the number of jobs), and checks that both runs give the same results.

    python benchmarks/bench_slurm.py [--jobs 50] [--bundle 10] [--array-limit 2]
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--jobs", type=int, default=50)
    ap.add_argument("--bundle", type=int, default=10)
    ap.add_argument("--array-limit", type=int, default=2, help="tasks at once (the test node has 2 CPUs)")
    ap.add_argument("--local-workers", type=int, default=2)
    args = ap.parse_args()
    if shutil.which("sbatch") is None:
        sys.exit("sbatch not found: start the test cluster with scripts/slurm-cluster.sh start")

    from omnirec_core import NDCG, Coordinator, Evaluator, ExperimentPlan, Recall
    from omnirec_core.orchestration.envs.inplace import CurrentInterpreter
    from omnirec_core.orchestration.executors import SlurmExecutor
    from tests.support.experiment import dataset

    ds = dataset()
    half = args.jobs // 2
    plan = ExperimentPlan("bench")
    plan.add_algorithm("Fake.Pop", {"sleep": [i * 1e-4 for i in range(half)]})
    plan.add_algorithm("Fake.ItemCF", {"shrink": [float(i) for i in range(args.jobs - half)]})

    def run(ckpt: Path, **kw: object) -> tuple[float, object]:
        ev = Evaluator(NDCG([10]), Recall(10))
        t0 = time.perf_counter()
        Coordinator(ckpt, env_manager=CurrentInterpreter(), quiet=True, **kw).run(ds, plan, ev)  # type: ignore[arg-type]
        return time.perf_counter() - t0, ev

    base = Path(tempfile.mkdtemp(prefix="bench-slurm-"))
    try:
        t_local, ev_local = run(base / "local", max_workers=args.local_workers)
        ex = SlurmExecutor(
            cpus=1,
            mem="500M",
            time="30:00",
            bundle=args.bundle,
            array_limit=args.array_limit,
            poll_interval=0.5,
        )
        t_slurm, ev_slurm = run(base / "slurm", executor=ex, max_workers=args.local_workers)
        tasks = sum(
            len(json.loads(f.read_text())["subunits"])
            for f in (base / "slurm" / "units").glob("*/slurm.json")
        )
        key = ["algorithm", "config", "metric", "k"]
        a = ev_local.get_results()  # type: ignore[attr-defined]
        b = ev_slurm.get_results()  # type: ignore[attr-defined]
        same = a.assign(config=a.config.astype(str)).sort_values(key)["value"].tolist() == (
            b.assign(config=b.config.astype(str)).sort_values(key)["value"].tolist()
        )
    finally:
        shutil.rmtree(base, ignore_errors=True)
    print(f"jobs                         {args.jobs}")
    print(f"local executor ({args.local_workers} workers)   {t_local:8.2f} s")
    print(f"slurm executor               {t_slurm:8.2f} s   (x{t_slurm / t_local:.2f} of local)")
    print(f"sbatch submissions           {ex.submissions}")
    print(f"array tasks                  {tasks}   (bundle {args.bundle}, %{args.array_limit} at once)")
    print(f"identical results            {same}")
    if not same:
        sys.exit(1)


if __name__ == "__main__":
    main()
