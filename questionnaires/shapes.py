"""The data shapes of an instrument file, checked by pydantic.

An instrument is data: dimensions -> indicators -> questions, the scoring
method with its parameters, level definitions and a recommendation bank.
Cross-references (show_if targets, option ids, weights) are checked after the
shape, in `crosschecks.py`, so that one run reports every error.
"""
from __future__ import annotations

from typing import Annotated, Any, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, model_validator

from . import types

Id = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_\-]*$", max_length=64)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Text(Strict):
    """A text in both interface languages; Chinese is required, English optional."""

    zh: str = Field(min_length=1)
    en: str = ""

    def get(self, lang: str) -> str:
        return (self.en if lang == "en" else self.zh) or self.zh


# --- show_if: structured conditions, never eval --------------------------------


class Compare(Strict):
    question: Id
    equals: str | float | bool | None = None
    not_equals: str | float | bool | None = None
    in_: list[str] | None = Field(default=None, alias="in")
    includes: str | None = None
    gt: float | None = None
    gte: float | None = None
    lt: float | None = None
    lte: float | None = None
    count_gte: int | None = Field(default=None, ge=0)
    answered: bool | None = None

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    @model_validator(mode="after")
    def _one_operator(self) -> Compare:
        ops = [k for k in OPERATORS if getattr(self, k) is not None]
        if len(ops) != 1:
            names = ", ".join(OPERATOR_NAMES)
            raise ValueError(f"a condition needs exactly one operator of {names}; got {ops or 'none'}")
        return self

    @property
    def operator(self) -> str:
        return next(k for k in OPERATORS if getattr(self, k) is not None)

    @property
    def operand(self) -> Any:
        return getattr(self, self.operator)


OPERATORS = ("equals", "not_equals", "in_", "includes", "gt", "gte", "lt", "lte", "count_gte", "answered")
OPERATOR_NAMES = [o.rstrip("_") for o in OPERATORS]


class AllOf(Strict):
    all: list[Condition] = Field(min_length=1)


class AnyOf(Strict):
    any: list[Condition] = Field(min_length=1)


class NotOf(Strict):
    not_: Condition = Field(alias="not")
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


Condition = Union[AllOf, AnyOf, NotOf, Compare]  # noqa: UP007 (a runtime alias pydantic resolves)
AllOf.model_rebuild()
AnyOf.model_rebuild()
NotOf.model_rebuild()


def condition_refs(cond: Condition):
    """Yield every Compare inside a condition."""
    if isinstance(cond, Compare):
        yield cond
    elif isinstance(cond, AllOf):
        for c in cond.all:
            yield from condition_refs(c)
    elif isinstance(cond, AnyOf):
        for c in cond.any:
            yield from condition_refs(c)
    else:
        yield from condition_refs(cond.not_)


# --- questions --------------------------------------------------------------------

# The names of the question types in `types/`; everything per type lives there.
QuestionType = Literal[types.TYPE_NAMES]


class Option(Strict):
    id: Id
    text: Text
    points: float = 0.0
    # For level-descriptor questions: the maturity level this option stands for.
    level: int | None = None


class Bin(Strict):
    """Numbers up to and including `upto` (and above the previous bin) score `points`."""

    upto: float
    points: float


class Question(Strict):
    id: Id
    type: QuestionType
    text: Text
    # A short name for tables and reports, e.g. the scenario a level question rates.
    short: Text | None = None
    help: Text
    example: Text
    required: bool = True
    options: list[Option] = []
    unit: str | None = None
    integer: bool = False  # counts: whole numbers only
    min: float | None = None
    max: float | None = None
    bins: list[Bin] = []
    max_length: int = Field(default=2000, ge=1, le=20000)
    # yes/no questions score `points` for yes.
    points: float = 0.0
    # For level-gated instruments: the maturity level this requirement belongs to.
    level: int | None = None
    show_if: Condition | None = None

    @model_validator(mode="after")
    def _shape_per_type(self) -> Question:
        problem = types.of(self).shape_error(self)
        if problem:
            raise ValueError(problem)
        return self

    @property
    def max_points(self) -> float:
        return types.of(self).max_points(self)

    def label(self, lang: str) -> str:
        return (self.short or self.text).get(lang)

    def option(self, option_id: str) -> Option | None:
        return next((o for o in self.options if o.id == option_id), None)


