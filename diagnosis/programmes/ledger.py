"""The programme's 台账 as XLSX, the way it is reported upward: one row per roster firm, and a
summary by target and by sub-zone; bold header, widths, frozen header, filters, the export date
and what the list covers above each table, sheet names in the interface language."""
from __future__ import annotations

import io

import sqlalchemy as sa
from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

import questionnaires

from ..exports import neutralise
from ..extensions import db
from ..industries import industry_label
from ..models import Assignment, RosterEntry, RosterProgress, User, utcnow
from . import service, targets

HEADER_ROW = 3  # rows 1-2: title and the export date with the filter line


def _sheet(wb, name: str, title_line: str, filter_line: str, header: list[str], rows: list[list],
           widths: list[int]) -> None:
    """A write-only sheet (rows streamed to the file, not kept as cell objects: a 10,000-firm roster took
    seconds the other way). Widths, frozen header and filter are set before the rows, as write-only needs."""
    ws = wb.create_sheet(name)
    for i, w in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(i)].width = w
    ws.freeze_panes = f"A{HEADER_ROW + 1}"
    last = get_column_letter(len(header))
    ws.auto_filter.ref = f"A{HEADER_ROW}:{last}{HEADER_ROW + max(len(rows), 1)}"
    ws.append([_styled(ws, title_line, Font(bold=True, size=13))])
    ws.append([filter_line])
    bold = Font(bold=True)
    ws.append([_styled(ws, h, bold) for h in header])
    for row in rows:  # text never starts a formula (neutralise), so it is stored as text
        ws.append([None if v == "" else neutralise(v) for v in row])  # an empty cell is not written


def _styled(ws, value, font: Font) -> WriteOnlyCell:
    cell = WriteOnlyCell(ws, value=value)
    cell.font = font
    return cell


def firm_rows(p, lang: str) -> list[list]:
    """One row per roster firm, in roster order: what the 台账 lists (also read by the tests)."""
    inst = questionnaires.get(p.instrument_id)
    level_name = {lv.id: lv.name.get(lang) for lv in inst.levels}
    # plain columns, not 10,000 ORM objects: the entry, its copied status and dates, its latest level
    found = db.session.execute(
        sa.select(RosterEntry.uscc, RosterEntry.name, RosterEntry.industry_division, RosterEntry.size_class,
                  RosterEntry.above_scale, RosterEntry.sub_zone, RosterProgress.status, RosterProgress.decision,
                  RosterEntry.invited_at, RosterEntry.opened_at, RosterProgress.started_at,
                  RosterProgress.submitted_at, RosterProgress.level, RosterEntry.company_id)
        .join(RosterProgress, RosterProgress.entry_id == RosterEntry.id)
        .where(RosterEntry.programme_id == p.id).order_by(RosterEntry.id)).all()
    consultants: dict = {}
    for cid, name in db.session.execute(
            sa.select(Assignment.company_id, User.name).join(User, User.id == Assignment.consultant_id)
            .where(Assignment.company_id.in_(sa.select(RosterEntry.company_id).where(RosterEntry.programme_id == p.id)))
            .order_by(User.name)).all():
        consultants.setdefault(cid, []).append(name)
    size = {"large": _("大型"), "medium": _("中型"), "small": _("小型"), "micro": _("微型")}
    # every word translated once, not once per firm
    yes_no = {True: _("是"), False: _("否")}
    status_name = {k: str(v) for k, v in service.STATUS_NAMES.items()}
    decision_name = {k: str(v) for k, v in service.DECISION_NAMES.items()}
    industries = {r.industry_division: industry_label(r.industry_division, lang) for r in found}
    out = []
    for (uscc, name, industry, size_class, above, sub_zone, status, decision, invited, opened, started, submitted,
         lv, company_id) in found:
        out.append([uscc, name, industries[industry], size.get(size_class, size_class), yes_no[bool(above)],
                    sub_zone or "", status_name[status], decision_name[decision] if decision else "",
                    _date(invited), _date(opened), _date(started), _date(submitted),
                    level_name.get(lv, "") if lv is not None else "", "、".join(consultants.get(company_id, []))])
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
    wb = Workbook(write_only=True)
    header = [_("统一社会信用代码"), _("企业名称"), _("行业"), _("规模"), _("规上企业"), _("片区"), _("状态"),
              _("审核结果"), _("邀请日期"), _("打开链接日期"), _("开始日期"), _("提交日期"), _("等级"), _("顾问")]
    _sheet(wb, _("企业台账"), _("%(programme)s 企业台账", programme=p.name), filter_line, header, firm_rows(p, lang),
           [22, 30, 24, 8, 10, 12, 12, 10, 12, 14, 12, 12, 14, 14])
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
    _sheet(wb, _("汇总"), _("%(programme)s 汇总", programme=p.name), filter_line,
           [_("项目"), _("属性"), _("基数"), _("目标 / 配额"), _("当前值"), _("进度（%）"), _("预计（目标年末）"), _("来源 / 说明")],
           rows, [36, 10, 14, 16, 10, 10, 16, 40])
    buf = io.BytesIO()
    wb.save(buf)
    return f"ledger-programme-{p.id}-{today}.xlsx", buf.getvalue()
