"""The checks of the 2021 notice's further tasks (issue 13), from literal pages shaped like real CMS output:
breadcrumb-named columns, several labels for one field, meta-refresh forwarding, 索引号 boxes.

Sites are written as {url: html} and turned into artifacts the way the loader would (``make_site`` of the
disclosure tests), so each case reads like the pages it stands for.
"""

from __future__ import annotations

import datetime as dt

import pytest

from inspections import (
    consultation_period,
    decision_catalogue,
    fiscal_disclosure,
    policy_interpretation,
)
from inspections.base import Severity, Status
from tests.test_inspections_disclosure import AS_OF, H, html, links, listing, make_site, run

CRUMB = '<div class="crumb">当前位置：<a href="/">首页</a> &gt; <a href="/zfxxgk/">政府信息公开</a> &gt; <span>{}</span></div>'
LONG = "各有关单位要高度重视，切实加强组织领导，明确责任分工，细化工作措施，认真抓好贯彻落实。" * 6


def article(title: str, body: str, pub: str, *, meta_box: bool = False) -> str:
    """A TRS-style article: PubDate meta, breadcrumb, optional 索引号 box, then the text."""
    box = (f'<table class="xxgk-info"><tr><th>索 引 号</th><td>001/2021-00012</td><th>发布日期</th><td>{pub}</td></tr>'
           "</table>") if meta_box else ""
    return (f'<html><head><title>{title}</title><meta name="ArticleTitle" content="{title}">'
            f'<meta name="PubDate" content="{pub} 09:30"></head><body>{CRUMB.format("正文")}{box}'
            f'<h1>{title}</h1><div class="content">{body}<p>{LONG}</p></div></body></html>')


def fails(outcome) -> list[str]:
    return [f.message for f in outcome.findings if f.severity >= Severity.FAIL]


def warns(outcome) -> list[str]:
    return [f.message for f in outcome.findings if f.severity is Severity.WARN]


# ------------------------------------------------------------------------------------------- consultation-period

def consultation_site(period_text: str, *, pub: str = "2021-10-01", feedback: bool = True, fb_text: str = "",
                      title: str = "关于公开征求《某县城市绿化管理办法（征求意见稿）》意见的公告") -> dict:
    a = H + "yjzj/202110/t20211001_1.html"
    fb = H + "yjfk/202111/t20211110_2.html"
    body = f"<p>现将征求意见稿全文公布。</p><p>{period_text}</p>"
    if feedback:
        body += f'<p><a href="{fb}">意见采纳情况</a></p>'
    pages = {
        H: html(links(("意见征集", H + "yjzj/"), ("意见反馈", H + "yjfk/"))),
        H + "yjzj/": html(CRUMB.format("意见征集") + listing((title, a, pub)), "意见征集"),
        a: article(title, body, pub),
        H + "yjfk/": html(CRUMB.format("意见反馈") + listing(("《某县城市绿化管理办法（征求意见稿）》征求意见采纳情况",
                                                              fb, "2021-11-10")), "意见反馈"),
        fb: article("《某县城市绿化管理办法（征求意见稿）》征求意见采纳情况",
                    fb_text or "<p>共收到意见5条，采纳3条；未采纳的理由如下：超出本办法调整范围。</p>", "2021-11-10"),
    }
    return pages


@pytest.mark.parametrize("text", [
    "征求意见时间：2021年10月1日至2021年10月15日。",  # TRS wording
    "征集时间：自2021-10-01起至2021-10-15止。",  # Hanweb wording
    "开始时间：2021-10-01 结束时间：2021-10-15",  # cluster labels
    "意见反馈截止时间：2021年10月15日。",  # only the end: counted from the publication date
])
def test_flags_a_15_day_consultation_without_reason_whatever_the_wording(text):
    outcome = run(consultation_period, make_site(consultation_site(text)))
    assert outcome.status is Status.FAIL
    [msg] = fails(outcome)
    assert "15天" in msg
    [short] = [f for f in outcome.findings if f.severity is Severity.FAIL]
    assert short.evidence["期限（天）"] == 15
    assert short.evidence["开始日期"] == "2021-10-01" and short.evidence["结束日期"] == "2021-10-15"
    [row] = outcome.findings[-1].evidence["征求意见事项"]  # the table: dates, days, feedback link
    assert row["期限（天）"] == 15 and row["反馈链接"].endswith("t20211110_2.html")


