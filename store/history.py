"""Stored judgements read back: which sites of a run were judged on a date, a site's judgement of a date or its
latest one, and every run's latest judgement per site (the 合格率 history of the 通报).

The orchestrator (``govaudit/pipeline.py``) shapes these into results.json; it holds no query of its own.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from store.models import Run, SiteResult


def judged_site_ids(session: Session, run_id: int, as_of: dt.date) -> set[str]:
    """The sites of the run with a stored judgement of that date (a worker's job judged them)."""
    return set(
        session.scalars(
            select(SiteResult.site_id).where(SiteResult.run_id == run_id, SiteResult.as_of == as_of)
        )
    )


def site_result(session: Session, run_id: int, site_id: str, as_of: dt.date) -> SiteResult | None:
    """The site's stored judgement of that date in the run, None when there is none."""
    return session.scalars(
        select(SiteResult).where(
            SiteResult.run_id == run_id, SiteResult.site_id == site_id, SiteResult.as_of == as_of
        )
    ).first()


def latest_site_result(session: Session, run_id: int, site_id: str) -> SiteResult | None:
    """The site's latest stored judgement in the run, whatever its date (newest judged_at, then newest row)."""
    return session.scalars(
        select(SiteResult)
        .where(SiteResult.run_id == run_id, SiteResult.site_id == site_id)
        .order_by(SiteResult.judged_at.desc(), SiteResult.id.desc())
    ).first()


def latest_results_by_run(
    session: Session, *, before_run: int | None = None
) -> list[tuple[int, dict[str, SiteResult]]]:
    """Every run (only those before ``before_run`` when given), oldest first, with its latest judgement of each
    of its judged sites: [(run id, {site id: SiteResult})]."""
    query = select(Run).order_by(Run.id)
    if before_run is not None:
        query = query.where(Run.id < before_run)
    out = []
    for run in session.scalars(query):
        latest: dict[str, SiteResult] = {}
        for row in session.scalars(
            select(SiteResult)
            .where(SiteResult.run_id == run.id)
            .order_by(SiteResult.judged_at, SiteResult.id)
        ):
            latest[row.site_id] = row
        out.append((run.id, latest))
    return out
