"""Which consultant looks after which firms of a zone."""
from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from ..audit import record
from ..errors import Refused
from ..extensions import db
from ..models import Assignment, Company, User
from ..notifications.service import notify

PER_PAGE = 50
MAX_QUERY = 100


def consultants(zone_id: int) -> list[User]:
    return db.session.scalars(sa.select(User).where(User.zone_id == zone_id, User.role == "consultant")
                              .order_by(User.name)).all()


def by_consultant(zone_id: int) -> dict[int, list[Company]]:
    """Each consultant's firms in this zone, by name."""
    assigned = db.session.execute(
        sa.select(Assignment.consultant_id, Company).join(Company, Company.id == Assignment.company_id)
        .where(Company.zone_id == zone_id).order_by(Company.name)).all()
    out: dict[int, list[Company]] = {}
    for cid, company in assigned:
        out.setdefault(cid, []).append(company)
    return out


@dataclass
class Assigned:
    added: int            # firms newly assigned
    unknown: list[str]    # codes of no firm in this zone


def parse_codes(raw: str) -> list[str]:
    """Credit codes as staff paste them: one a line or separated by commas."""
    return [c.strip().upper() for c in raw.replace(",", "\n").splitlines() if c.strip()]


def assign(consultant: User, codes: list[str]) -> Assigned:
    """Assign the firms of the consultant's zone with these credit codes; firms of other zones are unknown here."""
    found = dict(db.session.execute(sa.select(Company.uscc, Company.id).where(
        Company.zone_id == consultant.zone_id, Company.uscc.in_(codes))).all()) if codes else {}
    have = set(db.session.scalars(sa.select(Assignment.company_id).where(Assignment.consultant_id == consultant.id)))
    added = [cid for cid in dict.fromkeys(found.values()) if cid not in have]
    db.session.add_all([Assignment(consultant_id=consultant.id, company_id=cid) for cid in added])
    if added:
        names = db.session.scalars(sa.select(Company.name).where(Company.id.in_(added)).order_by(Company.name).limit(5)).all()
        notify(consultant, "assigned", "/workspace/", n=len(added), firms="、".join(names) + ("…" if len(added) > 5 else ""))
        record("assign", target=consultant.email, detail={"consultant": consultant.id, "companies": added[:500]})
    db.session.commit()
    return Assigned(len(added), [c for c in codes if c not in found])


def assignment(zone_id: int, consultant_id: int | None, company_id: int | None) -> tuple[User, Company]:
    """The consultant and firm of an assignment in this zone (what the confirmation page shows); 404 otherwise."""
    found = db.session.execute(
        sa.select(User, Company).join(Assignment, Assignment.consultant_id == User.id)
        .join(Company, Company.id == Assignment.company_id)
        .where(User.id == consultant_id, Company.id == company_id, User.zone_id == zone_id,
               Company.zone_id == zone_id)).first()
    if found is None:
        raise Refused(404, "not_found", _l("没有这项分配。"))
    return found[0], found[1]


def unassign(zone_id: int, consultant_id: int | None, company_id: int | None, confirmed: bool) -> tuple[User, Company]:
    """Take a firm from a consultant once staff confirmed it (the confirmation page works without JavaScript)."""
    consultant, company = assignment(zone_id, consultant_id, company_id)
    if not confirmed:
        raise Refused(422, "unconfirmed", _l("请确认后再取消分配。"))
    db.session.execute(sa.delete(Assignment).where(Assignment.consultant_id == consultant.id,
                                                   Assignment.company_id == company.id))
    record("unassign", target=consultant.email, detail={"consultant": consultant.id, "company": company.id})
    db.session.commit()
    return consultant, company


@dataclass
class Search:
    firms: list[tuple[Company, list[str]]]  # each firm with the names of its consultants
    total: int
    page: int
    pages: int


def search(zone_id: int, q: str | None, industry: str | None, unassigned: bool, page: int = 1) -> Search:
    """Firms of the zone by name (any part) or credit code (its start), of one industry (division),
    or only those no consultant looks after."""
    where = [Company.zone_id == zone_id]
    q = (q or "").strip()[:MAX_QUERY]
    if q:
        where.append(sa.or_(Company.name.contains(q, autoescape=True),
                            Company.uscc.startswith(q.upper(), autoescape=True)))
    if industry:
        where.append(Company.industry_division == industry[:2])
    if unassigned:
        where.append(~Company.id.in_(sa.select(Assignment.company_id)))
    total = db.session.scalar(sa.select(sa.func.count()).select_from(Company).where(*where)) or 0
    pages = max(1, -(-total // PER_PAGE))
    page = min(max(1, page), pages)
    firms = db.session.scalars(sa.select(Company).where(*where).order_by(Company.name, Company.id)
                               .offset((page - 1) * PER_PAGE).limit(PER_PAGE)).all()
    names: dict[int, list[str]] = {}
    if firms:
        for cid, name in db.session.execute(
                sa.select(Assignment.company_id, User.name).join(User, User.id == Assignment.consultant_id)
                .where(Assignment.company_id.in_([f.id for f in firms])).order_by(User.name)):
            names.setdefault(cid, []).append(name)
    return Search([(f, names.get(f.id, [])) for f in firms], total, page, pages)


def industries(zone_id: int) -> list[str]:
    """The industry divisions of the zone's firms, for the search's choice."""
    return list(db.session.scalars(sa.select(Company.industry_division).where(Company.zone_id == zone_id)
                                   .distinct().order_by(Company.industry_division)))
