"""StorePipeline: writes what the spider yields into the store, in small transactions.

A page, its links and its list entries go into one transaction, so a crawl killed at any instant keeps whole
pages only; the (run_id, url) unique key makes a resumed crawl store every page once.
"""

from __future__ import annotations

import time
import zlib
from typing import Any

from sqlalchemy import insert, select

from crawler.items import AttachmentItem, FailureItem, LinkCheckItem, PageItem
from store.db import Store
from store.models import Attachment, FetchFailureRow, Link, LinkCheck, ListEntryRow, Page, utcnow

# Set by crawler.run before the crawl starts (one store per process, shared by the site crawlers).
STORE: Store | None = None
RUN_ID: int | None = None
FLUSH_EVERY = 20  # items
FLUSH_SECONDS = 2.0


class StorePipeline:
    def __init__(self) -> None:
        self.buffer: list[Any] = []
        self.last_flush = time.monotonic()
        self.pages = 0

    def open_spider(self, spider=None) -> None:  # type: ignore[no-untyped-def]
        if STORE is None or RUN_ID is None:
            raise RuntimeError("crawler.pipelines.STORE / RUN_ID not set")

    def process_item(self, item: Any, spider=None) -> Any:  # type: ignore[no-untyped-def]
        self.buffer.append(item)
        if isinstance(item, PageItem):
            self.pages += 1
        if len(self.buffer) >= FLUSH_EVERY or time.monotonic() - self.last_flush > FLUSH_SECONDS:
            self.flush()
        return item

    def close_spider(self, spider=None) -> None:  # type: ignore[no-untyped-def]
        self.flush()

    def flush(self) -> None:
        self.last_flush = time.monotonic()
        if not self.buffer:
            return
        items, self.buffer = self.buffer, []
        assert STORE is not None and RUN_ID is not None
        with STORE.session() as session:
            page_urls = [i.url for i in items if isinstance(i, PageItem)]
            existing: set[tuple[str, str]] = set()
            if page_urls:
                existing = {(site_id, url) for site_id, url in session.execute(
                    select(Page.site_id, Page.url).where(Page.run_id == RUN_ID, Page.url.in_(page_urls)))}
            check_urls = [i.target_url for i in items if isinstance(i, LinkCheckItem)]
            # Keyed by site too: two sites of one run often link to the same target (www.gov.cn ...).
            checked: dict[tuple[str, str], LinkCheck] = {}
            if check_urls:
                checked = {(c.site_id, c.target_url): c for c in session.scalars(select(LinkCheck).where(
                    LinkCheck.run_id == RUN_ID, LinkCheck.target_url.in_(check_urls)))}
            attach_urls = [i.url for i in items if isinstance(i, AttachmentItem)]
            attached: set[tuple[str, str]] = set()
            if attach_urls:
                attached = {(site_id, url) for site_id, url in session.execute(
                    select(Attachment.site_id, Attachment.url).where(Attachment.run_id == RUN_ID,
                                                                     Attachment.url.in_(attach_urls)))}
            rows: dict[type, list[dict[str, Any]]] = {Page: [], Link: [], ListEntryRow: []}
            for item in items:
                if isinstance(item, PageItem):
                    if (item.site_id, item.url) in existing:
                        continue
                    existing.add((item.site_id, item.url))
                    self._page_rows(item, rows)
                elif isinstance(item, FailureItem):
                    session.add(FetchFailureRow(run_id=RUN_ID, site_id=item.site_id, url=item.url,
                                                kind=item.kind, status=item.status, message=item.message[:2000]))
                elif isinstance(item, LinkCheckItem):
                    row = checked.get((item.site_id, item.target_url))
                    if row is None:
                        row = LinkCheck(run_id=RUN_ID, site_id=item.site_id, target_url=item.target_url)
                        session.add(row)
                        checked[(item.site_id, item.target_url)] = row
                    row.status, row.kind, row.message = item.status, item.kind, item.message[:2000]
                    row.attempts, row.confirmed = item.attempts, item.confirmed
                elif isinstance(item, AttachmentItem):
                    key = (item.site_id, item.url)
                    if key in attached:  # checked twice (a retry) or already stored by a resumed run
                        continue
                    attached.add(key)
                    session.add(Attachment(run_id=RUN_ID, site_id=item.site_id, url=item.url, kind=item.kind,
                                           size=item.size, truncated=item.truncated, error=item.error[:2000],
                                           text=zlib.compress(item.text.encode("utf-8"), 6)))
            # Pages, links and list entries as multi-row INSERTs (no ORM objects, no primary keys fetched back):
            # the ORM unit of work was the largest part of the crawl's own CPU time (py-spy, bench/README.md).
            for model, batch in rows.items():
                if batch:
                    session.execute(insert(model), batch)

    @staticmethod
    def _page_rows(item: PageItem, rows: dict[type, list[dict[str, Any]]]) -> None:
        body = zlib.compress(item.body.encode("utf-8"), 6) if item.body is not None else None
        rows[Page].append(dict(
            run_id=RUN_ID, site_id=item.site_id, url=item.url, final_url=item.final_url,
            redirects=item.redirects, status=item.status, content_type=item.content_type,
            charset_declared=item.charset_declared, charset_used=item.charset_used, size=item.size,
            fetch_ms=item.fetch_ms, fetched_at=utcnow(), depth=item.depth, title=item.title[:1000], meta=item.meta,
            is_list=item.is_list, column_url=item.column_url, column_name=item.column_name,
            breadcrumb=item.breadcrumb, rendered=item.rendered, js_shell=item.js_shell, body=body,
        ))
        for link in item.links:
            rows[Link].append(dict(run_id=RUN_ID, site_id=item.site_id, source_url=item.url,
                                   target_url=link.target_url, anchor=link.anchor[:500],
                                   image_alt=link.image_alt[:500], region=link.region, internal=link.internal))
        column_url = item.column_url or item.url
        for e in item.entries:
            rows[ListEntryRow].append(dict(run_id=RUN_ID, site_id=item.site_id, list_url=item.url,
                                           column_url=column_url, column_name=item.column_name or "",
                                           title=e.title[:1000], link=e.link, date_text=e.date_text[:64],
                                           date=e.date))
