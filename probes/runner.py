"""Run every probe for a list of sites: our own side first, then per site availability, DNS and IPv6.

    env, records = await probe_sites(sites, nameservers=["127.0.0.1:5353"], allow_private=True, options={})
    env, records = run_probes(sites, nameservers=[], allow_private=False, options=opts)   # sync wrapper

`sites`: dicts with keys id, url, level and optional hosts (extra host names to resolve). `env` is the run
environment from probes.selfcheck (store it on Run.environment); each ProbeRecord maps 1:1 onto
store.models.ProbeRow. Options (all optional; `DEFAULT_OPTIONS` shows every key):

    kinds: which probes ("availability", "dns", "ipv6"); concurrency: sites probed at once;
    connections / per_host: open HTTP connections overall / per host name; dns_timeout_s: lifetime of one
    lookup; ipv6_reference: self-check target ("dns:[addr]:port" | "tcp:[addr]:port");
    availability: {probe_count, probe_interval_s, timeout_s}; ipv6: probes.ipv6.DEFAULTS keys.

When the self-check finds no working IPv6 (or no answering resolver) the IPv6 connections are skipped for
every site (the ipv6 record carries `skipped`), and the ipv6-support check reports not_tested.
"""

from __future__ import annotations

import asyncio
import copy
from typing import Any
from urllib.parse import urlsplit

from netkit.dns import Resolver, ResolveResult
from probes import ProbeRecord
from probes.availability import MAX_BODY, Limiter, probe_availability
from probes.dnsprobe import host_variants, probe_ns, probe_records
from probes.ipv6 import DEFAULTS as IPV6_DEFAULTS
from probes.ipv6 import probe_ipv6
from probes.selfcheck import self_check

DEFAULT_OPTIONS: dict[str, Any] = {
    "kinds": ["availability", "dns", "ipv6"],
    "concurrency": 32,  # sites at once
    "connections": 64,  # HTTP connections at once, overall
    "per_host": 4,  # HTTP connections at once to one host name (politeness)
    "dns_timeout_s": 3.0,
    "ipv6_reference": None,  # default: first configured IPv6 name server, else probes.selfcheck.DEFAULT_REFERENCE
    # ≥10 probes at ≤300 s intervals is the monitoring platform's practice (standards.md §4.2); a run samples 3.
    "availability": {"probe_count": 3, "probe_interval_s": 60.0, "timeout_s": 15.0},
    "ipv6": dict(IPV6_DEFAULTS),
}


def merge_options(options: dict | None) -> dict:
    out = copy.deepcopy(DEFAULT_OPTIONS)
    for key, value in (options or {}).items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key].update(value)
        else:
            out[key] = value
    return out


# sites.yaml per-site limits → availability probe options.
SITE_AVAILABILITY = {
    "probe_count": "probe_count",
    "probe_interval_s": "probe_interval_s",
    "timeout_s": "probe_timeout_s",
}


def availability_options(site: dict, opts: dict) -> dict:
    """The run's availability options with the site's own ``probe_count``, ``probe_interval_s`` and
    ``probe_timeout_s`` (sites.yaml ``limits``, per site over ``defaults``) over them."""
    limits = site.get("limits") or {}
    return {
        **opts["availability"],
        **{k: limits[src] for k, src in SITE_AVAILABILITY.items() if src in limits},
    }


async def probe_site(
    site: dict,
    *,
    resolver: Resolver,
    env: dict,
    opts: dict,
    limiter: Limiter,
    sem: asyncio.Semaphore | None = None,
) -> list[ProbeRecord]:
    site_id, url = site["id"], site["url"]
    host = (urlsplit(url).hostname or "").lower()
    kinds = set(opts["kinds"])
    records: list[ProbeRecord] = []
    tasks = []
    if "availability" in kinds:
        av = availability_options(site, opts)
        tasks.append(
            probe_availability(
                site_id,
                url,
                resolver=resolver,
                probe_count=int(av["probe_count"]),
                probe_interval_s=float(av["probe_interval_s"]),
                timeout_s=float(av["timeout_s"]),
                limiter=limiter,
                limit=int((site.get("limits") or {}).get("max_page_bytes") or MAX_BODY),
            )
        )

    async def dns_and_ipv6() -> list[ProbeRecord]:
        out: list[ProbeRecord] = []
        named: dict[str, str] = {}
        for i, n in enumerate(host_variants(host)):
            named.setdefault(n, "web" if i == 0 else "variant")
        for n in site.get("hosts") or []:
            named.setdefault(n.lower().rstrip("."), "extra")
        v6 = bool(env.get("ipv6")) and bool(env.get("resolvers_ok"))
        recs = await asyncio.gather(
            *(probe_records(site_id, n, resolver, role) for n, role in named.items()),
            probe_ns(site_id, host, resolver, v6=v6, timeout=float(opts["dns_timeout_s"])),
        )
        if "dns" in kinds:
            out.extend(recs)
        if "ipv6" in kinds:
            web = recs[0].data

            # The web host's lookups, re-used (no second query).
            def rr(d: dict, t: str) -> ResolveResult:
                return ResolveResult(host, t, tuple(d["addresses"]), d["kind"], d["elapsed_ms"], d["server"])

            reason = env.get("ipv6_reason") or env.get("resolvers_reason") or ""
            out.append(
                await probe_ipv6(
                    site_id,
                    url,
                    resolver=resolver,
                    options=opts["ipv6"],
                    limiter=limiter,
                    ipv6_available=v6,
                    skip_reason=reason,
                    records=(rr(web["a"], "A"), rr(web["aaaa"], "AAAA")),
                )
            )
        return out

    async def limited() -> list[ProbeRecord]:
        # Availability probes mostly sleep between tries: only the DNS/IPv6 work takes a site slot.
        if sem is None:
            return await dns_and_ipv6()
        async with sem:
            return await dns_and_ipv6()

    if kinds & {"dns", "ipv6"}:
        tasks.append(limited())
    for chunk in await asyncio.gather(*tasks):
        records.extend(chunk)
    return records


async def probe_sites(
    sites: list[dict], *, nameservers: list[str], allow_private: bool, options: dict | None = None
) -> tuple[dict, list[ProbeRecord]]:
    opts = merge_options(options)
    resolver = Resolver(nameservers, allow_private=allow_private, timeout=float(opts["dns_timeout_s"]))
    env = await self_check(
        resolver, reference=opts.get("ipv6_reference"), timeout=float(opts["dns_timeout_s"])
    )
    limiter = Limiter(int(opts["connections"]), int(opts["per_host"]))
    sem = asyncio.Semaphore(int(opts["concurrency"]))

    records: list[ProbeRecord] = []
    for chunk in await asyncio.gather(
        *(probe_site(s, resolver=resolver, env=env, opts=opts, limiter=limiter, sem=sem) for s in sites)
    ):
        records.extend(chunk)
    return env, records


def run_probes(
    sites: list[dict], *, nameservers: list[str], allow_private: bool, options: dict | None = None
) -> tuple[dict, list[ProbeRecord]]:
    return asyncio.run(
        probe_sites(sites, nameservers=nameservers, allow_private=allow_private, options=options)
    )
