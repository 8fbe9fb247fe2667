"""Every example run file loads and its plan and metrics validate (no data, no runner)."""

from __future__ import annotations

from pathlib import Path

import pytest

from omnirec_core.experiment.runfile import load_run_file
from omnirec_core.orchestration.validation import validate_plan

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted((ROOT / "examples").glob("*.toml"))


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_example_run_file_is_valid(path: Path) -> None:
    run = load_run_file(path)
    resolved = validate_plan(run.plan, run.build_evaluator())
    assert resolved and set(resolved) == set(run.plan.algorithms)


def test_the_tuned_example_gives_every_framework_the_same_budget() -> None:
    run = load_run_file(ROOT / "examples" / "ml100k-tuned.toml")
    assert run.plan.selection is not None and run.plan.selection.budget >= 10
    frameworks = {name.split(".")[0] for name in run.plan.algorithms}
    assert frameworks == {"LensKit", "RecPack", "RecBole"}
    assert run.split.get("val_size")
