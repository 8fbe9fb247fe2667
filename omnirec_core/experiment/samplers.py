"""Samplers: which configuration a search tries next.

A sampler's proposal for trial ``i`` is a function of the search's seed, ``i`` and the
scores of trials ``0..i-1`` only (a fresh generator, or a fresh Optuna study replaying
the finished trials, per proposal). So a search resumed after a crash, or extended from
20 to 30 trials, proposes exactly what an uninterrupted one would.
"""

from __future__ import annotations

import itertools
import logging
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from omnirec_core.experiment.spaces import PlanError, Space, is_space
from omnirec_core.plugin.specs import canonical_config
from omnirec_core.random import label_seed

#: How often random search (TPE) redraws to avoid repeating a configuration already tried.
REDRAWS = 50
TPE_REDRAWS = 10


@dataclass(frozen=True)
class Trial:
    """A configuration tried (its searched keys only) and its validation score (None: failed)."""

    config: dict[str, Any]
    score: float | None


class Sampler(Protocol):
    def propose(self, trial: int, history: list[Trial]) -> dict[str, Any] | None:
        """The configuration of trial ``trial`` given the earlier ones; None when the space is exhausted."""
        ...


class TuneMissing(PlanError):
    """TPE needs Optuna, which is an optional extra."""


def split_space(config: Mapping[str, Any]) -> tuple[dict[str, Space], dict[str, Any]]:
    """The searched dimensions of a config and its constants (plain values, ``Fixed``)."""
    space: dict[str, Space] = {}
    constants: dict[str, Any] = {}
    for key, value in config.items():
        choices = value.choices() if is_space(value) else None
        if is_space(value) and not (choices is not None and len(choices) == 1):
            space[key] = value
        else:
            constants[key] = choices[0] if choices is not None else value
    return space, constants


def _discrete(space: Mapping[str, Space]) -> list[dict[str, Any]] | None:
    """Every combination when every dimension is discrete (sorted keys), else None."""
    keys = sorted(space)
    axes = [space[k].choices() for k in keys]
    if any(a is None for a in axes):
        return None
    return [dict(zip(keys, combo)) for combo in itertools.product(*axes)]  # type: ignore[arg-type]


class GridSampler:
    """Every combination of discrete dimensions, in a seeded order (a subset when the budget is smaller)."""

    def __init__(self, space: Mapping[str, Space], seed: int, label: str) -> None:
        combos = _discrete(space)
        if combos is None:
            continuous = sorted(k for k, v in space.items() if v.choices() is None)
            raise PlanError(
                f"{label}: grid search needs discrete values, but {', '.join(continuous)} "
                "is continuous; give a list of values or use sampler = 'random' or 'tpe'"
            )
        order = np.random.default_rng(label_seed("grid", label, seed=seed)).permutation(len(combos))
        self.combos = [combos[i] for i in order]

    def propose(self, trial: int, history: list[Trial]) -> dict[str, Any] | None:
        return self.combos[trial] if trial < len(self.combos) else None


class RandomSampler:
    """Each dimension drawn independently from a generator seeded by the trial number."""

    def __init__(self, space: Mapping[str, Space], seed: int, label: str) -> None:
        self.space, self.seed, self.label = dict(space), seed, label
        combos = _discrete(space)
        self.size = len(combos) if combos is not None else math.inf

    def propose(self, trial: int, history: list[Trial]) -> dict[str, Any] | None:
        tried = {canonical_config(t.config) for t in history}
        if len(tried) >= self.size:
            return None
        config: dict[str, Any] = {}
        for attempt in range(REDRAWS):
            g = np.random.default_rng(label_seed("random", self.label, trial, attempt, seed=self.seed))
            config = {k: self.space[k].sample(g) for k in sorted(self.space)}
            if canonical_config(config) not in tried:
                break
        return config


class TPESampler:
    """Optuna's TPE; each proposal replays the finished trials into a fresh seeded study."""

    def __init__(self, space: Mapping[str, Space], seed: int, label: str, *, maximize: bool) -> None:
        try:
            import optuna
        except ImportError:
            raise TuneMissing(
                "sampler = 'tpe' needs Optuna: pip install 'omnirec-core[tune]' (or use sampler = 'random')"
            ) from None
        optuna.logging.set_verbosity(optuna.logging.WARNING)
        logging.getLogger("optuna").setLevel(logging.WARNING)
        self.optuna = optuna
        self.space, self.seed, self.label, self.maximize = dict(space), seed, label, maximize
        self.distributions = {k: v.optuna() for k, v in self.space.items()}
        self.combos = _discrete(space)
        self.size = len(self.combos) if self.combos is not None else math.inf

    def propose(self, trial: int, history: list[Trial]) -> dict[str, Any] | None:
        if not self.space:
            return {} if trial == 0 else None
        tried = {canonical_config(t.config) for t in history}
        if len(tried) >= self.size:
            return None  # a discrete space tried in full
        config: dict[str, Any] = {}
        # TPE may propose a configuration already tried (likely on integer and discrete
        # dimensions); asking again with the next seed keeps the budget for new ones.
        for attempt in range(TPE_REDRAWS):
            seed = label_seed("tpe", self.label, trial, *([attempt] if attempt else []), seed=self.seed)
            config = dict(self._study(history, seed % 2**31).ask(self.distributions).params)
            if canonical_config(config) not in tried:
                return config
        if self.combos is not None:  # a discrete space TPE keeps circling in: an untried point
            untried = [c for c in self.combos if canonical_config(c) not in tried]
            pick = np.random.default_rng(label_seed("tpe-untried", self.label, trial, seed=self.seed))
            return untried[int(pick.integers(len(untried)))]
        return config

    def _study(self, history: list[Trial], seed: int) -> Any:
        """A fresh study with a sampler seeded by ``seed``, holding the finished trials in order."""
        optuna = self.optuna
        study = optuna.create_study(
            direction="maximize" if self.maximize else "minimize",
            sampler=optuna.samplers.TPESampler(seed=seed),
        )
        for past in history:
            state = (
                optuna.trial.TrialState.COMPLETE if past.score is not None else optuna.trial.TrialState.FAIL
            )
            study.add_trial(
                optuna.trial.create_trial(
                    params=past.config, distributions=self.distributions, value=past.score, state=state
                )
            )
        return study


def make_sampler(name: str, space: Mapping[str, Space], seed: int, label: str, *, maximize: bool) -> Sampler:
    """The sampler called ``name`` over ``space`` (``label`` names the search in seeds and errors)."""
    if name == "grid":
        return GridSampler(space, seed, label)
    if name == "random":
        return RandomSampler(space, seed, label)
    if name == "tpe":
        return TPESampler(space, seed, label, maximize=maximize)
    raise PlanError(f"unknown sampler {name!r}")
