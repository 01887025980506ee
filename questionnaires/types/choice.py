"""Choice questions: single choice, level descriptor (a single choice whose options are levels), multiple choice."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from .base import MISSING, InvalidAnswer, QuestionType

if TYPE_CHECKING:
    from ..schema import Question


def _ranked(q: Question) -> list[str]:
    """Option ids from the least to the most mature answer."""
    return [o.id for o in sorted(q.options, key=lambda o: (o.level if o.level is not None else o.points))]


def _by_text(q: Question) -> dict[str, str]:
    return {o.text.zh: o.id for o in q.options} | {o.text.en: o.id for o in q.options if o.text.en}


def _option_error(q: Question) -> str | None:
    if len(q.options) < 2:
        return f"a {q.type} question needs at least two options"
    ids = [o.id for o in q.options]
    dup = {i for i in ids if ids.count(i) > 1}
    if dup:
        return f"duplicate option id {', '.join(sorted(dup))}"
    if q.type == "level" and any(o.level is None for o in q.options):
        return "every option of a level question needs its `level`"
    if q.bins:
        return f"a {q.type} question takes no bins"
    return None


class Single(QuestionType):
    name = "single"
    has_options = True
    operators = frozenset({"answered", "equals", "not_equals", "in_"})

    def shape_error(self, q):
        return _option_error(q)

    def max_points(self, q):
        return max(o.points for o in q.options)

    def clean(self, q, value):
        if not isinstance(value, str) or q.option(value) is None:
            raise InvalidAnswer("not_option", f"must be one of {', '.join(o.id for o in q.options)}")
        return value

    def encode(self, q, raw, n):
        lookup: dict[Any, int] = {o.id: i for i, o in enumerate(q.options)}
        return _encode_codes(lookup, raw, n)

    def points(self, q, col):
        table = np.array([o.points for o in q.options] + [0.0])
        return table[col.code]  # MISSING (-1) picks the trailing 0

    def compare(self, q, col, op, val):
        idx = {o.id: i for i, o in enumerate(q.options)}
        if op == "in_":
            return np.isin(col.code, [idx[v] for v in val])
        hit = col.code == idx[str(val)]
        return ~hit if op == "not_equals" else hit

    def from_cell(self, q, v):
        text = str(v).strip()
        return _by_text(q).get(text, text)

    def cell_choices(self, q, lang):
        return [o.id for o in q.options]

    def cell_hint(self, q, lang):
        opts = ("; " if lang == "en" else "；").join(f"{o.id} = {o.text.get(lang)}" for o in q.options)
        return ("填一个选项代码：" if lang != "en" else "One option code: ") + opts

    def answer_text(self, q, v, lang, words):
        opt = q.option(v)
        return opt.text.get(lang) if opt else str(v)

    def draw(self, q, md, rng):
        ranked = _ranked(q)
        k = len(ranked)
        idx = np.clip(np.rint(md * (k - 1) + rng.normal(0.0, 0.7, len(md))), 0, k - 1).astype(int)
        return [ranked[i] for i in idx]


class Level(Single):
    """A level descriptor: each option stands for a maturity level (0 = not done)."""

    name = "level"


class Multi(QuestionType):
    name = "multi"
    has_options = True
    operators = frozenset({"answered", "includes", "count_gte"})

    def shape_error(self, q):
        return _option_error(q)

    def max_points(self, q):
        return sum(max(o.points, 0.0) for o in q.options)

    def clean(self, q, value):
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise InvalidAnswer("not_list", "must be a list of option ids")
        unknown = [v for v in value if q.option(v) is None]
        if unknown:
            raise InvalidAnswer("not_option", f"unknown option '{unknown[0][:64]}'")
        # Keep the instrument's option order and drop repeats.
        chosen = set(value)
        return [o.id for o in q.options if o.id in chosen]

    def encode(self, q, raw, n):
        index = {o.id: i for i, o in enumerate(q.options)}
        lists = [v if isinstance(v, list) else () for v in raw]
        try:  # clean answers: flatten the chosen ids and their row numbers in bulk
            cols = np.fromiter((index[o] for v in lists for o in v), np.intp)
        except (KeyError, TypeError):  # drop what is not an option of this question
            lists = [[o for o in v if isinstance(o, str) and o in index] for v in lists]
            cols = np.fromiter((index[o] for v in lists for o in v), np.intp)
        rows = np.repeat(np.arange(n), np.fromiter(map(len, lists), np.intp, n))
        chosen = np.zeros((n, len(q.options)), bool)
        chosen[rows, cols] = True
        return {"chosen": chosen, "answered": np.fromiter((v is not None for v in raw), bool, n)}

    def points(self, q, col):
        return (col.chosen * np.array([o.points for o in q.options])).sum(axis=1)  # row-wise, same order at any n

    def compare(self, q, col, op, val):
        if op == "count_gte":
            return col.chosen.sum(axis=1) >= val
        j = next(i for i, o in enumerate(q.options) if o.id == val)
        return col.chosen[:, j]

    def from_cell(self, q, v):
        parts = [p.strip() for p in str(v).replace("；", ";").replace(",", ";").split(";") if p.strip()]
        by_text = {o.text.zh: o.id for o in q.options}
        return [by_text.get(p, p) for p in parts]

    def cell_hint(self, q, lang):
        opts = ("; " if lang == "en" else "；").join(f"{o.id} = {o.text.get(lang)}" for o in q.options)
        return ("填选项代码，多个用分号隔开：" if lang != "en" else "Option codes separated by semicolons: ") + opts

    def answer_text(self, q, v, lang, words):
        # Full-width punctuation belongs to Chinese text only.
        return ("; " if lang == "en" else "；").join(q.option(o).text.get(lang) for o in v if q.option(o)) or words["none"]

    def draw(self, q, md, rng):
        n = len(md)
        ids = np.array([o.id for o in q.options])
        chosen = rng.random((n, len(ids))) < np.clip(md[:, None] * 1.1 + rng.normal(0, 0.08, (n, 1)), 0.02, 0.98)
        return [ids[row].tolist() for row in chosen]


def _encode_codes(lookup: dict, raw: tuple, n: int) -> dict[str, np.ndarray]:
    """Option index (or 1/0) per firm, MISSING when unanswered; anything unknown counts as unanswered."""
    lookup[None] = MISSING
    try:  # clean answers map in one C-level pass
        code = np.fromiter(map(lookup.__getitem__, raw), np.int16, n)
    except (KeyError, TypeError):
        code = np.fromiter((lookup.get(v, MISSING) if isinstance(v, (str, bool)) else MISSING for v in raw),
                           np.int16, n)
    return {"code": code, "answered": code != MISSING}