def test_a_short_period_with_its_reason_passes_with_the_reason_noted():
    text = "征求意见时间：2021年10月1日至2021年10月10日。因上级时限要求，时间紧迫，征求意见期限缩短为10日。"
    outcome = run(consultation_period, make_site(consultation_site(text)))
    assert outcome.status is Status.PASS
    assert any("已说明理由" in f.message for f in outcome.findings)


def test_passes_a_30_day_consultation_with_explained_feedback():
    outcome = run(consultation_period, make_site(consultation_site("征求意见时间：2021年10月1日至2021年10月30日。")))
    assert outcome.status is Status.PASS, fails(outcome)
    [info] = outcome.findings
    [row] = info.evidence["征求意见事项"]
    assert row["期限（天）"] == 30 and row["反馈"] == "已反馈"


def test_flags_an_ended_consultation_without_feedback():
    pages = consultation_site("征求意见时间：2021年9月1日至2021年10月10日。", pub="2021-09-01", feedback=False)
    del pages[H + "yjfk/"]
    outcome = run(consultation_period, make_site(pages))
    assert any("未发现公布的意见采纳情况" in m for m in fails(outcome))


def test_feedback_not_linked_warns_and_unexplained_rejections_fail():
    pages = consultation_site("征求意见时间：2021年9月1日至2021年10月10日。", pub="2021-09-01", feedback=False,
                              fb_text="<p>共收到意见6条，采纳2条。</p>")
    outcome = run(consultation_period, make_site(pages))
    assert any("未链接反馈信息" in m for m in warns(outcome))
    assert any("未说明未采纳意见的理由" in m for m in fails(outcome))


def test_an_item_without_dates_fails():
    outcome = run(consultation_period, make_site(consultation_site("请社会各界积极提出意见建议。")))
    assert any("未注明征求意见的起止时间" in m for m in fails(outcome))


def test_consultation_not_tested_without_column_or_when_only_the_home_page_was_read():
    assert run(consultation_period, make_site({H: html("<p>首页</p>")})).status is Status.NOT_TESTED
    home_only = make_site({H: html(links(("意见征集", H + "yjzj/"), ("通知公告", H + "tzgg/")))})
    outcome = run(consultation_period, home_only)
    assert outcome.status is Status.NOT_TESTED
    assert "首页" in outcome.reason


def test_consultation_column_reached_through_meta_refresh():
    pages = consultation_site("征求意见时间：2021年10月1日至2021年10月15日。")
    pages[H] = html(links(("意见征集", H + "zmhd/yjzj/index.html"), ("意见反馈", H + "yjfk/")))
    pages[H + "zmhd/yjzj/index.html"] = ('<html><head><meta http-equiv="refresh" content="0; url=../../yjzj/">'
                                         "</head><body></body></html>")
    outcome = run(consultation_period, make_site(pages))
    assert outcome.status is Status.FAIL
    assert "15天" in fails(outcome)[0]


def test_find_period_prefers_the_labelled_range_over_other_ranges():
    text = "本办法有效期为2022年1月1日至2026年12月31日。征求意见时间：2021年10月1日至2021年10月31日。"
    period = consultation_period.find_period(text, as_of=AS_OF)
    assert (period.start, period.end) == (dt.date(2021, 10, 1), dt.date(2021, 10, 31))


# ------------------------------------------------------------------------------------------- policy-interpretation

def policy_site(*, backlink: bool = True, forward: bool = True, interp_date: str = "2021-11-03") -> dict:
    doc = H + "gfxwj/202111/t20211101_1.html"
    jd = H + "zcjd/202111/t20211103_2.html"
    title = "某县人民政府关于印发《某县公共租赁住房管理办法》的通知"
    doc_body = "<p>现将办法印发给你们。</p>" + (f'<p><a href="{jd}">相关解读：《某县公共租赁住房管理办法》政策解读</a></p>'
                                        if forward else "")
    jd_body = "<p>一、出台背景。</p>" + (f'<p>政策原文：<a href="{doc}">{title}</a></p>' if backlink else "")
    return {
        H: html(links(("规范性文件", H + "gfxwj/"), ("政策解读", H + "zcjd/"))),
        H + "gfxwj/": html(CRUMB.format("规范性文件") + listing((title, doc, "2021-10-28")), "规范性文件"),
        doc: article(title, doc_body, "2021-11-01", meta_box=True),
        H + "zcjd/": html(CRUMB.format("政策解读") + listing(("《某县公共租赁住房管理办法》政策解读", jd, interp_date)),
                          "政策解读"),
        jd: article("《某县公共租赁住房管理办法》政策解读", jd_body, interp_date),
    }


