"""Zone conversion figures: of the diagnosed firms, how many have a plan, an item done, a retrofit project, and
how many re-assessed firms gained a level; overall and by programme, provider and industry, each with its n."""
from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa

from diagnosis import areas
from diagnosis.assessments import service
from diagnosis.demo import demo_uscc
from diagnosis.extensions import db
from diagnosis.models import Company, PlanItem, Programme, Provider, ProviderFirm, Result, RosterEntry, User
from diagnosis.programmes.links import token_hash
from diagnosis.zone import conversion as conversion_module
from diagnosis.zone.conversion import conversion
from diagnosis.zone.stats import Filters

from .helpers import extreme_answers, sme


def _submit(company_id: int, best: bool) -> int:
    a = service.start(company_id, "sme-digital", None)
    service.save_answers(a, extreme_answers(sme(), best=best), None)
    db.session.flush()
    return service.submit(a).level


def test_conversion_counts_by_hand(app, world, client):
    with app.app_context():
        # Firm A: assessed twice, worst then best (a level gained), one plan item still planned.
        assert _submit(world.a.firm, best=False) == 0
        assert _submit(world.a.firm, best=True) > 0
        # The other firm: assessed once, one item done with a retrofit project, one dropped.
        _submit(world.a.other, best=False)
        # Zone B's firm: diagnosed with a plan, never counted for zone A.
        _submit(world.b.firm, best=False)
        db.session.add_all([
            PlanItem(company_id=world.a.firm, title={"zh": "a"}, indicators=[], status="planned"),
            PlanItem(company_id=world.a.other, title={"zh": "b"}, indicators=[], status="done", project_name="MES一期"),
            PlanItem(company_id=world.a.other, title={"zh": "c"}, indicators=[], status="dropped", drop_reason="x"),
            PlanItem(company_id=world.b.firm, title={"zh": "d"}, indicators=[], status="done", project_name="x")])
        admin = db.session.scalar(sa.select(User).where(User.email == world.a.zone_admin))
        provider = Provider(zone_id=world.a.zone, name="甲服务商", credit_code=demo_uscc(950))
        db.session.add(provider)
        db.session.flush()
        db.session.add(ProviderFirm(provider_id=provider.id, company_id=world.a.other))
        programme = Programme(area_id=areas.of_zone(world.a.zone).id, zone_id=world.a.zone, name="2026年诊断",
                              instrument_id="sme-digital", starts_on=date(2020, 1, 1), ends_on=date(2099, 1, 1),
                              reminder_days=7, reminder_cap=3, quotas={}, status="running", created_by_id=admin.id)
        db.session.add(programme)
        db.session.flush()
        firm_a = db.session.get(Company, world.a.firm)
        db.session.add(RosterEntry(programme_id=programme.id, uscc=firm_a.uscc, name=firm_a.name, industry_division="34",
                                   size_class="small", above_scale=True, company_id=firm_a.id, reminders_sent=0,
                                   token_hash=token_hash(programme.id, firm_a.uscc)))
        db.session.commit()

        c = conversion(Filters(zone_id=world.a.zone, instrument_id="sme-digital"))
        t = c["total"]
        assert (t["n"], t["plan"], t["done"], t["project"], t["reassessed"], t["gained"]) == (2, 2, 1, 1, 1, 1)
        assert (t["plan_share"], t["done_share"], t["project_share"], t["gained_share"]) == (100.0, 50.0, 50.0, 100.0)
        assert [(r["key"], r["n"], r["done"], r["project"]) for r in c["provider"]] == [("甲服务商", 1, 1, 1)]
        assert [(r["key"], r["n"], r["plan"], r["reassessed"], r["gained"]) for r in c["programme"]] == [("2026年诊断", 1, 1, 1, 1)]
        by_industry = {r["n"]: r for r in c["industry"]}
        assert sum(r["n"] for r in c["industry"]) == 2 and set(by_industry) == {1}
        # Filters apply: only industry 34 (firm A).
        only = conversion(Filters(zone_id=world.a.zone, instrument_id="sme-digital", industry="34"))["total"]
        assert (only["n"], only["done"], only["gained"]) == (1, 0, 1)
        # n comes from the pre-aggregates, the rest from the firms with a plan or a second round: the same
        # figures as counting every result, whatever the filter.
        from diagnosis.zone import stats
        for kw in ({}, {"industry": "34"}, {"industry": "39"}, {"size": "small"}, {"verified": True}):
            f = Filters(zone_id=world.a.zone, instrument_id="sme-digital", **kw)
            cubed = conversion(f)
            with pytest.MonkeyPatch.context() as m:
                m.setattr(stats, "_cubed", lambda _f: False)
                assert conversion(f) == cubed, kw

    admin = client().login(world.a.zone_admin)
    dashboard = admin.get("/zone/?instrument=sme-digital&industry=34").text
    assert 'href="/zone/conversion?instrument=sme-digital&amp;industry=34"' in dashboard  # the link keeps the filters
    assert "按服务商" not in dashboard  # the table is on its own page, not computed with the dashboard
    page = admin.get("/zone/conversion?instrument=sme-digital").text
    section = page.split('id="conversion"', 1)[1].split("</section>", 1)[0]
    assert "甲服务商" in section and "2026年诊断" in section and "1 (50%)" in section


