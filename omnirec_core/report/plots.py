"""The report's figures, drawn with matplotlib from the summaries and written as SVG.

Figures are built with the object API (no pyplot, no global backend), inside one
``rc_context`` so the caller's matplotlib settings are neither used nor changed. SVG text
stays text (``svg.fonttype = none``) and ids are salted with a fixed string, so the same
records give the same file.
"""

from __future__ import annotations

import io
import math
from collections.abc import Callable
from typing import Any

import numpy as np
from matplotlib import rc_context
from matplotlib.colors import LinearSegmentedColormap
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator, NullFormatter

WIDTH = 7.2  # inches: a laptop column at 100 % zoom, an A4 page with margins
STYLE: Any = {  # matplotlib types rcParams keys as literals; these are all valid
    "svg.fonttype": "none",
    "svg.hashsalt": "omnirec-report",
    "font.family": "sans-serif",
    "font.sans-serif": ["DejaVu Sans"],  # ships with matplotlib; the SVG names the generic family too
    "font.size": 8.5,
    "axes.titlesize": 9,
    "axes.labelsize": 8.5,
    "legend.fontsize": 7.5,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.color": "#dddddd",
    "grid.linewidth": 0.6,
    "axes.axisbelow": True,
}
#: Colour-blind-safe palette (Okabe-Ito), then tab20 for more rows.
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000"]


def colours(n: int) -> list[Any]:
    if n <= len(PALETTE):
        return PALETTE[:n]
    from matplotlib import colormaps

    cmap = colormaps["tab20"]
    return [cmap(i % 20) for i in range(n)]


def render(draw: Callable[[], Figure]) -> str:
    """SVG text of the figure ``draw`` builds (in the report's style)."""
    with rc_context(STYLE):
        fig = draw()
        buf = io.StringIO()
        fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": "omnirec report"})
    return buf.getvalue()


def _short(label: str, width: int = 48) -> str:
    return label if len(label) <= width else label[: width - 1] + "…"


def _legend_columns(labels: list[str]) -> int:
    """As many legend columns as the longest label lets fit across the figure."""
    longest = max((len(lab) for lab in labels), default=10)
    return max(1, min(4, len(labels), int((WIDTH - 0.3) / (0.45 + 0.062 * longest))))


def _row_height(n: int, per: float = 0.26, base: float = 1.0) -> float:
    return base + per * max(n, 1)


# ---- dataset ---------------------------------------------------------------------------


def dataset_figure(stages: list[tuple[str, dict[str, Any]]]) -> Figure:
    """Interactions per user and per item (log-binned histograms) at each stage of the pipeline."""
    fig = Figure(figsize=(WIDTH, 3.0 + 0.2 * math.ceil(len(stages) / 4)), layout="constrained")
    axes = fig.subplots(1, 2)
    palette = colours(len(stages))
    for ax, key, what in zip(axes, ("per_user", "per_item"), ("users", "items")):
        for (name, prof), colour in zip(stages, palette):
            hist = (prof.get(key) or {}).get("hist")
            if not hist:
                continue
            edges = np.asarray(hist["edges"], dtype=np.float64)
            counts = np.asarray(hist["counts"], dtype=np.float64)
            ax.stairs(counts, edges, label=name, color=colour, linewidth=1.3)
        ax.set_xscale("log")
        ax.set_yscale("symlog", linthresh=1)
        ax.set_xlabel(f"interactions per {what[:-1]}")
        ax.set_ylabel(f"{what}")
        ax.set_ylim(bottom=0)
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncols=_legend_columns(labels), frameon=False)
    return fig


# ---- results ---------------------------------------------------------------------------


