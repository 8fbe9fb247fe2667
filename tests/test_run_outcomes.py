"""How a run ends: failed jobs are shown and make the exit code non-zero, a runner that
cannot start is started once, stored metric values are never trusted blindly, and bad
input is one clear line before any data is loaded."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from support import experiment

from omnirec_core import NDCG, Evaluator, ExperimentPlan, Recall
from omnirec_core.cli.exitcodes import EXIT_BAD_INPUT, EXIT_FAILED_JOBS
from omnirec_core.evaluation.result import METRICS_FILE
from omnirec_core.orchestration.tree import load_checkpoint_results

IN_PLACE = {**os.environ, "OMNIREC_RUNNER_ISOLATION": "none"}


def omnirec(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "omnirec_core.cli", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env or IN_PLACE,
    )


def failing_plan() -> ExperimentPlan:
    p = ExperimentPlan("failing")
    p.add_algorithm("Fake.Pop", {"fault": [None, "raise_fit"]})
    p.add_algorithm("Fake.ItemCF")
    return p


def test_failed_jobs_are_listed_by_the_evaluator_and_marked_in_the_tables(checkpoint_dir: Path) -> None:
    ev = experiment.run(checkpoint_dir, p=failing_plan(), evaluator=Evaluator(NDCG([10])))
    (failure,) = ev.failures
    assert (failure.algorithm, failure.phase) == ("Fake.Pop", "fit")
    assert json.loads(failure.config) == {"fault": "raise_fit"}
    assert "injected failure in fit" in failure.error and "\n" not in failure.error
    text = ev.render("table")
    assert "failed (fit)" in text and "1 job(s) failed" in text
    # The same from the checkpoint tree alone.
    again = load_checkpoint_results(checkpoint_dir)
    assert [(f.algorithm, f.phase) for f in again.failures()] == [("Fake.Pop", "fit")]
    assert "failed (fit)" in again.render("table")


def test_cli_exit_code_and_summary_line_say_that_jobs_failed(tmp_path: Path) -> None:
    plan = experiment.write_cli_plan(tmp_path / "plan.toml", ["NDCG@10"])
    plan.write_text(
        plan.read_text().replace('name = "Fake.Pop"', 'name = "Fake.Pop"\nconfig = { fault = "raise_fit" }')
    )
    out = omnirec("run", str(plan), "-q", cwd=tmp_path)
    assert out.returncode == EXIT_FAILED_JOBS, out.stderr
    assert "2 done, 1 failed: see `omnirec status" in out.stderr  # also with -q
    assert "failed (fit)" in out.stdout
    clean = experiment.write_cli_plan(tmp_path / "clean.toml", ["NDCG@10"])
    ok = omnirec("run", str(clean), "-q", "--checkpoint-dir", str(tmp_path / "ck2"), cwd=tmp_path)
    assert ok.returncode == 0 and "3 done, 0 failed" in ok.stderr


def test_bad_input_is_reported_before_the_data_is_loaded(tmp_path: Path) -> None:
    plan = experiment.write_cli_plan(tmp_path / "plan.toml", ["NDCG@10"])
    text = plan.read_text().replace('name = "synthetic-tiny"', 'path = "missing.csv"')
    plan.write_text(text.replace("shrink = [0.0, 2.0]", 'shrink = "abc"'))
    out = omnirec("run", str(plan), "-q", cwd=tmp_path)
    assert out.returncode == EXIT_BAD_INPUT
    assert out.stderr.strip() == "error: Fake.ItemCF: shrink must be a number ≥ 0, got 'abc'"
    assert "Traceback" not in out.stderr


def test_algorithm_names_resolve_in_any_case(checkpoint_dir: Path) -> None:
    p = ExperimentPlan("cases")
    p.add_algorithm("fake.pop")
    p.add_algorithm("FAKE.itemcf")
    ev = experiment.run(checkpoint_dir, p=p, evaluator=Evaluator(NDCG([10])))
    assert sorted(ev.get_results()["algorithm"]) == ["Fake.ItemCF", "Fake.Pop"]


def test_a_runner_that_cannot_start_is_started_once_and_its_cause_shown(
    checkpoint_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OMNIREC_FAKE_FAULT", "import_error")
    p = ExperimentPlan("broken")
    p.add_algorithm("Fake.Pop", {"sleep": [0.0, 0.001, 0.002]})
    ev = experiment.run(checkpoint_dir, p=p, evaluator=Evaluator(NDCG([10])))
    assert len(ev.failures) == 3
    decisive = "ModuleNotFoundError: No module named 'fakeframework'"
    assert all(f.error.endswith(decisive) for f in ev.failures)
    logs = list((checkpoint_dir / "units").rglob("*.log"))
    starts = sum(log.read_text().count("=== omnirec: starting runner") for log in logs)
    assert starts == 1
    monkeypatch.delenv("OMNIREC_FAKE_FAULT")
    status = omnirec("status", str(checkpoint_dir), cwd=checkpoint_dir)
    lines = [ln for ln in status.stdout.splitlines() if "failed" in ln and "Fake.Pop" in ln]
    assert len(lines) == 3 and all(decisive in ln for ln in lines)  # quotes intact, one line per job
    assert "['" not in status.stdout
    assert "3 failed" in status.stdout


def test_an_edited_metrics_file_is_never_trusted(checkpoint_dir: Path, tmp_path: Path) -> None:
    evaluator = Evaluator(NDCG([10]), Recall([10]))
    first = experiment.run(checkpoint_dir, evaluator=evaluator).get_results()
    path = next(checkpoint_dir.rglob(METRICS_FILE))
    doc = json.loads(path.read_text())
    doc["values"]["NDCG@10"] = 0.999
    path.write_text(json.dumps(doc))
    # Read-only views show no value for it ...
    tree = load_checkpoint_results(checkpoint_dir)
    assert 0.999 not in tree.get_results()["value"].tolist()
    assert any("changed after evaluation" in f.error for f in tree.failures())
    # ... and a run re-scores it from the stored predictions, without the runner.
    again = experiment.run(checkpoint_dir, evaluator=Evaluator(NDCG([10]), Recall([10]))).get_results()
    assert 0.999 not in again["value"].tolist()
    key = ["algorithm", "config", "metric", "k"]
    assert again.sort_values(key)["value"].tolist() == first.sort_values(key)["value"].tolist()
    assert not load_checkpoint_results(checkpoint_dir).failures()


def test_printing_a_table_shows_the_table(checkpoint_dir: Path) -> None:
    ev = experiment.run(checkpoint_dir, evaluator=Evaluator(NDCG([10])))
    (table,) = ev.get_tables()
    text = str(table)
    assert "NDCG@10" in text and "Fake.ItemCF" in text
    assert "<rich.table" not in text
