"""A small authoritative DNS server for the ``jj.test`` zone (dnspython, UDP + TCP, IPv4 + IPv6 loopback).

Answers A/AAAA/NS/SOA with the AA flag, NODATA (NOERROR + SOA) for names that exist without the asked type
(including empty non-terminals such as ``jiujiang.jj.test``), NXDOMAIN (+ SOA, AA) for unknown names in the
zone, and REFUSED for names outside the zone.
"""

from __future__ import annotations

import socket
import struct
import threading

import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.rrset

TTL = 300


class Zone:
    def __init__(self, origin: str, records: dict[str, dict[str, list[str]]], ns: list[str]):
        self.origin = dns.name.from_text(origin)
        self.rrsets: dict[tuple[dns.name.Name, int], dns.rrset.RRset] = {}
        self.names: set[dns.name.Name] = {self.origin}
        apex = origin.rstrip(".") + "."
        self._add(apex, "SOA", [f"{ns[0]}. hostmaster.{apex} 2021122001 3600 600 604800 300"])
        self._add(apex, "NS", [f"{n}." for n in ns])
        for name, types in records.items():
            for rdtype, values in types.items():
                if values:
                    self._add(name, rdtype, values)
        for name in list(self.names):  # empty non-terminals exist too
            while name != self.origin and len(name) > len(self.origin):
                name = name.parent()
                self.names.add(name)

    def _add(self, name: str, rdtype: str, values: list[str]) -> None:
        n = dns.name.from_text(name)
        rrset = dns.rrset.from_text_list(n, TTL, "IN", rdtype, values)
        self.rrsets[(n, rrset.rdtype)] = rrset
        self.names.add(n)

    def answer(self, query: dns.message.Message) -> dns.message.Message:
        response = dns.message.make_response(query)
        if not query.question:
            response.set_rcode(dns.rcode.FORMERR)
            return response
        q = query.question[0]
        if q.rdclass != dns.rdataclass.IN or not q.name.is_subdomain(self.origin):
            response.set_rcode(dns.rcode.REFUSED)
            return response
        response.flags |= dns.flags.AA
        soa = self.rrsets[(self.origin, dns.rdatatype.SOA)]
        if q.name not in self.names:
            response.set_rcode(dns.rcode.NXDOMAIN)
            response.authority.append(soa)
            return response
        if q.rdtype == dns.rdatatype.ANY:
            found = [r for (n, _), r in self.rrsets.items() if n == q.name]
        else:
            found = [self.rrsets[(q.name, q.rdtype)]] if (q.name, q.rdtype) in self.rrsets else []
        if not found:
            response.authority.append(soa)
            return response
        response.answer.extend(found)
        if q.rdtype == dns.rdatatype.NS:
            for rdata in found[0]:
                for t in (dns.rdatatype.A, dns.rdatatype.AAAA):
                    if (rdata.target, t) in self.rrsets:
                        response.additional.append(self.rrsets[(rdata.target, t)])
        return response

    def wire(self, data: bytes, max_size: int | None) -> bytes | None:
        try:
            query = dns.message.from_wire(data)
        except Exception:  # noqa: BLE001 - garbage in, no answer out
            return None
        response = self.answer(query)
        if max_size is None:
            return response.to_wire()
        limit = max(512, query.payload if query.edns >= 0 else 512)
        wire = response.to_wire()
        if len(wire) > limit:
            response.answer.clear()
            response.additional.clear()
            response.flags |= dns.flags.TC
            wire = response.to_wire()
        return wire


class DNSServer:
    """UDP and TCP listeners on every given address, all on one port."""

    def __init__(self, zone: Zone, addresses: list[str], port: int = 0):
        self.zone = zone
        self._stop = threading.Event()
        self._socks: list[socket.socket] = []
        self._threads: list[threading.Thread] = []
        for _ in range(50):
            try:
                self.port = self._bind_all(addresses, port)
                break
            except OSError:
                self._close_socks()
                if port:
                    raise
        else:
            raise OSError("no free port for the DNS server on all addresses")

    def _bind_all(self, addresses: list[str], port: int) -> int:
        for addr in addresses:
            family = socket.AF_INET6 if ":" in addr else socket.AF_INET
            for kind in (socket.SOCK_DGRAM, socket.SOCK_STREAM):
                s = socket.socket(family, kind)
                self._socks.append(s)
                if kind == socket.SOCK_STREAM:
                    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                s.bind((addr, port))
                port = s.getsockname()[1]
                if kind == socket.SOCK_STREAM:
                    s.listen(16)
                s.settimeout(0.1)
        return port

    def _close_socks(self) -> None:
        for s in self._socks:
            s.close()
        self._socks = []

    def start(self) -> DNSServer:
        for s in self._socks:
            target = self._serve_udp if s.type == socket.SOCK_DGRAM else self._serve_tcp
            t = threading.Thread(target=target, args=(s,), name=f"simweb-dns-{s.type.name}", daemon=True)
            t.start()
            self._threads.append(t)
        return self

    def _serve_udp(self, sock: socket.socket) -> None:
        while not self._stop.is_set():
            try:
                data, peer = sock.recvfrom(4096)
            except TimeoutError:
                continue
            except OSError:
                return
            wire = self.zone.wire(data, max_size=512)
            if wire:
                try:
                    sock.sendto(wire, peer)
                except OSError:
                    pass

    def _serve_tcp(self, sock: socket.socket) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            threading.Thread(target=self._tcp_conn, args=(conn,), daemon=True).start()

    def _tcp_conn(self, conn: socket.socket) -> None:
        conn.settimeout(5)
        try:
            while not self._stop.is_set():
                head = _recv_exact(conn, 2)
                if not head:
                    return
                data = _recv_exact(conn, struct.unpack("!H", head)[0])
                if data is None:
                    return
                wire = self.zone.wire(data, max_size=None)
                if wire is None:
                    return
                conn.sendall(struct.pack("!H", len(wire)) + wire)
        except OSError:
            pass
        finally:
            conn.close()

    def stop(self) -> None:
        self._stop.set()
        for t in self._threads:
            t.join(timeout=2)
        self._close_socks()
        self._threads = []


def _recv_exact(conn: socket.socket, n: int) -> bytes | None:
    buf = b""
    while len(buf) < n:
        chunk = conn.recv(n - len(buf))
        if not chunk:
            return None
        buf += chunk
    return buf
