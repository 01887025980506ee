"""Database models: zones, companies, users, instrument snapshots, assessments, answers, results."""
from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from .extensions import db

ROLES = ("enterprise", "consultant", "zone_admin")
CLOSURE_MODES = ("anonymise", "delete")


def utcnow() -> datetime:
    return datetime.now(UTC)


class Zone(db.Model):
    __tablename__ = "zones"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    invite_code: Mapped[str] = mapped_column(sa.String(64), unique=True)
    sub_zones: Mapped[Any] = mapped_column(sa.JSON, nullable=True, default=list)  # names of the zone's parks or districts
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
    # What a confirmed account closure does to a firm (CLOSURE_MODES): keep its assessments without
    # identity for the statistics, or remove the company and everything of it.
    closure_mode: Mapped[str] = mapped_column(sa.String(10), default="anonymise", server_default="anonymise")


AREA_KINDS = ("province", "city", "zone", "sub_zone")


class Area(db.Model):
    """A level of government or a part of a zone: province, city, district/zone, sub-zone.

    `path` holds the ids from the top down ("/1/4/9/"), so everything below an area is one
    indexed prefix match. A zone area names its Zone row; a sub-zone area names its zone and
    matches the zone's firms by their `sub_zone`.
    """

    __tablename__ = "areas"
    id: Mapped[int] = mapped_column(primary_key=True)
    parent_id: Mapped[int | None] = mapped_column(sa.ForeignKey("areas.id"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(16))
    name: Mapped[str] = mapped_column(sa.String(200))
    path: Mapped[str] = mapped_column(sa.String(255), default="", index=True)
    zone_id: Mapped[int | None] = mapped_column(sa.ForeignKey("zones.id"), index=True)

    __table_args__ = (sa.CheckConstraint(f"kind IN {AREA_KINDS}", name="ck_areas_kind"),)


class Company(db.Model):
    __tablename__ = "companies"
    id: Mapped[int] = mapped_column(primary_key=True)
    zone_id: Mapped[int] = mapped_column(sa.ForeignKey("zones.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    uscc: Mapped[str] = mapped_column(sa.String(18), unique=True)
    industry_section: Mapped[str] = mapped_column(sa.String(1))
    industry_division: Mapped[str] = mapped_column(sa.String(2), index=True)
    employees: Mapped[int] = mapped_column(sa.Integer)
    revenue: Mapped[float] = mapped_column(sa.Float)  # annual revenue, 10k yuan
    size_class: Mapped[str] = mapped_column(sa.String(8), index=True)
    sub_zone: Mapped[str | None] = mapped_column(sa.String(100), index=True)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)

    zone: Mapped[Zone] = relationship()


class User(UserMixin, db.Model):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    role: Mapped[str] = mapped_column(sa.String(16))
    # Staff of a city or province have no zone of their own: their area says what they see.
    zone_id: Mapped[int | None] = mapped_column(sa.ForeignKey("zones.id"), index=True)
    company_id: Mapped[int | None] = mapped_column(sa.ForeignKey("companies.id"), index=True)
    # Staff of an area other than their zone (a city, a province, a sub-zone); None: staff of their zone.
    area_id: Mapped[int | None] = mapped_column(sa.ForeignKey("areas.id"), index=True)
    failed_logins: Mapped[int] = mapped_column(sa.Integer, default=0)  # unused: see LoginThrottle
    locked_until: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))  # unused: see LoginThrottle
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
    lang: Mapped[str] = mapped_column(sa.String(2), default="zh", server_default="zh")  # for mail and notifications
    notify_by_mail: Mapped[bool] = mapped_column(sa.Boolean, default=True, server_default=sa.true())
    # Part of every session's identity (get_id): bumping it ends all sessions of the user
    # (logout, password change, deactivation).
    session_version: Mapped[int] = mapped_column(sa.Integer, default=0, server_default="0")
    active: Mapped[bool] = mapped_column(sa.Boolean, default=True, server_default=sa.true())
    # A consultant of a service provider sees only that provider's firms; the lead assigns its consultants.
    provider_id: Mapped[int | None] = mapped_column(sa.ForeignKey("providers.id"), index=True)
    provider_lead: Mapped[bool] = mapped_column(sa.Boolean, default=False, server_default=sa.false())
    # Which privacy notice the user accepted, and when (个人信息保护法: consent is recorded).
    privacy_version: Mapped[str | None] = mapped_column(sa.String(16))
    privacy_accepted_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    # The invitation code the firm registered with (None: the zone's standing code, or made by staff).
    invite_code_id: Mapped[int | None] = mapped_column(sa.ForeignKey("invite_codes.id"), index=True)

    zone: Mapped[Zone] = relationship()
    company: Mapped[Company | None] = relationship()

    __table_args__ = (sa.CheckConstraint(f"role IN {ROLES}", name="ck_users_role"),)

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return bool(self.active)

    def get_id(self) -> str:
        return f"{self.id}.{self.session_version or 0}"

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password)

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)


