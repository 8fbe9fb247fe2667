"""The whole pipeline at scale: load -> preprocess -> split -> one cheap algorithm per
shipped framework -> evaluate, on a synthetic preset of 1M or 10M interactions.

For each phase it prints the wall time, the peak memory (this process's RSS growth during
the phase; for framework phases also the runner's own peak RSS from ``job.json``) and
omnirec's own share of the wall time: everything that is not inside the framework's fit
and predict handlers (data loading, preprocessing, splitting, env lookup, split files,
runner start, messages, checks, evaluation, records). The baseline is the frameworks'
own handler time measured in the same run; the target is an own share under 5 % at 10M.

With ``--trials N`` it then runs an N-point RecBole BPR grid (1 epoch each) on the same
split through the Coordinator -- all trials in one runner, as tuning does -- and prints
the time per trial spent outside RecBole's training epochs (target < 1 s), taken from
the runner's report (epoch timings in the fit info) against the wall time. Run it once
with ``OMNIREC_REUSE_ENTRIES=0`` for the same search without data reuse.

    nice python benchmarks/bench_scale.py --size 1m [--trials 20]
    nice python benchmarks/bench_scale.py --size 10m

Runner envs come from ``$OMNIREC_ENV_DIR`` (built first if missing; build time excluded).
The preset is generated once into ``--data-dir`` and loaded from that canonical cache,
as a downloaded dataset would be (generation time printed, excluded).
"""

from __future__ import annotations

import argparse
import json
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from omnirec_core import (
    NDCG,
    Coordinator,
    CorePruning,
    Evaluator,
    ExperimentPlan,
    MakeImplicit,
    Recall,
    RecSysDataSet,
    UserHoldout,
    set_random_state,
)
from omnirec_core.evaluation.metrics import HR
from omnirec_core.orchestration.envs.manager import EnvManager
from omnirec_core.plugin.manager import get_runner

#: One cheap algorithm per shipped framework (LensKit gets two: a baseline and k-NN).
ALGORITHMS: dict[str, dict[str, Any]] = {
    "LensKit.PopScorer": {},
    "LensKit.ItemKNNScorer": {"max_nbrs": 20},
    "RecPack.ItemKNN": {"K": 50},
    "RecBole.BPR": {"epochs": 1},
    "implicit.AlternatingLeastSquares": {"factors": 32, "iterations": 5},
    "Cornac.MostPop": {},
}


def _rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


class Phase:
    """Times a phase and samples this process's RSS every 20 ms while it runs."""

    def __init__(self, name: str, rows: list[dict[str, Any]]) -> None:
        self.name, self.rows = name, rows
        self.framework_s = 0.0
        self.runner_peak_mib: float | None = None

    def __enter__(self) -> Phase:
        self.start_rss = self.peak = _rss_mib()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        self.t0 = time.perf_counter()
        return self

    def _sample(self) -> None:
        while not self._stop.wait(0.02):
            self.peak = max(self.peak, _rss_mib())

    def __exit__(self, *exc: object) -> None:
        wall = time.perf_counter() - self.t0
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, _rss_mib())
        self.rows.append(
            {
                "phase": self.name,
                "wall_s": wall,
                "framework_s": self.framework_s,
                "rss_growth_mib": self.peak - self.start_rss,
                "runner_peak_mib": self.runner_peak_mib,
            }
        )


def _jobs(ckpt: Path, algorithm: str) -> list[dict[str, Any]]:
    out = []
    for path in ckpt.rglob("job.json"):
        rec = json.loads(path.read_text())
        if rec.get("algorithm") == algorithm:
            fit = path.parent / "fit.json"
            rec["fit_info"] = json.loads(fit.read_text()).get("info", {}) if fit.exists() else {}
            out.append(rec)
    return out


def _eval_seconds(ckpt: Path) -> dict[str, float]:
    """Per job key: seconds between its eval started and done journal records."""
    started: dict[str, float] = {}
    spent: dict[str, float] = {}
    journal = ckpt / "journal.jsonl"
    for line in journal.read_text().splitlines() if journal.exists() else []:
        rec = json.loads(line)
        if rec.get("phase") != "eval":
            continue
        if rec["event"] == "started":
            started[rec["job"]] = rec["t"]
        elif rec["event"] == "done" and rec["job"] in started:
            spent[rec["job"]] = rec["t"] - started[rec["job"]]
    return spent


