"""REST API for integrators under /api/v1: bearer tokens, the web app's scoping, JSON errors."""
from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api/v1")

from . import review, views  # noqa: E402,F401
