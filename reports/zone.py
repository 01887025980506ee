"""The zone report: what zone staff file each period. Pure data in (see diagnosis.zone_report), HTML out."""
from __future__ import annotations

from datetime import date

from . import charts
from .i18n import gettext_for
from .render import render_html


def zone_context(data: dict, lang: str) -> dict:
    _ = gettext_for(lang)
    sections = []
    for s in data["sections"]:
        inst = s["instrument"]
        levels = sorted(inst.levels, key=lambda lv: lv.id)
        names = [lv.name.get(lang) for lv in levels]
        dist = s["distribution"]
        refs = []
        for ref in dist["references"]:
            # A published bucket may span several levels; show it on its first level only.
            shares: list[float | None] = [None] * len(levels)
            for b in ref["buckets"]:
                ids = [lv.id for lv in levels]
                if b["levels"][0] in ids and len(b["levels"]) == 1:
                    shares[ids.index(b["levels"][0])] = b["share"]
            if any(v is not None for v in shares):
                title = ref["title"][lang] or ref["title"]["zh"]
                # The year once: many published titles carry it already.
                refs.append((title if str(ref["year"]) in title else _("%(title)s（%(year)s）", title=title, year=ref["year"]),
                             shares))
        weakest = sorted((d for d in s["dimensions"] if d["mean"] is not None), key=lambda d: d["mean"])
        change = s["change"]
        sections.append({
            "id": inst.id,
            "title": inst.title.get(lang),
            "overview": s["overview"],
            "level_names": names,
            "distribution": [{"name": n, **row} for n, row in zip(names, dist["levels"])],
            "distribution_svg": charts.distribution(names, [row["share"] for row in dist["levels"]], refs),
            "by_industry": _table(s["by_industry"], levels),
            "by_size": _table(s["by_size"], levels),
            "weakest": [{"title": d["title"][lang] or d["title"]["zh"], "mean": d["mean"], "platform_mean": d["platform_mean"]}
                        for d in weakest[:3]],
            "dimensions_svg": charts.bar([d["title"][lang] or d["title"]["zh"] for d in s["dimensions"]],
                                         [(_("本园区"), [d["mean"] or 0.0 for d in s["dimensions"]], "#1f6feb"),
                                          (_("全平台"), [d["platform_mean"] or 0.0 for d in s["dimensions"]], "#8c959f")]),
            "closest": s["closest"],
            "stalled": s["stalled"],
            "stale_drafts": s["stale_drafts"],
            "change": {**change,
                       "rows": [{"name": n, "before": b["share"], "now": a["share"], "delta": round(a["share"] - b["share"], 1)}
                                for n, a, b in zip(names, change["now"]["levels"], change["before"]["levels"])]},
            "trend": s["trend"],
        })
    return {"lang": lang, "zone": data["zone"], "period": data["period"], "date": date.today().isoformat(),
            "sections": sections, "targets": data.get("targets", [])}


def _table(rows: list[dict], levels) -> list[dict]:
    """Counts per level for each group, with the share at the second level or above."""
    ids = [lv.id for lv in levels]
    out = []
    for row in rows:
        counts = [row["counts"].get(i, 0) for i in ids]
        upper = sum(c for i, c in zip(ids, counts) if i >= 2)
        out.append({"label": row["label"], "n": row["n"], "counts": counts,
                    "upper_share": round(100 * upper / row["n"], 1) if row["n"] else 0.0})
    return out


def zone_report_html(data: dict, lang: str = "zh") -> str:
    return render_html("zone.html", zone_context(data, lang))