def test_provider_and_programme_rows_count_unchanged_firms_in_n_only(app, world):
    """A provider's or programme's n counts every diagnosed firm it reaches; the other counts are read only from
    the firms with a plan or a second round (_changed). Widening that set to every firm changes nothing."""
    with app.app_context():
        third = Company(zone_id=world.a.zone, name="丙号机械有限公司", uscc=demo_uscc(951), industry_section="C", industry_division="34",
                        size_class="small", sub_zone="东区", employees=40, revenue=3000)
        db.session.add(third)
        db.session.flush()
        _submit(world.a.firm, best=False)
        _submit(world.a.firm, best=True)   # a second round, a level gained
        _submit(third.id, best=True)       # once, no plan: adds to n alone
        db.session.add(PlanItem(company_id=world.a.firm, title={"zh": "a"}, indicators=[], status="done"))
        admin = db.session.scalar(sa.select(User).where(User.email == world.a.zone_admin))
        provider = Provider(zone_id=world.a.zone, name="乙服务商", credit_code=demo_uscc(952))
        programme = Programme(area_id=areas.of_zone(world.a.zone).id, zone_id=world.a.zone, name="名单",
                              instrument_id="sme-digital", starts_on=date(2020, 1, 1), ends_on=date(2099, 1, 1),
                              reminder_days=7, reminder_cap=3, quotas={}, status="running", created_by_id=admin.id)
        db.session.add_all([provider, programme])
        db.session.flush()
        for company in (db.session.get(Company, world.a.firm), third):
            db.session.add(ProviderFirm(provider_id=provider.id, company_id=company.id))
            db.session.add(RosterEntry(programme_id=programme.id, uscc=company.uscc, name=company.name,
                                       industry_division="34", size_class="small", above_scale=True,
                                       company_id=company.id, reminders_sent=0,
                                       token_hash=token_hash(programme.id, company.uscc)))
        db.session.commit()

        f = Filters(zone_id=world.a.zone, instrument_id="sme-digital")
        c = conversion(f)
        for rows in (c["provider"], c["programme"]):
            assert [(r["key"][0], r["n"], r["plan"], r["done"], r["reassessed"], r["gained"]) for r in rows] in (
                [("乙", 2, 1, 1, 1, 1)], [("名", 2, 1, 1, 1, 1)])
        for kw in ({}, {"industry": "34"}, {"size": "small"}, {"verified": True}, {"sub_zone": "东区"}):
            f = Filters(zone_id=world.a.zone, instrument_id="sme-digital", **kw)
            sparse = conversion(f)
            with pytest.MonkeyPatch.context() as m:
                m.setattr(conversion_module, "_changed", lambda _f: sa.select(Company.id))
                assert conversion(f) == sparse, kw


