"""Serve a built simulated web: one HTTP server per address family (virtual hosts by ``Host``) plus an
authoritative DNS server for ``jj.test``.

    with serve(Path("var/simweb")) as web:
        print(web.http_port, web.dns_port)
        Path("sites.yaml").write_text(web.config_yaml())

Behaviour per host comes from ``<root>/simweb.json`` (written by ``simweb.build``):

- ``down``: the DNS name resolves (A and AAAA) but every HTTP connection is closed without an answer.
- ``ipv6: v4only``: no AAAA record; the IPv6 server closes connections for that Host.
- ``ipv6: v6diff``: AAAA present; the IPv6 server answers the home page with another page (``_v6/<host>/``).
- ``page_query``: ``index.html?page=N`` is served from ``index.pageN.html``.
- ``status``: paths answered with that status (planted 500s).
- ``charset`` other than utf-8: ``Content-Type: text/html`` without a charset (the page's <meta> says it).
"""

from __future__ import annotations

import json
import mimetypes
import socket
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from .dns_server import DNSServer, Zone

HTML_EXTS = {".html", ".htm", ".shtml"}
TYPES = {
    ".css": "text/css",
    ".js": "application/javascript",
    ".png": "image/png",
    ".txt": "text/plain",
    ".jpg": "image/jpeg",
    ".gif": "image/gif",
    ".pdf": "application/pdf",
}


