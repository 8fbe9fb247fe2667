"""Result tables: one model, rendered as rich, Markdown or LaTeX.

A cell of a metric column is a value text (``0.3120`` or ``0.3120 ± 0.0040`` over folds) and
significance markers: ``*`` paired t-test and ``†`` Wilcoxon signed-rank, each after Holm
correction, against the baseline row.
"""

from __future__ import annotations

import io
import shutil
from dataclasses import dataclass, field

from rich.console import Console
from rich.table import Table

T_MARK = "*"
W_MARK = "†"


@dataclass
class Cell:
    text: str
    marks: str = ""


@dataclass
class TableModel:
    """One dataset's table: header names, rows of cells, and a caption."""

    title: str
    headers: list[str]
    rows: list[list[Cell]]
    n_label_columns: int
    caption: str = ""
    baseline_row: int | None = None
    notes: list[str] = field(default_factory=list)


def fmt_value(mean: float, std: float | None = None, digits: int = 4) -> str:
    if mean != mean:  # NaN
        return "–"
    text = f"{mean:.{digits}f}"
    if std is not None and std == std:
        text += f" ± {std:.{digits}f}"
    return text


def legend(baseline: str, alpha: float) -> str:
    return (
        f"{T_MARK} paired t-test, {W_MARK} Wilcoxon signed-rank: Holm-corrected p < {alpha:g} "
        f"against {baseline}"
    )


class ResultTable(Table):
    """A rich Table that also reads as text: ``print(table)`` shows the table itself
    (``rich.print(table)`` and a rich console keep the colours)."""

    def __str__(self) -> str:
        width = max(100, shutil.get_terminal_size((160, 24)).columns)
        console = Console(width=width, record=True, file=io.StringIO(), color_system=None)
        console.print(self)
        return console.export_text()


def to_rich(model: TableModel) -> ResultTable:
    """A rich Table (printable as text too)."""
    table = ResultTable(title=model.title, caption=model.caption or None)
    for j, name in enumerate(model.headers):
        label = j < model.n_label_columns
        # Numbers never wrap; only the config column may, so narrow terminals stay readable.
        wrap = label and name.lower() == "config"
        table.add_column(name, justify="left" if label else "right", no_wrap=not wrap, overflow="fold")
    for i, row in enumerate(model.rows):
        style = "bold" if i == model.baseline_row else None
        table.add_row(*(c.text + c.marks for c in row), style=style)
    return table


def _md_escape(text: str) -> str:
    return text.replace("|", "\\|").replace("*", "\\*")


def to_markdown(model: TableModel) -> str:
    """A GitHub-flavoured Markdown section with a pipe table."""
    align = ["---"] * model.n_label_columns + ["---:"] * (len(model.headers) - model.n_label_columns)
    lines = [f"### {_md_escape(model.title)}", ""]
    lines.append("| " + " | ".join(_md_escape(h) for h in model.headers) + " |")
    lines.append("| " + " | ".join(align) + " |")
    for row in model.rows:
        lines.append("| " + " | ".join(_md_escape(c.text + c.marks) for c in row) + " |")
    if model.caption:
        lines += ["", model.caption]
    return "\n".join(lines) + "\n"


_LATEX_SPECIAL = {
    "\\": r"\textbackslash{}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "{": r"\{",
    "}": r"\}",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
    "<": r"$<$",
    ">": r"$>$",
}


def latex_escape(text: str) -> str:
    out = "".join(_LATEX_SPECIAL.get(ch, ch) for ch in text)
    return out.replace("±", r"$\pm$").replace("–", "--")


def _latex_marks(marks: str) -> str:
    if not marks:
        return ""
    sup = marks.replace(T_MARK, "*").replace(W_MARK, r"\dagger")
    return f"$^{{{sup}}}$"


def to_latex(model: TableModel) -> str:
    """A booktabs ``table`` environment."""
    spec = "l" * model.n_label_columns + "r" * (len(model.headers) - model.n_label_columns)
    lines = [
        r"\begin{table}[ht]",
        r"\centering",
        rf"\begin{{tabular}}{{{spec}}}",
        r"\toprule",
        " & ".join(latex_escape(h) for h in model.headers) + r" \\",
        r"\midrule",
    ]
    for row in model.rows:
        lines.append(" & ".join(latex_escape(c.text) + _latex_marks(c.marks) for c in row) + r" \\")
    caption = latex_escape(model.title)
    if model.caption:
        caption += ". " + latex_escape(model.caption).replace(T_MARK, "$^*$").replace(W_MARK, r"$^\dagger$")
    lines += [r"\bottomrule", r"\end{tabular}", rf"\caption{{{caption}}}", r"\end{table}"]
    return "\n".join(lines) + "\n"
