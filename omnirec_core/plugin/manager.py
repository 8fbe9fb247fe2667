"""The plugin manager and its typed facade.

Everything pluggable goes through here; no other module calls ``pm.hook`` directly.
Plugins come from the ``omnirec`` entry-point group; omnirec-core's own built-ins are
entry points of its own distribution and are registered first. A plugin that fails to
import (or whose hook raises) is reported and skipped; two plugins providing the same
name is an error naming both distributions. ``OMNIREC_DISABLE_PLUGINS`` (comma separated
entry-point names) blocks plugins.

Hooks are called through pluggy, one plugin at a time (``subset_hook_caller``), so each
result is attributed to its plugin and a failing plugin is skipped alone; pluggy passes
each implementation only the arguments it declares, so hooks can gain arguments.
"""

from __future__ import annotations

import difflib
import logging
import os
from collections.abc import Iterator
from dataclasses import dataclass
from importlib.metadata import EntryPoint, entry_points
from typing import Any, Generic, TypeVar

import pluggy

from omnirec_core.errors import PluginError
from omnirec_core.plugin import hookspecs
from omnirec_core.plugin.specs import DatasetSpec, MetricSpec, RunnerSpec, SplitterSpec

log = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "omnirec"
DISABLE_ENV = "OMNIREC_DISABLE_PLUGINS"
CORE_DIST = "omnirec-core"
#: omnirec-core's own entry points (``pyproject.toml``); each names a module of ``builtin/``.
BUILTIN_NAMES = ("builtin-datasets", "builtin-splitters", "builtin-metrics")

S = TypeVar("S")
Spec = DatasetSpec | SplitterSpec | MetricSpec | RunnerSpec


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


def _dist_name(ep: EntryPoint) -> str:
    return ep.dist.name if ep.dist is not None else "?"


class PluginManager:
    """Loads plugins once and answers typed questions about what they provide.

    ``load_entry_points=False`` registers omnirec-core's built-ins only (no third party).
    """

    def __init__(self, *, load_entry_points: bool = True, disabled: set[str] | None = None):
        self._pm = pluggy.PluginManager(hookspecs.PROJECT)
        self._pm.add_hookspecs(hookspecs)
        self._dist: dict[str, str] = {}
        self.problems: list[PluginProblem] = []
        if disabled is None:
            raw = os.environ.get(DISABLE_ENV, "")
            disabled = {p.strip() for p in raw.split(",") if p.strip()}
        self.disabled = disabled
        self._cache: dict[str, dict[str, Provided[Any]]] = {}
        found = list(entry_points(group=ENTRY_POINT_GROUP))
        core = [ep for ep in found if _dist_name(ep) == CORE_DIST]
        missing = set(BUILTIN_NAMES) - {ep.name for ep in core}
        if missing:
            raise PluginError(
                f"omnirec-core's built-in plugins ({', '.join(sorted(missing))}) are not in its installed "
                "metadata, so no datasets, splitters or metrics would exist; reinstall omnirec-core "
                "(from a source checkout: pip install -e .)"
            )
        for ep in core:
            self._load(ep)
        if load_entry_points:
            for ep in found:
                if _dist_name(ep) != CORE_DIST:
                    self._load(ep)

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

    def _load(self, ep: EntryPoint) -> None:
        dist = _dist_name(ep)
        if ep.name in self.disabled:
            return
        try:
            plugin = ep.load()
        except Exception as exc:  # a broken plugin must not break the others
            self._problem(ep.name, dist, f"failed to import: {type(exc).__name__}: {exc}")
            return
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

    def call_each(self, hook: str, **kwargs: Any) -> Iterator[tuple[str, list[Any]]]:
        """Call ``hook`` through pluggy for each plugin alone, in registration order.

        Yields ``(plugin name, the records it returned)``; a plugin whose implementation
        raises is reported in :attr:`problems` and skipped.
        """
        impls = getattr(self._pm.hook, hook).get_hookimpls()
        for impl in reversed(impls):  # pluggy calls last-registered first; keep ours first
            name = impl.plugin_name
            others = [p for n, p in self._pm.list_name_plugin() if n != name]
            caller = self._pm.subset_hook_caller(hook, remove_plugins=others)
            try:
                results = caller(**kwargs)
            except Exception as exc:
                self._problem(
                    name, self._dist.get(name, "?"), f"hook {hook} raised {type(exc).__name__}: {exc}"
                )
                continue
            yield name, [record for result in results for record in (result or [])]

    def _collect(self, hook: str, kind: type[Spec]) -> dict[str, Provided[Any]]:
        if hook in self._cache:
            return self._cache[hook]
        found: dict[str, Provided[Any]] = {}
        for name, specs in self.call_each(hook):
            dist = self._dist.get(name, "?")
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


#: The runners omnirec itself publishes, by lower-case name: (runner, distribution,
#: entry-point name). A missing one gets an error that says what to install.
OUR_RUNNERS: dict[str, tuple[str, str, str]] = {
    "lenskit": ("LensKit", "omnirec-lenskit", "lenskit"),
    "recbole": ("RecBole", "omnirec-recbole", "recbole"),
    "recpack": ("RecPack", "omnirec-recpack", "recpack"),
    "implicit": ("implicit", "omnirec-implicit", "implicit"),
    "cornac": ("Cornac", "omnirec-cornac", "cornac"),
}
#: The runners the ``omnirec`` distribution (batteries included) brings along.
BATTERIES = ("lenskit", "recbole", "recpack")


def missing_runner(manager: PluginManager, name: str) -> str | None:
    """Why one of our own runners is not registered, and what to do; None for other names."""
    known = OUR_RUNNERS.get(name.lower())
    if known is None:
        return None
    runner, dist, entry = known
    if entry in manager.disabled:
        return (
            f"runner {runner!r} is disabled: {DISABLE_ENV} names {entry!r}; "
            f"remove it from {DISABLE_ENV} to use {runner}"
        )
    for problem in manager.problems:
        if problem.plugin == entry or problem.distribution == dist:
            return f"runner {runner!r} comes from {dist}, which is installed but was skipped: {problem.error}"
    batteries = (
        ", or the omnirec distribution, which brings LensKit, RecBole and RecPack together "
        "(pip install ./packages/omnirec)"
        if name.lower() in BATTERIES
        else ""
    )
    return (
        f"runner {runner!r} is not installed: it comes with the {dist} distribution. Install "
        f"{dist} (from a source checkout: pip install -e plugins/{dist}){batteries}."
    )


def get_runner(name: str) -> RunnerSpec:
    """The runner called ``name`` (any case), or an error that says what to install."""
    manager = get_plugin_manager()
    try:
        return _lookup("runner", manager.runners(), name)
    except PluginError:
        hint = missing_runner(manager, name)
        if hint is None:
            raise
        raise PluginError(hint) from None


def lookup(table: dict[str, S], kind: str, name: str) -> S:
    """Generic lookup with close-match suggestions over any name -> value mapping."""
    return _lookup(kind, {k: Provided(v, "", "") for k, v in table.items()}, name)


__all__: list[str] = [
    "BATTERIES",
    "ENTRY_POINT_GROUP",
    "OUR_RUNNERS",
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
    "missing_runner",
    "reset_plugins",
]
