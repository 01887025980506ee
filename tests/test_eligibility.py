"""Programme eligibility as data: every shipped rule names its document, year and source; each is evaluated at,
below and above its threshold with the blocking condition named; firms see their programmes, zone staff the firms
ready to apply (exportable), the API the same, and nobody sees another tenant's firm."""
from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

import questionnaires
from diagnosis.extensions import db
from diagnosis.models import Result
from questionnaires import eligibility as el

from .helpers import extreme_answers, sme
from .test_api import api  # noqa: F401  (the fixture)

RULES = {r.id: r for r in el.rules()}


def test_every_shipped_rule_names_its_document_year_and_source():
    assert set(RULES) == {"excellent-smart-factory", "js-advanced-smart-factory-2025", "js-five-star-cloud-2024"}
    for r in RULES.values():
        assert r.document.zh and r.document.en and 2000 <= r.year <= 2100 and r.source.startswith("http")
        assert r.not_checked, f"{r.id}: a programme gate has more than a level; say what is not checked"


@pytest.mark.parametrize(("rule_id", "instrument", "threshold"), [
    ("excellent-smart-factory", "smart-manufacturing", 3),       # CMMM level 3 or above
    ("js-advanced-smart-factory-2025", "smart-manufacturing", 2),  # CMMM level 2 or above (Jiangsu 2025)
    ("js-five-star-cloud-2024", "cloud-adoption", 5),            # five stars, as this tool rates them
])
def test_each_rule_at_and_around_its_threshold(rule_id, instrument, threshold):
    r = RULES[rule_id]
    top = max(lv.id for lv in questionnaires.get(instrument).levels)
    for level in range(0, top + 1):
        v = el.evaluate(r, {instrument: level})
        assert v.eligible is (level >= threshold), (rule_id, level)
        if level < threshold:
            b = v.blocking
            assert (b.instrument, b.min_level, b.level, b.met) == (instrument, threshold, level, False)
        else:
            assert v.blocking is None
    missing = el.evaluate(r, {})
    assert not missing.eligible and missing.blocking.level is None
    other = el.evaluate(r, {"sme-digital": 4})  # a level on another instrument does not count
    assert not other.eligible


def _result(company_id: int, instrument_id: str, level: int) -> None:
    from diagnosis.assessments import service
    a = service.start(company_id, instrument_id, None)
    a.status, a.review_state = "submitted", "submitted"
    db.session.add(Result(assessment_id=a.id, company_id=company_id, instrument_id=instrument_id, period="2026Q4",
                          is_latest=True, latest_in_period=True, method="x", total=0.0, level=level, dimensions={},
                          details={}))


def test_firms_see_their_programmes_and_zone_staff_the_firms_ready_to_apply(app, world, client, api):  # noqa: F811
    with app.app_context():
        _result(world.a.firm, "smart-manufacturing", 3)       # ready for both smart-factory rules
        _result(world.a.other, "smart-manufacturing", 2)      # Jiangsu advanced only; blocked by level 3
        _result(world.a.other, "cloud-adoption", 4)           # four stars: five-star blocked
        _result(world.b.firm, "smart-manufacturing", 5)       # zone B: never in zone A's lists
        db.session.commit()
    other = client().login(world.a.other_enterprise)
    page = other.get(f"/eligibility/company/{world.a.other}").text
    excellent = page.split('id="rule-excellent-smart-factory"', 1)[1].split("</section>", 1)[0]
    assert "尚不满足" in excellent and "三级 集成级" in excellent and "目前为二级 规范级" in excellent
    js = page.split('id="rule-js-advanced-smart-factory-2025"', 1)[1].split("</section>", 1)[0]
    assert "满足本工具可核对的条件" in js and "2025年" in js and "zikeys.com" in js
    five = page.split('id="rule-js-five-star-cloud-2024"', 1)[1].split("</section>", 1)[0]
    assert "目前为四星" in five and "苏工信信基〔2024〕181号" in five
    assert other.get(f"/eligibility/company/{world.a.firm}").status_code == 404
    assert other.get("/eligibility/rules/excellent-smart-factory").status_code == 403

    admin = client().login(world.a.zone_admin)
    overview = admin.get("/eligibility/").text
    assert "卓越级智能工厂" in overview and "1 / 2" in overview and "2 / 2" in overview
    ready = admin.get("/eligibility/rules/excellent-smart-factory").text
    assert "A号精密机械有限公司" in ready and "A号电子有限公司" not in ready and "B号" not in ready
    assert admin.get("/eligibility/rules/no-such-rule").status_code == 404
    xlsx = admin.get("/eligibility/rules/js-advanced-smart-factory-2025.xlsx")
    assert xlsx.status_code == 200
    rows = list(load_workbook(io.BytesIO(xlsx.data)).active.iter_rows(values_only=True))
    assert rows[0][:2] == ("企业名称", "统一社会信用代码")
    assert sorted(r[0] for r in rows[1:]) == ["A号电子有限公司", "A号精密机械有限公司"]
    assert client().login(world.b.zone_admin).get("/eligibility/rules/excellent-smart-factory").text.count("A号") == 0

    # The firm's result page (any instrument) names the programmes it qualifies for.
    firm = client().login(world.a.enterprise)
    aid = firm.submit(extreme_answers(sme(), best=False))
    section = firm.get(f"/assessments/{aid}/result").text.split('id="eligible"', 1)[1].split("</div>", 1)[0]
    assert "卓越级智能工厂" in section and "江苏省先进级智能工厂" in section and "五星" not in section

    r = api(world.a.enterprise).call("GET", f"/companies/{world.a.firm}/eligibility?lang=en",
                                     "/companies/{company_id}/eligibility")
    items = {i["id"]: i for i in r.get_json()["items"]}
    assert items["excellent-smart-factory"]["eligible"] and not items["js-five-star-cloud-2024"]["eligible"]
    assert items["js-five-star-cloud-2024"]["blocking"]["level"] is None
    assert api(world.b.enterprise).call("GET", f"/companies/{world.a.firm}/eligibility",
                                        "/companies/{company_id}/eligibility").status_code == 404
