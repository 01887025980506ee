"""REST API for integrators under /api/v1: bearer tokens, the web app's scoping, JSON errors."""
# The blueprint is made in views.py, so importing this package's services never loads its views.
