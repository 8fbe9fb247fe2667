"""How results are keyed and labelled: canonical config JSON and row labels."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from omnirec_core.plugin.specs import canonical_config


def config_json(config: Mapping[str, Any] | str | None) -> str:
    """Canonical JSON of a config (sorted keys), the form results are keyed by."""
    if isinstance(config, str):
        try:
            parsed = json.loads(config)
        except ValueError:
            return json.dumps({"config": config})
        return canonical_config(dict(parsed or {}), compact=False)
    return canonical_config(dict(config or {}), compact=False)


def config_text(cfg: str) -> str:
    """``k=50, lr=0.01`` for display (a long float, as a tuner draws them, to 6 digits)."""
    return ", ".join(f"{k}={_short(v)}" for k, v in json.loads(cfg).items())


def _short(value: Any) -> str:
    return f"{value:.6g}" if isinstance(value, float) and len(repr(value)) > 8 else str(value)


def row_label(algorithm: str, cfg: str) -> str:
    text = config_text(cfg)
    return f"{algorithm} [{text}]" if text else algorithm