class Assignment(db.Model):
    """A consultant assigned to a company by the zone administrator."""

    __tablename__ = "assignments"
    consultant_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), primary_key=True)
    company_id: Mapped[int] = mapped_column(sa.ForeignKey("companies.id"), primary_key=True, index=True)


class InstrumentVersion(db.Model):
    """A snapshot of an instrument definition, kept forever so old answers score as they were given."""

    __tablename__ = "instrument_versions"
    id: Mapped[int] = mapped_column(primary_key=True)
    instrument_id: Mapped[str] = mapped_column(sa.String(64), index=True)
    version: Mapped[str] = mapped_column(sa.String(32))
    content_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    definition: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)


class Assessment(db.Model):
    __tablename__ = "assessments"
    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(sa.ForeignKey("companies.id"), index=True)
    instrument_version_id: Mapped[int] = mapped_column(sa.ForeignKey("instrument_versions.id"), index=True)
    status: Mapped[str] = mapped_column(sa.String(16), default="draft", index=True)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow, onupdate=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    # The consultant's comments go into the report; finalising freezes them.
    comments: Mapped[str | None] = mapped_column(sa.Text)
    finalised_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    finalised_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), index=True)
    # Subdomains a consultant marked 不适用: {indicator id: {"reason", "by", "at"}}.
    not_applicable: Mapped[dict | None] = mapped_column(sa.JSON)
    # The review after submission (REVIEW_STATES); None for a draft. The firm's truthfulness pledge:
    # which text version it signed, who and when.
    review_state: Mapped[str | None] = mapped_column(sa.String(16), index=True)
    pledge_version: Mapped[str | None] = mapped_column(sa.String(16))
    pledged_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), index=True)
    pledged_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    # A consultant's reopened copy points at the assessment it revises; the old one keeps its result.
    revision_of_id: Mapped[int | None] = mapped_column(sa.ForeignKey("assessments.id"), index=True)
    # A re-assessment started from the firm's previous submitted assessment on the same instrument.
    carried_from_id: Mapped[int | None] = mapped_column(sa.ForeignKey("assessments.id"), index=True)

    company: Mapped[Company] = relationship()
    finalised_by: Mapped[User | None] = relationship(foreign_keys=[finalised_by_id])
    pledged_by: Mapped[User | None] = relationship(foreign_keys=[pledged_by_id])
    instrument_version: Mapped[InstrumentVersion] = relationship()
    answers: Mapped[list[Answer]] = relationship(back_populates="assessment", cascade="all, delete-orphan")
    result: Mapped[Result | None] = relationship(back_populates="assessment", cascade="all, delete-orphan", uselist=False)

    __table_args__ = (sa.CheckConstraint("status IN ('draft', 'submitted')", name="ck_assessments_status"),)

    def answer_dict(self) -> dict[str, Any]:
        return {a.question_id: a.value for a in self.answers if a.value is not None}

    def not_applicable_reasons(self) -> dict[str, str]:
        """Subdomain id -> the consultant's reason, as scoring takes them."""
        return {k: v["reason"] for k, v in (self.not_applicable or {}).items()}


class Answer(db.Model):
    """One answer to one question; a row per question lets two tabs save different questions without clashing."""

    __tablename__ = "answers"
    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = mapped_column(sa.ForeignKey("assessments.id", ondelete="CASCADE"))
    question_id: Mapped[str] = mapped_column(sa.String(64))
    value: Mapped[Any] = mapped_column(sa.JSON, nullable=True)
    updated_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow, onupdate=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), index=True)
    # Bumped by every write; an UPDATE only succeeds on the version it read (optimistic locking),
    # and a client says which version it edited, so a stale tab cannot overwrite a newer answer.
    version: Mapped[int] = mapped_column(sa.Integer, default=1, server_default="1")
    # A re-assessment's answer carried from the last one: the value carried, and whether it still
    # waits for the user to confirm it (cleared by confirming or changing the answer).
    carried_value: Mapped[Any] = mapped_column(sa.JSON, nullable=True)
    carried_pending: Mapped[bool] = mapped_column(sa.Boolean, default=False, server_default=sa.false())

    assessment: Mapped[Assessment] = relationship(back_populates="answers")
    updated_by: Mapped[User | None] = relationship()

    __table_args__ = (sa.UniqueConstraint("assessment_id", "question_id", name="uq_answers_question"),)
    __mapper_args__ = {"version_id_col": version}


class AnswerChange(db.Model):
    """Every change to an answer: who, when, through what, from what to what."""

    __tablename__ = "answer_changes"
    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = mapped_column(sa.ForeignKey("assessments.id", ondelete="CASCADE"), index=True)
    question_id: Mapped[str] = mapped_column(sa.String(64))
    old_value: Mapped[Any] = mapped_column(sa.JSON, nullable=True)
    new_value: Mapped[Any] = mapped_column(sa.JSON, nullable=True)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), index=True)
    via: Mapped[str] = mapped_column(sa.String(16), default="web")  # web, api, import
    at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)

    user: Mapped[User | None] = relationship()


