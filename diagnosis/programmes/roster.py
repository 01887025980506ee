"""A programme's roster imported from the XLSX list a zone keeps: all rows or none.

Row 1 names the columns (codes such as `uscc`, or the Chinese headings zones use); firms
follow, one per row. Every row is checked before anything is written; the reply names each
bad row, column and reason. The file is bounded before it is parsed (its size, and what the
ZIP inside it would unpack to), so a hostile file cannot exhaust the machine.
"""
from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass
from xml.etree.ElementTree import ParseError

import sqlalchemy as sa
from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font

from ..access import visible_company_ids
from ..credit_codes import normalise_uscc, uscc_error
from ..extensions import db
from ..imports import ImportRejected, RowError
from ..industries import SIZE_CLASSES, division
from ..inputs import text_problem
from ..models import Company, Programme, RosterEntry, User
from . import sheet
from .links import token_hash

MAX_BYTES = 20 * 1024 * 1024        # the upload itself
MAX_UNPACKED = 200 * 1024 * 1024    # what its ZIP members would unpack to
MAX_ROWS = 100_000
COLUMNS = ("uscc", "name", "industry", "size", "above_scale", "contact", "mobile", "email", "sub_zone")
HEADINGS = {"uscc": ("统一社会信用代码", "Unified social credit code"), "name": ("企业名称", "Company name"),
            "industry": ("行业代码", "Industry code"), "size": ("企业规模", "Size"),
            "above_scale": ("规上企业", "Above designated size"), "contact": ("联系人", "Contact person"),
            "mobile": ("手机", "Mobile"), "email": ("邮箱", "Email"), "sub_zone": ("片区", "Sub-zone")}
ALIASES = {text.lower(): code for code, texts in HEADINGS.items() for text in texts} | {c: c for c in COLUMNS}
SIZES = {"大型": "large", "中型": "medium", "小型": "small", "微型": "micro"} | {s: s for s in SIZE_CLASSES}
YES, NO = {"是", "yes", "y", "1", "true"}, {"否", "no", "n", "0", "false", ""}
MOBILE = re.compile(r"^1\d{10}$")
EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$")


@dataclass
class Imported:
    added: int
    matched: int   # of them, firms already registered on the platform


