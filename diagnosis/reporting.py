"""A firm's report from its stored result: HTML for the browser preview and the PDF.

Shared by the web pages, the API, report batches and the command line, so a
report reads the same wherever it is asked for.
"""
from __future__ import annotations

from flask import current_app

from reports import firm_report_html
from reports.cache import cached_pdf
from reports.context import firm_context
from reports.names import report_filename

from . import peers
from .access import sees_draft_comments
from .assessments.service import consultant_name, instrument_of, previous_result, report_number
from .extensions import db
from .industries import industry_label
from .models import Assessment, Company, User, utcnow


def ensure_benchmark(a: Assessment) -> None:
    """Large demo seeds leave benchmarks to be computed when a result is first opened."""
    if a.result is not None and "benchmark" not in a.result.details:
        peers.store_benchmark(a)
        db.session.commit()


def result_dict(a: Assessment) -> dict:
    r = a.result
    return {"total": r.total, "level": r.level, "method": r.method, "dimensions": r.dimensions, **r.details}


def company_dict(c: Company, lang: str) -> dict:
    return {"name": c.name, "uscc": c.uscc, "industry_division": c.industry_division,
            "industry": industry_label(c.industry_division, lang), "size_class": c.size_class,
            "employees": c.employees, "revenue": c.revenue, "zone": c.zone.name}


def report_extras(a: Assessment, viewer: User | None, lang: str = "zh") -> dict:
    """Consultant and comments for the report: the firm sees comments once they are final;
    consultants and zone staff also see a draft, marked as such."""
    consultant = a.finalised_by.name if a.finalised_by else consultant_name(a.company_id)
    final = a.finalised_at is not None
    show = final or sees_draft_comments(viewer)
    previous = previous_result(a)
    if previous is not None:
        from .plans.service import done_between  # plans build on this module
        previous["plan_done"] = [p.title_in(lang) for p in done_between(a.company_id, previous.pop("at"), a.submitted_at)]
    return {"consultant": consultant, "comments": a.comments if show else None, "comments_final": final,
            "report_no": report_number(a), "previous": previous}


def _inputs(a: Assessment, lang: str, viewer: User | None) -> tuple[tuple, dict]:
    args = (instrument_of(a), result_dict(a), company_dict(a.company, lang), lang)
    from .assessments.review import report_part  # review builds on the assessment service, like this module
    return args, {"answers": a.answer_dict(), "assessment_date": a.submitted_at, **report_extras(a, viewer, lang),
                  "verification": report_part(a, lang), "plan": plan_rows(a.company_id, lang)}


def plan_rows(company_id: int, lang: str) -> list[dict]:
    """The firm's plan items for its report, status as it stands now (the report's date)."""
    from .plans.service import STATUS_NAMES, report_items  # plans build on this module
    return [{"title": p.title_in(lang), "owner": p.owner_name, "due": p.due_date.isoformat() if p.due_date else None,
             "status": p.status, "status_name": STATUS_NAMES[p.status],
             "reason": p.drop_reason if p.status == "dropped" else None, "project": p.project_name}
            for p in report_items(company_id, utcnow())]


def result_context(a: Assessment, lang: str, viewer: User | None) -> dict:
    """What the result page shows: the report's own explained result."""
    args, kwargs = _inputs(a, lang, viewer)
    return firm_context(*args, **kwargs)


def report_html(a: Assessment, lang: str, viewer: User | None, preview: str | None = None,
                preview_nav: dict | None = None) -> str:
    """The firm report's HTML, for the PDF and (with the stylesheet's URL and the app's links
    for its header) for the browser."""
    args, kwargs = _inputs(a, lang, viewer)
    return firm_report_html(*args, preview=preview, preview_nav=preview_nav, **kwargs)


def report_name(a: Assessment, lang: str) -> str:
    """The PDF's file name: firm, instrument and date, Chinese kept (reports.names makes it safe)."""
    when = (a.submitted_at or a.updated_at).strftime("%Y-%m-%d")
    return report_filename(a.company.name, instrument_of(a).title.get(lang), when)


def render_report(a: Assessment, lang: str, variant: str | None = None, viewer: User | None = None) -> bytes:
    """The firm's PDF report, from the render cache when nothing changed."""
    return cached_pdf(report_html(a, lang, viewer), current_app.config["REPORT_CACHE_DIR"], variant)
