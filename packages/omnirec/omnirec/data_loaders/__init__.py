"""``omnirec.data_loaders``: OmniRec's dataset names (:mod:`.datasets`) and :func:`.registry.list_datasets`."""
