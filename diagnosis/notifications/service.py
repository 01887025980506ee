"""Telling people what happened: a notification under the bell and, if they want it, a mail,
both in the recipient's own language, each linking to the page to act on."""
from __future__ import annotations

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _

from .. import mail
from ..extensions import db
from ..models import Notification, User, utcnow


def N_(text: str) -> str:
    """Marks a text for translation; it is translated when sent, in the recipient's language."""
    return text


# kind: (mail subject, message). Messages take the named parameters given to notify().
KINDS = {
    "report_final": (N_("诊断报告已定稿"), N_("%(firm)s的《%(instrument)s》诊断报告已由顾问定稿，现在可以看到顾问意见。")),
    "assigned": (N_("新分配的企业"), N_("园区为您分配了 %(n)s 家企业：%(firms)s。")),
    "batch_ready": (N_("批量报告已生成"), N_("您申请的批量报告已生成：%(done)s 份，可以下载。")),
    "provider_firms": (N_("新分配给服务商的企业"), N_("园区为%(provider)s分配了 %(n)s 家企业，请分配顾问。")),
    "pledged": (N_("企业已提交自评并签署承诺"), N_("%(firm)s已提交自评并签署真实性承诺，请安排现场核实。")),
    "for_review": (N_("诊断待审核"), N_("%(firm)s的诊断已核实完毕，提交园区审核。")),
    "returned": (N_("诊断被退回"), N_("园区退回了%(firm)s的诊断，请查看意见并答复。")),
    "replied": (N_("退回意见已答复"), N_("%(firm)s的退回意见已有答复。")),
    "approved": (N_("诊断已通过审核"), N_("%(firm)s的诊断已通过园区审核。")),
    "rejected": (N_("诊断未通过审核"), N_("%(firm)s的诊断未通过园区审核。")),
    "sample_mismatch": (N_("抽查发现不一致"), N_("园区现场抽查发现%(firm)s的诊断与实际不一致，评估已重新打开，请重新核实。")),
    "closure_requested": (N_("企业申请注销账号"), N_("%(firm)s申请注销在平台上的账号，请确认或说明理由后拒绝。")),
    "closure_refused": (N_("注销申请未获同意"), N_("园区没有同意您的账号注销申请，理由：%(reason)s")),
    "rate_service": (N_("请评价诊断服务"), N_("%(firm)s的诊断已通过审核，请为诊断服务打分。")),
    "plan_due": (N_("改进计划事项即将到期"), N_("改进计划事项“%(item)s”（负责人：%(owner)s）将于 %(due)s 到期。")),
}


def notify(user: User, kind: str, link: str, **params) -> Notification:
    """Notify one user; the caller commits (and the mail is queued on that commit)."""
    subject, text = KINDS[kind]
    with force_locale(user.lang or "zh"):
        subject, message = _(subject), _(text, **params)
        body = "\n\n".join([message, _("查看：%(url)s", url=current_app.config["BASE_URL"].rstrip("/") + link),
                            _("您收到这封邮件，是因为您在智改数转诊断平台开启了邮件提醒；可在“消息设置”中关闭。")])
    row = Notification(user_id=user.id, kind=kind, message=message[:500], link=link)
    db.session.add(row)
    if user.notify_by_mail:
        mail.send(user, kind, subject, body)
    return row


def unread_count(user: User) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Notification)
                             .where(Notification.user_id == user.id, Notification.read_at.is_(None))) or 0


def latest(user: User, limit: int = 50) -> list[Notification]:
    return db.session.scalars(sa.select(Notification).where(Notification.user_id == user.id)
                              .order_by(Notification.id.desc()).limit(limit)).all()


def mark_all_read(user: User) -> None:
    db.session.execute(sa.update(Notification).where(Notification.user_id == user.id, Notification.read_at.is_(None))
                       .values(read_at=utcnow()))
    db.session.commit()


def save_settings(user: User, lang: str, by_mail: bool) -> None:
    user.lang = lang if lang in ("zh", "en") else "zh"
    user.notify_by_mail = by_mail
    db.session.commit()
