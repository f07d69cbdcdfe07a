"""Stale columns (栏目不更新): columns past their update limit, and blank columns.

Reads ``site.columns``. Every column is classified by its name (then its breadcrumb) with
``inspections.columns.classify``: 动态、要闻类, 通知公告、政策文件类, 人事、规划计划类 and others, each with its
limit in ``limits`` (days; the values, like every other one, are in config/scoring.yaml). A column whose
entries carry no date at all counts as not updated (普查：未注明信息发布时间的视为不更新). A column with no entries is blank (空白栏目), unless its list is drawn by script and was not
rendered: that one is listed as 未能检测 and never blamed.

Single veto (19号) when any of: ≥ ``veto_key_stale`` stale 动态要闻 + 通知公告/政策文件 columns;
≥ ``veto_long_unupdated`` columns past their limit (any class); ≥ ``veto_blank`` blank columns. Below that,
each late or blank column costs points. One finding per late/blank column, a warning for columns inside the early-warning band, and an INFO finding listing every column with its newest
date and its age in days.

Options: limits, warn_band, column_limits (per column name; 0 = not judged), column_synonyms, column_exclude,
veto_key_stale, veto_long_unupdated, veto_blank, warn_long_unupdated, warn_blank, points_stale, points_blank.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from inspections.artifacts import ColumnArtifact, SiteArtifacts
from inspections.base import Finding, Meta, NotTested, Severity, register
from inspections.columns import class_name, classify, cn_date, cn_period

META = Meta(
    id="stale-columns",
    title="栏目信息按时更新",
    failure_title="栏目不更新",
    description="逐一检查网站栏目最新信息的日期：动态、要闻类栏目应在{limits[news]:period}内更新，通知公告、政策文件类栏目应在"
    "{limits[notice]:period}内更新，人事、规划计划类栏目应在{limits[personnel]:period}内更新；空白栏目和长期不更新的栏目会误导公众，应及时更新或优化调整。",
    rule="国办秘函〔2019〕19号 单项否决指标：栏目不更新（{limits[news]:period}内动态、要闻类及{limits[notice]:period}内通知公告、政策文件类栏目"
    "累计超过（含）{veto_key_stale}个未更新；应更新但长期未更新的栏目数量超过（含）{veto_long_unupdated}个；"
    "空白栏目数量超过（含）{veto_blank}个）",
    category="信息更新",
    task="",
)

_KEY_CLASSES = ("news", "notice")
ColumnClass = Literal["news", "notice", "personnel", "other"]


@dataclass(frozen=True, slots=True)
class _Judged:
    column: ColumnArtifact
    url: str
    cls: str
    limit: int | None  # None: not judged by configuration
    newest: dt.date | None
    age: int | None
    state: str  # ok | warn | late | undated | blank | shell | skipped

    def row(self) -> dict[str, object]:
        return {
            "栏目": self.column.name,
            "类别": class_name(self.cls),
            "最新日期": self.newest.isoformat() if self.newest else "",
            "已过天数": self.age,
            "时限": self.limit,
            "状态": _STATE_NAMES[self.state],
            "链接": self.url,
        }


_STATE_NAMES = {
    "ok": "正常",
    "warn": "即将超期",
    "late": "超期未更新",
    "undated": "未注明发布时间",
    "blank": "空白栏目",
    "shell": "未能检测",
    "skipped": "不检查",
}


def _judge(col: ColumnArtifact, *, as_of: dt.date, limits: Mapping[str, int], warn_band: Mapping[str, int],
           column_limits: Mapping[str, int], synonyms: Mapping[str, Sequence[str]],
           exclude: Sequence[str]) -> _Judged:
    url = col.url or (col.pages[0] if col.pages else "")
    cls = classify(col.name, col.path, synonyms=synonyms, exclude=exclude)
    limit = column_limits.get(col.name, limits.get(cls, limits.get("other")))
    dates = [e.date for e in col.entries if e.date is not None and e.date <= as_of]
    newest = max(dates) if dates else None
    age = (as_of - newest).days if newest else None

    def judged(state: str) -> _Judged:
        return _Judged(col, url, cls, limit or None, newest, age, state)

    if not limit:
        return judged("skipped")
    if not col.entries:
        return judged("shell" if col.js_shell else "blank")
    if newest is None:
        # Entries, none dated: “未注明信息发布时间的视为不更新”, unless the real list was never drawn.
        return judged("shell" if col.js_shell else "undated")
    band = max(0, min(int(warn_band.get(cls, 0)), limit - 1))
    # Fresh when the newest entry is newer than as_of − limit (the 2-week rule reads “2周内无更新”).
    state = "late" if age >= limit else "warn" if age >= limit - band and band else "ok"
    if col.js_shell and state != "ok":
        # What was seen is old, but the script-drawn part of the list may hold newer items.
        return judged("shell")
    return judged(state)


def _late_message(j: _Judged) -> str:
    head = f"“{j.column.name}”栏目（{class_name(j.cls)}）"
    if j.state == "blank":
        return f"{head}为空白栏目，未发布任何信息。"
    if j.state == "undated":
        return f"{head}的{len(j.column.entries)}条信息均未注明发布时间，按规定视为不更新。"
    assert j.newest is not None and j.limit is not None
    over = "超过" if j.age and j.age > j.limit else "已满"
    return f"{head}最近一次更新为{cn_date(j.newest)}，距检查基准日已{j.age}天，{over}{cn_period(j.limit)}未更新。"


def _names(items: Sequence[_Judged]) -> str:
    return "、".join(f"“{j.column.name}”" for j in items)


@register(META)
def check(
    site: SiteArtifacts,
    *,
    as_of: dt.date,
    limits: Mapping[ColumnClass, int],
    warn_band: Mapping[ColumnClass, int],
    column_limits: Mapping[str, int],
    column_synonyms: Mapping[Literal["news", "notice", "personnel"], Sequence[str]],
    column_exclude: Sequence[str],
    veto_key_stale: int,
    veto_long_unupdated: int,
    veto_blank: int,
    warn_long_unupdated: int,
    warn_blank: int,
    points_stale: float,
    points_blank: float,
) -> Iterator[Finding]:
    """Yield one finding per late or blank column, the vetoes the counts reach, and the list of all columns."""
    if not site.columns:
        raise NotTested("未采集到网站栏目，无法检查栏目更新情况。")
    seen: set[str] = set()
    judged: list[_Judged] = []
    for col in site.columns:
        j = _judge(col, as_of=as_of, limits=limits, warn_band=warn_band, column_limits=column_limits,
                   synonyms=column_synonyms, exclude=column_exclude)
        if j.url in seen:
            continue
        seen.add(j.url)
        judged.append(j)
    if all(j.state in ("shell", "skipped") for j in judged):
        raise NotTested("栏目列表均由脚本动态生成且未能渲染（或按配置不检查），无法判断栏目更新情况。")

    late = [j for j in judged if j.state in ("late", "undated")]
    blank = [j for j in judged if j.state == "blank"]
    key_late = [j for j in late if j.cls in _KEY_CLASSES]
    shells = [j for j in judged if j.state == "shell"]

    for j in late:
        yield META.finding(Severity.FAIL, _late_message(j), url=j.url, evidence=j.row(), points=points_stale)
    for j in blank:
        yield META.finding(Severity.FAIL, _late_message(j), url=j.url, evidence=j.row(), points=points_blank)
    for j in judged:
        if j.state == "warn":
            assert j.newest is not None and j.limit is not None
            yield META.finding(
                Severity.WARN,
                f"“{j.column.name}”栏目（{class_name(j.cls)}）最近一次更新为{cn_date(j.newest)}，距检查基准日已"
                f"{j.age}天，即将超过{cn_period(j.limit)}未更新的时限。",
                url=j.url,
                evidence=j.row(),
            )

    if len(key_late) >= veto_key_stale:
        yield META.finding(
            Severity.VETO,
            f"动态、要闻类和通知公告、政策文件类栏目共{len(key_late)}个未按时更新（{_names(key_late)}），"
            f"达到{veto_key_stale}个的单项否决线。",
            url="",  # about the site as a whole; each late column has its own finding with its URL
            evidence={"栏目": [j.row() for j in key_late]},
        )
    if len(late) >= veto_long_unupdated:
        yield META.finding(
            Severity.VETO,
            f"共有{len(late)}个栏目应更新但长期未更新，达到{veto_long_unupdated}个的单项否决线。",
            url="",  # about the site as a whole; each late column has its own finding with its URL
            evidence={"栏目": [j.row() for j in late]},
        )
    elif len(late) >= warn_long_unupdated:
        # 开普云 early warning: 超过6个栏目不更新.
        yield META.finding(
            Severity.WARN,
            f"已有{len(late)}个栏目超期未更新，接近{veto_long_unupdated}个的单项否决线。",
            url="",  # about the site as a whole; each late column has its own finding with its URL
            evidence={"栏目": [j.row() for j in late]},
        )
    if len(blank) >= veto_blank:
        yield META.finding(
            Severity.VETO,
            f"共有{len(blank)}个空白栏目（{_names(blank)}），达到{veto_blank}个的单项否决线。",
            url="",  # about the site as a whole; each late column has its own finding with its URL
            evidence={"栏目": [j.row() for j in blank]},
        )
    elif len(blank) >= warn_blank:
        # 开普云 early warning: 空白栏目超过2个.
        yield META.finding(
            Severity.WARN,
            f"已有{len(blank)}个空白栏目（{_names(blank)}），接近{veto_blank}个的单项否决线。",
            url="",  # about the site as a whole; each late column has its own finding with its URL
            evidence={"栏目": [j.row() for j in blank]},
        )

    if shells:
        yield META.finding(
            Severity.INFO,
            f"{len(shells)}个栏目的信息列表由脚本动态生成，未能渲染，未能检测：{_names(shells)}。",
            url=shells[0].url,
            evidence={"栏目": [j.row() for j in shells]},
        )
    yield META.finding(
        Severity.INFO,
        f"共检查{len(judged)}个栏目：超期未更新{len(late)}个，空白{len(blank)}个，即将超期"
        f"{sum(j.state == 'warn' for j in judged)}个，未能检测{len(shells)}个。",
        url=site.home_url,
        evidence={"栏目": [j.row() for j in judged]},
    )
