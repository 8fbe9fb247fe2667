"""Frozen, typed records that plugins return from their hooks.

These records are the stable plugin surface: fields may be added (with defaults),
never removed or renamed.
"""

from __future__ import annotations

import builtins
import difflib
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, cast

from omnirec_core.runner.errors import ConfigError

Feedback = Literal["implicit", "explicit"]


def canonical_config(config: Mapping[str, Any], *, compact: bool = True) -> str:
    """The one canonical JSON of an algorithm config: sorted keys, other values as ``str``.

    Equal configs give equal text whatever their key order. ``compact`` (job keys) drops the
    spaces that the readable form (result tables and exports) keeps.
    """
    separators = (",", ":") if compact else (", ", ": ")
    return json.dumps(dict(config), sort_keys=True, separators=separators, default=str)


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


class _NoDefault:
    """Marks a :class:`Param` without a declared default (the framework decides)."""

    def __repr__(self) -> str:
        return "NO_DEFAULT"


NO_DEFAULT: Any = _NoDefault()

_TYPE_WORDS = {
    bool: "true or false",
    int: "an integer",
    float: "a number",
    str: "a string",
    list: "a list",
    dict: "a table",
}


def _fmt(x: Any) -> str:
    return repr(x) if isinstance(x, str) else f"{x:g}" if isinstance(x, float) else str(x)


@dataclass(frozen=True)
class Param:
    """One config key an algorithm accepts: its type, allowed values and default.

    ``type`` is ``int``, ``float``, ``bool``, ``str``, ``list``, ``dict`` or a tuple of them
    (``None``: any value); ``float`` accepts integers, ``int`` never accepts ``True``.
    ``low``/``high`` are bounds for numbers, inclusive unless ``low_open``/``high_open``
    (a learning rate is ``low=0.0, low_open=True``: any number above 0), ``choices`` the
    allowed values, ``nullable`` allows ``None``. ``default`` is the value the runner uses when the key is
    absent; the coordinator merges it into every config before keying and seeding a job.
    """

    name: str
    type: builtins.type | tuple[builtins.type, ...] | None = None
    default: Any = NO_DEFAULT
    low: float | None = None
    high: float | None = None
    choices: tuple[Any, ...] | None = None
    nullable: bool = False
    description: str = ""
    low_open: bool = False
    high_open: bool = False

    @property
    def types(self) -> tuple[builtins.type, ...]:
        if self.type is None:
            return ()
        return self.type if isinstance(self.type, tuple) else (self.type,)

    def expects(self) -> str:
        """What a valid value looks like, e.g. ``a number ≥ 0`` or ``one of 'a', 'b'``."""
        if self.choices is not None:
            text = "one of " + ", ".join(_fmt(c) for c in self.choices)
        else:
            text = " or ".join(_TYPE_WORDS.get(t, t.__name__) for t in self.types) or "any value"
            if self.low is not None and self.high is not None:
                left, right = "(" if self.low_open else "[", ")" if self.high_open else "]"
                text += f" in {left}{_fmt(self.low)}, {_fmt(self.high)}{right}"
            elif self.low is not None:
                text += f" {'>' if self.low_open else '≥'} {_fmt(self.low)}"
            elif self.high is not None:
                text += f" {'<' if self.high_open else '≤'} {_fmt(self.high)}"
        return text + (" (or null)" if self.nullable else "")

    def problem(self, value: Any) -> str | None:
        """Why ``value`` is not acceptable (``None`` when it is)."""
        bad = f"must be {self.expects()}, got {value!r}"
        if value is None:
            return None if self.nullable else bad
        if self.choices is not None:
            return None if any(value == c and type(value) is type(c) for c in self.choices) else bad
        types = self.types
        if types and not any(_is_type(value, t) for t in types):
            return bad
        if not _is_number(value):
            return None
        below = self.low is not None and (value < self.low or (self.low_open and value == self.low))
        above = self.high is not None and (value > self.high or (self.high_open and value == self.high))
        return bad if value != value or below or above else None


