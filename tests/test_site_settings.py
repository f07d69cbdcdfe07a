"""Every per-site setting that sites.yaml accepts is applied: each one, set for one site only, changes what the
crawler or the probes do for that site (and for no other)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import http.server
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from crawler.run import site_settings
from crawler.spiders.site import SiteSpider
from govconfig.sites import LIMIT_TYPES, CrawlLimits, load_config
from probes.runner import availability_options, run_probes

AS_OF = dt.date(2021, 12, 20)
BASE = dataclasses.asdict(CrawlLimits())


def _site(**limits: Any) -> dict[str, Any]:
    return {
        "id": "a",
        "name": "甲",
        "url": "http://a.example.test/",
        "level": "county",
        "unit": "办公室",
        "hosts": ["a.example.test"],
        "limits": {**BASE, **limits},
    }


def _setting(name: str) -> Callable[[dict[str, Any]], Any]:
    return lambda site: site_settings(site, render=False).get(name)


def _spider(attr: str) -> Callable[[dict[str, Any]], Any]:
    return lambda site: getattr(SiteSpider(site=site, as_of=AS_OF, render=True), attr)


def _probe(key: str) -> Callable[[dict[str, Any]], Any]:
    return lambda site: availability_options(
        site, {"availability": {"probe_count": 3, "probe_interval_s": 60.0, "timeout_s": 15.0}}
    )[key]


# setting -> (another value, what shows it for the site)
APPLIED: dict[str, tuple[Any, Callable[[dict[str, Any]], Any]]] = {
    "max_pages": (7, _spider("max_pages")),
    "max_depth": (2, _spider("max_depth")),
    "concurrency_per_host": (5, _setting("CONCURRENT_REQUESTS_PER_DOMAIN")),
    "delay_s": (2.5, _setting("DOWNLOAD_DELAY")),
    "timeout_s": (4.0, _setting("DOWNLOAD_TIMEOUT")),
    "render_js": ("always", _spider("render_js")),
    "obey_robots": (False, _setting("ROBOTSTXT_OBEY")),
    "max_page_bytes": (1234, _setting("DOWNLOAD_MAXSIZE")),
    "max_seconds": (99.0, _setting("CLOSESPIDER_TIMEOUT")),
    "probe_count": (1, _probe("probe_count")),
    "probe_interval_s": (0.5, _probe("probe_interval_s")),
    "probe_timeout_s": (3.0, _probe("timeout_s")),
    "link_check": (False, _spider("link_check")),
    "max_link_checks": (9, _spider("max_link_checks")),
    "max_links_per_page": (77, _spider("max_links_per_page")),
    "max_links_per_site": (88, _spider("max_links_per_site")),
}


def test_every_accepted_setting_has_its_application_here():
    assert set(APPLIED) == set(LIMIT_TYPES) == {f.name for f in dataclasses.fields(CrawlLimits)}


@pytest.mark.parametrize("name", sorted(APPLIED))
def test_a_site_setting_changes_what_is_done_for_that_site(name):
    value, observe = APPLIED[name]
    assert value != BASE[name]
    default, changed = observe(_site()), observe(_site(**{name: value}))
    assert changed != default
    assert changed == value or (name, changed) == ("delay_s", 2.5)


def test_per_site_limits_of_sites_yaml_reach_the_site(tmp_path):
    """sites.yaml: defaults, then the site's own limits; only that site gets them."""
    path = tmp_path / "sites.yaml"
    path.write_text(
        "defaults:\n  probe_count: 2\nsites:\n"
        "  - id: a\n    name: 甲\n    url: http://a.example.test/\n    level: county\n    unit: 办公室\n"
        "    probe_count: 1\n    probe_timeout_s: 3\n    max_pages: 7\n"
        "  - id: b\n    name: 乙\n    url: http://b.example.test/\n    level: county\n    unit: 办公室\n",
        encoding="utf-8",
    )
    config = load_config(path)
    a, b = (config.site(x).as_dict() for x in ("a", "b"))
    assert _probe("probe_count")(a) == 1 and _probe("probe_count")(b) == 2
    assert _probe("timeout_s")(a) == 3.0 and _probe("timeout_s")(b) == 15.0
    assert _spider("max_pages")(a) == 7 and _spider("max_pages")(b) == 500


class _Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        if self.path.startswith("/slow"):
            time.sleep(0.8)
        try:
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.end_headers()
            self.wfile.write(b"<html><body>ok</body></html>")
        except OSError:
            pass  # the probe gave up first (its timeout): nothing to answer

    do_HEAD = do_GET

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def loopback() -> Iterator[int]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


def test_probe_settings_per_site_on_real_probes(loopback):
    """Two sites in one probe run, each with its own probe_count, probe_interval_s and probe_timeout_s."""
    fast = _site(probe_count=1, probe_interval_s=0.0, probe_timeout_s=5.0)
    fast.update(id="fast", url=f"http://127.0.0.1:{loopback}/")
    slow = _site(probe_count=2, probe_interval_s=0.4, probe_timeout_s=0.3)
    slow.update(id="slow", url=f"http://127.0.0.1:{loopback}/slow")
    _, records = run_probes(
        [fast, slow],
        nameservers=["127.0.0.1:9"],
        allow_private=True,
        options={
            "kinds": ["availability"],
            "dns_timeout_s": 0.3,
            "availability": {"probe_count": 3, "probe_interval_s": 0.0, "timeout_s": 15.0},
        },
    )
    by_site = {
        sid: sorted((r for r in records if r.site_id == sid), key=lambda r: r.at) for sid in ("fast", "slow")
    }
    assert len(by_site["fast"]) == 1 and len(by_site["slow"]) == 2  # probe_count
    assert by_site["fast"][0].ok and by_site["fast"][0].data["timeout_s"] == 5.0
    assert all(
        not r.ok and r.data["error_kind"] == "timeout" for r in by_site["slow"]
    )  # probe_timeout_s: 0.3 s
    assert all(r.data["timeout_s"] == 0.3 for r in by_site["slow"])
    gap = (by_site["slow"][1].at - by_site["slow"][0].at).total_seconds()
    assert gap >= 0.4  # probe_interval_s
