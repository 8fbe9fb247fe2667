"""Presenting results: tables (rich, Markdown, LaTeX, text) and exports (CSV, JSON).

Every function takes a :class:`~omnirec_core.evaluation.resultset.ResultSet`; the
renderer-neutral table model and its renderers are in :mod:`omnirec_core.evaluation.tables`.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd
from rich.console import Console

from omnirec_core.evaluation import tables
from omnirec_core.evaluation.comparison import baseline_rows, compare
from omnirec_core.evaluation.labels import config_json, config_text, row_label
from omnirec_core.evaluation.metrics.base import MetricError
from omnirec_core.runner.fs import atomic_open

if TYPE_CHECKING:  # typing only: a result set calls into this module
    from rich.table import Table

    from omnirec_core.evaluation.result import JobResult
    from omnirec_core.evaluation.resultset import JobFailure, Key, ResultSet
    from omnirec_core.evaluation.searches import SearchSummary

Format = Literal["table", "csv", "json", "markdown", "latex"]
SUFFIX_FORMATS: dict[str, Format] = {
    ".csv": "csv",
    ".json": "json",
    ".md": "markdown",
    ".markdown": "markdown",
    ".tex": "latex",
    ".txt": "table",
}


def table_models(
    results: ResultSet,
    *,
    baseline: str | None = None,
    metric: str | None = None,
    per_fold: bool = False,
    alpha: float = 0.05,
) -> list[tables.TableModel]:
    """Renderer-neutral tables, one per dataset (see :func:`get_tables`)."""
    jobs = results.jobs()
    marks: dict[tuple[str, str, str, str], str] = {}
    base_rows: dict[str, tuple[str, str]] = {}
    if baseline is not None and not per_fold:
        base_rows = baseline_rows(results, baseline)
        comp = compare(results, baseline, metric, alpha=alpha)
        for r in comp.itertuples(index=False):
            m = (tables.T_MARK if r.significant_t else "") + (tables.W_MARK if r.significant_w else "")
            marks[(str(r.dataset), str(r.algorithm), str(r.config), str(r.metric))] = m
    models = []
    failures = results.failures()
    for ds, rows in results.rows_by_dataset(failed=True).items():
        keys = [k for k in jobs if k[0] == ds]
        failed = {(f.algorithm, f.config, f.fold): f for f in failures if f.dataset == ds}
        labels = results.labels(ds) or ["Result"]
        show_cfg = any(cfg != "{}" for _, cfg in rows)
        has_folds = any(k[3] is not None for k in [*keys, *((ds, *k) for k in failed)])
        headers = ["Algorithm"] + (["Config"] if show_cfg else [])
        searches = results.searches(ds)
        one_metric = len({s.metric for s in searches}) == 1
        if searches and not per_fold:
            headers += ["Trials", f"Val {searches[0].metric}" if one_metric else "Validation"]
        n_label = len(headers)
        body: list[list[tables.Cell]] = []
        base_index = None
        if per_fold:
            if has_folds:
                headers.append("Fold")
                n_label += 1
            for algo, cfg, fold, res, failure in _fold_rows(jobs, keys, failed):
                cells = [tables.Cell(algo)] + ([tables.Cell(config_text(cfg))] if show_cfg else [])
                if has_folds:
                    cells.append(tables.Cell("" if fold is None else str(fold)))
                if res is None:
                    cells += [tables.Cell(_failed_text(failure)) for _ in labels]
                else:
                    cells += [
                        tables.Cell(tables.fmt_value(res.values.get(lab, float("nan")))) for lab in labels
                    ]
                body.append(cells)
        else:
            if has_folds:
                headers.append("Folds")
                n_label += 1
            for algo, cfg in rows:
                fold_results = [jobs[k] for k in keys if k[1:3] == (algo, cfg)]
                row_failures = [f for k, f in failed.items() if k[:2] == (algo, cfg)]
                cells = [tables.Cell(algo)] + ([tables.Cell(config_text(cfg))] if show_cfg else [])
                if searches:
                    cells += _search_cells(results.search_for(ds, algo, cfg), named=not one_metric)
                if has_folds:
                    done = len(fold_results)
                    total = done + len(row_failures)
                    cells.append(tables.Cell(str(done) if done == total else f"{done} of {total}"))
                if not fold_results:
                    cells += [tables.Cell(_failed_text(row_failures[0])) for _ in labels]
                    body.append(cells)
                    continue
                for lab in labels:
                    vals = np.array(
                        [j.values[lab] for j in fold_results if lab in j.values], dtype=np.float64
                    )
                    mean = float(vals.mean()) if len(vals) else float("nan")
                    std = float(np.std(vals, ddof=1)) if len(vals) > 1 else None
                    cells.append(
                        tables.Cell(tables.fmt_value(mean, std), marks.get((ds, algo, cfg, lab), ""))
                    )
                if base_rows.get(ds) == (algo, cfg):
                    base_index = len(body)
                body.append(cells)
        caption = tables.legend(row_label(*base_rows[ds]), alpha) if ds in base_rows else ""
        if searches:
            selection = _selection_note(searches)
            caption = f"{caption}; {selection}" if caption else selection
        if failed:
            note = f"{len(failed)} job(s) failed; `omnirec status` shows why"
            caption = f"{caption}; {note}" if caption else note
        models.append(tables.TableModel(ds, headers + labels, body, n_label, caption, base_index))
    return models


def trial_models(results: ResultSet) -> list[tables.TableModel]:
    """One table per search: every trial's configuration and validation score, the selected marked."""
    models = []
    for search in results.searches():
        body = []
        for t in search.trials:
            score = t.get("score")
            chosen = search.best == t["trial"]
            body.append(
                [
                    tables.Cell(str(t["trial"])),
                    tables.Cell(config_text(config_json(t.get("config") or {}))),
                    tables.Cell("–" if score is None else tables.fmt_value(score)),
                    tables.Cell(
                        "selected" if chosen else ("failed: " + str(t["error"]) if t.get("error") else "")
                    ),
                ]
            )
        caption = "; ".join(x for x in (search.stopped, *search.edges, search.error) if x)
        models.append(
            tables.TableModel(
                f"{search.algorithm} on {search.dataset}: {search.sampler} search, {len(search.trials)} of "
                f"{search.budget} trials",
                ["Trial", "Config", f"Val {search.metric}", ""],
                body,
                2,
                caption,
            )
        )
    return models


