"""The office's documents (通报, 整改通知书 per unit, 整改复查报告) in HTML/PDF/DOCX and the XLSX/CSV tables,
rendered from the golden scored results (tests/fixtures/results_*.json)."""

from __future__ import annotations

import copy
import csv
import datetime as dt
import json
import shutil
import subprocess
import zipfile
from pathlib import Path

import jinja2
import pytest

from govaudit.config import ConfigError
from govaudit.notice_config import load_notice_config
from reports import pdf as pdf_writer
from reports.cells import neutralise
from reports.render import make_env, write_reports
from reports.settings import NoticeSettings

FIXTURES = Path(__file__).parent / "fixtures"
ISSUED = dt.date(2021, 12, 21)


def load(name: str) -> dict:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


@pytest.fixture()
def no_pdf(monkeypatch):
    monkeypatch.setattr(pdf_writer, "pdf_unavailable_reason", lambda: "测试中不生成 PDF")


def shared_unit(results: dict) -> dict:
    """wuning and xunyang both run by one unit (as a county office may run its portal and a department site)."""
    data = copy.deepcopy(results)
    for site in data["sites"]:
        if site["id"] in ("wuning", "xunyang"):
            site["unit"] = "九江市测试联合办公室"
    return data


def docx_text(path: Path) -> str:
    import docx

    document = docx.Document(str(path))
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            parts.extend(cell.text for cell in row.cells)
    return "\n".join(parts)


def problem_messages(results: dict, site_id: str) -> list[str]:
    site = next(s for s in results["sites"] if s["id"] == site_id)
    return [
        f["message"]
        for c in site["checks"]
        if c["status"] == "fail"
        for f in c["findings"]
        if f.get("severity") in ("veto", "fail")
    ]


# ---------------------------------------------------------------- templates


def test_document_templates_fail_loudly_on_a_missing_field(tmp_path, no_pdf):
    sample = load("results_sample.json")
    write_reports(sample, tmp_path, issued=ISSUED, formats={"html"})
    env = make_env()
    assert env.undefined is jinja2.StrictUndefined
    for template, name in (
        ("summary.html.j2", "doc"),
        ("notice.html.j2", "notice"),
        ("recheck_report.html.j2", "doc"),
    ):
        with pytest.raises(jinja2.UndefinedError):
            env.get_template(template).render(**{name: {"title": "x"}}, css="", root="")


# ---------------------------------------------------------------- notices per unit


def test_a_unit_with_two_sites_gets_one_notice_naming_both(tmp_path, no_pdf):
    data = shared_unit(load("results_sample.json"))
    write_reports(data, tmp_path, issued=ISSUED)
    notices = sorted(p.stem for p in (tmp_path / "notices").glob("*.html"))
    assert notices == ["fgw", "xunyang"]  # the unit's file is named after its first site
    page = (tmp_path / "notices" / "xunyang.html").read_text(encoding="utf-8")
    assert "关于九江市测试联合办公室所属2个网站检查问题的整改通知书" in page
    assert "浔阳区人民政府" in page and "武宁县人民政府" in page
    body = docx_text(tmp_path / "notices" / "xunyang.docx")
    for message in problem_messages(data, "xunyang") + problem_messages(data, "wuning"):
        assert message in page, message
        assert message in body, message
    manifest = json.loads((tmp_path / "documents.json").read_text(encoding="utf-8"))
    [entry] = [d for d in manifest["documents"] if d["kind"] == "notice" and d["key"] == "notices/xunyang"]
    assert entry["sites"] == ["xunyang", "wuning"] and entry["files"]["docx"] == "notices/xunyang.docx"
    index = (tmp_path / "index.html").read_text(encoding="utf-8")
    assert index.count('href="notices/xunyang.html"') == 2  # both sites link their unit's notice


