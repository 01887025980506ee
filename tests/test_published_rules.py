"""Levels checked against the published texts, not against this project's own code.

Sources (see ../shared/reference/verification.md):
- SME: 中小企业数字化水平评测指标（2024年版）, official evaluation system configuration (S1):
  财务管理 L1 = an information system for daily records, general ledger and statements;
  决策支持 L2 = integrated key data with visual dashboards; 10 scenarios with sceneType=1,
  仓储物流 among them. Level rule (S2): >= 20/40/60/80 points AND >= 6/6/8/10 scenarios at that
  level, >= 3/3/5/6 of them constrained.
- Cloud: 苏工信信基〔2024〕181号 (C3): public, private or hybrid cloud for every star; only
  三星/四星/五星 exist. 2021/22 guides (C2): three stars need a public cloud or platform, four
  and five stars may use any cloud.
- Smart manufacturing: a level counts when its score reaches 0.8 (standards.md, unverified).
"""
from __future__ import annotations

import pytest

import questionnaires
import scoring
from questionnaires.upgrade import archived
from reports.context import firm_context

SME = questionnaires.get("sme-digital")
SME_9 = questionnaires.variant("sme-digital", "constrained9")
CLOUD = questionnaires.get("cloud-adoption")
CLOUD_2021 = questionnaires.variant("cloud-adoption", "js2021")
SM = questionnaires.get("smart-manufacturing")

# The official list (S1 sceneType=1) and the scenarios outside it.
CONSTRAINED_10 = ["product_design", "marketing", "production_control", "quality", "equipment_mgmt", "safety",
                  "energy", "purchasing", "warehousing", "finance"]
FREE = ["process_design", "after_sales", "scheduling", "hr", "collaboration", "decision_support"]
# S2's gate per level: (points, scenarios at that level, constrained among them).
GATE = {1: (20, 6, 3), 2: (40, 6, 3), 3: (60, 8, 5), 4: (80, 10, 6)}

# Answer sets worth exactly 20, 40, 60 and 80 points by the official point tables.
P20 = {"network": ["shopfloor", "integrated", "fiveg", "full_coverage"],  # 4 x 2 = 8
       "systems_coverage": "most",                                         # 7.5
       "equipment_digital_rate": 15,                                       # (10, 20] -> 1.5
       "equipment_network_rate": 30}                                       # (20, 40] -> 3
P40 = {**P20, "energy_per_revenue": "down", "pass_rate": "up",            # 7 + 7
       "revenue_per_employee": "up", "cost_per_revenue": "down"}           # 3 + 3
P60 = {**P40, "systems_coverage": "all",                                   # +2.5
       "planning_stage": "exemplary",                                      # 7.5
       "mechanisms": ["workflow", "systems_ops", "data_governance", "incentives"],  # 4 x 1.875
       "network_security": ["policy", "products"]}                         # 2 x 1.25
P80 = {**P60, "data_security": ["policy", "products", "risk_assessment", "inventory"],  # 5
       "talent": ["staff", "department", "training", "pay", "pipeline"],   # 7.5
       "equipment_digital_rate": 80, "equipment_network_rate": 80}         # +4.5 + 3
POINTS = {1: P20, 2: P40, 3: P60, 4: P80}


def scenarios_at(level: int) -> dict:
    return {q: f"l{level}" for q in CONSTRAINED_10 + FREE}


def option_with(q, text: str):
    return next(o for o in q.options if text in o.text.zh)


def test_basic_accounting_software_is_finance_level_1():
    finance = SME.question("finance")
    software = option_with(finance, "财务软件")
    assert software.level == 1 and software.text.zh.startswith("一级：")
    r = scoring.score(SME, {"finance": software.id})
    assert r.question_levels["finance"] == 1


def test_an_integrated_dashboard_is_decision_support_level_2():
    dashboard = option_with(SME.question("decision_support"), "看板")
    assert dashboard.level == 2
    assert scoring.score(SME, {"decision_support": dashboard.id}).question_levels["decision_support"] == 2


