"""Diagnosis programmes: a named roster of firms, invitations and reminders, targets and the 台账."""
from flask import Blueprint

bp = Blueprint("programmes", __name__, url_prefix="/programmes")

from . import views  # noqa: E402,F401
