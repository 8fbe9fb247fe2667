"""Exceptions with messages meant for users: what was wrong and how to fix it."""

from __future__ import annotations

# The root lives with the runner SDK, the bottom layer, which raises errors of its own.
from omnirec_core.runner.errors import ConfigError, OmniRecError

__all__ = ["ConfigError", "DataError", "DownloadError", "OmniRecError", "PluginError", "SplitError"]


class DataError(OmniRecError, ValueError):
    """Bad input data: missing column, NaN ids, empty dataset, corrupt file..."""


class SplitError(OmniRecError, ValueError):
    """A split cannot be made as asked (sizes out of range, too few interactions...)."""


class PluginError(OmniRecError):
    """A plugin clash or a lookup of something no plugin provides."""


class DownloadError(OmniRecError):
    """A dataset could not be fetched from any source, or failed its checksum."""
