"""Site unreachable (站点无法访问): the home page did not open within ``timeout_s`` in ``veto_share`` or more of
the probes (the values: config/scoring.yaml).

Reads ``SiteArtifacts.probes_of("availability")`` (one ``ProbeArtifact`` per timed request to the home page,
``data``: status, error_kind, elapsed_s, timeout_s, confirmed, ours) and, as evidence only, the crawl's own home
page fetch (``site.home``, ``site.failures``). Probes older than ``window_days`` before the newest one are left out,
so a scheduled series of runs is judged over the monitoring week of the rule.

A failed probe counts only when it was confirmed (re-tried at once and failed again); failures on our side
(``ours``: our resolvers or our network did not answer) are left out of the count altogether. A veto needs at
least ``min_probes`` probes and ``min_failures`` confirmed failures, so one failure never vetoes on its own.

Options: timeout_s, veto_share, warn_share, min_probes, min_failures, window_days.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterator

from inspections.artifacts import ProbeArtifact, SiteArtifacts
from inspections.base import Finding, Meta, NotTested, Severity, register
from netkit.errors import fetch_error

META = Meta(
    id="site-unreachable",
    title="首页可正常访问",
    failure_title="站点无法访问",
    description="监测期内多次间隔访问网站首页，统计超过{timeout_s:s}仍打不开的次数占比；网站打不开，公众就无法获取信息和办事服务。",
    rule="国办秘函〔2019〕19号 单项否决指标：站点无法访问（监测{window_days:period}，每天间隔性访问20次以上，超过（含）{timeout_s:s}网站仍打不开的次数累计占比超过（含）{veto_share:pct}）",
    category="可用性",
    task="",
)

# The fetch error kinds that count against the site (netkit.errors names them); "slow": opened, but too late.
KINDS = (
    "dns",
    "timeout",
    "refused",
    "reset",
    "tls",
    "http",
    "redirect",
    "private",
    "redirect_private",
    "slow",
    "other",
)


def _kind(probe: ProbeArtifact, timeout_s: float) -> str | None:
    """Why this probe counts against the site (None: it opened in time)."""
    data = probe.data or {}
    elapsed = data.get("elapsed_s")
    if elapsed is None and probe.duration_ms is not None:
        elapsed = probe.duration_ms / 1000
    if probe.ok:
        # “超过（含）15秒网站仍打不开”: a page that needed 15 s or more counts as not opened.
        return "slow" if elapsed is not None and float(elapsed) >= timeout_s else None
    kind = data.get("error_kind")
    if kind is None and data.get("status"):
        kind = "http"
    return kind if kind in KINDS else "other"


def _kind_label(kind: str, timeout_s: float) -> str:
    return f"响应超过{timeout_s:g}秒" if kind == "slow" else fetch_error(kind)


def _counts_text(counter: Counter[str], timeout_s: float) -> str:
    return "、".join(f"{_kind_label(k, timeout_s)}{n}次" for k, n in counter.most_common())


def _home_fetch_failure(site: SiteArtifacts, timeout_s: float) -> str | None:
    """The crawl's own failure to fetch the home page, in words (None when it was fetched)."""
    home = site.home
    if home is not None and home.status is not None and home.status < 400:
        return None
    for failure in site.failures:
        if failure.url == site.home_url:
            label = (
                _kind_label(failure.kind, timeout_s)
                if failure.kind in KINDS
                else (failure.message or failure.kind)
            )
            return f"{label}（HTTP {failure.status}）" if failure.status else label
    if home is not None and home.status is not None:
        return f"服务器返回错误（HTTP {home.status}）"
    return None


TLS_PROBLEMS = {
    "expired": "已过期",
    "not-yet-valid": "尚未生效",
    "self-signed": "为自签名证书",
    "untrusted": "不受信任",
    "wrong-name": "与网站域名不符",
    "revoked": "已被吊销",
}


def _certificate_findings(site: SiteArtifacts) -> Iterator[Finding]:
    """An https home page whose certificate a browser rejects: the public is warned off the site (Scrapy does not
    verify certificates; the run's tls probe does). A warning, with no points: no official deduction is known."""
    for probe in site.probes_of("tls"):
        data = probe.data or {}
        problem = TLS_PROBLEMS.get(data.get("tls_error") or "")
        if problem is None:
            continue
        yield META.finding(
            Severity.WARN,
            f"网站HTTPS证书{problem}，浏览器访问{site.home_url}时会提示“不安全”，公众可能无法正常打开网站。",
            url=site.home_url,
            evidence={
                k: v
                for k, v in data.items()
                if k in ("host", "port", "tls_error", "error", "not_after", "subject", "issuer")
            },
        )


