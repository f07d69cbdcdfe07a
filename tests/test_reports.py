"""reports/: everything rendered from a scored results.json (tests/fixtures/results_*.json), nothing else."""

from __future__ import annotations

import copy
import csv
import datetime as dt
import json
import logging
import re
import shutil
import subprocess
from pathlib import Path

import jinja2
import pytest

from reports import pdf as pdf_writer
from reports.recheck import diff, message_key
from reports.render import add_weekdays, make_env, write_reports

FIXTURES = Path(__file__).parent / "fixtures"
ISSUED = dt.date(2021, 12, 21)  # a Tuesday; + 10 weekdays = 2022-01-04 (weekends only, no holidays)
DEADLINE_TEXT = "2022年1月4日"


def load(name: str) -> dict:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def sample() -> dict:
    return load("results_sample.json")


@pytest.fixture(scope="module")
def recheck_results() -> dict:
    return load("results_recheck.json")


@pytest.fixture()
def no_pdf(monkeypatch):
    """HTML-only rendering (fast); the PDF path has its own tests."""
    monkeypatch.setattr(pdf_writer, "pdf_unavailable_reason", lambda: "测试中不生成 PDF")


@pytest.fixture(scope="module")
def rendered(tmp_path_factory, sample) -> Path:
    out = tmp_path_factory.mktemp("report")
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(pdf_writer, "pdf_unavailable_reason", lambda: "测试中不生成 PDF")
        write_reports(sample, out, issued=ISSUED)
    return out


