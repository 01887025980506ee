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
    qs = inst.questions
    ids = [q.id for q in qs]
    # Read each answer set once, then transpose: far faster than one pass per question.
    raw_columns = list(zip(*(list(map(a.get, ids)) for a in sets))) if n else [() for _ in ids]
    return Encoded(inst, n, {q.id: _column(q, raw, n) for q, raw in zip(qs, raw_columns)})


def _column(q: Question, raw: tuple, n: int) -> Column:
    col = Column(q, np.zeros(n, bool))
    if q.type in ("single", "level", "yesno"):
        if q.type == "yesno":
            lookup = {True: 1, False: 0}
        else:
            lookup = {o.id: i for i, o in enumerate(q.options)}
        lookup[None] = MISSING
        try:  # clean answers map in one C-level pass
            col.code = np.fromiter(map(lookup.__getitem__, raw), np.int16, n)
        except (KeyError, TypeError):  # anything else counts as unanswered
            col.code = np.fromiter((lookup.get(v, MISSING) if isinstance(v, (str, bool)) else MISSING for v in raw), np.int16, n)
        col.answered = col.code != MISSING
    elif q.type == "multi":
        index = {o.id: i for i, o in enumerate(q.options)}
        lists = [v if isinstance(v, list) else () for v in raw]
        try:  # clean answers: flatten the chosen ids and their row numbers in bulk
            cols = np.fromiter((index[o] for v in lists for o in v), np.intp)
        except (KeyError, TypeError):  # drop what is not an option of this question
            lists = [[o for o in v if isinstance(o, str) and o in index] for v in lists]
            cols = np.fromiter((index[o] for v in lists for o in v), np.intp)
        rows = np.repeat(np.arange(n), np.fromiter(map(len, lists), np.intp, n))
        col.chosen = np.zeros((n, len(q.options)), bool)
        col.chosen[rows, cols] = True
        col.answered = np.fromiter((v is not None for v in raw), bool, n)
    elif q.type == "number":
        col.number = np.fromiter((float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else np.nan for v in raw), float, n)
        col.answered = ~np.isnan(col.number)
    else:
        col.answered = np.fromiter((v is not None for v in raw), bool, n)
    return col
