"""Who may see what. Every query for tenant data goes through these helpers.

Enterprise users see their own company; consultants the companies assigned to
them; zone administrators every company of their zone. Anything else is a 404,
so that ids of other tenants' records cannot even be confirmed to exist.
"""
from __future__ import annotations

import sqlalchemy as sa
from flask import abort

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


def get_assessment(user: User, assessment_id: int) -> Assessment:
    found = db.session.scalar(assessments_query(user).where(Assessment.id == assessment_id))
    if found is None:
        abort(404)
    return found


def can_edit(user: User, assessment: Assessment) -> bool:
    """Drafts are edited by the firm itself or by its assigned consultant, never by zone staff."""
    return assessment.status == "draft" and user.role in ("enterprise", "consultant")
