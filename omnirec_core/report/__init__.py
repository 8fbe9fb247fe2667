"""The experiment report: one self-contained page (or Markdown with SVG files) per checkpoint tree.

    from omnirec_core.report import build
    build("checkpoints/ml100k", "report.html", baseline="LensKit.PopScorer", metric="NDCG@10")

Needs the ``report`` extra (matplotlib, Jinja2): ``pip install 'omnirec-core[report]'``.
Modules: :mod:`~.records` reads the tree, :mod:`~.summaries` computes what the plots
show, :mod:`~.plots` draws them, :mod:`~.reproduce` derives a run file, :mod:`~.sections`
assembles what each section shows, :mod:`~.build` renders it with ``templates/``.
"""

from __future__ import annotations

from omnirec_core.report.build import FORMATS, build
from omnirec_core.report.records import ReportError

__all__ = ["FORMATS", "ReportError", "build"]
