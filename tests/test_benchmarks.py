"""Peer benchmarks, gaps and recommendations."""
from __future__ import annotations

import json

import numpy as np
import pytest
import sqlalchemy as sa

import questionnaires
import scoring
from questionnaires.references import references
from scoring.benchmark import Firm, Population, benchmark, peer_mask, percentile
from scoring.recommend import PHASES, gaps, recommend

from .conftest import PLEDGE
from .helpers import extreme_answers, sme


def toy_population(industries, sizes, zones, totals) -> Population:
    n = len(totals)
    return Population(ids=np.arange(n), industry=np.array(industries, dtype=object), size=np.array(sizes, dtype=object),
                      zone=np.array(zones), total=np.array(totals, float), dimensions=np.array(totals, float).reshape(n, 1),
                      indicators=np.array(totals, float).reshape(n, 1), dimension_ids=["d"], indicator_ids=["i"])


def test_percentile_counts_ties_as_half():
    values = np.array([10, 20, 20, 30])
    assert percentile(values, 20) == 50.0      # one below, two ties
    assert percentile(values, 5) == 0.0 and percentile(values, 35) == 100.0


def test_peer_group_widens_until_it_is_large_enough():
    # 5 peers share industry, size and zone; 12 share the industry; 20 share the zone; 40 in all.
    ind = ["34"] * 12 + ["39"] * 28
    size = ["small"] * 5 + ["medium"] * 35
    zone = [1] * 5 + [2] * 7 + [1] * 15 + [2] * 13
    pop = toy_population(ind, size, zone, np.linspace(0, 100, 40))
    firm = Firm("34", "small", 1)
    assert peer_mask(pop, firm, min_size=5)[0] == "industry_size_zone"
    assert peer_mask(pop, firm, min_size=6)[0] == "industry"
    assert peer_mask(pop, firm, min_size=13)[0] == "zone"
    kind, mask = peer_mask(pop, firm, min_size=21)
    assert kind == "all" and mask.sum() == 40
    # The firm's own assessment is never its own peer.
    kind, mask = peer_mask(pop, Firm("34", "small", 1, exclude_id=0), min_size=5)
    assert kind == "industry" and mask.sum() == 11


def test_benchmark_reports_group_quartiles_and_percentile():
    pop = toy_population(["34"] * 40, ["small"] * 40, [1] * 40, np.arange(40) * 2.5)
    b = benchmark(pop, Firm("34", "small", 1), 50.0, {"d": 50.0}, min_size=30)
    assert (b["group"], b["n"]) == ("industry_size_zone", 40)
    assert b["percentile"] == 51.2
    assert b["total"]["p25"] == pytest.approx(np.percentile(np.arange(40) * 2.5, 25), abs=0.01)  # rounded to 2 places
    assert set(b["total"]) == {"mean", "p25", "p50", "p75", "p90"}
    assert b["dimensions"]["d"]["p75"] == b["total"]["p75"]


def result_of(inst, answers, bench=None):
    r = scoring.score(inst, answers).to_dict()
    r["benchmark"] = bench
    return r


def test_recommendations_respect_prerequisites_in_order_and_phase():
    inst = sme()
    r = result_of(inst, extreme_answers(inst, best=False))
    recs = recommend(inst, r)
    order = [x["indicator"] for x in recs]
    # Analysis of data (decision, level 4 step) never before collecting it.
    assert order.index("data_collection") < max(i for i, x in enumerate(order) if x == "decision")
    for i, rec in enumerate(recs):
        for req in rec["requires"]:
            earlier = [x for x in recs[:i] if x["indicator"] == req]
            later = [x for x in recs[i + 1:] if x["indicator"] == req]
            assert not later, f"{rec['indicator']} placed before its prerequisite {req}"
            assert all(PHASES.index(rec["months"]) >= PHASES.index(e["months"]) for e in earlier)


def test_recommendations_rank_by_weight_times_gap():
    inst = sme()
    answers = extreme_answers(inst, best=True)
    answers.update({"network": [], "equipment_digital_rate": 0, "equipment_network_rate": 0,   # equipment: 20 points short
                    "mechanisms": ["workflow", "systems_ops"]})                              # mechanisms: 3.75 short
    recs = recommend(inst, result_of(inst, answers))
    assert [r["indicator"] for r in recs] == ["equipment", "mechanisms"]
    assert recs[0]["gain"] > recs[1]["gain"]


def test_gaps_to_peer_top_quartile():
    inst = sme()
    r = result_of(inst, extreme_answers(inst, best=False))
    bench = {"indicators": {"equipment": {"p75": 60.0}}}
    g = {x["indicator"]: x for x in gaps(inst, r, bench)}
    assert g["equipment"]["gap_peer_p75"] == 60.0 and g["talent"]["gap_peer_p75"] is None
    assert g["equipment"]["gap_next_level"] > 0


def test_reference_files_match_their_instruments():
    for instrument_id, inst in questionnaires.available().items():
        levels = {lv.id for lv in inst.levels}
        for fig in references(instrument_id):
            if fig.kind == "level_distribution":
                assert {lv for b in fig.buckets for lv in b.levels} <= levels
                assert sum(b.share for b in fig.buckets) == pytest.approx(100, abs=0.5)
            elif fig.kind == "target_level":
                assert fig.level in levels
            else:
                assert inst.question(fig.question) is not None


