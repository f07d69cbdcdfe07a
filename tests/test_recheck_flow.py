"""A department fixes its site and re-runs the checks: the store remembers the last judgement, so the new report
says what is now 已整改 / 未整改 without any file passed around; scheduled runs pool their availability probes."""

from __future__ import annotations

import datetime as dt
import functools
import http.server
import json
import re
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from govaudit import pipeline
from store.db import Store
from store.models import ProbeRow, Run

GOVAUDIT = str(Path(sys.executable).parent / "govaudit")
HOME = """<html><head><meta charset="utf-8"><title>测试局</title></head><body>
<div class="nav"><a href="/news/">工作动态</a></div>
<ul><li><a href="/news/a1.html">新闻一</a><span>2021-12-15</span></li></ul>
<a href="/gone.html">办事指南</a>
<div class="footer">网站标识码：3604000099 赣ICP备00000001号 赣公网安备 36040202000099号
<span id="_ideConac"><img alt="党政机关" src="/dzjg.png"></span></div></body></html>"""


class Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):  # noqa: ANN002
        pass


@pytest.fixture
def site(tmp_path):
    root = tmp_path / "site"
    (root / "news").mkdir(parents=True)
    (root / "index.html").write_text(HOME, encoding="utf-8")
    (root / "news" / "index.html").write_text(
        '<html><head><meta charset="utf-8"><meta name="ColumnName" content="工作动态"></head><body>'
        '<ul class="list"><li><a href="a1.html">新闻一</a><span>2021-12-15</span></li></ul></body></html>',
        encoding="utf-8")
    (root / "news" / "a1.html").write_text("<html><body>正文</body></html>", encoding="utf-8")
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(root)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    config = tmp_path / "sites.yaml"
    config.write_text(
        "defaults: {max_pages: 20, delay_s: 0, concurrency_per_host: 4, timeout_s: 5}\n"
        "network: {allow_private: true}\n"
        f"sites:\n  - {{id: tsj, name: 测试局, url: 'http://127.0.0.1:{server.server_port}/', level: department,"
        " unit: 测试局}\n", encoding="utf-8")
    yield root, config
    server.shutdown()


