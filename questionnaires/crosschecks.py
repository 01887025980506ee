"""Cross-reference checks of an instrument whose shape is valid.

Each check returns (path, reason) pairs: duplicate ids, show_if targets and
operators, weights adding up, and each scoring method's references to the
questions and levels. The loader runs them after the shape, so one run reports
every error.
"""
from __future__ import annotations

from . import types
from .shapes import Compare, Instrument, Question, condition_refs


def check_references(inst: Instrument) -> list[tuple[str, str]]:
    errors: list[tuple[str, str]] = []
    seen: dict[str, str] = {}
    order: dict[str, int] = {}
    for di, dim in enumerate(inst.dimensions):
        for ii, ind in enumerate(dim.indicators):
            for qi, q in enumerate(ind.questions):
                path = f"dimensions.{di}.indicators.{ii}.questions.{qi}"
                if q.id in seen:
                    errors.append((f"{path}.id", f"duplicate question id '{q.id}' (first at {seen[q.id]})"))
                seen.setdefault(q.id, path)
                order.setdefault(q.id, len(order))
    for kind, ids in (
        ("dimension", [d.id for d in inst.dimensions]),
        ("indicator", [i.id for d in inst.dimensions for i in d.indicators]),
        ("level", [str(lv.id) for lv in inst.levels]),
    ):
        for ident in {i for i in ids if ids.count(i) > 1}:
            errors.append((f"{kind}s", f"duplicate {kind} id '{ident}'"))

    index = {q.id: q for q in inst.questions}
    for di, dim in enumerate(inst.dimensions):
        for ii, ind in enumerate(dim.indicators):
            for qi, q in enumerate(ind.questions):
                if q.show_if is None:
                    continue
                path = f"dimensions.{di}.indicators.{ii}.questions.{qi}.show_if"
                for ref in condition_refs(q.show_if):
                    errors.extend((path, r) for r in _check_compare(ref, q, index, order))
    errors.extend(_check_weights(inst))
    errors.extend(METHOD_CHECKS[inst.method.type](inst, index))
    for ri, rec in enumerate(inst.recommendations):
        if inst.indicator(rec.indicator) is None:
            errors.append((f"recommendations.{ri}.indicator", f"unknown indicator '{rec.indicator}'"))
        for req in rec.requires:
            if inst.indicator(req) is None:
                errors.append((f"recommendations.{ri}.requires", f"unknown indicator '{req}'"))
    level_ids = sorted(lv.id for lv in inst.levels)
    if level_ids != list(range(level_ids[0], level_ids[0] + len(level_ids))):
        errors.append(("levels", "level ids must be consecutive"))
    return errors


def _check_weights(inst: Instrument) -> list[tuple[str, str]]:
    errors = []
    gated = inst.method.type == "level_gated"
    for di, dim in enumerate(inst.dimensions):
        if gated:
            missing = [i.id for i in dim.indicators if i.weight is None]
            if missing:
                errors.append((f"dimensions.{di}.indicators", f"indicators {', '.join(missing)} need a weight"))
            got, what = sum(i.weight or 0 for i in dim.indicators), "indicator weights"
        else:
            got, what = sum(q.max_points for q in dim.questions), "questions"
        if abs(got - dim.weight) > 1e-6:
            errors.append((f"dimensions.{di}.weight",
                           f"dimension '{dim.id}' has weight {dim.weight:g} but its {what} add up to {got:g}"))
    total = sum(d.weight for d in inst.dimensions)
    expected = {"weighted_points": getattr(inst.method, "total", None), "level_gated": 1.0}.get(inst.method.type)
    if expected is not None and abs(total - expected) > 1e-6:
        errors.append(("dimensions", f"dimension weights add up to {total:g}, not {expected:g}"))
    return errors


