"""Every hook is documented and exercised (datasette-style): its docstring says what it
takes, what it returns and shows an example, the plugin guide names it, and a plugin
implementing it gets its records back through the manager, attributed to that plugin."""

from __future__ import annotations

import inspect
from pathlib import Path

import pytest

from omnirec_core.plugin import hookspecs
from omnirec_core.plugin.manager import PluginManager
from omnirec_core.plugin.specs import AlgorithmSpec, DatasetSpec, MetricSpec, RunnerSpec, SplitterSpec

ROOT = Path(__file__).resolve().parents[1]
HOOKS = sorted(name for name, fn in vars(hookspecs).items() if name.startswith("omnirec_") and callable(fn))
#: What each hook's records look like, and the manager method that collects them.
RECORDS = {
    "omnirec_datasets": (DatasetSpec("probe-data", load=lambda raw, force: None), "datasets"),
    "omnirec_splitters": (SplitterSpec("ProbeSplit", factory=object), "splitters"),
    "omnirec_metrics": (MetricSpec("ProbeMetric", factory=object), "metrics"),
    "omnirec_runners": (
        RunnerSpec("Probe", algorithms=(AlgorithmSpec("A", params=()),), worker_module="probe.worker"),
        "runners",
    ),
}


def test_the_hook_list_is_the_one_this_test_knows() -> None:
    assert sorted(RECORDS) == HOOKS


@pytest.mark.parametrize("hook", HOOKS)
def test_hook_is_documented(hook: str) -> None:
    doc = inspect.getdoc(getattr(hookspecs, hook)) or ""
    for section in ("Parameters:", "Returns:", "Example::", "@hookimpl"):
        assert section in doc, f"{hook} docstring lacks {section!r}"
    assert hook in (ROOT / "docs" / "plugin-guide.md").read_text(), (
        f"docs/plugin-guide.md does not mention {hook}"
    )


@pytest.mark.parametrize("hook", HOOKS)
def test_hook_is_exercised_through_the_manager(hook: str) -> None:
    record, method = RECORDS[hook]

    class Probe:
        pass

    setattr(Probe, hook, staticmethod(hookspecs.hookimpl(lambda: [record])))
    pm = PluginManager(load_entry_points=False)
    pm.register(Probe(), "probe", "omnirec-probe")
    provided = getattr(pm, method)()[record.name]
    assert provided.spec is record
    assert (provided.plugin, provided.distribution) == ("probe", "omnirec-probe")


def test_a_raising_hook_is_skipped_alone_and_reported() -> None:
    class Broken:
        @hookspecs.hookimpl
        def omnirec_metrics(self) -> list[MetricSpec]:
            raise RuntimeError("boom")

    pm = PluginManager(load_entry_points=False)
    pm.register(Broken(), "broken", "omnirec-broken")
    assert "NDCG" in pm.metrics()  # the built-ins still answer
    assert [(p.plugin, "boom" in p.error) for p in pm.problems] == [("broken", True)]
