"""PDF reports: cached renders, PDF/A, the report command, safe rendering."""
from __future__ import annotations

import io
import json

import pypdf
import pytest

import questionnaires
import reports.render
from reports import firm_report_html
from reports.render import AssetFetcher

from .helpers import extreme_answers, sme


@pytest.fixture
def submitted(world, client):
    c = client().login(world.a.enterprise)
    return c, c.submit(extreme_answers(sme(), best=False))


def test_second_download_comes_from_the_cache(submitted, monkeypatch):
    c, aid = submitted
    first = c.get(f"/assessments/{aid}/report.pdf").data

    def no_render(*a, **k):
        raise AssertionError("rendered again")

    monkeypatch.setattr(reports.render, "_report_html_class", lambda: no_render)
    assert c.get(f"/assessments/{aid}/report.pdf").data == first
    # Another language is another report.
    c.get("/lang/en")
    with pytest.raises(AssertionError, match="rendered again"):
        c.get(f"/assessments/{aid}/report.pdf")


def test_pdf_a_variant(submitted):
    c, aid = submitted
    r = c.get(f"/assessments/{aid}/report.pdf?variant=pdf/a-3b")
    root = pypdf.PdfReader(io.BytesIO(r.data)).trailer["/Root"]
    assert "/OutputIntents" in root and "/Metadata" in root
    assert c.get(f"/assessments/{aid}/report.pdf?variant=bogus").status_code == 400


def test_report_command_without_database(app, tmp_path):
    from diagnosis.cli import main
    answers = tmp_path / "a.json"
    answers.write_text(json.dumps(extreme_answers(questionnaires.get("smart-manufacturing"), best=True)), encoding="utf-8")
    company = tmp_path / "c.json"
    company.write_text(json.dumps({"name": "命令行测试有限公司", "industry_division": "34", "size_class": "medium"}), encoding="utf-8")
    out = tmp_path / "r.pdf"
    res = app.test_cli_runner().invoke(main, ["report", "--questionnaire", "smart-manufacturing", "--answers", str(answers),
                                              "--company", str(company), "--out", str(out)])
    assert res.exit_code == 0, res.output
    text = "".join(p.extract_text() for p in pypdf.PdfReader(str(out)).pages)
    assert "命令行测试有限公司" in text and "五级" in text
    res = app.test_cli_runner().invoke(main, ["report", "--out", str(out)])
    assert res.exit_code != 0 and "--assessment" in res.output


def test_fetcher_serves_only_packaged_assets(tmp_path):
    fetcher = AssetFetcher()
    assert b"@page" in fetcher.fetch(reports.render.BASE_URL + "report.css").read()
    for url in ("file:///etc/passwd", reports.render.BASE_URL + "../render.py", "http://127.0.0.1/", "data:text/plain,hi",
                "https://example.com/x.css"):
        with pytest.raises(ValueError):
            fetcher.fetch(url)


def test_user_text_cannot_pull_in_files_or_markup():
    inst = sme()
    result = {"total": 0, "level": 0, "method": "weighted_points", "indicators": {},
              "dimensions": {d.id: {"points": 0, "max_points": d.weight, "percent": 0} for d in inst.dimensions}}
    html = firm_report_html(inst, result, {"name": '<img src="file:///etc/passwd"><link rel=stylesheet href="http://x/">',
                                           "zone": "<script>alert(1)</script>"}, "zh",
                            answers={"systems_list": '<iframe src="file:///etc/shadow">'})
    assert "<img src" not in html and "<script>" not in html and "<iframe" not in html
    assert "&lt;img src=&#34;file:///etc/passwd&#34;&gt;" in html


def test_report_files_are_named_by_firm_instrument_and_date():
    from urllib.parse import unquote

    from reports.names import content_disposition, report_filename
    name = report_filename('A/B:C*"常州"<五金>|有限公司', "中小企业数字化水平评测（制造业）", "2026-11-23")
    assert name == "A_B_C_常州_五金_有限公司-中小企业数字化水平评测（制造业）-2026-11-23.pdf"
    assert report_filename("", "", "") == "report.pdf" and len(report_filename("长" * 300, "x", "d")) <= 124
    header = content_disposition(name, "diagnosis-7.pdf")
    assert header.startswith('attachment; filename="diagnosis-7.pdf"; filename*=UTF-8\'\'')
    assert unquote(header.split("''", 1)[1]) == name and header.isascii()


def test_pdf_download_carries_the_firm_name(submitted):
    c, aid = submitted
    from urllib.parse import unquote
    header = c.get(f"/assessments/{aid}/report.pdf").headers["Content-Disposition"]
    assert "A号精密机械有限公司-中小企业数字化水平评测" in unquote(header) and f"diagnosis-{aid}.pdf" in header


def test_report_user_agent_sheet_is_lean_and_lists_still_number():
    """The renderer drops WeasyPrint's universal ::marker / footnote rules (a sixth of the render);
    if a WeasyPrint upgrade changes its sheet, this fails instead of silently losing the gain."""
    import re

    from weasyprint import html as ua_html

    lean = reports.render.lean_ua_css(ua_html.UA)
    assert "\nli::marker {" in lean
    assert not re.search(r"^::(?:marker|footnote|note)", lean, re.M)
    pdf = reports.render.html_to_pdf("<ol><li>第一步</li><li>第二步</li></ol><ul><li>要点</li></ul>")
    text = pypdf.PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    assert "1." in text and "2." in text and "第二步" in text and "•" in text


def test_terms_stay_inside_their_box_in_both_languages():
    """A term that wraps (English "Constrained scenario") once hung below the terms box into the next
    section: laid out for real, every term and meaning ends inside the box."""
    inst = sme()
    result = {"total": 0, "level": 0, "method": "weighted_points", "indicators": {},
              "dimensions": {d.id: {"points": 0, "max_points": d.weight, "percent": 0} for d in inst.dimensions}}
    fonts, css = reports.render._print_setup()
    for lang in ("zh", "en"):
        html = firm_report_html(inst, result, {"name": "A号精密机械有限公司", "zone": "Zone A"}, lang)
        doc = reports.render._report_html_class()(string=html, base_url=reports.render.BASE_URL,
                                                  url_fetcher=AssetFetcher()).render(stylesheets=[css], font_config=fonts)
        boxes = [b for page in doc.pages for b in page._page_box.descendants()]
        box = next(b for b in boxes if b.element_tag == "dl" and "terms" in (b.element.get("class") or ""))
        inside = [b for b in box.descendants() if b.element_tag in ("dt", "dd") and b is not box]
        assert len(inside) >= 6 and any("Constrained" in (b.element.text or "") for b in inside) == (lang == "en")
        bottom = box.content_box_y() + box.height
        assert all(b.position_y + b.margin_height() <= bottom + 0.01 for b in inside), lang
