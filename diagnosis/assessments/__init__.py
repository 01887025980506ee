"""A firm's assessments on the web: answering, review, result, comments, report."""
# The blueprint is made in views.py, so importing this package's services never loads its views.
