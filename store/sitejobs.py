"""The per-site job record of a run (RunSite's job columns: job, worker, heartbeat, attempts, stage, priority,
message), as the site jobs of ``workers/`` keep it: queueing a run's sites, claiming one, its heartbeat, its
stage, wiping an interrupted crawl of it, and marking the run complete when its last job ends.

``workers/sitejobs.py`` decides (leases, retries, what a job does); the rows are read and written here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from store.models import FetchFailureRow, Link, LinkCheck, ListEntryRow, Page, Run, RunSite, utcnow

# What one site's crawl stores (wiped before that site is crawled again).
CRAWL_TABLES = (Link, ListEntryRow, FetchFailureRow, LinkCheck, Page)


def _site_row(session: Session, run_id: int, site_id: str, *, for_update: bool = False) -> RunSite | None:
    query = select(RunSite).where(RunSite.run_id == run_id, RunSite.site_id == site_id)
    return session.scalars(query.with_for_update() if for_update else query).first()


def job_counts(
    session: Session, run_id: int, site_ids: Sequence[str] | None = None
) -> tuple[str, list[tuple[str | None, str, int]]]:
    """The run's status and its sites (all, or ``site_ids``) counted by (job state, crawl status); KeyError for
    no such run."""
    run = session.get(Run, run_id)
    if run is None:
        raise KeyError(run_id)
    query = select(RunSite.job, RunSite.status, func.count()).where(RunSite.run_id == run_id)
    if site_ids is not None:
        query = query.where(RunSite.site_id.in_(list(site_ids)))
    rows = session.execute(query.group_by(RunSite.job, RunSite.status)).all()
    return run.status, [(job, status, int(n)) for job, status, n in rows]


def queue_sites(session: Session, run_id: int, site_ids: Sequence[str] | None, priority: int) -> list[str]:
    """Hand the run's sites (all, or ``site_ids``) to the jobs: no process holds the run any more (its pid goes),
    every wanted site not done is queued at ``priority``. The wanted site ids; KeyError for no such run."""
    run = session.get(Run, run_id)
    if run is None:
        raise KeyError(run_id)
    # Held by the jobs from now on, not by this process (govaudit runs must not call it interrupted).
    run.pid = None
    wanted = list(site_ids or list(run.site_ids))
    for rs in session.scalars(select(RunSite).where(RunSite.run_id == run_id, RunSite.site_id.in_(wanted))):
        if rs.job != "done":
            rs.job, rs.priority, rs.message = "queued", priority, ""
    return wanted


def claim_site(
    session: Session,
    run_id: int,
    site_id: str,
    worker: str,
    *,
    stale: Callable[[dt.datetime | None, dt.datetime], bool],
) -> tuple[str, RunSite | None]:
    """Take the site's job for ``worker`` (its row locked): ``("missing", None)`` for no such run or site,
    ``("done", None)`` when it is done, ``("busy", row)`` when another worker holds it and its heartbeat is not
    ``stale(heartbeat, now)``, else ``("claimed", row)``: running, one attempt more, detached from the session."""
    rs = _site_row(session, run_id, site_id, for_update=True)
    if rs is None or session.get(Run, run_id) is None:
        return "missing", None
    if rs.job == "done":
        return "done", None
    now = utcnow()
    if rs.job == "running" and rs.worker != worker and not stale(rs.heartbeat, now):
        return "busy", rs
    rs.job, rs.worker, rs.heartbeat = "running", worker, now
    rs.attempts = (rs.attempts or 0) + 1
    rs.stage = rs.stage or "crawl"
    session.flush()
    session.expunge(rs)
    return "claimed", rs


def beat(session: Session, run_id: int, site_id: str, worker: str) -> None:
    """The heartbeat of a running job, while ``worker`` still holds it."""
    rs = _site_row(session, run_id, site_id)
    if rs is not None and rs.worker == worker and rs.job == "running":
        rs.heartbeat = utcnow()


def set_site(session: Session, run_id: int, site_id: str, **fields: Any) -> None:
    """Set these RunSite columns of the site (nothing when the row is gone)."""
    rs = _site_row(session, run_id, site_id)
    if rs is not None:
        for k, v in fields.items():
            setattr(rs, k, v)


def attempts(session: Session, run_id: int, site_id: str) -> int:
    return int(
        session.scalar(select(RunSite.attempts).where(RunSite.run_id == run_id, RunSite.site_id == site_id))
        or 0
    )


def wipe_site_crawl(session: Session, run_id: int, site_id: str) -> None:
    """Delete what an interrupted crawl of this site stored, so crawling it again stores every row once."""
    for model in CRAWL_TABLES:
        session.execute(delete(model).where(model.run_id == run_id, model.site_id == site_id))
    rs = _site_row(session, run_id, site_id)
    if rs is not None:
        rs.status, rs.pages, rs.started, rs.finished = "pending", 0, None, None


def finish_if_complete(session: Session, run_id: int) -> None:
    """The last job of a run to end marks the run complete (the run row locked)."""
    run = session.get(Run, run_id, with_for_update=True)
    if run is None or run.status == "complete":
        return
    open_jobs = session.scalar(
        select(func.count())
        .select_from(RunSite)
        .where(RunSite.run_id == run_id, RunSite.job.not_in(("done", "failed")))
    )
    untouched = session.scalar(
        select(func.count()).select_from(RunSite).where(RunSite.run_id == run_id, RunSite.job.is_(None))
    )
    if not open_jobs and not untouched:
        run.status, run.finished = "complete", utcnow()
