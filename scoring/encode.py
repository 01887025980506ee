"""Turn answer sets (question id -> value) into NumPy arrays, one column per question.

Everything after encoding works on whole columns, so scoring one firm and
scoring a hundred thousand run the same code.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Mapping

import numpy as np

from questionnaires.schema import Instrument, Question

MISSING = -1


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
    columns = {}
    for q in inst.questions:
        raw = [a.get(q.id) for a in sets]
        answered = np.fromiter((v is not None for v in raw), bool, n)
        col = Column(q, answered)
        if q.type in ("single", "level"):
            index = {o.id: i for i, o in enumerate(q.options)}
            col.code = np.fromiter((index.get(v, MISSING) if isinstance(v, str) else MISSING for v in raw), np.int16, n)
            col.answered &= col.code != MISSING
        elif q.type == "multi":
            index = {o.id: i for i, o in enumerate(q.options)}
            chosen = np.zeros((n, len(q.options)), bool)
            for row, v in enumerate(raw):
                if v:
                    for opt in v:
                        j = index.get(opt)
                        if j is not None:
                            chosen[row, j] = True
            col.chosen = chosen
        elif q.type == "number":
            col.number = np.array([float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else np.nan for v in raw], float)
            col.answered &= ~np.isnan(col.number)
        elif q.type == "yesno":
            col.code = np.fromiter((int(v) if isinstance(v, bool) else MISSING for v in raw), np.int16, n)
            col.answered &= col.code != MISSING
        columns[q.id] = col
    return Encoded(inst, n, columns)
