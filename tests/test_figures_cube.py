"""The per-zone pre-aggregates (diagnosis/figures_cube.py) that city and province figures add up
equal a fresh count from `results` after every kind of change: submit, review (approval with a
verified level), rescore, reopen and resubmit, a firm's industry, size or sub-zone changed, a firm moved
to another zone, and an ORM bulk insert; with and without a sub-zone filter."""
from __future__ import annotations

from datetime import timedelta

import numpy as np
import pytest
import sqlalchemy as sa

from diagnosis import areas
from diagnosis.assessments import service
from diagnosis.demo import demo_uscc, submit_synthetic
from diagnosis.extensions import db
from diagnosis.models import Assessment, Company, utcnow
from diagnosis.rescore import rescore
from diagnosis.zone import stats
from scoring.progress import period_of

from .helpers import extreme_answers, sme

FILTERS = [{}, {"industry": "34"}, {"size": "small"}, {"verified": True}, {"industry": "34", "size": "medium"},
           {"sub_zone": "东区"}, {"sub_zone": "西区", "industry": "34"}, {"sub_zone": "东区", "verified": True}]


def _figures(f: stats.Filters) -> dict:
    out = {"overview": stats.overview(f), "levels": stats.level_distribution(f)["levels"],
           "by_industry": stats.levels_by(f, "industry"), "by_size": stats.levels_by(f, "size"),
           "dimensions": stats.dimension_averages(f), "heatmap": stats.heatmap(f), "trend": stats.trend(f),
           "movement": stats.movement(f), "closest": stats.firms(f, closest=True, limit=0)["total"],
           "stalled": stats.firms(f, stalled=True, limit=0)["total"], "periods": stats.periods(f, f.instrument_id),
           "options": stats.options(f)}
    for d in out["dimensions"]:
        d["mean"] = None if d["mean"] is None else round(d["mean"], 6)
    return out


def _compare(zone_ids: tuple[int, ...], monkeypatch) -> int:
    """Every figure from the cube against the same figure counted from results; returns firms assessed."""
    periods = stats.periods(stats.Filters(zone_id=None, instrument_id="sme-digital", zone_ids=zone_ids), "sme-digital")
    if len(zone_ids) > 1:  # each zone on its own, as its staff see it
        for z in zone_ids:
            _compare((z,), monkeypatch)
    assessed = 0
    for extra in FILTERS + [{"period": p} for p in periods] + [{"period": p, "verified": True} for p in periods] + \
            [{"period": p, "sub_zone": "东区"} for p in periods]:
        one = len(zone_ids) == 1
        f = stats.Filters(zone_id=zone_ids[0] if one else None, instrument_id="sme-digital",
                          zone_ids=() if one else zone_ids, **extra)
        assert stats._cubed(f)
        from_cube = _figures(f)
        with monkeypatch.context() as m:
            m.setattr(stats, "_cubed", lambda _f: False)
            counted = _figures(f)
        assert from_cube == counted, extra
        assessed = max(assessed, counted["overview"]["assessed"])
    return assessed


def _submit(company_id: int, best: bool, when=None) -> Assessment:
    a = service.start(company_id, "sme-digital", None)
    service.save_answers(a, extreme_answers(sme(), best=best), None)
    service.submit(a)
    if when is not None:  # an earlier quarter: as if it had been submitted then
        a.submitted_at = when
        a.result.period = period_of(when)
        db.session.flush()
        service.refresh_history(company_id, "sme-digital")
    db.session.commit()
    return a


@pytest.fixture
def city(app, world):
    with app.test_request_context():
        x = areas.create("city", "X市")
        for zone_id in (world.a.zone, world.b.zone):
            areas.place(areas.of_zone(zone_id), x)
        firms = []
        for n in range(6):
            c = Company(zone_id=world.a.zone if n % 2 else world.b.zone, name=f"立方企业{n}", uscc=demo_uscc(700 + n),
                        industry_section="C", industry_division="34" if n < 4 else "39", employees=50, revenue=1000.0,
                        size_class="small" if n % 3 else "medium", sub_zone=("东区", "西区", None)[n % 3])
            db.session.add(c)
            firms.append(c)
        db.session.commit()
        yield (world.a.zone, world.b.zone), [c.id for c in firms]


