"""Run files: one TOML file with the dataset, preprocessing, split, plan and metrics.

Example::

    name = "ml100k-demo"
    seed = 42
    checkpoint_dir = "checkpoints"

    [dataset]
    name = "ml-100k"                 # a registered dataset, or: path = "ratings.csv"

    [[preprocess]]
    step = "MakeImplicit"
    threshold = 3

    [split]
    name = "UserHoldout"
    test_size = 0.2

    [[algorithms]]
    name = "Fake.Pop"

    [evaluation]
    metrics = ["NDCG@10", "Recall@10"]
"""

from __future__ import annotations

import difflib
import re
from collections import defaultdict
from dataclasses import dataclass, field
from os import PathLike
from pathlib import Path
from typing import Any

from omnirec_core import preprocess
from omnirec_core.data.dataset import RecSysDataSet
from omnirec_core.evaluation.evaluator import Evaluator
from omnirec_core.experiment.plan import ExperimentPlan, PlanError, read_toml
from omnirec_core.plugin.manager import get_metric, get_splitter
from omnirec_core.random import set_random_state

_METRIC = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(?:@\s*(\d+))?\s*$")
KNOWN_KEYS = {
    "name",
    "seed",
    "checkpoint_dir",
    "dataset",
    "preprocess",
    "split",
    "algorithms",
    "evaluation",
    "run",
    "selection",
}


@dataclass
class RunFile:
    """A parsed run file."""

    path: Path
    plan: ExperimentPlan
    dataset: dict[str, Any]
    preprocess: list[dict[str, Any]]
    split: dict[str, Any]
    metrics: list[str]
    seed: int | None = None
    checkpoint_dir: Path = Path("checkpoints")
    run: dict[str, Any] = field(default_factory=dict)

    def build_dataset(self) -> RecSysDataSet[Any]:
        """Load, preprocess and split the dataset as the file says."""
        if self.seed is not None:
            set_random_state(self.seed)
        ds = _load_dataset(self.dataset, self.path.parent)
        steps = [_make_step(s) for s in self.preprocess]
        steps.append(_make_splitter(self.split))
        for step in steps:
            ds = step.process(ds)
        return ds

    def build_evaluator(self) -> Evaluator:
        return build_evaluator(self.metrics)


def load_run_file(path: str | PathLike[str]) -> RunFile:
    path = Path(path)
    data = read_toml(path)
    unknown = sorted(set(data) - KNOWN_KEYS)
    if unknown:
        raise PlanError(
            f"{path}: unknown top-level key(s) {', '.join(unknown)}; known: {', '.join(sorted(KNOWN_KEYS))}"
        )
    for key in ("dataset", "split", "algorithms"):
        if key not in data:
            raise PlanError(f"{path}: missing [{key}] section (see examples/ for a complete run file)")
    metrics = data.get("evaluation", {}).get("metrics", [])
    if not metrics:
        raise PlanError(f'{path}: [evaluation] metrics is empty; e.g. metrics = ["NDCG@10", "Recall@10"]')
    ckpt = Path(data.get("checkpoint_dir", "checkpoints"))
    return RunFile(
        path=path,
        plan=ExperimentPlan.from_dict(
            {
                "name": data.get("name", path.stem),
                "algorithms": data["algorithms"],
                **({"selection": data["selection"]} if "selection" in data else {}),
            }
        ),
        dataset=dict(data["dataset"]),
        preprocess=list(data.get("preprocess", [])),
        split=dict(data["split"]),
        metrics=list(metrics),
        seed=data.get("seed"),
        checkpoint_dir=ckpt if ckpt.is_absolute() else path.parent / ckpt,
        run=dict(data.get("run", {})),
    )


def _load_dataset(cfg: dict[str, Any], base: Path) -> RecSysDataSet[Any]:
    cfg = dict(cfg)
    if "path" in cfg:
        p = Path(cfg.pop("path"))
        p = p if p.is_absolute() else base / p
        columns = cfg.pop("columns", None)
        name = cfg.pop("name", None)
        if p.suffix in (".parquet", ".pq"):
            return RecSysDataSet.from_parquet(p, name=name, columns=columns)
        if p.suffix == ".npz":
            return RecSysDataSet.load(p)
        return RecSysDataSet.from_csv(p, name=name, columns=columns, **cfg)
    if "name" not in cfg:
        raise PlanError("[dataset] needs name = '<registered dataset>' or path = '<file>'")
    return RecSysDataSet.use_dataloader(cfg.pop("name"), **cfg)


def _make_step(cfg: dict[str, Any]) -> Any:
    cfg = dict(cfg)
    name = cfg.pop("step", None)
    # Splitters are exported from preprocess too; a [[preprocess]] entry must be a plain step.
    available = [
        n for n in preprocess.__all__ if n not in preprocess._SPLITTERS and n not in ("Pipe", "Step")
    ]
    if name not in available:
        close = difflib.get_close_matches(str(name), available, n=1)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise PlanError(f"unknown preprocessing step {name!r}.{hint} Steps: {', '.join(available)}")
    return _construct(getattr(preprocess, name), cfg, f"step {name}")


def _make_splitter(cfg: dict[str, Any]) -> Any:
    cfg = dict(cfg)
    name = cfg.pop("name", None)
    if name is None:
        raise PlanError("[split] needs name = '<splitter>', e.g. 'UserHoldout'")
    return _construct(get_splitter(name).factory, cfg, f"splitter {name}")


def _construct(factory: Any, kwargs: dict[str, Any], what: str) -> Any:
    try:
        return factory(**kwargs)
    except TypeError as exc:
        raise PlanError(f"{what}: {exc}") from None


def parse_metrics(specs: list[str]) -> dict[str, list[int]]:
    """``["NDCG@5", "NDCG@10", "RMSE"]`` -> ``{"NDCG": [5, 10], "RMSE": []}``."""
    grouped: dict[str, list[int]] = defaultdict(list)
    for spec in specs:
        m = _METRIC.match(str(spec))
        if not m:
            raise PlanError(f"cannot read metric {spec!r}; write it as NAME or NAME@K, e.g. 'NDCG@10'")
        name, k = m.group(1), m.group(2)
        grouped[name]
        if k is not None and int(k) not in grouped[name]:
            grouped[name].append(int(k))
    return dict(grouped)


def build_evaluator(specs: list[str]) -> Evaluator:
    """An Evaluator from metric strings (``NDCG@10``), each looked up in the metric plugins."""
    metrics = []
    for name, ks in parse_metrics(specs).items():
        spec = get_metric(name)
        metrics.append(spec.factory(sorted(ks)) if ks else spec.factory())
    return Evaluator(*metrics)
