"""The plugin manager and its typed facade.

Everything pluggable goes through here; no other module calls ``pm.hook`` directly.
Built-ins register first, then entry points of the ``omnirec`` group. A plugin that
fails to import (or whose hook raises) is reported and skipped; two plugins providing
the same name is an error naming both distributions. ``OMNIREC_DISABLE_PLUGINS``
(comma separated entry-point names) blocks plugins.
"""

from __future__ import annotations

import difflib
import importlib
import logging
import os
from dataclasses import dataclass
from importlib.metadata import entry_points
from typing import Any, Generic, TypeVar

import pluggy

from omnirec_core import hookspecs
from omnirec_core.errors import PluginError
from omnirec_core.specs import DatasetSpec, MetricSpec, RunnerSpec, SplitterSpec

log = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "omnirec"
DISABLE_ENV = "OMNIREC_DISABLE_PLUGINS"
CORE_DIST = "omnirec-core"
BUILTINS: tuple[tuple[str, str], ...] = (
    ("builtin-datasets", "omnirec_core.data.registry"),
    ("builtin-splitters", "omnirec_core.splits"),
    ("builtin-metrics", "omnirec_core.metrics.plugin"),
)

S = TypeVar("S")


@dataclass(frozen=True)
class Provided(Generic[S]):
    """A spec together with the plugin and distribution that provided it."""

    spec: S
    plugin: str
    distribution: str


@dataclass(frozen=True)
class PluginProblem:
    """A plugin that was skipped, and why."""

    plugin: str
    distribution: str
    error: str


class PluginManager:
    """Loads plugins once and answers typed questions about what they provide."""

    def __init__(self, *, load_entry_points: bool = True, disabled: set[str] | None = None):
        self._pm = pluggy.PluginManager(hookspecs.PROJECT)
        self._pm.add_hookspecs(hookspecs)
        self._dist: dict[str, str] = {}
        self.problems: list[PluginProblem] = []
        if disabled is None:
            raw = os.environ.get(DISABLE_ENV, "")
            disabled = {p.strip() for p in raw.split(",") if p.strip()}
        self.disabled = disabled
        for name, module in BUILTINS:
            if name not in disabled:
                self.register(importlib.import_module(module), name, CORE_DIST)
        if load_entry_points:
            self._load_entry_points()
        self._cache: dict[str, dict[str, Provided[Any]]] = {}

    def register(self, plugin: object, name: str, distribution: str = "?") -> None:
        """Register a plugin object (module or instance with hookimpls)."""
        if name in self.disabled:
            return
        if self._pm.has_plugin(name):
            raise PluginError(
                f"two plugins are both named {name!r} (from {self._dist[name]} and "
                f"{distribution}); uninstall one of them or disable it with "
                f"{DISABLE_ENV}={name}"
            )
        self._pm.register(plugin, name=name)
        self._dist[name] = distribution
        self._cache = {}

    def _load_entry_points(self) -> None:
        for ep in entry_points(group=ENTRY_POINT_GROUP):
            dist = ep.dist.name if ep.dist is not None else "?"
            if ep.name in self.disabled:
                continue
            try:
                plugin = ep.load()
            except Exception as exc:  # a broken plugin must not break the others
                self._problem(ep.name, dist, f"failed to import: {type(exc).__name__}: {exc}")
                continue
            try:
                self.register(plugin, ep.name, dist)
            except (pluggy.PluginValidationError, ValueError) as exc:
                # A hook with a wrong signature (or the same module under two names).
                # pluggy may have kept the hooks it saw before the bad one: drop them all.
                if self._pm.has_plugin(ep.name):
                    self._pm.unregister(name=ep.name)
                msg = " ".join(str(exc).split())
                self._problem(ep.name, dist, f"invalid plugin: {msg}")

    def _problem(self, plugin: str, dist: str, error: str) -> None:
        self.problems.append(PluginProblem(plugin, dist, error))
        log.warning("omnirec plugin %r (%s) skipped: %s", plugin, dist, error)

    def _collect(self, hook: str, kind: type) -> dict[str, Provided[Any]]:
        if hook in self._cache:
            return self._cache[hook]
        found: dict[str, Provided[Any]] = {}
        # Call each implementation alone so one failing plugin is attributable and skippable.
        for impl in reversed(getattr(self._pm.hook, hook).get_hookimpls()):
            name = impl.plugin_name
            dist = self._dist.get(name, "?")
            try:
                specs = list(impl.function() or [])
            except Exception as exc:
                self._problem(name, dist, f"hook {hook} raised {type(exc).__name__}: {exc}")
                continue
            for spec in specs:
                if not isinstance(spec, kind):
                    self._problem(name, dist, f"hook {hook} returned {spec!r}, not a {kind.__name__}")
                    continue
                if spec.name in found:
                    other = found[spec.name]
                    raise PluginError(
                        f"{kind.__name__.replace('Spec', '').lower()} {spec.name!r} is provided by "
                        f"both {other.distribution} (plugin {other.plugin!r}) and {dist} "
                        f"(plugin {name!r}); uninstall one or set {DISABLE_ENV}={name}"
                    )
                found[spec.name] = Provided(spec, name, dist)
        self._cache[hook] = found
        return found

    def datasets(self) -> dict[str, Provided[DatasetSpec]]:
        return self._collect("omnirec_datasets", DatasetSpec)

    def splitters(self) -> dict[str, Provided[SplitterSpec]]:
        return self._collect("omnirec_splitters", SplitterSpec)

    def metrics(self) -> dict[str, Provided[MetricSpec]]:
        return self._collect("omnirec_metrics", MetricSpec)

    def runners(self) -> dict[str, Provided[RunnerSpec]]:
        return self._collect("omnirec_runners", RunnerSpec)

    def plugin_names(self) -> dict[str, str]:
        """Registered plugin name -> distribution."""
        return dict(self._dist)


