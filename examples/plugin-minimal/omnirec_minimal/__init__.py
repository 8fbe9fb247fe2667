"""omnirec-minimal: the smallest complete third-party runner plugin."""
