"""A console job handed to the scale-out engine: with a broker configured, the job's sites go to a real
`govaudit worker` through a real Redis, and the console job ends done with the run judged and its documents
written, exactly as with the embedded engine."""

from __future__ import annotations

import functools
import http.server
import subprocess
import sys
import threading
import time
from pathlib import Path

from govaudit import jobs
from govaudit.config import load_config
from govaudit.settings import Settings
from store.db import Store
from store.models import Job
from tests.test_recheck_flow import HOME, Quiet
from tests.test_workers import redis_url  # noqa: F401 - the real Redis fixture of the workers' tests

GOVAUDIT = str(Path(sys.executable).parent / "govaudit")


def test_a_console_recheck_runs_on_the_workers(tmp_path, redis_url):  # noqa: F811
    root = tmp_path / "site"
    root.mkdir()
    (root / "index.html").write_text(HOME, encoding="utf-8")
    web = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(root)))
    threading.Thread(target=web.serve_forever, daemon=True).start()
    config = tmp_path / "sites.yaml"
    config.write_text(
        "defaults: {max_pages: 10, delay_s: 0, concurrency_per_host: 4, timeout_s: 5, probe_count: 1,"
        " probe_interval_s: 0}\nnetwork: {allow_private: true}\n"
        f"sites:\n  - {{id: tsj, name: 测试局, url: 'http://127.0.0.1:{web.server_port}/', level: department,"
        " unit: 测试局}\n", encoding="utf-8")
    db = f"sqlite:///{tmp_path / 'w.db'}"
    store = Store(db)
    worker = subprocess.Popen([GOVAUDIT, "worker", "--db", db, "--broker", redis_url, "--concurrency", "1",
                               "--name", "console-test"], stdout=(tmp_path / "worker.log").open("w"),
                              stderr=subprocess.STDOUT)
    try:
        settings = Settings(broker=redis_url, as_of="2021-12-20")
        job_id = jobs.submit(store, load_config(config), settings, kind="recheck", site_ids=["tsj"],
                             requested_by="t")
        assert jobs.claim_next(store, ("recheck",), "test") == job_id
        result = jobs.execute_job(store, job_id, sites_config=str(config), settings=settings,
                                  data_dir=tmp_path / "data")
        jobs.finish(store, job_id, "done", "", result)
    finally:
        worker.terminate()
        worker.wait(timeout=30)
        web.shutdown()
    st = jobs.status(store, job_id)
    assert st.status == "done" and st.progress["workers"]["done"] == 1
    [site] = st.result["sites"]
    assert site["id"] == "tsj" and site["verdict"] in ("合格", "不合格")
    assert (tmp_path / "data" / "runs" / str(st.run_id) / "results.json").is_file()
    with store.session() as s:
        assert s.get(Job, job_id).run_id == st.run_id
