"""Fixtures for the implicit plugin tests: the runner env, its test script, a tiny split."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

SCRIPT = Path(__file__).resolve().parent / "implicit_env_script.py"


@pytest.fixture(scope="session")
def implicit_python(runner_env: Any) -> Path:
    """Interpreter of the implicit runner env: ``$OMNIREC_IMPLICIT_PYTHON`` if set, else the
    env the EnvManager builds from this plugin's RunnerSpec in the shared test cache."""
    override = os.environ.get("OMNIREC_IMPLICIT_PYTHON")
    if override:
        return Path(override)
    from omnirec_implicit.plugin import runner_spec

    return runner_env(runner_spec()).python


@pytest.fixture(scope="session")
def in_env(implicit_python: Path) -> Any:
    """``in_env(mode, *args)``: run the env script in the implicit env; its stdout."""

    def run(mode: str, *args: object) -> str:
        proc = subprocess.run(
            [str(implicit_python), str(SCRIPT), mode, *map(str, args)], capture_output=True, text=True
        )
        assert proc.returncode == 0, (
            f"env script {mode} failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
        )
        return proc.stdout

    return run


@pytest.fixture(scope="session")
def tiny_implicit() -> Any:
    """The generated ``synthetic-tiny`` data (100 users, 199 items), ratings >= 3 kept, 80/20 per user."""
    from omnirec_core import MakeImplicit, Pipe, RecSysDataSet, UserHoldout, set_random_state

    set_random_state(7)
    return Pipe(MakeImplicit(3), UserHoldout(0.2)).process(RecSysDataSet.use_dataloader("synthetic-tiny"))
