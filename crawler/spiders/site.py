"""SiteSpider: crawls one site inside its own host names, breadth first, within its page budget and depth.

Stores every page it fetched (status, charset, meta, body), every link with its region, every dated list entry,
and every failed fetch with its kind. Off-site links are recorded and their targets checked once (twice when the
first try fails), never crawled. Lists drawn by script are rendered through scrapy-playwright only where the site
entry asks for it (render_js: always) or the crawler sees an empty list shell (render_js: auto).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import AsyncIterator, Iterable
from typing import Any
from urllib.parse import urlsplit

import scrapy
from scrapy import signals
from scrapy.exceptions import DontCloseSpider
from scrapy.http import Response, TextResponse

from crawler.failures import failure_kind
from crawler.items import AttachmentItem, EntryItem, FailureItem, LinkCheckItem, LinkItem, PageItem
from crawler.resolver import GovResolver
from extract.attachments import attachment_kind, extract_text
from extract.html import parse_page
from netkit.urls import (  # noqa: F401 - the spider's names
    HARMLESS_SCHEMES,
    INDEX_FILE,
    canonical,
    page_key,
    safe_canonical,
    scheme_of,
    web_url,
)

# Targets that are documents or media, not pages: checked as links, never parsed.
NON_HTML = re.compile(
    r"\.(pdf|docx?|xlsx?|pptx?|wps|et|zip|rar|7z|gz|tar|jpe?g|png|gif|bmp|svg|webp|ico|mp[34]|avi|wmv|flv|mov|"
    r"swf|exe|apk|txt|xml|css|js|ofd|csv)$",
    re.I,
)
NOT_REDIRECT_STATUSES = [code for code in range(100, 600) if code not in (301, 302, 303, 307, 308)]
ATTACHMENT_MAX_BYTES = 2 * 1024 * 1024  # the link check's download bound; larger files are not read
ATTACHMENT_MAX_CHARS = 200_000  # text kept per attachment
MAX_LIST_PAGES = 60  # pages of one paginated list; beyond that a list is a trap or an archive
CRUMB_NOT_NAMES = ("正文", "列表", "详情", "内容", "列表页", "正文内容")
# Redirect reasons (Scrapy's meta["redirect_reasons"]) of forwarding pages, as crawler.middlewares sets them.
FORWARD_REASONS = {"meta-refresh": "页面以 meta refresh 跳转", "script": "页面以脚本跳转"}
TITLE_SUFFIX = re.compile(r"\s*[-_|—–]+\s*[^-_|—–]*(人民政府|政府网|门户网站|网站|局|委员会|办公室|中心).*$")


class SiteSpider(scrapy.Spider):
    name = "site"

    def __init__(
        self,
        site: dict[str, Any],
        as_of: dt.date | None = None,
        *,
        seen: Iterable[str] = (),
        frontier: Iterable[tuple[str, int]] = (),
        render: bool = False,
        **kwargs: Any,
    ):
        super().__init__(name="site", **kwargs)
        self.site = site
        self.site_id: str = site["id"]
        self.home = canonical(site["url"])
        self.hosts = {h.lower() for h in site.get("hosts") or []} | {urlsplit(self.home).hostname or ""}
        limits = site.get("limits", {})
        self.max_pages = int(limits.get("max_pages", 500))
        self.max_depth = int(limits.get("max_depth", 5))
        self.render_js = limits.get("render_js", "auto") if render else "never"
        self.link_check = bool(limits.get("link_check", True))
        self.max_link_checks = int(limits.get("max_link_checks", 300))
        self.max_links_per_page = int(limits.get("max_links_per_page", 5000))
        self.max_links_per_site = int(limits.get("max_links_per_site", 200_000))
        self.links_stored = 0
        self.links_dropped = 0
        self.as_of = as_of
        self.seen: set[str] = {page_key(canonical(u)) for u in seen}  # pages already stored (a resumed run)
        self.frontier = list(frontier)
        self.scheduled = len(self.seen)
        self.list_pages: dict[str, int] = {}  # column url -> list pages scheduled
        self.to_check: dict[str, None] = {}  # link targets to check once the crawl is done (ordered set)
        self.retry: list[str] = []  # link targets whose first check failed: tried a second time
        self.failed_pages: dict[str, tuple[str, str, int | None]] = {}  # crawled url -> (kind, msg, status)
        self.check_phase = 0
        self.stored = 0

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):  # type: ignore[no-untyped-def]
        spider = super().from_crawler(crawler, *args, **kwargs)
        crawler.signals.connect(spider.on_idle, signal=signals.spider_idle)
        return spider

    # ------------------------------------------------------------------------------------------ requests

    async def start(self) -> AsyncIterator[scrapy.Request]:
        if self.frontier:
            for url, depth in self.frontier:
                req = self._page_request(url, depth, {})
                if req is not None:
                    yield req
            return
        req = self._page_request(self.home, 0, {})
        if req is not None:
            yield req

    def knows(self, url: str, current: str = "") -> bool:
        """Is the page at `url` already scheduled or stored as another page than `current` (asked by
        crawler.middlewares.ForwardMiddleware; "/" forwarding to "/index.html" is one page)?"""
        try:
            key = page_key(canonical(url))
            return key in self.seen and key != page_key(canonical(current or url + "#"))
        except ValueError:
            return False

    def _in_site(self, url: str) -> bool:
        return (urlsplit(url).hostname or "").lower() in self.hosts

    def _page_request(
        self, url: str, depth: int, meta: dict[str, Any], *, pagination: bool = False
    ) -> scrapy.Request | None:
        url = canonical(url)
        if not web_url(url):
            return None
        key = page_key(url)
        if key in self.seen or self.scheduled >= self.max_pages or depth > self.max_depth:
            return None
        self.seen.add(key)
        self.scheduled += 1
        meta = {**meta, "depth_site": depth}
        if self.render_js == "always":
            meta["playwright"] = True
        return scrapy.Request(
            url,
            callback=self.parse,
            errback=self.on_error,
            meta=meta,
            priority=-depth * 10 + (5 if pagination else 0),
        )

    # ------------------------------------------------------------------------------------------ parsing

    def parse(self, response: Response) -> Iterable[Any]:
        depth = response.meta.get("depth_site", 0)
        url = canonical(response.request.url if response.request else response.url)
        redirects = [canonical(u) for u in response.meta.get("redirect_urls", [])]
        if redirects:
            url = redirects[0]
        rendered = bool(response.meta.get("playwright"))
        item = PageItem(
            site_id=self.site_id,
            url=url,
            final_url=canonical(response.url),
            status=response.status,
            depth=depth,
            redirects=redirects,
            content_type=response.headers.get("Content-Type", b"").decode("latin-1")[:120],
            size=len(response.body),
            fetch_ms=response.meta.get("govaudit_fetch_ms"),
            rendered=rendered,
        )
        reasons = response.meta.get("redirect_reasons") or []
        chain = [*redirects, item.final_url]
        if any(r in FORWARD_REASONS for r in reasons):
            # The page a forwarding page led to is read here, under the URL that was asked for: not again on its own.
            self.seen.add(page_key(item.final_url))
        for i, reason in enumerate(reasons):
            if reason in FORWARD_REASONS and i + 1 < len(chain):
                # A forwarding page followed like a redirect: on record as what it was.
                yield FailureItem(
                    self.site_id, url, "forward", f"{FORWARD_REASONS[reason]}：{chain[i]} → {chain[i + 1]}"
                )
        if response.status >= 400:
            self.failed_pages[url] = ("http", f"HTTP {response.status}", response.status)
        if not isinstance(response, TextResponse) or not self._looks_html(response):
            yield item
            return
        text = response.text
        item.charset_used = response.encoding
        item.charset_declared = self._declared_charset(response)
        item.body = text
        parsed = parse_page(text, response.url, as_of=self.as_of, max_links=self.max_links_per_page)
        shell = parsed.js_shell or self._empty_app_shell(parsed, text)
        if shell and not rendered and self.render_js == "auto" and response.status < 400:
            # An empty list shell filled by script: fetch it again through the browser. If that fails the errback
            # stores this static copy marked js_shell, which the checks report as not tested.
            req = scrapy.Request(
                url,
                callback=self.parse,
                errback=self.on_render_error,
                dont_filter=True,
                meta={**response.meta, "playwright": True, "static_copy": item, "static_parsed": parsed},
            )
            yield req
            return
        if shell and not rendered:
            parsed = dataclasses.replace(parsed, js_shell=True)
        yield from self._emit(item, parsed, response.meta, depth)

    @staticmethod
    def _empty_app_shell(parsed: Any, text: str) -> bool:
        """A page drawn wholly by script (a single-page app: county sites are reported to answer a plain GET
        with an empty page): almost no text, almost no links, and scripts. Read statically it would look like a
        site with nothing published, which must never be counted against the department."""
        return len(parsed.text) < 200 and len(parsed.links) < 5 and "<script" in text[:200_000].lower()

    def _emit(self, item: PageItem, parsed: Any, meta: dict[str, Any], depth: int) -> Iterable[Any]:
        item.title = parsed.title
        item.meta = dict(parsed.meta)
        item.breadcrumb = list(parsed.breadcrumb)
        item.js_shell = bool(parsed.js_shell and not item.rendered)
        if parsed.truncated:
            # Nested deeper than the parser reads (over 2048 levels after unclosed inline tags were dropped): the
            # page is marked like an unrendered script list, so the checks that need the lost part say
            # not_tested instead of judging what is missing.
            item.js_shell = True
            yield FailureItem(
                self.site_id, item.url, "truncated", "页面标签嵌套超过解析器上限，只读到页面的前一部分"
            )
        is_list = bool(parsed.is_list) and depth > 0
        item.is_list = is_list
        column_url = meta.get("column_url") or item.url
        if is_list:
            item.column_url = column_url
            item.column_name = self._column_name(parsed)
        for e in parsed.entries:
            item.entries.append(EntryItem(e.title, e.url, e.date_text, e.date))
        follow: list[scrapy.Request] = []
        refused: list[str] = []  # hrefs of another scheme (file:, ftp: ...): recorded, never fetched
        # Pagination first, so a "下一页" link is scheduled as a page of its column and not as a new column.
        if item.status is not None and item.status < 400:
            for nxt in parsed.next_pages:
                if not web_url(nxt):
                    refused.append(nxt)
                    continue
                nxt = safe_canonical(nxt)
                if nxt is None or not self._in_site(nxt):
                    continue
                count = self.list_pages.get(column_url, 1)
                if count >= MAX_LIST_PAGES:
                    break
                req = self._page_request(nxt, depth, {"column_url": column_url}, pagination=True)
                if req is not None:
                    self.list_pages[column_url] = count + 1
                    follow.append(req)
        links = parsed.links
        room = max(0, min(self.max_links_per_page, self.max_links_per_site - self.links_stored))
        dropped = max(0, len(links) - room) + getattr(parsed, "links_dropped", 0)
        if dropped:
            links = links[:room]
            self.links_dropped += dropped
            yield FailureItem(
                self.site_id,
                item.url,
                "links_capped",
                f"本页链接超过上限（每页 {self.max_links_per_page} 个、每站 {self.max_links_per_site} 个），"
                f"另有 {dropped} 个链接未记录、未检查",
            )
        for link in links:
            target = link.url
            if target and scheme_of(target) not in (*HARMLESS_SCHEMES, "http", "https"):
                refused.append(target)  # data:, file:, ftp: ...: reported, never fetched
                continue
            if not target or not target.startswith(("http://", "https://")):
                continue  # mailto:, tel:, javascript: ... (netkit.urls.HARMLESS_SCHEMES): nothing to fetch
            target = safe_canonical(target)
            if target is None:  # "http://[::1", a port of 99999 ...: no URL, nothing to fetch or check
                continue
            internal = self._in_site(target)
            item.links.append(LinkItem(target, link.anchor, link.region, internal, link.image_alt))
            if not internal or NON_HTML.search(urlsplit(target).path):
                self._want_check(target)
                continue
            req = self._page_request(target, depth + 1, {})
            if req is not None:
                follow.append(req)
        for target in dict.fromkeys(refused):
            scheme = scheme_of(target) or "?"
            yield FailureItem(
                self.site_id,
                target[:2000],
                "scheme",
                f"页面 {item.url} 链接到 {scheme}: 协议的地址，只访问 http/https，未访问",
            )
        self.links_stored += len(item.links)
        self.stored += 1
        yield item
        yield from follow

    @staticmethod
    def _looks_html(response: TextResponse) -> bool:
        ctype = response.headers.get("Content-Type", b"").decode("latin-1").lower()
        if "html" in ctype or "xml" in ctype:
            head = response.body[:2048]
            # Binary data served as text/html: no markup and many control bytes.
            controls = sum(1 for b in head if b < 9 or 13 < b < 32)
            return controls < max(8, len(head) // 20)
        return not ctype and b"<html" in response.body[:4096].lower()

    @staticmethod
    def _declared_charset(response: TextResponse) -> str | None:
        ctype = response.headers.get("Content-Type", b"").decode("latin-1")
        m = re.search(r"charset=([\w-]+)", ctype, re.I)
        if m:
            return m.group(1).lower()
        m = re.search(rb"<meta[^>]+charset=[\"']?([\w-]+)", response.body[:4096], re.I)
        return m.group(1).decode("ascii", "replace").lower() if m else None

    @staticmethod
    def _column_name(parsed: Any) -> str:
        name = (parsed.meta.get("ColumnName") or "").strip()
        if name:
            return name
        crumbs = [
            c for c in parsed.breadcrumb if c and c not in ("首页", "当前位置", "您的位置", *CRUMB_NOT_NAMES)
        ]
        if crumbs:
            return crumbs[-1]
        heading = (getattr(parsed, "heading", "") or "").strip()
        if heading:
            return heading
        return TITLE_SUFFIX.sub("", parsed.title or "").strip()

    # ------------------------------------------------------------------------------------------ failures

    def on_error(self, failure: Any) -> Iterable[Any]:
        request = failure.request
        # A request that failed after redirects carries the redirected URL: the failure belongs to the URL that
        # was asked for (the home page, the linked page), as a fetched page does in parse().
        redirects = request.meta.get("redirect_urls") or []
        url = canonical(redirects[0] if redirects else request.url)
        if request.meta.get("linkcheck"):
            yield from self._link_checked(url, request.meta["attempt"], None, *failure_kind(failure))
            return
        kind, message = failure_kind(failure)
        if kind == "dns":
            # The host that failed is the one last asked for (after redirects), not necessarily the site's.
            host = urlsplit(request.url).hostname or ""
            resolution = GovResolver.lookup.lookup(host) if GovResolver.lookup else None
            if resolution is not None and resolution.kind == "private":
                kind, message = "private", resolution.message
                if redirects:
                    # The site sent us to an intranet address: the public cannot open it either.
                    kind, message = "redirect_private", f"跳转到公众无法访问的内网地址：{request.url[:300]}"
        if kind == "offsite":
            # A redirect out of the site: recorded as a link to the other host, not as a failure of the site.
            yield FailureItem(self.site_id, url, kind, message)
            return
        self.failed_pages[url] = (kind, message, None)
        yield FailureItem(self.site_id, url, kind, message)

    def on_render_error(self, failure: Any) -> Iterable[Any]:
        meta = failure.request.meta
        item: PageItem = meta["static_copy"]
        yield FailureItem(self.site_id, item.url, "render", f"浏览器渲染失败：{failure.value}")
        yield from self._emit(item, meta["static_parsed"], meta, meta.get("depth_site", 0))

    # ------------------------------------------------------------------------------------------ link checks

    def _want_check(self, url: str) -> None:
        if self.link_check and url not in self.to_check and len(self.to_check) < self.max_link_checks:
            self.to_check[url] = None

    def on_idle(self, spider: scrapy.Spider) -> None:
        """When the crawl is done: check link targets the crawl did not fetch, then re-try every failure once.

        A broken link counts only when the second try fails too (confirmed), so a passing hiccup of the site
        or of our network never becomes a finding.
        """
        if spider is not self or not self.link_check:
            return
        requests: list[scrapy.Request] = []
        if self.check_phase == 0:
            self.check_phase = 1
            for url in list(self.to_check):
                requests.append(self._check_request(url, attempt=1))
            # A crawled page that failed had its first try in the crawl.
            for url in list(self.failed_pages)[: self.max_link_checks]:
                requests.append(self._check_request(url, attempt=2))
        elif self.check_phase == 1:
            self.check_phase = 2
            requests = [self._check_request(url, attempt=2) for url in self.retry]
        if requests:
            for req in requests:
                self.crawler.engine.crawl(req)
            raise DontCloseSpider

    def _check_request(self, url: str, attempt: int) -> scrapy.Request:
        return scrapy.Request(
            url,
            method="GET",
            callback=self.on_checked,
            errback=self.on_error,
            dont_filter=True,
            priority=-1000,
            meta={
                "linkcheck": True,
                "attempt": attempt,
                "dont_obey_robotstxt": True,
                "dont_retry": True,
                "download_maxsize": ATTACHMENT_MAX_BYTES,
                # Every status reaches on_checked except redirects, which are followed
                # (within REDIRECT_MAX_TIMES) so the final answer is judged.
                "handle_httpstatus_list": NOT_REDIRECT_STATUSES,
            },
        )

    def on_checked(self, response: Response) -> Iterable[Any]:
        redirects = response.meta.get("redirect_urls") or []
        url = canonical(
            redirects[0] if redirects else (response.request.url if response.request else response.url)
        )
        status = response.status
        failed = status >= 400
        kind = attachment_kind(url, response.headers.get("Content-Type", b"").decode("latin-1"))
        if not failed and kind and self._in_site(url):
            # A document of the site (PDF, DOC/DOCX, XLS/XLSX): its text is stored for the checks that read
            # attachments (personal data); the bytes are not kept.
            got = extract_text(
                response.body, kind, max_bytes=ATTACHMENT_MAX_BYTES, max_chars=ATTACHMENT_MAX_CHARS
            )
            yield AttachmentItem(
                self.site_id, url, kind, len(response.body), got.text, got.truncated, got.error
            )
        yield from self._link_checked(
            url,
            response.meta["attempt"],
            status,
            "http" if failed else None,
            f"HTTP {status}" if failed else "",
        )

    def _link_checked(
        self, url: str, attempt: int, status: int | None, kind: str | None, message: str
    ) -> Iterable[Any]:
        failed = kind is not None
        if failed and attempt == 1:
            self.retry.append(url)  # tried again in the next idle phase
            return
        yield LinkCheckItem(
            self.site_id, url, status, kind, message, attempts=attempt, confirmed=failed and attempt == 2
        )
