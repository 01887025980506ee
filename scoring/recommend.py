"""Gap analysis and recommendations.

For each indicator: how far it stands from what the next level asks of it and
from the top quarter of its peers. Recommendations come from the instrument's
bank, ranked by expected gain (the indicator's weight times its gap), and never
placed before a recommendation for an indicator they require, in order or in
roadmap phase (data analysis never comes before data collection).
"""
from __future__ import annotations

from typing import Any

from questionnaires.schema import Instrument, condition_refs

from .level_gated import requirement_columns

PHASES = ("0-6", "6-18", "18-36")
# In weighted points, the level-gating scenarios carry no points; for ranking they
# count as much as one of the four scored dimensions on average.
SCENARIO_WEIGHT = 0.25


def indicator_weights(inst: Instrument) -> dict[str, float]:
    """Each indicator's share of the instrument, 0-1."""
    indicators = [i for d in inst.dimensions for i in d.indicators]
    if inst.method.type == "level_gated":
        return {i.id: float(i.weight or 0.0) for i in indicators}
    points = {i.id: sum(q.max_points for q in i.questions) for i in indicators}
    total = sum(points.values()) or 1.0
    weights = {k: v / total for k, v in points.items()}
    if inst.method.type == "weighted_points" and inst.method.scenario_dimension:
        dim = next(d for d in inst.dimensions if d.id == inst.method.scenario_dimension)
        n_scen = sum(1 for q in dim.questions if q.type == "level") or 1
        for ind in dim.indicators:
            weights[ind.id] = SCENARIO_WEIGHT * sum(1 for q in ind.questions if q.type == "level") / n_scen
    return weights


def gaps(inst: Instrument, result: dict[str, Any], benchmark: dict | None = None) -> list[dict]:
    """Per indicator: attainment, gap to the next level, gap to the peer top quartile (percentage points)."""
    attained = result["indicators"]
    to_next = _gaps_to_next_level(inst, result)
    peers = (benchmark or {}).get("indicators", {})
    out = []
    for d in inst.dimensions:
        for ind in d.indicators:
            have = float(attained.get(ind.id, 0.0))
            p75 = peers.get(ind.id, {}).get("p75")
            out.append({
                "indicator": ind.id,
                "dimension": d.id,
                "attainment": round(have, 1),
                "gap_next_level": round(max(0.0, to_next.get(ind.id, 0.0)), 1),
                "peer_p75": None if p75 is None else round(p75, 1),
                "gap_peer_p75": None if p75 is None else round(max(0.0, p75 - have), 1),
            })
    return out


def _gaps_to_next_level(inst: Instrument, result: dict) -> dict[str, float]:
    """Percentage points each indicator must gain for the next level, where the method says."""
    blockers = result.get("blockers")
    if not blockers:
        return {}
    m = inst.method
    if m.type == "level_gated":
        # The indicator's requirements at the next level must reach the threshold.
        levels = result.get("question_points", {})
        out = {}
        for ind, cols in requirement_columns(inst, blockers["level"]):
            qs = [inst.questions[j].id for j in cols]
            mean = sum(levels.get(q, 0.0) for q in qs) / len(qs)
            out[ind.id] = 100.0 * (m.threshold - mean)
        return out
    if m.type == "rule_levels":
        failing = {c["id"] for c in blockers["conditions"] if c["kind"] == "requirement"}
        reqs = [r for rule in m.rules for r in rule.requires if r.id in failing]
        touched = {ref.question for r in reqs for ref in condition_refs(r.condition)}
        return {i.id: 100.0 - result["indicators"].get(i.id, 0.0)
                for d in inst.dimensions for i in d.indicators if any(q.id in touched for q in i.questions)}
    # Weighted points: a score shortfall spreads over the scored indicators; scenario
    # indicators owe the share of their scenarios below the next level.
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


def recommend(inst: Instrument, result: dict[str, Any], benchmark: dict | None = None) -> list[dict]:
    """Bank entries that apply, ranked by expected gain, prerequisites first, with a roadmap phase."""
    weights = indicator_weights(inst)
    by_ind = {g["indicator"]: g for g in gaps(inst, result, benchmark)}
    chosen = []
    for r in inst.recommendations:
        g = by_ind[r.indicator]
        have = g["attainment"] / 100
        if have >= r.below:
            continue
        gap = max(r.below - have, g["gap_next_level"] / 100, (g["gap_peer_p75"] or 0.0) / 100)
        chosen.append((weights.get(r.indicator, 0.0) * gap, r, g))
    chosen.sort(key=lambda t: -t[0])

    ordered, phase_of = [], {}
    pending = list(chosen)
    while pending:
        # The highest-gain entry none of whose prerequisites is still waiting.
        pick = next((t for t in pending if not any(o[1].indicator in t[1].requires for o in pending if o is not t)), pending[0])
        pending.remove(pick)
        gain, r, g = pick
        earliest = max((phase_of[i] for i in r.requires if i in phase_of), default=0)
        phase = max(PHASES.index(r.months), earliest)
        phase_of[r.indicator] = max(phase_of.get(r.indicator, 0), phase)
        ordered.append({
            "indicator": r.indicator,
            "attainment": g["attainment"],
            "gain": round(gain * 100, 2),
            "action": r.action.model_dump(),
            "why": r.why.model_dump(),
            "effort": r.effort,
            "months": PHASES[phase],
            "requires": list(r.requires),
        })
    return ordered
