"""Runner processes on the current interpreter, without an isolated env.

For developing a runner plugin and for fast tests: the worker still runs as its own
process behind the same TLS protocol, but imports whatever this interpreter has. Pass
``Coordinator(..., env_manager=CurrentInterpreter())``. Results are keyed apart from
isolated runs, since the packages differ.
"""

from __future__ import annotations

import platform
import sys
import time
from pathlib import Path

from omnirec_core.orchestration.envs.manager import RunnerEnv
from omnirec_core.plugin.specs import RunnerSpec


class CurrentInterpreter:
    """An env provider whose every env is this interpreter, with its environment as it is."""

    isolated = False
    KEY = "current-" + platform.python_version()

    def key(self, spec: RunnerSpec) -> str:
        return self.KEY

    def ensure(self, spec: RunnerSpec, *, rebuild: bool = False) -> RunnerEnv:
        return RunnerEnv(
            path=Path(sys.prefix),
            python=Path(sys.executable),
            key=self.KEY,
            spec_name=spec.name,
            freeze="",
            created=time.time(),
            python_version=platform.python_version(),
        )
