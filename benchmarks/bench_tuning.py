"""What tuning costs: the coordinator's overhead per trial, and a real search on ML-100K.

1. Overhead per trial (fake runner, its real cached env): a 50-trial grid search against a
   plain run of the same 50 configurations without selection, measured in the same run.
   Overhead = (wall time - time inside the runner's fit/predict handlers) / number of
   fits. A trial's own extra work (validation lists, scoring them, the search record) must
   keep it at the plain run's per-job overhead (target: ratio <= 1.5).
2. ``--real``: RecPack EASE on ML-100K (ratings >= 3; per user 70/10/20 train/val/test),
   20 TPE trials over l2 ~ LogUniform(1, 1e5) against a 20-point log grid of the same
   range: wall time, best validation NDCG@10 and the test NDCG@10 of each selection.

    python benchmarks/bench_tuning.py [--trials 50] [--real]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from omnirec_core import (
    NDCG,
    Coordinator,
    Evaluator,
    ExperimentPlan,
    MakeImplicit,
    Pipe,
    RecSysDataSet,
    UserHoldout,
)
from omnirec_core.data.synthetic import generate
from omnirec_core.experiment.selection import Selection
from omnirec_core.orchestration.envs.manager import EnvManager
from omnirec_core.plugin.manager import get_runner


def handler_seconds(ckpt: Path) -> tuple[float, int]:
    """Time inside runner handlers over every job under ``ckpt``, and the number of fits."""
    total, fits = 0.0, 0
    for p in ckpt.rglob("job.json"):
        tm = json.loads(p.read_text()).get("timings", {})
        total += tm.get("fit_handler_s", 0.0) + tm.get("predict_handler_s", 0.0)
        fits += "fit_handler_s" in tm
    return total, fits


def timed_run(ckpt: Path, ds: Any, plan: ExperimentPlan, envs: EnvManager) -> tuple[float, Evaluator]:
    ev = Evaluator(NDCG([10]))
    t = time.perf_counter()
    Coordinator(ckpt, env_manager=envs, quiet=True).run(ds, plan, ev)
    return time.perf_counter() - t, ev


def overhead(trials: int, envs: EnvManager) -> None:
    t = time.perf_counter()
    envs.ensure(get_runner("Fake"))
    print(f"fake runner env ready in {time.perf_counter() - t:.2f} s (excluded from the figures)")
    raw = RecSysDataSet.from_dataframe(generate(1000, 800, 30000, seed=1), name="bench")
    ds = Pipe(MakeImplicit(1), UserHoldout(0.2, 0.1)).process(raw)
    values = [round(i * 0.5, 1) for i in range(trials)]
    plain = ExperimentPlan("plain")
    plain.add_algorithm("Fake.ItemCF", {"shrink": values})
    tuned = ExperimentPlan("tuned", selection=Selection(metric="NDCG@10", budget=trials, sampler="grid"))
    tuned.add_algorithm("Fake.ItemCF", {"shrink": values})
    per_fit = {}
    for name, plan in (
        ("plain run (every config tested)", plain),
        ("grid search (every config a trial)", tuned),
    ):
        with tempfile.TemporaryDirectory() as tmp:
            wall, _ = timed_run(Path(tmp), ds, plan, envs)
            handler, fits = handler_seconds(Path(tmp))
        per_fit[name] = (wall - handler) / fits
        print(
            f"{name}: {fits} fits, wall {wall:.2f} s, in handlers {handler:.2f} s, "
            f"overhead {per_fit[name] * 1000:.0f} ms per fit"
        )
    base, trial = per_fit.values()
    ratio = trial / base
    print(
        f"overhead per trial / per plain job: {ratio:.2f} (target <= 1.5) -> {'OK' if ratio <= 1.5 else 'MISSED'}"
    )


def real(envs: EnvManager) -> None:
    from omnirec_core import set_random_state

    t = time.perf_counter()
    envs.ensure(get_runner("RecPack"))
    print(f"RecPack env ready in {time.perf_counter() - t:.1f} s (excluded)")
    set_random_state(7)
    ds = Pipe(MakeImplicit(3), UserHoldout(0.2, 0.1)).process(RecSysDataSet.use_dataloader("ml-100k"))
    grid = [float(v) for v in np.logspace(0, 5, 20)]
    plans: dict[str, dict[str, Any]] = {
        "20 TPE trials, l2 ~ LogUniform(1, 1e5)": {"sampler": "tpe", "l2": {"loguniform": [1.0, 1e5]}},
        "20-point log grid over [1, 1e5]": {"sampler": "grid", "l2": grid},
    }
    for name, spec in plans.items():
        plan = ExperimentPlan(
            "ease", selection=Selection(metric="NDCG@10", budget=20, sampler=spec["sampler"])
        )
        plan.add_algorithm("RecPack.EASE", {"l2": spec["l2"]})
        with tempfile.TemporaryDirectory() as tmp:
            wall, ev = timed_run(Path(tmp), ds, plan, envs)
        search = ev.results.searches()[0]
        test = float(ev.get_results()["value"].iloc[0])
        best = search.selected_config or {}
        print(
            f"{name}: wall {wall:.1f} s, best validation NDCG@10 {search.validation_score:.4f} "
            f"at l2={best.get('l2', float('nan')):.4g}, its test NDCG@10 {test:.4f}"
        )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--trials", type=int, default=50)
    ap.add_argument("--real", action="store_true", help="also the RecPack EASE search on ML-100K")
    args = ap.parse_args()
    envs = EnvManager()
    overhead(args.trials, envs)
    if args.real:
        real(envs)


if __name__ == "__main__":
    main()
