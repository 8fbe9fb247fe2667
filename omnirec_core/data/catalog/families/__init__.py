"""One module per dataset family; each exposes ``ENTRIES``, a tuple of catalogue entries."""