class Result(db.Model):
    """The scored outcome of a submitted assessment.

    The company, instrument, period and latest flags are copies kept so that zone
    aggregates are plain indexed GROUP BY queries over 100,000s of rows.
    """

    __tablename__ = "results"
    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = mapped_column(sa.ForeignKey("assessments.id", ondelete="CASCADE"), unique=True)
    company_id: Mapped[int] = mapped_column(sa.ForeignKey("companies.id"), index=True)
    instrument_id: Mapped[str] = mapped_column(sa.String(64), index=True)
    period: Mapped[str] = mapped_column(sa.String(7), index=True)  # quarter of submission, e.g. 2026Q3
    is_latest: Mapped[bool] = mapped_column(sa.Boolean, default=True, index=True)  # the firm's latest on this instrument
    latest_in_period: Mapped[bool] = mapped_column(sa.Boolean, default=True)   # ... within its period
    previous_level: Mapped[int | None] = mapped_column(sa.Integer)  # level of the firm's previous result, if any
    next_gap: Mapped[float | None] = mapped_column(sa.Float)  # summed relative shortfall to the next level; None at the top
    method: Mapped[str] = mapped_column(sa.String(32))
    total: Mapped[float] = mapped_column(sa.Float)
    level: Mapped[int] = mapped_column(sa.Integer, index=True)
    dimensions: Mapped[Any] = mapped_column(sa.JSON)  # {dimension id: {points, max_points, percent}}
    details: Mapped[Any] = mapped_column(sa.JSON)     # indicators, blockers, hidden questions
    # Indicator attainments again, on their own: peer benchmarks read them for every firm,
    # and parsing the whole `details` of 100,000 results took seconds.
    indicators: Mapped[Any] = mapped_column(sa.JSON, nullable=True)
    computed_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow, index=True)
    # The same scoring on the consultant's verified answers; None until verification is sent for review.
    verified_level: Mapped[int | None] = mapped_column(sa.Integer, index=True)
    verified_total: Mapped[float | None] = mapped_column(sa.Float)
    verified_dimensions: Mapped[Any] = mapped_column(sa.JSON, nullable=True)

    assessment: Mapped[Assessment] = relationship(back_populates="result")
    dimension_scores: Mapped[list[DimensionScore]] = relationship(cascade="all, delete-orphan")

    __table_args__ = (
        sa.Index("ix_results_zone_view", "instrument_id", "is_latest", "company_id"),
        # the firm lists "closest to the next level" and "stalled" walk these in order and stop at a page
        sa.Index("ix_results_closest", "instrument_id", "is_latest", "next_gap", "company_id"),
        # a roster's firms looked up one by one (targets of a programme): answered from the index alone
        sa.Index("ix_results_firm", "company_id", "instrument_id", "is_latest", "latest_in_period", "level", "period"),
        sa.Index("ix_results_stalled", "instrument_id", "is_latest", "total",
                 postgresql_where=sa.text("previous_level IS NOT NULL"), sqlite_where=sa.text("previous_level IS NOT NULL")),
    )


class DimensionScore(db.Model):
    """One dimension's attainment of one result, as a row for GROUP BY."""

    __tablename__ = "dimension_scores"
    result_id: Mapped[int] = mapped_column(sa.ForeignKey("results.id", ondelete="CASCADE"), primary_key=True)
    dimension_id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    percent: Mapped[float] = mapped_column(sa.Float)


class FigureCell(db.Model):
    """A per-zone pre-aggregate of `results` for city and province figures (diagnosis/figures_cube.py):
    how many firms of one zone, instrument, industry and size class stand at one level, in one scope
    ('latest': each firm's latest result; or a quarter: each firm's last result of it, with `until`
    the quarter of its next result, '' if none), self-assessed or verified; for the whole zone and again
    per sub-zone. Kept by session events."""

    __tablename__ = "figure_cells"
    zone_id: Mapped[int] = mapped_column(sa.ForeignKey("zones.id", ondelete="CASCADE"), primary_key=True)
    instrument_id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    industry: Mapped[str] = mapped_column(sa.String(2), primary_key=True)
    size: Mapped[str] = mapped_column(sa.String(8), primary_key=True)
    scope: Mapped[str] = mapped_column(sa.String(7), primary_key=True)
    until: Mapped[str] = mapped_column(sa.String(7), primary_key=True)
    verified: Mapped[bool] = mapped_column(sa.Boolean, primary_key=True)
    level: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    # '' : every firm of the zone; a sub-zone's name: its firms only (the same counts again, for the filter)
    sub_zone: Mapped[str] = mapped_column(sa.String(100), primary_key=True, default="")
    n: Mapped[int] = mapped_column(sa.Integer)
    sum_total: Mapped[float] = mapped_column(sa.Float)
    n_closest: Mapped[int] = mapped_column(sa.Integer)   # next_gap set: not at the top level
    n_stalled: Mapped[int] = mapped_column(sa.Integer)   # re-assessed without a level gained, not at the top
    n_up: Mapped[int] = mapped_column(sa.Integer)
    n_same: Mapped[int] = mapped_column(sa.Integer)
    n_down: Mapped[int] = mapped_column(sa.Integer)

    __table_args__ = (sa.Index("ix_figure_cells_read", "instrument_id", "verified", "sub_zone", "scope", "zone_id"),)