def config_problem(label: str, params: Sequence[Param], config: Mapping[str, Any]) -> str | None:
    """Why ``config`` cannot work for the algorithm ``label`` declaring ``params`` (None: it can).

    Unknown keys come first (with a close match and the valid keys), then every value of a
    wrong type or out of range: ``RecPack.EASE: l2 must be a number ≥ 0, got 'abc'``.
    """
    declared = {p.name: p for p in params}
    unknown = sorted(set(config) - set(declared))
    if unknown:
        close = difflib.get_close_matches(unknown[0], list(declared), n=1)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        return (
            f"{label} does not accept config key(s) {', '.join(map(repr, unknown))}.{hint} "
            f"Valid keys: {', '.join(declared) or 'none'}."
        )
    problems = [f"{key} {why}" for key, value in config.items() if (why := declared[key].problem(value))]
    return f"{label}: " + "; ".join(problems) if problems else None


def check_config(label: str, params: Sequence[Param], config: Mapping[str, Any]) -> None:
    """Raise :class:`~omnirec_core.runner.errors.ConfigError` with :func:`config_problem`'s message.

    Workers call it as the last line of defence with the same declarations the coordinator
    checks before any work.
    """
    problem = config_problem(label, params, config)
    if problem is not None:
        raise ConfigError(problem)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _is_type(value: Any, t: builtins.type) -> bool:
    if t is float:
        return _is_number(value)
    if t is int:
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, t)


@dataclass(frozen=True)
class AlgorithmSpec:
    """One algorithm a runner offers.

    ``params`` lists the config keys the algorithm accepts, as names or :class:`Param`
    records with types, ranges and defaults (``None``: the runner cannot tell in advance,
    the worker validates at fit time). ``defaults`` are the values the runner uses for
    keys the plan leaves out; a ``Param``'s default counts as one. Both are merged into
    every config before its job is keyed, so writing a default out changes nothing.
    """

    name: str
    defaults: Mapping[str, Any] = field(default_factory=dict)
    feedback: tuple[Feedback, ...] = ("implicit", "explicit")
    predictions: tuple[PredictionKind, ...] = ("topk",)
    params: tuple[Param | str, ...] | None = None
    gpu: bool = False
    unavailable: str = ""
    description: str = ""
    #: The recommended search space for tuning (``plan.add_algorithm(name, tune=True)``):
    #: config key -> space, as a plan-file table (``{"loguniform": [1.0, 1e4]}``, a list of
    #: choices, ``{"int": [10, 500]}``...) or an ``omnirec_core.experiment.spaces`` object.
    search_space: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.params is None:
            return
        params = tuple(p if isinstance(p, Param) else Param(str(p)) for p in self.params)
        declared = {p.name: p.default for p in params if p.default is not NO_DEFAULT}
        object.__setattr__(self, "params", params)
        object.__setattr__(self, "defaults", {**declared, **dict(self.defaults)})

    @property
    def declared(self) -> tuple[Param, ...] | None:
        """The accepted config keys as :class:`Param` records (``None``: not declared)."""
        return cast("tuple[Param, ...] | None", self.params)  # normalised in __post_init__

    @property
    def param_names(self) -> tuple[str, ...] | None:
        """The accepted config keys, or ``None`` when the runner cannot tell in advance."""
        declared = self.declared
        return None if declared is None else tuple(p.name for p in declared)

    def param(self, name: str) -> Param | None:
        """The declaration of config key ``name``, or ``None``."""
        return next((p for p in self.declared or () if p.name == name), None)


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
        """The algorithm called ``name`` (any case, like runner names), or ``None``."""
        for algo in self.algorithms:
            if algo.name == name:
                return algo
        return next((a for a in self.algorithms if a.name.lower() == name.lower()), None)
