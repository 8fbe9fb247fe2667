"""Metrics (placeholder)."""
