"""Downloader middlewares: timing of each fetch, and the host guard that keeps a crawl inside its site."""

from __future__ import annotations

import time
from urllib.parse import urlsplit

from scrapy.exceptions import IgnoreRequest


class OffsiteHostError(IgnoreRequest):
    """A request (usually a redirect) to a host outside the site's configured names."""


class HostGuardMiddleware:
    """Keeps a crawl inside its site's configured host names.

    Redirects come back through process_request, so a redirect to another host is stopped here too. It runs
    before robots.txt handling (priority 50 < 100), so not even a robots.txt is asked of a host outside the site.
    The link checker's single requests to off-site targets carry meta["linkcheck"] and are let through.
    """

    def __init__(self, crawler=None):  # type: ignore[no-untyped-def]
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler):  # type: ignore[no-untyped-def]
        return cls(crawler)

    def process_request(self, request, spider=None):  # type: ignore[no-untyped-def]
        # Scrapy 2.19 no longer passes `spider` to middlewares that do not require it: take it from the crawler,
        # or the guard would let every redirect out of the site.
        spider = spider or getattr(self.crawler, "spider", None)
        hosts = getattr(spider, "hosts", None)
        if hosts and not request.meta.get("linkcheck"):
            host = (urlsplit(request.url).hostname or "").lower()
            if host not in hosts:
                raise OffsiteHostError(f"跳转到站外主机 {host}，未跟随：{request.url}")
        return None


class TimingMiddleware:
    """Records when a request left, so the page row can carry its fetch time."""

    def process_request(self, request, spider=None):  # type: ignore[no-untyped-def]
        request.meta.setdefault("govaudit_start", time.monotonic())
        return None

    def process_response(self, request, response, spider=None):  # type: ignore[no-untyped-def]
        start = request.meta.get("govaudit_start")
        if start is not None:
            request.meta["govaudit_fetch_ms"] = (time.monotonic() - start) * 1000.0
        return response
