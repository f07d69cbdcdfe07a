"""A console on a real SQLite store holding two units' judged runs, documents, jobs and explanations, without
crawling: the stored judgements are the sample results.json (tests/fixtures/results_sample.json)."""

from __future__ import annotations

import copy
import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path

from govaudit import pipeline
from govaudit.settings import Settings
from store.db import Store
from store.models import ApiToken, Explanation, Job, Run, RunSite, Schedule, SiteResult, User
from web.app import build
from web.auth import Auth

SAMPLE = Path(__file__).parent / "fixtures" / "results_sample.json"
PASSWORD = "correct horse battery"


@dataclass
class World:
    store: Store
    app: object
    config: Path
    data: Path
    ids: dict[str, object]


def sites_yaml(results: dict) -> str:
    lines = ["network: {allow_private: true}", "sites:"]
    for s in results["sites"]:
        lines.append(
            f"  - {{id: {s['id']}, name: {s['name']}, url: 'http://127.0.0.1:9/{s['id']}/', "
            f"level: {s['level']}, unit: {s['unit']}}}"
        )
    return "\n".join(lines) + "\n"


def store_results(
    store: Store, results: dict, *, trigger: str = "manual", site_ids: list[str] | None = None
) -> int:
    sites = [s for s in results["sites"] if site_ids is None or s["id"] in site_ids]
    with store.session() as s:
        run = Run(
            trigger=trigger,
            as_of=dt.date(2021, 12, 20),
            tool_version="0.1.0",
            status="complete",
            config={},
            site_ids=[x["id"] for x in sites],
            finished=dt.datetime(2021, 12, 20, 10),
        )
        s.add(run)
        s.flush()
        for site in sites:
            s.add(RunSite(run_id=run.id, site_id=site["id"], status="done"))
            s.add(
                SiteResult(
                    run_id=run.id,
                    site_id=site["id"],
                    as_of=run.as_of,
                    score=site["score"],
                    verdict=site["verdict"],
                    data=copy.deepcopy(site),
                )
            )
        return run.id


def write_docs(root: Path, site_ids: list[str]) -> None:
    (root / "sites").mkdir(parents=True, exist_ok=True)
    (root / "notices").mkdir(parents=True, exist_ok=True)
    (root / "index.html").write_text(
        "<html><body>总览 " + " ".join(site_ids) + "</body></html>", encoding="utf-8"
    )
    (root / "results.json").write_text(json.dumps({"sites": site_ids}), encoding="utf-8")
    for sid in site_ids:
        (root / "sites" / f"{sid}.html").write_text(f"<html><body>报告 {sid}</body></html>", encoding="utf-8")
        (root / "notices" / f"{sid}.pdf").write_bytes(b"%PDF-1.4 " + sid.encode())
        (root / "screenshots").mkdir(exist_ok=True)
        (root / "screenshots" / f"{sid}-1.png").write_bytes(b"\x89PNG\r\n\x1a\n" + sid.encode())


def make_world(tmp_path: Path, settings: Settings | None = None, db_url: str | None = None) -> World:
    results = json.loads(SAMPLE.read_text(encoding="utf-8"))
    config = tmp_path / "sites.yaml"
    config.write_text(sites_yaml(results), encoding="utf-8")
    store = Store(db_url or f"sqlite:///{tmp_path / 'console.db'}")
    data = tmp_path / "console-data"
    full = store_results(store, results)
    write_docs(tmp_path / "out-full", [s["id"] for s in results["sites"]])
    pipeline.record_report_dir(store, full, "2021-12-20", tmp_path / "out-full")
    # another unit's own run: a re-check of wuning alone, with its documents and its job
    other = store_results(store, results, trigger="recheck", site_ids=["wuning"])
    write_docs(tmp_path / "out-other", ["wuning"])
    pipeline.record_report_dir(store, other, "2021-12-20", tmp_path / "out-other")
    auth = Auth(store, b"x")
    units = {s["id"]: s["unit"] for s in results["sites"]}
    office = auth.add_user("office1", "office", [], PASSWORD)
    dept_a = auth.add_user("dept-a", "department", [units["xunyang"]], PASSWORD)
    dept_b = auth.add_user("dept-b-wuning", "department", [units["wuning"]], PASSWORD)
    token_b = auth.new_api_token(dept_b, "b 的脚本")
    token_a = auth.new_api_token(dept_a, "a 的脚本")
    wuning = next(s for s in results["sites"] if s["id"] == "wuning")
    check = next(c for c in wuning["checks"] if c["status"] == "fail")
    with store.session() as s:
        job_b = Job(
            kind="recheck",
            lane="recheck:wuning",
            site_ids=["wuning"],
            status="done",
            requested_by="dept-b-wuning",
            run_id=other,
            result={"run_id": other, "sites": []},
        )
        s.add(job_b)
        finding = check["findings"][0]
        e_b = Explanation(
            site_id="wuning",
            check_id=check["id"],
            finding_key=pipeline.finding_fingerprint(check["id"], finding),
            finding=finding,
            run_id=full,
            text="武宁的说明",
            created_by="dept-b-wuning",
        )
        s.add(e_b)
        sched = Schedule(name="每周", cron="0 6 * * 1", site_ids=[])
        s.add(sched)
        s.flush()
        tok_b = s.query(ApiToken).filter(ApiToken.user_id == dept_b).one().id
        ids = {
            "run_full": full,
            "run_other": other,
            "job_other": job_b.id,
            "explanation_other": e_b.id,
            "schedule": sched.id,
            "user_other": dept_b,
            "token_other": tok_b,
            "office": office,
            "dept_a": dept_a,
            "token_a": token_a,
            "token_b": token_b,
            "units": units,
        }
    app = build(store, str(config), settings or Settings(), data)
    return World(store, app, config, data, ids)


def login(client, name: str, password: str = PASSWORD):
    """Sign in through the real form (its CSRF cookie and field); returns the page's CSRF token for forms."""
    import re

    page = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    resp = client.post(
        "/login",
        data={"name": name, "password": password, "csrf_token": token, "next": "/"},
        follow_redirects=False,
    )
    assert resp.status_code == 303, resp.text[:500]
    home = client.get("/")
    return re.search(r'name="csrf_token" value="([^"]+)"', home.text).group(1)


def user_count(store: Store) -> int:
    with store.session() as s:
        return s.query(User).count()
