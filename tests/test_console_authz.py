"""Authorization over every route of the console, collected from the app's router (a new route is in the matrix
by itself; a new path parameter fails here until the matrix knows which object of another unit to give it).

- anonymous: the login page (303 → /login) or 401, and no data;
- a department asking for another unit's object (site, run, document, job, explanation, account, token): 403/404
  and nothing changes; routes reserved to the office: 403 for a department; routes with no object: no other
  unit's data in the answer;
- the same through the API with the department's own API token.
"""

from __future__ import annotations

import hashlib
import json
import re
import warnings

import pytest
from fastapi.routing import APIRoute
from sqlalchemy import select

from store.models import ApiToken, Explanation, Job, Schedule, User, WebSession
from tests.console_fixtures import PASSWORD, login, make_world
from web.app import require_office

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

PUBLIC = {("GET", "/login"), ("POST", "/login"), ("GET", "/static/{name}"), ("GET", "/healthz")}
# markers of the other unit (wuning, 武宁县) that must never reach dept-a
MARKERS = ("wuning", "武宁", "dept-b-wuning")


def routes(app):
    for r in app.routes:
        if isinstance(r, APIRoute):
            for m in sorted(r.methods - {"HEAD"}):
                yield m, r


def office_only(route: APIRoute) -> bool:
    def walk(dep):
        return dep.call is require_office or any(walk(d) for d in dep.dependencies)

    return walk(route.dependant)


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    return make_world(tmp_path_factory.mktemp("authz"))


def params_for(world, path: str) -> dict[str, object]:
    ids = world.ids
    values = {
        "site_id": "wuning",
        "run_id": ids["run_other"],
        "job_id": ids["job_other"],
        "explanation_id": ids["explanation_other"],
        "schedule_id": ids["schedule"],
        "user_id": ids["user_other"],
        "token_id": ids["token_other"],
        "path": "index.html",
        "name": "console.css",
        "key": "no-such-review-key",
    }
    names = re.findall(r"{(\w+)(?::\w+)?}", path)
    unknown = [n for n in names if n not in values]
    assert not unknown, f"{path}: add an object of another unit for {unknown} to the authorization matrix"
    return {n: values[n] for n in names}


def fill(path: str, params: dict[str, object]) -> str:
    return re.sub(r"{(\w+)(?::\w+)?}", lambda m: str(params[m.group(1)]), path)


def snapshot(store) -> str:
    """What a refused request must not change."""
    with store.session() as s:
        rows = {
            "jobs": [(j.id, j.status) for j in s.scalars(select(Job))],
            "explanations": [(e.id, e.status, e.text) for e in s.scalars(select(Explanation))],
            "schedules": [(x.id, x.cron, x.enabled, x.name) for x in s.scalars(select(Schedule))],
            "users": [(u.id, u.active, u.units, u.password_hash) for u in s.scalars(select(User))],
            "tokens": [(t.id, t.revoked) for t in s.scalars(select(ApiToken))],
        }
    return hashlib.sha256(json.dumps(rows, default=str).encode()).hexdigest()


def body_for(route: APIRoute) -> dict:
    # a plausible body for every API POST, so a refusal is the authorization's and not the validation's
    return {
        "site_ids": ["wuning"],
        "run_id": 1,
        "check_id": "homepage-stale",
        "index": 0,
        "text": "说明",
        "approve": True,
        "note": "",
    }


def form_for() -> dict:
    return {
        "site_ids": "wuning",
        "run_id": "1",
        "check_id": "homepage-stale",
        "index": "0",
        "text": "说明",
        "decision": "approve",
        "name": "x-new",
        "cron": "0 6 * * 1",
        "enabled": "1",
        "role": "office",
        "password": "another long password",
        "active": "0",
        "units": "九江市发展和改革委员会",
        "old": "not the password",
        "new": "another long password",
    }


