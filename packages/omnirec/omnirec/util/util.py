"""``omnirec.util.util``: the global seed, as in OmniRec (default 42)."""

from omnirec_core.random import get_random_state, set_random_state

__all__ = ["get_random_state", "set_random_state"]
