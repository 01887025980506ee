"""The peer population: each firm's latest submitted result, as columns for scoring.benchmark,
and the benchmark of one assessment against it."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import numpy as np
import sqlalchemy as sa
from flask import current_app

import questionnaires
from scoring.benchmark import Firm, Population, benchmark

from .extensions import db
from .models import Assessment, Company, Result, utcnow


def min_peers() -> int:
    return int(current_app.config.get("BENCHMARK_MIN_PEERS", 30))


@dataclass
class _Cached:
    population: Population
    companies: np.ndarray   # (n,) company ids, row for row with the population
    max_id: int             # the highest result id read
    loaded_at: datetime     # results computed after this (with lower ids) were rescored
    parents: dict           # each zone's city and province when read (a zone moved: read again)


_populations: dict[tuple[str, str], _Cached] = {}


def population(instrument_id: str) -> Population:
    """The latest submitted result per company on this instrument (any version).

    Read once per process, then brought up to date with only the results added
    since (a firm's new result replaces its old one): at 100,000 firms a full read
    takes seconds, far too long to repeat for every submission. A rescore, seen as
    an older result computed again, causes a full read.
    """
    from .areas import zone_parents
    key = (db.engine.url.render_as_string(), instrument_id)
    cached = _populations.get(key)
    parents = zone_parents()
    if cached is not None and cached.parents == parents:
        rescored = db.session.scalar(sa.select(Result.id).where(Result.computed_at > cached.loaded_at,
                                                                Result.id <= cached.max_id).limit(1))
        if rescored is None:
            pop = _extend(cached, instrument_id)
            # Anything else (a deleted firm, say) shows as a different count: then read it all again.
            if len(pop) == db.session.scalar(sa.select(sa.func.count()).select_from(Result).where(
                    Result.instrument_id == instrument_id, Result.is_latest)):
                return pop
    loaded_at = utcnow()
    rows = _rows(instrument_id, sa.true())
    cached = _Cached(*_columns(instrument_id, rows), max_id=max((r.id for r in rows), default=0), loaded_at=loaded_at,
                     parents=parents)
    _populations[key] = cached
    return cached.population


def _rows(instrument_id: str, condition) -> list:
    return db.session.execute(
        sa.select(Result.id, Result.assessment_id, Result.total, Result.dimensions, Result.indicators, Result.company_id,
                  Company.industry_division, Company.size_class, Company.zone_id)
        .join(Company, Company.id == Result.company_id)
        .where(Result.instrument_id == instrument_id, Result.is_latest, condition)
        .order_by(Result.id)
    ).all()


def _columns(instrument_id: str, rows: list) -> tuple[Population, np.ndarray]:
    from .areas import zone_parents
    inst = questionnaires.get(instrument_id)
    parents = zone_parents()
    dim_ids = [d.id for d in inst.dimensions]
    ind_ids = [i.id for d in inst.dimensions for i in d.indicators]
    pop = Population(
        ids=np.array([r.assessment_id for r in rows], dtype=np.int64),
        industry=np.array([r.industry_division for r in rows], dtype=object),
        size=np.array([r.size_class for r in rows], dtype=object),
        zone=np.array([r.zone_id for r in rows], dtype=np.int64),
        total=np.array([r.total for r in rows], dtype=float),
        dimensions=np.array([[r.dimensions.get(d, {}).get("percent", 0.0) for d in dim_ids] for r in rows],
                            dtype=float).reshape(len(rows), len(dim_ids)),
        indicators=np.array([[(r.indicators or {}).get(i, 0.0) for i in ind_ids] for r in rows],
                            dtype=float).reshape(len(rows), len(ind_ids)),
        dimension_ids=dim_ids,
        indicator_ids=ind_ids,
        city=np.array([parents.get(r.zone_id, (0, 0))[0] for r in rows], dtype=np.int64),
        province=np.array([parents.get(r.zone_id, (0, 0))[1] for r in rows], dtype=np.int64),
    )
    return pop, np.array([r.company_id for r in rows], dtype=np.int64)


def _extend(cached: _Cached, instrument_id: str) -> Population:
    """Add the results stored since the last read, dropping the rows they replace."""
    new = _rows(instrument_id, Result.id > cached.max_id)
    if not new:
        return cached.population
    fresh, fresh_companies = _columns(instrument_id, new)
    old, keep = cached.population, ~np.isin(cached.companies, fresh_companies)
    cached.population = Population(
        ids=np.concatenate([old.ids[keep], fresh.ids]), industry=np.concatenate([old.industry[keep], fresh.industry]),
        size=np.concatenate([old.size[keep], fresh.size]), zone=np.concatenate([old.zone[keep], fresh.zone]),
        total=np.concatenate([old.total[keep], fresh.total]),
        dimensions=np.concatenate([old.dimensions[keep], fresh.dimensions]),
        indicators=np.concatenate([old.indicators[keep], fresh.indicators]),
        dimension_ids=old.dimension_ids, indicator_ids=old.indicator_ids,
        city=np.concatenate([old.city[keep], fresh.city]), province=np.concatenate([old.province[keep], fresh.province]))
    cached.companies = np.concatenate([cached.companies[keep], fresh_companies])
    cached.max_id = max(r.id for r in new)
    return cached.population


def benchmark_assessment(a: Assessment, pop: Population | None = None) -> dict | None:
    inst_id = a.instrument_version.instrument_id
    pop = population(inst_id) if pop is None else pop
    r = a.result
    from .areas import zone_parents
    city, province = zone_parents().get(a.company.zone_id, (0, 0))
    firm = Firm(industry=a.company.industry_division, size=a.company.size_class, zone=a.company.zone_id, exclude_id=a.id,
                city=city, province=province)
    dims = {d: v["percent"] for d, v in r.dimensions.items()}
    return benchmark(pop, firm, r.total, dims, min_peers())


def store_benchmark(a: Assessment, pop: Population | None = None) -> None:
    details = dict(a.result.details)
    details["benchmark"] = benchmark_assessment(a, pop)
    a.result.details = details  # a new dict, so the JSON column is written


def forget_populations() -> None:
    """Drop the cached populations: scores changed under the same result ids (a rescore)."""
    _populations.clear()
