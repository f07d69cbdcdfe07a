"""The console in a real browser (Playwright + Debian's chromium) against `govaudit serve` started here, on a
small site served on loopback: the office sees the ranking; a department starts a re-check of its fixed site,
watches it finish and reads 已整改; a form posted without its CSRF token is refused.

Screenshots go to $GOVAUDIT_SCREENSHOTS when it is set (to look at the pages)."""

from __future__ import annotations

import functools
import http.server
import os
import re
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest

from tests.test_recheck_flow import HOME, Quiet

GOVAUDIT = str(Path(sys.executable).parent / "govaudit")
CHROMIUM = "/usr/bin/chromium"
OFFICE_PW = "office password 1"
DEPT_PW = "department password 1"

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _cli(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run([GOVAUDIT, *args], input=stdin, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc


@pytest.fixture(scope="module")
def console(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("browser")
    root = tmp / "site"
    (root / "news").mkdir(parents=True)
    (root / "index.html").write_text(HOME, encoding="utf-8")
    (root / "news" / "index.html").write_text(
        '<html><head><meta charset="utf-8"><meta name="ColumnName" content="工作动态"></head><body>'
        '<ul class="list"><li><a href="a1.html">新闻一</a><span>2021-12-15</span></li></ul></body></html>',
        encoding="utf-8")
    (root / "news" / "a1.html").write_text("<html><body>正文</body></html>", encoding="utf-8")
    web = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(root)))
    threading.Thread(target=web.serve_forever, daemon=True).start()
    config = tmp / "sites.yaml"
    config.write_text(
        "defaults: {max_pages: 20, delay_s: 0, concurrency_per_host: 4, timeout_s: 5, probe_count: 1,"
        " probe_interval_s: 0}\n"
        "network: {allow_private: true}\n"
        f"sites:\n  - {{id: tsj, name: 测试局, url: 'http://127.0.0.1:{web.server_port}/', level: department,"
        " unit: 测试局}\n"
        "  - {id: other, name: 别的局, url: 'http://127.0.0.1:9/', level: department, unit: 别的局}\n",
        encoding="utf-8")
    db = f"sqlite:///{tmp / 'console.db'}"
    _cli("inspect", "--config", str(config), "--db", db, "--as-of", "2021-12-20", "--out", str(tmp / "out"),
         "--site", "tsj", "--no-probes")
    _cli("users", "add", "office", "--role", "office", "--db", db, stdin=OFFICE_PW + "\n")
    _cli("users", "add", "tsj-user", "--role", "department", "--unit", "测试局", "--config", str(config),
         "--db", db, stdin=DEPT_PW + "\n")
    port = _free_port()
    settings = tmp / "console.yaml"
    # the page was written for 2021-12-20: re-checks are judged as of that day too
    settings.write_text("recheck: {per_hour: 5}\nscheduler: {tick_seconds: 5}\njobs: {as_of: 2021-12-20}\n",
                        encoding="utf-8")
    serve = subprocess.Popen([GOVAUDIT, "serve", "--config", str(config), "--db", db, "--port", str(port),
                              "--data", str(tmp / "data"), "--console-config", str(settings)],
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            urllib.request.urlopen(base + "/healthz", timeout=1)
            break
        except OSError:
            if serve.poll() is not None:
                pytest.fail(f"govaudit serve exited: {serve.stdout.read()[-3000:]}")
            time.sleep(0.1)
    yield {"base": base, "root": root, "tmp": tmp}
    serve.terminate()
    try:
        serve.wait(timeout=20)
    except subprocess.TimeoutExpired:
        serve.kill()
    web.shutdown()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run"])
        yield b
        b.close()


def _shot(page, name: str) -> None:
    where = os.environ.get("GOVAUDIT_SCREENSHOTS")
    if where:
        Path(where).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(where) / f"{name}.png"), full_page=True)


def _login(browser, base: str, name: str, password: str):
    ctx = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page = ctx.new_page()
    page.goto(base + "/")
    assert "/login" in page.url
    page.fill("input[name=name]", name)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url(base + "/")
    return ctx, page


def test_office_logs_in_and_sees_the_ranking(console, browser):
    ctx, page = _login(browser, console["base"], "office", OFFICE_PW)
    ranking = page.locator("table.ranking")
    assert "测试局" in ranking.inner_text()
    assert page.locator("svg.chart").count() == 2
    _shot(page, "office-dashboard")
    page.click("text=测试局")
    assert "检查项一览" in page.content()
    _shot(page, "office-site")
    page.goto(console["base"] + "/runs/1")
    assert page.locator("a", has_text="index.html").count() >= 1
    _shot(page, "office-run")
    for name in ("jobs", "schedules", "users", "explanations", "audit"):
        page.goto(f"{console['base']}/{name}")
        _shot(page, f"office-{name}")
    ctx.close()


def test_department_rechecks_its_fixed_site_and_sees_it_fixed(console, browser):
    ctx, page = _login(browser, console["base"], "tsj-user", DEPT_PW)
    assert "测试局" in page.content() and "别的局" not in page.content()
    _shot(page, "department-home")
    page.goto(console["base"] + "/sites/tsj")
    assert "不通过" in page.content()
    _shot(page, "department-site")
    # the fix, then the re-check
    (console["root"] / "gone.html").write_text("<html><body>办事指南</body></html>", encoding="utf-8")
    page.click("text=申请整改复查")
    page.wait_for_url(re.compile(r".*/jobs/\d+.*"))
    assert page.locator("#job").count() == 1
    _shot(page, "department-job-running")
    # the page follows the job by itself (console.js) and reloads when it is done
    page.wait_for_selector("text=复查结果", timeout=150_000)
    text = page.inner_text("body")
    assert "已完成" in text and "已整改 1" in text and "存在不可用链接" not in text.split("复查情况")[-1].split("新发现")[0]
    assert "msg=" not in page.url  # the finished page is the job's own, without the submit notice
    _shot(page, "department-recheck-done")
    # another unit's site is not there for this account
    resp = page.goto(console["base"] + "/sites/other")
    assert resp.status == 404
    ctx.close()


def test_a_form_without_its_csrf_token_is_refused(console, browser):
    ctx, page = _login(browser, console["base"], "tsj-user", DEPT_PW)
    page.goto(console["base"] + "/sites/tsj")
    page.evaluate("document.querySelectorAll('input[name=csrf_token]').forEach(e => e.remove())")
    with page.expect_navigation():
        page.click("text=申请整改复查")
    assert "CSRF" in page.content()
    assert page.locator("h1").inner_text() == "无权访问"
    _shot(page, "csrf-refused")
    ctx.close()
