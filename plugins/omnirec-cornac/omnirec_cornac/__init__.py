"""omnirec runner plugin for Cornac.

``plugin`` declares the runner in the user's environment; ``worker`` runs inside the
runner env where Cornac is installed; ``algorithms`` is the plain-data table both share.
"""
