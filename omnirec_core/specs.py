"""Frozen, typed records that plugins return from their hooks.

These records are the stable plugin surface: fields may be added (with defaults),
never removed or renamed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

Feedback = Literal["implicit", "explicit"]
PredictionKind = Literal["topk", "rating"]
# How a dataset's files are checked: against published checksums ("pinned"), against
# the size and SHA-256 recorded at the first download ("first-use"), or some of each.
Integrity = Literal["", "pinned", "first-use", "partly-pinned"]


@dataclass(frozen=True)
class DatasetSpec:
    """A dataset a plugin can provide.

    ``load(data_dir, force_download)`` returns a pandas DataFrame with at least the
    columns ``user`` and ``item`` (optionally ``rating`` and ``timestamp``) in original ids.

    The catalogue fields are optional: ``family`` groups releases (``amazon2018``);
    ``citation`` is the BibTeX to cite; ``timestamps`` says whether interactions carry
    times (``None``: not stated); ``integrity`` how downloads are checked; ``manual``
    that the user must fetch the files; ``urls`` every download location, mirrors
    included; ``expected`` published statistics (``users``, ``items``,
    ``interactions``); ``notes`` caveats, such as facts that could not be verified.
    """

    name: str
    load: Callable[..., Any]
    description: str = ""
    source: str = ""
    size: str = ""
    feedback: Feedback = "explicit"
    licence_note: str = ""
    aliases: tuple[str, ...] = ()
    family: str = ""
    citation: str = ""
    timestamps: bool | None = None
    integrity: Integrity = ""
    manual: bool = False
    urls: tuple[str, ...] = ()
    expected: Mapping[str, int] = field(default_factory=dict)
    notes: str = ""


@dataclass(frozen=True)
class SplitterSpec:
    """A splitter class a plugin provides, under the name users write in plan files."""

    name: str
    factory: Callable[..., Any]
    description: str = ""
    folded: bool = False


@dataclass(frozen=True)
class MetricSpec:
    """A metric class a plugin provides.

    ``kind`` says what predictions it needs: ``topk`` ranking lists or ``rating`` scores
    for test pairs; ``feedback`` lists the feedback types it makes sense for.
    """

    name: str
    factory: Callable[..., Any]
    kind: PredictionKind = "topk"
    feedback: tuple[Feedback, ...] = ("implicit", "explicit")
    description: str = ""


@dataclass(frozen=True)
class AlgorithmSpec:
    """One algorithm a runner offers.

    ``params`` lists the config keys the algorithm accepts (``None``: the runner
    cannot tell in advance, the worker validates at fit time).
    """

    name: str
    defaults: Mapping[str, Any] = field(default_factory=dict)
    feedback: tuple[Feedback, ...] = ("implicit", "explicit")
    predictions: tuple[PredictionKind, ...] = ("topk",)
    params: tuple[str, ...] | None = None
    gpu: bool = False
    unavailable: str = ""
    description: str = ""


@dataclass(frozen=True)
class RunnerSpec:
    """A framework runner: what to install into its isolated env and how to start it.

    ``worker_module`` is run as ``python -m worker_module`` inside the env.
    ``requirements`` are pip requirement strings (framework pins live here, not in core);
    ``pip_options`` are extra pip arguments (for example an extra index URL);
    ``install_self`` names the distributions to install into the env besides the
    requirements (the core and the plugin itself), from local source when editable.
    """

    name: str
    algorithms: tuple[AlgorithmSpec, ...]
    worker_module: str
    python: str = "3.11"
    requirements: tuple[str, ...] = ()
    pip_options: tuple[str, ...] = ()
    install_self: tuple[str, ...] = ("omnirec-core",)
    gpu: bool = False
    env_vars: Mapping[str, str] = field(default_factory=dict)
    description: str = ""

    def algorithm(self, name: str) -> AlgorithmSpec | None:
        """The algorithm called ``name`` (case-sensitive), or ``None``."""
        for algo in self.algorithms:
            if algo.name == name:
                return algo
        return None
