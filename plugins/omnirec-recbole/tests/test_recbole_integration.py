"""Integration tests: RecBoleHandler inside the real RecBole env on ML-100K.

ML-100K is made implicit (rating >= 3) and split per user at random (70/10/20 train/
validation/test). Each test runs ``recbole_env_script.py`` in the env's interpreter
(``$OMNIREC_RECBOLE_PYTHON``, else the env omnirec builds from our RunnerSpec) and
asserts on the files it writes.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from omnirec_recbole import catalog
from recbole_testdata import (
    load_ml100k,
    ndcg_at_k,
    per_user_split,
    read_prediction,
    run_in_env,
    write_split,
)

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    user, item, rating, n_users, n_items = load_ml100k()
    keep = rating >= 3
    split = per_user_split(user[keep], item[keep])
    path = write_split(tmp_path_factory.mktemp("ml100k"), split, n_users, n_items)
    return {"path": path, "split": split, "n_users": n_users, "n_items": n_items}


def _job(tmp: Path, name: str, algorithm: str, **kw) -> dict:
    return {"algorithm": algorithm, "job_dir": str(tmp / "jobs" / name), "out": str(tmp / "out" / name), **kw}


def _check_topk(user, item, score, split, n_users, n_items, k):
    """Our ids only, no training items, no duplicates, k per user, best first."""
    assert user.dtype == np.int64 and item.dtype == np.int64 and score.dtype == np.float64
    assert user.min() >= 0 and user.max() < n_users
    assert item.min() >= 0 and item.max() < n_items
    tu, ti = split["train"]
    assert not np.isin(user * n_items + item, tu * n_items + ti).any(), "a training item was returned"
    assert len(np.unique(user * n_items + item)) == len(user), "duplicate (user, item) rows"
    users, counts = np.unique(user, return_counts=True)
    assert (counts == k).all()
    assert np.all(np.diff(user) >= 0), "rows not grouped per user"
    same = user[1:] == user[:-1]
    assert np.all(score[1:][same] <= score[:-1][same]), "rows not best first"
    assert np.isfinite(score).all()
    return users


def _tree(path: Path) -> dict[str, tuple[int, str]]:
    """Every file under ``path`` with its mtime and sha256."""
    return {
        str(p.relative_to(path)): (p.stat().st_mtime_ns, hashlib.sha256(p.read_bytes()).hexdigest())
        for p in sorted(path.rglob("*"))
        if p.is_file()
    }


QUALITY = {
    "Pop": {},
    "Random": {},
    "ItemKNN": {},
    "EASE": {},
    "BPR": {"epochs": 20},
    "LightGCN": {"epochs": 10, "train_batch_size": 4096, "learning_rate": 0.01},
    "MultiVAE": {"epochs": 30, "train_batch_size": 128},
}


@pytest.fixture(scope="module")
def quality(data, tmp_path_factory):
    """Fit + predict (test users, k=10; validation users too) for QUALITY in one env process."""
    tmp = tmp_path_factory.mktemp("quality")
    jobs = [_job(tmp, name, name, config=cfg) for name, cfg in QUALITY.items()]
    # Predict the validation users from the same saved models, without refitting.
    val_jobs = [
        _job(tmp, name, name, config=QUALITY[name], phase="predict", users="val", out=str(tmp / "val" / name))
        for name in ("BPR", "MultiVAE")
    ]
    results = run_in_env({"data": str(data["path"]), "jobs": jobs + val_jobs}, tmp)
    by_name = {}
    for job, res in zip(jobs, results):
        assert "error" not in res, res.get("traceback")
        by_name[job["algorithm"]] = (res, read_prediction(Path(job["out"])))
    for job, res in zip(val_jobs, results[len(jobs) :]):
        assert "error" not in res, res.get("traceback")
        by_name[job["algorithm"] + "@val"] = (res, read_prediction(Path(job["out"])))
    return by_name


def test_predictions_are_valid_topk_lists(quality, data):
    test_users = np.unique(data["split"]["test"][0])
    for name in QUALITY:
        user, item, score = quality[name][1]
        users = _check_topk(user, item, score, data["split"], data["n_users"], data["n_items"], 10)
        assert np.array_equal(users, test_users), name


def test_learned_models_beat_pop_and_random(quality, data):
    test = data["split"]["test"]
    ndcg = {name: ndcg_at_k(*quality[name][1][:2], test, data["n_items"]) for name in QUALITY}
    print("NDCG@10 on ML-100K test:", json.dumps({k: round(v, 4) for k, v in ndcg.items()}))
    assert ndcg["Random"] < 0.05
    assert 0.08 < ndcg["Pop"] < ndcg["ItemKNN"]
    assert ndcg["Pop"] < ndcg["EASE"]
    assert ndcg["Pop"] < ndcg["BPR"]
    assert ndcg["LightGCN"] > 2 * ndcg["Random"] + 0.05
    assert ndcg["MultiVAE"] > 2 * ndcg["Random"] + 0.05


def test_validation_drives_early_stopping_and_best_model_is_kept(quality, data):
    """Our NDCG@10 on the validation split, from the saved model, equals RecBole's best
    validation score: the best epoch's weights were restored and ids map back exactly."""
    for name in ("BPR", "MultiVAE"):
        fit = quality[name][0]["fit"]
        assert fit["epochs_run"] <= QUALITY[name]["epochs"]
        assert 0 <= fit["best_epoch"] < fit["epochs_run"]
        assert set(fit["best_valid_result"]) == {"ndcg@10"}
        user, item, _ = quality[name + "@val"][1]
        ours = ndcg_at_k(user, item, data["split"]["val"], data["n_items"])
        assert ours == pytest.approx(fit["best_valid_score"], abs=2e-4), name


