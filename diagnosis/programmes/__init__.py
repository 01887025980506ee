"""Diagnosis programmes: a named roster of firms, invitations and reminders, targets and the 台账.
The blueprint is made in views.py, so importing this package's services never loads its views."""
