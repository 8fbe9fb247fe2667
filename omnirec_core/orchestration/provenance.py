"""Records of what a run was given: each dataset's origin and preprocessing, and the run itself.

- ``<dataset dir>/dataset.json`` (once per dataset content key): name, origin (registered
  name, source, files read with their checksums), content fingerprint, the lineage with
  the profile before and after each step (users, items, interactions, density, activity
  distributions summarised), the final statistics and the split sizes per fold.
- ``runs/<run-id>.json`` (once per ``Coordinator.run``): omnirec and Python versions,
  host, the command line, the global seed, the plan (TOML-able, selection included), the
  metrics, the executor settings and the datasets, so a report can say what was run and
  how to run it again.

Both are descriptions, never inputs: nothing reads them to decide what to compute.
"""

from __future__ import annotations

import datetime as dt
import os
import platform
import shlex
import socket
import sys
import time
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any

from omnirec_core import __version__
from omnirec_core.data.dataset import RecSysDataSet
from omnirec_core.data.origin import published_files
from omnirec_core.data.profile import STEP_PROFILES, profile
from omnirec_core.orchestration.jobs import read_json
from omnirec_core.random import get_random_state
from omnirec_core.runner.fs import atomic_write_json
from omnirec_core.splitting.report import describe_split

if TYPE_CHECKING:
    from omnirec_core.evaluation.evaluator import Evaluator
    from omnirec_core.experiment.plan import ExperimentPlan
    from omnirec_core.orchestration.coordinator import Coordinator
    from omnirec_core.orchestration.planning import DatasetContext

DATASET_FILE = "dataset.json"
DATASET_FORMAT = "omnirec-dataset"
RUNS_DIR = "runs"
RUN_FORMAT = "omnirec-run"
VERSION = 1


def write_dataset_record(
    ds_dir: Path, dataset: RecSysDataSet[Any], key: str, fingerprint: str | None = None
) -> Path:
    """Write ``dataset.json`` into ``ds_dir`` unless it is there already (same content key,
    same record). ``fingerprint``: ``dataset.fingerprint()`` when the caller has it."""
    path = ds_dir / DATASET_FILE
    found = read_json(path)
    if found is not None and found.get("format") == DATASET_FORMAT and found.get("version") == VERSION:
        return path
    meta = dataset.meta
    registered = meta.get("dataset")
    files = meta.get("source_files")
    origin: dict[str, Any] = {
        "dataset": registered,
        "source": meta.get("source"),
        # The files read, as the loader recorded them; else what the catalogue publishes.
        "files": files if files else (published_files(str(registered)) if registered else []),
        "files_recorded": bool(files),
    }
    profiles = list(meta.get(STEP_PROFILES) or [])
    stats = dataset.stats().as_dict()
    atomic_write_json(
        path,
        {
            "format": DATASET_FORMAT,
            "version": VERSION,
            "name": dataset.name,
            "key": key,
            "fingerprint": fingerprint or dataset.fingerprint(),
            "feedback": dataset.feedback,
            "origin": origin,
            "duplicates_dropped": meta.get("duplicates_dropped"),
            "parse_reports": meta.get("parse_reports", []),
            "lineage": dataset.lineage,
            "step_profiles": profiles,
            "profile": profile(dataset),
            "stats": stats,
            "split": meta.get("split_report") or describe_split(dataset),
            "global_seed": get_random_state(),
        },
    )
    return path


def command_line(argv: list[str] | None = None) -> str:
    """The command that started this process, as a shell line (``omnirec run ...`` for the CLI)."""
    argv = list(sys.argv if argv is None else argv)
    if not argv:
        return ""
    head = Path(argv[0]).name
    if head == "omnirec" or (head == "__main__.py" and "omnirec_core" in argv[0]):
        return shlex.join(["omnirec", *argv[1:]])
    return shlex.join([Path(sys.executable).name, *argv])


def write_run_record(
    coordinator: Coordinator,
    plan: ExperimentPlan,
    evaluator: Evaluator,
    contexts: list[DatasetContext],
) -> Path:
    """Write ``runs/<run-id>.json`` for a run that starts now; returns its path."""
    now = time.time()
    run_id = time.strftime("%Y%m%d-%H%M%S", time.localtime(now)) + f"-{os.getpid()}-{uuid.uuid4().hex[:6]}"
    path = coordinator.checkpoint_dir / RUNS_DIR / f"{run_id}.json"
    atomic_write_json(
        path,
        {
            "format": RUN_FORMAT,
            "version": VERSION,
            "run_id": run_id,
            "started": dt.datetime.fromtimestamp(now, dt.timezone.utc).isoformat(timespec="seconds"),
            "omnirec": __version__,
            "python": platform.python_version(),
            "platform": platform.platform(),
            "host": socket.gethostname(),
            "argv": list(sys.argv),
            "command": command_line(),
            "cwd": os.getcwd(),
            "seed": get_random_state(),
            "plan": plan.to_dict(),
            "metrics": [lab for m in evaluator.metrics for lab in m.labels()],
            "metric_definitions": evaluator.definitions(),
            "relevance_threshold": evaluator.relevance_threshold,
            "k": int(evaluator.max_k() or 0),
            "executor": type(coordinator.executor).__name__,
            "max_workers": coordinator.max_workers,
            "threads": coordinator.threads,
            "device": coordinator.device,
            "datasets": [{"id": c.id, "name": c.name, "key": c.key, "label": c.label} for c in contexts],
        },
    )
    return path
