"""The audit log: who logged in, looked at another firm's data, exported or generated reports."""
from __future__ import annotations

import sqlalchemy as sa
from flask import current_app, g, has_request_context, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from .extensions import db
from .models import AuditEvent, User


def record(action: str, target: str | None = None, detail: dict | None = None, user=None) -> None:
    """Add an event to the session; the caller's commit stores it with the work it describes."""
    if user is False:  # explicitly nobody: a failed login for an unknown address
        user = None
    elif user is None and has_request_context() and current_user.is_authenticated:
        user = current_user
    db.session.add(AuditEvent(
        user_id=getattr(user, "id", None), zone_id=getattr(user, "zone_id", None), action=action,
        target=(target or "")[:200] or None, ip=request.remote_addr if has_request_context() else None, detail=detail))


# Every action the log holds, with its name on the audit page.
ACTION_NAMES = {
    "login": _l("登录"), "login_failed": _l("登录失败"), "lockout": _l("账号锁定"), "login_locked": _l("锁定期间尝试登录"),
    "view": _l("查看企业数据"), "report": _l("生成报告"), "zone_report": _l("园区报告"), "export": _l("导出"),
    "import": _l("导入"), "register": _l("注册"), "register_existing": _l("用已注册的邮箱注册"),
    "password_changed": _l("修改密码"), "deactivated": _l("停用账号"), "view_result": _l("查看诊断结果"),
    "view_company": _l("查看企业历史"), "sample_draw": _l("抽取现场抽查样本"), "sample_check": _l("记录抽查结果"),
    "provider_create": _l("登记服务商"), "provider_suspend": _l("暂停服务商"), "provider_resume": _l("恢复服务商"),
    "provider_member_add": _l("服务商加入顾问"), "provider_member_remove": _l("服务商移除顾问"),
    "provider_firms": _l("分配企业给服务商"), "provider_consultant_assign": _l("服务商负责人分配顾问"),
    "provider_consultant_unassign": _l("服务商负责人取消分配顾问"), "rating": _l("企业评价服务"),
    "plan_item": _l("新增计划事项"), "plan_status": _l("计划事项状态变更"),
    "assign": _l("分配企业"), "unassign": _l("取消分配"), "invite_created": _l("新建邀请码"),
    "invite_expired": _l("邀请码失效"), "register_refused": _l("邀请码不可用"), "user_invited": _l("邀请人员"),
    "invite_accepted": _l("接受邀请"), "reactivated": _l("重新启用账号"), "data_export": _l("企业下载数据"),
    "closure_requested": _l("申请注销"), "closure_refused": _l("拒绝注销"), "closure_confirmed": _l("确认注销"),
    "closure_setting": _l("修改注销处理方式"),
}
ACTIONS = tuple(ACTION_NAMES)


def zone_events(zone_id: int | tuple[int, ...], action: str | None = None, limit: int = 300) -> list:
    """The latest events of a zone's users (or of the zones below an area), newest first, with who did them."""
    where = AuditEvent.zone_id.in_(zone_id) if isinstance(zone_id, tuple) else AuditEvent.zone_id == zone_id
    q = (sa.select(AuditEvent, User.name, User.email).outerjoin(User, User.id == AuditEvent.user_id).where(where))
    if action:
        q = q.where(AuditEvent.action == action)
    return db.session.execute(q.order_by(AuditEvent.id.desc()).limit(limit)).all()


def flush_reads(response):
    """after_request: one audit event per request in which staff read a firm's data (noted by
    `access.note_read` wherever an assessment or company is fetched for a user), naming the
    objects and the route. A failure to write it is logged, never turned into a failed read."""
    reads = {k: v for k, v in (g.pop("staff_reads", None) or {}).items() if v}
    user = g.pop("staff_reader", None)
    if not reads or user is None or response.status_code >= 400 or request.method not in ("GET", "HEAD"):
        return response  # a write is kept in its own log (answer changes, comments, imports)
    kind, ids = next(iter(reads.items()))
    count = sum(map(len, reads.values()))
    target = f"{kind}:{ids[0]}" + (f" (+{count - 1})" if count > 1 else "")
    try:
        db.session.add(AuditEvent(user_id=user.id, zone_id=user.zone_id, action="view", target=target[:200],
                                  ip=request.remote_addr,
                                  detail={"route": request.endpoint, "method": request.method, "path": request.path[:200],
                                          "objects": {k: v[:100] for k, v in reads.items()}}))
        db.session.commit()
    except Exception:
        current_app.logger.exception("could not write the audit event for %s", request.path)
        db.session.rollback()
    return response
