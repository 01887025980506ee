"""In-app notifications (the bell) and each user's message settings."""
# The blueprint is made in views.py, so importing this package's services never loads its views.