def template(lang: str = "zh") -> bytes:
    """An empty roster with the expected columns."""
    wb = Workbook()
    ws = wb.active
    ws.title = "名单" if lang != "en" else "Roster"
    ws.append([HEADINGS[c][0 if lang != "en" else 1] for c in COLUMNS])
    for cell in ws[1]:
        cell.font = Font(bold=True)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _bounded(data: bytes) -> None:
    """Refuse a file too big, or one whose ZIP would unpack to too much, before any parsing."""
    if len(data) > MAX_BYTES:
        raise ImportRejected([RowError(0, "", _("文件超过 %(n)s MB。", n=MAX_BYTES // (1024 * 1024)))])
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            if sum(i.file_size for i in z.infolist()) > MAX_UNPACKED or len(z.infolist()) > 1000:
                raise ImportRejected([RowError(0, "", _("文件解压后过大，请拆分文件。"))])
    except zipfile.BadZipFile:
        raise ImportRejected([RowError(0, "", _("不是可读取的 XLSX 文件。"))]) from None


def read(data: bytes) -> tuple[list[str], list[tuple[int, dict]]]:
    """The column codes of row 1 and (row number, {column: value}) for each filled row."""
    _bounded(data)
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            return _rows(sheet.rows(z))
    except ImportRejected:
        raise
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, TypeError, IndexError, AttributeError, ParseError):
        raise ImportRejected([RowError(0, "", _("不是可读取的 XLSX 文件。"))]) from None


def _rows(rows) -> tuple[list[str], list[tuple[int, dict]]]:
    header = [ALIASES.get(str(h).strip().lower(), "") if h is not None else "" for h in next(rows, ()) or ()]
    out = []
    for number, values in enumerate(rows, start=2):
        if all(v is None or str(v).strip() == "" for v in values):
            continue
        if len(out) >= MAX_ROWS:
            raise ImportRejected([RowError(number, "", _("超过 %(n)s 行，请拆分文件。", n=MAX_ROWS))])
        out.append((number, {header[i]: v for i, v in enumerate(values) if i < len(header) and header[i]}))
    return header, out


def _text(raw: dict, key: str, limit: int) -> str:
    v = raw.get(key)
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    return "" if v is None else str(v).strip()[:limit + 1]


def validate(programme: Programme, header: list[str], rows: list[tuple[int, dict]], user: User
             ) -> tuple[list[dict], list[RowError]]:
    """Every problem in the roster, and the entries to write when there are none."""
    errors: list[RowError] = []
    for required in ("uscc", "name", "industry", "size"):
        if required not in header:
            errors.append(RowError(1, required, _("缺少“%(col)s”列。", col=HEADINGS[required][0])))
    if errors:
        return [], errors
    codes = {normalise_uscc(_text(r, "uscc", 30)) for _, r in rows}
    on_roster = set(db.session.scalars(sa.select(RosterEntry.uscc).where(RosterEntry.programme_id == programme.id)))
    existing: dict[str, int] = {}
    visible: set[int] = set()
    chunk = sorted(codes)
    for i in range(0, len(chunk), 5000):
        part = chunk[i:i + 5000]
        existing.update(db.session.execute(sa.select(Company.uscc, Company.id).where(Company.uscc.in_(part))).all())
        visible.update(db.session.scalars(sa.select(Company.id).where(Company.uscc.in_(part),
                                                                        Company.id.in_(visible_company_ids(user)))))
    seen: dict[str, int] = {}
    ready = []
    for number, raw in rows:
        row_errors, gated = [], []
        for col in COLUMNS:  # the input gate on every text cell, before any other check reads it
            value = raw.get(col)
            problem = text_problem(value) if isinstance(value, str) else None
            if problem:
                heading = HEADINGS[col][0]
                row_errors.append(RowError(number, col, _("“%(field)s”含有无法保存的字符（如单独的代理项），请删除后重试。",
                                                          field=heading) if problem == "unstorable_text" else
                                           _("“%(field)s”含有控制字符（如换行、制表符），请删除后重试。", field=heading)))
                gated.append(row_errors[-1])
        code = normalise_uscc(_text(raw, "uscc", 30))
        problem = uscc_error(code) if code else "missing"
        if problem:
            row_errors.append(RowError(number, "uscc", _("统一社会信用代码无效（%(code)s）。", code=code[:20])
                                       if code else _("没有填写统一社会信用代码。")))
        elif code in seen:
            row_errors.append(RowError(number, "uscc", _("与第 %(row)s 行是同一家企业。", row=seen[code])))
        elif code in on_roster:
            row_errors.append(RowError(number, "uscc", _("这家企业已在名单上。")))
        elif code in existing and existing[code] not in visible:
            row_errors.append(RowError(number, "uscc", _("这家企业属于其他地区，不能列入本项目名单。")))
        seen.setdefault(code, number)
        name = _text(raw, "name", 200)
        if not name or len(name) > 200:
            row_errors.append(RowError(number, "name", _("企业名称应为 1 到 200 个字。")))
        industry = _text(raw, "industry", 2).zfill(2) if _text(raw, "industry", 2) else ""
        if division(industry) is None:
            row_errors.append(RowError(number, "industry", _("行业代码应为国民经济行业分类的两位大类代码，如 34。")))
        size = SIZES.get(_text(raw, "size", 10).lower())
        if size is None:
            row_errors.append(RowError(number, "size", _("企业规模应为大型、中型、小型或微型。")))
        flag = _text(raw, "above_scale", 10).lower()
        if flag not in YES | NO:
            row_errors.append(RowError(number, "above_scale", _("规上企业一栏应填“是”或“否”。")))
        mobile = _text(raw, "mobile", 20)
        if mobile and not MOBILE.match(mobile):
            row_errors.append(RowError(number, "mobile", _("手机号应为 11 位数字。")))
        email = _text(raw, "email", 254).lower()
        if email and (len(email) > 254 or not EMAIL.match(email)):
            row_errors.append(RowError(number, "email", _("邮箱格式不正确。")))
        contact, sub_zone = _text(raw, "contact", 100), _text(raw, "sub_zone", 100)
        if len(contact) > 100 or len(sub_zone) > 100:
            row_errors.append(RowError(number, "contact" if len(contact) > 100 else "sub_zone", _("内容过长。")))
        if gated:  # one reason per refused cell: the other checks would only repeat it
            refused = {e.column for e in gated}
            row_errors = [e for e in row_errors if e in gated or e.column not in refused]
        errors += row_errors
        if not row_errors:
            ready.append({"programme_id": programme.id, "uscc": code, "name": name, "industry_division": industry,
                          "size_class": size, "above_scale": flag in YES, "contact": contact or None,
                          "mobile": mobile or None, "email": email or None, "sub_zone": sub_zone or None,
                          "company_id": existing.get(code), "token_hash": token_hash(programme.id, code),
                          "reminders_sent": 0})
    return ready, errors


def import_roster(programme: Programme, data: bytes, user: User) -> Imported:
    """Add the file's firms to the roster, or raise ImportRejected and write nothing."""
    header, rows = read(data)
    ready, errors = validate(programme, header, rows, user)
    if errors:
        raise ImportRejected(errors)
    if not ready:
        raise ImportRejected([RowError(2, "", _("表格中没有填写任何企业。"))])
    try:
        for i in range(0, len(ready), 5000):
            db.session.execute(sa.insert(RosterEntry), ready[i:i + 5000])
        db.session.commit()
        if len(ready) >= 1000 and db.engine.dialect.name == "postgresql":
            # planner statistics for the new rows, so the programme page's joins are planned on them
            db.session.execute(sa.text("ANALYZE roster_entries"))
            db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return Imported(len(ready), sum(1 for r in ready if r["company_id"] is not None))