def metric_k_figure(curves: list[dict[str, Any]]) -> Figure:
    """One panel per metric: each row's value at every cutoff the evaluator computed."""
    n = len(curves)
    cols = min(n, 3)
    rows = math.ceil(n / cols)
    n_series = len(curves[0]["series"])
    names = [_short(s["row"]) for s in curves[0]["series"]]
    fig = Figure(
        figsize=(WIDTH, 2.5 * rows + 0.2 * math.ceil(n_series / _legend_columns(names))), layout="constrained"
    )
    axes = np.atleast_1d(fig.subplots(rows, cols, squeeze=False)).ravel()
    palette = colours(n_series)
    for ax, curve in zip(axes, curves):
        for s, colour in zip(curve["series"], palette):
            ys = [np.nan if v is None else v for v in s["values"]]
            ax.plot(
                curve["ks"], ys, marker="o", markersize=3, linewidth=1.2, color=colour, label=_short(s["row"])
            )
        ax.set_xticks(curve["ks"])
        ax.set_xlabel("k")
        ax.set_title(f"{curve['metric']}@k")
    for ax in axes[n:]:
        ax.set_visible(False)
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncols=_legend_columns(labels), frameon=False)
    return fig


def distribution_figure(boxes: list[dict[str, Any]], label: str) -> Figure:
    """Per row: box of the per-user values (whiskers at 1.5 IQR, outliers not drawn), mean marked."""
    fig = Figure(figsize=(WIDTH, _row_height(len(boxes), 0.32, 1.1)), layout="constrained")
    ax = fig.subplots()
    stats = [
        {
            "label": _short(b["row"], 60),
            "med": b["median"],
            "q1": b["q1"],
            "q3": b["q3"],
            "whislo": b["whislo"],
            "whishi": b["whishi"],
            "mean": b["mean"],
        }
        for b in reversed(boxes)
    ]
    ax.bxp(
        stats,
        orientation="horizontal",
        showfliers=False,
        showmeans=True,
        patch_artist=True,
        boxprops={"facecolor": "#cfe3f3", "edgecolor": "#0072B2"},
        medianprops={"color": "#0072B2", "linewidth": 1.5},
        meanprops={
            "marker": "D",
            "markerfacecolor": "#D55E00",
            "markeredgecolor": "#D55E00",
            "markersize": 4,
        },
        whiskerprops={"color": "#555555"},
        capprops={"color": "#555555"},
    )
    ax.set_xlabel(f"{label} per user")
    ax.grid(axis="y", visible=False)
    return fig


def significance_colours(matrix: dict[str, Any], higher_is_better: bool) -> tuple[np.ndarray, np.ndarray]:
    """The p shown in each cell (t-test below the diagonal, Wilcoxon above when there) and its
    colour value in [-1, 1]: sign = the row is better (+) or worse (-) than the column,
    size = -log10(p) / 4 (p <= 1e-4: full colour, p = 1: none)."""
    n = len(matrix["rows"])
    lower = np.array([[np.nan if v is None else v for v in r] for r in matrix["t_p_holm"]])
    upper_src = matrix["w_p_holm"] or matrix["t_p_holm"]
    upper = np.array([[np.nan if v is None else v for v in r] for r in upper_src])
    diff = np.array([[np.nan if v is None else v for v in r] for r in matrix["diff"]])
    p = np.where(np.tri(n, k=-1, dtype=bool), lower, upper)
    better = np.sign(diff) * (1 if higher_is_better else -1)
    strength = np.clip(-np.log10(np.clip(p, 1e-300, 1.0)) / 4.0, 0, 1)
    return p, np.where(np.isfinite(p), better * strength, np.nan)


