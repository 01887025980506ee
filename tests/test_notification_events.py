"""Each event a user must hear of arrives under the bell AND by mail through the loopback SMTP
server, with a link to the page: report finalised (the firm), returned for correction (the firm and
its consultant), batch ready (who asked for it). Firm assigned is covered in test_mail.py."""
from __future__ import annotations

import time

import sqlalchemy as sa

from diagnosis.extensions import db
from diagnosis.models import Notification, User

from .conftest import csrf_from
from .helpers import extreme_answers, sme
from .test_mail import _body, _subject, smtp, worker  # noqa: F401  (fixtures)


def _mails(inbox, subject: str, n: int) -> list:
    """The mails with this subject, once n of them arrived (bounded wait for the queue worker)."""
    for _ in range(300):
        found = [m for m in inbox.messages if _subject(m) == subject]
        if len(found) >= n:
            break
        time.sleep(0.1)
    return found


def _in_app(app, email: str, kind: str) -> Notification:
    with app.app_context():
        uid = db.session.scalar(sa.select(User.id).where(User.email == email))
        return db.session.scalar(sa.select(Notification).where(Notification.user_id == uid, Notification.kind == kind))


def test_report_final_returned_and_batch_ready_reach_the_bell_and_the_mailbox(app, world, client, smtp, worker):  # noqa: F811
    from diagnosis.assessments import review
    firm = client().login(world.a.enterprise)
    aid = firm.submit(extreme_answers(sme(), best=True))
    consultant = client().login(world.a.consultant)

    # Report finalised -> the firm.
    page = consultant.get(f"/assessments/{aid}/comments").text
    consultant.c.post(f"/assessments/{aid}/comments", data={"comments": "意见。", "finalise": "1", "confirm": "yes",
                                                             "csrf_token": csrf_from(page)})
    final = _mails(smtp, "诊断报告已定稿", 1)
    assert len(final) == 1 and final[0]["To"] == world.a.enterprise
    assert f"http://127.0.0.1:8000/assessments/{aid}/result" in _body(final[0])
    note = _in_app(app, world.a.enterprise, "report_final")
    assert note is not None and note.link == f"/assessments/{aid}/result"
    assert "已由顾问定稿" in firm.get("/notifications/").text

    # Returned for correction -> the firm and its consultant.
    with app.app_context():
        def user(email):
            return db.session.scalar(sa.select(User).where(User.email == email))
        review.pledge(user(world.a.enterprise), aid, True)
        review.start_verification(user(world.a.consultant), aid)
        review.verify(user(world.a.consultant), aid, "quality", "confirmed")
        review.send_for_review(user(world.a.consultant), aid)
        review.review_return(user(world.a.zone_admin), aid, "请补充依据")
    returned = _mails(smtp, "诊断被退回", 2)
    assert sorted(m["To"] for m in returned) == sorted([world.a.enterprise, world.a.consultant])
    assert all(f"/assessments/{aid}/verification" in _body(m) for m in returned)
    for email in (world.a.enterprise, world.a.consultant):
        assert _in_app(app, email, "returned") is not None

    # Batch ready -> the staff member who asked for it.
    admin = client().login(world.a.zone_admin)
    r = admin.post_form("/reports/batches/", {"instrument": "sme-digital"})
    batch_id = int(r.headers["Location"].rstrip("/").split("/")[-1])
    for _ in range(240):  # bounded: the worker renders the report
        if _in_app(app, world.a.zone_admin, "batch_ready") is not None:
            break
        time.sleep(0.5)
    note = _in_app(app, world.a.zone_admin, "batch_ready")
    assert note is not None and note.link == f"/reports/batches/{batch_id}"
    ready = _mails(smtp, "批量报告已生成", 1)
    assert len(ready) == 1 and ready[0]["To"] == world.a.zone_admin
    assert f"http://127.0.0.1:8000/reports/batches/{batch_id}" in _body(ready[0])
    assert 'class="count"' in admin.get("/home").text
