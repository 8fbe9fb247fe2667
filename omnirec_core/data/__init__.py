"""Datasets: the data model, canonicalisation, file format and loaders."""

from omnirec_core.data.dataset import (
    DatasetStats,
    FoldedData,
    RawData,
    RecSysDataSet,
    SplitData,
)

__all__ = ["DatasetStats", "FoldedData", "RawData", "RecSysDataSet", "SplitData"]