def _round(company_id: int, when: datetime, level: int, verified: int | None = None, state: str = "submitted") -> None:
    """One submitted round with its self-assessed level and, if given, the verified level in review state `state`."""
    a = service.start(company_id, "sme-digital", None)
    a.status, a.review_state, a.submitted_at = "submitted", state, when
    db.session.add(Result(assessment_id=a.id, company_id=company_id, instrument_id="sme-digital",
                          period=service.period_of(when), method="x", total=0.0, level=level, verified_level=verified,
                          dimensions={}, details={}))
    db.session.flush()
    service.refresh_history(company_id, "sme-digital")


def test_level_gained_compares_verified_levels_where_both_rounds_are_verified(app, world, client):
    t0, t1, t2 = (datetime(2025, 3, 1, tzinfo=UTC), datetime(2026, 3, 1, tzinfo=UTC),
                  datetime(2026, 9, 1, tzinfo=UTC))
    A = "approved"
    # (rounds as (self-assessed level, verified level, review state)), and by hand: how the pair is compared, gained?
    firms = {
        "F1": [(1, 1, A), (3, 2, A)],            # verified 1 -> 2: gained (self-assessed also gained)
        "F2": [(2, 1, A), (2, 2, A)],            # verified 1 -> 2: gained (self-assessed 2 -> 2 would say not)
        "F3": [(2, 1, A), (2, 2, A)],            # the same again
        "F4": [(1, 1, A), (3, 1, A)],            # verified 1 -> 1: not gained (self-assessed 1 -> 3 would say gained)
        "F5": [(2, None, "submitted"), (3, 2, A)],  # T0 not verified: self-assessed 2 -> 3, gained (mixed: 2 -> 2)
        "F6": [(1, 3, "in_review"), (1, 2, A)],  # T0's verification never approved: self-assessed 1 -> 1, not gained
        "F7": [(0, 0, A), (1, None, "submitted"), (2, 1, A)],  # the round before is T1, unverified: 1 -> 2, gained
        "F8": [(2, 2, A)],                       # assessed once: not re-assessed
    }
    with app.app_context():
        for n, (name, rounds) in enumerate(firms.items()):
            c = Company(zone_id=world.a.zone, name=f"复评{name}有限公司", uscc=demo_uscc(300 + n), industry_section="C",
                        industry_division="34", employees=50, revenue=1000.0, size_class="small")
            db.session.add(c)
            db.session.flush()
            for when, (level, verified, state) in zip((t0, t1, t2), rounds):
                _round(c.id, when, level, verified, state)
        db.session.commit()
        t = conversion(Filters(zone_id=world.a.zone, instrument_id="sme-digital"))["total"]
        # Re-assessed: F1-F7. Both rounds verified: F1-F4. Gained: F1, F2, F3 (verified), F5, F7 (self-assessed).
        assert (t["n"], t["reassessed"], t["verified_pairs"], t["self_pairs"]) == (8, 7, 4, 3)
        assert (t["gained"], t["verified_gained"]) == (5, 3)
        assert (t["gained_share"], t["verified_gained_share"]) == (round(100 * 5 / 7, 1), 75.0)
        # Only verified rounds counted ("verified only" filter): F1-F7 have an approved latest round; F8 too.
        only = conversion(Filters(zone_id=world.a.zone, instrument_id="sme-digital", verified=True))["total"]
        assert (only["n"], only["reassessed"], only["verified_pairs"], only["gained"]) == (8, 7, 4, 5)

    page = client().login(world.a.zone_admin).get("/zone/conversion?instrument=sme-digital").text
    method = page.split('id="conversion-method"', 1)[1].split("</p>", 1)[0]
    assert "按核实等级比较 4 对，按自评等级比较 3 对" in method
    assert "3 / 4" in page.split('id="conversion"', 1)[1].split("</section>", 1)[0]
