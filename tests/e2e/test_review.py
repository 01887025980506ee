"""The review in a browser: a provider's consultant on a phone (375 px) verifies two answers with a photo chosen in
the file picker and sends the assessment for review; zone staff return it with a comment on one question; the
consultant answers; staff approve."""
from __future__ import annotations

import sqlalchemy as sa

from diagnosis.assessments import review, service
from diagnosis.extensions import db
from diagnosis.models import Assessment, Evidence, User

from ..helpers import extreme_answers, sme
from ..test_providers_review import firms, png_bytes, worst  # noqa: F401  (firms is a fixture)
from .conftest import DESKTOP, PHONE, login, shot


def _pick_photo(page, selector: str, name: str) -> None:
    """Choose a photo the way a phone user does: tap the file input, answer the picker."""
    with page.expect_file_chooser() as chooser:
        page.locator(selector).click()
    chooser.value.set_files({"name": name, "mimeType": "image/png", "buffer": png_bytes()})


def test_consultant_verifies_on_a_phone_and_staff_return_then_approve(app, world, firms, new_page):  # noqa: F811
    with app.test_request_context():
        a = service.start(world.a.firm, "sme-digital", None)
        service.save_answers(a, extreme_answers(sme(), best=True), None)
        service.submit(a)
        db.session.commit()
        firm_user = db.session.scalar(sa.select(User).where(User.email == world.a.enterprise))
        review.pledge(firm_user, a.id, True)
        aid = a.id

    phone = new_page(PHONE)
    login(phone, "c1@example.com")
    phone.goto(f"/assessments/{aid}/verification")
    phone.get_by_role("button", name="开始现场核实").click()
    phone.locator("#review-state[data-state=verifying]").wait_for()
    # First answer: corrected, with a reason and a photo.
    item = phone.locator("#q-quality")
    item.get_by_text("核实这道题").click()
    item.locator("input[name=verdict][value=corrected]").check()
    item.locator("select[name=value]").select_option(worst("quality"))
    item.locator("input[name=reason]").fill("现场未见质量检测记录")
    _pick_photo(phone, "#f-quality", "IMG_2041.png")
    item.get_by_role("button", name="保存核实结果").click()
    phone.locator("#q-quality .verdict-corrected").wait_for()
    # Second answer: confirmed, with a photo.
    item = phone.locator("#q-finance")
    item.get_by_text("核实这道题").click()
    item.locator("input[name=verdict][value=confirmed]").check()
    _pick_photo(phone, "#f-finance", "IMG_2042.png")
    item.get_by_role("button", name="保存核实结果").click()
    phone.locator("#q-finance .verdict-confirmed").wait_for()
    assert phone.locator("#q-quality .evidence a").inner_text() == "IMG_2041.png"
    assert phone.evaluate("document.documentElement.scrollWidth") <= 375 + 1, "the page scrolls sideways at 375 px"
    shot(phone, "review-consultant-375-zh")
    phone.locator("#send-for-review").click()
    phone.locator("#review-state[data-state=in_review]").wait_for()

    staff = new_page(DESKTOP)
    login(staff, world.a.zone_admin)
    staff.goto(f"/assessments/{aid}/verification")
    staff.locator("#ret-text").fill("质量环节的更正请补充说明")
    staff.locator("#ret-q").select_option("quality")
    staff.locator("#ret-qtext").fill("检测记录是否完全没有？")
    staff.locator("#return-button").click()
    staff.locator("#review-state[data-state=returned]").wait_for()
    shot(staff, "review-staff-returned-1280-zh")

    phone.reload()
    replies = phone.locator("form input[name=event]")
    assert replies.count() == 2
    while phone.locator("form input[name=event]").count():
        form = phone.locator("form:has(input[name=event])").first
        form.locator("input[name=text]").fill("现场只有纸质抽检单，已拍照上传")
        form.get_by_role("button", name="答复").click()
        phone.wait_for_load_state()
    phone.locator("#send-for-review").click()
    phone.locator("#review-state[data-state=in_review]").wait_for()

    staff.reload()
    staff.locator("#approve-button").click()
    staff.locator("#review-state[data-state=approved]").wait_for()
    with app.app_context():
        a = db.session.get(Assessment, aid)
        assert a.review_state == "approved" and a.result.verified_level is not None
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Evidence)) == 2
    # The same pages in English, for people to look at.
    for page, name in ((phone, "review-approved-375-en"), (staff, "review-approved-1280-en")):
        page.goto("/lang/en")
        page.goto(f"/assessments/{aid}/verification")
        assert page.locator("#review-state").inner_text() == "Approved"
        shot(page, name)
    assert not phone.errors and not staff.errors
