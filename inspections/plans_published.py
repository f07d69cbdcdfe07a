"""Plans published (规划计划): the 十四五 plan and special plans with their 解读, historical plans in one column.

Task （一） of the 2021 Jiujiang notice: 县级以上各级人民政府做好本地区“十四五”规划和专项规划、空间规划、区域规划的
发布解读工作，归集整理公开本地区历史规划（计划）. 条例第二十条 (三) lists 国民经济和社会发展规划、专项规划、区域规划.
It binds the governments (levels ``levels``); departments are reported 不适用.

Reads every list entry, page title and link anchor (``sitemap.titled``): the 十四五 纲要 (国民经济和社会发展 +
十四五 / 第十四个五年), special plans (十四五 … 规划, not the 纲要), their 解读 (a link on the plan's page whose
label names 解读, or a 解读 whose title names the plan); the column named 规划计划 … and whether historical plans
(十三五、十二五 …) are listed in it.

Findings: no 十四五 纲要 → FAIL; no 解读 of it → FAIL; no special plan → FAIL; a special plan without 解读 → WARN;
no 规划计划 column → FAIL; no historical plan in that column → FAIL (found only elsewhere: WARN); an INFO summary.
Not tested on departments, when the home page could not be fetched, or when nothing was found and the crawl did not
reach the columns (or the plans column was found but never read).

Options: levels, column_names, link_words, points_master, points_master_interpretation, points_special,
points_column, points_history.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator, Sequence

from inspections.artifacts import SiteArtifacts
from inspections.base import Finding, Meta, NotTested, Severity, register
from inspections.readings import Readings
from inspections.sitemap import canonical, label
from inspections.tasklib import (
    Titled,
    column_state,
    columns_of,
    items_of,
    links_on,
    squash,
    titled,
    words_in,
)

META = Meta(
    id="plans-published",
    title="发布解读“十四五”规划并集中公开历史规划",
    failure_title="“十四五”规划及专项规划未发布解读或历史规划未归集",
    description="检查县级以上人民政府门户网站是否发布本地区“十四五”规划纲要和专项规划及其解读，"
    "并在规划计划栏目中归集公开历史规划（计划）。",
    rule="2021年九江市政务公开重点工作（一）：县级以上各级人民政府做好本地区“十四五”规划和专项规划、空间规划、区域规划"
    "的发布解读工作，归集整理公开本地区历史规划（计划）；《中华人民共和国政府信息公开条例》第二十条（三）",
    category="政务公开",
    task="（一）",
)

_FIVE = r"(?:“?十四五”?|第十四个五年)"
MASTER = re.compile(rf"国民经济和社会发展{_FIVE}.{{0,30}}?(?:规划|纲要)|{_FIVE}.{{0,6}}?规划纲要")
SPECIAL = re.compile(rf"{_FIVE}.{{0,24}}?规划")
HISTORY = re.compile(
    r"(?:十三五|十二五|十一五|第十三个五年|第十二个五年|第十一个五年|(?:19|20)\d\d\s*[-—－至]\s*20[01]\d\s*年?).{0,30}?(?:规划|纲要)"
)
_INTERP = re.compile(r"解读|图解|一图读懂|答记者问")


def _core(title: str) -> str:
    """The plan's own name for matching its 解读: inside 《》 when quoted, without the place prefix noise."""
    title = squash(title)
    m = re.search(r"《([^》]+)》", title)
    return m.group(1) if m else title


def _interpretation_of(site: SiteArtifacts, plan: Titled, interps: list[Titled], link_words: Sequence[str]) -> str:
    for lk in links_on(site, plan.url):
        if words_in(label(lk), link_words) and canonical(lk.target_url) != canonical(plan.url):
            return lk.target_url
    core = _core(plan.title)
    for item in interps:
        if core and core in squash(item.title):
            return item.url
    return ""


