"""Scoring predictions: metrics, the Evaluator, per-job results, comparisons and tables."""
