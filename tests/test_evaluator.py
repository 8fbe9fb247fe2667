"""The Evaluator: scoring jobs, collecting results, tables, comparisons, exports."""

from __future__ import annotations

import io
import json
import logging

import numpy as np
import pandas as pd
import pytest
from rich.console import Console
from rich.table import Table

from omnirec_core.builtin.metrics import BUILTIN_METRICS
from omnirec_core.evaluation.evaluator import Evaluator
from omnirec_core.evaluation.metrics import (
    HR,
    MAE,
    NDCG,
    RMSE,
    ItemCoverage,
    Metric,
    MetricError,
    MetricResult,
    Novelty,
    PredictionError,
    Recall,
)
from omnirec_core.evaluation.metrics.significance import holm
from omnirec_core.evaluation.result import JobResult, ResultsError
from omnirec_core.experiment.runfile import build_evaluator
from omnirec_core.plugin.hookspecs import hookimpl
from omnirec_core.plugin.manager import PluginManager
from omnirec_core.plugin.specs import MetricSpec

N_USERS, N_ITEMS, K = 60, 40, 10


def scenario(seed: int = 0):
    rng = np.random.default_rng(seed)
    test = pd.DataFrame(
        {"user": np.repeat(np.arange(N_USERS), 3), "item": rng.integers(0, N_ITEMS, 3 * N_USERS)}
    )
    test = test.drop_duplicates(ignore_index=True)
    test["rating"] = rng.integers(1, 6, len(test)).astype(float)
    train = pd.DataFrame({"user": np.arange(N_USERS), "item": (np.arange(N_USERS) * 7) % N_ITEMS})
    train = train.merge(test, on=["user", "item"], how="left", indicator=True)
    train = train[train["_merge"] == "left_only"][["user", "item"]].reset_index(drop=True)
    return test, train


def topk(test: pd.DataFrame, train: pd.DataFrame, quality: float, seed: int) -> pd.DataFrame:
    """Lists that start with a user's relevant items with probability ``quality``, then random items."""
    rng = np.random.default_rng(seed)
    seen = set(zip(train["user"], train["item"]))
    rel = test.groupby("user")["item"].apply(list).to_dict()
    rows = []
    for u in range(N_USERS):
        good = [i for i in rel.get(u, []) if rng.random() < quality]
        rest = [i for i in rng.permutation(N_ITEMS) if i not in good]
        items = [i for i in good + rest if (u, i) not in seen][:K]
        rows += [(u, i, float(K - p)) for p, i in enumerate(items)]
    return pd.DataFrame(rows, columns=["user", "item", "score"])


