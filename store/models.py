"""SQLAlchemy 2 models: what one run saw. Tables are plural, classes singular.

Every row belongs to a run; a site's rows carry the site id from sites.yaml. Schema changes go through an
alembic migration in store/migrations/versions/.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


class Run(Base):
    __tablename__ = "runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    trigger: Mapped[str] = mapped_column(String(32), default="manual")  # manual | scheduled | recheck | demo
    as_of: Mapped[dt.date] = mapped_column(Date)
    tool_version: Mapped[str] = mapped_column(String(32))
    started: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    finished: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    # running | complete | interrupted | failed. A run killed mid-way stays "running" in the table until the
    # next command sees its process is gone and marks it interrupted.
    status: Mapped[str] = mapped_column(String(16), default="running")
    pid: Mapped[int | None] = mapped_column(Integer, nullable=True)
    config_path: Mapped[str] = mapped_column(Text, default="")
    # The sites.yaml snapshot the run used (so a re-inspection needs no config file) and the run's environment
    # facts (own IPv6, resolver health ...).
    config: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    environment: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    site_ids: Mapped[list[str]] = mapped_column(JSON, default=list)


class RunSite(Base):
    """One site inside one run, with its crawl state."""

    __tablename__ = "run_sites"
    __table_args__ = (UniqueConstraint("run_id", "site_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"), index=True)
    site_id: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending | crawling | done | failed
    pages: Mapped[int] = mapped_column(Integer, default=0)
    started: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    finished: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    message: Mapped[str] = mapped_column(Text, default="")
    # The site's job when workers run the run (workers.sitejobs): queued | running | done | failed; None when
    # the run is crawled in-process. `stage` is the step a job reached (crawl, probes, inspect), so a job delivered
    # again goes on from there; `heartbeat` is refreshed while a worker holds the job (a stale one is dead).
    job: Mapped[str | None] = mapped_column(String(16), nullable=True)
    stage: Mapped[str] = mapped_column(String(16), default="")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    worker: Mapped[str] = mapped_column(String(200), default="")
    heartbeat: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    priority: Mapped[int] = mapped_column(Integer, default=0)


class Page(Base):
    __tablename__ = "pages"
    # A URL belongs to a site: two sites of one run may share a page (a department's column on the portal).
    __table_args__ = (UniqueConstraint("run_id", "site_id", "url"), Index("ix_pages_run_site", "run_id", "site_id"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"))
    site_id: Mapped[str] = mapped_column(String(64))
    url: Mapped[str] = mapped_column(Text)
    final_url: Mapped[str] = mapped_column(Text)
    redirects: Mapped[list[str]] = mapped_column(JSON, default=list)
    status: Mapped[int | None] = mapped_column(Integer, nullable=True)
    content_type: Mapped[str] = mapped_column(String(128), default="")
    charset_declared: Mapped[str | None] = mapped_column(String(32), nullable=True)
    charset_used: Mapped[str | None] = mapped_column(String(32), nullable=True)
    size: Mapped[int] = mapped_column(Integer, default=0)
    fetch_ms: Mapped[float | None] = mapped_column(Float, nullable=True)
    fetched_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    depth: Mapped[int] = mapped_column(Integer, default=0)
    title: Mapped[str] = mapped_column(Text, default="")
    meta: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    is_list: Mapped[bool] = mapped_column(Boolean, default=False)
    column_url: Mapped[str | None] = mapped_column(Text, nullable=True)  # first page of its list, if a list
    column_name: Mapped[str | None] = mapped_column(Text, nullable=True)
    breadcrumb: Mapped[list[str]] = mapped_column(JSON, default=list)
    rendered: Mapped[bool] = mapped_column(Boolean, default=False)
    js_shell: Mapped[bool] = mapped_column(Boolean, default=False)
    body: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)  # zlib-compressed decoded text


class Link(Base):
    __tablename__ = "links"
    __table_args__ = (Index("ix_links_run_site", "run_id", "site_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"))
    site_id: Mapped[str] = mapped_column(String(64))
    source_url: Mapped[str] = mapped_column(Text)
    target_url: Mapped[str] = mapped_column(Text)
    anchor: Mapped[str] = mapped_column(Text, default="")
    image_alt: Mapped[str] = mapped_column(Text, default="")
    region: Mapped[str] = mapped_column(String(16), default="body")
    internal: Mapped[bool] = mapped_column(Boolean, default=True)


class ListEntryRow(Base):
    __tablename__ = "list_entries"
    __table_args__ = (Index("ix_entries_run_site", "run_id", "site_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"))
    site_id: Mapped[str] = mapped_column(String(64))
    list_url: Mapped[str] = mapped_column(Text)
    column_url: Mapped[str] = mapped_column(Text)
    column_name: Mapped[str] = mapped_column(Text, default="")
    title: Mapped[str] = mapped_column(Text, default="")
    link: Mapped[str] = mapped_column(Text, default="")
    date_text: Mapped[str] = mapped_column(String(64), default="")
    date: Mapped[dt.date | None] = mapped_column(Date, nullable=True)


class FetchFailureRow(Base):
    __tablename__ = "fetch_failures"
    __table_args__ = (Index("ix_failures_run_site", "run_id", "site_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"))
    site_id: Mapped[str] = mapped_column(String(64))
    url: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(16))  # dns | timeout | refused | reset | tls | http | too_large ...
    status: Mapped[int | None] = mapped_column(Integer, nullable=True)
    message: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class LinkCheck(Base):
    """The outcome of fetching a link target that the crawl itself did not store (off-site, over budget)."""

    __tablename__ = "link_checks"
    __table_args__ = (UniqueConstraint("run_id", "site_id", "target_url"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"))
    site_id: Mapped[str] = mapped_column(String(64))
    target_url: Mapped[str] = mapped_column(Text)
    status: Mapped[int | None] = mapped_column(Integer, nullable=True)
    kind: Mapped[str | None] = mapped_column(String(16), nullable=True)
    message: Mapped[str] = mapped_column(Text, default="")
    attempts: Mapped[int] = mapped_column(Integer, default=1)
    confirmed: Mapped[bool] = mapped_column(Boolean, default=False)


class ProbeRow(Base):
    __tablename__ = "probes"
    __table_args__ = (Index("ix_probes_site_kind", "site_id", "kind"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"), index=True)
    site_id: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(32))
    target: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    ok: Mapped[bool] = mapped_column(Boolean, default=False)
    duration_ms: Mapped[float | None] = mapped_column(Float, nullable=True)
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class CheckResult(Base):
    """A scored outcome, kept so a re-check can say what is now 已整改 / 未整改."""

    __tablename__ = "check_results"
    __table_args__ = (Index("ix_results_run_site", "run_id", "site_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"))
    site_id: Mapped[str] = mapped_column(String(64))
    as_of: Mapped[dt.date] = mapped_column(Date)
    check_id: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))
    points_lost: Mapped[float] = mapped_column(Float, default=0.0)
    veto: Mapped[bool] = mapped_column(Boolean, default=False)
    findings: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)


class SiteResult(Base):
    """A site's whole scored result (the results.json site object) for one run and as-of date.

    The next inspection of the same site compares itself with the latest earlier one, so a department that
    re-runs the checks after a fix sees what is now 已整改 / 未整改 without keeping files.
    """

    __tablename__ = "site_results"
    __table_args__ = (UniqueConstraint("run_id", "site_id", "as_of"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"), index=True)
    site_id: Mapped[str] = mapped_column(String(64))
    as_of: Mapped[dt.date] = mapped_column(Date)
    score: Mapped[float | None] = mapped_column(Float, nullable=True)
    verdict: Mapped[str] = mapped_column(String(8))
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    judged_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class Attachment(Base):
    """A linked document (PDF, DOC/DOCX, XLS/XLSX) of the site: its extracted text, size-bounded.

    The raw bytes are not kept: only the text the checks read (personal data), cut at the crawler's bound.
    """

    __tablename__ = "attachments"
    __table_args__ = (UniqueConstraint("run_id", "site_id", "url"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"), index=True)
    site_id: Mapped[str] = mapped_column(String(64))
    url: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(8))  # pdf | doc | docx | xls | xlsx
    size: Mapped[int] = mapped_column(Integer, default=0)
    truncated: Mapped[bool] = mapped_column(Boolean, default=False)
    error: Mapped[str] = mapped_column(Text, default="")
    text: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)  # zlib-compressed UTF-8


class ReviewItem(Base):
    """One machine finding that waits for a person (待核实), and the office's decision on it.

    Keyed by the finding's review key (check, page without port, hit), so a decision holds across runs: a
    dismissed hit is not raised again on the same page; only confirmed ones cost points. Evidence is stored
    as the check wrote it, i.e. already masked (personal data never whole).
    """

    __tablename__ = "review_items"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(40), unique=True)
    site_id: Mapped[str] = mapped_column(String(64), index=True)
    check_id: Mapped[str] = mapped_column(String(64))
    url: Mapped[str] = mapped_column(Text, default="")
    message: Mapped[str] = mapped_column(Text, default="")
    evidence: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending | confirmed | dismissed
    first_run_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    last_run_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    first_seen: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    last_seen: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    decided_by: Mapped[str] = mapped_column(String(128), default="")
    decided_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    note: Mapped[str] = mapped_column(Text, default="")


# ---------------------------------------------------------------------------------------------- the console
# What `govaudit serve` keeps: accounts, sessions, jobs, schedules, explanations, alerts, the audit log. Jobs
# and schedule claims are the record the job runners and schedulers of several processes agree through.


class ReportDir(Base):
    """Where the documents of a run's judgement were written (the CLI's --out, the console's run folder)."""

    __tablename__ = "report_dirs"
    __table_args__ = (UniqueConstraint("run_id", "path"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"), index=True)
    as_of: Mapped[dt.date] = mapped_column(Date)
    path: Mapped[str] = mapped_column(Text)
    written_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(16))  # office | department
    units: Mapped[list[str]] = mapped_column(JSON, default=list)  # sites.yaml `unit` values (department)
    password_hash: Mapped[str] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class WebSession(Base):
    __tablename__ = "web_sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)  # sha256 of the cookie's random token
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    expires: Mapped[dt.datetime] = mapped_column(DateTime)
    address: Mapped[str] = mapped_column(String(64), default="")


class ApiToken(Base):
    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(64))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    created: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    last_used: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)


