"""The scoring methods, by the name an instrument's `method.type` gives.

Each method module provides the same functions, so adding a method or a
per-method function is one module and one entry here:
  evaluate(inst, enc, shown, qpoints, qlevels) -> Outcome   levels for n firms
  explain(inst, outcome, i) -> dict | None                   what blocks firm i's next level
  gaps_to_next_level(inst, result, blockers) -> dict         percentage points per indicator
  indicator_weights(inst) -> dict                            each indicator's share, for ranking
  next_level_path(inst, result) -> dict | None               the fewest answer changes that reach the next level
"""
from __future__ import annotations

from types import ModuleType

from . import level_gated, rule_levels, weighted_points

METHODS: dict[str, ModuleType] = {
    "weighted_points": weighted_points,
    "level_gated": level_gated,
    "rule_levels": rule_levels,
}


def method_of(inst) -> ModuleType:
    """The module that scores `inst`."""
    return METHODS[inst.method.type]
