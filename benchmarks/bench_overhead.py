"""What the coordinator adds per job beyond the runner's own fit and predict time.

Runs a plan of N cheap jobs with the fake runner in its real (cached) env and reports:
- overhead per job = (run wall time - time spent inside the runner's fit/predict
  handlers) / N, target < 1 s once the env exists (env build is excluded: built first);
- the re-run of the fully done plan (target < 2 s, and no runner process started);
- the ratio of overhead to handler time.

    python benchmarks/bench_overhead.py [--jobs 100]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from omnirec_core import NDCG, Coordinator, Evaluator, ExperimentPlan, Recall, RecSysDataSet, UserHoldout
from omnirec_core.data.synthetic import generate
from omnirec_core.orchestration.envs.manager import EnvManager
from omnirec_core.plugin.manager import get_runner


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--jobs", type=int, default=100)
    args = ap.parse_args()
    envs = EnvManager()
    t = time.perf_counter()
    envs.ensure(get_runner("Fake"))
    print(f"fake runner env ready in {time.perf_counter() - t:.2f} s (excluded from the figures)")

    ds = UserHoldout(0.2).process(
        RecSysDataSet.from_dataframe(generate(1000, 800, 30000, seed=1), name="bench")
    )
    plan = ExperimentPlan("overhead")
    # Distinct configs of a cheap algorithm: one job each.
    plan.add_algorithm("Fake.Pop", {"sleep": [i * 1e-6 for i in range(args.jobs)]})
    with tempfile.TemporaryDirectory() as tmp:
        ckpt = Path(tmp)
        ev = Evaluator(NDCG([10]), Recall([10]))
        t = time.perf_counter()
        Coordinator(ckpt, env_manager=envs, quiet=True).run(ds, plan, ev)
        wall = time.perf_counter() - t
        handler = 0.0
        for p in ckpt.rglob("job.json"):
            tm = json.loads(p.read_text())["timings"]
            handler += tm["fit_handler_s"] + tm["predict_handler_s"]
        n = len(ev.get_results()) // 2
        overhead = (wall - handler) / n
        units = len(list((ckpt / "units").rglob("*.done.json")))
        t = time.perf_counter()
        Coordinator(ckpt, env_manager=envs, quiet=True).run(ds, plan, Evaluator(NDCG([10]), Recall([10])))
        rerun = time.perf_counter() - t
        units_after = len(list((ckpt / "units").rglob("*.done.json")))
    print(f"jobs: {n}, run wall {wall:.2f} s, inside runner handlers {handler:.2f} s")
    print(
        f"coordinator overhead per job: {overhead * 1000:.1f} ms (target < 1000 ms) "
        f"-> {'OK' if overhead < 1 else 'MISSED'}"
    )
    print(f"overhead / handler time ratio: {(wall - handler) / max(handler, 1e-9):.2f}")
    print(
        f"re-run of the done plan: {rerun:.2f} s (target < 2 s), runner units started: "
        f"{units_after - units} -> {'OK' if rerun < 2 and units_after == units else 'MISSED'}"
    )


if __name__ == "__main__":
    main()
