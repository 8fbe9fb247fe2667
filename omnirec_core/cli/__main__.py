"""``python -m omnirec_core.cli`` is the ``omnirec`` command."""

from omnirec_core.cli import main

main()