def test_policy_and_interpretation_linked_both_ways_pass_and_report_share_and_form():
    outcome = run(policy_interpretation, make_site(policy_site()))
    assert outcome.status is Status.PASS, fails(outcome)
    [info] = outcome.findings
    assert info.evidence["解读比例"] == 1.0 and info.evidence["解读形式"] == {"文字": 1}
    # the delay counts from the document's own 发布日期 (2021-11-01), not the 成文日期 the list printed
    assert info.evidence["文件"][0]["间隔（天）"] == 2


def test_flags_an_interpretation_that_does_not_link_back():
    outcome = run(policy_interpretation, make_site(policy_site(backlink=False)))
    [finding] = [f for f in outcome.findings if f.severity is Severity.FAIL]
    assert finding.url.endswith("t20211103_2.html") and "未链接回政策原文" in finding.message


def test_flags_a_policy_that_does_not_link_its_interpretation():
    outcome = run(policy_interpretation, make_site(policy_site(forward=False)))
    [finding] = [f for f in outcome.findings if f.severity is Severity.FAIL]
    assert finding.url.endswith("t20211101_1.html") and "未链接解读" in finding.message


def test_flags_a_policy_without_any_interpretation_and_a_late_one_warns():
    pages = policy_site(forward=False, backlink=False)
    outcome = run(policy_interpretation, make_site(pages))
    assert any("未发布解读" in m for m in fails(outcome))
    late = run(policy_interpretation, make_site(policy_site(interp_date="2021-11-20")))
    assert late.status is Status.WARN and "晚于5天" in warns(late)[0]


def test_policy_interpretation_not_tested_without_recent_policies():
    pages = policy_site()
    pages[H + "gfxwj/"] = html(listing(("某县人民政府关于印发《旧办法》的通知", H + "gfxwj/old.html", "2019-01-01")),
                               "规范性文件")
    outcome = run(policy_interpretation, make_site(pages))
    assert outcome.status is Status.NOT_TESTED and "近365天" in outcome.reason


# ------------------------------------------------------------------------------------------- decision-catalogue

def catalogue_site(headers: list[str], *, year: int = 2021) -> dict:
    doc = H + f"jcml/{year}03/t{year}0316_1.html"
    table = ("<table><tr>" + "".join(f"<td>{h}</td>" for h in headers) + "</tr>"
             + "<tr>" + "".join(f"<td>x{i}</td>" for i in range(len(headers))) + "</tr></table>")
    title = f"某县{year}年度重大行政决策事项目录"
    return {
        H: html(links(("决策公开", H + "jcgk/"))),
        H + "jcgk/": html(links(("重大行政决策事项目录", H + "jcml/"), ("意见征集", H + "yjzj/"))),
        # the column page names itself only in its breadcrumb (no <title>)
        H + "jcml/": html(CRUMB.format("重大行政决策事项目录") + listing((title, doc, f"{year}-03-16"))),
        doc: article(title, table, f"{year}-03-16"),
    }


@pytest.mark.parametrize("headers", [
    ["序号", "决策事项名称", "承办单位", "计划决策时间", "是否举行听证"],
    ["序号", "事项名称", "承办部门", "决策时间", "是否听证"],
    ["序号", "决策事项", "责任单位", "拟决策时间", "是否需要听证"],
])
def test_catalogue_fields_are_recognised_under_their_several_labels(headers):
    outcome = run(decision_catalogue, make_site(catalogue_site(headers)))
    assert outcome.status is Status.PASS, fails(outcome)


def test_flags_a_catalogue_without_decision_time():
    outcome = run(decision_catalogue, make_site(catalogue_site(["序号", "决策事项", "承办单位", "是否听证"])))
    assert fails(outcome) == ["2021年度重大行政决策事项目录未列明“决策时间”。"]


