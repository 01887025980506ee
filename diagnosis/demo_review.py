"""Demo data for providers and the review (issue 18): two providers with a lead and consultants,
assessments in every review state, evidence on some answers, a drawn sample and ratings.

Built through the same operations users call, so the demo shows what the platform really records."""
from __future__ import annotations

import struct
import zlib

import sqlalchemy as sa
from flask import current_app

import questionnaires

from .assessments import evidence, review
from .extensions import db
from .models import Assessment, Company, Programme, Result, RosterEntry, User
from .providers import scores
from .providers import service as providers
from .zone import sampling

PROVIDERS = [
    ("锡科智造诊断服务有限公司", "lead-a@demo.example.com", "赵组长", ["consultant-a@demo.example.com"], ["钱顾问"]),
    ("江南数智咨询有限公司", "lead-b@demo.example.com", "孙组长", ["consultant-b@demo.example.com"], ["周顾问"]),
]
# Review states the demo leaves assessments in, per provider, in order.
PLAN = [["submitted", "verifying", "in_review", "returned", "approved", "approved", "approved", "rejected"],
        ["verifying", "in_review", "approved", "approved"]]


def photo(seed: int) -> bytes:
    """A small real PNG (96x72, one colour per seed), standing in for a photo taken on site."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xffffffff)
    rgb = bytes([(seed * 53) % 256, (seed * 97) % 256, 160])
    raw = b"".join(b"\x00" + rgb * 96 for _ in range(72))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 96, 72, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def _other_option(inst, qid: str, value):
    q = inst.question(qid)
    options = [o.id for o in q.options] if q and q.options else []
    return next((o for o in options if o != value), None) if q.type in ("single", "level") else None


def seed_review(zone_id: int, password: str) -> dict:
    """Providers, their consultants and a review history on the demo zone's sme-digital results."""
    with current_app.test_request_context():  # notifications are written in each recipient's language
        return _seed(zone_id, password)


def _seed(zone_id: int, password: str) -> dict:
    admin = db.session.scalar(sa.select(User).where(User.zone_id == zone_id, User.role == "zone_admin"))
    inst = questionnaires.get("sme-digital")
    # Firms with a latest sme-digital result, for the providers to serve: first those of a programme's roster
    # that submitted since it began, so the programme page shows reviewed firms too.
    programme = db.session.scalar(sa.select(Programme).where(Programme.zone_id == zone_id,
                                                             Programme.instrument_id == "sme-digital").limit(1))
    first = sa.literal(1)
    if programme is not None:
        from .programmes.service import started_from
        on_roster = sa.select(RosterEntry.company_id).where(RosterEntry.programme_id == programme.id,
                                                            RosterEntry.company_id.is_not(None))
        first = sa.case((sa.and_(Company.id.in_(on_roster), Assessment.created_at >= started_from(programme)), 0),
                        else_=1)
    latest = db.session.execute(
        sa.select(Assessment.id, Company.uscc).join(Result, Result.assessment_id == Assessment.id)
        .join(Company, Company.id == Assessment.company_id)
        .where(Company.zone_id == zone_id, Result.instrument_id == "sme-digital", Result.is_latest)
        .order_by(first, Result.previous_level.is_(None), Assessment.id)  # re-assessed firms first: see below
        .limit(sum(len(p) for p in PLAN))).all()
    from .demo import demo_uscc
    out = {"providers": [], "states": {}}
    start = 0
    for n, ((name, lead_email, lead_name, emails, names), plan) in enumerate(zip(PROVIDERS, PLAN)):
        p = providers.create(admin, name, demo_uscc(800_000 + n), f"{lead_name} 0510-8000000{n}",
                             "已在园区服务商库登记；具备数字化诊断服务经验。")
        people = []
        for email, person, lead in [(lead_email, lead_name, True)] + [(e, m, False) for e, m in zip(emails, names)]:
            u = User(email=email, name=person, role="consultant", zone_id=zone_id)
            u.set_password(password)
            db.session.add(u)
            db.session.commit()
            providers.add_member(admin, p.id, email, lead=lead)
            people.append(u)
        lead, consultant = people[0], people[-1]
        mine = latest[start:start + len(plan)]
        start += len(plan)
        providers.assign_firms(admin, p.id, [code for _aid, code in mine])
        for i, ((aid, _code), target) in enumerate(zip(mine, plan)):
            a = db.session.get(Assessment, aid)
            providers.assign_consultant(lead, p.id, consultant.id, a.company_id)
            if target == "approved":
                # The firm's earlier round verified and approved too, so that the zone's conversion figures have
                # pairs of verified levels to compare ("level gained" on verified levels).
                earlier = db.session.scalar(
                    sa.select(Assessment).join(Result, Result.assessment_id == Assessment.id)
                    .where(Result.company_id == a.company_id, Result.instrument_id == "sme-digital",
                           Assessment.id != a.id, Assessment.submitted_at < a.submitted_at)
                    .order_by(Assessment.submitted_at.desc()).limit(1))
                if earlier is not None:
                    _walk(earlier, "approved", admin, consultant, inst, seed=100 + n * 10 + i)
            _walk(a, target, admin, consultant, inst, seed=n * 10 + i)
            out["states"][target] = out["states"].get(target, 0) + 1
        out["providers"].append(p.name)
    d = sampling.draw(admin, {"instrument": "sme-digital", "stratum": "size", "share": "0.1",
                              "states": ["approved", "submitted"]}, seed=2026)
    for i, (check, _company) in enumerate(sampling.checks(d)[:2]):
        sampling.record_outcome(admin, d.id, check.id, "match" if i == 0 else "mismatch",
                                "" if i == 0 else "现场设备联网情况与填报不符")
    out["sample"] = {"seed": d.seed, "drawn": len(d.drawn)}
    return out


