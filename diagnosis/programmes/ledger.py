"""The programme's 台账 as XLSX, the way it is reported upward: one row per roster firm, and a
summary by target and by sub-zone; bold header, widths, frozen header, filters, the export date
and what the list covers above each table, sheet names in the interface language."""
from __future__ import annotations

import io

import sqlalchemy as sa
from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

import questionnaires

from ..exports import neutralise
from ..extensions import db
from ..industries import industry_label
from ..models import Assignment, RosterProgress, User, utcnow
from . import service, targets

HEADER_ROW = 3  # rows 1-2: title and the export date with the filter line


def _sheet(ws, title_line: str, filter_line: str, header: list[str], rows: list[list], widths: list[int]) -> None:
    ws.append([title_line])
    ws.append([filter_line])
    ws["A1"].font = Font(bold=True, size=13)
    ws.append(header)
    for cell in ws[HEADER_ROW]:
        cell.font = Font(bold=True)
    for row in rows:
        ws.append([neutralise(v) for v in row])
    for i, w in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(i)].width = w
    ws.freeze_panes = f"A{HEADER_ROW + 1}"
    last = get_column_letter(len(header))
    ws.auto_filter.ref = f"A{HEADER_ROW}:{last}{HEADER_ROW + max(len(rows), 1)}"
    for row in ws.iter_rows(min_row=HEADER_ROW + 1):
        for cell in row:
            if isinstance(cell.value, str):
                cell.data_type = "s"


def firm_rows(p, lang: str) -> list[list]:
    """One row per roster firm, in roster order: what the 台账 lists (also read by the tests)."""
    inst = questionnaires.get(p.instrument_id)
    level_name = {lv.id: lv.name.get(lang) for lv in inst.levels}
    found = service.rows(p, limit=None)
    levels = dict(db.session.execute(sa.select(RosterProgress.entry_id, RosterProgress.level).where(
        RosterProgress.programme_id == p.id, RosterProgress.level.is_not(None))).all())
    company_ids = [r["entry"].company_id for r in found if r["entry"].company_id]
    consultants = {}
    for i in range(0, len(company_ids), 5000):
        part = company_ids[i:i + 5000]
        for cid, name in db.session.execute(sa.select(Assignment.company_id, User.name).join(
                User, User.id == Assignment.consultant_id).where(Assignment.company_id.in_(part))).all():
            consultants.setdefault(cid, []).append(name)
    size = {"large": _("大型"), "medium": _("中型"), "small": _("小型"), "micro": _("微型")}
    out = []
    for r in found:
        e = r["entry"]
        lv = levels.get(e.id)
        out.append([e.uscc, e.name, industry_label(e.industry_division, lang), size.get(e.size_class, e.size_class),
                    _("是") if e.above_scale else _("否"), e.sub_zone or "", str(service.STATUS_NAMES[r["status"]]),
                    str(service.DECISION_NAMES[r["decision"]]) if r["decision"] else "",
                    _date(e.invited_at), _date(e.opened_at), _date(r["started_at"]), _date(r["submitted_at"]),
                    level_name.get(lv, "") if lv is not None else "", "、".join(consultants.get(e.company_id, []))])
    return out


def _date(when) -> str:
    return when.strftime("%Y-%m-%d") if when else ""


def build(user, programme_id: int, lang: str) -> tuple[str, bytes]:
    """(file name, XLSX bytes) of the programme's 台账."""
    p = service.get(user, programme_id)
    inst = questionnaires.get(p.instrument_id)
    today = utcnow().strftime("%Y-%m-%d")
    filter_line = _("导出日期：%(date)s；范围：%(programme)s 名单全部企业（%(start)s 至 %(end)s，%(instrument)s）",
                    date=today, programme=p.name, start=p.starts_on.isoformat(), end=p.ends_on.isoformat(),
                    instrument=inst.title.get(lang))
    wb = Workbook()
    firms = wb.active
    firms.title = _("企业台账")
    header = [_("统一社会信用代码"), _("企业名称"), _("行业"), _("规模"), _("规上企业"), _("片区"), _("状态"),
              _("审核结果"), _("邀请日期"), _("打开链接日期"), _("开始日期"), _("提交日期"), _("等级"), _("顾问")]
    _sheet(firms, _("%(programme)s 企业台账", programme=p.name), filter_line, header, firm_rows(p, lang),
           [22, 30, 24, 8, 10, 12, 12, 10, 12, 14, 12, 12, 14, 14])
    summary = wb.create_sheet(_("汇总"))
    rows = []
    for ev in targets.of_programme(user, p.id):
        t = ev["target"]
        proj = ev["projection"]
        rows.append([f"{_('目标')}: {t.name}" + (" " + _("（演示数据）") if t.is_demo else ""),
                     str(targets.NATURE_NAMES[t.nature]), f"{t.base_year}: {t.base_value:g}",
                     f"{t.target_year}: {t.target_value:g}", ev["value"], ev["progress"],
                     proj["value"] if proj else "", t.source])
    counts = service.status_counts(p)
    for sub in counts["sub_zones"]:
        c = sub["counts"]
        rows.append([f"{_('片区')}: {sub['sub_zone'] or _('未填写')}", "", "", sub["quota"] or "",
                     sub["done"], sub["quota_share"] if sub["quota_share"] is not None else "",
                     "", _("名单 %(n)s 家；未开始 %(left)s 家", n=sub["firms"],
                           left=c["not_invited"] + c["invited"] + c["opened"])])
    _sheet(summary, _("%(programme)s 汇总", programme=p.name), filter_line,
           [_("项目"), _("属性"), _("基数"), _("目标 / 配额"), _("当前值"), _("进度（%）"), _("预计（目标年末）"), _("来源 / 说明")],
           rows, [36, 10, 14, 16, 10, 10, 16, 40])
    buf = io.BytesIO()
    wb.save(buf)
    return f"ledger-programme-{p.id}-{today}.xlsx", buf.getvalue()
