"""Preprocessing steps (placeholder)."""