class FigureDim(db.Model):
    """Summed dimension attainment per zone, instrument, industry, size class and scope (see FigureCell)."""

    __tablename__ = "figure_dims"
    zone_id: Mapped[int] = mapped_column(sa.ForeignKey("zones.id", ondelete="CASCADE"), primary_key=True)
    instrument_id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    industry: Mapped[str] = mapped_column(sa.String(2), primary_key=True)
    size: Mapped[str] = mapped_column(sa.String(8), primary_key=True)
    scope: Mapped[str] = mapped_column(sa.String(7), primary_key=True)
    verified: Mapped[bool] = mapped_column(sa.Boolean, primary_key=True)
    dimension_id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    sub_zone: Mapped[str] = mapped_column(sa.String(100), primary_key=True, default="")  # as in FigureCell
    n: Mapped[int] = mapped_column(sa.Integer)
    sum_percent: Mapped[float] = mapped_column(sa.Float)

    __table_args__ = (sa.Index("ix_figure_dims_read", "instrument_id", "verified", "sub_zone", "scope", "zone_id"),)


class ReportBatch(db.Model):
    """A batch of firm reports built on the task queue into one ZIP."""

    __tablename__ = "report_batches"
    id: Mapped[int] = mapped_column(primary_key=True)
    created_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    zone_id: Mapped[int] = mapped_column(sa.ForeignKey("zones.id"), index=True)
    filters: Mapped[Any] = mapped_column(sa.JSON)          # instrument, industry, size class, level
    lang: Mapped[str] = mapped_column(sa.String(2), default="zh")
    status: Mapped[str] = mapped_column(sa.String(16), default="queued")
    total: Mapped[int] = mapped_column(sa.Integer, default=0)
    done: Mapped[int] = mapped_column(sa.Integer, default=0)
    failures: Mapped[Any] = mapped_column(sa.JSON, default=list)  # [{assessment, company, reason}]
    path: Mapped[str | None] = mapped_column(sa.String(500))
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    # The batch's own steps (counting the firms, writing the ZIP) hold a lease like the parts do.
    attempts: Mapped[int] = mapped_column(sa.Integer, default=0, server_default="0")
    lease_until: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    error: Mapped[str | None] = mapped_column(sa.String(300))  # why a failed batch failed

    __table_args__ = (sa.CheckConstraint("status IN ('queued', 'running', 'done', 'failed')", name="ck_report_batches_status"),)


class ReportPart(db.Model):
    """Some reports of a batch, rendered by one queue task that holds a lease on it.

    A worker renews the lease after every report; a running part whose lease ran out
    lost its worker (killed, crashed) and is queued again, at most twice."""

    __tablename__ = "report_parts"
    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(sa.ForeignKey("report_batches.id", ondelete="CASCADE"), index=True)
    assessment_ids: Mapped[Any] = mapped_column(sa.JSON)
    status: Mapped[str] = mapped_column(sa.String(16), default="queued")
    attempts: Mapped[int] = mapped_column(sa.Integer, default=0)
    lease_until: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    worker: Mapped[str | None] = mapped_column(sa.String(100))  # host:pid of the holder
    reason: Mapped[str | None] = mapped_column(sa.String(300))

    __table_args__ = (sa.CheckConstraint("status IN ('queued', 'running', 'done', 'failed')", name="ck_report_parts_status"),)


class LoginThrottle(db.Model):
    """Failed logins per account and client address: a stranger's failures lock out the stranger only."""

    __tablename__ = "login_throttles"
    key: Mapped[str] = mapped_column(sa.String(64), primary_key=True)  # sha256 of address and account
    failures: Mapped[int] = mapped_column(sa.Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow, index=True)


class ApiToken(db.Model):
    """A bearer token for the REST API; only its hash is stored."""

    __tablename__ = "api_tokens"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))

    user: Mapped[User] = relationship()


class AuditEvent(db.Model):
    """Logins, views of another firm's data, exports and report generation."""

    __tablename__ = "audit_events"
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow, index=True)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), index=True)
    zone_id: Mapped[int | None] = mapped_column(sa.ForeignKey("zones.id"), index=True)
    action: Mapped[str] = mapped_column(sa.String(32))
    target: Mapped[str | None] = mapped_column(sa.String(200))
    ip: Mapped[str | None] = mapped_column(sa.String(64))
    detail: Mapped[Any] = mapped_column(sa.JSON, nullable=True)


