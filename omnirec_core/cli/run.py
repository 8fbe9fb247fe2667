"""``omnirec run``, ``omnirec plugins``, ``omnirec status`` and ``omnirec worker run``."""

from __future__ import annotations

import contextlib
import json
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from omnirec_core.cli.exitcodes import EXIT_FAILED_JOBS
from omnirec_core.cli.signals import stop_on_signals
from omnirec_core.orchestration.errortext import summary
from omnirec_core.orchestration.jobs import FAILED_FILE, read_json
from omnirec_core.orchestration.tree import job_records, search_records


def wide_console() -> Console:
    """A console for result tables: at least 160 columns when not writing to a terminal."""
    console = Console()
    return console if console.is_terminal else Console(width=max(console.width, 160))


@click.command("run")
@click.argument("plan_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--checkpoint-dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Override the file's checkpoint_dir.",
)
@click.option("--max-workers", type=int, default=None, help="Runners (algorithms) to run in parallel.")
@click.option(
    "--executor",
    type=click.Choice(["local", "slurm", "ray"]),
    default=None,
    help="Where jobs run (default: the file's [run] executor, else local). See docs/cluster.md.",
)
@click.option("--partition", default=None, help="Slurm partition.")
@click.option(
    "--sbatch-template",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="Slurm: your own sbatch template (default: the shipped one).",
)
@click.option("--ray-address", default=None, help="Ray: the dashboard address, e.g. http://head:8265.")
@click.option(
    "--executor-option",
    "-X",
    "executor_options",
    multiple=True,
    metavar="KEY=VALUE",
    help="Any executor option, e.g. -X cpus=8 -X mem=16G -X bundle=20 (repeatable).",
)
@click.option(
    "--quiet",
    "-q",
    is_flag=True,
    help="No progress display (a wait on a cluster longer than a minute still prints its changes).",
)
def run_cmd(
    plan_file: Path,
    checkpoint_dir: Path | None,
    max_workers: int | None,
    executor: str | None,
    partition: str | None,
    sbatch_template: Path | None,
    ray_address: str | None,
    executor_options: tuple[str, ...],
    quiet: bool,
) -> None:
    """Run the experiment described by PLAN_FILE and print the result tables.

    SIGTERM and SIGHUP stop it like Ctrl-C: cluster tasks it submitted are cancelled (and
    recorded as such), finished jobs are kept, the exit code is 128 + the signal number.
    """
    from omnirec_core.experiment.runfile import load_run_file
    from omnirec_core.orchestration.coordinator import Coordinator

    rf = load_run_file(plan_file)
    console = wide_console()
    if not quiet:
        console.print(f"[bold]omnirec[/bold] running {rf.plan.plan_name!r} from {plan_file}")
    evaluator = rf.build_evaluator()
    workers = max_workers or int(rf.run.get("max_workers", 1))
    kind = executor or str(rf.run.get("executor", "local"))
    engine = None
    if kind != "local":
        from omnirec_core.orchestration.executors import make_executor

        options = dict(rf.run.get(kind, {}))
        if kind == "slurm" and options.get("template") and "\n" not in str(options["template"]):
            options["template"] = plan_file.parent / str(options["template"])  # relative to the file
        if kind == "slurm" and sbatch_template is not None:
            options["template"] = sbatch_template.absolute()
        options.update({"partition": partition} if kind == "slurm" and partition else {})
        options.update({"address": ray_address} if kind == "ray" and ray_address else {})
        options.update(_parse_options(executor_options))
        engine = make_executor(kind, options)
        # Before anything is loaded or built: a request no node can hold is refused now.
        engine.check_request()
        if engine.request_note and not quiet:
            click.echo(engine.request_note, err=True)
            engine.request_note = ""  # said once
    ckpt = checkpoint_dir or rf.checkpoint_dir
    # The checkpoint directory, the plan and the metrics are checked before any data loads.
    coordinator = Coordinator(ckpt, max_workers=workers, quiet=quiet, executor=engine)
    coordinator.validate(rf.plan, evaluator)
    dataset = rf.build_dataset()
    with stop_on_signals():
        try:
            coordinator.run(dataset, rf.plan, evaluator)
        except KeyboardInterrupt:
            if engine is not None and engine.cancelled:
                with contextlib.suppress(OSError):
                    click.echo(
                        f"omnirec: cancelled {engine.cancelled} {kind} task(s) this run submitted or waited for "
                        f"(recorded in {Path(ckpt) / 'units'}); the next run submits their jobs again",
                        err=True,
                    )
            raise
    for table in evaluator.get_tables():
        console.print(table)
    done, failed = len(evaluator.jobs()), len(evaluator.failures)
    line = f"{done} done, {failed} failed" + (f": see `omnirec status {ckpt}`" if failed else "")
    click.secho(f"omnirec: {line}", err=True, fg="red" if failed else None)
    if failed:
        sys.exit(EXIT_FAILED_JOBS)


