"""Two tabs, or a firm and its consultant, saving the same draft never lose an answer silently."""
from __future__ import annotations

import threading

import sqlalchemy as sa

from diagnosis.extensions import db
from diagnosis.models import Answer

from .conftest import csrf_from
from .helpers import sme


def _single():
    return next(q for q in sme().questions if q.type == "single")


def _post(c, aid, answers, base=None, page=1):
    token = csrf_from(c.get(f"/assessments/{aid}/page/{page}").text)
    body = {"answers": answers}
    if base is not None:
        body["base"] = base
    return c.c.post(f"/assessments/{aid}/answers", json=body, headers={"X-CSRFToken": token})


def test_a_stale_tab_does_not_overwrite_a_newer_answer(app, world, client):
    q = _single()
    firm = client().login(world.a.enterprise)
    aid = firm.start()
    r = _post(firm, aid, {q.id: q.options[0].id}, base={q.id: 0})
    assert r.status_code == 200
    seen = r.get_json()["versions"][q.id]
    consultant = client().login(world.a.consultant)
    assert _post(consultant, aid, {q.id: q.options[1].id}, base={q.id: seen}).status_code == 200
    # The firm's tab still shows version `seen` and now changes the same question.
    r = _post(firm, aid, {q.id: q.options[2].id}, base={q.id: seen})
    assert r.status_code == 409
    conflict = r.get_json()["conflicts"][q.id]
    assert conflict["value"] == q.options[1].id and "顾问" in conflict["message"]
    with app.app_context():
        assert db.session.scalar(sa.select(Answer.value).where(Answer.assessment_id == aid)) == q.options[1].id
    # Having seen the conflict (and its version) the firm may change it deliberately.
    assert _post(firm, aid, {q.id: q.options[2].id}, base={q.id: conflict["version"]}).status_code == 200


def test_two_tabs_saving_different_questions_both_keep_their_answers(app, world, client):
    singles = [q for q in sme().questions if q.type == "single"][:2]
    tab1, tab2 = client().login(world.a.enterprise), client().login(world.a.enterprise)
    aid = tab1.start()
    assert _post(tab1, aid, {singles[0].id: singles[0].options[0].id}, base={singles[0].id: 0}).status_code == 200
    assert _post(tab2, aid, {singles[1].id: singles[1].options[0].id}, base={singles[1].id: 0}).status_code == 200
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Answer).where(Answer.assessment_id == aid)) == 2


def test_a_page_post_with_stale_versions_reports_the_conflict(app, world, client):
    q = _single()
    firm = client().login(world.a.enterprise)
    aid = firm.start()
    page = firm.get(f"/assessments/{aid}/page/1").text  # versions as rendered: none answered yet
    consultant = client().login(world.a.consultant)
    assert _post(consultant, aid, {q.id: q.options[1].id}, base={q.id: 0}).status_code == 200
    r = firm.c.post(f"/assessments/{aid}/page/1", data={"csrf_token": csrf_from(page), q.id: q.options[0].id,
                                                       "versions": "{}", "go": "next"})
    assert r.status_code == 200 and "您的修改没有覆盖它" in r.text
    with app.app_context():
        assert db.session.scalar(sa.select(Answer.value).where(Answer.assessment_id == aid)) == q.options[1].id


def test_simultaneous_saves_of_one_question_leave_one_winner_and_no_error(app, world, client):
    q = _single()
    tabs = [client().login(world.a.enterprise) for _ in range(4)]
    aid = tabs[0].start()
    tokens = [csrf_from(t.get(f"/assessments/{aid}/page/1").text) for t in tabs]
    statuses = []
    barrier = threading.Barrier(len(tabs))

    def save(i):
        barrier.wait()
        r = tabs[i].c.post(f"/assessments/{aid}/answers", json={"answers": {q.id: q.options[i].id}, "base": {q.id: 0}},
                           headers={"X-CSRFToken": tokens[i]})
        statuses.append(r.status_code)

    threads = [threading.Thread(target=save, args=(i,)) for i in range(len(tabs))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(statuses) == [200, 409, 409, 409], statuses
    with app.app_context():
        rows = db.session.scalars(sa.select(Answer).where(Answer.assessment_id == aid)).all()
        assert len(rows) == 1 and rows[0].version == 1
