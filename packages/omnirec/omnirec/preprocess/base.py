"""``omnirec.preprocess.base``: the step base class (OmniRec's ``Preprocessor``).

A step implements ``process(dataset)`` and ``params()`` (recorded in the dataset's lineage
and part of the cache keys); see ``docs/preprocessing.md``.
"""

from omnirec_core.data.step import Step
from omnirec_core.data.step import Step as Preprocessor

__all__ = ["Preprocessor", "Step"]
