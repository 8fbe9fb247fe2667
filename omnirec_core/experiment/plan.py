"""Experiment plans: which algorithms to run, each with a hyperparameter search space.

A config value that is a ``list`` or :class:`Grid` expands to one run per value;
:class:`RandomChoice` and :class:`RandomRange` draw ``n`` values reproducibly from the
global seed; :class:`Fixed` passes a list through as one value. Several expanding
keys combine as a cartesian product.
"""

from __future__ import annotations

import itertools
import sys
from collections.abc import Iterator, Mapping
from os import PathLike
from pathlib import Path
from typing import Any

from omnirec_core.experiment.selection import Selection
from omnirec_core.experiment.spaces import (
    PlanError,
    decode_space,
    encode_space,
    is_space,
)
from omnirec_core.plugin.specs import canonical_config
from omnirec_core.runner.fs import atomic_write_bytes

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


def algorithm_name(algorithm: Any) -> str:
    """``"Runner.Algorithm"`` from a string or an enum member whose value is that string."""
    name = getattr(algorithm, "value", algorithm)
    if not isinstance(name, str) or name.count(".") != 1 or not all(name.split(".")):
        raise PlanError(
            f"algorithm {algorithm!r} must be written 'Runner.Algorithm', e.g. 'LensKit.ItemKNNScorer'"
        )
    return name


def config_key(config: Mapping[str, Any]) -> str:
    """Canonical JSON of a concrete config (sorted keys): equal configs, equal keys."""
    return canonical_config(config)


class ExperimentPlan:
    """Algorithms (``"Runner.Algorithm"``) with their configs and search spaces.

    Without ``selection`` every configuration a search space expands to runs and is
    tested (a grid). With a :class:`~omnirec_core.experiment.selection.Selection`, each
    algorithm's space is searched on validation data and only the selected configuration
    is tested (see ``docs/tuning.md``).
    """

    def __init__(self, plan_name: str = "plan", selection: Selection | None = None) -> None:
        self.plan_name = plan_name
        self.selection = selection
        self._algorithms: dict[str, dict[str, Any]] = {}
        self._tuned: set[str] = set()

    def add_algorithm(
        self,
        algorithm: Any,
        config: Mapping[str, Any] | None = None,
        force: bool = False,
        *,
        tune: bool = False,
    ) -> None:
        """Add an algorithm; adding one twice is an error unless ``force`` (then it is replaced).

        ``tune=True`` searches the algorithm's declared search space (its plugin's
        recommendation; values in ``config`` override it key by key); it needs a selection.
        """
        name = algorithm_name(algorithm)
        if name in self._algorithms and not force:
            raise PlanError(
                f"{name} is already in the plan; use update_algorithm() to change its config "
                "or add_algorithm(..., force=True) to replace it"
            )
        self._algorithms[name] = dict(config or {})
        if tune:
            self._tuned.add(name)
        else:
            self._tuned.discard(name)

    def tunes(self, algorithm: str) -> bool:
        """Whether ``algorithm`` searches its declared space (``add_algorithm(..., tune=True)``)."""
        return algorithm in self._tuned

    def search_config(self, algorithm: str, declared: Mapping[str, Any]) -> dict[str, Any]:
        """The config a selection searches: the declared space (when tuned) under the plan's values."""
        base = dict(declared) if self.tunes(algorithm) else {}
        merged = {**base, **self._algorithms[algorithm]}
        return {k: decode_space(f"{algorithm} config {k!r}", v) for k, v in merged.items()}

    def update_algorithm(self, algorithm: Any, config: Mapping[str, Any]) -> None:
        """Merge ``config`` into an algorithm already in the plan."""
        name = algorithm_name(algorithm)
        if name not in self._algorithms:
            raise PlanError(f"{name} is not in the plan; add it with add_algorithm() first")
        self._algorithms[name].update(config)

    def get_algorithm_config(self, algorithm: Any) -> dict[str, Any]:
        name = algorithm_name(algorithm)
        if name not in self._algorithms:
            raise PlanError(f"{name} is not in the plan (it has: {', '.join(self._algorithms) or 'nothing'})")
        return dict(self._algorithms[name])

    @property
    def algorithms(self) -> list[str]:
        return list(self._algorithms)

    def is_empty(self) -> bool:
        return not self._algorithms

    def expand(self, algorithm: str) -> list[dict[str, Any]]:
        """Every concrete config of one algorithm, in a stable order, without duplicates."""
        config = self._algorithms[algorithm]
        keys = sorted(config)
        axes: list[list[Any]] = []
        for key in keys:
            value = config[key]
            label = f"{self.plan_name}/{algorithm}/{key}"
            value = decode_space(label, value)
            axes.append(value.expand(label) if is_space(value) else [value])
        seen: set[str] = set()
        out: list[dict[str, Any]] = []
        for combo in itertools.product(*axes):
            cfg = dict(zip(keys, combo))
            k = config_key(cfg)
            if k not in seen:
                seen.add(k)
                out.append(cfg)
        return out

    def runs(self) -> Iterator[tuple[str, dict[str, Any]]]:
        for algorithm in self._algorithms:
            for cfg in self.expand(algorithm):
                yield algorithm, cfg

    # ---- TOML ---------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "name": self.plan_name,
            "algorithms": [
                {
                    "name": a,
                    "config": {k: encode_space(v) for k, v in c.items()},
                    **({"tune": True} if a in self._tuned else {}),
                }
                for a, c in self._algorithms.items()
            ],
        }
        if self.selection is not None:
            out["selection"] = self.selection.to_dict()
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ExperimentPlan:
        selection = data.get("selection")
        plan = cls(
            str(data.get("name", "plan")), Selection.from_dict(selection) if selection is not None else None
        )
        algos = data.get("algorithms", [])
        if not isinstance(algos, list):
            raise PlanError(
                "'algorithms' must be an array of tables: [[algorithms]] name = 'Runner.Algorithm'"
            )
        for entry in algos:
            if not isinstance(entry, Mapping) or "name" not in entry:
                raise PlanError(f"each [[algorithms]] entry needs a name = 'Runner.Algorithm'; got {entry!r}")
            config = entry.get("config", {})
            if not isinstance(config, Mapping):
                raise PlanError(f"config of {entry['name']} must be a table, got {config!r}")
            tune = entry.get("tune", False)
            if not isinstance(tune, bool):
                raise PlanError(f"tune of {entry['name']} must be true or false, got {tune!r}")
            plan.add_algorithm(
                entry["name"],
                {k: decode_space(f"{entry['name']} config {k!r}", v) for k, v in config.items()},
                tune=tune,
            )
        return plan

    def save(self, path: str | PathLike[str]) -> None:
        import tomli_w

        atomic_write_bytes(path, tomli_w.dumps(self.to_dict()).encode())

    @classmethod
    def load(cls, path: str | PathLike[str]) -> ExperimentPlan:
        return cls.from_dict(read_toml(path))

    def __repr__(self) -> str:
        return f"ExperimentPlan({self.plan_name!r}, algorithms={self.algorithms})"


def read_toml(path: str | PathLike[str]) -> dict[str, Any]:
    path = Path(path)
    if not path.exists():
        raise PlanError(f"no plan file at {path}")
    try:
        return tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as exc:
        raise PlanError(f"{path} is not valid TOML: {exc}") from None
