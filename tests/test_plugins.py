"""Plugin discovery through real ``importlib.metadata`` entry points.

Each test builds an installed-looking distribution (``<name>.dist-info`` with METADATA
and ``entry_points.txt``, plus the module from ``tests/plugin_fixtures/``) in a fresh
directory and puts it on ``sys.path``; the plugin manager finds it the way it finds any
pip-installed plugin.
"""

from __future__ import annotations

import shutil
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from omnirec_core.errors import PluginError
from omnirec_core.plugin import manager as plugins
from omnirec_core.plugin.manager import DISABLE_ENV, ENTRY_POINT_GROUP, PluginManager

FIXTURES = Path(__file__).parent / "plugin_fixtures"
MODULES = [p.stem for p in FIXTURES.glob("omnirec_fixture_*.py")]

Install = Callable[[str, str, str], None]


@pytest.fixture
def install(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Install]:
    """``install(dist, entry_point, module)``: make a fixture module an installed plugin."""
    site = tmp_path / "site"
    site.mkdir()
    monkeypatch.syspath_prepend(str(site))
    monkeypatch.delenv(DISABLE_ENV, raising=False)

    def _install(dist: str, entry_point: str, module: str) -> None:
        info = site / f"{dist.replace('-', '_')}-0.1.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: 0.1\n")
        (info / "entry_points.txt").write_text(f"[{ENTRY_POINT_GROUP}]\n{entry_point} = {module}\n")
        if not (site / f"{module}.py").exists():
            shutil.copy(FIXTURES / f"{module}.py", site / f"{module}.py")

    yield _install
    for name in MODULES:  # the next test imports its own fresh copy
        sys.modules.pop(name, None)
    plugins.reset_plugins()


def test_third_party_dataset_and_splitter_are_discovered(install: Install) -> None:
    install("omnirec-fixture-good", "fixture-good", "omnirec_fixture_good")
    pm = PluginManager()
    assert pm.plugin_names()["fixture-good"] == "omnirec-fixture-good"
    ds = pm.datasets()["fixture-clicks"]
    assert (ds.plugin, ds.distribution) == ("fixture-good", "omnirec-fixture-good")
    split = pm.splitters()["fixture-every-other"]
    assert split.distribution == "omnirec-fixture-good"
    train, test = split.spec.factory()(ds.spec.load(Path("."), False))
    assert (len(train), len(test)) == (2, 1)
    # Built-ins are still there beside it.
    assert pm.datasets()["movielens-100k"].distribution == "omnirec-core"
    assert pm.problems == []


def test_discovered_dataset_loads_through_the_registry(install: Install, tmp_path: Path) -> None:
    from omnirec_core.data import RecSysDataSet

    install("omnirec-fixture-good", "fixture-good", "omnirec_fixture_good")
    plugins.reset_plugins(PluginManager())
    assert plugins.get_splitter("fixture-every-other").name == "fixture-every-other"
    ds = RecSysDataSet.use_dataloader("fixture-clicks", raw_dir=tmp_path / "raw")
    assert ds.feedback == "implicit"
    assert (ds.n_users, ds.n_items, ds.num_interactions()) == (2, 2, 3)
    assert ds.user_ids.tolist() == ["ann", "bob"]


def test_plugin_that_fails_to_import_is_reported_and_skipped(install: Install) -> None:
    install("omnirec-fixture-broken", "fixture-broken", "omnirec_fixture_broken")
    install("omnirec-fixture-good", "fixture-good", "omnirec_fixture_good")
    pm = PluginManager()
    (problem,) = [p for p in pm.problems if p.plugin == "fixture-broken"]
    assert problem.distribution == "omnirec-fixture-broken"
    assert "failed to import" in problem.error
    assert "omnirec_fixture_dependency_that_does_not_exist" in problem.error
    assert "fixture-broken" not in pm.plugin_names()
    assert "fixture-clicks" in pm.datasets()


