"""Response headers: a strict Content-Security-Policy (no inline script) and friends."""
from flask import Flask

CSP = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])


def init_security(app: Flask) -> None:
    @app.after_request
    def _headers(resp):
        resp.headers.setdefault("Content-Security-Policy", CSP)
        resp.headers.setdefault("X-Content-Type-Options", "nosniff")
        resp.headers.setdefault("Referrer-Policy", "same-origin")
        resp.headers.setdefault("X-Frame-Options", "DENY")
        return resp

    @app.before_request
    def _refuse_nul():
        """A NUL character is never meant in a form or query string, and PostgreSQL refuses it in text."""
        from flask import abort, request
        if any("\x00" in k or "\x00" in v for source in (request.args, request.form) for k, v in source.items(multi=True)):
            abort(400)

    if app.config.get("APP_ENV") == "production":
        @app.after_request
        def _hsts(resp):
            resp.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
            return resp

    from werkzeug.exceptions import HTTPException

    @app.errorhandler(HTTPException)
    def _http_error(e: HTTPException):
        """A clear page (or JSON for scripts) for every client error, in the user's language."""
        from flask import jsonify, render_template, request
        from flask_babel import gettext as _
        messages = {
            400: _("请求有误，无法处理。"), 403: _("您没有权限访问这个页面。"), 404: _("找不到这个页面，或您无权查看。"),
            405: _("不支持这种请求方式。"), 409: _("当前状态下不能这样操作（例如评估已提交）。"),
            413: _("上传的文件太大。"), 429: _("请求过于频繁，请稍后再试。"),
        }
        message = messages.get(e.code, e.description if e.code and e.code < 500 else _("服务器出错了，请稍后再试。"))
        if request.is_json or request.accept_mimetypes.best == "application/json" or request.path.endswith(".json"):
            return jsonify(error=str(message)), e.code
        if e.code == 400 and e.description and e.description != HTTPException.description and "browser" not in e.description:
            message = e.description  # our own reason, e.g. a malformed filter
        return render_template("error.html", code=e.code, message=message), e.code

    @app.errorhandler(500)
    def _server_error(e):
        from flask import render_template
        from flask_babel import gettext as _
        from .extensions import db
        db.session.rollback()
        return render_template("error.html", code=500, message=_("服务器出错了，请稍后再试。")), 500
