from flask import Blueprint

bp = Blueprint("batches", __name__, url_prefix="/reports/batches")

from . import views  # noqa: E402,F401