def test_notice_takes_issuer_number_contact_and_deadline_from_the_settings(tmp_path, no_pdf):
    settings = NoticeSettings(
        issuer="测试市政务公开办",
        doc_number="测公开〔{year}〕{seq}号（第{run}次）",
        deadline_workdays=5,
        signature=("测试市政务公开办",),
    )
    write_reports(
        load("results_sample.json"),
        tmp_path,
        issued=ISSUED,
        settings=settings,
        add_workdays=lambda start, days: start + dt.timedelta(days=days * 10),
    )
    page = (tmp_path / "notices" / "xunyang.html").read_text(encoding="utf-8")
    assert "测试市政务公开办" in page and "测公开〔2021〕2号（第7次）" in page
    assert "5个工作日" in page and "2022年2月9日" in page  # the given calendar: 21 Dec + 50 days
    assert "本通知书未附页面截图" in page  # no screenshots taken: the notice says so


def test_notice_config_errors_name_file_line_and_field(tmp_path):
    bad = tmp_path / "notice.yaml"
    bad.write_text(
        'issuer: 测试办\ndoc_number: "测〔{year}〕{number}号"\ncontact: {unit: 测试科}\n', encoding="utf-8"
    )
    with pytest.raises(ConfigError) as err:
        load_notice_config(bad)
    assert err.value.line == 2 and err.value.field == "doc_number" and "{number}" in err.value.message
    bad.write_text(
        'issuer: 测试办\ndoc_number: "测〔{year}〕{seq}号"\ncontact: {unit: 测试科}\ndeadline_workdays: 0\n',
        encoding="utf-8",
    )
    with pytest.raises(ConfigError) as err:
        load_notice_config(bad)
    assert (err.value.line, err.value.field) == (4, "deadline_workdays")
    assert load_notice_config(Path(__file__).parents[1] / "config" / "notice.yaml").deadline_workdays == 10
    proc = subprocess.run(
        [
            str(Path(__import__("sys").executable).parent / "govaudit"),
            "report",
            "--db",
            f"sqlite:///{tmp_path / 'none.db'}",
            "--notice-config",
            str(bad),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2, proc.stderr
    assert f"{bad}:4: deadline_workdays:" in proc.stderr
    assert not (tmp_path / "none.db").exists()  # refused before the database was opened


# ---------------------------------------------------------------- re-check report


def test_recheck_report_per_unit_has_items_before_and_after(tmp_path, no_pdf):
    sample, again = load("results_sample.json"), load("results_recheck.json")
    write_reports(again, tmp_path, previous=sample, issued=dt.date(2022, 1, 11))
    page = (tmp_path / "rechecks" / "xunyang.html").read_text(encoding="utf-8")
    for word in ("复查报告", "已整改", "未整改", "前次问题及证据", "本次情况及证据", "新发现问题"):
        assert word in page
    body = docx_text(tmp_path / "rechecks" / "xunyang.docx")
    assert "已整改" in body and "未整改" in body
    rows = list(csv.DictReader((tmp_path / "recheck.csv").read_text(encoding="utf-8-sig").splitlines()))
    assert {r["复查结果"] for r in rows} >= {"已整改", "未整改"}


# ---------------------------------------------------------------- workbook and CSV


def test_workbook_holds_every_finding_with_frozen_header_filters_and_widths(tmp_path, no_pdf):
    from openpyxl import load_workbook

    sample = load("results_sample.json")
    write_reports(sample, tmp_path, issued=ISSUED, formats={"xlsx", "csv"})
    wb = load_workbook(tmp_path / "results.xlsx")
    assert wb.sheetnames == ["排名", "问题清单", "复查"]
    for ws in wb.worksheets:
        assert ws.freeze_panes == "A2"
        assert ws.auto_filter.ref and ws.auto_filter.ref.startswith("A1:")
        assert ws.column_dimensions["C"].width >= 20
    ranking = list(wb["排名"].iter_rows(min_row=2, values_only=True))
    assert [r[2] for r in ranking] == [
        "九江市发展和改革委员会",
        "浔阳区人民政府",
        "武宁县人民政府",
        "庐山市人民政府",
    ]
    findings = list(wb["问题清单"].iter_rows(min_row=2, values_only=True))
    messages = {r[6] for r in findings}
    for site in sample["sites"]:
        for m in problem_messages(sample, site["id"]):
            assert m in messages
    csv_rows = list(csv.reader((tmp_path / "findings.csv").read_bytes().decode("utf-8-sig").splitlines()))
    assert (tmp_path / "findings.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    assert len(csv_rows) - 1 == len(findings)


def test_formula_shaped_text_from_a_page_is_neutralised(tmp_path, no_pdf):
    from openpyxl import load_workbook

    data = copy.deepcopy(load("results_sample.json"))
    evil = '=HYPERLINK("http://evil.test/","点击查看")'
    data["sites"][1]["name"] = "+cmd|' /C calc'!A0"
    data["sites"][1]["checks"][1]["findings"][0]["message"] = evil
    write_reports(data, tmp_path, issued=ISSUED, formats={"xlsx", "csv"})
    wb = load_workbook(tmp_path / "results.xlsx")
    cells = [c for ws in wb.worksheets for row in ws.iter_rows() for c in row if isinstance(c.value, str)]
    assert all(c.data_type != "f" for c in cells)
    assert all(not c.value.startswith(("=", "+", "-", "@")) for c in cells)
    assert any(c.value == "'" + evil for c in cells)
    for name in ("ranking.csv", "findings.csv"):
        for row in csv.reader((tmp_path / name).read_text(encoding="utf-8-sig").splitlines()):
            assert all(not v.startswith(("=", "+", "-", "@")) for v in row), row
    assert neutralise("@SUM(A1)") == "'@SUM(A1)" and neutralise(" -1+2") == "' -1+2"
    assert (
        neutralise("＝1+1") == "'＝1+1" and neutralise(-3.5) == -3.5 and neutralise("正常文字") == "正常文字"
    )


# ---------------------------------------------------------------- DOCX as Word and WPS read it


def test_docx_sets_east_asian_fonts_bordered_tables_and_page_numbers(tmp_path, no_pdf):
    import docx

    write_reports(load("results_sample.json"), tmp_path, issued=ISSUED, formats={"docx"})
    for path in (tmp_path / "summary.docx", tmp_path / "notices" / "xunyang.docx"):
        document = docx.Document(str(path))
        assert document.tables and all(t.style.name == "Table Grid" for t in document.tables)
        with zipfile.ZipFile(path) as z:
            body = z.read("word/document.xml").decode("utf-8")
            styles = z.read("word/styles.xml").decode("utf-8")
            footers = "".join(z.read(n).decode("utf-8") for n in z.namelist() if n.startswith("word/footer"))
        # the East Asian font sits on the paragraph styles every paragraph and table cell uses
        assert (
            'w:eastAsia="仿宋"' in styles and 'w:eastAsia="宋体"' in styles and 'w:eastAsia="黑体"' in styles
        )
        assert 'w:pStyle w:val="ga-宋体-9-t"' in body or 'w:pStyle w:val="ga-宋体-8-t"' in body
        assert "<w:tblHeader/>" in body and "<w:cantSplit/>" in body
        assert "PAGE" in footers and 'w:fldCharType="begin"' in footers
    summary = docx_text(tmp_path / "summary.docx")
    for name in ("九江市发展和改革委员会", "浔阳区人民政府", "武宁县人民政府", "庐山市人民政府", "合格率"):
        assert name in summary


# ---------------------------------------------------------------- the 通报 stays short


def hundred_sites(results: dict) -> dict:
    data = copy.deepcopy(results)
    base = data["sites"]
    sites = []
    for i in range(100):
        site = copy.deepcopy(base[i % len(base)])
        site["id"] = f"{site['id']}{i:03d}"
        site["name"] = f"{site['name']}{i:03d}"
        site["level"] = "department" if i % 3 else "county"
        sites.append(site)
    data["sites"] = sites
    return data


def test_summary_of_100_sites_fits_in_12_pages(tmp_path):
    reason = pdf_writer.pdf_unavailable_reason()
    if reason:
        pytest.skip(f"no PDF on this machine: {reason}")
    pdfinfo = shutil.which("pdfinfo")
    if not pdfinfo:
        pytest.skip("pdfinfo (poppler-utils) is not installed")
    data = hundred_sites(load("results_sample.json"))
    write_reports(data, tmp_path, issued=ISSUED, formats={"pdf", "docx"}, documents={"summary"})
    info = subprocess.run(
        [pdfinfo, str(tmp_path / "summary.pdf")], capture_output=True, text=True, check=True
    ).stdout
    pages = int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")))
    assert 3 <= pages <= 12, pages
    body = docx_text(tmp_path / "summary.docx")
    assert "浔阳区人民政府099" not in body  # 99 % 4 = 3: lushan
    assert "庐山市人民政府099" in body and "九江市发展和改革委员会096" in body


# ---------------------------------------------------------------- screenshots


PAGE = """<html><head><meta charset="utf-8"><title>测试</title><script>document.title='ran'</script>
<link rel="stylesheet" href="http://192.0.2.1/never.css"></head><body><h1>测试局</h1>
<p>正文</p><a href="/gone.html">办事指南</a><img src="http://192.0.2.1/tracker.png"></body></html>"""


def test_marks_the_link_the_finding_names_and_strips_scripts():
    from reports.screenshots import MARK, evidence_targets, mark_element

    targets, texts = evidence_targets(
        {"target": "http://t.test/gone.html", "page": "http://t.test/"}, "http://t.test/"
    )
    assert targets == ("http://t.test/gone.html",)
    marked = mark_element(PAGE, "http://t.test/", targets, texts)
    assert marked is not None and f'{MARK}="1"' in marked and "<script" not in marked
    assert "办事指南" in marked.split(f'{MARK}="1"')[1][:40]
    assert mark_element(PAGE, "http://t.test/", ("http://t.test/other.html",), ()) is None


def test_screenshot_outlines_the_element_offline(tmp_path):
    from reports.screenshots import ShotJob, chromium_path, take_screenshots

    if not chromium_path():
        pytest.skip("Chromium is not installed")
    from PIL import Image

    job = ShotJob(
        key=("t", "broken-links", "u", "m"),
        site_id="t",
        page_url="http://t.test/",
        html=PAGE,
        targets=("http://t.test/gone.html",),
    )
    shots = take_screenshots([job, job, job], tmp_path, per_site=1)
    assert list(shots) == [job.key]  # bounded per site
    image = Image.open(shots[job.key]).convert("RGB")
    raw = image.tobytes()
    red = sum(1 for i in range(0, len(raw), 3) if raw[i] > 200 and raw[i + 1] < 60 and raw[i + 2] < 60)
    assert red > 50  # the outline is drawn


# ---------------------------------------------------------------- pictures printed whole


def _data_uris(html: str) -> list[str]:
    import re

    return re.findall(r'<img[^>]+src="(data:[^"]*)"', html)


def _decodes(uri: str) -> bytes:
    import base64

    head, _, data = uri.partition(",")
    assert head.endswith(";base64"), head
    return base64.b64decode(data, validate=True)


def test_summary_charts_are_embedded_whole(tmp_path, no_pdf):
    """The display filter shortens long unbroken strings; a chart's data URI is one and must stay whole."""
    write_reports(
        load("results_sample.json"), tmp_path, issued=ISSUED, formats={"html"}, documents={"summary"}
    )
    uris = _data_uris((tmp_path / "summary.html").read_text(encoding="utf-8"))
    assert len(uris) == 3
    for uri in uris:
        assert "字符）" not in uri
        assert _decodes(uri).lstrip().startswith(b"<?xml")


def test_notice_screenshot_is_embedded_whole(tmp_path):
    from PIL import Image

    from reports.documents import _data_uri

    png = tmp_path / "shot.png"
    Image.new("RGB", (300, 200), (255, 255, 255)).save(png)
    html = make_env().from_string('<img src="{{ uri }}">').render(uri=_data_uri(png))
    (uri,) = _data_uris(html)
    assert _decodes(uri) == png.read_bytes()
