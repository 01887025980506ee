"""Re-assessment prefilled: a new round starts from the firm's last submitted answers, each carried
answer waits for confirmation (or a change), submission is refused until none waits, and a confirmed
carried answer scores exactly like a typed one."""
from __future__ import annotations

import re

import sqlalchemy as sa

import questionnaires
from diagnosis.assessments import service
from diagnosis.extensions import db
from diagnosis.models import Answer, AnswerChange, Assessment
from questionnaires.upgrade import archived, load_mapping, mapping_path

from .conftest import PLEDGE
from .helpers import extreme_answers, sme
from .test_api import api  # noqa: F401  (the fixture)


def _first_options(inst) -> dict:
    """A complete, middling answer set: for each choice question its second option, else the extremes' low end."""
    out = extreme_answers(inst, best=False)
    for q in inst.questions:
        if q.type in ("single", "level") and len(q.options) > 1:
            out[q.id] = q.options[1].id
    return out


def _two_changes(inst, answers: dict) -> dict:
    """Two choice questions answered differently (their last option)."""
    changed = {}
    for q in inst.questions:
        if q.type in ("single", "level") and q.options[-1].id != answers.get(q.id) and len(changed) < 2 and not q.show_if:
            changed[q.id] = q.options[-1].id
    assert len(changed) == 2
    return changed


def _prefilled(c) -> int:
    r = c.post_form("/assessments/new", {"instrument": "sme-digital", "prefill": "1"}, page="/home")
    assert r.status_code == 302, r.text
    return int(re.search(r"/assessments/(\d+)/", r.headers["Location"]).group(1))


def _pending(app, aid: int) -> set[str]:
    with app.app_context():
        return set(db.session.scalars(sa.select(Answer.question_id)
                                      .where(Answer.assessment_id == aid, Answer.carried_pending.is_(True))))


def test_a_prefilled_round_cannot_be_submitted_until_every_carried_answer_is_confirmed(app, world, client):
    inst = sme()
    first = _first_options(inst)
    c = client().login(world.a.enterprise)
    t0 = c.submit(first)

    aid = _prefilled(c)
    assert aid != t0
    with app.app_context():
        a = db.session.get(Assessment, aid)
        assert a.carried_from_id == t0 and a.answer_dict() == first
        assert {x.question_id for x in a.answers if x.carried_pending} == set(first)
        # The carry is in the change log, through what it came.
        assert db.session.scalar(sa.select(sa.func.count()).select_from(AnswerChange)
                                 .where(AnswerChange.assessment_id == aid, AnswerChange.via == "carried")) == len(first)

    # The page says where carried answers come from: this instrument, submitted on that date.
    page = c.get(f"/assessments/{aid}/page/1").text
    with app.app_context():
        when = f"{db.session.get(Assessment, t0).submitted_at:%Y-%m-%d}"
    assert f"沿用自贵企业{when}提交的《{inst.title.zh}》" in page and 'value="confirm_page"' in page
    assert f"沿用本评估上次提交（{when}）的答案，待确认" in page
    english = c.get(f"/assessments/{aid}/page/1?lang=en").text
    assert f"come from the {inst.title.en} your firm submitted on {when}" in english
    assert f"From your last submission of this assessment ({when}), to confirm" in english

    # Submitting now is refused and changes nothing.
    r = c.post_form(f"/assessments/{aid}/review", PLEDGE)
    assert r.status_code == 200 and "还有沿用上次评估的答案未确认" in r.text
    with app.app_context():
        assert db.session.get(Assessment, aid).status == "draft"

    # Change two answers (autosave): they no longer wait.
    changes = _two_changes(inst, first)
    r = c.autosave(aid, changes)
    assert r.status_code == 200
    assert not set(changes) & set(r.get_json()["unconfirmed"])
    assert not set(changes) & _pending(app, aid)

    # Confirm one answer with its own button (no JavaScript: the whole page form is posted).
    dim = inst.dimensions[0]
    one = next(q.id for q in dim.questions if q.id in _pending(app, aid))
    html = c.get(f"/assessments/{aid}/page/1").text
    versions = re.search(r'name="versions" id="answer-versions" value="([^"]+)"', html).group(1).replace("&#34;", '"')
    r = c.post_form(f"/assessments/{aid}/page/1", {"confirm": one, "versions": versions}, page=f"/assessments/{aid}/page/1")
    assert r.status_code == 302 and r.headers["Location"].endswith(f"/page/1#q-{one}")
    assert one not in _pending(app, aid)

    # The review page says what changed and what still waits.
    review = c.get(f"/assessments/{aid}/review").text
    assert "已修改" in review and "待确认" in review
    for qid in changes:
        assert inst.question(qid).text.get("zh") in review

    # "Confirm every carried answer on this page", page by page, except the last page.
    for n in range(1, len(inst.dimensions)):
        r = c.post_form(f"/assessments/{aid}/page/{n}", {"go": "confirm_page"}, page=f"/assessments/{aid}/page/{n}")
        assert r.status_code == 302
    last = {q.id for q in inst.dimensions[-1].questions}
    assert _pending(app, aid) and _pending(app, aid) <= last
    r = c.post_form(f"/assessments/{aid}/review", PLEDGE)
    assert r.status_code == 200 and "还有沿用上次评估的答案未确认" in r.text
    r = c.post_form(f"/assessments/{aid}/page/{len(inst.dimensions)}", {"go": "confirm_page"},
                    page=f"/assessments/{aid}/page/{len(inst.dimensions)}")
    assert _pending(app, aid) == set()
    with app.app_context():
        confirmations = db.session.scalar(sa.select(sa.func.count()).select_from(AnswerChange)
                                          .where(AnswerChange.assessment_id == aid, AnswerChange.via == "confirm"))
        assert confirmations == len(first) - len(changes)

    r = c.post_form(f"/assessments/{aid}/review", PLEDGE)
    assert r.status_code == 302 and r.headers["Location"].endswith(f"/assessments/{aid}/result")

    # A confirmed carried answer scores exactly like a typed one: the other firm types the same answers.
    final = {**first, **changes}
    typed = client().login(world.a.other_enterprise).submit(final)
    with app.app_context():
        carried_result = db.session.get(Assessment, aid).result
        typed_result = db.session.get(Assessment, typed).result
        assert db.session.get(Assessment, aid).answer_dict() == final
        assert carried_result.total == typed_result.total and carried_result.level == typed_result.level
        assert carried_result.dimensions == typed_result.dimensions
        assert carried_result.indicators == typed_result.indicators


