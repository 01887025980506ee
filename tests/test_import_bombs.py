"""XLSX imports bounded before they are parsed, and malformed archives refused with a reason
(issue 15, findings 2 and 8). Every file here is built by the test itself."""
from __future__ import annotations

import io
import struct
import zipfile

import pytest

from diagnosis import imports

from .conftest import csrf_from

CONTENT_TYPES = ('<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
                 'content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
                 'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/'
                 'workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
                 '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-'
                 'officedocument.spreadsheetml.worksheet+xml"/>{extra}</Types>')
SHARED_TYPE = ('<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.'
               'spreadsheetml.sharedStrings+xml"/>')
RELS = ('<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
        'relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
        'relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>')
WORKBOOK = ('<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/'
            '2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>'
            '<sheet name="answers" sheetId="1" r:id="rId1"/></sheets></workbook>')
WORKBOOK_RELS = ('<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/'
                 '2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/'
                 '2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>{extra}</Relationships>')
SHARED_REL = ('<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
              'sharedStrings" Target="sharedStrings.xml"/>')
SHEET_HEAD = ('<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/'
              '2006/main"><sheetData>')
SHEET_TAIL = "</sheetData></worksheet>"
HEADER_ROW = ('<row r="1"><c r="A1" t="inlineStr"><is><t>uscc</t></is></c>'
              '<c r="B1" t="inlineStr"><is><t>systems_list</t></is></c></row>')


def xlsx(rows: str = HEADER_ROW, shared: str | None = None, *, sheet: bool = True, content_types: str | None = None,
         compression=zipfile.ZIP_DEFLATED) -> bytes:
    """A minimal XLSX package, written part by part."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=compression) as z:
        z.writestr("[Content_Types].xml", content_types or CONTENT_TYPES.format(extra=SHARED_TYPE if shared else ""))
        z.writestr("_rels/.rels", RELS)
        z.writestr("xl/workbook.xml", WORKBOOK)
        z.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELS.format(extra=SHARED_REL if shared else ""))
        if sheet:
            z.writestr("xl/worksheets/sheet1.xml", SHEET_HEAD + rows + SHEET_TAIL)
        if shared is not None:
            z.writestr("xl/sharedStrings.xml", shared)
    return buf.getvalue()


def streamed(name: str, head: bytes, chunk: bytes, times: int, tail: bytes) -> bytes:
    """An XLSX whose part `name` is head + chunk * times + tail, compressed as it is written (never held whole)."""
    buf = io.BytesIO()
    shared = name == "xl/sharedStrings.xml"
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        z.writestr("[Content_Types].xml", CONTENT_TYPES.format(extra=SHARED_TYPE if shared else ""))
        z.writestr("_rels/.rels", RELS)
        z.writestr("xl/workbook.xml", WORKBOOK)
        z.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELS.format(extra=SHARED_REL if shared else ""))
        if shared:
            z.writestr("xl/worksheets/sheet1.xml", SHEET_HEAD + '<row r="1"><c r="A1" t="s"><v>0</v></c></row>' + SHEET_TAIL)
        info = zipfile.ZipInfo(name)
        info.compress_type = zipfile.ZIP_DEFLATED
        with z.open(info, "w", force_zip64=True) as f:
            f.write(head)
            for _ in range(times):
                f.write(chunk)
            f.write(tail)
    return buf.getvalue()


def _patch_central(data: bytes, name: str, offset: int, value: bytes) -> bytes:
    """Change a field of `name`'s central directory entry (offset from its signature)."""
    at = data.index(b"PK\x01\x02")
    while True:
        name_len = struct.unpack("<H", data[at + 28:at + 30])[0]
        if data[at + 46:at + 46 + name_len] == name.encode():
            return data[:at + offset] + value + data[at + offset + len(value):]
        at = data.index(b"PK\x01\x02", at + 4)


def _patch_local(data: bytes, name: str, offset: int, value: bytes) -> bytes:
    at = data.index(b"PK\x03\x04")
    while True:
        name_len = struct.unpack("<H", data[at + 26:at + 28])[0]
        if data[at + 30:at + 30 + name_len] == name.encode():
            return data[:at + offset] + value + data[at + offset + len(value):]
        at = data.index(b"PK\x03\x04", at + 4)


def _corrupt_deflate(data: bytes) -> bytes:
    z = zipfile.ZipFile(io.BytesIO(data))
    info = z.getinfo("xl/worksheets/sheet1.xml")
    name_len = struct.unpack("<H", data[info.header_offset + 26:info.header_offset + 28])[0]
    extra_len = struct.unpack("<H", data[info.header_offset + 28:info.header_offset + 30])[0]
    start = info.header_offset + 30 + name_len + extra_len
    middle = start + info.compress_size // 2
    return data[:start] + b"\xff\xff\xff\xff" + data[start + 4:middle] + b"\x00" * 8 + data[middle + 8:]


