"""Worked examples of the level-gated (GB/T 39117) and rule-based (cloud stars) methods."""
from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings

import questionnaires
import scoring

from .test_scoring import answer_strategy

SM = questionnaires.get("smart-manufacturing")
CLOUD = questionnaires.get("cloud-adoption")


def sm_answers(by_level: dict[int, str]) -> dict:
    """Every requirement of level L answered with by_level[L] (a satisfaction option id)."""
    return {q.id: by_level[q.level] for q in SM.questions if q.level in by_level}


def test_smart_manufacturing_covers_the_model():
    assert [d.id for d in SM.dimensions] == ["personnel", "technology", "resources", "design", "production",
                                             "logistics", "sales", "service"]
    assert len([i for d in SM.dimensions for i in d.indicators]) == 20
    assert sum(i.weight for d in SM.dimensions for i in d.indicators) == pytest.approx(1.0)
    for lv in range(1, 6):
        assert any(q.level == lv for q in SM.questions)


def test_levels_accumulate_until_the_first_level_short_of_the_threshold():
    # Level 1 fully met (1.0), level 2 mostly (0.8 = threshold), level 3 partly (0.5), above not met.
    r = scoring.score(SM, sm_answers({1: "full", 2: "mostly", 3: "partly", 4: "none", 5: "none"}))
    assert r.level == 2
    assert r.total == pytest.approx(2.5)          # two levels reached + level 3's score
    assert r.blockers["level"] == 3
    assert r.blockers["conditions"] == [{"kind": "level_score", "need": 0.8, "have": 0.5, "at_level": 3}]
    assert len(r.blockers["indicators_below"]) == 20   # every subdomain has level-3 requirements at 0.5


def test_a_higher_level_does_not_count_while_a_lower_one_is_missed():
    r = scoring.score(SM, sm_answers({1: "partly", 2: "full", 3: "full", 4: "full", 5: "full"}))
    assert r.level == 0 and r.total == pytest.approx(0.5)


def test_level_score_is_weighted_over_subdomains():
    level_one = [q.id for q in SM.questions if q.level == 1]
    assert len(level_one) == 16  # data, integration, security and product service start higher
    answers = sm_answers({1: "full", 2: "none", 3: "none", 4: "none", 5: "none"})
    answers["strategy_l1"] = "partly"          # (15 * 1.0 + 0.5) / 16 = 0.96875: still level 1
    r = scoring.score(SM, answers)
    assert r.level == 1 and r.total == pytest.approx(1.0)
    answers.update({qid: "partly" for qid in level_one[:8]})   # (8 * 1.0 + 8 * 0.5) / 16 = 0.75
    r = scoring.score(SM, answers)
    assert r.level == 0 and r.total == pytest.approx(0.75)
    assert r.blockers["conditions"] == [{"kind": "level_score", "need": 0.8, "have": 0.75, "at_level": 1}]


BANDS = [(0.8, 1.8, 1), (1.8, 2.8, 2), (2.8, 3.8, 3), (3.8, 4.8, 4), (4.8, 5.0001, 5)]


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(answers=answer_strategy(SM))
def test_score_lies_in_the_published_band_of_its_level(answers):
    """GB/T 39117 maps S to levels: 0.8 <= S < 1.8 is level 1, ... 4.8 <= S <= 5 is level 5."""
    r = scoring.score(SM, answers)
    band = next((lv for lo, hi, lv in BANDS if lo <= r.total < hi), 0)
    assert band == r.level


def cloud_three_stars() -> dict:
    return {
        "infra_systems": "most", "cloud_kinds": ["public"], "months_in_use": 8,
        "business_areas": ["production", "sales", "finance", "purchasing"], "industrial_apps": 2, "data_share": "most",
        "devices_connected": "some", "edge_processing": True, "device_uses": ["monitoring"],
        "model_apps": ["forecasting"], "technologies": ["big_data"], "model_results": "pilot",
    }


def test_cloud_three_stars_and_what_blocks_four():
    r = scoring.score(CLOUD, cloud_three_stars())
    assert r.level == 3 and r.total == 3
    assert r.blockers == {"level": 4, "conditions": [{"kind": "requirement", "id": "devices_on_cloud"},
                                                     {"kind": "requirement", "id": "device_management"}]}


def test_cloud_stars_are_earned_in_order():
    answers = cloud_three_stars()
    answers["months_in_use"] = 2       # not yet three months: stuck at two stars
    answers.update({"devices_connected": "all", "device_uses": ["management", "monitoring"]})
    r = scoring.score(CLOUD, answers)
    assert r.level == 2
    assert r.blockers["conditions"] == [{"kind": "requirement", "id": "three_months"}]


def test_cloud_hidden_edge_answer_does_not_count():
    answers = cloud_three_stars()
    answers.update({"devices_connected": "none", "device_uses": ["management", "monitoring"]})
    r = scoring.score(CLOUD, answers)
    assert {"edge_processing", "device_uses"} <= set(r.hidden)
    assert r.question_points["edge_processing"] == 0 and r.dimension("equipment").percent == 0


def test_five_stars():
    answers = cloud_three_stars()
    answers.update({"devices_connected": "all", "device_uses": ["management", "monitoring"],
                    "model_apps": ["forecasting", "quality"], "model_results": "proven", "technologies": ["ai"]})
    r = scoring.score(CLOUD, answers)
    assert r.level == 5 and r.blockers is None


def test_rule_conditions_are_checked_on_load():
    import yaml

    from questionnaires.loader import INSTRUMENT_DIR
    data = yaml.safe_load((INSTRUMENT_DIR / "cloud-adoption.yaml").read_text(encoding="utf-8"))
    data["method"]["rules"][0]["requires"][0]["condition"] = {"question": "infra_systems", "in": ["lots"]}
    data["method"]["rules"][1]["requires"][0]["condition"] = {"question": "months_in_use", "count_gte": 2}
    with pytest.raises(questionnaires.InstrumentInvalid) as exc:
        questionnaires.parse(data)
    text = str(exc.value)
    assert "'lots'" in text and "'count_gte' needs a multiple-choice question" in text
