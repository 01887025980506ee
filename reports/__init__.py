"""Diagnosis reports: context, SVG charts, HTML templates and PDF rendering (no Flask)."""
from __future__ import annotations

from datetime import date, datetime
from typing import Any

from questionnaires import Instrument

from .context import firm_context
from .render import html_to_pdf, render_html
from .zone import zone_report_html


def firm_report_html(inst: Instrument, result: dict, company: dict, lang: str = "zh",
                     answers: dict[str, Any] | None = None, assessment_date: datetime | date | None = None,
                     preview: str | None = None, preview_nav: dict | None = None, **extra: Any) -> str:
    """The report as HTML; `preview` is the stylesheet URL when a browser shows it and `preview_nav`
    the app's links for its header ({home, back, download, lang_url, lang_name}); `extra` carries
    the consultant, comments, report number and previous result (see firm_context)."""
    ctx = firm_context(inst, result, company, lang, answers=answers, assessment_date=assessment_date, **extra)
    return render_html("firm.html", {**ctx, "preview": preview, "nav": preview_nav})


def firm_report_pdf(inst: Instrument, result: dict, company: dict, lang: str = "zh",
                    answers: dict[str, Any] | None = None, assessment_date: datetime | date | None = None) -> bytes:
    return html_to_pdf(firm_report_html(inst, result, company, lang, answers, assessment_date))


__all__ = ["firm_context", "firm_report_html", "firm_report_pdf", "html_to_pdf", "render_html", "zone_report_html"]
