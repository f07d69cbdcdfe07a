"""A generated local web for the benchmarks: N sites × P pages, each site on its own loopback address.

Site k answers on 127.0.1.k (one asyncio HTTP/1.1 server with keep-alive, all sites in one process, pages built
in memory) under the name s<k>.bench.test, which a DNS server for bench.test (simweb's) resolves. Pages look like
a county 政务公开 site: a home page with the columns, paginated column lists of dated entries (20 a page,
下一页), article pages with a body of Chinese text, breadcrumbs and a footer with the site markings; robots.txt
disallows one path. `latency_s` holds every response that long before it is sent (a stand-in for the network).

    python bench/localweb.py --sites 100 --pages 200 --latency-ms 0     # serve until Ctrl-C, print the config
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import random
import sys
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from simweb.dns_server import DNSServer, Zone  # noqa: E402

ZONE = "bench.test"
PER_LIST = 20
WORDS = ("政务公开 政府信息 通知公告 工作动态 政策文件 人事信息 规划计划 财政预决算 行政许可 行政处罚 "
         "重点领域 建议提案 办理结果 公共服务 社会救助 乡村振兴 营商环境 安全生产 生态环境 教育 卫生健康").split()


def site_address(k: int) -> str:
    return f"127.0.1.{k + 1}"


def site_host(k: int) -> str:
    return f"s{k}.{ZONE}"


class Site:
    """One site's pages, generated from its number: deterministic, so every crawl sees the same web."""

    def __init__(self, k: int, pages: int):
        self.k = k
        rnd = random.Random(k)
        self.columns = max(1, min(10, pages // 20))
        # pages = 1 home + columns' list pages + articles; lists hold PER_LIST articles each.
        articles = max(self.columns, pages - 1)
        lists = -(-articles // PER_LIST)
        articles = max(self.columns, pages - 1 - lists)
        self.per_column = [articles // self.columns + (1 if c < articles % self.columns else 0)
                           for c in range(self.columns)]
        self.titles = {(c, a): "关于" + "".join(rnd.choice(WORDS) for _ in range(3)) + "的通知"
                       for c in range(self.columns) for a in range(self.per_column[c])}
        base = dt.date(2021, 12, 18)
        self.dates = {key: base - dt.timedelta(days=i * 3 % 700) for i, key in enumerate(sorted(self.titles))}
        self.text = "".join(rnd.choice(WORDS) + "，" for _ in range(400))

    def count(self) -> int:
        lists = sum(-(-n // PER_LIST) or 1 for n in self.per_column)
        return 1 + lists + sum(self.per_column)

    def _layout(self, title: str, crumbs: str, body: str) -> str:
        nav = "".join(f'<li><a href="/c{c}/">栏目{c}</a></li>' for c in range(self.columns))
        return ("<!DOCTYPE html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\">"
                f"<title>{title} - 第{self.k}县人民政府</title></head><body>"
                f"<div class=\"header\"><ul class=\"nav\"><li><a href=\"/\">首页</a></li>{nav}</ul></div>"
                f"<div class=\"position\">当前位置：<a href=\"/\">首页</a> &gt; {crumbs}</div>"
                f"<div class=\"main\">{body}</div>"
                "<div class=\"footer\">主办：第{k}县人民政府办公室 网站标识码：3604000{k:03d} "
                "赣ICP备05000{k:03d}号 赣公网安备 36040202000{k:03d}号</div></body></html>").replace(
            "{k}", str(self.k)).replace("{k:03d}", f"{self.k:03d}")

    def page(self, path: str) -> bytes | None:
        if path == "/":
            cols = "".join(
                f'<div class="col"><h3><a href="/c{c}/">栏目{c}</a></h3><ul>'
                + "".join(f'<li><a href="/c{c}/a{a}.html">{self.titles[(c, a)]}</a>'
                          f'<span>{self.dates[(c, a)].isoformat()}</span></li>'
                          for a in range(min(5, self.per_column[c])))
                + "</ul></div>" for c in range(self.columns))
            return self._layout("首页", "首页", cols + f"<p>{self.text[:300]}</p>").encode()
        parts = path.strip("/").split("/")
        if not parts or not parts[0].startswith("c") or not parts[0][1:].isdigit():
            return None
        c = int(parts[0][1:])
        if c >= self.columns:
            return None
        n = self.per_column[c]
        npages = max(1, -(-n // PER_LIST))
        if len(parts) == 1 or parts[1] in ("", "index.html") or (parts[1].startswith("index_")
                                                                  and parts[1].endswith(".html")):
            p = 0 if len(parts) == 1 or parts[1] in ("", "index.html") else int(parts[1][6:-5])
            if p >= npages:
                return None
            items = "".join(f'<li><a href="/c{c}/a{a}.html">{self.titles[(c, a)]}</a>'
                            f'<span class="date">{self.dates[(c, a)].isoformat()}</span></li>'
                            for a in range(p * PER_LIST, min(n, (p + 1) * PER_LIST)))
            pager = f'<div class="page">第{p + 1}页 共{npages}页 '
            if p + 1 < npages:
                pager += f'<a href="/c{c}/index_{p + 1}.html">下一页</a>'
            pager += "</div>"
            return self._layout(f"栏目{c}", f'<a href="/c{c}/">栏目{c}</a>',
                                f'<ul class="list">{items}</ul>{pager}').encode()
        if parts[1].startswith("a") and parts[1].endswith(".html") and parts[1][1:-5].isdigit():
            a = int(parts[1][1:-5])
            if a >= n:
                return None
            body = (f"<h1>{self.titles[(c, a)]}</h1><div class=\"info\">发布日期：{self.dates[(c, a)].isoformat()}"
                    f"</div><div class=\"content\"><p>{self.text}</p></div>"
                    f'<a href="/c{c}/">返回栏目</a>')
            return self._layout(self.titles[(c, a)], f'<a href="/c{c}/">栏目{c}</a>', body).encode()
        return None


ROBOTS = b"User-agent: *\nDisallow: /private/\n"


class _Protocol(asyncio.Protocol):
    def __init__(self, web: LocalWeb):
        self.web = web
        self.buf = b""
        self.transport: asyncio.Transport | None = None
        self.site: Site | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        addr = transport.get_extra_info("sockname")[0]
        self.site = self.web.by_address.get(addr)

    def data_received(self, data: bytes) -> None:
        self.buf += data
        while b"\r\n\r\n" in self.buf:
            head, self.buf = self.buf.split(b"\r\n\r\n", 1)
            line = head.split(b"\r\n", 1)[0].decode("latin-1")
            try:
                _method, target, _version = line.split(" ", 2)
            except ValueError:
                target = "/"
            path = target.split("?", 1)[0]
            if self.web.latency_s:
                asyncio.get_running_loop().call_later(self.web.latency_s, self._respond, path)
            else:
                self._respond(path)

    def _respond(self, path: str) -> None:
        if self.transport is None or self.transport.is_closing():
            return
        self.web.requests += 1
        if path == "/robots.txt":
            status, ctype, body = "200 OK", "text/plain", ROBOTS
        else:
            page = self.site.page(path) if self.site else None
            if page is None:
                status, ctype, body = "404 Not Found", "text/html; charset=utf-8", b"<html><body>404</body></html>"
            else:
                status, ctype, body = "200 OK", "text/html; charset=utf-8", page
        self.transport.write(f"HTTP/1.1 {status}\r\nContent-Type: {ctype}\r\nContent-Length: {len(body)}\r\n"
                             "Connection: keep-alive\r\n\r\n".encode() + body)


class LocalWeb:
    """Serve the generated web in a background thread (its own event loop) plus a DNS server for bench.test."""

    def __init__(self, sites: int, pages: int, *, latency_s: float = 0.0):
        self.sites = [Site(k, pages) for k in range(sites)]
        self.by_address = {site_address(s.k): s for s in self.sites}
        self.latency_s = latency_s
        self.requests = 0
        self.port = 0
        self.dns: DNSServer | None = None
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._servers: list[asyncio.base_events.Server] = []

    def pages(self) -> int:
        return sum(s.count() for s in self.sites)

    def url(self, k: int) -> str:
        return f"http://{site_host(k)}:{self.port}/"

    def start(self) -> LocalWeb:
        self._thread.start()
        fut = asyncio.run_coroutine_threadsafe(self._bind(), self._loop)
        fut.result(timeout=30)
        records = {f"{site_host(s.k)}.": {"A": [site_address(s.k)], "AAAA": []} for s in self.sites}
        records[f"ns1.{ZONE}."] = {"A": ["127.0.0.1"], "AAAA": []}
        self.dns = DNSServer(Zone(ZONE, records, [f"ns1.{ZONE}"]), ["127.0.0.1"]).start()
        return self

    async def _bind(self) -> None:
        import socket

        for _ in range(20):
            with socket.socket() as probe:
                probe.bind((site_address(0), 0))
                port = probe.getsockname()[1]
            try:
                for s in self.sites:
                    self._servers.append(await self._loop.create_server(
                        lambda: _Protocol(self), site_address(s.k), port, backlog=512, reuse_address=True))
                self.port = port
                return
            except OSError:
                for srv in self._servers:
                    srv.close()
                self._servers = []
        raise OSError("no free port on every 127.0.1.x address")

    def stop(self) -> None:
        async def close() -> None:
            for srv in self._servers:
                srv.close()

        asyncio.run_coroutine_threadsafe(close(), self._loop).result(timeout=10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        if self.dns is not None:
            self.dns.stop()

    def __enter__(self) -> LocalWeb:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def config_yaml(self, **defaults: object) -> str:
        """sites.yaml for govaudit: same politeness as the bare spider (2 requests per host, no delay, robots)."""
        import yaml

        base: dict[str, object] = {"max_pages": 100000, "max_depth": 50, "concurrency_per_host": 2, "delay_s": 0,
                                   "timeout_s": 30, "render_js": "never", "obey_robots": True, "probe_count": 1,
                                   "probe_interval_s": 0.1, "probe_timeout_s": 5, "max_seconds": 7200,
                                   "link_check": True}
        base.update(defaults)
        sites = [{"id": f"s{s.k}", "name": f"第{s.k}县人民政府", "url": self.url(s.k), "level": "county",
                  "unit": f"第{s.k}县人民政府办公室"} for s in self.sites]
        assert self.dns is not None
        network = {"nameservers": [f"127.0.0.1:{self.dns.port}"], "allow_private": True}
        return yaml.safe_dump({"defaults": base, "network": network, "sites": sites}, allow_unicode=True,
                              sort_keys=False)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sites", type=int, default=100)
    ap.add_argument("--pages", type=int, default=200)
    ap.add_argument("--latency-ms", type=float, default=0)
    args = ap.parse_args()
    with LocalWeb(args.sites, args.pages, latency_s=args.latency_ms / 1000) as web:
        print(web.config_yaml())
        print(f"# {len(web.sites)} sites, {web.pages()} pages, port {web.port}", file=sys.stderr)
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            pass
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
