"""Integration tests: the LensKit handler on MovieLens-100K inside the real runner env.

The env is the one omnirec builds from our RunnerSpec (see ``lenskit_testdata.env_python``),
or ``$OMNIREC_LENSKIT_PYTHON`` when set (a dev env with the same pins). Each test
runs ``lenskit_env_script.py`` in that env and checks the files it writes.
"""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from lenskit_testdata import env_python, holdout, load_rows, ml100k, ndcg_at_k, rmse, run_script
from lenskit_testdata import write_split as write
from omnirec_lenskit.algorithms import ALGORITHMS, ALIASES, OVERRIDES

from omnirec_core.plugin.specs import NO_DEFAULT

pytestmark = pytest.mark.integration

K = 10
SEED = 42
IMPLICIT = [
    "PopScorer",
    "ItemKNNScorer",
    "UserKNNScorer",
    "EASEScorer",
    "SLIMScorer",
    "ImplicitMFScorer",
    "FlexMFImplicitScorer",
]
EXPLICIT = [
    "PopScorer",
    "BiasScorer",
    "BiasedMFScorer",
    "FunkSVDScorer",
    "ItemKNNScorer",
    "UserKNNScorer",
    "FlexMFExplicitScorer",
]
# LensKit defaults except: fewer FlexMF epochs (CPU time), an EASE penalty sized for ML-100K.
CONFIG = {
    "EASEScorer": {"regularization": 250.0},
    "FlexMFImplicitScorer": {"epochs": 3},
    "FlexMFExplicitScorer": {"epochs": 3},
}


@pytest.fixture(scope="module")
def python() -> str:
    return env_python()


@pytest.fixture(scope="module")
def ml(tmp_path_factory: pytest.TempPathFactory) -> SimpleNamespace:
    """ML-100K split twice: implicit (rating >= 3 kept, rating dropped) and explicit."""
    root = tmp_path_factory.mktemp("lenskit-ml100k")
    df = ml100k(root)
    n_users, n_items = int(df["user"].max()) + 1, int(df["item"].max()) + 1
    implicit = df[df["rating"] >= 3][["user", "item"]]
    itrain, itest = holdout(implicit)
    etrain, etest = holdout(df[["user", "item", "rating"]])
    return SimpleNamespace(
        root=root,
        n_users=n_users,
        n_items=n_items,
        imp=write(root / "implicit", itrain, itest, n_users, n_items),
        imp_train=itrain,
        imp_test=itest,
        exp=write(root / "explicit", etrain, etest, n_users, n_items),
        exp_train=etrain,
        exp_test=etest,
    )


def handler_run(python: str, data: Path, out: Path, algos: list[str], feedback: str, *extra: str) -> dict:
    return run_script(
        python,
        "run",
        out,
        "--data",
        str(data),
        "--jobs",
        str(out / "jobs"),
        "--algorithms",
        ",".join(algos),
        "--feedback",
        feedback,
        "--config",
        json.dumps(CONFIG),
        "--k",
        str(K),
        "--seed",
        str(SEED),
        *extra,
    )


@pytest.fixture(scope="module")
def implicit_run(python: str, ml: SimpleNamespace) -> SimpleNamespace:
    out = ml.root / "implicit-run"
    results = handler_run(python, ml.imp, out, IMPLICIT, "implicit", "--oracle")
    return SimpleNamespace(out=out, results=results)


@pytest.fixture(scope="module")
def explicit_run(python: str, ml: SimpleNamespace) -> SimpleNamespace:
    out = ml.root / "explicit-run"
    results = handler_run(python, ml.exp, out, EXPLICIT, "explicit", "--oracle")
    return SimpleNamespace(out=out, results=results)


