"""Checks shared by the runner plugins' spec tests: docs rows and search spaces built from
the declared params, and a bad config refused by the coordinator's validation."""

from __future__ import annotations

import json
import re
from typing import Any

import numpy as np
import pytest

from omnirec_core.experiment.spaces import decode_space
from omnirec_core.plugin.specs import NO_DEFAULT


def doc_value(value: object) -> str:
    """A default as the docs write it: floats as Python writes them, the rest as JSON."""
    return repr(value) if isinstance(value, float) else json.dumps(value)


def docs_row(algo: Any) -> str:
    """The start of an algorithm's docs row: its name and every declared key."""
    cells = [
        (f"`{p.name}` (no default)" if p.default is NO_DEFAULT else f"`{p.name}={doc_value(p.default)}`")
        + f": {p.expects()}; {p.description}"
        for p in algo.declared
    ]
    return f"| `{algo.name}` | {'<br>'.join(cells) or 'none'} |"


def space_values(table: Any) -> list[Any]:
    """What a search-space table can produce: its choices, or its bounds and 200 draws."""
    space = decode_space("search_space", table)
    choices = space.choices()
    if choices is not None:
        return list(choices)
    draws = [space.sample(np.random.default_rng(seed)) for seed in range(200)]
    lo, hi = space.bounds()
    return [type(draws[0])(lo), type(draws[0])(hi), *draws]


def docs_search_spaces(text: str) -> dict[tuple[str, str], Any]:
    """The rows of the docs' "### Tuning" table (``| `algo` | `key` | `{"json": ..}` | source |``),
    each range decoded as a search space."""
    section = text.split("### Tuning", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| `(\w+)` \| `(\w+)` \| `(.+?)` \|", section, flags=re.MULTILINE)
    return {(a, k): decode_space("docs", json.loads(v)) for a, k, v in rows}


def assert_refused_at_validation(dataset: Any, name: str, config: dict, message: str) -> None:
    """``config`` for algorithm ``name`` is refused before any work with ``message``, and
    the same algorithm with its defaults is accepted."""
    from omnirec_core import NDCG, Evaluator, ExperimentPlan
    from omnirec_core.orchestration.validation import ValidationError, validate_run

    plan = ExperimentPlan()
    plan.add_algorithm(name, config)
    with pytest.raises(ValidationError) as err:
        validate_run([dataset], plan, Evaluator(NDCG([10])))
    assert message in str(err.value)
    plan = ExperimentPlan()
    plan.add_algorithm(name, {})  # the same algorithm with its defaults is fine
    validate_run([dataset], plan, Evaluator(NDCG([10])))
