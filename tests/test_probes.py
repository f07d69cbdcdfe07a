"""Probes against a real authoritative server (Debian knotd, tests/knot.py) and HTTP servers on 127.0.0.1 and ::1.

Zones: ok.test (both name servers with AAAA; dual-stack, A-only, dead-IPv6, other-content and link-rate sites),
half.test (one name server without AAAA), mute.test (served by a knot listening on 127.0.0.1 only, so its
name server's AAAA ::1 does not answer on the DNS port) and bad.test (a zone knot cannot load: SERVFAIL).
"""

from __future__ import annotations

import datetime as dt
import secrets
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from inspections.artifacts import ProbeArtifact, SiteArtifacts
from inspections.base import Status
from inspections.runner import run_check
from inspections import ipv6_support  # noqa: F401 - registers the check
from probes.availability import probe_availability
from probes.ipv6 import similarity
from probes.resolve import Resolver
from probes.runner import run_probes
from tests.knot import KnotServer, free_port, knot_available, zone

pytestmark = pytest.mark.skipif(not knot_available(), reason="Debian knot is not installed")

LINKS = "".join(f'<a href="/a{i}.html">栏目{i}</a>' for i in range(5))


def page(title: str, extra: str = "") -> bytes:
    # A nonce and a time that change on every load: the comparison must ignore them.
    return (f'<html><head><meta charset="utf-8"><title>{title}</title>'
            f'<script nonce="{secrets.token_hex(8)}">var t={secrets.randbelow(10**9)};</script></head>'
            f'<body><h1>{title}</h1><p>更新时间 {dt.datetime.now():%H:%M:%S}</p>'
            f'<input type="hidden" name="csrf" value="{secrets.token_hex(16)}">'
            f'{LINKS}{extra}<p>{"政务公开 政策文件 通知公告 " * 40}</p></body></html>').encode()


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:  # noqa: N802
        host = (self.headers.get("Host") or "").split(":")[0]
        fam = self.server.family_tag
        path = self.path
        status, body = 200, b""
        if host == "other6.ok.test" and fam == "v6":
            body = b"<html><body><h1>It works!</h1><p>default server page</p></body></html>"
        elif host == "links.ok.test" and fam == "v6" and path in ("/a3.html", "/a4.html"):
            status, body = 404, b"not found"
        elif path == "/" or path.startswith("/a") or path.startswith("/b"):
            extra = "".join(f'<a href="/b{path[2:3]}{j}.html">文章{j}</a>' for j in range(3)) \
                if path.startswith("/a") else ""
            body = page(f"{host} {path}", extra)
        else:
            status, body = 404, b"not found"
        self.send_response(status)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class V6Server(ThreadingHTTPServer):
    address_family = socket.AF_INET6


def serve(addr: str, port: int, tag: str) -> ThreadingHTTPServer:
    cls = V6Server if ":" in addr else ThreadingHTTPServer
    srv = cls((addr, port), Handler)
    srv.family_tag = tag
    srv.daemon_threads = True
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return srv


def rec(name: str, a: bool = True, aaaa: bool = True) -> str:
    return (f"{name} A 127.0.0.1\n" if a else "") + (f"{name} AAAA ::1\n" if aaaa else "")


NS_BOTH = rec("ns1") + rec("ns2")


@pytest.fixture(scope="module")
def world():
    http_port, v4only_port = free_port(), free_port()
    servers = [serve("127.0.0.1", http_port, "v4"), serve("::1", http_port, "v6"),
               serve("127.0.0.1", v4only_port, "v4")]  # nothing on [::1]:v4only_port
    zones = {
        "ok.test": zone("ok.test", NS_BOTH + rec("www") + rec("ok.test.") + rec("v4only", aaaa=False)
                        + rec("dead6") + rec("other6") + rec("links"), ns=("ns1", "ns2")),
        "half.test": zone("half.test", rec("ns1") + rec("ns2", aaaa=False) + rec("www") + rec("half.test."),
                          ns=("ns1", "ns2")),
    }
    mute = {"mute.test": zone("mute.test", rec("ns1") + rec("www") + rec("mute.test."))}
    with KnotServer(zones, broken=["bad.test"]) as knot, KnotServer(mute, listen_v6=False) as knot4:
        yield {"http": http_port, "v4only": v4only_port, "knot": knot, "knot4": knot4}
    for s in servers:
        s.shutdown()
        s.server_close()


