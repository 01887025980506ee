"""Consultants' workspace, firm histories and offline imports of answers."""
# The blueprint is made in views.py, so importing this package's services never loads its views.
