"""load_site_artifacts(): the one place that turns stored rows into the inspections' frozen dataclasses."""

from __future__ import annotations

import zlib
from collections import defaultdict

from sqlalchemy import select
from sqlalchemy.orm import Session

from inspections.artifacts import (
    ColumnArtifact,
    FetchFailure,
    LinkArtifact,
    ListEntry,
    PageArtifact,
    ProbeArtifact,
    SiteArtifacts,
)
from store.models import (
    FetchFailureRow,
    Link,
    LinkCheck,
    ListEntryRow,
    Page,
    ProbeRow,
    Run,
    RunSite,
)


def _body(raw: bytes | None) -> str:
    if not raw:
        return ""
    try:
        return zlib.decompress(raw).decode("utf-8", "replace")
    except zlib.error:
        return ""


def load_site_artifacts(session: Session, run_id: int, site_id: str, *,
                        probe_runs: list[int] | None = None) -> SiteArtifacts:
    """Everything one run stored about one site. `probe_runs` adds the probes of other runs (the longer
    availability window when scheduled runs accumulate)."""
    run = session.get(Run, run_id)
    if run is None:
        raise KeyError(f"run {run_id}")
    site_cfg = next((s for s in run.config.get("sites", []) if s["id"] == site_id), None)
    if site_cfg is None:
        raise KeyError(f"site {site_id} not in run {run_id}")
    state = session.scalar(select(RunSite).where(RunSite.run_id == run_id, RunSite.site_id == site_id))

    # Ordered by what the site is, not by when a concurrent crawl happened to store a page: two crawls of an
    # unchanged site give the same artifacts, so the same findings read the same (and a re-check matches them).
    page_rows = session.scalars(select(Page).where(Page.run_id == run_id, Page.site_id == site_id)
                                .order_by(Page.depth, Page.url)).all()
    pages = tuple(PageArtifact(
        url=p.url, final_url=p.final_url, status=p.status, content_type=p.content_type, title=p.title,
        meta=dict(p.meta or {}), depth=p.depth, html=_body(p.body), charset_declared=p.charset_declared,
        charset_used=p.charset_used, rendered=p.rendered, js_shell=p.js_shell, redirects=tuple(p.redirects or ()),
    ) for p in page_rows)

    failures_rows = session.scalars(select(FetchFailureRow).where(
        FetchFailureRow.run_id == run_id, FetchFailureRow.site_id == site_id)).all()
    failures = tuple(FetchFailure(f.url, f.kind, f.message, f.status) for f in failures_rows)

    # The outcome of each link target: a link check (two tries) wins over the crawl's single fetch.
    outcome: dict[str, tuple[int | None, str | None, bool]] = {}
    for p in page_rows:
        outcome[p.url] = (p.status, "http" if (p.status or 0) >= 400 else None, False)
        if p.final_url != p.url:
            outcome.setdefault(p.final_url, outcome[p.url])
    for f in failures_rows:
        # Records of what was seen, not outcomes of a fetch: a redirect out of the site, a forwarding page, a
        # link of another scheme that is never fetched, a page cut by the link cap or the parser's depth limit.
        if f.kind not in ("offsite", "ignored", "render", "forward", "scheme", "links_capped", "truncated"):
            outcome.setdefault(f.url, (f.status, f.kind, False))
    for c in session.scalars(select(LinkCheck).where(LinkCheck.run_id == run_id, LinkCheck.site_id == site_id)):
        outcome[c.target_url] = (c.status, c.kind, c.confirmed)

    links = []
    for link in session.scalars(select(Link).where(Link.run_id == run_id, Link.site_id == site_id)
                                .order_by(Link.source_url, Link.id)):
        status, kind, confirmed = outcome.get(link.target_url, (None, None, False))
        links.append(LinkArtifact(
            source_url=link.source_url, target_url=link.target_url, anchor=link.anchor, region=link.region,
            internal=link.internal, status=status, error_kind=kind, confirmed=confirmed,
            image_alt=link.image_alt,
        ))

    entry_rows = session.scalars(select(ListEntryRow).where(
        ListEntryRow.run_id == run_id, ListEntryRow.site_id == site_id)
        .order_by(ListEntryRow.column_url, ListEntryRow.list_url, ListEntryRow.id)).all()
    entries = tuple(ListEntry(e.list_url, e.column_url, e.column_name, e.title, e.link, e.date_text, e.date)
                    for e in entry_rows)

    # Columns: list pages grouped by their column's first page; the entries seen on them.
    by_column: dict[str, list[Page]] = defaultdict(list)
    for p in page_rows:
        if p.is_list and p.column_url:
            by_column[p.column_url].append(p)
    entries_by_column: dict[str, list[ListEntry]] = defaultdict(list)
    for e in entries:
        entries_by_column[e.column_url].append(e)
    columns = []
    for url, plist in sorted(by_column.items()):
        first = next((p for p in plist if p.url == url), plist[0])
        columns.append(ColumnArtifact(
            url=url, name=first.column_name or first.title, entries=tuple(entries_by_column.get(url, ())),
            pages=tuple(p.url for p in plist), path=tuple(first.breadcrumb or ()),
            js_shell=any(p.js_shell for p in plist),
        ))

    run_ids = [run_id, *(probe_runs or [])]
    probes = tuple(ProbeArtifact(kind=r.kind, target=r.target, at=r.at, ok=r.ok, data=dict(r.data or {}),
                                 duration_ms=r.duration_ms)
                   for r in session.scalars(select(ProbeRow).where(ProbeRow.run_id.in_(run_ids),
                                                                   ProbeRow.site_id == site_id)
                                            .order_by(ProbeRow.at, ProbeRow.id)))
    return SiteArtifacts(
        site_id=site_id, name=site_cfg["name"], home_url=site_cfg["url"], level=site_cfg["level"],
        unit=site_cfg.get("unit", ""), site_code=site_cfg.get("site_code"), parent=site_cfg.get("parent"),
        pages=pages, links=tuple(links), entries=entries, columns=tuple(columns), failures=failures,
        probes=probes, crawl_complete=state is not None and state.status == "done",
        environment=dict(run.environment or {}),
    )