def check_topk(out: Path, algo: str, train: pd.DataFrame, test: pd.DataFrame, n_items: int):
    """The omnirec top-K contract, and equality with the dense reference."""
    user, item, score = load_rows(out, algo)
    assert user.dtype == np.int64 and item.dtype == np.int64 and score.dtype == np.float64
    assert len(user) > 0.9 * K * test["user"].nunique(), algo
    assert np.isin(user, test["user"].unique()).all()
    assert (np.bincount(user) <= K).all()
    # Grouped per user; best first; ties by item id.
    assert (np.diff(user) >= 0).all()
    same = np.diff(user) == 0
    assert (np.diff(score)[same] <= 0).all(), algo
    tied = same & (np.diff(score) == 0)
    assert (np.diff(item)[tied] > 0).all(), algo
    # Never a training item, never an item without training interactions.
    train_keys = train["user"].to_numpy() * n_items + train["item"].to_numpy()
    assert not np.isin(user * n_items + item, train_keys).any(), algo
    assert np.isin(item, train["item"].unique()).all(), algo
    # Exactly the top-K of LensKit's complete score lists, cut by omnirec's own helper.
    ref = [np.load(out / f"{algo}.oracle_{c}.npy") for c in ("user", "item", "score")]
    assert np.array_equal(user, ref[0]) and np.array_equal(item, ref[1]), algo
    assert np.array_equal(score, ref[2]), algo
    return user, item, score


def test_config_keys_match_lenskit(python: str, tmp_path: Path) -> None:
    configs = {
        "ItemKNNScorer": {"max_nbrs": 30, "feedback": "implicit"},
        "EASEScorer": {"lambda": 5.0},
        "ImplicitMFScorer": {"epochs": "many"},
        "BiasedMFScorer": {"features": 20},
        "FunkSVDScorer": {"embedding_size_exp": 4},
        "UserKNNScorer": {"feedback": "sometimes"},
        "SLIMScorer": {"l1_reg": 0.0},
        "FlexMFImplicitScorer": {"loss": "warp", "negative_count": 2},
        "Nope": {},
    }
    got = run_script(python, "keys", tmp_path, "--config", json.dumps(configs))
    for name, algo in ALGORITHMS.items():
        # Every key LensKit accepts is declared, except its aliases.
        assert set(got["keys"][name]) - set(ALIASES) == {p.name for p in algo.params}, name
    errors = got["errors"]
    assert errors["ItemKNNScorer"] is None
    assert errors["FunkSVDScorer"] is None
    assert "'lambda'" in errors["EASEScorer"] and "Valid keys: regularization." in errors["EASEScorer"]
    assert "epochs must be an integer ≥ 1, got 'many'" in errors["ImplicitMFScorer"]
    assert "'features' (write 'embedding_size')" in errors["BiasedMFScorer"]
    assert "feedback must be one of 'explicit', 'implicit'" in errors["UserKNNScorer"]
    # LensKit's strict bound is declared (open at 0), so ours refuses 0 first, in our words.
    assert "l1_reg must be a number > 0, got 0.0" in errors["SLIMScorer"]
    # Past the declarations, LensKit's own validation: a cross-key rule.
    assert "misrank negatives only works with single negatives" in errors["FlexMFImplicitScorer"]
    assert "no algorithm 'Nope'" in errors["Nope"] and "PopScorer" in errors["Nope"]


#: Bounds omnirec declares where LensKit checks none (it would accept the value and then
#: fail, or do nothing, later); listed in docs/runners/lenskit.md.
STRICTER_THAN_LENSKIT = {
    ("ItemKNNScorer", "block_size"),
    ("ImplicitMFScorer", "weight"),
    ("BiasedMFScorer", "damping"),
    ("FunkSVDScorer", "damping"),
    *{(a, k) for a in ("FlexMFImplicitScorer", "FlexMFExplicitScorer")
      for k in ("batch_size", "learning_rate", "epochs", "regularization")},
}  # fmt: skip


