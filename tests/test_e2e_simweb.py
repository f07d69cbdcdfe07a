"""The whole pipeline on the simulated Jiujiang web, held to its ground truth.

One crawl of every simulated site (real HTTP servers on 127.0.0.1 and ::1, a real authoritative DNS server for
jj.test, the real `govaudit` command in a subprocess), then:
- the crawl: pages stored, dated list entries and sample dates per site equal the ground truth;
- the accuracy: every check's status for every site, and the pages its findings name, equal the planted truth:
  every planted defect found, nothing else reported;
- the offline re-inspection of the stored crawl gives the same results.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from simweb import truth
from simweb.build import build
from simweb.server import serve

AS_OF = "2021-12-20"
GOVAUDIT = str(Path(sys.executable).parent / "govaudit")
PROBLEM = {"fail", "veto", "warn"}


@pytest.fixture(scope="module")
def crawl(tmp_path_factory):
    root = tmp_path_factory.mktemp("simweb")
    web_dir = root / "web"
    build(web_dir)
    with serve(web_dir) as web:
        config = root / "sites.yaml"
        config.write_text(web.config_yaml(), encoding="utf-8")
        db = root / "e2e.db"
        out = root / "out"
        proc = subprocess.run(
            [
                GOVAUDIT,
                "inspect",
                "--config",
                str(config),
                "--db",
                f"sqlite:///{db}",
                "--as-of",
                AS_OF,
                "--out",
                str(out),
                "--no-reports",
            ],
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert proc.returncode == 0, proc.stderr[-3000:]
        results = json.loads((out / "results.json").read_text(encoding="utf-8"))
        yield {"results": results, "db": db, "port": web.http_port, "truth": truth.load(), "root": root}


def _rows(db: Path, sql: str, *args) -> list[tuple]:
    with sqlite3.connect(db) as conn:
        return conn.execute(sql, args).fetchall()


def _site_of_host(truth_data: dict) -> dict[str, str]:
    return {s["host"]: sid for sid, s in truth_data["sites"].items()}


def test_crawl_stores_every_page_of_every_site(crawl):
    expected = {
        sid: s["pages"]
        for sid, s in crawl["truth"]["sites"].items()
        if s["checks"]["site-unreachable"]["status"] != "fail"
    }
    got = dict(
        _rows(
            crawl["db"],
            "SELECT site_id, COUNT(*) FROM pages WHERE status = 200 AND body IS NOT NULL GROUP BY site_id",
        )
    )
    assert got == expected


def test_crawl_stores_dated_list_entries_with_parsed_dates(crawl):
    t = crawl["truth"]["sites"]
    home = {sid: truth.with_port(f"http://{s['host']}/", crawl["port"]) for sid, s in t.items()}
    for sid, site in t.items():
        if site["checks"]["site-unreachable"]["status"] == "fail":
            continue
        rows = _rows(
            crawl["db"],
            "SELECT e.list_url, e.title, e.date_text, e.date FROM list_entries e "
            "JOIN pages p ON p.run_id = e.run_id AND p.site_id = e.site_id "
            "AND p.url = e.list_url WHERE e.site_id = ? AND p.is_list",
            sid,
        )
        # The crawler renders the list drawn by script (Chromium), so its rows are stored too.
        assert len(rows) == site["list_entries"] + site.get("js_entries", 0), sid
        assert all(r[0] != home[sid] for r in rows)
        seen = {(truth.without_port(r[0]), r[1]): (r[2], r[3]) for r in rows}
        for sample in site["samples"]:
            key = (sample["list_url"], sample["title"])
            assert key in seen, (sid, key)
            date_text, date = seen[key]
            assert date == sample["date"], (sid, key, date_text)
            # Stored as printed, brackets included ("[2021-06-29]"); the truth keeps the date text alone.
            assert date_text.strip("[]") == sample["date_text"].strip("[]"), (sid, key)


def _problems(check: dict) -> set[str]:
    return {
        truth.without_port(f["url"]) for f in check["findings"] if f.get("severity") in PROBLEM and f["url"]
    }


def test_list_drawn_by_script_was_rendered(crawl):
    for sid, site in crawl["truth"]["sites"].items():
        for url in site.get("js_list_urls", []):
            rows = _rows(
                crawl["db"],
                "SELECT rendered, js_shell FROM pages WHERE site_id = ? AND url = ?",
                sid,
                truth.with_port(url, crawl["port"]),
            )
            assert rows == [(1, 0)], (sid, url)


def test_findings_equal_the_planted_ground_truth(crawl):
    mismatches = []
    t = crawl["truth"]["sites"]
    assert {s["id"] for s in crawl["results"]["sites"]} == set(t)
    for site in crawl["results"]["sites"]:
        expected = t[site["id"]]["checks"]
        assert {c["id"] for c in site["checks"]} == set(expected), site["id"]
        for check in site["checks"]:
            want = expected[check["id"]]
            statuses = {want["status"], *want.get("accept", [])}
            if check["status"] not in statuses:
                mismatches.append(
                    f"{site['id']} {check['id']}: {check['status']} ≠ {want['status']} "
                    f"({want.get('why', '')}) {[f['message'] for f in check['findings'][:3]]}"
                )
                continue
            if check["status"] in ("fail", "warn"):
                urls = _problems(check)
                if urls != set(want.get("urls", [])):
                    mismatches.append(
                        f"{site['id']} {check['id']}: pages {sorted(urls)} ≠ {sorted(want['urls'])}"
                    )
    assert not mismatches, "\n".join(mismatches)


def test_verdicts_follow_the_vetoes_and_points(crawl):
    for site in crawl["results"]["sites"]:
        vetoed = any(c["veto"] for c in site["checks"])
        if site["verdict"] == "未检测" or vetoed:
            assert site["score"] is None  # 未检测, or 单项否决: 不再对其他指标进行评分
            assert site["verdict"] == ("不合格" if vetoed else "未检测"), site["id"]
            continue
        assert site["verdict"] == ("不合格" if site["score"] < 60 else "合格"), site["id"]


def test_offline_reinspection_gives_the_same_results(crawl):
    run_id = crawl["results"]["run"]["id"]
    out = crawl["root"] / "out2"
    proc = subprocess.run(
        [
            GOVAUDIT,
            "inspect",
            "--run",
            str(run_id),
            "--db",
            f"sqlite:///{crawl['db']}",
            "--as-of",
            AS_OF,
            "--out",
            str(out),
            "--no-reports",
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    again = json.loads((out / "results.json").read_text(encoding="utf-8"))
    assert again["sites"] == crawl["results"]["sites"]
