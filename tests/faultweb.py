"""The fault web: hostile and broken websites on loopback, one case per host name and port.

    with FaultWeb() as web:
        web.add("hang", hang)                     # async handler(req, writer); host hang.fw.test
        web.add("tls-expired", ok_page, tls=web.tls_cert("expired"))
        web.dns_case("nx", "nxdomain")            # a name the DNS server answers NXDOMAIN / SERVFAIL / nothing
        web.url("hang") -> "http://hang.fw.test:PORT/"

One asyncio loop in a background thread serves every case on its own 127.0.0.1 port (raw streams, so a case can
stall, drip, reset or lie at the byte level); an authoritative DNS server (simweb's, with a zone that can also
answer SERVFAIL or stay silent) maps ``<case>.fw.test`` to 127.0.0.1. Every request is logged per case
(path, headers) so a test can say what the crawler asked for.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import socket
import ssl
import struct
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

import dns.message
import dns.rcode

from simweb.dns_server import DNSServer, Zone

ZONE = "fw.test"


@dataclass
class Request:
    method: str
    path: str
    headers: dict[str, str]
    host: str = ""

    @property
    def ua(self) -> str:
        return self.headers.get("user-agent", "")


Handler = Callable[[Request, asyncio.StreamWriter], Awaitable[None]]


@dataclass
class Case:
    name: str
    handler: Handler
    port: int = 0
    tls: ssl.SSLContext | None = None
    scheme: str | None = None  # force the URL's scheme (https to a plain-HTTP server)
    eager: bool = False  # the handler speaks first, before any request is read
    requests: list[Request] = field(default_factory=list)
    sock: socket.socket | None = None
    server: asyncio.base_events.Server | None = None

    @property
    def host(self) -> str:
        return f"{self.name}.{ZONE}"


class FaultZone(Zone):
    """simweb's zone plus names that answer SERVFAIL or never answer."""

    def __init__(self, *args, servfail: set[str], silent: set[str], **kw):
        super().__init__(*args, **kw)
        self.servfail = servfail
        self.silent = silent

    def wire(self, data: bytes, max_size: int | None) -> bytes | None:
        try:
            query = dns.message.from_wire(data)
            name = query.question[0].name.to_text().rstrip(".").lower()
        except Exception:  # noqa: BLE001
            return None
        if name in self.silent:
            return None
        if name in self.servfail:
            response = dns.message.make_response(query)
            response.set_rcode(dns.rcode.SERVFAIL)
            return response.to_wire()
        return super().wire(data, max_size)


# ------------------------------------------------------------------------------------------ HTTP helpers


def response_bytes(
    status: int,
    body: bytes = b"",
    headers: dict[str, str] | None = None,
    *,
    ctype: str = "text/html; charset=utf-8",
    length: int | None = None,
) -> bytes:
    reasons = {
        200: "OK",
        301: "Moved Permanently",
        302: "Found",
        403: "Forbidden",
        404: "Not Found",
        429: "Too Many Requests",
        500: "Internal Server Error",
        502: "Bad Gateway",
        503: "Service Unavailable",
    }
    lines = [f"HTTP/1.1 {status} {reasons.get(status, 'Status')}", "Server: faultweb", "Connection: close"]
    if ctype:
        lines.append(f"Content-Type: {ctype}")
    lines.append(f"Content-Length: {len(body) if length is None else length}")
    for k, v in (headers or {}).items():
        lines.append(f"{k}: {v}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


async def send(
    writer: asyncio.StreamWriter,
    status: int,
    body: bytes | str = b"",
    headers: dict[str, str] | None = None,
    **kw,
) -> None:
    if isinstance(body, str):
        body = body.encode("utf-8")
    writer.write(response_bytes(status, body, headers, **kw))
    await writer.drain()


def page(title: str, links: list[str] = (), body: str = "") -> str:
    items = "".join(f'<li><a href="{u}">{u}</a></li>' for u in links)
    return (
        f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>{title}</title></head>'
        f"<body><h1>{title}</h1>{body}<ul>{items}</ul></body></html>"
    )


# ------------------------------------------------------------------------------------------ TLS certificates


class Certs:
    """A trustme CA (trusted by the crawler's verification through SSL_CERT_FILE) and certificates that are
    good, expired, issued for another name, or self-signed."""

    def __init__(self, workdir: Path):
        import trustme

        self.dir = workdir
        self.ca = trustme.CA(organization_name="faultweb test CA")
        self.ca_file = workdir / "fw-ca.pem"
        self.ca.cert_pem.write_to_path(str(self.ca_file))

    def context(self, kind: str, host: str) -> ssl.SSLContext:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        if kind == "good":
            self.ca.issue_cert(host).configure_cert(ctx)
            return ctx
        if kind == "wrong-name":
            self.ca.issue_cert("someone-else.example.test").configure_cert(ctx)
            return ctx
        if kind == "expired":
            now = dt.datetime.now(dt.UTC)
            cert = self.ca.issue_cert(
                host, not_before=now - dt.timedelta(days=400), not_after=now - dt.timedelta(days=30)
            )
            cert.configure_cert(ctx)
            return ctx
        if kind == "self-signed":
            cert_pem, key_pem = self_signed(host)
            cert_path, key_path = self.dir / f"{host}.crt", self.dir / f"{host}.key"
            cert_path.write_bytes(cert_pem)
            key_path.write_bytes(key_pem)
            ctx.load_cert_chain(str(cert_path), str(key_path))
            return ctx
        raise ValueError(kind)


def self_signed(host: str) -> tuple[bytes, bytes]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(host)]), critical=False)
        .sign(key, hashes.SHA256())
    )
    return (
        cert.public_bytes(serialization.Encoding.PEM),
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ),
    )


