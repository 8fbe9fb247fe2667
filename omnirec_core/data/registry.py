"""Built-in dataset plugin (placeholder until the registry lands)."""

from __future__ import annotations

from omnirec_core.hookspecs import hookimpl
from omnirec_core.specs import DatasetSpec


@hookimpl
def omnirec_datasets() -> list[DatasetSpec]:
    return []


def load_registered(name, raw_dir=None, canon_path=None, force_download=False, force_canonicalize=False):
    raise NotImplementedError
