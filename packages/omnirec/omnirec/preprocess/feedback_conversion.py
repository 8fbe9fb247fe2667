"""``omnirec.preprocess.feedback_conversion``: ``MakeImplicit(threshold)`` as in OmniRec.

An int threshold keeps interactions rated at least that much. A float between 0 and 1 is,
as in OmniRec, a fraction of the rating scale: the cutoff is
``round((|max| + |min|) * threshold) - |min|`` of the dataset's ratings (``0.5`` on
MovieLens' 1-5 stars keeps ratings >= 2). The lineage records the cutoff used. Any other
number is a plain rating threshold, as in omnirec. Unlike OmniRec's, the step keeps the
timestamps.
"""

from __future__ import annotations

from typing import Any

from omnirec_core.data.dataset import RawData, RecSysDataSet
from omnirec_core.data.step import require_raw
from omnirec_core.preprocess.steps import MakeImplicit as _MakeImplicit


class MakeImplicit(_MakeImplicit):
    """Keep interactions rated at least ``threshold`` (a float in [0, 1]: a fraction of the scale)."""

    def __init__(self, threshold: int | float) -> None:
        super().__init__(threshold)
        self.fraction = isinstance(threshold, float) and 0.0 <= threshold <= 1.0

    def params(self) -> dict[str, Any]:
        return {**super().params(), **({"fraction_of_scale": True} if self.fraction else {})}

    def process(self, dataset: RecSysDataSet[Any]) -> RecSysDataSet[RawData]:
        if not self.fraction:
            return super().process(dataset)
        df = require_raw(dataset, self.name)
        if "rating" not in df.columns:
            return super().process(dataset)  # the core step says what is wrong
        low, high = abs(float(df["rating"].min())), abs(float(df["rating"].max()))
        return _MakeImplicit(round((high + low) * self.threshold) - low).process(dataset)


__all__ = ["MakeImplicit"]
