"""Name resolution for the crawl: dnspython through the configured name servers, and the private-address guard.

Scrapy's default resolver is IPv4-only and asks the system. govaudit asks `network.nameservers` (A and AAAA)
when they are set, so one configuration works against a public resolver and against a test zone, and it refuses
private, loopback and link-local answers unless `network.allow_private` is true: a poisoned DNS answer must not
aim the crawler at an internal network.
"""

from __future__ import annotations

import ipaddress
import socket
import threading
from collections.abc import Sequence
from dataclasses import dataclass

import dns.exception
import dns.flags
import dns.message
import dns.query
import dns.rcode
import dns.rdatatype
from twisted.internet import threads
from twisted.internet.address import IPv4Address, IPv6Address
from twisted.internet.interfaces import IHostnameResolver, IResolutionReceiver
from twisted.internet.base import ReactorBase
from zope.interface import implementer


def is_private(ip: str) -> bool:
    addr = ipaddress.ip_address(ip)
    return (addr.is_private or addr.is_loopback or addr.is_link_local or addr.is_multicast
            or addr.is_reserved or addr.is_unspecified)


@dataclass
class Resolution:
    addresses: list[str]
    kind: str = "ok"  # ok | nxdomain | servfail | timeout | refused | noanswer | private | error
    message: str = ""


class DnsLookup:
    """Blocking A/AAAA lookups, thread-safe, with a small cache. Used by the crawler and the link checker."""

    def __init__(self, nameservers: Sequence[tuple[str, int]], allow_private: bool, timeout: float = 5.0):
        self.nameservers = list(nameservers)
        self.allow_private = allow_private
        self.timeout = timeout
        self._cache: dict[str, Resolution] = {}
        self._lock = threading.Lock()

    def lookup(self, host: str) -> Resolution:
        host = host.rstrip(".").lower()
        with self._lock:
            if host in self._cache:
                return self._cache[host]
        res = self._lookup(host)
        if res.kind == "ok" and not self.allow_private:
            public = [a for a in res.addresses if not is_private(a)]
            if not public:
                res = Resolution([], "private", f"{host} 解析到内网或回环地址 {', '.join(res.addresses)}，已拒绝连接")
            else:
                res = Resolution(public)
        with self._lock:
            self._cache[host] = res
        return res

    def _lookup(self, host: str) -> Resolution:
        try:
            ipaddress.ip_address(host)
            return Resolution([host])
        except ValueError:
            pass
        if not self.nameservers:
            return self._system(host)
        addresses: list[str] = []
        kinds: list[Resolution] = []
        for rdtype in ("A", "AAAA"):
            r = self._query(host, rdtype)
            if r.kind == "ok":
                addresses += r.addresses
            else:
                kinds.append(r)
        if addresses:
            return Resolution(addresses)
        # Report the most telling failure: NXDOMAIN beats a plain empty answer.
        for kind in ("nxdomain", "servfail", "refused", "timeout", "error", "noanswer"):
            for r in kinds:
                if r.kind == kind:
                    return r
        return Resolution([], "noanswer", f"{host} 没有 A/AAAA 记录")

    def _query(self, host: str, rdtype: str) -> Resolution:
        q = dns.message.make_query(host, rdtype)
        last = Resolution([], "timeout", f"名称服务器无应答（{host}）")
        for ip, port in self.nameservers:
            try:
                resp = dns.query.udp(q, ip, port=port, timeout=self.timeout)
                if resp.flags & dns.flags.TC:
                    resp = dns.query.tcp(q, ip, port=port, timeout=self.timeout)
            except dns.exception.Timeout:
                continue
            except OSError as exc:
                last = Resolution([], "error", f"无法连接名称服务器 {ip}:{port}：{exc}")
                continue
            rcode = resp.rcode()
            if rcode == dns.rcode.NXDOMAIN:
                return Resolution([], "nxdomain", f"域名不存在（NXDOMAIN）：{host}")
            if rcode == dns.rcode.SERVFAIL:
                last = Resolution([], "servfail", f"名称服务器解析失败（SERVFAIL）：{host}")
                continue
            if rcode == dns.rcode.REFUSED:
                last = Resolution([], "refused", f"名称服务器拒绝查询（REFUSED）：{host}")
                continue
            want = dns.rdatatype.from_text(rdtype)
            found = [r.address for rrset in resp.answer if rrset.rdtype == want for r in rrset]
            if found:
                return Resolution(found)
            return Resolution([], "noanswer", f"{host} 没有 {rdtype} 记录")
        return last

    @staticmethod
    def _system(host: str) -> Resolution:
        try:
            infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
        except socket.gaierror as exc:
            if exc.errno in (socket.EAI_NONAME, getattr(socket, "EAI_NODATA", -5)):
                return Resolution([], "nxdomain", f"域名无法解析：{host}")
            return Resolution([], "error", f"域名解析失败：{host}：{exc}")
        seen: list[str] = []
        for info in infos:
            ip = str(info[4][0])
            if ip not in seen:
                seen.append(ip)
        return Resolution(seen)


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

    def resolveHostName(self, resolutionReceiver: IResolutionReceiver, hostName: str,  # noqa: N802
                        portNumber: int = 0, addressTypes=None, transportSemantics: str = "TCP"):  # type: ignore[no-untyped-def]  # noqa: N803
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
