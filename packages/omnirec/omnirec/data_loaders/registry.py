"""``omnirec.data_loaders.registry``: the registered dataset names.

OmniRec registered loader classes here (``register_dataloader``); omnirec registers
datasets through plugins instead (a ``DatasetSpec`` from the ``omnirec_datasets`` hook,
see ``docs/datasets.md``).
"""

from __future__ import annotations

from omnirec_core.plugin.manager import get_datasets


def list_datasets() -> list[str]:
    """The names of every registered dataset (their aliases, OmniRec's names among them, resolve too)."""
    return sorted(get_datasets())


__all__ = ["list_datasets"]
