"""A runner that omnirec publishes but that is not installed: the error says what to install."""

from __future__ import annotations

from pathlib import Path

import pytest

from omnirec_core import Evaluator, ExperimentPlan, Recall
from omnirec_core.errors import PluginError
from omnirec_core.orchestration.coordinator import Coordinator
from omnirec_core.orchestration.envs.inplace import CurrentInterpreter
from omnirec_core.plugin import manager as plugins
from omnirec_core.plugin.manager import DISABLE_ENV, PluginManager, PluginProblem
from tests.support import experiment


@pytest.fixture
def bare(monkeypatch: pytest.MonkeyPatch):
    """A plugin manager with omnirec-core's built-ins only (no runner plugin installed)."""
    monkeypatch.delenv(DISABLE_ENV, raising=False)
    manager = PluginManager(load_entry_points=False)
    plugins.reset_plugins(manager)
    yield manager
    plugins.reset_plugins()


@pytest.mark.parametrize("name", ["LensKit", "recbole", "RECPACK"])
def test_a_default_runner_names_its_distribution_and_the_omnirec_one(bare: PluginManager, name: str) -> None:
    with pytest.raises(PluginError) as err:
        plugins.get_runner(name)
    msg = str(err.value)
    dist = f"omnirec-{name.lower()}"
    assert "is not installed" in msg and f"Install {dist}" in msg
    assert f"pip install -e plugins/{dist}" in msg
    assert "omnirec distribution, which brings LensKit, RecBole and RecPack" in msg
    assert "pip install ./packages/omnirec" in msg


def test_an_optional_runner_names_only_its_own_distribution(bare: PluginManager) -> None:
    with pytest.raises(PluginError, match=r"runner 'Cornac' is not installed.*omnirec-cornac") as err:
        plugins.get_runner("cornac")
    assert "packages/omnirec" not in str(err.value)


def test_a_disabled_or_skipped_plugin_says_so(bare: PluginManager) -> None:
    bare.disabled = {"recbole"}
    with pytest.raises(PluginError, match=f"runner 'RecBole' is disabled: {DISABLE_ENV} names 'recbole'"):
        plugins.get_runner("RecBole")
    bare.problems.append(PluginProblem("lenskit", "omnirec-lenskit", "failed to import: ImportError: boom"))
    with pytest.raises(PluginError, match=r"omnirec-lenskit, which is installed but was skipped: .*boom"):
        plugins.get_runner("LensKit")


def test_other_unknown_runners_keep_the_close_match_message() -> None:
    with pytest.raises(PluginError, match=r"unknown runner 'Fak'.*Did you mean 'Fake'"):
        plugins.get_runner("Fak")


def test_the_coordinator_stops_with_the_hint_before_any_work(
    bare: PluginManager, checkpoint_dir: Path
) -> None:
    plan = ExperimentPlan("p")
    plan.add_algorithm("LensKit.ItemKNNScorer")
    coordinator = Coordinator(checkpoint_dir, env_manager=CurrentInterpreter(), quiet=True)
    with pytest.raises(
        SystemExit, match="runner 'LensKit' is not installed: it comes with the omnirec-lenskit"
    ):
        coordinator.run(experiment.dataset(), plan, Evaluator(Recall([10])))
    assert not list(checkpoint_dir.rglob("job.json"))
