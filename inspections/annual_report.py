"""Annual report (政府信息公开工作年度报告): last year's report published on time.

条例第四十九条: 县级以上人民政府部门 publish their report on the previous year by 1月31日; the 政府信息公开工作主管
部门 of a local government publishes the 本级政府 report by 3月31日. So a department site (level ``department``)
must carry last year's report from 1 February, a government portal (``municipal`` / ``county``) from 1 April.

Reads every stored list entry, page title and link anchor (``sitemap.titled``) for a title naming the previous
year and a 政府信息公开 (or 政务公开 / 信息公开) 年度报告 / 年报 / 工作报告, with its date (the printed list date,
else the article's PubDate / metadata box / URL date).

Before the deadline an absent report is only noted (尚未到期). After it: absent → FAIL; published after the
deadline → WARN (逾期发布). Not tested when the home page could not be fetched, when the 年报 column is drawn by
script and was not rendered, or when the 年报 column could not be found and the crawl did not finish.

Options: department_deadline, government_deadline (MM-DD), column_names, points_missing, points_late.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator, Sequence

from inspections.artifacts import SiteArtifacts
from inspections.base import Finding, Meta, NotTested, Severity, register
from inspections.readings import Readings
from inspections.columns import cn_date
from inspections.readings import cn_year_digits, deadline_of, judge_yearly
from inspections.sitemap import Titled, column_for, columns_named, content_of, find_links_anywhere, titled

META = Meta(
    id="annual-report",
    title="政府信息公开工作年度报告按时公布",
    failure_title="未按时公布上一年度政府信息公开工作年度报告",
    description="检查网站是否在法定期限内公布上一年度政府信息公开工作年度报告：政府部门每年{department_deadline:mmdd}前、"
    "本级人民政府每年{government_deadline:mmdd}前向社会公布。",
    rule="《中华人民共和国政府信息公开条例》第四十九条：县级以上人民政府部门应当在每年{department_deadline:mmdd}前……公布本行政机关"
    "上一年度政府信息公开工作年度报告；县级以上地方人民政府的政府信息公开工作主管部门应当在每年{government_deadline:mmdd}前向社会"
    "公布本级政府上一年度政府信息公开工作年度报告",
    category="政务公开",
    task="（二十六）",
)


def report_pattern(year: int) -> re.Pattern[str]:
    """A title naming `year`'s 政府信息公开 annual report, either order: 2020年…政府信息公开…年度报告 / …年报（2020年度）."""
    y = rf"(?<!\d){year}(?!\d)\s*年"
    subject = r"(?:政府信息公开|信息公开|政务公开)"
    kind = r"(?:年度报告|年报|工作报告)"
    return re.compile(rf"{y}.{{0,30}}?{subject}.{{0,12}}?{kind}|{subject}.{{0,12}}?{kind}.{{0,10}}?{y}")


class _Pattern:
    """`report_pattern` after turning Chinese-numeral years into digits."""

    def __init__(self, pattern: re.Pattern[str]) -> None:
        self.pattern = pattern

    def search(self, text: str) -> re.Match[str] | None:
        return self.pattern.search(cn_year_digits(text))


def _evidence(item: Titled) -> dict[str, object]:
    return {
        "标题": item.title,
        "地址": item.url,
        "发布日期": item.date.isoformat() if item.date else "未注明",
        "所在页面": item.list_url,
    }


@register(META)
def check(
    site: SiteArtifacts,
    *,
    as_of: dt.date,
    readings: Readings,
    department_deadline: str,
    government_deadline: str,
    column_names: Sequence[str],
    points_missing: float,
    points_late: float,
) -> Iterator[Finding]:
    """Yield FAIL when last year's report is missing after its deadline, WARN when it came late."""
    home = readings.home()
    year = as_of.year - 1
    is_department = site.level == "department"
    deadline = deadline_of(as_of.year, department_deadline if is_department else government_deadline)
    who = "政府部门" if is_department else "本级人民政府"

    column_links = find_links_anywhere(site, column_names, max_len=16, columns_only=True)
    columns = columns_named(site, column_names, max_len=16)
    column_url = (column_links[0].target_url if column_links else "") or (columns[0].url if columns else "")
    found = titled(site, _Pattern(report_pattern(year)), as_of=as_of)  # type: ignore[arg-type]
    verdict, item = judge_yearly(found, deadline=deadline, as_of=as_of)
    where = column_url or home.final_url or home.url

    if verdict == "missing":
        if column_url:
            content = content_of(site, column_url, as_of=as_of, subcolumns=True)
            col = column_for(site, column_url)
            if content.state == "js_shell" or (col is not None and col.js_shell):
                raise NotTested("政府信息公开年报栏目由脚本生成，未能渲染，无法核实上一年度年报。")
            if content.state == "unknown":
                raise NotTested(f"政府信息公开年报栏目页面（{column_url}）未抓取，无法核实上一年度年报。")
        elif gap := readings.gap:
            raise NotTested(f"未找到政府信息公开年报栏目，且{gap}，无法判断上一年度年报是否公布。")
        if as_of <= deadline:
            yield META.finding(
                Severity.INFO,
                f"尚未发现{year}年度政府信息公开工作年度报告，{who}公布期限为{cn_date(deadline)}，尚未到期。",
                url=where,
                evidence={"年报栏目": column_url or "未找到", "期限": deadline.isoformat()},
            )
            return
        yield META.finding(
            Severity.FAIL,
            f"截至{cn_date(as_of)}，网站未公布{year}年度政府信息公开工作年度报告（{who}应于{cn_date(deadline)}前公布）。",
            url=where,
            evidence={
                "年报栏目": column_url or "未找到",
                "期限": deadline.isoformat(),
                "检查日期": as_of.isoformat(),
            },
            points=points_missing,
        )
        return

    assert item is not None
    if verdict == "late":
        yield META.finding(
            Severity.WARN,
            f"{year}年度政府信息公开工作年度报告于{cn_date(item.date)}发布，晚于{cn_date(deadline)}的法定期限。",  # type: ignore[arg-type]
            url=item.url,
            evidence={**_evidence(item), "期限": deadline.isoformat()},
            points=points_late,
        )
    elif verdict == "undated":
        yield META.finding(
            Severity.INFO,
            f"已公布{year}年度政府信息公开工作年度报告，但未注明发布日期，无法核对是否按期发布。",
            url=item.url,
            evidence=_evidence(item),
        )
    else:
        yield META.finding(
            Severity.INFO,
            f"已于{cn_date(item.date)}公布{year}年度政府信息公开工作年度报告。",  # type: ignore[arg-type]
            url=item.url,
            evidence=_evidence(item),
        )