def site(id_: str, url: str, level: str = "county") -> dict:
    return {"id": id_, "url": url, "level": level}


FAST = {"availability": {"probe_count": 1, "probe_interval_s": 0, "timeout_s": 3},
        "ipv6": {"ports": [], "timeout_s": 3, "connect_timeout_s": 1, "link_sample": 10},
        "dns_timeout_s": 1.0}


def probe(world, sites, *, knot=None, options=None, reference=None):
    knot = knot or world["knot"]
    opts = {**FAST, **(options or {})}
    opts["ipv6_reference"] = reference or f"dns:[::1]:{world['knot'].port}"
    return run_probes(sites, nameservers=knot.nameservers if knot.listen_v6 else knot.nameservers[:1],
                      allow_private=True, options=opts)


def artifacts(s: dict, env: dict, records) -> SiteArtifacts:
    probes = tuple(ProbeArtifact(r.kind, r.target, r.at, r.ok, r.data, r.duration_ms)
                   for r in records if r.site_id == s["id"])
    return SiteArtifacts(site_id=s["id"], name=s["id"], home_url=s["url"], level=s["level"],
                         probes=probes, environment=env)


def judge(s, env, records, **options):
    return run_check("ipv6-support", artifacts(s, env, records), as_of=dt.date(2021, 12, 20), **options)


@pytest.fixture(scope="module")
def main_run(world):
    p, p4 = world["http"], world["v4only"]
    sites = {
        "dual": site("dual", f"http://www.ok.test:{p}/"),
        "v4only": site("v4only", f"http://v4only.ok.test:{p}/"),
        "dead6": site("dead6", f"http://dead6.ok.test:{p4}/"),
        "other6": site("other6", f"http://other6.ok.test:{p}/"),
        "half": site("half", f"http://www.half.test:{p}/"),
        "links": site("links", f"http://links.ok.test:{p}/"),
        "nx": site("nx", f"http://nx.ok.test:{p}/"),
        "servfail": site("servfail", f"http://www.bad.test:{p}/"),
        "dept": site("dept", f"http://v4only.ok.test:{p}/", level="department"),
    }
    env, records = probe(world, list(sites.values()))
    return sites, env, records


def test_environment_records_own_ipv6_and_resolvers(main_run):
    _, env, _ = main_run
    assert env["ipv6"] is True and env["resolvers_ok"] is True and env["ipv6_reason"] == ""


def test_dual_stack_site_passes(main_run):
    sites, env, records = main_run
    out = judge(sites["dual"], env, records)
    assert out.status is Status.PASS, [f.message for f in out.findings]
    [v6] = [r for r in records if r.site_id == "dual" and r.kind == "ipv6"]
    assert v6.ok and v6.data["comparison"]["::1"]["similarity"] >= 0.9
    assert v6.data["links"]["depth2"]["rate"] == 100.0 and v6.data["links"]["depth3"]["sampled"] > 0
    assert set(v6.data["timings"]) == {"dns_ms", "tcp_ms", "ttfb_ms", "total_ms"}
    assert out.findings[-1].evidence["timings"]["ttfb_ms"]["v6"] is not None


def test_a_only_site_fails(main_run):
    sites, env, records = main_run
    out = judge(sites["v4only"], env, records)
    assert out.status is Status.FAIL and "没有AAAA记录" in out.findings[0].message


def test_aaaa_with_nothing_listening_fails(main_run):
    sites, env, records = main_run
    out = judge(sites["dead6"], env, records)
    assert out.status is Status.FAIL
    assert "::1" in out.findings[0].message and "refused" in out.findings[0].message


def test_ipv6_serving_other_content_fails(main_run):
    sites, env, records = main_run
    out = judge(sites["other6"], env, records)
    assert out.status is Status.FAIL and "相似度" in out.findings[0].message
    assert out.findings[0].evidence["comparison"]["::1"]["similarity"] < 0.5


def test_one_name_server_without_aaaa_warns(main_run):
    sites, env, records = main_run
    out = judge(sites["half"], env, records)
    assert out.status is Status.WARN
    assert any("ns2.half.test没有AAAA记录" in f.message for f in out.findings)


def test_link_rate_under_target_warns(main_run):
    sites, env, records = main_run
    out = judge(sites["links"], env, records)
    assert out.status is Status.WARN
    assert any("二级内链IPv6支持率为60.0%" in f.message for f in out.findings)


