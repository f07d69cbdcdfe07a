"""Home-page availability probes, and the small HTTP/1.1 client every probe in this package uses.

`fetch()` talks HTTP over asyncio streams to a chosen address (or whatever the resolver returns), with the
Host header and TLS SNI set to the URL's host name: the only way to ask one AAAA address for one site.
Certificates are not verified here (another check judges certificates); a TLS handshake failure is "tls".

`probe_availability()` fetches the whole home page (up to the size cap) `probe_count` times, `probe_interval_s` apart. Each probe gives one
ProbeRecord(kind="availability") with data:

    {"status": int|None, "error_kind": "dns"|"timeout"|"refused"|"reset"|"tls"|"http"|None,
     "elapsed_s": float, "timeout_s": float, "confirmed": bool, "ours": bool,
     "address": str|None, "retry": {"status", "error_kind", "elapsed_s"}|None, "error": str, "dns_kind": str|None,
     "size": bytes read (at most the size cap), "incomplete": the body ended before its declared length}

A redirect of the home page to an address the guard refuses is "redirect_private": the site's failure (the
public cannot open an intranet address either), unlike the home page's own private answer ("private", ours).

A failed probe is retried once at once; `confirmed` only when the retry fails too. `ours` is True when the
failure is on our side: none of our resolvers answers any query, or our own network has no route. NXDOMAIN
from a working resolver, a refused connection or a timeout while our resolvers work are the site's.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import errno
import ssl
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin, urlsplit

from netkit.dns import Resolver, ResolveResult, is_v6
from probes import ProbeRecord

USER_AGENT = "govaudit/0.1 (+government website inspection; IPv6 and availability probes)"
MAX_BODY = 3_000_000  # bytes kept of a home page; gov home pages are well under 1 MB


class Limiter:
    """Bounded concurrency: `total` connections at once overall and `per_host` per host name."""

    def __init__(self, total: int = 64, per_host: int = 4) -> None:
        self.total = asyncio.Semaphore(total)
        self.per_host_n = per_host
        self.hosts: dict[str, asyncio.Semaphore] = {}

    @contextlib.asynccontextmanager
    async def slot(self, host: str) -> AsyncIterator[None]:
        sem = self.hosts.setdefault(host.lower(), asyncio.Semaphore(self.per_host_n))
        async with sem, self.total:
            yield


@dataclass(slots=True)
class FetchResult:
    url: str
    address: str | None = None
    port: int | None = None
    status: int | None = None
    error_kind: str | None = (
        None  # dns | timeout | refused | reset | tls | http | unreachable | private | other
    )
    error: str = ""
    dns_kind: str | None = None
    connect_ms: float | None = None
    ttfb_ms: float | None = None  # from the start of the connection to the first byte of the reply
    total_ms: float | None = None
    size: int = 0
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    final_url: str = ""
    redirects: list[str] = field(default_factory=list)
    incomplete: bool = False  # the body ended before its declared length (connection closed early)

    @property
    def ok(self) -> bool:
        return self.status is not None and self.status < 400 and self.error_kind is None

    def summary(self) -> dict[str, Any]:
        r = lambda v: None if v is None else round(v, 2)  # noqa: E731
        return {
            "url": self.url,
            "address": self.address,
            "port": self.port,
            "status": self.status,
            "error_kind": self.error_kind,
            "error": self.error[:300],
            "connect_ms": r(self.connect_ms),
            "ttfb_ms": r(self.ttfb_ms),
            "total_ms": r(self.total_ms),
            "size": self.size,
            "final_url": self.final_url,
            "redirects": self.redirects,
        }

    def text(self) -> str:
        ctype = self.headers.get("content-type", "")
        charset = ctype.split("charset=")[-1].split(";")[0].strip().lower() if "charset=" in ctype else ""
        if not charset:
            head = self.body[:4096].decode("ascii", "replace").lower()
            i = head.find("charset=")
            if i >= 0:
                charset = head[i + 8 : i + 40].strip("\"' ").split('"')[0].split("'")[0].split(";")[0]
                charset = charset.split()[0].strip("\"'/>") if charset.split() else ""
        if charset in ("gb2312", "gbk", "gb_2312-80"):
            charset = "gb18030"  # the superset: rarer characters on GB2312-declared pages decode right
        try:
            return self.body.decode(charset or "utf-8", "replace")
        except LookupError:
            return self.body.decode("utf-8", "replace")


def classify(exc: BaseException) -> str:
    if isinstance(exc, (TimeoutError, asyncio.TimeoutError)):
        return "timeout"
    if isinstance(exc, ConnectionRefusedError):
        return "refused"
    if isinstance(exc, (ssl.SSLError, ssl.CertificateError)):
        return "tls"
    if isinstance(
        exc, (ConnectionResetError, BrokenPipeError, asyncio.IncompleteReadError, ConnectionAbortedError)
    ):
        return "reset"
    if isinstance(exc, OSError) and exc.errno in (
        errno.ENETUNREACH,
        errno.EHOSTUNREACH,
        errno.EADDRNOTAVAIL,
        errno.EAFNOSUPPORT,
    ):
        return "unreachable"
    if isinstance(exc, ValueError):
        return "http"
    return "other"


def _tls_context() -> ssl.SSLContext:
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


_TLS = _tls_context()


def url_port(url: str) -> int:
    parts = urlsplit(url)
    return parts.port or (443 if parts.scheme == "https" else 80)


async def _read_body(reader: asyncio.StreamReader, headers: dict[str, str], limit: int) -> bytes:
    """The body, never more than `limit` bytes whatever the peer declares (a chunk size or a Content-Length of
    gigabytes is read only up to the limit; the rest is left unread and the connection closed)."""
    out = bytearray()
    if headers.get("transfer-encoding", "").lower().startswith("chunked"):
        while len(out) < limit:
            line = await reader.readline()
            size_text = line.split(b";")[0].strip()
            if not line or not size_text:
                break
            size = int(size_text, 16)
            if size == 0:
                break
            while size and len(out) < limit:
                piece = await reader.read(min(size, limit - len(out), 65536))
                if not piece:
                    raise asyncio.IncompleteReadError(bytes(out), None)
                out += piece
                size -= len(piece)
            if size:
                break  # the limit cut this chunk: stop reading
            await reader.readline()
        return bytes(out)
    if "content-length" in headers:
        n = min(int(headers["content-length"]), limit)
        while len(out) < n:
            piece = await reader.read(min(n - len(out), 65536))
            if not piece:
                raise asyncio.IncompleteReadError(bytes(out), n)
            out += piece
        return bytes(out)
    while len(out) < limit:
        chunk = await reader.read(min(65536, limit - len(out)))
        if not chunk:
            break
        out += chunk
    return bytes(out)


async def _one_request(
    url: str, address: str, port: int, *, read_body: bool, limit: int, res: FetchResult
) -> None:
    parts = urlsplit(url)
    host = parts.hostname or ""
    t0 = time.monotonic()
    tls = _TLS if parts.scheme == "https" else None
    reader, writer = await asyncio.open_connection(
        address, port, ssl=tls, server_hostname=host if tls else None
    )
    res.connect_ms = (time.monotonic() - t0) * 1000
    try:
        path = parts.path or "/"
        if parts.query:
            path += "?" + parts.query
        default = 443 if parts.scheme == "https" else 80
        host_header = (
            host if port == default and parts.port in (None, default) else parts.netloc.split("@")[-1]
        )
        req = (
            f"GET {path} HTTP/1.1\r\nHost: {host_header}\r\nUser-Agent: {USER_AGENT}\r\n"
            "Accept: text/html,*/*;q=0.8\r\nAccept-Encoding: identity\r\nConnection: close\r\n\r\n"
        )
        writer.write(req.encode("latin-1", "replace"))
        await writer.drain()
        first = await reader.read(1)
        res.ttfb_ms = (time.monotonic() - t0) * 1000
        if not first:
            raise ConnectionResetError("connection closed before any reply")
        head = first + await reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        proto, _, rest = lines[0].partition(" ")
        if not proto.startswith("HTTP/"):
            raise ValueError(f"not an HTTP reply: {lines[0][:80]!r}")
        res.status = int(rest.split(" ", 1)[0])
        res.headers = {}
        for line in lines[1:]:
            if ":" in line:
                k, v = line.split(":", 1)
                res.headers[k.strip().lower()] = v.strip()
        if read_body and res.status not in (204, 304):
            try:
                res.body = await _read_body(reader, res.headers, limit)
            except asyncio.IncompleteReadError as exc:
                # The server closed before the length it announced: what it sent is all a browser gets and
                # shows, and it came in time. On record, not a failure to open.
                res.body, res.incomplete = bytes(exc.partial), True
        res.size = len(res.body) if read_body else int(res.headers.get("content-length", "0") or 0)
    finally:
        writer.close()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(writer.wait_closed(), 1)


async def fetch(
    url: str,
    *,
    address: str | None = None,
    family: int | None = None,
    resolver: Resolver | None = None,
    timeout: float = 15.0,
    read_body: bool = True,
    max_redirects: int = 20,
    limit: int = MAX_BODY,
    limiter: Limiter | None = None,
) -> FetchResult:
    """GET `url` at `address` (or the first address the resolver gives, of `family` 4 or 6 when set).

    Redirects are followed (same host: same address; another host: resolved in the same family).
    """
    res = FetchResult(url=url, final_url=url)
    t0 = time.monotonic()
    current = url
    orig_host = (urlsplit(url).hostname or "").lower()
    try:
        async with asyncio.timeout(timeout):
            for hop in range(max_redirects + 1):
                host = (urlsplit(current).hostname or "").lower()
                addr = address if (address and host == orig_host) else None
                if addr is None:
                    if resolver is None:
                        raise ValueError("no address and no resolver")
                    if family or address:
                        rdtypes = (
                            ["AAAA"] if (family == 6 or (not family and is_v6(address or ""))) else ["A"]
                        )
                    else:
                        rdtypes = ["A", "AAAA"]
                    rr: ResolveResult | None = None
                    private = False
                    for rdtype in rdtypes:
                        rr = await resolver.aresolve(host, rdtype)
                        private = private or rr.kind == "private"
                        if rr.addresses:
                            break
                    if rr is None or not rr.addresses:
                        res.error_kind = "private" if private else "dns"
                        if private and hop:
                            # The site itself sent us there: the public cannot open an intranet address either,
                            # so this is the site's failure, not our policy's.
                            res.error_kind = "redirect_private"
                            res.error = f"首页跳转到公众无法访问的内网地址：{current}"
                            res.dns_kind = rr.kind if rr else None
                            res.final_url = current
                            return res
                        res.dns_kind = rr.kind if rr else None
                        res.error = f"{host}: {rr.kind if rr else 'no resolver'}"
                        return res
                    addr = rr.addresses[0]
                port = url_port(current)
                res.address, res.port = addr, port
                res.status, res.body, res.headers = None, b"", {}
                if limiter is not None:
                    async with limiter.slot(host):
                        await _one_request(current, addr, port, read_body=read_body, limit=limit, res=res)
                else:
                    await _one_request(current, addr, port, read_body=read_body, limit=limit, res=res)
                location = res.headers.get("location")
                if res.status in (301, 302, 303, 307, 308) and location and hop < max_redirects:
                    nxt = urljoin(current, location)
                    if urlsplit(nxt).scheme not in ("http", "https"):
                        break
                    res.redirects.append(nxt)
                    current = nxt
                    continue
                break
        res.final_url = current
        if res.status is not None and res.status >= 400:
            res.error_kind = "http"
        elif res.status in (301, 302, 303, 307, 308) and res.headers.get("location"):
            # Still redirecting after max_redirects hops (20, as browsers follow): a loop, the page never opens.
            res.error_kind = "redirect"
            res.error = f"重定向超过 {max_redirects} 次（循环或过长的跳转链），首页无法打开"
    except Exception as exc:  # noqa: BLE001 - every failure becomes an error kind
        res.status = None
        res.error_kind = classify(exc)
        res.error = f"{type(exc).__name__}: {exc}"
    finally:
        res.total_ms = (time.monotonic() - t0) * 1000
    return res


async def our_side_down(resolver: Resolver, timeout: float = 2.0) -> bool:
    """True when none of our resolvers answers any query at all."""
    health = await resolver.ahealth(timeout=timeout)
    return not any(h["ok"] for h in health)


# The availability schema knows dns|timeout|refused|reset|tls|http: the client's finer kinds fold into those.
_KIND_MAP = {"unreachable": "timeout", "other": "reset"}


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


async def probe_availability(
    site_id: str,
    url: str,
    *,
    resolver: Resolver,
    probe_count: int = 3,
    probe_interval_s: float = 60.0,
    timeout_s: float = 15.0,
    limiter: Limiter | None = None,
    limit: int = MAX_BODY,
) -> list[ProbeRecord]:
    # The whole document is read (up to the size cap) and timed: 19号 asks whether the page opens within 15 s,
    # and a home page whose headers come at once and whose body drips in for a minute does not.
    records = []
    for i in range(probe_count):
        if i:
            await asyncio.sleep(probe_interval_s)
        at = _now()
        first = await fetch(url, resolver=resolver, timeout=timeout_s, limit=limit, limiter=limiter)
        retry = None
        if not first.ok:
            retry = await fetch(url, resolver=resolver, timeout=timeout_s, limit=limit, limiter=limiter)
        confirmed = retry is not None and not retry.ok
        ours = False
        if not first.ok:
            # Whose fault: our resolvers all silent, or no route out of this machine.
            # A private answer refused by network.allow_private is our policy, not proof the site is down.
            ours = first.error_kind in ("unreachable", "private") or (
                first.error_kind in ("dns", "timeout") and await our_side_down(resolver)
            )
        data = {
            "status": first.status,
            "error_kind": _KIND_MAP.get(first.error_kind, first.error_kind),
            "elapsed_s": round((first.total_ms or 0) / 1000, 3),
            "timeout_s": timeout_s,
            "confirmed": confirmed,
            "ours": ours,
            "address": first.address,
            "dns_kind": first.dns_kind,
            "error": first.error[:300],
            "final_url": first.final_url,
            "size": first.size,
            "incomplete": first.incomplete,
            "retry": None
            if retry is None
            else {
                "status": retry.status,
                "error_kind": retry.error_kind,
                "elapsed_s": round((retry.total_ms or 0) / 1000, 3),
            },
        }
        records.append(ProbeRecord(site_id, "availability", url, at, first.ok, first.total_ms, data))
    return records
