"""Providers: zone staff register them, attach consultants and give them firms; a provider's lead
assigns its consultants to its firms. Shared by the web pages, the API and the demo seeder."""
from __future__ import annotations

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from ..access import CONSULTANT, ZONE_ADMIN, ensure_role, manages_provider, staff_scope, visible_company_ids
from ..audit import record
from ..credit_codes import normalise_uscc, uscc_error
from ..errors import Refused
from ..extensions import db
from ..models import Assignment, Company, Provider, ProviderFirm, RosterEntry, User, Zone, utcnow
from ..notifications.service import notify
from ..zone.assignments import Assigned, parse_codes


def _text(raw, limit: int, field: str, required: bool = True) -> str | None:
    value = (raw or "").strip() if isinstance(raw, str) or raw is None else None
    if value is None or len(value) > limit or required and not value:
        raise Refused(422, "bad_field", _l("请检查这一项：%(field)s", field=field), [{"field": field}])
    return value or None


def zone_providers(user: User) -> list[Provider]:
    """The providers staff see: those of every zone at or below their area (a zone's staff: their zone's;
    a city's or province's: their zones', zone by zone); a provider's consultant: their own."""
    if user.role == ZONE_ADMIN:
        zones = staff_scope(user).zone_ids
        return db.session.scalars(sa.select(Provider).join(Zone, Zone.id == Provider.zone_id)
                                  .where(Provider.zone_id.in_(zones)).order_by(Zone.name, Provider.name)).all()
    if user.role == CONSULTANT and user.provider_id is not None:
        return db.session.scalars(sa.select(Provider).where(Provider.zone_id == user.zone_id,
                                                            Provider.id == user.provider_id)).all()
    return []


def get_provider(user: User, provider_id: int) -> Provider:
    """The provider if the user may see it (staff of its zone or of an area above it, or its own
    consultants); else 404."""
    p = db.session.get(Provider, provider_id) if isinstance(provider_id, int) else None
    if p is None or not (user.role == ZONE_ADMIN and p.zone_id in staff_scope(user).zone_ids
                         or user.role == CONSULTANT and user.provider_id == p.id and p.zone_id == user.zone_id):
        raise Refused(404, "not_found", _l("找不到这家服务商，或您无权查看。"))
    return p


def manages(user: User, p: Provider) -> bool:
    """The staff of the provider's own zone manage it; staff of the areas above only look."""
    return user.role == ZONE_ADMIN and user.zone_id is not None and user.zone_id == p.zone_id


def _managed(staff: User, provider_id: int) -> Provider:
    ensure_role(staff, ZONE_ADMIN)
    p = get_provider(staff, provider_id)
    if not manages(staff, p):
        raise Refused(403, "forbidden", _l("服务商由其所在园区的管理人员管理。"))
    return p


def create(staff: User, name, credit_code, contact=None, qualification=None) -> Provider:
    ensure_role(staff, ZONE_ADMIN)
    if staff.zone_id is None:
        raise Refused(403, "forbidden", _l("服务商由其所在园区的管理人员登记。"))
    code = normalise_uscc(credit_code or "") if isinstance(credit_code, str) else ""
    if uscc_error(code):
        raise Refused(422, "bad_credit_code", _l("统一社会信用代码不正确。"), [{"field": "credit_code"}])
    p = Provider(zone_id=staff.zone_id, name=_text(name, 200, "name"), credit_code=code,
                 contact=_text(contact, 200, "contact", required=False),
                 qualification=_text(qualification, 4000, "qualification", required=False))
    if db.session.scalar(sa.select(Provider.id).where(Provider.zone_id == staff.zone_id, Provider.credit_code == code)):
        raise Refused(409, "duplicate", _l("这家服务商已在服务商库中。"))
    db.session.add(p)
    db.session.flush()
    record("provider_create", target=f"provider:{p.id}", detail={"name": p.name, "credit_code": p.credit_code},
           user=staff)
    db.session.commit()
    return p


def set_active(staff: User, provider_id: int, active: bool) -> Provider:
    """Suspend a provider (it gets no new firms) or let it work again."""
    p = _managed(staff, provider_id)
    if p.active != bool(active):
        p.active = bool(active)
        record("provider_resume" if p.active else "provider_suspend", target=f"provider:{p.id}",
               detail={"name": p.name}, user=staff)
    db.session.commit()
    return p


