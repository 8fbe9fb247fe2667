"""``omnirec.preprocess``: OmniRec's paths of the preprocessing steps and splitters.

:mod:`.pipe` (``Pipe``), :mod:`.feedback_conversion` (``MakeImplicit``),
:mod:`.core_pruning` (``CorePruning``), :mod:`.subsample` (``Subsample``), :mod:`.filter`
(``TimeFilter``, ``RatingFilter``) and :mod:`.split` (holdouts and cross-validation). Each
accepts OmniRec's parameter names and order and runs omnirec's implementation.
"""