def test_router_has_every_kind_of_route(world):
    paths = {r.path for _, r in routes(world.app)}
    for expected in (
        "/",
        "/runs/{run_id}/files/{path:path}",
        "/api/sites/{site_id}",
        "/api/openapi.json",
        "/schedules/{schedule_id}",
        "/explanations/{explanation_id}/decide",
    ):
        assert expected in paths


def test_anonymous_gets_login_or_401_and_no_data(world):
    client = TestClient(world.app)
    seen = 0
    for method, route in routes(world.app):
        if (method, route.path) in PUBLIC:
            continue
        url = fill(route.path, params_for(world, route.path))
        resp = client.request(
            method,
            url,
            follow_redirects=False,
            **({"json": body_for(route)} if url.startswith("/api/") and method == "POST" else {}),
        )
        if url.startswith("/api/"):
            assert resp.status_code == 401, (method, url, resp.status_code)
        else:
            assert resp.status_code == 303 and resp.headers["location"].startswith("/login"), (method, url)
        assert not any(m in resp.text for m in MARKERS), (method, url)
        seen += 1
    assert seen > 30


def test_department_gets_nothing_of_another_unit(world):
    checked = 0
    client = TestClient(world.app)
    csrf = login(client, "dept-a")  # one session for the whole matrix (argon2 makes every login cost)
    for method, route in routes(world.app):
        if (method, route.path) in PUBLIC:
            continue
        params = params_for(world, route.path)
        objects = [p for p in params if p != "name"]
        url = fill(route.path, params)
        kwargs: dict = {"follow_redirects": False}
        if method == "POST":
            if url.startswith("/api/"):
                kwargs.update(json=body_for(route), headers={"X-CSRF-Token": csrf})
            else:
                kwargs["data"] = {**form_for(), "csrf_token": csrf}
        if route.path == "/logout":
            continue  # ends the caller's own session: nothing of another unit
        before = snapshot(world.store)
        resp = client.request(method, url, **kwargs)
        if objects or office_only(route):
            assert resp.status_code in (403, 404), (method, url, resp.status_code, resp.text[:300])
            assert snapshot(world.store) == before, (method, url)
        else:
            assert resp.status_code in (200, 201, 202, 303), (method, url, resp.status_code, resp.text[:300])
        assert not any(m in resp.text for m in MARKERS), (method, url, [m for m in MARKERS if m in resp.text])
        checked += 1
    assert checked > 30


def test_department_documents_only_of_its_own_sites(world):
    client = TestClient(world.app)
    login(client, "dept-a")
    full = world.ids["run_full"]
    assert client.get(f"/runs/{full}/files/sites/xunyang.html").status_code == 200
    assert client.get(f"/runs/{full}/files/notices/xunyang.pdf").status_code == 200
    for path in (
        "sites/wuning.html",
        "notices/wuning.pdf",
        "index.html",
        "results.json",
        "../sites.yaml",
        "sites/../../sites.yaml",
        "%2e%2e/sites.yaml",
    ):
        assert client.get(f"/runs/{full}/files/{path}").status_code == 404, path
    page = client.get(f"/runs/{full}")
    assert "xunyang.html" in page.text and "wuning" not in page.text


def test_site_page_shows_its_own_screenshots_only(world):
    client = TestClient(world.app)
    login(client, "dept-a")
    full = world.ids["run_full"]
    page = client.get(f"/sites/xunyang?run={full}")
    assert page.status_code == 200
    assert f"/runs/{full}/files/screenshots/xunyang-1.png" in page.text and "wuning-1.png" not in page.text
    shot = client.get(f"/runs/{full}/files/screenshots/xunyang-1.png")
    assert shot.status_code == 200 and shot.headers["content-type"] == "image/png"
    assert client.get(f"/runs/{full}/files/screenshots/wuning-1.png").status_code == 404


