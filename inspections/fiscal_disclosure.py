"""Fiscal disclosure (财政信息公开): this year's 预算, last year's 决算, 政府采购 and, on portals, 政府债务.

Task （十六） of the 2021 Jiujiang notice: 进一步扩大预决算公开范围 …；依法公开政府集中采购的目录、标准、公告、中标及
成交公示等信息；通过集中统一平台定期公开地方政府债务限额、余额、发行 … 偿还计划 … 等信息. 条例第二十条 (七)(九)
list 财政预算、决算 and 政府集中采购 among the contents every agency publishes.

Reads every list entry, page title and link anchor (``sitemap.titled``) for a title naming this year's 预算 (not a
预算执行 / 预算调整 report) and last year's 决算, judged against ``budget_deadline`` / ``final_deadline`` (the
预算法 counts 20 days from approval, a date the site does not show: the calendar dates are ours, 待核实); links and
columns named 政府采购 …; on ``debt_levels`` sites the 政府债务 column with its entries and pages, for each item of
``debt_items`` (限额、余额、发行、还本付息).

Findings: budget or final accounts missing after the deadline → FAIL (before: INFO); published late → WARN; no
政府采购 information → FAIL; on portals no 政府债务 column → FAIL, an item missing from it → FAIL naming it; an
INFO summary. Not tested when the home page could not be fetched, or when no fiscal column was found and the
crawl did not reach the columns, or when the fiscal column was found but never read.

Options: column_names, budget_deadline, final_deadline, procurement_names, debt_levels, debt_names, debt_items,
points_budget, points_final, points_late, points_procurement, points_debt, points_debt_item.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator, Mapping, Sequence

from inspections.artifacts import SiteArtifacts
from inspections.base import Finding, Meta, NotTested, Severity, register
from inspections.readings import Readings
from inspections.columns import cn_date
from inspections.tasklib import (
    article,
    column_state,
    columns_of,
    items_of,
    judge_yearly,
    page_text,
    squash,
    titled,
    titled_evidence,
    words_in,
    yearly_deadline,
)

META = Meta(
    id="fiscal-disclosure",
    title="预决算、政府采购和政府债务信息按时公开",
    failure_title="预决算、政府采购或政府债务信息未按要求公开",
    description="检查网站是否按期公开本年度预算和上年度决算，是否公开政府采购信息；县级以上政府门户网站是否公开"
    "政府债务限额、余额、发行、还本付息等信息。",
    rule="2021年九江市政务公开重点工作（十六）：做好财政信息公开，扩大预决算公开范围，依法公开政府集中采购信息，"
    "定期公开地方政府债务限额、余额、发行、偿还等信息；《中华人民共和国政府信息公开条例》第二十条（七）（九）",
    category="政务公开",
    task="（十六）",
)

_PROCUREMENT_TITLE = re.compile(r"采购(?:公告|意向|结果|合同|目录|需求)|中标|成交公[告示]")


def budget_pattern(year: int) -> re.Pattern[str]:
    """A title naming `year`'s 预算 itself: 2021年部门预算, 2021年度财政预算, 关于2021年预算草案的报告."""
    return re.compile(rf"(?<!\d){year}(?!\d)\s*年度?[^，。]{{0,20}}?预算(?!执行|调整|绩效)")


def final_pattern(year: int) -> re.Pattern[str]:
    return re.compile(rf"(?<!\d){year}(?!\d)\s*年度?[^，。]{{0,20}}?决算")


