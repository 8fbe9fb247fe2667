"""An OmniRec-style script end to end with the fake runner (real processes, in place):
OmniRec's import paths, enums, a legacy metric, ``run_omnirec`` and a re-run."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from omnirec import RecSysDataSet
from omnirec.metrics.base import Metric, MetricResult
from omnirec.metrics.ranking import NDCG, Recall
from omnirec.preprocess.core_pruning import CorePruning
from omnirec.preprocess.feedback_conversion import MakeImplicit
from omnirec.preprocess.pipe import Pipe
from omnirec.preprocess.split import UserHoldout
from omnirec.runner.algos import Fake  # type: ignore[attr-defined]
from omnirec.runner.evaluation import Evaluator
from omnirec.runner.plan import ExperimentPlan
from omnirec.util.run import run_omnirec


class ListedShare(Metric):
    """A metric written OmniRec's way: the share of test rows found in the lists."""

    def calculate(self, predictions: pd.DataFrame, test: pd.DataFrame) -> MetricResult:  # type: ignore[override]
        return MetricResult("ListedShare", len(predictions.merge(test, on=["user", "item"])) / len(test))


@pytest.fixture
def here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Run as a user would: in a fresh directory, runners in this interpreter, data in tmp."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("OMNIREC_RUNNER_ISOLATION", "none")
    monkeypatch.setenv("OMNIREC_DATA_DIR", str(tmp_path / "data"))
    return tmp_path


def script() -> Evaluator:
    dataset = RecSysDataSet.use_dataloader("synthetic-tiny")
    dataset = Pipe(MakeImplicit(3), CorePruning(2), UserHoldout(0.15, 0.15)).process(dataset)
    plan = ExperimentPlan(plan_name="OmniRec style")
    plan.add_algorithm(Fake.Pop)
    plan.add_algorithm(Fake.ItemCF, {"shrink": [0.0, 5.0]})
    evaluator = Evaluator(NDCG([5, 10]), Recall([10]), ListedShare())
    return run_omnirec(dataset, plan, evaluator)


def test_omnirec_style_script_runs_prints_tables_and_reruns_from_checkpoints(
    here: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    first = script().get_results()
    printed = capsys.readouterr().out
    assert "Fake.Pop" in printed and "Fake.ItemCF" in printed and "ListedShare" in printed
    assert set(first["algorithm"]) == {"Fake.Pop", "Fake.ItemCF"}
    labels = set(first["metric"] + first["k"].map(lambda k: "" if pd.isna(k) else f"@{k}"))
    assert labels == {"NDCG@5", "NDCG@10", "RecallCapped@10", "ListedShare"}
    assert len(first) == 3 * 4 and first["value"].between(0, 1).all()
    jobs = sorted((here / "checkpoints").rglob("job.json"))
    assert len(jobs) == 3 and all(json.loads(p.read_text())["status"] == "done" for p in jobs)
    units = set((here / "checkpoints" / "units").iterdir())

    second = script().get_results()  # a re-run reuses every job: no new runner unit
    pd.testing.assert_frame_equal(first.reset_index(drop=True), second.reset_index(drop=True))
    assert set((here / "checkpoints" / "units").iterdir()) == units
