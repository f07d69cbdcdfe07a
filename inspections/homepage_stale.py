"""Home page stale (首页不更新): nothing dated on the home page within ``limit_days`` before the as-of date
(the values: config/scoring.yaml).

Reads ``site.home`` (its stored HTML, re-parsed with ``extract.html.parse_page`` against ``as_of``: the dated list
entries, and ``<meta name="PubDate">``). A page with no date at all counts as not updated (普查：未注明信息发布时间
的视为不更新). When the home page is only a navigation portal (fewer than ``portal_entries`` dated items), the
19号 rule looks at the second-level pages too: the newest date among the columns (``site.columns``) linked from
the home page.

Not tested when the home page could not be fetched, or when its lists are drawn by script and were not rendered.

Options: limit_days (veto), warn_days (early warning), portal_entries.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from extract.dates import parse_date
from extract.html import parse_page
from govconfig.judge import reached
from inspections.artifacts import SiteArtifacts
from inspections.base import Finding, Meta, NotTested, Severity, register
from inspections.columns import cn_date, cn_period
from inspections.readings import Readings
from netkit.urls import url_key

META = Meta(
    id="homepage-stale",
    title="首页信息及时更新",
    failure_title="首页不更新",
    description="检查网站首页最新发布信息的日期：首页长期不更新，说明网站疏于维护，公众看不到最新的政务信息。"
    "未注明发布时间的信息视为不更新；首页仅为栏目导航入口的，以其二级页面的更新情况为准。",
    rule="国办秘函〔2019〕19号 单项否决指标：首页不更新（监测{limit_days:period}，首页无信息更新的，即单项否决；"
    "如首页仅为网站栏目导航入口，所有二级页面无信息更新的，即单项否决）",
    category="信息更新",
    task="",
)


@register(META)
def check(
    site: SiteArtifacts,
    *,
    as_of: dt.date,
    readings: Readings,
    limit_days: int,
    warn_days: int,
    portal_entries: int,
) -> Iterator[Finding]:
    """Yield a veto when the newest dated item on the home page is ``limit_days`` old or more."""
    home = readings.home()
    url = home.final_url or home.url
    parsed = parse_page(home.html, url, as_of=as_of)
    shell = (parsed.js_shell or home.js_shell) and not home.rendered
    # Nested deeper than the parser reads: newer items may sit in the part that was lost. Whenever the page
    # would be judged stale or undated it is not tested instead (as for a list drawn by script).
    if parsed.truncated:
        shell = True

    # Dates later than the as-of date are typing errors or pre-dated items: they prove nothing about updating.
    dated = [(e.date, e.title) for e in parsed.entries if e.date is not None and e.date <= as_of]
    pub = home.meta.get("PubDate") or parsed.meta.get("PubDate") or ""
    pub_date = parse_date(pub, as_of=as_of) if pub else None
    if pub_date is not None and pub_date <= as_of:
        dated.append((pub_date, "首页PubDate元数据"))

    # A list drawn by script and not rendered may hold newer items than the static parts: whenever the home page
    # would be judged stale (or undated), it is not tested instead, never blamed on the department.
    shell_reason = (
        "首页标签嵌套过深，解析器只读到页面的前一部分，无法判断首页更新情况。"
        if parsed.truncated
        else "首页信息列表由脚本动态生成，未能渲染，无法判断首页更新情况。"
    )
    source = "首页"
    home_entries = len(dated)
    if home_entries < portal_entries:
        # Few or no dated items: a navigation portal, judged by its second-level pages (19号), i.e. the columns
        # linked from the home page, together with whatever the home page itself dates.
        targets = {link.target_url for link in site.links_from(home.url)} | {
            link.url for link in parsed.links
        }
        if home.final_url != home.url:
            targets |= {link.target_url for link in site.links_from(home.final_url)}
        keys = {url_key(t) for t in targets}
        linked = [
            c for c in site.columns if url_key(c.url) in keys or (c.pages and url_key(c.pages[0]) in keys)
        ]
        col_dates = [
            (e.date, f"{c.name}：{e.title}")
            for c in linked
            for e in c.entries
            if e.date is not None and e.date <= as_of
        ]
        if not dated and not col_dates:
            if shell:
                raise NotTested(shell_reason)
            # 普查：未注明信息发布时间的视为不更新.
            where = "首页及其链接的二级栏目均" if linked else "首页"
            yield META.finding(
                Severity.VETO,
                f"{where}未找到注明发布时间的信息，按规定视为不更新。",
                url=url,
                evidence={"首页": url, "首页日期条目数": 0, "链接的栏目数": len(linked), "时限": limit_days},
            )
            return
        if col_dates and (not dated or max(col_dates) > max(dated)):
            dated = col_dates
            source = "首页链接的二级栏目"
    newest, item = max(dated)

    age = (as_of - newest).days
    if shell and age >= warn_days:
        raise NotTested(shell_reason)
    evidence = {
        "首页": url,
        "最新日期": newest.isoformat(),
        "最新信息": item,
        "已过天数": age,
        "时限": limit_days,
        "依据": source,
    }
    lead = "首页最近一次更新为" if source == "首页" else "首页为栏目导航入口，其二级栏目最近一次更新为"
    # “监测2周，首页无信息更新”: fresh only when the newest item is newer than as_of − 14 days.
    if reached(age, limit_days):
        over = "超过" if age > limit_days else "已满"
        yield META.finding(
            Severity.VETO,
            f"{lead}{cn_date(newest)}，距检查基准日已{age}天，{over}{cn_period(limit_days)}未更新。",
            url=url,
            evidence=evidence,
        )
    elif age >= warn_days:
        # 开普云 early warning: 首页超过10天未更新.
        yield META.finding(
            Severity.WARN,
            f"{lead}{cn_date(newest)}，距检查基准日已{age}天，即将超过{cn_period(limit_days)}未更新的时限。",
            url=url,
            evidence=evidence,
        )
    else:
        yield META.finding(
            Severity.INFO,
            f"{lead}{cn_date(newest)}，距检查基准日{age}天。",
            url=url,
            evidence=evidence,
        )
