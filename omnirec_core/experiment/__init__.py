"""What to run: experiment plans with their search spaces, and run files (TOML)."""