@register(META)
def check(
    site: SiteArtifacts,
    *,
    timeout_s: float,
    veto_share: float,
    warn_share: float,
    min_probes: int,
    min_failures: int,
    window_days: int,
) -> Iterator[Finding]:
    """Yield a veto when confirmed failures reach ``veto_share`` of the probes, a warning before that."""
    probes = sorted(site.probes_of("availability"), key=lambda p: p.at)
    crawl_failure = _home_fetch_failure(site, timeout_s)
    if not probes:
        extra = f"（爬取时首页访问失败：{crawl_failure}）" if crawl_failure else ""
        raise NotTested(f"未对首页进行可用性探测，无法判断站点是否可访问{extra}。")
    # The monitoring window of the rule (1 week), ending at the newest probe.
    start = probes[-1].at - dt.timedelta(days=window_days)
    probes = [p for p in probes if p.at >= start]

    ours = [p for p in probes if not p.ok and (p.data or {}).get("ours")]
    counted = [p for p in probes if not (not p.ok and (p.data or {}).get("ours"))]
    if not counted:
        if all((p.data or {}).get("error_kind") == "private" for p in ours):
            raise NotTested(
                f"{len(ours)}次首页探测均因域名解析到内网地址、按配置（network.allow_private）拒绝连接"
                "而未进行，不能归咎于被检网站。"
            )
        raise NotTested(
            f"{len(ours)}次首页探测均因检查方网络或域名解析服务器无响应而失败，不能归咎于被检网站。"
        )

    yield from _certificate_findings(site)
    confirmed: Counter[str] = Counter()
    unconfirmed: Counter[str] = Counter()
    for probe in counted:
        kind = _kind(probe, timeout_s)
        if kind is None:
            continue
        if (probe.data or {}).get("confirmed"):
            confirmed[kind] += 1
        else:
            unconfirmed[kind] += 1

    total = len(counted)
    failed = sum(confirmed.values())
    share = failed / total
    window = f"{counted[0].at:%Y-%m-%d %H:%M}至{counted[-1].at:%Y-%m-%d %H:%M}"
    evidence = {
        "首页": site.home_url,
        "探测次数": total,
        "确认失败次数": failed,
        "失败占比": f"{share:.1%}",
        "失败类型": {_kind_label(k, timeout_s): n for k, n in confirmed.most_common()},
        "未确认失败": {_kind_label(k, timeout_s): n for k, n in unconfirmed.most_common()},
        "探测时段": window,
    }
    if ours:
        evidence["检查方网络原因失败（不计）"] = len(ours)
    if crawl_failure:
        evidence["爬取时首页访问"] = crawl_failure

    share_text = f"{share:.1%}".replace(".0%", "%")
    if failed and share >= veto_share:
        if total >= min_probes and failed >= min_failures:
            yield META.finding(
                Severity.VETO,
                f"首页{site.home_url}在{total}次访问中有{failed}次超过{timeout_s:g}秒仍无法打开"
                f"（{_counts_text(confirmed, timeout_s)}），占比{share_text}，"
                f"达到{veto_share:.0%}的单项否决线。",
                url=site.home_url,
                evidence=evidence,
            )
            return
        yield META.finding(
            Severity.WARN,
            f"首页{site.home_url}在{total}次访问中有{failed}次无法打开（{_counts_text(confirmed, timeout_s)}），"
            f"占比{share_text}，但探测次数不足，暂不作单项否决，请持续关注。",
            url=site.home_url,
            evidence=evidence,
        )
        return
    if failed and share >= warn_share:
        # 开普云 early warning: 首页不连通率达到3%.
        yield META.finding(
            Severity.WARN,
            f"首页{site.home_url}在{total}次访问中有{failed}次无法打开（{_counts_text(confirmed, timeout_s)}），"
            f"占比{share_text}，已接近{veto_share:.0%}的单项否决线。",
            url=site.home_url,
            evidence=evidence,
        )
    elif failed:
        yield META.finding(
            Severity.INFO,
            f"首页{site.home_url}在{total}次访问中有{failed}次无法打开，占比{share_text}，未达到预警线。",
            url=site.home_url,
            evidence=evidence,
        )
    if unconfirmed:
        n = sum(unconfirmed.values())
        yield META.finding(
            Severity.WARN,
            f"首页{site.home_url}有{n}次访问失败（{_counts_text(unconfirmed, timeout_s)}），"
            "未经重试确认，未计入否决统计，请关注网站稳定性。",
            url=site.home_url,
            evidence=evidence,
        )
    elif crawl_failure and not failed:
        yield META.finding(
            Severity.WARN,
            f"爬取时首页{site.home_url}访问失败（{crawl_failure}），可用性探测均正常，请关注网站稳定性。",
            url=site.home_url,
            evidence=evidence,
        )