def test_flags_a_missing_catalogue_of_this_year_and_departments_are_not_applicable():
    outcome = run(decision_catalogue, make_site(catalogue_site(["决策事项", "承办单位", "决策时间", "是否听证"],
                                                               year=2020)))
    assert any("未公开2021年度重大行政决策事项目录" in m for m in fails(outcome))
    dept = run(decision_catalogue, make_site(catalogue_site(["决策事项"]), level="department"))
    assert dept.status is Status.NOT_TESTED and "不适用" in dept.reason


def test_catalogue_published_as_attachment_is_not_tested():
    pages = catalogue_site([])
    doc = H + "jcml/202103/t20210316_1.html"
    pages[doc] = article("某县2021年度重大行政决策事项目录", f'<p><a href="{H}files/ml.pdf">附件：目录.pdf</a></p>',
                         "2021-03-16").replace(LONG, "")
    outcome = run(decision_catalogue, make_site(pages))
    assert outcome.status is Status.NOT_TESTED and "附件" in outcome.reason


# ------------------------------------------------------------------------------------------- fiscal-disclosure

def fiscal_site(*titles: tuple[str, str], debt: bool = True, procurement: bool = True) -> dict:
    rows = [(t, H + f"czyjs/a{i}.html", d) for i, (t, d) in enumerate(titles)]
    pages = {
        H: html(links(("财政预决算", H + "czyjs/"), *([("政府采购", H + "zfcg/")] if procurement else []),
                      *([("政府债务", H + "zfzw/")] if debt else []))),
        H + "czyjs/": html(CRUMB.format("财政预决算") + listing(*rows), "财政预决算"),
        H + "zfcg/": html(listing(("某县办公设备项目采购公告", H + "zfcg/1.html", "2021-12-01")), "政府采购"),
        H + "zfzw/": html(listing(("某县2021年政府债务限额和余额情况", H + "zfzw/1.html", "2021-11-01"),
                                  ("某县2021年政府债券发行和还本付息情况", H + "zfzw/2.html", "2021-10-01")), "政府债务"),
    }
    if not procurement:
        del pages[H + "zfcg/"]
    if not debt:
        del pages[H + "zfzw/"]
    return pages


def test_fiscal_passes_with_budget_final_accounts_procurement_and_debt():
    site = make_site(fiscal_site(("某县2021年度部门预算公开", "2021-03-25"), ("某县2020年度部门决算公开", "2021-09-10")))
    outcome = run(fiscal_disclosure, site)
    assert outcome.status is Status.PASS, fails(outcome)


def test_flags_missing_final_accounts_and_a_late_budget():
    site = make_site(fiscal_site(("某县2021年度部门预算公开", "2021-06-25"),
                                 ("某县2021年1-11月财政预算执行情况", "2021-12-10")))
    outcome = run(fiscal_disclosure, site)
    assert fails(outcome) == ["截至2021年12月20日，网站未公开2020年度决算（期限2021年9月30日）。"]
    assert any("2021年度预算于2021年6月25日公开" in m for m in warns(outcome))


def test_flags_missing_procurement_and_debt_items_on_a_county_portal_only():
    pages = fiscal_site(("某县2021年度部门预算公开", "2021-03-25"), ("某县2020年度部门决算公开", "2021-09-10"),
                        procurement=False)
    pages[H + "zfzw/"] = html(listing(("某县2021年政府债务限额情况", H + "zfzw/1.html", "2021-11-01")), "政府债务")
    outcome = run(fiscal_disclosure, make_site(pages))
    assert any("未公开政府采购信息" in m for m in fails(outcome))
    assert {"政府债务信息未公开“余额”情况。", "政府债务信息未公开“发行”情况。"} <= set(fails(outcome))
    dept = run(fiscal_disclosure, make_site(fiscal_site(("2021年度部门预算", "2021-03-25"), ("2020年度部门决算", "2021-09-10"),
                                                       debt=False), level="department"))
    assert dept.status is Status.PASS, fails(dept)


def test_fiscal_not_tested_when_the_column_was_never_read():
    outcome = run(fiscal_disclosure, make_site({H: html(links(("财政预决算", H + "czyjs/"), ("政府采购", H + "x/")))}))
    assert outcome.status is Status.NOT_TESTED
