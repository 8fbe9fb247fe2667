"""``omnirec report CHECKPOINT_DIR``: the experiment report, one self-contained page."""

from __future__ import annotations

from pathlib import Path

import click


@click.command("report")
@click.argument("checkpoint_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Where to write it (default: report.html, or report.md with --format markdown).",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["html", "markdown"]),
    default="html",
    show_default=True,
    help="html: one file that opens offline (styles and plots embedded); "
    "markdown: a .md file plus its plots as SVG files in <name>_files/.",
)
@click.option(
    "--metric",
    help="The main metric (per-user distributions, pairwise significance, folds), e.g. NDCG@10; "
    "default: the selection metric of a tuned run, else the first metric with per-user values.",
)
@click.option(
    "--compare",
    "baseline",
    metavar="BASELINE",
    help="Mark the main metric's cells that differ significantly from BASELINE, as "
    "`omnirec results --compare BASELINE --metric METRIC` does.",
)
@click.option("--alpha", type=float, default=0.05, show_default=True, help="Significance level.")
@click.option("--title", help="The report's title (default: the checkpoint directory's name).")
def report_cmd(
    checkpoint_dir: Path,
    output: Path | None,
    fmt: str,
    metric: str | None,
    baseline: str | None,
    alpha: float,
    title: str | None,
) -> None:
    """Write the report of the run(s) in CHECKPOINT_DIR: dataset and preprocessing, plan,
    results with significance, plots, tuning, cost, provenance and failures.

    Needs the report extra: pip install 'omnirec-core[report]'.
    """
    from omnirec_core.report import build

    path = build(
        checkpoint_dir,
        output,
        format=fmt,  # type: ignore[arg-type]
        metric=metric,
        baseline=baseline,
        alpha=alpha,
        title=title,
    )
    click.echo(f"wrote {path.resolve()} ({path.stat().st_size / 1024:,.0f} KiB)")
