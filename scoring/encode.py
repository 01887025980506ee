"""Turn answer sets (question id -> value) into NumPy arrays, one column per question.

Everything after encoding works on whole columns, so scoring one firm and
scoring a hundred thousand run the same code.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from questionnaires import types
from questionnaires.shapes import Instrument, Question

MISSING = types.base.MISSING


@dataclass
class Column:
    """One question's answers for every firm.

    `code`: option index for single/level, 1/0 for yes/no, MISSING when unanswered.
    `chosen`: (n, options) booleans for multiple choice.
    `number`: float values, NaN when unanswered.
    `answered`: whether the firm gave any answer.
    """

    question: Question
    answered: np.ndarray
    code: np.ndarray | None = None
    chosen: np.ndarray | None = None
    number: np.ndarray | None = None


@dataclass
class Encoded:
    instrument: Instrument
    n: int
    columns: dict[str, Column]
    # Per firm, the subdomains (indicator id -> reason) a consultant marked 不适用.
    not_applicable: list[dict[str, str]] = field(default_factory=list)

    def excluded(self) -> np.ndarray | None:
        """(n, indicators) whether each firm's indicator is marked not applicable; None when none is."""
        if not any(self.not_applicable):
            return None
        ids = [i.id for d in self.instrument.dimensions for i in d.indicators]
        out = np.zeros((self.n, len(ids)), bool)
        col = {ind: k for k, ind in enumerate(ids)}
        for row, marked in enumerate(self.not_applicable):
            for ind in marked:
                out[row, col[ind]] = True
        return out


def encode(inst: Instrument, answer_sets: Iterable[Mapping[str, Any]],
           not_applicable: Iterable[Mapping[str, str] | None] | None = None) -> Encoded:
    sets = list(answer_sets)
    n = len(sets)
    marked = [dict(m or {}) for m in not_applicable] if not_applicable is not None else [{} for _ in sets]
    _check_not_applicable(inst, marked, n)
    qs = inst.questions
    ids = [q.id for q in qs]
    # Read each answer set once, then transpose: far faster than one pass per question.
    raw_columns = list(zip(*(list(map(a.get, ids)) for a in sets), strict=True)) if n else [() for _ in ids]
    return Encoded(inst, n, {q.id: _column(q, raw, n) for q, raw in zip(qs, raw_columns, strict=True)}, marked)


def _check_not_applicable(inst: Instrument, marked: list[dict[str, str]], n: int) -> None:
    if len(marked) != n:
        raise ValueError("one not-applicable mapping per answer set is needed")
    if not any(marked):
        return
    if inst.method.type != "level_gated":
        raise ValueError("only subdomains of a level-gated instrument can be marked not applicable")
    known = {i.id for d in inst.dimensions for i in d.indicators}
    unknown = sorted({k for m in marked for k in m} - known)
    if unknown:
        raise ValueError(f"unknown subdomain {', '.join(unknown)}")


def _column(q: Question, raw: tuple, n: int) -> Column:
    """The question's type encodes the column (see questionnaires/types)."""
    return Column(q, **types.of(q).encode(q, raw, n))