def test_without_prefill_a_new_round_starts_empty_and_the_page_shows_no_marks(app, world, client):
    c = client().login(world.a.enterprise)
    c.submit(_first_options(sme()))
    aid = c.start()
    with app.app_context():
        a = db.session.get(Assessment, aid)
        assert a.carried_from_id is None and a.answer_dict() == {}
    page = c.get(f"/assessments/{aid}/page/1").text
    assert "沿用本评估上次提交" not in page and "data-carried=" not in page


def test_an_answer_changed_elsewhere_is_not_confirmed_by_a_stale_page(app, world, client):
    inst = sme()
    first = _first_options(inst)
    c = client().login(world.a.enterprise)
    c.submit(first)
    aid = _prefilled(c)
    q = next(q for q in inst.dimensions[0].questions if q.type in ("single", "level"))
    with app.app_context():
        seen = service.versions(db.session.get(Assessment, aid))
    # The consultant changes it meanwhile: a change counts as looked at, it no longer waits.
    consultant = client().login(world.a.consultant)
    other = next(o.id for o in q.options if o.id != first[q.id])
    assert consultant.autosave(aid, {q.id: other}).status_code == 200
    assert q.id not in _pending(app, aid)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', c.get(f"/assessments/{aid}/page/1").text).group(1)
    r = c.c.post(f"/assessments/{aid}/answers", json={"answers": {}, "confirm": [q.id], "base": {q.id: seen[q.id]}},
                 headers={"X-CSRFToken": token})
    assert r.status_code == 200 and q.id not in r.get_json()["unconfirmed"]
    with app.app_context():
        a = db.session.get(Assessment, aid)
        assert a.answer_dict()[q.id] == other
        assert db.session.scalar(sa.select(sa.func.count()).select_from(AnswerChange)
                                 .where(AnswerChange.assessment_id == aid, AnswerChange.via == "confirm")) == 0
    # The review lists it as changed, from the carried value to the consultant's.
    review = c.get(f"/assessments/{aid}/review").text
    assert q.text.get("zh") in review.split("已修改", 1)[1]


