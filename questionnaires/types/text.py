"""Free-text questions: never scored, tested only with `answered`."""
from __future__ import annotations

from .base import InvalidAnswer, QuestionType


class FreeText(QuestionType):
    name = "text"

    def clean(self, q, value):
        if not isinstance(value, str):
            raise InvalidAnswer("not_text", "must be text")
        value = value.strip()
        if len(value) > q.max_length:
            raise InvalidAnswer("too_long", f"is longer than {q.max_length} characters", max=q.max_length)
        return value or None

    def paper_lines(self, q, lang, words):
        return ["   ____________________________________________"]
