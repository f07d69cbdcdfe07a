"""The Celery engine: the app, the one task (`govaudit.site_job`: one site of a run) and `govaudit worker`.

Why Celery: it is maintained, its Redis transport gives what a site job needs without another service —
late acknowledgement (a message is removed only when the job has ended, so a worker killed mid-job leaves it to
be delivered again after the visibility timeout), priorities (a department's re-check first), retries with a
countdown — and `govaudit worker` is one process per machine with a pool of threads. The job itself
(workers.sitejobs.run_site_job) knows nothing of Celery: any other engine would call the same
function.

Settings from the environment (all optional): GOVAUDIT_VISIBILITY_TIMEOUT_S (600: how long an unacknowledged
job waits before it is delivered again), GOVAUDIT_JOB_HEARTBEAT_S / GOVAUDIT_JOB_LEASE_S (15 / 90: a job whose
worker stopped beating for the lease is taken over), GOVAUDIT_JOB_ATTEMPTS (4: deliveries before a job that
keeps failing is given up), GOVAUDIT_RETRY_BASE_S (10: backoff 10, 20, 40 … s, at most 600).
"""

from __future__ import annotations

import logging
import os
from typing import Any

from celery import Celery
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, OperationalError

TASK_NAME = "govaudit.site_job"
log = logging.getLogger("govaudit.worker")

_STORES: dict[str, Any] = {}


def _env_int(name: str, default: int) -> int:
    try:
        return int(float(os.environ.get(name, default)))
    except ValueError:
        return default


def public_url(url: str) -> str:
    """A database URL without its password and driver, to tell whether a job belongs to this worker's database
    (the password never goes into the broker)."""
    u = make_url(url)
    return u.set(drivername=u.get_backend_name(), password=None).render_as_string(hide_password=False)


def retry_delay(attempt: int) -> float:
    """Exponential backoff: base, 2×base, 4×base … capped at 10 minutes."""
    base = float(os.environ.get("GOVAUDIT_RETRY_BASE_S", 10))
    return min(600.0, base * 2 ** max(0, attempt - 1))


def worker_store() -> Any:
    from store.db import Store

    url = os.environ.get("GOVAUDIT_DB")
    if not url:
        raise RuntimeError("worker started without a database (--db or GOVAUDIT_DB)")
    if url not in _STORES:
        _STORES[url] = Store(url)
    return _STORES[url]


def make_app(broker_url: str) -> Celery:
    app = Celery("govaudit", broker=broker_url, set_as_current=False)
    visibility = _env_int("GOVAUDIT_VISIBILITY_TIMEOUT_S", 600)
    app.conf.update(
        task_serializer="json",
        accept_content=["json"],
        result_serializer="json",
        task_ignore_result=True,
        result_backend=None,
        # Late acknowledgement: the message stays with the broker until the job has ended; a worker that dies
        # (SIGKILL, power cut) never acknowledges it, so it is delivered again.
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        # A worker takes no more jobs than it has threads: queued jobs stay in Redis, in priority order, for
        # whichever worker is free (a re-check queued later still goes before them).
        worker_prefetch_multiplier=1,
        task_default_priority=3,
        broker_transport_options={
            "visibility_timeout": visibility,
            "queue_order_strategy": "priority",
            "priority_steps": [0, 3, 6, 9],
            # Look for abandoned messages often enough that a short visibility timeout means a quick re-delivery.
            "unacked_restore_interval": max(1, min(10, visibility // 4)),
            "unacked_restore_throttle": 1,
        },
        broker_connection_retry_on_startup=True,
        worker_hijack_root_logger=False,
        worker_send_task_events=False,
        task_send_sent_event=False,
    )

    # One module-level callable registered on each app (a second app, as in tests, gets the same function).
    app.task(bind=True, name=TASK_NAME, acks_late=True, max_retries=None)(site_job)
    return app


def site_job(
    self: Any,
    run_id: int,
    site_id: str,
    db: str | None = None,
    scoring_path: str | None = None,
    probes: bool = True,
) -> str:
    from workers import sitejobs as jobs

    store = worker_store()
    if db and public_url(store.url) != db:
        # A job for another database: it cannot be recorded here. Logged, not retried.
        log.error(
            "job %s/%s is for database %s, this worker writes to %s",
            run_id,
            site_id,
            db,
            public_url(store.url),
        )
        return "wrong-database"
    worker = f"{self.request.hostname}:{jobs.worker_name()}"
    try:
        return jobs.run_site_job(
            store, run_id, site_id, worker=worker, scoring_path=scoring_path, probes=probes
        )
    except jobs.JobBusy as busy:
        # Delivered again while its first worker still holds it (a long job outlived the visibility
        # timeout): look again later; not a failure.
        raise self.retry(countdown=busy.retry_in, max_retries=None) from None
    except jobs.PermanentJobError as exc:
        jobs.fail_job(store, run_id, site_id, str(exc))
        return "failed"
    except (jobs.TransientJobError, OperationalError, DBAPIError, OSError) as exc:
        if (
            isinstance(exc, DBAPIError)
            and not isinstance(exc, OperationalError)
            and not exc.connection_invalidated
        ):
            jobs.fail_job(store, run_id, site_id, f"数据库错误：{exc}")  # a wrong statement stays wrong
            return "failed"
        attempts = _attempts(store, run_id, site_id)
        if attempts >= _env_int("GOVAUDIT_JOB_ATTEMPTS", 4):
            jobs.fail_job(store, run_id, site_id, f"重试 {attempts} 次仍失败：{exc}")
            return "failed"
        delay = retry_delay(attempts)
        _requeue(store, run_id, site_id, f"第 {attempts} 次失败，{delay:.0f} 秒后重试：{str(exc)[:500]}")
        raise self.retry(countdown=delay, max_retries=None) from None
    except Exception as exc:  # noqa: BLE001 - a bug of ours in this site's job: trying again will not help
        log.exception("job %s/%s failed", run_id, site_id)
        jobs.fail_job(store, run_id, site_id, f"{type(exc).__name__}: {exc}")
        return "failed"


def _attempts(store: Any, run_id: int, site_id: str) -> int:
    from store import sitejobs as rows

    try:
        with store.session() as s:
            return rows.attempts(s, run_id, site_id)
    except Exception:  # noqa: BLE001 - the database is away: count this as one more attempt
        return 1


def _requeue(store: Any, run_id: int, site_id: str, message: str) -> None:
    from workers import sitejobs as jobs

    try:
        jobs._set(store, run_id, site_id, job="queued", message=message)
    except Exception:  # noqa: BLE001 - the database is away; the retry will record itself
        return


def worker_main(
    broker_url: str, db_url: str, *, concurrency: int, name: str | None = None, loglevel: str = "INFO"
) -> int:
    """`govaudit worker`: take site jobs from the broker until stopped (SIGTERM/Ctrl-C finish running jobs)."""
    from store.db import Store

    os.environ["GOVAUDIT_DB"] = db_url
    Store(db_url).close()  # the schema is upgraded once, before any job
    app = make_app(broker_url)
    argv = [
        "worker",
        "--pool=threads",
        f"--concurrency={max(1, concurrency)}",
        f"--loglevel={loglevel}",
        "--without-gossip",
        "--without-mingle",
        "--without-heartbeat",
        "-O",
        "fair",
    ]
    if name:
        argv.append(f"--hostname={name}")
    app.worker_main(argv)
    return 0
