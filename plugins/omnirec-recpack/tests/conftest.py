"""Fixtures for the RecPack plugin tests: the runner env's interpreter and ML-100K splits."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))  # recpack_testdata, next to the tests

SCRIPT = HERE / "recpack_env_script.py"


@pytest.fixture(scope="session")
def recpack_python() -> Path:
    """Interpreter of the RecPack runner env.

    ``$OMNIREC_RECPACK_PYTHON`` if set (e.g. a hand-built dev env); otherwise the env the
    project's EnvManager builds from this plugin's RunnerSpec, in the shared test cache
    (``$OMNIREC_TEST_ENV_DIR`` or ``~/.cache/omnirec/test-envs``; built once, ~3 min).
    """
    override = os.environ.get("OMNIREC_RECPACK_PYTHON")
    if override:
        return Path(override)
    from omnirec_recpack.plugin import runner_spec

    from omnirec_core.orchestration.envs.manager import EnvManager

    cache = Path(os.environ.get("OMNIREC_TEST_ENV_DIR") or Path.home() / ".cache/omnirec/test-envs")
    cache.mkdir(parents=True, exist_ok=True)
    plugin_root = HERE.parent
    return EnvManager(cache, sources={"omnirec-recpack": plugin_root}).ensure(runner_spec()).python


@pytest.fixture(scope="session")
def ml100k(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """ML-100K, ratings >= 3, per-user random 80/20 split (npy columns + meta.json)."""
    from recpack_testdata import prepare_ml100k

    path = tmp_path_factory.mktemp("ml100k")
    prepare_ml100k(path)
    return path


@pytest.fixture(scope="session")
def run_in_env(recpack_python: Path):
    """``run_in_env(mode, data_dir, out_dir, *algorithms)``: the env script, checked."""

    def run(mode: str, data: Path, out: Path, *algos: str) -> str:
        proc = subprocess.run(
            [str(recpack_python), str(SCRIPT), mode, str(data), str(out), *algos],
            capture_output=True,
            text=True,
            cwd=out.parent if out.parent.exists() else None,
        )
        assert proc.returncode == 0, f"env script failed:\n{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}"
        return proc.stdout

    return run
