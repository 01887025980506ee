"""Carrying old answers to a new version: the mapping files, and `diagnosis rescore --mapping`."""
from __future__ import annotations

import csv

import pytest
import yaml

import questionnaires
from diagnosis.assessments import service
from diagnosis.cli import main
from diagnosis.extensions import db
from diagnosis.models import Assessment
from questionnaires.upgrade import MappingInvalid, archived, load_mapping, mapping_path

from .test_published_rules import P40

OLD = archived("sme-digital", "2024.1")
NEW = questionnaires.get("sme-digital")
MAPPING = mapping_path("sme-digital", "2024.1", NEW.version)


def old_level_two() -> dict:
    """Level 2 under 2024.1 (finance, purchasing, quality constrained at L2 there); under 2026.1
    accounting software is finance L1, so only two constrained scenarios stand at L2: level 1."""
    answers = {**P40, **{q.id: "l1" for q in OLD.questions if q.type == "level"}}
    at_two = ("finance", "purchasing", "quality", "scheduling", "collaboration", "after_sales")
    answers.update({q: "l2" for q in at_two})
    return answers


def test_every_shipped_mapping_checks_against_both_versions():
    for iid, old in (("sme-digital", "2024.1"), ("cloud-adoption", "2024.1"), ("smart-manufacturing", "2020.1")):
        new = questionnaires.get(iid)
        load_mapping(mapping_path(iid, old, new.version), archived(iid, old), new)


def test_mapping_moves_accounting_software_to_level_1_and_refuses_mixed_options():
    m = load_mapping(MAPPING, OLD, NEW)
    old = {"finance": "l2", "decision_support": "l3", "product_design": "l3", "network": ["fiveg"]}
    carried, unmapped = m.carry(old)
    assert carried == {"finance": "l1", "decision_support": "l2", "network": ["fiveg"]}
    assert unmapped == ["product_design"]


def test_a_mapping_that_leaves_an_option_out_is_refused(tmp_path):
    data = yaml.safe_load(MAPPING.read_text(encoding="utf-8"))
    del data["questions"]["finance"]["options"]["l2"]
    data["questions"]["hr"]["options"]["l4"] = "l9"
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(MappingInvalid) as exc:
        load_mapping(bad, OLD, NEW)
    assert "finance: old options l2 are not mapped" in str(exc.value)
    assert "hr: maps to unknown new options l9" in str(exc.value)


def test_rescore_dry_run_reports_level_changes_and_changes_nothing(app, world, monkeypatch, tmp_path):
    with app.app_context():
        monkeypatch.setattr(questionnaires, "get", lambda iid, *a, **k: OLD if iid == "sme-digital" else NEW)
        a = service.start(world.a.firm, "sme-digital", None)
        service.save_answers(a, old_level_two(), None)
        db.session.flush()
        assert service.submit(a).level == 2
        db.session.commit()
        old_id = a.id
        monkeypatch.undo()
    runner = app.test_cli_runner()

    out = runner.invoke(main, ["rescore", "--mapping", str(MAPPING), "--dry-run", "--zone", str(world.a.zone)])
    assert out.exit_code == 0, out.output
    assert "1 would change level" in out.output and "A号精密机械有限公司" in out.output and "二级 -> 一级" in out.output
    assert "Dry run: nothing was changed." in out.output
    with app.app_context():
        assert db.session.query(Assessment).count() == 1

    refused = runner.invoke(main, ["rescore", "--mapping", str(MAPPING)])
    assert refused.exit_code != 0 and "--report" in refused.output

    report = tmp_path / "upgrade.csv"
    out = runner.invoke(main, ["rescore", "--mapping", str(MAPPING), "--report", str(report)])
    assert out.exit_code == 0, out.output
    rows = list(csv.reader(report.open(encoding="utf-8-sig")))
    assert rows[1][1:6] == ["A号精密机械有限公司", rows[1][2], "二级", "一级", "yes"]
    with app.app_context():
        old, new = db.session.query(Assessment).order_by(Assessment.id).all()
        assert old.id == old_id and old.result.level == 2 and service.instrument_of(old).version == "2024.1"
        assert new.result.level == 1 and service.instrument_of(new).version == NEW.version
        assert new.result.is_latest and not old.result.is_latest
