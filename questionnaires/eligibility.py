"""Programme eligibility as data: each rule file (questionnaires/eligibility/*.yaml) names a programme, the
document and year its gate comes from, a source link, the conditions this tool can check on a firm's latest
results (an instrument's level at or above a value) and the conditions it cannot check (listed, never assumed).
Evaluation says, for each condition, whether it is met and, for the first unmet one, what blocks: the
condition named with the firm's current level. Pure: no Flask, no database."""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml
from pydantic import Field

from . import get
from .shapes import Id, Strict, Text

RULE_DIR = Path(__file__).parent / "eligibility"


class LevelCondition(Strict):
    instrument: Id
    min_level: int = Field(ge=0, le=10)


class Rule(Strict):
    id: Id
    programme: Text
    document: Text
    year: int = Field(ge=2000, le=2100)
    source: str = Field(pattern=r"^https?://")
    conditions: list[LevelCondition] = Field(min_length=1)
    not_checked: list[Text] = []      # conditions of the programme this tool cannot check
    note: Text | None = None


@lru_cache(maxsize=4)
def rules(directory: str = str(RULE_DIR)) -> tuple[Rule, ...]:
    out = []
    for path in sorted(Path(directory).glob("*.yaml")):
        rule = Rule.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
        if path.stem != rule.id:
            raise ValueError(f"{path}: the file name must be the rule id '{rule.id}'")
        for c in rule.conditions:
            inst = get(c.instrument)
            if c.min_level not in {lv.id for lv in inst.levels}:
                raise ValueError(f"{path}: {c.instrument} has no level {c.min_level}")
        out.append(rule)
    return tuple(out)


def rule(rule_id: str) -> Rule | None:
    return next((r for r in rules() if r.id == rule_id), None)


@dataclass(frozen=True)
class Check:
    instrument: str
    min_level: int
    level: int | None      # the firm's latest level on the instrument; None: not assessed on it
    met: bool


@dataclass(frozen=True)
class Verdict:
    rule: Rule
    checks: tuple[Check, ...]

    @property
    def eligible(self) -> bool:
        return all(c.met for c in self.checks)

    @property
    def blocking(self) -> Check | None:
        return next((c for c in self.checks if not c.met), None)


def evaluate(r: Rule, levels: dict[str, int | None]) -> Verdict:
    """`levels`: the firm's latest level per instrument id (missing or None: no result on it)."""
    checks = []
    for c in r.conditions:
        level = levels.get(c.instrument)
        checks.append(Check(c.instrument, c.min_level, level, level is not None and level >= c.min_level))
    return Verdict(r, tuple(checks))


def level_name(instrument_id: str, level: int | None, lang: str) -> str:
    if level is None:
        return ""
    inst = get(instrument_id)
    found = next((lv for lv in inst.levels if lv.id == level), None)
    return found.name.get(lang) if found else str(level)
