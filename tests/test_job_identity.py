"""What makes two jobs the same job: content, the effective config, the dataset's name."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from support import experiment

from omnirec_core import NDCG, Evaluator, ExperimentPlan
from omnirec_core.orchestration.journal import Journal


def _fits(ckpt: Path) -> list[dict]:
    return [e for e in Journal(ckpt).read() if e["phase"] == "fit" and e["event"] == "started"]


def test_same_content_under_two_names_gives_two_labelled_datasets(checkpoint_dir: Path) -> None:
    a = experiment.dataset()
    b = experiment.dataset()
    b.name = "synth-copy"
    p = ExperimentPlan("two")
    p.add_algorithm("Fake.Pop")
    ev = experiment.run(checkpoint_dir, ds=[a, b], p=p, evaluator=Evaluator(NDCG([10])))
    res = ev.get_results()
    assert sorted(res["dataset"]) == ["synth", "synth-copy"]
    # Same content, same seed: the same numbers, each under its own name.
    assert res["value"].nunique() == 1
    statuses = [json.loads(p.read_text())["status"] for p in checkpoint_dir.rglob("job.json")]
    assert statuses == ["done", "done"]


def test_the_same_dataset_twice_runs_once_with_a_notice(
    checkpoint_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ds = experiment.dataset()
    p = ExperimentPlan("twice")
    p.add_algorithm("Fake.Pop")
    ev = experiment.run(checkpoint_dir, ds=[ds, ds], p=p, evaluator=Evaluator(NDCG([10])))
    assert len(ev.get_results()) == 1
    assert "given twice" in capsys.readouterr().err
    assert len(_fits(checkpoint_dir)) == 1


def test_writing_a_default_out_is_the_same_job(checkpoint_dir: Path) -> None:
    implicit = ExperimentPlan("implicit-default")
    implicit.add_algorithm("Fake.ItemCF", {})
    experiment.run(checkpoint_dir, p=implicit, evaluator=Evaluator(NDCG([10])))
    explicit = ExperimentPlan("explicit-default")
    explicit.add_algorithm("Fake.ItemCF", {"shrink": 0.0})  # Fake.ItemCF's declared default
    ev = experiment.run(checkpoint_dir, p=explicit, evaluator=Evaluator(NDCG([10])))
    assert len(_fits(checkpoint_dir)) == 1  # nothing new was trained
    assert len(ev.get_results()) == 1
    (record,) = [json.loads(p.read_text()) for p in checkpoint_dir.rglob("job.json")]
    assert record["effective_config"] == {"shrink": 0.0}
    other = ExperimentPlan("other")
    other.add_algorithm("Fake.ItemCF", {"shrink": 5.0})
    experiment.run(checkpoint_dir, p=other, evaluator=Evaluator(NDCG([10])))
    assert len(_fits(checkpoint_dir)) == 2
