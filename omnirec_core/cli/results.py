"""``omnirec results CHECKPOINT_DIR``: tables, exports and significance tests from a run's checkpoints."""

from __future__ import annotations

from pathlib import Path

import click

FORMATS = ("table", "csv", "json", "markdown", "latex")


@click.command("results")
@click.argument("checkpoint_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    default="table",
    show_default=True,
    help="table: rich tables; csv: tidy rows (or the comparison with --compare); "
    "json: rows, fold summary and comparison; markdown / latex: one table per dataset.",
)
@click.option(
    "--compare",
    "baseline",
    metavar="BASELINE",
    help="Test every algorithm against BASELINE (e.g. 'LensKit.ItemKNNScorer') on per-user values "
    "(paired t-test and Wilcoxon, Holm-corrected); marks significant cells with * and †.",
)
@click.option("--metric", help="Restrict --compare to one metric label (NDCG@10) or name (NDCG).")
@click.option(
    "--alpha", type=float, default=0.05, show_default=True, help="Significance level for --compare."
)
@click.option("--per-fold", is_flag=True, help="One row per fold instead of mean ± std over folds.")
@click.option(
    "--trials",
    is_flag=True,
    help="The tuning trials instead: every configuration tried, its validation score, the selected one.",
)
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write to this file (atomically) instead of standard output.",
)
def results_cmd(
    checkpoint_dir: Path,
    fmt: str,
    baseline: str | None,
    metric: str | None,
    alpha: float,
    per_fold: bool,
    trials: bool,
    output: Path | None,
) -> None:
    """Show the evaluation results stored under CHECKPOINT_DIR.

    Every job directory with a metrics.json counts; jobs not yet evaluated are skipped.
    """
    from omnirec_core.evaluation.result import ResultsError
    from omnirec_core.orchestration.tree import load_checkpoint_results

    results = load_checkpoint_results(checkpoint_dir, per_user=baseline is not None)
    if trials:
        if not results.searches():
            raise ResultsError(
                f"no tuning search under {checkpoint_dir}; --trials needs a run with a [selection]"
            )
        if baseline is not None or per_fold:
            raise click.UsageError("--trials cannot be combined with --compare or --per-fold")
        options: dict = {"trials": True}
    elif not results.jobs():
        raise ResultsError(
            f"no evaluated jobs under {checkpoint_dir} (no metrics.json found); run the experiment "
            "first, or point to the checkpoint directory it used."
        )
    else:
        options = {"alpha": alpha}
    if baseline is not None:
        options["baseline"] = baseline
        options["metric"] = metric
    if fmt in ("table", "markdown", "latex") and not trials:
        options["per_fold"] = per_fold
    if output is not None:
        results.export(output, fmt, **options)  # type: ignore[arg-type]
        click.echo(f"wrote {output}", err=True)
    elif fmt == "table":
        from omnirec_core.cli.run import wide_console
        from omnirec_core.evaluation import tables
        from omnirec_core.evaluation.presentation import trial_models

        console = wide_console()
        for table in (
            [tables.to_rich(m) for m in trial_models(results)] if trials else results.get_tables(**options)
        ):
            console.print(table)
    else:
        click.echo(results.render(fmt, **options), nl=False)  # type: ignore[arg-type]
