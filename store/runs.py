"""The storage bookkeeping of runs, in one place: which run is meant, what is listed, which earlier runs' probes
count, how a judgement and a run's probes are written, and which earlier judgement a re-check compares with.

The CLI and the orchestrator (``govaudit/``) call these; they hold no query of their own.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from store.models import CheckResult, Page, ProbeRow, ReportDir, Run, RunSite, SiteResult, utcnow


def latest_run_id(session: Session) -> int | None:
    rid = session.scalar(select(func.max(Run.id)))
    return int(rid) if rid is not None else None


def run_exists(session: Session, run_id: int) -> bool:
    return session.get(Run, run_id) is not None


def run_listing(session: Session) -> list[tuple[Run, int]]:
    """Every run, oldest first, with the number of pages it stored."""
    return [
        (run, int(session.scalar(select(func.count(Page.id)).where(Page.run_id == run.id)) or 0))
        for run in session.scalars(select(Run).order_by(Run.id)).all()
    ]


def probe_window(session: Session, run: Run, site_id: str, days: int) -> list[int]:
    """Earlier runs whose probes of this site fall inside the availability window (国办秘函〔2019〕19号 monitors
    a site for a week): scheduled runs accumulate probes, so the 5 % rule is held over all of them."""
    since = run.started - dt.timedelta(days=days)
    ids = []
    for other in session.scalars(
        select(Run).where(Run.id != run.id, Run.started >= since, Run.started <= run.started)
    ):
        if site_id in (other.site_ids or []):
            ids.append(other.id)
    return ids


def get_run(session: Session, run_id: int, *, for_update: bool = False) -> Run | None:
    """The run row (None when there is none); ``for_update`` locks it where the database can (PostgreSQL)."""
    return session.get(Run, run_id, with_for_update=True) if for_update else session.get(Run, run_id)


def replace_site_probes(
    session: Session,
    run_id: int,
    site_ids: Sequence[str],
    environment: dict[str, Any],
    records: Iterable[Any],
    tls_rows: Iterable[tuple[str, dict[str, Any]]],
) -> None:
    """What probing these sites of the run stored: the run's environment facts merged under a row lock (workers
    probing other sites of the run merge theirs into the same row), these sites' earlier probe rows replaced by
    the availability/DNS/IPv6 records and the TLS handshakes (a job delivered twice stores its probes once)."""
    run = get_run(session, run_id, for_update=True)
    assert run is not None
    run.environment = {**(run.environment or {}), **environment}
    session.execute(delete(ProbeRow).where(ProbeRow.run_id == run_id, ProbeRow.site_id.in_(list(site_ids))))
    _add_probe_rows(session, run_id, records, tls_rows)


def _add_probe_rows(
    session: Session, run_id: int, records: Iterable[Any], tls_rows: Iterable[tuple[str, dict[str, Any]]]
) -> None:
    for r in records:
        session.add(
            ProbeRow(
                run_id=run_id,
                site_id=r.site_id,
                kind=r.kind,
                target=r.target,
                at=r.at,
                ok=r.ok,
                duration_ms=r.duration_ms,
                data=r.data,
            )
        )
    for sid, data in tls_rows:
        at = data.pop("at")
        session.add(
            ProbeRow(
                run_id=run_id,
                site_id=sid,
                kind="tls",
                target=data["url"],
                at=at,
                ok=data["ok"],
                duration_ms=data.get("elapsed_ms"),
                data=data,
            )
        )


def save_judgement(
    session: Session, run_id: int, site_ids: Sequence[str], as_of: dt.date, sites: Sequence[dict[str, Any]]
) -> None:
    """The judgement of these sites on `as_of`, replacing an earlier one of the same run and date."""
    session.execute(
        delete(CheckResult).where(
            CheckResult.run_id == run_id, CheckResult.site_id.in_(site_ids), CheckResult.as_of == as_of
        )
    )
    session.execute(
        delete(SiteResult).where(
            SiteResult.run_id == run_id, SiteResult.site_id.in_(site_ids), SiteResult.as_of == as_of
        )
    )
    for site in sites:
        session.add(
            SiteResult(
                run_id=run_id,
                site_id=site["id"],
                as_of=as_of,
                score=site["score"],
                verdict=site["verdict"],
                data=json.loads(json.dumps(site, default=str)),
            )
        )
        for c in site["checks"]:
            session.add(
                CheckResult(
                    run_id=run_id,
                    site_id=site["id"],
                    as_of=as_of,
                    check_id=c["id"],
                    status=c["status"],
                    points_lost=c["points_lost"],
                    veto=c["veto"],
                    findings=c["findings"],
                )
            )


def previous_judgement(
    session: Session, run_id: int, site_ids: Sequence[str]
) -> tuple[list[dict[str, Any]], Run | None, dt.date | None]:
    """The latest earlier judgement of each of these sites (any earlier run): their stored entries, the latest
    run among them and its as-of date (the re-check baseline)."""
    sites: list[dict[str, Any]] = []
    latest_run: Run | None = None
    latest_as_of: dt.date | None = None
    for sid in site_ids:
        row = session.scalars(
            select(SiteResult)
            .where(SiteResult.site_id == sid, SiteResult.run_id < run_id)
            .order_by(SiteResult.run_id.desc(), SiteResult.judged_at.desc())
        ).first()
        if row is None:
            continue
        sites.append(row.data)
        run = session.get(Run, row.run_id)
        if run is not None and (latest_run is None or run.id > latest_run.id):
            latest_run = run
            latest_as_of = row.as_of
    return sites, latest_run, latest_as_of


# ---------------------------------------------------------------------------------------------- a run's life


def running_runs(session: Session) -> list[Run]:
    return list(session.scalars(select(Run).where(Run.status == "running")))


def held_by_workers(session: Session, run_id: int) -> bool:
    """Some site of the run was handed to a broker's job (RunSite.job set): the jobs, not a process, finish it."""
    return (
        session.scalar(select(RunSite.id).where(RunSite.run_id == run_id, RunSite.job.is_not(None)).limit(1))
        is not None
    )