def test_department_api_token_is_scoped_like_its_session(world):
    client = TestClient(world.app)
    auth = {"Authorization": f"Bearer {world.ids['token_a']}"}
    assert client.get("/api/sites/xunyang", headers=auth).status_code == 200
    assert client.get("/api/sites/wuning", headers=auth).status_code == 404
    assert client.get(f"/api/runs/{world.ids['run_other']}", headers=auth).status_code == 404
    sites = client.get("/api/sites", headers=auth).json()
    assert [s["id"] for s in sites] == ["xunyang"]
    assert client.post("/api/inspections", headers=auth, json={}).status_code == 403
    # a token is no cookie: pages do not take it, and a wrong one is 401
    assert client.get("/", headers=auth, follow_redirects=False).status_code == 303
    assert client.get("/api/sites", headers={"Authorization": "Bearer ga_wrong"}).status_code == 401
    with world.store.session() as s:
        stored = [t.token_hash for t in s.scalars(select(ApiToken))]
    assert (
        world.ids["token_a"] not in stored
        and hashlib.sha256(world.ids["token_a"].encode()).hexdigest() in stored
    )


def test_office_opens_every_page_of_every_unit(world):
    client = TestClient(world.app)
    login(client, "office1")
    for method, route in routes(world.app):
        if method != "GET" or (method, route.path) in PUBLIC:
            continue
        url = fill(route.path, params_for(world, route.path))
        resp = client.get(url, follow_redirects=False)
        assert resp.status_code == 200, (url, resp.status_code, resp.text[:500])


def test_csrf_missing_or_wrong_is_refused(world):
    client = TestClient(world.app)
    csrf = login(client, "dept-a")
    before = snapshot(world.store)
    for data in ({}, {"csrf_token": "0" * 64}):
        resp = client.post("/sites/xunyang/recheck", data=data, follow_redirects=False)
        assert resp.status_code == 403 and "CSRF" in resp.text
    resp = client.post("/api/sites/xunyang/rechecks")
    assert resp.status_code == 403
    assert snapshot(world.store) == before
    # the login form itself: no token, no login
    anon = TestClient(world.app)
    resp = anon.post("/login", data={"name": "dept-a", "password": PASSWORD}, follow_redirects=False)
    assert resp.status_code == 403
    assert csrf


def test_security_headers_and_cookie_flags(world):
    client = TestClient(world.app)
    page = client.get("/login")
    csp = page.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp
    assert page.headers["x-content-type-options"] == "nosniff"
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    resp = client.post(
        "/login", data={"name": "office1", "password": PASSWORD, "csrf_token": token}, follow_redirects=False
    )
    cookie = resp.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie.replace("Lax", "lax")
    with world.store.session() as s:
        hashes = [w.token_hash for w in s.scalars(select(WebSession))]
    assert all(len(h) == 64 for h in hashes)
    doc = client.get(f"/runs/{world.ids['run_full']}/files/sites/xunyang.html")
    assert "sandbox" in doc.headers["content-security-policy"]


def test_failed_logins_are_throttled_per_account_and_per_address(tmp_path):
    from govaudit.settings import Settings

    w = make_world(tmp_path, Settings(max_failures_account=3, max_failures_address=5, secure_cookies=True))
    client = TestClient(w.app)  # plain http, as the app sees it behind a proxy that terminates TLS
    # cookies forced Secure (behind a TLS proxy): the login CSRF cookie and the session cookie
    page = client.get("/login")
    assert "Secure" in page.headers["set-cookie"] and "HttpOnly" in page.headers["set-cookie"]
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    signed = re.search(r"ga_login_csrf=([^;]+)", page.headers["set-cookie"]).group(1)
    resp = client.post(
        "/login",
        data={"name": "dept-b-wuning", "password": PASSWORD, "csrf_token": token},
        headers={"Cookie": f"ga_login_csrf={signed}"},
        follow_redirects=False,
    )
    assert resp.status_code == 303 and "Secure" in resp.headers["set-cookie"]
    client = TestClient(w.app, base_url="https://testserver")  # the rest as the browser behind that proxy

    def attempt(name, password):
        page = client.get("/login")
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
        return client.post(
            "/login", data={"name": name, "password": password, "csrf_token": token}, follow_redirects=False
        )

    for _ in range(3):
        assert attempt("dept-a", "wrong password!").status_code == 401
    resp = attempt("dept-a", PASSWORD)  # the right password, too late
    assert resp.status_code == 429 and "过多" in resp.text
    assert attempt("office1", "wrong password!").status_code == 401
    assert attempt("nobody", "wrong password!").status_code == 401
    resp = attempt("office1", PASSWORD)  # 5 failures from this address
    assert resp.status_code == 429
    with w.store.session() as s:
        from store.models import AuditEntry

        assert s.query(AuditEntry).filter(AuditEntry.action == "login.failed").count() == 5