def _check_weighted_points(inst: Instrument, index: dict[str, Question]) -> list[tuple[str, str]]:
    m = inst.method
    errors = []
    level_ids = {lv.id for lv in inst.levels}
    for li, rule in enumerate(m.levels):
        if rule.level not in level_ids:
            errors.append((f"method.levels.{li}.level", f"level {rule.level} is not defined under levels"))
        if rule.min_score > m.total:
            errors.append((f"method.levels.{li}.min_score", f"{rule.min_score:g} is above the total {m.total:g}"))
    mins = [r.min_score for r in m.levels]
    if mins != sorted(mins):
        errors.append(("method.levels", "level thresholds must rise with the level"))
    if m.scenario_dimension is not None:
        dim = next((d for d in inst.dimensions if d.id == m.scenario_dimension), None)
        if dim is None:
            errors.append(("method.scenario_dimension", f"unknown dimension '{m.scenario_dimension}'"))
        else:
            scen = {q.id for q in dim.questions if q.type == "level"}
            for cid in m.constrained_scenarios:
                if cid not in scen:
                    errors.append(("method.constrained_scenarios",
                                   f"'{cid}' is not a level question of dimension '{dim.id}'"))
    elif any(r.scenarios for r in m.levels):
        errors.append(("method.scenario_dimension", "level rules count scenarios but no scenario_dimension is named"))
    return errors


def _check_level_gated(inst: Instrument, index: dict[str, Question]) -> list[tuple[str, str]]:
    m = inst.method
    errors = []
    level_ids = {lv.id for lv in inst.levels}
    for lv in m.levels:
        if lv not in level_ids:
            errors.append(("method.levels", f"level {lv} is not defined under levels"))
    for di, dim in enumerate(inst.dimensions):
        for ii, ind in enumerate(dim.indicators):
            for qi, q in enumerate(ind.questions):
                path = f"dimensions.{di}.indicators.{ii}.questions.{qi}"
                if q.type == "text":
                    continue
                if q.level not in m.levels:
                    errors.append((f"{path}.level", f"requirement '{q.id}' needs a level among {m.levels}"))
                if q.type != "single" or any(not 0 <= o.points <= 1 for o in q.options):
                    errors.append((path, f"requirement '{q.id}' must be a single choice whose option points are "
                                         "satisfaction degrees from 0 to 1"))
    covered = {q.level for q in inst.questions if q.type != "text"}
    for lv in m.levels:
        if lv not in covered:
            errors.append(("method.levels", f"level {lv} has no requirement"))
    return errors


def _check_rule_levels(inst: Instrument, index: dict[str, Question]) -> list[tuple[str, str]]:
    errors = []
    level_ids = {lv.id for lv in inst.levels}
    order = {q.id: i for i, q in enumerate(inst.questions)}
    seen: set[str] = set()
    for ri, rule in enumerate(inst.method.rules):
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
    levels = [r.level for r in inst.method.rules]
    if levels != sorted(set(levels)):
        errors.append(("method.rules", "rules must be in rising order of level, one per level"))
    return errors


# One check per scoring method, as the scoring engine has one module per method.
METHOD_CHECKS = {
    "weighted_points": _check_weighted_points,
    "level_gated": _check_level_gated,
    "rule_levels": _check_rule_levels,
}

_LAST = Question.model_construct(id="~end", type="text")


def _check_compare(ref: Compare, owner: Question, index: dict[str, Question], order: dict[str, int]) -> list[str]:
    target = index.get(ref.question)
    if target is None:
        return [f"show_if refers to unknown question '{ref.question}'"]
    if order[ref.question] >= order[owner.id]:
        return [f"show_if refers to '{ref.question}', which does not come before '{owner.id}'"]
    op, val = ref.operator, ref.operand
    choice = types.of(target).has_options
    if target.type == "text" and op != "answered":
        return [f"free-text question '{target.id}' can only be tested with 'answered'"]
    option_ids = {o.id for o in target.options}
    if op in ("equals", "not_equals", "in_", "includes") and choice:
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
    elif op in ("in_", "includes") and not choice:
        return [f"'{op.rstrip('_')}' needs a choice question; '{target.id}' is {target.type}"]
    # Whatever passed the specific checks must still be an operator the type evaluates.
    if op not in types.of(target).operators:
        return [f"'{op.rstrip('_')}' cannot test question '{target.id}' ({target.type})"]
    return []
