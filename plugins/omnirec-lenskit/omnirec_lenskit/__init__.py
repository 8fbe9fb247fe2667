"""omnirec runner plugin for LensKit.

``plugin`` declares the runner in the user's environment; ``worker`` runs inside the
runner's own virtualenv, where LensKit is installed.
"""