# ------------------------------------------------------------------------------------------ the server


class FaultWeb:
    def __init__(self, workdir: Path):
        self.workdir = workdir
        self.cases: dict[str, Case] = {}
        self.dns_cases: dict[str, str] = {}  # name -> nxdomain | servfail | timeout
        self.extra_names: dict[str, str] = {}  # host -> address (names without a server of their own)
        self.records: dict[str, dict[str, list[str]]] = {}  # host -> {"A": [...], "AAAA": [...]} as given
        self.ports: dict[str, int] = {}  # name -> port of a name without a server (a closed port)
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="faultweb", daemon=True)
        self.dns: DNSServer | None = None
        self._certs: Certs | None = None

    @property
    def certs(self) -> Certs:
        if self._certs is None:
            self._certs = Certs(self.workdir)
        return self._certs

    # -- cases
    def add(
        self,
        name: str,
        handler: Handler,
        *,
        tls: str | None = None,
        scheme: str | None = None,
        eager: bool = False,
    ) -> Case:
        case = Case(name, handler, scheme=scheme, eager=eager)
        # Bound now, so every URL is known before the server starts (cases link and redirect to each other).
        case.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        case.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        case.sock.bind(("127.0.0.1", 0))
        case.sock.listen(64)
        case.port = case.sock.getsockname()[1]
        if tls:
            case.tls = self.certs.context(tls, case.host)
        self.cases[name] = case
        return case

    def dns_case(self, name: str, kind: str) -> None:
        self.dns_cases[name] = kind

    def closed_port(self, name: str) -> None:
        """A name that resolves to 127.0.0.1 with a port where nothing listens (connection refused)."""
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        self.ports[name] = s.getsockname()[1]
        s.close()
        self.extra_names[self.host(name)] = "127.0.0.1"

    def name(self, name: str, **rdata: list[str]) -> str:
        """A name with the records given (A=[...], AAAA=[...]) and no server; returns its URL (port 80)."""
        self.records[self.host(name)] = rdata
        return f"http://{self.host(name)}/"

    def host(self, name: str) -> str:
        return f"{name}.{ZONE}"

    def url(self, name: str, path: str = "/") -> str:
        case = self.cases.get(name)
        if case is None:  # a DNS-only case (or a name with no server): port 9, where nothing listens
            return f"http://{self.host(name)}:{self.ports.get(name, 9)}{path}"
        scheme = case.scheme or ("https" if case.tls else "http")
        return f"{scheme}://{case.host}:{case.port}{path}"

    # -- lifecycle
    def start(self) -> FaultWeb:
        self.thread.start()
        for case in self.cases.values():
            fut = asyncio.run_coroutine_threadsafe(self._listen(case), self.loop)
            fut.result(timeout=5)
        records: dict[str, dict[str, list[str]]] = {}
        for case in self.cases.values():
            records[case.host] = {"A": ["127.0.0.1"]}
        for host, addr in self.extra_names.items():
            records[host] = {"A": [addr]}
        records.update(self.records)
        silent = {self.host(n) for n, k in self.dns_cases.items() if k == "timeout"}
        servfail = {self.host(n) for n, k in self.dns_cases.items() if k == "servfail"}
        zone = FaultZone(ZONE, records, ["ns1.fw.test"], servfail=servfail, silent=silent)
        self.dns = DNSServer(zone, ["127.0.0.1", "::1"]).start()
        return self

    async def _listen(self, case: Case) -> None:
        async def on_conn(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            try:
                if case.eager:
                    await case.handler(Request("", "", {}), writer)
                    return
                while True:
                    req = await _read_request(reader)
                    if req is None:
                        break
                    case.requests.append(req)
                    await case.handler(req, writer)
                    break  # every response says Connection: close
            except (ConnectionError, asyncio.IncompleteReadError, ssl.SSLError, OSError):
                pass
            except asyncio.CancelledError:  # the web is stopping
                pass
            finally:
                if not writer.is_closing():
                    writer.close()

        case.server = await asyncio.start_server(on_conn, sock=case.sock, ssl=case.tls)

    def stop(self) -> None:
        if self.dns is not None:
            self.dns.stop()

        async def close_all() -> None:
            for case in self.cases.values():
                if case.server is not None:
                    case.server.close()
                    # close_clients exists from 3.13 on; a stalled handler is cancelled with the loop
            tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for t in tasks:
                t.cancel()

        if self.thread.is_alive():
            asyncio.run_coroutine_threadsafe(close_all(), self.loop).result(timeout=5)
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join(timeout=5)

    def __enter__(self) -> FaultWeb:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def dns_port(self) -> int:
        assert self.dns is not None
        return self.dns.port


async def _read_request(reader: asyncio.StreamReader) -> Request | None:
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except (asyncio.IncompleteReadError, asyncio.LimitOverrunError):
        return None
    lines = head.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ")
    if len(parts) < 2:
        return None
    headers: dict[str, str] = {}
    for line in lines[1:]:
        if ":" in line:
            k, v = line.split(":", 1)
            headers[k.strip().lower()] = v.strip()
    return Request(parts[0], parts[1], headers, headers.get("host", ""))


def abort(writer: asyncio.StreamWriter) -> None:
    """Close with a TCP RST (SO_LINGER 0)."""
    sock = writer.get_extra_info("socket")
    if sock is not None:
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        except OSError:
            pass
    writer.transport.abort()


class ProcWatch:
    """Polls /proc while a command runs: every descendant of this process seen, with its uid and command line
    (to show what `ps` would show other users of the machine)."""

    def __init__(self, interval: float = 0.05):
        self.interval = interval
        self.seen: dict[int, tuple[int, str]] = {}  # pid -> (uid, cmdline)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="procwatch", daemon=True)

    def _run(self) -> None:
        import os

        me = os.getpid()
        while not self._stop.is_set():
            parents: dict[int, int] = {}
            for entry in Path("/proc").iterdir():
                if not entry.name.isdigit():
                    continue
                try:
                    stat = (entry / "stat").read_text()
                    parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
                except (OSError, ValueError, IndexError):
                    continue
            for pid in parents:
                p, hops = pid, 0
                while p not in (0, 1, me) and hops < 50:
                    p, hops = parents.get(p, 0), hops + 1
                if p != me or pid == me or pid in self.seen:
                    continue
                try:
                    cmd = (
                        (Path("/proc") / str(pid) / "cmdline")
                        .read_bytes()
                        .replace(b"\0", b" ")
                        .decode("utf-8", "replace")
                    )
                    uid = int(
                        next(
                            line.split()[1]
                            for line in (Path("/proc") / str(pid) / "status").read_text().splitlines()
                            if line.startswith("Uid:")
                        )
                    )
                except (OSError, StopIteration, ValueError):
                    continue
                if cmd:
                    self.seen[pid] = (uid, cmd)
            self._stop.wait(self.interval)

    def __enter__(self) -> ProcWatch:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
