"""A run file that runs an experiment again, derived from what its records say.

The dataset record names the catalogue dataset and every step with its parameters; the
run record holds the plan, the metrics and the global seed. A run file can express that
when the dataset was loaded by name, every step is a built-in preprocessing step or a
registered splitter whose parameters rebuild it (checked here: each step is constructed
from the derived table and must report the recorded parameters), random steps used the
run's seed, and the metrics are registered by name. Otherwise the report says why and
shows the recorded command line only.
"""

from __future__ import annotations

from typing import Any

import tomli_w

from omnirec_core import preprocess
from omnirec_core.data.step import Step
from omnirec_core.errors import OmniRecError
from omnirec_core.evaluation.metrics.base import split_label
from omnirec_core.plugin.manager import get_metric, get_splitter
from omnirec_core.splitting import Splitter


def _table(params: dict[str, Any]) -> dict[str, Any]:
    """The step's parameters as TOML can hold them (None means the default: left out)."""
    return {k: v for k, v in params.items() if v is not None}


def _preprocess_step(name: str, params: dict[str, Any]) -> Step:
    cls = getattr(preprocess, name, None)
    if not (isinstance(cls, type) and issubclass(cls, Step)) or issubclass(cls, Splitter) or name == "Pipe":
        raise OmniRecError(f"step {name} is not a built-in preprocessing step")
    obj: Step = cls(**params)
    return obj


def derive_run_file(dataset: dict[str, Any] | None, run: dict[str, Any] | None) -> tuple[str | None, str]:
    """``(TOML text, "")`` of a run file equivalent to the recorded run on this dataset, or
    ``(None, why not)``."""
    if dataset is None or run is None:
        return None, "the checkpoint has no dataset or run record (written by omnirec since 0.2)"
    name = (dataset.get("origin") or {}).get("dataset")
    if not name:
        return None, (
            "the dataset was not loaded by name (RecSysDataSet.use_dataloader), so a run file cannot "
            "name it; the recorded command runs the experiment again"
        )
    lineage = list(dataset.get("lineage") or [])
    if not lineage:
        return None, "the dataset's lineage has no splitter"
    seeds = {e["seed"] for e in lineage if "seed" in e}
    if seeds - {run.get("seed")}:
        return None, "the dataset was built with another global seed than the run's"
    if run.get("relevance_threshold") is not None:
        return None, "the evaluator had a relevance threshold, which a run file cannot set"
    tables = []
    try:
        for entry in lineage[:-1]:
            params = _table(dict(entry.get("params") or {}))
            built = _preprocess_step(entry["step"], params)
            if built.params() != entry.get("params"):
                raise OmniRecError(f"step {entry['step']} does not rebuild from its recorded parameters")
            tables.append({"step": entry["step"], **params})
        last = lineage[-1]
        split = _table(dict(last.get("params") or {}))
        splitter = get_splitter(last["step"]).factory(**split)
        if splitter.params() != last.get("params"):
            raise OmniRecError(f"splitter {last['step']} does not rebuild from its recorded parameters")
        for label in run.get("metrics") or []:
            get_metric(split_label(label)[0])
    except (OmniRecError, TypeError, ValueError) as exc:
        return None, f"{exc}; the recorded command runs the experiment again"
    plan = dict(run.get("plan") or {})
    doc: dict[str, Any] = {
        "name": plan.get("name", "plan"),
        "dataset": {"name": name},
        "preprocess": tables,
        "split": {"name": last["step"], **split},
        # An empty config table is the default: left out, as a run file would.
        "algorithms": [{k: v for k, v in a.items() if v != {}} for a in plan.get("algorithms", [])],
        "evaluation": {"metrics": list(run.get("metrics") or [])},
    }
    if run.get("seed") is not None:
        doc = {"name": doc.pop("name"), "seed": run["seed"], **doc}
    if plan.get("selection"):
        doc["selection"] = plan["selection"]
    if not tables:
        del doc["preprocess"]
    return tomli_w.dumps(doc), ""
