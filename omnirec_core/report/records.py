"""What a checkpoint tree holds for a report, read once: results, job, search, dataset and run records.

Nothing here computes a number of its own: values are the evaluation's (``metrics.json``
and ``per_user.npz``, through :func:`~omnirec_core.orchestration.tree.load_checkpoint_results`),
timings, versions and seeds are the jobs' own records (``job.json``), datasets and runs
are described by the records the run wrote (``dataset.json``, ``runs/*.json``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from omnirec_core.errors import OmniRecError
from omnirec_core.evaluation.labels import config_json
from omnirec_core.evaluation.metrics.base import split_label
from omnirec_core.evaluation.result import METRICS_FILE
from omnirec_core.evaluation.resultset import ResultSet
from omnirec_core.orchestration.jobs import dataset_labels, read_json
from omnirec_core.orchestration.provenance import DATASET_FILE, DATASET_FORMAT, RUN_FORMAT, RUNS_DIR
from omnirec_core.orchestration.tree import job_records, load_checkpoint_results, search_records


class ReportError(OmniRecError):
    """A report cannot be built: no checkpoint tree, nothing evaluated, an unknown option value."""


@dataclass
class JobRecord:
    """A job's ``job.json`` and where its row is in the results: dataset label, algorithm,
    canonical config JSON and fold."""

    dataset: str
    algorithm: str
    config: str
    fold: int | None
    info: dict[str, Any]
    dir: Path

    @property
    def row(self) -> tuple[str, str]:
        return self.algorithm, self.config

    @property
    def trial(self) -> bool:
        return bool(self.info.get("trial"))


@dataclass
class TreeRecords:
    """Everything a report shows, as the checkpoint tree records it."""

    root: Path
    results: ResultSet
    metric: str | None  # the main metric label (per-user values loaded for it only)
    higher_is_better: bool
    jobs: list[JobRecord] = field(default_factory=list)  # every job.json, trials included
    searches: list[dict[str, Any]] = field(default_factory=list)  # search.json, with "label"
    datasets: dict[str, dict[str, Any] | None] = field(default_factory=dict)  # label -> dataset.json
    dataset_ids: dict[str, str] = field(default_factory=dict)  # label -> directory name
    runs: list[dict[str, Any]] = field(default_factory=list)  # oldest first
    definitions: dict[str, dict[str, Any]] = field(default_factory=dict)  # metric name -> definition

    def test_jobs(self, dataset: str | None = None) -> list[JobRecord]:
        """The jobs whose results are reported (not tuning trials), of one dataset or all."""
        return [j for j in self.jobs if not j.trial and (dataset is None or j.dataset == dataset)]


def _per_user_labels(job_dirs: list[Path]) -> list[str]:
    """Labels with per-user values in any job's ``metrics.json``, in the order first met."""
    out: list[str] = []
    for d in job_dirs:
        doc = read_json(d / METRICS_FILE) or {}
        for lab in (doc.get("per_user") or {}).get("labels", []):
            if lab not in out:
                out.append(str(lab))
    return out


def choose_metric(
    labels: list[str], per_user: list[str], requested: str | None, selection: list[str]
) -> str | None:
    """The main metric label: ``requested`` (a label, or a name with one cutoff in the
    results), else the selection metric of a tuned run, else the first label with per-user
    values, else the first label."""
    if requested is not None:
        if requested in labels:
            return requested
        named = [lab for lab in labels if split_label(lab)[0] == requested]
        if len(named) == 1:
            return named[0]
        hint = f" ({requested} has {', '.join(named)}: name one)" if named else ""
        raise ReportError(f"no results for metric {requested!r}{hint}; known: {', '.join(labels) or 'none'}.")
    for lab in [*selection, *per_user, *labels]:
        if lab in labels:
            return lab
    return None


def _runs(root: Path) -> list[dict[str, Any]]:
    runs = []
    for path in sorted((root / RUNS_DIR).glob("*.json")):
        rec = read_json(path)
        if rec is not None and rec.get("format") == RUN_FORMAT:
            runs.append(rec)
    return sorted(runs, key=lambda r: str(r.get("started", "")))


def read_tree(checkpoint_dir: str | Path, *, metric: str | None = None) -> TreeRecords:
    """Read a checkpoint tree; ``metric`` names the main metric (see :func:`choose_metric`).

    Raises :class:`ReportError` when the directory is not a checkpoint tree or holds no
    evaluated job.
    """
    root = Path(checkpoint_dir)
    if not root.is_dir():
        raise ReportError(f"{root} is not a directory; give the checkpoint directory of a run.")
    records = job_records(root)
    searches = search_records(root)
    light = load_checkpoint_results(root, per_user=False)
    if not light.jobs():
        what = (
            f"{len(light.failures())} job(s) failed and none was evaluated; `omnirec status {root}` says why"
            if light.failures()
            else "no metrics.json found"
        )
        raise ReportError(
            f"no evaluated jobs under {root} ({what}); run the experiment first, or point to the "
            "checkpoint directory it used."
        )
    labels = light.labels()
    selection = [str(s.get("metric")) for s in searches if s.get("metric")]
    per_user = _per_user_labels([d for d, info in records if not info.get("trial")])
    main = choose_metric(labels, per_user, metric, selection)
    results = load_checkpoint_results(root, per_user=[main] if main in per_user else False)

    idents = [(str(i.get("dataset")), str(i.get("dataset_key", ""))) for _, i in records]
    idents += [(str(s.get("dataset")), str(s.get("dataset_key", ""))) for s in searches]
    dataset_dirs = {}
    for path in sorted(root.glob(f"*/{DATASET_FILE}")):
        rec = read_json(path)
        if rec is not None and rec.get("format") == DATASET_FORMAT:
            ident = (str(rec.get("name")), str(rec.get("key", "")))
            idents.append(ident)
            dataset_dirs[ident] = (path.parent.name, rec)
    names = dataset_labels(idents)

    tree = TreeRecords(root=root, results=results, metric=main, higher_is_better=True)
    for job_dir, info in records:
        label = names[(str(info.get("dataset")), str(info.get("dataset_key", "")))]
        tree.jobs.append(
            JobRecord(
                label,
                str(info.get("algorithm")),
                config_json(info.get("config") or {}),
                info.get("fold"),
                info,
                job_dir,
            )
        )
    for s in searches:
        tree.searches.append({**s, "label": names[(str(s.get("dataset")), str(s.get("dataset_key", "")))]})
    for ds in results.rows_by_dataset(failed=True):
        tree.datasets[ds] = None
    for ident, (dir_name, rec) in dataset_dirs.items():
        if names[ident] in tree.datasets:
            tree.datasets[names[ident]] = rec
            tree.dataset_ids[names[ident]] = dir_name
    for j in tree.jobs:
        tree.dataset_ids.setdefault(j.dataset, j.dir.relative_to(root).parts[0])
    tree.runs = _runs(root)
    for res in results.jobs().values():
        for d in res.metrics:
            tree.definitions.setdefault(str(d.get("name")), d)
    if main is not None:
        definition = tree.definitions.get(split_label(main)[0], {})
        tree.higher_is_better = bool(definition.get("higher_is_better", True))
    return tree
