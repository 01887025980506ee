"""Scoring: a worked example by hand, and properties that must hold for any answers."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import questionnaires
import scoring
from questionnaires import parse
from questionnaires.synthetic import answer_sets

from .helpers import extreme_answers, sme

INST = sme()
CONSTRAINED = set(INST.method.constrained_scenarios)
SCENARIOS = [q.id for q in INST.dimensions[1].questions if q.type == "level"]


def worked_example() -> dict:
    """A small manufacturer, scored by hand from the published points."""
    answers = {
        "network": ["shopfloor", "integrated"],          # 2 + 2
        "equipment_digital_rate": 35,                    # (20, 40] -> 3
        "equipment_network_rate": 15,                    # (10, 20] -> 1.5
        "collected_links": ["quality", "energy", "hr"],  # 0.7 + 0.7 + 0.9
        "systems_coverage": "several",                   # 5
        "network_security": ["policy", "products"],      # 1.25 * 2
        "data_security": ["products"],                   # 1.25      -> foundation 19.55
        "planning_stage": "planned",                     # 3
        "mechanisms": ["workflow", "data_governance"],   # 1.875 * 2
        "talent": ["staff", "training", "department"],   # 1.5 * 3
        "digital_spend_ratio": 3,                        # [0, 10] -> 0  -> management 11.25
        "energy_per_revenue": "down",                    # 7
        "pass_rate": "flat",                             # 3.5
        "revenue_per_employee": "up",                    # 3
        "cost_per_revenue": "flat",                      # 1.5       -> outcomes 15
    }
    at_two = ["production_control", "quality", "finance", "purchasing", "hr", "collaboration", "warehousing"]
    for qid in SCENARIOS:
        answers[qid] = "l2" if qid in at_two else "l1"
    return answers


def test_worked_example():
    r = scoring.score(INST, worked_example())
    assert r.dimension("foundation").points == pytest.approx(19.55)
    assert r.dimension("management").points == pytest.approx(11.25)
    assert r.dimension("outcomes").points == pytest.approx(15.0)
    assert r.total == pytest.approx(45.8)
    # Level 2: score >= 40 and 7 scenarios at level 2, 4 of them constrained (needs 6 and 3).
    assert r.level == 2
    assert r.blockers == {
        "level": 3,
        "conditions": [
            {"kind": "score", "need": 60.0, "have": 45.8},
            {"kind": "scenarios", "need": 8, "have": 0, "at_level": 3},
            {"kind": "constrained_scenarios", "need": 5, "have": 0, "at_level": 3},
        ],
        "questions_below": r.blockers["questions_below"],
    }
    assert set(r.blockers["questions_below"]) == set(SCENARIOS)
    # Constrained scenarios are listed first: they decide the level.
    assert set(r.blockers["questions_below"][:len(CONSTRAINED)]) == CONSTRAINED


def test_score_alone_does_not_lift_the_level():
    answers = extreme_answers(INST, best=True)
    for qid in SCENARIOS[:11]:
        answers[qid] = "l3"  # 100 points, but only 5 scenarios at level 4, two of them constrained (warehousing, finance)
    r = scoring.score(INST, answers)
    assert r.total == 100 and r.level == 3
    assert r.blockers["conditions"] == [
        {"kind": "scenarios", "need": 10, "have": 5, "at_level": 4},
        {"kind": "constrained_scenarios", "need": 6, "have": 2, "at_level": 4},
    ]


@pytest.mark.parametrize("value, points", [(0, 0), (10, 0), (10.01, 1.5), (20, 1.5), (40, 3), (40.5, 4.5), (60, 4.5), (100, 6)])
def test_bins_are_closed_at_the_top(value, points):
    r = scoring.score(INST, {"equipment_digital_rate": value})
    assert r.question_points["equipment_digital_rate"] == points


def test_sme_extremes_give_full_and_empty_scores():
    best, worst = (scoring.score(INST, extreme_answers(INST, b)) for b in (True, False))
    assert (best.total, best.level, best.blockers) == (100.0, 4, None)
    assert (worst.total, worst.level) == (0.0, 0)
    assert all(d.percent == 100 for d in best.dimensions) and all(d.percent == 0 for d in worst.dimensions)


# --- properties --------------------------------------------------------------------------

def answer_strategy(inst):
    def for_question(q):
        if q.type in ("single", "level"):
            return st.sampled_from([o.id for o in q.options])
        if q.type == "multi":
            return st.lists(st.sampled_from([o.id for o in q.options]), unique=True)
        if q.type == "number":
            return st.floats(min_value=q.min, max_value=q.max, allow_nan=False)
        if q.type == "yesno":
            return st.booleans()
        return st.text(max_size=20)
    return st.fixed_dictionaries({}, optional={q.id: for_question(q) for q in inst.questions})


def raise_one(inst, answers, qid, data):
    """The same answers with question `qid` answered more maturely."""
    q = inst.question(qid)
    out = dict(answers)
    if q.type in ("single", "level"):
        rank = sorted(q.options, key=lambda o: (o.points, o.level or 0))
        current = next((i for i, o in enumerate(rank) if o.id == answers.get(qid)), -1)
        out[qid] = rank[data.draw(st.integers(min_value=min(current + 1, len(rank) - 1), max_value=len(rank) - 1))].id
    elif q.type == "multi":
        out[qid] = list(set(answers.get(qid, [])) | {data.draw(st.sampled_from([o.id for o in q.options]))})
    elif q.type == "number":
        out[qid] = data.draw(st.floats(min_value=answers.get(qid, q.min), max_value=q.max, allow_nan=False))
    return out


ALL = sorted(questionnaires.available())


def every_instrument(max_examples: int):
    """Run a property test on every shipped instrument, drawing its data with Hypothesis."""
    def wrap(test):
        test = given(data=st.data())(test)
        test = settings(max_examples=max_examples, deadline=None,
                        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])(test)
        return pytest.mark.parametrize("instrument_id", ALL)(test)
    return wrap


@every_instrument(60)
def test_scores_stay_in_range(instrument_id, data):
    inst = questionnaires.get(instrument_id)
    r = scoring.score(inst, data.draw(answer_strategy(inst)))
    assert 0 <= r.total <= r.max_total
    for d in r.dimensions:
        assert 0 <= d.points <= d.max_points + 1e-9 and 0 <= d.percent <= 100
    assert min(lv.id for lv in inst.levels) <= r.level <= max(lv.id for lv in inst.levels)


@every_instrument(60)
def test_raising_an_answer_never_lowers_a_score(instrument_id, data):
    inst = questionnaires.get(instrument_id)
    answers = data.draw(answer_strategy(inst))
    qid = data.draw(st.sampled_from([q.id for q in inst.questions if q.type != "text"]))
    before = scoring.score(inst, answers)
    after = scoring.score(inst, raise_one(inst, answers, qid, data))
    assert after.total >= before.total - 1e-9
    assert after.level >= before.level
    for b, a in zip(before.dimensions, after.dimensions):
        assert a.points >= b.points - 1e-9 and a.percent >= b.percent - 1e-9


@every_instrument(25)
def test_one_firm_scores_the_same_alone_and_in_a_batch(instrument_id, data):
    inst = questionnaires.get(instrument_id)
    batch = data.draw(st.lists(answer_strategy(inst), min_size=1, max_size=8))
    i = data.draw(st.integers(min_value=0, max_value=len(batch) - 1))
    assert scoring.score_batch(inst, batch).result(i) == scoring.score(inst, batch[i])


@pytest.mark.parametrize("instrument_id", ALL)
def test_all_best_answers_give_the_top_level_and_all_worst_the_bottom(instrument_id):
    inst = questionnaires.get(instrument_id)
    best, worst = (scoring.score(inst, extreme_answers(inst, b)) for b in (True, False))
    assert best.level == max(lv.id for lv in inst.levels) and best.blockers is None
    assert worst.level == min(lv.id for lv in inst.levels) and worst.total == 0


def test_synthetic_population_batch_equals_singles():
    sets = answer_sets(INST, 200, np.random.default_rng(1))
    batch = scoring.score_batch(INST, sets)
    for i in range(0, 200, 17):
        assert batch.result(i) == scoring.score(INST, sets[i])
    # A real-looking population: levels skewed low, nobody perfect.
    counts = np.bincount(batch.level, minlength=5)
    assert counts[:3].sum() > counts[3:].sum()


TINY = {
    "id": "tiny", "version": "1", "title": {"zh": "小"}, "description": {"zh": "小"}, "source": {"zh": "测试"},
    "method": {"type": "weighted_points", "total": 10, "levels": [{"level": 1, "min_score": 5}]},
    "levels": [{"id": 0, "name": {"zh": "零"}, "description": {"zh": "零"}}, {"id": 1, "name": {"zh": "一"}, "description": {"zh": "一"}}],
    "dimensions": [{"id": "d", "title": {"zh": "维"}, "weight": 10, "indicators": [{"id": "i", "title": {"zh": "指"}, "questions": [
        {"id": "has_mes", "type": "yesno", "text": {"zh": "有MES吗"}, "help": {"zh": "h"}, "example": {"zh": "e"}, "points": 4},
        {"id": "mes_scope", "type": "single", "text": {"zh": "MES覆盖"}, "help": {"zh": "h"}, "example": {"zh": "e"},
         "show_if": {"question": "has_mes", "equals": True},
         "options": [{"id": "some", "text": {"zh": "部分"}, "points": 3}, {"id": "all", "text": {"zh": "全部"}, "points": 6}]},
    ]}]}],
}


def test_hidden_questions_never_count():
    tiny = parse(TINY)
    shown = scoring.score(tiny, {"has_mes": True, "mes_scope": "all"})
    hidden = scoring.score(tiny, {"has_mes": False, "mes_scope": "all"})
    assert (shown.total, shown.level) == (10, 1)
    assert (hidden.total, hidden.level, hidden.hidden) == (0, 0, ["mes_scope"])
    assert scoring.score(tiny, {"mes_scope": "all"}).total == 0


@pytest.mark.parametrize("cond, answers, visible", [
    ({"question": "has_mes", "answered": False}, {}, True),
    ({"not": {"question": "has_mes", "equals": True}}, {"has_mes": False}, True),
    ({"any": [{"question": "has_mes", "equals": True}, {"question": "has_mes", "answered": False}]}, {"has_mes": False}, False),
    ({"all": [{"question": "has_mes", "answered": True}, {"question": "has_mes", "not_equals": False}]}, {"has_mes": True}, True),
])
def test_condition_combinators(cond, answers, visible):
    data = {**TINY}
    dims = [dict(TINY["dimensions"][0])]
    ind = dict(dims[0]["indicators"][0])
    qs = [dict(q) for q in ind["questions"]]
    qs[1]["show_if"] = cond
    ind["questions"] = qs
    dims[0]["indicators"] = [ind]
    data["dimensions"] = dims
    tiny = parse(data)
    r = scoring.score(tiny, {**answers, "mes_scope": "some"})
    assert ("mes_scope" not in r.hidden) is visible


@every_instrument(60)
def test_answers_to_hidden_questions_never_count(instrument_id, data):
    inst = questionnaires.get(instrument_id)
    answers = data.draw(answer_strategy(inst))
    r = scoring.score(inst, answers)
    best = extreme_answers(inst, best=True)
    changed = {**answers, **{q: best[q] for q in r.hidden if q in best}}
    again = scoring.score(inst, changed)
    assert (again.total, again.level, again.dimensions) == (r.total, r.level, r.dimensions)
