"""The root of omnirec's exceptions, and the ones the runner SDK raises.

They live at the bottom of the layers because the runner SDK (which imports nothing
else of omnirec_core) raises them; :mod:`omnirec_core.errors` builds on this root.
"""

from __future__ import annotations


class OmniRecError(Exception):
    """Base class for every error omnirec raises on purpose.

    The message is complete on its own (the problem and the fix), so the CLI prints it
    without a traceback and the coordinator turns it into ``SystemExit``.
    """


class ConfigError(OmniRecError, ValueError):
    """A config key or value the algorithm does not accept; the message lists the valid keys."""


class ColumnFileError(OmniRecError, ValueError):
    """A column file is missing, altered, or not what its description says."""


class ProtocolError(OmniRecError):
    """Bytes from the peer that are not a valid frame or message (or cannot be sent)."""


class ConnectionClosed(ProtocolError):
    """The peer closed the connection cleanly between frames."""
