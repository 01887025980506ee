"""Answers collected offline, imported from an XLSX sheet: all rows or none.

The template has one column per question (the question id in row 1, its text
in row 2) and one firm per row from row 3, found by its credit code. Every row
is checked before anything is written; one bad cell rejects the whole file and
the reply names each bad row, column and reason.
"""
from __future__ import annotations

import io
import re
import time
import zipfile
import zlib
from dataclasses import dataclass
from xml.etree.ElementTree import XMLPullParser

import sqlalchemy as sa
from flask_babel import gettext as _
from openpyxl import Workbook, load_workbook
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

import questionnaires
from questionnaires import Instrument, Question, types

from .access import visible_company_ids
from .answer_errors import answer_error_text
from .assessments import service
from .audit import record
from .extensions import db
from .models import Company, User

KEY_COLUMNS = ("uscc", "company_name")
FIRST_DATA_ROW = 3
MAX_ROWS = 5000
# Bounds checked before openpyxl parses anything: a 1 MB upload can decompress to gigabytes.
MAX_PART_BYTES = 64 * 1024 * 1024    # any one part of the archive, decompressed (5000 full rows need ~25 MB)
MAX_TOTAL_BYTES = 128 * 1024 * 1024  # all parts together
MAX_PARTS = 1000
MAX_CELL_CHARS = 32767               # Excel's own limit on the text of a cell ("Excel specifications and limits")
MAX_SCANNED_ROWS = 20000             # rows in the sheet, blank ones included
MAX_SECONDS = 20                     # reading must end well within a web worker's timeout (gunicorn: 30 s)
# OPC (ECMA-376 part 2, annex C) allows only these two methods in an Office package.
OPC_COMPRESSION = (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED)
_ROW = re.compile(rb"<(?:\w+:)?row[\s>/]")


@dataclass
class RowError:
    row: int          # the spreadsheet's own row number
    column: str       # question id or key column, "" for the whole row
    reason: str

    def to_dict(self) -> dict:
        return {"row": self.row, "column": self.column, "reason": self.reason}


class ImportRejected(Exception):
    def __init__(self, errors: list[RowError]):
        super().__init__(f"{len(errors)} problems")
        self.errors = errors


def template(inst: Instrument, lang: str = "zh") -> bytes:
    """The sheet to fill in offline, with drop-down lists where a question has options."""
    wb = Workbook()
    ws = wb.active
    ws.title = "answers"
    zh = lang != "en"
    ws.append(list(KEY_COLUMNS) + [q.id for q in inst.questions])
    ws.append(["统一社会信用代码" if zh else "Unified social credit code", "企业名称（核对用）" if zh else "Company name (for checking)"]
              + [q.text.get(lang) for q in inst.questions])
    for col, q in enumerate(inst.questions, start=len(KEY_COLUMNS) + 1):
        letter = get_column_letter(col)
        ws.column_dimensions[letter].width = 18
        values = types.of(q).cell_choices(q, lang)
        if values and len(",".join(values)) < 250:
            dv = DataValidation(type="list", formula1='"' + ",".join(values) + '"', allow_blank=True)
            dv.add(f"{letter}{FIRST_DATA_ROW}:{letter}{FIRST_DATA_ROW + 999}")
            ws.add_data_validation(dv)
    ws.column_dimensions["A"].width = 22
    ws.column_dimensions["B"].width = 26
    ws.freeze_panes = "C3"
    guide = wb.create_sheet("guide")
    guide.append(["question", "text", "type", "how to answer"] if not zh else ["题号", "题目", "类型", "填写方式"])
    for q in inst.questions:
        guide.append([q.id, q.text.get(lang), q.type, _how(q, lang)])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _how(q: Question, lang: str) -> str:
    return types.of(q).cell_hint(q, lang)


def _refuse(message: str, row: int = 0):
    return ImportRejected([RowError(row, "", message)])


def unreadable() -> ImportRejected:
    return _refuse(_("不是可读取的 XLSX 文件。"))