def test_the_api_prefills_on_request_refuses_unconfirmed_and_confirms(app, world, api):  # noqa: F811
    inst = sme()
    first = _first_options(inst)
    a = api(world.a.enterprise)
    aid0 = a.call("POST", "/assessments", json={"instrument": "sme-digital"}).get_json()["id"]
    a.call("PATCH", f"/assessments/{aid0}/answers", "/assessments/{assessment_id}/answers", json={"answers": first})
    assert a.call("POST", f"/assessments/{aid0}/submit", "/assessments/{assessment_id}/submit",
                  json={"pledge": True}).status_code == 200

    r = a.call("POST", "/assessments", json={"instrument": "sme-digital", "prefill": True})
    assert r.status_code == 201
    body = r.get_json()
    aid = body["id"]
    assert body["answers"] == first and body["carried"]["from_assessment"] == aid0
    assert sorted(body["carried"]["unconfirmed"]) == sorted(first)

    r = a.call("POST", f"/assessments/{aid}/submit", "/assessments/{assessment_id}/submit", json={"pledge": True})
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "unconfirmed"
    assert {d["question"] for d in r.get_json()["error"]["details"]} == set(first)

    change = _two_changes(inst, first)
    rest = [q for q in first if q not in change]
    r = a.call("PATCH", f"/assessments/{aid}/answers", "/assessments/{assessment_id}/answers",
               json={"answers": change, "confirm": rest[:-1]})
    assert r.status_code == 200
    assert sorted(r.get_json()["confirmed"]) == sorted(rest[:-1]) and r.get_json()["carried"]["unconfirmed"] == [rest[-1]]
    assert a.call("POST", f"/assessments/{aid}/submit", "/assessments/{assessment_id}/submit",
                  json={"pledge": True}).status_code == 409
    bad = a.call("PATCH", f"/assessments/{aid}/answers", "/assessments/{assessment_id}/answers",
                 json={"answers": {}, "confirm": "all"})
    assert bad.status_code == 422
    a.call("PATCH", f"/assessments/{aid}/answers", "/assessments/{assessment_id}/answers",
           json={"answers": {}, "confirm": [rest[-1]]})
    assert a.call("POST", f"/assessments/{aid}/submit", "/assessments/{assessment_id}/submit",
                  json={"pledge": True}).status_code == 200

    # Without "prefill" the API starts empty, as before.
    r = a.call("POST", "/assessments", json={"instrument": "sme-digital"})
    assert r.get_json()["answers"] == {} and r.get_json()["carried"] is None


def test_across_versions_only_the_mapping_carries(app, world, monkeypatch):
    """An answer on the archived 2024.1 version reaches the current one only through the shipped mapping."""
    old = archived("sme-digital", "2024.1")
    new = questionnaires.get("sme-digital")
    with app.app_context():
        monkeypatch.setattr(questionnaires, "get", lambda iid, *a, **k: old)
        t0 = service.start(world.a.firm, "sme-digital", None)
        answers = extreme_answers(old, best=True)
        service.save_answers(t0, answers, None)
        db.session.flush()
        service.submit(t0)
        db.session.commit()
        monkeypatch.undo()

        expected, _unmapped = load_mapping(mapping_path("sme-digital", old.version, new.version), old, new).carry(answers)
        expected, _problems = questionnaires.clean_answers(new, expected)
        a = service.start(world.a.firm, "sme-digital", None, prefill=True)
        assert a.carried_from_id == t0.id
        assert a.answer_dict() == {k: v for k, v in expected.items() if v is not None}
        assert 0 < len(a.answer_dict()) <= len(answers)

        # With no mapping for a version pair nothing is carried (ids alone are not trusted).
        monkeypatch.setattr("diagnosis.assessments.service.mapping_path",
                            lambda *a, **k: mapping_path("sme-digital", "1999.1", "2000.1"))
        assert service.carry_answers(t0, new, service.snapshot(new).content_hash) == {}


