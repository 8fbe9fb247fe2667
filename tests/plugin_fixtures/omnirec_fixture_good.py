"""A well-behaved third-party plugin: one dataset and one splitter."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from omnirec_core.plugin.hookspecs import hookimpl
from omnirec_core.plugin.specs import DatasetSpec, SplitterSpec


def load_clicks(data_dir: Path, force_download: bool = False) -> pd.DataFrame:
    return pd.DataFrame({"user": ["ann", "bob", "ann"], "item": ["x", "x", "y"]})


class EveryOther:
    """Puts every other interaction into the test set."""

    def __call__(self, df: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
        return df.iloc[::2], df.iloc[1::2]


@hookimpl
def omnirec_datasets() -> list[DatasetSpec]:
    return [
        DatasetSpec(
            "fixture-clicks", load_clicks, description="three clicks", source="generated", feedback="implicit"
        )
    ]


@hookimpl
def omnirec_splitters() -> list[SplitterSpec]:
    return [SplitterSpec("fixture-every-other", EveryOther, description="every other row")]
