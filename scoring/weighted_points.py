"""Weighted points with level thresholds (the SME digital level method).

Each answer earns points; dimension scores are sums; a level is reached when
the total reaches its threshold and enough scenario questions stand at that
level, and every lower level is reached too.
"""
from __future__ import annotations

import numpy as np

from questionnaires import types
from questionnaires.shapes import Instrument, WeightedPoints

from .encode import Encoded
from .outcome import Outcome
from .rule_levels import points_share

# The level-gating scenarios carry no points; for ranking recommendations they
# count as much as one of the four scored dimensions on average.
SCENARIO_WEIGHT = 0.25


def question_points(enc: Encoded, shown: dict[str, np.ndarray]) -> np.ndarray:
    """(n, questions) points earned; hidden or unanswered questions earn nothing."""
    qs = enc.instrument.questions
    out = np.zeros((enc.n, len(qs)))
    for j, q in enumerate(qs):
        pts = types.of(q).points(q, enc.columns[q.id])
        if pts is not None:
            out[:, j] = np.where(shown[q.id], pts, 0.0)
    return out


def question_levels(enc: Encoded, shown: dict[str, np.ndarray]) -> np.ndarray:
    """(n, questions) level chosen on level-descriptor questions, 0 elsewhere or when hidden."""
    qs = enc.instrument.questions
    out = np.zeros((enc.n, len(qs)), np.int16)
    for j, q in enumerate(qs):
        if q.type != "level":
            continue
        col = enc.columns[q.id]
        table = np.array([o.level for o in q.options] + [0], np.int16)
        out[:, j] = np.where(shown[q.id], table[col.code], 0)
    return out


def evaluate(inst: Instrument, enc: Encoded, shown, qpoints: np.ndarray, qlevels: np.ndarray) -> Outcome:
    """Level per firm from the total and the scenario counts."""
    m: WeightedPoints = inst.method
    total = qpoints.sum(axis=1)
    qids = [q.id for q in inst.questions]
    scen_cols = _scenario_columns(inst, qids)
    constrained = np.array([qids[j] in m.constrained_scenarios for j in scen_cols], bool)
    scen = qlevels[:, scen_cols]
    reached = np.ones(len(total), bool)
    level = np.full(len(total), min(lv.id for lv in inst.levels), np.int16)
    checks = []
    for rule in sorted(m.levels, key=lambda r: r.level):
        at = scen >= rule.level
        n_at = at.sum(axis=1)
        n_con = (at & constrained).sum(axis=1)
        ok = total >= rule.min_score - 1e-9
        if rule.scenarios:
            ok &= (n_at >= rule.scenarios.count) & (n_con >= rule.scenarios.constrained)
        reached &= ok
        level = np.where(reached, rule.level, level)
        checks.append((rule, n_at, n_con))
    return Outcome(total, float(m.total), level, {"checks": checks, "qlevels": qlevels})


def _scenario_columns(inst: Instrument, qids: list[str]) -> list[int]:
    m = inst.method
    if m.scenario_dimension is None:
        return []
    dim = next(d for d in inst.dimensions if d.id == m.scenario_dimension)
    ids = {q.id for q in dim.questions if q.type == "level"}
    return [j for j, qid in enumerate(qids) if qid in ids]


def explain(inst: Instrument, out: Outcome, i: int) -> dict | None:
    """What keeps firm i from the next level: each unmet condition and the scenarios below it."""
    level, total = int(out.level[i]), float(out.total[i])
    found = next(((r, n_at, n_con) for r, n_at, n_con in out.state["checks"] if r.level == level + 1), None)
    if found is None:
        return None
    nxt, n_at_all, n_con_all = found
    conditions = []
    if total < nxt.min_score - 1e-9:
        conditions.append({"kind": "score", "need": nxt.min_score, "have": round(total, 2)})
    below: list[str] = []
    if nxt.scenarios:
        n_at, n_con = int(n_at_all[i]), int(n_con_all[i])
        if n_at < nxt.scenarios.count:
            conditions.append({"kind": "scenarios", "need": nxt.scenarios.count, "have": n_at, "at_level": nxt.level})
        if n_con < nxt.scenarios.constrained:
            conditions.append({"kind": "constrained_scenarios", "need": nxt.scenarios.constrained, "have": n_con,
                               "at_level": nxt.level})
        if n_at < nxt.scenarios.count or n_con < nxt.scenarios.constrained:
            # Constrained scenarios first, then those closest to the level.
            qids = [q.id for q in inst.questions]
            con = set(inst.method.constrained_scenarios)
            row = out.state["qlevels"][i]
            scen = [(qids[j], int(row[j])) for j in _scenario_columns(inst, qids)]
            below = [qid for qid, lv in sorted(scen, key=lambda s: (s[0] not in con, -s[1])) if lv < nxt.level]
    return {"level": nxt.level, "conditions": conditions, "questions_below": below}


