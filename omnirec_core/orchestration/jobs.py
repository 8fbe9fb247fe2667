"""Jobs and their on-disk records.

A job is one (dataset, algorithm, config, fold). Its directory holds what each phase
leaves behind, each written atomically and checked by hash before it is trusted:

``job.json`` (what the job is, status, seed, versions, timings), ``model/`` (runner-owned
model state) with ``fit.json`` (hash of every model file), ``predictions/`` with
``predict.json`` (column descriptions with hashes), ``metrics.json`` + ``per_user.npz``
(evaluation), and ``failed.json`` when the last attempt failed.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from omnirec_core.runner.columns import ColumnFileError, read_columns
from omnirec_core.runner.fs import atomic_write_json, sha256_file

JOB_FILE = "job.json"
FIT_FILE = "fit.json"
PREDICT_FILE = "predict.json"
VALIDATION_FILE = "validation.json"
FAILED_FILE = "failed.json"
MODEL_DIR = "model"
PRED_DIR = "predictions"
VAL_DIR = "validation"


def short_hash(*parts: Any, n: int = 12) -> str:
    h = hashlib.sha256()
    for p in parts:
        h.update(json.dumps(p, sort_keys=True, default=str).encode())
        h.update(b"\x1f")
    return h.hexdigest()[:n]


@dataclass
class Job:
    """Everything a runner needs for one job, plus where its records live."""

    key: str
    dataset: str
    dataset_key: str  # content hash of the split dataset (data, lineage, seed)
    algorithm: str  # "Runner.Algorithm"
    config: dict[str, Any]  # as the plan wrote it (what result tables show)
    fold: int | None
    seed: int
    job_dir: str
    n_users: int
    n_items: int
    feedback: str
    data: dict[str, Any]  # {"train": desc, "val": desc|None}
    users: dict[str, Any] | None  # desc with a "user" column, for top-K
    pairs: dict[str, Any] | None  # desc with user/item columns, for rating metrics
    k: int
    exclude_train: bool = True
    env_key: str = ""
    #: Test lists leave out validation items too (the split has a validation part).
    exclude_val: bool = False
    #: What ``users``/``pairs`` are: the test part (``test``) or, for a tuning trial,
    #: the validation part (``validation``, recorded apart from test predictions).
    predict_to: str = "test"

    @property
    def record_file(self) -> str:
        return VALIDATION_FILE if self.predict_to == "validation" else PREDICT_FILE

    @property
    def pred_dir(self) -> str:
        return VAL_DIR if self.predict_to == "validation" else PRED_DIR

    extra: dict[str, Any] = field(default_factory=dict)
    #: The plan's config with the algorithm's declared defaults filled in: what the runner
    #: gets, and what the job's key and seed are derived from.
    effective_config: dict[str, Any] = field(default_factory=dict)

    @property
    def run_config(self) -> dict[str, Any]:
        """The config the runner trains with (unit specs of older versions lack the effective one)."""
        return self.effective_config or self.config

    @property
    def dataset_id(self) -> str:
        """The dataset's directory name: its name and content key (two names, two ids)."""
        return self.key.split("/", 1)[0]

    @property
    def runner(self) -> str:
        return self.algorithm.split(".", 1)[0]

    @property
    def algo(self) -> str:
        return self.algorithm.split(".", 1)[1]

    @property
    def path(self) -> Path:
        return Path(self.job_dir)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Job:
        return cls(**{k: v for k, v in d.items() if k in cls.__dataclass_fields__})


def dataset_labels(datasets: list[tuple[str, str]]) -> dict[tuple[str, str], str]:
    """Result-table labels of (name, content key) pairs: the name, unless several contents
    share it (different preprocessing), then ``name (first 8 of the key)``."""
    keys_by_name: dict[str, set[str]] = {}
    for name, key in datasets:
        keys_by_name.setdefault(name, set()).add(key)
    return {(n, k): n if len(keys_by_name[n]) == 1 else f"{n} ({k[:8]})" for n, k in datasets}


