"""A per-roster-entry copy of what the programme pages, targets and the 台账 read (roster_progress), and
per roster firm its quarters on the programme's instrument (roster_quarters).

Computed from the assessments and results for every request, a roster of 10,000 firms cost ~10,000 index
lookups per query and a page ran 4-6 such queries (0.6-1.7 s at province scale). The copy is kept equal
to that computation the way figures_cube.py keeps its counts: a flush that touches an assessment (start,
submit, review decision, reopen), a result (submit, rescore), a roster entry's company link, invitation or
opening, or a programme's instrument or start marks the entries concerned; just before the commit they
are computed again (`_PROGRESS` below, the one definition of a roster firm's status), in the same
transaction. An ORM bulk insert of roster entries refreshes their programmes; any other bulk statement on
these tables refreshes every programme. Writers that bypass the session (the benchmark's SQL) call
`rebuild()`; the closure of a firm (company/privacy.py) calls `refresh_entries()`.
"""
from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Session

from .models import Assessment, Company, Programme, Result, RosterEntry

_COMPANIES = "roster_progress.companies"   # session.info: company ids whose roster entries may have changed
_ENTRIES = "roster_progress.entries"       # session.info: roster entry ids
_PROGRAMMES = "roster_progress.programmes"  # session.info: programme ids to compute whole
_GONE = "roster_progress.gone"             # session.info: deleted roster entries
_ALL = "roster_progress.all"               # session.info: a bulk statement: every programme again
_RELINKED = "roster_progress.relinked"     # session.info: programmes where an entry left a firm (its quarters go)

# A roster firm's status and dates (the rule the programme page states): started = its first assessment on
# the programme's instrument created since the programme began, submitted = the last submission of those,
# reviewed = the last submission was approved or rejected by the area's staff. `reached`: the first quarter
# with a result of such an assessment (a target's coverage). The level: the firm's latest result on the
# instrument, whenever made; verified when that assessment was approved with a verified level.
_PROGRESS = """
INSERT INTO roster_progress (entry_id, programme_id, company_id, status, decision, started_at, submitted_at,
                             reached, level, verified_level, next_gap, assessment_id)
SELECT e.id, e.programme_id, e.company_id,
       CASE WHEN g.reviewed_at = g.submitted_at THEN 'reviewed' WHEN g.submitted_at IS NOT NULL THEN 'submitted'
            WHEN g.started_at IS NOT NULL THEN 'started' WHEN e.opened_at IS NOT NULL THEN 'opened'
            WHEN e.invited_at IS NOT NULL THEN 'invited' ELSE 'not_invited' END,
       CASE WHEN g.reviewed_at = g.submitted_at THEN
            CASE WHEN g.approved_at = g.submitted_at THEN 'approved' ELSE 'rejected' END END,
       g.started_at, g.submitted_at, g.reached,
       l.level, CASE WHEN la.review_state = 'approved' THEN l.verified_level END, l.next_gap, l.assessment_id
FROM roster_entries e
LEFT JOIN (
  SELECT x.company_id, MIN(x.created_at) AS started_at, MAX(x.submitted_at) AS submitted_at,
         MAX(CASE WHEN x.review_state IN ('approved', 'rejected') THEN x.submitted_at END) AS reviewed_at,
         MAX(CASE WHEN x.review_state = 'approved' THEN x.submitted_at END) AS approved_at,
         MIN(r.period) AS reached
  FROM assessments x JOIN instrument_versions v ON v.id = x.instrument_version_id
  LEFT JOIN results r ON r.assessment_id = x.id AND r.instrument_id = :inst
  WHERE v.instrument_id = :inst AND x.created_at >= :start
    AND x.company_id IN (SELECT e.company_id FROM roster_entries e WHERE e.programme_id = :pid AND {where})
  GROUP BY x.company_id) g ON g.company_id = e.company_id
LEFT JOIN results l ON l.company_id = e.company_id AND l.instrument_id = :inst AND l.is_latest
LEFT JOIN assessments la ON la.id = l.assessment_id
WHERE e.programme_id = :pid AND {where}"""

# Per roster firm, its last result of each quarter with the quarter of its next one.
_QUARTERS = """
INSERT INTO roster_quarters (programme_id, company_id, period, until, level)
SELECT :pid, company_id, period, COALESCE(nxt, ''), level FROM (
  SELECT r.company_id, r.period, r.level,
         LEAD(r.period) OVER (PARTITION BY r.company_id ORDER BY r.period) AS nxt
  FROM results r
  WHERE r.instrument_id = :inst AND r.latest_in_period
    AND r.company_id IN (SELECT DISTINCT e.company_id FROM roster_entries e
                         WHERE e.programme_id = :pid AND e.company_id IS NOT NULL AND {where})) q"""


