"""OmniRec's import paths (the ``omnirec`` package, packages/omnirec): each alias is the
core's object, or a subclass that takes OmniRec's parameters and gives the core's result."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import omnirec
import omnirec_core
from omnirec.data_loaders.datasets import DataSet
from omnirec.metrics.base import Metric, MetricResult
from omnirec.metrics.prediction import PredictionMetric
from omnirec.metrics.ranking import RankingMetric
from omnirec.runner import algos
from omnirec.runner.plan import ExperimentPlan
from omnirec_core.data.synthetic import generate
from omnirec_core.errors import DataError, PluginError, SplitError
from omnirec_core.evaluation.metrics import MetricError
from omnirec_core.experiment.spaces import PlanError
from omnirec_core.plugin import manager as plugins
from omnirec_core.plugin.manager import PluginManager

ROOT = Path(__file__).resolve().parents[1]
OMNIREC_NAMES = [
    line.strip()
    for line in (ROOT / "tests/data/catalog/omnirec_names.txt").read_text().splitlines()
    if line.strip() and not line.startswith("#")
]


# ---- the thin aliases are the core's objects -------------------------------------------------
@pytest.mark.parametrize(
    ("module", "name", "core"),
    [
        ("omnirec", "RecSysDataSet", "RecSysDataSet"),
        ("omnirec.recsys_data_set", "RecSysDataSet", "RecSysDataSet"),
        ("omnirec.data_variants", "RawData", "RawData"),
        ("omnirec.data_variants", "SplitData", "SplitData"),
        ("omnirec.data_variants", "FoldedData", "FoldedData"),
        ("omnirec.runner.coordinator", "Coordinator", "Coordinator"),
        ("omnirec.runner.evaluation", "Evaluator", "Evaluator"),
        ("omnirec", "NDCG", "NDCG"),
        ("omnirec", "HR", "HR"),
        ("omnirec.metrics.ranking", "NDCG", "NDCG"),
        ("omnirec.metrics.ranking", "HR", "HR"),
        ("omnirec.metrics.ranking", "Recall", "RecallCapped"),  # OmniRec's formula, see below
        ("omnirec", "Recall", "RecallCapped"),
        ("omnirec.metrics.prediction", "RMSE", "RMSE"),
        ("omnirec.metrics.prediction", "MAE", "MAE"),
        ("omnirec.metrics.base", "MetricResult", "MetricResult"),
        ("omnirec.preprocess.pipe", "Pipe", "Pipe"),
        ("omnirec.preprocess.filter", "TimeFilter", "TimeFilter"),
        ("omnirec.util.util", "set_random_state", "set_random_state"),
        ("omnirec.util.util", "get_random_state", "get_random_state"),
    ],
)
def test_alias_is_the_core_object(module: str, name: str, core: str) -> None:
    mod = __import__(module, fromlist=[name])
    assert getattr(mod, name) is getattr(omnirec_core, core)


@pytest.mark.parametrize(
    ("module", "name", "core"),
    [
        ("omnirec.runner.plan", "ExperimentPlan", "ExperimentPlan"),
        ("omnirec.metrics.base", "Metric", "Metric"),
        ("omnirec.preprocess.feedback_conversion", "MakeImplicit", "MakeImplicit"),
        ("omnirec.preprocess.core_pruning", "CorePruning", "CorePruning"),
        ("omnirec.preprocess.subsample", "Subsample", "Subsample"),
        ("omnirec.preprocess.filter", "RatingFilter", "RatingFilter"),
        ("omnirec.preprocess.split", "UserHoldout", "UserHoldout"),
        ("omnirec.preprocess.split", "RandomHoldout", "RandomHoldout"),
        ("omnirec.preprocess.split", "TimeBasedHoldout", "TimeBasedHoldout"),
        ("omnirec.preprocess.split", "UserCrossValidation", "UserCrossValidation"),
        ("omnirec.preprocess.split", "RandomCrossValidation", "RandomCrossValidation"),
    ],
)
def test_translating_alias_subclasses_the_core_class(module: str, name: str, core: str) -> None:
    cls = getattr(__import__(module, fromlist=[name]), name)
    assert issubclass(cls, getattr(omnirec_core, core)) and cls.__name__ == core


def test_import_omnirec_is_light() -> None:
    code = (
        "import sys, omnirec; import omnirec.runner, omnirec.metrics, omnirec.preprocess, omnirec.util; "
        "print(sorted(m for m in ('pandas', 'pluggy', 'omnirec_core.orchestration') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_top_level_names_and_list_datasets() -> None:
    assert set(omnirec.__all__) >= {"RecSysDataSet", "NDCG", "HR", "Recall", "list_datasets"}
    names = omnirec.list_datasets()
    assert "movielens-100k" in names and names == sorted(names)
    with pytest.raises(AttributeError, match="no attribute 'Nope'"):
        omnirec.Nope  # noqa: B018


# ---- datasets -------------------------------------------------------------------------------
def test_dataset_enum_holds_omnirecs_names_and_each_resolves() -> None:
    assert [m.value for m in DataSet] == OMNIREC_NAMES
    assert all(m.name == m.value == str(m) for m in DataSet)
    assert plugins.get_dataset(DataSet.MovieLens100K.value).name == "movielens-100k"
    unresolved = []
    for member in DataSet:
        try:
            plugins.get_dataset(member.value)
        except PluginError:
            unresolved.append(member.value)
    assert unresolved == []


def test_use_dataloader_takes_an_enum_member(monkeypatch: pytest.MonkeyPatch) -> None:
    from omnirec_core.data import registry

    asked: list[str] = []
    monkeypatch.setattr(registry, "load_registered", lambda name, **_: asked.append(name) or 1 / 0)
    with pytest.raises(ZeroDivisionError):
        omnirec.RecSysDataSet.use_dataloader(DataSet.MovieLens100K)
    assert asked == ["MovieLens100K"]


# ---- algorithm enums -------------------------------------------------------------------------
def test_one_enum_per_installed_runner_with_every_algorithm() -> None:
    runners = plugins.get_runners()
    assert {"LensKit", "RecBole", "RecPack", "Fake"} <= set(runners)
    for name, spec in runners.items():
        enum = algos.enum_for(name)
        assert enum.__name__ == name and issubclass(enum, algos.Algorithms)
        assert [m.value for m in enum] == [f"{name}.{a.name}" for a in spec.algorithms]
    from omnirec.runner.algos import LensKit, RecBole, RecPack  # type: ignore[attr-defined]

    assert RecBole.BPR.value == "RecBole.BPR" and str(LensKit.ItemKNNScorer) == "LensKit.ItemKNNScorer"
    assert RecPack.EASE == "RecPack.EASE" and algos.RecBole is RecBole
    assert "Fake" in dir(algos) and "Fake" in algos.__all__  # a third-party runner gets one too
    assert algos.Fake.Pop.value == "Fake.Pop"


def test_enum_of_a_missing_runner_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(plugins.DISABLE_ENV, raising=False)
    plugins.reset_plugins(PluginManager(load_entry_points=False))
    try:
        with pytest.raises(ImportError, match=r"omnirec-recbole.*plugins/omnirec-recbole.*packages/omnirec"):
            from omnirec.runner.algos import RecBole  # type: ignore[attr-defined]  # noqa: F401
        with pytest.raises(PluginError, match="omnirec-cornac"):
            algos.enum_for("cornac")
        with pytest.raises(AttributeError, match="has no attribute 'Elliot'; the installed runners are none"):
            algos.Elliot  # noqa: B018
    finally:
        plugins.reset_plugins()


# ---- the plan --------------------------------------------------------------------------------
def test_plan_takes_omnirecs_signatures() -> None:
    plan = ExperimentPlan()
    assert plan.plan_name == "plan"
    plan.add_algorithm(algos.Fake.Pop, {"sleep": [0.0, 0.1]})
    plan.add_algorithm("Fake.ItemCF", algorithm_config={"shrink": 1.0})
    plan.add_algorithm(algos.Fake.ItemCF, config={"shrink": 2.0}, force=True)
    assert plan.get_algorithm_config("Fake.ItemCF") == {"shrink": 2.0}
    plan.add_algorithm(algos.Fake.ItemCF, algorithm_config={"shrink": 1.0}, force=True)
    assert plan.get_algorithm_config("Fake.Pop") == {"sleep": [0.0, 0.1]}
    assert plan.get_algorithm_config(algos.Fake.ItemCF) == {"shrink": 1.0}
    assert plan.expand("Fake.Pop") == [{"sleep": 0.0}, {"sleep": 0.1}]
    with pytest.raises(PlanError, match="already in the plan"):
        plan.add_algorithm("Fake.Pop")
    plan.add_algorithm("Fake.Pop", {"sleep": 1.0}, True)  # force
    assert plan.get_algorithm_config("Fake.Pop") == {"sleep": 1.0}
    with pytest.raises(PlanError, match="both algorithm_config and config"):
        plan.add_algorithm("X.Y", algorithm_config={}, config={})


def test_plan_update_adds_and_absent_config_is_empty() -> None:
    plan = ExperimentPlan("p")
    assert plan.get_algorithm_config("LensKit.ItemKNNScorer") == {}
    plan.update_algorithm("LensKit.ItemKNNScorer", {"max_nbrs": 20})  # not yet in the plan: added
    plan.update_algorithm("LensKit.ItemKNNScorer", algorithm_config={"min_nbrs": 2})
    plan.update_algorithm("LensKit.ItemKNNScorer", config={"max_nbrs": 30})
    assert plan.algorithms == ["LensKit.ItemKNNScorer"]
    assert plan.get_algorithm_config("LensKit.ItemKNNScorer") == {"max_nbrs": 30, "min_nbrs": 2}
    assert isinstance(plan, omnirec_core.ExperimentPlan)
    again = ExperimentPlan.from_dict(plan.to_dict())
    assert type(again) is ExperimentPlan and again.get_algorithm_config("LensKit.ItemKNNScorer") == {
        "max_nbrs": 30,
        "min_nbrs": 2,
    }


# ---- metrics ----------------------------------------------------------------------------------
def _job() -> dict[str, Any]:
    """Two users with hand-checkable lists: user 0 has 3 relevant items, user 1 one."""
    topk = pd.DataFrame(
        {
            "user": [0, 0, 0, 1, 1, 1],
            "item": [1, 2, 3, 0, 2, 3],
            "score": [3.0, 2.0, 1.0, 3.0, 2.0, 1.0],
        }
    )
    test = pd.DataFrame({"user": [0, 0, 0, 1], "item": [1, 2, 4, 3], "rating": [4.0, 5.0, 3.0, 2.0]})
    train = pd.DataFrame({"user": [0, 1], "item": [0, 1]})
    return {"topk": topk, "test": test, "train": train, "n_users": 2, "n_items": 5}


def _evaluate(*metrics: Any, **extra: Any) -> dict[str, float]:
    job = {**_job(), **extra}
    return omnirec_core.Evaluator(*metrics).evaluate(**job).values


def test_recall_is_omnirecs_formula_hits_over_min_of_relevant_and_k() -> None:
    from omnirec.metrics.ranking import Recall

    values = _evaluate(Recall([2, 3]))
    # user 0: hits@2 = 2, |R| = 3 -> 2/2 and 2/3; user 1: hit at 3 -> 0 and 1/1
    assert values == pytest.approx({"RecallCapped@2": 0.5, "RecallCapped@3": (2 / 3 + 1) / 2})


class OmniRecStyle(Metric):
    """Written exactly as OmniRec's docs show a custom metric: calculate() only."""

    def calculate(self, predictions: pd.DataFrame, test: pd.DataFrame) -> MetricResult:  # type: ignore[override]
        hits = predictions.merge(test, on=["user", "item"])
        return MetricResult(name="CustomMetric", result=len(hits) / len(test))


