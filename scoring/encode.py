"""Turn answer sets (question id -> value) into NumPy arrays, one column per question.

Everything after encoding works on whole columns, so scoring one firm and
scoring a hundred thousand run the same code.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
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


def encode(inst: Instrument, answer_sets: Iterable[Mapping[str, Any]]) -> Encoded:
    sets = list(answer_sets)
    n = len(sets)
    qs = inst.questions
    ids = [q.id for q in qs]
    # Read each answer set once, then transpose: far faster than one pass per question.
    raw_columns = list(zip(*(list(map(a.get, ids)) for a in sets), strict=True)) if n else [() for _ in ids]
    return Encoded(inst, n, {q.id: _column(q, raw, n) for q, raw in zip(qs, raw_columns, strict=True)})


def _column(q: Question, raw: tuple, n: int) -> Column:
    """The question's type encodes the column (see questionnaires/types)."""
    return Column(q, **types.of(q).encode(q, raw, n))
