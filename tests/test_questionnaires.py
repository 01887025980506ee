"""Instruments as data: the shipped ones are valid; broken ones are refused with a clear reason."""
from __future__ import annotations

import copy
import json
import subprocess
import sys

import pytest
import yaml

import questionnaires
from questionnaires import InstrumentInvalid, clean_answers, load_file, parse
from questionnaires.loader import INSTRUMENT_DIR


def raw_sme() -> dict:
    return yaml.safe_load((INSTRUMENT_DIR / "sme-digital.yaml").read_text(encoding="utf-8"))


def test_shipped_instruments_load_and_cover_their_model():
    insts = questionnaires.available()
    sme = insts["sme-digital"]
    assert [d.id for d in sme.dimensions] == ["foundation", "operations", "management", "outcomes"]
    assert sum(d.weight for d in sme.dimensions) == 100
    scenarios = [q for q in sme.dimensions[1].questions if q.type == "level"]
    assert len(scenarios) == 16
    for q in sme.questions:
        assert q.text.zh and q.text.en and q.help.zh and q.example.zh, q.id


def errors_of(data: dict) -> list[str]:
    with pytest.raises(InstrumentInvalid) as exc:
        parse(data, "broken.yaml")
    return [str(e) for e in exc.value.errors]


def first_question(data, dim=0, ind=0, q=0):
    return data["dimensions"][dim]["indicators"][ind]["questions"][q]


def test_unknown_option_in_show_if():
    data = raw_sme()
    q = first_question(data, 0, 2, 1)  # systems_list, shown unless systems_coverage is none
    q["show_if"] = {"question": "systems_coverage", "equals": "nonsense"}
    errs = errors_of(data)
    assert any("systems_coverage" in e and "'nonsense'" in e and "show_if" in e for e in errs), errs


def test_show_if_must_look_backwards():
    data = raw_sme()
    first_question(data)["show_if"] = {"question": "systems_coverage", "equals": "one"}
    assert any("does not come before" in e for e in errors_of(data))


def test_weights_not_summing():
    data = raw_sme()
    data["dimensions"][0]["weight"] = 45
    errs = errors_of(data)
    assert any("weight 45 but its questions add up to 50" in e for e in errs), errs
    assert any("add up to 95" in e for e in errs), errs


def test_duplicate_question_id():
    data = raw_sme()
    first_question(data, 2)["id"] = "network"
    assert any("duplicate question id 'network'" in e for e in errors_of(data))


def test_missing_chinese_text_names_the_path():
    data = raw_sme()
    del first_question(data)["text"]["zh"]
    errs = errors_of(data)
    assert errs == ["broken.yaml: dimensions.0.indicators.0.questions.0.text.zh: required field is missing"]


def test_every_error_is_reported_at_once():
    data = raw_sme()
    del first_question(data)["help"]
    first_question(data, 2)["type"] = "slider"
    assert len(errors_of(data)) >= 2


def test_check_command_lists_errors_without_traceback(tmp_path):
    data = raw_sme()
    data["dimensions"][0]["weight"] = 45
    first_question(data, 2)["id"] = "network"
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    broken_yaml = tmp_path / "syntax.yaml"
    broken_yaml.write_text("id: [unclosed\n", encoding="utf-8")
    run = subprocess.run([sys.executable, "-m", "diagnosis.cli", "questionnaires", "check", str(bad), str(broken_yaml)],
                         capture_output=True, text=True)
    assert run.returncode == 1
    assert "Traceback" not in run.stderr
    assert "weight 45" in run.stderr and "duplicate question id" in run.stderr
    assert "syntax.yaml: line" in run.stderr and "not valid YAML" in run.stderr
    ok = subprocess.run([sys.executable, "-m", "diagnosis.cli", "questionnaires", "check"], capture_output=True, text=True)
    assert ok.returncode == 0, ok.stderr


def test_show_json_is_the_full_definition():
    run = subprocess.run([sys.executable, "-m", "diagnosis.cli", "questionnaires", "show", "sme-digital", "--format", "json"],
                         capture_output=True, text=True, check=True)
    data = json.loads(run.stdout)
    assert data["content_hash"] == questionnaires.content_hash(questionnaires.get("sme-digital"))
    assert parse({k: v for k, v in data.items() if k != "content_hash"}) == questionnaires.get("sme-digital")


def test_content_hash_ignores_formatting_but_not_content(tmp_path):
    data = raw_sme()
    a = tmp_path / "a.yaml"
    a.write_text(yaml.safe_dump(data, allow_unicode=True, default_flow_style=True), encoding="utf-8")
    assert questionnaires.content_hash(load_file(a)) == questionnaires.content_hash(questionnaires.get("sme-digital"))
    changed = copy.deepcopy(data)
    first_question(changed)["options"][0]["points"] = 2.5
    first_question(changed)["options"][1]["points"] = 1.5
    assert questionnaires.content_hash(parse(changed)) != questionnaires.content_hash(parse(data))


@pytest.mark.parametrize("answers, bad, code", [
    ({"systems_coverage": "lots"}, "systems_coverage", "not_option"),
    ({"network": "shopfloor"}, "network", "not_list"),
    ({"network": ["shopfloor", "warp"]}, "network", "not_option"),
    ({"equipment_digital_rate": "50"}, "equipment_digital_rate", "not_number"),
    ({"equipment_digital_rate": True}, "equipment_digital_rate", "not_number"),
    ({"equipment_digital_rate": float("nan")}, "equipment_digital_rate", "not_number"),
    ({"equipment_digital_rate": 100.5}, "equipment_digital_rate", "out_of_range"),
    ({"systems_list": "x" * 2001}, "systems_list", "too_long"),
    ({"systems_list": 5}, "systems_list", "not_text"),
    ({"nope": 1}, "nope", "unknown_question"),
])
def test_answer_validation(answers, bad, code):
    clean, errors = clean_answers(questionnaires.get("sme-digital"), answers)
    assert clean == {} and [(e.question, e.code) for e in errors] == [(bad, code)]


def test_answer_normalisation():
    clean, errors = clean_answers(questionnaires.get("sme-digital"), {
        "network": ["fiveg", "shopfloor", "fiveg"], "equipment_digital_rate": 40, "systems_list": "  ERP  ",
        "systems_coverage": None})
    assert errors == []
    assert clean == {"network": ["shopfloor", "fiveg"], "equipment_digital_rate": 40.0, "systems_list": "ERP",
                     "systems_coverage": None}


def test_show_prints_a_paper_form_with_conditions_in_words():
    run = subprocess.run([sys.executable, "-m", "diagnosis.cli", "questionnaires", "show", "cloud-adoption"],
                         capture_output=True, text=True, check=True)
    assert "9. 是否在边缘侧（网关或边缘服务器）对设备数据进行处理？（仅当第8题不是“没有”时回答）" in run.stdout
    assert "   [ ] 是   [ ] 否" in run.stdout and "______ 月  (0-240)" in run.stdout
    en = subprocess.run([sys.executable, "-m", "diagnosis.cli", "questionnaires", "show", "cloud-adoption", "--lang", "en"],
                        capture_output=True, text=True, check=True)
    assert '(answer only if question 8 is not \u201cNone\u201d)' in en.stdout


def test_whole_numbers_are_enforced_where_asked():
    clean, errors = clean_answers(questionnaires.get("cloud-adoption"), {"industrial_apps": 2.5, "months_in_use": 4})
    assert clean == {"months_in_use": 4.0} and [(e.question, e.code) for e in errors] == [("industrial_apps", "not_integer")]