def gaps_to_next_level(inst: Instrument, result: dict, blockers: dict) -> dict[str, float]:
    """A score shortfall spreads over the scored indicators; scenario indicators owe
    the share of their scenarios below the next level."""
    m: WeightedPoints = inst.method
    out: dict[str, float] = {}
    short = next((c for c in blockers["conditions"] if c["kind"] == "score"), None)
    if short:
        share = 100.0 * (short["need"] - short["have"]) / m.total
        for d in inst.dimensions:
            for i in d.indicators:
                if any(q.max_points > 0 for q in i.questions):
                    out[i.id] = share
    below = set(blockers.get("questions_below", []))
    for d in inst.dimensions:
        for i in d.indicators:
            scen = [q.id for q in i.questions if q.type == "level"]
            if scen and below:
                out[i.id] = 100.0 * sum(1 for q in scen if q in below) / len(scen)
    return out


def indicator_weights(inst: Instrument) -> dict[str, float]:
    """Points share for scored indicators; scenario indicators share SCENARIO_WEIGHT by their scenario count."""
    weights = points_share(inst)
    if inst.method.scenario_dimension:
        dim = next(d for d in inst.dimensions if d.id == inst.method.scenario_dimension)
        n_scen = sum(1 for q in dim.questions if q.type == "level") or 1
        for ind in dim.indicators:
            weights[ind.id] = SCENARIO_WEIGHT * sum(1 for q in ind.questions if q.type == "level") / n_scen
    return weights


def next_level_path(inst: Instrument, result: dict) -> dict | None:
    """The fewest answer changes that reach the next level, from the rule (see scoring.path).

    Scenarios carry no points, so the scenario counts and the points total are met
    independently: the missing constrained scenarios first (the closest to the level,
    i.e. rated highest below it), then any scenarios still missing, then the fewest
    questions whose unearned points cover the shortfall (largest first)."""
    m: WeightedPoints = inst.method
    level = int(result["level"])
    nxt = next((r for r in m.levels if r.level == level + 1), None)
    if nxt is None:
        return None
    hidden = set(result.get("hidden", []))
    steps = []
    if nxt.scenarios:
        qlevels = result.get("question_levels", {})
        qids = [q.id for q in inst.questions]
        scen = [(qids[j], int(qlevels.get(qids[j], 0))) for j in _scenario_columns(inst, qids) if qids[j] not in hidden]
        con = set(m.constrained_scenarios)
        at = [q for q, lv in scen if lv >= nxt.level]
        below = sorted(((q, lv) for q, lv in scen if lv < nxt.level), key=lambda s: -s[1])  # closest first, stable
        need_con = max(0, nxt.scenarios.constrained - sum(1 for q in at if q in con))
        con_below = [s for s in below if s[0] in con]
        if need_con:
            steps.append(_scenario_step("constrained_scenarios", con_below, need_con, nxt.level))
        raised = {q for q, _ in con_below[:need_con]}
        need_any = max(0, nxt.scenarios.count - len(at) - len(raised))
        if need_any:
            steps.append(_scenario_step("scenarios", [s for s in below if s[0] not in raised], need_any, nxt.level))
    short = nxt.min_score - float(result["total"])
    if short > 1e-9:
        qpoints = result.get("question_points", {})
        room = sorted(((q.max_points - float(qpoints.get(q.id, 0.0)), q.id) for q in inst.questions
                       if q.max_points > 0 and q.id not in hidden), key=lambda t: -t[0])
        chosen, gained = [], 0.0
        for gain, qid in room:
            if gained >= short - 1e-9 or gain <= 1e-9:
                break
            chosen.append({"question": qid, "gain": round(gain, 2)})
            gained += gain
        steps.append({"kind": "points", "need": round(short, 2), "count": len(chosen), "chosen": chosen})
    return {"level": nxt.level, "changes": sum(s["count"] for s in steps), "steps": steps}


def _scenario_step(kind: str, below: list[tuple[str, int]], count: int, at_level: int) -> dict:
    """Raise `count` of the closest scenarios; scenarios rated as high as the last chosen one are alternatives."""
    chosen = below[:count]
    cut = chosen[-1][1] if chosen else 0
    alternatives = [s for s in below[count:] if s[1] >= cut][:3]
    return {"kind": kind, "count": count, "at_level": at_level,
            "chosen": [{"question": q, "have": lv} for q, lv in chosen],
            "alternatives": [{"question": q, "have": lv} for q, lv in alternatives]}
