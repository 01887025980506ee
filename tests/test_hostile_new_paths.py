"""The write paths added for issues 16 and 19 answer hostile input with a 4xx and a reason, never
a 500, and store nothing: other scripts' digits, huge numbers, a lone surrogate, overlong text."""
from __future__ import annotations

import io

import sqlalchemy as sa

from diagnosis.extensions import db
from diagnosis.models import ClosureRequest, InviteCode, PlanItem

from .conftest import csrf_from

SURROGATE_BYTES = "a%ED%A0%80b"  # what a form would send for a lone surrogate


def _raw_post(c, url, page, body):
    """A form body sent as bytes: a test client cannot encode a lone surrogate itself."""
    body = f"csrf_token={csrf_from(c.c.get(page).text)}&{body}"
    return c.c.post(url, input_stream=io.BytesIO(body.encode()), content_type="application/x-www-form-urlencoded",
                    content_length=len(body))


def _storable(app, model, column) -> None:
    with app.app_context():
        for value in db.session.scalars(sa.select(column)):
            assert value is None or value.encode("utf-8")


def _count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def test_invitation_codes_refuse_other_digits_and_huge_numbers(app, world, client):
    admin = client().login(world.a.zone_admin)
    for uses, expires in (("１０", ""), ("99999999999999999999999", ""), ("5", "２０９９-01-01"), ("5", "9" * 40)):
        r = admin.post_form("/zone/invites", {"code": "HOSTILE-1", "max_uses": uses, "expires_on": expires})
        assert r.status_code in (302, 400, 422), (uses, expires, r.status_code)
        assert r.status_code != 302 or "HOSTILE-1" not in admin.get("/zone/invites").text
    assert _count(app, InviteCode) == 0
    r = _raw_post(admin, "/zone/invites", "/zone/invites", f"code={SURROGATE_BYTES}&max_uses=5")
    assert r.status_code < 500
    _storable(app, InviteCode, InviteCode.code)


def test_plan_items_refuse_bad_dates_and_unstorable_text(app, world, client):
    firm = client().login(world.a.enterprise)
    base = {"title": "上线MES", "owner": "王经理", "budget_band": ""}
    for extra in ({"due_date": "２０２７-03-31"}, {"due_date": "9" * 50}, {"title": "东" * 5000}):
        r = firm.post_form(f"/plans/{world.a.firm}/items", {**base, **extra}, page=f"/plans/{world.a.firm}")
        assert 400 <= r.status_code < 500 or (r.status_code == 302 and _count(app, PlanItem) == 0), (extra, r.status_code)
    assert _count(app, PlanItem) == 0
    r = _raw_post(firm, f"/plans/{world.a.firm}/items", f"/plans/{world.a.firm}", f"title=MES&owner={SURROGATE_BYTES}")
    assert r.status_code < 500
    _storable(app, PlanItem, PlanItem.owner)


def test_a_closure_reason_that_cannot_be_stored_is_refused(app, world, client):
    firm = client().login(world.a.enterprise)
    r = firm.post_form("/company/closure", {"reason": "理" * 5000})
    assert 400 <= r.status_code < 500 or r.status_code == 302
    assert _count(app, ClosureRequest) == 0
    r = _raw_post(firm, "/company/closure", "/company/closure", f"reason={SURROGATE_BYTES}")
    assert r.status_code < 500
    _storable(app, ClosureRequest, ClosureRequest.reason)
