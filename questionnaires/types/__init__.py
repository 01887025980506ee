"""Question types: everything that depends on a question's type lives in its class.

A type knows how to check its own shape, clean an answer, encode a column of
answers for scoring, score and compare that column, read a spreadsheet cell,
draw synthetic answers and print itself on a paper form. A new question type is
one new module here plus one line in `TYPES`.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from .base import InvalidAnswer, QuestionType
from .choice import Level, Multi, Single
from .number import Number
from .text import FreeText
from .yesno import YesNo

if TYPE_CHECKING:
    from ..schema import Question

TYPES: dict[str, QuestionType] = {t.name: t() for t in (Single, Multi, Level, Number, YesNo, FreeText)}
TYPE_NAMES = tuple(TYPES)


def of(q: Question) -> QuestionType:
    """The type object of a question."""
    return TYPES[q.type]


__all__ = ["TYPES", "TYPE_NAMES", "InvalidAnswer", "QuestionType", "of"]
