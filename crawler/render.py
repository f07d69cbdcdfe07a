"""LazyPlaywrightHandler: the browser download handler, started only when a page of the site needs it.

scrapy-playwright starts Playwright (a Node driver process) for every crawler when its engine starts. With
hundreds of sites in flight (network.sites_at_once) that is hundreds of Node processes for sites that mostly
never render a page: they took the machine's memory and CPU and starved every crawl into its time budget
(tests/test_faultweb.py with 40 sites at once). Here Playwright starts on the first request that carries
meta["playwright"]; every other request goes through Scrapy's plain HTTP/1.1 handler as before.
"""

from __future__ import annotations

import asyncio
from typing import Any

from scrapy_playwright.handler import ScrapyPlaywrightDownloadHandler


class LazyPlaywrightHandler(ScrapyPlaywrightDownloadHandler):
    def __init__(self, crawler: Any) -> None:
        super().__init__(crawler)
        self._started = False
        self._start_lock = asyncio.Lock()

    async def _maybe_launch_in_thread(self) -> None:
        """engine_started: nothing yet (the parent would start Playwright here)."""

    async def download_request(self, request: Any) -> Any:  # type: ignore[override]
        if request.meta.get("playwright") and not self._started:
            async with self._start_lock:
                if not self._started:
                    await self._maybe_future_from_coro(self._launch())
                    self._started = True
        return await super().download_request(request)
