"""``omnirec.runner.algos``: one enum per installed runner, as in OmniRec.

``from omnirec.runner.algos import LensKit, RecBole, RecPack`` gives enums whose members
are the runner's algorithms, valued ``"Runner.Algorithm"`` (``RecBole.BPR.value ==
"RecBole.BPR"``); an :class:`~omnirec.runner.plan.ExperimentPlan` takes a member wherever
it takes that string. The enums are generated from the installed runner plugins'
specs, so a third-party runner gets one too (``algos.enum_for("name")`` reaches a runner
whose name is not a Python identifier). ``Algorithms`` is their common base class.
"""

from __future__ import annotations

from enum import Enum
from typing import Any

from omnirec_core.errors import PluginError
from omnirec_core.plugin.manager import OUR_RUNNERS, get_runner, get_runners


class Algorithms(str, Enum):
    """Base class of every runner's algorithm enum; a member's value is ``"Runner.Algorithm"``."""

    def __str__(self) -> str:
        return str(self.value)


class RunnerNotInstalled(PluginError, ImportError):
    """``from omnirec.runner.algos import X`` for a runner that is not installed."""


_enums: dict[tuple[str, tuple[str, ...]], type[Algorithms]] = {}


def enum_for(runner: str) -> type[Algorithms]:
    """The algorithm enum of the installed runner called ``runner`` (any case)."""
    try:
        spec = get_runner(runner)
    except PluginError as exc:
        raise RunnerNotInstalled(str(exc)) from None
    names = tuple(a.name for a in spec.algorithms)
    key = (spec.name, names)
    if key not in _enums:  # one class per runner and algorithm set: members compare by identity
        members = [(name, f"{spec.name}.{name}") for name in names]
        enum = Algorithms(spec.name, members, module=__name__, qualname=spec.name)  # type: ignore[call-overload]
        enum.__doc__ = f"The algorithms of the {spec.name} runner ({spec.description or 'a runner plugin'})."
        _enums[key] = enum
    return _enums[key]


def _runner_names() -> list[str]:
    return sorted(n for n in get_runners() if n.isidentifier())


def __getattr__(name: str) -> Any:
    if name == "__all__":
        return ["Algorithms", "RunnerNotInstalled", "enum_for", *_runner_names()]
    if name.startswith("__"):
        raise AttributeError(name)
    if name in get_runners() or name.lower() in OUR_RUNNERS:
        return enum_for(name)  # one of ours that is missing: the error says what to install
    raise AttributeError(
        f"module {__name__!r} has no attribute {name!r}; the installed runners are "
        f"{', '.join(sorted(get_runners())) or 'none'}"
    )


def __dir__() -> list[str]:
    return sorted({*globals(), *_runner_names()})
