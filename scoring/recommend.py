"""Gap analysis and recommendations.

For each indicator: how far it stands from what the next level asks of it and
from the top quarter of its peers. Recommendations come from the instrument's
bank, ranked by expected gain (the indicator's weight times its gap), and never
placed before a recommendation for an indicator they require, in order or in
roadmap phase (data analysis never comes before data collection).
"""
from __future__ import annotations

from typing import Any

from questionnaires.shapes import Instrument

from .methods import method_of

PHASES = ("0-6", "6-18", "18-36")


def indicator_weights(inst: Instrument) -> dict[str, float]:
    """Each indicator's share of the instrument, 0-1, as its scoring method weighs it."""
    return method_of(inst).indicator_weights(inst)


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
    """Percentage points each indicator must gain for the next level, as its scoring method says."""
    blockers = result.get("blockers")
    if not blockers:
        return {}
    return method_of(inst).gaps_to_next_level(inst, result, blockers)


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
        waiting = (t for t in pending if not any(o[1].indicator in t[1].requires for o in pending if o is not t))
        pick = next(waiting, pending[0])
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
