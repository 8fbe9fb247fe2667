"""``Pipe``: preprocessing steps applied in order, optionally ending in a splitter."""

from __future__ import annotations

from typing import Any

from omnirec_core.data.dataset import RecSysDataSet
from omnirec_core.data.step import Step
from omnirec_core.errors import DataError


class Pipe(Step):
    """Apply ``steps`` in order: ``Pipe(MakeImplicit(3), CorePruning(5), UserHoldout(0.2))``.

    Each element is a :class:`Step` (or any object with a ``process(dataset)`` method);
    a splitter may only be the last one. Each step appends its own lineage entry.
    """

    def __init__(self, *steps: Any) -> None:
        if len(steps) == 1 and isinstance(steps[0], (list, tuple)):
            steps = tuple(steps[0])
        if not steps:
            raise DataError("Pipe needs at least one step, e.g. Pipe(CorePruning(5))")
        for pos, step in enumerate(steps):
            if isinstance(step, type):
                raise DataError(
                    f"Pipe step {pos + 1} is the class {step.__name__}, not a step; "
                    f"create it: {step.__name__}(...)"
                )
            if not callable(getattr(step, "process", None)):
                raise DataError(
                    f"Pipe step {pos + 1} ({step!r}) has no process(dataset) method; "
                    "pass preprocessing steps or a splitter"
                )
            if getattr(step, "final", False) and pos != len(steps) - 1:
                raise DataError(
                    f"{step!r} splits the data, so it must be the last step of the Pipe "
                    f"(it is step {pos + 1} of {len(steps)}); move it to the end"
                )
        self.steps: tuple[Any, ...] = tuple(steps)

    @property
    def final(self) -> bool:  # type: ignore[override]
        return bool(getattr(self.steps[-1], "final", False))

    def params(self) -> dict[str, Any]:
        return {
            "steps": [
                {"step": getattr(s, "name", type(s).__name__), "params": s.params()}
                if callable(getattr(s, "params", None))
                else {"step": type(s).__name__}
                for s in self.steps
            ]
        }

    def process(self, dataset: RecSysDataSet[Any]) -> RecSysDataSet[Any]:
        for step in self.steps:
            dataset = step.process(dataset)
        return dataset

    def __len__(self) -> int:
        return len(self.steps)

    def __repr__(self) -> str:
        return f"Pipe({', '.join(map(repr, self.steps))})"