class _Sink:
    closed = False

    def close(self):
        pass

    def write(self, data):
        return len(data)

    def flush(self):
        pass


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "nginx"
    sys_version = ""

    def log_message(self, format, *args):  # noqa: A002 - quiet
        pass

    def do_GET(self):  # noqa: N802
        self._serve(head=False)

    def do_HEAD(self):  # noqa: N802
        self._serve(head=True)

    # ------------------------------------------------------------------
    def _drop(self) -> None:
        """Close the TCP connection without answering."""
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.wfile = _Sink()

    def _send(self, status: int, body: bytes, ctype: str, head: bool, extra: dict | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        if not head:
            self.wfile.write(body)

    def _error(self, status: int, head: bool) -> None:
        text = {404: "404 Not Found", 500: "500 Internal Server Error"}.get(status, str(status))
        body = f"<html><head><title>{text}</title></head><body><h1>{text}</h1><hr>nginx</body></html>\n"
        self._send(status, body.encode(), "text/html; charset=utf-8", head)

    def _serve(self, head: bool) -> None:
        web: SimWeb = self.server.simweb  # type: ignore[attr-defined]
        family = self.server.simweb_family  # type: ignore[attr-defined]
        host = _strip_port(self.headers.get("Host", ""))
        cfg = web.hosts.get(host)
        if cfg is None:
            return self._error(404, head)
        if cfg["down"] or (family == "v6" and cfg["ipv6"] == "v4only"):
            return self._drop()
        parts = urlsplit(self.path)
        path = unquote(parts.path) or "/"
        if path in cfg["status"]:
            return self._error(cfg["status"][path], head)
        root = web.root / host
        if family == "v6" and cfg["ipv6"] == "v6diff" and path in ("/", "/index.html"):
            root = web.root / "_v6" / host
        rel = path.lstrip("/")
        if not rel or rel.endswith("/"):
            rel += "index.html"
        if cfg["page_query"] and parts.query:
            page = parse_qs(parts.query).get("page", ["1"])[0]
            if not page.isdigit():
                return self._error(404, head)
            if int(page) > 1:
                stem, dot, ext = rel.rpartition(".")
                rel = f"{stem}.page{int(page)}.{ext}"
        file = (root / rel).resolve()
        if not file.is_relative_to(root.resolve()):
            return self._error(404, head)
        if file.is_dir():
            return self._send(301, b"", "text/html", head, {"Location": path.rstrip("/") + "/"})
        if not file.is_file():
            return self._error(404, head)
        ext = file.suffix.lower()
        if ext in HTML_EXTS:
            ctype = (
                "text/html; charset=utf-8"
                if cfg["charset"] == "utf-8" or root.parent.name == "_v6"
                else "text/html"
            )
        else:
            ctype = TYPES.get(ext) or mimetypes.guess_type(file.name)[0] or "application/octet-stream"
        self._send(200, file.read_bytes(), ctype, head)


def _strip_port(host: str) -> str:
    host = host.strip().lower()
    if host.startswith("["):
        return host[1:].split("]", 1)[0]
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


class _Server4(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 256  # the default 5 drops SYNs when a crawler opens ~100 connections at once

    def handle_error(self, request, client_address):  # clients that hang up are not our problem
        pass


class _Server6(_Server4):
    address_family = socket.AF_INET6


@dataclass
class SimWeb:
    root: Path
    hosts: dict[str, dict]
    sites: list[dict]
    http_port: int = 0
    dns_port: int = 0
    v4: str = "127.0.0.1"
    v6: str = "::1"
    _http: list = field(default_factory=list)
    _threads: list = field(default_factory=list)
    _dns: DNSServer | None = None

    # ------------------------------------------------------------------ lifecycle
    def stop(self) -> None:
        for server in self._http:
            server.shutdown()
            server.server_close()
        for t in self._threads:
            t.join(timeout=2)
        self._http, self._threads = [], []
        if self._dns is not None:
            self._dns.stop()
            self._dns = None

    def __enter__(self) -> SimWeb:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    # ------------------------------------------------------------------ helpers
    def url(self, site_id: str, path: str = "/") -> str:
        host = next(s["host"] for s in self.sites if s["id"] == site_id)
        return f"http://{host}:{self.http_port}{path}"

    def config_yaml(self, *, sites: list[str] | None = None, **defaults) -> str:
        """A govaudit sites.yaml pointing at the simulated sites (``defaults`` override the fast demo ones)."""
        import yaml

        base = {
            "max_pages": 1000,
            "max_depth": 6,
            "concurrency_per_host": 8,
            "delay_s": 0,
            "timeout_s": 10,
            "render_js": "auto",
            "obey_robots": True,
            "probe_count": 3,
            "probe_interval_s": 0.2,
            "probe_timeout_s": 3,
        }
        base.update(defaults)
        entries = []
        for s in self.sites:
            if sites is not None and s["id"] not in sites:
                continue
            entry = {
                "id": s["id"],
                "name": s["name"],
                "url": self.url(s["id"]),
                "level": s["level"],
                "unit": s["unit"],
            }
            if s.get("parent"):
                entry["parent"] = s["parent"]
            entry["site_code"] = s["site_code"]
            entries.append(entry)
        doc = {
            "defaults": base,
            "network": {"nameservers": [f"{self.v4}:{self.dns_port}"], "allow_private": True},
            "sites": entries,
        }
        head = (
            "# Generated by simweb: the simulated Jiujiang web on loopback "
            f"(HTTP port {self.http_port}, DNS port {self.dns_port}).\n"
        )
        return head + yaml.safe_dump(doc, allow_unicode=True, sort_keys=False, width=200)


def _zone_records(config: dict, v4: str, v6: str) -> dict[str, dict[str, list[str]]]:
    records: dict[str, dict[str, list[str]]] = {}
    for host, cfg in config["hosts"].items():
        records[host + "."] = {"A": [v4], "AAAA": [] if cfg["ipv6"] == "v4only" else [v6]}
    zone = config["zone"]
    for ns in ("ns1", "ns2"):
        records[f"{ns}.{zone}."] = {"A": [v4], "AAAA": [v6]}
    return records


def _start_http(web: SimWeb, port: int) -> int:
    last: OSError | None = None
    for _ in range(50):
        s4 = _Server4((web.v4, port), _Handler)
        chosen = s4.server_address[1]
        try:
            s6 = _Server6((web.v6, chosen, 0, 0), _Handler)
        except OSError as exc:
            s4.server_close()
            last = exc
            if port:
                raise
            continue
        for server, fam in ((s4, "v4"), (s6, "v6")):
            server.simweb = web
            server.simweb_family = fam
            t = threading.Thread(
                target=server.serve_forever,
                kwargs={"poll_interval": 0.05},
                name=f"simweb-http-{fam}",
                daemon=True,
            )
            t.start()
            web._http.append(server)
            web._threads.append(t)
        return chosen
    raise OSError(f"no port free on both {web.v4} and {web.v6}: {last}")


def serve(
    root: Path, *, http_port: int = 0, dns_port: int = 0, v4: str = "127.0.0.1", v6: str = "::1"
) -> SimWeb:
    """Start the HTTP servers (v4 + v6, same port) and the DNS server (UDP+TCP, v4 + v6, same port)."""
    root = Path(root)
    config = json.loads((root / "simweb.json").read_text(encoding="utf-8"))
    web = SimWeb(root=root, hosts=config["hosts"], sites=config["sites"], v4=v4, v6=v6)
    try:
        web.http_port = _start_http(web, http_port)
        zone = Zone(
            config["zone"], _zone_records(config, v4, v6), [f"ns1.{config['zone']}", f"ns2.{config['zone']}"]
        )
        web._dns = DNSServer(zone, [v4, v6], dns_port).start()
        web.dns_port = web._dns.port
    except BaseException:
        web.stop()
        raise
    return web