def _inspect(config: Path, db: str, out: Path) -> dict:
    proc = subprocess.run([GOVAUDIT, "inspect", "--config", str(config), "--db", db, "--as-of", "2021-12-20",
                           "--out", str(out), "--no-probes", "--trigger", "recheck"],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return json.loads((out / "results.json").read_text(encoding="utf-8"))


def _status(results: dict, check_id: str) -> str:
    [site] = results["sites"]
    return next(c["status"] for c in site["checks"] if c["id"] == check_id)


def test_recheck_after_a_fix_reports_what_is_now_fixed(site, tmp_path):
    root, config = site
    db = f"sqlite:///{tmp_path / 'g.db'}"
    first = _inspect(config, db, tmp_path / "out1")
    assert _status(first, "broken-links") == "fail"
    assert not (tmp_path / "out1" / "recheck.html").exists()

    (root / "gone.html").write_text("<html><body>办事指南</body></html>", encoding="utf-8")  # the fix
    second = _inspect(config, db, tmp_path / "out2")
    assert _status(second, "broken-links") == "pass"
    page = (tmp_path / "out2" / "recheck.html").read_text(encoding="utf-8")
    assert "已整改" in page and "测试局" in page


def test_scheduled_runs_pool_their_availability_probes(tmp_path):
    store = Store(f"sqlite:///{tmp_path / 'p.db'}")
    from govaudit.config import load_config

    config_file = tmp_path / "s.yaml"
    config_file.write_text("sites:\n  - {id: a, name: 甲, url: 'http://a.example.test/', level: county, unit: 甲}\n",
                           encoding="utf-8")
    config = load_config(config_file)
    ids = [pipeline.start_run(store, config, ["a"], as_of=dt.date(2021, 12, 20), trigger="scheduled")
           for _ in range(3)]
    with store.session() as s:
        for rid in ids:
            s.add(ProbeRow(run_id=rid, site_id="a", kind="availability", target="http://a.example.test/", ok=True,
                           data={"status": 200}))
        last = s.get(Run, ids[-1])
        window = pipeline.probe_window(s, last, "a", 7)
        assert sorted(window) == ids[:-1]
        old = s.get(Run, ids[0])
        old.started = last.started - dt.timedelta(days=8)  # outside the week
    with store.session() as s:
        assert pipeline.probe_window(s, s.get(Run, ids[-1]), "a", 7) == [ids[1]]


def _run(*args: str) -> subprocess.CompletedProcess:
    proc = subprocess.run([GOVAUDIT, *args], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc


def test_recheck_command_marks_fixed_unfixed_and_new_items(site, tmp_path):
    """A simulated site changed between two runs: one broken link mended, one left, one newly broken."""
    root, config = site
    home = (root / "index.html").read_text(encoding="utf-8")
    (root / "index.html").write_text(home.replace('<a href="/gone.html">办事指南</a>',
                                                  '<a href="/gone.html">办事指南</a><a href="/old.html">旧通知</a>'),
                                     encoding="utf-8")
    db = f"sqlite:///{tmp_path / 'g.db'}"
    _inspect(config, db, tmp_path / "out1")
    assert (tmp_path / "out1" / "notices" / "tsj.docx").is_file()

    (root / "gone.html").write_text("<html><body>办事指南</body></html>", encoding="utf-8")  # fixed
    (root / "news" / "index.html").write_text(  # a new broken link, found on the re-check
        (root / "news" / "index.html").read_text(encoding="utf-8").replace(
            "</ul>", '</ul><a href="/news/missing.html">相关链接</a>'), encoding="utf-8")
    proc = _run("recheck", "tsj", "--config", str(config), "--db", db, "--as-of", "2021-12-20", "--no-probes",
                "--out", str(tmp_path / "re"))
    # one item mended, the old link and the other checks' items still open, one new problem
    assert re.search(r"复查结果：已整改1个，未整改\d+个，新发现1个", proc.stderr), proc.stderr[-1500:]

    import docx

    report = (tmp_path / "re" / "rechecks" / "tsj.html").read_text(encoding="utf-8")
    rows = re.findall(r"<tr><td class=\"c\">\d+</td>(.*?)</tr>", report, flags=re.S)
    by_url = {}
    for row in rows:
        for path in ("gone.html", "old.html", "missing.html"):
            if path in row:
                by_url[path] = row
    assert "已整改" in by_url["gone.html"] and "未整改" in by_url["old.html"]
    new_section = report[report.index("（二）新发现问题"):]
    assert "missing.html" in new_section and "gone.html" not in new_section
    body = "\n".join(c.text for t in docx.Document(str(tmp_path / "re" / "rechecks" / "tsj.docx")).tables
                     for r in t.rows for c in r.cells)
    assert "已整改" in body and "未整改" in body and "missing.html" in body

    # the same two runs through diff and export
    proc = _run("diff", "1", "2", "--db", db, "--site", "tsj", "--out", str(tmp_path / "d"))
    assert "已整改" in proc.stdout and "新发现" in proc.stdout
    changes = json.loads((tmp_path / "d" / "diff-1-2.json").read_text(encoding="utf-8"))
    assert changes["totals"]["已整改"] >= 1 and changes["totals"]["新发现"] >= 1
    for fmt in ("xlsx", "csv", "json"):
        _run("export", "--run", "2", "--format", fmt, "--db", db, "--out", str(tmp_path / "x"))
    from openpyxl import load_workbook

    wb = load_workbook(tmp_path / "x" / "run-2.xlsx")
    outcomes = {r[5] for r in wb["复查"].iter_rows(min_row=2, values_only=True)}
    assert {"已整改", "未整改", "新发现"} <= outcomes
    assert (tmp_path / "x" / "findings.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    tables = json.loads((tmp_path / "x" / "run-2.json").read_text(encoding="utf-8"))
    assert any("missing.html" in row["页面地址"] or "missing.html" in row["证据摘要"] for row in tables["findings"])
