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

Options: column_names, parts (part → accepted names, best first), min_body_chars, points_column,
points_part_missing, points_part_empty, points_broken_link.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType

from inspections.artifacts import LinkArtifact, PageArtifact, SiteArtifacts
from inspections.base import Finding, Meta, NotTested, Severity, register
from inspections.homepage_stale import home_page
from inspections.sitemap import (
    canonical,
    content_of,
    find_links,
    label,
    links_of,
    page_of,
    same_url,
    under,
)

META = Meta(
    id="disclosure-column",
    title="政府信息公开专栏设置规范",
    failure_title="政府信息公开专栏设置不规范",
    description="检查网站首页是否设有“政府信息公开”专栏，专栏是否包含政府信息公开指南、政府信息公开制度、"
    "法定主动公开内容、政府信息公开年报四个部分且内容不为空，专栏内的文件能否正常打开。",
    rule="国办公开办函〔2019〕61号《关于规范政府信息公开平台有关事项的通知》：统一设置“政府信息公开”专栏，"
    "设置政府信息公开指南、政府信息公开制度、法定主动公开内容、政府信息公开工作年度报告等栏目，在网站首页位置展示",
    category="政务公开",
    max_points=10.0,
    veto=False,
    task="（二十六）",
)

# 61号: the column's unified name, and the names sites use for it (../shared/realpages/MANIFEST.md).
COLUMN_NAMES: tuple[str, ...] = ("政府信息公开", "信息公开", "政务公开")

# 61号 / 广安市 转发: the four parts, each with the names seen on real sites (MANIFEST: 目录, 年度报告).
PARTS: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "政府信息公开指南": ("政府信息公开指南", "信息公开指南", "公开指南"),
        "政府信息公开制度": ("政府信息公开制度", "信息公开制度", "公开制度"),
        "法定主动公开内容": (
            "法定主动公开内容",
            "政府信息公开目录",
            "信息公开目录",
            "主动公开目录",
            "主动公开内容",
            "目录",
        ),
        "政府信息公开年报": (
            "政府信息公开年报",
            "政府信息公开工作年度报告",
            "信息公开年报",
            "年度报告",
            "工作年报",
            "年报",
        ),
    }
)

# Labels that contain a part's words but are something else (基层政务公开 标准目录, 依申请公开).
_PART_EXCLUDE = ("标准目录", "依申请", "申请公开", "青年报")  # 中国青年报 (丰台 friendly links) is no 年报
# Longest label taken as the column's or a part's link: a document title (2020年政府信息公开工作年度报告) is not.
_COLUMN_MAX = 12
_PART_MAX = 16
_NO_PAGE = PageArtifact(url="", final_url="", status=None)


@dataclass(frozen=True, slots=True)
class Located:
    """Where the 政府信息公开 column and its parts are (URLs ``""`` when not found)."""

    column_url: str
    column_link: LinkArtifact | None
    parts: Mapping[str, LinkArtifact | None]
    shared: Mapping[str, str]  # part → the earlier part whose URL it reuses


