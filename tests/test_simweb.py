"""The simulated Jiujiang web: deterministic build, servers (HTTP v4/v6, DNS), ground truth consistency."""

from __future__ import annotations

import hashlib
import http.client
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

import dns.flags
import dns.message
import dns.query
import dns.rcode
import dns.rdatatype
import pytest
import yaml

from simweb import truth as truth_mod
from simweb.build import CHECK_IDS, build, ground_truth_yaml
from simweb.layouts import Layout
from simweb.model import AS_OF, SITE_BY_ID
from simweb.server import serve

STATUSES = {"pass", "fail", "warn", "not_tested"}
HTML_SUFFIXES = {".html", ".htm", ".shtml"}


@pytest.fixture(scope="module")
def web_dir(tmp_path_factory) -> Path:
    dest = tmp_path_factory.mktemp("simweb") / "web"
    build(dest)
    return dest


@pytest.fixture(scope="module")
def web(web_dir):
    started = time.monotonic()
    with serve(web_dir) as w:
        assert time.monotonic() - started < 1.0
        yield w


@pytest.fixture(scope="module")
def truth() -> dict:
    return truth_mod.load()


def _tree(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def _html_files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file() and p.suffix in HTML_SUFFIXES]


def _file_of(web_dir: Path, url: str) -> Path:
    parts = urlsplit(url)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    return web_dir / parts.hostname / Layout.file_for(path)


# ------------------------------------------------------------------------------------------------ build


def test_build_is_deterministic_and_stays_in_dest(web_dir, tmp_path):
    other = tmp_path / "again"
    build(other)
    assert _tree(web_dir) == _tree(other)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["again"]


def test_web_size(web_dir, truth):
    hosts = [p for p in web_dir.iterdir() if p.is_dir() and p.name.endswith(".jj.test")]
    assert len(hosts) >= 12
    assert len(truth["sites"]) >= 12
    assert len(_html_files(web_dir)) >= 3000


def test_committed_ground_truth_is_current(web_dir):
    text = ground_truth_yaml()
    assert truth_mod.PATH.read_text(encoding="utf-8") == text, "run: python -m simweb.build --ground-truth"
    assert (web_dir / "ground_truth.yaml").read_text(encoding="utf-8") == text


def test_ground_truth_is_judged_with_the_values_and_comparisons_of_the_checks(monkeypatch):
    """The oracle reads config/scoring.yaml (no limits of its own) and compares with govconfig.judge, as the
    checks do: a changed limit in the file changes the expected verdicts."""
    import copy

    from govconfig import judge
    from inspections import execution_disclosure, homepage_stale, stale_columns
    from simweb import build as build_mod

    assert build_mod.reached is judge.reached is stale_columns.reached is homepage_stale.reached
    assert build_mod.exceeded is judge.exceeded is execution_disclosure.exceeded
    assert build_mod.SCORING == judge.scoring_values()
    before = build_mod.ground_truth()["sites"]
    values = copy.deepcopy(build_mod.SCORING)
    values["checks"]["homepage-stale"]["options"]["limit_days"] = 0  # every home page is late
    values["checks"]["stale-columns"]["options"]["limits"]["notice"] = 400
    monkeypatch.setattr(build_mod, "SCORING", values)
    after = build_mod.ground_truth()["sites"]
    home = {
        sid: (
            before[sid]["checks"]["homepage-stale"]["status"],
            after[sid]["checks"]["homepage-stale"]["status"],
        )
        for sid in before
        if before[sid]["checks"]["homepage-stale"]["status"] != "not_tested"
    }
    assert any(b == "pass" and a == "fail" for b, a in home.values()), home
    assert "通知公告/政策文件/规范性文件 400 d" in build_mod.ground_truth()["rules"]["stale-columns"]


def test_interaction_oracle_follows_the_configured_limits(monkeypatch):
    """The 互动回应 oracle reads limit_months / warn_days from config/scoring.yaml and compares with the check's
    own months_exceeded: a later warning point clears the planted 65-day letter; a 2-month limit vetoes it."""
    from govconfig import judge
    from inspections import interaction_response
    from simweb import build as build_mod
    from simweb import vetoes

    assert vetoes.months_exceeded is judge.months_exceeded is interaction_response.months_exceeded
    assert vetoes.IR_RULE == judge.options_of(judge.scoring_values(), "interaction-response")

    def status(site: str) -> str:
        return build_mod.ground_truth()["sites"][site]["checks"]["interaction-response"]["status"]

    assert status("sthjj") == "warn"
    monkeypatch.setattr(vetoes, "IR_RULE", {**vetoes.IR_RULE, "warn_days": 70})
    assert status("sthjj") == "pass"
    monkeypatch.setattr(vetoes, "IR_RULE", {**vetoes.IR_RULE, "limit_months": 2})
    assert status("sthjj") == "fail"


