"""Decision catalogue (重大行政决策事项目录): this year's catalogue published with its four fields.

Task （九） of the 2021 Jiujiang notice: 制定完善重大行政决策事项目录，列明决策事项、承办部门、决策时间以及是否听证等
信息，并向社会公开 (under 《江西省县级以上人民政府重大行政决策程序规定》, 省政府令第247号, which binds the
governments: levels ``levels``).

Reads every list entry, page title and link anchor naming this year's 重大行政决策事项目录 (``sitemap.titled``),
and the stored catalogue page (through a meta-refresh forward): its table header, else its text, matched against
each field's accepted labels (``fields``: 承办单位 / 承办部门 / 责任单位 … are one field).

Findings: no catalogue of this year after ``deadline`` → FAIL (before: INFO, not yet due); a field missing → FAIL
naming it; the field list found → INFO. Not tested on departments (不适用), when the home page could not be
fetched, when the catalogue could not be found and the crawl did not reach the columns, when its page was not
fetched, or when it is published only as an attachment (PDF, Word, Excel) we do not read.

Options: levels, column_names, fields, deadline (MM-DD), points_missing, points_field.
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
    judge_yearly,
    links_on,
    page_text,
    squash,
    table_headers,
    titled,
    titled_evidence,
    yearly_deadline,
)

META = Meta(
    id="decision-catalogue",
    title="公开本年度重大行政决策事项目录",
    failure_title="未公开重大行政决策事项目录或目录要素不全",
    description="检查县级以上人民政府门户网站是否公开本年度重大行政决策事项目录，目录是否列明决策事项、承办单位、"
    "决策时间以及是否听证。",
    rule="2021年九江市政务公开重点工作（九）：贯彻《江西省县级以上人民政府重大行政决策程序规定》（省政府令第247号），"
    "制定完善重大行政决策事项目录，列明决策事项、承办部门、决策时间以及是否听证等信息，并向社会公开",
    category="政务公开",
    task="（九）",
)

_ATTACHMENT = re.compile(r"\.(?:pdf|docx?|xlsx?|wps|et)(?:$|\?)", re.IGNORECASE)


def catalogue_pattern(year: int) -> re.Pattern[str]:
    y = rf"(?<!\d){year}(?!\d)\s*年"
    kind = r"重大(?:行政)?决策(?:事项)?目录"
    return re.compile(rf"{y}.{{0,24}}?{kind}|{kind}.{{0,8}}?{y}")


def fields_found(headers: Sequence[str], text: str, fields: Mapping[str, Sequence[str]]) -> dict[str, str]:
    """Field → the label that names it: in a table header first, then anywhere in the text."""
    found: dict[str, str] = {}
    for name, labels in fields.items():
        for lab in labels:
            hit = next((h for h in headers if squash(lab) in h), None)
            if hit:
                found[name] = hit
                break
        else:
            if not headers:
                hit = next((lab for lab in labels if squash(lab) in text), None)
                if hit:
                    found[name] = hit
    return found


@register(META)
def check(
    site: SiteArtifacts,
    *,
    as_of: dt.date,
    readings: Readings,
    levels: Sequence[str],
    column_names: Sequence[str],
    fields: Mapping[str, Sequence[str]],
    deadline: str,
    points_missing: float,
    points_field: float,
) -> Iterator[Finding]:
    """Yield FAIL when this year's catalogue is missing after its deadline or lacks a field."""
    if site.level not in levels:
        raise NotTested("不适用：重大行政决策事项目录由县级以上人民政府公开（省政府令第247号），本网站为部门网站。")
    home = readings.home()
    year = as_of.year
    due = yearly_deadline(year, deadline)
    columns = columns_of(site, column_names, max_len=20)
    found = titled(site, catalogue_pattern(year), as_of=as_of)
    verdict, item = judge_yearly(found, deadline=due, as_of=as_of)
    where = columns[0].url if columns else (home.final_url or home.url)
    if item is None:
        if columns:
            state = column_state(site, columns[0].url, as_of=as_of)
            if state in ("unknown", "js_shell"):
                raise NotTested(f"重大行政决策事项目录栏目（{columns[0].url}）未能读取，无法核实{year}年度目录。")
        elif gap := readings.gap:
            raise NotTested(f"{gap}，且未找到重大行政决策事项目录，无法判断是否公开。")
        if as_of <= due:
            yield META.finding(Severity.INFO, f"尚未发现{year}年度重大行政决策事项目录（期限{cn_date(due)}，尚未到期）。",
                               url=where, evidence={"目录栏目": where, "期限": due.isoformat()})
            return
        yield META.finding(
            Severity.FAIL, f"截至{cn_date(as_of)}，网站未公开{year}年度重大行政决策事项目录。", url=where,
            evidence={"目录栏目": columns[0].url if columns else "未找到", "期限": due.isoformat(),
                      "检查日期": as_of.isoformat()},
            points=points_missing)
        return
    page = article(site, item.url)
    evidence = titled_evidence(item)
    if page is None:
        raise NotTested(f"{year}年度重大行政决策事项目录页面（{item.url}）未抓取，无法核对目录要素。")
    text = squash(page_text(page))
    # The catalogue is the table naming most fields (an article's 索引号 box is a table too).
    tables = table_headers(page)
    headers = max(tables, key=lambda heads: len(fields_found(heads, "", fields))) if tables else []
    got = fields_found(headers, text, fields)
    attachments = [lk.target_url for lk in links_on(site, item.url) if _ATTACHMENT.search(lk.target_url)]
    if not headers and attachments:  # the catalogue is the attachment; the page's words prove nothing
        raise NotTested(f"{year}年度重大行政决策事项目录以附件形式发布（{attachments[0]}），未读取附件，无法核对目录要素。")
    evidence.update({"表头": headers, "识别的要素": got, "附件": attachments})
    missing = [name for name in fields if name not in got]
    for name in missing:
        yield META.finding(
            Severity.FAIL, f"{year}年度重大行政决策事项目录未列明“{name}”。", url=item.url,
            evidence={**evidence, "缺少要素": name, "可接受的名称": "、".join(fields[name])}, points=points_field)
    if verdict == "late":
        yield META.finding(Severity.INFO, f"{year}年度重大行政决策事项目录于{cn_date(item.date)}公开，晚于{cn_date(due)}。",
                           url=item.url, evidence=evidence)
    yield META.finding(
        Severity.INFO,
        f"已公开{year}年度重大行政决策事项目录，列明：{'、'.join(got) or '无'}。",
        url=item.url, evidence=evidence)
