"""Crawl the sites of one stored run: `python -m crawler.run --db URL --run ID` (or `--db-stdin`: the URL on stdin).

Runs in its own process (started by govaudit.pipeline): Twisted's reactor starts once per process, a crawler
crash cannot take the orchestrator down with it, and a crawl killed with SIGKILL leaves a run that
`govaudit inspect --resume` picks up. Progress goes to stdout as one JSON object per line.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from typing import Any

from scrapy.crawler import Crawler, CrawlerProcess
from scrapy.settings import Settings
from sqlalchemy import func, select
from twisted.internet import defer, task

from crawler import pipelines
from crawler import settings as base_settings
from crawler.resolver import DnsLookup, GovResolver
from crawler.spiders.site import SiteSpider, canonical
from govconfig.sites import config_from_snapshot
from store.db import Store
from store.models import Link, Page, Run, RunSite, utcnow


def emit(**event: Any) -> None:
    sys.stdout.write(json.dumps(event, ensure_ascii=False) + "\n")
    sys.stdout.flush()


def site_settings(site: dict[str, Any], render: bool) -> Settings:
    s = Settings()
    s.setmodule(base_settings, priority="project")
    lim = site["limits"]
    s.set("CONCURRENT_REQUESTS_PER_DOMAIN", max(1, int(lim["concurrency_per_host"])), priority="spider")
    s.set("DOWNLOAD_DELAY", float(lim["delay_s"]), priority="spider")
    s.set("AUTOTHROTTLE_ENABLED", float(lim["delay_s"]) > 0, priority="spider")
    s.set("AUTOTHROTTLE_START_DELAY", max(float(lim["delay_s"]), 0.01), priority="spider")
    s.set("DOWNLOAD_TIMEOUT", float(lim["timeout_s"]), priority="spider")
    s.set("ROBOTSTXT_OBEY", bool(lim["obey_robots"]), priority="spider")
    s.set("DOWNLOAD_MAXSIZE", int(lim["max_page_bytes"]), priority="spider")
    s.set("CLOSESPIDER_TIMEOUT", float(lim["max_seconds"]), priority="spider")
    if render:
        s.set(
            "DOWNLOAD_HANDLERS",
            {
                **base_settings.DOWNLOAD_HANDLERS,
                # Playwright starts only if a page of this site needs the browser (crawler/render.py).
                "http": "crawler.render.LazyPlaywrightHandler",
                "https": "crawler.render.LazyPlaywrightHandler",
            },
            priority="spider",
        )
        s.set(
            "PLAYWRIGHT_LAUNCH_OPTIONS",
            {
                "executable_path": chromium_launcher(),
                "headless": True,
                "args": [*base_settings.CHROMIUM_ARGS, host_rules(site)],
            },
            priority="spider",
        )
        s.set("PLAYWRIGHT_DEFAULT_NAVIGATION_TIMEOUT", float(lim["timeout_s"]) * 1000, priority="spider")
        s.set("PLAYWRIGHT_MAX_PAGES_PER_CONTEXT", 4, priority="spider")
        # Only the page itself: images, fonts and media are not needed to read a list.
        s.set("PLAYWRIGHT_ABORT_REQUEST", _abort_request, priority="spider")
    return s


def chromium_launcher() -> str:
    """The browser executable for Playwright: the unprivileged launcher where it can drop root (setpriv), else
    Chromium itself."""
    import shutil

    launcher = base_settings.CHROMIUM_LAUNCHER
    if os.access(launcher, os.X_OK) and (os.geteuid() != 0 or shutil.which("setpriv")):
        return launcher
    return base_settings.CHROMIUM_PATH


def _abort_request(request: Any) -> bool:
    # Only http(s) leaves the browser: no file:, ftp: or ws: request from a crawled page.
    if not request.url.lower().startswith(("http://", "https://", "data:", "blob:")):
        return True
    return request.resource_type in ("image", "media", "font", "websocket")


def host_rules(site: dict[str, Any]) -> str:
    """Chromium does not use our resolver: map the site's hosts to the addresses our resolver (with its private
    address guard) gave, and every other name to nothing, so the browser reaches no other host."""
    rules = []
    lookup = GovResolver.lookup
    for host in site.get("hosts") or []:
        if lookup is None:
            break
        res = lookup.lookup(host)
        if res.addresses:
            ip = res.addresses[0]
            rules.append(f"MAP {host} [{ip}]" if ":" in ip else f"MAP {host} {ip}")
    rules.append("MAP * ~NOTFOUND")
    return "--host-resolver-rules=" + ", ".join(rules)


def resume_state(
    store: Store, run_id: int, site_id: str, home: str
) -> tuple[list[str], list[tuple[str, int]]]:
    """Pages already stored for a site, and the frontier: internal links of those pages not yet stored."""
    with store.session() as s:
        pages = s.execute(
            select(Page.url, Page.depth).where(Page.run_id == run_id, Page.site_id == site_id)
        ).all()
        if not pages:
            return [], []
        depth_of = {u: d for u, d in pages}
        links = s.execute(
            select(Link.source_url, Link.target_url).where(
                Link.run_id == run_id, Link.site_id == site_id, Link.internal.is_(True)
            )
        ).all()
    frontier: dict[str, int] = {}
    for source, target in links:
        t = canonical(target)
        if t not in depth_of and t not in frontier:
            frontier[t] = depth_of.get(source, 0) + 1
    if home not in depth_of:
        frontier.setdefault(home, 0)
    return list(depth_of), sorted(frontier.items(), key=lambda kv: kv[1])


def die_with_parent() -> None:
    """The crawl belongs to the `govaudit` process that started it: when that one is killed, this one goes too,
    so a resumed run never crawls next to an orphan of the interrupted one (twice-stored pages, lost rows)."""
    if not sys.platform.startswith("linux"):
        return
    try:
        import ctypes
        import signal

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        return
    if os.getppid() == 1:  # the parent died before the line above
        os._exit(1)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="crawler.run")
    db = ap.add_mutually_exclusive_group(required=True)
    db.add_argument("--db")
    db.add_argument(
        "--db-stdin", action="store_true", help="read the database URL from the first line of stdin"
    )
    ap.add_argument("--run", type=int, required=True)
    ap.add_argument(
        "--site",
        action="append",
        default=[],
        metavar="ID",
        help="only these sites of the run (a worker's job is one site)",
    )
    ap.add_argument(
        "--sites-at-once",
        type=int,
        default=0,
        help="sites crawled at the same time (default: network.sites_at_once of the run's config)",
    )
    args = ap.parse_args(argv)
    die_with_parent()

    # govaudit.pipeline passes the URL on stdin: a password in it never shows in `ps`. The run to crawl exists,
    # so whoever made it (the CLI, a worker, the console) has brought the schema up to date: no migration check
    # here (importing alembic and checking took half a second of every site job, bench/README.md).
    store = Store(sys.stdin.readline().strip() if args.db_stdin else args.db, migrate=False)
    with store.session() as s:
        run = s.get(Run, args.run)
        if run is None:
            emit(event="error", message=f"没有编号为 {args.run} 的检查")
            return 2
        config = config_from_snapshot(run.config)
        as_of = run.as_of
        wanted = list(run.site_ids)
        states = {rs.site_id: rs for rs in s.scalars(select(RunSite).where(RunSite.run_id == args.run))}
    sites = [
        site
        for site in config.sites
        if site.id in wanted
        and states.get(site.id) is not None
        and states[site.id].status != "done"
        and (not args.site or site.id in args.site)
    ]
    # The bound on sites in flight: configured (network.sites_at_once), by default sized to the machine's cores.
    sites_at_once = args.sites_at_once or config.network.concurrent_sites()
    GovResolver.lookup = DnsLookup(config.network.nameservers, config.network.allow_private)
    pipelines.STORE, pipelines.RUN_ID = store, args.run
    chromium = os.access(base_settings.CHROMIUM_PATH, os.X_OK)

    # Site crawlers are built here with their own settings, so the asyncio reactor that scrapy-playwright needs
    # must be installed before any of them.
    from scrapy.utils.reactor import install_reactor

    install_reactor(base_settings.TWISTED_REACTOR)
    process_settings = Settings()
    process_settings.setmodule(base_settings, priority="project")
    process = CrawlerProcess(process_settings, install_root_handler=False)
    crawlers: dict[str, Crawler] = {}
    sem = defer.DeferredSemaphore(max(1, sites_at_once))

    def mark(site_id: str, **fields: Any) -> None:
        with store.session() as s:
            rs = s.scalar(select(RunSite).where(RunSite.run_id == args.run, RunSite.site_id == site_id))
            if rs is not None:
                for k, v in fields.items():
                    setattr(rs, k, v)

    def crawl_one(site: Any) -> defer.Deferred:
        d = site.as_dict()
        d["limits"] = {**d["limits"]}
        render = d["limits"]["render_js"] != "never" and chromium
        seen, frontier = resume_state(store, args.run, site.id, canonical(site.url))
        crawler = Crawler(SiteSpider, site_settings(d, render))
        mark(site.id, status="crawling", started=utcnow())
        emit(event="site_start", site=site.id, max=site.limits.max_pages, resumed=len(seen))
        dfd = process.crawl(crawler, site=d, as_of=as_of, seen=seen, frontier=frontier, render=render)

        def finished(result: Any) -> Any:
            spider = crawler.spider
            n = spider.scheduled if spider is not None else 0
            with store.session() as s:
                count = s.scalar(
                    select(func.count(Page.id)).where(Page.run_id == args.run, Page.site_id == site.id)
                )
            reason = ""
            if spider is not None and spider.crawler.stats:
                reason = str(spider.crawler.stats.get_value("finish_reason") or "")
            mark(site.id, status="done", finished=utcnow(), pages=count, message=reason)
            emit(event="site_done", site=site.id, pages=count, scheduled=n, reason=reason)
            crawlers.pop(site.id, None)  # a finished site keeps nothing in memory
            return result

        def failed(failure: Any) -> None:
            mark(site.id, status="failed", finished=utcnow(), message=str(failure.value)[:2000])
            emit(event="site_failed", site=site.id, message=str(failure.value))
            crawlers.pop(site.id, None)

        dfd.addCallbacks(finished, failed)
        crawlers[site.id] = crawler
        return dfd

    def progress() -> None:
        for site_id, crawler in list(crawlers.items()):
            spider = getattr(crawler, "spider", None)
            if spider is not None:
                emit(
                    event="progress",
                    site=site_id,
                    pages=spider.stored,
                    scheduled=spider.scheduled,
                    max=spider.max_pages,
                )

    from twisted.internet import reactor

    loop = task.LoopingCall(progress)
    all_done = defer.DeferredList([sem.run(crawl_one, site) for site in sites], consumeErrors=True)

    def stop(_: Any) -> None:
        if loop.running:
            loop.stop()
        progress()
        if reactor.running:  # type: ignore[attr-defined]
            reactor.stop()  # type: ignore[attr-defined]

    all_done.addBoth(stop)
    if not sites:
        emit(event="done", sites=0)
        return 0
    reactor.callWhenRunning(lambda: loop.start(0.5, now=False))  # type: ignore[attr-defined]
    started = time.monotonic()
    process.start(stop_after_crawl=False, install_signal_handlers=True)
    emit(
        event="done",
        sites=len(sites),
        seconds=round(time.monotonic() - started, 2),
        sites_at_once=sites_at_once,
    )
    store.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
