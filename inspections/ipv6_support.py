"""IPv6 support (任务（二十六）): the portal resolves to IPv6 addresses that serve the same site as IPv4.

Judged by the whole chain, as the national IPv6 monitoring platform (国家IPv6发展监测平台) and Internet.nl's
IPv6 website test do: AAAA records of the web host, the zone's name servers reachable over IPv6 (授权体系),
TCP ports and the home page over every AAAA address, the IPv6 page compared with the IPv4 page, and the share
of depth-2 / depth-3 internal links that load over IPv6.

Reads `site.environment` (the run's self-check: "ipv6", "ipv6_reason", "resolvers_ok") and the probes of kind
"ipv6" (probes/ipv6.py) and "dns" (probes/dnsprobe.py: data.probe "records" and "ns").

- FAIL (portals: level municipal/county): no AAAA record (NXDOMAIN / SERVFAIL / no answer reported as such),
  no AAAA address serves the home page, IPv6 status code differs from IPv4, or IPv6 content similarity is
  below `similarity_threshold`.
- WARN: a partial chain — one of several AAAA addresses not serving, a name server without AAAA, a name server
  not answering over IPv6, a port open over IPv4 but closed over IPv6, a link support rate below `link_target`.
- Department sites: the same findings, as WARN with 0 points, unless `department_points`.
- INFO: the v4/v6 timing table (DNS, TCP, first byte).
- not_tested: the inspecting machine had no working IPv6 or no answering resolver (never a fail), or the
  home page answered over neither IPv4 nor IPv6 (the availability check judges that).

Options: similarity_threshold, link_target (percent), department_points, points_fail.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from inspections.artifacts import ProbeArtifact, SiteArtifacts
from inspections.base import Finding, Meta, NotTested, Severity, register

META = Meta(
    id="ipv6-support",
    title="网站支持IPv6访问",
    failure_title="网站未全面支持IPv6访问",
    description=(
        "检查网站域名是否具有AAAA记录、域名授权体系是否支持IPv6、通过IPv6地址能否正常访问首页且内容与IPv4一致，"
        "以及二级、三级内链的IPv6支持率。县级以上政府门户网站应全面支持IPv6。"
    ),
    rule=(
        "《推进互联网协议第六版（IPv6）规模部署行动计划》（中办、国办，2017年）；2021年通知任务（二十六）："
        "县级以上政府门户网站2021年底前全面支持IPv6；《深入推进IPv6规模部署和应用2022年工作安排》："
        "县级以上政府门户网站IPv6支持率达到{link_target:n}%"
    ),
    category="IPv6",
    task="（二十六）",
)

PORTAL_LEVELS = ("municipal", "county")

_DNS_KIND = {
    "nxdomain": "域名不存在（NXDOMAIN）",
    "servfail": "权威域名服务器解析失败（SERVFAIL）",
    "timeout": "解析超时，域名服务器无应答",
    "refused": "域名服务器拒绝查询（REFUSED）",
    "noanswer": "没有AAAA记录",
    "private": "AAAA记录指向内网或保留地址",
    "error": "解析出错",
}


def _pick(site: SiteArtifacts) -> ProbeArtifact:
    probes = site.probes_of("ipv6")
    if not probes:
        raise NotTested("本次检查没有IPv6探测记录。")
    return next((p for p in probes if p.target == site.home_url), probes[0])


def _table(d: Mapping[str, Any], ns: Mapping[str, Any] | None) -> dict[str, Any]:
    """The technical table every finding carries: addresses, ports, statuses, sizes, similarity, rates, timings."""
    home = d.get("home") or {}
    v4 = home.get("v4") or {}
    return {
        "host": d.get("host"),
        "A": list(d.get("a") or []), "A_kind": d.get("a_kind"),
        "AAAA": list(d.get("aaaa") or []), "AAAA_kind": d.get("aaaa_kind"),
        "ports": {fam: {addr: dict(ports) for addr, ports in (d.get("tcp") or {}).get(fam, {}).items()}
                  for fam in ("v4", "v6")},
        "home_v4": {"address": v4.get("address"), "status": v4.get("status"), "size": v4.get("size"),
                    "error_kind": v4.get("error_kind")},
        "home_v6": {addr: {"status": h.get("status"), "size": h.get("size"), "error_kind": h.get("error_kind")}
                    for addr, h in (home.get("v6") or {}).items()},
        "comparison": {addr: dict(c) for addr, c in (d.get("comparison") or {}).items()},
        "links": {k: (dict(v) if isinstance(v, Mapping) else v) for k, v in (d.get("links") or {}).items()},
        "timings": {k: dict(v) for k, v in (d.get("timings") or {}).items()},
        "nameservers": [dict(n) for n in (ns or {}).get("nameservers", [])],
    }


@register(META)
def check(site: SiteArtifacts, *, similarity_threshold: float, link_target: float,
          department_points: bool, points_fail: float) -> Iterator[Finding]:
    env = site.environment or {}
    if "ipv6" not in env:
        raise NotTested("本次检查没有记录检查机自身的IPv6自检结果，无法判断。")
    if not env.get("resolvers_ok", False):
        raise NotTested(env.get("resolvers_reason") or "检查机的域名解析服务器无应答，IPv6支持情况未检测。")
    if not env.get("ipv6"):
        raise NotTested(env.get("ipv6_reason") or "检查机不具备IPv6访问能力，IPv6支持情况未检测。")
    probe = _pick(site)
    d = probe.data or {}
    if d.get("skipped"):
        raise NotTested(f"IPv6探测未进行：{d['skipped']}")
    ns_probe = next((p.data for p in site.probes_of("dns") if (p.data or {}).get("probe") == "ns"), None)
    records = [p.data for p in site.probes_of("dns") if (p.data or {}).get("probe") == "records"]

    counts = site.level in PORTAL_LEVELS or department_points
    fail_sev = Severity.FAIL if counts else Severity.WARN
    fail_pts = points_fail if counts else 0.0
    host = d.get("host", "")
    table = _table(d, ns_probe)
    home = d.get("home") or {}
    v4 = home.get("v4") or {}
    v4_ok = v4.get("status") is not None and v4["status"] < 400
    homes6 = home.get("v6") or {}
    aaaa_kind = d.get("aaaa_kind")

    if aaaa_kind == "ok" and not v4_ok and not any(
            (h.get("status") or 999) < 400 for h in homes6.values()):
        raise NotTested(f"首页通过IPv4和IPv6均无法访问（{site.home_url}），由网站可用性检查判定。")

    findings: list[Finding] = []

    # Each problem carries the lines of the table that show it; the whole technical table (addresses, ports,
    # statuses, sizes, similarity, link rates, timings) is one INFO finding, shown once in the report.
    brief = {k: table[k] for k in ("host", "A", "AAAA", "AAAA_kind", "home_v4", "home_v6", "comparison")}

    def add(sev: Severity, msg: str, points: float = 0.0, **extra: Any) -> None:
        evidence = {**table, **extra} if sev is Severity.INFO else {**brief, **extra}
        findings.append(META.finding(sev, msg, url=site.home_url, evidence=evidence, points=points))

    # 1. The web host's AAAA record (NXDOMAIN and SERVFAIL named as what they are).
    if d.get("a_kind") == "nxdomain" or aaaa_kind == "nxdomain":
        add(fail_sev, f"网站域名{host}不存在（NXDOMAIN），无法通过IPv6访问。", fail_pts)
    elif aaaa_kind != "ok":
        what = _DNS_KIND.get(aaaa_kind or "error", f"解析失败（{aaaa_kind}）")
        if aaaa_kind == "noanswer":
            add(fail_sev, f"网站域名{host}没有AAAA记录，不支持IPv6访问。", fail_pts)
        else:
            add(fail_sev, f"网站域名{host}的AAAA记录查询失败：{what}，无法通过IPv6访问。", fail_pts)
    else:
        # 2. Every AAAA address: does it serve the site, with the IPv4 status and content?
        problems: dict[str, str] = {}
        comparison = d.get("comparison") or {}
        for addr in d.get("aaaa") or []:
            h6 = homes6.get(addr)
            comp = comparison.get(addr) or {}
            if h6 is None:
                problems[addr] = "未探测"
            elif h6.get("status") is None:
                problems[addr] = f"无法访问首页（{h6.get('error_kind') or '无应答'}）"
            elif h6["status"] >= 400:
                problems[addr] = f"访问首页返回HTTP {h6['status']}"
            elif v4_ok and h6["status"] != v4.get("status"):
                problems[addr] = f"访问首页返回HTTP {h6['status']}，IPv4为HTTP {v4.get('status')}"
            elif v4_ok and comp.get("similarity") is not None and comp["similarity"] < similarity_threshold:
                problems[addr] = (f"首页内容与IPv4访问不一致（相似度{comp['similarity'] * 100:.1f}%，"
                                  f"低于{similarity_threshold * 100:.0f}%）")
        serving = [a for a in d.get("aaaa") or [] if a not in problems]
        if not serving:
            for i, (addr, why) in enumerate(problems.items()):
                add(fail_sev, f"网站域名{host}的IPv6地址{addr}{why}，网站不能通过IPv6正常访问。",
                    fail_pts if i == 0 else 0.0, address=addr)
        else:
            for addr, why in problems.items():
                add(Severity.WARN, f"网站域名{host}的部分IPv6地址不能正常提供服务：{addr}{why}。", address=addr)
        # 3. Ports: open over IPv4 but closed over IPv6.
        tcp = d.get("tcp") or {}
        open4 = {int(p) for ports in (tcp.get("v4") or {}).values() for p, o in ports.items() if o.get("ok")}
        for addr in serving:
            ports6 = (tcp.get("v6") or {}).get(addr) or {}
            open6 = {int(p) for p, o in ports6.items() if o.get("ok")}
            missing = sorted(open4 - open6)
            if missing and open6:
                add(Severity.WARN,
                    f"IPv6地址{addr}仅开放端口{'、'.join(map(str, sorted(open6)))}，"
                    f"未开放IPv4已开放的端口{'、'.join(map(str, missing))}。", address=addr)
        # 4. Depth-2 / depth-3 internal link support rates.
        links = d.get("links") or {}
        for key, label in (("depth2", "二级"), ("depth3", "三级")):
            r = links.get(key)
            if not r:
                continue
            if r.get("rate") is None:
                add(Severity.INFO, f"{label}内链样本为空（抽样{r.get('sampled', 0)}条，IPv4可访问{r.get('v4_ok', 0)}条），"
                                   f"未计算IPv6支持率。")
            elif r["rate"] < link_target:
                add(Severity.WARN, f"{label}内链IPv6支持率为{r['rate']:.1f}%（{r['v6_ok']}/{r['v4_ok']}），"
                                   f"低于{link_target:.0f}%。", failed_links=list(r.get("failed") or []))

    # 5. The 授权体系: every name server of the zone has an AAAA record and answers over IPv6.
    if ns_probe is None:
        add(Severity.INFO, "没有域名服务器（NS）探测记录，未检查IPv6域名授权体系。")
    elif ns_probe.get("ns_kind") != "ok" or not ns_probe.get("nameservers"):
        what = _DNS_KIND.get(ns_probe.get("ns_kind") or "error", ns_probe.get("ns_kind"))
        add(Severity.WARN, f"无法取得域名{ns_probe.get('zone') or host}的域名服务器（NS）记录：{what}。")
    else:
        nss = ns_probe["nameservers"]
        without = [n["name"] for n in nss if not n.get("aaaa")]
        if len(without) == len(nss):
            add(Severity.WARN, f"域名{ns_probe.get('zone')}的域名服务器均没有AAAA记录，域名授权体系不支持IPv6。")
        else:
            for name in without:
                add(Severity.WARN, f"域名{ns_probe.get('zone')}的域名服务器{name}没有AAAA记录，"
                                   f"域名授权体系未全面支持IPv6。", nameserver=name)
        for n in nss:
            for ans in n.get("v6_answers") or []:
                if not ans.get("ok"):
                    why = ans.get("rcode") or ans.get("error") or "无应答"
                    add(Severity.WARN, f"域名服务器{n['name']}的IPv6地址{ans.get('address')}未应答域名"
                                       f"{ns_probe.get('zone')}的查询（{why}）。", nameserver=n["name"])

    # 6. Other host names of the site (bare / www.) that have A but no AAAA.
    for rec in records:
        if rec.get("role") == "web":
            continue
        a, aaaa = rec.get("a") or {}, rec.get("aaaa") or {}
        if a.get("kind") == "ok" and aaaa.get("kind") != "ok":
            add(Severity.WARN, f"网站域名{rec.get('host')}有IPv4地址但没有可用的AAAA记录"
                               f"（{_DNS_KIND.get(aaaa.get('kind'), aaaa.get('kind'))}）。", name=rec.get("host"))

    # 7. Timings side by side (the platform's DNS/TCP/首包 delay items), always shown.
    add(Severity.INFO, "IPv6技术明细：地址、端口、状态码、页面大小、内容相似度、内链支持率，以及IPv4与IPv6的"
                       "DNS解析、TCP建连、首字节时延对比。")
    yield from findings
