"""Score one answer set or many in one pass, and explain each result."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping

import numpy as np

from questionnaires.schema import Instrument

from . import weighted_points as wp
from .encode import Encoded, encode
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

    def dimension(self, dim_id: str) -> DimensionScore:
        return next(d for d in self.dimensions if d.id == dim_id)

    def to_dict(self) -> dict[str, Any]:
        return {
            "instrument": self.instrument,
            "method": self.method,
            "total": self.total,
            "max_total": self.max_total,
            "level": self.level,
            "dimensions": [d.__dict__ for d in self.dimensions],
            "indicators": self.indicators,
            "blockers": self.blockers,
            "hidden": self.hidden,
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
    checks: list[dict]

    def __len__(self) -> int:
        return len(self.total)

    def result(self, i: int) -> Result:
        inst = self.instrument
        qids = [q.id for q in inst.questions]
        dims = [
            DimensionScore(d.id, round(float(self.dim_points[i, k]), 2), d.weight, round(float(self.dim_percent[i, k]), 1))
            for k, d in enumerate(inst.dimensions)
        ]
        ind_ids = [ind.id for d in inst.dimensions for ind in d.indicators]
        total = round(float(self.total[i]), 2)
        level = int(self.level[i])
        return Result(
            instrument=inst.id,
            method=inst.method.type,
            total=total,
            max_total=inst.method.total,
            level=level,
            dimensions=dims,
            indicators={k: round(float(v), 1) for k, v in zip(ind_ids, self.ind_percent[i])},
            question_points={q: round(float(p), 3) for q, p in zip(qids, self.qpoints[i])},
            question_levels={q: int(lv) for q, lv, qq in zip(qids, self.qlevels[i], inst.questions) if qq.type == "level"},
            blockers=wp.blockers(inst, level, float(self.total[i]), self.qlevels[i], self.checks, i),
            hidden=[q for q, s in zip(qids, self.shown[i]) if not s],
        )


def score_batch(inst: Instrument, answer_sets: Iterable[Mapping[str, Any]] | Encoded) -> BatchResult:
    enc = answer_sets if isinstance(answer_sets, Encoded) else encode(inst, answer_sets)
    shown = visible(enc)
    qpoints = wp.question_points(enc, shown)
    qlevels = wp.question_levels(enc, shown)
    qs = inst.questions

    # Attainment per question in [0, 1]: points over maximum, or level over top level.
    max_pts = np.array([q.max_points for q in qs])
    top_level = np.array([max((o.level or 0) for o in q.options) if q.type == "level" else 0 for q in qs], float)
    is_level = np.array([q.type == "level" for q in qs])
    scored = (max_pts > 0) | is_level
    attain = np.zeros_like(qpoints)
    np.divide(qpoints, max_pts, out=attain, where=max_pts > 0)
    attain[:, is_level] = qlevels[:, is_level] / np.where(top_level[is_level] > 0, top_level[is_level], 1)

    dim_member = _membership(qs, [[q.id for q in d.questions] for d in inst.dimensions])
    ind_member = _membership(qs, [[q.id for q in ind.questions] for d in inst.dimensions for ind in d.indicators])
    dim_points = qpoints @ dim_member
    dim_percent = _percent(qpoints, attain, max_pts, scored, dim_member)
    ind_percent = _percent(qpoints, attain, max_pts, scored, ind_member)
    total = dim_points.sum(axis=1)
    level, checks = wp.levels(inst, total, qlevels)
    shown_m = np.column_stack([shown[q.id] for q in qs]) if qs else np.zeros((enc.n, 0), bool)
    return BatchResult(inst, total, level, dim_points, dim_percent, ind_percent, qpoints, qlevels, shown_m, checks)


def score(inst: Instrument, answers: Mapping[str, Any]) -> Result:
    return score_batch(inst, [answers]).result(0)


def _membership(qs, groups: list[list[str]]) -> np.ndarray:
    pos = {q.id: j for j, q in enumerate(qs)}
    m = np.zeros((len(qs), len(groups)))
    for k, ids in enumerate(groups):
        for qid in ids:
            m[pos[qid], k] = 1.0
    return m


def _percent(qpoints, attain, max_pts, scored, member) -> np.ndarray:
    """Points over maximum where a group carries points, else the mean attainment of its scored questions."""
    group_max = max_pts @ member
    by_points = np.divide(qpoints @ member, group_max, out=np.zeros((qpoints.shape[0], member.shape[1])), where=group_max > 0)
    counted = scored.astype(float) @ member
    by_attain = np.divide(attain @ (member * scored[:, None]), counted, out=np.zeros_like(by_points), where=counted > 0)
    return 100.0 * np.where(group_max > 0, by_points, by_attain)