def test_a_reassessment_says_what_moved_and_which_plan_items_were_done_hand_computed(app, world, client):
    """T0: every answer at its lowest. T1: 'systems_coverage' at its top option (10 of the foundation's 50 points)
    and 'planning_stage' at 4.5 of the management's 30 points; so foundation moves 0% -> 20% (+20), management
    0% -> 15% (+15), outcomes stays at 0%."""
    from datetime import timedelta

    from diagnosis.models import PlanItem
    from diagnosis.reporting import result_context

    inst = sme()
    t0_answers = extreme_answers(inst, best=False)
    c = client().login(world.a.enterprise)
    t0 = c.submit(t0_answers)
    with app.app_context():
        # T0 was a year ago (a round takes longer than a test).
        first_round = db.session.get(Assessment, t0)
        first_round.submitted_at = first_round.submitted_at - timedelta(days=365)
        t0_at = first_round.submitted_at
        # Done between the two rounds (counted), done before T0 (not counted), still open (not counted).
        for title, done_at, status in (("上线MES", t0_at + timedelta(days=100), "done"),
                                       ("早已完成", t0_at - timedelta(days=1), "done"), ("仍在实施", None, "in_progress")):
            db.session.add(PlanItem(company_id=world.a.firm, title={"zh": title, "en": title}, indicators=[],
                                    status=status, done_at=done_at))
        db.session.commit()

    aid = _prefilled(c)
    planning = inst.question("planning_stage")
    four_and_a_half = next(o.id for o in planning.options if o.points == 4.5)
    top = max(inst.question("systems_coverage").options, key=lambda o: o.points)
    assert top.points == 10.0
    assert c.autosave(aid, {"systems_coverage": top.id, "planning_stage": four_and_a_half}).status_code == 200
    for n in range(1, len(inst.dimensions) + 1):
        c.post_form(f"/assessments/{aid}/page/{n}", {"go": "confirm_page"}, page=f"/assessments/{aid}/page/{n}")
    r = c.post_form(f"/assessments/{aid}/review", PLEDGE)
    assert r.status_code == 302

    with app.test_request_context():
        a = db.session.get(Assessment, aid)
        progress = result_context(a, "zh", None)["progress"]
        deltas = {row["title"]: row["delta"] for row in progress["rows"]}
        titles = {d.id: d.title.get("zh") for d in inst.dimensions}
        assert deltas[titles["foundation"]] == 20 and deltas[titles["management"]] == 15
        assert deltas[titles["outcomes"]] == 0
        assert progress["plan_done"] == ["上线MES"]
        moved = {m["title"] for m in progress["indicators"]}
        owner = next(i for d in inst.dimensions for i in d.indicators if any(q.id == "systems_coverage" for q in i.questions))
        assert owner.title.get("zh") in moved
    page = c.get(f"/assessments/{aid}/result").text
    assert "自上次评估以来完成的改进计划事项（1 项）" in page and "上线MES" in page and "早已完成" not in page
    assert "+20" in page and "+15" in page


def test_the_home_page_offers_to_carry_answers_only_where_there_is_a_submission(app, world, client):
    c = client().login(world.a.enterprise)
    checkbox = re.compile(r'name="instrument" value="([^"]+)"(?:(?!</form>).)*?name="prefill"', re.S)
    assert checkbox.findall(c.get("/home").text) == []
    c.submit(extreme_answers(sme(), True))
    assert checkbox.findall(c.get("/home").text) == ["sme-digital"]


def test_no_firm_is_carried_anything_from_another_firms_answers(app, world, client, api):  # noqa: F811
    """Firm A submits; the other firm of its zone and the firm of zone B ask for a prefilled round on the same
    instrument (page and API): each starts empty, and firm A's answers are neither copied nor touched."""
    first = _first_options(sme())
    t0 = client().login(world.a.enterprise).submit(first)
    for user in (world.a.other_enterprise, world.b.enterprise):
        aid = _prefilled(client().login(user))
        with app.app_context():
            a = db.session.get(Assessment, aid)
            assert a.company_id != world.a.firm
            assert a.carried_from_id is None and a.answer_dict() == {}
        body = api(user).call("POST", "/assessments", json={"instrument": "sme-digital", "prefill": True}).get_json()
        assert body["answers"] == {} and body["carried"] is None
    # Firm A's own prefilled round does start from them (so the empty rounds above are not a carry that never works).
    own = _prefilled(client().login(world.a.enterprise))
    with app.app_context():
        assert db.session.get(Assessment, t0).answer_dict() == first
        assert db.session.get(Assessment, own).carried_from_id == t0
        assert db.session.get(Assessment, own).answer_dict() == first