def check_archive(data: bytes) -> None:
    """Refuse, before any XML is parsed, an archive whose parts are too big once decompressed,
    hold a cell text beyond Excel's limit, too many rows (blank ones too) or a DTD (entities)."""
    started = time.monotonic()
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        infos = zf.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError):
        raise unreadable() from None
    if len(infos) > MAX_PARTS:
        raise unreadable()
    if any(i.flag_bits & 0x1 for i in infos):
        raise _refuse(_("文件已加密，请另存为不加密的 XLSX 文件后再上传。"))
    if any(i.compress_type not in OPC_COMPRESSION for i in infos):
        raise unreadable()
    total = 0
    for info in infos:
        if info.file_size > MAX_PART_BYTES or total + info.file_size > MAX_TOTAL_BYTES:
            raise _too_big()
        body = _read_bounded(zf, info)
        total += len(body)
        if info.filename.endswith((".xml", ".rels")) and b"<!DOCTYPE" in body[:4096].upper():
            raise unreadable()  # no Office part has a DTD; entities are how XML bombs and external reads work
        if info.filename.startswith("xl/worksheets/") and len(_ROW.findall(body)) > MAX_SCANNED_ROWS:
            raise _refuse(_("表格（含空行）超过 %(n)s 行，请删除多余的行或拆分文件。", n=MAX_SCANNED_ROWS))
        if info.filename == "xl/sharedStrings.xml":
            _check_strings(body)
        if time.monotonic() - started > MAX_SECONDS:
            raise _too_slow()
    if not any(i.filename.startswith("xl/worksheets/") for i in infos):
        raise _refuse(_("文件中没有工作表。"))