class Indicator(Strict):
    id: Id
    title: Text
    # Weight of the indicator inside a level-gated instrument (a capability subdomain).
    weight: float | None = Field(default=None, ge=0)
    questions: list[Question] = Field(min_length=1)


class Dimension(Strict):
    id: Id
    title: Text
    description: Text | None = None
    # Weighted points: the points the dimension is worth (its questions' maxima add up to it).
    # Level-gated: the sum of its indicators' weights. Rule levels: its questions' maxima.
    weight: float = Field(ge=0)
    indicators: list[Indicator] = Field(min_length=1)

    @property
    def questions(self) -> list[Question]:
        return [q for ind in self.indicators for q in ind.questions]


class Level(Strict):
    id: int = Field(ge=0)
    name: Text
    description: Text


# --- scoring methods -------------------------------------------------------------


class ScenarioRule(Strict):
    """At least `count` scenarios at this level or above, `constrained` of them from the constrained list."""

    count: int = Field(ge=0)
    constrained: int = Field(default=0, ge=0)


class LevelRule(Strict):
    level: int = Field(ge=1)
    min_score: float = Field(ge=0)
    scenarios: ScenarioRule | None = None


class WeightedPoints(Strict):
    """Points per answer, summed; a level needs a minimum total and, optionally,
    a number of scenario questions (level-descriptor choices) at that level."""

    type: Literal["weighted_points"]
    total: float = Field(gt=0)
    levels: list[LevelRule] = Field(min_length=1)
    scenario_dimension: Id | None = None
    constrained_scenarios: list[Id] = []


class LevelGated(Strict):
    """GB/T 39117 style: each requirement belongs to a level and is answered with a
    degree of satisfaction (its option points, 0-1). A level's score is the weighted
    mean over subdomains of their requirements' satisfaction at that level; a level
    is reached when its score and every lower level's reach `threshold`. The
    maturity score is the number of levels reached plus the score of the next one."""

    type: Literal["level_gated"]
    threshold: float = Field(default=0.8, gt=0, le=1)
    levels: list[int] = Field(min_length=1)
    # Requirements this many levels or more above the first level a firm clearly misses (even
    # its unanswered requirements fully met would not reach the threshold) are skipped: under
    # this rule they cannot change the level or S.
    skip_above_missed: int | None = Field(default=None, ge=1)


class Requirement(Strict):
    id: Id
    text: Text
    condition: Condition
    # False: the requirement gates its own level only, not the levels above it (the 2021/22
    # Jiangsu guides ask a public cloud for three stars but let four and five stars use any cloud).
    inherited: bool = True


class RuleLevel(Strict):
    level: int = Field(ge=1)
    requires: list[Requirement] = Field(min_length=1)


class RuleLevels(Strict):
    """Each level has named conditions on the answers; a level is reached when its
    conditions and every lower level's hold. Points, if any, only show breadth."""

    type: Literal["rule_levels"]
    rules: list[RuleLevel] = Field(min_length=1)


Method = Annotated[WeightedPoints | LevelGated | RuleLevels, Field(discriminator="type")]


# --- the published rules an instrument follows ------------------------------------


class RuleChoice(Strict):
    """A point where sources disagree: what this version follows, and the alternative."""

    parameter: str = Field(min_length=1, max_length=100)
    chosen: Text
    alternative: Text


class RuleSet(Strict):
    """The document (and year) whose rules the instrument follows, shown with every result."""

    document: Text
    year: int = Field(ge=1990, le=2100)
    # One honest sentence: which parts are the published rule and which are this tool's reading.
    note: Text | None = None
    choices: list[RuleChoice] = []
    # What no primary text could confirm: kept as parameters, said to the reader.
    unverified: list[Text] = []


