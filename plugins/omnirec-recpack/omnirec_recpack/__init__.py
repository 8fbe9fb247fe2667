"""omnirec runner plugin for RecPack.

``plugin`` declares the runner in the user's environment; ``worker`` runs inside the
runner env where RecPack is installed; ``algorithms`` is the plain-data table both share.
"""
