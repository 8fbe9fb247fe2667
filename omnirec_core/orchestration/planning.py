"""From datasets and a plan to jobs: one per dataset x algorithm x config x fold.

A job's key and seed come from content: the split dataset (data, lineage, global seed),
the algorithm, its *effective* config (the plan's values over the algorithm's declared
defaults, so writing a default out changes nothing) and the runner env. Its directory is
``<dataset name>-<dataset key>/<Runner.Algorithm>-<job hash>/[fold_N/]``, so two datasets
with the same content under different names stay two datasets. A tuning trial with a
given configuration is the very job a grid would run for it; only a refit (on train and
validation) is a job of its own.

With a selection, a plan becomes one :class:`~omnirec_core.orchestration.search.SearchSpec`
per dataset and algorithm instead: the trials are planned where the search runs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from omnirec_core.data.dataset import FoldedData, RecSysDataSet, SplitData
from omnirec_core.experiment.plan import ExperimentPlan, config_key
from omnirec_core.orchestration.jobs import Job, dataset_labels, short_hash
from omnirec_core.orchestration.provenance import write_dataset_record
from omnirec_core.orchestration.splitfiles import write_split
from omnirec_core.plugin.specs import AlgorithmSpec, RunnerSpec
from omnirec_core.random import get_random_state, label_seed


def safe_name(name: str) -> str:
    """A name usable as a directory name."""
    return re.sub(r"[^A-Za-z0-9_.+-]+", "_", name) or "dataset"


def dataset_key(ds: RecSysDataSet[Any], fingerprint: str | None = None) -> str:
    """Content key of a split dataset: its data, its lineage and the global seed.

    ``fingerprint``: ``ds.fingerprint()`` when the caller has it already.
    """
    return short_hash(fingerprint or ds.fingerprint(), ds.lineage, get_random_state())


def dataset_fingerprints(datasets: list[RecSysDataSet[Any]]) -> dict[int, str]:
    """Each dataset's fingerprint, by object id: hashing 10M rows takes a fraction of a
    second, so a run computes it once per dataset and hands it on."""
    return {id(ds): ds.fingerprint() for ds in datasets}


def dataset_keys(
    datasets: list[RecSysDataSet[Any]], fingerprints: dict[int, str] | None = None
) -> dict[int, str]:
    """Each dataset's :func:`dataset_key`, by object id (from ``fingerprints`` when given)."""
    fps = fingerprints or {}
    return {id(ds): dataset_key(ds, fps.get(id(ds))) for ds in datasets}


def unique_datasets(
    datasets: list[RecSysDataSet[Any]], keys: dict[int, str]
) -> tuple[list[RecSysDataSet[Any]], list[str]]:
    """The datasets without repeats (same object, or same name and content), and a note per repeat."""
    kept: list[RecSysDataSet[Any]] = []
    seen: set[tuple[str, str]] = set()
    notes = []
    for ds in datasets:
        ident = (ds.name, keys[id(ds)])
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
class DatasetContext:
    """What jobs on one split dataset share: identity, sizes and the split files of each fold."""

    name: str
    key: str
    label: str
    dir: str
    n_users: int
    n_items: int
    feedback: str
    folded: bool
    splits: list[dict[str, Any]] = field(default_factory=list)  # write_split descriptions

    @property
    def id(self) -> str:
        return Path(self.dir).name

    def fold(self, index: int) -> int | None:
        return index if self.folded else None


def dataset_contexts(
    checkpoint_dir: Path,
    datasets: list[RecSysDataSet[Any]],
    keys: dict[int, str] | None = None,
    fingerprints: dict[int, str] | None = None,
) -> list[DatasetContext]:
    """One context per dataset, its split files written (once) under the checkpoint directory.

    ``keys`` and ``fingerprints``: the datasets' :func:`dataset_keys` and
    :func:`dataset_fingerprints` when already computed.
    """
    fingerprints = fingerprints or {}
    keys = dataset_keys(datasets, fingerprints) if keys is None else keys
    labels = dataset_labels([(ds.name, keys[id(ds)]) for ds in datasets])
    out = []
    for ds in datasets:
        key = keys[id(ds)]
        ds_dir = checkpoint_dir / f"{safe_name(ds.name)}-{key}"
        splits = [ds.data] if isinstance(ds.data, SplitData) else list(ds.data.folds)
        # What the report shows: origin, steps, sizes.
        write_dataset_record(ds_dir, ds, key, fingerprints.get(id(ds)))
        out.append(
            DatasetContext(
                name=ds.name,
                key=key,
                label=labels[(ds.name, key)],
                dir=str(ds_dir),
                n_users=ds.n_users,
                n_items=ds.n_items,
                feedback=ds.feedback,
                folded=isinstance(ds.data, FoldedData),
                splits=[write_split(ds_dir / "splits" / f"fold_{i}", s) for i, s in enumerate(splits)],
            )
        )
    return out


def make_job(
    ctx: DatasetContext,
    index: int,
    name: str,
    config: dict[str, Any],
    effective: dict[str, Any],
    env_key: str,
    *,
    k: int,
    need_pairs: bool,
    refit: bool = False,
) -> Job:
    """The test job of ``name`` with ``effective`` config on fold ``index`` (``config``: as shown).

    ``refit``: trained on train and validation together (a selection's refit), a job of its own.
    """
    desc = ctx.splits[index]
    ck = config_key(effective)
    job_hash = short_hash(ctx.key, name, ck, get_random_state(), env_key, *(["refit"] if refit else []))
    base = Path(ctx.dir) / f"{name}-{job_hash}"
    fold = ctx.fold(index)
    has_val = desc.get("val") is not None
    return Job(
        key=f"{ctx.id}/{name}-{job_hash}" + (f"/fold_{index}" if ctx.folded else ""),
        dataset=ctx.name,
        dataset_key=ctx.key,
        algorithm=name,
        config=config,
        effective_config=effective,
        fold=fold,
        # 31 bits: every framework accepts it (numpy legacy seeding stops at 2**32).
        seed=label_seed("job", ctx.key, name, ck, fold) & 0x7FFFFFFF,
        job_dir=str(base / f"fold_{index}" if ctx.folded else base),
        n_users=ctx.n_users,
        n_items=ctx.n_items,
        feedback=ctx.feedback,
        data={"train": desc["trainval"], "val": None}
        if refit
        else {"train": desc["train"], "val": desc.get("val")},
        users=desc["users"] if k > 0 else None,
        pairs=desc["pairs"] if need_pairs else None,
        k=k,
        env_key=env_key,
        # A refit's training data holds the validation part; otherwise test lists leave it out.
        exclude_val=has_val and not refit,
        extra={"split_dir": desc["dir"]},
    )


def plan_jobs(
    contexts: list[DatasetContext],
    plan: ExperimentPlan,
    runners: dict[str, tuple[RunnerSpec, AlgorithmSpec]],
    env_keys: dict[str, str],
    *,
    k: int,
    need_pairs: bool,
) -> list[Job]:
    """Every job of a run without selection: each config of each algorithm on each fold."""
    out = []
    for ctx in contexts:
        for entry in plan.algorithms:
            runner, algo = runners[entry]
            name = f"{runner.name}.{algo.name}"  # canonical spelling, whatever the plan wrote
            for cfg in plan.expand(entry):
                effective = effective_config(algo, cfg)
                for index in range(len(ctx.splits)):
                    out.append(
                        make_job(
                            ctx, index, name, cfg, effective, env_keys[entry], k=k, need_pairs=need_pairs
                        )
                    )
    return out
