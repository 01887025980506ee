"""Turn an instrument, a stored result and a company profile into what a report shows.

Pure data in, plain dicts and SVG strings out: the web result page, the PDF
and the CLI all read the same context.
"""
from __future__ import annotations

import math
import re
from datetime import date, datetime
from typing import Any

import questionnaires
from questionnaires import Instrument, types
from questionnaires.references import position, references
from scoring.recommend import gaps, recommend

from . import charts, explain
from .i18n import gettext_for


def N_(message: str) -> str:
    """Mark a message for extraction; it is translated where it is shown."""
    return message


SIZE_NAMES = {"large": N_("大型"), "medium": N_("中型"), "small": N_("小型"), "micro": N_("微型")}
GROUP_NAMES = {"industry_size_zone": N_("同行业、同规模、同园区的企业"), "industry_city": N_("同城市同行业企业"),
               "industry": N_("同行业企业"), "zone": N_("同园区企业"), "province": N_("同省企业"),
               "all": N_("全部参评企业")}
FIRM, PEER_MEAN, PEER_TOP = "#1f6feb", "#8c959f", "#1a7f37"


def firm_context(inst: Instrument, result: dict[str, Any], company: dict[str, Any], lang: str,
                 answers: dict[str, Any] | None = None, assessment_date: datetime | date | None = None,
                 consultant: str | None = None, comments: str | None = None, comments_final: bool = True,
                 report_no: str | None = None, previous: dict[str, Any] | None = None,
                 verification: dict[str, Any] | None = None) -> dict[str, Any]:
    """`previous` is the firm's previous assessment on the same instrument ({date, level, dimensions}),
    for the progress table; `report_no` the report's number; `verification` (from the app's review) both
    levels, corrections and the evidence annex, None hides it."""
    _ = gettext_for(lang)
    bench = result.get("benchmark")
    size_name = SIZE_NAMES.get(company.get("size_class") or "")
    gap_of = {g["indicator"]: g for g in gaps(inst, result, bench)}
    path = explain.path_context(inst, result, lang)
    needed = (path or {}).get("per_indicator", {})
    dims = [
        {
            "id": d.id,
            "title": d.title.get(lang),
            "description": d.description.get(lang) if d.description else "",
            "points": result["dimensions"][d.id]["points"],
            "max_points": result["dimensions"][d.id]["max_points"],
            "percent": result["dimensions"][d.id]["percent"],
            "peer_mean": _peer(bench, "dimensions", d.id, "mean"),
            "peer_p75": _peer(bench, "dimensions", d.id, "p75"),
            "indicators": [{"id": i.id, "title": i.title.get(lang), "percent": result["indicators"].get(i.id, 0.0),
                            "meter_svg": charts.meter(result["indicators"].get(i.id, 0.0)),
                            "peer_p75": gap_of[i.id]["peer_p75"], "needed": needed.get(i.id, 0)}
                           for i in d.indicators],
        }
        for d in inst.dimensions
    ]
    for d in dims:
        # Whole percents, as the table shows them: the sentence and the table compare the same numbers.
        d["above_mean"] = d["peer_mean"] is not None and round(d["percent"]) > round(d["peer_mean"])
    level = inst.level(result["level"])
    levels = sorted(inst.levels, key=lambda lv: lv.id)
    strengths, priorities = _strengths_and_priorities(inst, result, lang)
    recs = [{**r, "indicator": inst.indicator(r["indicator"]).title.get(lang),
             "action": r["action"][lang] or r["action"]["zh"], "why": r["why"][lang] or r["why"]["zh"],
             "percent": r["attainment"]} for r in recommend(inst, result, bench)]
    for n, r in enumerate(recs, start=1):
        r["n"] = n
    benchmark = _benchmark_summary(bench, lang)
    if benchmark:
        compared = [d for d in dims if d["peer_mean"] is not None]
        benchmark.update(above=sum(1 for d in compared if d["above_mean"]), compared=len(compared))
    verified = bool(comments_final and consultant and comments)
    return {
        "lang": lang,
        "company": {**company, "size": _(size_name) if size_name else ""},
        "instrument": {"id": inst.id, "title": inst.title.get(lang), "version": inst.version, "source": inst.source.get(lang),
                       "description": inst.description.get(lang)},
        "date": (assessment_date or date.today()).strftime("%Y-%m-%d"),
        "report_date": date.today().strftime("%Y-%m-%d"),
        "report_no": report_no,
        "total": result["total"],
        "max_total": _max_total(inst),
        "total_text": _total_text(inst, result["total"]),
        "max_total_text": f"{_max_total(inst):g}",
        "rule_set": rule_set_context(inst, lang),
        # Subdomains a consultant marked 不适用 (tailoring): out of the weights, named with the reason.
        "tailorable": inst.method.type == "level_gated",
        "not_applicable": _not_applicable_text(inst, result.get("not_applicable") or {}, lang),
        # Star ratings are their level; the other methods also have a headline score.
        "score_label": {"weighted_points": _("总分"), "level_gated": _("成熟度得分")}.get(inst.method.type),
        "score_text": explain.score_text(inst, result["total"], lang),
        "level_title": explain.level_title(inst, lang),
        "level": {"id": level.id, "name": level.name.get(lang), "description": level.description.get(lang)},
        "levels": [{"id": lv.id, "name": lv.name.get(lang), "description": lv.description.get(lang)} for lv in levels],
        "dimensions": dims,
        "radar_svg": charts.radar([d["title"] for d in dims], _radar_series(dims, bench, _)),
        "benchmark": benchmark,
        "references": _references(inst, result, answers or {}, lang),
        "ladder_svg": charts.level_ladder([lv.name.get(lang) for lv in levels], [lv.id for lv in levels].index(level.id)),
        "blockers": _blockers(inst, result.get("blockers"), lang),
        "path": path,
        "terms": explain.terms(inst, lang),
        "disclaimer": explain.disclaimer(consultant, verified, lang),
        "strengths": strengths,
        "priorities": priorities,
        "recommendations": recs,
        "impact_effort_svg": charts.impact_effort(
            [(r["n"], r["gain"], r["effort"]) for r in recs[:8]],
            {"low": _("投入较小"), "medium": _("投入中等"), "high": _("投入较大")}, _("预期提升"), _("投入")) if recs else None,
        "percentile_svg": _percentile_chart(inst, result, bench, dims, _),
        "progress": _progress(inst, result, previous, lang),
        "consultant": consultant,
        # Paragraphs of the consultant's own words (a blank line starts one, whatever the line endings);
        # escaped by the template like every user string.
        "comments": [p.strip() for p in re.split(r"\n\s*\n", (comments or "").replace("\r\n", "\n")) if p.strip()],
        "comments_final": comments_final,
        "verification": verification,
        "answers": _answer_rows(inst, answers, lang) if answers is not None else None,
    }


