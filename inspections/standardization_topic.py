"""Standardization topic (基层政务公开标准化规范化 专题): linked from a county portal's home page, covering the 26 fields.

国办发〔2019〕54号 asks 基层政府 (县、不设区的市、市辖区) to compile, for the 26 试点领域 of the State Council
departments' guidelines, their own 政务公开事项标准目录 and to publish by it. On the portal this is a 专题 linked
from the home page (by text, by image alt, or an image-only link whose URL carries ``jczwgk``; the 宜春 portal
does the last), with one part per field; each field has its 标准目录 (a table with the directory headings
公开事项 / 公开内容 / 公开依据 / 公开时限 / 公开主体 …) and published content.

Reads the home page's links, the links on the 专题 page and on the stored pages in its folder (a field may sit
one level down, under 公开领域 or 标准目录), the stored field pages (their ``<table>`` header rows, searched on the
field page and the stored pages it links to or holds in its folder) and the entries of the field's lists.

Only county portals (``levels``); other sites are not tested (不适用). Not tested when the home page could not be
fetched, or when the 专题 page was not fetched. A field whose pages were not fetched, or were drawn by script
and not rendered, is listed as not verified, never as missing its directory or empty.

Options: levels, topic_names, topic_href_words, fields (field → accepted names), directory_headings,
points_topic, points_field_missing, points_no_directory, points_field_empty.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator, Mapping, Sequence

from extract.html import parse_tree
from inspections.artifacts import LinkArtifact, PageArtifact, SiteArtifacts
from inspections.base import Finding, Meta, NotTested, Severity, register
from inspections.readings import Readings
from inspections.sitemap import (
    canonical,
    column_for,
    columns_named,
    content_of,
    find_links,
    label,
    links_of,
    name_rank,
    page_of,
    squash,
    under,
)

META = Meta(
    id="standardization-topic",
    title="基层政务公开标准化规范化专题建设规范",
    failure_title="基层政务公开标准化规范化专题建设不规范",
    description="检查县级政府门户网站首页是否设有基层政务公开标准化规范化专题，专题是否覆盖{fields:count}个试点领域，"
    "各领域是否公布政务公开事项标准目录并按目录发布信息。",
    rule="国办发〔2019〕54号《关于全面推进基层政务公开标准化规范化工作的指导意见》：对照{fields:count}个试点领域标准指引，"
    "编制完成本级政务公开事项标准目录，并按目录公开",
    category="政务公开",
    task="（十八）",
)


_FIELD_MAX = 20
# Header rows of a directory table: the first rows (公开事项 is often split in 一级事项 / 二级事项 below).
_HEADER_ROWS = 3
# A header drawn by script (湘潭: static/js/top_ln.js, top_jr.js): the entries it would show are not in static HTML.
_HEAD_SCRIPT_RE = re.compile(r"<script[^>]*\ssrc\s*=\s*[\"']?[^\"'>]*?(?:top|head|header|nav|menu|daohang)[\w.-]*\.js",
                             re.IGNORECASE)


def scripted_header(site: SiteArtifacts, home: PageArtifact) -> bool:
    """The home page was read statically, has no navigation links of its own, and loads a header script."""
    if home.rendered or any(lk.region == "nav" for lk in links_of(site, home.url)):
        return False
    return bool(_HEAD_SCRIPT_RE.search(home.html[:500_000]))


def has_directory(html: str, headings: Sequence[str]) -> bool:
    """True when a ``<table>`` in `html` has every heading of `headings` in its first rows."""
    root = parse_tree(html)
    if root is None:
        return False
    wanted = [squash(h) for h in headings]
    for table in root.iter("table"):
        rows = [r for r in table.iter("tr")][:_HEADER_ROWS]
        text = squash(" ".join("".join(r.itertext()) for r in rows))
        if all(h in text for h in wanted):
            return True
    return False


def topic_links(
    site: SiteArtifacts, home_url: str, names: Sequence[str], href_words: Sequence[str]
) -> list[LinkArtifact]:
    return find_links(site, home_url, names, max_len=30, href_words=href_words)


def _area_links(site: SiteArtifacts, topic_url: str) -> list[LinkArtifact]:
    """Body links on the 专题 page, on the stored pages of its folder, and on the pages it links to.

    Navigation and footer links are left out: a site-wide menu item 公共资源交易 is not the 专题's field.
    """
    home = {canonical(site.home_url)} | ({canonical(site.home.final_url)} if site.home is not None else set())
    seen = {canonical(topic_url)} | home
    own = [lk for lk in links_of(site, topic_url) if lk.region == "body"]
    links = list(own)
    for page in site.pages:
        if under(page.url, topic_url) and canonical(page.url) not in seen:
            seen.add(canonical(page.url))
            links += [lk for lk in links_of(site, page.url) if lk.region == "body"]
    # One level down from the 专题 page even outside its folder (公开领域 / 标准目录 index pages).
    for link in own:
        if canonical(link.target_url) not in seen and link.internal:
            seen.add(canonical(link.target_url))
            links += [lk for lk in links_of(site, link.target_url) if lk.region == "body"]
    return links


def _best(links: Sequence[LinkArtifact], names: Sequence[str]) -> LinkArtifact | None:
    scored = []
    for order, link in enumerate(links):
        ranks = [
            r
            for r in (
                name_rank(link.anchor, names, max_len=_FIELD_MAX),
                name_rank(link.image_alt, names, max_len=_FIELD_MAX),
            )
            if r is not None
        ]
        if ranks:
            scored.append((min(ranks), order, link))
    return min(scored, key=lambda s: (s[0], s[1]))[2] if scored else None


def _field_pages(site: SiteArtifacts, url: str) -> list[PageArtifact]:
    """The field page, the stored pages it links to inside the site and the stored pages of its folder."""
    pages: dict[str, PageArtifact] = {}
    first = page_of(site, url)
    if first is not None:
        pages[canonical(first.url)] = first
        for link in links_of(site, url):
            page = page_of(site, link.target_url)
            if page is not None and link.internal:
                pages.setdefault(canonical(page.url), page)
    for page in site.pages:
        if under(page.url, url):
            pages.setdefault(canonical(page.url), page)
    return list(pages.values())


@register(META)
def check(
    site: SiteArtifacts,
    *,
    as_of: dt.date,
    readings: Readings,
    levels: Sequence[str],
    topic_names: Sequence[str],
    topic_href_words: Sequence[str],
    fields: Mapping[str, Sequence[str]],
    directory_headings: Sequence[str],
    points_topic: float,
    points_field_missing: float,
    points_no_directory: float,
    points_field_empty: float,
) -> Iterator[Finding]:
    """Yield the missing 专题, then per field: missing, without its 标准目录, without content."""
    if site.level not in levels:
        raise NotTested("不适用：本项仅适用于县级政府门户网站（县、不设区的市、市辖区）。")
    home = readings.home()
    home_url = home.final_url or home.url
    found = topic_links(site, home.url, topic_names, topic_href_words)
    if not found and scripted_header(site, home):
        raise NotTested("首页页头（导航）由脚本生成，未能渲染，无法核对是否设置基层政务公开标准化规范化专题入口。")
    if not found:
        yield META.finding(
            Severity.FAIL,
            "网站首页未设置“基层政务公开标准化规范化”专题入口。",
            url=home_url,
            evidence={
                "首页": home_url,
                "查找的名称": "、".join(topic_names),
                "链接地址关键词": "、".join(topic_href_words),
            },
            points=points_topic,
        )
        return
    topic = found[0]
    topic_url = topic.target_url
    if page_of(site, topic_url) is None and not links_of(site, topic_url):
        raise NotTested(f"基层政务公开标准化规范化专题页面（{topic_url}）未抓取，无法核对其领域设置。")

    area = _area_links(site, topic_url)
    topic_columns = [
        c
        for c in site.columns
        if under(c.url, topic_url) or any(name_rank(p, topic_names, max_len=30) for p in c.path)
    ]
    unverified: list[dict[str, str]] = []
    covered = 0
    for field_name, names in fields.items():
        link = _best(area, names)
        url = link.target_url if link is not None else ""
        if not url:
            cols = [c for c in columns_named(site, names, max_len=_FIELD_MAX) if c in topic_columns]
            url = cols[0].url if cols else ""
        if not url:
            yield META.finding(
                Severity.FAIL,
                f"基层政务公开标准化规范化专题缺少“{field_name}”领域。",
                url=topic_url,
                evidence={"专题": topic_url, "领域": field_name, "查找的名称": "、".join(names)},
                points=points_field_missing,
            )
            continue
        covered += 1
        evidence = {"领域": field_name, "领域页面": url, "链接文字": label(link) if link is not None else ""}
        pages = _field_pages(site, url)
        content = content_of(site, url, as_of=as_of, subcolumns=True)
        if content.state != "entries":
            # The field's sub-lists (公开内容 …) linked from its page, wherever they live.
            for sub in links_of(site, url):
                sub_content = content_of(site, sub.target_url, as_of=as_of, subcolumns=True)
                if sub_content.state == "entries" and column_for(site, sub.target_url) is not None:
                    content = sub_content
                    break
        if not pages or content.state in ("js_shell", "unknown"):
            unverified.append({**evidence, "说明": content.detail or "页面未抓取"})
            if not pages:
                continue
        if not any(has_directory(p.html, directory_headings) for p in pages if p.html):
            yield META.finding(
                Severity.FAIL,
                f"基层政务公开标准化规范化专题“{field_name}”领域未公布政务公开事项标准目录。",
                url=url,
                evidence={
                    **evidence,
                    "应有表头": "、".join(directory_headings),
                    "查看的页面": [p.final_url or p.url for p in pages],
                },
                points=points_no_directory,
            )
        if content.state in ("empty", "text", "failed"):
            yield META.finding(
                Severity.FAIL,
                f"基层政务公开标准化规范化专题“{field_name}”领域未按标准目录发布公开内容。",
                url=url,
                evidence={**evidence, "说明": content.detail or "领域页面及其子栏目没有信息条目"},
                points=points_field_empty,
            )
    if unverified:
        yield META.finding(
            Severity.INFO,
            "以下领域页面未抓取或由脚本生成未能渲染，未核实其标准目录和公开内容："
            + "、".join(u["领域"] for u in unverified)
            + "。",
            url=topic_url,
            evidence={"领域": unverified},
        )
    yield META.finding(
        Severity.INFO,
        f"专题覆盖{covered}/{len(fields)}个试点领域。",
        url=topic_url,
        evidence={
            "专题": topic_url,
            "入口链接文字": label(topic),
            "覆盖领域数": covered,
            "领域总数": len(fields),
        },
    )
