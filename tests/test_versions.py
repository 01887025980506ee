"""An answer given on an old version of an instrument keeps scoring and rendering as it did."""
from __future__ import annotations

import copy
import io

import pypdf
import yaml

import questionnaires
from diagnosis.assessments import service
from diagnosis.extensions import db
from diagnosis.models import Assessment, InstrumentVersion
from questionnaires.loader import INSTRUMENT_DIR

from .conftest import PLEDGE
from .helpers import extreme_answers, sme


def changed_instrument():
    """The next edition: the 5G network option renamed and worth more, network worth less."""
    data = yaml.safe_load((INSTRUMENT_DIR / "sme-digital.yaml").read_text(encoding="utf-8"))
    new = copy.deepcopy(data)
    new["version"] = "2099.1"
    options = new["dimensions"][0]["indicators"][0]["questions"][0]["options"]
    options[2]["text"] = {"zh": "5G专网（新版措辞）", "en": "5G private network"}
    options[2]["points"] = 4
    options[0]["points"] = 0  # keeps the dimension at 50
    return questionnaires.parse(new)


def test_old_assessment_scores_and_renders_with_its_own_version(app, world, client, monkeypatch):
    c = client().login(world.a.enterprise)
    aid = c.start()
    answers = extreme_answers(sme(), best=False)
    answers["network"] = ["fiveg"]
    c.autosave(aid, answers)
    c.post_form(f"/assessments/{aid}/review", PLEDGE)
    with app.app_context():
        old_total = db.session.get(Assessment, aid).result.total
    assert old_total == 2.0

    # The instrument file changes; new assessments use the new version.
    answered_on = questionnaires.get("sme-digital").version
    new = changed_instrument()
    monkeypatch.setattr(questionnaires, "get", lambda _id, *a, **k: new)
    with app.app_context():
        a = db.session.get(Assessment, aid)
        assert service.instrument_of(a).version == answered_on
        # Re-scoring the old answers uses the old definition.
        assert service.submit(a).total == 2.0
        db.session.commit()
    other = client().login(world.a.other_enterprise)
    new_aid = other.start()
    other.autosave(new_aid, answers)
    other.post_form(f"/assessments/{new_aid}/review", PLEDGE)
    with app.app_context():
        assert db.session.get(Assessment, new_aid).result.total == 4.0  # 5G is worth 4 in the new edition
        assert db.session.query(InstrumentVersion).count() == 2

    # The old report still shows the old wording; the new one the new.
    old_pdf = pypdf.PdfReader(io.BytesIO(c.get(f"/assessments/{aid}/report.pdf").data))
    old_text = "".join(p.extract_text() for p in old_pdf.pages)
    assert "自建或租用5G工业网络" in old_text and "新版措辞" not in old_text
    new_pdf = pypdf.PdfReader(io.BytesIO(other.get(f"/assessments/{new_aid}/report.pdf").data))
    assert "新版措辞" in "".join(p.extract_text() for p in new_pdf.pages)
