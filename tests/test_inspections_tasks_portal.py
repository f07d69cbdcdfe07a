"""plans-published, gazette and annual-statement (issue 13) from literal pages shaped like real CMS output:
breadcrumb-named columns, label variants, a gazette reached through a meta-refresh forward, yearless list dates.
"""

from __future__ import annotations

import datetime as dt

import pytest

from inspections import annual_statement, gazette, plans_published
from inspections.base import Severity, Status
from tests.test_inspections_disclosure import H, html, links, listing, make_site, run
from tests.test_inspections_tasks import CRUMB, article, fails, warns
from tests.test_realpages_checks import BJFT, BJXCH, REALPAGES, XA, YICHUN, checks_of

# ------------------------------------------------------------------------------------------- plans-published

MASTER = "某县国民经济和社会发展第十四个五年规划和2035年远景目标纲要"


def plans_site(*, master: bool = True, interp: bool = True, special: bool = True, history_in_column: bool = True):
    rows = []
    pages = {H: html(links(("规划计划", H + "ghjh/"), ("政策解读", H + "zcjd/")))}
    if master:
        body = f'<p><a href="{H}zcjd/1.html">《{MASTER}》解读</a></p>' if interp else "<p>全文如下。</p>"
        rows.append((MASTER, H + "ghjh/1.html", "2021-03-30"))
        pages[H + "ghjh/1.html"] = article(MASTER, body, "2021-03-30")
        if interp:
            pages[H + "zcjd/1.html"] = article(f"《{MASTER}》解读", f'<p><a href="{H}ghjh/1.html">原文</a></p>', "2021-03-31")
    if special:
        rows.append(("某县“十四五”生态环境保护规划", H + "ghjh/2.html", "2021-08-01"))
        pages[H + "ghjh/2.html"] = article("某县“十四五”生态环境保护规划",
                                           f'<p><a href="{H}zcjd/2.html">图解：生态环境保护规划</a></p>', "2021-08-01")
    history = ("某县国民经济和社会发展第十三个五年规划纲要", H + "ghjh/3.html", "2016-04-01")
    if history_in_column:
        rows.append(history)
    pages[H + "ghjh/"] = html(CRUMB.format("规划计划") + listing(*rows))
    if not history_in_column:
        pages[H + "lsgh/"] = html(listing(history), "历史资料")
        pages[H] = html(links(("规划计划", H + "ghjh/"), ("历史资料", H + "lsgh/")))
    return pages


def test_plans_pass_with_master_plan_interpretations_and_history_in_the_column():
    outcome = run(plans_published, make_site(plans_site()))
    assert outcome.status is Status.PASS, fails(outcome) + warns(outcome)


def test_flags_a_master_plan_without_interpretation():
    outcome = run(plans_published, make_site(plans_site(interp=False)))
    assert fails(outcome) == [f"“{MASTER}”未发布解读（或未与解读关联）。"]


def test_flags_missing_master_and_special_plans():
    outcome = run(plans_published, make_site(plans_site(master=False, special=False)))
    assert any("未发布本地区国民经济和社会发展第十四个五年规划" in m for m in fails(outcome))
    assert any("未发布“十四五”专项规划" in m for m in fails(outcome))


def test_history_outside_the_plans_column_warns():
    outcome = run(plans_published, make_site(plans_site(history_in_column=False)))
    assert warns(outcome) == ["历史规划未归集到规划计划栏目。"]


def test_plans_not_applicable_to_departments():
    outcome = run(plans_published, make_site(plans_site(), level="department"))
    assert outcome.status is Status.NOT_TESTED and "不适用" in outcome.reason


# ------------------------------------------------------------------------------------------- gazette

def gazette_site(*, search: bool = True, newest: str = "2021-11-25", forward: bool = True) -> dict:
    col = H + "zfxxgk/zfgb/"
    form = '<form action="/search/gb.jsp"><input name="q" placeholder="公报检索"><button>检索</button></form>'
    rows = [(f"九江市人民政府公报2021年第{n}期", H + f"zfxxgk/zfgb/{n}.html", d)
            for n, d in ((11, newest), (10, "2021-10-26"))]
    pages = {
        H: html(links(("政府公报", H + "zfgb/" if forward else col), ("统计公报", H + "tjgb/"))),
        col: html(CRUMB.format("政府公报") + (form if search else "") + listing(*rows)),
        H + "tjgb/": html(listing(("2020年国民经济和社会发展统计公报", H + "tjgb/1.html", "2021-03-01")), "统计公报"),
    }
    if forward:  # the column home only forwards, as many CMS channel roots do
        pages[H + "zfgb/"] = f'<html><head><meta http-equiv="refresh" content="0;url={col}"></head><body></body></html>'
    return pages


def test_gazette_through_meta_refresh_with_search_passes():
    outcome = run(gazette, make_site(gazette_site(), level="municipal"))
    assert outcome.status is Status.PASS, fails(outcome)
    [info] = outcome.findings
    assert info.evidence["本年度期数"] == 2 and info.evidence["检索"] == "有"


