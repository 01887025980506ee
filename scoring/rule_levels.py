"""Rule-based levels (cloud adoption stars): each level names conditions on the answers.

Conditions use the same structured language as show_if and are evaluated on
whole columns; a level is reached when its conditions and every lower level's
hold. The result names the conditions that block the next level.
"""
from __future__ import annotations

import numpy as np

from questionnaires.shapes import Instrument, RuleLevels, condition_refs

from .encode import Encoded
from .outcome import Outcome
from .visibility import evaluate_condition


def evaluate(inst: Instrument, enc: Encoded, shown, qpoints: np.ndarray, qlevels: np.ndarray) -> Outcome:
    """A level is reached when its own requirements hold and the inherited requirements of
    every lower level hold too; a requirement marked `inherited: false` gates only its level."""
    m: RuleLevels = inst.method
    met = {}
    carried = np.ones(enc.n, bool)   # inherited requirements of the levels passed so far
    level = np.full(enc.n, min(lv.id for lv in inst.levels), np.int16)
    for rule in m.rules:
        own = np.ones(enc.n, bool)
        inherited = np.ones(enc.n, bool)
        for req in rule.requires:
            met[req.id] = evaluate_condition(req.condition, enc, shown)
            own &= met[req.id]
            if req.inherited:
                inherited &= met[req.id]
        level = np.where(carried & own, rule.level, level)
        carried &= inherited
    return Outcome(level.astype(float), float(max(r.level for r in m.rules)), level, {"met": met})


def explain(inst: Instrument, out: Outcome, i: int) -> dict | None:
    level = int(out.level[i])
    nxt = next((r for r in inst.method.rules if r.level > level), None)
    if nxt is None:
        return None
    failed = [req.id for req in nxt.requires if not out.state["met"][req.id][i]]
    return {"level": nxt.level, "conditions": [{"kind": "requirement", "id": rid} for rid in failed]}


def gaps_to_next_level(inst: Instrument, result: dict, blockers: dict) -> dict[str, float]:
    """An indicator a failing requirement looks at owes what it lacks of its maximum."""
    failing = {c["id"] for c in blockers["conditions"] if c["kind"] == "requirement"}
    reqs = [r for rule in inst.method.rules for r in rule.requires if r.id in failing]
    touched = {ref.question for r in reqs for ref in condition_refs(r.condition)}
    return {i.id: 100.0 - result["indicators"].get(i.id, 0.0)
            for d in inst.dimensions for i in d.indicators if any(q.id in touched for q in i.questions)}


def indicator_weights(inst: Instrument) -> dict[str, float]:
    """Each indicator's share of the points that show breadth."""
    return points_share(inst)


def points_share(inst: Instrument) -> dict[str, float]:
    """Each indicator's share of the instrument's maximum points."""
    indicators = [i for d in inst.dimensions for i in d.indicators]
    points = {i.id: sum(q.max_points for q in i.questions) for i in indicators}
    total = sum(points.values()) or 1.0
    return {k: v / total for k, v in points.items()}


def next_level_path(inst: Instrument, result: dict) -> dict | None:
    """Every unmet requirement of the next star: a star needs all of its requirements,
    so the shortest path is exactly the set that fails, each with the questions it reads."""
    level = int(result["level"])
    nxt = next((r for r in inst.method.rules if r.level > level), None)
    if nxt is None:
        return None
    failing = {c["id"] for c in (result.get("blockers") or {}).get("conditions", []) if c.get("kind") == "requirement"}
    steps = [{"kind": "requirement", "id": req.id, "count": 1,
              "questions": sorted({ref.question for ref in condition_refs(req.condition)})}
             for req in nxt.requires if req.id in failing]
    return {"level": nxt.level, "changes": len(steps), "steps": steps}
