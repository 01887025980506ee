"""Report batches: every matching firm's report in one ZIP, built on the task queue."""
# The blueprint is made in views.py, so importing this package's services never loads its views.
