"""A small stub resolver over dnspython messages: explicit name servers and ports, a lifetime, honest outcomes.

    r = Resolver(["127.0.0.1:5353", "[::1]:5353"], allow_private=True, timeout=3.0)
    r.resolve("www.example.gov.cn", "AAAA")          # sync (the crawler's Twisted resolver uses this)
    await r.aresolve("www.example.gov.cn", "A")      # asyncio (the probes)

Both return a `ResolveResult` whose `kind` is one of ok | nxdomain | servfail | timeout | refused | noanswer |
private | error. NXDOMAIN from a name server is final; SERVFAIL, REFUSED and silence move on to the next server
and the worst of them is reported only when every server failed. Addresses that are not global (private,
loopback, link-local, documentation ...) are withheld unless `allow_private`: kind "private", `addresses` empty,
the withheld ones in `private`.

The query logic is written once as a generator (`_lookup`) that yields (server, query, timeout) and receives
the reply; a sync driver (blocking sockets) and an async driver (asyncio) feed it, so the two never drift apart.
UDP sockets are connected, so a closed port on loopback comes back at once as "refused" instead of a timeout.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import struct
import time
from collections.abc import Generator, Iterable
from dataclasses import dataclass

import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdataclass
import dns.rdatatype

from govconfig.sites import parse_nameserver

KINDS = ("ok", "nxdomain", "servfail", "timeout", "refused", "noanswer", "private", "error")
# When every server failed: report the most telling failure first.
_FAIL_ORDER = ("servfail", "refused", "error")  # anything else (silence, closed port): "timeout"
_MAX_CNAME = 8


def format_server(addr: str, port: int) -> str:
    return f"[{addr}]:{port}" if ":" in addr else f"{addr}:{port}"


def is_v6(addr: str) -> bool:
    return ":" in addr


_NAT64 = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("64:ff9b:1::/48"))
_V4_COMPATIBLE = ipaddress.ip_network("::/96")


def embedded_ipv4(addr: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """The IPv4 addresses an IPv6 address carries, where the form says it reaches them: IPv4-mapped
    (::ffff:a.b.c.d), IPv4-compatible (::a.b.c.d), NAT64 (64:ff9b::/96, 64:ff9b:1::/48), 6to4 (2002::/16) and
    Teredo (2001::/32: server and client). A packet to such an address ends at the IPv4 address inside, so the
    guard judges that one (64:ff9b::7f00:1 is 127.0.0.1 behind a NAT64 gateway)."""
    if addr.ipv4_mapped is not None:
        return [addr.ipv4_mapped]
    if addr.teredo is not None:
        return list(addr.teredo)
    if addr.sixtofour is not None:
        return [addr.sixtofour]
    if any(addr in net for net in _NAT64) or (addr in _V4_COMPATIBLE and int(addr) > 1):
        return [ipaddress.IPv4Address(int(addr) & 0xFFFFFFFF)]
    return []


def is_public(addr: str, allowed: Iterable[ipaddress.IPv4Network | ipaddress.IPv6Network] = ()) -> bool:
    """A globally reachable address (or one inside `allowed`); IPv4-embedding IPv6 forms are judged by every
    IPv4 address they embed."""
    try:
        ip = ipaddress.ip_address(addr.split("%")[0].strip("[]"))
    except ValueError:
        return False
    allowed = tuple(allowed)
    inner = embedded_ipv4(ip) if ip.version == 6 else []
    if inner:
        return all(v4.is_global or any(v4 in net for net in allowed) for v4 in inner)
    return ip.is_global or any(ip.version == net.version and ip in net for net in allowed)


def private_policy(allow_private: bool | Iterable[str]) -> tuple[bool, tuple]:
    """`network.allow_private` as (allow every address, networks allowed besides the public ones): true, false,
    or a list of networks (an intranet deployment whose sites live on 10.1.0.0/16 may reach those, and no
    other private address)."""
    if isinstance(allow_private, bool):
        return allow_private, ()
    return False, tuple(ipaddress.ip_network(str(n), strict=False) for n in allow_private)


def system_nameservers() -> list[tuple[str, int]]:
    out = []
    try:
        with open("/etc/resolv.conf", encoding="utf-8") as fh:
            for line in fh:
                parts = line.split()
                if len(parts) >= 2 and parts[0] == "nameserver":
                    addr = parts[1].split("%")[0]
                    try:
                        out.append(parse_nameserver(addr))
                    except ValueError:
                        continue
    except OSError:
        pass
    return out


@dataclass(frozen=True, slots=True)
class ResolveResult:
    host: str
    rdtype: str
    addresses: tuple[str, ...]
    kind: str  # ok | nxdomain | servfail | timeout | refused | noanswer | private | error
    elapsed_ms: float
    server: str | None = None  # the server whose answer decided (None when none answered)
    cnames: tuple[str, ...] = ()
    private: tuple[str, ...] = ()  # addresses withheld because they are not global
    errors: tuple[str, ...] = ()  # per server, what went wrong before the deciding answer

    @property
    def ok(self) -> bool:
        return self.kind == "ok"

    @property
    def rcode(self) -> str:
        return self.kind

    def as_dict(self) -> dict:
        return {
            "addresses": list(self.addresses),
            "kind": self.kind,
            "elapsed_ms": round(self.elapsed_ms, 2),
            "server": self.server,
            "cnames": list(self.cnames),
            "private": list(self.private),
            "errors": list(self.errors),
        }


@dataclass(frozen=True, slots=True)
class QueryOutcome:
    """One raw exchange with one server: the reply (or what went wrong)."""

    server: str
    kind: str  # answered | timeout | closed (port unreachable) | unreachable | error
    elapsed_ms: float
    response: dns.message.Message | None = None
    error: str = ""

    @property
    def rcode(self) -> str | None:
        return dns.rcode.to_text(self.response.rcode()).lower() if self.response is not None else None


@dataclass(slots=True)
class _Step:
    addr: str
    port: int
    query: dns.message.Message
    timeout: float
    tcp: bool = False


# ---------------------------------------------------------------------------------------------- transports


def _classify_exc(exc: BaseException) -> str:
    if isinstance(exc, (TimeoutError, socket.timeout, dns.exception.Timeout, asyncio.TimeoutError)):
        return "timeout"
    if isinstance(exc, ConnectionRefusedError):
        return "closed"  # ICMP port unreachable: nothing listens there (not the DNS rcode REFUSED)
    if isinstance(exc, OSError) and exc.errno in (101, 113, 99, 97):  # unreachable, no route, no v6 address
        return "unreachable"
    return "error"


def _exchange_sync(step: _Step) -> dns.message.Message:
    fam = socket.AF_INET6 if is_v6(step.addr) else socket.AF_INET
    wire = step.query.to_wire()
    deadline = time.monotonic() + step.timeout
    if step.tcp:
        with socket.create_connection((step.addr, step.port), timeout=step.timeout) as s:
            s.sendall(struct.pack("!H", len(wire)) + wire)
            buf = b""
            while len(buf) < 2 or len(buf) < 2 + struct.unpack("!H", buf[:2])[0]:
                s.settimeout(max(deadline - time.monotonic(), 0.001))
                chunk = s.recv(65535)
                if not chunk:
                    raise ConnectionResetError("closed by server")
                buf += chunk
            return dns.message.from_wire(buf[2 : 2 + struct.unpack("!H", buf[:2])[0]])
    with socket.socket(fam, socket.SOCK_DGRAM) as s:
        s.connect((step.addr, step.port))
        s.send(wire)
        while True:
            s.settimeout(max(deadline - time.monotonic(), 0.001))
            data = s.recv(65535)
            try:
                reply = dns.message.from_wire(data, ignore_trailing=True)
            except dns.exception.DNSException:
                continue
            if step.query.is_response(reply):
                return reply


class _UDPProto(asyncio.DatagramProtocol):
    def __init__(self, query: dns.message.Message, fut: asyncio.Future) -> None:
        self.query, self.fut = query, fut

    def datagram_received(self, data: bytes, addr: object) -> None:
        try:
            reply = dns.message.from_wire(data, ignore_trailing=True)
        except dns.exception.DNSException:
            return
        if self.query.is_response(reply) and not self.fut.done():
            self.fut.set_result(reply)

    def error_received(self, exc: Exception) -> None:
        if not self.fut.done():
            self.fut.set_exception(exc)


async def _exchange_async(step: _Step) -> dns.message.Message:
    wire = step.query.to_wire()
    if step.tcp:

        async def tcp() -> dns.message.Message:
            reader, writer = await asyncio.open_connection(step.addr, step.port)
            try:
                writer.write(struct.pack("!H", len(wire)) + wire)
                await writer.drain()
                (length,) = struct.unpack("!H", await reader.readexactly(2))
                return dns.message.from_wire(await reader.readexactly(length))
            finally:
                writer.close()

        return await asyncio.wait_for(tcp(), step.timeout)
    loop = asyncio.get_running_loop()
    fut: asyncio.Future = loop.create_future()
    fam = socket.AF_INET6 if is_v6(step.addr) else socket.AF_INET
    transport, _ = await loop.create_datagram_endpoint(
        lambda: _UDPProto(step.query, fut), remote_addr=(step.addr, step.port), family=fam
    )
    try:
        transport.sendto(wire)
        return await asyncio.wait_for(fut, step.timeout)
    finally:
        transport.close()


# ---------------------------------------------------------------------------------------------- the logic


def _exchange_gen(
    addr: str, port: int, query: dns.message.Message, timeout: float
) -> Generator[_Step, object, QueryOutcome]:
    """One server: UDP, then TCP when the reply is truncated."""
    t0 = time.monotonic()
    server = format_server(addr, port)
    got = yield _Step(addr, port, query, timeout)
    if isinstance(got, dns.message.Message) and got.flags & dns.flags.TC:
        remaining = max(timeout - (time.monotonic() - t0), 0.05)
        got = yield _Step(addr, port, query, remaining, tcp=True)
    elapsed = (time.monotonic() - t0) * 1000
    if isinstance(got, dns.message.Message):
        return QueryOutcome(server, "answered", elapsed, got)
    return QueryOutcome(server, _classify_exc(got), elapsed, error=f"{type(got).__name__}: {got}")


def _addresses(
    response: dns.message.Message, qname: dns.name.Name, rdtype: int
) -> tuple[list[str], list[str], dns.name.Name]:
    """Follow the CNAME chain inside the answer section: (addresses, cnames, last name)."""
    name, cnames = qname, []
    for _ in range(_MAX_CNAME):
        rrset = response.get_rrset(response.answer, name, dns.rdataclass.IN, rdtype)
        if rrset is not None:
            return [r.address for r in rrset], cnames, name
        cname = response.get_rrset(response.answer, name, dns.rdataclass.IN, dns.rdatatype.CNAME)
        if cname is None:
            break
        name = cname[0].target
        cnames.append(name.to_text(omit_final_dot=True))
    return [], cnames, name


class Resolver:
    def __init__(
        self,
        nameservers: Iterable[str] | None = None,
        *,
        allow_private: bool | Iterable[str] = False,
        timeout: float = 3.0,
        default_port: int = 53,
    ) -> None:
        specs = list(nameservers or [])
        self.configured = bool(specs)
        self.servers = [parse_nameserver(s, default_port) for s in specs] or system_nameservers()
        self.allow_private, self.allowed_networks = private_policy(allow_private)
        self.timeout = timeout  # the lifetime of one lookup, over all servers and CNAME steps

    def permits(self, addr: str) -> bool:
        """May the crawl and the probes connect to `addr` (network.allow_private)?"""
        return self.allow_private or is_public(addr, self.allowed_networks)

    @property
    def server_names(self) -> list[str]:
        return [format_server(a, p) for a, p in self.servers]

    @property
    def dns_port(self) -> int:
        """The port name servers are asked on: the configured servers' (tests, demo) or 53."""
        return self.servers[0][1] if self.configured and self.servers else 53

    # -- raw queries (NS probing, health checks)
    def _query_gen(
        self, qname: str, rdtype: str, servers: list[tuple[str, int]] | None, timeout: float | None
    ) -> Generator[_Step, object, list[QueryOutcome]]:
        """Ask each server in turn until one gives a usable answer; return every exchange made."""
        lifetime = timeout or self.timeout
        t0 = time.monotonic()
        servers = servers if servers is not None else self.servers
        outcomes: list[QueryOutcome] = []
        for i, (addr, port) in enumerate(servers):
            remaining = lifetime - (time.monotonic() - t0)
            if remaining <= 0.01:
                break
            share = remaining / (len(servers) - i)
            q = dns.message.make_query(qname, rdtype)
            q.flags |= dns.flags.RD
            out = yield from _exchange_gen(addr, port, q, share)
            outcomes.append(out)
            if out.response is not None and out.response.rcode() in (dns.rcode.NOERROR, dns.rcode.NXDOMAIN):
                break
        return outcomes

    def _lookup(self, host: str, rdtype: str) -> Generator[_Step, object, ResolveResult]:
        t0 = time.monotonic()
        rdt = dns.rdatatype.from_text(rdtype)
        name = dns.name.from_text(host)
        cnames: list[str] = []
        errors: list[str] = []
        result_kind, server, addrs = "error", None, []
        for _ in range(_MAX_CNAME):
            remaining = self.timeout - (time.monotonic() - t0)
            if remaining <= 0.01:
                result_kind = "timeout"
                break
            outcomes = yield from self._query_gen(name.to_text(), rdtype, None, remaining)
            decided = next(
                (
                    o
                    for o in outcomes
                    if o.response is not None
                    and o.response.rcode() in (dns.rcode.NOERROR, dns.rcode.NXDOMAIN)
                ),
                None,
            )
            for o in outcomes:
                if o is not decided:
                    errors.append(f"{o.server} {o.rcode or o.kind}")
            if decided is None:
                kinds = [o.rcode if o.response is not None else o.kind for o in outcomes]
                result_kind = next((k for k in _FAIL_ORDER if k in kinds), "timeout")
                break
            server = decided.server
            resp = decided.response
            if resp.rcode() == dns.rcode.NXDOMAIN:
                result_kind = "nxdomain"
                break
            found, chain, last = _addresses(resp, name, rdt)
            cnames.extend(chain)
            if found:
                addrs, result_kind = found, "ok"
                break
            if chain and last != name:
                name = last  # the CNAME target lives elsewhere: ask for it
                continue
            result_kind = "noanswer"
            break
        else:
            result_kind = "error"
            errors.append("CNAME chain too long")
        elapsed = (time.monotonic() - t0) * 1000
        private: list[str] = []
        if addrs and not self.allow_private:
            private = [a for a in addrs if not self.permits(a)]
            if private:
                addrs = [a for a in addrs if self.permits(a)]
                if not addrs:
                    result_kind = "private"
        return ResolveResult(
            host,
            rdtype,
            tuple(addrs),
            result_kind,
            elapsed,
            server,
            tuple(cnames),
            tuple(private),
            tuple(errors),
        )

    # -- drivers
    @staticmethod
    def _run_sync(gen: Generator[_Step, object, object]) -> object:
        try:
            step = next(gen)
            while True:
                try:
                    got: object = _exchange_sync(step)
                except Exception as exc:  # noqa: BLE001 - handed to the logic, which classifies it
                    got = exc
                step = gen.send(got)
        except StopIteration as stop:
            return stop.value

    @staticmethod
    async def _run_async(gen: Generator[_Step, object, object]) -> object:
        try:
            step = next(gen)
            while True:
                try:
                    got: object = await _exchange_async(step)
                except Exception as exc:  # noqa: BLE001 - handed to the logic, which classifies it
                    got = exc
                step = gen.send(got)
        except StopIteration as stop:
            return stop.value

    def resolve(self, host: str, rdtype: str = "A") -> ResolveResult:
        literal = self._literal(host, rdtype)
        if literal is not None:
            return literal
        return self._run_sync(self._lookup(host, rdtype))  # type: ignore[return-value]

    async def aresolve(self, host: str, rdtype: str = "A") -> ResolveResult:
        literal = self._literal(host, rdtype)
        if literal is not None:
            return literal
        return await self._run_async(self._lookup(host, rdtype))  # type: ignore[return-value]

    def _literal(self, host: str, rdtype: str) -> ResolveResult | None:
        """A URL that names an address needs no DNS: the address itself, under the same private guard."""
        try:
            addr = ipaddress.ip_address(host.strip("[]"))
        except ValueError:
            return None
        if (addr.version == 6) != (rdtype == "AAAA"):
            return ResolveResult(host, rdtype, (), "noanswer", 0.0)
        if not self.permits(str(addr)):
            return ResolveResult(host, rdtype, (), "private", 0.0, private=(str(addr),))
        return ResolveResult(host, rdtype, (str(addr),), "ok", 0.0)

    def query(
        self,
        qname: str,
        rdtype: str,
        servers: list[tuple[str, int]] | None = None,
        timeout: float | None = None,
    ) -> list[QueryOutcome]:
        return self._run_sync(self._query_gen(qname, rdtype, servers, timeout))  # type: ignore[return-value]

    async def aquery(
        self,
        qname: str,
        rdtype: str,
        servers: list[tuple[str, int]] | None = None,
        timeout: float | None = None,
    ) -> list[QueryOutcome]:
        return await self._run_async(self._query_gen(qname, rdtype, servers, timeout))  # type: ignore

    async def ahealth(self, qname: str = ".", rdtype: str = "NS", timeout: float | None = None) -> list[dict]:
        """Ask every server on its own: does it answer anything at all (any rcode counts)?"""

        async def one(server: tuple[str, int]) -> dict:
            [out] = await self.aquery(qname, rdtype, [server], timeout) or [None]
            if out is None:
                return {"server": format_server(*server), "ok": False, "kind": "timeout", "elapsed_ms": None}
            return {
                "server": out.server,
                "ok": out.response is not None,
                "kind": out.rcode or out.kind,
                "elapsed_ms": round(out.elapsed_ms, 2),
            }

        return list(await asyncio.gather(*(one(s) for s in self.servers)))
