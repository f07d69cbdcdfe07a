"""Site jobs: one job is one site of a run (crawl, probes, inspection), and the runners that carry them out.

Two runners behind one interface, so the CLI and the web console hand work over without knowing which:

- `EmbeddedRunner` (the default, no broker configured): the whole run in this process as `govaudit inspect`
  always did: one crawl child process for all sites (sites in flight bounded by network.sites_at_once), the
  probes in a thread, then the inspection.
- `CeleryRunner` (`--broker redis://…` or $GOVAUDIT_BROKER): one Celery task per site through Redis, carried
  out by `govaudit worker` processes on any number of machines that all write to one database (PostgreSQL).

The database is the record either way: `run_progress()` reads the sites' states (queued, running, done,
failed) from `run_sites`, whoever runs them.

A site job (`run_site_job`) is safe to deliver more than once (late acknowledgement: a worker killed mid-job
leaves its message to be delivered again):
- a job whose site is done returns at once;
- a job held by a live worker (its heartbeat is fresh) is not run twice: `JobBusy`, the caller asks again later;
- each step replaces what an interrupted attempt stored of it: the crawl's rows of the site are deleted before
  it is crawled again, the probes of the site are replaced, the judgement of the site is replaced, each in a
  transaction, so the stored run has every row once whatever was killed when.
"""

from __future__ import annotations

import datetime as dt
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from store import sitejobs as rows
from store.db import Store
from store.models import utcnow

if TYPE_CHECKING:
    from store.models import RunSite

ProgressFn = Callable[[dict[str, Any]], None]

# A department's re-check outranks a manual run, which outranks scheduled work. Redis (kombu) polls priority 0
# first, so a smaller number goes first.
PRIORITY = {"recheck": 0, "manual": 3, "demo": 3, "scheduled": 6}
JOB_STATES = ("queued", "running", "done", "failed")
STATE_LABELS = {"queued": "排队", "running": "进行中", "done": "完成", "failed": "失败"}


def _env_float(name: str, default: float) -> float:
    try:
        return float(os.environ.get(name, default))
    except ValueError:
        return default


def heartbeat_s() -> float:
    """How often a worker holding a job says it is alive."""
    return _env_float("GOVAUDIT_JOB_HEARTBEAT_S", 15.0)


def lease_s() -> float:
    """A job whose heartbeat is older than this was abandoned (its worker died): it may be taken over."""
    return _env_float("GOVAUDIT_JOB_LEASE_S", 90.0)


class JobError(Exception):
    """A job could not be done."""


class PermanentJobError(JobError):
    """Doing it again cannot help (the run or the site does not exist, the configuration is unusable)."""


class TransientJobError(JobError):
    """It may work next time (the crawl process died, the database went away): retried with backoff."""


class JobBusy(JobError):
    """Another live worker holds this job: ask again after `retry_in` seconds."""

    def __init__(self, worker: str, retry_in: float):
        super().__init__(f"由 {worker} 执行中")
        self.worker, self.retry_in = worker, retry_in


@dataclass(frozen=True)
class RunProgress:
    run_id: int
    status: str
    engine: str  # embedded | workers
    counts: dict[str, int]  # queued, running, done, failed
    total: int

    @property
    def finished(self) -> bool:
        return self.counts["done"] + self.counts["failed"] >= self.total

    def label(self) -> str:
        """'排队 3 · 进行中 2 · 完成 10 · 失败 0' (Chinese, for `govaudit runs` and the console)."""
        return " · ".join(f"{STATE_LABELS[k]} {self.counts[k]}" for k in JOB_STATES)


def site_state(job: str | None, crawl_status: str) -> str:
    """One site's state in a run: the job's when workers run it, else the in-process crawl's."""
    if job is not None:
        return job
    return {"pending": "queued", "crawling": "running", "done": "done", "failed": "failed"}.get(
        crawl_status, "queued"
    )


def run_progress(store: Store, run_id: int, site_ids: list[str] | None = None) -> RunProgress:
    """Sites queued / running / done / failed, from the database (the record whichever runner runs the run);
    ``site_ids``: only those sites (a department's own, in the console)."""
    with store.session() as s:
        status, counted = rows.job_counts(s, run_id, site_ids)
    counts = dict.fromkeys(JOB_STATES, 0)
    engine = "embedded"
    for job, crawl_status, n in counted:
        if job is not None:
            engine = "workers"
        counts[site_state(job, crawl_status)] += n
    return RunProgress(run_id, status, engine, counts, sum(counts.values()))


class JobRunner(Protocol):
    """What the CLI and the console need from an engine: hand over a run's sites, and read how far it is."""

    name: str

    def submit(self, run_id: int, site_ids: list[str] | None = None, *, trigger: str = "manual") -> None: ...

    def progress(self, run_id: int) -> RunProgress: ...

    def wait(
        self, run_id: int, *, timeout: float | None = None, progress: ProgressFn | None = None
    ) -> RunProgress: ...


