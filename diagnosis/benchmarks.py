"""Peer benchmarks from the database: each firm's latest submitted result, as columns for scoring.benchmark."""
from __future__ import annotations

from collections import defaultdict

import numpy as np
import sqlalchemy as sa
from flask import current_app

import questionnaires
import scoring
from scoring.benchmark import Firm, Population, benchmark

from .assessments import service
from .extensions import db
from .models import Assessment, Company, Result


def min_peers() -> int:
    return int(current_app.config.get("BENCHMARK_MIN_PEERS", 30))


def population(instrument_id: str) -> Population:
    """The latest submitted result per company on this instrument (any version)."""
    inst = questionnaires.get(instrument_id)
    dim_ids = [d.id for d in inst.dimensions]
    ind_ids = [i.id for d in inst.dimensions for i in d.indicators]
    rows = db.session.execute(
        sa.select(Result.assessment_id, Result.total, Result.dimensions, Result.details, Company.id,
                  Company.industry_division, Company.size_class, Company.zone_id)
        .join(Company, Company.id == Result.company_id)
        .where(Result.instrument_id == instrument_id, Result.is_latest)
        .order_by(Result.assessment_id)
    ).all()
    return Population(
        ids=np.array([r[0] for r in rows], dtype=np.int64),
        industry=np.array([r[5] for r in rows], dtype=object),
        size=np.array([r[6] for r in rows], dtype=object),
        zone=np.array([r[7] for r in rows], dtype=np.int64),
        total=np.array([r[1] for r in rows], dtype=float),
        dimensions=np.array([[r[2].get(d, {}).get("percent", 0.0) for d in dim_ids] for r in rows], dtype=float).reshape(len(rows), len(dim_ids)),
        indicators=np.array([[r[3].get("indicators", {}).get(i, 0.0) for i in ind_ids] for r in rows], dtype=float).reshape(len(rows), len(ind_ids)),
        dimension_ids=dim_ids,
        indicator_ids=ind_ids,
    )


def benchmark_assessment(a: Assessment, pop: Population | None = None) -> dict | None:
    inst_id = a.instrument_version.instrument_id
    pop = population(inst_id) if pop is None else pop
    r = a.result
    firm = Firm(industry=a.company.industry_division, size=a.company.size_class, zone=a.company.zone_id, exclude_id=a.id)
    dims = {d: v["percent"] for d, v in r.dimensions.items()}
    return benchmark(pop, firm, r.total, dims, min_peers())


def store_benchmark(a: Assessment, pop: Population | None = None) -> None:
    details = dict(a.result.details)
    details["benchmark"] = benchmark_assessment(a, pop)
    a.result.details = details  # a new dict, so the JSON column is written


def rescore(zone_id: int | None = None) -> dict[str, int]:
    """Score every submitted assessment again on its own instrument version, then
    benchmark it against the refreshed population. Returns counts per instrument."""
    q = sa.select(Assessment).where(Assessment.status == "submitted")
    if zone_id is not None:
        q = q.join(Company, Company.id == Assessment.company_id).where(Company.zone_id == zone_id)
    assessments = db.session.scalars(q.order_by(Assessment.id)).all()
    by_version: dict[int, list[Assessment]] = defaultdict(list)
    for a in assessments:
        by_version[a.instrument_version_id].append(a)
    for group in by_version.values():
        inst = service.instrument_of(group[0])
        batch = scoring.score_batch(inst, [a.answer_dict() for a in group])
        for i, a in enumerate(group):
            service.store_result(a, batch.result(i))
    db.session.flush()
    for company_id, instrument_id in sorted({(a.company_id, a.instrument_version.instrument_id) for a in assessments}):
        service.refresh_history(company_id, instrument_id)
    db.session.flush()
    counts: dict[str, int] = defaultdict(int)
    populations: dict[str, Population] = {}
    for a in assessments:
        inst_id = a.instrument_version.instrument_id
        if inst_id not in populations:
            populations[inst_id] = population(inst_id)
        store_benchmark(a, populations[inst_id])
        counts[inst_id] += 1
    db.session.commit()
    from .zone_stats import _platform_means
    _platform_means.cache_clear()  # scores changed under the same result ids
    return dict(counts)