class LoginAttempt(Base):
    __tablename__ = "login_attempts"
    __table_args__ = (Index("ix_login_attempts_name_at", "name", "at"), Index("ix_login_attempts_addr_at", "address", "at"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    name: Mapped[str] = mapped_column(String(64))
    address: Mapped[str] = mapped_column(String(64))
    ok: Mapped[bool] = mapped_column(Boolean, default=False)


class AuditEntry(Base):
    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, index=True)
    user: Mapped[str] = mapped_column(String(64))  # account name, or "scheduler" / "-" for none
    address: Mapped[str] = mapped_column(String(64), default="")
    action: Mapped[str] = mapped_column(String(64))
    target: Mapped[str] = mapped_column(Text, default="")
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class Job(Base):
    """An inspection or re-check asked for in the console or by a schedule; the engine that runs it reports
    here: queued → running → done | failed."""

    __tablename__ = "jobs"
    __table_args__ = (Index("ix_jobs_status", "status"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # inspection | recheck
    # at most one running job per lane: "inspection" (full runs wait for each other), "recheck:<site id>"
    lane: Mapped[str] = mapped_column(String(80), default="inspection")
    site_ids: Mapped[list[str]] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(16), default="queued")
    requested_by: Mapped[str] = mapped_column(String(64))
    schedule_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    started: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    finished: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    worker: Mapped[str] = mapped_column(String(128), default="")
    run_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    progress: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    result: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    message: Mapped[str] = mapped_column(Text, default="")


class Schedule(Base):
    __tablename__ = "schedules"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    cron: Mapped[str] = mapped_column(String(128))
    site_ids: Mapped[list[str]] = mapped_column(JSON, default=list)  # empty: every site of the configuration
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    created: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    # due times before this are never run (a new or edited schedule does not catch up on the past)
    since: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class ScheduleClaim(Base):
    """One row per (schedule, due time): whichever scheduler inserts it first starts the run; the unique key
    makes every other process (or thread) that saw the same due time back off."""

    __tablename__ = "schedule_claims"
    __table_args__ = (UniqueConstraint("schedule_id", "due"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    schedule_id: Mapped[int] = mapped_column(ForeignKey("schedules.id", ondelete="CASCADE"))
    due: Mapped[dt.datetime] = mapped_column(DateTime)
    claimed_by: Mapped[str] = mapped_column(String(128))
    claimed_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    job_id: Mapped[int | None] = mapped_column(Integer, nullable=True)


class Explanation(Base):
    """Comply or explain: a department says a finding is wrong; once the office approves, the finding costs no
    points until ``expires`` or until the finding changes (its key no longer matches)."""

    __tablename__ = "explanations"
    __table_args__ = (Index("ix_explanations_site", "site_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    site_id: Mapped[str] = mapped_column(String(64))
    check_id: Mapped[str] = mapped_column(String(64))
    finding_key: Mapped[str] = mapped_column(Text)  # JSON of reports.recheck.finding_key + severity
    finding: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # the finding as explained
    run_id: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    evidence_url: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending | approved | rejected
    created_by: Mapped[str] = mapped_column(String(64))
    created: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    decided_by: Mapped[str] = mapped_column(String(64), default="")
    decided_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    decision_note: Mapped[str] = mapped_column(Text, default="")
    expires: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)


class Alert(Base):
    """A message to a unit's contacts; the sender retries it and never holds up the job that raised it."""

    __tablename__ = "alerts"
    __table_args__ = (Index("ix_alerts_status_next", "status", "next_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    event: Mapped[str] = mapped_column(String(16))  # notice | recheck | veto
    unit: Mapped[str] = mapped_column(Text)
    site_id: Mapped[str] = mapped_column(String(64), default="")
    channel: Mapped[str] = mapped_column(String(16))  # email | wecom | dingtalk
    target: Mapped[str] = mapped_column(Text)  # e-mail address, or the webhook's name in the configuration
    subject: Mapped[str] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text)
    job_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending | sending | sent | failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    sent_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    last_error: Mapped[str] = mapped_column(Text, default="")
