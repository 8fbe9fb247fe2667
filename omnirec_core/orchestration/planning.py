"""From datasets and a plan to jobs: one per dataset x algorithm x config x fold.

A job's key and seed come from content: the split dataset (data, lineage, global seed),
the algorithm, its *effective* config (the plan's values over the algorithm's declared
defaults, so writing a default out changes nothing) and the runner env. Its directory is
``<dataset name>-<dataset key>/<Runner.Algorithm>-<job hash>/[fold_N/]``, so two datasets
with the same content under different names stay two datasets.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from omnirec_core.data.dataset import FoldedData, RecSysDataSet, SplitData
from omnirec_core.experiment.plan import ExperimentPlan, config_key
from omnirec_core.orchestration.jobs import Job, dataset_labels, short_hash
from omnirec_core.orchestration.splitfiles import write_split
from omnirec_core.plugin.specs import AlgorithmSpec, RunnerSpec
from omnirec_core.random import get_random_state, label_seed


def safe_name(name: str) -> str:
    """A name usable as a directory name."""
    return re.sub(r"[^A-Za-z0-9_.+-]+", "_", name) or "dataset"


def dataset_key(ds: RecSysDataSet[Any]) -> str:
    """Content key of a split dataset: its data, its lineage and the global seed."""
    return short_hash(ds.fingerprint(), ds.lineage, get_random_state())


def unique_datasets(datasets: list[RecSysDataSet[Any]]) -> tuple[list[RecSysDataSet[Any]], list[str]]:
    """The datasets without repeats (same object, or same name and content), and a note per repeat."""
    kept: list[RecSysDataSet[Any]] = []
    seen: set[tuple[str, str]] = set()
    notes = []
    for ds in datasets:
        ident = (ds.name, dataset_key(ds))
        if ident in seen:
            notes.append(f"dataset {ds.name!r} was given twice (same name and content); it runs once")
            continue
        seen.add(ident)
        kept.append(ds)
    return kept, notes


def effective_config(algo: AlgorithmSpec, config: dict[str, Any]) -> dict[str, Any]:
    """The plan's config over the algorithm's declared defaults."""
    return {**dict(algo.defaults), **config}


@dataclass
class JobPlan:
    """The jobs of a run and the table label of each dataset id."""

    jobs: list[Job] = field(default_factory=list)
    labels: dict[str, str] = field(default_factory=dict)


def plan_jobs(
    checkpoint_dir: Path,
    datasets: list[RecSysDataSet[Any]],
    plan: ExperimentPlan,
    runners: dict[str, tuple[RunnerSpec, AlgorithmSpec]],
    env_keys: dict[str, str],
    *,
    k: int,
    need_pairs: bool,
) -> JobPlan:
    """Every job of the run (split files are written once per dataset and fold)."""
    out = JobPlan()
    keys = {id(ds): dataset_key(ds) for ds in datasets}
    labels = dataset_labels([(ds.name, keys[id(ds)]) for ds in datasets])
    for ds in datasets:
        ds_key = keys[id(ds)]
        ds_id = f"{safe_name(ds.name)}-{ds_key}"
        out.labels[ds_id] = labels[(ds.name, ds_key)]
        ds_dir = checkpoint_dir / ds_id
        splits = [ds.data] if isinstance(ds.data, SplitData) else list(ds.data.folds)
        folded = isinstance(ds.data, FoldedData)
        split_descs = [write_split(ds_dir / "splits" / f"fold_{i}", s) for i, s in enumerate(splits)]
        for entry in plan.algorithms:
            runner, algo = runners[entry]
            name = f"{runner.name}.{algo.name}"  # canonical spelling, whatever the plan wrote
            for cfg in plan.expand(entry):
                effective = effective_config(algo, cfg)
                ck = config_key(effective)
                job_hash = short_hash(ds_key, name, ck, get_random_state(), env_keys[entry])
                base = ds_dir / f"{name}-{job_hash}"
                for i, desc in enumerate(split_descs):
                    fold = i if folded else None
                    out.jobs.append(
                        Job(
                            key=f"{ds_id}/{name}-{job_hash}" + (f"/fold_{i}" if folded else ""),
                            dataset=ds.name,
                            dataset_key=ds_key,
                            algorithm=name,
                            config=cfg,
                            effective_config=effective,
                            fold=fold,
                            # 31 bits: every framework accepts it (numpy legacy seeding stops at 2**32).
                            seed=label_seed("job", ds_key, name, ck, fold) & 0x7FFFFFFF,
                            job_dir=str(base / f"fold_{i}" if folded else base),
                            n_users=ds.n_users,
                            n_items=ds.n_items,
                            feedback=ds.feedback,
                            data={"train": desc["train"], "val": desc.get("val")},
                            users=desc["users"] if k > 0 else None,
                            pairs=desc["pairs"] if need_pairs else None,
                            k=k,
                            env_key=env_keys[entry],
                            exclude_val=desc.get("val") is not None,
                            extra={"split_dir": desc["dir"]},
                        )
                    )
    return out
