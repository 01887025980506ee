"""Diagnosis service providers (诊断服务商): the zone's 服务商库, their consultants and firms."""
from flask import Blueprint

bp = Blueprint("providers", __name__, url_prefix="/providers")

from . import views  # noqa: E402,F401
