"""Taking a parameter under OmniRec's name or omnirec's."""

from __future__ import annotations

from typing import Any

from omnirec_core.errors import DataError


def either(step: str, old: str, old_value: Any, new: str, new_value: Any, default: Any = None) -> Any:
    """The value given as ``old`` (OmniRec's name) or ``new`` (omnirec's), not both."""
    if old_value is not None and new_value is not None:
        raise DataError(f"{step}: {old} and {new} name the same parameter; give one of them")
    if old_value is not None:
        return old_value
    return default if new_value is None else new_value
