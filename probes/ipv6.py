"""IPv6 reachability of one site, judged by the whole chain (国家IPv6发展监测平台 indicators 1-3, 5-7 and the
timing items; the 授权体系 is in probes/dnsprobe.py).

One ProbeRecord(kind="ipv6", target=home_url) per site; ok = some AAAA address serves the home page with the
IPv4 status and content at least `similarity_threshold` similar. data:

    {"host": str, "url_port": int, "ports_tested": [int],
     "a": [addr], "a_kind": str, "aaaa": [addr], "aaaa_kind": str, "skipped": str ("" when probed),
     "tcp": {"v4": {addr: {port: {"ok", "ms", "error"}}}, "v6": {...}},           # port keys are strings
     "home": {"v4": FetchResult.summary() | None, "v6": {addr: FetchResult.summary()}},
     "comparison": {addr: {"status_v4", "status_v6", "status_equal", "similarity", "similar"}},
     "similarity_threshold": float,
     "links": {"depth2": {"sampled", "v4_ok", "v6_ok", "rate", "failed": [url]}, "depth3": {...},
               "v6_address": addr|None},
     "timings": {"dns_ms": {"v4", "v6"}, "tcp_ms": {"v4", "v6"}, "ttfb_ms": {"v4", "v6"},
                 "total_ms": {"v4", "v6"}}}

`rate` is the share (0-100) of sampled internal links that load over IPv6 among those that load over IPv4
(成功数/总数×100%, with the IPv4 failures left out so a broken link is not blamed on IPv6).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import re
import time
from collections import Counter
from typing import Any
from urllib.parse import urlsplit

from extract.html import parse_page
from netkit.dns import Resolver, ResolveResult
from probes import ProbeRecord
from probes.availability import FetchResult, Limiter, fetch, url_port
from probes.dnsprobe import host_variants

DEFAULTS: dict[str, Any] = {
    "ports": [80, 443],  # Internet.nl's IPv6 web test connects to both
    "timeout_s": 15.0,
    "connect_timeout_s": 5.0,
    "similarity_threshold": 0.90,  # the default; config/scoring.yaml ipv6-support options
    "link_sample": 20,  # links tried per depth
    "depth3_pages": 3,  # depth-2 pages fetched (over IPv4) to find depth-3 links
    "max_addresses": 4,  # AAAA addresses probed per host
}

# ------------------------------------------------------------------------------------------ content similarity

_SCRIPT = re.compile(r"<(script|style)\b[^>]*>.*?</\1\s*>", re.S | re.I)
_VOLATILE_ATTR = re.compile(
    r"""\b([\w:-]*(?:nonce|csrf|xsrf|token|timestamp|signature|sign|random|rnd|session|sessid|viewstate|"""
    r"""eventvalidation|_t|ts)[\w:-]*)\s*=\s*("[^"]*"|'[^']*'|[^\s>]+)""",
    re.I,
)
_HIDDEN_INPUT = re.compile(
    r"""(<input\b[^>]*type\s*=\s*["']?hidden[^>]*\bvalue\s*=\s*)("[^"]*"|'[^']*'|[^\s>]+)""", re.I
)
_QUERY = re.compile(r"""\?[^"'\s<>]*""")
_JSESSION = re.compile(r";jsessionid=[\w.-]+", re.I)
_TIME = re.compile(r"\b\d{1,2}:\d{2}(?::\d{2})?(?:\.\d+)?\b")
_EPOCH = re.compile(r"\b\d{10}(?:\d{3})?\b")
_HEXISH = re.compile(r"\b(?=[A-Za-z0-9+/_-]*\d)(?=[A-Za-z0-9+/_-]*[A-Za-z])[A-Za-z0-9+/_-]{16,}={0,2}")
_TOKEN = re.compile(r"<[^>]*>|[A-Za-z0-9_]+|[^\sA-Za-z0-9_<]")


def normalise(html: str) -> list[str]:
    """The page's tokens after removing what changes on every load (scripts, nonces, tokens, times, queries)."""
    s = _SCRIPT.sub("", html)
    s = _HIDDEN_INPUT.sub(r"\1''", s)
    s = _VOLATILE_ATTR.sub(r"\1=''", s)
    s = _JSESSION.sub("", s)
    s = _QUERY.sub("?", s)
    s = _TIME.sub("T", s)
    s = _EPOCH.sub("N", s)
    s = _HEXISH.sub("X", s)
    return [re.sub(r"\s+", " ", t) for t in _TOKEN.findall(s)]


def similarity(a: str, b: str) -> float:
    """Dice coefficient over 3-token shingles of the normalised pages (1.0 = the same, order-aware, O(n))."""
    ta, tb = normalise(a), normalise(b)
    if not ta and not tb:
        return 1.0
    sa = Counter(tuple(ta[i : i + 3]) for i in range(max(len(ta) - 2, 1)))
    sb = Counter(tuple(tb[i : i + 3]) for i in range(max(len(tb) - 2, 1)))
    common = sum((sa & sb).values())
    return 2 * common / (sum(sa.values()) + sum(sb.values()))