def read_json(path: Path) -> dict[str, Any] | None:
    """A JSON record, or ``None`` when missing or unreadable."""
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def model_hashes(job_dir: Path) -> dict[str, str]:
    model = job_dir / MODEL_DIR
    if not model.exists():
        return {}
    return {
        str(p.relative_to(model)): sha256_file(p)
        for p in sorted(model.rglob("*"))
        if p.is_file() and not p.name.startswith(".")
    }


def fit_done(job_dir: Path) -> bool:
    """Fit finished and every model file is unchanged since."""
    rec = read_json(job_dir / FIT_FILE)
    return rec is not None and rec.get("files") == model_hashes(job_dir)


def record_fit(job_dir: Path, info: dict[str, Any]) -> None:
    atomic_write_json(job_dir / FIT_FILE, {**info, "files": model_hashes(job_dir)})


def prediction_source(rec: dict[str, Any]) -> str:
    """Identity of the predictions a score was computed from (their column hashes)."""
    return short_hash(
        {p: {c: v["sha256"] for c, v in rec[p]["columns"].items()} for p in ("topk", "pairs") if rec.get(p)},
        n=16,
    )


def rebase(desc: dict[str, Any] | None, base: Path, *, relative: bool) -> dict[str, Any] | None:
    """A column description with paths made relative to ``base`` (for records on disk, so a
    checkpoint tree can be moved) or absolute again (for use)."""
    if not desc:
        return desc
    cols = {}
    for name, col in desc["columns"].items():
        p = Path(col["path"])
        p = (
            (p.relative_to(base) if p.is_absolute() else p)
            if relative
            else (p if p.is_absolute() else base / p)
        )
        cols[name] = {**col, "path": str(p)}
    return {**desc, "columns": cols}


def write_predict_record(
    job_dir: Path, k: int, reply: dict[str, Any], *, exclude_val: bool = False, record: str = PREDICT_FILE
) -> None:
    """Record a predict reply: ``predict.json`` for test predictions (``validation.json``
    for a tuning trial's validation predictions), with paths relative to ``job_dir``."""
    atomic_write_json(
        job_dir / record,
        {
            "k": k,
            "exclude_val": exclude_val,
            "topk": rebase(reply.get("topk"), job_dir, relative=True),
            "pairs": rebase(reply.get("pairs"), job_dir, relative=True),
            "info": reply.get("info", {}),
        },
    )


def predict_record(
    job_dir: Path, k: int, need_pairs: bool, *, exclude_val: bool = False, record: str = PREDICT_FILE
) -> dict[str, Any] | None:
    """The predict record (absolute paths) if predictions are complete, unaltered, cover ``k``
    and follow the same exclusion protocol (validation items left out or not)."""
    rec = read_json(job_dir / record)
    if rec is None or rec.get("k", 0) < k or (need_pairs and not rec.get("pairs")):
        return None
    if bool(rec.get("exclude_val", False)) != exclude_val:
        return None
    rec["topk"] = rebase(rec.get("topk"), job_dir, relative=False)
    rec["pairs"] = rebase(rec.get("pairs"), job_dir, relative=False)
    try:
        for part in ("topk", "pairs"):
            if rec.get(part):
                read_columns(rec[part], verify=True, mmap=True)
    except (ColumnFileError, KeyError, TypeError):
        return None
    return rec


def write_job_record(job: Job, **status: Any) -> None:
    """Merge ``status`` into ``job.json`` (atomically)."""
    path = job.path / JOB_FILE
    rec = read_json(path) or {}
    rec.update(
        {
            "key": job.key,
            "dataset": job.dataset,
            "dataset_key": job.dataset_key,
            "algorithm": job.algorithm,
            "config": job.config,
            "effective_config": job.run_config,
            "fold": job.fold,
            "seed": job.seed,
            "env_key": job.env_key,
            # A tuning trial's record (validation lists only): not a test result of the run.
            "trial": job.predict_to == "validation",
        }
    )
    rec.update(status)
    atomic_write_json(path, rec)
