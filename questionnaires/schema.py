"""The shape of an instrument file, checked by pydantic.

An instrument is data: dimensions -> indicators -> questions, the scoring
method with its parameters, level definitions and a recommendation bank.
Cross-references (show_if targets, option ids, weights) are checked after the
shape, in `Instrument.check_references`, so that one run reports every error.
"""
from __future__ import annotations

from typing import Annotated, Any, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, model_validator

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
    def _one_operator(self) -> "Compare":
        ops = [k for k in OPERATORS if getattr(self, k) is not None]
        if len(ops) != 1:
            raise ValueError(f"a condition needs exactly one operator of {', '.join(OPERATOR_NAMES)}; got {ops or 'none'}")
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
    all: list["Condition"] = Field(min_length=1)


class AnyOf(Strict):
    any: list["Condition"] = Field(min_length=1)


class NotOf(Strict):
    not_: "Condition" = Field(alias="not")
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


Condition = Union[AllOf, AnyOf, NotOf, Compare]
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

QuestionType = Literal["single", "multi", "level", "number", "yesno", "text"]


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
    def _shape_per_type(self) -> "Question":
        t = self.type
        if t in ("single", "multi", "level"):
            if len(self.options) < 2:
                raise ValueError(f"a {t} question needs at least two options")
            ids = [o.id for o in self.options]
            dup = {i for i in ids if ids.count(i) > 1}
            if dup:
                raise ValueError(f"duplicate option id {', '.join(sorted(dup))}")
        elif self.options:
            raise ValueError(f"a {t} question takes no options")
        if t == "level" and any(o.level is None for o in self.options):
            raise ValueError("every option of a level question needs its `level`")
        if t == "number":
            if self.min is None or self.max is None or self.min >= self.max:
                raise ValueError("a number question needs min < max")
            uptos = [b.upto for b in self.bins]
            if uptos != sorted(uptos) or len(set(uptos)) != len(uptos):
                raise ValueError("bins must be in strictly rising order of `upto`")
            if self.bins and uptos[-1] < self.max:
                raise ValueError("the last bin must reach the question's max")
        elif self.bins:
            raise ValueError(f"a {t} question takes no bins")
        return self

    @property
    def max_points(self) -> float:
        if self.type == "multi":
            return sum(max(o.points, 0.0) for o in self.options)
        if self.type in ("single", "level"):
            return max(o.points for o in self.options)
        if self.type == "number":
            return max((b.points for b in self.bins), default=0.0)
        if self.type == "yesno":
            return max(self.points, 0.0)
        return 0.0

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


class Requirement(Strict):
    id: Id
    text: Text
    condition: Condition


class RuleLevel(Strict):
    level: int = Field(ge=1)
    requires: list[Requirement] = Field(min_length=1)


class RuleLevels(Strict):
    """Each level has named conditions on the answers; a level is reached when its
    conditions and every lower level's hold. Points, if any, only show breadth."""

    type: Literal["rule_levels"]
    rules: list[RuleLevel] = Field(min_length=1)


