"""Zone staff's pages: dashboard, firm lists behind each figure, exports, zone report,
consultant assignments and the audit log."""
# The blueprint is made in views.py, so importing this package's services never loads its views.