def _strengths_and_priorities(inst: Instrument, result: dict, lang: str) -> tuple[list[dict], list[dict]]:
    """The three weakest indicators and up to three strongest, disjoint by construction: a strength
    stands strictly above every priority (as whole percents), so a tie is never both."""
    indicators = [(i, d) for d in inst.dimensions for i in d.indicators]
    pct = {i.id: round(result["indicators"].get(i.id, 0.0)) for i, _ in indicators}
    ranked = sorted(indicators, key=lambda pair: pct[pair[0].id])
    priorities = ranked[:min(3, len(ranked) // 2 or 1)]
    bar = max((pct[i.id] for i, _ in priorities), default=-1)
    strengths = [pair for pair in reversed(ranked) if pct[pair[0].id] > bar][:3]

    def row(i, d):
        return {"id": i.id, "title": i.title.get(lang), "dimension": d.title.get(lang), "percent": pct[i.id]}
    return [row(*p) for p in strengths], [row(*p) for p in priorities]


def _progress(inst: Instrument, result: dict, previous: dict | None, lang: str) -> dict | None:
    """Dimension by dimension against the firm's previous assessment of the same instrument."""
    if not previous:
        return None
    before = previous.get("dimensions") or {}
    rows = []
    for d in inst.dimensions:
        now = result["dimensions"][d.id]["percent"]
        was = before.get(d.id, {}).get("percent")
        rows.append({"title": d.title.get(lang), "before": was, "now": now,
                     "delta": None if was is None else round(now) - round(was)})
    prev_level = next((lv for lv in inst.levels if lv.id == previous.get("level")), None)
    return {"date": previous.get("date"), "level_name": prev_level.name.get(lang) if prev_level else "",
            "level_delta": result["level"] - previous["level"] if previous.get("level") is not None else None,
            "rows": rows}


def _percentile_chart(inst: Instrument, result: dict, bench: dict | None, dims: list[dict], _) -> str | None:
    """The total and each dimension against the peer spread, on a 0-100 scale."""
    if not bench or "total" not in bench:
        return None
    scale = 100.0 / (_max_total(inst) or 1.0)
    t = bench["total"]
    rows = [{"label": _("总体"), "value": result["total"] * scale,
             **{k: t[k] * scale for k in ("p25", "p50", "p75", "p90") if t.get(k) is not None}}]
    for d in dims:
        stats = bench.get("dimensions", {}).get(d["id"], {})
        rows.append({"label": d["title"], "value": d["percent"], **{k: stats.get(k) for k in ("p25", "p50", "p75", "p90")}})
    return charts.percentile_bars(rows)


def _total_text(inst: Instrument, total: float) -> str:
    """The headline score as shown. The maturity score S is this tool's reading of GB/T 39117:
    one decimal, cut (not rounded) so a shown S never enters the band of a level not reached
    (S = 0.76 is below level 1 and shows 0.7, not 0.8)."""
    if inst.method.type == "level_gated":
        return f"{math.floor(total * 10 + 1e-9) / 10:.1f}"
    return f"{total:g}"


def _not_applicable_text(inst: Instrument, marked: dict[str, str], lang: str) -> str:
    """'Subdomain (reason); ...' in the reader's punctuation."""
    items = [(inst.indicator(k).title.get(lang), v) for k, v in marked.items() if inst.indicator(k)]
    if lang == "en":
        return "; ".join(f"{title} ({why})" for title, why in items)
    return "；".join(f"{title}（{why}）" for title, why in items)


def rule_set_context(inst: Instrument, lang: str) -> dict[str, Any]:
    """The rules a result was rated by: its instrument version's document and year, the
    choices where sources differ, what is unverified, and whether a newer version exists."""
    rs = inst.rule_set
    try:
        current = questionnaires.get(inst.id).version
    except KeyError:
        current = None
    return {
        "version": inst.version,
        "document": rs.document.get(lang) if rs else None,
        "year": rs.year if rs else None,
        "note": rs.note.get(lang) if rs and rs.note else None,
        "choices": [c.chosen.get(lang) for c in rs.choices] if rs else [],
        "unverified": [u.get(lang) for u in rs.unverified] if rs else [],
        "superseded_by": current if current and current != inst.version else None,
    }


def _max_total(inst: Instrument) -> float:
    m = inst.method
    if m.type == "weighted_points":
        return m.total
    if m.type == "level_gated":
        return float(len(m.levels))
    return float(max(r.level for r in m.rules))


def _blockers(inst: Instrument, blockers: dict | None, lang: str) -> dict | None:
    """Each unmet condition of the next level as a sentence, and what stands below it."""
    if not blockers:
        return None
    _ = gettext_for(lang)
    target = inst.level(blockers["level"]).name.get(lang)
    requirements = {r.id: r for rule in getattr(inst.method, "rules", []) for r in rule.requires}
    items = []
    for c in blockers["conditions"]:
        if c["kind"] == "score":
            items.append(_("总分需达到 %(need)s 分，目前 %(have)s 分，还差 %(gap)s 分。",
                           need=f"{c['need']:g}", have=f"{c['have']:g}", gap=f"{round(c['need'] - c['have'], 2):g}"))
        elif c["kind"] == "scenarios":
            items.append(_("达到%(level)s的业务场景需要 %(need)s 个，目前 %(have)s 个。",
                           level=target, need=c["need"], have=c["have"]))
        elif c["kind"] == "constrained_scenarios":
            items.append(_("其中约束性场景需要 %(need)s 个，目前 %(have)s 个。", need=c["need"], have=c["have"]))
        elif c["kind"] == "level_score":
            items.append(_("%(level)s要求的满足程度需达到 %(need)s，目前 %(have)s。",
                           level=target, need=f"{c['need']:g}", have=f"{c['have']:.2f}"))
        elif c["kind"] == "requirement":
            items.append(requirements[c["id"]].text.get(lang))
    below = [inst.question(q).label(lang) for q in blockers.get("questions_below", [])]
    below += [inst.indicator(i).title.get(lang) for i in blockers.get("indicators_below", [])]
    return {"level_name": target, "items": items, "below": below}


def _peer(bench: dict | None, section: str, key: str, stat: str) -> float | None:
    return (bench or {}).get(section, {}).get(key, {}).get(stat)


def _radar_series(dims: list[dict], bench: dict | None, _) -> list:
    series = []
    if bench:
        series.append((_("同类企业前25%"), [d["peer_p75"] or 0.0 for d in dims], PEER_TOP))
        series.append((_("同类企业平均"), [d["peer_mean"] or 0.0 for d in dims], PEER_MEAN))
    series.append((_("本企业"), [d["percent"] for d in dims], FIRM))
    return series


def _benchmark_summary(bench: dict | None, lang: str) -> dict | None:
    if not bench:
        return None
    _ = gettext_for(lang)
    group_name = GROUP_NAMES[bench["group"]]
    return {"group": _(group_name), "n": bench["n"], "percentile": bench["percentile"],
            "fallback": bench["group"] != "industry_size_zone", "min_size": bench.get("min_size", 30),
            "total": bench["total"]}


def _references(inst: Instrument, result: dict, answers: dict, lang: str) -> list[dict]:
    """Published figures beside the firm's own, each with source and year."""
    _ = gettext_for(lang)
    out = []
    for fig in references(inst.id):
        pos = position(fig, result["level"], answers)
        if pos is None:
            continue
        if pos["kind"] == "level_distribution":
            text = _("约 %(ahead)s%% 的企业等级低于贵企业，与贵企业同级的占 %(same)s%%。",
                     ahead=f"{pos['ahead_of'] - pos['share_at_level'] / 2:.0f}", same=f"{pos['share_at_level']:.0f}")
        elif pos["kind"] == "target_level":
            # A target names the firms it is for (e.g. 专精特新 pilots); the app does not know whether
            # this firm is one, so say where the firm stands against the level, not that it missed a target.
            target = next((lv.name.get(lang) for lv in inst.levels if lv.id == fig.level), str(fig.level))
            text = (_("目标等级为%(target)s；贵企业的等级已达到该水平（如贵企业属于目标所指的企业）。", target=target)
                    if pos["met"] else
                    _("目标等级为%(target)s；贵企业的等级尚低于该水平（如贵企业属于目标所指的企业）。", target=target))
        else:
            q = inst.question(fig.question)
            unit = (q.unit or "") if q else ""
            text = _("参考值 %(value)s，贵企业 %(firm)s。", value=f"{pos['value']:g}{unit}", firm=f"{pos['firm']:g}{unit}")
        out.append({"title": fig.title.get(lang), "source": fig.source.get(lang), "year": fig.year, "text": text})
    return out


def _answer_rows(inst: Instrument, answers: dict[str, Any], lang: str) -> list[dict]:
    return [{"dimension": d.title.get(lang), "question": q.text.get(lang), "answer": answer_text(inst, q.id, answers.get(q.id), lang)}
            for d in inst.dimensions for q in d.questions]


def answer_text(inst: Instrument, question_id: str, v: Any, lang: str) -> str:
    """An answer as a reader would say it: option texts, yes or no, a number with its unit."""
    _ = gettext_for(lang)
    q = inst.question(question_id)
    if v is None or v == []:
        return "—"
    if q is None:
        return str(v)
    return types.of(q).answer_text(q, v, lang, {"yes": _("是"), "no": _("否"), "none": _("均未选择")})
