"""Consultation period (公开征求意见): at least 30 days, or a stated reason; feedback published and linked.

Task （十一） of the 2021 Jiujiang notice: 公开征求意见的期限一般不少于30日，相关意见采纳情况应当及时向社会公众反馈，
未采纳的意见应说明理由.

Reads the columns named 意见征集 / 征求意见 / 草案征求意见 … (links anywhere, column names) and their entries
published within ``lookback_days``; for each item its stored article: the period as printed (征求意见时间：A至B,
自A起至B止, 开始时间 A … 结束时间 B, or only 截止时间 B counted from the publication date), the period in days
(both ends counted unless ``count_both_ends`` is false), a reason for a shorter period (``reason_words``), and —
once the period has ended more than ``feedback_grace_days`` ago — a feedback item (采纳情况 / 意见反馈 /
征求意见情况说明 …): a link on the article, else an entry naming the same subject (found but not linked: WARN).
A fetched feedback page that mentions unadopted opinions without a reason fails.

Findings: period shorter than ``min_days`` without a reason → FAIL (with a reason → INFO); no start/end dates →
FAIL; no feedback after the period → FAIL; feedback not linked → WARN; unadopted opinions unexplained → FAIL; an
INFO table of every item (dates, days, feedback link). Not tested when the home page could not be fetched, when no
consultation column was found (nothing to read; or the crawl did not reach it), when it lists nothing within the
look-back, or when none of its articles was fetched.

Options: column_names, column_exclude, feedback_names, min_days, count_both_ends, reason_words,
feedback_grace_days, lookback_days, explain_words, points_short, points_no_dates, points_no_feedback,
points_unexplained.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from extract.dates import find_dates, normalize
from govconfig.judge import reached
from inspections.artifacts import SiteArtifacts
from inspections.base import Finding, Meta, NotTested, Severity, register
from inspections.columns import cn_date
from inspections.readings import Readings
from inspections.sitemap import canonical, label
from inspections.tasklib import (
    UNREAD_STATES,
    article,
    columns_of,
    columns_or_not_tested,
    items_of,
    links_on,
    page_text,
    recent_entries,
    row_finding,
    squash,
    words_in,
)

META = Meta(
    id="consultation-period",
    title="公开征求意见期限符合要求并反馈采纳情况",
    failure_title="公开征求意见期限不足或未反馈采纳情况",
    description="检查网站公开征求意见的事项是否注明起止时间、期限是否不少于{min_days}日（期限较短的应说明理由），"
    "征求意见结束后是否公布意见采纳情况并与征求意见稿关联，未采纳的意见是否说明理由。",
    rule="2021年九江市政务公开重点工作（十一）：公开征求意见的期限一般不少于{min_days}日，相关意见采纳情况应当及时向社会"
    "公众反馈，未采纳的意见应说明理由",
    category="政务公开",
    task="（十一）",
)


# Words that open the period in the text (the printed labels seen on Jiangxi sites, several for one field).
_PERIOD_LABEL = re.compile(
    r"(征求意见(?:时间|期限|期间|时限|日期)|意见征集(?:时间|期限|期)|征集(?:时间|期限|期)|反馈(?:时间|期限)|"
    r"公示期|起止(?:时间|日期)|时间为|期限为)"
)
_START_LABEL = re.compile(r"(开始时间|起始时间|开始日期|征集开始|发布时间)[:：]?")
_END_LABEL = re.compile(r"(结束时间|截止时间|截止日期|截至日期|结束日期|征集截止|反馈截止时间|截止)[:：为]?")
_CONNECT = re.compile(r"^\s*(?:起)?\s*(?:至|到|—|－|-|~|～|止至)\s*$")
_BEFORE = re.compile(r"^\s*(?:前|之前|以前|止)")
_UNADOPTED = re.compile(r"未采纳|不予采纳|未予采纳|部分采纳|暂不采纳")
_NONE_RECEIVED = re.compile(r"未收到|没有收到|无意见|全部采纳|均已采纳|全部予以采纳")
_COUNTS = re.compile(r"收到[^。；]{0,12}?(\d+)\s*条[^。；]{0,20}?采纳[^。；]{0,6}?(\d+)\s*条")
_SUBJECT = re.compile(r"《([^》]{4,60})》")
_TITLE_NOISE = re.compile(
    r"^(?:关于|对)|(?:公开)?(?:征求|征集)(?:社会|公众|社会公众)?(?:各界)?意见(?:建议)?(?:的)?(?:公告|通知|公示|函)?$|"
    r"(?:的)?(?:意见)?(?:采纳情况|反馈|情况说明|征集结果)(?:的)?(?:公告|通知|说明)?$"
)


@dataclass(frozen=True, slots=True)
class Period:
    start: dt.date
    end: dt.date
    text: str  # as printed
    start_from_publication: bool = False


def find_period(text: str, *, as_of: dt.date, published: dt.date | None = None) -> Period | None:
    """The consultation period printed in `text`; the one after a period label wins over other date ranges."""
    norm = normalize(text)
    dates = []
    for printed, day in find_dates(norm, as_of=as_of):
        pos = norm.find(printed, dates[-1][2] if dates else 0)
        dates.append((printed, day, pos + len(printed), pos))
    ranges = []
    for (_p1, d1, end1, start1), (p2, d2, _end2, start2) in zip(dates, dates[1:], strict=False):
        if _CONNECT.match(norm[end1:start2]) and d2 >= d1:
            before = norm[max(0, start1 - 24) : start1]
            labelled = bool(_PERIOD_LABEL.search(before) or "自" in before[-3:])
            ranges.append((not labelled, start1, Period(d1, d2, norm[start1 : start2 + len(p2)])))
    if ranges:
        return min(ranges, key=lambda r: (r[0], r[1]))[2]
    start = end = None
    for printed, day, after, at in dates:
        before = norm[max(0, at - 12) : at]
        if start is None and _START_LABEL.search(before):
            start = (printed, day)
        elif end is None and (_END_LABEL.search(before) or _BEFORE.match(norm[after : after + 3])):
            end = (printed, day)
    if end is not None and start is not None and end[1] >= start[1]:
        return Period(start[1], end[1], f"{start[0]}……{end[0]}")
    if end is not None and published is not None and end[1] >= published:
        return Period(published, end[1], end[0], start_from_publication=True)
    return None


def subject_of(title: str) -> str:
    """What a consultation or its feedback is about: the 《…》 title, else the title without 关于/征求意见的公告."""
    title = squash(title)
    found = _SUBJECT.search(title)
    if found:
        return found.group(1)
    prev = None
    while prev != title:
        prev = title
        title = _TITLE_NOISE.sub("", title)
    return title


@dataclass(frozen=True, slots=True)
class _Item:
    title: str
    url: str
    published: dt.date | None
    column: str


@register(META)
def check(
    site: SiteArtifacts,
    *,
    as_of: dt.date,
    readings: Readings,
    column_names: Sequence[str],
    column_exclude: Sequence[str],
    feedback_names: Sequence[str],
    min_days: int,
    count_both_ends: bool,
    reason_words: Sequence[str],
    feedback_grace_days: int,
    lookback_days: int,
    explain_words: Sequence[str],
    points_short: float,
    points_no_dates: float,
    points_no_feedback: float,
    points_unexplained: float,
) -> Iterator[Finding]:
    """Yield per consultation item its period and feedback findings, and the table of all items."""
    home = readings.home()
    home_url = home.final_url or home.url
    gap = readings.gap
    columns = columns_or_not_tested(
        site,
        gap,
        column_names,
        exclude=column_exclude,
        gap_reason="且未找到征求意见栏目，无法检查公开征求意见的期限。",
        none_reason="网站未设置征求意见（意见征集）栏目，未发现可检查的公开征求意见事项。",
    )
    feedback_cols = columns_of(site, feedback_names)
    fb_words = tuple(feedback_names) + ("反馈", "采纳")

    # A feedback item listed in the same column is no consultation (skip_words); an undated item is kept.
    recent, states = recent_entries(
        site, columns, as_of=as_of, lookback_days=lookback_days, skip_words=fb_words, keep_undated=True
    )
    items: dict[str, _Item] = {}
    for col, entry, day in recent:
        items.setdefault(canonical(entry.link), _Item(entry.title, entry.link, day, col.name))
    if not items:
        if all(s in UNREAD_STATES for s in states):
            why = {"unknown": "未抓取", "js_shell": "由脚本生成未能渲染", "failed": "无法打开"}
            prefix = f"{gap}，" if gap else ""
            raise NotTested(
                f"{prefix}征求意见栏目（{columns[0].url}）{why.get(states[0], '未能读取')}，无法检查。"
            )
        raise NotTested(f"征求意见栏目近{lookback_days}天内没有征求意见事项，无可检查的内容。")

    # Feedback items published anywhere the crawl saw, by subject.
    feedback_pool: list[tuple[str, str]] = []
    for col in feedback_cols:
        feedback_pool += [(e.title, e.link) for e in items_of(site, col.url)]
    for col in columns:
        feedback_pool += [(e.title, e.link) for e in items_of(site, col.url) if words_in(e.title, fb_words)]

    findings: list[Finding] = []
    rows: list[dict[str, object]] = []
    unread = 0
    for item in items.values():
        page = article(site, item.url)
        row: dict[str, object] = {
            "标题": item.title,
            "地址": item.url,
            "栏目": item.column,
            "发布日期": item.published.isoformat() if item.published else "未注明",
        }
        rows.append(row)
        if page is None:
            unread += 1
            row["结论"] = "正文未抓取"
            continue
        text = page_text(page)
        period = find_period(text, as_of=as_of, published=item.published)
        if period is None:
            row["结论"] = "未注明起止时间"
            findings.append(
                row_finding(
                    META,
                    Severity.FAIL,
                    f"征求意见事项“{item.title}”未注明征求意见的起止时间。",
                    url=item.url,
                    row=row,
                    points=points_no_dates,
                )
            )
            continue
        days = (period.end - period.start).days + (1 if count_both_ends else 0)
        row.update(
            {
                "开始日期": period.start.isoformat(),
                "结束日期": period.end.isoformat(),
                "期限（天）": days,
                "原文": period.text,
            }
        )
        if period.start_from_publication:
            row["开始日期说明"] = "正文仅注明截止日期，自发布日期起算"
        if not reached(days, min_days):
            reasons = words_in(text, reason_words)
            if reasons:
                row["缩短理由"] = "、".join(reasons)
                findings.append(
                    row_finding(
                        META,
                        Severity.INFO,
                        f"征求意见事项“{item.title}”期限{days}天，少于{min_days}天，已说明理由。",
                        url=item.url,
                        row=row,
                    )
                )
            else:
                findings.append(
                    row_finding(
                        META,
                        Severity.FAIL,
                        f"征求意见事项“{item.title}”征求意见期限仅{days}天（{cn_date(period.start)}至"
                        f"{cn_date(period.end)}），少于{min_days}天且未说明理由。",
                        url=item.url,
                        row=row,
                        points=points_short,
                    )
                )
        # Feedback, once the period is over (and the grace for publishing it has passed).
        if period.end >= as_of:
            row["反馈"] = "征求意见尚未结束"
            continue
        links = [lk for lk in links_on(site, item.url) if words_in(label(lk), fb_words)]
        subject = subject_of(item.title)
        by_subject = [(t, u) for t, u in feedback_pool if subject and subject in squash(t)]
        fb_url = links[0].target_url if links else (by_subject[0][1] if by_subject else "")
        row["反馈链接"] = fb_url or "未发现"
        if not fb_url:
            if (as_of - period.end).days <= feedback_grace_days:
                row["反馈"] = f"征求意见结束未满{feedback_grace_days}天"
                continue
            findings.append(
                row_finding(
                    META,
                    Severity.FAIL,
                    f"征求意见事项“{item.title}”已于{cn_date(period.end)}结束，未发现公布的意见采纳情况（反馈）。",
                    url=item.url,
                    row=row,
                    points=points_no_feedback,
                )
            )
            continue
        if not links:
            findings.append(
                row_finding(
                    META,
                    Severity.WARN,
                    f"征求意见事项“{item.title}”的意见采纳情况已公布，但征求意见稿页面未链接反馈信息。",
                    url=item.url,
                    row=row,
                )
            )
        fb_page = article(site, fb_url)
        if fb_page is None:
            row["反馈"] = "反馈页面未抓取，未核实未采纳意见的理由"
            continue
        fb_text = squash(page_text(fb_page))
        counts = _COUNTS.search(fb_text)
        unadopted = bool(_UNADOPTED.search(fb_text)) or bool(
            counts and int(counts.group(1)) > int(counts.group(2))
        )
        explained = bool(words_in(fb_text, explain_words))
        if unadopted and not explained and not _NONE_RECEIVED.search(fb_text):
            row["反馈"] = "有未采纳意见，未说明理由"
            findings.append(
                row_finding(
                    META,
                    Severity.FAIL,
                    f"“{item.title}”的意见采纳情况未说明未采纳意见的理由。",
                    url=fb_url,
                    row=row,
                    points=points_unexplained,
                )
            )
        else:
            row["反馈"] = "已反馈"
    if unread == len(items):
        raise NotTested(f"征求意见事项共{len(items)}条，其正文页面均未抓取，无法核对征求意见期限。")
    findings.append(
        META.finding(
            Severity.INFO,
            f"共检查公开征求意见事项{len(items)}条（近{lookback_days}天），期限要求不少于{min_days}天。",
            url=columns[0].url if columns else home_url,
            evidence={"征求意见事项": rows},
        )
    )
    yield from findings
