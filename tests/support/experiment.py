"""A small, deterministic experiment with the fake runner, usable in-process or as a script.

``python -m tests.support.experiment CHECKPOINT_DIR [N_CONFIGS] [SLEEP] [tuned]`` runs it
(or, with ``tuned``, two searches of N_CONFIGS trials) in a fresh process (used by the
kill -9 tests) and prints nothing but errors.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from omnirec_core import (
    NDCG,
    Coordinator,
    CorePruning,
    Evaluator,
    ExperimentPlan,
    MakeImplicit,
    Pipe,
    Recall,
    RecSysDataSet,
    Selection,
    UserHoldout,
)
from omnirec_core.data.synthetic import generate
from omnirec_core.orchestration.envs.inplace import CurrentInterpreter


def dataset(seed: int = 1, users: int = 200, items: int = 120, rows: int = 6000) -> RecSysDataSet[Any]:
    df = generate(users, items, rows, seed=seed)
    ds = RecSysDataSet.from_dataframe(df, name="synth")
    return Pipe(MakeImplicit(3), CorePruning(3), UserHoldout(0.2)).process(ds)


def val_dataset(seed: int = 1) -> RecSysDataSet[Any]:
    """Like :func:`dataset`, with a validation part (for tuned plans)."""
    df = generate(200, 120, 6000, seed=seed)
    ds = RecSysDataSet.from_dataframe(df, name="synth-val")
    return Pipe(MakeImplicit(3), CorePruning(3), UserHoldout(0.2, 0.1)).process(ds)


def tuned_plan(budget: int = 6, sleep: float = 0.0) -> ExperimentPlan:
    """Two TPE searches of ``budget`` trials, each fit lasting ``sleep`` seconds."""
    p = ExperimentPlan("tuned", selection=Selection(metric="NDCG@10", budget=budget, sampler="tpe"))
    p.add_algorithm("Fake.ItemCF", {"shrink": {"loguniform": [0.1, 100.0]}, "sleep": sleep})
    p.add_algorithm("Fake.Pop", {"sleep": [sleep + i * 1e-3 for i in range(budget)]})
    return p


def plan(n_configs: int = 2, sleep: float = 0.0) -> ExperimentPlan:
    p = ExperimentPlan("test")
    p.add_algorithm("Fake.Pop", {"sleep": [sleep + i * 1e-3 for i in range(n_configs)]})
    p.add_algorithm("Fake.ItemCF", {"shrink": [0.0, 5.0]})
    return p


def run(
    checkpoint_dir: Path,
    ds: Any = None,
    p: ExperimentPlan | None = None,
    evaluator: Any = None,
    **kwargs: Any,
) -> Evaluator:
    evaluator = evaluator or Evaluator(NDCG([5, 10]), Recall(10))
    kwargs.setdefault("env_manager", CurrentInterpreter())
    kwargs.setdefault("quiet", True)
    Coordinator(checkpoint_dir, **kwargs).run(ds if ds is not None else dataset(), p or plan(), evaluator)
    return evaluator


CLI_PLAN = """
name = "cli"
seed = 3
checkpoint_dir = "ck"

[dataset]
name = "synthetic-tiny"

[[preprocess]]
step = "MakeImplicit"
threshold = 3

[split]
name = "UserHoldout"
test_size = 0.2

[[algorithms]]
name = "Fake.Pop"

[[algorithms]]
name = "Fake.ItemCF"
config = { shrink = [0.0, 2.0] }

[evaluation]
metrics = METRICS
"""


def write_cli_plan(path: Path, metrics: list[str], extra: str = "") -> Path:
    """A run file with three fake-runner jobs on synthetic data (plus ``extra`` TOML)."""
    path.write_text(CLI_PLAN.replace("METRICS", repr(metrics)) + extra)
    return path


if __name__ == "__main__":
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 2
    sleep = float(sys.argv[3]) if len(sys.argv) > 3 else 0.0
    if len(sys.argv) > 4 and sys.argv[4] == "tuned":
        run(Path(sys.argv[1]), ds=val_dataset(), p=tuned_plan(n, sleep))
    else:
        run(Path(sys.argv[1]), p=plan(n, sleep))