class HitsAt(RankingMetric):
    """OmniRec's RankingMetric pattern: _k_list and make_topk_dict."""

    def calculate(self, predictions: pd.DataFrame, test: pd.DataFrame) -> MetricResult:  # type: ignore[override]
        lists = self.make_topk_dict(predictions)
        out = {}
        for k in self._k_list:
            hits = [len(set(items[:k]) & set(test.item[test.user == u])) for u, (items, _) in lists.items()]
            out[k] = float(np.mean(hits))
        return MetricResult("HitsAt", out)


class MeanError(PredictionMetric):
    """OmniRec's PredictionMetric pattern: merge() gives rating_pred and rating_test."""

    def calculate(self, predictions: pd.DataFrame, test: pd.DataFrame) -> MetricResult:  # type: ignore[override]
        merged = self.merge(predictions, test)
        return MetricResult("MeanError", float((merged.rating_pred - merged.rating_test).mean()))


class NoSuperInit(Metric):
    def __init__(self, k: list[int]) -> None:  # OmniRec's metrics may skip the base __init__
        self._k_list = k

    def calculate(self, predictions: pd.DataFrame, test: pd.DataFrame) -> MetricResult:  # type: ignore[override]
        return MetricResult("NoSuperInit", {k: float(len(predictions)) for k in self._k_list})