Method = Annotated[Union[WeightedPoints, LevelGated, RuleLevels], Field(discriminator="type")]


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
                                raise ValueError(f"dimensions.{di}.indicators.{ii}.questions.{qi}.choices: unknown choice list '{name}'")
                            chosen = lists[name]
                            # A list is its options, or {help, options}: the help then serves every question without its own.
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

    # -- cross-reference checks (each returns (path, reason) pairs) ----------------
    def check_references(self) -> list[tuple[str, str]]:
        errors: list[tuple[str, str]] = []
        seen: dict[str, str] = {}
        order: dict[str, int] = {}
        for di, dim in enumerate(self.dimensions):
            for ii, ind in enumerate(dim.indicators):
                for qi, q in enumerate(ind.questions):
                    path = f"dimensions.{di}.indicators.{ii}.questions.{qi}"
                    for kind, ident in (("question", q.id),):
                        if ident in seen:
                            errors.append((f"{path}.id", f"duplicate {kind} id '{ident}' (first at {seen[ident]})"))
                        seen.setdefault(ident, path)
                    order.setdefault(q.id, len(order))
        for kind, ids in (
            ("dimension", [d.id for d in self.dimensions]),
            ("indicator", [i.id for d in self.dimensions for i in d.indicators]),
            ("level", [str(lv.id) for lv in self.levels]),
        ):
            for ident in {i for i in ids if ids.count(i) > 1}:
                errors.append((f"{kind}s", f"duplicate {kind} id '{ident}'"))

        index = {q.id: q for q in self.questions}
        for di, dim in enumerate(self.dimensions):
            for ii, ind in enumerate(dim.indicators):
                for qi, q in enumerate(ind.questions):
                    if q.show_if is None:
                        continue
                    path = f"dimensions.{di}.indicators.{ii}.questions.{qi}.show_if"
                    for ref in condition_refs(q.show_if):
                        errors.extend((path, r) for r in _check_compare(ref, q, index, order))
        errors.extend(self._check_weights())
        errors.extend(self._check_method(index))
        for ri, rec in enumerate(self.recommendations):
            if self.indicator(rec.indicator) is None:
                errors.append((f"recommendations.{ri}.indicator", f"unknown indicator '{rec.indicator}'"))
            for req in rec.requires:
                if self.indicator(req) is None:
                    errors.append((f"recommendations.{ri}.requires", f"unknown indicator '{req}'"))
        level_ids = sorted(lv.id for lv in self.levels)
        if level_ids != list(range(level_ids[0], level_ids[0] + len(level_ids))):
            errors.append(("levels", "level ids must be consecutive"))
        return errors

    def _check_weights(self) -> list[tuple[str, str]]:
        errors = []
        gated = self.method.type == "level_gated"
        for di, dim in enumerate(self.dimensions):
            if gated:
                missing = [i.id for i in dim.indicators if i.weight is None]
                if missing:
                    errors.append((f"dimensions.{di}.indicators", f"indicators {', '.join(missing)} need a weight"))
                got, what = sum(i.weight or 0 for i in dim.indicators), "indicator weights"
            else:
                got, what = sum(q.max_points for q in dim.questions), "questions"
            if abs(got - dim.weight) > 1e-6:
                errors.append((f"dimensions.{di}.weight", f"dimension '{dim.id}' has weight {dim.weight:g} but its {what} add up to {got:g}"))
        total = sum(d.weight for d in self.dimensions)
        expected = {"weighted_points": getattr(self.method, "total", None), "level_gated": 1.0}.get(self.method.type)
        if expected is not None and abs(total - expected) > 1e-6:
            errors.append(("dimensions", f"dimension weights add up to {total:g}, not {expected:g}"))
        return errors

    def _check_method(self, index: dict[str, Question]) -> list[tuple[str, str]]:
        if self.method.type == "level_gated":
            return self._check_level_gated()
        if self.method.type == "rule_levels":
            return self._check_rule_levels(index)
        m = self.method
        errors = []
        level_ids = {lv.id for lv in self.levels}
        for li, rule in enumerate(m.levels):
            if rule.level not in level_ids:
                errors.append((f"method.levels.{li}.level", f"level {rule.level} is not defined under levels"))
            if rule.min_score > m.total:
                errors.append((f"method.levels.{li}.min_score", f"{rule.min_score:g} is above the total {m.total:g}"))
        mins = [r.min_score for r in m.levels]
        if mins != sorted(mins):
            errors.append(("method.levels", "level thresholds must rise with the level"))
        if m.scenario_dimension is not None:
            dim = next((d for d in self.dimensions if d.id == m.scenario_dimension), None)
            if dim is None:
                errors.append(("method.scenario_dimension", f"unknown dimension '{m.scenario_dimension}'"))
            else:
                scen = {q.id for q in dim.questions if q.type == "level"}
                for cid in m.constrained_scenarios:
                    if cid not in scen:
                        errors.append(("method.constrained_scenarios", f"'{cid}' is not a level question of dimension '{dim.id}'"))
        elif any(r.scenarios for r in m.levels):
            errors.append(("method.scenario_dimension", "level rules count scenarios but no scenario_dimension is named"))
        return errors

    def _check_level_gated(self) -> list[tuple[str, str]]:
        m = self.method
        errors = []
        level_ids = {lv.id for lv in self.levels}
        for lv in m.levels:
            if lv not in level_ids:
                errors.append(("method.levels", f"level {lv} is not defined under levels"))
        for di, dim in enumerate(self.dimensions):
            for ii, ind in enumerate(dim.indicators):
                for qi, q in enumerate(ind.questions):
                    path = f"dimensions.{di}.indicators.{ii}.questions.{qi}"
                    if q.type == "text":
                        continue
                    if q.level not in m.levels:
                        errors.append((f"{path}.level", f"requirement '{q.id}' needs a level among {m.levels}"))
                    if q.type != "single" or any(not 0 <= o.points <= 1 for o in q.options):
                        errors.append((path, f"requirement '{q.id}' must be a single choice whose option points are satisfaction degrees from 0 to 1"))
        covered = {q.level for q in self.questions if q.type != "text"}
        for lv in m.levels:
            if lv not in covered:
                errors.append(("method.levels", f"level {lv} has no requirement"))
        return errors

    def _check_rule_levels(self, index: dict[str, Question]) -> list[tuple[str, str]]:
        errors = []
        level_ids = {lv.id for lv in self.levels}
        order = {q.id: i for i, q in enumerate(self.questions)}
        seen: set[str] = set()
        for ri, rule in enumerate(self.method.rules):
            if rule.level not in level_ids:
                errors.append((f"method.rules.{ri}.level", f"level {rule.level} is not defined under levels"))
            for qi, req in enumerate(rule.requires):
                path = f"method.rules.{ri}.requires.{qi}"
                if req.id in seen:
                    errors.append((f"{path}.id", f"duplicate requirement id '{req.id}'"))
                seen.add(req.id)
                for ref in condition_refs(req.condition):
                    # Rules may refer to any question: pass an owner placed after all of them.
                    errors.extend((path, r) for r in _check_compare(ref, _LAST, index, {**order, _LAST.id: len(order)}))
        levels = [r.level for r in self.method.rules]
        if levels != sorted(set(levels)):
            errors.append(("method.rules", "rules must be in rising order of level, one per level"))
        return errors