class EmbeddedRunner:
    """No broker: the run's sites are crawled, probed and judged by this process (a crawl child process and a
    probe thread), as `govaudit inspect` does. `submit()` starts it in a background thread (so a console can
    go on serving); `wait()` joins it."""

    name = "embedded"

    def __init__(
        self,
        store: Store,
        *,
        probes: bool = True,
        scoring_path: str | None = None,
        progress: ProgressFn | None = None,
        inspect: bool = True,
    ):
        self.store, self.probes, self.scoring_path = store, probes, scoring_path
        self.on_progress, self.inspect = progress, inspect
        self._threads: dict[int, threading.Thread] = {}
        self.codes: dict[int, int] = {}

    def submit(self, run_id: int, site_ids: list[str] | None = None, *, trigger: str = "manual") -> None:
        from govaudit import pipeline

        def work() -> None:
            code = pipeline.crawl_and_probe(self.store, run_id, progress=self.on_progress, probes=self.probes)
            self.codes[run_id] = code
            if code == 0 and self.inspect:
                pipeline.inspect_run(self.store, run_id, site_ids=site_ids, scoring_path=self.scoring_path)

        t = threading.Thread(target=work, name=f"govaudit-run-{run_id}", daemon=True)
        self._threads[run_id] = t
        t.start()

    def progress(self, run_id: int) -> RunProgress:
        return run_progress(self.store, run_id)

    def wait(
        self, run_id: int, *, timeout: float | None = None, progress: ProgressFn | None = None
    ) -> RunProgress:
        t = self._threads.get(run_id)
        if t is not None:
            t.join(timeout)
        return run_progress(self.store, run_id)


class CeleryRunner:
    """A broker is configured: one Celery task per site, carried out by `govaudit worker` processes."""

    name = "workers"

    def __init__(
        self, store: Store, broker_url: str, *, scoring_path: str | None = None, probes: bool = True
    ):
        from workers.app import make_app

        self.store, self.broker_url, self.scoring_path, self.probes = store, broker_url, scoring_path, probes
        self.app = make_app(broker_url)

    def submit(self, run_id: int, site_ids: list[str] | None = None, *, trigger: str = "manual") -> None:
        from workers.app import TASK_NAME, public_url

        priority = PRIORITY.get(trigger, PRIORITY["manual"])
        with self.store.session() as s:
            # Held by the jobs from now on, not by this process (govaudit runs must not call it interrupted).
            wanted = rows.queue_sites(s, run_id, site_ids, priority)
        for sid in wanted:
            self.app.send_task(
                TASK_NAME,
                args=[run_id, sid],
                kwargs={
                    "db": public_url(self.store.url),
                    "scoring_path": self.scoring_path,
                    "probes": self.probes,
                },
                priority=priority,
            )

    def progress(self, run_id: int) -> RunProgress:
        return run_progress(self.store, run_id)

    def wait(
        self,
        run_id: int,
        *,
        timeout: float | None = None,
        progress: ProgressFn | None = None,
        poll_s: float = 1.0,
    ) -> RunProgress:
        deadline = None if timeout is None else time.monotonic() + timeout
        last: dict[str, int] | None = None
        while True:
            p = run_progress(self.store, run_id)
            if progress is not None and p.counts != last:
                progress({"event": "run_progress", "run": run_id, **p.counts, "total": p.total})
                last = dict(p.counts)
            if p.finished:
                # The last job marks the run complete right after its site; do it here too, so the caller
                # never reads the run a moment before (finish_if_complete is idempotent).
                finish_if_complete(self.store, run_id)
                return run_progress(self.store, run_id)
            if deadline is not None and time.monotonic() > deadline:
                return p
            time.sleep(poll_s)


def runner_for(store: Store, broker_url: str | None = None, **kwargs: Any) -> JobRunner:
    """The configured engine: Celery workers when a broker is given (or $GOVAUDIT_BROKER), else embedded."""
    broker = broker_url or os.environ.get("GOVAUDIT_BROKER") or None
    if broker:
        return CeleryRunner(
            store, broker, scoring_path=kwargs.get("scoring_path"), probes=kwargs.get("probes", True)
        )
    return EmbeddedRunner(store, **kwargs)


# ---------------------------------------------------------------------------------------------- one site job


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident() % 100000}"


def _stale(heartbeat: dt.datetime | None, now: dt.datetime) -> bool:
    return heartbeat is None or (now - heartbeat).total_seconds() > lease_s()