# ------------------------------------------------------------------------------------------ internal links


def internal_links(html: str, page_url: str, hosts: set[str]) -> list[str]:
    """Internal http(s) links of a page (<a>/<area>), in document order, without fragments or duplicates.

    The one link extractor (extract.html) reads the page: it never raises, so a broken href costs that link only.
    """
    out: list[str] = []
    seen: set[str] = set()
    for link in parse_page(html, page_url).links:
        if link.tag not in ("a", "area"):
            continue
        try:
            parts = urlsplit(link.url)
            host = (parts.hostname or "").lower()
        except ValueError:
            continue
        if parts.scheme not in ("http", "https") or host not in hosts:
            continue
        if link.url not in seen:
            seen.add(link.url)
            out.append(link.url)
    return out


# ------------------------------------------------------------------------------------------ the probe


async def tcp_connect(addr: str, port: int, timeout: float) -> dict:
    t0 = time.monotonic()
    try:
        _, writer = await asyncio.wait_for(asyncio.open_connection(addr, port), timeout)
        writer.close()
        return {"ok": True, "ms": round((time.monotonic() - t0) * 1000, 2), "error": None}
    except Exception as exc:  # noqa: BLE001 - recorded as the port's outcome
        kind = (
            "timeout"
            if isinstance(exc, (TimeoutError, asyncio.TimeoutError))
            else ("refused" if isinstance(exc, ConnectionRefusedError) else type(exc).__name__)
        )
        return {"ok": False, "ms": None, "error": kind}


def _min(values: list[float | None]) -> float | None:
    vals = [v for v in values if v is not None]
    return round(min(vals), 2) if vals else None


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


async def _link_rate(
    urls: list[str],
    v4_addr: str | None,
    v6_addr: str | None,
    opts: dict,
    limiter: Limiter | None,
    resolver: Resolver,
) -> dict:
    """Fetch each link over IPv4 and over IPv6 (headers only) and give the IPv6 success share."""
    if not urls:
        return {"sampled": 0, "v4_ok": 0, "v6_ok": 0, "rate": None, "failed": []}
    timeout = float(opts["timeout_s"])

    async def one(url: str) -> tuple[bool, bool]:
        r4 = await fetch(
            url,
            address=v4_addr,
            family=4,
            resolver=resolver,
            timeout=timeout,
            read_body=False,
            limiter=limiter,
        )
        if not r4.ok:
            return False, False
        if v6_addr is None:
            return True, False
        r6 = await fetch(
            url,
            address=v6_addr,
            family=6,
            resolver=resolver,
            timeout=timeout,
            read_body=False,
            limiter=limiter,
        )
        return True, r6.ok

    results = await asyncio.gather(*(one(u) for u in urls))
    v4_ok = sum(1 for a, _ in results if a)
    v6_ok = sum(1 for a, b in results if a and b)
    failed = [u for u, (a, b) in zip(urls, results, strict=True) if a and not b]
    return {
        "sampled": len(urls),
        "v4_ok": v4_ok,
        "v6_ok": v6_ok,
        "rate": round(100.0 * v6_ok / v4_ok, 1) if v4_ok else None,
        "failed": failed[:20],
    }