_LAST = Question.model_construct(id="~end", type="text")


def _check_compare(ref: Compare, owner: Question, index: dict[str, Question], order: dict[str, int]) -> list[str]:
    target = index.get(ref.question)
    if target is None:
        return [f"show_if refers to unknown question '{ref.question}'"]
    if order[ref.question] >= order[owner.id]:
        return [f"show_if refers to '{ref.question}', which does not come before '{owner.id}'"]
    op, val = ref.operator, ref.operand
    if target.type == "text" and op != "answered":
        return [f"free-text question '{target.id}' can only be tested with 'answered'"]
    option_ids = {o.id for o in target.options}
    if op in ("equals", "not_equals", "in_", "includes") and target.type in ("single", "multi", "level"):
        values = val if isinstance(val, list) else [val]
        bad = [v for v in values if str(v) not in option_ids]
        if bad:
            return [f"show_if uses option '{bad[0]}', which question '{target.id}' does not have"]
        if op == "includes" and target.type != "multi":
            return [f"'includes' needs a multiple-choice question; '{target.id}' is {target.type}"]
        if op != "includes" and target.type == "multi":
            return [f"use 'includes' for multiple-choice question '{target.id}'"]
    elif op == "count_gte" and target.type != "multi":
        return [f"'count_gte' needs a multiple-choice question; '{target.id}' is {target.type}"]
    elif op in ("gt", "gte", "lt", "lte") and target.type != "number":
        return [f"'{op}' needs a number question; '{target.id}' is {target.type}"]
    elif op in ("equals", "not_equals") and target.type == "yesno" and not isinstance(val, bool):
        return [f"yes/no question '{target.id}' compares with true or false"]
    elif op in ("in_", "includes") and target.type not in ("single", "multi", "level"):
        return [f"'{op.rstrip('_')}' needs a choice question; '{target.id}' is {target.type}"]
    return []
