from flask import Blueprint

bp = Blueprint("assessments", __name__, url_prefix="/assessments")

from . import views  # noqa: E402,F401