def _firm_user(a: Assessment, password: str = "demo-password-2026") -> User:
    u = db.session.scalar(sa.select(User).where(User.company_id == a.company_id))
    if u is None:
        u = User(email=f"firm{a.company_id}@demo.example.com", name="企业联系人", role="enterprise",
                 zone_id=a.company.zone_id, company_id=a.company_id)
        u.set_password(password)
        db.session.add(u)
        db.session.commit()
    return u


def _walk(a: Assessment, target: str, admin: User, consultant: User, inst, seed: int) -> None:
    """Move one assessment through the review to `target`, as the people involved would."""
    firm = _firm_user(a)
    a.review_state = a.review_state or "submitted"
    db.session.commit()
    review.pledge(firm, a.id, True)
    if target == "submitted":
        return
    review.start_verification(consultant, a.id)
    answers = a.answer_dict()
    qids = [q.id for q in inst.questions if q.type in ("single", "level") and q.id in answers][:3]
    review.verify(consultant, a.id, qids[0], "confirmed")
    evidence.upload(consultant, a.id, qids[0], f"现场照片{seed}.png", photo(seed))
    corrected = _other_option(inst, qids[1], answers[qids[1]])
    if corrected:
        review.verify(consultant, a.id, qids[1], "corrected", corrected, "现场查看系统记录后更正")
        evidence.upload(consultant, a.id, qids[1], f"系统截图{seed}.png", photo(seed + 50))
    if target == "verifying":
        return
    review.send_for_review(consultant, a.id)
    if target == "in_review":
        return
    review.review_return(admin, a.id, "请补充说明更正的依据", [{"question": qids[1], "text": "更正依据是什么？"}])
    if target == "returned":
        return
    for ev in review.unanswered(a):
        review.reply(consultant, a.id, ev.id, "依据为现场系统运行记录，已上传截图")
    review.send_for_review(consultant, a.id)
    if target == "rejected":
        review.decide(admin, a.id, "reject", "佐证不足，请重新诊断")
        return
    review.decide(admin, a.id, "approve")
    scores.rate(firm, a.id, 3 + seed % 3, "顾问认真负责，建议实用")