def test_plugin_whose_hook_raises_is_reported_and_skipped(install: Install) -> None:
    install("omnirec-fixture-raising", "fixture-raising", "omnirec_fixture_raising")
    install("omnirec-fixture-good", "fixture-good", "omnirec_fixture_good")
    pm = PluginManager()
    assert "fixture-clicks" in pm.datasets()
    assert "fixture-every-other" in pm.splitters()
    errors = {p.error for p in pm.problems if p.plugin == "fixture-raising"}
    assert any("RuntimeError: dataset hook exploded" in e for e in errors)
    assert any("not a SplitterSpec" in e for e in errors)


def test_plugin_with_an_invalid_hook_signature_is_reported_and_skipped(install: Install) -> None:
    install("omnirec-fixture-badsig", "fixture-badsig", "omnirec_fixture_badsig")
    install("omnirec-fixture-good", "fixture-good", "omnirec_fixture_good")
    pm = PluginManager()
    (problem,) = [p for p in pm.problems if p.plugin == "fixture-badsig"]
    assert "config" in problem.error and "omnirec_splitters" in problem.error
    assert "fixture-clicks" in pm.datasets()
    # Nothing of the rejected plugin stays registered, not even its valid hook.
    assert "fixture-half" not in pm.datasets()
    assert "fixture-badsig" not in pm.plugin_names()


def test_dataset_name_clash_names_both_distributions(install: Install) -> None:
    install("omnirec-fixture-good", "fixture-good", "omnirec_fixture_good")
    install("omnirec-fixture-clash", "fixture-clash", "omnirec_fixture_clash")
    pm = PluginManager()
    with pytest.raises(PluginError) as info:
        pm.datasets()
    msg = str(info.value)
    assert "'fixture-clicks'" in msg
    assert "omnirec-fixture-good" in msg and "omnirec-fixture-clash" in msg
    assert DISABLE_ENV in msg  # and how to get out of it


def test_entry_point_name_clash_names_both_distributions(install: Install) -> None:
    install("omnirec-fixture-good", "samename", "omnirec_fixture_good")
    install("omnirec-fixture-other", "samename", "omnirec_fixture_raising")
    with pytest.raises(PluginError) as info:
        PluginManager()
    msg = str(info.value)
    assert "'samename'" in msg
    assert "omnirec-fixture-good" in msg and "omnirec-fixture-other" in msg


def test_disable_env_blocks_one_plugin(install: Install, monkeypatch: pytest.MonkeyPatch) -> None:
    install("omnirec-fixture-good", "fixture-good", "omnirec_fixture_good")
    install("omnirec-fixture-clash", "fixture-clash", "omnirec_fixture_clash")
    install("omnirec-fixture-broken", "fixture-broken", "omnirec_fixture_broken")
    monkeypatch.setenv(DISABLE_ENV, "fixture-clash, fixture-broken")
    pm = PluginManager()
    assert pm.disabled == {"fixture-clash", "fixture-broken"}
    # The clash is gone, the broken plugin was never imported, the good one works.
    assert pm.datasets()["fixture-clicks"].distribution == "omnirec-fixture-good"
    assert "omnirec_fixture_clash" not in sys.modules
    assert not [p for p in pm.problems if p.plugin == "fixture-broken"]


def test_disable_env_can_block_a_builtin(install: Install, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(DISABLE_ENV, "builtin-datasets")
    pm = PluginManager()
    assert "builtin-datasets" not in pm.plugin_names()
    assert "movielens-100k" not in pm.datasets()


def test_unknown_names_suggest_close_matches(install: Install) -> None:
    install("omnirec-fixture-good", "fixture-good", "omnirec_fixture_good")
    plugins.reset_plugins(PluginManager())
    with pytest.raises(PluginError, match=r"Did you mean 'fixture-every-other'"):
        plugins.get_splitter("fixture-every-othr")