def test_page_counts_are_exact(web_dir, truth):
    for sid, site in truth["sites"].items():
        if site["pages"] == 0:
            continue
        files = _html_files(web_dir / site["host"])
        assert len(files) == site["pages"], sid  # every generated HTML page is reachable (build asserts it)
        assert site["pages"] <= 1000 and site["max_depth"] <= 6


def test_ground_truth_names_every_check(truth):
    assert truth["as_of"] == AS_OF.isoformat() == "2021-12-20"
    clean = 0
    for sid, site in truth["sites"].items():
        checks = site["checks"]
        assert list(checks) == CHECK_IDS, sid
        for cid, item in checks.items():
            assert item["status"] in STATUSES, (sid, cid)
            if item["status"] in ("fail", "warn"):
                assert item["why"] and item["urls"], (sid, cid)
        statuses = {c["status"] for c in checks.values()}
        if (
            statuses <= {"pass", "not_tested"}
            and checks["site-unreachable"]["status"] == "pass"
            and not SITE_BY_ID[sid].defects
        ):
            clean += 1
        if site["level"] == "county" and sid != "pengze":
            assert checks["standardization-topic"]["status"] != "not_tested"
    assert clean >= 2
    down = [sid for sid, s in truth["sites"].items() if s["checks"]["site-unreachable"]["status"] == "fail"]
    assert down == ["pengze"]
    assert {c["status"] for c in truth["sites"]["pengze"]["checks"].values()} == {"fail", "not_tested"}


def test_ground_truth_urls_exist(web_dir, truth):
    for sid, site in truth["sites"].items():
        for cid, item in site["checks"].items():
            for url in item.get("urls", []):
                if site["pages"] == 0:
                    continue
                assert _file_of(web_dir, url).is_file(), (sid, cid, url)
            for url in item.get("targets", []):
                host = urlsplit(url).hostname
                assert host in truth["broken_hosts"] or not _file_of(web_dir, url).is_file(), (sid, url)


def test_samples_are_on_their_list_pages(web_dir, truth):
    for sid, site in truth["sites"].items():
        for sample in site.get("samples", []):
            html = _file_of(web_dir, sample["list_url"]).read_bytes().decode(site["charset"])
            assert sample["title"] in html and sample["date_text"] in html, (sid, sample)
            assert urlsplit(sample["url"]).path in html


# ------------------------------------------------------------------------------------------------ HTTP


def _get(addr: str, port: int, host: str, path: str = "/"):
    conn = http.client.HTTPConnection(addr, port, timeout=3)
    try:
        conn.request("GET", path, headers={"Host": f"{host}:{port}"})
        resp = conn.getresponse()
        return resp.status, resp.getheader("Content-Type"), resp.read()
    finally:
        conn.close()


def _urlopen(url: str, host: str):
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    req = urllib.request.Request(url, headers={"Host": host})
    with opener.open(req, timeout=3) as resp:
        return resp.status, resp.headers.get("Content-Type"), resp.read()


def test_serves_by_host_over_v4_and_v6(web):
    host = "www.xunyang.jj.test"
    s4 = _urlopen(f"http://127.0.0.1:{web.http_port}/", f"{host}:{web.http_port}")
    s6 = _urlopen(f"http://[::1]:{web.http_port}/", f"{host}:{web.http_port}")
    assert s4[0] == s6[0] == 200
    assert s4[1] == "text/html; charset=utf-8"
    assert s4[2] == s6[2] and "浔阳区人民政府".encode() in s4[2]


def test_gbk_site_has_no_charset_in_header(web):
    status, ctype, body = _get("127.0.0.1", web.http_port, "www.wuning.jj.test")
    assert status == 200 and ctype == "text/html"
    assert b"charset=gbk" in body and "武宁县".encode("gbk") in body


def test_ipv4_only_site_is_not_served_over_v6(web):
    assert _get("127.0.0.1", web.http_port, "www.wuning.jj.test")[0] == 200
    with pytest.raises((http.client.RemoteDisconnected, ConnectionError)):
        _get("::1", web.http_port, "www.wuning.jj.test")


