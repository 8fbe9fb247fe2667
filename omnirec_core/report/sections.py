"""The report's sections, put together from the tree's records: one context for the templates.

:class:`Sections` walks the datasets (dataset, plan, results, tuning, cost), the runners,
the runs and the failures; it draws each plot through :mod:`~omnirec_core.report.plots`
and keeps the numbers behind them for the page's embedded JSON.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import math
import re
from dataclasses import dataclass
from typing import Any

from omnirec_core import __version__
from omnirec_core.evaluation import tables
from omnirec_core.evaluation.labels import config_json, config_text, row_label
from omnirec_core.evaluation.presentation import table_models, trial_models
from omnirec_core.report import summaries
from omnirec_core.report.records import JobRecord, TreeRecords
from omnirec_core.report.reproduce import derive_run_file


@dataclass
class Plot:
    """One figure of the report: what it shows and its SVG text."""

    id: str
    kind: str
    title: str
    caption: str
    svg: str
    file: str = ""  # Markdown: the image file's name beside the report

    @property
    def data_uri(self) -> str:
        return "data:image/svg+xml;base64," + base64.b64encode(self.svg.encode()).decode("ascii")


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "x"


def _params_text(params: dict[str, Any] | None) -> str:
    return ", ".join(f"{k}={v}" for k, v in (params or {}).items() if v is not None)


def json_safe(obj: Any) -> Any:
    """``obj`` with NaN and infinities as None, so it dumps as strict JSON."""
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {str(k): json_safe(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [json_safe(v) for v in obj]
    return obj


class Sections:
    """Collects the sections and plots of one report."""

    def __init__(self, tree: TreeRecords, baseline: str | None, alpha: float) -> None:
        self.tree = tree
        self.baseline = baseline
        self.alpha = alpha
        self.plots: list[Plot] = []
        self.anchors: set[str] = set()
        self.data: dict[str, Any] = {
            "metric": tree.metric,
            "higher_is_better": tree.higher_is_better,
            "baseline": baseline,
            "alpha": alpha,
            "datasets": {},
            "searches": [],
        }

    def plot(self, kind: str, key: str, title: str, caption: str, draw: Any) -> Plot:
        from omnirec_core.report import plots

        p = Plot(self.unique(f"{kind}-{_slug(key)}"), kind, title, caption, plots.render(draw))
        p.file = f"{len(self.plots) + 1:02d}-{p.id}.svg"
        self.plots.append(p)
        return p

    def unique(self, anchor: str) -> str:
        """``anchor``, or with a number appended when the page has it already."""
        found, n = anchor, 1
        while found in self.anchors:
            n += 1
            found = f"{anchor}-{n}"
        self.anchors.add(found)
        return found

    # ---- sections ----------------------------------------------------------------------

    def context(self) -> dict[str, Any]:
        tree = self.tree
        results = tree.results
        models = {
            m.title: m
            for m in table_models(results, baseline=self.baseline, metric=tree.metric, alpha=self.alpha)
        }
        trial_tables = trial_models(results)
        datasets = [self.dataset(label, models.get(label), trial_tables) for label in tree.datasets]
        runs = list(tree.runs)
        return {
            "title": "",
            "checkpoint": str(tree.root.resolve()),
            "generated": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
            "omnirec": __version__,
            "metric": tree.metric,
            "higher_is_better": tree.higher_is_better,
            "baseline": self.baseline,
            "alpha": self.alpha,
            "datasets": datasets,
            "runs": runs,
            "runners": self.runners(),
            "failures": self.failures(),
            "counts": {
                "datasets": len(datasets),
                "rows": sum(len(d["rows"]) for d in datasets),
                "evaluated": len(results.jobs()),
                "failed": len(results.failures()),
                "searches": len(tree.searches),
                "runs": len(runs),
            },
        }

    def dataset(self, label: str, model: tables.TableModel | None, trial_tables: list[Any]) -> dict[str, Any]:
        from omnirec_core.report import plots

        tree = self.tree
        results = tree.results
        rec = tree.datasets.get(label)
        metric = tree.metric
        out: dict[str, Any] = {
            "label": label,
            "anchor": self.unique("ds-" + _slug(label)),
            "id": tree.dataset_ids.get(label, ""),
            "record": rec,
            "table": model,
            "plots": {},
            "notes": {},
        }
        data: dict[str, Any] = {}
        if rec is not None:
            out["origin"] = rec.get("origin") or {}
            out["stages"] = self.stages(rec)
            out["split"] = self.split_rows(rec.get("split") or {})
            stages = [(s["name"], s["profile"]) for s in out["stages"] if s["profile"]]
            if stages:
                out["plots"]["dataset"] = self.plot(
                    "dataset",
                    label,
                    f"Interactions per user and per item: {label}",
                    "How many users (left) and items (right) have a given number of interactions, "
                    "as loaded and after each preprocessing step (logarithmic bins).",
                    lambda: plots.dataset_figure(stages),
                )
        rows = summaries.rows(results, label)
        out["rows"] = [row_label(*r) for r in rows]
        out["plan_rows"] = self.plan_rows(label, rows)
        out["run"] = self.dataset_run(label)

        curves = summaries.metric_curves(results, label)
        data["curves"] = curves
        if curves:
            out["plots"]["metric_k"] = self.plot(
                "metric-k",
                label,
                f"Metrics at every cutoff: {label}",
                "Mean over folds of each metric at every k the evaluation computed (the table's values).",
                lambda: plots.metric_k_figure(curves),
            )
        else:
            out["notes"]["metric_k"] = (
                "No metric was computed at two or more cutoffs, so there is no curve over k; "
                "ask for more (e.g. NDCG@5, NDCG@10, NDCG@20)."
            )
        if metric is not None:
            boxes = summaries.distributions(results, label, metric)
            data["distributions"] = boxes
            if boxes:
                out["plots"]["distribution"] = self.plot(
                    "distribution",
                    label,
                    f"{metric} per user: {label}",
                    f"Distribution of every evaluated user's {metric} (pooled over folds): box = quartiles, "
                    "line = median, whiskers = furthest value within 1.5 IQR (outliers not drawn), "
                    "◆ = mean over users.",
                    lambda: plots.distribution_figure(boxes, metric),
                )
            else:
                out["notes"]["distribution"] = f"{metric} has no per-user values (a global metric)."
            matrix = summaries.pairwise(results, label, metric) if boxes else None
            data["pairwise"] = matrix
            if matrix is not None:
                hib = tree.higher_is_better
                out["pairwise_note"] = matrix["note"]
                out["plots"]["significance"] = self.plot(
                    "significance",
                    label,
                    f"Pairwise significance on {metric}: {label}",
                    "Every pair of rows on the users both were evaluated for (paired within folds): "
                    "p-values after Holm's correction over all pairs; blue where the row is better than "
                    "the column, red where it is worse, pale where the difference is not significant."
                    + (f" {matrix['note']}." if matrix["note"] else ""),
                    lambda: plots.significance_figure(matrix, hib),
                )
            spread = summaries.fold_spread(results, label, metric)
            data["folds"] = spread
            if spread:
                out["plots"]["folds"] = self.plot(
                    "folds",
                    label,
                    f"{metric} over folds: {label}",
                    "The value in each fold (dots) and the mean ± standard deviation over folds (bar), "
                    "as in the table.",
                    lambda: plots.fold_figure(spread, metric),
                )
        out["searches"] = [self.search(s, trial_tables) for s in tree.searches if s["label"] == label]
        costs = summaries.costs(tree, label)
        data["costs"] = costs
        if any(c["fit_s"] is not None or c["predict_s"] is not None for c in costs):
            out["plots"]["cost"] = self.plot(
                "cost",
                label,
                f"Cost: {label}",
                "Wall time of fit and predict, and the runner process's peak memory, per row "
                "(bar: mean over its jobs; line: range), from each job's record.",
                lambda: plots.cost_figure(costs),
            )
        out["costs"] = costs
        if model is not None:
            data["table"] = {
                "headers": model.headers,
                "rows": [[c.text + c.marks for c in row] for row in model.rows],
                "caption": model.caption,
            }
        self.data["datasets"][label] = data
        return out

    def stages(self, rec: dict[str, Any]) -> list[dict[str, Any]]:
        """The dataset as loaded and after each step: name, parameters, profile."""
        lineage = rec.get("lineage") or []
        profiles = rec.get("step_profiles") or []
        first = profiles[0]["before"] if profiles and profiles[0] else None
        out = [{"name": "loaded", "params": "", "profile": first, "step": None}]
        for i, entry in enumerate(lineage):
            prof = profiles[i]["after"] if i < len(profiles) and profiles[i] else None
            out.append(
                {
                    "name": entry.get("step", "?"),
                    "params": _params_text(entry.get("params")),
                    "profile": prof,
                    "step": entry,
                }
            )
        return out

    @staticmethod
    def split_rows(split: dict[str, Any]) -> list[dict[str, Any]]:
        folds = split.get("folds") if split.get("kind") == "folded" else [split]
        out = []
        for i, fold in enumerate(folds or []):
            for part in ("train", "val", "test"):
                if isinstance(fold.get(part), dict):
                    out.append(
                        {"fold": i if split.get("kind") == "folded" else None, "part": part, **fold[part]}
                    )
        return out

    def plan_rows(self, label: str, rows: list[tuple[str, str]]) -> list[dict[str, Any]]:
        """Per table row: the config as the plan wrote it, the effective one, seeds, env key."""
        jobs: dict[tuple[str, str], list[JobRecord]] = {}
        for j in self.tree.test_jobs(label):
            jobs.setdefault(j.row, []).append(j)
        out = []
        for algo, cfg in rows:
            recs = sorted(jobs.get((algo, cfg), []), key=lambda j: -1 if j.fold is None else j.fold)
            effective = recs[0].info.get("effective_config") if recs else None
            out.append(
                {
                    "algorithm": algo,
                    "config": config_text(cfg) or "–",
                    "effective": config_text(config_json(effective)) if effective else "–",
                    "seeds": ", ".join(
                        (f"{j.fold}: " if j.fold is not None else "") + str(j.info.get("seed", "?"))
                        for j in recs
                    )
                    or "–",
                    "env_key": ", ".join(sorted({str(j.info.get("env_key") or "") for j in recs} - {""}))
                    or "–",
                }
            )
        return out

    def search(self, rec: dict[str, Any], trial_tables: list[Any]) -> dict[str, Any]:
        from omnirec_core.report import plots

        history = summaries.search_history(rec)
        params = summaries.search_params(rec)
        key = f"{rec['label']}-{rec.get('algorithm')}"
        out: dict[str, Any] = {
            "algorithm": rec.get("algorithm"),
            "sampler": rec.get("sampler"),
            "budget": rec.get("budget"),
            "metric": rec.get("metric"),
            "maximize": rec.get("maximize", True),
            "refit": rec.get("refit"),
            "time_budget": rec.get("time_budget"),
            "status": rec.get("status"),
            "error": rec.get("error") or "",
            "stopped": rec.get("stopped") or "",
            "edges": rec.get("edges") or [],
            "space": json.dumps(rec.get("space") or {}, sort_keys=True),
            "constants": config_text(config_json(rec.get("constants") or {})) or "–",
            "trials": len(rec.get("trials") or []),
            "failed": sum(1 for t in rec.get("trials") or [] if t.get("score") is None),
            "plots": {},
        }
        best = rec.get("best")
        trials = rec.get("trials") or []
        if best is not None and best < len(trials):
            selected = {**(rec.get("constants") or {}), **(trials[best].get("config") or {})}
            out["selected"] = config_text(config_json(selected)) or "–"
            out["score"] = trials[best].get("score")
        title = f"{rec.get('algorithm')} on {rec['label']}"
        out["table"] = next((m for m in trial_tables if m.title.startswith(title + ":")), None)
        if sum(s is not None for s in history["scores"]) >= 2:
            out["plots"]["history"] = self.plot(
                "search-history",
                key,
                f"Search history: {title}",
                f"Validation {rec.get('metric')} of each trial in the order they ran, the best so far, "
                "and the selected trial (circled); failed trials are crosses at the bottom.",
                lambda: plots.search_history_figure(history),
            )
        drawable = [
            p
            for p in params
            if any(v is not None and s is not None for v, s in zip(p["values"], p["scores"]))
        ]
        if drawable:
            out["plots"]["params"] = self.plot(
                "search-params",
                key,
                f"Score against each searched parameter: {title}",
                f"Validation {rec.get('metric')} of each trial against the value it tried (log axis for "
                "log-scaled ranges); the selected trial circled.",
                lambda: plots.search_params_figure(drawable, str(rec.get("metric")), best),
            )
        self.data["searches"].append({"dataset": rec["label"], "history": history, "params": params})
        return out

    def runners(self) -> list[dict[str, Any]]:
        """One entry per runner, env and host: framework, Python and SDK versions, device."""
        groups: dict[tuple[str, str], dict[str, Any]] = {}
        for j in self.tree.jobs:
            info = j.info
            versions = info.get("versions") or {}
            runner = str(versions.get("runner") or j.algorithm.split(".", 1)[0])
            env_key = str(info.get("env_key") or "")
            g = groups.setdefault(
                (runner, env_key),
                {
                    "runner": runner,
                    "env_key": env_key or "–",
                    "framework": set(),
                    "python": set(),
                    "sdk": set(),
                    "hosts": set(),
                    "devices": set(),
                    "jobs": 0,
                    "trials": 0,
                },
            )
            if versions.get("framework_version"):
                g["framework"].add(str(versions["framework_version"]))
            if versions.get("python"):
                g["python"].add(str(versions["python"]))
            if versions.get("sdk"):
                g["sdk"].add(str(versions["sdk"]))
            if info.get("host"):
                g["hosts"].add(str(info["host"]))
            device = info.get("device") or {}
            if isinstance(device, dict) and device.get("device"):
                g["devices"].add(str(device["device"]) + (f" ({device['gpu']})" if device.get("gpu") else ""))
            g["trials" if j.trial else "jobs"] += 1
        out = []
        for g in groups.values():
            out.append({k: (", ".join(sorted(v)) or "–") if isinstance(v, set) else v for k, v in g.items()})
        return sorted(out, key=lambda g: (g["runner"], g["env_key"]))

    def dataset_run(self, label: str) -> dict[str, Any] | None:
        """The latest run of this dataset: its plan as the run had it, and how to run it again."""
        rec = self.tree.datasets.get(label)
        key = rec.get("key") if rec else None
        run = None
        for r in self.tree.runs:  # oldest first: the last match is the latest run
            for ds in r.get("datasets") or []:
                if key is not None and ds.get("key") == key:
                    run = r
        if run is None:
            return None
        plan = run.get("plan") or {}
        text, why = derive_run_file(rec, run)
        name = f"{_slug(str(plan.get('name', 'plan')))}-{_slug(label)}.toml"
        return {
            **run,
            "algorithms": [
                {
                    "name": a.get("name"),
                    "config": json.dumps(a.get("config") or {}, sort_keys=True),
                    "tune": a.get("tune", False),
                }
                for a in plan.get("algorithms", [])
            ],
            "selection": plan.get("selection"),
            "toml": text,
            "why": why,
            "file": name,
        }

    def failures(self) -> list[dict[str, Any]]:
        """Every failed job (a failed search is one too), with its phase and decisive line."""
        return [
            {
                "dataset": f.dataset,
                "algorithm": f.algorithm,
                "config": config_text(f.config) or "–",
                "fold": "" if f.fold is None else str(f.fold),
                "phase": f.phase,
                "error": f.error,
            }
            for f in self.tree.results.failures()
        ]
