"""Name resolution for the crawl: dnspython through the configured name servers, and the private-address guard.

Scrapy's default resolver is IPv4-only and asks the system. govaudit asks `network.nameservers` (A and AAAA)
when they are set, so one configuration works against a public resolver and against a test zone, and it refuses
private, loopback and link-local answers unless `network.allow_private` is true: a poisoned DNS answer must not
aim the crawler at an internal network.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass

from twisted.internet import threads
from twisted.internet.address import IPv4Address, IPv6Address
from twisted.internet.base import ReactorBase
from twisted.internet.interfaces import IHostnameResolver, IResolutionReceiver
from zope.interface import implementer

from netkit.dns import Resolver, format_server
from netkit.errors import dns_error


@dataclass
class Resolution:
    addresses: list[str]
    kind: str = "ok"  # ok | nxdomain | servfail | timeout | refused | noanswer | private | error
    message: str = ""


class DnsLookup:
    """Blocking A+AAAA lookups for the crawl, cached, over netkit.dns.Resolver (the one DNS client)."""

    def __init__(self, nameservers: Sequence[tuple[str, int]], allow_private: bool, timeout: float = 5.0):
        specs = [format_server(ip, port) for ip, port in nameservers]
        self.resolver = Resolver(specs, allow_private=allow_private, timeout=timeout)
        self._cache: dict[str, Resolution] = {}
        self._lock = threading.Lock()

    def lookup(self, host: str) -> Resolution:
        host = host.rstrip(".").lower()
        with self._lock:
            if host in self._cache:
                return self._cache[host]
        answers = [self.resolver.resolve(host, rdtype) for rdtype in ("A", "AAAA")]
        addresses = [a for r in answers for a in r.addresses]
        if addresses:
            res = Resolution(addresses)
        elif any(r.kind == "private" for r in answers):
            held = ", ".join(a for r in answers for a in r.private)
            res = Resolution([], "private", f"{host} 解析到内网或回环地址 {held}，已拒绝连接")
        else:
            # Report the most telling failure: NXDOMAIN beats a plain empty answer.
            order = ("nxdomain", "servfail", "refused", "timeout", "error", "noanswer")
            kind = min((r.kind for r in answers), key=lambda k: order.index(k) if k in order else len(order))
            res = Resolution([], kind, f"{dns_error(kind, 'A/AAAA')}：{host}")
        with self._lock:
            self._cache[host] = res
        return res


class _HostResolution:
    def __init__(self, name: str):
        self.name = name

    def cancel(self) -> None:  # pragma: no cover - Twisted API
        pass


@implementer(IHostnameResolver)
class GovResolver:
    """Twisted hostname resolver backed by DnsLookup; installed through Scrapy's DNS_RESOLVER setting."""

    lookup: DnsLookup | None = None  # set by crawler.run before the crawl starts

    def __init__(self, reactor: ReactorBase):
        self.reactor = reactor

    @classmethod
    def from_crawler(cls, crawler, reactor):  # type: ignore[no-untyped-def]
        return cls(reactor)

    def install_on_reactor(self) -> None:
        self.reactor.installNameResolver(self)

    def resolveHostName(
        self,
        resolutionReceiver: IResolutionReceiver,
        hostName: str,  # noqa: N802
        portNumber: int = 0,
        addressTypes=None,
        transportSemantics: str = "TCP",
    ):  # type: ignore[no-untyped-def]  # noqa: N803
        lookup = GovResolver.lookup or DnsLookup((), allow_private=True)
        resolution = _HostResolution(hostName)
        resolutionReceiver.resolutionBegan(resolution)

        def done(res: Resolution) -> None:
            for ip in res.addresses:
                if ":" in ip:
                    resolutionReceiver.addressResolved(IPv6Address("TCP", ip, portNumber, 0, 0))
                else:
                    resolutionReceiver.addressResolved(IPv4Address("TCP", ip, portNumber))
            resolutionReceiver.resolutionComplete()

        def failed(_failure) -> None:  # type: ignore[no-untyped-def]
            resolutionReceiver.resolutionComplete()

        threads.deferToThread(lookup.lookup, hostName).addCallbacks(done, failed)
        return resolution