async def probe_ipv6(
    site_id: str,
    home_url: str,
    *,
    resolver: Resolver,
    options: dict | None = None,
    limiter: Limiter | None = None,
    ipv6_available: bool = True,
    skip_reason: str = "",
    records: tuple[ResolveResult, ResolveResult] | None = None,
) -> ProbeRecord:
    opts = {**DEFAULTS, **(options or {})}
    at = _now()
    t0 = time.monotonic()
    host = (urlsplit(home_url).hostname or "").lower()
    port = url_port(home_url)
    ports = sorted({int(p) for p in opts["ports"]} | {port})
    if records is None:
        a, aaaa = await asyncio.gather(resolver.aresolve(host, "A"), resolver.aresolve(host, "AAAA"))
    else:
        a, aaaa = records
    a_addrs = list(a.addresses)[: opts["max_addresses"]]
    v6_addrs = list(aaaa.addresses)[: opts["max_addresses"]]
    data: dict[str, Any] = {
        "host": host,
        "url_port": port,
        "ports_tested": ports,
        "a": list(a.addresses),
        "a_kind": a.kind,
        "aaaa": list(aaaa.addresses),
        "aaaa_kind": aaaa.kind,
        "skipped": "",
        "tcp": {"v4": {}, "v6": {}},
        "home": {"v4": None, "v6": {}},
        "comparison": {},
        "similarity_threshold": float(opts["similarity_threshold"]),
        "links": {"depth2": None, "depth3": None, "v6_address": None},
        "timings": {"dns_ms": {"v4": round(a.elapsed_ms, 2), "v6": round(aaaa.elapsed_ms, 2)}},
    }
    if not ipv6_available:
        data["skipped"] = skip_reason or "inspector has no working IPv6"
        return ProbeRecord(site_id, "ipv6", home_url, at, False, (time.monotonic() - t0) * 1000, data)
    ctimeout = float(opts["connect_timeout_s"])
    timeout = float(opts["timeout_s"])

    async def tcp_all(fam: str, addrs: list[str]) -> None:
        pairs = [(ad, p) for ad in addrs for p in ports]
        outs = await asyncio.gather(*(tcp_connect(ad, p, ctimeout) for ad, p in pairs))
        for (ad, p), out in zip(pairs, outs, strict=True):
            data["tcp"][fam].setdefault(ad, {})[str(p)] = out

    fetch_v6 = [
        fetch(home_url, address=ad, family=6, resolver=resolver, timeout=timeout, limiter=limiter)
        for ad in v6_addrs
    ]
    fetch_v4 = (
        fetch(home_url, address=a_addrs[0], family=4, resolver=resolver, timeout=timeout, limiter=limiter)
        if a_addrs
        else asyncio.sleep(0, None)
    )
    _, _, home4, *homes6 = await asyncio.gather(
        tcp_all("v4", a_addrs), tcp_all("v6", v6_addrs), fetch_v4, *fetch_v6
    )
    home4: FetchResult | None
    data["home"]["v4"] = home4.summary() if home4 else None
    text4 = home4.text() if home4 is not None and home4.ok else None
    threshold = float(opts["similarity_threshold"])
    serving: list[str] = []
    for ad, h6 in zip(v6_addrs, homes6, strict=True):
        data["home"]["v6"][ad] = h6.summary()
        comp: dict[str, Any] = {
            "status_v4": home4.status if home4 else None,
            "status_v6": h6.status,
            "status_equal": bool(home4 and home4.status == h6.status),
            "similarity": None,
            "similar": None,
        }
        if text4 is not None and h6.ok:
            sim = similarity(text4, h6.text())
            comp["similarity"] = round(sim, 4)
            comp["similar"] = sim >= threshold
        data["comparison"][ad] = comp
        if h6.ok and (text4 is None or (comp["status_equal"] and comp["similar"])):
            serving.append(ad)
    # Link support rates: over the first AAAA address that serves the home page (else the first one at all).
    v6_for_links = next((ad for ad, h6 in zip(v6_addrs, homes6, strict=True) if h6.ok), None)
    if v6_for_links is None and v6_addrs:
        v6_for_links = v6_addrs[0]
    data["links"]["v6_address"] = v6_for_links
    if text4 is not None and home4 is not None:
        hosts = set(host_variants(host)) | {(urlsplit(home4.final_url).hostname or "").lower()}
        final = home4.final_url
        depth2_all = [u for u in internal_links(text4, final, hosts) if u not in (home_url, final)]
        depth2 = depth2_all[: opts["link_sample"]]
        depth3_all: list[str] = []
        pages = await asyncio.gather(
            *(
                fetch(u, address=a_addrs[0], family=4, resolver=resolver, timeout=timeout, limiter=limiter)
                for u in depth2[: opts["depth3_pages"]]
            )
        )
        seen = set(depth2_all) | {home_url, final}
        for pg in pages:
            if pg.ok and "html" in pg.headers.get("content-type", "text/html"):
                for u in internal_links(pg.text(), pg.final_url, hosts):
                    if u not in seen:
                        seen.add(u)
                        depth3_all.append(u)
        depth3 = depth3_all[: opts["link_sample"]]
        r2, r3 = await asyncio.gather(
            _link_rate(depth2, a_addrs[0], v6_for_links, opts, limiter, resolver),
            _link_rate(depth3, a_addrs[0], v6_for_links, opts, limiter, resolver),
        )
        data["links"]["depth2"], data["links"]["depth3"] = r2, r3
    best6 = next((h for ad, h in zip(v6_addrs, homes6, strict=True) if ad in serving), None) or (
        homes6[0] if homes6 else None
    )
    tcp4 = [o["ms"] for ports_ in data["tcp"]["v4"].values() for p, o in ports_.items() if int(p) == port]
    tcp6 = [o["ms"] for ports_ in data["tcp"]["v6"].values() for p, o in ports_.items() if int(p) == port]
    data["timings"].update(
        {
            "tcp_ms": {"v4": _min(tcp4), "v6": _min(tcp6)},
            "ttfb_ms": {
                "v4": home4.ttfb_ms and round(home4.ttfb_ms, 2) if home4 else None,
                "v6": best6.ttfb_ms and round(best6.ttfb_ms, 2) if best6 else None,
            },
            "total_ms": {
                "v4": home4.total_ms and round(home4.total_ms, 2) if home4 else None,
                "v6": best6.total_ms and round(best6.total_ms, 2) if best6 else None,
            },
        }
    )
    return ProbeRecord(site_id, "ipv6", home_url, at, bool(serving), (time.monotonic() - t0) * 1000, data)
