"""Firm lists as CSV and XLSX, safe to open in a spreadsheet.

A text cell that begins with = + - @ (or a tab or carriage return) would be read
as a formula by Excel, WPS or LibreOffice; such cells get a leading apostrophe
in CSV (OWASP's advice) and are stored as plain strings in XLSX.
"""
from __future__ import annotations

import csv
import io

from openpyxl import Workbook

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value):
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def to_csv(header: list[str], rows: list[list]) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow([neutralise(h) for h in header])
    for row in rows:
        writer.writerow([neutralise(v) for v in row])
    # UTF-8 with a byte-order mark, so Excel on Chinese Windows reads the names right.
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def to_xlsx(header: list[str], rows: list[list], title: str = "firms") -> bytes:
    wb = Workbook(write_only=False)
    ws = wb.active
    ws.title = title[:31]
    ws.append(header)
    for row in rows:
        ws.append([neutralise(v) for v in row])
    for row in ws.iter_rows(min_row=1):
        for cell in row:
            if isinstance(cell.value, str):
                cell.data_type = "s"  # never a formula, whatever the text
    ws.freeze_panes = "A2"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
