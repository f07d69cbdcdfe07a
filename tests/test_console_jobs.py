"""Jobs, schedules, comply-or-explain and alerts, on real databases, a real SMTP server (aiosmtpd) and a real
webhook receiver on loopback."""

from __future__ import annotations

import datetime as dt
import http.server
import json
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from govaudit import alerts, jobs, pipeline, scheduler
from govaudit.config import load_config
from govaudit.settings import Settings, UnitContacts, Webhook, load_settings
from inspections.artifacts import SiteArtifacts
from inspections.base import Finding, Meta, Severity, Status, judge
from store.db import Store
from store.models import Alert, Explanation, Job, Schedule, ScheduleClaim
from tests.console_fixtures import SAMPLE, sites_yaml

CONFIG_TEXT = sites_yaml(json.loads(SAMPLE.read_text(encoding="utf-8")))


@pytest.fixture
def world(tmp_path):
    path = tmp_path / "sites.yaml"
    path.write_text(CONFIG_TEXT, encoding="utf-8")
    return Store(f"sqlite:///{tmp_path / 'j.db'}"), load_config(path)


# ---------------------------------------------------------------------------------------------- jobs


def test_a_job_only_targets_sites_of_the_configuration(world):
    store, config = world
    for ids in (["http://127.0.0.1:1/"], ["wuning", "../etc"], []):
        with pytest.raises(jobs.JobRefused):
            jobs.submit(store, config, Settings(), kind="recheck", site_ids=ids, requested_by="t")
    with pytest.raises(jobs.JobRefused):
        jobs.submit(
            store, config, Settings(), kind="recheck", site_ids=["wuning", "xunyang"], requested_by="t"
        )
    job_id = jobs.submit(store, config, Settings(), kind="inspection", site_ids=[], requested_by="t")
    assert jobs.status(store, job_id).site_ids == [s.id for s in config.sites]


def test_rechecks_one_at_a_time_per_site_and_limited_per_hour(world):
    store, config = world
    settings = Settings(recheck_per_hour=2)
    first = jobs.submit(store, config, settings, kind="recheck", site_ids=["wuning"], requested_by="t")
    with pytest.raises(jobs.JobRefused, match="排队或进行中"):
        jobs.submit(store, config, settings, kind="recheck", site_ids=["wuning"], requested_by="t")
    other = jobs.submit(store, config, settings, kind="recheck", site_ids=["xunyang"], requested_by="t")
    assert jobs.claim_next(store, ("recheck",), "w1") == first
    assert jobs.claim_next(store, ("recheck",), "w2") == other  # another site's re-check runs alongside
    jobs.finish(store, first, "done")
    jobs.submit(store, config, settings, kind="recheck", site_ids=["wuning"], requested_by="t")
    jobs.finish(store, jobs.claim_next(store, ("recheck",), "w1"), "done")
    with pytest.raises(jobs.JobRefused, match="每小时最多复查 2 次"):
        jobs.submit(store, config, settings, kind="recheck", site_ids=["wuning"], requested_by="t")


def test_a_job_process_gets_the_database_url_on_stdin_not_its_command_line(world, tmp_path, monkeypatch):
    """The URL may carry a password: `ps` must not show it. The child still reaches the database (it records
    why it refused the job) because it read the URL from stdin."""
    store, config = world
    job_id = jobs.submit(store, config, Settings(), kind="recheck", site_ids=["wuning"], requested_by="t")
    assert jobs.claim_next(store, ("recheck",), "w1") == job_id
    with store.session() as s:
        s.get(Job, job_id).site_ids = ["gone"]  # configured when queued, no longer: the child refuses it
    seen: list[list[str]] = []
    real_popen = subprocess.Popen

    def recording_popen(cmd, *args, **kwargs):
        seen.append(list(cmd))
        return real_popen(cmd, *args, **kwargs)

    monkeypatch.setattr(jobs.subprocess, "Popen", recording_popen)
    engine = jobs.EmbeddedEngine(
        store, sites_config=str(tmp_path / "sites.yaml"), settings=Settings(), data_dir=tmp_path / "data"
    )
    engine._run(job_id)
    assert seen and all(store.url not in arg for arg in seen[0]) and "--db-stdin" in seen[0]
    st = jobs.status(store, job_id)
    assert st.status == "failed" and "不在当前配置中" in (st.message or ""), st.message