def test_v6_different_content(web):
    a = _get("127.0.0.1", web.http_port, "www.xiushui.jj.test")
    b = _get("::1", web.http_port, "www.xiushui.jj.test")
    assert a[0] == b[0] == 200 and a[2] != b[2] and b"nginx" in b[2]


def test_down_site_closes_connections(web):
    for addr in ("127.0.0.1", "::1"):
        with pytest.raises((http.client.RemoteDisconnected, ConnectionError)):
            _get(addr, web.http_port, "www.pengze.jj.test")


def test_statuses_and_page_query(web, truth):
    port = web.http_port
    assert _get("127.0.0.1", port, "www.jiujiang.jj.test", "/no/such/page.html")[0] == 404
    target = truth["sites"]["jiujiang"]["checks"]["broken-links"]["targets"][0]
    assert _get("127.0.0.1", port, "www.jiujiang.jj.test", urlsplit(target).path)[0] == 500
    sample = next(s for s in truth["sites"]["xiushui"]["samples"] if "?page=" in s["list_url"])
    parts = urlsplit(sample["list_url"])
    status, _, body = _get("127.0.0.1", port, parts.hostname, f"{parts.path}?{parts.query}")
    assert status == 200 and sample["title"].encode("gbk") in body
    assert "下一页".encode("gbk") in body


def test_config_yaml(web):
    cfg = yaml.safe_load(web.config_yaml())
    assert cfg["network"] == {"nameservers": [f"127.0.0.1:{web.dns_port}"], "allow_private": True}
    assert cfg["defaults"]["delay_s"] == 0 and cfg["defaults"]["max_pages"] == 1000
    ids = [s["id"] for s in cfg["sites"]]
    assert len(ids) >= 12 and "xunyang" in ids
    xunyang = next(s for s in cfg["sites"] if s["id"] == "xunyang")
    assert xunyang["url"] == f"http://www.xunyang.jj.test:{web.http_port}/"
    assert (
        xunyang["level"] == "county"
        and xunyang["parent"] == "jiujiang"
        and xunyang["site_code"] == "3604030001"
    )


# ------------------------------------------------------------------------------------------------ DNS


def _ask(web, name: str, rdtype: str, server: str = "127.0.0.1", tcp: bool = False):
    query = dns.message.make_query(name, rdtype)
    if tcp:
        return dns.query.tcp(query, server, port=web.dns_port, timeout=2)
    return dns.query.udp(query, server, port=web.dns_port, timeout=2)


@pytest.mark.parametrize("server", ["127.0.0.1", "::1"])
def test_dns_answers(web, server):
    r = _ask(web, "www.xunyang.jj.test", "A", server)
    assert r.rcode() == dns.rcode.NOERROR and r.flags & dns.flags.AA
    assert [rd.address for rd in r.answer[0]] == ["127.0.0.1"]
    r = _ask(web, "www.xunyang.jj.test", "AAAA", server)
    assert [rd.address for rd in r.answer[0]] == ["::1"]
    r = _ask(web, "www.wuning.jj.test", "AAAA", server)  # IPv4-only: NODATA
    assert r.rcode() == dns.rcode.NOERROR and not r.answer and r.flags & dns.flags.AA
    r = _ask(web, "jj.test", "NS", server)
    assert sorted(str(rd.target) for rd in r.answer[0]) == ["ns1.jj.test.", "ns2.jj.test."]
    assert r.flags & dns.flags.AA
    r = _ask(web, "gone.jj.test", "A", server)
    assert r.rcode() == dns.rcode.NXDOMAIN and r.flags & dns.flags.AA
    r = _ask(web, "www.pengze.jj.test", "A", server)  # the down site resolves
    assert r.answer


def test_dns_over_tcp_and_outside_zone(web):
    r = _ask(web, "fgw.jiujiang.jj.test", "A", "::1", tcp=True)
    assert r.answer and r.flags & dns.flags.AA
    assert _ask(web, "www.gov.cn", "A").rcode() == dns.rcode.REFUSED


def test_start_stop_is_quick(web_dir):
    started = time.monotonic()
    w = serve(web_dir)
    port = w.http_port
    assert _get("127.0.0.1", port, "www.dean.jj.test")[0] == 200
    w.stop()
    assert time.monotonic() - started < 2.0
    with pytest.raises(OSError):
        _get("127.0.0.1", port, "www.dean.jj.test")
