"""Consultants' workspace and firm histories."""
from flask import Blueprint

bp = Blueprint("workspace", __name__)

from . import views  # noqa: E402,F401
