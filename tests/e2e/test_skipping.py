"""Smart-manufacturing requirements two or more levels above a clearly missed level leave the page as soon as
the answer that misses it is saved, and come back when it is changed."""
from __future__ import annotations

import questionnaires
from diagnosis.assessments import service
from diagnosis.extensions import db

from .conftest import DESKTOP, login

SM = questionnaires.get("smart-manufacturing")
LEVEL_ONE = [i for d in SM.dimensions for i in d.indicators if any(q.level == 1 for q in i.questions)]


def test_requirements_above_a_missed_level_leave_the_page_live(app, world, new_page):
    # Three subdomains on later pages already fail level 1: 13/16 is still above 0.8, nothing is skipped yet.
    later = [i for i in LEVEL_ONE if i not in SM.dimensions[0].indicators][:3]
    with app.app_context():
        a = service.start(world.a.firm, "smart-manufacturing", None)
        service.save_answers(a, {q.id: "none" for i in later for q in i.questions if q.level == 1}, None)
        db.session.commit()
        aid = a.id
    page = new_page(DESKTOP)
    login(page, world.a.enterprise)
    page.goto(f"/assessments/{aid}/page/1")
    high = page.locator("#q-strategy_l3, #q-strategy_l4, #q-strategy_l5, #q-skills_l3")
    assert all(el.is_visible() for el in high.all())
    page.locator("#q-strategy_l1 input[value=none]").check()      # a fourth subdomain fails level 1: 12/16 < 0.8
    page.locator("#save-status[data-state=saved]").wait_for(timeout=10000)
    page.locator("#q-strategy_l3").wait_for(state="hidden", timeout=10000)
    assert not any(el.is_visible() for el in high.all())
    assert page.locator("#q-strategy_l2").is_visible()              # one level above the missed one stays
    page.locator("#q-strategy_l1 input[value=full]").check()
    page.locator("#q-strategy_l3").wait_for(state="visible", timeout=10000)
    assert not page.errors
