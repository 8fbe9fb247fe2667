"""Search spaces: the values a config key may take.

Without a tuner (a plan with no ``[selection]``), a space *expands* into concrete values:
a ``list`` or :class:`Grid` runs once per value, :class:`RandomChoice` / :class:`RandomRange`
draw ``n`` values from the global seed, :class:`Fixed` passes a list as one value, and
:class:`Categorical` runs each choice. With a tuner, a space is *sampled*: every space can
draw one value from a generator (random search), says whether it is discrete (grid
search) and maps to an Optuna distribution (TPE). :class:`Uniform`, :class:`LogUniform`
and :class:`IntRange` exist for tuners; expanding them without one is an error.

The same spaces are written in plan files and in ``AlgorithmSpec.search_space`` as
tables: ``[1, 2]``, ``{choice = [..], n = 2}``, ``{range = [lo, hi], n = 3}``,
``{fixed = [..]}``, ``{uniform = [lo, hi]}``, ``{loguniform = [lo, hi]}``,
``{int = [lo, hi], log = false}``, ``{categorical = [..]}``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from omnirec_core.errors import OmniRecError
from omnirec_core.random import rng


class PlanError(OmniRecError, ValueError):
    """An experiment plan that cannot be built or read."""


class _Space:
    """What every space does; subclasses override what differs."""

    def expand(self, label: str) -> list[Any]:
        """The concrete values a plan without a tuner runs, one job per value."""
        raise PlanError(
            f"{self!r} is a distribution for a tuner: add a [selection] table (or "
            "ExperimentPlan(selection=Selection(...))), or write a list of values"
        )

    def choices(self) -> list[Any] | None:
        """Every value, when the space is discrete (grid search); ``None`` when continuous."""
        return None

    def sample(self, generator: np.random.Generator) -> Any:
        """One value drawn from ``generator`` (random search)."""
        values = self.choices()
        assert values is not None, self
        return values[int(generator.integers(len(values)))]

    def bounds(self) -> tuple[float, float] | None:
        """The numeric range searched, for "best value on the edge" warnings."""
        return None

    def optuna(self) -> Any:
        """The equivalent ``optuna.distributions`` object (TPE)."""
        from optuna.distributions import CategoricalDistribution

        values = self.choices()
        assert values is not None, self
        return CategoricalDistribution(values)

    def encode(self) -> Any:
        """The plan-file table of this space."""
        raise NotImplementedError


@dataclass(frozen=True)
class Grid(_Space):
    """Run once per value."""

    values: list[Any]

    def __init__(self, values: Any) -> None:
        object.__setattr__(self, "values", list(values))
        if not self.values:
            raise PlanError("Grid([...]) needs at least one value")

    def expand(self, label: str) -> list[Any]:
        return list(self.values)

    def choices(self) -> list[Any]:
        return list(self.values)

    def encode(self) -> Any:
        return list(self.values)


@dataclass(frozen=True)
class Categorical(Grid):
    """One of ``choices``: every choice without a tuner, a categorical dimension with one."""

    def encode(self) -> Any:
        return {"categorical": list(self.values)}


@dataclass(frozen=True)
class RandomChoice(_Space):
    """``n`` values drawn without replacement from ``choices`` (seeded)."""

    values: list[Any]
    n: int = 1

    def __init__(self, choices: Any, n: int = 1) -> None:
        object.__setattr__(self, "values", list(choices))
        object.__setattr__(self, "n", int(n))
        if not 1 <= self.n <= len(self.values):
            raise PlanError(f"RandomChoice needs 1 <= n <= {len(self.values)} choices, got n={n}")

    def expand(self, label: str) -> list[Any]:
        idx = rng("plan", label).choice(len(self.values), size=self.n, replace=False)
        return [self.values[i] for i in sorted(idx)]

    def choices(self) -> list[Any]:
        return list(self.values)

    def encode(self) -> Any:
        return {"choice": list(self.values), "n": self.n}


def _check_range(name: str, lo: float, hi: float) -> None:
    if not (math.isfinite(lo) and math.isfinite(hi)) or hi < lo:
        raise PlanError(f"{name} needs finite bounds with low <= high, got [{lo}, {hi}]")


@dataclass(frozen=True)
class RandomRange(_Space):
    """``n`` values drawn uniformly from [lo, hi] (integers when both bounds are ints)."""

    lo: float
    hi: float
    n: int = 1

    def __post_init__(self) -> None:
        if self.hi < self.lo or self.n < 1:
            raise PlanError(f"RandomRange needs lo <= hi and n >= 1, got {self.lo}, {self.hi}, n={self.n}")

    @property
    def integral(self) -> bool:
        return isinstance(self.lo, int) and isinstance(self.hi, int)

    def expand(self, label: str) -> list[Any]:
        g = rng("plan", label)
        if self.integral:
            span = int(self.hi) - int(self.lo) + 1
            # Distinct values while the range allows it, so n draws give n runs.
            picks = g.choice(span, size=self.n, replace=self.n > span) + self.lo
            return sorted(int(v) for v in picks)
        return sorted(float(v) for v in g.uniform(self.lo, self.hi, size=self.n))

    def choices(self) -> list[Any] | None:
        return list(range(int(self.lo), int(self.hi) + 1)) if self.integral else None

    def sample(self, generator: np.random.Generator) -> Any:
        if self.integral:
            return int(generator.integers(int(self.lo), int(self.hi) + 1))
        return float(generator.uniform(self.lo, self.hi))

    def bounds(self) -> tuple[float, float]:
        return (self.lo, self.hi)

    def optuna(self) -> Any:
        from optuna.distributions import FloatDistribution, IntDistribution

        if self.integral:
            return IntDistribution(int(self.lo), int(self.hi))
        return FloatDistribution(float(self.lo), float(self.hi))

    def encode(self) -> Any:
        return {"range": [self.lo, self.hi], "n": self.n}


@dataclass(frozen=True)
class Fixed(_Space):
    """A list-valued parameter passed as one value instead of expanding."""

    value: Any

    def expand(self, label: str) -> list[Any]:
        return [self.value]

    def choices(self) -> list[Any]:
        return [self.value]

    def optuna(self) -> Any:  # a constant is not a dimension of the search
        raise PlanError("a Fixed value is a constant, not a search dimension")

    def encode(self) -> Any:
        return {"fixed": self.value}


@dataclass(frozen=True)
class Uniform(_Space):
    """A float drawn uniformly from [low, high] (tuners only)."""

    low: float
    high: float

    def __post_init__(self) -> None:
        _check_range(type(self).__name__, self.low, self.high)

    def sample(self, generator: np.random.Generator) -> Any:
        return float(generator.uniform(self.low, self.high))

    def bounds(self) -> tuple[float, float]:
        return (self.low, self.high)

    def optuna(self) -> Any:
        from optuna.distributions import FloatDistribution

        return FloatDistribution(float(self.low), float(self.high))

    def encode(self) -> Any:
        return {"uniform": [self.low, self.high]}


@dataclass(frozen=True)
class LogUniform(Uniform):
    """A float whose logarithm is uniform on [log low, log high]; low > 0 (tuners only)."""

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.low <= 0:
            raise PlanError(f"LogUniform needs low > 0, got {self.low}")

    def sample(self, generator: np.random.Generator) -> Any:
        return float(math.exp(generator.uniform(math.log(self.low), math.log(self.high))))

    def optuna(self) -> Any:
        from optuna.distributions import FloatDistribution

        return FloatDistribution(float(self.low), float(self.high), log=True)

    def encode(self) -> Any:
        return {"loguniform": [self.low, self.high]}


@dataclass(frozen=True)
class IntRange(_Space):
    """An integer in [low, high], uniform or (``log=True``) log-uniform (tuners only)."""

    low: int
    high: int
    log: bool = False

    def __post_init__(self) -> None:
        if not (isinstance(self.low, int) and isinstance(self.high, int)) or self.high < self.low:
            raise PlanError(f"IntRange needs integer bounds with low <= high, got [{self.low}, {self.high}]")
        if self.log and self.low < 1:
            raise PlanError(f"IntRange(log=True) needs low >= 1, got {self.low}")

    def choices(self) -> list[Any] | None:
        return None if self.log else list(range(self.low, self.high + 1))

    def sample(self, generator: np.random.Generator) -> Any:
        if not self.log:
            return int(generator.integers(self.low, self.high + 1))
        value = math.exp(generator.uniform(math.log(self.low), math.log(self.high + 1)))
        return min(self.high, int(value))

    def bounds(self) -> tuple[float, float]:
        return (self.low, self.high)

    def optuna(self) -> Any:
        from optuna.distributions import IntDistribution

        return IntDistribution(self.low, self.high, log=self.log)

    def encode(self) -> Any:
        return {"int": [self.low, self.high], "log": self.log} if self.log else {"int": [self.low, self.high]}


Space = _Space

#: Plan-file keys of each space table.
_TABLE_KEYS = frozenset({"choice", "range", "fixed", "uniform", "loguniform", "int", "categorical"})


def is_space(value: Any) -> bool:
    return isinstance(value, _Space)


def decode_space(where: str, value: Any) -> Any:
    """A plan-file value as a space (lists become :class:`Grid`); plain values stay as they are."""
    if isinstance(value, _Space):
        return value
    if isinstance(value, list):
        return Grid(value)
    if not isinstance(value, Mapping) or not (_TABLE_KEYS & set(value)):
        return value
    try:
        if "choice" in value:
            return RandomChoice(value["choice"], int(value.get("n", 1)))
        if "range" in value:
            lo, hi = value["range"]
            return RandomRange(lo, hi, int(value.get("n", 1)))
        if "fixed" in value:
            return Fixed(value["fixed"])
        if "uniform" in value:
            return Uniform(*map(float, value["uniform"]))
        if "loguniform" in value:
            return LogUniform(*map(float, value["loguniform"]))
        if "int" in value:
            lo, hi = value["int"]
            return IntRange(lo, hi, bool(value.get("log", False)))
        return Categorical(value["categorical"])
    except (TypeError, ValueError) as exc:
        raise PlanError(f"{where}: cannot read search space {dict(value)!r} ({exc})") from None


def encode_space(value: Any) -> Any:
    """The plan-file form of a config value."""
    return value.encode() if isinstance(value, _Space) else value


__all__ = [
    "Categorical",
    "Fixed",
    "Grid",
    "IntRange",
    "LogUniform",
    "PlanError",
    "RandomChoice",
    "RandomRange",
    "Space",
    "Uniform",
    "decode_space",
    "encode_space",
    "is_space",
]