@register(META)
def check(
    site: SiteArtifacts,
    *,
    as_of: dt.date,
    readings: Readings,
    column_names: Sequence[str],
    budget_deadline: str,
    final_deadline: str,
    procurement_names: Sequence[str],
    debt_levels: Sequence[str],
    debt_names: Sequence[str],
    debt_items: Mapping[str, Sequence[str]],
    points_budget: float,
    points_final: float,
    points_late: float,
    points_procurement: float,
    points_debt: float,
    points_debt_item: float,
) -> Iterator[Finding]:
    """Yield a finding per missing or late document and per missing part, then a summary."""
    home = readings.home()
    home_url = home.final_url or home.url
    columns = columns_of(site, column_names)
    gap = readings.gap
    if not columns and gap:
        raise NotTested(f"{gap}，且未找到财政预决算栏目，无法判断预决算是否公开。")
    if columns and column_state(site, columns[0].url, as_of=as_of) in ("unknown", "js_shell"):
        raise NotTested(f"财政预决算栏目（{columns[0].url}）未能读取，无法核实预决算公开情况。")
    where = columns[0].url if columns else home_url
    summary: dict[str, object] = {"财政预决算栏目": where if columns else "未找到"}

    year = as_of.year
    for what, doc_year, pattern, mmdd, points in (
        ("预算", year, budget_pattern(year), budget_deadline, points_budget),
        ("决算", year - 1, final_pattern(year - 1), final_deadline, points_final),
    ):
        due = yearly_deadline(year, mmdd)
        found = titled(site, pattern, as_of=as_of)
        verdict, item = judge_yearly(found, deadline=due, as_of=as_of)
        summary[f"{doc_year}年{what}"] = item.url if item else "未发现"
        if item is None:
            if as_of <= due:
                summary[f"{doc_year}年{what}"] = f"未发现（期限{due.isoformat()}，尚未到期）"
                continue
            yield META.finding(
                Severity.FAIL, f"截至{cn_date(as_of)}，网站未公开{doc_year}年度{what}（期限{cn_date(due)}）。", url=where,
                evidence={"财政预决算栏目": summary["财政预决算栏目"], "期限": due.isoformat(),
                          "检查日期": as_of.isoformat()},
                points=points)
        elif verdict == "late":
            yield META.finding(
                Severity.WARN, f"{doc_year}年度{what}于{cn_date(item.date)}公开，晚于{cn_date(due)}。", url=item.url,
                evidence={**titled_evidence(item), "期限": due.isoformat()}, points=points_late)

    procurement = columns_of(site, procurement_names)
    procurement_docs = titled(site, _PROCUREMENT_TITLE, as_of=as_of)
    summary["政府采购"] = procurement[0].url if procurement else (procurement_docs[0].url if procurement_docs else "未发现")
    if not procurement and not procurement_docs:
        if gap:
            summary["政府采购"] = f"未发现（{gap}）"
        else:
            yield META.finding(
                Severity.FAIL, "网站未公开政府采购信息（采购目录、标准、公告、中标及成交公示等）。", url=home_url,
                evidence={"查找的名称": "、".join(procurement_names)}, points=points_procurement)

    if site.level in debt_levels:
        debt = columns_of(site, debt_names)
        if not debt:
            if gap:
                summary["政府债务"] = f"未发现（{gap}）"
            else:
                yield META.finding(
                    Severity.FAIL, "县级以上政府门户网站未公开政府债务信息（限额、余额、发行、还本付息等）。", url=home_url,
                    evidence={"查找的名称": "、".join(debt_names)}, points=points_debt)
        else:
            col = debt[0]
            entries = items_of(site, col.url)
            texts = [e.title for e in entries]
            for e in entries:
                page = article(site, e.link)
                if page is not None:
                    texts.append(page_text(page))
            own = article(site, col.url)
            if own is not None:
                texts.append(page_text(own))
            text = squash(" ".join(texts))
            state = column_state(site, col.url, as_of=as_of)
            summary["政府债务"] = col.url
            if state in ("unknown", "js_shell", "failed") and not entries:
                summary["政府债务"] = f"{col.url}（未能读取，未核实各项内容）"
            else:
                present = {name: bool(words_in(text, words)) for name, words in debt_items.items()}
                summary["政府债务各项"] = present
                for name, ok in present.items():
                    if not ok:
                        yield META.finding(
                            Severity.FAIL, f"政府债务信息未公开“{name}”情况。", url=col.url,
                            evidence={"政府债务栏目": col.url, "缺少": name, "条目数": len(entries)},
                            points=points_debt_item)
    yield META.finding(Severity.INFO, "财政信息公开情况：" + "；".join(
        f"{k}：{'见证据' if isinstance(v, dict) else v}" for k, v in summary.items()) + "。", url=where,
        evidence=summary)
