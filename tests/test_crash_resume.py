"""Crash safety: a crawl killed with SIGKILL (the crawler child, then the `govaudit inspect` parent) is resumed,
and the finished run has every page of the site exactly once. Until then the run is interrupted everywhere."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import time
from pathlib import Path

from tests.faultweb import FaultWeb, Request, page, send
from tests.test_faultweb import GOVAUDIT, db_rows, run_cli

SECTIONS, ARTICLES = 15, 20  # 1 + 15 + 300 = 316 pages, depth 2


def big_site() -> dict[str, str]:
    sections = [f"/s{i}/" for i in range(SECTIONS)]
    pages = {"/": page("首页", sections)}
    for i, s in enumerate(sections):
        arts = [f"/s{i}/a{j}.html" for j in range(ARTICLES)]
        pages[s] = page(f"栏目{i}", ["/", *arts])
        for a in arts:
            pages[a] = page(f"文章 {a}", [s, "/"])
    return pages


PAGES = big_site()


async def slow(req: Request, w: asyncio.StreamWriter) -> None:
    if req.path == "/robots.txt":
        await send(w, 404, "", ctype="text/plain")
        return
    await asyncio.sleep(0.03)
    if req.path in PAGES:
        await send(w, 200, PAGES[req.path])
    else:
        await send(w, 404, page("404"))


def _children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(x) for x in text.split()]


def _wait_pages(db: Path, at_least: int, proc: subprocess.Popen, timeout: float = 60) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, "the crawl ended before it could be killed"
        if db.exists():
            try:
                n = db_rows(db, "select count(*) from pages")[0][0]
            except Exception:  # noqa: BLE001 - schema not there yet
                n = 0
            if n >= at_least:
                return n
        time.sleep(0.1)
    raise AssertionError("the crawl made no progress")


def _gone(pid: int, timeout: float = 10) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        # A zombie (killed, not yet reaped) counts as gone.
        try:
            if Path(f"/proc/{pid}/stat").read_text().split()[2] == "Z":
                return True
        except OSError:
            return True
        time.sleep(0.05)
    return False


def test_killed_crawl_resumes_with_every_page_once(tmp_path):
    web = FaultWeb(tmp_path)
    web.add("big", slow)
    with web:
        import yaml

        config = tmp_path / "sites.yaml"
        config.write_text(
            yaml.safe_dump(
                {
                    "defaults": {
                        "max_pages": 1000,
                        "max_depth": 5,
                        "delay_s": 0,
                        "timeout_s": 5,
                        "max_seconds": 120,
                        "concurrency_per_host": 2,
                        "probe_count": 1,
                        "probe_interval_s": 0.1,
                        "probe_timeout_s": 3,
                        "link_check": False,
                    },
                    "network": {"nameservers": [f"127.0.0.1:{web.dns_port}"], "allow_private": True},
                    "sites": [
                        {
                            "id": "big",
                            "name": "大网站",
                            "url": web.url("big"),
                            "level": "county",
                            "unit": "办公室",
                        }
                    ],
                },
                allow_unicode=True,
            ),
            encoding="utf-8",
        )
        db = tmp_path / "crash.db"
        base = ["--config", str(config), "--db", f"sqlite:///{db}", "--no-reports"]
        expected = {web.url("big", p) for p in PAGES}
        assert len(expected) == 316

        # 1. SIGKILL the crawler child mid-crawl: the parent survives, marks the run interrupted, exits 1.
        parent = subprocess.Popen(
            [GOVAUDIT, "inspect", *base, "--out", str(tmp_path / "o1")],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        _wait_pages(db, 40, parent)
        [child] = _children(parent.pid)
        os.kill(child, signal.SIGKILL)
        out, err = parent.communicate(timeout=60)
        assert parent.returncode == 1, err
        assert not (tmp_path / "o1" / "results.json").exists()
        first = db_rows(db, "select count(*) from pages")[0][0]
        assert 40 <= first < 316

        runs = run_cli(["runs", "--db", f"sqlite:///{db}"])[0]
        assert runs.returncode == 0 and "中断" in runs.stdout, runs.stdout
        # An interrupted run inspected as it is: marked incomplete in results.json and in the report.
        view = run_cli(["inspect", "--db", f"sqlite:///{db}", "--run", "1", "--out", str(tmp_path / "v")])[0]
        assert view.returncode == 0, view.stderr[-2000:]
        results = json.loads((tmp_path / "v" / "results.json").read_text(encoding="utf-8"))
        assert results["run"]["complete"] is False and results["run"]["status"] == "interrupted"
        html = "".join(p.read_text(encoding="utf-8") for p in (tmp_path / "v").rglob("*.html"))
        assert html and "未完成" in html

        # 2. Resume, then SIGKILL the parent `govaudit inspect`: its crawler child must not outlive it.
        parent = subprocess.Popen(
            [GOVAUDIT, "inspect", *base, "--resume", "--out", str(tmp_path / "o2")],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        _wait_pages(db, first + 40, parent)
        [child] = _children(parent.pid)
        os.kill(parent.pid, signal.SIGKILL)
        parent.wait(timeout=10)
        assert _gone(child), "the crawler outlived its parent"
        second = db_rows(db, "select count(*) from pages")[0][0]
        assert second < 316
        runs = run_cli(["runs", "--db", f"sqlite:///{db}"])[0]
        assert "中断" in runs.stdout, runs.stdout

        # 3. Re-running the same command resumes and finishes.
        done, secs, _ = run_cli(["inspect", *base, "--out", str(tmp_path / "o3")], timeout=180)
        assert done.returncode == 0, done.stderr[-3000:]
        results = json.loads((tmp_path / "o3" / "results.json").read_text(encoding="utf-8"))
        assert results["run"]["id"] == 1 and results["run"]["complete"] is True
        rows = db_rows(db, "select url from pages where run_id=1")
        urls = [r[0] for r in rows]
        assert len(urls) == len(set(urls)), "a page stored twice"
        assert set(urls) == expected, (sorted(expected - set(urls))[:5], sorted(set(urls) - expected)[:5])
        assert db_rows(db, "select count(*) from runs")[0][0] == 1
        assert db_rows(db, "select status from runs")[0][0] == "complete"
        assert db_rows(db, "select status, pages from run_sites") == [("done", 316)]