def test_nxdomain_and_servfail_reported_as_such(main_run):
    sites, env, records = main_run
    nx = judge(sites["nx"], env, records)
    assert nx.status is Status.FAIL and "NXDOMAIN" in nx.findings[0].message
    sf = judge(sites["servfail"], env, records)
    assert sf.status is Status.FAIL and "SERVFAIL" in sf.findings[0].message


def test_department_site_is_reported_without_points(main_run):
    sites, env, records = main_run
    out = judge(sites["dept"], env, records)
    assert out.status is Status.WARN and out.points_lost == 0
    assert judge(sites["dept"], env, records, department_points=True).status is Status.FAIL


def test_name_server_not_answering_over_ipv6_warns(world):
    s = site("mute", f"http://www.mute.test:{world['http']}/")
    env, records = probe(world, [s], knot=world["knot4"], reference=f"tcp:[::1]:{world['http']}")
    out = judge(s, env, records)
    assert out.status is Status.WARN
    assert any("ns1.mute.test的IPv6地址::1未应答" in f.message for f in out.findings), \
        [f.message for f in out.findings]


def test_port_open_over_ipv4_only_warns(world):
    s = site("ports", f"http://www.ok.test:{world['http']}/")
    env, records = probe(world, [s], options={"ipv6": {**FAST["ipv6"], "ports": [world["v4only"]]}})
    out = judge(s, env, records)
    assert out.status is Status.WARN
    assert any(f"未开放IPv4已开放的端口{world['v4only']}" in f.message for f in out.findings)


def test_inspector_without_ipv6_is_not_tested(world):
    s = site("noself", f"http://www.ok.test:{world['http']}/")
    env, records = probe(world, [s], reference=f"tcp:[::1]:{free_port()}")
    assert env["ipv6"] is False and env["ipv6_reason"]
    out = judge(s, env, records)
    assert out.status is Status.NOT_TESTED and "IPv6" in out.reason


def test_resolver_kinds(world):
    r = Resolver(world["knot"].nameservers, allow_private=True, timeout=1)
    assert r.resolve("www.ok.test", "AAAA").addresses == ("::1",)
    assert r.resolve("nx.ok.test", "A").kind == "nxdomain"
    assert r.resolve("www.bad.test", "A").kind == "servfail"
    assert r.resolve("v4only.ok.test", "AAAA").kind == "noanswer"
    assert Resolver(world["knot"].nameservers, timeout=1).resolve("www.ok.test", "A").kind == "private"
    assert Resolver([f"127.0.0.1:{free_port()}"], timeout=0.5).resolve("www.ok.test", "A").kind == "timeout"


def test_similarity_ignores_what_changes_on_every_load():
    assert similarity(page("x").decode(), page("x").decode()) > 0.97
    assert similarity(page("x").decode(), "<html><body>It works!</body></html>") < 0.2


# ------------------------------------------------------------------------------------------ availability

def _avail(url: str, nameservers: list[str]):
    import asyncio
    r = Resolver(nameservers, allow_private=True, timeout=1)
    return asyncio.run(probe_availability("s", url, resolver=r, probe_count=1, probe_interval_s=0, timeout_s=2))


def test_availability_site_that_answers_is_ok(world):
    [p] = _avail(f"http://www.ok.test:{world['http']}/", world["knot"].nameservers)
    assert p.ok and p.kind == "availability" and p.data["status"] == 200
    assert p.data["error_kind"] is None and p.data["confirmed"] is False and p.data["timeout_s"] == 2


def test_availability_refused_is_a_confirmed_failure_of_the_site(world):
    [p] = _avail(f"http://www.ok.test:{free_port()}/", world["knot"].nameservers)
    assert not p.ok and p.data["error_kind"] == "refused"
    assert p.data["confirmed"] is True and p.data["ours"] is False


def test_availability_nxdomain_is_the_sites(world):
    [p] = _avail(f"http://nx.ok.test:{world['http']}/", world["knot"].nameservers)
    assert p.data["error_kind"] == "dns" and p.data["dns_kind"] == "nxdomain" and p.data["ours"] is False


def test_availability_with_our_resolver_dead_is_ours(world):
    [p] = _avail(f"http://www.ok.test:{world['http']}/", [f"127.0.0.1:{free_port()}"])
    assert not p.ok and p.data["error_kind"] == "dns" and p.data["ours"] is True and p.data["confirmed"]
