"""Old import path of :mod:`omnirec_core.runner.serve`, kept for one minor release; import that instead."""

import importlib
import warnings

globals().update(
    {
        k: v
        for k, v in vars(importlib.import_module("omnirec_core.runner.serve")).items()
        if not k.startswith("__")
    }
)
warnings.warn(
    "omnirec_core.worker moved to omnirec_core.runner.serve; the old path goes away in the next minor release",
    DeprecationWarning,
    stacklevel=2,
)
