"""Property test: on many random firms per instrument, a report's claims agree with its own tables.

Firms are drawn across the whole maturity range (hypothesis picks the maturity and the seed) and
compared with a real peer population scored the same way. Checked on the report context and on
the rendered Chinese HTML: strengths and priorities are disjoint; the summary's "k of M dimensions
above the peer mean" counts the very rows of the dimension table; each dimension's peer sentence
agrees with its figures; the level carries its instrument's own name; the gap column adds up to
the stated number of changes; and the shortest path is a path (applying it reaches the next level)
and is shortest (one change fewer cannot).
"""
from __future__ import annotations

import re
from functools import cache

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import questionnaires
import scoring
from questionnaires.synthetic import answer_sets
from reports import firm_report_html
from reports.context import firm_context
from scoring.benchmark import Firm, Population, benchmark

from .helpers import extreme_answers

INSTRUMENTS = ("sme-digital", "smart-manufacturing", "cloud-adoption")
LEVEL_TITLES = {"sme-digital": "数字化水平等级", "smart-manufacturing": "智能制造能力成熟度等级", "cloud-adoption": "上云星级"}


@cache
def population(inst_id: str) -> Population:
    """60 scored peers of one industry, size and zone."""
    inst = questionnaires.get(inst_id)
    batch = scoring.score_batch(inst, answer_sets(inst, 60, np.random.default_rng(99)))
    n = len(batch)
    return Population(np.arange(1000, 1000 + n), np.array(["34"] * n), np.array(["small"] * n), np.ones(n, int),
                      batch.total, batch.dim_percent, batch.ind_percent, [d.id for d in inst.dimensions],
                      [i.id for d in inst.dimensions for i in d.indicators])


def firm(inst_id: str, maturity: float | None, seed: int) -> tuple[dict, dict]:
    """A firm of that maturity (0-1), or with every best answer (None)."""
    inst = questionnaires.get(inst_id)
    if maturity is None:
        answers = extreme_answers(inst, best=True)
    else:
        answers = answer_sets(inst, 1, np.random.default_rng(seed), maturity=np.array([maturity]))[0]
    result = scoring.score(inst, answers).to_dict()
    result["benchmark"] = benchmark(population(inst_id), Firm("34", "small", 1), result["total"],
                                    {d: v["percent"] for d, v in result["dimensions"].items()})
    return answers, result


def improved(inst, answers: dict, path: dict) -> dict:
    """The answers with every change the path names made: a question to its best answer, a scenario to the level."""
    out = dict(answers)
    for step in path["steps"]:
        for c in step.get("chosen", []):
            q = inst.question(c["question"])
            if step["kind"] in ("scenarios", "constrained_scenarios"):
                out[q.id] = min((o for o in q.options if o.level >= step["at_level"]), key=lambda o: o.level).id
            elif q.type in ("single", "level"):
                out[q.id] = max(q.options, key=lambda o: o.points).id
            elif q.type == "multi":
                out[q.id] = [o.id for o in q.options if o.points > 0]
            elif q.type == "number":
                out[q.id] = q.max
            elif q.type == "yesno":
                out[q.id] = True
    return out


FIRMS = st.tuples(st.sampled_from(INSTRUMENTS), st.one_of(st.floats(0.0, 1.0), st.none()), st.integers(0, 2**31 - 1))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(FIRMS)
def test_report_claims_agree_with_the_report_tables(drawn):
    inst_id, maturity, seed = drawn
    inst = questionnaires.get(inst_id)
    answers, result = firm(inst_id, maturity, seed)
    ctx = firm_context(inst, result, {"name": "测试企业"}, "zh", answers=answers)

    # Strengths and priorities: disjoint, every strength strictly above every priority.
    strong, weak = {s["id"] for s in ctx["strengths"]}, {s["id"] for s in ctx["priorities"]}
    assert not strong & weak
    assert all(s["percent"] > p["percent"] for s in ctx["strengths"] for p in ctx["priorities"])

    # The level's own name for this instrument, and the level the rule gave.
    assert ctx["level_title"] == LEVEL_TITLES[inst_id]
    assert ctx["level"]["name"] == inst.level(result["level"]).name.zh

    html = firm_report_html(inst, result, {"name": "测试企业"}, "zh", answers=answers)
    # The table's rows as printed: "维度：… 达成度 X%" and "同类企业平均 Y%".
    rows = re.findall(r'data-percent="(\d+)" data-mean="(\d+)">[^<]*?同类企业平均 (\d+)%', html)
    heads = re.findall(r'<h3>[^<]*达成度 (\d+)%</h3>', html)
    assert len(rows) == len(heads) == len(inst.dimensions)
    above = 0
    for (pct, mean, printed_mean), head in zip(rows, heads):
        assert pct == head and mean == printed_mean
        above += int(pct) > int(mean)
    m = re.search(r"(\d+) 个维度中有 (\d+) 个的达成度高于同类平均", html)
    assert m and (int(m.group(1)), int(m.group(2))) == (len(inst.dimensions), above)
    sentences = re.findall(r"本企业(未?)高于同类平均", html)
    assert [s == "" for s in sentences] == [int(p) > int(mn) for p, mn, _ in rows]

    path = ctx["path"]
    if result["level"] == max(lv.id for lv in inst.levels):
        assert path is None and "企业已达到本评估的最高等级" in html
        return
    assert path["level"] == min(lv.id for lv in inst.levels if lv.id > result["level"])
    # The gap column adds up to the number of changes the summary states.
    needed = sum(i["needed"] for d in ctx["dimensions"] for i in d["indicators"])
    assert needed == path["changes"] > 0
    assert f"最少还需改进 {path['changes']} 项" in html
    if inst.method.type == "rule_levels":
        failing = {c["id"] for c in result["blockers"]["conditions"]}
        assert {s["id"] for s in path["steps"]} == failing
        return
    # A path: making its changes reaches the next level.
    after = scoring.score(inst, improved(inst, answers, path))
    assert after.level >= path["level"], (path, after.level)
    # Shortest: each step needs all of its changes.
    for step in path["steps"]:
        if step["kind"] == "points":
            gains = sorted(c["gain"] for c in step["chosen"])
            assert sum(gains[1:]) < step["need"] - 1e-9 or len(gains) == 1
        elif step["kind"] == "requirements":
            gains = sorted(c["gain"] for c in step["chosen"])
            assert step["have"] + sum(gains[1:]) < step["need"] + 1e-3 or len(gains) == 1


def test_the_firms_drawn_reach_every_level():
    """The property above is only as good as its firms: across the maturity range they hold every level."""
    for inst_id in INSTRUMENTS:
        inst = questionnaires.get(inst_id)
        seen = {firm(inst_id, m, s)[1]["level"] for m in [*np.linspace(0, 1, 21), None] for s in range(12)}
        assert seen == {lv.id for lv in inst.levels}, (inst_id, seen)
