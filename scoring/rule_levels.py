"""Rule-based levels (cloud adoption stars): each level names conditions on the answers.

Conditions use the same structured language as show_if and are evaluated on
whole columns; a level is reached when its conditions and every lower level's
hold. The result names the conditions that block the next level.
"""
from __future__ import annotations

import numpy as np

from questionnaires.schema import Instrument, RuleLevels, condition_refs

from .encode import Encoded
from .outcome import Outcome
from .visibility import evaluate_condition


def evaluate(inst: Instrument, enc: Encoded, shown, qpoints: np.ndarray, qlevels: np.ndarray) -> Outcome:
    m: RuleLevels = inst.method
    met = {}
    reached = np.ones(enc.n, bool)
    level = np.full(enc.n, min(lv.id for lv in inst.levels), np.int16)
    for rule in m.rules:
        ok = np.ones(enc.n, bool)
        for req in rule.requires:
            met[req.id] = evaluate_condition(req.condition, enc, shown)
            ok &= met[req.id]
        reached &= ok
        level = np.where(reached, rule.level, level)
    return Outcome(level.astype(float), float(max(r.level for r in m.rules)), level, {"met": met})


def explain(inst: Instrument, out: Outcome, i: int) -> dict | None:
    level = int(out.level[i])
    nxt = next((r for r in inst.method.rules if r.level > level), None)
    if nxt is None:
        return None
    failed = [req.id for req in nxt.requires if not out.state["met"][req.id][i]]
    return {"level": nxt.level, "conditions": [{"kind": "requirement", "id": rid} for rid in failed]}


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
