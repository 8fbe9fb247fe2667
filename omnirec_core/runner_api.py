"""Old import path of the runner SDK (:mod:`omnirec_core.runner`), kept for one minor release."""

import importlib
import warnings

globals().update(
    {k: v for k, v in vars(importlib.import_module("omnirec_core.runner")).items() if not k.startswith("__")}
)
warnings.warn(
    "omnirec_core.runner_api moved to omnirec_core.runner; the old path goes away in the next minor release",
    DeprecationWarning,
    stacklevel=2,
)
