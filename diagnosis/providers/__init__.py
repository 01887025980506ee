"""Diagnosis service providers (诊断服务商): the zone's 服务商库, their consultants and firms."""
# The blueprint is made in views.py, so importing this package's services never loads its views.