def test_full_inspections_wait_for_each_other(world):
    store, config = world
    a = jobs.submit(store, config, Settings(), kind="inspection", site_ids=[], requested_by="t")
    b = jobs.submit(store, config, Settings(), kind="inspection", site_ids=["fgw"], requested_by="t")
    assert jobs.claim_next(store, ("inspection",), "w1") == a
    assert jobs.claim_next(store, ("inspection",), "w2") is None  # b waits while a runs
    jobs.finish(store, a, "done")
    assert jobs.claim_next(store, ("inspection",), "w2") == b


def test_claims_race_without_double_runs(world):
    store, config = world
    ids = [
        jobs.submit(store, config, Settings(), kind="recheck", site_ids=[s], requested_by="t")
        for s in ("fgw", "xunyang", "wuning", "lushan")
    ]
    got: list[int] = []
    lock = threading.Lock()

    def worker(name):
        while True:
            j = jobs.claim_next(store, ("recheck",), name)
            if j is None:
                return
            with lock:
                got.append(j)

    threads = [threading.Thread(target=worker, args=(f"w{i}",)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(got) == sorted(ids)


# ---------------------------------------------------------------------------------------------- schedules


def test_cron_errors_are_chinese():
    with pytest.raises(scheduler.CronError, match="5 段"):
        scheduler.parse_cron("0 6 * *", "Asia/Shanghai")
    with pytest.raises(scheduler.CronError, match="无法解析"):
        scheduler.parse_cron("61 6 * * *", "Asia/Shanghai")


def test_latest_due_time_in_the_schedules_time_zone():
    trig = scheduler.parse_cron("0 6 * * *", "Asia/Shanghai")  # 06:00 Beijing = 22:00 UTC the day before
    tz = scheduler.ZoneInfo("Asia/Shanghai")
    since = dt.datetime(2021, 12, 19, 12, 0)
    assert scheduler.latest_due(trig, since, dt.datetime(2021, 12, 19, 21, 59), tz) is None
    assert scheduler.latest_due(trig, since, dt.datetime(2021, 12, 19, 22, 0, 5), tz) == dt.datetime(
        2021, 12, 19, 22, 0
    )
    # down for three days: run once, for the last due time
    assert scheduler.latest_due(trig, since, dt.datetime(2021, 12, 22, 23, 0), tz) == dt.datetime(
        2021, 12, 22, 22, 0
    )


def _due_a_moment_ago() -> tuple[str, dt.datetime]:
    """A daily cron line whose latest due time is the current minute (Beijing time), and a `since` before it."""
    now = dt.datetime.now(scheduler.ZoneInfo("Asia/Shanghai"))
    if now.second > 55:  # keep the minute from turning over while the test runs
        time.sleep(61 - now.second)
        now = dt.datetime.now(scheduler.ZoneInfo("Asia/Shanghai"))
    since = dt.datetime.now(dt.UTC).replace(tzinfo=None) - dt.timedelta(seconds=61)
    return f"{now.minute} {now.hour} * * *", since


def test_two_schedulers_run_a_due_inspection_once(world):
    store, config = world
    settings = Settings(tick_seconds=0.2)
    cron, since = _due_a_moment_ago()
    with store.session() as s:
        s.add(Schedule(name="每天", cron=cron, site_ids=["fgw"], since=since))
    # two schedulers (two serve processes would each have one) on one database, ticking together
    a, b = scheduler.Scheduler(store, config, settings), scheduler.Scheduler(store, config, settings)
    a.start()
    b.start()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not (a.queued or b.queued):
        time.sleep(0.1)
    time.sleep(1.0)  # both keep ticking over the same due time
    a.stop()
    b.stop()
    with store.session() as s:
        claims = s.scalars(select(ScheduleClaim)).all()
        queued = s.scalars(select(Job).where(Job.schedule_id.is_not(None))).all()
    assert len(claims) == 1 and len(queued) == 1
    assert len(a.queued) + len(b.queued) == 1
    assert queued[0].site_ids == ["fgw"] and queued[0].kind == "inspection"


def test_two_scheduler_processes_claim_once(tmp_path, world):
    store, config = world
    cron, since = _due_a_moment_ago()
    with store.session() as s:
        s.add(Schedule(name="每天", cron=cron, site_ids=[], since=since))
    cfg = tmp_path / "sites.yaml"
    code = (
        "import sys; from store.db import Store; from govaudit.config import load_config;"
        "from govaudit.settings import Settings; from govaudit.scheduler import tick;"
        f"s = Store({store.url!r}); c = load_config({str(cfg)!r});"
        "print(len(tick(s, c, Settings())))"
    )
    procs = [
        subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True) for _ in range(2)
    ]
    outs = [int(p.communicate(timeout=120)[0].strip()) for p in procs]
    assert sorted(outs) == [0, 1]


def test_two_schedulers_on_postgresql_claim_once(postgres_url, tmp_path):
    from sqlalchemy import text

    store = Store(postgres_url)
    with store.engine.begin() as conn:
        conn.execute(text("TRUNCATE schedules, schedule_claims, jobs RESTART IDENTITY CASCADE"))
    cfg = tmp_path / "sites.yaml"
    cfg.write_text(CONFIG_TEXT, encoding="utf-8")
    config = load_config(cfg)
    cron, since = _due_a_moment_ago()
    with store.session() as s:
        s.add(Schedule(name="pg", cron=cron, site_ids=["fgw"], since=since))
    results: list[int] = []
    barrier = threading.Barrier(4)

    def go():
        barrier.wait()
        results.extend(scheduler.tick(store, config, Settings()))

    threads = [threading.Thread(target=go) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 1
    store.close()


def test_two_claimers_on_postgresql_never_run_two_jobs_of_one_lane(postgres_url):
    """Two serve processes claiming different queued jobs of one lane at the same instant: at most one runs."""
    from sqlalchemy import event, text

    store = Store(postgres_url)

    # Hold each claim's transaction open a moment after its UPDATE, as a busy database would: the other claimer's
    # UPDATE then runs before the first one commits.
    def linger(conn, cursor, statement, *args):  # noqa: ANN001
        if statement.lstrip().upper().startswith("UPDATE JOBS"):
            time.sleep(0.2)

    event.listen(store.engine, "after_cursor_execute", linger)
    doubled = 0
    for round_ in range(10):
        with store.engine.begin() as conn:
            conn.execute(text("TRUNCATE jobs RESTART IDENTITY CASCADE"))
        with store.session() as s:
            for _ in range(2):
                s.add(Job(kind="inspection", lane="inspection", site_ids=[], requested_by="t"))
        barrier = threading.Barrier(2)

        def go(name: str, barrier: threading.Barrier = barrier) -> None:
            barrier.wait()
            jobs.claim_next(store, ("inspection",), name)

        threads = [threading.Thread(target=go, args=(f"serve{i}-{round_}",)) for i in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        with store.session() as s:
            running = s.scalar(select(func.count()).select_from(Job).where(Job.status == "running"))
        doubled += running > 1
        assert running >= 1
    store.close()
    assert doubled == 0, f"{doubled} of 10 rounds ran two jobs of the lane at once"


# ---------------------------------------------------------------------------------------------- comply or explain

META = Meta(id="t-check", title="好", failure_title="不好", description="d", rule="r", category="c")


def test_waived_finding_costs_no_points_and_no_veto():
    from inspections.runner import apply_waivers

    keep = Finding("t-check", Severity.FAIL, "栏目已45天未更新", "http://a/", points=2.0)
    veto = Finding("t-check", Severity.VETO, "首页无法访问", "http://a/x", points=0.0)
    outcome = judge(META, (keep, veto), 10.0)
    assert outcome.veto and outcome.points_lost == 2.0

    def waive(check_id, f):
        return {"explanation": 7} if f["message"] == "首页无法访问" else None

    scored, waived = apply_waivers(outcome, waive)
    assert not scored.veto and scored.status is Status.FAIL and scored.points_lost == 2.0
    assert list(waived) == [1]
    scored, waived = apply_waivers(outcome, lambda c, f: {"explanation": 1})
    assert scored.status is Status.PASS and scored.points_lost == 0 and len(waived) == 2


def _explain(store, site_id, check_id, finding, *, status="approved", days=30):
    with store.session() as s:
        e = Explanation(
            site_id=site_id,
            check_id=check_id,
            finding_key=pipeline.finding_fingerprint(check_id, finding),
            finding=finding,
            run_id=1,
            text="已撤销",
            created_by="d",
            status=status,
            expires=dt.datetime.now(dt.UTC).replace(tzinfo=None) + dt.timedelta(days=days),
        )
        s.add(e)


def test_approved_explanation_waives_in_the_next_scoring_until_it_lapses(tmp_path):
    from inspections.runner import inspect_site, load_scoring

    store = Store(f"sqlite:///{tmp_path / 'w.db'}")
    html = (
        "<html><head><meta charset='utf-8'><title>局</title></head><body><ul><li><a href='/n/1.html'>新闻</a>"
        "<span>2021-10-01</span></li></ul></body></html>"
    )
    from inspections.artifacts import PageArtifact

    site = SiteArtifacts(
        site_id="t",
        home_url="http://t.test/",
        name="测试局",
        level="department",
        unit="测试局",
        pages=(PageArtifact(url="http://t.test/", final_url="http://t.test/", status=200, html=html),),
    )
    scoring = load_scoring()
    plain = inspect_site(site, as_of=dt.date(2021, 12, 20), scoring=scoring)
    stale = next(c for c in plain["checks"] if c["id"] == "homepage-stale")
    assert stale["status"] == "fail" and stale["veto"]
    finding = stale["findings"][0]
    with store.session() as s:
        assert pipeline.explanation_waiver(s, "t") is None
    _explain(store, "t", "homepage-stale", finding)
    with store.session() as s:
        waived = inspect_site(
            site, as_of=dt.date(2021, 12, 20), scoring=scoring, waive=pipeline.explanation_waiver(s, "t")
        )
    check = next(c for c in waived["checks"] if c["id"] == "homepage-stale")
    assert check["status"] == "pass" and not check["veto"] and check["points_lost"] == 0
    assert check["findings"][0]["waived"]["explanation"] >= 1
    assert "homepage-stale" not in waived["vetoes"]
    # lapses after its time
    later = dt.datetime.now(dt.UTC).replace(tzinfo=None) + dt.timedelta(days=31)
    with store.session() as s:
        assert pipeline.explanation_waiver(s, "t", now=later) is None
    # and when the finding changes (another page, or another severity), it no longer matches
    with store.session() as s:
        waive = pipeline.explanation_waiver(s, "t")
        assert waive("homepage-stale", {**finding, "url": "http://t.test/other.html"}) is None
        assert waive("homepage-stale", {**finding, "severity": "warn"}) is None
        assert waive("homepage-stale", finding) is not None
    # pending or rejected explanations waive nothing
    store2 = Store(f"sqlite:///{tmp_path / 'w2.db'}")
    _explain(store2, "t", "homepage-stale", finding, status="pending")
    with store2.session() as s:
        assert pipeline.explanation_waiver(s, "t") is None


def test_waived_finding_is_struck_through_in_the_report(tmp_path):
    results = json.loads(SAMPLE.read_text(encoding="utf-8"))
    site = next(s for s in results["sites"] if s["id"] == "xunyang")
    check = next(c for c in site["checks"] if c["status"] == "fail")
    check["findings"][0]["waived"] = {"explanation": 3, "until": "2022-06-18"}
    from reports.render import _site_view, make_env

    html = (
        make_env()
        .from_string(
            '{% import "_macros.html.j2" as m %}{% for c in v.checks %}'
            "{% for f in c.findings %}{{ m.finding_item(f) }}{% endfor %}{% endfor %}"
        )
        .render(v=_site_view(site, None))
    )
    assert "finding-waived" in html and "<s>" in html and "说明已认可" in html


# ---------------------------------------------------------------------------------------------- alerts


class Hook(http.server.BaseHTTPRequestHandler):
    received: list[dict] = []
    fail_first = 0

    def do_POST(self):  # noqa: N802
        body = self.rfile.read(int(self.headers["Content-Length"]))
        if Hook.fail_first > 0:
            Hook.fail_first -= 1
            self.send_response(502)
            self.end_headers()
            return
        Hook.received.append({"path": self.path, "json": json.loads(body)})
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b'{"errcode":0,"errmsg":"ok"}')

    def log_message(self, *args):  # noqa: ANN002
        pass


@pytest.fixture
def receivers():
    from aiosmtpd.controller import Controller
    from aiosmtpd.handlers import Message

    mails = []

    class Keep(Message):
        def handle_message(self, message):
            mails.append(message)

    import socket

    with socket.socket() as probe:  # a free port (aiosmtpd's controller needs to know it to check readiness)
        probe.bind(("127.0.0.1", 0))
        free = probe.getsockname()[1]
    smtp = Controller(Keep(), hostname="127.0.0.1", port=free)
    smtp.start()
    web = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Hook)
    threading.Thread(target=web.serve_forever, daemon=True).start()
    Hook.received, Hook.fail_first = [], 0
    yield smtp, web, mails
    smtp.stop()
    web.shutdown()


def test_alerts_reach_smtp_and_webhooks_and_are_retried(world, receivers):
    store, config = world
    smtp, web, mails = receivers
    port = smtp.port
    unit = next(s.unit for s in config.sites if s.id == "wuning")
    settings = Settings(
        smtp=__import__("govaudit.settings", fromlist=["Smtp"]).Smtp(
            host="127.0.0.1", port=port, sender="govaudit@test.example"
        ),
        units={
            unit: UnitContacts(
                ("xxgk@wuning.test",),
                (
                    Webhook("wecom", f"http://127.0.0.1:{web.server_port}/cgi-bin/webhook/send?key=k"),
                    Webhook("dingtalk", f"http://127.0.0.1:{web.server_port}/robot/send?access_token=t"),
                ),
            )
        },
        alert_backoff_s=0.0,
        alert_retries=3,
    )
    results = json.loads(SAMPLE.read_text(encoding="utf-8"))
    Hook.fail_first = 1  # the first webhook call fails: recorded, retried
    n = alerts.raise_for_run(
        store, settings, results=results, previous=None, recheck=None, job_id=None, is_recheck=False
    )
    assert n == 3  # wuning's notice, by mail, 企业微信 and 钉钉
    for _ in range(5):
        alerts.deliver_due(store, settings)
    with store.session() as s:
        rows = s.scalars(select(Alert)).all()
    assert all(a.status == "sent" for a in rows), [(a.channel, a.status, a.last_error) for a in rows]
    assert max(a.attempts for a in rows) == 2
    assert len(mails) == 1 and all(m["To"] == "xxgk@wuning.test" for m in mails)
    from email.header import decode_header, make_header

    assert any("整改通知" in str(make_header(decode_header(m["Subject"]))) for m in mails)
    assert len(Hook.received) == 2
    assert {g["path"].split("?")[0] for g in Hook.received} == {"/cgi-bin/webhook/send", "/robot/send"}
    for got in Hook.received:
        assert got["json"]["msgtype"] == "text" and "武宁县" in got["json"]["text"]["content"]


def test_a_dead_mail_server_never_blocks_and_gives_up_after_the_retries(world):
    store, config = world
    from govaudit.settings import Smtp

    unit = next(s.unit for s in config.sites if s.id == "wuning")
    settings = Settings(
        smtp=Smtp(host="127.0.0.1", port=9, timeout_s=2),
        alert_retries=2,
        alert_backoff_s=0.0,
        units={unit: UnitContacts(("a@b.test",), ())},
    )
    results = json.loads(SAMPLE.read_text(encoding="utf-8"))
    alerts.raise_for_run(
        store, settings, results=results, previous=None, recheck=None, job_id=None, is_recheck=False
    )
    for _ in range(3):
        alerts.deliver_due(store, settings)
    with store.session() as s:
        rows = s.scalars(select(Alert)).all()
    assert rows and all(a.status == "failed" and a.attempts == 2 and a.last_error for a in rows)


def test_console_yaml_errors_name_file_line_and_field(tmp_path):
    from govaudit.config import ConfigError

    bad = tmp_path / "console.yaml"
    bad.write_text(
        "recheck:\n  per_hour: 2\nunits:\n  甲:\n    webhooks: [{kind: slack, url: 'http://x/'}]\n",
        encoding="utf-8",
    )
    with pytest.raises(ConfigError) as err:
        load_settings(bad)
    assert err.value.line == 5 and "webhooks[0].kind" in err.value.field and "企业微信" in err.value.message
    good = tmp_path / "ok.yaml"
    good.write_text("recheck: {per_hour: 3}\nunits:\n  甲: {emails: [a@b.cn]}\n", encoding="utf-8")
    assert load_settings(good).recheck_per_hour == 3


def test_dingtalk_signature_is_on_the_url():
    url = alerts._dingtalk_signed("http://h/robot/send?access_token=t", "SEC", now_ms=1700000000000)
    assert url.startswith("http://h/robot/send?access_token=t&timestamp=1700000000000&sign=")


def test_two_serve_processes_on_one_database_start_a_due_run_once(tmp_path, world):
    import socket
    import urllib.request

    store, config = world
    cron, since = _due_a_moment_ago()
    with store.session() as s:
        s.add(Schedule(name="每天", cron=cron, site_ids=["fgw"], since=since))
    settings = tmp_path / "console.yaml"
    settings.write_text("scheduler: {tick_seconds: 0.3}\n", encoding="utf-8")
    procs, ports = [], []
    for _i in range(2):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            ports.append(probe.getsockname()[1])
        procs.append(
            subprocess.Popen(
                [
                    str(Path(sys.executable).parent / "govaudit"),
                    "serve",
                    "--config",
                    str(tmp_path / "sites.yaml"),
                    "--db",
                    store.url,
                    "--port",
                    str(ports[-1]),
                    "--data",
                    str(tmp_path / "data"),
                    "--console-config",
                    str(settings),
                    "--no-jobs",
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                text=True,
            )
        )
    try:
        for port, proc in zip(ports, procs, strict=True):
            for _ in range(300):
                try:
                    urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1)
                    break
                except OSError:
                    assert proc.poll() is None, proc.stderr.read()[-2000:]
                    time.sleep(0.1)
        time.sleep(2.0)  # both schedulers tick several times over the same due time
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait(timeout=30)
    with store.session() as s:
        claims = s.scalars(select(ScheduleClaim)).all()
        queued = s.scalars(select(Job)).all()
    assert len(claims) == 1 and len(queued) == 1 and queued[0].status == "queued"
    # both processes share one session secret, created once with owner-only rights
    assert (tmp_path / "data" / "session-secret").stat().st_mode & 0o777 == 0o600
