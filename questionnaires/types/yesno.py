"""Yes/no questions: `points` for yes."""
from __future__ import annotations

import numpy as np

from .base import InvalidAnswer, QuestionType
from .choice import _encode_codes

YES = {"是", "yes", "y", "true", "1", "有"}
NO = {"否", "no", "n", "false", "0", "无"}


class YesNo(QuestionType):
    name = "yesno"
    operators = frozenset({"answered", "equals", "not_equals"})

    def max_points(self, q):
        return max(q.points, 0.0)

    def clean(self, q, value):
        if not isinstance(value, bool):
            raise InvalidAnswer("not_bool", "must be true or false")
        return value

    def encode(self, q, raw, n):
        return _encode_codes({True: 1, False: 0}, raw, n)

    def points(self, q, col):
        return np.where(col.code == 1, q.points, 0.0)

    def compare(self, q, col, op, val):
        hit = col.code == int(bool(val))
        return ~hit if op == "not_equals" else hit

    def from_cell(self, q, v):
        if isinstance(v, bool):
            return v
        text = str(v).strip().lower()
        return True if text in YES else False if text in NO else text

    def cell_choices(self, q, lang):
        return ["是", "否"] if lang != "en" else ["yes", "no"]

    def cell_hint(self, q, lang):
        return "是 / 否" if lang != "en" else "yes / no"

    def paper_lines(self, q, lang, words):
        return [f"   [ ] {words['yes']}   [ ] {words['no']}"]

    def answer_text(self, q, v, lang, words):
        return words["yes"] if v else words["no"]

    def draw(self, q, md, rng):
        return (rng.random(len(md)) < md).tolist()
