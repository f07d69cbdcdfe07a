"""DNS probes: a site's A/AAAA records, and its zone's name servers over IPv6 (the IPv6 授权体系).

Two ProbeRecord shapes, both kind "dns":

    data["probe"] == "records", target = host name:
        {"probe": "records", "host": str, "role": "web"|"variant"|"extra",
         "a": ResolveResult.as_dict(), "aaaa": ResolveResult.as_dict()}
        ok = the AAAA lookup gave addresses.

    data["probe"] == "ns", target = zone:
        {"probe": "ns", "host": str, "zone": str|None, "ns_kind": ok|nxdomain|servfail|timeout|refused|noanswer,
         "dns_port": int, "v6_tested": bool,
         "nameservers": [{"name": str, "a": [..], "aaaa": [..], "a_kind": str, "aaaa_kind": str,
                          "v6_answers": [{"address", "ok", "rcode", "aa", "elapsed_ms", "error"}]}]}
        ok = every name server has an AAAA and answers over IPv6 for the zone.

A name server "answers over IPv6" when a query for the zone's SOA sent to its AAAA address, on the DNS port
(the configured name servers' port, 53 in production), gets NOERROR with the AA flag.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import time

import dns.flags
import dns.name
import dns.rcode
import dns.rdatatype

from netkit.dns import Resolver
from probes import ProbeRecord


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def host_variants(host: str) -> list[str]:
    """The web host first, then the bare or `www.` name when it differs."""
    host = host.lower().rstrip(".")
    other = host[4:] if host.startswith("www.") else f"www.{host}"
    return [host, other] if other != host and "." in other else [host]


async def probe_records(site_id: str, host: str, resolver: Resolver, role: str = "web") -> ProbeRecord:
    at = _now()
    t0 = time.monotonic()
    a, aaaa = await asyncio.gather(resolver.aresolve(host, "A"), resolver.aresolve(host, "AAAA"))
    data = {"probe": "records", "host": host, "role": role, "a": a.as_dict(), "aaaa": aaaa.as_dict()}
    return ProbeRecord(site_id, "dns", host, at, aaaa.ok, (time.monotonic() - t0) * 1000, data)


async def find_zone(host: str, resolver: Resolver) -> tuple[str | None, str]:
    """The zone a host lives in: SOA owner in the answer or authority of a SOA query for the host (walking up)."""
    name = dns.name.from_text(host)
    last_kind = "timeout"
    while len(name) > 1:
        outcomes = await resolver.aquery(name.to_text(), "SOA")
        decided = next(
            (
                o
                for o in outcomes
                if o.response is not None and o.response.rcode() in (dns.rcode.NOERROR, dns.rcode.NXDOMAIN)
            ),
            None,
        )
        if decided is None:
            kinds = [o.rcode or o.kind for o in outcomes]
            last_kind = next((k for k in ("servfail", "refused") if k in kinds), "timeout")
            return None, last_kind
        for section in (decided.response.answer, decided.response.authority):
            for rrset in section:
                if rrset.rdtype == dns.rdatatype.SOA:
                    return rrset.name.to_text(omit_final_dot=True), (
                        "ok" if decided.response.rcode() == dns.rcode.NOERROR else "nxdomain"
                    )
        name = name.parent()
        last_kind = "noanswer"
    return None, last_kind


async def _ask_v6(addr: str, port: int, zone: str, resolver: Resolver, timeout: float) -> dict:
    if not resolver.permits(addr):
        return {
            "address": addr,
            "ok": False,
            "rcode": None,
            "aa": False,
            "elapsed_ms": None,
            "error": "private address (not probed)",
        }
    [out] = await resolver.aquery(zone, "SOA", [(addr, port)], timeout) or [None]
    if out is None:
        return {
            "address": addr,
            "ok": False,
            "rcode": None,
            "aa": False,
            "elapsed_ms": None,
            "error": "timeout",
        }
    resp = out.response
    aa = bool(resp is not None and resp.flags & dns.flags.AA)
    return {
        "address": addr,
        "ok": bool(resp is not None and resp.rcode() == dns.rcode.NOERROR and aa),
        "rcode": out.rcode,
        "aa": aa,
        "elapsed_ms": round(out.elapsed_ms, 2),
        "error": out.error or ("" if resp is not None else out.kind),
    }


async def probe_ns(
    site_id: str,
    host: str,
    resolver: Resolver,
    *,
    v6: bool = True,
    dns_port: int | None = None,
    timeout: float = 2.0,
) -> ProbeRecord:
    at = _now()
    t0 = time.monotonic()
    port = dns_port or resolver.dns_port
    zone, kind = await find_zone(host, resolver)
    data: dict = {
        "probe": "ns",
        "host": host,
        "zone": zone,
        "ns_kind": kind,
        "dns_port": port,
        "v6_tested": v6,
        "nameservers": [],
    }
    if zone is not None:
        outcomes = await resolver.aquery(zone, "NS")
        decided = next(
            (o for o in outcomes if o.response is not None and o.response.rcode() == dns.rcode.NOERROR), None
        )
        names: list[str] = []
        if decided is not None:
            for rrset in decided.response.answer:
                if rrset.rdtype == dns.rdatatype.NS:
                    names += sorted(r.target.to_text(omit_final_dot=True) for r in rrset)
        data["ns_kind"] = (
            "ok"
            if names
            else (
                "noanswer"
                if decided is not None
                else (outcomes[-1].rcode or "timeout")
                if outcomes
                else "timeout"
            )
        )

        async def one(ns: str) -> dict:
            a, aaaa = await asyncio.gather(resolver.aresolve(ns, "A"), resolver.aresolve(ns, "AAAA"))
            addrs6 = list(aaaa.addresses) + list(aaaa.private if resolver.allow_private else ())
            entry = {
                "name": ns,
                "a": list(a.addresses) or list(a.private),
                "aaaa": list(aaaa.addresses) or list(aaaa.private),
                "a_kind": a.kind,
                "aaaa_kind": aaaa.kind,
                "v6_answers": [],
            }
            if v6:
                entry["v6_answers"] = list(
                    await asyncio.gather(*(_ask_v6(addr, port, zone, resolver, timeout) for addr in addrs6))
                )
            return entry

        data["nameservers"] = list(await asyncio.gather(*(one(n) for n in names)))
    nss = data["nameservers"]
    ok = bool(nss) and all(
        n["aaaa"] and n["v6_answers"] and all(x["ok"] for x in n["v6_answers"]) for n in nss
    )
    return ProbeRecord(site_id, "dns", zone or host, at, ok, (time.monotonic() - t0) * 1000, data)