def test_declared_params_are_lenskits_own(python: str, tmp_path: Path) -> None:
    """Names, defaults, bounds and choices of every declared Param against LensKit's config
    classes; a default written out gives the very config LensKit builds without it."""
    got = run_script(python, "declared", tmp_path)
    stricter = set()
    for name, algo in ALGORITHMS.items():
        lk = got[name]
        declared = {p.name for p in algo.params}
        mixin = {"embedding_size_exp"} & declared
        assert declared == set(lk["fields"]) | mixin, name
        assert set(lk["aliases"]) - mixin <= set(ALIASES), name
        for p in algo.params:
            if p.default is not NO_DEFAULT:
                assert lk["framework_defaults"][p.name] == json.loads(json.dumps(p.default)), (name, p.name)
        assert lk["written_out"] == lk["framework_defaults"], name
        assert all(lk["presets_unchanged"].values()), (name, lk["presets_unchanged"])
        for key, probe in lk["probes"].items():
            p = next(p for p in algo.params if p.name == key)
            if p.choices is not None:
                assert probe["choices_accepted"] and probe["other_refused"], (name, key)
                continue
            # LensKit refuses the declared low itself exactly where the docs say so.
            assert probe["low_accepted"] == ("LensKit's own validation refuses 0" not in p.description), (
                name,
                key,
            )
            if not probe["below_low_refused"]:
                stricter.add((name, key))
    assert stricter == STRICTER_THAN_LENSKIT
    # The k-NN scorers' feedback: LensKit's own default is explicit (the worker sets it).
    assert got["FlexMFImplicitScorer"]["framework_defaults"]["loss"] == "logistic"
    assert OVERRIDES == {}


def test_implicit_topk_contract_and_beat_pop(implicit_run, ml: SimpleNamespace) -> None:
    ndcg = {}
    for algo in IMPLICIT:
        user, item, _ = check_topk(implicit_run.out, algo, ml.imp_train, ml.imp_test, ml.n_items)
        ndcg[algo] = ndcg_at_k(user, item, ml.imp_test, ml.n_items, K)
    print("implicit NDCG@10:", {a: round(v, 4) for a, v in ndcg.items()})
    print("fit seconds:", {a: round(implicit_run.results[a]["fit_s"], 2) for a in IMPLICIT})
    assert 0.05 < ndcg["PopScorer"] < 0.4
    for algo in ("ItemKNNScorer", "UserKNNScorer", "EASEScorer", "ImplicitMFScorer"):
        assert ndcg[algo] > ndcg["PopScorer"], (algo, ndcg)
    # The k-NN scorers ran with feedback="implicit", set from the job.
    assert implicit_run.results["ItemKNNScorer"]["fit_info"]["lenskit_config"]["feedback"] == "implicit"


def test_explicit_ratings_and_topk(explicit_run, ml: SimpleNamespace) -> None:
    truth = ml.exp_test["rating"].to_numpy()
    err = {}
    for algo in EXPLICIT:
        check_topk(explicit_run.out, algo, ml.exp_train, ml.exp_test, ml.n_items)
        if "rating" in ALGORITHMS[algo].predictions:
            pred = np.load(explicit_run.out / f"{algo}.pair_score.npy")
            assert pred.shape == truth.shape and np.isfinite(pred).all(), algo
            err[algo] = rmse(pred, truth)
        else:
            assert not (explicit_run.out / f"{algo}.pair_score.npy").exists()
    print("explicit RMSE:", {a: round(v, 4) for a, v in err.items()})
    assert 0.85 < err["BiasScorer"] < 1.1
    assert err["BiasedMFScorer"] < err["BiasScorer"]
    assert err["FunkSVDScorer"] < err["BiasScorer"]
    assert explicit_run.results["ItemKNNScorer"]["fit_info"]["lenskit_config"]["feedback"] == "explicit"


