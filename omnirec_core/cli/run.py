"""``omnirec run``, ``omnirec plugins``, ``omnirec status`` and ``omnirec worker run``."""

from __future__ import annotations

import json
import os
from collections import Counter
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from omnirec_core.jobs import FAILED_FILE, JOB_FILE, read_json


@click.command("run")
@click.argument("plan_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--checkpoint-dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Override the file's checkpoint_dir.",
)
@click.option("--max-workers", type=int, default=None, help="Runners (algorithms) to run in parallel.")
@click.option("--quiet", "-q", is_flag=True, help="No progress display.")
def run_cmd(plan_file: Path, checkpoint_dir: Path | None, max_workers: int | None, quiet: bool) -> None:
    """Run the experiment described by PLAN_FILE and print the result tables."""
    from omnirec_core.coordinator import Coordinator
    from omnirec_core.planfile import load_run_file

    rf = load_run_file(plan_file)
    console = Console()
    if not quiet:
        console.print(f"[bold]omnirec[/bold] running {rf.plan.plan_name!r} from {plan_file}")
    dataset = rf.build_dataset()
    evaluator = rf.build_evaluator()
    workers = max_workers or int(rf.run.get("max_workers", 1))
    coordinator = Coordinator(checkpoint_dir or rf.checkpoint_dir, max_workers=workers, quiet=quiet)
    coordinator.run(dataset, rf.plan, evaluator)
    for table in evaluator.get_tables():
        console.print(table)


@click.command("plugins")
def plugins_cmd() -> None:
    """List runners and their algorithms, metrics, splitters and datasets, with their providers."""
    from omnirec_core.plugins import get_plugin_manager

    pm = get_plugin_manager()
    console = Console()
    t = Table(title="Runners")
    for col in ("runner", "algorithms", "python", "provided by"):
        t.add_column(col)
    for name, p in sorted(pm.runners().items()):
        algos = ", ".join(a.name + (" (unavailable)" if a.unavailable else "") for a in p.spec.algorithms)
        t.add_row(name, algos, p.spec.python, p.distribution)
    console.print(t)
    for title, table in (
        ("Metrics", pm.metrics()),
        ("Splitters", pm.splitters()),
        ("Datasets", pm.datasets()),
    ):
        t = Table(title=title)
        t.add_column("name")
        t.add_column("description")
        t.add_column("provided by")
        for name, p in sorted(table.items()):
            t.add_row(name, getattr(p.spec, "description", ""), p.distribution)
        console.print(t)
    for problem in pm.problems:
        console.print(f"[yellow]skipped plugin {problem.plugin} ({problem.distribution}): {problem.error}")


def job_records(checkpoint_dir: Path) -> list[tuple[Path, dict]]:
    """Every job directory's ``job.json`` under a checkpoint tree."""
    out = []
    for path in sorted(checkpoint_dir.rglob(JOB_FILE)):
        rec = read_json(path)
        if rec is not None:
            out.append((path.parent, rec))
    return out


@click.command("status")
@click.argument("checkpoint_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
def status_cmd(checkpoint_dir: Path) -> None:
    """Done / failed / pending jobs in CHECKPOINT_DIR, with failure causes."""
    console = Console()
    records = job_records(checkpoint_dir)
    if not records:
        console.print(f"no jobs under {checkpoint_dir}")
        return
    t = Table(title=f"Jobs in {checkpoint_dir}")
    for col in ("dataset", "algorithm", "config", "fold", "status", "detail"):
        t.add_column(col, overflow="fold")
    counts: Counter[str] = Counter()
    for job_dir, rec in records:
        status = rec.get("status", "pending")
        status = status if status in ("done", "failed") else "pending"
        counts[status] += 1
        detail = ""
        if status == "failed":
            failed = read_json(job_dir / FAILED_FILE) or {}
            detail = f"{failed.get('phase', '?')}: {(failed.get('error') or rec.get('error') or '').splitlines()[0:1]}"
            detail = detail.replace("['", "").replace("']", "")
        elif status == "done":
            timings = rec.get("timings", {})
            detail = f"fit {timings.get('fit_wall_s', '-')} s, predict {timings.get('predict_wall_s', '-')} s"
        fold = "" if rec.get("fold") is None else str(rec["fold"])
        style = {"done": "green", "failed": "red"}.get(status, "yellow")
        t.add_row(
            rec.get("dataset", ""),
            rec.get("algorithm", ""),
            json.dumps(rec.get("config", {}), sort_keys=True),
            fold,
            f"[{style}]{status}",
            detail,
        )
    console.print(t)
    console.print(", ".join(f"{n} {s}" for s, n in sorted(counts.items())))


@click.group("worker")
def worker_group() -> None:
    """Execute units of work (used by cluster executors)."""


@click.command("run")
@click.argument("spec", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def worker_run_cmd(spec: Path) -> None:
    """Execute the unit described by SPEC; a no-op when its done record exists."""
    from omnirec_core.unit import execute_unit

    engine_id = os.environ.get("SLURM_JOB_ID") or os.environ.get("RAY_JOB_SUBMISSION_ID", "")
    if os.environ.get("SLURM_ARRAY_TASK_ID"):
        engine_id = f"{os.environ.get('SLURM_ARRAY_JOB_ID', engine_id)}_{os.environ['SLURM_ARRAY_TASK_ID']}"
    record = execute_unit(spec, engine_job_id=engine_id)
    failed = record.get("failed_jobs", [])
    click.echo(f"unit {spec.name}: done on {record['host']}, {len(failed)} failed job(s)")


worker_group.add_command(worker_run_cmd)
