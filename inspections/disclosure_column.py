"""Disclosure column (政府信息公开专栏): present on the home page, with its four parts, not empty, documents open.

国办公开办函〔2019〕61号 asks every administrative body to run one 政府信息公开 column (named 政府信息公开; sites
call it 信息公开 or 政务公开 too), shown on the home page, with four parts: 政府信息公开指南, 政府信息公开制度,
法定主动公开内容 (often 政府信息公开目录 / 目录) and 政府信息公开工作年度报告 (年报 / 年度报告).

Reads ``site.home`` and the links on it, the 政府信息公开 page and its links, the stored target pages of the four
parts (``content_of``: list entries, or body text beyond the site's template) and the fetch outcome of every
link found inside the column (``LinkArtifact.status`` / ``error_kind``; only ``confirmed`` failures count).

A part whose link points at the same page as an earlier part counts as missing (the real 广西 portal points
法定主动公开内容 and 年报 at its 指南). A part drawn by script that was not rendered, or never fetched, is listed
as not verified, never as empty.

Not tested when the home page could not be fetched, or when the column's page was not fetched and none of
its parts is linked from the home page (parts are then unknown, not missing).

The column's names and its parts' names (part → accepted names, best first) are shared readings
(``readings.disclosure_column`` in config/scoring.yaml): every check looking for the column finds the same one.

Options: min_body_chars, points_column, points_part_missing, points_part_empty, points_broken_link.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping

from inspections.artifacts import LinkArtifact, PageArtifact, SiteArtifacts
from inspections.base import Finding, Meta, NotTested, Severity, register
from inspections.readings import Readings
from inspections.sitemap import canonical, content_of, label, links_of, page_of, same_url, under

META = Meta(
    id="disclosure-column",
    title="政府信息公开专栏设置规范",
    failure_title="政府信息公开专栏设置不规范",
    description="检查网站首页是否设有“政府信息公开”专栏，专栏是否包含政府信息公开指南、政府信息公开制度、"
    "法定主动公开内容、政府信息公开年报四个部分且内容不为空，专栏内的文件能否正常打开。",
    rule="国办公开办函〔2019〕61号《关于规范政府信息公开平台有关事项的通知》：统一设置“政府信息公开”专栏，"
    "设置政府信息公开指南、政府信息公开制度、法定主动公开内容、政府信息公开工作年度报告等栏目，在网站首页位置展示",
    category="政务公开",
    task="（二十六）",
)


_NO_PAGE = PageArtifact(url="", final_url="", status=None)


def _failed(link: LinkArtifact) -> bool:
    return link.error_kind is not None or (link.status is not None and link.status >= 400)


def _link_evidence(link: LinkArtifact) -> dict[str, object]:
    return {
        "链接文字": label(link),
        "链接地址": link.target_url,
        "所在页面": link.source_url,
        "状态": link.status if link.status is not None else "无响应",
        "错误类型": link.error_kind or "",
    }


@register(META)
def check(
    site: SiteArtifacts,
    *,
    as_of: dt.date,
    readings: Readings,
    min_body_chars: int,
    points_column: float,
    points_part_missing: float,
    points_part_empty: float,
    points_broken_link: float,
) -> Iterator[Finding]:
    """Yield the missing column, each missing or empty part, and each confirmed broken link inside the column.

    No pass on what was not looked at: when nothing is wrong with what was read but some parts were never read
    (not fetched, or drawn by script), the check is not_tested, naming them.
    """
    findings = list(_judge(site, as_of=as_of, readings=readings,
                           min_body_chars=min_body_chars, points_column=points_column,
                           points_part_missing=points_part_missing, points_part_empty=points_part_empty,
                           points_broken_link=points_broken_link))
    problems = [f for f in findings if f.severity >= Severity.WARN]
    unread = [f for f in findings if isinstance(f.evidence, Mapping) and f.evidence.get("未核实")]
    if unread and not problems:
        names = "、".join(u["栏目"] for u in unread[0].evidence["栏目"])
        raise NotTested(f"政府信息公开专栏已找到，但以下部分的页面未抓取或由脚本生成未能渲染，未能核实：{names}。")
    yield from findings


def _judge(
    site: SiteArtifacts,
    *,
    as_of: dt.date,
    readings: Readings,
    min_body_chars: int,
    points_column: float,
    points_part_missing: float,
    points_part_empty: float,
    points_broken_link: float,
) -> Iterator[Finding]:
    home = readings.home()
    home_url = home.final_url or home.url
    where = readings.disclosure
    column_names, parts = readings.disclosure_names, readings.disclosure_parts

    # The column page was not fetched: its parts cannot be said to be missing, only not found on the home page.
    # No column link: its parts are missing only if the crawl went beyond the home page (else they are unknown).
    column_seen = (where.column_link is None and not readings.home_only()) or bool(
        links_of(site, where.column_url) or (page_of(site, where.column_url) or _NO_PAGE).html
    )
    column_broken = (
        where.column_link is not None and _failed(where.column_link) and where.column_link.confirmed
    )
    if (where.column_link is not None and not column_seen and not column_broken
            and not any(where.parts.values()) and not where.shared):
        raise NotTested(
            f"政府信息公开专栏页面（{where.column_url}）未抓取，无法核对其指南、制度、目录、年报等组成部分。"
        )

    if where.column_link is None:
        yield META.finding(
            Severity.FAIL,
            "网站首页未设置“政府信息公开”专栏入口，应按统一名称在首页显著位置设置。",
            url=home_url,
            evidence={"首页": home_url, "查找的栏目名称": "、".join(column_names)},
            points=points_column,
        )
    elif column_broken:
        yield META.finding(
            Severity.FAIL,
            f"首页“{label(where.column_link)}”专栏入口无法打开。",
            url=home_url,
            evidence=_link_evidence(where.column_link),
            points=points_column,
        )

    column_page = where.column_url or home_url
    unverified: list[dict[str, str]] = []
    area = [where.column_url] if where.column_url else []
    for part, link in where.parts.items():
        if link is None and part not in where.shared and not column_seen:
            unverified.append({"栏目": part, "说明": ("专栏页面未抓取" if where.column_link is not None
                                                  else "仅抓取了首页") + "，首页未见该栏目链接"})
            continue
        if link is None:
            if part in where.shared:
                message = f"政府信息公开专栏的“{part}”链接与“{where.shared[part]}”指向同一页面，实际未设置“{part}”。"
            else:
                message = f"政府信息公开专栏缺少“{part}”栏目。"
            yield META.finding(
                Severity.FAIL,
                message,
                url=column_page,
                evidence={"栏目页面": column_page, "查找的名称": "、".join(parts[part])},
                points=points_part_missing,
            )
            continue
        area.append(link.target_url)
        content = content_of(site, link.target_url, min_chars=min_body_chars, as_of=as_of, subcolumns=True)
        evidence = {
            "栏目": part,
            "链接文字": label(link),
            "链接地址": link.target_url,
            "所在页面": link.source_url,
        }
        if content.judged_empty:
            yield META.finding(
                Severity.FAIL,
                f"政府信息公开专栏的“{part}”栏目为空，未发布内容。",
                url=link.target_url,
                evidence={**evidence, "说明": content.detail},
                points=points_part_empty,
            )
        elif content.state == "failed" or (_failed(link) and link.confirmed):
            yield META.finding(
                Severity.FAIL,
                f"政府信息公开专栏的“{part}”栏目无法打开。",
                url=link.source_url,
                evidence={**evidence, "说明": content.detail or f"HTTP {link.status}"},
                points=points_part_empty,
            )
        elif not content.has_content:
            unverified.append({**evidence, "说明": content.detail})

    # Links inside the column: on the column page, the parts' pages and every stored page in their folders.
    area = [u for u in area if u]
    sources = {canonical(p.url) for p in site.pages if any(under(p.url, a) for a in area)}
    sources |= {canonical(a) for a in area}
    broken: dict[str, LinkArtifact] = {}
    for link in site.links:
        if canonical(link.source_url) in sources and _failed(link) and link.confirmed:
            if same_url(link.target_url, where.column_url):
                continue  # the entry link itself was judged above
            broken.setdefault(canonical(link.target_url), link)
    for link in broken.values():
        yield META.finding(
            Severity.FAIL,
            f"政府信息公开专栏内“{label(link) or link.target_url}”无法打开"
            f"（{f'HTTP {link.status}' if link.status else link.error_kind or '无响应'}）。",
            url=link.source_url,
            evidence=_link_evidence(link),
            points=points_broken_link,
        )

    if unverified:
        yield META.finding(
            Severity.INFO,
            "以下栏目页面未抓取或由脚本生成未能渲染，未核实其内容："
            + "、".join(u["栏目"] for u in unverified)
            + "。",
            url=column_page,
            evidence={"栏目": unverified, "未核实": True},
        )
    if where.column_link is not None and page_of(site, where.column_url) is None:
        yield META.finding(
            Severity.INFO,
            "政府信息公开专栏页面未抓取，其子栏目按首页链接核对。",
            url=where.column_url,
            evidence={"栏目页面": where.column_url},
        )
