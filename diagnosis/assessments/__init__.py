from flask import Blueprint

bp = Blueprint("assessments", __name__, url_prefix="/assessments")

from . import review_views, views  # noqa: E402,F401
