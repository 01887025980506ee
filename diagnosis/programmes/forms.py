"""Reading the programme and target forms: typed values, or Refused naming the field."""
from __future__ import annotations

from datetime import date

from flask_babel import lazy_gettext as _l

from ..errors import Refused
from ..i18n import LANGUAGES
from .service import ProgrammeForm, parse_quotas
from .targets import TargetForm


def _date(raw: str | None, field: str) -> date:
    try:
        return date.fromisoformat((raw or "").strip()[:10])
    except ValueError:
        raise Refused(422, "bad_date", _l("日期格式应为 2026-03-31。"), [{"field": field}]) from None


def _int(raw: str | None, field: str, default: int | None = None) -> int | None:
    text = (raw or "").strip()
    if not text:
        return default
    if not (text.isascii() and text.lstrip("-").isdigit()) or len(text) > 9:
        raise Refused(422, "bad_number", _l("请填写整数。"), [{"field": field}])
    return int(text)


def _float(raw: str | None, field: str) -> float:
    try:
        value = float((raw or "").strip().rstrip("%"))
    except ValueError:
        raise Refused(422, "bad_number", _l("请填写数字。"), [{"field": field}]) from None
    if value != value or abs(value) > 1e9:
        raise Refused(422, "bad_number", _l("请填写数字。"), [{"field": field}])
    return value


def programme_form(form) -> ProgrammeForm:
    return ProgrammeForm(name=(form.get("name") or "").strip()[:201], instrument_id=form.get("instrument", ""),
                         starts_on=_date(form.get("starts_on"), "starts_on"), ends_on=_date(form.get("ends_on"), "ends_on"),
                         reminder_days=_int(form.get("reminder_days"), "reminder_days", 7),
                         reminder_cap=_int(form.get("reminder_cap"), "reminder_cap", 3),
                         quotas=parse_quotas((form.get("quotas") or "")[:5000]),
                         lang=form.get("lang") if form.get("lang") in LANGUAGES else "zh",
                         consultant_quotas=parse_quotas((form.get("consultant_quotas") or "")[:5000]))


def target_form(form, programme_id: int | None) -> TargetForm:
    return TargetForm(name=(form.get("name") or "").strip()[:201], indicator=form.get("indicator", ""),
                      instrument_id=form.get("instrument", ""), min_level=_int(form.get("min_level"), "min_level"),
                      above_scale_only=form.get("above_scale_only") == "1",
                      base_year=_int(form.get("base_year"), "base_year", 0), base_value=_float(form.get("base_value"), "base_value"),
                      target_year=_int(form.get("target_year"), "target_year", 0),
                      target_value=_float(form.get("target_value"), "target_value"), nature=form.get("nature", ""),
                      source=(form.get("source") or "").strip()[:501], programme_id=programme_id)


def join_password(form) -> str:
    """The same password rules as registration with an invitation code."""
    from types import SimpleNamespace

    from wtforms.validators import ValidationError

    from ..auth.forms import MIN_PASSWORD, strong_password
    password = form.get("password") or ""
    if not MIN_PASSWORD <= len(password) <= 200 or password != form.get("confirm"):
        raise Refused(422, "bad_password", _l("密码至少10位，两次输入须一致。"))
    try:
        strong_password(None, SimpleNamespace(data=password))
    except ValidationError as e:
        raise Refused(422, "weak_password", str(e)) from None
    return password


def join_numbers(form) -> tuple[int, float]:
    employees = _int(form.get("employees"), "employees")
    revenue = _float(form.get("revenue"), "revenue")
    if employees is None or not 0 <= employees <= 10_000_000 or not 0 <= revenue <= 1e9:
        raise Refused(422, "bad_number", _l("请填写从业人数和营业收入。"), [{"field": "employees"}])
    return employees, revenue
