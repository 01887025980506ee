"""Answer sets used across tests."""
from __future__ import annotations

import questionnaires
from questionnaires import Instrument


def extreme_answers(inst: Instrument, best: bool) -> dict:
    """Every question answered with its most (or least) mature option."""
    out = {}
    for q in inst.questions:
        if q.type in ("single", "level"):
            ranked = sorted(q.options, key=lambda o: (o.points, o.level or 0))
            out[q.id] = ranked[-1 if best else 0].id
        elif q.type == "multi":
            out[q.id] = [o.id for o in q.options] if best else []
        elif q.type == "number":
            out[q.id] = q.max if best else q.min
        elif q.type == "yesno":
            out[q.id] = best
    return out


def sme() -> Instrument:
    return questionnaires.get("sme-digital")