def test_legacy_metrics_run_inside_the_evaluator_next_to_builtins() -> None:
    from omnirec.metrics.ranking import NDCG

    custom, hits, plain = OmniRecStyle(), HitsAt([1, 2]), NoSuperInit([3])
    ev = omnirec_core.Evaluator(NDCG([2]), custom, hits, plain)
    assert ev.max_k() == Metric.list_length  # a metric without cutoffs asks for list_length items
    assert custom.labels() == ["OmniRecStyle"] and hits.labels() == ["HitsAt@1", "HitsAt@2"]
    result = ev.evaluate(**_job())
    # custom: hits (0,1), (0,2), (1,3) of 4 test rows; HitsAt@1: users 0 and 1 -> (1 + 0) / 2
    assert result.values["CustomMetric"] == pytest.approx(3 / 4)
    assert result.values["HitsAt@1"] == pytest.approx(0.5) and result.values["HitsAt@2"] == pytest.approx(1.0)
    assert result.values["NoSuperInit@3"] == 6.0
    assert custom.labels() == ["CustomMetric"]  # learned from its result, so stored results are reused
    assert set(result.per_user) == {"NDCG@2"}  # legacy metrics have no per-user values
    defs = {d["name"]: d for d in result.metrics}
    assert defs["HitsAt"]["k"] == [1, 2] and defs["NoSuperInit"]["k"] == [3]