def test_session_secret_is_created_owner_only(world):
    path = world.data / "session-secret"
    assert path.stat().st_mode & 0o777 == 0o600
    assert len(bytes.fromhex(path.read_text().strip())) == 32


def test_explain_then_office_approves_and_everything_is_audited(tmp_path):
    w = make_world(tmp_path)
    dept = TestClient(w.app)
    csrf = login(dept, "dept-a")
    findings = dept.get("/api/sites/xunyang/findings").json()
    target = findings[0]
    resp = dept.post(
        "/sites/xunyang/explanations",
        follow_redirects=False,
        data={
            "csrf_token": csrf,
            "run_id": target["run_id"],
            "check_id": target["check_id"],
            "index": target["index"],
            "text": "该栏目已按规定撤销",
            "evidence_url": "javascript:alert(1)",
        },
    )
    assert "err=" in resp.headers["location"]  # only http(s) evidence links
    resp = dept.post(
        "/sites/xunyang/explanations",
        follow_redirects=False,
        data={
            "csrf_token": csrf,
            "run_id": target["run_id"],
            "check_id": target["check_id"],
            "index": target["index"],
            "text": "该栏目已按规定撤销",
            "evidence_url": "https://www.xunyang.gov.cn/notice/1.html",
        },
    )
    assert "msg=" in resp.headers["location"]
    [mine] = [e for e in dept.get("/api/explanations").json() if e["site_id"] == "xunyang"]
    assert mine["status"] == "pending"
    # the department cannot decide, the office can
    assert (
        dept.post(
            f"/api/explanations/{mine['id']}/decision", json={"approve": True}, headers={"X-CSRF-Token": csrf}
        ).status_code
        == 403
    )
    office = TestClient(w.app)
    ocsrf = login(office, "office1")
    resp = office.post(
        f"/explanations/{mine['id']}/decide",
        data={"csrf_token": ocsrf, "decision": "approve"},
        follow_redirects=False,
    )
    assert resp.status_code == 303
    got = dept.get(f"/api/explanations/{mine['id']}").json()
    assert got["status"] == "approved" and got["expires"] and got["decided_by"] == "office1"
    with w.store.session() as s:
        from govaudit import pipeline
        from store.models import AuditEntry

        actions = [a.action for a in s.scalars(select(AuditEntry))]
        waive = pipeline.explanation_waiver(s, "xunyang")
    assert {"explanation.add", "explanation.approve", "login"} <= set(actions)
    assert waive is not None and waive(target["check_id"], target) is not None


def test_the_console_on_postgresql(postgres_url, tmp_path):
    from sqlalchemy import create_engine, text

    admin = create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text("DROP DATABASE IF EXISTS console_pg"))
        conn.execute(text("CREATE DATABASE console_pg"))
    admin.dispose()
    w = make_world(tmp_path, db_url=postgres_url.rsplit("/", 1)[0] + "/console_pg")
    office = TestClient(w.app)
    login(office, "office1")
    assert "武宁县" in office.get("/").text and office.get("/sites/wuning").status_code == 200
    dept = TestClient(w.app)
    csrf = login(dept, "dept-a")
    assert dept.get("/sites/wuning").status_code == 404
    resp = dept.post("/api/sites/xunyang/rechecks", headers={"X-CSRF-Token": csrf})
    assert resp.status_code == 202
    assert dept.get(f"/api/jobs/{resp.json()['job_id']}").json()["status"] == "queued"
    # sites.yaml broken while the console runs: the last good configuration stays in force
    good = w.config.read_text(encoding="utf-8")
    w.config.write_text(good + "  - {id: BAD ID}\n", encoding="utf-8")
    import os

    os.utime(w.config, (1, 1))
    assert office.get("/").status_code == 200 and dept.get("/api/sites").json()[0]["id"] == "xunyang"
    w.store.close()


