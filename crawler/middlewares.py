"""Downloader middlewares: timing of each fetch, and the host guard that keeps a crawl inside its site."""

from __future__ import annotations

import time
from urllib.parse import urlsplit

from scrapy.exceptions import IgnoreRequest


class OffsiteHostError(IgnoreRequest):
    """A request (usually a redirect) to a host outside the site's configured names."""


class TimingMiddleware:
    """Records when a request left, so the page row can carry its fetch time; guards the site's hosts.

    Redirects come back through process_request, so a redirect to another host is stopped here too (the
    link checker's single requests to off-site targets carry meta["linkcheck"] and are let through).
    """

    def process_request(self, request, spider=None):  # type: ignore[no-untyped-def]
        request.meta.setdefault("govaudit_start", time.monotonic())
        hosts = getattr(spider, "hosts", None)
        if hosts and not request.meta.get("linkcheck"):
            host = (urlsplit(request.url).hostname or "").lower()
            if host not in hosts:
                raise OffsiteHostError(f"跳转到站外主机 {host}，未跟随：{request.url}")
        return None

    def process_response(self, request, response, spider=None):  # type: ignore[no-untyped-def]
        start = request.meta.get("govaudit_start")
        if start is not None:
            request.meta["govaudit_fetch_ms"] = (time.monotonic() - start) * 1000.0
        return response