def _search_cells(search: SearchSummary | None, *, named: bool) -> list[tables.Cell]:
    """The Trials and validation-score cells of a row (empty for a row no search selected)."""
    if search is None:
        return [tables.Cell(""), tables.Cell("")]
    score = search.validation_score
    value = "" if score is None else tables.fmt_value(score) + (f" ({search.metric})" if named else "")
    ran = len(search.trials)
    return [
        tables.Cell(str(ran) if ran == search.budget else f"{ran} of {search.budget}"),
        tables.Cell(value),
    ]


def _selection_note(searches: list[SearchSummary]) -> str:
    """How the rows were chosen, and any selected value on the edge of its range."""
    samplers = sorted({s.sampler for s in searches})
    refit = any(s.refit for s in searches)
    note = (
        f"each algorithm's configuration selected on validation data ({', '.join(samplers)} search); "
        f"test values of the selected {'configuration refitted on train+validation' if refit else 'models'}"
    )
    edges = [e for s in searches for e in s.edges]
    return "; ".join([note, *edges])


def _failed_text(failure: JobFailure | None) -> str:
    return f"failed ({failure.phase})" if failure is not None else "failed"


def _fold_rows(
    jobs: dict[Key, JobResult], keys: list[Key], failed: dict[tuple[str, str, int | None], JobFailure]
) -> list[tuple[str, str, int | None, JobResult | None, JobFailure | None]]:
    """One row per fold, results and failures together, in (algorithm, config, fold) order."""
    rows: list[tuple[str, str, int | None, JobResult | None, JobFailure | None]] = [
        (k[1], k[2], k[3], jobs[k], None) for k in keys
    ]
    rows += [(algo, cfg, fold, None, f) for (algo, cfg, fold), f in failed.items()]
    order: dict[tuple[str, str], int] = {}
    for i, row in enumerate(rows):
        order.setdefault((row[0], row[1]), i)
    return sorted(rows, key=lambda r: (order[(r[0], r[1])], -1 if r[2] is None else r[2]))


def get_tables(results: ResultSet, **options: Any) -> list[Table]:
    """Rich tables, one per dataset: a row per algorithm (+ config), a column per metric@k.

    Values are mean ± std over folds (a ``Folds`` column appears when there are folds);
    ``per_fold=True`` shows one row per fold instead. With ``baseline``, cells of the
    mean ± std view carry ``*`` / ``†`` when the paired t-test / Wilcoxon test against the
    baseline is significant at ``alpha`` after Holm (see :func:`~.comparison.compare`).
    """
    return [tables.to_rich(m) for m in table_models(results, **options)]