def test_office_confirms_and_dismisses_what_waits_for_a_person(tmp_path):
    from store import reviews

    w = make_world(tmp_path)
    with w.store.session() as s:
        reviews.record_pending(
            s,
            w.ids["run_full"],
            [
                {
                    "id": "wuning",
                    "checks": [
                        {
                            "id": "personal-data",
                            "findings": [
                                {
                                    "message": "（待核实）页面疑似公开身份证号",
                                    "url": "http://www.wuning.gov.cn/a.html",
                                    "evidence": {"review_key": "rk-test-0001", "text": "3604**********1234"},
                                }
                            ],
                        }
                    ],
                }
            ],
        )
    office = TestClient(w.app)
    csrf = login(office, "office1")
    page = office.get("/reviews")
    assert (
        page.status_code == 200 and "页面疑似公开身份证号" in page.text and "待核实" in office.get("/").text
    )
    resp = office.post(
        "/reviews/rk-test-0001/decide",
        data={"csrf_token": csrf, "decision": "dismiss"},
        follow_redirects=False,
    )
    assert resp.status_code == 303 and "msg=" in resp.headers["location"]
    with w.store.session() as s:
        assert reviews.decisions_for(s, "wuning") == {"rk-test-0001": "dismissed"}
    assert (
        office.post("/reviews/rk-test-0001/decide", data={"decision": "confirm"}).status_code == 403
    )  # no CSRF
    dept = TestClient(w.app)
    dcsrf = login(dept, "dept-a")
    assert dept.get("/reviews").status_code == 403
    assert (
        dept.post(
            "/reviews/rk-test-0001/decide", data={"csrf_token": dcsrf, "decision": "confirm"}
        ).status_code
        == 403
    )
    with w.store.session() as s:
        assert reviews.decisions_for(s, "wuning") == {"rk-test-0001": "dismissed"}


def test_run_pages_show_site_progress_over_the_sites_one_may_see(tmp_path):
    """An unfinished run shows its sites queued / running / done / failed; a department counts only its own."""
    import datetime as dt

    from store.models import Run, RunSite

    world = make_world(tmp_path)
    with world.store.session() as s:
        run = Run(
            trigger="manual",
            as_of=dt.date(2021, 12, 20),
            tool_version="0.1.0",
            status="running",
            config={},
            site_ids=["fgw", "xunyang", "wuning", "lushan"],
        )
        s.add(run)
        s.flush()
        for site, job, status in (
            ("fgw", "done", "done"),
            ("xunyang", "running", "crawling"),
            ("wuning", "failed", "failed"),
            ("lushan", "queued", "pending"),
        ):
            s.add(RunSite(run_id=run.id, site_id=site, status=status, job=job))
        run_id = run.id
    office = TestClient(world.app)
    login(office, "office1")
    page = office.get(f"/runs/{run_id}").text
    assert "排队 1 · 进行中 1 · 完成 1 · 失败 1，共 4 个" in page and "工作进程" in page
    assert "排队 1 · 进行中 1 · 完成 1 · 失败 1" in office.get("/runs").text
    dept = TestClient(world.app)
    login(dept, "dept-a")  # xunyang only
    page = dept.get(f"/runs/{run_id}").text
    assert "排队 0 · 进行中 1 · 完成 0 · 失败 0，共 1 个" in page
    assert "排队 0 · 进行中 1 · 完成 0 · 失败 0" in dept.get("/runs").text