def test_legacy_prediction_metric_gets_a_rating_column() -> None:
    pairs = pd.DataFrame({"user": [0, 0, 0, 1], "item": [1, 2, 4, 3], "score": [4.5, 4.0, 3.0, 3.0]})
    ev = omnirec_core.Evaluator(MeanError(), omnirec_core.RMSE())
    assert ev.needs_ratings() and not ev.needs_topk()
    job = _job()
    values = ev.evaluate(None, job["test"], n_users=2, n_items=5, pair_scores=pairs).values
    assert values["MeanError"] == pytest.approx((0.5 - 1.0 + 0.0 + 1.0) / 4)
    assert values["RMSE"] == pytest.approx(np.sqrt((0.25 + 1 + 0 + 1) / 4))


@pytest.mark.parametrize(
    ("result", "match"),
    [
        (0.5, "must return MetricResult"),
        (MetricResult("X", "high"), "must be a number"),  # type: ignore[arg-type]
        (MetricResult("X", {"10": 0.5}), "int cutoffs"),  # type: ignore[dict-item]
    ],
)
def test_a_legacy_metric_returning_something_else_is_a_clear_error(result: Any, match: str) -> None:
    class Bad(Metric):
        def calculate(self, predictions: pd.DataFrame, test: pd.DataFrame) -> Any:  # type: ignore[override]
            return result

    with pytest.raises(MetricError, match=match):
        _evaluate(Bad())


def test_legacy_metric_without_calculate_says_so() -> None:
    with pytest.raises(NotImplementedError, match="must implement calculate"):
        _evaluate(Metric())


# ---- preprocessing and splitting --------------------------------------------------------------
@pytest.fixture(scope="module")
def explicit() -> omnirec_core.RecSysDataSet[Any]:
    df = generate(80, 60, 2000, seed=3)
    return omnirec_core.RecSysDataSet.from_dataframe(df, name="synth")


def same(a: Any, b: Any) -> bool:
    return bool(a.fingerprint() == b.fingerprint() and a.lineage == b.lineage)


