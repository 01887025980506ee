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

    from . import inputs

    @app.before_request
    def _input_gate():
        """Text that cannot be stored, huge integers and deep JSON: refused before any view runs."""
        from flask import request
        inputs.check_request(request)

    @app.errorhandler(inputs.BadInput)
    def _bad_input(e: inputs.BadInput):
        from flask_babel import gettext as _

        from .extensions import db
        db.session.rollback()  # raised by the flush guard too, mid-commit
        messages = {
            "unstorable_text": _("“%(field)s”含有无法保存的字符（如单独的代理项），请删除后重试。", field=e.field),
            "number_too_large": _("“%(field)s”中的数字太大。", field=e.field),
            "too_deep": _("JSON 嵌套层数过多（最多 %(n)s 层）。", n=inputs.MAX_JSON_DEPTH),
        }
        return _error_response(e.status, messages.get(e.reason, e.reason), code=e.reason, field=e.field)

    from .errors import Refused

    @app.errorhandler(Refused)
    def _refused(e: Refused):
        """A service's refusal that a page did not answer itself: its status, and its sentence, except
        for a 404, which says no more than "not found" (the API's blueprint answers in JSON itself)."""
        from flask_babel import gettext as _

        from .extensions import db
        db.session.rollback()
        message = _("找不到这个页面，或您无权查看。") if e.status == 404 else e.message
        return _error_response(e.status, message, code=e.code)

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
        if request.path.startswith("/api/"):
            return jsonify({"error": {"code": e.name.lower().replace(" ", "_"), "message": str(e.description)}}), e.code
        if request.is_json or request.accept_mimetypes.best == "application/json" or request.path.endswith(".json"):
            return jsonify(error=str(message)), e.code
        if e.code == 400 and e.description and e.description != HTTPException.description and "browser" not in e.description:
            message = e.description  # our own reason, e.g. a malformed filter
        return render_template("error.html", code=e.code, message=message), e.code

    @app.errorhandler(500)
    def _server_error(e):
        """Must not fail itself: the database may be the reason we are here."""
        try:
            from .extensions import db
            db.session.rollback()
        except Exception:  # a broken connection: the session is discarded at teardown
            app.logger.exception("rollback after a server error failed")
        try:
            from flask_babel import gettext as _
            return _error_response(500, _("服务器出错了，请稍后再试。"), code="server_error")
        except Exception:
            app.logger.exception("the error page failed")
            return FALLBACK_500, 500, {"Content-Type": "text/html; charset=utf-8"}


FALLBACK_500 = ("<!doctype html><meta charset=utf-8><title>500</title>"
                "<h1>服务器出错了，请稍后再试。 / Server error, please try again later.</h1>")


def wants_json() -> bool:
    from flask import request
    return (request.path.startswith("/api/") or request.is_json or request.accept_mimetypes.best == "application/json"
            or request.path.endswith(".json"))


def _error_response(status: int, message: str, code: str, field: str | None = None):
    """JSON for the API and scripts (the API's own shape under /api/), the error page otherwise."""
    from flask import jsonify, render_template, request
    if request.path.startswith("/api/"):
        body = {"error": {"code": code, "message": str(message)}}
        if field:
            body["error"]["details"] = [{"field": field}]
        return jsonify(body), status
    if wants_json():
        return jsonify({"error": str(message), **({"field": field} if field else {})}), status
    return render_template("error.html", code=status, message=message), status