def _parse_options(pairs: tuple[str, ...]) -> dict[str, object]:
    """KEY=VALUE pairs; a VALUE that parses as JSON (numbers, lists, true) is taken as such."""
    from omnirec_core.errors import OmniRecError

    out: dict[str, object] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise OmniRecError(f"executor option {pair!r} is not KEY=VALUE, e.g. -X cpus=8")
        try:
            out[key.strip()] = json.loads(value)
        except ValueError:
            out[key.strip()] = value
    return out


@click.command("plugins")
def plugins_cmd() -> None:
    """List runners and their algorithms, metrics, splitters and datasets, with their providers."""
    from omnirec_core.plugin.manager import Provided, get_plugin_manager

    pm = get_plugin_manager()
    console = Console()
    t = Table(title="Runners")
    for col in ("runner", "algorithms", "python", "provided by"):
        t.add_column(col)
    for name, p in sorted(pm.runners().items()):
        algos = ", ".join(a.name + (" (unavailable)" if a.unavailable else "") for a in p.spec.algorithms)
        t.add_row(name, algos, p.spec.python, p.distribution)
    console.print(t)
    tables: list[tuple[str, dict[str, Provided[Any]]]] = [
        ("Metrics", pm.metrics()),
        ("Splitters", pm.splitters()),
        ("Datasets", pm.datasets()),
    ]
    for title, table in tables:
        t = Table(title=title)
        t.add_column("name")
        t.add_column("description")
        t.add_column("provided by")
        for name, provided in sorted(table.items()):
            t.add_row(name, getattr(provided.spec, "description", ""), provided.distribution)
        console.print(t)
    for problem in pm.problems:
        console.print(f"[yellow]skipped plugin {problem.plugin} ({problem.distribution}): {problem.error}")


