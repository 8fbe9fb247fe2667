"""Tuning with the fake runner: samplers, the search protocol, resume, results and bad input."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from click.testing import CliRunner
from support import experiment

from omnirec_core import (
    NDCG,
    CorePruning,
    Evaluator,
    ExperimentPlan,
    MakeImplicit,
    Pipe,
    Recall,
    RecSysDataSet,
    UserCrossValidation,
    UserHoldout,
    set_random_state,
)
from omnirec_core.cli import main
from omnirec_core.data.synthetic import generate
from omnirec_core.experiment.samplers import GridSampler, RandomSampler, TPESampler, Trial, split_space
from omnirec_core.experiment.selection import Selection
from omnirec_core.experiment.spaces import Grid, IntRange, LogUniform, PlanError, Uniform
from omnirec_core.orchestration.jobs import FIT_FILE, VALIDATION_FILE, predict_record, read_json
from omnirec_core.orchestration.planning import DatasetContext
from omnirec_core.orchestration.search import SEARCH_FILE, Search, SearchSpec
from omnirec_core.orchestration.tree import load_checkpoint_results
from omnirec_core.runner import read_columns

SHRINKS = [0.0, 1.0, 5.0, 20.0, 80.0]
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def holdout() -> RecSysDataSet[Any]:
    raw = RecSysDataSet.from_dataframe(generate(150, 120, 5000, seed=7), name="tune")
    return Pipe(MakeImplicit(3), CorePruning(3), UserHoldout(0.2, 0.15)).process(raw)


def tuned_plan(budget: int = 4, sampler: str = "grid", **selection: Any) -> ExperimentPlan:
    p = ExperimentPlan(
        "tuned", selection=Selection(metric="NDCG@10", budget=budget, sampler=sampler, **selection)
    )
    p.add_algorithm("Fake.ItemCF", {"shrink": SHRINKS})
    return p


def search_record(ckpt: Path, algorithm: str = "Fake.ItemCF") -> dict[str, Any]:
    (path,) = ckpt.glob(f"*/{algorithm}-search-*/{SEARCH_FILE}")
    rec = read_json(path)
    assert rec is not None
    return rec


def fits(ckpt: Path) -> dict[Path, int]:
    return {p: p.stat().st_mtime_ns for p in ckpt.rglob(FIT_FILE)}


# ---- samplers --------------------------------------------------------------------------------


SPACE = {"a": LogUniform(0.01, 100.0), "b": IntRange(1, 50), "c": Grid(["x", "y", "z"])}


@pytest.mark.parametrize(
    "make", [RandomSampler, lambda s, seed, label: TPESampler(s, seed, label, maximize=True)]
)
def test_samplers_are_reproducible_from_the_seed_and_history(make: Any) -> None:
    def propose(seed: int, n: int) -> list[dict[str, Any]]:
        sampler, history = make(SPACE, seed, "Fake.ItemCF"), []
        for i in range(n):
            config = sampler.propose(i, history)
            history.append(Trial(config, float(config["b"]) - abs(np.log10(config["a"]))))
        return [t.config for t in history]

    first = propose(3, 12)
    assert propose(3, 12) == first
    assert propose(3, 8) == first[:8]  # a shorter search is the start of a longer one
    assert propose(4, 12) != first
    for config in first:
        assert 0.01 <= config["a"] <= 100 and 1 <= config["b"] <= 50 and config["c"] in "xyz"
        assert isinstance(config["b"], int)


def test_grid_sampler_covers_the_grid_in_a_seeded_order_and_stops() -> None:
    space = {"k": Grid([1, 2, 3]), "m": Grid(["a", "b"])}
    g = GridSampler(space, 1, "X")
    configs = [g.propose(i, []) for i in range(6)]
    assert sorted(json.dumps(c, sort_keys=True) for c in configs) == sorted(
        json.dumps({"k": k, "m": m}, sort_keys=True) for k in (1, 2, 3) for m in "ab"
    )
    assert g.propose(6, []) is None
    assert [GridSampler(space, 1, "X").propose(i, []) for i in range(6)] == configs
    with pytest.raises(PlanError, match="grid search needs discrete values"):
        GridSampler({"x": Uniform(0, 1)}, 1, "X")


def test_random_sampler_avoids_repeats_and_knows_when_a_small_space_is_exhausted() -> None:
    space = {"k": Grid([1, 2, 3])}
    sampler, history = RandomSampler(space, 0, "X"), []
    for i in range(3):
        config = sampler.propose(i, history)
        assert config is not None
        history.append(Trial(config, 0.0))
    assert sorted(t.config["k"] for t in history) == [1, 2, 3]
    assert sampler.propose(3, history) is None


def test_tpe_does_not_spend_trials_on_configurations_already_tried() -> None:
    space = {"n": IntRange(1, 12)}
    sampler, history = TPESampler(space, 0, "X", maximize=True), []
    for i in range(12):
        config = sampler.propose(i, history)
        assert config is not None
        history.append(Trial(config, -abs(config["n"] - 6)))  # a peak TPE keeps returning to
    assert sorted(t.config["n"] for t in history) == list(range(1, 13))
    assert sampler.propose(12, history) is None


def test_split_space_separates_constants() -> None:
    space, constants = split_space({"a": Grid([1, 2]), "b": 3, "c": Grid([4])})
    assert set(space) == {"a"} and constants == {"b": 3, "c": 4}


# ---- the search protocol ------------------------------------------------------------------------


def test_selected_configuration_has_the_best_validation_score_and_is_tested(
    checkpoint_dir: Path, holdout: RecSysDataSet[Any]
) -> None:
    ev = experiment.run(
        checkpoint_dir, ds=holdout, p=tuned_plan(budget=5), evaluator=Evaluator(NDCG([10]), Recall(10))
    )
    rec = search_record(checkpoint_dir)
    scores = [t["score"] for t in rec["trials"]]
    assert len(scores) == 5 and all(s is not None for s in scores)
    best = rec["best"]
    assert scores[best] == max(scores)
    assert sorted(t["config"]["shrink"] for t in rec["trials"]) == SHRINKS
    # Only the selected configuration is tested: one result row, with its config.
    res = ev.get_results()
    assert set(res["algorithm"]) == {"Fake.ItemCF"}
    assert set(res["config"]) == {json.dumps({"shrink": rec["trials"][best]["config"]["shrink"]})}
    # Trials as tidy rows; the selected one marked.
    trials = ev.get_results(trials=True)
    assert list(trials["trial"]) == list(range(5))
    assert trials["selected"].sum() == 1 and int(trials.loc[trials["selected"], "trial"].iloc[0]) == best
    np.testing.assert_allclose(trials["value"], scores)
    # refit=False: the test lists come from the selected trial's own model (no second fit).
    (selected_dir,) = {p.parent for p in checkpoint_dir.rglob("metrics.json")}
    assert (selected_dir / VALIDATION_FILE).exists() and (selected_dir / FIT_FILE).exists()
    assert len(list(checkpoint_dir.rglob(FIT_FILE))) == 5


def test_validation_lists_exclude_train_only_and_test_lists_train_and_validation(
    checkpoint_dir: Path, holdout: RecSysDataSet[Any]
) -> None:
    experiment.run(checkpoint_dir, ds=holdout, p=tuned_plan(budget=2), evaluator=Evaluator(NDCG([10])))
    train, val = holdout.data.train, holdout.data.val
    train_keys = set(zip(train["user"], train["item"]))
    val_keys = set(zip(val["user"], val["item"]))
    val_hits = 0
    for job_dir in {p.parent for p in checkpoint_dir.rglob(VALIDATION_FILE)}:
        rec = predict_record(job_dir, 10, False, record=VALIDATION_FILE)
        assert rec is not None
        lists = read_columns(rec["topk"])
        pairs = set(zip(lists["user"], lists["item"]))
        assert not pairs & train_keys
        assert set(lists["user"]) == set(val["user"])  # the validation users are ranked
        val_hits += len(pairs & val_keys)
    assert val_hits > 0  # validation items may (and do) appear: they are what is scored
    (test_dir,) = {p.parent for p in checkpoint_dir.rglob("metrics.json")}
    rec = predict_record(test_dir, 10, False, exclude_val=True)
    assert rec is not None
    lists = read_columns(rec["topk"])
    assert not set(zip(lists["user"], lists["item"])) & (train_keys | val_keys)


def test_refit_trains_the_selected_configuration_on_train_and_validation(
    checkpoint_dir: Path, holdout: RecSysDataSet[Any]
) -> None:
    experiment.run(
        checkpoint_dir, ds=holdout, p=tuned_plan(budget=3, refit=True), evaluator=Evaluator(NDCG([10]))
    )
    rec = search_record(checkpoint_dir)
    (tested,) = {p.parent for p in checkpoint_dir.rglob("metrics.json")}
    assert not (tested / VALIDATION_FILE).exists()  # a job of its own, not a trial
    fit = read_json(tested / FIT_FILE)
    assert fit is not None
    assert fit["info"]["rows"] == len(holdout.data.train) + len(holdout.data.val)
    job = read_json(tested / "job.json")
    assert job is not None and job["config"] == rec["trials"][rec["best"]]["config"]
    assert len(list(checkpoint_dir.rglob(FIT_FILE))) == 4  # 3 trials + the refit


def test_folds_select_one_configuration_by_mean_validation_score(checkpoint_dir: Path) -> None:
    raw = RecSysDataSet.from_dataframe(generate(120, 100, 4500, seed=9), name="cv")
    ds = Pipe(MakeImplicit(3), CorePruning(3), UserCrossValidation(3, val_size=0.15)).process(raw)
    ev = experiment.run(checkpoint_dir, ds=ds, p=tuned_plan(budget=3), evaluator=Evaluator(NDCG([10])))
    rec = search_record(checkpoint_dir)
    for t in rec["trials"]:
        assert len(t["fold_scores"]) == 3
        assert t["score"] == pytest.approx(np.mean(t["fold_scores"]))
    assert rec["trials"][rec["best"]]["score"] == max(t["score"] for t in rec["trials"])
    res = ev.get_results()
    assert sorted(res["fold"]) == [0, 1, 2] and res["config"].nunique() == 1


# ---- resume and budgets ------------------------------------------------------------------------------


def test_a_larger_budget_runs_only_the_new_trials_and_a_rerun_runs_none(
    checkpoint_dir: Path, holdout: RecSysDataSet[Any]
) -> None:
    def run(budget: int) -> dict[str, Any]:
        p = ExperimentPlan("tuned", selection=Selection(metric="NDCG@10", budget=budget, sampler="tpe"))
        p.add_algorithm("Fake.ItemCF", tune=True)
        experiment.run(checkpoint_dir, ds=holdout, p=p, evaluator=Evaluator(NDCG([10])))
        return search_record(checkpoint_dir)

    first = run(4)
    before = fits(checkpoint_dir)
    assert len(before) == 4
    second = run(6)
    after = fits(checkpoint_dir)
    assert len(after) == 6 and {p: after[p] for p in before} == before  # two new fits, none redone
    assert second["trials"][:4] == first["trials"]  # TPE proposes what it proposed before
    run(6)
    assert fits(checkpoint_dir) == after


def test_a_killed_search_resumes_without_repeating_trials(
    checkpoint_dir: Path, holdout: RecSysDataSet[Any]
) -> None:
    experiment.run(
        checkpoint_dir, ds=holdout, p=tuned_plan(budget=5, sampler="random"), evaluator=Evaluator(NDCG([10]))
    )
    rec = search_record(checkpoint_dir)
    # As if killed after the third trial: the search record says "running" with 3 trials,
    # and the last two trials' models are gone.
    path = next(checkpoint_dir.glob(f"*/Fake.ItemCF-search-*/{SEARCH_FILE}"))
    path.write_text(json.dumps({**rec, "status": "running", "trials": rec["trials"][:3], "best": None}))
    for t in rec["trials"][3:]:
        for key in t["jobs"]:
            job_dir = checkpoint_dir / key
            for f in job_dir.iterdir():
                if f.is_file():
                    f.unlink()
    before = fits(checkpoint_dir)
    assert len(before) == 3
    experiment.run(
        checkpoint_dir, ds=holdout, p=tuned_plan(budget=5, sampler="random"), evaluator=Evaluator(NDCG([10]))
    )
    again = search_record(checkpoint_dir)
    after = fits(checkpoint_dir)
    assert {p: after[p] for p in before} == before and len(after) == 5
    assert [t["config"] for t in again["trials"]] == [t["config"] for t in rec["trials"]]
    assert again["best"] == rec["best"]


@pytest.mark.slow
def test_kill_dash_nine_during_searches_then_resume(checkpoint_dir: Path, tmp_path: Path) -> None:
    rnd = random.Random(3)
    done: dict[Path, int] = {}
    for _ in range(4):
        proc = subprocess.Popen(
            [sys.executable, "-m", "tests.support.experiment", str(checkpoint_dir), "6", "0.3", "tuned"],
            cwd=ROOT,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(rnd.uniform(1.0, 4.0))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        now = fits(checkpoint_dir)
        assert {p: now[p] for p in done} == done  # a finished fit is never redone
        done.update(now)
    final = experiment.run(checkpoint_dir, ds=experiment.val_dataset(), p=experiment.tuned_plan(6, 0.3))
    assert {p: fits(checkpoint_dir)[p] for p in done} == done
    clean = experiment.run(tmp_path / "clean", ds=experiment.val_dataset(), p=experiment.tuned_plan(6, 0.3))
    assert final.get_results(trials=True).equals(clean.get_results(trials=True))
    key = ["algorithm", "config", "metric", "k"]
    a, b = (ev.get_results().sort_values(key).reset_index(drop=True) for ev in (final, clean))
    assert a[key].equals(b[key])
    np.testing.assert_allclose(a["value"], b["value"])


def test_same_seed_same_search_other_seed_other_search(tmp_path: Path, holdout: RecSysDataSet[Any]) -> None:
    def configs(seed: int, where: str) -> list[Any]:
        set_random_state(seed)
        p = ExperimentPlan("s", selection=Selection(metric="NDCG@10", budget=3, sampler="random"))
        p.add_algorithm("Fake.ItemCF", tune=True)
        experiment.run(tmp_path / where, ds=holdout, p=p, evaluator=Evaluator(NDCG([10])))
        return [t["config"] for t in search_record(tmp_path / where)["trials"]]

    assert configs(1, "a") == configs(1, "b")
    assert configs(1, "a") != configs(2, "c")


# ---- failures, budgets, warnings ----------------------------------------------------------------------


def test_failed_trials_are_recorded_and_never_selected(
    checkpoint_dir: Path, holdout: RecSysDataSet[Any]
) -> None:
    p = ExperimentPlan("f", selection=Selection(metric="NDCG@10", budget=4, sampler="grid"))
    p.add_algorithm("Fake.ItemCF", {"shrink": [1.0, 5.0], "fault": [None, "raise_fit"]})
    ev = experiment.run(checkpoint_dir, ds=holdout, p=p, evaluator=Evaluator(NDCG([10])))
    rec = search_record(checkpoint_dir)
    failed = [t for t in rec["trials"] if t["score"] is None]
    assert len(failed) == 2 and all("injected failure" in t["error"] for t in failed)
    assert rec["trials"][rec["best"]]["config"]["fault"] is None
    assert not ev.failures  # failed trials are not failed test jobs
    trials = ev.get_results(trials=True)
    assert trials["value"].isna().sum() == 2 and trials["error"].str.contains("injected").sum() == 2


def test_a_search_whose_every_trial_fails_is_a_failure_with_its_cause(
    checkpoint_dir: Path, holdout: RecSysDataSet[Any]
) -> None:
    p = ExperimentPlan("f", selection=Selection(metric="NDCG@10", budget=2, sampler="grid"))
    p.add_algorithm("Fake.ItemCF", {"shrink": [1.0, 5.0], "fault": "raise_fit"})
    p.add_algorithm("Fake.Pop")
    ev = experiment.run(checkpoint_dir, ds=holdout, p=p, evaluator=Evaluator(NDCG([10])))
    assert [(f.algorithm, f.phase) for f in ev.failures] == [("Fake.ItemCF", "search")]
    assert "injected failure" in ev.failures[0].error
    assert set(ev.get_results()["algorithm"]) == {"Fake.Pop"}
    loaded = load_checkpoint_results(checkpoint_dir)
    assert [(f.algorithm, f.phase) for f in loaded.failures()] == [("Fake.ItemCF", "search")]


def test_time_budget_stops_starting_trials(
    checkpoint_dir: Path, holdout: RecSysDataSet[Any], capsys: pytest.CaptureFixture[str]
) -> None:
    p = ExperimentPlan(
        "t", selection=Selection(metric="NDCG@10", budget=50, sampler="random", time_budget=0.5)
    )
    p.add_algorithm("Fake.ItemCF", {"shrink": {"uniform": [0.0, 10.0]}, "sleep": 0.2})
    experiment.run(checkpoint_dir, ds=holdout, p=p, evaluator=Evaluator(NDCG([10])))
    rec = search_record(checkpoint_dir)
    assert 1 <= len(rec["trials"]) < 50 and "time budget" in rec["stopped"]
    assert "time budget of 0.5 s reached" in capsys.readouterr().err


def edge_search(space: dict[str, Any]) -> Search:
    ctx = DatasetContext("d", "k", "d", "/nonexistent", 1, 1, "implicit", False, [])
    spec = SearchSpec(
        key="s", algorithm="Fake.ItemCF", context=asdict(ctx), env_key="", defaults={}, constants={},
        space=space, sampler="random", budget=3, time_budget=None, metric="NDCG@10", maximize=True,
        refit=False, seed=0, k=10, need_pairs=False,
    )  # fmt: skip
    return Search(spec, lambda job: None, lambda ev: None)


def trials_of(*rows: tuple[dict[str, Any], float | None]) -> list[dict[str, Any]]:
    return [{"trial": i, "config": c, "score": s} for i, (c, s) in enumerate(rows)]


def test_best_value_on_the_edge_of_its_range_is_reported() -> None:
    search = edge_search({"l2": {"loguniform": [1.0, 10000.0]}, "n": [10, 20, 50, 100], "kind": ["a", "b"]})
    trials = trials_of(
        ({"l2": 10000.0, "n": 10, "kind": "a"}, 0.3), ({"l2": 100.0, "n": 50, "kind": "b"}, 0.2)
    )
    assert search.edges(trials, 0) == [
        "Fake.ItemCF: best l2=10000 is the upper bound of the range [1, 10000]; widen it",
        "Fake.ItemCF: best n=10 is the lower bound of the range [10, 100]; widen it",
    ]
    assert search.edges(trials, 1) == []  # inside the ranges (on a log scale for l2)
    # A list's edge is its smallest or largest value, however far the others are.
    wide = edge_search({"l2": [1.0, 428.0, 1e5]})
    assert wide.edges(trials_of(({"l2": 428.0}, 0.3), ({"l2": 1.0}, 0.2)), 0) == []
    # Two choices are always "on an edge", and equal scores select nothing in particular.
    assert edge_search({"n": [1, 2]}).edges(trials_of(({"n": 2}, 0.3), ({"n": 1}, 0.2)), 0) == []
    assert (
        search.edges(
            trials_of(({"l2": 1.0, "n": 10, "kind": "a"}, 0.3), ({"l2": 5.0, "n": 20, "kind": "a"}, 0.3)), 0
        )
        == []
    )


def test_edge_notes_reach_the_terminal_and_the_table(
    checkpoint_dir: Path, holdout: RecSysDataSet[Any], capsys: pytest.CaptureFixture[str]
) -> None:
    p = ExperimentPlan("e", selection=Selection(metric="NDCG@10", budget=5, sampler="grid"))
    p.add_algorithm("Fake.ItemCF", {"shrink": SHRINKS})
    ev = experiment.run(checkpoint_dir, ds=holdout, p=p, evaluator=Evaluator(NDCG([10])))
    rec = search_record(checkpoint_dir)
    # On this data more shrinkage ranks better: the grid's largest value wins.
    assert rec["trials"][rec["best"]]["config"]["shrink"] == SHRINKS[-1]
    note = "Fake.ItemCF: best shrink=80 is the upper bound of the range [0, 80]; widen it"
    assert rec["edges"] == [note] and ev.results.searches()[0].edges == [note]
    assert note in " ".join(capsys.readouterr().err.split())
    assert note in " ".join(str(ev.get_tables()[0]).split())


# ---- results, CLI ------------------------------------------------------------------------------------------


def test_tables_exports_and_the_checkpoint_tree_show_the_selection(
    checkpoint_dir: Path, holdout: RecSysDataSet[Any]
) -> None:
    ev = experiment.run(checkpoint_dir, ds=holdout, p=tuned_plan(budget=3), evaluator=Evaluator(NDCG([10])))
    text = str(ev.get_tables()[0])
    assert "Trials" in text and "Val NDCG@10" in text and "selected on validation data" in text
    doc = json.loads(ev.results.render("json"))
    assert doc["selection"][0]["trials"] == 3 and len(doc["trials"]) == 3
    loaded = load_checkpoint_results(checkpoint_dir)
    assert loaded.get_results(trials=True).equals(ev.get_results(trials=True))
    assert len(loaded.jobs()) == 1  # trial jobs are not results
    saved = ev.results.save(checkpoint_dir.parent / "r.json")
    from omnirec_core.evaluation.resultset import ResultSet

    assert ResultSet().load(saved).searches()[0].best == ev.results.searches()[0].best

    cli = CliRunner()
    out = cli.invoke(main, ["results", str(checkpoint_dir), "--trials"])
    assert out.exit_code == 0, out.output
    assert "selected" in out.output and "grid search, 3 of 3 trials" in out.output
    out = cli.invoke(main, ["results", str(checkpoint_dir), "--trials", "--format", "csv"])
    assert out.output.splitlines()[0] == "dataset,algorithm,trial,config,metric,value,selected,error"
    out = cli.invoke(main, ["status", str(checkpoint_dir)])
    assert out.exit_code == 0 and "searched" in out.output and "3/3 trials" in out.output
    assert out.output.count("Fake.ItemCF") == 2  # the search line and the tested job, no trials


def test_plan_file_with_selection_runs_from_the_cli(tmp_path: Path) -> None:
    plan = experiment.write_cli_plan(
        tmp_path / "tuned.toml",
        ["NDCG@10"],
        '\n[selection]\nmetric = "NDCG@10"\nbudget = 2\nsampler = "random"\n',
    )
    plan.write_text(plan.read_text().replace("test_size = 0.2", "test_size = 0.2\nval_size = 0.1"))
    env = {**os.environ, "OMNIREC_RUNNER_ISOLATION": "none"}
    out = subprocess.run(
        [sys.executable, "-m", "omnirec_core.cli", "run", str(plan), "-q"],
        capture_output=True, text=True, cwd=tmp_path, env=env,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert "Val NDCG@10" in out.stdout and "Trials" in out.stdout


# ---- bad input ----------------------------------------------------------------------------------------------


def bad(checkpoint_dir: Path, ds: Any, p: ExperimentPlan, evaluator: Any = None) -> str:
    with pytest.raises(SystemExit) as info:
        experiment.run(checkpoint_dir, ds=ds, p=p, evaluator=evaluator or Evaluator(NDCG([10])))
    return str(info.value)


def test_a_split_without_validation_part_cannot_be_tuned(checkpoint_dir: Path) -> None:
    msg = bad(checkpoint_dir, experiment.dataset(), tuned_plan())
    assert "has no validation part" in msg and "val_size" in msg


@pytest.mark.parametrize(
    ("config", "tune", "expected"),
    [
        ({"shrink": {"uniform": [-1.0, 5.0]}}, False, "reaches -1, but shrink must be a number ≥ 0"),
        ({"shrinkk": [1.0, 2.0]}, False, "Did you mean 'shrink'"),
        ({"children": {"uniform": [0.0, 3.0]}}, False, "children must be an integer: use {int = [lo, hi]}"),
        ({"fault": ["raise_fit", "nope"]}, False, "fault has a value that is not one of"),
    ],
)
def test_search_spaces_are_checked_against_declared_params(
    checkpoint_dir: Path, holdout: RecSysDataSet[Any], config: dict[str, Any], tune: bool, expected: str
) -> None:
    p = ExperimentPlan("b", selection=Selection(metric="NDCG@10", budget=2, sampler="random"))
    p.add_algorithm("Fake.ItemCF", config, tune=tune)
    assert expected in bad(checkpoint_dir, holdout, p)


def test_tune_needs_a_selection_and_a_declared_space(
    checkpoint_dir: Path, holdout: RecSysDataSet[Any]
) -> None:
    p = ExperimentPlan("b")
    p.add_algorithm("Fake.ItemCF", tune=True)
    assert "has no selection" in bad(checkpoint_dir, holdout, p)
    p = ExperimentPlan("b", selection=Selection(budget=2))
    p.add_algorithm("Fake.Pop", tune=True)
    assert "declares no search space" in bad(checkpoint_dir, holdout, p)


def test_grid_needs_discrete_spaces_and_the_metric_must_suit(
    checkpoint_dir: Path, holdout: RecSysDataSet[Any]
) -> None:
    p = ExperimentPlan("b", selection=Selection(budget=2, sampler="grid"))
    p.add_algorithm("Fake.ItemCF", tune=True)
    assert "grid search needs discrete values" in bad(checkpoint_dir, holdout, p)
    p = ExperimentPlan("b", selection=Selection(metric="NDCG@10, Recall@10", budget=2))
    p.add_algorithm("Fake.Pop")
    assert "selection metric" in bad(checkpoint_dir, holdout, p)
    p = ExperimentPlan("b", selection=Selection(metric="RMSE", budget=2))
    p.add_algorithm("Fake.ItemCF", {"shrink": [1.0, 2.0]})
    assert "produces no ratings, so the selection metric RMSE" in bad(checkpoint_dir, holdout, p)


def test_tpe_without_optuna_says_how_to_install_it(
    checkpoint_dir: Path, holdout: RecSysDataSet[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    import builtins

    real_import = builtins.__import__

    def no_optuna(name: str, *args: Any, **kwargs: Any) -> Any:
        if name == "optuna" or name.startswith("optuna."):
            raise ImportError("No module named 'optuna'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_optuna)
    p = ExperimentPlan("b", selection=Selection(budget=2, sampler="tpe"))
    p.add_algorithm("Fake.ItemCF", tune=True)
    assert "pip install 'omnirec-core[tune]'" in bad(checkpoint_dir, holdout, p)


def test_selection_table_is_read_and_written_with_plans() -> None:
    p = ExperimentPlan.from_dict(
        {
            "name": "x",
            "selection": {"metric": "Recall@20", "budget": 7, "sampler": "tpe", "refit": True},
            "algorithms": [
                {"name": "Fake.ItemCF", "tune": True, "config": {"shrink": {"loguniform": [1, 10]}}}
            ],
        }
    )
    assert p.selection == Selection(metric="Recall@20", budget=7, sampler="tpe", refit=True)
    assert p.tunes("Fake.ItemCF")
    again = ExperimentPlan.from_dict(p.to_dict())
    assert again.to_dict() == p.to_dict()
    with pytest.raises(PlanError, match="unknown key"):
        Selection.from_dict({"metrik": "NDCG@10"})
    with pytest.raises(PlanError, match="budget"):
        Selection(budget=0)
    with pytest.raises(PlanError, match="sampler"):
        Selection(sampler="bayes")
