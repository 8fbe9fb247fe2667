"""``omnirec datasets`` and ``omnirec data ...`` (placeholder)."""

from __future__ import annotations

import click


@click.command("datasets")
def datasets_cmd() -> None:
    """List registered datasets."""


@click.group("data")
def data_group() -> None:
    """Inspect datasets."""
