"""Execution disclosure (执行公开): the columns that show how decisions are carried out, and how fresh they are.

中办发〔2016〕8号 organises disclosure as 五公开 (决策、执行、管理、服务、结果公开); 执行公开 publishes the
implementation of major decisions: 重要部署 / 重点工作落实情况, 政策执行情况, 民生实事推进, 督查督办, 审计整改,
建议提案办理. The 2021 Jiujiang notice asks, besides, for the 落实举措 / 落实情况 of the 高标准市场体系 plan (十二),
the 河湖长制 (十五) and the 直达资金 (十六) to be published.

Reads links (anchor text or image alt, anywhere in the crawl) and columns named by the configured synonyms; for
each column found, the newest dated entry of its list and of its sub-lists (``sitemap.content_of``). Each must be
younger than its window (180 days by default: the 德安县 practice for 重点工作分解及进展/完成情况), with a warning
band from ``warn_days``. An INFO finding tabulates every execution column with its newest date and age.

Findings: no execution column at all → FAIL; a column over its window → FAIL; in the warning band → WARN; a
column with nothing published → FAIL; on portals (``task_levels``), a task of the notice without a column →
``task_missing`` (WARN by default; FAIL when listed in ``required_tasks``); a missing column listed in
``required_columns`` → FAIL. Lists drawn by script and not rendered, or never fetched, are reported as not
verified. Not tested when the home page could not be fetched,
or when no execution column was found and the crawl did not finish.

Options: columns, tasks (name → accepted names), window_days, warn_days, column_windows (per column days),
required_columns, required_tasks, task_levels (levels the tasks are judged on), task_missing (info | warn | fail:
the severity of an absent task column), points_missing, points_stale, points_empty, points_task_missing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from inspections.artifacts import SiteArtifacts
from inspections.base import Finding, Meta, NotTested, Severity, register
from inspections.readings import Readings
from inspections.columns import cn_date
from inspections.sitemap import Content, canonical, columns_named, content_of, find_links_anywhere, label

META = Meta(
    id="execution-disclosure",
    title="执行公开信息及时更新",
    failure_title="执行公开信息缺失或更新不及时",
    description="检查网站是否设置重要部署落实、政策执行、民生实事、督查督办、建议提案办理等执行公开栏目，"
    "以及高标准市场体系建设、河湖长制、直达资金等工作的落实情况栏目，各栏目最新信息是否在规定期限内。",
    rule="中办发〔2016〕8号《关于全面推进政务公开工作的意见》：推进决策、执行、管理、服务、结果公开（执行公开）；"
    "2021年九江市政务公开工作任务（十二）（十五）（十六）：公开落实举措和落实情况",
    category="政务公开",
    task="（十二）（十五）（十六）",
)


# A column's name, not a headline that happens to say 督办 (宜春: “…督办市政协重点提案”).
_NAME_MAX = 12
_TASK_SEVERITY = {"info": Severity.INFO, "warn": Severity.WARN, "fail": Severity.FAIL}


@dataclass(frozen=True, slots=True)
class _Row:
    name: str
    kind: str  # 栏目 | 任务
    url: str
    link_text: str
    content: Content
    window: int
    age: int | None

    def as_dict(self) -> dict[str, object]:
        return {
            "栏目": self.name,
            "类别": self.kind,
            "地址": self.url,
            "链接文字": self.link_text,
            "最新日期": self.content.newest.isoformat() if self.content.newest else "",
            "距今天数": self.age if self.age is not None else "",
            "期限（天）": self.window,
            "条目数": self.content.entries,
            "状态": _STATE.get(self.content.state, ""),
        }


_STATE = {
    "entries": "有内容",
    "text": "无列表条目",
    "empty": "空白",
    "js_shell": "脚本生成未渲染",
    "unknown": "未抓取",
    "failed": "无法打开",
}


def _locate(site: SiteArtifacts, names: Sequence[str]) -> tuple[str, str]:
    """URL and link text of the best column for `names` ("" when there is none)."""
    links = find_links_anywhere(site, names, max_len=_NAME_MAX, columns_only=True)
    if links:
        return links[0].target_url, label(links[0])
    cols = columns_named(site, names, max_len=_NAME_MAX)
    return (cols[0].url, cols[0].name) if cols else ("", "")


@register(META)
def check(
    site: SiteArtifacts,
    *,
    as_of: dt.date,
    readings: Readings,
    columns: Mapping[str, Sequence[str]],
    tasks: Mapping[str, Sequence[str]],
    window_days: int,
    warn_days: int,
    column_windows: Mapping[str, int],
    required_columns: Sequence[str],
    required_tasks: Sequence[str],
    task_levels: Sequence[str],
    task_missing: Literal["info", "warn", "fail"],
    points_missing: float,
    points_stale: float,
    points_empty: float,
    points_task_missing: float,
) -> Iterator[Finding]:
    """Yield per execution column its freshness, per task its presence, and the table of all of them."""
    home = readings.home()
    home_url = home.final_url or home.url
    rows: list[_Row] = []
    seen: set[str] = set()
    missing: list[tuple[str, str]] = []
    # The tasks fall to the governments (and to the one department in charge, which we cannot tell apart).
    judged_tasks = tasks if site.level in task_levels else {}
    for kind, groups in (("栏目", columns), ("任务", judged_tasks)):
        for name, names in groups.items():
            url, text = _locate(site, names)
            if not url or canonical(url) in seen:
                if not url:
                    missing.append((kind, name))
                continue
            seen.add(canonical(url))
            content = content_of(site, url, as_of=as_of, subcolumns=True)
            age = (as_of - content.newest).days if content.newest is not None else None
            rows.append(_Row(name, kind, url, text, content, int(column_windows.get(name, window_days)), age))

    findings: list[Finding] = []
    # Absent columns and tasks count only where the site was read; columns found but never fetched judge nothing.
    gap = readings.gap
    if gap and rows and all(r.content.state == "unknown" for r in rows):
        raise NotTested(f"{gap}，找到的执行公开类栏目均未抓取，无法判断其设置和更新情况。")
    if gap:
        missing = []
    if not any(r.kind == "栏目" for r in rows):
        if gap:
            raise NotTested(f"{gap}，且未找到执行公开类栏目，无法判断是否设置。")
        findings.append(
            META.finding(
                Severity.FAIL,
                "网站未设置执行公开类栏目（重要部署落实情况、政策执行情况、民生实事推进、督查督办、建议提案办理等）。",
                url=home_url,
                evidence={"查找的栏目": {n: "、".join(ns) for n, ns in columns.items()}},
                points=points_missing,
            )
        )
    for kind, name in missing:
        if kind == "栏目":
            if name in required_columns:
                findings.append(
                    META.finding(
                        Severity.FAIL,
                        f"网站未设置“{name}”栏目。",
                        url=home_url,
                        evidence={"查找的名称": "、".join(columns[name])},
                        points=points_missing,
                    )
                )
            continue
        required = name in required_tasks
        severity = Severity.FAIL if required else _TASK_SEVERITY.get(task_missing, Severity.WARN)
        findings.append(
            META.finding(
                severity,
                f"未发现公开“{name.split('）')[-1]}”落实举措和落实情况的栏目。",
                url=home_url,
                evidence={"任务": name, "查找的名称": "、".join(tasks[name])},
                points=points_task_missing if severity is Severity.FAIL else 0.0,
            )
        )

    warn_band = max(0, window_days - warn_days)  # 德安县: 即将超期 from day 160 of 180
    for row in rows:
        evidence = row.as_dict()
        state = row.content.state
        if row.age is not None:
            warn_from = row.window - warn_band
            if row.age > row.window:
                findings.append(
                    META.finding(
                        Severity.FAIL,
                        f"“{row.link_text or row.name}”栏目最新信息发布于{cn_date(row.content.newest)}，"
                        f"已{row.age}天未更新（期限{row.window}天）。",
                        url=row.url,
                        evidence=evidence,
                        points=points_stale,
                    )
                )
            elif row.age >= warn_from:
                findings.append(
                    META.finding(
                        Severity.WARN,
                        f"“{row.link_text or row.name}”栏目已{row.age}天未更新，即将超过{row.window}天期限。",
                        url=row.url,
                        evidence=evidence,
                    )
                )
        elif state in ("empty", "text", "failed") or (state == "entries" and row.content.newest is None):
            what = "无法打开" if state == "failed" else "未发布带日期的信息"
            findings.append(
                META.finding(
                    Severity.FAIL,
                    f"“{row.link_text or row.name}”栏目{what}。",
                    url=row.url,
                    evidence=evidence,
                    points=points_empty,
                )
            )
    if rows:
        findings.append(
            META.finding(
                Severity.INFO,
                "执行公开类栏目："
                + "；".join(
                    f"{r.link_text or r.name}（{cn_date(r.content.newest) if r.content.newest else _STATE[r.content.state]}）"
                    for r in rows
                )
                + "。",
                url=home_url,
                evidence={"栏目": [r.as_dict() for r in rows], "未设置": [f"{k}：{n}" for k, n in missing]},
            )
        )
    yield from findings
