"""Home, language switch, health check and shared assets."""
# The blueprint is made in views.py, so importing this package's services never loads its views.
