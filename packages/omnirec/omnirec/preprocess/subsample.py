"""``omnirec.preprocess.subsample``: ``Subsample(sample_size)`` as in OmniRec.

An int is a number of interactions, a float a fraction (seeded by the global seed, as in
omnirec: the sample is not the one OmniRec's pandas sampling drew).
"""

from __future__ import annotations

from omnirec._params import either
from omnirec_core.preprocess.steps import Subsample as _Subsample


class Subsample(_Subsample):
    """A seeded random sample: ``sample_size`` interactions (int) or that fraction (float)."""

    def __init__(
        self, sample_size: int | float | None = None, *, n: int | None = None, frac: float | None = None
    ) -> None:
        super().__init__(either("Subsample", "sample_size", sample_size, "n", n), frac)


__all__ = ["Subsample"]
