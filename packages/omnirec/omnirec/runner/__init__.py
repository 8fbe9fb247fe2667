"""``omnirec.runner``: OmniRec's paths of the Coordinator, ExperimentPlan, Evaluator and the
algorithm enums (:mod:`.algos`)."""
