"""Subdomains a consultant marks 不适用: out of the weights, named with the reason on the result and report."""
from __future__ import annotations

import io

import pytest
import sqlalchemy as sa
from pypdf import PdfReader

import questionnaires
import scoring
from diagnosis.assessments import service
from diagnosis.extensions import db
from diagnosis.models import Assessment, User

from .conftest import csrf_from

SM = questionnaires.get("smart-manufacturing")
LEVEL_ONE = [i for d in SM.dimensions for i in d.indicators if any(q.level == 1 for q in i.questions)]
MISSED = [i.id for i in LEVEL_ONE[:4]]        # 4 of 16 subdomains fail level 1: 12/16 = 0.75 < 0.8


def answers() -> dict:
    return {q.id: ("none" if q.level == 1 and any(q in i.questions for i in LEVEL_ONE[:4]) else "full")
            for q in SM.questions if q.level == 1}


def test_marked_subdomains_leave_the_weights():
    assert len(LEVEL_ONE) == 16
    assert scoring.score(SM, answers()).level == 0
    marked = {i: "流程型企业，不涉及该环节" for i in MISSED}
    r = scoring.score(SM, answers(), marked)
    assert r.level >= 1 and r.not_applicable == marked
    asked = scoring.asked(scoring.encode(SM, [answers()], [marked]))
    assert not any(asked[q.id][0] for i in LEVEL_ONE[:4] for q in i.questions)
    assert r.to_dict()["not_applicable"] == marked


def test_only_known_subdomains_of_a_level_gated_instrument_can_be_marked():
    with pytest.raises(ValueError, match="unknown subdomain"):
        scoring.score(SM, answers(), {"no_such": "x"})
    with pytest.raises(ValueError, match="level-gated"):
        scoring.score(questionnaires.get("sme-digital"), {}, {"equipment": "x"})


def test_the_consultant_marks_a_subdomain_and_the_report_names_it(app, world, client):
    with app.app_context():
        a = service.start(world.a.firm, "smart-manufacturing", None)
        service.save_answers(a, answers(), None)
        db.session.flush()
        assert service.submit(a).level == 0
        db.session.commit()
        aid = a.id
    url = f"/assessments/{aid}/not-applicable"
    firm = client().login(world.a.enterprise)
    assert firm.get(url).status_code == 200          # the firm sees what is marked
    assert firm.c.post(url, data={"csrf_token": csrf_from(firm.get(url).text), f"na-{MISSED[0]}": "1",
                                  f"reason-{MISSED[0]}": "x"}).status_code == 403

    c = client().login(world.a.consultant)
    assert "标注不适用的能力子域" in c.get(f"/assessments/{aid}/result").text
    form = {"csrf_token": csrf_from(c.get(url).text)}
    form.update({f"na-{i}": "1" for i in MISSED})
    refused = c.c.post(url, data=form)                # no reasons: refused, nothing stored
    assert refused.status_code == 422
    with app.app_context():
        assert db.session.get(Assessment, aid).not_applicable is None
    form.update({f"reason-{i}": "流程型企业，不涉及该环节" for i in MISSED})
    assert c.c.post(url, data=form).status_code == 302
    with app.app_context():
        a = db.session.get(Assessment, aid)
        assert a.result.level >= 1 and set(a.not_applicable) == set(MISSED)
        consultant = db.session.scalar(sa.select(User).where(User.email == world.a.consultant))
        assert a.not_applicable[MISSED[0]]["by"] == consultant.id
    page = c.get(f"/assessments/{aid}/result").text
    assert "不适用的能力子域" in page and "流程型企业，不涉及该环节" in page
    pdf = c.get(f"/assessments/{aid}/report.pdf")
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.data)).pages)
    assert "流程型企业，不涉及该环节" in text
