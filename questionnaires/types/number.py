"""Number questions: a range, a unit, optional whole numbers, optional points by bins."""
from __future__ import annotations

import math

import numpy as np

from .base import InvalidAnswer, QuestionType

_OPS = {"equals": np.equal, "not_equals": np.not_equal, "gt": np.greater, "gte": np.greater_equal,
        "lt": np.less, "lte": np.less_equal}


class Number(QuestionType):
    name = "number"
    operators = frozenset({"answered", "equals", "not_equals", "gt", "gte", "lt", "lte"})

    def shape_error(self, q):
        if q.options:
            return "a number question takes no options"
        if q.min is None or q.max is None or q.min >= q.max:
            return "a number question needs min < max"
        uptos = [b.upto for b in q.bins]
        if uptos != sorted(uptos) or len(set(uptos)) != len(uptos):
            return "bins must be in strictly rising order of `upto`"
        if q.bins and uptos[-1] < q.max:
            return "the last bin must reach the question's max"
        return None

    def max_points(self, q):
        return max((b.points for b in q.bins), default=0.0)

    def clean(self, q, value):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise InvalidAnswer("not_number", "must be a number")
        if q.integer and value != int(value):
            raise InvalidAnswer("not_integer", "must be a whole number")
        if not (q.min <= value <= q.max):
            raise InvalidAnswer("out_of_range", f"must be between {q.min:g} and {q.max:g}",
                                min=f"{q.min:g}", max=f"{q.max:g}")
        return float(value)

    def encode(self, q, raw, n):
        number = np.fromiter((float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else np.nan
                              for v in raw), float, n)
        return {"number": number, "answered": ~np.isnan(number)}

    def points(self, q, col):
        if not q.bins:
            return None
        edges = np.array([b.upto for b in q.bins])
        table = np.array([b.points for b in q.bins])
        idx = np.clip(np.searchsorted(edges, np.nan_to_num(col.number, nan=q.min), side="left"), 0, len(edges) - 1)
        return np.where(col.answered, table[idx], 0.0)

    def compare(self, q, col, op, val):
        return _OPS[op](np.nan_to_num(col.number, nan=0.0), val)

    def from_cell(self, q, v):
        if isinstance(v, (int, float)):
            return v
        try:
            return float(str(v).strip().rstrip("%"))
        except ValueError:
            return str(v)

    def cell_hint(self, q, lang):
        rng = f"{q.min if q.min is not None else ''}–{q.max if q.max is not None else ''}"
        return (("填数字" if lang != "en" else "A number")
                + ((f" ({rng})" if lang == "en" else f"（{rng}）") if q.min is not None or q.max is not None else "")
                + (q.unit or ""))

    def paper_lines(self, q, lang, words):
        return [f"   ______ {q.unit or ''}  ({q.min:g}-{q.max:g})"]

    def answer_text(self, q, v, lang, words):
        return f"{v:g}{q.unit or ''}"

    def draw(self, q, md, rng):
        n = len(md)
        if q.bins:
            # Pick the bin a firm's maturity points to, then a value inside it.
            k = len(q.bins)
            idx = np.clip(np.rint(md * (k - 1) + rng.normal(0.0, 0.7, n)), 0, k - 1).astype(int)
            lows = np.array([q.min] + [b.upto for b in q.bins[:-1]])
            highs = np.array([b.upto for b in q.bins])
            u = rng.random(n)
            u = np.where(idx == k - 1, u ** 4, u)  # the last bin is open-ended: stay near its start
            x = lows[idx] + (highs[idx] - lows[idx]) * u
        else:
            # Unscored amounts (spend and the like) are small beside their allowed maximum.
            x = q.min + (q.max - q.min) * 1e-4 * np.exp(4 * md) * rng.lognormal(0.0, 0.5, n)
        x = np.clip(x, q.min, q.max)
        return (np.rint(x).astype(int) if q.integer else np.round(x, 1)).tolist()