@register(META)
def check(
    site: SiteArtifacts,
    *,
    as_of: dt.date,
    readings: Readings,
    levels: Sequence[str],
    column_names: Sequence[str],
    link_words: Sequence[str],
    points_master: float,
    points_master_interpretation: float,
    points_special: float,
    points_column: float,
    points_history: float,
) -> Iterator[Finding]:
    """Yield a finding per missing plan, interpretation, column or historical collection, then a summary."""
    if site.level not in levels:
        raise NotTested("不适用：“十四五”规划发布解读和历史规划归集由县级以上人民政府负责（通知一），本网站为部门网站。")
    home = readings.home()
    home_url = home.final_url or home.url
    columns = columns_of(site, column_names, exclude=("解读", "公示", "建设项目"))
    gap = readings.gap
    if columns and column_state(site, columns[0].url, as_of=as_of) in ("unknown", "js_shell"):
        raise NotTested(f"规划计划栏目（{columns[0].url}）未能读取，无法检查规划发布情况。")
    everything = titled(site, re.compile(r"规划|纲要|计划"), as_of=as_of)
    interps = [t for t in everything if _INTERP.search(squash(t.title))]
    plans = [t for t in everything if not _INTERP.search(squash(t.title))]
    masters = [t for t in plans if MASTER.search(squash(t.title))]
    specials = [t for t in plans if SPECIAL.search(squash(t.title)) and t not in masters]
    if not columns and not masters and gap:
        raise NotTested(f"{gap}，且未找到规划计划栏目和“十四五”规划，无法检查。")
    where = columns[0].url if columns else home_url
    summary: dict[str, object] = {"规划计划栏目": where if columns else "未找到"}

    if not masters:
        yield META.finding(Severity.FAIL, "网站未发布本地区国民经济和社会发展第十四个五年规划（纲要）。", url=where,
                           evidence=summary, points=points_master)
    else:
        master = masters[0]
        summary["十四五规划纲要"] = {"标题": master.title, "地址": master.url}
        interp = _interpretation_of(site, master, interps, link_words)
        summary["纲要解读"] = interp or "未发现"
        if not interp:
            yield META.finding(Severity.FAIL, f"“{master.title}”未发布解读（或未与解读关联）。", url=master.url,
                               evidence=dict(summary), points=points_master_interpretation)
    if not specials:
        yield META.finding(Severity.FAIL, "网站未发布“十四五”专项规划。", url=where, evidence=dict(summary),
                           points=points_special)
    special_rows = []
    for plan in specials:
        interp = _interpretation_of(site, plan, interps, link_words)
        special_rows.append({"标题": plan.title, "地址": plan.url, "解读": interp or "未发现"})
        if not interp:
            yield META.finding(Severity.WARN, f"专项规划“{plan.title}”未发现解读。", url=plan.url,
                               evidence={"标题": plan.title, "地址": plan.url})
    summary["专项规划"] = special_rows
    history = [t for t in plans if HISTORY.search(squash(t.title))]
    if not columns:
        yield META.finding(Severity.FAIL, "网站未设置规划计划栏目集中公开规划（计划）。", url=home_url,
                           evidence=dict(summary), points=points_column)
    else:
        listed = {canonical(e.link) for col in columns for e in items_of(site, col.url)}
        in_column = [t for t in history if canonical(t.url) in listed]
        summary["栏目内历史规划"] = [t.title for t in in_column]
        if not in_column:
            severity = Severity.WARN if history else Severity.FAIL
            text = ("历史规划未归集到规划计划栏目。" if history else "规划计划栏目未归集公开本地区历史规划（计划）。")
            yield META.finding(severity, text, url=columns[0].url,
                               evidence={**summary, "栏目外的历史规划": [t.url for t in history]},
                               points=points_history if severity is Severity.FAIL else 0.0)
    yield META.finding(Severity.INFO, f"规划发布情况：“十四五”规划纲要{len(masters)}件，专项规划{len(specials)}件，"
                       f"历史规划{len(history)}件。", url=where, evidence=summary)