def text(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def plain(html: str) -> str:
    """The visible text of an HTML page, tags dropped and whitespace squeezed."""
    html = re.sub(r"<style>.*?</style>", " ", html, flags=re.DOTALL)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def ranking_rows(out: Path) -> list[dict[str, str]]:
    raw = (out / "ranking.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf"), "ranking.csv must start with a UTF-8 BOM for Excel"
    return list(csv.DictReader(raw.decode("utf-8-sig").splitlines()))


# ---------------------------------------------------------------- files and overview


def test_templates_are_strict_and_autoescaped():
    env = make_env()
    assert env.undefined is jinja2.StrictUndefined
    assert env.autoescape is True


def test_writes_every_output_file(rendered, sample):
    assert (rendered / "index.html").is_file()
    assert (rendered / "ranking.csv").is_file()
    for site in sample["sites"]:
        assert (rendered / "sites" / f"{site['id']}.html").is_file()
    notices = sorted(p.name for p in (rendered / "notices").iterdir() if p.suffix == ".html")
    assert notices == ["fgw.html", "wuning.html", "xunyang.html"]
    for name in ["summary.html", "summary.docx", "results.xlsx", "findings.csv", "recheck.csv",
                 "documents.json", "notices/xunyang.docx"]:
        assert (rendered / name).is_file(), name
    assert not (rendered / "recheck.html").exists() and not (rendered / "rechecks").exists()
    assert not (rendered / "report.pdf").exists()  # the whole run as one PDF is gone: 通报 + per-site pages


def test_pages_are_chinese_documents(rendered):
    for page in [rendered / "index.html", rendered / "sites" / "xunyang.html",
                 rendered / "notices" / "xunyang.html"]:
        html = text(page)
        assert '<html lang="zh-CN">' in html
        assert '"Noto Sans CJK SC"' in html  # stylesheet inlined, not escaped
        assert "&#34;Noto" not in html


def test_index_lists_every_site_with_verdict_and_score(rendered, sample):
    page = plain(text(rendered / "index.html"))
    for label in ["检查网站数", "合格数", "不合格数", "未检测数", "合格率", "33.3%", "2021年12月20日", "0.1.0"]:
        assert label in page
    for site in sample["sites"]:
        row = re.search(re.escape(site["name"]) + r".{0,200}", page)
        assert row, site["name"]
        assert site["verdict"] in row.group(0)
        if site["score"] is not None:
            assert f"{site['score']:.1f}" in row.group(0)
    assert 'href="sites/xunyang.html"' in text(rendered / "index.html")
    assert "县（市、区）门户" in page and "市直部门" in page


def test_ranking_sorted_by_verdict_then_score(rendered):
    rows = ranking_rows(rendered)
    assert list(rows[0]) == ["排名", "网站标识码", "网站名称", "网址", "级别", "责任单位", "得分", "结论", "单项否决", "问题数",
                             "主要问题"]
    assert [(r["排名"], r["网站名称"], r["得分"], r["结论"]) for r in rows] == [
        ("1", "九江市发展和改革委员会", "96.5", "合格"),
        ("2", "浔阳区人民政府", "82.0", "不合格"),
        ("3", "武宁县人民政府", "54.5", "不合格"),
        ("—", "庐山市人民政府", "—", "未检测"),
    ]
    assert rows[1]["单项否决"] == "首页不更新"
    assert rows[0]["单项否决"] == "无"
    assert rows[1]["问题数"] == "13"  # 1 veto + 3 columns + 1 topic + 2 IPv6 + 4 links + 2 markings


def test_index_order_matches_ranking(rendered):
    page = text(rendered / "index.html")
    table = page[page.index('class="ranking"'):]
    positions = [table.index(name) for name in ["九江市发展和改革委员会", "浔阳区人民政府", "武宁县人民政府", "庐山市人民政府"]]
    assert positions == sorted(positions)


# ---------------------------------------------------------------- site pages


def test_site_page_shows_checks_findings_and_evidence(rendered):
    html = text(rendered / "sites" / "xunyang.html")
    page = plain(html)
    for expected in ["浔阳区人民政府", "3604030001", "浔阳区人民政府办公室", "82.0", "不合格",
                     "首页不更新", "单项否决", "通过", "不通过", "出错"]:
        assert expected in page
    # a dict evidence becomes a table, a list of columns a table with a header per key
    assert "ns1.xunyang.jj.test" in page and "权威DNS" in page
    assert '<a class="url" href="http://www.xunyang.jj.test/zwzx/bmdt/202111/t20211125_5120343.html">' in html
    # a string evidence is shown as it is
    assert "页脚文字：“主办：浔阳区人民政府办公室" in page
    fgw = plain(text(rendered / "sites" / "fgw.html"))
    assert "工作动态" in fgw and "2021-12-17" in fgw  # INFO list of columns rendered as a table


def test_not_tested_reasons_are_shown_and_marked_not_counted(rendered):
    site = plain(text(rendered / "sites" / "lushan.html"))
    assert "未检测" in site
    assert "首页 http://www.lushan.jj.test/ 的域名解析超时" in site
    assert "不计入得分" in site
    error = plain(text(rendered / "sites" / "xunyang.html"))
    assert "检查程序出错：KeyError: 'published'" in error.replace("&#39;", "'")
    index = plain(text(rendered / "index.html"))
    assert "未下发整改通知" in index
    assert "可用性探测数据不足" in index


def test_not_tested_reasons_stay_out_of_the_notice(rendered):
    assert not (rendered / "notices" / "lushan.html").exists()
    fgw = text(rendered / "notices" / "fgw.html")
    assert "市直部门网站不设基层政务公开标准化规范化专题" not in fgw
    xunyang = text(rendered / "notices" / "xunyang.html")
    assert "KeyError" not in xunyang and "执行公开" not in xunyang


# ---------------------------------------------------------------- the notice


def test_notice_is_a_formal_document_with_the_deadline(rendered):
    page = plain(text(rendered / "notices" / "xunyang.html"))
    assert "关于浔阳区人民政府网站检查问题的整改通知书" in page
    assert "浔阳区人民政府办公室：" in page
    assert "九府办函〔2021〕106号" in page and "国办秘函〔2019〕19号" in page
    assert "国办发〔2019〕54号" in page  # taken from a failing check's rule
    assert DEADLINE_TEXT in page and "10个工作日" in page
    assert "九江市人民政府办公室（政务公开办）" in page and "2021年12月21日" in page
    for heading in ["检查依据", "存在的问题", "整改要求", "复查说明"]:
        assert heading in page
    assert page.index("单项否决") < page.index("首页最新信息发布于2021年11月25日")
    assert "扣分" in page and "序号" in page and "依据：国办秘函〔2019〕19号" in page


def test_notice_lists_warnings_separately_without_deadline(rendered):
    page = plain(text(rendered / "notices" / "wuning.html"))
    warn = page.index("三、预警事项")
    assert page.index("栏目“重点工作进展”最近一次更新") > warn
    assert page.index("未公开《武宁县人民政府2020年政府信息公开工作年度报告》") < warn
    assert "不设整改时限" in page
    assert "四、整改要求" in page and "五、复查说明" in page


def test_deadline_uses_the_given_workday_function(tmp_path, sample, no_pdf):
    calls = []

    def add_workdays(start: dt.date, days: int) -> dt.date:
        calls.append((start, days))
        return dt.date(2022, 1, 5)  # e.g. skipping the 元旦 holiday

    write_reports(sample, tmp_path, issued=ISSUED, deadline_days=10, add_workdays=add_workdays)
    assert calls == [(ISSUED, 10)]
    assert "2022年1月5日" in text(tmp_path / "notices" / "xunyang.html")


def test_add_weekdays_skips_weekends():
    assert add_weekdays(ISSUED, 10) == dt.date(2022, 1, 4)
    assert add_weekdays(dt.date(2021, 12, 24), 1) == dt.date(2021, 12, 27)  # Friday → Monday
    assert add_weekdays(dt.date(2021, 12, 25), 0) == dt.date(2021, 12, 25)


def test_warning_only_site_gets_no_notice(tmp_path, sample, no_pdf):
    results = copy.deepcopy(sample)
    fgw = next(s for s in results["sites"] if s["id"] == "fgw")
    for check in fgw["checks"]:
        if check["status"] == "fail":
            check.update(status="pass", findings=[], points_lost=0)
    fgw["score"] = 100.0
    write_reports(results, tmp_path, issued=ISSUED)
    assert not (tmp_path / "notices" / "fgw.html").exists()
    assert "无须整改" in text(tmp_path / "index.html")


def test_optional_keys_fall_back_to_ids(tmp_path, sample, no_pdf):
    results = copy.deepcopy(sample)
    for site in results["sites"]:
        for key in ("site_code", "parent", "vetoes"):
            site.pop(key, None)
        for check in site["checks"]:
            for key in ("title", "failure_title", "rule", "category", "task", "reason"):
                check.pop(key, None)
            for finding in check["findings"]:
                finding.pop("severity", None)
                finding.pop("points", None)
    write_reports(results, tmp_path, issued=ISSUED)
    site = plain(text(tmp_path / "sites" / "xunyang.html"))
    assert "homepage-stale" in site and "单项否决" in site
    notice = plain(text(tmp_path / "notices" / "xunyang.html"))
    assert "homepage-stale" in notice and "九府办函〔2021〕106号" in notice


def test_messages_are_escaped(tmp_path, sample, no_pdf):
    results = copy.deepcopy(sample)
    results["sites"][1]["checks"][1]["findings"][0]["message"] = "<script>alert(1)</script>首页"
    write_reports(results, tmp_path, issued=ISSUED)
    for page in (tmp_path / "sites" / "xunyang.html", tmp_path / "notices" / "xunyang.html"):
        assert "<script>alert(1)" not in text(page)
        assert "&lt;script&gt;" in text(page)


# ---------------------------------------------------------------- re-check


def outcomes(result: dict, site: str) -> dict[str, str]:
    return {c["id"]: c["outcome"] for c in result["sites"][site]["checks"]}


def test_diff_classifies_each_check(sample, recheck_results):
    result = diff(sample, recheck_results)
    xy = outcomes(result, "xunyang")
    assert xy["homepage-stale"] == "已整改"
    assert xy["site-markings"] == "已整改"
    assert xy["stale-columns"] == "未整改"
    assert xy["broken-links"] == "未整改"
    assert xy["standardization-topic"] == "无法复查"
    assert xy["ipv6-support"] == "未整改"
    assert xy["execution-disclosure"] == "无问题"  # was error, now pass: nothing to rectify
    assert xy["annual-report"] == "无问题"
    wn = outcomes(result, "wuning")
    assert wn["disclosure-column"] == "已整改" and wn["annual-report"] == "已整改"
    assert wn["enforcement-disclosure"] == "新发现"  # the old two are fixed, a different one appeared
    assert wn["normative-documents"] == "未整改"
    assert wn["execution-disclosure"] == "已整改"  # a warning that went away
    ls = outcomes(result, "lushan")
    assert ls["annual-report"] == "新发现" and ls["stale-columns"] == "新发现"
    assert outcomes(result, "fgw")["normative-documents"] == "已整改"
    assert outcomes(result, "fgw")["enforcement-disclosure"] == "未整改"


def test_diff_matches_the_same_problem_despite_changed_numbers(sample, recheck_results):
    checks = {c["id"]: c for c in diff(sample, recheck_results)["sites"]["xunyang"]["checks"]}
    stale = checks["stale-columns"]
    assert [f["evidence"]["column"] for f in stale["unfixed"]] == ["工作动态"]
    assert "已51天未更新" in stale["unfixed"][0]["message"]
    assert "已30天未更新" in stale["unfixed"][0]["previous_message"]
    assert sorted(f["evidence"]["column"] for f in stale["fixed"]) == ["政策解读", "通知公告"]
    assert stale["new"] == []
    links = checks["broken-links"]
    assert (len(links["fixed"]), len(links["unfixed"]), len(links["new"])) == (3, 1, 1)
    assert message_key("已41天未更新") == message_key("已 52 天未更新")


def test_diff_counts_per_finding(sample, recheck_results):
    result = diff(sample, recheck_results)
    xy = result["sites"]["xunyang"]["counts"]
    # fixed: veto + 2 columns + 3 links + 2 markings; unfixed: 1 column + 1 link + 2 IPv6; new: 1 link;
    # unverifiable: the topic finding (check now not tested)
    assert xy == {"已整改": 8, "未整改": 4, "新发现": 1, "无法复查": 1}
    assert result["totals"]["已整改"] == sum(s["counts"]["已整改"] for s in result["sites"].values())


def test_diff_handles_sites_missing_on_either_side(sample):
    current = copy.deepcopy(sample)
    current["sites"] = [s for s in current["sites"] if s["id"] != "wuning"]
    result = diff(sample, current)
    assert result["sites"]["wuning"]["in_current"] is False
    assert set(outcomes(result, "wuning").values()) <= {"无法复查"}
    reverse = diff(current, sample)
    assert reverse["sites"]["wuning"]["in_previous"] is False
    assert outcomes(reverse, "wuning")["annual-report"] == "新发现"


def test_recheck_outputs(tmp_path, sample, recheck_results, no_pdf):
    write_reports(recheck_results, tmp_path, previous=sample, issued=dt.date(2022, 1, 11))
    assert (tmp_path / "recheck.html").is_file()
    recheck = plain(text(tmp_path / "recheck.html"))
    for word in ["已整改", "未整改", "新发现", "无法复查", "浔阳区人民政府"]:
        assert word in recheck
    index = plain(text(tmp_path / "index.html"))
    assert "复查情况" in index and "已整改 8" in index
    site = plain(text(tmp_path / "sites" / "xunyang.html"))
    assert "复查情况" in site and "已51天未更新" in site
    notice = plain(text(tmp_path / "notices" / "xunyang.html"))
    assert "前次检查已通知，仍未整改" in notice
    assert (tmp_path / "notices" / "lushan.html").is_file()  # tested this time, with failures


# ---------------------------------------------------------------- PDF


def test_pdf_failure_keeps_the_html(tmp_path, sample, monkeypatch, caplog):
    monkeypatch.setattr(pdf_writer, "pdf_unavailable_reason", lambda: None)

    class Broken:
        def __init__(self, *args, **kwargs):
            raise OSError("no font")

    weasyprint = pytest.importorskip("weasyprint", reason="WeasyPrint is not installed")
    monkeypatch.setattr(weasyprint, "HTML", Broken)
    with caplog.at_level(logging.ERROR, logger="reports.pdf"):
        written = write_reports(sample, tmp_path, issued=ISSUED)
    assert (tmp_path / "index.html").is_file() and (tmp_path / "notices" / "xunyang.html").is_file()
    assert (tmp_path / "notices" / "xunyang.docx").is_file() and (tmp_path / "results.xlsx").is_file()
    assert not (tmp_path / "summary.pdf").exists()
    assert all(p.suffix != ".pdf" for p in written)
    assert "未生成 PDF" in caplog.text and "no font" in caplog.text


def test_every_pdf_embeds_a_cjk_font(tmp_path, sample, recheck_results):
    reason = pdf_writer.pdf_unavailable_reason()
    if reason:
        pytest.skip(f"no PDF on this machine: {reason}")
    # two sites keep it fast: the 通报, one notice, one 复查 report
    def small(results):
        return {**results, "sites": [s for s in results["sites"] if s["id"] in ("xunyang", "fgw")]}

    written = write_reports(small(recheck_results), tmp_path, previous=small(sample), issued=ISSUED)
    pdfs = [tmp_path / "summary.pdf", tmp_path / "notices" / "xunyang.pdf", tmp_path / "rechecks" / "xunyang.pdf"]
    for pdf in pdfs:
        assert pdf in written
        assert pdf.read_bytes().startswith(b"%PDF-")
    pdffonts = shutil.which("pdffonts")
    if not pdffonts:
        pytest.skip("pdffonts (poppler-utils) is not installed; font check skipped")
    for pdf in pdfs:
        fonts = subprocess.run([pdffonts, str(pdf)], capture_output=True, text=True, check=True).stdout
        assert re.search(r"Noto[- ]?(Sans|Serif)[- ]?CJK|WenQuanYi", fonts, re.IGNORECASE), fonts


def _with_long_info_table(sample: dict, rows: int = 500) -> dict:
    data = copy.deepcopy(sample)
    site = next(s for s in data["sites"] if s["id"] == "xunyang")
    table = [{"栏目": f"栏目{i}", "最新日期": "2021-12-01", "状态": "正常"} for i in range(rows)]
    site["checks"][0]["findings"].append(
        {"message": f"共检查{rows}个栏目。", "severity": "info", "points": 0, "evidence": {"栏目": table}})
    data["sites"] = [site]
    return data


def test_long_info_evidence_is_kept_whole_on_the_site_page(tmp_path, sample, no_pdf):
    write_reports(_with_long_info_table(sample), tmp_path, issued=ISSUED)
    page = text(tmp_path / "sites" / "xunyang.html")
    assert "栏目499" in page and "另有" not in page
