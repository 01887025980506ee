"""The answers exchange format and its validation.

An answer set is a JSON object mapping question id to a value: an option id
(single choice, level descriptor), a list of option ids (multiple choice), a
number, true/false (yes/no) or a string (free text). `null` clears an answer.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from .schema import Instrument, Question


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


class _Invalid(ValueError):
    def __init__(self, code: str, reason: str, **params):
        super().__init__(reason)
        self.code, self.params = code, params


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
        except _Invalid as exc:
            errors.append(AnswerError(q.id, exc.code, str(exc), exc.params))
    return clean, errors


def clean_value(q: Question, value: Any) -> Any:
    if q.type in ("single", "level"):
        if not isinstance(value, str) or q.option(value) is None:
            raise _Invalid("not_option", f"must be one of {', '.join(o.id for o in q.options)}")
        return value
    if q.type == "multi":
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise _Invalid("not_list", "must be a list of option ids")
        unknown = [v for v in value if q.option(v) is None]
        if unknown:
            raise _Invalid("not_option", f"unknown option '{unknown[0][:64]}'")
        # Keep the instrument's option order and drop repeats.
        chosen = set(value)
        return [o.id for o in q.options if o.id in chosen]
    if q.type == "number":
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise _Invalid("not_number", "must be a number")
        if q.integer and value != int(value):
            raise _Invalid("not_integer", "must be a whole number")
        if not (q.min <= value <= q.max):
            raise _Invalid("out_of_range", f"must be between {q.min:g} and {q.max:g}", min=f"{q.min:g}", max=f"{q.max:g}")
        return float(value)
    if q.type == "yesno":
        if not isinstance(value, bool):
            raise _Invalid("not_bool", "must be true or false")
        return value
    # free text
    if not isinstance(value, str):
        raise _Invalid("not_text", "must be text")
    value = value.strip()
    if len(value) > q.max_length:
        raise _Invalid("too_long", f"is longer than {q.max_length} characters", max=q.max_length)
    return value or None
