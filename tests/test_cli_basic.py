"""The `govaudit` command as a user runs it (subprocess): sites, runs, inspect errors, and a crawl + inspect
of a tiny site served on 127.0.0.1, re-inspected offline from the store."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

import inspections  # noqa: F401 - imports every check module
from inspections.base import REGISTRY

ROOT = Path(__file__).resolve().parent.parent
GOVAUDIT = Path(sys.executable).parent / "govaudit"
COUNTIES = [
    "浔阳区",
    "濂溪区",
    "柴桑区",
    "武宁县",
    "修水县",
    "永修县",
    "德安县",
    "都昌县",
    "湖口县",
    "彭泽县",
    "瑞昌市",
    "共青城市",
    "庐山市",
]
DEPARTMENTS = [
    "市发改委",
    "市自然资源局",
    "市卫健委",
    "市人社局",
    "市生态环境局",
    "市教育局",
    "市医保局",
    "市应急管理局",
    "市民政局",
    "市市监局",
    "市司法局",
    "市水利局",
    "市农业农村局",
    "市财政局",
    "市商务局",
    "市住建局",
    "市交通运输局",
    "市金融办",
    "市政府办公室",
    "市数字经济发展中心",
]
STATUSES = {"pass", "fail", "warn", "not_tested", "error"}
VERDICTS = {"合格", "不合格", "未检测"}


def govaudit(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(GOVAUDIT), *args], cwd=ROOT, capture_output=True, text=True, timeout=timeout, check=False
    )


# ---------------------------------------------------------------------------------------------- a tiny site


def _page(title: str, body: str) -> bytes:
    return (
        f'<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8"><title>{title}</title>'
        f'<meta name="SiteName" content="测试区人民政府"></head><body>'
        f'<div class="nav"><a href="/">首页</a> <a href="/xxgk/tzgg/">通知公告</a> <a href="/xxgk/">政务公开</a></div>'
        f'<div class="main">{body}</div>'
        f'<div class="footer"><p>主办：测试区人民政府办公室 联系电话：0792-0000000</p></div></body></html>'
    ).encode()


def _rows(n: int, start_day: int) -> str:
    return "".join(
        f'<li><a href="/xxgk/tzgg/202112/t2021120{i}_{i}.html">测试区关于政务公开工作的第{i}号通知</a>'
        f"<span>2021-12-{start_day - i:02d}</span></li>"
        for i in range(1, n + 1)
    )


SITE_PAGES: dict[str, bytes] = {
    "/": _page(
        "测试区人民政府",
        f'<h2>通知公告</h2><ul class="news">{_rows(3, 19)}</ul><p><a href="/old/gone.html">旧栏目</a></p>',
    ),
    "/xxgk/tzgg/": _page(
        "通知公告_测试区人民政府",
        '<div class="position">当前位置：<a href="/">首页</a> &gt; <a href="/xxgk/tzgg/">通知公告</a></div>'
        f'<ul class="list">{_rows(6, 19)}</ul><div class="page"><a href="index_1.html">下一页</a></div>',
    ),
    "/xxgk/tzgg/index_1.html": _page("通知公告_测试区人民政府", f'<ul class="list">{_rows(2, 9)}</ul>'),
    "/xxgk/": _page("政务公开_测试区人民政府", '<ul><li><a href="/xxgk/tzgg/">通知公告</a></li></ul>'),
    **{
        f"/xxgk/tzgg/202112/t2021120{i}_{i}.html": _page(
            f"第{i}号通知", f"<h1>第{i}号通知</h1><p>正文内容。</p>"
        )
        for i in range(1, 7)
    },
}


class _Handler(BaseHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        body = SITE_PAGES.get(self.path.split("?", 1)[0])
        status = 200 if body is not None else 404
        body = body if body is not None else "<html><body>页面不存在</body></html>".encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def tiny_site() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


# ---------------------------------------------------------------------------------------------- tests


def test_sites_lists_the_configured_sites() -> None:
    res = govaudit("sites", "--config", "config/sites.yaml")
    assert res.returncode == 0, res.stderr
    assert "34 个网站" in res.stdout
    lines = [line for line in res.stdout.splitlines() if line.startswith("  ")]
    assert len(lines) == 34
    for county in COUNTIES:
        assert f"{county}人民政府" in res.stdout, county
    from govconfig.sites import load_config

    units = {s.unit for s in load_config(ROOT / "config" / "sites.yaml").sites}
    assert set(DEPARTMENTS) <= units


def test_runs_on_an_empty_database(sqlite_url: str) -> None:
    res = govaudit("runs", "--db", sqlite_url)
    assert res.returncode == 0, res.stderr
    assert "还没有检查记录" in res.stdout


def test_inspect_unknown_run_is_a_usage_error(sqlite_url: str, tmp_path: Path) -> None:
    res = govaudit("inspect", "--db", sqlite_url, "--run", "999", "--out", str(tmp_path / "out"))
    assert res.returncode == 2
    assert "没有编号为 999 的检查" in res.stderr
    assert "Traceback" not in res.stderr


def _check_shape(results: dict) -> None:
    assert set(results) >= {"run", "sites"}
    assert set(results["run"]) >= {"id", "as_of", "started", "finished", "tool_version"}
    for site in results["sites"]:
        assert set(site) >= {"id", "name", "url", "level", "unit", "score", "verdict", "checks"}
        assert site["verdict"] in VERDICTS
        assert site["score"] is None or isinstance(site["score"], int | float)
        for check in site["checks"]:
            assert set(check) >= {"id", "status", "points_lost", "veto", "findings"}
            assert check["status"] in STATUSES, check
            assert isinstance(check["points_lost"], int | float) and isinstance(check["veto"], bool)
            for finding in check["findings"]:
                assert set(finding) >= {"message", "url", "evidence"}
                assert isinstance(finding["message"], str) and finding["message"]


def test_crawl_inspect_and_reinspect_offline(tiny_site: str, tmp_path: Path) -> None:
    config = tmp_path / "sites.yaml"
    config.write_text(
        "defaults: {max_pages: 30, max_depth: 3, delay_s: 0, timeout_s: 5, render_js: never,\n"
        "           obey_robots: false, probe_count: 1, probe_interval_s: 0, probe_timeout_s: 2}\n"
        "network: {nameservers: [], allow_private: true}\n"
        "sites:\n"
        f'  - {{id: tiny, name: 测试区人民政府, url: "{tiny_site}", level: county, unit: 测试区人民政府办公室}}\n',
        encoding="utf-8",
    )
    db = f"sqlite:///{tmp_path / 'govaudit.db'}"
    out1, out2 = tmp_path / "out1", tmp_path / "out2"

    res = govaudit(
        "inspect",
        "--config",
        str(config),
        "--db",
        db,
        "--as-of",
        "2021-12-20",
        "--no-probes",
        "--no-reports",
        "--out",
        str(out1),
        timeout=240,
    )
    assert res.returncode == 0, res.stderr
    first = json.loads((out1 / "results.json").read_text(encoding="utf-8"))
    _check_shape(first)
    assert first["run"]["as_of"] == "2021-12-20" and first["run"]["finished"]
    [site] = first["sites"]
    assert (site["id"], site["name"], site["url"], site["level"], site["unit"]) == (
        "tiny",
        "测试区人民政府",
        tiny_site,
        "county",
        "测试区人民政府办公室",
    )
    assert sorted(c["id"] for c in site["checks"]) == sorted(REGISTRY)
    broken = next(c for c in site["checks"] if c["id"] == "broken-links")
    assert broken["status"] == "fail" and any(
        tiny_site + "old/gone.html" in str(f) for f in broken["findings"]
    )

    runs = govaudit("runs", "--db", db)
    assert runs.returncode == 0 and "完成" in runs.stdout

    res = govaudit(
        "inspect",
        "--db",
        db,
        "--run",
        str(first["run"]["id"]),
        "--as-of",
        "2021-12-20",
        "--no-reports",
        "--out",
        str(out2),
    )
    assert res.returncode == 0, res.stderr
    assert "不访问网络" in res.stderr
    second = json.loads((out2 / "results.json").read_text(encoding="utf-8"))
    _check_shape(second)
    assert second["run"]["id"] == first["run"]["id"] and second["run"]["as_of"] == "2021-12-20"
    assert second["sites"] == first["sites"]
