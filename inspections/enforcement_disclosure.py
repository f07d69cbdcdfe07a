"""Enforcement disclosure (行政执法公示): the column, fresh 许可/处罚 decisions, last year's enforcement data.

国办发〔2018〕118号 (行政执法公示制度) asks 行政许可、行政处罚 decisions to be published within 7 working days of the
decision, and the previous year's enforcement data (行政执法统计年报) by 1月31日; 发改办财金〔2018〕424号 (双公示)
sets the same 7 working days for 许可/处罚 credit information.

Reads links and columns named 行政执法公示 / 双公示 / 执法公示 …; inside that column (its folder, the columns it
links to, columns whose breadcrumb passes it) the 行政许可 / 行政处罚 lists and their newest dated entry, whose age is
counted in working days (``inspections.workdays``, the official holiday calendar), each kind (许可, 处罚) on its own. The published decisions are the
only dates we see: a newest entry older than the limit means decisions are not being published within it (or
none were made, which the unit can show). The previous year's data is searched by title everywhere
(``sitemap.titled``).

Department sites and county portals only (``levels``; others: 不适用). Not tested when the home page could not be
fetched, when the holiday calendar of a year involved is not known, or when no column was found and the crawl
did not finish.

Options: levels, column_names, decisions (kind → list names), data_names, limit_workdays, data_deadline (MM-DD),
points_column, points_stale, points_data_missing, points_data_late.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator, Mapping, Sequence

from inspections.readings import cn_year_digits, deadline_of, judge_yearly
from inspections.artifacts import ListEntry, SiteArtifacts
from inspections.base import Finding, Meta, NotTested, Severity, register
from inspections.readings import Readings
from inspections.columns import cn_date
from inspections.sitemap import (
    canonical,
    columns_named,
    content_of,
    entries_under,
    find_links,
    find_links_anywhere,
    links_of,
    name_rank,
    squash,
    titled,
    under,
)
from inspections.workdays import CalendarUnknown, add_working_days, working_days_between

META = Meta(
    id="enforcement-disclosure",
    title="行政执法公示及时规范",
    failure_title="行政执法公示不及时或不规范",
    description="检查网站是否设有行政执法公示（双公示）栏目，行政许可、行政处罚决定是否在作出之日起"
    "{limit_workdays}个工作日内公开，上一年度行政执法统计年报是否在{data_deadline:mmdd}前公开。",
    rule="国办发〔2018〕118号《关于全面推行行政执法公示制度执法全过程记录制度重大执法决定法制审核制度的指导意见》："
    "行政许可、行政处罚的执法决定信息要在执法决定作出之日起{limit_workdays}个工作日内公开；发改办财金〔2018〕424号（双公示）："
    "自作出行政决定之日起{limit_workdays}个工作日内上网公开；各地于每年{data_deadline:mmdd}前公开上年度行政执法数据",
    category="政务公开",
    task="（十三）",
)

COLUMN_NAMES: tuple[str, ...] = ("行政执法公示", "行政执法信息公示", "执法公示", "双公示", "行政执法信息")


def data_pattern(year: int) -> re.Pattern[str]:
    """A title naming `year`'s enforcement data: 2020年度行政执法统计年报 / 2020年行政执法数据 / 年度数据."""
    y = rf"(?<!\d){year}(?!\d)\s*年"
    kind = r"(?:统计年报|年报|数据|年度报告|工作报告|统计)"
    return re.compile(rf"{y}.{{0,20}}?执法.{{0,10}}?{kind}|执法.{{0,10}}?{kind}.{{0,10}}?{y}")


class _Pattern:
    def __init__(self, pattern: re.Pattern[str]) -> None:
        self.pattern = pattern

    def search(self, text: str) -> re.Match[str] | None:
        return self.pattern.search(cn_year_digits(text))


def _decision_lists(site: SiteArtifacts, column_url: str, names: Sequence[str],
                    column_names: Sequence[str]) -> list[str]:
    """The lists of one kind of decision inside the column: linked from it, in its folder or under it."""
    lists: list[str] = [lk.target_url for lk in find_links(site, column_url, names, max_len=16)]
    for column in site.columns:
        named = name_rank(column.name, names, max_len=16) is not None
        inside = under(column.url, column_url) or any(
            name_rank(p, column_names, max_len=16) for p in column.path
        )
        if named and inside and canonical(column.url) not in {canonical(u) for u in lists}:
            lists.append(column.url)
    return lists


