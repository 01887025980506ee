"""Conditions in words, for printed forms: 'answer if question 9 is not "None"'."""
from __future__ import annotations

from . import types
from .shapes import AllOf, AnyOf, Compare, Condition, Instrument, NotOf

WORDS = {
    "zh": {"and": "且", "or": "或", "not": "并非", "q": "第{n}题", "answered": "{q}已作答", "unanswered": "{q}未作答",
           "equals": "{q}选择“{v}”", "not_equals": "{q}不是“{v}”", "in": "{q}选择{v}之一", "includes": "{q}选中“{v}”",
           "count_gte": "{q}至少选{v}项", "gt": "{q}大于{v}", "gte": "{q}不小于{v}", "lt": "{q}小于{v}",
           "lte": "{q}不大于{v}",
           "yes": "是", "no": "否", "sep": "、", "if": "（仅当{c}时回答）", "optional": "（选答）"},
    "en": {"and": " and ", "or": " or ", "not": "not ", "q": "question {n}", "answered": "{q} is answered",
           "unanswered": "{q} is unanswered", "equals": "{q} is \u201c{v}\u201d",
           "not_equals": "{q} is not \u201c{v}\u201d",
           "in": "{q} is one of {v}", "includes": "{q} includes \u201c{v}\u201d",
           "count_gte": "{q} has at least {v} ticked",
           "gt": "{q} is above {v}", "gte": "{q} is at least {v}", "lt": "{q} is below {v}",
           "lte": "{q} is at most {v}",
           "yes": "yes", "no": "no", "sep": ", ", "if": " (answer only if {c})", "optional": " (optional)"},
}


def describe(cond: Condition, inst: Instrument, numbers: dict[str, int], lang: str = "zh") -> str:
    w = WORDS["en" if lang == "en" else "zh"]
    if isinstance(cond, AllOf):
        return w["and"].join(describe(c, inst, numbers, lang) for c in cond.all)
    if isinstance(cond, AnyOf):
        return w["or"].join(describe(c, inst, numbers, lang) for c in cond.any)
    if isinstance(cond, NotOf):
        return w["not"] + describe(cond.not_, inst, numbers, lang)
    return _compare(cond, inst, numbers, w, lang)


def _compare(c: Compare, inst: Instrument, numbers: dict[str, int], w: dict, lang: str) -> str:
    q = inst.question(c.question)
    name = w["q"].format(n=numbers[q.id])
    op, val = c.operator, c.operand
    if op == "answered":
        return w["answered" if val else "unanswered"].format(q=name)

    def label(v):
        if isinstance(v, bool):
            return w["yes" if v else "no"]
        opt = q.option(str(v)) if q.options else None
        return opt.text.get(lang) if opt else f"{v:g}" if isinstance(v, float) else str(v)

    if op == "in_":
        return w["in"].format(q=name, v=w["sep"].join(f"\u201c{label(v)}\u201d" for v in val))
    return w[op].format(q=name, v=label(val))


def paper_form(inst: Instrument, lang: str = "zh") -> str:
    """The instrument as a form to print and fill in by hand."""
    w = WORDS["en" if lang == "en" else "zh"]
    numbers = {q.id: i for i, q in enumerate(inst.questions, start=1)}
    lines = [f"{inst.title.get(lang)}  ({inst.id} {inst.version})", inst.description.get(lang), ""]
    for d in inst.dimensions:
        lines.append(f"== {d.title.get(lang)} ==")
        for ind in d.indicators:
            lines.append(f"-- {ind.title.get(lang)}")
            for q in ind.questions:
                cond = w["if"].format(c=describe(q.show_if, inst, numbers, lang)) if q.show_if else ""
                lines.append(f"{numbers[q.id]}. {q.text.get(lang)}{'' if q.required else w['optional']}{cond}")
                lines.append(f"   {q.help.get(lang)}")
                lines.extend(types.of(q).paper_lines(q, lang, w))
        lines.append("")
    return "\n".join(lines)
