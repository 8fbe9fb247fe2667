"""Shared fixtures: one runner-env cache for the whole run (and across runs in CI)."""

from __future__ import annotations

import importlib.metadata
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from omnirec_core.orchestration.envs.manager import EnvManager, RunnerEnv
from omnirec_core.plugin.specs import RunnerSpec

ROOT = Path(__file__).resolve().parent
TEST_ENV_DIR = "OMNIREC_TEST_ENV_DIR"


def _local_sources() -> dict[str, Path]:
    """Test-tree runner distributions that are not pip-installed: build them from source."""
    sources = {}
    fake = ROOT / "tests" / "fake_runner"
    if fake.is_dir() and not list(importlib.metadata.distributions(name="omnirec-fake")):
        sources["omnirec-fake"] = fake
    return sources


@pytest.fixture(autouse=True)
def _restore_seed() -> Any:
    """Every test leaves the global seed as it found it (fixtures and tests may set it)."""
    from omnirec_core.random import get_random_state, set_random_state

    seed = get_random_state()
    yield
    set_random_state(seed)


@pytest.fixture(scope="session")
def env_cache_dir() -> Path:
    """Env cache shared by every test that builds envs: ``$OMNIREC_TEST_ENV_DIR`` or
    ``~/.cache/omnirec/test-envs`` (kept between runs, so envs are built once)."""
    path = Path(os.environ.get(TEST_ENV_DIR) or Path.home() / ".cache/omnirec/test-envs")
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture(scope="session")
def env_manager(env_cache_dir: Path) -> EnvManager:
    return EnvManager(env_cache_dir, sources=_local_sources())


@pytest.fixture(scope="session")
def runner_env(env_manager: EnvManager) -> Callable[[str | RunnerSpec], RunnerEnv]:
    """Factory: ``runner_env("Fake")`` (a runner name or a spec) builds or reuses its env."""

    def make(runner: str | RunnerSpec) -> RunnerEnv:
        from omnirec_core.plugin.manager import get_runner

        spec = get_runner(runner) if isinstance(runner, str) else runner
        return env_manager.ensure(spec)  # reuse costs a marker read

    return make


@pytest.fixture
def checkpoint_dir(tmp_path: Path) -> Path:
    """An empty checkpoint directory for one test."""
    path = tmp_path / "checkpoints"
    path.mkdir()
    return path


@pytest.fixture(scope="session")
def ml100k_implicit() -> Any:
    """ML-100K (from GroupLens or the PyPI mirror), ratings >= 3, per-user 80/20 split.

    The same split for every framework's integration tests (seeded)."""
    from omnirec_core import MakeImplicit, Pipe, RecSysDataSet, UserHoldout, set_random_state

    set_random_state(42)
    ds = RecSysDataSet.use_dataloader("ml-100k")
    return Pipe(MakeImplicit(3), UserHoldout(0.2, 0.1)).process(ds)


@pytest.fixture(scope="session")
def ml100k_explicit() -> Any:
    """ML-100K with ratings, per-user 80/20 split (seeded)."""
    from omnirec_core import RecSysDataSet, UserHoldout, set_random_state

    set_random_state(42)
    return UserHoldout(0.2).process(RecSysDataSet.use_dataloader("ml-100k"))


def run_plan(
    checkpoint_dir: Path,
    dataset: Any,
    algorithms: dict[str, dict[str, Any]],
    metrics: Any,
    env_manager: EnvManager,
) -> Any:
    """Run ``{"Runner.Algo": config}`` through the Coordinator; return the Evaluator."""
    from omnirec_core import Coordinator, ExperimentPlan

    plan = ExperimentPlan("integration")
    for name, config in algorithms.items():
        plan.add_algorithm(name, config)
    return Coordinator(checkpoint_dir, env_manager=env_manager, quiet=True).run(dataset, plan, metrics)


@pytest.fixture(scope="session")
def run_coordinator(env_manager: EnvManager) -> Callable[..., Any]:
    """``run_coordinator(checkpoint_dir, dataset, {"Runner.Algo": config}, evaluator)``."""

    def run(checkpoint_dir: Path, dataset: Any, algorithms: dict[str, dict[str, Any]], evaluator: Any) -> Any:
        return run_plan(checkpoint_dir, dataset, algorithms, evaluator, env_manager)

    return run


#: Markers whose tests also count as slow (real frameworks, a cluster to talk to, a browser).
SLOW_TIERS = ("integration", "slurm", "ray", "browser")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """``-m "not slow"`` is the fast tier: no real framework, no cluster, no long fault test."""
    for item in items:
        if item.get_closest_marker("slow") is None and any(item.get_closest_marker(m) for m in SLOW_TIERS):
            item.add_marker(pytest.mark.slow)
