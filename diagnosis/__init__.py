"""The diagnosis web application: the application factory and nothing else."""
from __future__ import annotations

from pathlib import Path

from flask import Flask

from . import config
from .extensions import babel, csrf, db, limiter, login_manager, migrate

MIGRATIONS = str(Path(__file__).parent / "migrations")


def create_app(overrides: dict | None = None) -> Flask:
    from . import access, i18n, queue
    from .ids import IdConverter
    from .security import init_security

    app = Flask(__name__, instance_relative_config=True)
    app.url_map.converters["int"] = IdConverter  # before any blueprint registers its routes
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    app.config.update(config.load(app.instance_path, overrides))
    from .inputs import JSONProvider, guard_flush
    app.json = JSONProvider(app)  # request bodies are depth-bounded
    app.json.ensure_ascii = False  # Chinese stays readable in JSON responses

    from . import history
    history.install()  # SQLite connections answer the append-only history's triggers (history.py)
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
    login_manager.user_loader(access.load_user)
    babel.init_app(app, locale_selector=i18n.select_locale)
    from jinja2 import ChoiceLoader, PackageLoader, PrefixLoader
    # Pages include the report's own partials ("report/_rule_set.html"), so a result says
    # what the report says from one template.
    app.jinja_loader = ChoiceLoader([app.jinja_loader, PrefixLoader({"report": PackageLoader("reports", "templates")})])

    from . import areas, figures_cube, models, roster_progress  # noqa: F401  (register tables with SQLAlchemy; every new zone becomes an area; figures and roster progress kept by session events)
    from .api.views import bp as api_bp
    from .assessments.review_views import bp as review_bp
    from .assessments.views import bp as assessments_bp
    from .auth.views import bp as auth_bp
    from .batches.views import bp as batches_bp
    from .company.views import bp as company_bp
    from .eligibility.views import bp as eligibility_bp
    from .main.views import bp as main_bp
    from .notifications.views import bp as notifications_bp
    from .people.views import bp as people_bp
    from .plans.views import bp as plans_bp
    from .programmes.views import bp as programmes_bp
    from .providers.views import bp as providers_bp
    from .workspace.views import bp as workspace_bp
    from .zone.sample_views import bp as samples_bp
    from .zone.views import bp as zone_bp

    for bp in (main_bp, auth_bp, company_bp, assessments_bp, review_bp, batches_bp, zone_bp, samples_bp, workspace_bp,
               notifications_bp, providers_bp, programmes_bp, plans_bp, eligibility_bp, people_bp, api_bp):
        app.register_blueprint(bp)

    queue.bind(app)  # queue tasks run in the first app of the process
    init_security(app)
    from .audit import flush_reads
    app.after_request(flush_reads)  # staff reads of a firm's data, once per request
    app.context_processor(i18n.template_helpers)
    return app


__all__ = ["create_app"]
