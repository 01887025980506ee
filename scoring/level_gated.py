"""Level-gated satisfaction scoring, as GB/T 39117 describes it for smart-manufacturing maturity.

Each requirement belongs to a level and a subdomain (indicator) and is answered
with a degree of satisfaction (its option points: 1, 0.8, 0.5, 0). For each level,
a subdomain's score is the mean satisfaction of its requirements at that level,
and the level's score is the weighted mean over the subdomains that have
requirements there. A level counts only when it and every lower level reach the
threshold. The maturity score S is the number of levels reached plus the score of
the next level, so S always lies in the band of the level it maps to.
"""
from __future__ import annotations

import numpy as np

from questionnaires.schema import Instrument, LevelGated

from .encode import Encoded
from .outcome import Outcome


def requirement_columns(inst: Instrument, level: int) -> list[tuple[object, list[int]]]:
    """(indicator, question columns) for each indicator with requirements at `level`."""
    col = {q.id: j for j, q in enumerate(inst.questions)}
    out = []
    for ind in (i for d in inst.dimensions for i in d.indicators):
        cols = [col[q.id] for q in ind.questions if q.level == level and q.type != "text"]
        if cols:
            out.append((ind, cols))
    return out


def level_scores(inst: Instrument, qpoints: np.ndarray) -> np.ndarray:
    """(n, levels) score of each level, in method.levels order."""
    m: LevelGated = inst.method
    out = np.zeros((qpoints.shape[0], len(m.levels)))
    for k, lv in enumerate(m.levels):
        groups = requirement_columns(inst, lv)
        weight_sum = sum(ind.weight or 0.0 for ind, _ in groups)
        if not groups or weight_sum <= 0:
            continue
        # Add subdomain by subdomain (not a matrix product), so one firm's score is
        # computed in the same order alone or inside a batch.
        acc = np.zeros(qpoints.shape[0])
        for ind, cols in groups:
            acc += qpoints[:, cols].mean(axis=1) * ((ind.weight or 0.0) / weight_sum)
        out[:, k] = acc
    return out


def evaluate(inst: Instrument, enc: Encoded, shown, qpoints: np.ndarray, qlevels: np.ndarray) -> Outcome:
    m: LevelGated = inst.method
    ls = level_scores(inst, qpoints)
    ok = ls >= m.threshold - 1e-9
    reached = np.cumprod(ok, axis=1).sum(axis=1)          # levels reached in a row from the bottom
    nxt = np.minimum(reached, len(m.levels) - 1)
    partial = np.where(reached < len(m.levels), ls[np.arange(len(ls)), nxt], 0.0)
    base = min(lv.id for lv in inst.levels)
    levels = np.array(m.levels)
    level = np.where(reached > 0, levels[np.maximum(reached - 1, 0)], base).astype(np.int16)
    return Outcome(reached + partial, float(len(m.levels)), level, {"level_scores": ls, "qpoints": qpoints})


def explain(inst: Instrument, out: Outcome, i: int) -> dict | None:
    """The next level's score against the threshold, and its weakest subdomains."""
    m: LevelGated = inst.method
    level = int(out.level[i])
    following = [lv for lv in m.levels if lv > level]
    if not following:
        return None
    nxt = following[0]
    k = m.levels.index(nxt)
    have = float(out.state["level_scores"][i, k])
    row = out.state["qpoints"][i]
    weak = []
    for ind, cols in requirement_columns(inst, nxt):
        mean = float(row[cols].mean())
        if mean < m.threshold - 1e-9:
            weak.append((mean, -(ind.weight or 0), ind.id))
    return {
        "level": nxt,
        "conditions": [{"kind": "level_score", "need": m.threshold, "have": round(have, 3), "at_level": nxt}],
        "indicators_below": [ind_id for _, _, ind_id in sorted(weak)],
    }


def next_level_path(inst: Instrument, result: dict) -> dict | None:
    """The fewest requirements to bring to full satisfaction so that the next level's
    score reaches the threshold: each adds (its room) x (its subdomain's weight share) /
    (the subdomain's requirements at that level), so the largest additions go first."""
    m: LevelGated = inst.method
    following = [lv for lv in m.levels if lv > int(result["level"])]
    if not following:
        return None
    nxt = following[0]
    qpoints = result.get("question_points", {})
    groups = requirement_columns(inst, nxt)
    weight_sum = sum(ind.weight or 0.0 for ind, _ in groups) or 1.0
    have, room = 0.0, []
    for ind, cols in groups:
        share = (ind.weight or 0.0) / weight_sum / len(cols)
        for j in cols:
            q = inst.questions[j]
            got = float(qpoints.get(q.id, 0.0))
            have += got * share
            if q.max_points - got > 1e-9:
                room.append(((q.max_points - got) * share, q.id, ind.id, got))
    room.sort(key=lambda t: -t[0])
    chosen, score = [], have
    for gain, qid, ind_id, got in room:
        if score >= m.threshold - 1e-9:
            break
        chosen.append({"question": qid, "indicator": ind_id, "have": round(got, 2), "gain": round(gain, 4)})
        score += gain
    step = {"kind": "requirements", "count": len(chosen), "at_level": nxt, "need": m.threshold,
            "have": round(have, 3), "chosen": chosen}
    return {"level": nxt, "changes": len(chosen), "steps": [step]}
