"""load_site_artifacts(): the one place that turns stored rows into the inspections' frozen dataclasses."""

from __future__ import annotations

import zlib
from collections import defaultdict

from sqlalchemy import select
from sqlalchemy.orm import Session

from inspections.artifacts import (
    AttachmentArtifact,
    ColumnArtifact,
    FetchFailure,
    LinkArtifact,
    ListEntry,
    PageArtifact,
    ProbeArtifact,
    SiteArtifacts,
)
from store.models import (
    Attachment,
    FetchFailureRow,
    Link,
    LinkCheck,
    ListEntryRow,
    Page,
    ProbeRow,
    Run,
    RunSite,
)
from store.reviews import decisions_for


def _body(raw: bytes | None) -> str:
    if not raw:
        return ""
    try:
        return zlib.decompress(raw).decode("utf-8", "replace")
    except zlib.error:
        return ""


# The tables, not the ORM classes: the big reads below (pages, links, entries) are Core selects of plain tuples,
# which skips the ORM's per-row loading (a fifth of re-judging a stored crawl, py-spy in bench/README.md).
_page = Page.__table__
_link = Link.__table__
_entry = ListEntryRow.__table__
_failure = FetchFailureRow.__table__
_check = LinkCheck.__table__


def load_site_artifacts(
    session: Session, run_id: int, site_id: str, *, probe_runs: list[int] | None = None
) -> SiteArtifacts:
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
    # Rows are streamed as plain tuples (no ORM objects kept in the session), so memory holds the artifacts
    # once, never the rows beside them.
    page_cols = (
        _page.c.url,
        _page.c.final_url,
        _page.c.status,
        _page.c.content_type,
        _page.c.title,
        _page.c.meta,
        _page.c.depth,
        _page.c.body,
        _page.c.charset_declared,
        _page.c.charset_used,
        _page.c.rendered,
        _page.c.js_shell,
        _page.c.redirects,
        _page.c.is_list,
        _page.c.column_url,
        _page.c.column_name,
        _page.c.breadcrumb,
    )
    pages_list: list[PageArtifact] = []
    # The outcome of each link target: a link check (two tries) wins over the crawl's single fetch.
    outcome: dict[str, tuple[int | None, str | None, bool]] = {}
    by_column: dict[str, list[tuple[str, str | None, str, list[str], bool]]] = defaultdict(list)
    for (
        url,
        final_url,
        status,
        ctype,
        title,
        meta,
        depth,
        body,
        cs_decl,
        cs_used,
        rendered,
        js_shell,
        redirects,
        is_list,
        column_url,
        column_name,
        breadcrumb,
    ) in session.execute(
        select(*page_cols)
        .where(_page.c.run_id == run_id, _page.c.site_id == site_id)
        .order_by(_page.c.depth, _page.c.url)
        .execution_options(yield_per=100)
    ):
        pages_list.append(
            PageArtifact(
                url=url,
                final_url=final_url,
                status=status,
                content_type=ctype,
                title=title,
                meta=dict(meta or {}),
                depth=depth,
                html=_body(body),
                charset_declared=cs_decl,
                charset_used=cs_used,
                rendered=rendered,
                js_shell=js_shell,
                redirects=tuple(redirects or ()),
            )
        )
        outcome[url] = (status, "http" if (status or 0) >= 400 else None, False)
        if final_url != url:
            outcome.setdefault(final_url, outcome[url])
        if is_list and column_url:
            by_column[column_url].append((url, column_name, title, list(breadcrumb or ()), js_shell))
    pages = tuple(pages_list)
    del pages_list

    failures_rows = session.execute(
        select(_failure.c.url, _failure.c.kind, _failure.c.message, _failure.c.status)
        .where(_failure.c.run_id == run_id, _failure.c.site_id == site_id)
        .order_by(_failure.c.id)
    ).all()
    failures = tuple(
        FetchFailure(f_url, f_kind, f_msg, f_status) for f_url, f_kind, f_msg, f_status in failures_rows
    )
    for f_url, f_kind, _msg, f_status in failures_rows:
        # Records of what was seen, not outcomes of a fetch: a redirect out of the site, a forwarding page, a
        # link of another scheme that is never fetched, a page cut by the link cap or the parser's depth limit.
        if f_kind not in ("offsite", "ignored", "render", "forward", "scheme", "links_capped", "truncated"):
            outcome.setdefault(f_url, (f_status, f_kind, False))
    for target, c_status, c_kind, c_confirmed in session.execute(
        select(_check.c.target_url, _check.c.status, _check.c.kind, _check.c.confirmed).where(
            _check.c.run_id == run_id, _check.c.site_id == site_id
        )
    ):
        outcome[target] = (c_status, c_kind, c_confirmed)

    links = []
    for source_url, target_url, anchor, region, internal, image_alt in session.execute(
        select(
            _link.c.source_url,
            _link.c.target_url,
            _link.c.anchor,
            _link.c.region,
            _link.c.internal,
            _link.c.image_alt,
        )
        .where(_link.c.run_id == run_id, _link.c.site_id == site_id)
        .order_by(_link.c.source_url, _link.c.id)
        .execution_options(yield_per=1000)
    ):
        status, kind, confirmed = outcome.get(target_url, (None, None, False))
        links.append(
            LinkArtifact(
                source_url=source_url,
                target_url=target_url,
                anchor=anchor,
                region=region,
                internal=internal,
                status=status,
                error_kind=kind,
                confirmed=confirmed,
                image_alt=image_alt,
            )
        )

    entries = tuple(
        ListEntry(*row)
        for row in session.execute(
            select(
                _entry.c.list_url,
                _entry.c.column_url,
                _entry.c.column_name,
                _entry.c.title,
                _entry.c.link,
                _entry.c.date_text,
                _entry.c.date,
            )
            .where(_entry.c.run_id == run_id, _entry.c.site_id == site_id)
            .order_by(_entry.c.column_url, _entry.c.list_url, _entry.c.id)
            .execution_options(yield_per=1000)
        )
    )

    # Columns: list pages grouped by their column's first page; the entries seen on them.
    entries_by_column: dict[str, list[ListEntry]] = defaultdict(list)
    for e in entries:
        entries_by_column[e.column_url].append(e)
    columns = []
    for url, plist in sorted(by_column.items()):
        first = next((p for p in plist if p[0] == url), plist[0])
        _u, column_name, title, breadcrumb, _js = first
        columns.append(
            ColumnArtifact(
                url=url,
                name=column_name or title,
                entries=tuple(entries_by_column.get(url, ())),
                pages=tuple(p[0] for p in plist),
                path=tuple(breadcrumb),
                js_shell=any(p[4] for p in plist),
            )
        )

    run_ids = [run_id, *(probe_runs or [])]
    probes = tuple(
        ProbeArtifact(
            kind=r.kind, target=r.target, at=r.at, ok=r.ok, data=dict(r.data or {}), duration_ms=r.duration_ms
        )
        for r in session.scalars(
            select(ProbeRow)
            .where(ProbeRow.run_id.in_(run_ids), ProbeRow.site_id == site_id)
            .order_by(ProbeRow.at, ProbeRow.id)
        )
    )
    attachments = tuple(
        AttachmentArtifact(
            url=a.url, kind=a.kind, size=a.size, text=_body(a.text), truncated=a.truncated, error=a.error
        )
        for a in session.scalars(
            select(Attachment)
            .where(Attachment.run_id == run_id, Attachment.site_id == site_id)
            .order_by(Attachment.url)
        )
    )
    return SiteArtifacts(
        site_id=site_id,
        name=site_cfg["name"],
        home_url=site_cfg["url"],
        level=site_cfg["level"],
        unit=site_cfg.get("unit", ""),
        site_code=site_cfg.get("site_code"),
        parent=site_cfg.get("parent"),
        pages=pages,
        links=tuple(links),
        entries=entries,
        columns=tuple(columns),
        failures=failures,
        probes=probes,
        crawl_complete=state is not None and state.status == "done",
        environment=dict(run.environment or {}),
        attachments=attachments,
        reviews=decisions_for(session, site_id),
    )


def page_html(session: Session, run_id: int, site_id: str, url: str) -> str | None:
    """The stored HTML of a page of the run (found by its URL or its final URL); None when the page is not
    stored, has no body or its body does not decompress."""
    row = session.scalars(
        select(Page).where(
            Page.run_id == run_id,
            Page.site_id == site_id,
            (Page.url == url) | (Page.final_url == url),
        )
    ).first()
    if row is None or row.body is None:
        return None
    try:
        return zlib.decompress(row.body).decode("utf-8", "replace")
    except zlib.error:
        return None


def forget_loaded_rows(session: Session) -> None:
    """Drop every row the session holds (a site's page bodies) once its artifacts are built, so memory holds
    one site's artifacts at a time, never the rows as well."""
    session.expunge_all()
