"""Exceptions with messages meant for users: what was wrong and how to fix it."""

from __future__ import annotations


class OmniRecError(Exception):
    """Base class for every error omnirec raises on purpose.

    The message is complete on its own (the problem and the fix), so the CLI prints it
    without a traceback and the coordinator turns it into ``SystemExit``.
    """


class DataError(OmniRecError, ValueError):
    """Bad input data: missing column, NaN ids, empty dataset, corrupt file..."""


class SplitError(OmniRecError, ValueError):
    """A split cannot be made as asked (sizes out of range, too few interactions...)."""


class PluginError(OmniRecError):
    """A plugin clash or a lookup of something no plugin provides."""


class DownloadError(OmniRecError):
    """A dataset could not be fetched from any source, or failed its checksum."""
