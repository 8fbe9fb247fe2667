"""What a run records about its inputs: step profiles, dataset.json, runs/<id>.json."""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from omnirec_core import CorePruning, MakeImplicit, Pipe, RecSysDataSet, UserCrossValidation, UserHoldout
from omnirec_core.data.profile import STEP_PROFILES, count_summary, profile
from omnirec_core.data.synthetic import generate
from omnirec_core.evaluation.result import JobResult
from omnirec_core.orchestration.planning import dataset_key
from omnirec_core.orchestration.provenance import DATASET_FILE, RUNS_DIR, command_line
from omnirec_core.orchestration.tree import load_checkpoint_results
from omnirec_core.random import get_random_state
from tests.support import experiment


def raw(seed: int = 1) -> RecSysDataSet[Any]:
    return RecSysDataSet.from_dataframe(generate(200, 120, 6000, seed=seed), name="synth")


def test_count_summary_quantiles_and_histogram_of_counts() -> None:
    counts = np.array([1, 1, 2, 3, 5, 8, 13, 21, 34, 55, 89, 144])
    s = count_summary(counts)
    assert s["n"] == 12 and s["min"] == 1 and s["max"] == 144 and s["median"] == 10.5
    assert s["mean"] == pytest.approx(counts.mean())
    edges, hist = np.array(s["hist"]["edges"]), np.array(s["hist"]["counts"])
    assert edges[0] == 1 and edges[-1] > 144 and np.all(np.diff(edges) > 0)
    assert hist.sum() == 12  # every value in one bin
    assert hist.tolist() == np.histogram(counts, bins=edges)[0].tolist()
    assert count_summary(np.array([], dtype=np.int64)) == {"n": 0}


def test_each_step_records_the_profile_before_and_after_it() -> None:
    ds = raw()
    out = Pipe(MakeImplicit(3), CorePruning(3), UserHoldout(0.2)).process(ds)
    steps = out.meta[STEP_PROFILES]
    assert len(steps) == len(out.lineage) == 3
    assert steps[0]["before"] == profile(ds)
    for prev, nxt in itertools.pairwise(steps):
        assert nxt["before"] == prev["after"]
    for step, entry in zip(steps, out.lineage):
        assert step["before"]["interactions"] == entry["rows_before"]
        assert step["after"]["interactions"] == entry["rows_after"]
    final = steps[-1]["after"]
    stats = out.stats()
    assert (final["users"], final["items"], final["interactions"]) == (
        stats.users,
        stats.items,
        stats.interactions,
    )
    assert final["density"] == pytest.approx(stats.density)
    assert sum(final["per_user"]["hist"]["counts"]) == stats.users
    assert final["per_user"]["median"] == stats.per_user["median"]
    # A step applied on its own records too, and the input is left as it was.
    alone = MakeImplicit(3).process(ds)
    assert len(alone.meta[STEP_PROFILES]) == 1 and STEP_PROFILES not in ds.meta


def test_profiles_survive_a_saved_dataset_and_continue_after_it(tmp_path: Path) -> None:
    first = MakeImplicit(3).process(raw())
    back = RecSysDataSet.load(first.save(tmp_path / "implicit.npz"))
    split = UserHoldout(0.2).process(back)
    steps = split.meta[STEP_PROFILES]
    assert len(steps) == 2 and steps[1]["before"] == steps[0]["after"]


def test_dataset_and_run_records_are_written_by_a_run(checkpoint_dir: Path) -> None:
    ds = experiment.dataset()
    plan = experiment.plan(n_configs=1)
    experiment.run(checkpoint_dir, ds, plan)
    key = dataset_key(ds)
    path = checkpoint_dir / f"synth-{key}" / DATASET_FILE
    rec = json.loads(path.read_text())
    assert rec["format"] == "omnirec-dataset" and rec["name"] == "synth" and rec["key"] == key
    assert rec["fingerprint"] == ds.fingerprint()
    assert rec["lineage"] == json.loads(json.dumps(ds.lineage))
    assert [s["after"]["interactions"] for s in rec["step_profiles"]] == [e["rows_after"] for e in ds.lineage]
    assert rec["stats"]["interactions"] == ds.num_interactions()
    assert rec["split"]["kind"] == "split"
    assert rec["split"]["test"]["rows"] == len(ds.data.test)
    assert rec["origin"]["dataset"] is None and rec["origin"]["files"] == []  # from a DataFrame
    assert rec["global_seed"] == get_random_state()

    runs = sorted((checkpoint_dir / RUNS_DIR).glob("*.json"))
    assert len(runs) == 1
    run = json.loads(runs[0].read_text())
    assert run["format"] == "omnirec-run" and run["plan"] == plan.to_dict()
    assert run["metrics"] == ["NDCG@5", "NDCG@10", "Recall@10"] and run["k"] == 10
    assert run["datasets"] == [{"id": f"synth-{key}", "name": "synth", "key": key, "label": "synth"}]
    assert run["seed"] == get_random_state() and run["omnirec"] and run["host"] and run["python"]

    # A second run: a record of its own; the dataset record is kept as it was.
    mtime = path.stat().st_mtime_ns
    experiment.run(checkpoint_dir, ds, plan)
    assert len(list((checkpoint_dir / RUNS_DIR).glob("*.json"))) == 2
    assert path.stat().st_mtime_ns == mtime


def test_folded_dataset_record_has_split_sizes_per_fold(checkpoint_dir: Path) -> None:
    ds = Pipe(MakeImplicit(3), CorePruning(3), UserCrossValidation(3)).process(raw())
    experiment.run(checkpoint_dir, ds, experiment.plan(n_configs=1))
    rec = json.loads(next(checkpoint_dir.glob(f"*/{DATASET_FILE}")).read_text())
    assert rec["split"]["kind"] == "folded"
    assert [f["test"]["rows"] for f in rec["split"]["folds"]] == [len(f.test) for f in ds.data.folds]


def test_command_line_names_the_cli_or_the_interpreter() -> None:
    assert command_line(["/x/.venv/bin/omnirec", "run", "my plan.toml"]) == "omnirec run 'my plan.toml'"
    assert command_line(["script.py", "--fast"]).endswith("script.py --fast")


def test_per_user_values_of_some_labels_only(checkpoint_dir: Path) -> None:
    experiment.run(checkpoint_dir, p=experiment.plan(n_configs=1))
    job_dir = next(checkpoint_dir.rglob("metrics.json")).parent
    some = JobResult.load(job_dir, per_user=["NDCG@10"])
    full = JobResult.load(job_dir)
    assert list(some.per_user) == ["NDCG@10"] and some.values == full.values
    assert np.array_equal(some.users, full.users)
    assert np.array_equal(some.per_user["NDCG@10"], full.per_user["NDCG@10"], equal_nan=True)
    assert JobResult.load(job_dir, per_user=["nothing"]).per_user == {}
    results = load_checkpoint_results(checkpoint_dir, per_user=["Recall@10"])
    assert all(list(r.per_user) == ["Recall@10"] for r in results.jobs().values())
