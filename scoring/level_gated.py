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

from questionnaires.shapes import Instrument, LevelGated

from .encode import Encoded
from .outcome import Outcome


def requirement_columns(inst: Instrument, level: int) -> list[tuple[object, list[int]]]:
    """(indicator, question columns) for each indicator with requirements at `level`.
    Kept with the (immutable) instrument: scoring one firm asks for it many times."""
    cache = inst.__dict__.setdefault("_requirement_columns", {})
    if level not in cache:
        col = {q.id: j for j, q in enumerate(inst.questions)}
        out = []
        for ind in (i for d in inst.dimensions for i in d.indicators):
            cols = [col[q.id] for q in ind.questions if q.level == level and q.type != "text"]
            if cols:
                out.append((ind, cols))
        cache[level] = out
    return cache[level]


def level_scores(inst: Instrument, qpoints: np.ndarray, excluded: np.ndarray | None = None) -> np.ndarray:
    """(n, levels) score of each level, in method.levels order. A subdomain marked not
    applicable for a firm (`excluded`, (n, indicators)) leaves that firm's weights."""
    m: LevelGated = inst.method
    n = qpoints.shape[0]
    ind_col = {i.id: k for k, i in enumerate(i for d in inst.dimensions for i in d.indicators)}
    out = np.zeros((n, len(m.levels)))
    for k, lv in enumerate(m.levels):
        groups = requirement_columns(inst, lv)
        if excluded is None:  # the common case: the same weights for every firm
            weight_sum = sum(ind.weight or 0.0 for ind, _ in groups)
            if groups and weight_sum > 0:
                # Subdomain by subdomain (not a matrix product): one firm scores the same alone or in a batch.
                for ind, cols in groups:
                    out[:, k] += qpoints[:, cols].mean(axis=1) * ((ind.weight or 0.0) / weight_sum)
            continue
        # Per firm, added subdomain by subdomain in a fixed order (not a matrix product),
        # so one firm's score is computed the same way alone or inside a batch.
        weights = [np.full(n, ind.weight or 0.0) if excluded is None else
                   np.where(excluded[:, ind_col[ind.id]], 0.0, ind.weight or 0.0) for ind, _ in groups]
        weight_sum = np.zeros(n)
        for w in weights:
            weight_sum += w
        acc = np.zeros(n)
        for (_ind, cols), w in zip(groups, weights, strict=True):
            acc += qpoints[:, cols].mean(axis=1) * np.divide(w, weight_sum, out=np.zeros(n), where=weight_sum > 0)
        out[:, k] = acc
    return out


def skipped(inst: Instrument, enc: Encoded, shown: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Per requirement, the firms that need not answer it: its subdomain is marked not
    applicable, or it lies `skip_above_missed` or more levels above the first level the firm
    clearly misses, whose score cannot reach the threshold even if every requirement still
    unanswered there were fully met."""
    m: LevelGated = inst.method
    qs = inst.questions
    best = np.ones((enc.n, len(qs)))  # unanswered or hidden: assume fully met
    tables = inst.__dict__.setdefault("_best_tables", {})
    for j, q in enumerate(qs):
        if q.type != "single":
            continue
        col = enc.columns[q.id]
        if q.id not in tables:
            tables[q.id] = np.array([o.points for o in q.options] + [1.0])
        best[:, j] = np.where(col.answered & shown[q.id], tables[q.id][col.code], 1.0)
    excluded = enc.excluded()
    out = _not_applicable_questions(inst, excluded) if excluded is not None else {}
    if not m.skip_above_missed:
        return out
    missed = level_scores(inst, best, excluded) < m.threshold - 1e-9          # (n, levels)
    first = np.where(missed.any(axis=1), np.array(m.levels)[missed.argmax(axis=1)], np.iinfo(np.int16).max)
    for q in qs:
        if q.level is not None:
            above = (q.level or 0) >= first + m.skip_above_missed
            out[q.id] = out[q.id] | above if q.id in out else above
    return out


def _not_applicable_questions(inst: Instrument, excluded: np.ndarray) -> dict[str, np.ndarray]:
    """The requirements of subdomains marked not applicable: nothing to answer there."""
    out = {}
    for k, ind in enumerate(i for d in inst.dimensions for i in d.indicators):
        if excluded[:, k].any():
            for q in ind.questions:
                out[q.id] = excluded[:, k].copy()
    return out


def evaluate(inst: Instrument, enc: Encoded, shown, qpoints: np.ndarray, qlevels: np.ndarray) -> Outcome:
    m: LevelGated = inst.method
    ls = level_scores(inst, qpoints, enc.excluded())
    ok = ls >= m.threshold - 1e-9
    reached = np.cumprod(ok, axis=1).sum(axis=1)          # levels reached in a row from the bottom
    nxt = np.minimum(reached, len(m.levels) - 1)
    partial = np.where(reached < len(m.levels), ls[np.arange(len(ls)), nxt], 0.0)
    base = min(lv.id for lv in inst.levels)
    levels = np.array(m.levels)
    level = np.where(reached > 0, levels[np.maximum(reached - 1, 0)], base).astype(np.int16)
    return Outcome(reached + partial, float(len(m.levels)), level,
                   {"level_scores": ls, "qpoints": qpoints, "not_applicable": enc.not_applicable})


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
    skip = out.state["not_applicable"][i] if out.state.get("not_applicable") else {}
    for ind, cols in requirement_columns(inst, nxt):
        if ind.id in skip:
            continue
        mean = float(row[cols].mean())
        if mean < m.threshold - 1e-9:
            weak.append((mean, -(ind.weight or 0), ind.id))
    return {
        "level": nxt,
        "conditions": [{"kind": "level_score", "need": m.threshold, "have": round(have, 3), "at_level": nxt}],
        "indicators_below": [ind_id for _, _, ind_id in sorted(weak)],
    }


def gaps_to_next_level(inst: Instrument, result: dict, blockers: dict) -> dict[str, float]:
    """The indicator's requirements at the next level must reach the threshold."""
    m: LevelGated = inst.method
    points = result.get("question_points", {})
    out = {}
    skip = result.get("not_applicable") or {}
    for ind, cols in requirement_columns(inst, blockers["level"]):
        if ind.id in skip:
            continue
        qs = [inst.questions[j].id for j in cols]
        mean = sum(points.get(q, 0.0) for q in qs) / len(qs)
        out[ind.id] = 100.0 * (m.threshold - mean)
    return out


def indicator_weights(inst: Instrument) -> dict[str, float]:
    """The subdomain weights of the instrument."""
    return {i.id: float(i.weight or 0.0) for d in inst.dimensions for i in d.indicators}


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
    # A subdomain marked not applicable leaves the weights, as in level_scores.
    skip = result.get("not_applicable") or {}
    groups = [(ind, cols) for ind, cols in requirement_columns(inst, nxt) if ind.id not in skip]
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
