"""The Coordinator end to end with the fake runner: real processes, TLS, files."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from omnirec_core import (
    HR,
    NDCG,
    RMSE,
    Evaluator,
    ExperimentPlan,
    FoldedData,
    Recall,
    RecSysDataSet,
    UserCrossValidation,
)
from omnirec_core.orchestration.journal import Journal
from tests.support import experiment

ROOT = Path(__file__).resolve().parents[1]


def job_dirs(ckpt: Path) -> dict[str, Path]:
    """algorithm+config -> job dir, for every job.json under ckpt."""
    out = {}
    for p in ckpt.rglob("job.json"):
        rec = json.loads(p.read_text())
        out[f"{rec['algorithm']} {json.dumps(rec['config'], sort_keys=True)} {rec['fold']}"] = p.parent
    return out


def mtimes(ckpt: Path, name: str) -> dict[str, float]:
    return {k: (d / name).stat().st_mtime_ns for k, d in job_dirs(ckpt).items() if (d / name).exists()}


def test_reference_example_runs_end_to_end(checkpoint_dir: Path) -> None:
    ev = experiment.run(checkpoint_dir)
    res = ev.get_results()
    assert set(res["algorithm"]) == {"Fake.Pop", "Fake.ItemCF"}
    assert len(res) == 4 * 3  # 4 runs x (NDCG@5, NDCG@10, Recall@10)
    assert res["value"].between(0, 1).all() and (res["value"] > 0).any()
    tables = ev.get_tables()
    assert len(tables) == 1 and tables[0].row_count == 4
    for d in job_dirs(checkpoint_dir).values():
        rec = json.loads((d / "job.json").read_text())
        assert rec["status"] == "done"
        assert rec["seed"] > 0 and rec["versions"]["runner"] == "Fake"
        assert rec["timings"]["fit_wall_s"] >= 0 and rec["timings"]["predict_wall_s"] > 0
        assert (d / "metrics.json").exists() and (d / "per_user.npz").exists()


def test_rerun_skips_everything_and_starts_no_runner(checkpoint_dir: Path) -> None:
    first = experiment.run(checkpoint_dir).get_results()
    units = set((checkpoint_dir / "units").iterdir())
    before = len(Journal(checkpoint_dir).read())
    metrics_before = mtimes(checkpoint_dir, "metrics.json")
    second = experiment.run(checkpoint_dir).get_results()
    pd.testing.assert_frame_equal(first.reset_index(drop=True), second.reset_index(drop=True))
    assert set((checkpoint_dir / "units").iterdir()) == units  # no new unit, so no runner
    assert len(Journal(checkpoint_dir).read()) == before
    assert mtimes(checkpoint_dir, "metrics.json") == metrics_before


def test_added_metric_is_computed_from_stored_predictions(checkpoint_dir: Path) -> None:
    experiment.run(checkpoint_dir)
    fits = mtimes(checkpoint_dir, "fit.json")
    preds = mtimes(checkpoint_dir, "predict.json")
    ev = experiment.run(checkpoint_dir, evaluator=Evaluator(NDCG([5, 10]), Recall(10), HR(10)))
    assert "HR" in set(ev.get_results()["metric"])
    assert mtimes(checkpoint_dir, "fit.json") == fits
    assert mtimes(checkpoint_dir, "predict.json") == preds


def test_larger_cutoff_repredicts_without_refitting(checkpoint_dir: Path) -> None:
    experiment.run(checkpoint_dir)
    fits = mtimes(checkpoint_dir, "fit.json")
    preds = mtimes(checkpoint_dir, "predict.json")
    ev = experiment.run(checkpoint_dir, evaluator=Evaluator(NDCG([20])))
    assert set(ev.get_results()["k"]) == {20}
    assert mtimes(checkpoint_dir, "fit.json") == fits
    assert all(mtimes(checkpoint_dir, "predict.json")[k] != v for k, v in preds.items())


def test_smaller_cutoff_reuses_stored_lists_and_matches_a_clean_run(
    checkpoint_dir: Path, tmp_path: Path
) -> None:
    experiment.run(checkpoint_dir)  # NDCG@5, NDCG@10, Recall@10: lists of 10
    preds = mtimes(checkpoint_dir, "predict.json")
    n_events = len(Journal(checkpoint_dir).read())
    ev = experiment.run(checkpoint_dir, evaluator=Evaluator(NDCG([3]), HR([3])))
    assert mtimes(checkpoint_dir, "predict.json") == preds  # nothing deleted, nothing re-predicted
    again = Journal(checkpoint_dir).read()[n_events:]
    assert not [e for e in again if e["phase"] in ("fit", "predict")]
    assert not [e for e in again if e["event"] == "failed"]
    clean = experiment.run(tmp_path / "clean", evaluator=Evaluator(NDCG([3]), HR([3])))
    got = ev.get_results().drop(columns="dataset").sort_values(["algorithm", "config", "metric"])
    want = clean.get_results().drop(columns="dataset").sort_values(["algorithm", "config", "metric"])
    assert len(got) == 2 * 4 and got["value"].tolist() == pytest.approx(want["value"].tolist())


def test_changed_artifacts_are_detected_and_redone(checkpoint_dir: Path) -> None:
    experiment.run(checkpoint_dir)
    dirs = job_dirs(checkpoint_dir)
    pop = next(d for k, d in dirs.items() if k.startswith("Fake.Pop"))
    cf = next(d for k, d in dirs.items() if k.startswith("Fake.ItemCF"))
    fits = mtimes(checkpoint_dir, "fit.json")
    # Tamper with Pop's predictions, and with ItemCF's predictions and model.
    score = pop / "predictions" / "topk" / "score.npy"
    arr = np.load(score)
    arr[0] += 1.0
    np.save(score, arr)
    (cf / "predictions" / "topk" / "item.npy").write_bytes(b"torn")
    model = next(p for p in (cf / "model").rglob("*") if p.is_file())
    model.write_bytes(model.read_bytes() + b"x")
    experiment.run(checkpoint_dir)
    after = mtimes(checkpoint_dir, "fit.json")
    key_cf = next(k for k, d in dirs.items() if d == cf)
    key_pop = next(k for k, d in dirs.items() if d == pop)
    assert after[key_cf] != fits[key_cf]  # refitted because the model changed
    assert after[key_pop] == fits[key_pop]  # predictions redone from the intact model
    assert np.load(score)[0] != arr[0]
    events = Journal(checkpoint_dir).read()
    assert any(
        e["job"].endswith(pop.name) and e["phase"] == "predict" and e["event"] == "started"
        for e in events[-40:]
    )


@pytest.mark.slow
def test_second_coordinator_on_same_dir_is_refused(checkpoint_dir: Path) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.support.experiment", str(checkpoint_dir), "2", "30"],
        cwd=ROOT,
    )
    try:
        lock = checkpoint_dir / ".omnirec.lock"
        deadline = time.time() + 120
        while time.time() < deadline and not (lock.exists() and lock.read_text()):
            time.sleep(0.1)
        with pytest.raises(SystemExit) as err:
            experiment.run(checkpoint_dir)
        msg = str(err.value)
        assert "in use by another coordinator" in msg and f"pid {proc.pid}" in msg
    finally:
        proc.kill()
        proc.wait()


@pytest.mark.slow
def test_kill_dash_nine_at_random_moments_then_resume(checkpoint_dir: Path, tmp_path: Path) -> None:
    rnd = random.Random(7)
    written: dict[str, int] = {}
    for _ in range(6):
        proc = subprocess.Popen(
            [sys.executable, "-m", "tests.support.experiment", str(checkpoint_dir), "4", "0.3"],
            cwd=ROOT,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(rnd.uniform(0.5, 3.0))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        # Finished metrics are never rewritten by a later run.
        now = mtimes(checkpoint_dir, "metrics.json")
        for k, v in written.items():
            assert now[k] == v
        written.update(now)
    final = experiment.run(checkpoint_dir, p=experiment.plan(4, 0.3)).get_results()
    for k, v in written.items():
        assert mtimes(checkpoint_dir, "metrics.json")[k] == v
    clean = experiment.run(tmp_path / "clean", p=experiment.plan(4, 0.3)).get_results()
    key = ["algorithm", "config", "metric", "k"]
    a = final.sort_values(key).reset_index(drop=True)
    b = clean.sort_values(key).reset_index(drop=True)
    assert len(a) == 6 * 3
    np.testing.assert_allclose(a["value"], b["value"])


def test_crashing_runner_fails_its_job_and_others_complete(checkpoint_dir: Path) -> None:
    p = ExperimentPlan("faults")
    p.add_algorithm("Fake.Pop", {"fault": ["crash_fit", "raise_fit", "bad_predictions"]})
    p.add_algorithm("Fake.ItemCF")
    ev = experiment.run(checkpoint_dir, p=p)
    assert set(ev.get_results()["algorithm"]) == {"Fake.ItemCF"}
    failed = {}
    for d in job_dirs(checkpoint_dir).values():
        rec = json.loads((d / "job.json").read_text())
        if rec["status"] == "failed":
            failed[rec["config"]["fault"]] = json.loads((d / "failed.json").read_text())
    assert set(failed) == {"crash_fit", "raise_fit", "bad_predictions"}
    assert "SIGKILL" in failed["crash_fit"]["error"] or "killed" in failed["crash_fit"]["error"]
    assert failed["bad_predictions"]["phase"] == "eval"
    assert "more than k=10 predictions" in failed["bad_predictions"]["error"]
    assert "No such file" not in failed["bad_predictions"]["error"]
    # A re-run retries the failed jobs (and they fail again, deterministically).
    n_before = len(Journal(checkpoint_dir).read())
    experiment.run(checkpoint_dir, p=p)
    retried = [e for e in Journal(checkpoint_dir).read()[n_before:] if e["event"] == "started"]
    assert len({e["job"] for e in retried}) == 3


def test_back_to_back_runs_in_one_process_both_do_their_work(checkpoint_dir: Path) -> None:
    # Two runs within the same second from the same process must not share unit records.
    p = ExperimentPlan("again")
    p.add_algorithm("Fake.Pop", {"fault": "raise_fit"})
    for _ in range(3):
        n_before = len(Journal(checkpoint_dir).read())
        experiment.run(checkpoint_dir, p=p)
        started = [e for e in Journal(checkpoint_dir).read()[n_before:] if e["event"] == "started"]
        assert len(started) == 1


def test_cache_keys_follow_content_and_ignore_key_order(tmp_path: Path) -> None:
    a = experiment.dataset(seed=1)
    b = experiment.dataset(seed=2)
    assert a.fingerprint() != b.fingerprint()
    p1 = ExperimentPlan("x")
    p1.add_algorithm("Fake.ItemCF", {"shrink": 1.0, "sleep": 0.0})
    p2 = ExperimentPlan("x")
    p2.add_algorithm("Fake.ItemCF", {"sleep": 0.0, "shrink": 1.0})
    experiment.run(tmp_path / "c", ds=a, p=p1)
    experiment.run(tmp_path / "c", ds=a, p=p2)
    assert len(list((tmp_path / "c").rglob("job.json"))) == 1
    experiment.run(tmp_path / "c", ds=b, p=p1)
    assert len(list((tmp_path / "c").rglob("job.json"))) == 2
    assert len([d for d in (tmp_path / "c").iterdir() if d.name.startswith("synth-")]) == 2


def test_folds_run_in_order_and_show_a_fold_column(checkpoint_dir: Path) -> None:
    from omnirec_core.data.synthetic import generate

    ds = RecSysDataSet.from_dataframe(generate(150, 80, 4000, seed=3), name="folds")
    ds = UserCrossValidation(3).process(ds)
    assert isinstance(ds.data, FoldedData)
    p = ExperimentPlan("cv")
    p.add_algorithm("Fake.Pop")
    ev = experiment.run(checkpoint_dir, ds=ds, p=p, evaluator=Evaluator(NDCG([10])))
    res = ev.get_results()
    assert sorted(res["fold"].tolist()) == [0, 1, 2]
    starts = [
        e["job"] for e in Journal(checkpoint_dir).read() if e["phase"] == "fit" and e["event"] == "started"
    ]
    assert [s[-6:] for s in starts] == ["fold_0", "fold_1", "fold_2"]


@pytest.mark.slow
def test_parallel_workers_give_the_same_results(tmp_path: Path) -> None:
    one = experiment.run(tmp_path / "a").get_results()
    two = experiment.run(tmp_path / "b", max_workers=2).get_results()
    key = ["algorithm", "config", "metric", "k"]
    np.testing.assert_allclose(
        one.sort_values(key)["value"].to_numpy(), two.sort_values(key)["value"].to_numpy()
    )


@pytest.mark.parametrize(
    ("algorithms", "message"),
    [
        ({}, "plan is empty"),
        ({"Nope.Pop": {}}, "unknown runner 'Nope'"),
        ({"Fake.Popp": {}}, "Did you mean Fake.Pop"),
        ({"Fake.Pop": {"shrinkage": 1}}, "does not accept config key(s) 'shrinkage'"),
        ({"Fake.ItemCF": {"shrink": "abc"}}, "Fake.ItemCF: shrink must be a number ≥ 0, got 'abc'"),
        ({"Fake.ItemCF": {"shrink": [1.0, -2.0]}}, "Fake.ItemCF: shrink must be a number ≥ 0, got -2.0"),
        ({"Fake.Pop": {"fault": "explode"}}, "fault must be one of 'crash_fit'"),
        ({"Fake.Pop": {"children": 1.5}}, "children must be an integer ≥ 0, got 1.5"),
    ],
)
def test_validation_errors_are_one_clear_message(
    checkpoint_dir: Path, algorithms: dict, message: str
) -> None:
    p = ExperimentPlan("bad")
    for name, cfg in algorithms.items():
        p.add_algorithm(name, cfg)
    with pytest.raises(SystemExit) as err:
        experiment.run(checkpoint_dir, p=p)
    assert message in str(err.value)
    assert "\n" not in str(err.value)  # one line
    assert not list(checkpoint_dir.rglob("job.json"))
    assert not (checkpoint_dir / "units").exists()  # no runner was started


def test_unsplit_dataset_and_metric_mismatch_are_rejected(checkpoint_dir: Path) -> None:
    from omnirec_core.data.synthetic import generate

    raw = RecSysDataSet.from_dataframe(generate(50, 30, 500, seed=1), name="raw")
    with pytest.raises(SystemExit, match="is not split"):
        experiment.run(checkpoint_dir, ds=raw)
    with pytest.raises(SystemExit, match=r"Fake\.ItemCF cannot predict ratings"):
        experiment.run(checkpoint_dir, evaluator=Evaluator(RMSE()))
    pop = ExperimentPlan("pop")
    pop.add_algorithm("Fake.Pop")
    with pytest.raises(SystemExit, match="need explicit ratings"):
        experiment.run(checkpoint_dir, p=pop, evaluator=Evaluator(RMSE()))
    with pytest.raises(SystemExit, match="implicit feedback"):
        explicit = RecSysDataSet.from_dataframe(generate(50, 30, 500, seed=1), name="explicit")
        from omnirec_core import RandomHoldout

        p = ExperimentPlan("x")
        p.add_algorithm("Fake.ItemCF")
        experiment.run(checkpoint_dir, ds=RandomHoldout(0.2).process(explicit), p=p)


def test_rating_metrics_on_explicit_data(checkpoint_dir: Path) -> None:
    from omnirec_core import MAE, RandomHoldout
    from omnirec_core.data.synthetic import generate

    ds = RandomHoldout(0.2).process(RecSysDataSet.from_dataframe(generate(100, 60, 3000, seed=5), name="r"))
    p = ExperimentPlan("ratings")
    p.add_algorithm("Fake.Pop")
    ev = experiment.run(checkpoint_dir, ds=ds, p=p, evaluator=Evaluator(RMSE(), MAE(), NDCG([10])))
    values = ev.get_results().set_index("metric")["value"]
    assert values["RMSE"] >= values["MAE"] > 0


@pytest.mark.slow
def test_relative_checkpoint_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    ev = experiment.run(Path("rel") / "ck")
    assert len(ev.get_results()) == 12
    assert len(list((tmp_path / "rel" / "ck").rglob("metrics.json"))) == 4


@pytest.mark.slow
def test_plan_file_through_the_cli(tmp_path: Path) -> None:
    plan_file = experiment.write_cli_plan(tmp_path / "plan.toml", ["NDCG@10", "Recall@10"])
    env = {**os.environ, "OMNIREC_RUNNER_ISOLATION": "none"}
    out = subprocess.run(
        [sys.executable, "-m", "omnirec_core.cli", "run", str(plan_file), "-q"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
    )
    assert out.returncode == 0, out.stderr
    assert "NDCG@10" in out.stdout and "Fake.ItemCF" in out.stdout
    status = subprocess.run(
        [sys.executable, "-m", "omnirec_core.cli", "status", str(tmp_path / "ck")],
        capture_output=True,
        text=True,
        env=env,
    )
    assert "3 done" in status.stdout