def claim_job(store: Store, run_id: int, site_id: str, worker: str) -> RunSite | None:
    """Take the job: None when it is already done; JobBusy when a live worker holds it."""
    with store.session() as s:
        outcome, rs = rows.claim_site(s, run_id, site_id, worker, stale=_stale)
        if outcome == "missing":
            raise PermanentJobError(f"检查 {run_id} 中没有网站 {site_id}")
        if outcome == "busy":
            assert rs is not None
            raise JobBusy(rs.worker, lease_s())
        return rs  # None when the job is done


def _beat(store: Store, run_id: int, site_id: str, worker: str, stop: threading.Event) -> None:
    while not stop.wait(heartbeat_s()):
        try:
            with store.session() as s:
                rows.beat(s, run_id, site_id, worker)
        except Exception:  # noqa: BLE001 - a missed beat only shortens the lease; the job goes on
            continue


def _set(store: Store, run_id: int, site_id: str, **fields: Any) -> None:
    with store.session() as s:
        rows.set_site(s, run_id, site_id, **fields)


def wipe_site_crawl(store: Store, run_id: int, site_id: str) -> None:
    """Delete what an interrupted crawl of this site stored, so crawling it again stores every row once."""
    with store.session() as s:
        rows.wipe_site_crawl(s, run_id, site_id)


def crawl_site(store: Store, run_id: int, site_id: str) -> None:
    """The crawl of one site in a child process (Twisted's reactor starts once per process; the child dies
    with this thread, so a killed worker leaves no crawl behind)."""
    # The database URL on stdin, not on the command line (ps shows that to every user); no proxy variables.
    from govaudit.pipeline import PROXY_VARIABLES

    cmd = [
        sys.executable,
        "-m",
        "crawler.run",
        "--db-stdin",
        "--run",
        str(run_id),
        "--site",
        site_id,
        "--sites-at-once",
        "1",
    ]
    env = {k: v for k, v in os.environ.items() if k.lower() not in PROXY_VARIABLES}
    proc = subprocess.run(
        cmd,
        capture_output=True,
        text=True,
        env={**env, "PYTHONUNBUFFERED": "1"},
        input=store.url + "\n",
        check=False,
    )
    if proc.returncode != 0:
        raise TransientJobError(f"抓取进程异常退出（{proc.returncode}）：{proc.stderr[-1500:]}")


def run_site_job(
    store: Store,
    run_id: int,
    site_id: str,
    *,
    worker: str | None = None,
    scoring_path: str | None = None,
    probes: bool = True,
) -> str:
    """Crawl, probe and judge one site of a run. Returns 'done' or 'skipped' (already done).

    Raises PermanentJobError, TransientJobError or JobBusy; the caller (the Celery task) decides on retries.
    """
    from govaudit import pipeline

    worker = worker or worker_name()
    rs = claim_job(store, run_id, site_id, worker)
    if rs is None:
        return "skipped"
    stop = threading.Event()
    beat = threading.Thread(target=_beat, args=(store, run_id, site_id, worker, stop), daemon=True)
    beat.start()
    try:
        if rs.stage == "inspect":
            pass  # crawled and probed by an earlier delivery: only the judgement is left
        elif rs.status != "done":
            _set(store, run_id, site_id, stage="crawl")
            wipe_site_crawl(store, run_id, site_id)
            probe_errors: list[BaseException] = []

            def probe() -> None:
                try:
                    pipeline.probe_run(store, run_id, site_ids=[site_id])
                except BaseException as exc:  # noqa: BLE001 - raised below, after the crawl
                    probe_errors.append(exc)

            # The probes run beside the crawl, as in-process runs do (they pace themselves, probe_interval_s).
            t = threading.Thread(target=probe, daemon=True) if probes else None
            if t:
                t.start()
            crawl_site(store, run_id, site_id)
            if t:
                t.join()
            if probe_errors:
                raise TransientJobError(f"探测出错：{probe_errors[0]!r}")
        elif probes:
            _set(store, run_id, site_id, stage="probes")
            pipeline.probe_run(store, run_id, site_ids=[site_id])
        _set(store, run_id, site_id, stage="inspect")
        pipeline.inspect_site_of_run(store, run_id, site_id, scoring_path=scoring_path)
        _set(store, run_id, site_id, stage="done", job="done", heartbeat=utcnow())
    finally:
        stop.set()
    finish_if_complete(store, run_id)
    return "done"


def fail_job(store: Store, run_id: int, site_id: str, message: str) -> None:
    """A job given up (a permanent failure, or retries exhausted): the site is failed, the run may be done."""
    try:
        _set(store, run_id, site_id, job="failed", message=message[:2000], heartbeat=utcnow())
    except Exception:  # noqa: BLE001 - the database itself is gone: nothing to record it in
        return
    finish_if_complete(store, run_id)


def finish_if_complete(store: Store, run_id: int) -> None:
    """The last job of a run to end marks the run complete."""
    with store.session() as s:
        rows.finish_if_complete(s, run_id)