def test_submission_is_benchmarked_and_rescore_refreshes_it(app, world, client):
    from diagnosis.demo import submit_synthetic
    from diagnosis.extensions import db
    from diagnosis.models import Assessment, Company, Result, utcnow
    from diagnosis.rescore import rescore
    with app.app_context():
        peers = db.session.scalars(sa.select(Company)).all()
        submit_synthetic("sme-digital", peers * 20, np.full(len(peers) * 20, 0.3), np.random.default_rng(0), utcnow(), days=(1, 540))
        db.session.commit()
    c = client().login(world.a.enterprise)
    aid = c.start()
    c.autosave(aid, extreme_answers(sme(), best=True))
    c.post_form(f"/assessments/{aid}/review", PLEDGE)
    with app.app_context():
        res = db.session.get(Assessment, aid).result
        bench = res.details["benchmark"]
        assert bench["percentile"] == 100.0 and bench["n"] >= 1
        # Everybody else improves: a rescore lowers this firm's standing.
        for r in db.session.scalars(sa.select(Result).where(Result.assessment_id != aid)):
            r.total = 100.0
        db.session.commit()
        counts = rescore(zone_id=world.a.zone)
        assert counts["sme-digital"] >= 1
        res = db.session.get(Assessment, aid).result
        assert res.details["benchmark"]["n"] >= 1 and res.level == 4
    page = c.get(f"/assessments/{aid}/result").text
    assert "个的达成度高于同类平均" in page  # the comparison, from the same figures as the table


def test_score_command_prints_result_benchmark_and_recommendations(app, tmp_path):
    inst = sme()
    answers = tmp_path / "a.json"
    answers.write_text(json.dumps(extreme_answers(inst, best=False)), encoding="utf-8")
    company = tmp_path / "c.json"
    company.write_text(json.dumps({"industry_division": "34", "employees": 120, "revenue": 8600}), encoding="utf-8")
    from diagnosis.cli import main
    runner = app.test_cli_runner()
    out = runner.invoke(main, args=["score", "--questionnaire", "sme-digital", "--answers", str(answers), "--company", str(company)])
    assert out.exit_code == 0, out.output
    data = json.loads(out.output)
    assert data["level"] == 0 and data["total"] == 0
    assert data["recommendations"] and data["gaps"] and data["blockers"]["level"] == 1
    assert data["benchmark"] is None  # an empty database has no peers
    bad = tmp_path / "bad.json"
    bad.write_text('{"network": "everything"}', encoding="utf-8")
    out = runner.invoke(main, args=["score", "--questionnaire", "sme-digital", "--answers", str(bad)])
    assert out.exit_code != 0 and "network" in out.output and "Traceback" not in out.output


def test_the_cached_population_follows_new_results_and_rescores(app, world, client):
    """The peer population is read once and then extended: it must equal a fresh read."""
    from diagnosis import peers
    from diagnosis.extensions import db
    from diagnosis.rescore import rescore
    with app.app_context():
        peers.forget_populations()
        first = peers.population("sme-digital")
        assert len(first) == 0
    c = client().login(world.a.enterprise)
    c.submit(extreme_answers(sme(), best=False))
    c.submit(extreme_answers(sme(), best=True))  # the same firm again: replaces its first result
    client().login(world.a.other_enterprise).submit(extreme_answers(sme(), best=False))
    with app.app_context():
        cached = peers.population("sme-digital")
        peers.forget_populations()
        fresh = peers.population("sme-digital")
        assert len(cached) == len(fresh) == 2
        order = np.argsort(cached.ids)
        assert sorted(cached.ids) == sorted(fresh.ids) and np.allclose(cached.total[order], fresh.total[np.argsort(fresh.ids)])
        rescore()
        assert len(peers.population("sme-digital")) == 2
        db.session.execute(sa.text("DELETE FROM dimension_scores"))
        db.session.execute(sa.text("DELETE FROM results WHERE company_id = :c"), {"c": world.a.other})
        db.session.commit()
        assert len(peers.population("sme-digital")) == 1


def test_the_peer_ladder_steps_through_the_same_city_and_the_same_province():
    """3 share industry, size and zone; 8 the industry in the firm's city; 12 the industry anywhere;
    15 the zone; 30 the province; 40 in all. Without a city or province those steps are skipped."""
    spec = ([("34", "small", 1, 10, 100)] * 3 + [("34", "medium", 3, 10, 100)] * 5 + [("34", "small", 5, 20, 200)] * 4
            + [("39", "small", 1, 10, 100)] * 12 + [("39", "medium", 4, 30, 100)] * 10 + [("39", "small", 6, 20, 200)] * 6)
    ind, size, zone, city, province = (list(col) for col in zip(*spec))
    pop = toy_population(ind, size, zone, np.linspace(0, 100, 40))
    pop.city, pop.province = np.array(city), np.array(province)
    firm = Firm("34", "small", 1, city=10, province=100)
    ladder = [(3, "industry_size_zone", 3), (4, "industry_city", 8), (9, "industry", 12), (13, "zone", 15),
              (16, "province", 30), (31, "all", 40)]
    for min_size, kind, n in ladder:
        got, mask = peer_mask(pop, firm, min_size=min_size)
        assert (got, int(mask.sum())) == (kind, n), min_size
    assert peer_mask(pop, Firm("34", "small", 1), min_size=4)[0] == "industry"
    assert peer_mask(pop, Firm("34", "small", 1), min_size=16)[0] == "all"
    b = benchmark(pop, firm, 50.0, {"d": 50.0}, min_size=4)
    assert (b["group"], b["n"]) == ("industry_city", 8)  # the result states the group and its size


def test_every_peer_group_has_a_name_in_both_languages():
    from reports.context import GROUP_NAMES
    from reports.i18n import gettext_for
    from scoring.benchmark import GROUPS
    assert set(GROUP_NAMES) == set(GROUPS)
    for kind in GROUPS:
        assert gettext_for("en")(GROUP_NAMES[kind]) != GROUP_NAMES[kind]
