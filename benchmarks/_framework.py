"""Shared harness for the per-framework overhead benchmarks.

Both sides do the same work on the same ML-100K split (ratings >= 3, per-user 80/20):
fit one algorithm with its default config and produce the top-10 of every test user with
training items excluded.

- direct: a fresh process in the framework's runner env that loads the split and calls
  the framework itself (interpreter start and imports included, as for a user script);
- omnirec: ``Coordinator.run`` of a one-algorithm plan on a fresh checkpoint dir (runner
  start, TLS handshake, fit, predict, checks and central evaluation), env already built.
"""

from __future__ import annotations

import json
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

K = 10


def ml100k_split(implicit: bool = True) -> Any:
    from omnirec_core import MakeImplicit, Pipe, RecSysDataSet, UserHoldout, set_random_state

    set_random_state(7)
    ds = RecSysDataSet.use_dataloader("ml-100k")
    steps = [MakeImplicit(3)] if implicit else []
    return Pipe(*steps, UserHoldout(0.2)).process(ds)


def write_split(ds: Any, directory: Path) -> Path:
    """train/test columns as .npy plus meta.json, for the direct side."""
    for part in ("train", "test"):
        df = getattr(ds.data, part)
        for col in df.columns:
            np.save(directory / f"{part}_{col}.npy", df[col].to_numpy())
    (directory / "meta.json").write_text(json.dumps({"n_users": ds.n_users, "n_items": ds.n_items, "k": K}))
    return directory


def env_python(runner: str) -> str:
    from omnirec_core.orchestration.envs.manager import EnvManager
    from omnirec_core.plugin.manager import get_runner

    t = time.perf_counter()
    env = EnvManager().ensure(get_runner(runner))
    print(f"{runner} env ready in {time.perf_counter() - t:.1f} s (excluded)")
    return str(env.python)


def time_direct(python: str, script: Path, data: Path, algorithm: str) -> float:
    t = time.perf_counter()
    out = subprocess.run([python, str(script), str(data), algorithm], capture_output=True, text=True)
    wall = time.perf_counter() - t
    if out.returncode != 0:
        raise SystemExit(f"direct run of {algorithm} failed:\n{out.stderr[-3000:]}")
    return wall


def time_omnirec(ds: Any, algorithm: str, config: dict[str, Any] | None = None) -> float:
    from omnirec_core import NDCG, Coordinator, Evaluator, ExperimentPlan

    plan = ExperimentPlan("bench")
    plan.add_algorithm(algorithm, config or {})
    with tempfile.TemporaryDirectory() as ckpt:
        t = time.perf_counter()
        Coordinator(ckpt, quiet=True).run(ds, plan, Evaluator(NDCG([K])))
        return time.perf_counter() - t


def compare(
    runner: str,
    algorithms: list[str],
    script: Path,
    repeat: int = 2,
    implicit: bool = True,
    configs: dict[str, dict[str, Any]] | None = None,
) -> None:
    """Print direct vs through-omnirec wall time (best of ``repeat``) and their ratio."""
    python = env_python(runner)
    ds = ml100k_split(implicit)
    with tempfile.TemporaryDirectory() as tmp:
        data = write_split(ds, Path(tmp))
        print(f"{'algorithm':24s} {'direct s':>9s} {'omnirec s':>10s} {'ratio':>6s}  (target < 1.2)")
        for algo in algorithms:
            direct = min(time_direct(python, script, data, algo) for _ in range(repeat))
            config = (configs or {}).get(algo)
            through = min(time_omnirec(ds, f"{runner}.{algo}", config) for _ in range(repeat))
            ratio = through / direct
            print(
                f"{algo:24s} {direct:9.2f} {through:10.2f} {ratio:6.2f}  {'OK' if ratio < 1.2 else 'MISSED'}"
            )