def interrupt_abandoned(session: Session, alive: Callable[[int | None], bool]) -> list[int]:
    """Runs left 'running' whose process is gone (``alive(pid)`` is false) and whose sites no broker holds are
    marked interrupted; their ids."""
    marked = []
    for run in running_runs(session):
        if held_by_workers(session, run.id):
            continue
        if not alive(run.pid):
            run.status = "interrupted"
            marked.append(run.id)
    return marked


def create_run(session: Session, site_ids: Sequence[str], **fields: Any) -> int:
    """A new run row with one RunSite per site; its id."""
    run = Run(site_ids=list(site_ids), **fields)
    session.add(run)
    session.flush()
    for sid in site_ids:
        session.add(RunSite(run_id=run.id, site_id=sid))
    return int(run.id)


def newest_interrupted(session: Session) -> Run | None:
    return session.scalars(select(Run).where(Run.status == "interrupted").order_by(Run.id.desc())).first()


def reopen_run(session: Session, run_id: int, pid: int) -> None:
    """An interrupted run running again under `pid`: its sites not done are pending again."""
    run = session.get(Run, run_id)
    assert run is not None
    run.status, run.pid, run.finished = "running", pid, None
    for rs in session.scalars(select(RunSite).where(RunSite.run_id == run_id, RunSite.status != "done")):
        rs.status = "pending"


def set_run_status(session: Session, run_id: int, status: str, finished: dt.datetime | None = None) -> None:
    run = session.get(Run, run_id)
    if run is not None:
        run.status, run.finished = status, finished


def site_states(session: Session, run_id: int) -> list[str]:
    return [rs.status for rs in run_sites(session, run_id)]


def run_sites(session: Session, run_id: int) -> list[RunSite]:
    """The run's per-site rows (crawl state, broker job state, pages, message)."""
    return list(session.scalars(select(RunSite).where(RunSite.run_id == run_id)))


def record_report_dir(session: Session, run_id: int, as_of: dt.date, path: str) -> None:
    """Where a run's documents were written (as of that date); writing there again only refreshes the row."""
    row = session.scalars(select(ReportDir).where(ReportDir.run_id == run_id, ReportDir.path == path)).first()
    if row is None:
        session.add(ReportDir(run_id=run_id, as_of=as_of, path=path))
    else:
        row.as_of, row.written_at = as_of, utcnow()


def list_users(store: Any) -> list[Any]:
    """The console's accounts by name (``govaudit users list``), detached from their session."""
    from store.models import User

    with store.session() as s:
        users = list(s.scalars(select(User).order_by(User.name)))
        s.expunge_all()
    return users
