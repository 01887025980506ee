"""How far a result is from the next level, as one number for ranking firms.

Each unmet condition of the next level adds its relative shortfall: a score
condition (need - have) / need, a count condition likewise, and a named
requirement 1. So 0.05 means "one condition, 5% short", and a firm missing
three star requirements (3.0) ranks behind one a few points short of a total.
"""
from __future__ import annotations


def next_gap(blockers: dict | None) -> float | None:
    """The summed relative shortfall to the next level; None when at the top."""
    if not blockers:
        return None
    gap = 0.0
    for c in blockers.get("conditions", []):
        if "need" in c and c["need"]:
            gap += max(0.0, (float(c["need"]) - float(c["have"])) / float(c["need"]))
        else:
            gap += 1.0
    return round(gap, 4)


def period_of(when) -> str:
    """The calendar quarter of a date, as zones report it: 2026Q3."""
    return f"{when.year}Q{(when.month - 1) // 3 + 1}"


def previous_period(period: str) -> str:
    year, q = int(period[:4]), int(period[5])
    return f"{year - 1}Q4" if q == 1 else f"{year}Q{q - 1}"
