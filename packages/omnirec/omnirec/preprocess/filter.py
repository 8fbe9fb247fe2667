"""``omnirec.preprocess.filter``: ``TimeFilter(start, end)`` and ``RatingFilter(lower, upper)`` as in OmniRec.

Both bounds are inclusive; times may be ``pd.Timestamp``s (as in OmniRec), datetimes,
ISO strings or epoch seconds.
"""

from __future__ import annotations

from omnirec._params import either
from omnirec_core.preprocess.steps import RatingFilter as _RatingFilter
from omnirec_core.preprocess.steps import TimeFilter


class RatingFilter(_RatingFilter):
    """Keep interactions with ``lower <= rating <= upper`` (OmniRec's names; ``min``/``max`` too)."""

    def __init__(
        self,
        lower: float | None = None,
        upper: float | None = None,
        *,
        min: float | None = None,
        max: float | None = None,
    ) -> None:
        super().__init__(
            either("RatingFilter", "lower", lower, "min", min),
            either("RatingFilter", "upper", upper, "max", max),
        )


__all__ = ["RatingFilter", "TimeFilter"]