def test_every_scenario_option_names_its_level():
    names = {0: ("尚未开展", "Not started"), 1: ("一级：", "Level 1: "), 2: ("二级：", "Level 2: "),
             3: ("三级：", "Level 3: "), 4: ("四级：", "Level 4: ")}
    for q in SME.questions:
        if q.type == "level":
            for o in q.options:
                zh, en = names[o.level]
                assert o.text.zh.startswith(zh) and o.text.en.startswith(en), (q.id, o.id)


def test_the_default_constrained_list_is_the_official_ten():
    assert sorted(SME.method.constrained_scenarios) == sorted(CONSTRAINED_10)
    assert "warehousing" not in SME_9.method.constrained_scenarios
    assert SME.rule_set.year == 2024 and "工信厅企业〔2024〕56号" in SME.rule_set.document.zh


@pytest.mark.parametrize("level", [1, 2, 3, 4])
def test_warehousing_counts_as_the_chosen_list_says_at_each_gate(level):
    _, count, constrained = GATE[level]
    below = max(level - 1, 0)
    answers = {**POINTS[4], **scenarios_at(below)}
    # Exactly `count` scenarios at the level, exactly `constrained` of them constrained, warehousing one of them.
    others = [q for q in CONSTRAINED_10 if q != "warehousing"]
    chosen = ["warehousing"] + others[:constrained - 1] + FREE[:count - constrained]
    answers.update({q: f"l{level}" for q in chosen})
    assert scoring.score(SME, answers).level == level              # 10-scenario list: warehousing counts
    assert scoring.score(SME_9, answers).level == below           # 9-scenario list: one constrained short


@pytest.mark.parametrize("level", [1, 2, 3, 4])
def test_point_thresholds_hit_exactly(level):
    points, _, _ = GATE[level]
    answers = {**POINTS[level], **scenarios_at(level)}
    r = scoring.score(SME, answers)
    assert r.total == points and r.level == level
    short = {**answers, "equipment_digital_rate": 5 if level < 4 else 50}   # 1.5 points less
    r = scoring.score(SME, short)
    assert r.total == points - 1.5 and r.level == level - 1


@pytest.mark.parametrize("level", [1, 2, 3, 4])
def test_scenario_counts_hit_exactly(level):
    _, count, constrained = GATE[level]
    answers = {**POINTS[4], **scenarios_at(level - 1)}
    chosen = CONSTRAINED_10[:constrained] + FREE[:count - constrained]
    answers.update({q: f"l{level}" for q in chosen})
    assert scoring.score(SME, answers).level == level
    one_less = {**answers, FREE[count - constrained - 1] if count > constrained else chosen[-1]: f"l{level - 1}"}
    assert scoring.score(SME, one_less).level == level - 1


def test_the_spend_help_states_the_rule_for_young_firms_and_the_zero_band():
    q = SME.question("digital_spend_ratio")
    assert "企业成立不满三年" in q.help.zh and "10%及以下得0分" in q.help.zh
    assert "less than three years" in q.help.en and "0 points" in q.help.en
    assert scoring.score(SME, {"digital_spend_ratio": 10}).question_points["digital_spend_ratio"] == 0


# --- cloud ------------------------------------------------------------------------------

def private_cloud_firm() -> dict:
    """Business and data on a private cloud with industrial apps, and all equipment on the cloud."""
    return {"infra_systems": "all", "cloud_kinds": ["private"], "months_in_use": 12,
            "business_areas": ["production", "logistics", "sales", "finance"], "industrial_apps": 2,
            "data_share": "all",
            "devices_connected": "all", "edge_processing": True, "device_uses": ["management", "monitoring"],
            "model_results": "none"}


def test_a_private_cloud_firm_with_all_equipment_on_the_cloud_is_four_stars_under_the_2024_rules():
    r = scoring.score(CLOUD, private_cloud_firm())
    assert r.level == 4 and CLOUD.level(r.level).name.zh == "四星"
    assert CLOUD.rule_set.year == 2024 and "苏工信信基〔2024〕181号" in CLOUD.rule_set.document.zh


def test_under_the_2021_guides_four_stars_need_no_public_cloud_but_three_stars_do():
    assert scoring.score(CLOUD_2021, private_cloud_firm()).level == 4
    no_devices = {**private_cloud_firm(), "devices_connected": "none"}
    assert scoring.score(CLOUD_2021, no_devices).level == 2          # three stars need a public cloud
    assert scoring.score(CLOUD, no_devices).level == 3               # the 2024 notice accepts a private cloud


