"""Sentences of a report built from its own figures: the level's name per instrument, the
shortest path to the next level, the terms a reader meets, the disclaimer.

Every comparative sentence takes the same numbers as the table it sits beside, so the
text cannot contradict the table (tests/test_report_claims.py checks this on random firms).
"""
from __future__ import annotations

import math

from questionnaires import Instrument
from scoring import next_level_path

from .i18n import gettext_for


def N_(message: str) -> str:
    return message


# What the level is called, per instrument (the rule documents' own words).
LEVEL_TITLES = {"sme-digital": N_("数字化水平等级"), "smart-manufacturing": N_("智能制造能力成熟度等级"),
                "cloud-adoption": N_("上云星级")}
# The terms each method uses, explained once, where the reader first meets them.
TERMS = {
    "weighted_points": [
        (N_("达成度"), N_("一个维度或指标实得分占满分的比例，0–100%。")),
        (N_("业务场景等级"), N_("数字化经营中每个业务场景（如采购管理）所处的一至四级；等级判定要求一定数量的场景达到该级。")),
        (N_("约束性场景"), N_("评测指标指定的关键业务场景；达到某一等级时，其中须有规定数量的场景达到该级。")),
    ],
    "level_gated": [
        (N_("满足程度"), N_("每项要求按“全部满足 1、大部分满足 0.8、部分满足 0.5、不满足 0”计分；某一等级的满足程度是该级各项要求的加权平均。")),
        (N_("成熟度得分"), N_("已达到的等级数加上下一等级的满足程度，0–5；一个等级要求它和所有更低等级的满足程度都达到 0.8。")),
        (N_("达成度"), N_("一个能力域或子域各项要求满足程度的平均，0–100%。")),
    ],
    "rule_levels": [
        (N_("星级条件"), N_("每个星级列出必须同时满足的条件；达到某个星级，要满足它自己的条件，以及更低星级中延续适用的条件。")),
        (N_("达成度"), N_("一个方面的回答所体现的上云广度，0–100%；它不决定星级。")),
    ],
}


def level_title(inst: Instrument, lang: str) -> str:
    _ = gettext_for(lang)
    return _(LEVEL_TITLES.get(inst.id, N_("等级")))


def terms(inst: Instrument, lang: str) -> list[dict]:
    _ = gettext_for(lang)
    return [{"term": _(t), "meaning": _(m)} for t, m in TERMS.get(inst.method.type, [])]


def score_text(inst: Instrument, total: float, lang: str) -> str | None:
    """The headline score with its unit, at the precision the method supports."""
    _ = gettext_for(lang)
    m = inst.method
    # One decimal, cut rather than rounded, so a shown score never reaches a threshold the firm
    # has not (59.96 points shows 59.9, not the 60.0 of the next level; S = 0.76 shows 0.7).
    shown = f"{math.floor(total * 10 + 1e-9) / 10:.1f}"
    if m.type == "weighted_points":
        return _("%(score)s / %(max)s 分", score=shown, max=f"{m.total:g}")
    if m.type == "level_gated":
        return f"{shown} / {len(m.levels)}"
    return None


def path_context(inst: Instrument, result: dict, lang: str) -> dict | None:
    """The shortest path to the next level as sentences, and how many changes each indicator takes on it."""
    path = next_level_path(inst, result)
    if path is None:
        return None
    _ = gettext_for(lang)
    target = inst.level(path["level"]).name.get(lang)
    items, per_indicator = [], {}
    ind_of = {q.id: i.id for d in inst.dimensions for i in d.indicators for q in i.questions}

    def name(qid: str) -> str:
        return inst.question(qid).label(lang)

    def level_name(n: int) -> str:
        return next((lv.name.get(lang) for lv in inst.levels if lv.id == n), str(n))

    sep = ", " if lang == "en" else "、"
    for step in path["steps"]:
        kind = step["kind"]
        if kind in ("constrained_scenarios", "scenarios"):
            chosen = sep.join(_("%(name)s（目前%(have)s）", name=name(c["question"]), have=level_name(c["have"]))
                              for c in step["chosen"])
            msg = (_("再有 %(n)s 个约束性场景达到%(level)s：", n=step["count"], level=level_name(step["at_level"]))
                   if kind == "constrained_scenarios" else
                   _("再有 %(n)s 个业务场景达到%(level)s：", n=step["count"], level=level_name(step["at_level"])))
            text = msg + _("最接近的是 %(names)s。", names=chosen)
            if step["alternatives"]:
                text += (" " if lang == "en" else "") + _("也可以选 %(names)s。", names=sep.join(name(c["question"]) for c in step["alternatives"]))
            items.append(text)
            for c in step["chosen"]:
                per_indicator[ind_of[c["question"]]] = per_indicator.get(ind_of[c["question"]], 0) + 1
        elif kind == "points":
            gains = [_("%(name)s（+%(gain)s 分）", name=name(c["question"]), gain=f"{c['gain']:.1f}") for c in step["chosen"]]
            items.append(_("总分再提高 %(need)s 分：最少改进 %(n)s 题，得分空间最大的是 %(names)s。", need=f"{step['need']:.1f}",
                           n=step["count"], names=sep.join(gains)))
            for c in step["chosen"]:
                per_indicator[ind_of[c["question"]]] = per_indicator.get(ind_of[c["question"]], 0) + 1
        elif kind == "requirements":
            items.append(_("%(level)s的满足程度目前 %(have)s，需达到 %(need)s：最少把 %(n)s 项要求做到全部满足，"
                           "依次为 %(names)s。", level=target, have=f"{step['have']:.2f}", need=f"{step['need']:.1f}",
                           n=step["count"], names=sep.join(name(c["question"]) for c in step["chosen"])))
            for c in step["chosen"]:
                per_indicator[c["indicator"]] = per_indicator.get(c["indicator"], 0) + 1
        elif kind == "requirement":
            req = next(r for rule in inst.method.rules for r in rule.requires if r.id == step["id"])
            items.append(req.text.get(lang))
            # One change per requirement, counted at the first indicator it reads, so the column adds up.
            first = next((ind_of[q] for q in step["questions"] if q in ind_of), None)
            if first:
                per_indicator[first] = per_indicator.get(first, 0) + 1
    return {"level": path["level"], "level_name": target, "changes": path["changes"], "items": items,
            "per_indicator": per_indicator, "steps": path["steps"]}


def disclaimer(consultant: str | None, verified: bool, lang: str) -> str:
    _ = gettext_for(lang)
    if verified and consultant:
        return _("本报告依据企业填写的答案，由诊断顾问%(name)s审阅定稿；它不是官方评测机构出具的评测结果。", name=consultant)
    return _("本报告依据企业自行填写的答案自动生成，属于自评结果，未经诊断顾问核实；它不是官方评测机构出具的评测结果。")
