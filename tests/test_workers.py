"""Site jobs on Celery workers: real Redis (started here on a free port), the throwaway PostgreSQL cluster, two
real `govaudit worker` processes and the simulated web. One worker is killed with SIGKILL in the middle of a
site's crawl: its job is delivered again (late acknowledgement) and finished by the other, and the stored run
equals an in-process run of the same sites on the same web — same judgements, every row once."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from simweb.build import build
from simweb.server import serve

AS_OF = "2021-12-20"
GOVAUDIT = str(Path(sys.executable).parent / "govaudit")
SITES = ["czj", "sthjj", "pengze"]  # two departments (~280 pages each) and one site that never answers


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory):
    exe = shutil.which("redis-server")
    if exe is None:
        pytest.skip("redis-server not installed: apt-get install redis-server (make install)")
    workdir = tmp_path_factory.mktemp("redis")
    for _attempt in range(5):
        port = _free_port()
        proc = subprocess.Popen([exe, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly",
                                 "no", "--dir", str(workdir)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5) as c:
                    c.sendall(b"PING\r\n")
                    if c.recv(16).startswith(b"+PONG"):
                        break
            except OSError:
                time.sleep(0.05)
        if proc.poll() is None:
            break
    else:
        pytest.fail("redis-server did not start")
    try:
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.fixture(scope="module")
def web(tmp_path_factory):
    root = tmp_path_factory.mktemp("simweb-workers")
    build(root / "web")
    with serve(root / "web") as w:
        config = root / "sites.yaml"
        # Two requests at a time per host, as on real sites, so a crawl lasts long enough to be killed.
        config.write_text(w.config_yaml(concurrency_per_host=2, probe_count=2), encoding="utf-8")
        yield {"web": w, "config": config, "root": root}


def _worker(name: str, db: str, broker: str, env: dict[str, str], log: Path) -> subprocess.Popen:
    return subprocess.Popen([GOVAUDIT, "worker", "--db", db, "--broker", broker, "--concurrency", "1",
                             "--name", name], env=env, stdout=log.open("w"), stderr=subprocess.STDOUT)


def _key(site: dict) -> dict:
    """What a site's judgement is: verdict, score, and per check its status, points and findings."""
    return {"verdict": site["verdict"], "score": site["score"], "checks": {
        c["id"]: (c["status"], c["points_lost"], c["veto"],
                  sorted((f.get("message", ""), f.get("url", "")) for f in c["findings"]))
        for c in site["checks"]}}


ROWS = {
    "pages": "SELECT site_id, url, status, depth FROM pages",
    "links": "SELECT site_id, source_url, target_url, region FROM links",
    "list_entries": "SELECT site_id, list_url, title, date_text FROM list_entries",
    "fetch_failures": "SELECT site_id, url, kind FROM fetch_failures",
    "link_checks": "SELECT site_id, target_url, status, confirmed FROM link_checks",
}