def run_framework(
    ckpt: Path, ds: Any, algorithm: str, config: dict[str, Any], envs: EnvManager, rows: list
) -> None:
    plan = ExperimentPlan(f"scale-{algorithm}")
    plan.add_algorithm(algorithm, config)
    with Phase(f"{algorithm}: fit + predict + evaluate", rows) as phase:
        Coordinator(ckpt, env_manager=envs, quiet=True).run(
            ds, plan, Evaluator(NDCG([20]), Recall([20]), HR([20]))
        )
    jobs = _jobs(ckpt, algorithm)
    timings = [j.get("timings", {}) for j in jobs]
    phase.framework_s = sum(t.get("fit_handler_s", 0.0) + t.get("predict_handler_s", 0.0) for t in timings)
    rows[-1]["framework_s"] = phase.framework_s
    rows[-1]["runner_peak_mib"] = max((j.get("peak_rss_mib") or 0.0 for j in jobs), default=None)
    rows[-1]["runner_start_s"] = max((t.get("runner_start_s", 0.0) for t in timings), default=0.0)
    # Inside the runner but outside the handlers: reading the split, writing the lists, messages.
    rows[-1]["runner_io_s"] = sum(
        t.get(f"{p}_wall_s", 0.0) - t.get(f"{p}_handler_s", 0.0) for t in timings for p in ("fit", "predict")
    )
    evals = _eval_seconds(ckpt)
    rows[-1]["eval_s"] = sum(evals.get(j["key"], 0.0) for j in jobs if "key" in j)


def search(ckpt: Path, ds: Any, trials: int, envs: EnvManager) -> dict[str, float]:
    """An N-point RecBole BPR grid through the Coordinator; time outside training epochs."""
    rates = [round(0.0005 * (i + 1), 5) for i in range(trials)]
    plan = ExperimentPlan("scale-search")
    plan.add_algorithm("RecBole.BPR", {"epochs": 1, "embedding_size": 32, "learning_rate": rates})
    t0 = time.perf_counter()
    Coordinator(ckpt, env_manager=envs, quiet=True).run(ds, plan, Evaluator(NDCG([20])))
    wall = time.perf_counter() - t0
    jobs = [j for j in _jobs(ckpt, "RecBole.BPR") if j["config"].get("embedding_size") == 32]
    epochs = sum(sum(j["fit_info"].get("train_epoch_seconds", [])) for j in jobs)
    prepared = [j["fit_info"].get("prepared") for j in jobs]
    prepare_s = sum(j["fit_info"].get("prepare_seconds", 0.0) for j in jobs)
    fit_handler = sum(j["timings"]["fit_handler_s"] for j in jobs)
    predict_handler = sum(j["timings"]["predict_handler_s"] for j in jobs)
    handler = fit_handler + predict_handler
    evals = _eval_seconds(ckpt)
    return {
        "trials": len(jobs),
        "wall_s": wall,
        "epochs_s": epochs,
        "outside_per_trial_s": (wall - epochs) / max(len(jobs), 1),
        "handler_outside_epochs_per_trial_s": (handler - epochs) / max(len(jobs), 1),
        "fit_outside_epochs_per_trial_s": (fit_handler - epochs) / max(len(jobs), 1),
        "predict_per_trial_s": predict_handler / max(len(jobs), 1),
        "prepare_s": prepare_s,
        "reused": prepared.count("reused"),
        "eval_per_trial_s": sum(evals.get(j["key"], 0.0) for j in jobs if "key" in j) / max(len(jobs), 1),
        "runner_start_s": max(j["timings"].get("runner_start_s", 0.0) for j in jobs) if jobs else 0.0,
    }


