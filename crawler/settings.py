"""Scrapy settings shared by every site crawl; per-site limits are applied by crawler.run from sites.yaml."""

from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

try:
    TOOL_VERSION = version("govaudit")
except PackageNotFoundError:  # running from a checkout without install
    TOOL_VERSION = "0.0.0"

BOT_NAME = "govaudit"
SPIDER_MODULES = ["crawler.spiders"]
NEWSPIDER_MODULE = "crawler.spiders"

# An identifying User-Agent: a webmaster who sees us in the logs knows who we are and why.
USER_AGENT = f"govaudit/{TOOL_VERSION} (+政府网站检查; 九江市政务公开办)"

ROBOTSTXT_OBEY = True
CONCURRENT_REQUESTS = 32
CONCURRENT_REQUESTS_PER_DOMAIN = 2
DOWNLOAD_DELAY = 0.5
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 0.5
AUTOTHROTTLE_MAX_DELAY = 10
DOWNLOAD_TIMEOUT = 15
RETRY_ENABLED = True
RETRY_TIMES = 1
DOWNLOAD_MAXSIZE = 10 * 1024 * 1024
DOWNLOAD_WARNSIZE = 0
REDIRECT_MAX_TIMES = 10
METAREFRESH_ENABLED = False

# Breadth first.
DEPTH_PRIORITY = 1
SCHEDULER_DISK_QUEUE = "scrapy.squeues.PickleFifoDiskQueue"
SCHEDULER_MEMORY_QUEUE = "scrapy.squeues.FifoMemoryQueue"

# Scrapy 2.19 turns on a remote-control HTTP extension and the telnet console by default; an inspection tool
# that crawls untrusted sites must not run either.
REMOTE_CONTROL_ENABLED = False
TELNETCONSOLE_ENABLED = False
# Extensions that are off or have nothing to do here are not even loaded: every site job starts a crawl process,
# and importing them (aiohttp for the remote control, the feed exporters) was a few tenths of a second of each.
EXTENSIONS = {
    "scrapy.extensions.remote_control.RemoteControl": None,
    "scrapy.extensions.telnet.TelnetConsole": None,
    "scrapy.extensions.memdebug.MemoryDebugger": None,
    "scrapy.extensions.feedexport.FeedExporter": None,  # items go to crawler.pipelines, never to a feed
    "scrapy.extensions.spiderstate.SpiderState": None,  # no JOBDIR
}

# Crawled content leads to http and https requests only: a "下一页" link to file:///etc/passwd or ftp:// is
# never fetched (crawler.middlewares.HostGuardMiddleware refuses it first; with these handlers off nothing could
# fetch it anyway).
DOWNLOAD_HANDLERS = {"file": None, "ftp": None, "s3": None, "data": None}

# http_proxy/https_proxy in the environment would hand every request, private targets included, to a proxy that
# resolves and connects past our address guard. No proxy is used.
HTTPPROXY_ENABLED = False

# Cookies are not kept: every request goes out without a session from another site.
COOKIES_ENABLED = False

TWISTED_DNS_RESOLVER = "crawler.resolver.GovResolver"
DNS_TIMEOUT = 10

ITEM_PIPELINES = {"crawler.pipelines.StorePipeline": 300}
# Forwarding pages (meta refresh, one-line script redirects) are followed like redirects by ForwardMiddleware,
# next to Scrapy's redirect middleware (600); Scrapy's own meta-refresh middleware stays off.
DOWNLOADER_MIDDLEWARES = {
    "crawler.middlewares.HostGuardMiddleware": 50,
    "crawler.middlewares.ForwardMiddleware": 580,
    "crawler.middlewares.TimingMiddleware": 950,
}
# The spider keeps its own set of seen pages. Scrapy's duplicate filter would silently drop a redirect to a URL
# already asked for (a redirect loop, /old -> /new when /new was crawled): no page, no failure, nothing stored.
DUPEFILTER_CLASS = "scrapy.dupefilters.BaseDupeFilter"

TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
LOG_LEVEL = "WARNING"
REQUEST_FINGERPRINTER_IMPLEMENTATION = "2.7"
HTTPERROR_ALLOW_ALL = True  # the spider stores 4xx/5xx pages as what they are

PLAYWRIGHT_BROWSER_TYPE = "chromium"
CHROMIUM_PATH = "/usr/bin/chromium"
# What Playwright starts: Chromium, dropped to nobody when govaudit runs as root (crawler/chromium-unprivileged).
CHROMIUM_LAUNCHER = str(Path(__file__).with_name("chromium-unprivileged"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--headless",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    # No proxy from the environment (it would resolve past --host-resolver-rules and the address guard).
    "--no-proxy-server",
    # No WebRTC traffic: a rendered page could otherwise send STUN/UDP to any address, past the host rules.
    "--force-webrtc-ip-handling-policy=disable_non_proxied_udp",
    "--webrtc-ip-handling-policy=disable_non_proxied_udp",
    "--enforce-webrtc-ip-permission-check",
]