def _records(df: pd.DataFrame) -> list[dict[str, Any]]:
    """JSON-safe records: pandas NA and float NaN become null."""
    out = []
    for rec in df.astype(object).where(df.notna(), None).to_dict(orient="records"):
        out.append({str(k): (v.item() if isinstance(v, np.generic) else v) for k, v in rec.items()})
    return out


def to_csv(results: ResultSet) -> str:
    """The tidy results (``get_results``) as CSV."""
    return results.get_results().to_csv(index=False)


def to_json(
    results: ResultSet, *, baseline: str | None = None, metric: str | None = None, alpha: float = 0.05
) -> str:
    """Tidy results and the fold summary (and comparisons with ``baseline``) as JSON."""
    doc: dict[str, Any] = {
        "results": _records(results.get_results()),
        "summary": _records(results.summary()),
        "failures": [dict(vars(f)) for f in results.failures()],
    }
    if results.searches():
        doc["selection"] = [s.overview() for s in results.searches()]
        doc["trials"] = _records(results.get_results(trials=True))
    if baseline is not None:
        doc["comparison"] = _records(compare(results, baseline, metric, alpha=alpha))
    return json.dumps(doc, indent=2) + "\n"


def to_markdown(results: ResultSet, **table_options: Any) -> str:
    """One Markdown table per dataset (options as for :func:`get_tables`)."""
    return "\n".join(tables.to_markdown(m) for m in table_models(results, **table_options))


def to_latex(results: ResultSet, **table_options: Any) -> str:
    """One booktabs LaTeX table per dataset (options as for :func:`get_tables`)."""
    return "\n".join(tables.to_latex(m) for m in table_models(results, **table_options))


def to_text(results: ResultSet, width: int = 160, **table_options: Any) -> str:
    """The rich tables rendered as plain text."""
    console = Console(width=width, record=True, file=io.StringIO(), color_system=None)
    for t in get_tables(results, **table_options):
        console.print(t)
    return console.export_text()


def render_trials(results: ResultSet, format: Format) -> str:
    """The tuning trials in ``format`` (tidy rows for csv/json, a table per search otherwise)."""
    if format == "csv":
        return results.get_results(trials=True).to_csv(index=False)
    if format == "json":
        doc = {
            "selection": [s.overview() for s in results.searches()],
            "trials": _records(results.get_results(trials=True)),
        }
        return json.dumps(doc, indent=2) + "\n"
    models = trial_models(results)
    if format == "markdown":
        return "\n".join(tables.to_markdown(m) for m in models)
    if format == "latex":
        return "\n".join(tables.to_latex(m) for m in models)
    console = Console(width=160, record=True, file=io.StringIO(), color_system=None)
    for m in models:
        console.print(tables.to_rich(m))
    return console.export_text()


def render(results: ResultSet, format: Format, **options: Any) -> str:
    """The results in ``format``: ``table`` (plain text), ``csv``, ``json``, ``markdown``, ``latex``."""
    if options.pop("trials", False):
        return render_trials(results, format)
    if format == "csv":
        if options.get("baseline") is not None:
            return compare(
                results, options["baseline"], options.get("metric"), alpha=options.get("alpha", 0.05)
            ).to_csv(index=False)
        return to_csv(results)
    if format == "json":
        return to_json(results, **{k: v for k, v in options.items() if k in ("baseline", "metric", "alpha")})
    renderer = {"markdown": to_markdown, "latex": to_latex, "table": to_text}.get(format)
    if renderer is None:
        raise MetricError(f"unknown export format {format!r}; use table, csv, json, markdown or latex.")
    return renderer(results, **options)


def export(results: ResultSet, path: str | Path, format: Format | None = None, **options: Any) -> Path:
    """Write :func:`render` output to ``path`` atomically (format from the suffix if not given)."""
    path = Path(path)
    if format is None:
        format = SUFFIX_FORMATS.get(path.suffix.lower())
        if format is None:
            raise MetricError(
                f"cannot tell the format of {path.name}; pass format= (table, csv, json, markdown, latex)."
            )
    text = render(results, format, **options)
    with atomic_open(path, "w") as fh:
        fh.write(text)
    return path
