"""Benchmarks: where a firm stands among its peers, in NumPy.

The peer group is the narrowest of these with at least `min_size` firms: the
same industry, size class and zone; the same industry in the same city; the same
industry; every firm of the zone; every firm of the province; every firm. (City
and province come from the platform's hierarchy of areas; a firm whose zone is in
none skips those steps.) The group used and its size are part of the result, so a reader
always knows whom the firm is compared with.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

GROUPS = ("industry_size_zone", "industry_city", "industry", "zone", "province", "all")
QUANTILES = {"p25": 25, "p50": 50, "p75": 75, "p90": 90}


@dataclass
class Population:
    """The latest result of each firm on one instrument, as columns."""

    ids: np.ndarray            # (n,) assessment ids
    industry: np.ndarray       # (n,) industry division codes
    size: np.ndarray           # (n,) size classes
    zone: np.ndarray           # (n,) zone ids
    total: np.ndarray          # (n,)
    dimensions: np.ndarray     # (n, D) dimension percents
    indicators: np.ndarray     # (n, I) indicator percents
    dimension_ids: list[str] = field(default_factory=list)
    indicator_ids: list[str] = field(default_factory=list)
    city: np.ndarray | None = None      # (n,) city area ids, 0 for none (no hierarchy: None)
    province: np.ndarray | None = None  # (n,) province area ids, 0 for none

    def __len__(self) -> int:
        return len(self.total)


@dataclass(frozen=True)
class Firm:
    industry: str
    size: str
    zone: int | None
    exclude_id: int | None = None   # the firm's own assessment, never its own peer
    city: int | None = None         # the city and province its zone lies in, if any
    province: int | None = None


def peer_mask(pop: Population, firm: Firm, min_size: int = 30) -> tuple[str, np.ndarray]:
    """The narrowest group with at least `min_size` peers (else everyone), and its mask."""
    others = pop.ids != firm.exclude_id if firm.exclude_id is not None else np.ones(len(pop), bool)
    same_industry = pop.industry == firm.industry
    same_zone = pop.zone == firm.zone
    nobody = np.zeros(len(pop), bool)
    same_city = pop.city == firm.city if pop.city is not None and firm.city else nobody
    same_province = pop.province == firm.province if pop.province is not None and firm.province else nobody
    candidates = {
        "industry_size_zone": same_industry & (pop.size == firm.size) & same_zone,
        "industry_city": same_industry & same_city,
        "industry": same_industry,
        "zone": same_zone,
        "province": same_province,
        "all": np.ones(len(pop), bool),
    }
    for kind in GROUPS:
        mask = candidates[kind] & others
        if mask.sum() >= min_size or kind == "all":
            return kind, mask
    raise AssertionError("unreachable")


def percentile(values: np.ndarray, x: float) -> float:
    """Share of values below x, counting ties as half (mid-rank), in percent."""
    if len(values) == 0:
        return float("nan")
    below = np.count_nonzero(values < x - 1e-9)
    ties = np.count_nonzero(np.abs(values - x) <= 1e-9)
    return round(100.0 * (below + 0.5 * ties) / len(values), 1)


def stats(values: np.ndarray) -> dict[str, float]:
    """Mean and quartiles (and the top-10% mark) of each column of `values`."""
    if values.shape[0] == 0:
        return {}
    q = np.percentile(values, list(QUANTILES.values()), axis=0)
    out = {"mean": np.round(values.mean(axis=0), 2)}
    out.update({k: np.round(q[i], 2) for i, k in enumerate(QUANTILES)})
    return out


def benchmark(pop: Population, firm: Firm, total: float, dimensions: dict[str, float],
              min_size: int = 30) -> dict | None:
    """The firm's percentile and its peers' figures, per total, dimension and indicator."""
    if len(pop) == 0:
        return None
    kind, mask = peer_mask(pop, firm, min_size)
    n = int(mask.sum())
    if n == 0:
        return None
    tot = stats(pop.total[mask])
    dims = stats(pop.dimensions[mask])
    inds = stats(pop.indicators[mask])
    return {
        "group": kind,
        "n": n,
        "min_size": min_size,
        "percentile": percentile(pop.total[mask], total),
        "dimension_percentiles": {d: percentile(pop.dimensions[mask, k], dimensions[d])
                                  for k, d in enumerate(pop.dimension_ids) if d in dimensions},
        "total": {k: float(v) for k, v in tot.items()},
        "dimensions": {d: {k: float(v[j]) for k, v in dims.items()} for j, d in enumerate(pop.dimension_ids)},
        "indicators": {i: {k: float(v[j]) for k, v in inds.items()} for j, i in enumerate(pop.indicator_ids)},
    }
