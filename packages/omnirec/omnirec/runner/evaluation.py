"""``omnirec.runner.evaluation``: OmniRec's path of :class:`omnirec_core.evaluation.evaluator.Evaluator`.

``Evaluator(*metrics)`` takes omnirec's metrics and metrics written OmniRec's way
(subclasses of :class:`omnirec.metrics.base.Metric`); ``get_tables()`` returns one rich
table per dataset.
"""

from omnirec_core.evaluation.evaluator import Evaluator

__all__ = ["Evaluator"]
