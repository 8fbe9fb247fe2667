"""Runner environments: isolated virtualenvs (``manager``), Python discovery
(``pythons``) and the current interpreter for in-place runs (``inplace``).

The coordinator only needs an :class:`EnvProvider`: both the env manager and the
in-place interpreter are one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:  # typing only: the manager module pulls in virtualenv tooling
    from omnirec_core.orchestration.envs.manager import RunnerEnv
    from omnirec_core.plugin.specs import RunnerSpec


class EnvProvider(Protocol):
    """Where a runner's worker runs: a key for what is installed there, and the env itself."""

    #: False when runners share the caller's interpreter and environment (in-place mode).
    isolated: bool

    def key(self, spec: RunnerSpec) -> str:
        """A hash of what goes into ``spec``'s env (part of every job key)."""
        ...

    def ensure(self, spec: RunnerSpec, *, rebuild: bool = False) -> RunnerEnv:
        """The ready env for ``spec``, built first if needed."""
        ...