class OutboxMessage(db.Model):
    """A mail to someone: kept whether or not it could be sent, so staff can see what went out and
    the demo works with no mail server (messages then stay 'held' and are read in the app)."""

    __tablename__ = "outbox"
    id: Mapped[int] = mapped_column(primary_key=True)
    zone_id: Mapped[int | None] = mapped_column(sa.ForeignKey("zones.id"), index=True)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), index=True)
    to_address: Mapped[str] = mapped_column(sa.String(254))
    kind: Mapped[str] = mapped_column(sa.String(32))
    subject: Mapped[str] = mapped_column(sa.String(300))
    body: Mapped[str] = mapped_column(sa.Text)
    lang: Mapped[str] = mapped_column(sa.String(2), default="zh")
    status: Mapped[str] = mapped_column(sa.String(8), default="queued")
    attempts: Mapped[int] = mapped_column(sa.Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(sa.String(500))
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow, index=True)
    sent_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))

    __table_args__ = (sa.CheckConstraint("status IN ('queued', 'sent', 'failed', 'held')", name="ck_outbox_status"),)


class Notification(db.Model):
    """Something a user should know or act on, shown under the bell, with a link to the page."""

    __tablename__ = "notifications"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(32))
    message: Mapped[str] = mapped_column(sa.String(500))  # in the recipient's language
    link: Mapped[str | None] = mapped_column(sa.String(300))
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))

    __table_args__ = (sa.Index("ix_notifications_unread", "user_id", "read_at"),)


# --- Diagnosis service providers, verification on site and the zone's review (issue 18) ---

REVIEW_STATES = ("submitted", "verifying", "in_review", "returned", "approved", "rejected")


class Provider(db.Model):
    """A diagnosis service provider (诊断服务商) registered in a zone's 服务商库, with its own consultants."""

    __tablename__ = "providers"
    id: Mapped[int] = mapped_column(primary_key=True)
    zone_id: Mapped[int] = mapped_column(sa.ForeignKey("zones.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    credit_code: Mapped[str] = mapped_column(sa.String(18))
    contact: Mapped[str | None] = mapped_column(sa.String(200))
    qualification: Mapped[str | None] = mapped_column(sa.Text)
    active: Mapped[bool] = mapped_column(sa.Boolean, default=True, server_default=sa.true())
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)

    zone: Mapped[Zone] = relationship()

    __table_args__ = (sa.UniqueConstraint("zone_id", "credit_code", name="uq_providers_zone_code"),)


class ProviderFirm(db.Model):
    """A firm the zone gave to a provider; one provider per firm at a time."""

    __tablename__ = "provider_firms"
    company_id: Mapped[int] = mapped_column(sa.ForeignKey("companies.id", ondelete="CASCADE"), primary_key=True)
    provider_id: Mapped[int] = mapped_column(sa.ForeignKey("providers.id", ondelete="CASCADE"), index=True)
    assigned_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), index=True)
    assigned_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)


class Verification(db.Model):
    """The consultant's on-site verdict on one answer. A correction keeps the firm's own answer beside it."""

    __tablename__ = "verifications"
    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = mapped_column(sa.ForeignKey("assessments.id", ondelete="CASCADE"), index=True)
    question_id: Mapped[str] = mapped_column(sa.String(64))
    verdict: Mapped[str] = mapped_column(sa.String(12))  # confirmed, corrected
    firm_value: Mapped[Any] = mapped_column(sa.JSON, nullable=True)
    value: Mapped[Any] = mapped_column(sa.JSON, nullable=True)  # the verified answer
    reason: Mapped[str | None] = mapped_column(sa.String(1000))
    by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), index=True)
    at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)

    by: Mapped[User | None] = relationship()

    __table_args__ = (sa.UniqueConstraint("assessment_id", "question_id", name="uq_verifications_question"),
                      sa.CheckConstraint("verdict IN ('confirmed', 'corrected')", name="ck_verifications_verdict"))


class ReviewEvent(db.Model):
    """One step of an assessment's review history; rows are only ever added (see review.py)."""

    __tablename__ = "review_events"
    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = mapped_column(sa.ForeignKey("assessments.id", ondelete="CASCADE"), index=True)
    action: Mapped[str] = mapped_column(sa.String(24))
    from_state: Mapped[str | None] = mapped_column(sa.String(16))
    to_state: Mapped[str | None] = mapped_column(sa.String(16))
    question_id: Mapped[str | None] = mapped_column(sa.String(64))  # a comment on one question
    reply_to_id: Mapped[int | None] = mapped_column(sa.ForeignKey("review_events.id"), index=True)
    text: Mapped[str | None] = mapped_column(sa.Text)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), index=True)
    at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)

    user: Mapped[User | None] = relationship()


