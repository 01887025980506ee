"""In-app notifications (the bell) and each user's message settings."""
from flask import Blueprint

bp = Blueprint("notifications", __name__, url_prefix="/notifications")

from . import views  # noqa: E402,F401