def significance_figure(matrix: dict[str, Any], higher_is_better: bool) -> Figure:
    """The pairwise matrix: Holm-adjusted p of the paired t-test below the diagonal and of the
    Wilcoxon test above (t-test on both sides when Wilcoxon was left out); colour = how
    small p is, blue where the row is better, red where it is worse."""
    labels = matrix["rows"]
    n = len(labels)
    p, value = significance_colours(matrix, higher_is_better)
    size = min(WIDTH, 2.2 + 0.42 * n)
    fig = Figure(figsize=(WIDTH, size + 0.6), layout="constrained")
    ax = fig.subplots()
    cmap = LinearSegmentedColormap.from_list("omnirec-sig", ["#B2182B", "#F7F7F7", "#2166AC"]).with_extremes(
        bad="#ffffff"
    )
    image = ax.imshow(value, cmap=cmap, vmin=-1, vmax=1, interpolation="nearest")
    # Many rows: smaller labels (the SVG stays sharp when zoomed in).
    tick = min(8.5, max(2.5, 0.75 * 72 * (size - 2.0) / n))
    width = 28 if n <= 30 else 22
    ax.set_xticks(range(n), [_short(lab, width) for lab in labels], rotation=60, ha="right", fontsize=tick)
    ax.set_yticks(range(n), [_short(lab, width + 12) for lab in labels], fontsize=tick)
    ax.grid(False)
    if n <= 14:
        for i in range(n):
            for j in range(n):
                if i != j and np.isfinite(p[i, j]):
                    text = "<0.001" if p[i, j] < 0.001 else f"{p[i, j]:.3f}"
                    ink = "#ffffff" if abs(value[i, j]) > 0.6 else "#111111"
                    ax.text(j, i, text, ha="center", va="center", fontsize=6.5, color=ink)
    ticks = [-1, -0.5, -0.325, 0, 0.325, 0.5, 1]
    bar = fig.colorbar(image, ax=ax, shrink=0.8, ticks=ticks)
    bar.ax.set_yticklabels(["≤1e-4 worse", "0.01", "0.05", "1", "0.05", "0.01", "≤1e-4 better"])
    bar.ax.set_ylabel("Holm-adjusted p (row against column)")
    ax.set_xlabel(
        "below the diagonal: paired t-test; above: Wilcoxon signed-rank"
        if matrix["w_p_holm"]
        else "paired t-test on both sides of the diagonal (Wilcoxon left out: see the caption)"
    )
    return fig


def fold_figure(spread: list[dict[str, Any]], label: str) -> Figure:
    """Per row: the value in each fold (dots), and mean ± std over folds."""
    fig = Figure(figsize=(WIDTH, _row_height(len(spread), 0.3, 1.1)), layout="constrained")
    ax = fig.subplots()
    n = len(spread)
    ys = np.arange(n)[::-1]  # first row on top
    xs = [v for s in spread for v in s["values"] if v is not None]
    dots = [y for s, y in zip(spread, ys) for v in s["values"] if v is not None]
    with_std = [
        (s["mean"], s["std"], y) for s, y in zip(spread, ys) if s["mean"] is not None and s["std"] is not None
    ]
    if with_std:
        means, stds, at = zip(*with_std)
        ax.errorbar(means, at, xerr=stds, fmt="|", color="#555555", capsize=3, markersize=10, zorder=2)
    ax.scatter(xs, dots, s=14, color="#0072B2", alpha=0.85, zorder=3)
    ax.set_yticks(ys, [_short(s["row"], 60) for s in spread])
    ax.set_ylim(-0.7, n - 0.3)
    ax.set_xlabel(f"{label} per fold (dots); mean ± std over folds (bar)")
    ax.grid(axis="y", visible=False)
    return fig


# ---- tuning ----------------------------------------------------------------------------


def search_history_figure(history: dict[str, Any]) -> Figure:
    """Validation score of each trial in order, the best so far, the selected trial circled."""
    fig = Figure(figsize=(WIDTH, 2.6), layout="constrained")
    ax = fig.subplots()
    trials = np.asarray(history["trials"], dtype=np.float64)
    scores = np.array([np.nan if v is None else v for v in history["scores"]])
    best = np.array([np.nan if v is None else v for v in history["best_so_far"]])
    ok = np.isfinite(scores)
    ax.scatter(trials[ok], scores[ok], s=16, color="#0072B2", label="trial", zorder=3)
    if (~ok).any():
        floor = np.nanmin(scores) if ok.any() else 0.0
        ax.scatter(trials[~ok], [floor] * int((~ok).sum()), marker="x", color="#D55E00", label="failed")
    ax.step(trials, best, where="post", color="#009E73", linewidth=1.4, label="best so far")
    sel = history.get("selected")
    if sel is not None and sel in history["trials"]:
        at = history["trials"].index(sel)
        if np.isfinite(scores[at]):
            ax.scatter(
                [trials[at]], [scores[at]], s=80, facecolors="none", edgecolors="#000000", label="selected"
            )
    ax.set_xlabel("trial")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_ylabel(f"validation {history['metric']}")
    ax.legend(loc="lower right" if history["maximize"] else "upper right", frameon=False, ncols=4)
    return fig


