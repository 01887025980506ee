"""Corrections applied to stored snapshots of old instrument versions when they are read.

Only names a reader sees are corrected, never rules, points or stored levels. Versions of
cloud-adoption before 2026.1 called levels 1 and 2 "一星" and "二星", which no published
scheme knows (verification.md §4: only 三星/四星/五星 exist). Their results keep their level
number and the rules they were scored by; the level is named as the stage it is (and the
description and source that named those stars take the current wording), so no page, report,
export or API answer presents it as a star.
"""
from __future__ import annotations

from typing import Any

# instrument id -> the old level names (zh) that must not be shown, by level id
NOT_STARS = {"cloud-adoption": {1: "一星", 2: "二星"}}


def correct_snapshot(data: Any, current: Any | None) -> Any:
    """`data` (a decoded snapshot) with old star names replaced by the current version's stage names."""
    if not isinstance(data, dict) or current is None or data.get("id") not in NOT_STARS:
        return data
    wrong = NOT_STARS[data["id"]]
    names = {lv.id: lv for lv in current.levels}
    levels = []
    for lv in data.get("levels") or []:
        if isinstance(lv, dict) and wrong.get(lv.get("id")) == (lv.get("name") or {}).get("zh") and lv["id"] in names:
            now = names[lv["id"]]
            lv = {**lv, "name": now.name.model_dump(), "description": now.description.model_dump()}
        levels.append(lv)
    out = {**data, "levels": levels}
    # The old description and source named the stars that do not exist; the current wording
    # describes the same ladder honestly (stages below three stars).
    for key in ("description", "source"):
        text = (data.get(key) or {}).get("zh", "") if isinstance(data.get(key), dict) else ""
        if any(name in text for name in wrong.values()):
            out[key] = getattr(current, key).model_dump()
    return out