def add_member(staff: User, provider_id: int, email, lead: bool = False) -> User:
    """Make a consultant account of the zone one of the provider's consultants (or its lead)."""
    p = _managed(staff, provider_id)
    address = (email or "").strip().lower() if isinstance(email, str) else ""
    u = db.session.scalar(sa.select(User).where(sa.func.lower(User.email) == address, User.zone_id == staff.zone_id,
                                                User.role == CONSULTANT))
    if u is None:
        raise Refused(422, "unknown_consultant", _l("本园区没有这个顾问账号。"), [{"field": "email"}])
    if u.provider_id not in (None, p.id):
        raise Refused(409, "other_provider", _l("这位顾问已属于另一家服务商。"))
    if (u.provider_id, bool(u.provider_lead)) != (p.id, bool(lead)):
        u.provider_id, u.provider_lead = p.id, bool(lead)
        record("provider_member_add", target=f"provider:{p.id}", detail={"user": u.id, "email": u.email,
                                                                        "lead": bool(lead)}, user=staff)
    db.session.commit()
    return u


def remove_member(staff: User, provider_id: int, user_id) -> User:
    """Take a consultant out of the provider: they lose the provider's firms (their assignments to them go)."""
    p = _managed(staff, provider_id)
    u = db.session.get(User, user_id) if isinstance(user_id, int) else None
    if u is None or u.provider_id != p.id:
        raise Refused(422, "unknown_consultant", _l("这位顾问不属于本服务商。"), [{"field": "user"}])
    firm_ids = sa.select(ProviderFirm.company_id).where(ProviderFirm.provider_id == p.id)
    gone = db.session.execute(sa.delete(Assignment).where(Assignment.consultant_id == u.id,
                                                          Assignment.company_id.in_(firm_ids))).rowcount
    u.provider_id, u.provider_lead = None, False
    record("provider_member_remove", target=f"provider:{p.id}", detail={"user": u.id, "email": u.email,
                                                                       "assignments_removed": gone}, user=staff)
    db.session.commit()
    return u


def members(p: Provider) -> list[User]:
    return db.session.scalars(sa.select(User).where(User.provider_id == p.id)
                              .order_by(User.provider_lead.desc(), User.name)).all()


def firms(p: Provider, viewer: User | None = None) -> list[Company]:
    """The provider's firms (those the viewer may see: a sub-zone's staff, their sub-zone's)."""
    q = sa.select(Company).join(ProviderFirm, ProviderFirm.company_id == Company.id).where(ProviderFirm.provider_id == p.id)
    if viewer is not None:
        q = q.where(Company.id.in_(visible_company_ids(viewer)))
    return db.session.scalars(q.order_by(Company.name)).all()


def consultant_of(p: Provider) -> dict[int, list[User]]:
    """Each firm of the provider with the provider's consultants assigned to it."""
    rows = db.session.execute(sa.select(Assignment.company_id, User).join(User, User.id == Assignment.consultant_id)
                              .where(User.provider_id == p.id).order_by(User.name)).all()
    out: dict[int, list[User]] = {}
    for cid, u in rows:
        out.setdefault(cid, []).append(u)
    return out


def assign_firms(staff: User, provider_id: int, codes: list[str]) -> Assigned:
    """Give the zone's firms with these credit codes to the provider (taking them from any other provider)."""
    p = _managed(staff, provider_id)
    found = dict(db.session.execute(sa.select(Company.uscc, Company.id).where(
        Company.zone_id == staff.zone_id, Company.uscc.in_(codes))).all()) if codes else {}
    return _give(staff, p, list(dict.fromkeys(found.values())), [c for c in codes if c not in found])


def _give(staff: User, p: Provider, company_ids: list[int], unknown: list[str], via: dict | None = None) -> Assigned:
    """Give these firms of the zone to the provider, audited and told to its leads; commits."""
    if not p.active:
        raise Refused(409, "suspended", _l("该服务商已暂停，不能分配企业。"))
    added, moved = [], []
    for cid in company_ids:
        row = db.session.get(ProviderFirm, cid)
        if row is not None and row.provider_id == p.id:
            continue
        if row is not None:  # moved from another provider: its consultants lose the firm
            moved.append({"company": cid, "from": row.provider_id})
            old = sa.select(User.id).where(User.provider_id == row.provider_id)
            db.session.execute(sa.delete(Assignment).where(Assignment.company_id == cid,
                                                           Assignment.consultant_id.in_(old)))
            row.provider_id, row.assigned_by_id, row.assigned_at = p.id, staff.id, utcnow()
        else:
            db.session.add(ProviderFirm(company_id=cid, provider_id=p.id, assigned_by_id=staff.id))
        added.append(cid)
    if added:
        for lead in db.session.scalars(sa.select(User).where(User.provider_id == p.id, User.provider_lead.is_(True))):
            notify(lead, "provider_firms", f"/providers/{p.id}", n=len(added), provider=p.name)
        record("provider_firms", target=f"provider:{p.id}",
               detail={"added": len(added), "companies": added[:500], "moved": moved[:500], **(via or {})}, user=staff)
    db.session.commit()
    return Assigned(len(added), unknown)


