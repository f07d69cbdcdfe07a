"""Downloader middlewares: timing of each fetch, the host and scheme guard that keeps a crawl inside its site, and
the forwarding-page follower."""

from __future__ import annotations

import time
from urllib.parse import urlsplit

from scrapy.downloadermiddlewares.redirect import BaseRedirectMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.http import TextResponse

from extract.html import forward_target


class OffsiteHostError(IgnoreRequest):
    """A request (usually a redirect) to a host outside the site's configured names."""


class SchemeRefusedError(IgnoreRequest):
    """A request whose scheme is not http or https (file:, ftp:, s3:, data: ...): never fetched."""


ALLOWED_SCHEMES = ("http", "https")


class HostGuardMiddleware:
    """Keeps a crawl inside its site's configured host names, and every request on http/https.

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
        scheme = urlsplit(request.url).scheme.lower()
        if scheme not in ALLOWED_SCHEMES:
            # Links, pagination, redirects, forwarding pages and link checks all pass here.
            raise SchemeRefusedError(
                f"{scheme or '无'} 协议的地址不访问（只访问 http/https）：{request.url[:300]}"
            )
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


class ForwardMiddleware(BaseRedirectMiddleware):
    """Follows forwarding pages like redirects: ``<meta http-equiv="refresh" content="0;url=./list/">`` and a
    one-line script redirect (extract.html.forward_target says which pages are such). The followed request goes
    through the same guards as a redirect (scheme, host, address, REDIRECT_MAX_TIMES) and carries the reason
    ("meta-refresh" | "script") in meta["redirect_reasons"], so the stored page records how it was reached.
    """

    enabled_setting = "REDIRECT_ENABLED"

    def handle_referer(self, request, response):  # type: ignore[no-untyped-def]
        request.headers.pop("Referer", None)

    def _engine_started(self) -> None:  # no RefererMiddleware lookup (and no warning about it)
        return None

    def process_response(self, request, response, spider=None):  # type: ignore[no-untyped-def]
        if (
            request.meta.get("dont_redirect")
            or request.method == "HEAD"
            or not isinstance(response, TextResponse)
            or response.status >= 300
            or len(response.body) > FORWARD_MAX_BYTES
        ):
            return response
        ctype = response.headers.get("Content-Type", b"").decode("latin-1").lower()
        if ctype and "html" not in ctype:
            return response
        try:
            text = response.text
        except Exception:  # noqa: BLE001 - undecodable: not a forwarding page
            return response
        found = forward_target(text, response.url)
        if found is None:
            return response
        reason, target = found
        spider = getattr(self.crawler, "spider", None)
        knows = getattr(spider, "knows", None)
        if knows is not None and not request.meta.get("linkcheck") and knows(target, request.url):
            # The target is crawled as a page of its own already: the forwarding page stays what it is.
            return response
        redirected = self._build_redirect_request(request, response, url=target, method="GET", body=b"")
        return self._redirect(redirected, request, reason)


FORWARD_MAX_BYTES = 2 * 1024 * 1024  # a forwarding page is small; a big page is read as what it is
