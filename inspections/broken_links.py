"""Broken links (不可用链接): links on the home page and on other pages whose target does not open.

Reads ``site.links`` (``LinkArtifact``: source page, target, anchor, outcome of fetching the target). A link
counts when its target answered 4xx/5xx or never answered (DNS, timeout, refused, reset, TLS ...) and the failure
was confirmed by a second try; an unconfirmed failure is only a warning. Links never tried (no status, no error)
and failures on our side (``ours``) or by our own choice (too large, robots, private address) never count.
Home-page links and other pages' links are counted apart and cost different points.

Options: points_home, points_other.
"""

from __future__ import annotations

from collections.abc import Iterator

from inspections.artifacts import LinkArtifact, SiteArtifacts
from inspections.base import Finding, Meta, NotTested, Severity, register

META = Meta(
    id="broken-links",
    title="链接均可正常访问",
    failure_title="存在不可用链接",
    description="检查网站首页及其他页面上的链接能否正常打开；打不开的链接会让公众无法获取信息和服务。"
    "每个链接均经两次访问确认后才计入。",
    rule="国办发〔2015〕15号 普查扣分指标：链接可用性（首页及其他页面不能正常访问的链接数量）；"
    "国办秘函〔2019〕19号 扣分指标（分值待核实）",
    category="可用性",
    task="",
)

# Failures that say nothing about the site: our network, or a fetch we chose not to make.
NOT_COUNTED = frozenset({"ours", "too_large", "robots", "private", "skipped", "offsite", "scheme"})

ERROR_NAMES = {
    "dns": "域名无法解析",
    "timeout": "访问超时",
    "refused": "连接被拒绝",
    "reset": "连接被重置",
    "tls": "安全连接（证书）错误",
    "http": "服务器返回错误",
}


def _failure(link: LinkArtifact) -> str | None:
    """The failure in words, or None when the link works, was never tried, or failed on our side."""
    if link.status is not None and link.status < 400:
        return None
    if link.error_kind in NOT_COUNTED:
        return None
    if link.status is not None:
        return f"HTTP {link.status}"
    if link.error_kind is None:
        return None  # never tried
    return ERROR_NAMES.get(link.error_kind, link.error_kind)


def _anchor(link: LinkArtifact) -> str:
    if link.anchor:
        return link.anchor
    if link.image_alt:
        return f"图片“{link.image_alt}”"
    return "（无文字）"


@register(META)
def check(site: SiteArtifacts, *, points_home: float, points_other: float) -> Iterator[Finding]:
    """Yield one finding per failing link (confirmed → FAIL with points, unconfirmed → WARN), then the counts."""
    if not site.links:
        raise NotTested("未采集到任何链接，无法检查链接可用性。")
    tried = [link for link in site.links if link.status is not None or link.error_kind is not None]
    if not tried:
        raise NotTested("采集到的链接均未进行访问检测，无法检查链接可用性。")
    home_urls = {site.home_url}
    if site.home is not None:
        home_urls.add(site.home.final_url)

    seen: set[tuple[str, str]] = set()
    counts = {"home": 0, "other": 0, "unconfirmed": 0}
    for link in tried:
        failure = _failure(link)
        if failure is None or (link.source_url, link.target_url) in seen:
            continue
        seen.add((link.source_url, link.target_url))
        on_home = link.source_url in home_urls
        where = "首页" if on_home else f"页面{link.source_url}"
        anchor = _anchor(link)
        evidence = {"链接": link.target_url, "锚文本": anchor, "所在页面": link.source_url, "错误": failure}
        if not link.confirmed:
            counts["unconfirmed"] += 1
            yield META.finding(
                Severity.WARN,
                f"{where}上的链接“{anchor}”（{link.target_url}）访问失败（{failure}），尚未经第二次访问确认。",
                url=link.source_url,
                evidence=evidence,
            )
            continue
        counts["home" if on_home else "other"] += 1
        yield META.finding(
            Severity.FAIL,
            f"{where}上的链接“{anchor}”（{link.target_url}）无法打开（{failure}）。",
            url=link.source_url,
            evidence=evidence,
            points=points_home if on_home else points_other,
        )
    yield META.finding(
        Severity.INFO,
        f"共检测链接{len(tried)}条，其中首页不可用链接{counts['home']}条、其他页面不可用链接{counts['other']}条"
        + (f"，另有{counts['unconfirmed']}条访问失败尚未确认。" if counts["unconfirmed"] else "。"),
        url=site.home_url,
        evidence={"检测链接数": len(tried), "首页不可用链接": counts["home"], "其他页面不可用链接": counts["other"],
                  "未确认": counts["unconfirmed"]},
    )
