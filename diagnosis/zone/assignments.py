"""Which consultant looks after which firms of a zone."""
from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from ..extensions import db
from ..models import Assignment, Company, User
from ..notifications.service import notify


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
    db.session.commit()
    return Assigned(len(added), [c for c in codes if c not in found])


def unassign(consultant: User, company_id: int | None) -> None:
    db.session.execute(sa.delete(Assignment).where(Assignment.consultant_id == consultant.id,
                                                   Assignment.company_id == company_id))
    db.session.commit()