def _statement(sql: str) -> sa.TextClause:
    # the programme's start as the ORM writes a timestamp (SQLite compares the stored text)
    stmt = sa.text(sql)
    return stmt.bindparams(sa.bindparam("start", type_=sa.DateTime(timezone=True))) if ":start" in sql else stmt


def _programmes(execute, ids: list[int] | None) -> list[tuple[int, str, datetime]]:
    q = "SELECT id, instrument_id, starts_on FROM programmes"
    rows = execute(sa.text(q)).all() if ids is None else [
        r for i in range(0, len(ids), 500) for r in execute(sa.text(q + " WHERE id IN :ids").bindparams(
            sa.bindparam("ids", expanding=True)), {"ids": ids[i:i + 500]}).all()]
    out = []
    for pid, inst, starts_on in rows:
        if isinstance(starts_on, str):
            starts_on = datetime.fromisoformat(starts_on).date()
        out.append((pid, inst, datetime.combine(starts_on, datetime.min.time(), tzinfo=UTC)))
    return out


def _compute(execute, pid: int, inst: str, start: datetime, entry_ids: list[int] | None) -> None:
    """Compute the programme's entries (all, or these) again: delete their rows, insert them anew."""
    params = {"pid": pid, "inst": inst, "start": start}
    chunks = [None] if entry_ids is None else [entry_ids[i:i + 500] for i in range(0, len(entry_ids), 500)]
    for chunk in chunks:
        if chunk is None:
            where, extra = "1 = 1", {}
            execute(sa.text("DELETE FROM roster_progress WHERE programme_id = :pid"), params)
            execute(sa.text("DELETE FROM roster_quarters WHERE programme_id = :pid"), params)
        else:
            where, extra = "e.id IN :ids", {"ids": chunk}
            expand = sa.bindparam("ids", expanding=True)
            execute(sa.text("DELETE FROM roster_progress WHERE entry_id IN :ids").bindparams(expand), {"ids": chunk})
            execute(sa.text("DELETE FROM roster_quarters WHERE programme_id = :pid AND company_id IN "
                            "(SELECT company_id FROM roster_entries WHERE id IN :ids)").bindparams(expand),
                    {**params, "ids": chunk})
        for sql in (_PROGRESS, _QUARTERS):
            stmt = _statement(sql.format(where=where))
            if chunk is not None:
                stmt = stmt.bindparams(sa.bindparam("ids", expanding=True))
            execute(stmt, {**params, **extra})


def rebuild(programme_ids: list[int] | None = None, connection=None) -> None:
    """Compute the copy of these programmes (all without) from the assessments and results."""
    from .extensions import db
    execute = (connection or db.session).execute
    for pid, inst, start in _programmes(execute, programme_ids):
        _compute(execute, pid, inst, start, None)


def refresh_entries(session: Session, entry_ids: list[int]) -> None:
    """Compute these roster entries again now (the closure of a firm calls this after its core deletes,
    which pass no ORM event, with the entries that named the firm)."""
    session.info.setdefault(_ENTRIES, set()).update(entry_ids)
    session.info.setdefault(_RELINKED, set()).update(
        session.scalars(sa.select(RosterEntry.programme_id).where(RosterEntry.id.in_(entry_ids))).all())
    _apply(session)


def entries_of(session: Session, company_ids) -> list[int]:
    ids = sorted(company_ids)
    return [e for i in range(0, len(ids), 500) for e in session.scalars(
        sa.select(RosterEntry.id).where(RosterEntry.company_id.in_(ids[i:i + 500])))]


# --- Keeping it ---------------------------------------------------------------------------------------

_ASSESSMENT = ("status", "review_state", "submitted_at", "created_at", "company_id", "instrument_version_id")
_ENTRY = ("company_id", "invited_at", "opened_at", "programme_id")
_PROGRAMME = ("instrument_id", "starts_on")
# Per table, the columns a bulk UPDATE must set to change the copy (None: any column).
_TABLES = {"assessments": set(_ASSESSMENT), "results": None, "roster_entries": set(_ENTRY),
           "programmes": set(_PROGRAMME), "companies": set(), "instrument_versions": {"instrument_id"}}


def _changed(obj, names) -> bool:
    state = sa.inspect(obj)
    return any(state.attrs[n].history.has_changes() for n in names)


@event.listens_for(Session, "after_flush")
def _mark(session: Session, _context) -> None:
    info = session.info
    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, Assessment | Result):
            if obj in session.new or obj in session.deleted or isinstance(obj, Result) or _changed(obj, _ASSESSMENT):
                for company_id in _history(obj, "company_id"):
                    info.setdefault(_COMPANIES, set()).add(company_id)
        elif isinstance(obj, RosterEntry):
            if obj in session.deleted:
                info.setdefault(_GONE, set()).add(obj.id)
                info.setdefault(_RELINKED, set()).add(obj.programme_id)
            elif obj in session.new or _changed(obj, _ENTRY):
                info.setdefault(_ENTRIES, set()).add(obj.id)
                if obj not in session.new and _changed(obj, ("company_id", "programme_id")):
                    info.setdefault(_RELINKED, set()).update(_history(obj, "programme_id"))
        elif isinstance(obj, Programme):
            if obj not in session.new and obj not in session.deleted and _changed(obj, _PROGRAMME):
                info.setdefault(_PROGRAMMES, set()).add(obj.id)
        elif isinstance(obj, Company) and obj in session.deleted:
            info.setdefault(_COMPANIES, set()).add(obj.id)