def test_closed_form_models_train_once(quality):
    for name in ("Pop", "ItemKNN", "EASE"):
        assert quality[name][0]["fit"]["epochs_run"] == 1


def test_restart_predicts_from_job_dir_and_cwd_stays_clean(data, tmp_path):
    """Fit in one process, predict in a fresh one from job_dir alone: same lists, no refit,
    nothing written to the working directory."""
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    first = _job(tmp_path, "bpr", "BPR", config={"epochs": 2}, out=str(tmp_path / "out" / "first"))
    (res1,) = run_in_env({"data": str(data["path"]), "jobs": [first]}, tmp_path, cwd=cwd)
    assert "error" not in res1, res1.get("traceback")
    job_dir = Path(first["job_dir"])
    before = _tree(job_dir)
    second = dict(first, phase="predict", out=str(tmp_path / "out" / "second"))
    (res2,) = run_in_env({"data": str(data["path"]), "jobs": [second]}, tmp_path, cwd=cwd)
    assert "error" not in res2, res2.get("traceback")
    assert res2["pid"] != res1["pid"] and "fit" not in res2
    # Predict changed nothing in the model dir (omnirec refits when a model file changes).
    assert _tree(job_dir) == before
    a = read_prediction(Path(first["out"]))
    b = read_prediction(Path(second["out"]))
    for x, y in zip(a, b):
        assert np.array_equal(x, y)
    assert list(cwd.iterdir()) == [], "RecBole wrote into the working directory"
    # RecBole's own outputs stay in the job dir; its checkpoints and data copy are removed.
    assert (job_dir / "recbole" / "recbole.log").is_file()
    assert (job_dir / "recbole" / "log_tensorboard").is_dir()
    assert not (job_dir / "recbole" / "saved").exists()
    assert not (job_dir / "recbole" / "data").exists()


