"""The baseline: a bare Scrapy spider that only follows links, with govaudit's politeness.

Same as `govaudit crawl` where it matters for speed: 2 requests at a time per host, no delay, robots.txt obeyed,
breadth first, the same name resolver (crawler.resolver.GovResolver over the configured name servers), every
site of the config crawled at once in one process. It stores nothing and parses nothing but links.

    python bench/bare_spider.py CONFIG.yaml      # prints {"pages": N, "seconds": S} as JSON on the last line
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import scrapy  # noqa: E402
from scrapy.crawler import CrawlerProcess  # noqa: E402

from crawler.resolver import DnsLookup, GovResolver  # noqa: E402
from govaudit.config import load_config  # noqa: E402


class BareSpider(scrapy.Spider):
    name = "bare"

    def __init__(self, urls: list[str], **kwargs: object):
        super().__init__(**kwargs)
        self.start_urls = urls
        self.allowed = {urlsplit(u).hostname for u in urls}
        self.pages = 0

    def parse(self, response):  # type: ignore[no-untyped-def]
        self.pages += 1
        if not isinstance(response, scrapy.http.TextResponse):
            return
        for href in response.css("a::attr(href)").getall():
            url = response.urljoin(href)
            if urlsplit(url).hostname in self.allowed:
                yield scrapy.Request(url, callback=self.parse)


def main(argv: list[str]) -> int:
    config = load_config(argv[0])
    GovResolver.lookup = DnsLookup(config.network.nameservers, config.network.allow_private)
    urls = [s.url for s in config.sites]
    process = CrawlerProcess({
        "ROBOTSTXT_OBEY": True,
        "CONCURRENT_REQUESTS": max(32, 2 * len(urls)),  # only the per-host limit binds
        "CONCURRENT_REQUESTS_PER_DOMAIN": 2,
        "DOWNLOAD_DELAY": 0,
        "DEPTH_PRIORITY": 1,
        "SCHEDULER_DISK_QUEUE": "scrapy.squeues.PickleFifoDiskQueue",
        "SCHEDULER_MEMORY_QUEUE": "scrapy.squeues.FifoMemoryQueue",
        "TWISTED_DNS_RESOLVER": "crawler.resolver.GovResolver",
        "TWISTED_REACTOR": "twisted.internet.asyncioreactor.AsyncioSelectorReactor",
        "REMOTE_CONTROL_ENABLED": False,
        "TELNETCONSOLE_ENABLED": False,
        "COOKIES_ENABLED": False,
        "LOG_LEVEL": "WARNING",
        "USER_AGENT": "govaudit-bench-bare",
    }, install_root_handler=False)
    crawler = process.create_crawler(BareSpider)
    started = time.monotonic()
    process.crawl(crawler, urls=urls)
    process.start()
    seconds = time.monotonic() - started
    print(json.dumps({"pages": crawler.spider.pages, "seconds": round(seconds, 3)}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