def locate(
    site: SiteArtifacts,
    *,
    column_names: Sequence[str] = COLUMN_NAMES,
    parts: Mapping[str, Sequence[str]] = PARTS,
) -> Located:
    """Find the 政府信息公开 column on the home page and its parts on the column page or the home page."""
    home_url = site.home.url if site.home is not None else site.home_url
    part_words = tuple(w for names in parts.values() for w in names) + _PART_EXCLUDE
    candidates = find_links(site, home_url, column_names, exclude=part_words, max_len=_COLUMN_MAX)
    column_link = candidates[0] if candidates else None
    column_url = column_link.target_url if column_link is not None else ""
    sources = [column_url, home_url] if column_url else [home_url]

    found: dict[str, LinkArtifact | None] = {}
    shared: dict[str, str] = {}
    claimed: dict[str, str] = {}  # canonical URL → part that owns it
    for part, names in parts.items():
        others = tuple(w for p, ns in parts.items() if p != part for w in ns if w not in names)
        # A label naming another part better (年报 vs 目录) is not this part's link: exclude words that only
        # the other parts use, unless they are inside one of this part's own names.
        exclude = tuple(w for w in others if not any(w in n for n in names) and len(w) > 2) + _PART_EXCLUDE
        links: list[LinkArtifact] = []
        for source in sources:
            links += [
                lk
                for lk in find_links(site, source, names, exclude=exclude, max_len=_PART_MAX)
                if canonical(lk.target_url) not in {canonical(x.target_url) for x in links}
            ]
        pick = next((lk for lk in links if canonical(lk.target_url) not in claimed), None)
        if pick is None and links:
            shared[part] = claimed[canonical(links[0].target_url)]
        if pick is not None:
            claimed[canonical(pick.target_url)] = part
        found[part] = pick
    return Located(column_url, column_link, MappingProxyType(found), MappingProxyType(shared))


def tried(site: SiteArtifacts, url: str) -> bool:
    """Whether the crawl fetched `url` or tried to: a stored page, a recorded failure, or a link outcome."""
    if page_of(site, url) is not None or any(same_url(f.url, url) for f in site.failures):
        return True
    return any(
        (lk.status is not None or lk.error_kind is not None) and same_url(lk.target_url, url) for lk in site.links
    )


def home_only(site: SiteArtifacts) -> bool:
    """The crawl read the home page and nothing it links to inside the site: the rest of the site is unknown."""
    home = site.home
    if home is None:
        return False
    inner = [
        lk.target_url
        for lk in links_of(site, home.url)
        if lk.internal and not same_url(lk.target_url, home.url) and not same_url(lk.target_url, home.final_url)
    ]
    return bool(inner) and not any(tried(site, u) for u in inner)


def unexplored(site: SiteArtifacts) -> str:
    """Why something not found on this site cannot be called absent ("" when it can): the crawl did not finish,
    read nothing beyond the home page, or never fetched the 政府信息公开 column the home page links to (where
    annual reports, 规范性文件 and 执行公开 columns usually are)."""
    if not site.crawl_complete:
        return "本次抓取未完成"
    if home_only(site):
        return "本次仅抓取了首页，首页链接的栏目页面均未抓取"
    where = locate(site)
    if where.column_link is not None and not tried(site, where.column_url) and not any(
        under(p.url, where.column_url) for p in site.pages
    ):
        return f"首页链接的政府信息公开专栏页面（{where.column_url}）未抓取"
    return ""


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
    column_names: Sequence[str] = COLUMN_NAMES,
    parts: Mapping[str, Sequence[str]] = PARTS,
    min_body_chars: int = 60,
    points_column: float = 4.0,
    points_part_missing: float = 2.0,
    points_part_empty: float = 1.0,
    points_broken_link: float = 0.5,
) -> Iterator[Finding]:
    """Yield the missing column, each missing or empty part, and each confirmed broken link inside the column.

    No pass on what was not looked at: when nothing is wrong with what was read but some parts were never read
    (not fetched, or drawn by script), the check is not_tested, naming them.
    """
    findings = list(_judge(site, as_of=as_of, column_names=column_names, parts=parts,
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
    column_names: Sequence[str],
    parts: Mapping[str, Sequence[str]],
    min_body_chars: int,
    points_column: float,
    points_part_missing: float,
    points_part_empty: float,
    points_broken_link: float,
) -> Iterator[Finding]:
    home = home_page(site)
    home_url = home.final_url or home.url
    where = locate(site, column_names=column_names, parts=parts)

    # The column page was not fetched: its parts cannot be said to be missing, only not found on the home page.
    # No column link: its parts are missing only if the crawl went beyond the home page (else they are unknown).
    column_seen = (where.column_link is None and not home_only(site)) or bool(
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
