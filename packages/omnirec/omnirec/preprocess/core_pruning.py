"""``omnirec.preprocess.core_pruning``: ``CorePruning(core)`` as in OmniRec.

``CorePruning(5)`` keeps only users and items with at least 5 interactions, pruning
until both hold; omnirec's ``user_core``/``item_core`` may also be given apart.
"""

from __future__ import annotations

from omnirec._params import either
from omnirec_core.preprocess.steps import CorePruning as _CorePruning


class CorePruning(_CorePruning):
    """Iterative k-core: ``core`` (OmniRec's name) for users and items alike."""

    def __init__(
        self, core: int | None = None, item_core: int | None = None, *, user_core: int | None = None
    ) -> None:
        super().__init__(either("CorePruning", "core", core, "user_core", user_core, 5), item_core)


__all__ = ["CorePruning"]
