"""Rows of an XLSX file's first sheet, read straight from its XML with the standard library.

openpyxl builds a cell object per value; a 50,000-firm roster took over half a minute that
way. Here the sheet is streamed (iterparse) and each element dropped once read, so memory
stays flat; only the shared-strings table is held. Values come back as str, float or bool.
"""
from __future__ import annotations

import posixpath
import re
import zipfile
from collections.abc import Iterator
from xml.etree.ElementTree import iterparse

NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
REL_NS = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
PKG_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"
COLUMN = re.compile(r"^([A-Z]{1,3})")


def _column(ref: str) -> int:
    letters = COLUMN.match(ref).group(1)
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n - 1


def _first_sheet(z: zipfile.ZipFile) -> str:
    """The path of the workbook's first sheet, as its relationships name it."""
    first = None
    for _event, el in iterparse(z.open("xl/workbook.xml")):
        if el.tag == f"{NS}sheet":
            first = el.get(f"{REL_NS}id")
            break
    for _event, el in iterparse(z.open("xl/_rels/workbook.xml.rels")):
        if el.tag == f"{PKG_REL}Relationship" and el.get("Id") == first:
            target = el.get("Target")
            return target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join("xl", target))
    raise KeyError("no first sheet")


def _shared(z: zipfile.ZipFile) -> list[str]:
    if "xl/sharedStrings.xml" not in z.namelist():
        return []
    out = []
    for _event, el in iterparse(z.open("xl/sharedStrings.xml")):
        if el.tag == f"{NS}si":
            out.append("".join(t.text or "" for t in el.iter(f"{NS}t")))
            el.clear()
    return out


def rows(z: zipfile.ZipFile) -> Iterator[tuple]:
    """Each row of the first sheet as a tuple of values (None for an empty cell), empty rows included."""
    shared = _shared(z)
    expected = 1
    for _event, el in iterparse(z.open(_first_sheet(z))):
        if el.tag != f"{NS}row":
            continue
        number = int(el.get("r") or expected)
        while expected < number:  # rows with no cells are not written; keep the numbering
            yield ()
            expected += 1
        values: list = []
        for position, c in enumerate(el.iter(f"{NS}c")):
            ref = c.get("r")
            col = _column(ref) if ref else position
            kind = c.get("t")
            if kind == "inlineStr":
                value = "".join(t.text or "" for t in c.iter(f"{NS}t"))
            else:
                v = c.find(f"{NS}v")
                text = v.text if v is not None else None
                if text is None:
                    value = None
                elif kind == "s":
                    value = shared[int(text)]
                elif kind == "b":
                    value = text == "1"
                elif kind in ("str", "e"):
                    value = text
                else:
                    value = float(text) if any(ch in text for ch in ".eE") else int(text)
            values.extend([None] * (col - len(values)))
            values.append(value)
        el.clear()
        expected = number + 1
        yield tuple(values)
