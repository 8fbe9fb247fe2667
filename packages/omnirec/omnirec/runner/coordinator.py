"""``omnirec.runner.coordinator``: OmniRec's path of :class:`omnirec_core.orchestration.coordinator.Coordinator`.

``Coordinator(checkpoint_dir="./checkpoints", tmp_dir=None)`` and
``run(datasets, config, evaluator) -> Evaluator`` work as OmniRec documents them. The
default runners (LensKit, RecBole, RecPack) are registered because the ``omnirec``
distribution installs their plugins; any other installed runner plugin is there too.
"""

from omnirec_core.orchestration.coordinator import Coordinator

__all__ = ["Coordinator"]
