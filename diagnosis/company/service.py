"""Saving a firm's profile: the checks that need the database, and the size class it implies."""
from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import gettext as _

from ..extensions import db
from ..industries import division, size_class
from ..models import Company, User


@dataclass
class Problem:
    field: str
    message: str


def save_profile(user: User, *, name: str, uscc: str, industry: str, employees: int, revenue: float) -> Problem | None:
    """Create or update the user's company; a problem with one field instead when it cannot be saved."""
    company = user.company
    d = division(industry)
    if d is None:
        return Problem("industry_division", _("请选择行业。"))
    taken = db.session.scalar(sa.select(Company.id).where(Company.uscc == uscc))
    if taken is not None and (company is None or taken != company.id):
        return Problem("uscc", _("该统一社会信用代码已被其他企业使用，请联系园区管理部门。"))
    if company is None:
        company = Company(zone_id=user.zone_id)
        db.session.add(company)
    company.name = name.strip()
    company.uscc = uscc
    company.industry_division = d.code
    company.industry_section = d.section
    company.employees = employees
    company.revenue = revenue
    company.size_class = size_class(d.code, employees, revenue)
    db.session.flush()
    user.company_id = company.id
    db.session.commit()
    return None
