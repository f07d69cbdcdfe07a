"""Normative documents (规范性文件): one listing inside the 政府信息公开 column, every document marked.

条例第二十条(一) puts 规范性文件 first among the 法定主动公开内容; the 2020–2022 政务公开工作要点 ask for them to be
published together (集中统一对外公开并动态更新) in the 政府信息公开专栏; 国办发〔2017〕47号 asks that a document
amended, repealed or expired be marked on the original (明确标注). So each entry needs a 文号, a date and its
有效性 (有效 / 失效 / 废止 / 已修改).

Reads the 政府信息公开 column as the site's shared readings locate it (``Readings.disclosure``), the links
on the column page, on its 法定主动公开内容 page and on the stored pages of their folders; columns whose breadcrumb
passes 政府信息公开. The entries of the listing come from the stored lists; each entry's markings are read from its
title and printed date, then from the 索引号 box of its stored page (``extract.docmeta.doc_metadata``).

Findings: listing absent (or kept outside the column) → FAIL; per entry missing a marking → FAIL; an INFO with
the counts by validity. Entries whose page was not fetched and whose row shows nothing are listed as not
verified. Not tested when the home page could not be fetched, or when the listing was drawn by script and not
rendered, or not fetched at all, or when no listing was found and the crawl did not finish.

Options: listing_names, listing_exclude, points_listing, points_each.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterator, Sequence

from extract.dates import parse_date
from extract.docmeta import doc_metadata, normalize_validity, validity_in, wenhao_in
from inspections.artifacts import LinkArtifact, ListEntry, SiteArtifacts
from inspections.base import Finding, Meta, NotTested, Severity, register
from inspections.readings import Readings
from inspections.sitemap import (
    canonical,
    column_for,
    content_of,
    entries_under,
    find_links,
    find_links_anywhere,
    name_rank,
    page_of,
    under,
)

META = Meta(
    id="normative-documents",
    title="规范性文件集中公开并标注有效性",
    failure_title="规范性文件未集中公开或未标注文号、日期、有效性",
    description="检查政府信息公开专栏内是否集中公开行政规范性文件，且每件文件注明文号、日期和有效性"
    "（有效、失效、废止、已修改），修改、废止、失效的文件在原文件上作出明确标注。",
    rule="《中华人民共和国政府信息公开条例》第二十条；国办发〔2017〕47号《政府网站发展指引》：相关文件资料发生修改、"
    "废止、失效等情况，应及时公开，并在已发布的原文件上作出明确标注；2020年政务公开工作要点：规章和规范性文件"
    "集中统一对外公开并动态更新",
    category="政务公开",
    task="（二十三）",
)

MARKS: tuple[str, ...] = ("文号", "日期", "有效性")


def _within_column(
    site: SiteArtifacts, readings: Readings, names: Sequence[str], exclude: Sequence[str]
) -> tuple[LinkArtifact | None, str]:
    """The listing's link inside the 政府信息公开 column, and the column's URL ("" when there is none)."""
    where = readings.disclosure
    column_url = where.column_url
    roots = [u for u in (column_url, getattr(where.parts.get("法定主动公开内容"), "target_url", "")) if u]
    sources = list(roots)
    for page in site.pages:
        if any(under(page.url, r) for r in roots) and page.url not in sources:
            sources.append(page.url)
    for source in sources:
        found = find_links(site, source, names, exclude=exclude, max_len=16)
        if found:
            return found[0], column_url
    return None, column_url


def _marks(site: SiteArtifacts, entry: ListEntry, *, as_of: dt.date) -> tuple[dict[str, str], bool]:
    """文号 / 日期 / 有效性 of one entry (empty string when not stated), and whether its page was read."""
    text = f"{entry.title} {entry.date_text}"
    marks = {
        "文号": wenhao_in(entry.title) or "",
        "日期": entry.date.isoformat() if entry.date else "",
        "有效性": validity_in(text) or "",
    }
    page = page_of(site, entry.link)
    read = page is not None and bool(page.html) and (page.status or 0) < 400
    if read:
        meta = doc_metadata(page.html)  # type: ignore[union-attr]
        marks["文号"] = marks["文号"] or meta.get("文号", "")
        if not marks["日期"]:
            for key in ("成文日期", "发布日期"):
                day = parse_date(meta.get(key, ""), as_of=as_of)
                if day is not None:
                    marks["日期"] = day.isoformat()
                    break
        if not marks["有效性"]:
            marks["有效性"] = normalize_validity(meta.get("有效性", ""))
        if not marks["有效性"] and meta.get("废止日期"):
            marks["有效性"] = "废止"
    return marks, read


@register(META)
def check(
    site: SiteArtifacts,
    *,
    as_of: dt.date,
    readings: Readings,
    listing_names: Sequence[str],
    listing_exclude: Sequence[str],
    points_listing: float,
    points_each: float,
) -> Iterator[Finding]:
    """Yield the absent listing, each entry missing a 文号, date or 有效性, and the counts by validity."""
    home = readings.home()
    home_url = home.final_url or home.url
    link, column_url = _within_column(site, readings, listing_names, listing_exclude)
    listing_url = link.target_url if link is not None else ""
    if not listing_url:
        # A listing column whose breadcrumb passes 政府信息公开 counts as inside the column.
        for column in site.columns:
            if name_rank(column.name, listing_names, exclude=listing_exclude, max_len=16) and any(
                name_rank(p, readings.disclosure_names, max_len=12) for p in column.path
            ):
                listing_url = column.url
                break
    if not listing_url and (gap := readings.gap):
        raise NotTested(f"{gap}，且未找到规范性文件栏目，无法判断是否集中公开。")
    if not listing_url:
        elsewhere = find_links_anywhere(site, listing_names, exclude=listing_exclude, max_len=16)
        outside = elsewhere[0].target_url if elsewhere else ""
        if outside:
            message = "规范性文件未在政府信息公开专栏内集中公开（仅在专栏外设有栏目）。"
        else:
            message = "网站政府信息公开专栏内未集中公开行政规范性文件。"
        yield META.finding(
            Severity.FAIL,
            message,
            url=column_url or home_url,
            evidence={
                "政府信息公开专栏": column_url or "未找到",
                "专栏外的规范性文件栏目": outside or "无",
                "查找的名称": "、".join(listing_names),
            },
            points=points_listing,
        )
        if not outside:
            return
        listing_url = outside

    entries = entries_under(site, listing_url)
    if not entries:
        content = content_of(site, listing_url, as_of=as_of, subcolumns=True)
        column = column_for(site, listing_url)
        if content.state == "js_shell" or (column is not None and column.js_shell):
            raise NotTested("规范性文件栏目由脚本生成，未能渲染，无法核对文件标注。")
        if content.state == "unknown":
            raise NotTested(f"规范性文件栏目页面（{listing_url}）未抓取，无法核对文件标注。")
        yield META.finding(
            Severity.FAIL,
            "规范性文件栏目没有发布任何文件。",
            url=listing_url,
            evidence={"栏目": listing_url, "说明": content.detail},
            points=points_listing,
        )
        return

    counts: Counter[str] = Counter()
    unverified: list[dict[str, str]] = []
    seen: set[str] = set()
    for entry in sorted(entries, key=lambda e: (e.date is None, e.date or dt.date.min, e.title)):
        if canonical(entry.link) in seen:
            continue
        seen.add(canonical(entry.link))
        marks, read = _marks(site, entry, as_of=as_of)
        counts[marks["有效性"] or "未标注"] += 1
        missing = [m for m in MARKS if not marks[m]]
        if not missing:
            continue
        row = {
            "标题": entry.title,
            "地址": entry.link,
            "缺少": "、".join(missing),
            "所在列表": entry.list_url,
        }
        if not read:
            unverified.append(row)
            continue
        yield META.finding(
            Severity.FAIL,
            f"规范性文件《{entry.title}》未标注{'、'.join(missing)}。",
            url=entry.link,
            evidence={**row, **{k: v for k, v in marks.items() if v}},
            points=points_each,
        )
    if unverified:
        yield META.finding(
            Severity.INFO,
            f"{len(unverified)}件规范性文件的页面未抓取，列表中未显示文号、日期或有效性，未能核实。",
            url=listing_url,
            evidence={"文件": unverified},
        )
    summary = "、".join(f"{k}{n}件" for k, n in sorted(counts.items(), key=lambda kv: -kv[1]))
    yield META.finding(
        Severity.INFO,
        f"规范性文件栏目共{sum(counts.values())}件：{summary}。",
        url=listing_url,
        evidence={"栏目": listing_url, "按有效性统计": dict(counts)},
    )
