"""Build the report of a checkpoint tree: one self-contained HTML page, or Markdown with SVG files.

    from omnirec_core.report import build
    build("checkpoints/ml100k", "report.html", baseline="LensKit.PopScorer", metric="NDCG@10")

Every number comes from the tree's records (see :mod:`~omnirec_core.report.records`); the
plots are drawn from summaries of them (:mod:`~omnirec_core.report.summaries`), so a report
of a large run stays small and quick to build.
"""

from __future__ import annotations

import json
import math
from dataclasses import replace
from pathlib import Path
from typing import Any, Literal

from omnirec_core.evaluation import tables
from omnirec_core.report.records import ReportError, read_tree
from omnirec_core.report.sections import Sections, json_safe
from omnirec_core.runner.fs import atomic_write_bytes

ReportFormat = Literal["html", "markdown"]
FORMATS: tuple[str, ...] = ("html", "markdown")
MISSING_EXTRA = (
    "the report needs matplotlib and Jinja2, which are not installed here: pip install 'omnirec-core[report]'"
)


def _check_extra() -> None:
    try:
        import jinja2  # noqa: F401
        import matplotlib  # noqa: F401
    except ImportError:
        raise ReportError(MISSING_EXTRA) from None


def _environment() -> Any:
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("omnirec_core.report", "templates"),
        autoescape=lambda name: bool(name and name.endswith(".html.j2")),
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )
    env.filters["num"] = _num
    env.filters["fmt"] = lambda v, d=4: "–" if v is None or v != v else f"{v:.{d}f}"
    env.filters["md"] = _md_cell
    env.filters["tojson_pretty"] = lambda v: json.dumps(v, indent=2, sort_keys=True, default=str)
    return env


def _num(value: Any, digits: int = 0) -> str:
    """A count with thousands separators, or a float with ``digits`` decimals; ``–`` when absent."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "–"
    if digits == 0:
        return f"{round(float(value)):,}"
    return f"{float(value):,.{max(digits, 1)}f}"


def _md_cell(value: Any) -> str:
    return str(value).replace("|", "\\|").replace("\n", " ")


def build(
    checkpoint_dir: str | Path,
    output: str | Path | None = None,
    *,
    format: ReportFormat = "html",
    metric: str | None = None,
    baseline: str | None = None,
    alpha: float = 0.05,
    title: str | None = None,
) -> Path:
    """Write the report of ``checkpoint_dir`` to ``output`` (default ``report.html`` or
    ``report.md``) and return its path.

    ``format="html"``: one self-contained page (styles and SVG plots embedded, nothing
    fetched). ``format="markdown"``: a Markdown file plus the plots as SVG files in
    ``<name>_files/`` beside it. ``metric``: the main metric (per-user distributions,
    significance, fold spread; default: the selection metric of a tuned run, else the first
    metric with per-user values). ``baseline``: mark the main metric's table cells that
    differ significantly from this row at ``alpha`` (paired t-test ``*``, Wilcoxon ``†``,
    Holm-corrected), as ``omnirec results --compare``.

    Raises :class:`~omnirec_core.report.records.ReportError` (an ``OmniRecError``) when
    the directory holds no evaluated jobs, an option names something the results lack, or
    matplotlib / Jinja2 are missing (``pip install 'omnirec-core[report]'``).
    """
    if format not in FORMATS:
        raise ReportError(f"unknown report format {format!r}; use html or markdown.")
    if not 0 < alpha < 1:
        raise ReportError(f"alpha must be between 0 and 1, got {alpha!r}.")
    _check_extra()
    tree = read_tree(checkpoint_dir, metric=metric)
    sections = Sections(tree, baseline, alpha)
    ctx = sections.context()
    ctx["title"] = title or f"omnirec report: {tree.root.resolve().name}"
    ctx["plots"] = sections.plots
    ctx["data_json"] = json.dumps(
        json_safe({**sections.data, "plots": [{"id": p.id, "kind": p.kind} for p in sections.plots]}),
        separators=(",", ":"),
        default=str,
    ).replace("<", "\\u003c")
    out = Path(output) if output is not None else Path("report.html" if format == "html" else "report.md")
    env = _environment()
    if format == "html":
        text = env.get_template("report.html.j2").render(**ctx)
        atomic_write_bytes(out, text.encode())
        return out
    files = out.with_name(out.stem + "_files")
    files.mkdir(parents=True, exist_ok=True)
    for p in sections.plots:
        atomic_write_bytes(files / p.file, p.svg.encode())
    ctx["files"] = files.name
    ctx["markdown_table"] = lambda m, heading="": tables.to_markdown(replace(m, title=heading or m.title))
    text = env.get_template("report.md.j2").render(**ctx)
    atomic_write_bytes(out, text.encode())
    return out
