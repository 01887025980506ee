"""The diagnosis web application (Flask application factory)."""
from __future__ import annotations

from pathlib import Path

from flask import Flask, request, session
from flask_login import current_user

from . import config
from .extensions import babel, csrf, db, limiter, login_manager, migrate

MIGRATIONS = str(Path(__file__).parent / "migrations")


def create_app(overrides: dict | None = None) -> Flask:
    app = Flask(__name__, instance_relative_config=True)
    from .ids import IdConverter
    app.url_map.converters["int"] = IdConverter  # before any blueprint registers its routes
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    app.config.update(config.load(app.instance_path, overrides))
    from .inputs import JSONProvider, guard_flush
    app.json = JSONProvider(app)  # request bodies are depth-bounded
    app.json.ensure_ascii = False  # Chinese stays readable in JSON responses

    db.init_app(app)
    import sqlalchemy as sa
    if not sa.event.contains(sa.orm.Session, "before_flush", guard_flush):
        sa.event.listen(sa.orm.Session, "before_flush", guard_flush)  # no unstorable text reaches a table
    migrate.init_app(app, db, directory=MIGRATIONS, render_as_batch=True)
    csrf.init_app(app)
    limiter.init_app(app)
    if int(app.config.get("TRUSTED_PROXIES", 0)):
        from werkzeug.middleware.proxy_fix import ProxyFix
        # Behind nginx or a load balancer: take the client address from X-Forwarded-For.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=int(app.config["TRUSTED_PROXIES"]), x_proto=1)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = None
    babel.init_app(app, locale_selector=_locale)

    from . import models  # noqa: F401  (register tables with SQLAlchemy)
    from .api import bp as api_bp
    from .assessments import bp as assessments_bp
    from .auth import bp as auth_bp
    from .batches import bp as batches_bp
    from .company import bp as company_bp
    from .dashboard import bp as zone_bp
    from .workspace import bp as workspace_bp
    from .main import bp as main_bp

    app.register_blueprint(main_bp)
    app.register_blueprint(auth_bp)
    app.register_blueprint(company_bp)
    app.register_blueprint(assessments_bp)
    app.register_blueprint(batches_bp)
    app.register_blueprint(zone_bp)
    app.register_blueprint(workspace_bp)
    app.register_blueprint(api_bp)

    from . import queue
    queue.bind(app)  # queue tasks run in the first app of the process

    from .security import init_security
    init_security(app)
    from .audit import flush_reads
    app.after_request(flush_reads)  # staff reads of a firm's data, once per request
    app.context_processor(_template_helpers)
    return app


def _template_helpers() -> dict:
    from flask_babel import gettext
    from .registry import division
    from reports.context import SIZE_NAMES

    def industry_name(code: str) -> str:
        d = division(code or "")
        return f"{d.code} {d.name(current_lang())}" if d else ""

    def instrument_title(instrument_id: str) -> str:
        import questionnaires
        inst = questionnaires.available().get(instrument_id)
        return inst.title.get(current_lang()) if inst else instrument_id

    return {
        "current_lang": current_lang,
        "instrument_title": instrument_title,
        "industry_name": industry_name,
        "size_name": lambda key: gettext(SIZE_NAMES[key]) if key in SIZE_NAMES else "",
    }


def _locale() -> str:
    lang = request.args.get("lang") or session.get("lang")
    if lang in ("zh", "en"):
        return lang
    return "zh"


@login_manager.user_loader
def _load_user(session_id: str):
    """A session names the user and the user's session version: logout, a password change or
    deactivation bump the version, and every session made before answers as logged out."""
    from .models import User
    uid, _, version = session_id.partition(".")
    if not (uid.isascii() and uid.isdigit() and len(uid) <= 10 and (version or "0").isascii() and (version or "0").isdigit()):
        return None
    user = db.session.get(User, int(uid))
    if user is None or not user.active or int(version or 0) != (user.session_version or 0):
        return None
    return user


def current_lang() -> str:
    from flask_babel import get_locale
    return "en" if str(get_locale()).startswith("en") else "zh"


__all__ = ["create_app", "current_lang", "current_user"]