def assign_programme(staff: User, provider_id: int, programme_id, sub_zone=None, status=None) -> Assigned:
    """Give a programme's roster slice to the provider in one step: its registered roster firms, or those of
    one sub-zone (the roster's 片区) and/or one status. Roster firms not registered yet cannot be given:
    their credit codes come back as unknown."""
    from ..programmes import service as programmes
    p = _managed(staff, provider_id)
    prog = programmes.get(staff, programme_id) if isinstance(programme_id, int) else None
    if prog is None:
        raise Refused(404, "not_found", _l("没有这个项目，或您无权查看。"))
    if prog.zone_id != p.zone_id:
        raise Refused(422, "other_zone", _l("这个项目的名单不在该服务商所在的园区。"), [{"field": "programme"}])
    sub = _text(sub_zone, 100, "sub_zone", required=False)
    if status not in (None, "") and status not in programmes.STATUSES:
        raise Refused(422, "bad_status", _l("没有这个状态。"), [{"field": "status"}])
    q = programmes.roster_query(prog, status or None)
    if sub:
        q = q.where(RosterEntry.sub_zone == sub)
    entries = [row[0] for row in db.session.execute(q)]
    ids = set(db.session.scalars(sa.select(Company.id).where(
        Company.id.in_([e.company_id for e in entries if e.company_id]), Company.zone_id == p.zone_id)))
    return _give(staff, p, [e.company_id for e in entries if e.company_id in ids],
                 [e.uscc for e in entries if e.company_id not in ids],
                 via={"programme": prog.id, "sub_zone": sub, "status": status or None, "roster": len(entries)})


def programme_choices(staff: User, p: Provider) -> list[tuple[int, str, list[str]]]:
    """The programmes whose roster the staff member may give to this provider, each with its roster's sub-zones."""
    if not manages(staff, p):
        return []
    from ..programmes import service as programmes
    out = []
    for prog in programmes.listing(staff):
        if prog.zone_id == p.zone_id and prog.status != "closed":
            subs = db.session.scalars(sa.select(RosterEntry.sub_zone).where(
                RosterEntry.programme_id == prog.id, RosterEntry.sub_zone.is_not(None)).distinct()
                .order_by(RosterEntry.sub_zone)).all()
            out.append((prog.id, prog.name, subs))
    return out


def assign_consultant(lead: User, provider_id: int, consultant_id, company_id) -> None:
    """The provider's lead assigns one of its consultants to one of its firms."""
    if not manages_provider(lead, provider_id):
        raise Refused(403, "forbidden", _l("只有服务商负责人可以分配顾问。"))
    p = get_provider(lead, provider_id)
    consultant = db.session.get(User, consultant_id) if isinstance(consultant_id, int) else None
    if consultant is None or consultant.provider_id != p.id:
        raise Refused(422, "unknown_consultant", _l("这位顾问不属于本服务商。"), [{"field": "consultant"}])
    firm = db.session.get(ProviderFirm, company_id) if isinstance(company_id, int) else None
    if firm is None or firm.provider_id != p.id:
        raise Refused(422, "unknown_firm", _l("这家企业没有分配给本服务商。"), [{"field": "company"}])
    if db.session.get(Assignment, (consultant.id, company_id)) is None:
        db.session.add(Assignment(consultant_id=consultant.id, company_id=company_id))
        name = db.session.get(Company, company_id).name
        notify(consultant, "assigned", "/workspace/", n=1, firms=name)
        record("provider_consultant_assign", target=f"company:{company_id}",
               detail={"provider": p.id, "consultant": consultant.id}, user=lead)
    db.session.commit()


def unassign_consultant(lead: User, provider_id: int, consultant_id, company_id) -> None:
    if not manages_provider(lead, provider_id):
        raise Refused(403, "forbidden", _l("只有服务商负责人可以分配顾问。"))
    p = get_provider(lead, provider_id)
    gone = db.session.execute(sa.delete(Assignment).where(
        Assignment.consultant_id == consultant_id, Assignment.company_id == company_id,
        Assignment.consultant_id.in_(sa.select(User.id).where(User.provider_id == p.id)))).rowcount
    if gone:
        record("provider_consultant_unassign", target=f"company:{company_id}",
               detail={"provider": p.id, "consultant": consultant_id}, user=lead)
    db.session.commit()


def parse(raw) -> list[str]:
    return parse_codes(raw) if isinstance(raw, str) else []