def test_killed_worker_loses_nothing_and_run_equals_in_process_run(web, redis_url, postgres_url, tmp_path):
    config = str(web["config"])
    env = {**os.environ, "GOVAUDIT_VISIBILITY_TIMEOUT_S": "6", "GOVAUDIT_JOB_HEARTBEAT_S": "1",
           "GOVAUDIT_JOB_LEASE_S": "4", "GOVAUDIT_RETRY_BASE_S": "1"}
    env.pop("GOVAUDIT_BROKER", None)

    # 1. The embedded default: no broker, everything in this process tree, SQLite.
    lite = tmp_path / "inproc.db"
    res = subprocess.run([GOVAUDIT, "inspect", "--config", config, "--db", f"sqlite:///{lite}", "--as-of", AS_OF,
                          "--out", str(tmp_path / "o1"), "--no-reports", "--site", *SITES], capture_output=True, text=True,
                         timeout=300, env=env)
    assert res.returncode == 0, res.stderr[-3000:]
    inproc = json.loads((tmp_path / "o1" / "results.json").read_text(encoding="utf-8"))

    # 2. The same sites as jobs on two workers sharing one PostgreSQL.
    logs = [tmp_path / "w1.log", tmp_path / "w2.log"]
    workers = {name: _worker(name, postgres_url, redis_url, env, log)
               for name, log in zip(("w1@test", "w2@test"), logs, strict=True)}
    submit = subprocess.Popen([GOVAUDIT, "inspect", "--config", config, "--db", postgres_url, "--broker", redis_url,
                               "--as-of", AS_OF, "--out", str(tmp_path / "o2"), "--no-reports", "--site", *SITES],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    engine = create_engine(postgres_url)
    killed = None
    try:
        # 3. SIGKILL the worker that holds a site whose crawl is under way (pages stored, not finished).
        deadline = time.monotonic() + 120
        while killed is None and time.monotonic() < deadline:
            assert submit.poll() is None, submit.stderr.read()[-3000:] if submit.stderr else ""
            try:
                with engine.connect() as conn:
                    rows = conn.execute(text(
                        "SELECT rs.site_id, rs.worker, (SELECT count(*) FROM pages p WHERE p.run_id = rs.run_id "
                        "AND p.site_id = rs.site_id) FROM run_sites rs WHERE rs.job = 'running' "
                        "AND rs.status = 'crawling'")).all()
            except Exception:  # noqa: BLE001 - tables not created yet
                rows = []
            for site_id, holder, pages in rows:
                if pages >= 30:
                    name = holder.split(":", 1)[0]
                    os.kill(workers[name].pid, signal.SIGKILL)
                    workers[name].wait(timeout=10)
                    killed = (site_id, name, pages)
                    break
            time.sleep(0.05)
        assert killed is not None, "no crawl was caught in the middle"
        out, err = submit.communicate(timeout=100)
        assert submit.returncode == 0, err[-3000:]
    finally:
        for p in workers.values():
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in workers.values():
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                p.kill()
    queued = json.loads((tmp_path / "o2" / "results.json").read_text(encoding="utf-8"))

    # The run is complete, every site done, the killed site delivered twice.
    with engine.connect() as conn:
        run_id = conn.execute(text("SELECT max(id) FROM runs")).scalar()
        assert conn.execute(text("SELECT status FROM runs WHERE id = :r"), {"r": run_id}).scalar() == "complete"
        states = dict(conn.execute(text("SELECT site_id, job FROM run_sites WHERE run_id = :r"), {"r": run_id}).all())
        assert states == dict.fromkeys(SITES, "done")
        attempts = conn.execute(text("SELECT attempts FROM run_sites WHERE run_id = :r AND site_id = :s"),
                                {"r": run_id, "s": killed[0]}).scalar()
        assert attempts >= 2, "the killed job was not delivered again"
        pg_rows = {t: sorted(tuple(r) for r in conn.execute(text(q + " WHERE run_id = :r"), {"r": run_id}))
                   for t, q in ROWS.items()}
    engine.dispose()

    # Same judgements as the in-process run, site by site.
    assert [s["id"] for s in queued["sites"]] == [s["id"] for s in inproc["sites"]]
    for a, b in zip(inproc["sites"], queued["sites"], strict=True):
        assert _key(a) == _key(b), a["id"]

    # Every row once: the same rows as the in-process run, none missing and none twice.
    with sqlite3.connect(lite) as conn:
        lite_rows = {t: sorted(tuple(r) for r in conn.execute(q)) for t, q in ROWS.items()}
    for table in ROWS:
        assert pg_rows[table] == lite_rows[table], table
    assert len(pg_rows["pages"]) > 500

    # `govaudit runs` shows the run's progress per site.
    runs = subprocess.run([GOVAUDIT, "runs", "--db", postgres_url], capture_output=True, text=True, env=env,
                          timeout=60)
    assert runs.returncode == 0, runs.stderr
    assert f"完成 {len(SITES)}" in runs.stdout and "（队列）" in runs.stdout, runs.stdout


def test_recheck_is_delivered_before_scheduled_work(redis_url):
    """A department's re-check queued after scheduled jobs is taken first (Redis priority queues)."""
    from workers.sitejobs import PRIORITY
    from workers.app import TASK_NAME, make_app

    app = make_app(redis_url.rsplit("/", 1)[0] + "/3")  # a database of its own: no worker listens there
    for i, trigger in enumerate(["scheduled", "scheduled", "manual", "recheck", "scheduled"]):
        app.send_task(TASK_NAME, args=[i, trigger], priority=PRIORITY[trigger])
    order = []
    with app.connection_for_read() as conn:
        queue = conn.SimpleQueue("celery")
        for _ in range(5):
            msg = queue.get(timeout=5)
            order.append(tuple(msg.payload[0] if isinstance(msg.payload, list) else msg.body))
            msg.ack()
        queue.close()
    assert [args[1] for args in order] == ["recheck", "manual", "scheduled", "scheduled", "scheduled"]


def _one_site_run(tmp_path, db_url):
    import datetime as dt

    import yaml

    from govaudit import pipeline
    from govaudit.config import load_config
    from store.db import Store

    cfg = tmp_path / "sites.yaml"
    cfg.write_text(yaml.safe_dump({"sites": [{"id": "a", "name": "甲", "url": "http://a.example.test/",
                                              "level": "department", "unit": "甲局"}]}, allow_unicode=True),
                   encoding="utf-8")
    store = Store(db_url)
    run_id = pipeline.start_run(store, load_config(cfg), ["a"], as_of=dt.date(2021, 12, 20), trigger="manual")
    return store, run_id


def _job_row(store, run_id):
    from sqlalchemy import select

    from store.models import RunSite

    with store.session() as s:
        rs = s.scalars(select(RunSite).where(RunSite.run_id == run_id)).one()
        return rs.job, rs.attempts, rs.message


def test_transient_failure_is_retried_with_backoff_then_given_up(tmp_path, monkeypatch, sqlite_url):
    from workers import sitejobs as jobs
    from workers import app as worker_app

    store, run_id = _one_site_run(tmp_path, sqlite_url)
    calls = []

    def crawl_dies(store, run_id, site_id):
        calls.append(site_id)
        raise jobs.TransientJobError("抓取进程异常退出（-9）")

    monkeypatch.setattr(jobs, "crawl_site", crawl_dies)
    monkeypatch.setenv("GOVAUDIT_DB", sqlite_url)
    monkeypatch.setenv("GOVAUDIT_JOB_ATTEMPTS", "3")
    app = worker_app.make_app("memory://")
    app.conf.task_always_eager = True
    result = app.tasks[worker_app.TASK_NAME].apply(args=[run_id, "a"], kwargs={"probes": False})
    assert result.get() == "failed"
    job, attempts, message = _job_row(store, run_id)
    assert calls == ["a", "a", "a"]  # tried three times (GOVAUDIT_JOB_ATTEMPTS), then given up
    assert (job, attempts) == ("failed", 3)
    assert "重试 3 次仍失败" in message
    assert [worker_app.retry_delay(n) for n in (1, 2, 3, 20)] == [10, 20, 40, 600]


def test_permanent_failure_is_not_retried(tmp_path, monkeypatch, sqlite_url):
    from workers import sitejobs as jobs
    from workers import app as worker_app

    store, run_id = _one_site_run(tmp_path, sqlite_url)
    calls = []

    def bad_config(store, run_id, site_id):
        calls.append(site_id)
        raise jobs.PermanentJobError("配置无法使用")

    monkeypatch.setattr(jobs, "crawl_site", bad_config)
    monkeypatch.setenv("GOVAUDIT_DB", sqlite_url)
    app = worker_app.make_app("memory://")
    app.conf.task_always_eager = True
    result = app.tasks[worker_app.TASK_NAME].apply(args=[run_id, "a"], kwargs={"probes": False})
    assert result.get() == "failed"
    assert calls == ["a"]
    job, attempts, message = _job_row(store, run_id)
    assert (job, attempts, message) == ("failed", 1, "配置无法使用")
    # A job for a site the run does not have is permanent too, and the run is then complete (all sites ended).
    assert app.tasks[worker_app.TASK_NAME].apply(args=[run_id, "nope"], kwargs={"probes": False}).get() == "failed"


def test_console_jobs_hand_their_sites_to_workers(web, redis_url, postgres_url, tmp_path, monkeypatch):
    """`jobs.engine: workers.console:CeleryEngine`: the console's job process keeps calling crawl_and_probe;
    with the broker set, the sites are done by a worker (one job each) and the run completes."""
    from sqlalchemy import select

    from govaudit import pipeline
    from govaudit.config import load_config
    from store.db import Store
    from store.models import Run, RunSite

    db = postgres_url.rsplit("/", 1)[0] + "/postgres"  # a database of its own, beside the other test's
    env = {**os.environ, "GOVAUDIT_JOB_HEARTBEAT_S": "1"}
    env.pop("GOVAUDIT_BROKER", None)
    worker = _worker("console@test", db, redis_url, env, tmp_path / "w.log")
    try:
        store = Store(db)
        config = load_config(web["config"])
        run_id = pipeline.start_run(store, config, ["pengze"], as_of=__import__("datetime").date(2021, 12, 20),
                                    trigger="recheck")
        monkeypatch.setenv("GOVAUDIT_BROKER", redis_url)
        events = []
        assert pipeline.crawl_and_probe(store, run_id, progress=events.append, probes=True) == 0
        with store.session() as s:
            assert s.get(Run, run_id).status == "complete"
            rs = s.scalars(select(RunSite).where(RunSite.run_id == run_id)).one()
            assert (rs.job, rs.priority, rs.status) == ("done", 0, "done")  # a re-check goes first
        assert [(e["event"], e["site"]) for e in events] == [("site_done", "pengze")]
        store.close()
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=30)
