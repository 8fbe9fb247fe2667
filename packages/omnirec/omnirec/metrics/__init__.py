"""``omnirec.metrics``: OmniRec's metric paths (:mod:`.ranking`, :mod:`.prediction`, :mod:`.base`)."""
