"""RecBole runner for omnirec: RecBole's general recommenders in their own virtualenv."""