class Evidence(db.Model):
    """A file attached to one question of an assessment; the bytes live in the evidence folder."""

    __tablename__ = "evidence"
    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = mapped_column(sa.ForeignKey("assessments.id", ondelete="CASCADE"), index=True)
    question_id: Mapped[str] = mapped_column(sa.String(64))
    filename: Mapped[str] = mapped_column(sa.String(200))   # sanitised, for the download's name
    stored_name: Mapped[str] = mapped_column(sa.String(80), unique=True)
    media_type: Mapped[str] = mapped_column(sa.String(100))  # from the content, not the client's word
    size: Mapped[int] = mapped_column(sa.Integer)
    sha256: Mapped[str] = mapped_column(sa.String(64))
    uploaded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), index=True)
    at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)

    uploaded_by: Mapped[User | None] = relationship()


class SampleDraw(db.Model):
    """A recorded random draw of assessments for on-site checks: the seed, the rule and the population it
    drew from are kept, so anyone can draw again and get the same firms."""

    __tablename__ = "sample_draws"
    id: Mapped[int] = mapped_column(primary_key=True)
    zone_id: Mapped[int] = mapped_column(sa.ForeignKey("zones.id"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
    seed: Mapped[int] = mapped_column(sa.BigInteger)
    rule: Mapped[Any] = mapped_column(sa.JSON)        # {instrument, stratum, share | count}
    population: Mapped[Any] = mapped_column(sa.JSON)  # {stratum key: [assessment ids]} as drawn from
    drawn: Mapped[Any] = mapped_column(sa.JSON)       # [assessment ids]


class SampleCheck(db.Model):
    """The on-site check of one drawn assessment and its outcome."""

    __tablename__ = "sample_checks"
    id: Mapped[int] = mapped_column(primary_key=True)
    draw_id: Mapped[int] = mapped_column(sa.ForeignKey("sample_draws.id", ondelete="CASCADE"), index=True)
    assessment_id: Mapped[int] = mapped_column(sa.ForeignKey("assessments.id", ondelete="CASCADE"), index=True)
    outcome: Mapped[str] = mapped_column(sa.String(10), default="pending")
    note: Mapped[str | None] = mapped_column(sa.String(2000))
    checked_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), index=True)
    checked_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))

    __table_args__ = (sa.CheckConstraint("outcome IN ('pending', 'match', 'mismatch')", name="ck_sample_checks_outcome"),
                      sa.UniqueConstraint("draw_id", "assessment_id", name="uq_sample_checks_item"))


class Rating(db.Model):
    """The firm's rating of the diagnosis service after approval: 1 to 5 and a comment."""

    __tablename__ = "ratings"
    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = mapped_column(sa.ForeignKey("assessments.id", ondelete="CASCADE"), unique=True)
    provider_id: Mapped[int | None] = mapped_column(sa.ForeignKey("providers.id"), index=True)
    stars: Mapped[int] = mapped_column(sa.Integer)
    comment: Mapped[str | None] = mapped_column(sa.String(2000))
    by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), index=True)
    at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)

    __table_args__ = (sa.CheckConstraint("stars BETWEEN 1 AND 5", name="ck_ratings_stars"),)


class QuestionNote(db.Model):
    """A note on one question by the firm or the consultant; notes are added, never edited."""

    __tablename__ = "question_notes"
    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = mapped_column(sa.ForeignKey("assessments.id", ondelete="CASCADE"), index=True)
    question_id: Mapped[str] = mapped_column(sa.String(64))
    text: Mapped[str] = mapped_column(sa.String(2000))
    by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), index=True)
    at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)

    by: Mapped[User | None] = relationship()


PROGRAMME_STATES = ("draft", "running", "closed")


class Programme(db.Model):
    """A diagnosis campaign of an area: an instrument, a period and a named roster of firms."""

    __tablename__ = "programmes"
    id: Mapped[int] = mapped_column(primary_key=True)
    area_id: Mapped[int] = mapped_column(sa.ForeignKey("areas.id"), index=True)
    zone_id: Mapped[int] = mapped_column(sa.ForeignKey("zones.id"), index=True)  # where roster firms register
    name: Mapped[str] = mapped_column(sa.String(200))
    instrument_id: Mapped[str] = mapped_column(sa.String(64))
    starts_on: Mapped[date] = mapped_column(sa.Date)
    ends_on: Mapped[date] = mapped_column(sa.Date)
    reminder_days: Mapped[int] = mapped_column(sa.Integer, default=7)   # days between reminders
    reminder_cap: Mapped[int] = mapped_column(sa.Integer, default=3)    # reminders per firm at most
    # language of invitations and reminders to roster firms without an account (one with an account: its own)
    lang: Mapped[str] = mapped_column(sa.String(2), default="zh", server_default="zh")
    quotas: Mapped[Any] = mapped_column(sa.JSON, nullable=True, default=dict)  # {sub-zone: firms to diagnose}
    consultant_quotas: Mapped[Any] = mapped_column(sa.JSON, nullable=True, default=dict)  # {consultant id: firms}
    status: Mapped[str] = mapped_column(sa.String(8), default="draft")
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
    launched_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))

    __table_args__ = (sa.CheckConstraint(f"status IN {PROGRAMME_STATES}", name="ck_programmes_status"),)


