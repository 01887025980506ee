"""Score one answer set or many in one pass, and explain each result."""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from questionnaires.shapes import Instrument

from . import weighted_points
from .encode import Encoded, encode
from .methods import METHODS
from .outcome import Outcome
from .visibility import visible


@dataclass
class DimensionScore:
    id: str
    points: float
    max_points: float
    # Share of the dimension attained, 0-100: points over maximum, or for a
    # dimension of level-descriptor questions the mean level over the top level.
    percent: float


@dataclass
class Result:
    instrument: str
    method: str
    total: float
    max_total: float
    level: int
    dimensions: list[DimensionScore]
    indicators: dict[str, float]
    question_points: dict[str, float]
    question_levels: dict[str, int]
    blockers: dict | None
    hidden: list[str] = field(default_factory=list)
    # Subdomains marked 不适用 (id -> reason): left out of the level scores' weights.
    not_applicable: dict[str, str] = field(default_factory=dict)

    def dimension(self, dim_id: str) -> DimensionScore:
        return next(d for d in self.dimensions if d.id == dim_id)

    def to_dict(self) -> dict[str, Any]:
        return {
            "instrument": self.instrument,
            "method": self.method,
            "total": self.total,
            "max_total": self.max_total,
            "level": self.level,
            "dimensions": {d.id: {"points": d.points, "max_points": d.max_points, "percent": d.percent}
                           for d in self.dimensions},
            "indicators": self.indicators,
            "blockers": self.blockers,
            "hidden": self.hidden,
            "question_points": self.question_points,
            "question_levels": self.question_levels,
            **({"not_applicable": self.not_applicable} if self.not_applicable else {}),
        }


@dataclass
class BatchResult:
    """Column results for n firms; `result(i)` builds the explained result of one."""

    instrument: Instrument
    total: np.ndarray            # (n,)
    level: np.ndarray            # (n,)
    dim_points: np.ndarray       # (n, dimensions)
    dim_percent: np.ndarray      # (n, dimensions)
    ind_percent: np.ndarray      # (n, indicators)
    qpoints: np.ndarray          # (n, questions)
    qlevels: np.ndarray          # (n, questions)
    shown: np.ndarray            # (n, questions)
    outcome: Outcome
    not_applicable: list[dict[str, str]]

    def __len__(self) -> int:
        return len(self.total)

    def result(self, i: int) -> Result:
        inst = self.instrument
        qids = [q.id for q in inst.questions]
        # Points only mean something to a points method; the others show shares.
        points = inst.method.type == "weighted_points"
        dims = [
            DimensionScore(d.id, round(float(self.dim_points[i, k]), 2) if points else 0.0, d.weight if points else 0.0,
                           round(float(self.dim_percent[i, k]), 1))
            for k, d in enumerate(inst.dimensions)
        ]
        ind_ids = [ind.id for d in inst.dimensions for ind in d.indicators]
        total = round(float(self.total[i]), 2)
        level = int(self.level[i])
        return Result(
            instrument=inst.id,
            method=inst.method.type,
            total=total,
            max_total=self.outcome.max_total,
            level=level,
            dimensions=dims,
            indicators={k: round(float(v), 1) for k, v in zip(ind_ids, self.ind_percent[i], strict=True)},
            question_points={q: round(float(p), 3) for q, p in zip(qids, self.qpoints[i], strict=True)},
            question_levels={q: int(lv) for q, lv, qq in zip(qids, self.qlevels[i], inst.questions, strict=True)
                             if qq.type == "level"},
            blockers=METHODS[inst.method.type].explain(inst, self.outcome, i),
            hidden=[q for q, s in zip(qids, self.shown[i], strict=True) if not s],
            not_applicable=dict(self.not_applicable[i]) if self.not_applicable else {},
        )


def score_batch(inst: Instrument, answer_sets: Iterable[Mapping[str, Any]] | Encoded,
                not_applicable: Iterable[Mapping[str, str] | None] | None = None) -> BatchResult:
    """Score n answer sets; `not_applicable` gives per firm the subdomains (id -> reason) a
    consultant marked 不适用, which leave the weights of a level-gated instrument."""
    enc = answer_sets if isinstance(answer_sets, Encoded) else encode(inst, answer_sets, not_applicable)
    shown = visible(enc)
    qpoints = weighted_points.question_points(enc, shown)
    qlevels = weighted_points.question_levels(enc, shown)
    qs = inst.questions

    # Attainment per question in [0, 1]: points over maximum, or level over top level.
    max_pts = np.array([q.max_points for q in qs])
    top_level = np.array([max((o.level or 0) for o in q.options) if q.type == "level" else 0 for q in qs], float)
    is_level = np.array([q.type == "level" for q in qs])
    scored = (max_pts > 0) | is_level
    attain = np.zeros_like(qpoints)
    np.divide(qpoints, max_pts, out=attain, where=max_pts > 0)
    attain[:, is_level] = qlevels[:, is_level] / np.where(top_level[is_level] > 0, top_level[is_level], 1)

    # Questions are stored dimension by dimension and indicator by indicator, so
    # each group is a run of adjacent columns: sum runs with reduceat, which adds
    # in the same order for one firm as for many (a matrix product may not).
    dim_starts = _starts([len(d.questions) for d in inst.dimensions])
    ind_starts = _starts([len(i.questions) for d in inst.dimensions for i in d.indicators])
    dim_points = np.add.reduceat(qpoints, dim_starts, axis=1)
    dim_percent = _percent(qpoints, attain, max_pts, scored, dim_starts)
    ind_percent = _percent(qpoints, attain, max_pts, scored, ind_starts)
    outcome = METHODS[inst.method.type].evaluate(inst, enc, shown, qpoints, qlevels)
    shown_m = np.column_stack([shown[q.id] for q in qs]) if qs else np.zeros((enc.n, 0), bool)
    return BatchResult(inst, outcome.total, outcome.level, dim_points, dim_percent, ind_percent, qpoints, qlevels,
                       shown_m, outcome, enc.not_applicable)


def next_level_path(inst: Instrument, result: Mapping[str, Any]) -> dict | None:
    """The smallest set of answer changes that reaches the next level, by the instrument's own
    rule (each method module's `next_level_path`): {level, changes, steps}; None at the top."""
    return METHODS[inst.method.type].next_level_path(inst, result)


def score(inst: Instrument, answers: Mapping[str, Any], not_applicable: Mapping[str, str] | None = None) -> Result:
    return score_batch(inst, [answers], [not_applicable]).result(0)


def _starts(sizes: list[int]) -> np.ndarray:
    return np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.intp)


def _percent(qpoints, attain, max_pts, scored, starts) -> np.ndarray:
    """Points over maximum where a group carries points, else the mean attainment of its scored questions."""
    group_max = np.add.reduceat(max_pts, starts)
    group_pts = np.add.reduceat(qpoints, starts, axis=1)
    by_points = np.divide(group_pts, group_max, out=np.zeros_like(group_pts), where=group_max > 0)
    counted = np.add.reduceat(scored.astype(float), starts)
    group_att = np.add.reduceat(attain * scored, starts, axis=1)
    by_attain = np.divide(group_att, counted, out=np.zeros_like(group_att), where=counted > 0)
    return 100.0 * np.where(group_max > 0, by_points, by_attain)