@click.command("status")
@click.argument("checkpoint_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
def status_cmd(checkpoint_dir: Path) -> None:
    """Done / failed / pending jobs in CHECKPOINT_DIR, with the cause of each failure.

    For a run on a cluster, where its tasks are: pending (and why), running, cancelled
    (from squeue when it answers, else as the run last recorded). A table on a wide
    terminal; one line per job otherwise (a narrow terminal, a pipe, a log).
    """
    from omnirec_core.orchestration.executors.status import cluster_tasks

    console = Console(highlight=False)
    records = [(d, rec) for d, rec in job_records(checkpoint_dir) if not rec.get("trial")]
    searches = search_records(checkpoint_dir)
    cluster = cluster_tasks(checkpoint_dir)
    if cluster is not None:  # jobs still queued on the cluster have no record of their own yet
        records = sorted(records + cluster.unstarted_jobs(), key=lambda r: str(r[0]))
    if not records and not searches:
        console.print(f"no jobs under {checkpoint_dir}")
        return
    if cluster is not None and any(t.state != "finished" for t in cluster.tasks):
        console.print(escape(cluster.summary()), soft_wrap=True)
    tasks = cluster.by_job_dir() if cluster is not None else {}
    for rec in searches:
        console.print(_search_line(rec), soft_wrap=True)
    rows = [_status_row(job_dir, rec) for job_dir, rec in records]
    for row, (job_dir, _) in zip(rows, records):
        task = tasks.get(str(job_dir.resolve()))
        if (
            row["status"] == "pending"
            and task is not None
            and task.state != "finished"
            and cluster is not None
        ):
            row["detail"] = task.describe(cluster.engine)
    counts = Counter(row["status"] for row in rows)
    if console.is_terminal and console.width >= 120:
        t = Table(title=f"Jobs in {checkpoint_dir}")
        columns = ("dataset", "algorithm", "config", "fold", "status", "detail")
        for col in columns:
            t.add_column(col, overflow="fold", no_wrap=col in ("fold", "status"))
        for row in rows:
            t.add_row(*(escape(row[c]) if c != "status" else _styled(row[c]) for c in columns))
        console.print(t)
    else:
        for row in rows:
            fold = f" fold {row['fold']}" if row["fold"] else ""
            console.print(
                f"{_styled(row['status'])}  {escape(row['algorithm'])} {escape(row['config'])}{fold}"
                f"  [dim]{escape(row['dataset'])}[/dim]  {escape(row['detail'])}",
                soft_wrap=True,
            )
    console.print(", ".join(f"{n} {s}" for s, n in sorted(counts.items())))


def _search_line(rec: dict[str, Any]) -> str:
    """One tuning search: trials run of the budget, the best validation score so far, its state."""
    trials = rec.get("trials") or []
    failed = sum(1 for t in trials if t.get("score") is None)
    best = rec.get("best")
    best_text = ""
    if best is not None and best < len(trials):
        config = json.dumps(trials[best].get("config", {}), sort_keys=True)
        best_text = f", best {rec.get('metric', '')} {trials[best]['score']:.4f} with {escape(config)}"
    state = {"done": "[green]searched[/]", "failed": "[red]search failed[/]"}.get(
        str(rec.get("status")), "[yellow]searching[/]"
    )
    failures = f" ({failed} failed)" if failed else ""
    error = f": {escape(summary(str(rec['error'])))}" if rec.get("error") else ""
    return (
        f"{state}  {escape(str(rec.get('algorithm', '?')))}  [dim]{escape(str(rec.get('dataset', '')))}[/dim]  "
        f"{len(trials)}/{rec.get('budget', '?')} trials{failures}{best_text}{error}"
    )


def _styled(status: str) -> str:
    return f"[{ {'done': 'green', 'failed': 'red'}.get(status, 'yellow') }]{status}[/]"


def _status_row(job_dir: Path, rec: dict[str, Any]) -> dict[str, str]:
    """The status line of one job: its identity, state and what to know about it."""
    status = rec.get("status", "pending")
    status = status if status in ("done", "failed") else "pending"
    detail = ""
    if status == "failed":
        failed = read_json(job_dir / FAILED_FILE) or {}
        detail = f"{failed.get('phase', '?')}: {summary(str(failed.get('error') or rec.get('error') or ''))}"
    elif status == "done":
        timings = rec.get("timings", {})
        detail = f"fit {timings.get('fit_wall_s', '-')} s, predict {timings.get('predict_wall_s', '-')} s"
        if "runner_start_s" in timings:
            detail += f", runner start {timings['runner_start_s']} s"
    return {
        "dataset": str(rec.get("dataset", "")),
        "algorithm": str(rec.get("algorithm", "")),
        "config": json.dumps(rec.get("config", {}), sort_keys=True),
        "fold": "" if rec.get("fold") is None else str(rec["fold"]),
        "status": status,
        "detail": detail,
    }


@click.group("worker")
def worker_group() -> None:
    """Execute units of work (used by cluster executors)."""


@click.command("run")
@click.argument("spec", required=False, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--task-list",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A file of unit spec paths, one a line: run line --index (default $SLURM_ARRAY_TASK_ID, 0-based).",
)
@click.option("--index", type=int, default=None, help="Line of --task-list to run (0-based).")
def worker_run_cmd(spec: Path | None, task_list: Path | None, index: int | None) -> None:
    """Execute the unit described by SPEC; a no-op when its done record exists.

    Job events are appended to SPEC's .events.jsonl; a failure of the unit itself is
    recorded in SPEC's .error.json (with the runner log tail) and exits non-zero.
    """
    from omnirec_core.errors import OmniRecError
    from omnirec_core.orchestration.executors.node import run_worker, spec_from_task_list

    if (spec is None) == (task_list is None):
        raise OmniRecError("give either SPEC or --task-list FILE")
    if task_list is not None:
        spec = spec_from_task_list(task_list, index)
    assert spec is not None
    how, record = run_worker(spec)
    if how == "already-done":
        click.echo(
            f"unit {spec.name}: already done (task {record.get('engine_job_id') or '?'} on "
            f"{record.get('host', '?')}); nothing to do"
        )
        return
    failed = record.get("failed_jobs", [])
    click.echo(f"unit {spec.name}: done on {record['host']}, {len(failed)} failed job(s)")


worker_group.add_command(worker_run_cmd)
