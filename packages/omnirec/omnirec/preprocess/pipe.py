"""``omnirec.preprocess.pipe``: OmniRec's path of :class:`omnirec_core.preprocess.pipe.Pipe`."""

from omnirec_core.preprocess.pipe import Pipe

__all__ = ["Pipe"]
