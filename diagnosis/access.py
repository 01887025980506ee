"""Who may see and do what. Every query for tenant data and every role check goes through here.

Enterprise users see their own company; consultants the companies assigned to
them; zone administrators every company of their area: their zone, or the city,
province or sub-zone they are staff of (everything below it, nothing above or beside). A consultant who belongs to
a service provider sees only firms the zone gave to that provider (and of those,
the ones the provider's lead assigned to them); the lead sees all of the provider's
firms; nobody of a provider sees another provider's firms. Anything else is a 404,
so that ids of other tenants' records cannot even be confirmed to exist. A page
or API route meant for other roles answers 403.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import wraps

import sqlalchemy as sa
from flask import abort, g, has_request_context
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from .errors import Refused
from .extensions import db
from .models import Area, Assessment, Assignment, Company, ProviderFirm, User

ENTERPRISE, CONSULTANT, ZONE_ADMIN = "enterprise", "consultant", "zone_admin"
STAFF = (CONSULTANT, ZONE_ADMIN)


def load_user(session_id: str) -> User | None:
    """Flask-Login's user loader: the user of a session cookie. A session names the user and the user's
    session version (User.get_id): logout, a password change or deactivation bump the version, and
    every session made before answers as logged out."""
    uid, _, version = session_id.partition(".")
    version = version or "0"
    if not (uid.isascii() and uid.isdigit() and len(uid) <= 10 and version.isascii() and version.isdigit()
            and len(version) <= 10):
        return None
    user = db.session.get(User, int(uid))
    if user is None or not user.active or int(version) != (user.session_version or 0):
        return None
    return user


def require_role(*roles: str):
    """A view for logged-in users of these roles only; others get 403."""
    def decorate(view):
        @wraps(view)
        @login_required
        def wrapper(*args, **kwargs):
            if current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)
        return wrapper
    return decorate


def has_role(user: User, *roles: str) -> bool:
    return user.role in roles


def ensure_role(user: User, *roles: str) -> None:
    """The same check as `require_role` for the API and services: Refused (403) for other roles."""
    if user.role not in roles:
        raise Refused(403, "forbidden", _l("您的角色不能进行这项操作。"))


@dataclass(frozen=True)
class Scope:
    """What an area's staff see: the zones at or below their area, and within a zone maybe one sub-zone."""
    area_id: int | None
    zone_ids: tuple[int, ...]
    sub_zone: str | None = None


def staff_area(user: User) -> Area | None:
    """The area a staff member belongs to: the one named on the user, else their zone's."""
    if user.area_id is not None:
        return db.session.get(Area, user.area_id)
    if user.zone_id is None:
        return None
    return db.session.scalar(sa.select(Area).where(Area.zone_id == user.zone_id, Area.kind == "zone"))


def staff_scope(user: User) -> Scope:
    """Zone staff's view of the platform; nothing for other roles."""
    from .areas import zone_ids_under
    if user.role != ZONE_ADMIN:
        return Scope(None, ())
    area = staff_area(user)
    if area is None:  # a zone that predates areas and was not migrated: its own zone only
        return Scope(None, (user.zone_id,) if user.zone_id is not None else ())
    zone_ids = tuple(sorted(z for z in db.session.scalars(zone_ids_under(area)) if z is not None))
    return Scope(area.id, zone_ids, area.name if area.kind == "sub_zone" else None)


def area_companies(area: Area) -> sa.ColumnElement:
    """The condition on `companies` for the firms of an area (its zones, or its sub-zone)."""
    from .areas import zone_ids_under
    clause = Company.zone_id.in_(zone_ids_under(area))
    return sa.and_(clause, Company.sub_zone == area.name) if area.kind == "sub_zone" else clause


def ensure_area_visible(user: User, area_id: int | None) -> Area:
    """An area at or below the user's own; 404 for any other (above, beside, or none)."""
    own = staff_area(user) if user.role == ZONE_ADMIN else None
    area = db.session.get(Area, area_id) if area_id else None
    if own is None or area is None or not area.path.startswith(own.path):
        raise Refused(404, "not_found", _l("没有这个地区。"))
    return area


def visible_company_ids(user: User) -> sa.Select:
    if user.role == ENTERPRISE:
        return sa.select(Company.id).where(Company.id == user.company_id)
    if user.role == CONSULTANT and user.provider_id is not None:
        provider_firms = sa.select(ProviderFirm.company_id).where(ProviderFirm.provider_id == user.provider_id)
        if user.provider_lead:
            return sa.select(Company.id).where(Company.zone_id == user.zone_id, Company.id.in_(provider_firms))
        return (
            sa.select(Company.id)
            .join(Assignment, Assignment.company_id == Company.id)
            .where(Assignment.consultant_id == user.id, Company.zone_id == user.zone_id,
                   Company.id.in_(provider_firms))
        )
    if user.role == CONSULTANT:
        return (
            sa.select(Company.id)
            .join(Assignment, Assignment.company_id == Company.id)
            .where(Assignment.consultant_id == user.id, Company.zone_id == user.zone_id)
        )
    if user.role == ZONE_ADMIN:
        scope = staff_scope(user)
        q = sa.select(Company.id).where(Company.zone_id.in_(scope.zone_ids))
        return q.where(Company.sub_zone == scope.sub_zone) if scope.sub_zone else q
    return sa.select(Company.id).where(sa.false())


