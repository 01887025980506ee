"""Extension objects, created unbound and attached in the application factory."""
from flask_babel import Babel
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    pass


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()

from flask_limiter import Limiter  # noqa: E402
from flask_limiter.util import get_remote_address  # noqa: E402

from . import ratelimit  # noqa: E402,F401  (registers the sqlite:// storage with `limits`)

# Limits are declared where they apply (login, registration, the API); none by default.
limiter = Limiter(key_func=get_remote_address, default_limits=[])
