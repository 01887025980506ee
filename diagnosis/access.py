"""Who may see what. Every query for tenant data goes through these helpers.

Enterprise users see their own company; consultants the companies assigned to
them; zone administrators every company of their zone. Anything else is a 404,
so that ids of other tenants' records cannot even be confirmed to exist.
"""
from __future__ import annotations

import sqlalchemy as sa
from flask import abort, g, has_request_context

from .extensions import db
from .models import Assessment, Assignment, Company, User


def visible_company_ids(user: User) -> sa.Select:
    if user.role == "enterprise":
        return sa.select(Company.id).where(Company.id == user.company_id)
    if user.role == "consultant":
        return (
            sa.select(Company.id)
            .join(Assignment, Assignment.company_id == Company.id)
            .where(Assignment.consultant_id == user.id, Company.zone_id == user.zone_id)
        )
    if user.role == "zone_admin":
        return sa.select(Company.id).where(Company.zone_id == user.zone_id)
    return sa.select(Company.id).where(sa.false())


def assessments_query(user: User) -> sa.Select:
    return sa.select(Assessment).where(Assessment.company_id.in_(visible_company_ids(user)))


def find_assessment(user: User, assessment_id: int) -> Assessment | None:
    """The assessment if the user may see it (a staff read is noted for the audit log), else None."""
    found = db.session.scalar(assessments_query(user).where(Assessment.id == assessment_id))
    if found is not None:
        note_read(user, "assessment", found.id)
    return found


def get_assessment(user: User, assessment_id: int) -> Assessment:
    found = find_assessment(user, assessment_id)
    if found is None:
        abort(404)
    return found


def find_company(user: User, company_id: int) -> Company | None:
    found = db.session.scalar(sa.select(Company).where(Company.id == company_id, Company.id.in_(visible_company_ids(user))))
    if found is not None:
        note_read(user, "company", found.id)
    return found


def note_read(user: User, kind: str, ids) -> None:
    """Remember that staff read a firm's data in this request; `audit.flush_reads` writes one event
    per request (object and route) after the response is made. Firms reading their own data are not noted."""
    if user is None or user.role == "enterprise" or not has_request_context():
        return
    g.staff_reader = user
    seen = g.setdefault("staff_reads", {}).setdefault(kind, [])
    for i in (ids if isinstance(ids, (list, tuple)) else [ids]):
        if i not in seen:
            seen.append(i)


def visible_comments(user: User | None, assessment: Assessment) -> str | None:
    """A consultant's comments: the firm sees them once final; staff also see the draft."""
    if assessment.finalised_at is not None or user is None or user.role != "enterprise":
        return assessment.comments
    return None


def can_edit(user: User, assessment: Assessment) -> bool:
    """Drafts are edited by the firm itself or by its assigned consultant, never by zone staff."""
    return assessment.status == "draft" and user.role in ("enterprise", "consultant")
