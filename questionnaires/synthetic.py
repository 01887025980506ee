"""Synthetic answer sets that look like a real population of firms.

Each firm has a latent maturity, skewed low as in published distributions; each
dimension varies around it, so dimensions are correlated; each answer is drawn
around the firm's maturity in that dimension. Used by the demo data, the tests
and the benchmarks.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from . import types
from .shapes import Instrument, Question

LEVEL_EASE, LEVEL_STEP = 0.5, 0.22


def latent_maturity(n: int, rng: np.random.Generator, shift: np.ndarray | float = 0.0) -> np.ndarray:
    """Per-firm maturity in [0, 1], mostly low: Beta(1.6, 3.2) has mean 1/3."""
    return np.clip(rng.beta(1.6, 3.2, n) + shift, 0.0, 1.0)


def answer_sets(inst: Instrument, n: int, rng: np.random.Generator,
                maturity: np.ndarray | None = None) -> list[dict[str, Any]]:
    m = latent_maturity(n, rng) if maturity is None else maturity
    columns: dict[str, list] = {}
    for dim in inst.dimensions:
        md = np.clip(m + rng.normal(0.0, 0.12, n), 0.0, 1.0)
        for q in dim.questions:
            # A requirement of a higher maturity level is harder to meet for the same firm.
            mq = md if q.level is None else np.clip(md + LEVEL_EASE - LEVEL_STEP * (q.level - 1), 0.0, 1.0)
            columns[q.id] = _draw(q, mq, rng)
    ids = list(columns)
    rows = zip(*(columns[q] for q in ids), strict=True)
    return [{qid: v for qid, v in zip(ids, row, strict=True) if v is not None} for row in rows]


def _draw(q: Question, md: np.ndarray, rng: np.random.Generator) -> list:
    return types.of(q).draw(q, md, rng)
