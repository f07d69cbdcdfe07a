"""Annual statement (政府网站工作年度报表): last year's 报表 on the home page (or 政府信息公开) by 31 January.

国办函〔2018〕12号《关于做好政府网站年度报表发布工作的通知》: 各级各类政府网站的《政府网站工作年度报表》于每年
1月31日前在本网站首页显著位置发布 (issue 13 accepts the 政府信息公开 column as well).

Reads every list entry, page title and link anchor (``sitemap.titled``) naming the previous year's 网站(工作)年度报表,
with its date (list date, else the article's PubDate / metadata box / URL). Where it is: linked from the home page
(itself, or the list it sits in), or listed under the 政府信息公开 column (its folder or its breadcrumb).

Findings: absent after the deadline → FAIL (before: INFO, not yet due); published after the deadline → WARN; found
only outside the home page and the 政府信息公开 column → WARN; found in place and on time → INFO. Not tested when
the home page could not be fetched, or when nothing was found and the crawl did not reach the columns.

Options: deadline (MM-DD), points_missing, points_late, points_misplaced. The 政府信息公开 column is the one the
shared readings locate (``readings.disclosure``, names under ``readings.disclosure_column`` in scoring.yaml).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator

from inspections.artifacts import PageArtifact, SiteArtifacts
from inspections.base import Finding, Meta, NotTested, Severity, register
from inspections.readings import Readings
from inspections.columns import cn_date
from inspections.sitemap import canonical, column_for, label, links_of, under
from inspections.tasklib import (
    Titled,
    judge_yearly,
    squash,
    titled,
    titled_evidence,
    yearly_deadline,
)

META = Meta(
    id="annual-statement",
    title="按时在首页发布上一年度政府网站工作年度报表",
    failure_title="未按时发布上一年度政府网站工作年度报表",
    description="检查网站是否于每年{deadline:mmdd}前在首页显著位置（或政府信息公开专栏）发布上一年度《政府网站工作年度报表》。",
    rule="国办函〔2018〕12号《国务院办公厅关于做好政府网站年度报表发布工作的通知》：各级各类政府网站的《政府网站工作"
    "年度报表》于每年{deadline:mmdd}前在本网站首页显著位置发布",
    category="政务公开",
    task="（二十六）",
)



def statement_pattern(year: int) -> re.Pattern[str]:
    """A title naming `year`'s 政府网站工作年度报表: 2020年…网站工作年度报表 / 网站年度报表（2020年度）."""
    y = rf"(?<!\d){year}(?!\d)\s*年"
    kind = r"网站(?:工作)?年度(?:工作)?报表"
    return re.compile(rf"{y}.{{0,30}}?{kind}|{kind}.{{0,10}}?{y}")


def placed(site: SiteArtifacts, item: Titled, home: PageArtifact, disclosure_url: str) -> str:
    """首页 | 政府信息公开 | "" (elsewhere): where the statement is published.

    首页: the statement itself is linked from the home page, or its list is a 报表 column the home page links to (a
    工作动态 list that happens to hold it is no 显著位置). 政府信息公开: listed under that column's folder or
    breadcrumb.
    """
    home_keys = {canonical(home.url), canonical(home.final_url or home.url)}
    on_home = {canonical(lk.target_url): lk for key in home_keys for lk in links_of(site, key)}
    if canonical(item.url) in on_home:
        return "首页"
    col = column_for(site, item.list_url) if item.list_url else None
    if item.list_url:
        link = on_home.get(canonical(col.url if col is not None else item.list_url))
        names = (label(link) if link is not None else "") + (col.name if col is not None else "")
        if link is not None and "报表" in names:
            return "首页"
    if col is not None and any("信息公开" in squash(crumb) for crumb in col.path):
        return "政府信息公开"
    if disclosure_url and any(under(u, disclosure_url) for u in (item.url, item.list_url) if u):
        return "政府信息公开"
    return ""


@register(META)
def check(
    site: SiteArtifacts,
    *,
    as_of: dt.date,
    readings: Readings,
    deadline: str,
    points_missing: float,
    points_late: float,
    points_misplaced: float,
) -> Iterator[Finding]:
    """Yield FAIL when last year's 报表 is missing after 31 January, WARN when late or out of place."""
    home = readings.home()
    home_url = home.final_url or home.url
    year = as_of.year - 1
    due = yearly_deadline(as_of.year, deadline)
    found = titled(site, statement_pattern(year), as_of=as_of)
    verdict, item = judge_yearly(found, deadline=due, as_of=as_of)
    if item is None:
        if gap := readings.gap:
            raise NotTested(f"{gap}，未发现{year}年度政府网站工作年度报表，无法判断是否发布。")
        if as_of <= due:
            yield META.finding(Severity.INFO, f"尚未发现{year}年度政府网站工作年度报表（期限{cn_date(due)}，尚未到期）。",
                               url=home_url, evidence={"期限": due.isoformat()})
            return
        yield META.finding(
            Severity.FAIL,
            f"截至{cn_date(as_of)}，网站首页未发布{year}年度政府网站工作年度报表（应于{cn_date(due)}前发布）。",
            url=home_url, evidence={"期限": due.isoformat(), "检查日期": as_of.isoformat()}, points=points_missing)
        return
    where = placed(site, item, home, readings.disclosure.column_url)
    evidence = {**titled_evidence(item), "发布位置": where or "首页及政府信息公开专栏以外", "期限": due.isoformat()}
    if verdict == "late":
        yield META.finding(
            Severity.WARN, f"{year}年度政府网站工作年度报表于{cn_date(item.date)}发布，晚于{cn_date(due)}。",  # type: ignore[arg-type]
            url=item.url, evidence=evidence, points=points_late)
    if not where:
        yield META.finding(
            Severity.WARN, f"{year}年度政府网站工作年度报表未在首页显著位置或政府信息公开专栏发布。", url=item.url,
            evidence=evidence, points=points_misplaced)
    if verdict == "undated":
        yield META.finding(Severity.INFO, f"已发布{year}年度政府网站工作年度报表，但未注明发布日期。", url=item.url,
                           evidence=evidence)
    elif verdict == "on_time" and where:
        yield META.finding(Severity.INFO, f"已于{cn_date(item.date)}在{where}发布{year}年度政府网站工作年度报表。",  # type: ignore[arg-type]
                           url=item.url, evidence=evidence)