def test_flags_a_gazette_without_search_and_a_stale_one():
    outcome = run(gazette, make_site(gazette_site(search=False, forward=False), level="municipal"))
    assert fails(outcome) == ["政府公报栏目未提供公报检索（政府公报数据库）。"]
    stale = run(gazette, make_site(gazette_site(newest="2021-08-01", forward=False), level="municipal"))
    stale_pages = gazette_site(forward=False)
    stale_pages[H + "zfxxgk/zfgb/"] = html(CRUMB.format("政府公报") + listing(
        ("九江市人民政府公报2021年第5期", H + "zfxxgk/zfgb/5.html", "2021-06-01")))
    stale = run(gazette, make_site(stale_pages, level="municipal"))
    assert any("天未更新" in m for m in fails(stale))


def test_statistics_bulletin_is_no_gazette_and_counties_are_not_applicable():
    pages = {H: html(links(("统计公报", H + "tjgb/"), ("通知公告", H + "tzgg/"))),
             H + "tjgb/": html(listing(("2020年统计公报", H + "tjgb/1.html", "2021-03-01")), "统计公报"),
             H + "tzgg/": html(listing(("通知", H + "tzgg/1.html", "2021-12-01")), "通知公告")}
    outcome = run(gazette, make_site(pages, level="municipal"))
    assert fails(outcome) == ["市政府门户网站未设置政府公报栏目。"]
    assert run(gazette, make_site(gazette_site())).status is Status.NOT_TESTED


# ------------------------------------------------------------------------------------------- annual-statement

def statement_site(date: str = "2021-01-25", *, where: str = "disclosure") -> dict:
    doc = H + "zfxxgk/wzbb/202101/t20210125_1.html"
    title = "某县人民政府网站2020年政府网站工作年度报表"
    pages = {
        H: html(links(("政府信息公开", H + "zfxxgk/"), ("工作动态", H + "gzdt/"))),
        H + "zfxxgk/": html(links(("政府信息公开指南", H + "zfxxgk/zn/"), ("网站年度报表", H + "zfxxgk/wzbb/"))),
        H + "zfxxgk/wzbb/": html(CRUMB.format("网站年度报表") + listing((title, doc, date))),
        doc: article(title, "<table><tr><td>单位名称</td><td>某县人民政府</td></tr></table>", date),
        H + "gzdt/": html(listing(("某县召开会议", H + "gzdt/1.html", "2021-12-18")), "工作动态"),
    }
    if where == "news":  # only in the 工作动态 list: linked from the home page, but no 显著位置
        news_doc = H + "gzdt/202101/t20210125_1.html"
        pages[H + "gzdt/"] = html(listing(("某县召开会议", H + "gzdt/1.html", "2021-12-18"), (title, news_doc, date)),
                                  "工作动态")
        pages[news_doc] = pages.pop(doc)
        pages[H + "zfxxgk/"] = html(links(("政府信息公开指南", H + "zfxxgk/zn/")))
        del pages[H + "zfxxgk/wzbb/"]
    return pages


def test_statement_on_time_in_the_disclosure_column_passes():
    outcome = run(annual_statement, make_site(statement_site()))
    assert outcome.status is Status.PASS, fails(outcome) + warns(outcome)
    [info] = outcome.findings
    assert info.evidence["发布位置"] == "政府信息公开" and info.evidence["发布日期"] == "2021-01-25"


def test_late_or_misplaced_statement_warns_and_missing_one_fails():
    late = run(annual_statement, make_site(statement_site("2021-03-02")))
    assert warns(late) == ["2020年度政府网站工作年度报表于2021年3月2日发布，晚于2021年1月31日。"]
    misplaced = run(annual_statement, make_site(statement_site(where="news")))
    assert warns(misplaced) == ["2020年度政府网站工作年度报表未在首页显著位置或政府信息公开专栏发布。"]
    pages = statement_site()
    pages[H + "zfxxgk/wzbb/"] = html(listing(("某县人民政府网站2019年政府网站工作年度报表", H + "x.html", "2020-01-20")))
    del pages[H + "zfxxgk/wzbb/202101/t20210125_1.html"]
    missing = run(annual_statement, make_site(pages))
    assert missing.status is Status.FAIL and "未发布2020年度政府网站工作年度报表" in fails(missing)[0]


def test_statement_not_yet_due_in_january_and_not_tested_on_a_home_only_crawl():
    pages = statement_site()
    early = run(annual_statement, make_site(pages), as_of=dt.date(2022, 1, 10))
    assert early.status is Status.PASS
    assert early.findings[0].severity is Severity.INFO and "尚未到期" in early.findings[0].message
    home_only = make_site({H: pages[H]})
    assert run(annual_statement, home_only).status is Status.NOT_TESTED


# ------------------------------------------------------------------------------------------- one-page real crawls

ISSUE13 = ("plans-published", "policy-interpretation", "decision-catalogue", "consultation-period",
           "fiscal-disclosure", "gazette", "annual-statement")


@pytest.mark.skipif(not REALPAGES.is_dir(), reason=f"real page corpus not available at {REALPAGES}")
@pytest.mark.parametrize("rel", [YICHUN, BJXCH, BJFT, XA])
@pytest.mark.parametrize("level", ["municipal", "county"])
def test_one_page_real_crawls_claim_nothing_absent(rel, level):
    """Only the home page read: the columns these checks need were never fetched, so nothing is failed."""
    checks = checks_of(rel, level=level)
    for check_id in ISSUE13:
        assert checks[check_id]["status"] == "not_tested", (check_id, checks[check_id]["findings"][:2])
        assert checks[check_id]["points_lost"] == 0 and checks[check_id]["reason"]