def test_the_old_version_kept_its_own_rule():
    """2024.1 required a public cloud for every star: the same firm was rated at its stage 2 there."""
    assert scoring.score(archived("cloud-adoption", "2024.1"), private_cloud_firm()).level == 2


def test_two_saas_services_are_on_the_cloud_without_a_star():
    r = scoring.score(CLOUD, {"business_areas": ["sales", "finance"], "infra_systems": "none"})
    name = CLOUD.level(r.level).name
    assert r.level < 3
    assert name.zh.startswith("已上云，未达星级") and "星" not in name.zh.replace("未达星级", "")
    assert name.en.startswith("On the cloud, no star yet")


def test_only_three_four_and_five_stars_are_stars():
    for inst in (CLOUD, CLOUD_2021):
        stars = [lv.id for lv in inst.levels if lv.name.zh.endswith("星") and "未达星级" not in lv.name.zh]
        assert stars == [3, 4, 5]
        assert not {"一星", "二星"} & {lv.name.zh for lv in inst.levels}


# --- smart manufacturing --------------------------------------------------------------------

def level_one(option: str) -> dict:
    return {q.id: option for q in SM.questions if q.level == 1}


def test_level_one_at_exactly_the_threshold_and_just_below():
    assert scoring.score(SM, level_one("mostly")).level == 1          # every requirement at 0.8
    below = level_one("mostly")
    below[next(iter(below))] = "partly"
    assert scoring.score(SM, below).level == 0


def test_smart_manufacturing_says_what_is_published_and_shows_s_to_one_decimal():
    r = scoring.score(SM, level_one("full")).to_dict()
    ctx = firm_context(SM, r, {"name": "X"}, "zh")
    assert ctx["total_text"] == "1.0"
    # S is cut to one decimal, never rounded up into the band of a level not reached.
    below = level_one("mostly")
    below[next(iter(below))] = "partly"
    r = scoring.score(SM, below)
    assert r.level == 0 and 0.75 < r.total < 0.8
    assert firm_context(SM, r.to_dict(), {"name": "X"}, "zh")["total_text"] == "0.7"
    note = ctx["rule_set"]["note"]
    assert "GB/T 39116-2020" in note and "本工具" in note and "0.8" in note
    assert all(q.text.zh[:5] in {f"{n}级要求：" for n in "一二三四五"} for q in SM.questions if q.level)


def test_skipped_requirements_cannot_change_the_level_or_s():
    """Requirements two or more levels above the first clearly missed level are not asked; a firm
    that leaves them unanswered gets the level and S it would get by answering them."""
    import numpy as np

    from questionnaires.synthetic import answer_sets
    sets = answer_sets(SM, 300, np.random.default_rng(11))
    sets.append(level_one("none"))                     # level 1 clearly missed: levels 3-5 not asked
    asked = scoring.asked(scoring.encode(SM, sets))
    skipped = [{q: v for q, v in a.items() if asked[q][i]} for i, a in enumerate(sets)]
    full, short = scoring.score_batch(SM, sets), scoring.score_batch(SM, skipped)
    assert (full.level == short.level).all() and np.allclose(full.total, short.total)
    assert {q.id for q in SM.questions if not asked[q.id][-1]} == {q.id for q in SM.questions if q.level >= 3}
    n_asked = sum(int(m.sum()) for m in asked.values())
    assert n_asked < len(sets) * len(SM.questions)


def test_the_level_is_named_on_paper_in_the_xlsx_template_and_in_the_report_appendix():
    import io

    from openpyxl import load_workbook

    from diagnosis.imports import template
    from questionnaires.describe import paper_form
    from reports.context import answer_text
    assert "[ ] 一级：用财务软件" in paper_form(SME) and "[ ] Level 1: Accounting software" in paper_form(SME, "en")
    guide = load_workbook(io.BytesIO(template(SME))).worksheets[1]
    finance = next(row for row in guide.iter_rows(values_only=True) if row[0] == "finance")
    assert "l1 = 一级：用财务软件" in finance[3] and "l0 = 尚未开展" in finance[3]
    assert answer_text(SME, "finance", "l1", "zh").startswith("一级：")
