"""What a check may read: frozen, plain-data views of one site in one stored run.

`store.loader.load_site_artifacts()` is the only producer. Checks never see Scrapy, SQLAlchemy or the network,
so every check can be unit-tested from literal artifacts and re-run offline on an old crawl.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class PageArtifact:
    url: str
    final_url: str
    status: int | None
    content_type: str = "text/html"
    title: str = ""
    # <meta name=...> values the national web design rules define: SiteIDCode, ColumnName, PubDate, ...
    meta: Mapping[str, str] = field(default_factory=dict)
    depth: int = 0
    html: str = ""  # decoded body ("" for non-HTML)
    charset_declared: str | None = None
    charset_used: str | None = None
    rendered: bool = False  # drawn through the browser (scrapy-playwright)
    # The crawler saw a list shell whose items are drawn by script and could not render it.
    js_shell: bool = False
    redirects: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class LinkArtifact:
    source_url: str
    target_url: str
    anchor: str = ""
    region: str = "body"  # nav | body | footer
    internal: bool = True
    # Outcome of fetching the target, when it was fetched (crawled or link-checked); None = never tried.
    status: int | None = None
    error_kind: str | None = None  # dns | timeout | refused | tls | http | reset | too_large | ...
    confirmed: bool = False  # a failure seen twice (second try), so it may count
    image_alt: str = ""  # alt/title of an image inside the anchor (image-only links)


@dataclass(frozen=True, slots=True)
class ListEntry:
    list_url: str  # the list page (one page of a paginated list) it was seen on
    column_url: str  # the column's first list page
    column_name: str
    title: str
    link: str
    date_text: str  # the date as printed ("[06-29]", "2021年6月29日" ...)
    date: dt.date | None  # as parsed; None when nothing parseable was printed


@dataclass(frozen=True, slots=True)
class ColumnArtifact:
    """One column (栏目): a list page and its pagination, with every dated entry seen on it."""

    url: str
    name: str
    entries: tuple[ListEntry, ...] = ()
    pages: tuple[str, ...] = ()  # list pages of this column, first page first
    path: tuple[str, ...] = ()  # breadcrumb names, outermost first, when known
    js_shell: bool = False  # the list is drawn by script and was not rendered: cannot judge emptiness

    @property
    def newest(self) -> dt.date | None:
        dates = [e.date for e in self.entries if e.date is not None]
        return max(dates) if dates else None


@dataclass(frozen=True, slots=True)
class FetchFailure:
    url: str
    kind: str  # dns | timeout | refused | reset | tls | http | too_large | robots | private | other
    message: str = ""
    status: int | None = None


@dataclass(frozen=True, slots=True)
class ProbeArtifact:
    """One network measurement that is not page crawling (availability, DNS, IPv6 ...)."""

    kind: str  # availability | dns | ipv6 | self-check ...
    target: str
    at: dt.datetime
    ok: bool
    data: Mapping[str, Any] = field(default_factory=dict)
    duration_ms: float | None = None


@dataclass(frozen=True, slots=True)
class AttachmentArtifact:
    """A linked document of the site (PDF, DOC/DOCX, XLS/XLSX) whose text the crawler extracted, size-bounded."""

    url: str
    kind: str  # pdf | doc | docx | xls | xlsx
    size: int = 0  # bytes downloaded
    text: str = ""  # extracted text (cut at the crawler's bound)
    truncated: bool = False  # the file or its text was larger than the bound: only the start was read
    error: str = ""  # why no text could be extracted ("" when it could)


@dataclass(frozen=True, slots=True)
class SiteArtifacts:
    site_id: str
    name: str
    home_url: str
    level: str  # municipal | county | department
    unit: str = ""
    site_code: str | None = None
    parent: str | None = None
    pages: tuple[PageArtifact, ...] = ()
    links: tuple[LinkArtifact, ...] = ()
    entries: tuple[ListEntry, ...] = ()
    columns: tuple[ColumnArtifact, ...] = ()
    failures: tuple[FetchFailure, ...] = ()
    probes: tuple[ProbeArtifact, ...] = ()
    crawl_complete: bool = True  # False when the run was interrupted before this site finished
    # Our own side: the inspecting machine's network state recorded by the run (e.g. {"ipv6": False}).
    environment: Mapping[str, Any] = field(default_factory=dict)
    attachments: tuple[AttachmentArtifact, ...] = ()
    # The office's decisions on findings that wait for a person (review key -> "confirmed" | "dismissed"):
    # an input like the pages, so checks stay pure functions of what is stored.
    reviews: Mapping[str, str] = field(default_factory=dict)
    # page() and links_from() by exact URL, built on first use: the checks ask them per link and per page, and a
    # scan of every page or link each time made a site's judgement quadratic in its size. Not part of the data.
    _by_url: dict[str, Any] = field(default_factory=dict, init=False, compare=False, repr=False)

    @property
    def home(self) -> PageArtifact | None:
        """The home page as fetched (matched on the URL asked for, then on the final URL)."""
        for page in self.pages:
            if page.url == self.home_url:
                return page
        for page in self.pages:
            if page.final_url == self.home_url:
                return page
        return None

    def page(self, url: str) -> PageArtifact | None:
        """The first stored page whose asked-for or final URL is `url` (compared exactly)."""
        pages = self._by_url.get("pages")
        if pages is None:
            pages = self._by_url["pages"] = {}
            for page in self.pages:
                pages.setdefault(page.url, page)
                pages.setdefault(page.final_url, page)
        return pages.get(url)

    def links_from(self, url: str) -> tuple[LinkArtifact, ...]:
        """The links found on the page at `url` (its stored source URL, compared exactly), in crawl order."""
        sources = self._by_url.get("links")
        if sources is None:
            found: dict[str, list[LinkArtifact]] = {}
            for link in self.links:
                found.setdefault(link.source_url, []).append(link)
            sources = self._by_url["links"] = {key: tuple(group) for key, group in found.items()}
        return sources.get(url, ())

    def probes_of(self, kind: str) -> tuple[ProbeArtifact, ...]:
        return tuple(p for p in self.probes if p.kind == kind)
