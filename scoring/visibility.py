"""Which questions each firm was shown, by evaluating `show_if` on whole columns.

A question is visible when its condition holds on the answers to visible
questions; an answer to a hidden question is treated as absent, so hidden
answers never score and never reveal further questions. The loader guarantees
conditions only look backwards, so one pass in question order suffices.
"""
from __future__ import annotations

import numpy as np

from questionnaires import types
from questionnaires.shapes import AllOf, AnyOf, Compare, Condition, NotOf

from .encode import Column, Encoded


def visible(enc: Encoded) -> dict[str, np.ndarray]:
    shown: dict[str, np.ndarray] = {}
    for qid, col in enc.columns.items():
        cond = col.question.show_if
        shown[qid] = np.ones(enc.n, bool) if cond is None else _eval(cond, enc, shown)
    return shown


def asked(enc: Encoded, shown: dict[str, np.ndarray] | None = None) -> dict[str, np.ndarray]:
    """The questions a form asks each firm: the visible ones, less those its scoring method lets
    it skip because they cannot change its level (an answer already given still scores, so
    answering more never lowers a score)."""
    shown = visible(enc) if shown is None else shown
    from .methods import method_of  # the methods import this module
    skip = getattr(method_of(enc.instrument), "skipped", None)
    out = dict(shown)
    for qid, mask in (skip(enc.instrument, enc, shown) if skip else {}).items():
        out[qid] = shown[qid] & ~mask
    return out


def evaluate_condition(cond: Condition, enc: Encoded, shown: dict[str, np.ndarray]) -> np.ndarray:
    """Whether `cond` holds for each firm, given which questions each was shown."""
    return _eval(cond, enc, shown)


def _eval(cond: Condition, enc: Encoded, shown: dict[str, np.ndarray]) -> np.ndarray:
    if isinstance(cond, AllOf):
        out = np.ones(enc.n, bool)
        for c in cond.all:
            out &= _eval(c, enc, shown)
        return out
    if isinstance(cond, AnyOf):
        out = np.zeros(enc.n, bool)
        for c in cond.any:
            out |= _eval(c, enc, shown)
        return out
    if isinstance(cond, NotOf):
        return ~_eval(cond.not_, enc, shown)
    return _compare(cond, enc.columns[cond.question], shown[cond.question])


def _compare(cmp: Compare, col: Column, target_shown: np.ndarray) -> np.ndarray:
    """A comparison on a hidden or unanswered question is false (except `answered: false`)."""
    q, op, val = col.question, cmp.operator, cmp.operand
    present = col.answered & target_shown
    if op == "answered":
        return present if val else ~present
    return types.of(q).compare(q, col, op, val) & present