class RosterEntry(db.Model):
    """One firm on a programme's roster, as the zone's list gives it, and how far it has got.

    Started and submitted are read from the firm's assessments, not stored here, so they can
    never disagree with them; invited and opened are facts only this table knows.
    """

    __tablename__ = "roster_entries"
    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(sa.ForeignKey("programmes.id", ondelete="CASCADE"), index=True)
    uscc: Mapped[str] = mapped_column(sa.String(18))
    name: Mapped[str] = mapped_column(sa.String(200))
    industry_division: Mapped[str] = mapped_column(sa.String(2))
    size_class: Mapped[str] = mapped_column(sa.String(8))
    above_scale: Mapped[bool] = mapped_column(sa.Boolean, default=False)  # 规上
    contact: Mapped[str | None] = mapped_column(sa.String(100))
    mobile: Mapped[str | None] = mapped_column(sa.String(20))
    email: Mapped[str | None] = mapped_column(sa.String(254))
    sub_zone: Mapped[str | None] = mapped_column(sa.String(100))
    company_id: Mapped[int | None] = mapped_column(sa.ForeignKey("companies.id"), index=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)  # of the personal link
    invited_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    opened_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    reminders_sent: Mapped[int] = mapped_column(sa.Integer, default=0)
    last_mailed_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))

    __table_args__ = (sa.UniqueConstraint("programme_id", "uscc", name="uq_roster_firm"),)


class RosterProgress(db.Model):
    """A copy, per roster entry, of what the programme pages read from the firm's assessments and results:
    the status it reached with its dates, the first quarter it counted for coverage, and its latest level on
    the programme's instrument (self-assessed, and verified when that result was approved). Kept equal to a
    fresh computation by session events in the same transaction (diagnosis/roster_progress.py); a page
    reads ~10,000 of these rows instead of looking up each firm's assessments."""

    __tablename__ = "roster_progress"
    entry_id: Mapped[int] = mapped_column(sa.ForeignKey("roster_entries.id", ondelete="CASCADE"), primary_key=True)
    programme_id: Mapped[int] = mapped_column(sa.ForeignKey("programmes.id", ondelete="CASCADE"))
    company_id: Mapped[int | None] = mapped_column(sa.Integer)  # no foreign key: a deleted firm's rows are refreshed
    status: Mapped[str] = mapped_column(sa.String(12))
    decision: Mapped[str | None] = mapped_column(sa.String(8))
    started_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    submitted_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    reached: Mapped[str | None] = mapped_column(sa.String(7))  # first quarter with a result begun in the programme
    level: Mapped[int | None] = mapped_column(sa.Integer)
    verified_level: Mapped[int | None] = mapped_column(sa.Integer)
    next_gap: Mapped[float | None] = mapped_column(sa.Float)
    assessment_id: Mapped[int | None] = mapped_column(sa.Integer)  # of the latest result

    __table_args__ = (sa.Index("ix_roster_progress_status", "programme_id", "status"),)


class RosterQuarter(db.Model):
    """Per programme and roster firm, its last result of each quarter on the programme's instrument with
    `until`, the quarter of its next result ('' if none): "firms at a level at the end of quarter Q" is a
    count over the roster's rows. Kept with RosterProgress."""

    __tablename__ = "roster_quarters"
    programme_id: Mapped[int] = mapped_column(sa.ForeignKey("programmes.id", ondelete="CASCADE"), primary_key=True)
    company_id: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    period: Mapped[str] = mapped_column(sa.String(7), primary_key=True)
    until: Mapped[str] = mapped_column(sa.String(7))
    level: Mapped[int] = mapped_column(sa.Integer)


