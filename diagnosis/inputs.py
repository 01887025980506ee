"""Hostile input refused at the door, with a 4xx that names what is wrong.

- Text that cannot be stored: a lone UTF-16 surrogate (JSON's "\\ud800") is a Python
  string that no UTF-8 encoder accepts. Stored in a JSON column it broke every later
  read of the firm (issue 15). `gate` checks every request's query string, form and
  JSON body; `guard_flush` checks every row SQLAlchemy writes, whatever path it came by.
  Either answers 422 naming the field.
- Numbers: `parse_int` is the one reader of integers from a request; it accepts ASCII
  digits only ("²".isdigit() is true but int("²") fails) and a bounded magnitude.
- JSON: nested at most MAX_JSON_DEPTH levels (Python's parser recurses and a deep
  body ended in RecursionError); integers within I-JSON's exact range (RFC 7493:
  ±(2^53-1)), no NaN or Infinity (not JSON, RFC 8259).
"""
from __future__ import annotations

import json
import math
import re
import unicodedata
from typing import Any

from flask.json.provider import DefaultJSONProvider
from wtforms import FloatField

MAX_JSON_DEPTH = 32
MAX_SAFE_INTEGER = 2**53 - 1  # RFC 7493 section 2.2: integers beyond this lose precision between systems
_BRACKETS_OR_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"|[\[\]{}]', re.S)


class BadInput(Exception):
    """A request part that cannot be accepted: `status` 400 (malformed) or 422 (valid form, bad value)."""

    def __init__(self, status: int, field: str, reason: str):
        super().__init__(f"{field}: {reason}")
        self.status, self.field, self.reason = status, field, reason


def storable(text: str) -> bool:
    """False for text with a lone surrogate (it cannot be encoded as UTF-8)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def text_problem(text: str) -> str | None:
    """Why a line of text (a name, a contact, an imported cell) cannot be taken: "unstorable_text" (a
    lone surrogate), "control_char" (C0/C1 controls, tabs and line breaks included), or None."""
    if not storable(text):
        return "unstorable_text"
    if any(unicodedata.category(ch) == "Cc" for ch in text):
        return "control_char"
    return None


def first_problem(value: Any, path: str = "") -> tuple[str, str] | None:
    """(field path, reason) of the first value that cannot be stored, or None."""
    stack = [(path, value)]
    while stack:
        where, v = stack.pop()
        if isinstance(v, str):
            if not storable(v):
                return where or "body", "unstorable_text"
        elif isinstance(v, bool) or v is None or isinstance(v, float):
            continue
        elif isinstance(v, int):
            if abs(v) > MAX_SAFE_INTEGER:
                return where or "body", "number_too_large"
        elif isinstance(v, dict):
            for k, item in v.items():
                key = str(k)
                if not storable(key):
                    return (f"{where}.{key!a}" if where else f"{key!a}"), "unstorable_text"
                stack.append((f"{where}.{key}" if where else key, item))
        elif isinstance(v, (list, tuple)):
            stack.extend((f"{where}[{i}]", item) for i, item in enumerate(v))
    return None


def json_depth_exceeds(raw: bytes | str, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether brackets outside strings nest deeper than `limit`, found without parsing."""
    data = raw.encode("utf-8", "surrogatepass") if isinstance(raw, str) else raw
    depth = 0
    for m in _BRACKETS_OR_STRING.finditer(data):
        c = m.group()
        if c in (b"[", b"{"):
            depth += 1
            if depth > limit:
                return True
        elif c in (b"]", b"}"):
            depth -= 1
    return False


def _no_constants(name: str):
    raise ValueError(f"{name} is not JSON")


def loads(raw: bytes | str) -> Any:
    """json.loads for untrusted input: bounded depth, no NaN/Infinity; ValueError otherwise."""
    if json_depth_exceeds(raw):
        raise ValueError(f"JSON nested deeper than {MAX_JSON_DEPTH} levels")
    return json.loads(raw, parse_constant=_no_constants)


class JSONProvider(DefaultJSONProvider):
    """request.get_json goes through `loads` above, so every JSON body is bounded."""

    def loads(self, s, **kwargs):
        if kwargs:
            return super().loads(s, **kwargs)
        return loads(s)


def parse_int(raw: str | None, lo: int = 0, hi: int = 2**31 - 1) -> int | None:
    """An integer from a query string or form: ASCII digits only, within [lo, hi]; None otherwise."""
    if raw is None:
        return None
    raw = raw.strip()
    if not raw or not raw.isascii() or not raw.isdigit() or len(raw) > len(str(hi)):
        return None
    value = int(raw)
    return value if lo <= value <= hi else None


_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d{1,3})?", re.ASCII)


def parse_number(raw: str | None, max_chars: int = 40) -> float | None:
    """A decimal number from a form: ASCII digits only (float() also reads "꩐" as 0), at most
    `max_chars` characters, finite; None otherwise."""
    if raw is None:
        return None
    raw = raw.strip()
    if len(raw) > max_chars or not _NUMBER.fullmatch(raw):
        return None
    value = float(raw)
    return value if math.isfinite(value) else None


class NumberField(FloatField):
    """WTForms' FloatField read through `parse_number`."""

    def process_formdata(self, valuelist):
        if valuelist and valuelist[0].strip():
            self.data = parse_number(valuelist[0])
            if self.data is None:
                from flask_babel import gettext as _
                raise ValueError(_("请输入数字。"))
        elif valuelist:
            self.data = None


def check_request(request) -> None:
    """Raise BadInput for a query string, form or JSON body holding what cannot be accepted."""
    for name, source in (("query", request.args), ("form", request.form)):
        for key, value in source.items(multi=True):
            if not storable(key) or not storable(value):
                raise BadInput(422, key if storable(key) else name, "unstorable_text")
    if request.is_json and request.content_length:
        raw = request.get_data(cache=True)
        if json_depth_exceeds(raw):
            raise BadInput(400, "body", "too_deep")
        body = request.get_json(silent=True)  # parsed once, cached for the view
        problem = first_problem(body) if body is not None else None
        if problem:
            raise BadInput(422, *problem)


def guard_flush(session, _context, _instances) -> None:
    """SQLAlchemy before_flush: no row is written with a value `first_problem` refuses,
    whichever path (web, API, import, CLI) brought it."""
    import sqlalchemy as sa
    for obj in list(session.new) + list(session.dirty):
        state = sa.inspect(obj)
        for attr in state.mapper.column_attrs:
            hist = state.attrs[attr.key].history
            for value in hist.added or ():
                if isinstance(value, (str, dict, list)):
                    problem = first_problem(value)
                    if problem and problem[1] == "unstorable_text":
                        where = problem[0] if problem[0] != "body" else ""
                        raise BadInput(422, f"{state.mapper.local_table.name}.{attr.key}" + (f".{where}" if where else ""),
                                       "unstorable_text")