def test_same_lists_as_plain_lenskit(python: str, implicit_run, ml: SimpleNamespace, tmp_path: Path) -> None:
    """LensKit's own API on the same split and seed gives the same top-10 lists (LensKit's
    tie order at the cut aside: we order ties by item id)."""
    algos = ["ItemKNNScorer", "EASEScorer", "ImplicitMFScorer"]
    config = dict(CONFIG, ItemKNNScorer={"feedback": "implicit"})
    run_script(
        python,
        "direct",
        tmp_path,
        "--data",
        str(ml.imp),
        "--full-vocab",
        "--algorithms",
        ",".join(algos),
        "--config",
        json.dumps(config),
        "--k",
        str(K),
        "--seed",
        str(SEED),
    )
    for algo in algos:
        ours = load_rows(implicit_run.out, algo)
        user, item, score = load_rows(tmp_path, algo)
        order = np.lexsort((item, -score, user))
        user, item, score = user[order], item[order], score[order]
        assert np.array_equal(user, ours[0]), algo
        assert np.array_equal(score, ours[2]), algo
        differ = item != ours[1]
        # Only where LensKit cut a tie group at place 10 differently.
        cut = {u: s for u, s in zip(user, score)}  # last (lowest) score per user
        assert all(score[r] == cut[user[r]] for r in np.nonzero(differ)[0]), algo
        assert len(np.unique(user[differ])) <= 0.01 * len(np.unique(user)), algo


def test_predict_in_a_fresh_process_from_the_job_dir(
    python: str, implicit_run, ml: SimpleNamespace, tmp_path: Path
) -> None:
    algos = ["ItemKNNScorer", "ImplicitMFScorer"]
    common = [
        "--data",
        str(ml.imp),
        "--jobs",
        str(tmp_path / "jobs"),
        "--algorithms",
        ",".join(algos),
        "--config",
        json.dumps(CONFIG),
        "--k",
        str(K),
        "--seed",
        str(SEED),
    ]
    run_script(python, "fit", tmp_path / "fit", *common)
    job = tmp_path / "jobs" / "ImplicitMFScorer"
    assert {"lenskit-pipeline.pkl", "lenskit-model.json"} <= {p.name for p in job.iterdir()}
    run_script(python, "predict", tmp_path / "predict", *common)
    for algo in algos:
        fresh = load_rows(tmp_path / "predict", algo)
        same_process = load_rows(implicit_run.out, algo)
        for a, b in zip(fresh, same_process):
            assert np.array_equal(a, b), algo


def test_seed_reaches_lenskit(python: str, implicit_run, ml: SimpleNamespace, tmp_path: Path) -> None:
    run_script(
        python,
        "run",
        tmp_path,
        "--data",
        str(ml.imp),
        "--jobs",
        str(tmp_path / "jobs"),
        "--algorithms",
        "ImplicitMFScorer",
        "--k",
        str(K),
        "--seed",
        str(SEED + 1),
    )
    other = load_rows(tmp_path, "ImplicitMFScorer")
    base = load_rows(implicit_run.out, "ImplicitMFScorer")
    assert not np.array_equal(other[2], base[2])


def test_keep_train_items_when_asked(python: str, ml: SimpleNamespace, tmp_path: Path) -> None:
    run_script(
        python,
        "run",
        tmp_path,
        "--data",
        str(ml.imp),
        "--jobs",
        str(tmp_path / "jobs"),
        "--algorithms",
        "PopScorer",
        "--k",
        str(K),
        "--keep-train",
        "--oracle",
    )
    user, item, _ = load_rows(tmp_path, "PopScorer")
    train_keys = ml.imp_train["user"].to_numpy() * ml.n_items + ml.imp_train["item"].to_numpy()
    assert np.isin(user * ml.n_items + item, train_keys).mean() > 0.3
    assert np.isin(item, ml.imp_train["item"].unique()).all()
    ref = [np.load(tmp_path / f"PopScorer.oracle_{c}.npy") for c in ("user", "item")]
    assert np.array_equal(user, ref[0]) and np.array_equal(item, ref[1])