def _history(obj, name: str) -> list:
    hist = sa.inspect(obj).attrs[name].history
    return [v for v in (*hist.deleted, *hist.unchanged, *hist.added) if v is not None]


def _set_columns(state) -> set[str] | None:
    """The columns a bulk UPDATE sets, or None when they cannot be told."""
    names = set()
    for key in getattr(state.statement, "_values", None) or {}:
        names.add(getattr(key, "key", key) if not isinstance(key, str) else key)
    params = state.parameters
    for row in (params if isinstance(params, list) else [params] if params else []):
        names.update(k for k in row if k != "id")
    return names or None


@event.listens_for(Session, "do_orm_execute")
def _bulk(state) -> None:
    if not (state.is_insert or state.is_update or state.is_delete):
        return
    table = getattr(state.statement, "table", None)
    name = getattr(table, "name", None)
    if name not in _TABLES:
        return
    info = state.session.info
    if name == "roster_entries" and state.is_insert and isinstance(state.parameters, list | dict):
        rows = state.parameters if isinstance(state.parameters, list) else [state.parameters]
        if rows and all("programme_id" in r for r in rows):  # a roster import: its programme
            info.setdefault(_PROGRAMMES, set()).update(r["programme_id"] for r in rows)
            return
    if state.is_update:
        relevant = _TABLES[name]
        columns = _set_columns(state)
        if relevant is not None and columns is not None and not columns & relevant:
            return  # e.g. a closed firm's roster lines lose their name and contact: nothing here changes
    elif name == "companies":
        return  # a firm deleted by a core statement: its closure refreshes its entries (refresh_entries)
    info[_ALL] = True


def _pending(session: Session) -> bool:
    return any(session.info.get(k) for k in _KEYS)


def _apply(session: Session) -> None:
    if not _pending(session):
        return
    info = session.info
    everything = info.pop(_ALL, False)
    companies, entries = info.pop(_COMPANIES, set()), set(info.pop(_ENTRIES, set()))
    whole, gone = set(info.pop(_PROGRAMMES, set())), info.pop(_GONE, set())
    relinked = info.pop(_RELINKED, set())
    execute = session.execute
    if gone:  # SQLite may not cascade: the rows of deleted entries go by hand
        ids = sorted(gone)
        for i in range(0, len(ids), 500):
            execute(sa.text("DELETE FROM roster_progress WHERE entry_id IN :ids").bindparams(
                sa.bindparam("ids", expanding=True)), {"ids": ids[i:i + 500]})
    if everything:
        todo: dict[int, set[int] | None] = {pid: None for pid, in execute(sa.text("SELECT id FROM programmes"))}
    else:
        todo = {pid: None for pid in whole}
        entries.update(entries_of(session, companies))
        ids = sorted(entries)
        for i in range(0, len(ids), 500):
            for eid, pid in session.execute(sa.select(RosterEntry.id, RosterEntry.programme_id)
                                            .where(RosterEntry.id.in_(ids[i:i + 500]))):
                if pid in todo and todo[pid] is None:
                    continue
                todo.setdefault(pid, set()).add(eid)
    if not todo:
        return
    postgres = session.get_bind().dialect.name == "postgresql"
    for pid, inst, start in _programmes(execute, sorted(todo)):
        if postgres:  # two commits on one programme do not compute over each other
            execute(sa.text("SELECT pg_advisory_xact_lock(4218, :p)"), {"p": pid})
        chosen = todo[pid]
        _compute(execute, pid, inst, start, None if chosen is None or len(chosen) > 2000 else sorted(chosen))
    for pid in sorted(relinked - {p for p, chosen in todo.items() if chosen is None}):
        # a firm no entry of the programme names any more: its quarters go
        execute(sa.text("DELETE FROM roster_quarters WHERE programme_id = :p AND NOT EXISTS (SELECT 1 FROM "
                        "roster_entries e WHERE e.programme_id = :p AND e.company_id = roster_quarters.company_id)"),
                {"p": pid})


_KEYS = (_COMPANIES, _ENTRIES, _PROGRAMMES, _GONE, _ALL, _RELINKED)


@event.listens_for(Session, "before_commit")
def _refresh(session: Session) -> None:
    session.flush()
    _apply(session)


@event.listens_for(Session, "after_soft_rollback")
def _forget(session: Session, _previous) -> None:
    for key in _KEYS:
        session.info.pop(key, None)
