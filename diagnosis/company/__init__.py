"""A firm's own profile."""
# The blueprint is made in views.py, so importing this package's services never loads its views.
