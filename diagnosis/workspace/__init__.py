"""Consultants' workspace, firm histories and offline imports of answers."""
from flask import Blueprint

bp = Blueprint("workspace", __name__)

from . import views  # noqa: E402,F401