MALFORMED = {
    "not a zip at all": lambda: b"PK\x03\x04 this is not an archive",
    "external entity": lambda: xlsx(shared='<?xml version="1.0"?><!DOCTYPE sst [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
                                           '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
                                           '<si><t>&x;</t></si></sst>'),
    "billion laughs": lambda: xlsx(shared='<?xml version="1.0"?><!DOCTYPE sst [<!ENTITY a "aaaaaaaaaa">'
                                          '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]><sst><si><t>&b;</t></si></sst>'),
    "no worksheet": lambda: xlsx(sheet=False),
    "malformed sheet XML": lambda: xlsx(rows="<row r='1'><c r='A1' t='inlineStr'><is><t>uscc</t></is></c>"),
    "malformed content types": lambda: xlsx(content_types="<Types><Default Extension="),
    "unsupported compression": lambda: _patch_local(_patch_central(xlsx(), "xl/worksheets/sheet1.xml", 10, b"\x09\x00"),
                                                    "xl/worksheets/sheet1.xml", 8, b"\x09\x00"),
    "encrypted entry": lambda: _patch_central(xlsx(), "xl/worksheets/sheet1.xml", 8, b"\x01\x00"),
    "corrupt deflate": lambda: _corrupt_deflate(xlsx(HEADER_ROW + "".join(
        f'<row r="{n}"><c r="B{n}" t="inlineStr"><is><t>系统{n}</t></is></c></row>' for n in range(3, 200)))),
    "bzip2 compression (not OPC)": lambda: xlsx(compression=zipfile.ZIP_BZIP2),
}


@pytest.mark.parametrize("kind", sorted(MALFORMED))
def test_malformed_archives_are_refused_with_a_reason(kind):
    with pytest.raises(imports.ImportRejected) as e:
        imports.read_rows(MALFORMED[kind]())
    reason = e.value.errors[0].reason
    assert "XLSX" in reason or "工作表" in reason or "加密" in reason, reason


def test_the_minimal_package_itself_is_readable():
    """The builder makes real XLSX files: the refusals above are about what was broken, not the builder."""
    rows = imports.read_rows(xlsx(HEADER_ROW + '<row r="3"><c r="A3" t="inlineStr"><is><t>X</t></is></c></row>'))
    assert rows == [(0, {"__header__": ["uscc", "systems_list"]}), (3, {"uscc": "X"})]


def test_a_shared_string_of_one_gibibyte_is_refused_before_parsing():
    bomb = streamed("xl/sharedStrings.xml", b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
                    b"<si><t>", b"a" * (1 << 20), 1024, b"</t></si></sst>")
    assert len(bomb) < 2 * 1024 * 1024  # about 1 MB on the wire
    with pytest.raises(imports.ImportRejected) as e:
        imports.read_rows(bomb)
    assert "解压后过大" in e.value.errors[0].reason


def test_a_shared_string_beyond_excels_cell_limit_is_refused():
    long = xlsx(shared='<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><si><t>'
                + "a" * (imports.MAX_CELL_CHARS + 1) + "</t></si></sst>")
    with pytest.raises(imports.ImportRejected) as e:
        imports.read_rows(long)
    assert "32767" in e.value.errors[0].reason


def test_ten_million_blank_rows_are_refused_before_parsing():
    bomb = streamed("xl/worksheets/sheet1.xml", (SHEET_HEAD + HEADER_ROW).encode(), b"<row/>" * 1000, 10_000,
                    SHEET_TAIL.encode())
    with pytest.raises(imports.ImportRejected) as e:
        imports.read_rows(bomb)
    assert "解压后过大" in e.value.errors[0].reason or "空行" in e.value.errors[0].reason


def test_blank_rows_count_toward_the_row_cap():
    """Below the size cap, but more rows than any sheet to import has: refused by counting them."""
    sheet = HEADER_ROW + '<row r="2"/>' * (imports.MAX_SCANNED_ROWS + 10)
    with pytest.raises(imports.ImportRejected) as e:
        imports.read_rows(xlsx(sheet))
    assert "空行" in e.value.errors[0].reason


def test_the_web_import_answers_400_with_the_reason(app, world, client):
    c = client().login(world.a.consultant)
    for kind in ("encrypted entry", "corrupt deflate", "external entity", "no worksheet"):
        page = c.get("/imports/").text
        r = c.c.post("/imports/", data={"csrf_token": csrf_from(page), "instrument": "sme-digital",
                                        "file": (io.BytesIO(MALFORMED[kind]()), "x.xlsx")}, content_type="multipart/form-data")
        assert r.status_code == 400, kind
        assert "XLSX" in r.text or "工作表" in r.text or "加密" in r.text, kind