def report(rows: list[dict[str, Any]], eval_s: float, size: str) -> None:
    """The per-phase table and omnirec's own share of the wall time."""
    total = sum(r["wall_s"] for r in rows)
    framework = sum(r["framework_s"] for r in rows)
    print(
        f"\n{'phase':48s} {'wall s':>8s} {'framework s':>12s} {'own s':>8s} {'own %':>6s} {'RSS +MiB':>9s} {'runner MiB':>10s}"
    )
    for r in rows:
        own = r["wall_s"] - r["framework_s"]
        runner = f"{r['runner_peak_mib']:.0f}" if r.get("runner_peak_mib") else "-"
        print(
            f"{r['phase']:48s} {r['wall_s']:8.2f} {r['framework_s']:12.2f} {own:8.2f} "
            f"{100 * own / r['wall_s']:6.1f} {r['rss_growth_mib']:9.0f} {runner:>10s}"
        )
    print("\nown time of each run: runner start + runner I/O (outside the handlers) + evaluation + the rest")
    for r in rows:
        if "runner_io_s" in r:
            rest = r["wall_s"] - r["framework_s"] - r["runner_start_s"] - r["runner_io_s"] - r["eval_s"]
            print(
                f"  {r['phase'].split(':')[0]:40s} {r['runner_start_s']:5.2f} + {r['runner_io_s']:5.2f} + "
                f"{r['eval_s']:5.2f} + {rest:5.2f}"
            )
    own = total - framework
    print(
        f"{'total':48s} {total:8.2f} {framework:12.2f} {own:8.2f} {100 * own / total:6.1f}\n"
        f"omnirec's own share: {100 * own / total:.1f} % of the wall time "
        f"(ratio own / framework = {own / max(framework, 1e-9):.3f}); central evaluation "
        f"{eval_s:.2f} s of it; runner starts "
        f"{sum(r.get('runner_start_s', 0.0) for r in rows):.2f} s (target: own share < 5 % at 10M)"
        + (f" -> {'OK' if own / total < 0.05 else 'MISSED'}" if size == "10m" else "")
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", default="1m", choices=["1m", "10m", "medium"])
    ap.add_argument("--trials", type=int, default=0, help="RecBole BPR grid points on the same split")
    ap.add_argument("--only", nargs="*", default=None, help="algorithms to run (default: all)")
    ap.add_argument("--checkpoint-dir", type=Path, default=None, help="keep the run here (default: temp)")
    ap.add_argument(
        "--data-dir",
        type=Path,
        default=Path("~/.cache/omnirec/bench-data"),
        help="where the generated preset is cached (default: %(default)s)",
    )
    ap.add_argument("--regenerate", action="store_true", help="generate the preset again")
    args = ap.parse_args()
    algorithms = {a: c for a, c in ALGORITHMS.items() if args.only is None or a in args.only}

    envs = EnvManager()
    t = time.perf_counter()
    for runner in sorted({a.split(".")[0] for a in algorithms} | ({"RecBole"} if args.trials else set())):
        envs.ensure(get_runner(runner))
    print(f"runner envs ready in {time.perf_counter() - t:.1f} s (excluded)")

    rows: list[dict[str, Any]] = []
    set_random_state(7)
    # Like a downloaded dataset, the preset is loaded from its canonical cache: generating
    # it (as downloading would) happens on the first run only and is excluded.
    name = f"synthetic-{args.size}"
    canon = args.data_dir.expanduser() / f"{name}.npz"
    if not canon.is_file() or args.regenerate:
        canon.parent.mkdir(parents=True, exist_ok=True)
        t = time.perf_counter()
        RecSysDataSet.use_dataloader(name, canon_path=canon, force_canonicalize=True)
        print(f"{name} generated and cached in {canon} in {time.perf_counter() - t:.1f} s (excluded)")
    with Phase("load (canonical cache)", rows):
        raw = RecSysDataSet.use_dataloader(name, canon_path=canon)
    with Phase("preprocess (5-core, implicit)", rows):
        pre = CorePruning(5).process(raw)
        pre = MakeImplicit(1).process(pre)  # every interaction counts as implicit feedback
    with Phase("split (per-user 80/20)", rows):
        ds = UserHoldout(0.2).process(pre)
    print(
        f"data: synthetic-{args.size}, {len(raw.data.df):,} rows -> {ds.n_users:,} users x {ds.n_items:,} items, "
        f"{len(ds.data.train):,} train / {len(ds.data.test):,} test rows"
    )
    with tempfile.TemporaryDirectory() as tmp:
        ckpt = args.checkpoint_dir or Path(tmp)
        for algorithm, config in algorithms.items():
            run_framework(ckpt, ds, algorithm, config, envs, rows)
        eval_s = sum(_eval_seconds(ckpt).values())

        if any(r["framework_s"] for r in rows):
            report(rows, eval_s, args.size)
        else:  # --only with nothing: the search alone
            print(f"load + preprocess + split: {sum(r['wall_s'] for r in rows):.2f} s")
        if args.trials:
            s = search(ckpt, ds, args.trials, envs)
            print(
                f"\nRecBole BPR search, {s['trials']} trials x 1 epoch in one runner: wall {s['wall_s']:.1f} s, "
                f"training epochs {s['epochs_s']:.1f} s -> outside epochs {s['outside_per_trial_s']:.2f} s per trial "
                f"(target < 1 s) -> {'OK' if s['outside_per_trial_s'] < 1 else 'MISSED'}\n"
                f"  of which: inside the handler but outside epochs {s['handler_outside_epochs_per_trial_s']:.2f} s/trial "
                f"(fit {s['fit_outside_epochs_per_trial_s']:.2f} s, predict {s['predict_per_trial_s']:.2f} s; "
                f"data prepared {s['prepare_s']:.1f} s in all, reused by {s['reused']} trials), evaluation "
                f"{s['eval_per_trial_s']:.2f} s/trial, runner start {s['runner_start_s']:.1f} s once"
            )


if __name__ == "__main__":
    main()