def _decision_entries(
    site: SiteArtifacts, column_url: str, lists: Sequence[str], names: Sequence[str]
) -> list[ListEntry]:
    """Entries of the kind's lists, and entries of the column whose title names the kind (双公示 lists)."""
    entries: dict[tuple[str, str], ListEntry] = {}
    for url in lists:
        for e in entries_under(site, url):
            entries.setdefault((canonical(e.link), e.title), e)
    for e in entries_under(site, column_url):
        if any(squash(n) in squash(e.title) for n in names):
            entries.setdefault((canonical(e.link), e.title), e)
    return list(entries.values())


def _judge_decisions(
    site: SiteArtifacts,
    column_url: str,
    decisions: Mapping[str, Sequence[str]],
    *,
    column_names: Sequence[str],
    as_of: dt.date,
    limit: int,
    points: float,
) -> list[Finding]:
    """Per kind (行政许可, 行政处罚): the newest dated entry against the working-day limit."""
    out: list[Finding] = []
    seen_any = False
    absent: list[str] = []
    unverified: list[str] = []
    for kind, names in decisions.items():
        lists = _decision_lists(site, column_url, names, column_names)
        entries = _decision_entries(site, column_url, lists, names)
        dated = [(e.date, e) for e in entries if e.date is not None and e.date <= as_of]
        if not dated:
            states = [content_of(site, u, as_of=as_of, subcolumns=True) for u in lists]
            if any(st.state in ("js_shell", "unknown") for st in states):
                unverified.append(kind)
            elif lists:
                seen_any = True
                out.append(
                    META.finding(
                        Severity.FAIL,
                        f"行政执法公示栏目的“{kind}”列表未发布带日期的{kind}信息。",
                        url=lists[0],
                        evidence={"栏目": column_url, "列表": lists},
                        points=points,
                    )
                )
            else:
                absent.append(kind)
            continue
        seen_any = True
        newest_day, newest = max(dated, key=lambda pair: pair[0])
        try:
            age = working_days_between(newest_day, as_of)
            due = add_working_days(newest_day, limit)
        except CalendarUnknown as exc:
            raise NotTested(f"{exc}，无法判断行政执法信息公示是否及时。") from exc
        where = newest.column_url or newest.list_url or column_url
        evidence = {
            "类别": kind,
            "栏目": column_url,
            "列表": where,
            "最新条目": newest.title,
            "条目地址": newest.link,
            "发布日期": newest_day.isoformat(),
            "距检查日工作日数": age,
            "时限（工作日）": limit,
        }
        if age > limit:
            out.append(
                META.finding(
                    Severity.FAIL,
                    f"{kind}信息最新一条发布于{cn_date(newest_day)}，距检查日已{age}个工作日，"
                    f"超过{limit}个工作日未更新（应于{cn_date(due)}前更新）。",
                    url=where,
                    evidence=evidence,
                    points=points,
                )
            )
        else:
            out.append(
                META.finding(
                    Severity.INFO,
                    f"{kind}信息最新一条发布于{cn_date(newest_day)}（{age}个工作日前）。",
                    url=where,
                    evidence=evidence,
                )
            )
    if unverified:
        out.append(
            META.finding(
                Severity.INFO,
                "行政执法公示栏目的"
                + "、".join(unverified)
                + "列表未抓取或由脚本生成未能渲染，未核实其更新情况。",
                url=column_url,
                evidence={"栏目": column_url, "类别": unverified},
            )
        )
    if absent and seen_any:
        # A unit may hold no licensing (or no penalty) power: say so, do not deduct.
        out.append(
            META.finding(
                Severity.INFO,
                "行政执法公示栏目未见" + "、".join(absent) + "列表。",
                url=column_url,
                evidence={"栏目": column_url, "类别": absent},
            )
        )
    elif absent and not unverified:
        out.append(
            META.finding(
                Severity.FAIL,
                "行政执法公示栏目未发布带日期的行政许可、行政处罚信息。",
                url=column_url,
                evidence={
                    "栏目": column_url,
                    "子栏目": [squash(lk.anchor) for lk in links_of(site, column_url)][:20],
                },
                points=points,
            )
        )
    return out


