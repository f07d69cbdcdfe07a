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
