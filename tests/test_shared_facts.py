"""Facts two instruments ask (issue 19): the review in questionnaires/shared-facts.yaml found no
pair whose definitions let one answer serve both, so nothing is carried between instruments. These
tests keep that review honest: it is checked against the shipped instruments, a new version of any
instrument fails until the review is redone, and a draft on one instrument never starts from the
firm's answers on another."""
from __future__ import annotations

import re
import subprocess
import sys

import yaml

from diagnosis.assessments import service
from diagnosis.extensions import db
from diagnosis.models import Assessment
from questionnaires.shared_facts import REVIEW_FILE, ReviewInvalid, load_review, shipped_instruments

from .helpers import extreme_answers, sme


def _review_data() -> dict:
    return yaml.safe_load(REVIEW_FILE.read_text(encoding="utf-8"))


def _write(tmp_path, data) -> str:
    path = tmp_path / "shared-facts.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return str(path)


def _problems(instruments, path) -> list[str]:
    try:
        load_review(instruments, path)
    except ReviewInvalid as exc:
        return exc.problems
    return []


def test_the_shipped_review_covers_every_instrument_pair_and_quotes_real_wording():
    instruments = shipped_instruments()
    review = load_review(instruments)
    assert set(review.reviewed) == set(instruments)
    # Every pair of instruments was read against each other, and nothing was linked.
    assert {frozenset(c.between) for c in review.considered} == {
        frozenset(p) for p in (("sme-digital", "cloud-adoption"), ("sme-digital", "smart-manufacturing"),
                               ("cloud-adoption", "smart-manufacturing"))}
    assert {c.verdict for c in review.considered} == {"rejected"}
    # The two facts the issue names are among the pairs considered.
    pairs = review.pairs()
    assert ("sme-digital", "systems_coverage", "cloud-adoption", "business_areas") in pairs
    assert ("sme-digital", "equipment_network_rate", "cloud-adoption", "devices_connected") in pairs
    # A reason quotes the instruments: every Chinese quotation in it is found in the instrument files.
    texts = "".join(p.read_text(encoding="utf-8") for p in REVIEW_FILE.parent.glob("instruments/*.yaml"))
    quoted = [frag.strip() for c in review.considered
              for q in re.findall(r'"([^"]*[\u4e00-\u9fff][^"]*)"', c.reason)
              for frag in re.split(r"\.\.\.|/", q) if frag.strip()]
    assert len(quoted) > 20
    assert [q for q in quoted if q not in texts] == []


def test_a_new_instrument_version_fails_until_the_review_is_redone(tmp_path):
    instruments = shipped_instruments()
    bumped = {**instruments, "cloud-adoption": instruments["cloud-adoption"].model_copy(update={"version": "2027.1"})}
    problems = _problems(bumped, REVIEW_FILE)
    assert len(problems) == 1
    assert "cloud-adoption is now version 2027.1 but the review read 2026.1" in problems[0]
    # Once the review names the version it read, the check passes again.
    data = _review_data()
    data["reviewed"]["cloud-adoption"] = "2027.1"
    assert _problems(bumped, _write(tmp_path, data)) == []


def test_a_broken_review_is_refused_listing_every_problem(tmp_path):
    instruments = shipped_instruments()
    data = _review_data()
    del data["reviewed"]["smart-manufacturing"]
    data["considered"][0]["questions"].append(["systems_coverage", "no_such_question"])
    data["considered"][1]["verdict"] = "linked"
    data["considered"][2]["reason"] = " "
    data["considered"].append({"between": ["sme-digital", "sme-digital"], "questions": [["network", "network"]],
                               "verdict": "rejected", "reason": "x"})
    data["considered"].append({"between": ["sme-digital", "nowhere"], "questions": [["network", "x"]],
                               "verdict": "rejected", "reason": "x"})
    problems = _problems(instruments, _write(tmp_path, data))
    text = "\n".join(problems)
    assert "smart-manufacturing 2026.1 has not been reviewed" in text
    assert "cloud-adoption 2026.1 has no question 'no_such_question'" in text
    assert "verdict 'linked' is not one of rejected" in text
    assert "a verdict needs its reason" in text
    assert "both sides are sme-digital" in text
    assert "unknown instrument 'nowhere'" in text
    assert len(problems) == 6


def test_the_check_command_reads_the_review(tmp_path):
    ok = subprocess.run([sys.executable, "-m", "diagnosis.cli", "questionnaires", "check"], capture_output=True, text=True)
    assert ok.returncode == 0, ok.stderr
    assert "shared-facts.yaml: ok" in ok.stdout and "none carried" in ok.stdout


def test_a_draft_on_another_instrument_starts_from_nothing(app, world, client):
    """A firm that submitted the SME assessment starts the cloud one with prefill asked for: nothing is
    carried (no pair of questions allows it), and the SME answers are untouched."""
    inst = sme()
    answers = extreme_answers(inst, best=True)
    c = client().login(world.a.enterprise)
    t0 = c.submit(answers)
    with app.app_context():
        assert service.last_submitted(world.a.firm, "cloud-adoption") is None
    r = c.post_form("/assessments/new", {"instrument": "cloud-adoption", "prefill": "1"}, page="/home")
    assert r.status_code == 302, r.text
    aid = int(re.search(r"/assessments/(\d+)/", r.headers["Location"]).group(1))
    with app.app_context():
        a = db.session.get(Assessment, aid)
        assert a.instrument_version.instrument_id == "cloud-adoption"
        assert a.carried_from_id is None and a.answer_dict() == {}
        assert db.session.get(Assessment, t0).answer_dict() == answers
    page = c.get(f"/assessments/{aid}/page/1").text
    assert "data-carried=" not in page and "沿用本评估上次提交" not in page and "carried-summary" not in page
