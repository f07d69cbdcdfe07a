"""What the spider yields; the pipeline turns each into rows. One PageItem carries its links and list entries so
they are stored in one transaction: a crawl killed mid-way never keeps a page without its links."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field


@dataclass
class LinkItem:
    target_url: str
    anchor: str = ""
    region: str = "body"
    internal: bool = True
    image_alt: str = ""


@dataclass
class EntryItem:
    title: str
    link: str
    date_text: str
    date: dt.date | None


@dataclass
class PageItem:
    site_id: str
    url: str
    final_url: str
    status: int | None
    depth: int
    redirects: list[str] = field(default_factory=list)
    content_type: str = ""
    charset_declared: str | None = None
    charset_used: str | None = None
    size: int = 0
    fetch_ms: float | None = None
    title: str = ""
    meta: dict[str, str] = field(default_factory=dict)
    is_list: bool = False
    column_url: str | None = None
    column_name: str | None = None
    breadcrumb: list[str] = field(default_factory=list)
    rendered: bool = False
    js_shell: bool = False
    body: str | None = None
    links: list[LinkItem] = field(default_factory=list)
    entries: list[EntryItem] = field(default_factory=list)


@dataclass
class FailureItem:
    site_id: str
    url: str
    kind: str  # dns | timeout | refused | reset | tls | http | too_large | robots | private | other
    message: str = ""
    status: int | None = None


@dataclass
class LinkCheckItem:
    site_id: str
    target_url: str
    status: int | None
    kind: str | None
    message: str = ""
    attempts: int = 1
    confirmed: bool = False


@dataclass
class AttachmentItem:
    """A linked document of the site with its extracted text (size-bounded), for the personal-data check."""

    site_id: str
    url: str
    kind: str
    size: int
    text: str = ""
    truncated: bool = False
    error: str = ""
