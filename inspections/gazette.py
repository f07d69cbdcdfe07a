"""Gazette (政府公报): the municipal portal publishes the 政府公报, its current issues and a searchable database.

Task （二十六） of the 2021 Jiujiang notice: 做好市政府公报编辑发行工作，完善政府公报数据库，推进数字化利用. It binds
the municipal government (levels ``levels``); other sites are reported 不适用.

Reads the column named 政府公报 (links anywhere, column names; 统计公报 is a statistics bulletin, not the gazette),
through a meta-refresh forward; its issues (entries, and titles naming ``YYYY年第N期``), the newest issue's date,
and on the gazette pages a search form (a <form> with a text input) or a link to a 公报检索 / 公报数据库.

Findings: no 政府公报 column → FAIL; no issue of this year, or the newest issue older than ``max_issue_age_days``
→ FAIL; no search or database → FAIL; an INFO finding with the issues. Not tested on other levels, when the home
page could not be fetched, when the column was not found and the crawl did not reach the columns, or when the
column was found but never read.

Options: levels, column_names, column_exclude, search_names, max_issue_age_days, points_missing, points_stale,
points_search.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator, Sequence

from extract.html import parse_tree
from inspections.artifacts import PageArtifact, SiteArtifacts
from inspections.base import Finding, Meta, NotTested, Severity, register
from inspections.readings import Readings
from inspections.columns import cn_date
from inspections.sitemap import label
from inspections.tasklib import (
    article,
    column_state,
    columns_of,
    entry_date,
    items_of,
    links_on,
    words_in,
)

META = Meta(
    id="gazette",
    title="政府公报及时发布并提供公报数据库检索",
    failure_title="政府公报未发布、未更新或无法检索",
    description="检查市政府门户网站是否设置政府公报栏目、发布本年度各期公报，并提供可检索的政府公报数据库。",
    rule="2021年九江市政务公开重点工作（二十六）：做好市政府公报编辑发行工作，完善政府公报数据库，推进数字化利用",
    category="政务公开",
    task="（二十六）",
)

_ISSUE = re.compile(r"((?:19|20)\d\d)\s*年\s*第\s*(\d{1,3})\s*期")


def has_search_form(page: PageArtifact) -> bool:
    """A <form> with a text (or untyped, or search) input inside the page's own content."""
    root = parse_tree(page.html) if page.html else None
    if root is None:
        return False
    for form in root.iter("form"):
        for inp in form.iter("input"):
            if (inp.get("type") or "text").lower() in ("text", "search", ""):
                return True
    return False


@register(META)
def check(
    site: SiteArtifacts,
    *,
    as_of: dt.date,
    readings: Readings,
    levels: Sequence[str],
    column_names: Sequence[str],
    column_exclude: Sequence[str],
    search_names: Sequence[str],
    max_issue_age_days: int,
    points_missing: float,
    points_stale: float,
    points_search: float,
) -> Iterator[Finding]:
    """Yield FAIL when the gazette, its current issues or its search are missing."""
    if site.level not in levels:
        raise NotTested("不适用：政府公报由市人民政府编辑发行（通知二十六），本网站不是市政府门户网站。")
    home = readings.home()
    home_url = home.final_url or home.url
    columns = columns_of(site, column_names, exclude=column_exclude)
    if not columns:
        if gap := readings.gap:
            raise NotTested(f"{gap}，且未找到政府公报栏目，无法判断是否发布。")
        yield META.finding(Severity.FAIL, "市政府门户网站未设置政府公报栏目。", url=home_url,
                           evidence={"查找的名称": "、".join(column_names)}, points=points_missing)
        return
    col = columns[0]
    state = column_state(site, col.url, as_of=as_of)
    if state in ("unknown", "js_shell", "failed"):
        raise NotTested(f"政府公报栏目（{col.url}）未能读取（{ {'unknown': '未抓取', 'js_shell': '由脚本生成未渲染', 'failed': '无法打开'}[state] }），无法检查。")
    entries = items_of(site, col.url)
    issues = []
    for e in entries:
        m = _ISSUE.search(e.title)
        day = entry_date(site, e, as_of=as_of)
        issues.append({"标题": e.title, "地址": e.link, "日期": day.isoformat() if day else "未注明",
                       "年份": int(m.group(1)) if m else None, "期号": int(m.group(2)) if m else None, "_day": day})
    dated = [i["_day"] for i in issues if i["_day"] is not None and i["_day"] <= as_of]
    newest = max(dated) if dated else None
    this_year = [i for i in issues if i["年份"] == as_of.year or (i["年份"] is None and i["_day"] and i["_day"].year == as_of.year)]
    for i in issues:
        i.pop("_day")
    page = article(site, col.url)
    pages = [p for p in (page,) if p is not None]
    search_links = [lk for p in pages for lk in links_on(site, p.final_url or p.url) if words_in(label(lk), search_names)]
    searchable = any(has_search_form(p) for p in pages) or bool(search_links)
    evidence = {"公报栏目": col.url, "期数": len(issues), "本年度期数": len(this_year),
                "最新一期日期": newest.isoformat() if newest else "未注明", "检索": "有" if searchable else "无",
                "各期": issues[:24]}
    if not this_year:
        yield META.finding(Severity.FAIL, f"政府公报栏目未发布{as_of.year}年的公报。", url=col.url, evidence=evidence,
                           points=points_stale)
    elif newest is not None and (as_of - newest).days > max_issue_age_days:
        yield META.finding(
            Severity.FAIL, f"政府公报最新一期发布于{cn_date(newest)}，已{(as_of - newest).days}天未更新（期限{max_issue_age_days}天）。",
            url=col.url, evidence=evidence, points=points_stale)
    if not searchable:
        yield META.finding(Severity.FAIL, "政府公报栏目未提供公报检索（政府公报数据库）。", url=col.url, evidence=evidence,
                           points=points_search)
    yield META.finding(Severity.INFO, f"政府公报共{len(issues)}期，其中{as_of.year}年{len(this_year)}期；"
                       f"{'提供' if searchable else '未提供'}检索。", url=col.url, evidence=evidence)