class RosterEvent(db.Model):
    """What happened to a roster firm: invited, reminded, opened; each mail with its outbox row."""

    __tablename__ = "roster_events"
    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(sa.ForeignKey("roster_entries.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(16))
    outbox_id: Mapped[int | None] = mapped_column(sa.ForeignKey("outbox.id"), index=True)
    at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)


TARGET_INDICATORS = ("coverage", "firms_at_level", "share_at_level")
TARGET_NATURES = ("expected", "binding")  # 预期性, 约束性


class Target(db.Model):
    """A target an area is held to, as its plan states it, with the document it comes from."""

    __tablename__ = "targets"
    id: Mapped[int] = mapped_column(primary_key=True)
    area_id: Mapped[int] = mapped_column(sa.ForeignKey("areas.id"), index=True)
    programme_id: Mapped[int | None] = mapped_column(sa.ForeignKey("programmes.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    indicator: Mapped[str] = mapped_column(sa.String(16))
    instrument_id: Mapped[str] = mapped_column(sa.String(64))
    min_level: Mapped[int | None] = mapped_column(sa.Integer)
    above_scale_only: Mapped[bool] = mapped_column(sa.Boolean, default=False)  # count 规上 roster firms only
    base_year: Mapped[int] = mapped_column(sa.Integer)
    base_value: Mapped[float] = mapped_column(sa.Float)
    target_year: Mapped[int] = mapped_column(sa.Integer)
    target_value: Mapped[float] = mapped_column(sa.Float)
    nature: Mapped[str] = mapped_column(sa.String(8))
    source: Mapped[str] = mapped_column(sa.String(500))
    is_demo: Mapped[bool] = mapped_column(sa.Boolean, default=False)  # made up for the demo, said so wherever shown
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)

    __table_args__ = (sa.CheckConstraint(f"indicator IN {TARGET_INDICATORS}", name="ck_targets_indicator"),
                      sa.CheckConstraint(f"nature IN {TARGET_NATURES}", name="ck_targets_nature"))


PLAN_STATUSES = ("planned", "in_progress", "done", "dropped")


class PlanItem(db.Model):
    """One step of a firm's improvement plan, usually made from a recommendation of a result: who owns it,
    by when, the budget band, its status (a dropped item says why), the indicators it should move and,
    optionally, the retrofit project that carries it out. Status changes are in the audit log."""

    __tablename__ = "plan_items"
    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(sa.ForeignKey("companies.id"), index=True)
    assessment_id: Mapped[int | None] = mapped_column(sa.ForeignKey("assessments.id"), index=True)
    instrument_id: Mapped[str | None] = mapped_column(sa.String(64))
    title: Mapped[Any] = mapped_column(sa.JSON)          # {"zh": ..., "en": ...}
    indicators: Mapped[Any] = mapped_column(sa.JSON)     # indicator ids the item should move
    owner: Mapped[str | None] = mapped_column(sa.String(100))  # free text: an owner without an account (a supplier)
    # The firm's user who owns the item: reminders go to them alone (to all of the firm's users when None).
    owner_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), index=True)
    due_date: Mapped[date | None] = mapped_column(sa.Date, index=True)
    budget_band: Mapped[str | None] = mapped_column(sa.String(16))
    status: Mapped[str] = mapped_column(sa.String(16), default="planned", index=True)
    drop_reason: Mapped[str | None] = mapped_column(sa.Text)
    done_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    project_name: Mapped[str | None] = mapped_column(sa.String(200))
    project_supplier: Mapped[str | None] = mapped_column(sa.String(200))
    project_amount: Mapped[float | None] = mapped_column(sa.Float)  # 万元
    project_start: Mapped[date | None] = mapped_column(sa.Date)
    project_end: Mapped[date | None] = mapped_column(sa.Date)
    reminded_for: Mapped[date | None] = mapped_column(sa.Date)  # the due date the last reminder was sent for
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow, onupdate=utcnow)

    __table_args__ = (sa.CheckConstraint("status IN ('planned', 'in_progress', 'done', 'dropped')",
                                         name="ck_plan_items_status"),)

    def title_in(self, lang: str) -> str:
        t = self.title or {}
        return t.get(lang) or t.get("zh") or ""

    owner_user: Mapped[User | None] = relationship(foreign_keys=[owner_user_id], lazy="joined")

    @property
    def owner_name(self) -> str | None:
        """Who owns the item as people read it: the owner's account name, else the free text."""
        return self.owner_user.name if self.owner_user is not None else self.owner


# --- Accounts managed by zone staff and the firm's rights over its data (issue 16) ---

class InviteCode(db.Model):
    """An invitation code zone staff made: firms register with it until it expires or its uses run out."""

    __tablename__ = "invite_codes"
    id: Mapped[int] = mapped_column(primary_key=True)
    zone_id: Mapped[int] = mapped_column(sa.ForeignKey("zones.id"), index=True)
    code: Mapped[str] = mapped_column(sa.String(64), unique=True)
    expires_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    max_uses: Mapped[int | None] = mapped_column(sa.Integer)
    # The staff member who made it: an id without a foreign key, since users already point at their code.
    created_by_id: Mapped[int | None] = mapped_column(sa.Integer)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)


CLOSURE_STATES = ("pending", "confirmed", "refused")


class ClosureRequest(db.Model):
    """A firm's request to close its account; zone staff confirm (as the zone's closure_mode says) or refuse."""

    __tablename__ = "closure_requests"
    id: Mapped[int] = mapped_column(primary_key=True)
    zone_id: Mapped[int] = mapped_column(sa.ForeignKey("zones.id"), index=True)
    company_id: Mapped[int | None] = mapped_column(sa.ForeignKey("companies.id"), index=True)  # None once deleted
    requested_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), index=True)
    reason: Mapped[str | None] = mapped_column(sa.String(1000))
    status: Mapped[str] = mapped_column(sa.String(10), default="pending", index=True)
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), index=True)
    decided_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    decision_reason: Mapped[str | None] = mapped_column(sa.String(1000))
    mode: Mapped[str | None] = mapped_column(sa.String(10))  # what the confirmation did
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)

    company: Mapped[Company | None] = relationship()

    __table_args__ = (sa.CheckConstraint(f"status IN {CLOSURE_STATES}", name="ck_closure_requests_status"),)
