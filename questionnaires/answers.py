"""The answers exchange format and its validation.

An answer set is a JSON object mapping question id to a value: an option id
(single choice, level descriptor), a list of option ids (multiple choice), a
number, true/false (yes/no) or a string (free text). `null` clears an answer.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from . import types
from .shapes import Instrument, Question


@dataclass(frozen=True)
class AnswerError:
    """Why one answer was refused: a stable `code` with `params` for interfaces to
    word in their own language, and `reason` in plain English for logs and the CLI."""

    question: str
    code: str
    reason: str
    params: dict = field(default_factory=dict)

    def __str__(self) -> str:
        return f"{self.question}: {self.reason}"


def clean_answers(inst: Instrument, raw: Any) -> tuple[dict[str, Any], list[AnswerError]]:
    """Return the valid answers and an error for each invalid one; nothing is guessed."""
    if not isinstance(raw, dict):
        return {}, [AnswerError("", "not_object", "answers must be a JSON object of question id to value")]
    clean: dict[str, Any] = {}
    errors: list[AnswerError] = []
    for qid, value in raw.items():
        q = inst.question(str(qid))
        if q is None:
            errors.append(AnswerError(str(qid)[:64], "unknown_question", "unknown question id"))
            continue
        if value is None:
            clean[q.id] = None
            continue
        try:
            clean[q.id] = clean_value(q, value)
        except types.InvalidAnswer as exc:
            errors.append(AnswerError(q.id, exc.code, str(exc), exc.params))
    return clean, errors


def clean_value(q: Question, value: Any) -> Any:
    """The stored form of a non-null answer to `q`; raises types.InvalidAnswer."""
    return types.of(q).clean(q, value)