def test_steps_take_omnirecs_parameter_names(explicit: Any) -> None:
    from omnirec.preprocess.core_pruning import CorePruning
    from omnirec.preprocess.filter import RatingFilter, TimeFilter
    from omnirec.preprocess.subsample import Subsample

    core = omnirec_core
    assert same(CorePruning(core=4).process(explicit), core.CorePruning(4).process(explicit))
    assert same(CorePruning(4).process(explicit), core.CorePruning(4, 4).process(explicit))
    assert same(Subsample(sample_size=0.3).process(explicit), core.Subsample(frac=0.3).process(explicit))
    assert same(Subsample(500).process(explicit), core.Subsample(n=500).process(explicit))
    assert same(RatingFilter(lower=2, upper=4).process(explicit), core.RatingFilter(2, 4).process(explicit))
    start = pd.Timestamp(int(explicit.data.df["timestamp"].median()), unit="s")
    assert same(TimeFilter(start=start).process(explicit), core.TimeFilter(start=start).process(explicit))
    with pytest.raises(DataError, match="lower and min name the same parameter"):
        RatingFilter(lower=1, min=2)


def test_make_implicit_int_is_a_rating_and_a_small_float_a_share_of_the_scale(explicit: Any) -> None:
    from omnirec.preprocess.feedback_conversion import MakeImplicit

    assert same(MakeImplicit(3).process(explicit), omnirec_core.MakeImplicit(3).process(explicit))
    # ratings 1..5: round((5 + 1) * 0.5) - 1 = 2, as OmniRec computes it
    half = MakeImplicit(0.5).process(explicit)
    assert same(half, omnirec_core.MakeImplicit(2).process(explicit))
    assert half.lineage[-1]["params"] == {"threshold": 2.0}
    assert MakeImplicit(0.5).params() == {"threshold": 0.5, "fraction_of_scale": True}
    assert same(MakeImplicit(3.5).process(explicit), omnirec_core.MakeImplicit(3.5).process(explicit))


def test_splitters_take_omnirecs_order_validation_first(explicit: Any) -> None:
    from omnirec.preprocess import split

    core = omnirec_core
    assert same(split.UserHoldout(0.1, 0.2).process(explicit), core.UserHoldout(0.2, 0.1).process(explicit))
    assert same(
        split.UserHoldout(test_size=0.2, val_size=0.1).process(explicit),
        core.UserHoldout(0.2, 0.1).process(explicit),
    )
    assert same(
        split.RandomHoldout(0.1, 0.2).process(explicit), core.RandomHoldout(0.2, 0.1).process(explicit)
    )
    # OmniRec's cross-validation validation_size is a share of all data: 0.1 / (1 - 1/5) of each fold's train
    assert same(
        split.UserCrossValidation(5, 0.1).process(explicit),
        core.UserCrossValidation(5, 0.125).process(explicit),
    )
    assert same(
        split.RandomCrossValidation(4, 0.15).process(explicit),
        core.RandomCrossValidation(4, 0.2).process(explicit),
    )
    assert split.UserCrossValidation(3, None).val_size == 0
    assert same(
        split.TimeBasedHoldout(0.1, 0.2).process(explicit), core.TimeBasedHoldout(0.2, 0.1).process(explicit)
    )
    t_val, t_test = (
        pd.Timestamp(int(t), unit="s") for t in explicit.data.df["timestamp"].quantile([0.7, 0.85])
    )
    by_time = split.TimeBasedHoldout(t_val, t_test)
    assert (by_time.cutoff, by_time.val_cutoff) == (
        int(t_test.timestamp()),
        int(t_val.timestamp()),
    )
    assert same(
        by_time.process(explicit), core.TimeBasedHoldout(cutoff=t_test, val_cutoff=t_val).process(explicit)
    )
    assert split.DataSplit is core.preprocess.Splitter


@pytest.mark.parametrize(
    ("make", "match"),
    [
        (lambda s: s.UserHoldout(0.2), "validation first"),
        (lambda s: s.RandomHoldout(validation_size=0.1), "validation first"),
        (lambda s: s.UserHoldout(0.1, 0.2, val_size=0.1), "same parameter"),
        (lambda s: s.UserCrossValidation(2, 0.6), "must be below"),
        (lambda s: s.UserCrossValidation(3, 0.1, val_size=0.1), "same part"),
        (lambda s: s.TimeBasedHoldout(0.1, dt.datetime(2020, 1, 1)), "two sizes"),
        (lambda s: s.TimeBasedHoldout(0.1, 0.2, test_size=0.2), "not both"),
    ],
)
def test_splitter_mistakes_are_clear(make: Any, match: str) -> None:
    from omnirec.preprocess import split

    with pytest.raises((SplitError, DataError), match=match):
        make(split)