def test_the_cube_equals_a_fresh_count_after_every_change(app, city, monkeypatch):
    zones, firms = city
    with app.test_request_context():
        assert _compare(zones, monkeypatch) == 0
        # submit: one firm a year ago and again now (history: until, movement), the others now
        long_ago = utcnow() - timedelta(days=400)
        _submit(firms[0], best=False, when=long_ago)
        for i, company_id in enumerate(firms):
            _submit(company_id, best=i % 2 == 0)
        assert _compare(zones, monkeypatch) == 6

        # review: approved with a verified level, then another firm's review state changed
        a = db.session.scalar(sa.select(Assessment).where(Assessment.company_id == firms[1], Assessment.status == "submitted"))
        a.review_state = "approved"
        a.result.verified_level, a.result.verified_total = 1, 33.0
        db.session.commit()
        assert _compare(zones, monkeypatch) == 6
        a.review_state = "returned"
        db.session.commit()
        assert _compare(zones, monkeypatch) == 6
        a.review_state = "approved"
        db.session.commit()

        # rescore, after an answer is changed behind the result's back
        b = db.session.scalar(sa.select(Assessment).where(Assessment.company_id == firms[2], Assessment.status == "submitted"))
        worst = extreme_answers(sme(), best=False)
        level_before = b.result.level
        for answer in b.answers:
            answer.value = worst.get(answer.question_id, answer.value)
        db.session.commit()
        rescore()
        assert db.session.get(Assessment, b.id).result.level != level_before
        assert _compare(zones, monkeypatch) == 6

        # reopen and resubmit: a new revision supersedes the old result
        from diagnosis.assessments.review import verified_answers
        old = db.session.scalar(sa.select(Assessment).where(Assessment.company_id == firms[3], Assessment.status == "submitted"))
        new = service.start(firms[3], "sme-digital", None)
        new.revision_of_id = old.id
        service.save_answers(new, verified_answers(old), None)
        service.submit(new)
        db.session.commit()
        assert _compare(zones, monkeypatch) == 6

        # a firm's industry and size change; another firm moves to the other zone; then one leaves the city
        c = db.session.get(Company, firms[4])
        c.industry_division, c.size_class = "34", "large"
        db.session.get(Company, firms[0]).sub_zone = "西区"  # from 东区: only its sub-zone changes
        db.session.get(Company, firms[2]).zone_id = zones[0]  # from zone B to zone A
        db.session.commit()
        assert _compare(zones, monkeypatch) == 6
        other = areas.of_zone(zones[1])
        areas.place(other, areas.create("city", "Y市"))
        db.session.commit()
        assert _compare((zones[0],), monkeypatch) == 4  # firms 1, 3, 5 and the moved firm 2

        # an ORM bulk insert (the demo's way) is noticed
        more = [Company(zone_id=zones[1], name=f"批量企业{n}", uscc=demo_uscc(800 + n), industry_section="C",
                        industry_division="39", employees=20, revenue=500.0, size_class="micro") for n in range(5)]
        db.session.add_all(more)
        db.session.flush()
        submit_synthetic("sme-digital", more, np.full(5, 0.4), np.random.default_rng(1), utcnow(), days=(1, 200))
        db.session.commit()
        assert _compare(zones, monkeypatch) == 11


def test_a_rollback_leaves_the_cube_as_it_was(app, city, monkeypatch):
    zones, firms = city
    with app.test_request_context():
        _submit(firms[0], best=True)
        a = service.start(firms[1], "sme-digital", None)
        service.save_answers(a, extreme_answers(sme(), best=True), None)
        service.submit(a)
        db.session.rollback()
        assert _compare(zones, monkeypatch) == 1


