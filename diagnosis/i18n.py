"""The interface language: which one a request gets, and the labels templates show in it."""
from __future__ import annotations

from flask import request, session
from flask_babel import get_locale
from flask_babel import gettext as _

import questionnaires
from reports.context import SIZE_NAMES

from .industries import division

LANGUAGES = ("zh", "en")


def select_locale() -> str:
    """Flask-Babel's locale selector: ?lang= for one page, else the session's choice, else Chinese."""
    lang = request.args.get("lang") or session.get("lang")
    return lang if lang in LANGUAGES else "zh"


def current_lang() -> str:
    return "en" if str(get_locale()).startswith("en") else "zh"


def industry_name(code: str) -> str:
    d = division(code or "")
    return f"{d.code} {d.name(current_lang())}" if d else ""


def instrument_title(instrument_id: str) -> str:
    inst = questionnaires.available().get(instrument_id)
    return inst.title.get(current_lang()) if inst else instrument_id


def size_name(key: str) -> str:
    return _(SIZE_NAMES[key]) if key in SIZE_NAMES else ""


def template_helpers() -> dict:
    return {"current_lang": current_lang, "instrument_title": instrument_title, "industry_name": industry_name,
            "size_name": size_name}
