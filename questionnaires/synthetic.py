"""Synthetic answer sets that look like a real population of firms.

Each firm has a latent maturity, skewed low as in published distributions; each
dimension varies around it, so dimensions are correlated; each answer is drawn
around the firm's maturity in that dimension. Used by the demo data, the tests
and the benchmarks.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from .schema import Instrument, Question


LEVEL_EASE, LEVEL_STEP = 0.5, 0.22


def latent_maturity(n: int, rng: np.random.Generator, shift: np.ndarray | float = 0.0) -> np.ndarray:
    """Per-firm maturity in [0, 1], mostly low: Beta(1.6, 3.2) has mean 1/3."""
    return np.clip(rng.beta(1.6, 3.2, n) + shift, 0.0, 1.0)


def answer_sets(inst: Instrument, n: int, rng: np.random.Generator, maturity: np.ndarray | None = None) -> list[dict[str, Any]]:
    m = latent_maturity(n, rng) if maturity is None else maturity
    columns: dict[str, list] = {}
    for dim in inst.dimensions:
        md = np.clip(m + rng.normal(0.0, 0.12, n), 0.0, 1.0)
        for q in dim.questions:
            # A requirement of a higher maturity level is harder to meet for the same firm.
            mq = md if q.level is None else np.clip(md + LEVEL_EASE - LEVEL_STEP * (q.level - 1), 0.0, 1.0)
            columns[q.id] = _draw(q, mq, rng)
    ids = list(columns)
    rows = zip(*(columns[q] for q in ids))
    return [{qid: v for qid, v in zip(ids, row) if v is not None} for row in rows]


def _rank(q: Question) -> list[str]:
    """Option ids from the least to the most mature answer."""
    return [o.id for o in sorted(q.options, key=lambda o: (o.level if o.level is not None else o.points))]


def _draw(q: Question, md: np.ndarray, rng: np.random.Generator) -> list:
    n = len(md)
    if q.type in ("single", "level"):
        ranked = _rank(q)
        k = len(ranked)
        idx = np.clip(np.rint(md * (k - 1) + rng.normal(0.0, 0.7, n)), 0, k - 1).astype(int)
        return [ranked[i] for i in idx]
    if q.type == "multi":
        ids = np.array([o.id for o in q.options])
        chosen = rng.random((n, len(ids))) < np.clip(md[:, None] * 1.1 + rng.normal(0, 0.08, (n, 1)), 0.02, 0.98)
        return [ids[row].tolist() for row in chosen]
    if q.type == "number":
        if q.bins:
            # Pick the bin a firm's maturity points to, then a value inside it.
            k = len(q.bins)
            idx = np.clip(np.rint(md * (k - 1) + rng.normal(0.0, 0.7, n)), 0, k - 1).astype(int)
            lows = np.array([q.min] + [b.upto for b in q.bins[:-1]])
            highs = np.array([b.upto for b in q.bins])
            u = rng.random(n)
            u = np.where(idx == k - 1, u ** 4, u)  # the last bin is open-ended: stay near its start
            x = lows[idx] + (highs[idx] - lows[idx]) * u
        else:
            # Unscored amounts (spend and the like) are small beside their allowed maximum.
            x = q.min + (q.max - q.min) * 1e-4 * np.exp(4 * md) * rng.lognormal(0.0, 0.5, n)
        x = np.clip(x, q.min, q.max)
        return (np.rint(x).astype(int) if q.integer else np.round(x, 1)).tolist()
    if q.type == "yesno":
        return (rng.random(n) < md).tolist()
    return [None] * n  # free text is left blank
