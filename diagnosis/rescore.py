"""Score submitted assessments again on their own instrument versions and refresh their benchmarks."""
from __future__ import annotations

from collections import defaultdict

import sqlalchemy as sa

import scoring
from scoring.benchmark import Population

from . import peers
from .assessments import service
from .extensions import db
from .models import Assessment, Company
from .zone.stats import forget_platform_means


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
        batch = scoring.score_batch(inst, [a.answer_dict() for a in group], [a.not_applicable_reasons() for a in group])
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
            populations[inst_id] = peers.population(inst_id)
        peers.store_benchmark(a, populations[inst_id])
        counts[inst_id] += 1
    db.session.commit()
    forget_platform_means()  # scores changed under the same result ids
    peers.forget_populations()
    return dict(counts)
