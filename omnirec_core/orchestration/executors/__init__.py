"""Cluster executors: Slurm job arrays (primary) and Ray Jobs (secondary).

Both place ``omnirec worker run`` on other machines and watch the checkpoint tree; see
``docs/cluster.md``. ``make_executor`` builds one from a name and options (the CLI's
``--executor`` and a run file's ``[run.slurm]`` / ``[run.ray]`` tables).
"""

from __future__ import annotations

import inspect
from typing import Any

from omnirec_core.errors import OmniRecError
from omnirec_core.orchestration.executors.cluster import ClusterError, ClusterExecutor
from omnirec_core.orchestration.executors.ray import RayExecutor
from omnirec_core.orchestration.executors.slurm import SlurmExecutor

__all__ = ["ClusterError", "ClusterExecutor", "RayExecutor", "SlurmExecutor", "make_executor"]

EXECUTORS: dict[str, type[ClusterExecutor]] = {"slurm": SlurmExecutor, "ray": RayExecutor}


def make_executor(kind: str, options: dict[str, Any] | None = None) -> ClusterExecutor:
    """``make_executor("slurm", {"partition": "gpu", "cpus": 8})``; unknown options are an error."""
    cls = EXECUTORS.get(kind)
    if cls is None:
        raise OmniRecError(f"unknown executor {kind!r}; choose local, {', '.join(EXECUTORS)}")
    options = {k: v for k, v in (options or {}).items() if v is not None}
    valid = [p for p in inspect.signature(cls.__init__).parameters if p != "self"]
    unknown = sorted(set(options) - set(valid))
    if unknown:
        raise OmniRecError(
            f"{kind} executor has no option(s) {', '.join(unknown)}; valid: {', '.join(valid)}"
        )
    try:
        return cls(**options)
    except (TypeError, ValueError) as exc:
        raise OmniRecError(f"{kind} executor options: {exc}") from None