def test_tampered_model_is_refused_before_unpickling(data, tmp_path):
    job = _job(tmp_path, "pop", "Pop")
    (res,) = run_in_env({"data": str(data["path"]), "jobs": [dict(job, phase="fit")]}, tmp_path)
    assert "error" not in res, res.get("traceback")
    model = Path(job["job_dir"]) / "model.pth"
    raw = bytearray(model.read_bytes())
    raw[len(raw) // 2] ^= 0xFF
    model.write_bytes(bytes(raw))
    (res,) = run_in_env(
        {"data": str(data["path"]), "jobs": [dict(job, phase="predict", spy_torch_load=True)]}, tmp_path
    )
    assert res.get("error_type") == "UntrustedFileError", res
    assert "sha256" in res["error"]
    assert res["torch_load_calls"] == [], "torch.load ran on a tampered file"
    assert not (Path(job["out"]) / "user.npy").exists()


def test_without_validation_all_epochs_run_and_every_item_is_a_candidate(data, tmp_path):
    """No validation split: no early stopping. Items with no training interaction are
    still candidates: Random's full list for a user is every item not in their train."""
    n_items = data["n_items"]
    jobs = [
        # A 64-bit seed, as the coordinator derives them (numpy's seed takes 32 bits).
        _job(tmp_path, "bpr", "BPR", config={"epochs": 3}, val=False, seed=2**63 - 25),
        _job(tmp_path, "random", "Random", val=False, k=n_items, users="all"),
    ]
    bpr, rnd = run_in_env({"data": str(data["path"]), "jobs": jobs}, tmp_path)
    assert "error" not in bpr and "error" not in rnd, (bpr.get("traceback"), rnd.get("traceback"))
    assert bpr["fit"]["epochs_run"] == 3 and bpr["fit"]["best_valid_result"] == {}
    user, item, _ = read_prediction(Path(jobs[1]["out"]))
    tu, ti = data["split"]["train"]
    train_counts = np.bincount(tu, minlength=data["n_users"])
    assert np.array_equal(np.bincount(user, minlength=data["n_users"]), n_items - train_counts)
    never_trained = np.setdiff1d(np.arange(n_items), ti)
    assert len(never_trained) > 0 and np.isin(never_trained, item).all()
    ids = np.load(Path(jobs[1]["job_dir"]) / "item_ids.npy")
    assert np.array_equal(np.sort(ids), np.arange(n_items))


def test_config_error_comes_before_training(data, tmp_path):
    job = _job(tmp_path, "bad", "BPR", config={"embeding_size": 8})
    (res,) = run_in_env({"data": str(data["path"]), "jobs": [job]}, tmp_path)
    assert res.get("error_type") == "ConfigError"
    assert "embedding_size" in res["error"]
    assert not Path(job["job_dir"]).exists()


def test_catalog_defaults_match_recbole_yaml(tmp_path):
    out = tmp_path / "yaml.json"
    os.environ["RECBOLE_MODELS"] = json.dumps(list(catalog.MODELS_BY_NAME))
    try:
        run_in_env({"mode": "yaml", "out": str(out)}, tmp_path)
    finally:
        del os.environ["RECBOLE_MODELS"]
    found = json.loads(out.read_text())
    for name, model in catalog.MODELS_BY_NAME.items():
        assert json.loads(json.dumps(dict(model.params))) == found[name], name


def test_declared_defaults_are_recboles_own_but_for_the_listed_overrides(tmp_path):
    """Every declared default against the value RecBole's own Config holds when the key is
    left out; the only differences are the overrides the catalog and the docs list. A
    default written out gives the very RecBole config that leaving it out gives."""
    # The deliberate overrides, written out here too (and in docs/runners/recbole.md).
    assert set(catalog.TRAINING_OVERRIDES) == {"epochs", "valid_metric", "eval_batch_size"}
    assert {(m.name, k) for m in catalog.MODELS for k in m.ours} == {
        ("NCL", "num_clusters"), ("NeuMF", "eval_batch_size"), ("NNCF", "eval_batch_size"),
    }  # fmt: skip
    out = tmp_path / "config.json"
    run_in_env({"mode": "config", "out": str(out)}, tmp_path)
    found = json.loads(out.read_text())
    for name, model in catalog.MODELS_BY_NAME.items():
        declared = json.loads(json.dumps(catalog.defaults(model)))
        recbole = found[name]["recbole"]
        assert set(recbole) == set(declared), name
        differ = {k for k in declared if declared[k] != recbole[k]}
        expected = set(model.ours) | (set() if model.closed_form else set(catalog.TRAINING_OVERRIDES))
        assert differ == expected, (name, {k: (declared[k], recbole[k]) for k in differ ^ expected})
        for key in differ & set(catalog.TRAINING_OVERRIDES):
            assert recbole[key] == catalog.TRAINING_OVERRIDES[key][0], (name, key)
        assert found[name]["written_out_differs"] == [], name


def _upper_corner(table):
    """The largest value of a search-space table (its last choice, or its upper bound)."""
    from omnirec_core.experiment.spaces import decode_space

    space = decode_space("corner", table)
    choices = space.choices()
    return (
        choices[-1]
        if choices is not None
        else type(space.sample(np.random.default_rng(0)))(space.bounds()[1])
    )


def test_search_spaces_train_at_their_upper_corner(data, tmp_path):
    """Each recommended space's largest values (the fixed epochs included) train and rank;
    the fit times (printed) are what one tuning trial costs on ML-100K."""
    jobs = [
        _job(tmp_path, name, name, config={k: _upper_corner(t) for k, t in space.items()})
        for name, space in catalog.SEARCH_SPACES.items()
    ]
    results = run_in_env({"data": str(data["path"]), "jobs": jobs}, tmp_path)
    print(
        "fit / predict seconds:",
        {
            r["algorithm"]: [round(r.get("fit_seconds", -1), 1), round(r.get("predict_seconds", -1), 1)]
            for r in results
        },
    )
    assert {r["algorithm"]: r.get("error") for r in results} == dict.fromkeys(catalog.SEARCH_SPACES)
    for job in jobs:
        user, item, score = read_prediction(Path(job["out"]))
        _check_topk(user, item, score, data["split"], data["n_users"], data["n_items"], 10)


# 1-epoch smoke run of every available algorithm, except two that take minutes on a CPU
# (timings in docs/runners/recbole.md).
SMOKE_SKIP = {
    "NAIS": "one epoch takes about 6 minutes on CPU",
    "NNCF": "one epoch plus predict take about 5 minutes on CPU (per-pair CNN scoring)",
}


def test_every_available_algorithm_runs_one_epoch(data, tmp_path):
    names = [m.name for m in catalog.MODELS if not m.unavailable and m.name not in SMOKE_SKIP]
    jobs = [
        _job(tmp_path, n, n, config={} if catalog.MODELS_BY_NAME[n].closed_form else {"epochs": 1})
        for n in names
    ]
    results = run_in_env({"data": str(data["path"]), "jobs": jobs}, tmp_path)
    failed = {r["algorithm"]: r["error"] for r in results if "error" in r}
    timings = {
        r["algorithm"]: [round(r.get("fit_seconds", -1), 1), round(r.get("predict_seconds", -1), 1)]
        for r in results
    }
    print("fit / predict seconds:", json.dumps(timings))
    assert failed == {}
    for job in jobs:
        user, item, score = read_prediction(Path(job["out"]))
        _check_topk(user, item, score, data["split"], data["n_users"], data["n_items"], 10)