def _read_bounded(zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes:
    """The part decompressed, never more than its cap (the declared size may lie); corrupt data is refused."""
    try:
        with zf.open(info) as f:
            body = f.read(MAX_PART_BYTES + 1)
    except (zipfile.BadZipFile, zlib.error, OSError, EOFError, NotImplementedError, RuntimeError, ValueError):
        raise unreadable() from None
    if len(body) > MAX_PART_BYTES:
        raise _too_big()
    return body


def _check_strings(body: bytes) -> None:
    parser = XMLPullParser(events=("end",))
    try:
        for start in range(0, len(body), 1 << 20):
            parser.feed(body[start:start + (1 << 20)])
            for _event, el in parser.read_events():
                if el.tag.endswith("}t") or el.tag == "t":
                    if el.text and len(el.text) > MAX_CELL_CHARS:
                        raise _refuse(_("有单元格的文字超过 %(n)s 个字符（Excel 单元格的上限）。", n=MAX_CELL_CHARS))
                el.clear()
        parser.close()
    except SyntaxError:  # xml.etree.ElementTree.ParseError
        raise unreadable() from None


def _too_big() -> ImportRejected:
    return _refuse(_("文件解压后过大（单个部分不超过 %(part)s MB，合计不超过 %(total)s MB），请拆分文件。",
                     part=MAX_PART_BYTES >> 20, total=MAX_TOTAL_BYTES >> 20))


def _too_slow() -> ImportRejected:
    return _refuse(_("读取文件超过 %(s)s 秒，请拆分文件后再上传。", s=MAX_SECONDS))


def read_rows(data: bytes) -> list[tuple[int, dict]]:
    """(row number, {column id: cell value}) for each filled row; raises ImportRejected on a broken file."""
    check_archive(data)
    started = time.monotonic()
    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        if not wb.worksheets:
            raise _refuse(_("文件中没有工作表。"))
        ws = wb.worksheets[0]
        rows = ws.iter_rows(values_only=True)
        header = next(rows, None)
        if not header:
            raise ImportRejected([RowError(1, "", _("第一行应为模板中的列代码。"))])
        ids = [str(h).strip() if h is not None else "" for h in header]
        out = []
        for number, values in enumerate(rows, start=2):
            if number > MAX_SCANNED_ROWS + 1:  # blank rows count too: ten million of them took a worker down
                raise _refuse(_("表格（含空行）超过 %(n)s 行，请删除多余的行或拆分文件。", n=MAX_SCANNED_ROWS))
            if number % 500 == 0 and time.monotonic() - started > MAX_SECONDS:
                raise _too_slow()
            if number < FIRST_DATA_ROW:
                continue  # the row of question texts
            if all(v is None or str(v).strip() == "" for v in values):
                continue
            if len(out) >= MAX_ROWS:
                raise ImportRejected([RowError(number, "", _("超过 %(n)s 行，请拆分文件。", n=MAX_ROWS))])
            out.append((number, {ids[i]: v for i, v in enumerate(values) if i < len(ids) and ids[i]}))
        wb.close()
    except ImportRejected:
        raise
    except Exception:  # openpyxl fails in many ways on a malformed package: each is "not readable"
        raise unreadable() from None
    return [(0, {"__header__": ids})] + out


def _cell(q: Question, v):
    """A spreadsheet cell as the answer value clean_answers expects; None for an empty cell."""
    if v is None or (isinstance(v, str) and not v.strip()):
        return None
    return types.of(q).from_cell(q, v)


def validate(inst: Instrument, rows: list[tuple[int, dict]], user: User) -> tuple[list[tuple[int, dict]], list[RowError]]:
    """Every problem in the sheet, and the firms and answers to import when there are none."""
    errors: list[RowError] = []
    header = rows[0][1]["__header__"]
    known = set(KEY_COLUMNS) | {q.id for q in inst.questions}
    for i, col in enumerate(header):
        if col and col not in known:
            errors.append(RowError(1, col, _("第 %(col)s 列不是本评估工具的题目。", col=get_column_letter(i + 1))))
    if "uscc" not in header:
        errors.append(RowError(1, "uscc", _("缺少 uscc（统一社会信用代码）列。")))
        return [], errors
    codes = [str(r.get("uscc") or "").strip().upper() for _, r in rows[1:]]
    visible = dict(db.session.execute(sa.select(Company.uscc, Company.id).where(
        Company.uscc.in_([c for c in codes if c]), Company.id.in_(visible_company_ids(user)))).all())
    seen: dict[str, int] = {}
    ready = []
    for number, raw in rows[1:]:
        code = str(raw.get("uscc") or "").strip().upper()
        if not code:
            errors.append(RowError(number, "uscc", _("没有填写统一社会信用代码。")))
            continue
        if code not in visible:
            errors.append(RowError(number, "uscc", _("没有您可以评估的、统一社会信用代码为 %(code)s 的企业。", code=code[:18])))
            continue
        if code in seen:
            errors.append(RowError(number, "uscc", _("与第 %(row)s 行是同一家企业。", row=seen[code])))
            continue
        seen[code] = number
        answers = {q.id: _cell(q, raw.get(q.id)) for q in inst.questions if q.id in raw}
        answers = {k: v for k, v in answers.items() if v is not None}
        clean, problems = questionnaires.clean_answers(inst, answers)
        errors += [RowError(number, p.question, answer_error_text(p)) for p in problems]
        missing = service.completion(inst, clean).missing
        if missing and not problems:
            errors.append(RowError(number, ",".join(missing[:10]), _("必答题未填写。")))
        ready.append((visible[code], clean))
    return ready, errors


def import_answers(inst: Instrument, data: bytes, user: User) -> list[int]:
    """Create and submit one assessment per row, or raise ImportRejected and write nothing."""
    rows = read_rows(data)
    ready, errors = validate(inst, rows, user)
    if errors:
        raise ImportRejected(errors)
    if not ready:
        raise ImportRejected([RowError(FIRST_DATA_ROW, "", _("表格中没有填写任何企业。"))])
    created = []
    try:
        for company_id, answers in ready:
            a = service.start(company_id, inst.id, user.id)
            service.save_answers(a, answers, user.id, via="import")
            db.session.flush()
            service.submit(a)
            created.append(a.id)
        record("import", target=inst.id, detail={"assessments": len(created)}, user=user)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return created
