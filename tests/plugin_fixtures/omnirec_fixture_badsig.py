"""A plugin with one valid hook and one taking an argument the hook spec does not offer."""

from __future__ import annotations

import pandas as pd

from omnirec_core.plugin.hookspecs import hookimpl
from omnirec_core.plugin.specs import DatasetSpec


@hookimpl
def omnirec_datasets() -> list[DatasetSpec]:
    return [DatasetSpec("fixture-half", lambda d, f: pd.DataFrame({"user": [1], "item": [1]}))]


@hookimpl
def omnirec_splitters(config) -> list:
    return []
