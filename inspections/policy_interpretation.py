"""Policy interpretation (政策解读): each recent 规范性文件 linked to its 解读, and the 解读 back to it (双向关联).

Tasks （四）（五） of the 2021 Jiujiang notice ask for substantive interpretation in many forms (新闻发布会、在线访谈、
图文漫画、短视频 …); 政府网站 must publish the 解读 together with the document (辽宁办法: 同步发布解读材料), and the
株洲 2022 通报 penalises 解读稿未与政策原文做好双向关联 and a 解读比例 below the target (standards.md §1.5, §3.1).

Reads the policies listed in the columns named by ``policy_names`` (规范性文件 …) and published within
``lookback_days``, and the entries of the 解读 columns (``interpretation_names``). For each policy whose page was
fetched: the links on it to a 解读 (label naming 解读/图解/一图读懂 …, or a target listed in a 解读 column), and the
links on those 解读 pages back to it. The interpretation must follow within ``limit_days``.

Findings: a 解读 that does not link back → FAIL (at the 解读); a 解读 that links to the policy while the policy does
not link to it → FAIL (at the policy); share of policies with a 解读 below ``min_share`` → FAIL per policy without
one; a 解读 published more than ``limit_days`` after the policy → WARN; an INFO finding with the share and the forms
used (文字、图解、视频、新闻发布会、在线访谈). Not tested when the home page could not be fetched, when no policy
column was found (or the crawl did not reach it), when it lists no policy of the look-back period, or when none of
those policies' pages was fetched.

Options: policy_names, policy_exclude, interpretation_names, link_words, lookback_days, limit_days, min_share,
forms, points_missing, points_no_backlink, points_late.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping, Sequence

from inspections.artifacts import ListEntry, SiteArtifacts
from inspections.base import Finding, Meta, NotTested, Severity, register
from inspections.columns import cn_date
from inspections.readings import Readings
from inspections.sitemap import canonical, label, page_date
from inspections.tasklib import (
    UNREAD_STATES,
    article,
    columns_of,
    columns_or_not_tested,
    items_of,
    links_on,
    recent_entries,
    row_finding,
    words_in,
)

META = Meta(
    id="policy-interpretation",
    title="政策文件与解读双向关联、及时解读",
    failure_title="政策文件未解读或未与解读双向关联",
    description="检查近{lookback_days:period}发布的规范性文件是否发布解读、文件与解读是否相互链接（双向关联）、解读是否在{limit_days:days}内发布，"
    "并统计解读比例和解读形式（文字、图解、视频、新闻发布会等）。",
    rule="2021年九江市政务公开重点工作（四）（五）：全面提升解读质量，综合运用新闻发布会、在线访谈、图文漫画、"
    "短视频等形式开展多元化解读；政府网站发布重要政策文件时应同步发布解读材料，解读与原文双向关联",
    category="政务公开",
    task="（四）（五）",
)


def form_of(title: str, html: str, forms: Mapping[str, Sequence[str]]) -> str:
    """The form of an interpretation by its title (a <video> on the page is a 视频), else 文字."""
    for name, words in forms.items():
        if words_in(title, words):
            return name
    if html and "<video" in html.lower():
        return "视频"
    return "文字"


@register(META)
def check(
    site: SiteArtifacts,
    *,
    as_of: dt.date,
    readings: Readings,
    policy_names: Sequence[str],
    policy_exclude: Sequence[str],
    interpretation_names: Sequence[str],
    link_words: Sequence[str],
    lookback_days: int,
    limit_days: int,
    min_share: float,
    forms: Mapping[str, Sequence[str]],
    points_missing: float,
    points_no_backlink: float,
    points_late: float,
) -> Iterator[Finding]:
    """Yield per policy its link findings, and the share and forms of the interpretations."""
    home = readings.home()
    home_url = home.final_url or home.url
    columns = columns_or_not_tested(
        site,
        readings.gap,
        policy_names,
        exclude=policy_exclude,
        gap_reason="且未找到规范性文件栏目，无法检查政策解读。",
        none_reason="未找到规范性文件栏目，无可检查解读情况的政策文件。",
    )
    recent, states = recent_entries(
        site, columns, as_of=as_of, lookback_days=lookback_days, skip_words=link_words, keep_undated=False
    )
    policies: dict[str, tuple[ListEntry, dt.date]] = {}
    for _col, entry, day in recent:
        assert day is not None  # keep_undated=False
        policies.setdefault(canonical(entry.link), (entry, day))
    if not policies:
        if all(s in UNREAD_STATES for s in states):
            raise NotTested(f"规范性文件栏目（{columns[0].url}）未能读取，无法检查政策解读。")
        raise NotTested(f"规范性文件栏目近{lookback_days}天内没有发布文件，无可检查解读情况的政策。")

    interp_entries = {}
    for col in columns_of(site, interpretation_names, exclude=("征求意见",)):
        for entry in items_of(site, col.url):
            interp_entries.setdefault(canonical(entry.link), entry)

    findings: list[Finding] = []
    rows = []
    forms_used: dict[str, int] = {}
    read = with_interp = 0
    missing = []
    for key, (entry, day) in policies.items():
        page = article(site, entry.link)
        row: dict[str, object] = {"文件": entry.title, "地址": entry.link, "发布日期": day.isoformat()}
        rows.append(row)
        if page is None:
            row["解读"] = "文件页面未抓取"
            continue
        read += 1
        day = page_date(page, as_of=as_of) or day  # the document's own 发布日期 (a list may print 成文日期)
        row["发布日期"] = day.isoformat()
        forward = [
            lk
            for lk in links_on(site, entry.link)
            if canonical(lk.target_url) != key
            and (words_in(label(lk), link_words) or canonical(lk.target_url) in interp_entries)
        ]
        # 解读 pages that link to this policy without being linked from it.
        backward = [
            e
            for k, e in interp_entries.items()
            if any(canonical(lk.target_url) == key for lk in links_on(site, e.link))
        ]
        if not forward and not backward:
            row["解读"] = "未发现"
            missing.append((entry, row))
            continue
        with_interp += 1
        if not forward:
            interp = backward[0]
            row.update({"解读": interp.title, "解读地址": interp.link, "双向关联": "文件未链接解读"})
            findings.append(
                row_finding(
                    META,
                    Severity.FAIL,
                    f"规范性文件“{entry.title}”的解读已发布，但文件页面未链接解读。",
                    url=entry.link,
                    row=row,
                    points=points_no_backlink,
                )
            )
            interp_url, interp_title = interp.link, interp.title
        else:
            interp_url, interp_title = forward[0].target_url, label(forward[0])
            row.update({"解读": interp_title, "解读地址": interp_url})
            interp_page = article(site, interp_url)
            if interp_page is None:
                row["双向关联"] = "解读页面未抓取，未核实"
            elif not any(canonical(lk.target_url) == key for lk in links_on(site, interp_url)):
                row["双向关联"] = "解读未链接文件原文"
                findings.append(
                    row_finding(
                        META,
                        Severity.FAIL,
                        f"“{interp_title}”未链接回政策原文“{entry.title}”（未双向关联）。",
                        url=interp_url,
                        row=row,
                        points=points_no_backlink,
                    )
                )
            else:
                row["双向关联"] = "是"
        interp_page = article(site, interp_url)
        ientry = interp_entries.get(canonical(interp_url))
        iday = (
            ientry.date
            if ientry is not None and ientry.date
            else (page_date(interp_page, as_of=as_of) if interp_page is not None else None)
        )
        form = form_of(
            interp_title + (ientry.title if ientry else ""), interp_page.html if interp_page else "", forms
        )
        forms_used[form] = forms_used.get(form, 0) + 1
        row["解读形式"] = form
        if iday is not None:
            row["解读日期"] = iday.isoformat()
            delay = (iday - day).days
            row["间隔（天）"] = delay
            if delay > limit_days:
                findings.append(
                    row_finding(
                        META,
                        Severity.WARN,
                        f"规范性文件“{entry.title}”（{cn_date(day)}）的解读于{cn_date(iday)}发布，晚于{limit_days}天。",
                        url=interp_url,
                        row=row,
                        points=points_late,
                    )
                )
    if read == 0:
        raise NotTested(f"近{lookback_days}天的规范性文件共{len(policies)}件，其页面均未抓取，无法检查解读。")
    share = with_interp / read
    if share < min_share:
        for entry, row in missing:
            findings.append(
                row_finding(
                    META,
                    Severity.FAIL,
                    f"规范性文件“{entry.title}”未发布解读（或未与解读关联）。",
                    url=entry.link,
                    row=row,
                    points=points_missing,
                )
            )
    forms_text = "、".join(f"{k}{v}篇" for k, v in forms_used.items()) or "无"
    findings.append(
        META.finding(
            Severity.INFO,
            f"近{lookback_days}天规范性文件{read}件，有解读的{with_interp}件（解读比例{share:.0%}）；解读形式：{forms_text}。",
            url=columns[0].url if columns else home_url,
            evidence={
                "解读比例": round(share, 4),
                "解读形式": forms_used,
                "文件": rows,
                "目标比例": min_share,
                "未读取": len(policies) - read,
                "政策解读栏目": sorted({e.list_url for e in interp_entries.values()}),
            },
        )
    )
    yield from findings
