"""Old import path of :mod:`omnirec_core.runner.wire`, kept for one minor release; import that instead."""

import importlib
import warnings

globals().update(
    {
        k: v
        for k, v in vars(importlib.import_module("omnirec_core.runner.wire")).items()
        if not k.startswith("__")
    }
)
warnings.warn(
    "omnirec_core.wire moved to omnirec_core.runner.wire; the old path goes away in the next minor release",
    DeprecationWarning,
    stacklevel=2,
)