def test_target_quarters_count_firms_at_the_level_at_each_quarter_end_drops_included(app, city, monkeypatch):
    """Hand-computed: firm X is at the top level in 2025Q1, drops to the lowest in 2025Q3 and is back
    at the top in 2026Q1; firm Y reaches the top in 2025Q2. Firms at the top level at each quarter's
    end: Q1 1, Q2 2, Q3 1 (X dropped), Q4 1, 2026Q1 2. First attainment alone would never fall."""
    from datetime import datetime

    from diagnosis.models import Target
    from diagnosis.programmes import targets as tg
    zones, firms = city
    x_firm, y_firm = firms[1], firms[3]  # both in zone A
    with app.test_request_context():
        top = max(lv.id for lv in sme().levels)
        for company_id, best, when in ((x_firm, True, "2025-02-10"), (y_firm, True, "2025-05-10"),
                                       (x_firm, False, "2025-08-10"), (x_firm, True, "2026-02-10")):
            _submit(company_id, best=best, when=datetime.fromisoformat(when + "T10:00:00+00:00"))
        x_area = areas.of_zone(zones[0]).parent_id
        for area_id in (areas.of_zone(zones[0]).id, x_area):  # the zone's own count, and the city's from the cube
            t = Target(area_id=area_id, name="顶级企业数", indicator="firms_at_level", instrument_id="sme-digital",
                       min_level=top, above_scale_only=False, base_year=2025, base_value=0, target_year=2026,
                       target_value=4, nature="expected", source="测试", is_demo=False, created_at=utcnow())
            db.session.add(t)
            db.session.commit()
            found, sub_zone = tg._zones(t)  # both read the pre-aggregates: the zone's own, the city's two
            assert (sorted(found), sub_zone) == ([zones[0]] if area_id != x_area else sorted(zones), None)
            assert tg.quarterly(t) == [("2025Q1", 1.0), ("2025Q2", 2.0), ("2025Q3", 1.0), ("2025Q4", 1.0),
                                       ("2026Q1", 2.0)]
            # the last four quarters 2, 1, 1, 2: a flat least-squares line at their mean
            ev = tg.evaluate(t)
            assert ev["projection"]["value"] == 1.5 and ev["projection"]["per_quarter"] == 0.0
            assert ev["value"] == 2.0 and ev["counted"] == 2
        # A sub-zone's own target counts its firms only: X is in 西区, Y in 东区 (from the pre-aggregates'
        # sub-zone rows). X at the top level at each quarter's end: 1, 1, 0 (dropped), 0, 1.
        west = areas.create("sub_zone", "西区", areas.of_zone(zones[0]))
        db.session.commit()
        assert db.session.get(Company, x_firm).sub_zone == "西区" and db.session.get(Company, y_firm).sub_zone == "东区"
        t = Target(area_id=west.id, name="片区顶级企业数", indicator="share_at_level", instrument_id="sme-digital",
                   min_level=top, above_scale_only=False, base_year=2025, base_value=0, target_year=2026,
                   target_value=50, nature="expected", source="测试", is_demo=False, created_at=utcnow())
        db.session.add(t)
        db.session.commit()
        assert tg._zones(t) == ([zones[0]], "西区")
        west_firms = db.session.scalar(sa.select(sa.func.count()).select_from(Company).where(
            Company.zone_id == zones[0], Company.sub_zone == "西区"))
        share = [round(100 * n / west_firms, 2) for n in (1, 1, 0, 0, 1)]
        assert tg.quarterly(t) == list(zip(["2025Q1", "2025Q2", "2025Q3", "2025Q4", "2026Q1"], share, strict=True))
        ev = tg.evaluate(t)
        assert (ev["counted"], ev["denominator"]) == (1, west_firms)
        assert [m["uscc"] for m in tg.movers(t)] == []  # X is at the level; nobody one level short in 西区