def search_params_figure(params: list[dict[str, Any]], metric: str, selected: int | None) -> Figure:
    """Validation score against each searched parameter (log axis where the space is log-scaled)."""
    n = len(params)
    cols = min(n, 3)
    rows = math.ceil(n / cols)
    fig = Figure(figsize=(WIDTH, 2.4 * rows), layout="constrained")
    axes = np.atleast_1d(fig.subplots(rows, cols, squeeze=False)).ravel()
    for ax, p in zip(axes, params):
        keep = [
            i for i, (v, s) in enumerate(zip(p["values"], p["scores"])) if v is not None and s is not None
        ]
        scores = [p["scores"][i] for i in keep]
        if p["kind"] == "categorical":
            cats = sorted({p["values"][i] for i in keep})
            xs: list[float] = [float(cats.index(p["values"][i])) for i in keep]
            ax.set_xticks(range(len(cats)), cats)
        else:
            xs = [float(p["values"][i]) for i in keep]
            if p["kind"] == "log" and all(x > 0 for x in xs):
                ax.set_xscale("log")
                ax.xaxis.set_minor_formatter(NullFormatter())
        ax.scatter(xs, scores, s=16, color="#0072B2", zorder=3)
        chosen = [k for k, i in enumerate(keep) if p["trials"][i] == selected]
        if chosen:
            ax.scatter([xs[chosen[0]]], [scores[chosen[0]]], s=80, facecolors="none", edgecolors="#000000")
        ax.set_xlabel(p["param"])
        ax.set_ylabel(f"validation {metric}")
    for ax in axes[n:]:
        ax.set_visible(False)
    return fig


# ---- cost ------------------------------------------------------------------------------


def cost_figure(costs: list[dict[str, Any]]) -> Figure:
    """Fit time, predict time and peak memory per row, side by side (bars: mean; lines: range)."""
    n = len(costs)
    fig = Figure(figsize=(WIDTH, _row_height(n, 0.3, 1.2)), layout="constrained")
    axes = fig.subplots(1, 3, sharey=True)
    ys = np.arange(n)[::-1]
    for ax, key, title, colour in zip(
        axes,
        ("fit_s", "predict_s", "peak_rss_mib"),
        ("fit (s)", "predict (s)", "peak memory (MiB)"),
        ("#0072B2", "#E69F00", "#009E73"),
    ):
        vals = np.array([np.nan if c[key] is None else c[key] for c in costs])
        lo = np.array([np.nan if c[f"{key}_min"] is None else c[f"{key}_min"] for c in costs])
        hi = np.array([np.nan if c[f"{key}_max"] is None else c[f"{key}_max"] for c in costs])
        ax.barh(ys, np.nan_to_num(vals), color=colour, height=0.6)
        spread = np.isfinite(lo) & (hi > lo)
        if spread.any():
            ax.hlines(ys[spread], lo[spread], hi[spread], color="#333333", linewidth=1)
        ax.set_title(title)
        ax.grid(axis="y", visible=False)
    axes[0].set_yticks(ys, [_short(c["row"], 40) for c in costs])
    return fig


__all__ = [
    "cost_figure",
    "dataset_figure",
    "distribution_figure",
    "fold_figure",
    "metric_k_figure",
    "render",
    "search_history_figure",
    "search_params_figure",
    "significance_figure",
]
