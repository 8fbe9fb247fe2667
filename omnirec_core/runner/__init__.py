"""The runner SDK: everything a framework's worker imports inside its own env.

Imports only the stdlib, numpy and msgpack, and nothing else of omnirec_core, so every
runner env can run it: ``api`` (the handler interface and requests), ``wire`` (framing
and message schema), ``serve`` (connect back, serve requests), ``fs`` (crash-safe files),
``reuse`` (data prepared from a split, kept for the next job on it).
"""

from omnirec_core.runner.api import (
    ConfigError,
    FitRequest,
    Handler,
    Interactions,
    Prediction,
    PredictRequest,
    cpu_threads,
)
from omnirec_core.runner.columns import COLUMN_DTYPES, ColumnFileError, read_columns, write_columns
from omnirec_core.runner.reuse import PreparedCache
from omnirec_core.runner.serve import Session, log, main, served_prediction
from omnirec_core.runner.topk import UserIndex, batches, topk_from_scores

__all__ = [
    "COLUMN_DTYPES",
    "ColumnFileError",
    "ConfigError",
    "FitRequest",
    "Handler",
    "Interactions",
    "PredictRequest",
    "Prediction",
    "PreparedCache",
    "Session",
    "UserIndex",
    "batches",
    "cpu_threads",
    "log",
    "main",
    "read_columns",
    "served_prediction",
    "topk_from_scores",
    "write_columns",
]
