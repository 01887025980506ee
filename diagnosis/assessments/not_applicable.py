"""Subdomains a consultant marks 不适用 (not applicable), with a reason.

GB/T 39116 lets process-type firms tailor out capability subdomains that do not apply to
them (standards.md, unverified). Here the firm's assigned consultant marks them on a submitted
assessment before the report is final; they leave the level scores' weights (scoring/level_gated)
and the report names them with the reason. The assessment is scored again at once.
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

import scoring

from .. import peers
from ..access import can_comment
from ..audit import record
from ..errors import Refused
from ..extensions import db
from ..models import Assessment, User, utcnow
from . import service

MAX_REASON = 500


def subdomains(a: Assessment) -> list:
    """The subdomains that can be marked, or [] when the instrument has none (not level-gated)."""
    inst = service.instrument_of(a)
    if inst.method.type != "level_gated":
        return []
    return [i for d in inst.dimensions for i in d.indicators]


def mark(a: Assessment, consultant: User, reasons: dict[str, str]) -> scoring.Result:
    """Set the marked subdomains (id -> reason; those left out are applicable again), score again."""
    if not can_comment(consultant, a):
        raise Refused(403, "forbidden", _l("只有负责该企业的顾问可以在报告定稿前标注不适用。"))
    allowed = {i.id for i in subdomains(a)}
    if not allowed:
        raise Refused(400, "not_level_gated", _l("本评估工具没有可以标注为不适用的能力子域。"))
    details = []
    clean: dict[str, str] = {}
    for ind, reason in reasons.items():
        reason = (reason or "").strip()
        if ind not in allowed:
            details.append({"subdomain": str(ind)[:64], "problem": "unknown"})
        elif not reason:
            details.append({"subdomain": ind, "problem": "reason_missing"})
        elif len(reason) > MAX_REASON:
            details.append({"subdomain": ind, "problem": "reason_too_long"})
        else:
            clean[ind] = reason
    if details:
        message = _l("每个标注为不适用的子域都需要写明理由（不超过 %(n)s 字）。", n=MAX_REASON)
        raise Refused(422, "invalid", message, details)
    if len(clean) == len(allowed):
        raise Refused(422, "invalid", _l("不能把所有能力子域都标注为不适用。"))
    before = a.not_applicable or {}
    now = utcnow().isoformat()
    a.not_applicable = {ind: (before[ind] if ind in before and before[ind]["reason"] == reason
                              else {"reason": reason, "by": consultant.id, "at": now})
                        for ind, reason in clean.items()} or None
    inst = service.instrument_of(a)
    result = scoring.score(inst, a.answer_dict(), a.not_applicable_reasons())
    row = service.store_result(a, result)
    db.session.flush()
    service.refresh_history(a.company_id, row.instrument_id)
    peers.store_benchmark(a)
    record("not_applicable", target=str(a.id), detail={"subdomains": sorted(clean)}, user=consultant)
    db.session.commit()
    return result
