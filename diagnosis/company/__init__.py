from flask import Blueprint

bp = Blueprint("company", __name__, url_prefix="/company")

from . import views  # noqa: E402,F401
