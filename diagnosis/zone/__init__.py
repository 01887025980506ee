"""Zone staff's pages: dashboard, firm lists behind each figure, exports, zone report,
consultant assignments and the audit log."""
from flask import Blueprint

bp = Blueprint("zone", __name__, url_prefix="/zone")

from . import sample_views, views  # noqa: E402,F401