def find_company(user: User, company_id: int | None) -> Company | None:
    """The company if the user may see it, else None."""
    if company_id is None:
        return None
    found = db.session.scalar(sa.select(Company).where(Company.id == company_id,
                                                       Company.id.in_(visible_company_ids(user))))
    if found is not None:
        note_read(user, "company", found.id)
    return found


def get_company(user: User, company_id: int) -> Company:
    found = find_company(user, company_id)
    if found is None:
        abort(404)
    return found


def assessments_query(user: User) -> sa.Select:
    return sa.select(Assessment).where(Assessment.company_id.in_(visible_company_ids(user)))


def find_assessment(user: User, assessment_id: int) -> Assessment | None:
    """The assessment if the user may see it (a staff read is noted for the audit log), else None."""
    found = db.session.scalar(assessments_query(user).where(Assessment.id == assessment_id))
    if found is not None:
        note_read(user, "assessment", found.id)
    return found


def note_read(user: User, kind: str, ids) -> None:
    """Remember that staff read a firm's data in this request; `audit.flush_reads` writes one event
    per request (objects and route) after the response is made. Firms reading their own data are not noted.
    Every fetch of an assessment or company for a user passes here, so views need no line of their own."""
    ids = ids if isinstance(ids, (list, tuple)) else [ids]
    if user is None or not ids or not is_staff_read(user) or not has_request_context():
        return
    g.staff_reader = user
    seen = g.setdefault("staff_reads", {}).setdefault(kind, [])
    for i in ids:
        if i not in seen:
            seen.append(i)


def get_assessment(user: User, assessment_id: int) -> Assessment:
    found = find_assessment(user, assessment_id)
    if found is None:
        abort(404)
    return found


def can_edit(user: User, assessment: Assessment) -> bool:
    """Drafts are edited by the firm itself or by its assigned consultant, never by zone staff."""
    return assessment.status == "draft" and user.role in (ENTERPRISE, CONSULTANT)


def can_start(user: User) -> bool:
    """Firms start assessments for themselves, consultants for their firms on site; zone staff only read."""
    return user.role in (ENTERPRISE, CONSULTANT)


def can_plan(user: User) -> bool:
    """Firms keep their own improvement plans; their consultants help; zone staff read them."""
    return user.role in (ENTERPRISE, CONSULTANT)


def can_comment(user: User, assessment: Assessment) -> bool:
    """The firm's assigned consultant writes the comments, until they finalise the report."""
    return user.role == CONSULTANT and assessment.status == "submitted" and assessment.finalised_at is None


def sees_draft_comments(viewer: User | None) -> bool:
    """Consultants and zone staff see comments before they are final; the firm sees them once final.
    No viewer (a batch or the command line) is staff."""
    return viewer is None or viewer.role != ENTERPRISE


def is_staff_read(user: User) -> bool:
    """Reads of a firm's data by someone other than the firm are audited."""
    return user.role != ENTERPRISE


def visible_comments(user: User | None, assessment: Assessment) -> str | None:
    """A consultant's comments as this user may read them: the firm once final, staff also the draft."""
    return assessment.comments if assessment.finalised_at is not None or sees_draft_comments(user) else None


# --- The review after submission (issue 18): who may move an assessment from which state. ---

def is_provider_lead(user: User) -> bool:
    return user.role == CONSULTANT and user.provider_id is not None and bool(user.provider_lead)


def manages_provider(user: User, provider_id: int) -> bool:
    """The lead of this provider (assigns its consultants)."""
    return is_provider_lead(user) and user.provider_id == provider_id


# action: (roles allowed, states it starts from). Zone staff review; the firm pledges; the consultant verifies.
TRANSITIONS = {
    "pledge": ((ENTERPRISE,), ("submitted",)),
    "start_verification": ((CONSULTANT,), ("submitted",)),
    "verify": ((CONSULTANT,), ("verifying", "returned")),
    "send_for_review": ((CONSULTANT,), ("verifying", "returned")),
    "return": ((ZONE_ADMIN,), ("in_review",)),
    "approve": ((ZONE_ADMIN,), ("in_review",)),
    "reject": ((ZONE_ADMIN,), ("in_review",)),
    "comment": ((ZONE_ADMIN,), ("in_review",)),
    "reply": ((ENTERPRISE, CONSULTANT), ("returned",)),
    "evidence": ((ENTERPRISE, CONSULTANT), ("draft", "submitted", "verifying", "returned")),
    "note": ((ENTERPRISE, CONSULTANT), ("draft", "submitted", "verifying", "returned")),
    "reopen": ((CONSULTANT,), ("submitted", "verifying", "returned", "approved", "rejected")),
}


def ensure_transition(user: User, assessment: Assessment, action: str) -> None:
    """403 for a role that may never do this; 409 when the assessment is not in a state that allows it."""
    roles, states = TRANSITIONS[action]
    if user.role not in roles:
        raise Refused(403, "forbidden", _l("您的角色不能进行这项操作。"))
    state = assessment.review_state or assessment.status
    if state not in states:
        raise Refused(409, "wrong_state", _l("评估当前的状态不允许这项操作。"), [{"state": state}])


def allowed_actions(user: User, assessment: Assessment) -> set[str]:
    state = assessment.review_state or assessment.status
    return {a for a, (roles, states) in TRANSITIONS.items() if user.role in roles and state in states}