# --- recommendations ---------------------------------------------------------------


class Recommendation(Strict):
    indicator: Id
    # The recommendation applies to firms whose indicator stands below this share (0-1) of its maximum.
    below: float = Field(gt=0, le=1)
    action: Text
    why: Text
    effort: Literal["low", "medium", "high"]
    months: Literal["0-6", "6-18", "18-36"]
    requires: list[Id] = []


class Instrument(Strict):
    """An instrument file. `choices` holds named option lists (as in XLSForm) that a
    question uses with `choices: name`; they are expanded into its options on load."""

    id: Id
    version: str = Field(min_length=1, max_length=32)
    title: Text
    description: Text
    source: Text
    rule_set: RuleSet | None = None
    method: Method
    levels: list[Level] = Field(min_length=2)
    dimensions: list[Dimension] = Field(min_length=1)
    recommendations: list[Recommendation] = []

    @model_validator(mode="before")
    @classmethod
    def _expand_choices(cls, data: Any) -> Any:
        if not isinstance(data, dict) or "choices" not in data:
            return data
        lists = data.get("choices") or {}
        data = {k: v for k, v in data.items() if k != "choices"}
        dims = []
        for di, dim in enumerate(data.get("dimensions") or []):
            if not isinstance(dim, dict):
                dims.append(dim)
                continue
            inds = []
            for ii, ind in enumerate(dim.get("indicators") or []):
                if isinstance(ind, dict):
                    qs = []
                    for qi, q in enumerate(ind.get("questions") or []):
                        if isinstance(q, dict) and "choices" in q:
                            name = q["choices"]
                            if name not in lists:
                                where = f"dimensions.{di}.indicators.{ii}.questions.{qi}.choices"
                                raise ValueError(f"{where}: unknown choice list '{name}'")
                            chosen = lists[name]
                            # A list is its options, or {help, options}: the help then serves
                            # every question without its own.
                            options = chosen.get("options") if isinstance(chosen, dict) else chosen
                            q = {**{k: v for k, v in q.items() if k != "choices"}, "options": options}
                            if isinstance(chosen, dict) and "help" in chosen:
                                q.setdefault("help", chosen["help"])
                        qs.append(q)
                    ind = {**ind, "questions": qs}
                inds.append(ind)
            dims.append({**dim, "indicators": inds})
        data["dimensions"] = dims
        return data

    # -- look-ups -----------------------------------------------------------------
    @property
    def questions(self) -> list[Question]:
        return [q for d in self.dimensions for q in d.questions]

    def question(self, qid: str) -> Question | None:
        return self._index().get(qid)

    def _index(self) -> dict[str, Question]:
        idx = self.__dict__.get("_qindex")
        if idx is None:
            idx = {q.id: q for q in self.questions}
            self.__dict__["_qindex"] = idx
        return idx

    def level(self, level_id: int) -> Level:
        return next(lv for lv in self.levels if lv.id == level_id)

    def indicator(self, ind_id: str) -> Indicator | None:
        return next((i for d in self.dimensions for i in d.indicators if i.id == ind_id), None)

    def check_references(self) -> list[tuple[str, str]]:
        """Every cross-reference problem, as (path, reason) pairs (see crosschecks.py)."""
        from .crosschecks import check_references
        return check_references(self)


__all__ = [
    "OPERATORS", "OPERATOR_NAMES", "AllOf", "AnyOf", "Bin", "Compare", "Condition", "Dimension", "Id", "Indicator",
    "Instrument", "Level", "LevelGated", "LevelRule", "Method", "NotOf", "Option", "Question", "QuestionType",
    "Recommendation", "Requirement", "RuleChoice", "RuleLevel", "RuleLevels", "RuleSet", "ScenarioRule", "Strict",
    "Text", "WeightedPoints",
    "condition_refs",
]
