"""A plugin that provides a dataset name another plugin already provides."""

from __future__ import annotations

import pandas as pd

from omnirec_core.plugin.hookspecs import hookimpl
from omnirec_core.plugin.specs import DatasetSpec


@hookimpl
def omnirec_datasets() -> list[DatasetSpec]:
    return [DatasetSpec("fixture-clicks", lambda d, f: pd.DataFrame({"user": [1], "item": [1]}))]
