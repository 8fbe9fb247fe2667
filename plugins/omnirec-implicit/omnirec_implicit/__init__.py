"""omnirec runner plugin for implicit.

``plugin`` declares the runner in the user's environment; ``worker`` runs inside the
runner env where implicit is installed; ``algorithms`` is the plain-data table both share.
"""