@register(META)
def check(
    site: SiteArtifacts,
    *,
    as_of: dt.date,
    readings: Readings,
    levels: Sequence[str],
    column_names: Sequence[str],
    decisions: Mapping[str, Sequence[str]],
    data_names: Sequence[str],
    limit_workdays: int,
    data_deadline: str,
    points_column: float,
    points_stale: float,
    points_data_missing: float,
    points_data_late: float,
) -> Iterator[Finding]:
    """Yield the missing column, a stale newest decision, and missing or late enforcement data."""
    if site.level not in levels:
        raise NotTested("不适用：本项仅适用于政府部门网站和县级政府门户网站。")
    home = readings.home()
    home_url = home.final_url or home.url

    links = find_links(site, home.url, column_names, max_len=16) or find_links_anywhere(
        site, column_names, max_len=16, columns_only=True
    )
    columns = columns_named(site, column_names, max_len=16)
    column_url = links[0].target_url if links else (columns[0].url if columns else "")
    findings: list[Finding] = []

    gap = readings.gap
    if not column_url and gap:
        raise NotTested(f"{gap}，且未找到行政执法公示栏目，无法判断是否设置。")
    if not column_url:
        findings.append(
            META.finding(
                Severity.FAIL,
                "网站未设置行政执法公示（双公示）栏目。",
                url=home_url,
                evidence={"查找的名称": "、".join(column_names)},
                points=points_column,
            )
        )
    else:
        findings += _judge_decisions(
            site, column_url, decisions, column_names=column_names, as_of=as_of, limit=limit_workdays,
            points=points_stale
        )

    # 118号 / 大同、广东 制度: 上年度行政执法数据 by 1月31日.
    year = as_of.year - 1
    deadline = deadline_of(as_of.year, data_deadline)
    data_links = find_links_anywhere(site, data_names, max_len=16, columns_only=True)
    data_columns = columns_named(site, data_names, max_len=16)
    data_url = (data_links[0].target_url if data_links else "") or (
        data_columns[0].url if data_columns else ""
    )
    found = titled(site, _Pattern(data_pattern(year)), as_of=as_of)  # type: ignore[arg-type]
    verdict, item = judge_yearly(found, deadline=deadline, as_of=as_of)
    where = data_url or column_url or home_url
    if verdict == "missing":
        if as_of <= deadline:
            findings.append(
                META.finding(
                    Severity.INFO,
                    f"尚未发现{year}年度行政执法统计年报，公开期限为{cn_date(deadline)}，尚未到期。",
                    url=where,
                    evidence={"期限": deadline.isoformat()},
                )
            )
        elif gap:
            findings.append(
                META.finding(
                    Severity.INFO,
                    f"{gap}，未能核实{year}年度行政执法统计年报是否公开。",
                    url=where,
                    evidence={"期限": deadline.isoformat()},
                )
            )
        else:
            findings.append(
                META.finding(
                    Severity.FAIL,
                    f"截至{cn_date(as_of)}，网站未公开{year}年度行政执法统计年报（应于{cn_date(deadline)}前公开）。",
                    url=where,
                    evidence={"栏目": column_url or "未找到", "期限": deadline.isoformat()},
                    points=points_data_missing,
                )
            )
    elif item is not None:
        evidence = {
            "标题": item.title,
            "地址": item.url,
            "发布日期": item.date.isoformat() if item.date else "未注明",
        }
        if verdict == "late":
            findings.append(
                META.finding(
                    Severity.WARN,
                    f"{year}年度行政执法统计年报于{cn_date(item.date)}公开，晚于{cn_date(deadline)}的期限。",  # type: ignore[arg-type]
                    url=item.url,
                    evidence={**evidence, "期限": deadline.isoformat()},
                    points=points_data_late,
                )
            )
        else:
            findings.append(
                META.finding(
                    Severity.INFO,
                    f"已公开{year}年度行政执法统计年报。",
                    url=item.url,
                    evidence=evidence,
                )
            )
    yield from findings
