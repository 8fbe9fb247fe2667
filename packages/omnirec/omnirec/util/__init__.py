"""``omnirec.util``: :func:`.run.run_omnirec` and the global seed (:mod:`.util`)."""