_manager: PluginManager | None = None


def get_plugin_manager() -> PluginManager:
    """The process-wide plugin manager, loaded on first use."""
    global _manager
    if _manager is None:
        _manager = PluginManager()
    return _manager


def reset_plugins(manager: PluginManager | None = None) -> None:
    """Drop the cached manager (tests, or after installing a plugin at run time)."""
    global _manager
    _manager = manager


def _lookup(kind: str, table: dict[str, Provided[S]], name: str) -> S:
    if name in table:
        return table[name].spec
    lowered = {k.lower(): k for k in table}
    if name.lower() in lowered:
        return table[lowered[name.lower()]].spec
    close = difflib.get_close_matches(name, list(table), n=3)
    hint = f" Did you mean {', '.join(repr(c) for c in close)}?" if close else ""
    known = ", ".join(sorted(table)) or "none"
    raise PluginError(f"unknown {kind} {name!r}.{hint} Known {kind}s: {known}.")


def get_datasets() -> dict[str, DatasetSpec]:
    """Every registered dataset by name."""
    return {k: v.spec for k, v in get_plugin_manager().datasets().items()}


def get_dataset(name: str) -> DatasetSpec:
    """The dataset called ``name`` (also matched by alias), or a clear error."""
    table = get_plugin_manager().datasets()
    for provided in table.values():
        if name in provided.spec.aliases:
            return provided.spec
    return _lookup("dataset", table, name)


def get_splitters() -> dict[str, SplitterSpec]:
    """Every registered splitter by name."""
    return {k: v.spec for k, v in get_plugin_manager().splitters().items()}


def get_splitter(name: str) -> SplitterSpec:
    return _lookup("splitter", get_plugin_manager().splitters(), name)


def get_metrics() -> dict[str, MetricSpec]:
    """Every registered metric by name."""
    return {k: v.spec for k, v in get_plugin_manager().metrics().items()}


def get_metric(name: str) -> MetricSpec:
    return _lookup("metric", get_plugin_manager().metrics(), name)


def get_runners() -> dict[str, RunnerSpec]:
    """Every registered runner by name."""
    return {k: v.spec for k, v in get_plugin_manager().runners().items()}


def get_runner(name: str) -> RunnerSpec:
    return _lookup("runner", get_plugin_manager().runners(), name)


def lookup(table: dict[str, S], kind: str, name: str) -> S:
    """Generic lookup with close-match suggestions over any name -> value mapping."""
    return _lookup(kind, {k: Provided(v, "", "") for k, v in table.items()}, name)


__all__: list[str] = [
    "ENTRY_POINT_GROUP",
    "PluginManager",
    "PluginProblem",
    "Provided",
    "get_dataset",
    "get_datasets",
    "get_metric",
    "get_metrics",
    "get_plugin_manager",
    "get_runner",
    "get_runners",
    "get_splitter",
    "get_splitters",
    "lookup",
    "reset_plugins",
]

