"""config/scoring.yaml is the one home of every rule: validated before any work (file, line, field, Chinese
reason, exit 2), and the words of notices and reports follow the values applied."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from pathlib import Path

import pytest

from govaudit.cli import main
from govconfig.errors import ConfigError
from inspections.artifacts import ColumnArtifact, ListEntry, PageArtifact, SiteArtifacts
from inspections.runner import DEFAULT_PATH, inspect_site, load_scoring, site_config

GOOD = DEFAULT_PATH.read_text(encoding="utf-8")
LINES = GOOD.splitlines()
AS_OF = dt.date(2021, 12, 20)


def line_of(pattern: str, after: str = "") -> int:
    """1-based line of the first line matching `pattern` (after the first line matching `after`)."""
    start = next(i for i, text in enumerate(LINES) if re.search(after, text)) if after else 0
    return next(i for i, text in enumerate(LINES) if i >= start and re.search(pattern, text)) + 1


def replace_line(line: int, new: str) -> str:
    lines = list(LINES)
    lines[line - 1] = new
    return "\n".join(lines) + "\n"


NOTICE = line_of(r"^\s+notice: 183", "stale-columns:")
TIMEOUT = line_of(r"^\s+timeout_s: 15.0")
VETO_SHARE = line_of(r"^\s+veto_share:")
DEADLINE = line_of(r"^\s+department_deadline:")
TASK_MISSING = line_of(r"^\s+task_missing:")
BROKEN_MAX = line_of(r"^\s+max_points:", "broken-links:")
BROKEN_POINTS = line_of(r"^\s+points_home:")
SITES = line_of(r"^sites: \{\}")
READ_NAMES = line_of(r"^\s+names: \[")

# name -> (scoring.yaml text, line the message must name, field it must name, words of the reason)
CASES: dict[str, tuple[str, int, str, str]] = {
    "unknown-check": (GOOD.replace("\n  broken-links:\n", "\n  broken-linkz:\n"), BROKEN_MAX - 1,
                      "checks.broken-linkz", "未知的检查项"),
    "unknown-option": (replace_line(BROKEN_POINTS, "      points_hom: 1.0"), BROKEN_POINTS,
                       "checks.broken-links.options.points_hom", "未知的选项"),
    "unknown-section-key": (replace_line(BROKEN_MAX, "    weight: 10"), BROKEN_MAX, "checks.broken-links.weight",
                            "未知的字段"),
    "missing-max-points": (replace_line(BROKEN_MAX, ""), BROKEN_MAX - 1, "checks.broken-links", "缺少 max_points"),
    "missing-option": (replace_line(BROKEN_POINTS, ""), BROKEN_POINTS - 1, "checks.broken-links.options",
                       "缺少选项：points_home"),
    "wrong-type-days": (replace_line(NOTICE, '        notice: "六个月"'), NOTICE,
                        "checks.stale-columns.options.limits.notice", "应为整数"),
    "wrong-type-list": (replace_line(READ_NAMES, "    names: 政府信息公开"), READ_NAMES,
                        "readings.disclosure_column.names", "应为列表"),
    "negative-timeout": (replace_line(TIMEOUT, "      timeout_s: -1"), TIMEOUT,
                         "checks.site-unreachable.options.timeout_s", "不能为负数"),
    "share-above-one": (replace_line(VETO_SHARE, "      veto_share: 5"), VETO_SHARE,
                        "checks.site-unreachable.options.veto_share", "比例应在 0 到 1 之间"),
    "bad-deadline": (replace_line(DEADLINE, '      department_deadline: "02-30"'), DEADLINE,
                     "checks.annual-report.options.department_deadline", "月-日"),
    "bad-choice": (replace_line(TASK_MISSING, "      task_missing: loud"), TASK_MISSING,
                   "checks.execution-disclosure.options.task_missing", "info / warn / fail 之一"),
    "unknown-class": (replace_line(NOTICE, "        notices: 183"), NOTICE,
                      "checks.stale-columns.options.limits.notices", "应为 news / notice / personnel / other"),
    "site-override-unknown-option": (
        replace_line(SITES, "sites:\n  xy:\n    checks:\n      broken-links:\n        options:\n          nope: 1"),
        SITES + 5, "sites.xy.checks.broken-links.options.nope", "未知的选项"),
    "site-override-wrong-type": (
        replace_line(SITES, "sites:\n  xy:\n    checks:\n      homepage-stale:\n        veto: sometimes"),
        SITES + 4, "sites.xy.checks.homepage-stale.veto", "应为 true 或 false"),
    "pass-mark-above-total": (GOOD.replace("pass_mark: 60 ", "pass_mark: 160"), line_of("^pass_mark"),
                              "pass_mark", "高于总分"),
    "yaml-syntax": (GOOD.replace("limits:          # days", "limits: [         # days"), 0, "", "YAML 语法错误"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_scoring_errors_name_file_line_field_and_reason(tmp_path, case):
    text, line, field, reason = CASES[case]
    path = tmp_path / "scoring.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_scoring(path)
    err = info.value
    assert err.path == str(path)
    if line:
        assert err.line == line, str(err)
    else:
        assert err.line is not None
    assert err.field == field, str(err)
    assert reason in err.message, str(err)
    assert re.search(r"[\u4e00-\u9fff]", err.message), "the reason is in Chinese"


def test_the_shipped_scoring_config_is_valid():
    load_scoring()


def _digest(paths: list[Path]) -> str:
    h = hashlib.sha256()
    for p in sorted(x for base in paths for x in base.parent.glob(base.name + "*")):
        h.update(p.name.encode() + p.read_bytes())
    return h.hexdigest()


def test_cli_rejects_a_bad_scoring_config_before_any_work(tmp_path, capsys):
    """inspect and report: exit 2 with the located message, no database opened or created, nothing written,
    nothing crawled (the sites.yaml points at a host that would refuse anyway)."""
    text, line, field, reason = CASES["wrong-type-days"]
    bad = tmp_path / "scoring.yaml"
    bad.write_text(text, encoding="utf-8")
    sites = tmp_path / "sites.yaml"
    sites.write_text("sites:\n  - id: a\n    name: 甲\n    url: http://127.0.0.1:9/\n    level: county\n"
                     "    unit: 办公室\n", encoding="utf-8")
    db = tmp_path / "run.db"
    out = tmp_path / "out"
    for argv in (["inspect", "--config", str(sites)], ["report", "--run", "1"]):
        code = main([*argv, "--scoring", str(bad), "--db", f"sqlite:///{db}", "--out", str(out)])
        err = capsys.readouterr().err
        assert code == 2
        assert f"{bad}:{line}" in err and field in err and reason in err
        assert not db.exists() and not out.exists()


def _stale_site(days_old: int) -> SiteArtifacts:
    home = "http://www.xy.jj.test/"
    newest = AS_OF - dt.timedelta(days=days_old)
    col = ColumnArtifact(name="通知公告", url=home + "tzgg/", pages=(home + "tzgg/",),
                         entries=(ListEntry(home + "tzgg/", home + "tzgg/", "通知公告", "关于某事的通知",
                                            home + "tzgg/1.html", newest.isoformat(), newest),))
    page = PageArtifact(home, home, 200, html="<html><body>首页</body></html>")
    return SiteArtifacts(site_id="xy", name="浔阳区人民政府", home_url=home, level="county", pages=(page,),
                         columns=(col,))


def test_a_changed_limit_changes_the_words_of_the_notice_and_the_verdict():
    """notice: 90 in the configuration: the column 100 days old is late, and what the report and the notice say
    about the limit is “3个月”, never the 6个月 of the default file."""
    scoring = load_scoring()
    site = _stale_site(100)
    entry = next(c for c in inspect_site(site, as_of=AS_OF, scoring=scoring)["checks"] if c["id"] == "stale-columns")
    assert "通知公告、政策文件类栏目应在6个月内更新" in entry["description"]
    assert entry["status"] == "pass"

    scoring["checks"]["stale-columns"]["options"]["limits"]["notice"] = 90
    entry = next(c for c in inspect_site(site, as_of=AS_OF, scoring=scoring)["checks"] if c["id"] == "stale-columns")
    assert "通知公告、政策文件类栏目应在3个月内更新" in entry["description"]
    assert "3个月内通知公告" in entry["rule"] and "6个月" not in entry["description"] + entry["rule"]
    assert entry["status"] == "fail"
    assert any("超过3个月未更新" in f["message"] for f in entry["findings"])


def test_a_per_site_override_words_that_site_only(tmp_path):
    scoring = load_scoring()
    scoring["sites"] = {"xy": {"checks": {"homepage-stale": {"options": {"limit_days": 7}}}}}
    assert "监测1周" in inspect_site(_stale_site(1), as_of=AS_OF, scoring=scoring)["checks"][1]["rule"]
    other = site_config(scoring, "other")
    assert other["checks"]["homepage-stale"]["options"]["limit_days"] == 14


def test_the_notice_prints_the_applied_limit(tmp_path, monkeypatch):
    """The rendered 整改通知书 itself (HTML) carries the words of the applied value."""
    from reports import render
    from reports.render import write_reports

    monkeypatch.setattr(render.pdf_writer, "write_pdfs", lambda jobs, workers: [])  # the HTML is what is read

    scoring = load_scoring()
    scoring["checks"]["site-unreachable"]["options"]["timeout_s"] = 20.0
    site = inspect_site(_stale_site(1), as_of=AS_OF, scoring=scoring)
    site["checks"][0].update(status="fail", veto=True, findings=[{"message": "首页无法访问", "url": site["url"],
                                                                   "evidence": "", "severity": "veto",
                                                                   "points": 0}])
    results = {"run": {"id": 1, "as_of": AS_OF.isoformat(), "started": "2021-12-20T08:00:00",
                       "finished": "2021-12-20T09:00:00", "tool_version": "0.1.0"}, "sites": [site]}
    write_reports(results, tmp_path)
    html = "".join(p.read_text(encoding="utf-8") for p in tmp_path.rglob("*.html"))
    assert "超过（含）20秒网站仍打不开" in html and "超过（含）15秒" not in html