def pair_scores(test: pd.DataFrame, noise: float, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return test[["user", "item"]].assign(score=test["rating"] + rng.normal(0, noise, len(test)))


@pytest.fixture(scope="module")
def filled() -> Evaluator:
    """Three algorithms x three folds on one dataset, one algorithm on a second dataset."""
    ev = Evaluator(NDCG([5, 10]), Recall(10), HR(10), ItemCoverage(10))
    for fold in range(3):
        test, train = scenario(fold)
        for algo, cfg, quality in (
            ("Base.Pop", {}, 0.1),
            ("Good.Model", {"lr": 0.1}, 0.9),
            ("Good.Model", {"lr": 0.5}, 0.15),
        ):
            ev.run_evaluation(
                "ds-a",
                algo,
                cfg,
                fold,
                topk(test, train, quality, seed=fold * 10 + int(quality * 10)),
                test,
                train=train,
                n_users=N_USERS,
                n_items=N_ITEMS,
            )
    test, train = scenario(9)
    ev.run_evaluation(
        "ds-b",
        "Base.Pop",
        None,
        None,
        topk(test, train, 0.2, 1),
        test,
        train=train,
        n_users=N_USERS,
        n_items=N_ITEMS,
    )
    return ev


# -- configuration ---------------------------------------------------------------------------


def test_what_the_coordinator_asks():
    ev = Evaluator(NDCG([5, 20]), Recall(10), RMSE())
    assert ev.max_k() == 20
    assert ev.needs_topk() and ev.needs_ratings()
    assert not ev.needs_train()
    assert Evaluator(Novelty(5)).needs_train()
    assert not Evaluator(RMSE()).needs_topk()
    assert Evaluator(RMSE()).max_k() == 0
    assert [d["name"] for d in ev.definitions()] == ["NDCG", "Recall", "RMSE"]
    assert ev.definitions()[0]["k"] == [5, 20] and ev.definitions()[0]["formula"]


def test_same_label_twice_is_refused():
    with pytest.raises(MetricError, match="NDCG@10 is computed by both"):
        Evaluator(NDCG([5, 10]), NDCG(10))


def test_non_metric_is_refused():
    with pytest.raises(MetricError, match="metric objects"):
        Evaluator("NDCG")  # type: ignore[arg-type]


def test_evaluate_without_metrics_or_inputs():
    test, _ = scenario()
    with pytest.raises(MetricError, match="no metrics"):
        Evaluator().evaluate(None, test, n_users=N_USERS, n_items=N_ITEMS)
    with pytest.raises(PredictionError, match="need top-K predictions"):
        Evaluator(NDCG(5)).evaluate(None, test, n_users=N_USERS, n_items=N_ITEMS)
    with pytest.raises(PredictionError, match="need a score per test pair"):
        Evaluator(RMSE()).evaluate(None, test, n_users=N_USERS, n_items=N_ITEMS)


# -- scoring one job -----------------------------------------------------------------------------


def test_evaluate_topk_and_ratings_together():
    test, train = scenario()
    ev = Evaluator(NDCG([5, 10]), HR(10), RMSE(), MAE())
    res = ev.evaluate(
        topk(test, train, 0.5, 1),
        test,
        train=train,
        n_users=N_USERS,
        n_items=N_ITEMS,
        pair_scores=pair_scores(test, 0.5, 2),
    )
    assert list(res.values) == ["NDCG@5", "NDCG@10", "HR@10", "RMSE", "MAE"]
    assert set(res.report) == {"topk", "rating"}
    assert res.report["topk"]["evaluated_users"] == test["user"].nunique()
    assert res.report["rating"]["scored_pairs"] == len(test)
    for lab in res.values:
        assert len(res.per_user[lab]) == len(res.users)
    for lab in ("NDCG@5", "NDCG@10", "HR@10"):  # ranking values are means over users
        assert np.nanmean(res.per_user[lab]) == pytest.approx(res.values[lab])
    errors = pair_scores(test, 0.5, 2)["score"] - test["rating"]  # rating values are over pairs
    assert res["MAE"] == pytest.approx(errors.abs().mean())
    assert res["RMSE"] == pytest.approx(np.sqrt((errors**2).mean()))
    # the same numbers as each metric alone
    alone = NDCG([5, 10]).calculate(topk(test, train, 0.5, 1), test, n_users=N_USERS, n_items=N_ITEMS)
    assert res["NDCG@10"] == pytest.approx(alone[10])


def test_evaluate_checks_the_protocol():
    test, train = scenario()
    pred = topk(test, train, 0.5, 1)
    ev = Evaluator(NDCG(5))  # K = 5, lists are 10 long
    with pytest.raises(PredictionError, match="more than k=5"):
        ev.evaluate(pred, test, n_users=N_USERS, n_items=N_ITEMS)
    leaked = pd.concat([pred[pred["user"] > 0], train.iloc[:1].assign(score=99.0)], ignore_index=True)
    ev10 = Evaluator(NDCG(10))
    with pytest.raises(PredictionError, match="training"):
        ev10.evaluate(leaked, test, train=train, n_users=N_USERS, n_items=N_ITEMS)
    assert (
        "NDCG@10"
        in ev10.evaluate(
            leaked, test, train=train, n_users=N_USERS, n_items=N_ITEMS, exclude_train=False
        ).values
    )


def test_relevance_threshold_applies_to_ranking_metrics():
    test, train = scenario()
    pred = topk(test, train, 1.0, 1)
    full = Evaluator(HR(10)).evaluate(pred, test, n_users=N_USERS, n_items=N_ITEMS)
    high = Evaluator(HR(10), relevance_threshold=4.0).evaluate(pred, test, n_users=N_USERS, n_items=N_ITEMS)
    assert high.report["topk"]["relevant_pairs"] == int((test["rating"] >= 4).sum())
    assert high.report["topk"]["users_without_relevant"] > 0
    assert len(high.users) < len(full.users)


def test_reference_style_custom_metric_works_in_the_evaluator():
    class ListLength(Metric):
        """Mean length of the returned lists."""

        def calculate(self, predictions, test, **context):
            return MetricResult("ListLength", float(predictions.groupby("user").size().mean()))

    test, train = scenario()
    res = Evaluator(ListLength(), HR(10)).evaluate(
        topk(test, train, 0.5, 1), test, n_users=N_USERS, n_items=N_ITEMS
    )
    assert res["ListLength"] == pytest.approx(10.0)
    assert "ListLength" not in res.per_user


def test_third_party_metric_plugin():
    class Hits(Metric):
        """Total number of hits at k over all users."""

        cutoff_required = True

        def compute(self, data):
            per_user = {k: data.hits(k).astype(float) for k in self.ks}
            return MetricResult(
                "Hits", {k: float(v.sum()) for k, v in per_user.items()}, data.users, per_user
            )

    class Plugin:
        @hookimpl
        def omnirec_metrics(self):
            return [MetricSpec("Hits", factory=Hits, kind="topk", description="total hits")]

    pm = PluginManager(load_entry_points=False)
    pm.register(Plugin(), "my-metrics", "my-dist")
    provided = pm.metrics()["Hits"]
    assert provided.plugin == "my-metrics" and provided.distribution == "my-dist"
    metric = provided.spec.factory([3])
    pred = pd.DataFrame({"user": [0, 0, 0, 1], "item": [1, 2, 3, 4], "score": [3.0, 2.0, 1.0, 1.0]})
    test = pd.DataFrame({"user": [0, 0, 1], "item": [1, 3, 9]})
    res = Evaluator(metric).evaluate(pred, test, n_users=2, n_items=10)
    assert res["Hits@3"] == 2.0
    assert res.per_user["Hits@3"].tolist() == [2.0, 0.0]


def test_builtin_metrics_are_registered_as_plugins():
    pm = PluginManager(load_entry_points=False)
    specs = pm.metrics()
    names = {cls.__name__ for cls in BUILTIN_METRICS}
    assert names <= set(specs)
    assert {
        "NDCG",
        "HR",
        "Recall",
        "RecallCapped",
        "Precision",
        "MRR",
        "MAP",
        "RMSE",
        "MAE",
        "ItemCoverage",
        "Gini",
        "AveragePopularity",
        "Novelty",
    } <= names
    assert specs["RMSE"].spec.kind == "rating" and specs["RMSE"].spec.feedback == ("explicit",)
    assert specs["NDCG"].spec.factory is NDCG
    assert all(p.distribution == "omnirec-core" for n, p in specs.items() if n in names)


def test_evaluator_from_metric_names():
    ev = build_evaluator(["ndcg@5", "ndcg@10", "RMSE"])
    assert [type(m).__name__ for m in ev.metrics] == ["NDCG", "RMSE"]
    assert ev.max_k() == 10


# -- collected results ----------------------------------------------------------------------------


def test_get_results_is_tidy(filled):
    df = filled.get_results()
    assert list(df.columns) == ["dataset", "algorithm", "config", "fold", "metric", "k", "value"]
    assert len(df) == (3 * 3 + 1) * 5
    assert str(df["fold"].dtype) == "Int64" and str(df["k"].dtype) == "Int64"
    row = df[
        (df.algorithm == "Good.Model")
        & (df.config == '{"lr": 0.1}')
        & (df.fold == 1)
        & (df.metric == "NDCG")
        & (df.k == 10)
    ]
    assert len(row) == 1
    assert row["value"].iloc[0] == filled.jobs()[("ds-a", "Good.Model", '{"lr": 0.1}', 1)]["NDCG@10"]
    assert df[df.dataset == "ds-b"]["fold"].isna().all()


def test_results_by_dataset_reference_shape(filled):
    by_ds = filled.results_by_dataset()
    assert set(by_ds) == {"ds-a", "ds-b"}
    assert list(by_ds["ds-a"].columns) == ["algorithm", "fold", "name", "k", "value"]
    assert "Good.Model [lr=0.1]" in set(by_ds["ds-a"]["algorithm"])


def test_summary_mean_and_std_over_folds(filled):
    s = filled.summary()
    row = s[(s.dataset == "ds-a") & (s.algorithm == "Base.Pop") & (s.label == "HR@10")].iloc[0]
    vals = [filled.jobs()[("ds-a", "Base.Pop", "{}", f)]["HR@10"] for f in range(3)]
    assert row["mean"] == pytest.approx(np.mean(vals))
    assert row["std"] == pytest.approx(np.std(vals, ddof=1))
    assert row["folds"] == 3


def test_add_replaces_the_same_job():
    ev = Evaluator(NDCG(5))
    ev.add("d", "A.b", {"x": 1, "y": 2}, 0, JobResult({"NDCG@5": 0.1}))
    ev.add("d", "A.b", {"y": 2, "x": 1}, 0, JobResult({"NDCG@5": 0.2}))  # same config, other key order
    assert len(ev.jobs()) == 1
    assert ev.get_results()["value"].tolist() == [0.2]


# -- tables and comparisons -------------------------------------------------------------------------


def cells(table: Table) -> list[list[str]]:
    cols = [list(c._cells) for c in table.columns]
    return [list(r) for r in zip(*cols)]


def test_tables_one_per_dataset(filled):
    tables = filled.get_tables()
    assert len(tables) == 2 and all(isinstance(t, Table) for t in tables)
    a, b = tables
    assert a.title == "ds-a"
    assert [c.header for c in a.columns] == [
        "Algorithm",
        "Config",
        "Folds",
        "NDCG@5",
        "NDCG@10",
        "Recall@10",
        "HR@10",
        "ItemCoverage@10",
    ]
    assert a.row_count == 3
    assert [c.header for c in b.columns] == [
        "Algorithm",
        "NDCG@5",
        "NDCG@10",
        "Recall@10",
        "HR@10",
        "ItemCoverage@10",
    ]
    row = cells(a)[0]
    assert row[:3] == ["Base.Pop", "", "3"]
    assert " ± " in row[4]
    text = io.StringIO()
    Console(file=text, width=200).print(a)
    assert "Good.Model" in text.getvalue()


def test_per_fold_tables(filled):
    a = filled.get_tables(per_fold=True)[0]
    assert [c.header for c in a.columns][:3] == ["Algorithm", "Config", "Fold"]
    assert a.row_count == 9
    assert "±" not in "".join(cells(a)[0])


def test_compare_finds_the_better_algorithm(filled):
    comp = filled.compare(baseline="Base.Pop", metric="NDCG@10")
    assert set(comp["algorithm"]) == {"Good.Model"}
    good = comp[comp["config"] == '{"lr": 0.1}'].iloc[0]
    assert good["n"] == sum(len(filled.jobs()[("ds-a", "Base.Pop", "{}", f)].users) for f in range(3))
    assert good["diff"] > 0 and good["cohens_d"] > 0.5
    assert good["significant_t"] and good["significant_w"]
    assert good["ci_low"] > 0
    for col in ("t_p", "w_p"):
        assert comp[f"{col}_holm"].tolist() == pytest.approx(holm(comp[col].to_numpy()).tolist())
    assert set(comp["dataset"]) == {"ds-a"}  # ds-b has the baseline only


def test_compare_metric_name_expands_to_cutoffs_and_skips_global(filled):
    comp = filled.compare("Base.Pop", "NDCG")
    assert set(comp["metric"]) == {"NDCG@5", "NDCG@10"}
    every = filled.compare("Base.Pop")
    assert "ItemCoverage@10" not in set(every["metric"])
    with pytest.raises(ResultsError, match="no per-user values"):
        filled.compare("Base.Pop", "ItemCoverage@10")
    with pytest.raises(MetricError, match="no results for metric 'MAP'"):
        filled.compare("Base.Pop", "MAP")


def test_compare_family_all_corrects_over_everything(filled):
    comp = filled.compare("Base.Pop", family="all")
    assert comp["t_p_holm"].tolist() == pytest.approx(holm(comp["t_p"].to_numpy()).tolist())


def test_baseline_errors(filled):
    with pytest.raises(MetricError, match=r"no results for baseline 'Base\.Pob'.*Did you mean 'Base\.Pop'"):
        filled.compare("Base.Pob")
    with pytest.raises(MetricError, match="matches several configs"):
        filled.compare("Good.Model")
    comp = filled.compare("Good.Model [lr=0.5]", "HR@10")
    assert set(comp["baseline"]) == {"Good.Model [lr=0.5]"}


def test_tables_mark_significant_cells(filled):
    table = filled.get_tables(baseline="Base.Pop", metric="NDCG@10")[0]
    rows = cells(table)
    ndcg10 = [c.header for c in table.columns].index("NDCG@10")
    good = next(r for r in rows if r[1] == "lr=0.1")
    assert good[ndcg10].endswith("*†")
    assert not rows[0][ndcg10].endswith(("*", "†"))  # the baseline itself
    assert "Holm-corrected p < 0.05 against Base.Pop" in str(table.caption)


# -- exports ------------------------------------------------------------------------------------------


def test_csv_round_trip(filled, tmp_path):
    path = filled.export(tmp_path / "r.csv")
    back = pd.read_csv(
        path, dtype={"config": str}, keep_default_na=False, na_values={"fold": [""], "k": [""]}
    )
    back["fold"] = back["fold"].astype("Int64")
    back["k"] = back["k"].astype("Int64")
    pd.testing.assert_frame_equal(back, filled.get_results(), check_dtype=False)


def test_json_round_trip(filled, tmp_path):
    path = filled.export(tmp_path / "r.json", baseline="Base.Pop")
    doc = json.loads(path.read_text())
    assert set(doc) == {"results", "summary", "comparison", "failures"}
    assert doc["failures"] == []
    back = pd.DataFrame(doc["results"])
    ref = filled.get_results()
    assert back["value"].tolist() == pytest.approx(ref["value"].tolist())
    assert [r["fold"] for r in doc["results"]] == [None if pd.isna(f) else int(f) for f in ref["fold"]]
    assert len(doc["comparison"]) == len(filled.compare("Base.Pop"))


def test_markdown_and_latex(filled, tmp_path):
    md = filled.render("markdown", baseline="Base.Pop")
    assert "### ds-a" in md and "| Algorithm | Config | Folds | NDCG@5 |" in md
    assert "\\*†" in md  # escaped marker
    tex = filled.export(tmp_path / "r.tex", baseline="Base.Pop").read_text()
    assert tex.count(r"\begin{tabular}") == 2
    assert r"\pm" in tex and r"$^{*\dagger}$" in tex and r"\toprule" in tex
    assert "Base.Pop" in tex


def test_text_export_and_unknown_suffix(filled, tmp_path):
    txt = filled.export(tmp_path / "r.txt").read_text()
    assert "ds-a" in txt and "NDCG@10" in txt
    with pytest.raises(MetricError, match="cannot tell the format"):
        filled.export(tmp_path / "r.xlsx")
    assert not list(tmp_path.glob(".*tmp"))  # atomic writes leave no temp files


def test_save_and_load_round_trip(filled, tmp_path):
    path = filled.save_results(tmp_path / "results.json")
    assert (tmp_path / "results.per_user.npz").exists()
    back = Evaluator().load_results(path)
    assert back.jobs().keys() == filled.jobs().keys()
    pd.testing.assert_frame_equal(back.get_results(), filled.get_results())
    for key, res in filled.jobs().items():
        other = back.jobs()[key]
        assert list(other.values) == list(res.values)  # metric order kept
        assert np.array_equal(other.users, res.users)
        for lab, arr in res.per_user.items():
            assert np.array_equal(other.per_user[lab], arr)
    pd.testing.assert_frame_equal(back.compare("Base.Pop"), filled.compare("Base.Pop"))


def test_load_without_per_user_file(filled, tmp_path, caplog):
    path = filled.save_results(tmp_path / "results.json")
    (tmp_path / "results.per_user.npz").unlink()
    with caplog.at_level(logging.WARNING):
        back = Evaluator().load_results(path)
    assert "per-user values" in caplog.text
    assert back.get_results()["value"].tolist() == filled.get_results()["value"].tolist()
    with pytest.raises(ResultsError, match="no per-user values"):
        back.compare("Base.Pop", "NDCG@10")


def test_load_rejects_other_files(tmp_path):
    path = tmp_path / "x.json"
    path.write_text('{"a": 1}')
    with pytest.raises(ResultsError, match="not an omnirec results file"):
        Evaluator().load_results(path)
