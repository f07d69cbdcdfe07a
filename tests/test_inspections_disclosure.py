"""The 政务公开 checks from literal artifacts: disclosure-column, annual-report, standardization-topic,
normative-documents, enforcement-disclosure, execution-disclosure, and the sitemap helpers they share.

Sites are written as {url: html} and turned into artifacts the way the loader would (links, list entries and
columns from ``extract.html.parse_page``), so each case reads like the pages it stands for.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from extract.html import parse_page
from inspections import (
    annual_report,
    disclosure_column,
    enforcement_disclosure,
    execution_disclosure,
    normative_documents,
    sitemap,
    standardization_topic,
)
from inspections.artifacts import ColumnArtifact, LinkArtifact, ListEntry, PageArtifact, SiteArtifacts
from inspections.base import Severity, Status
from inspections.readings import Readings
from inspections.runner import check_options, load_scoring, run_check
from inspections.workdays import supported_years

AS_OF = dt.date(2021, 12, 20)
SCORING = load_scoring()
H = "http://www.xx.jj.test/"
REAL = Path(__file__).resolve().parents[2] / "shared" / "realpages"


def real(path: str) -> str:
    """A published page from ../shared/realpages (read there, never copied); skip where a clone has none."""
    file = REAL / path
    if not file.is_file():
        pytest.skip(f"real pages not available: {file} is absent (../shared/realpages sits beside the repository)")
    return file.read_text(encoding="utf-8")
LONG = (
    "本机关依据《中华人民共和国政府信息公开条例》主动公开政府信息，公开方式包括政府网站、公开查阅点等。" * 2
)


def html(body: str, title: str = "") -> str:
    return f"<html><head><title>{title}</title></head><body>{body}</body></html>"


def links(*pairs: tuple[str, str]) -> str:
    return "".join(f'<li><a href="{u}">{t}</a></li>' for t, u in pairs)


def listing(*rows: tuple[str, str, str]) -> str:
    """A dated list: (title, url, date)."""
    return (
        '<ul class="list">'
        + "".join(f'<li><a href="{u}">{t}</a><span>{d}</span></li>' for t, u, d in rows)
        + "</ul>"
    )


def make_site(
    pages: dict[str, str],
    *,
    level: str = "county",
    home: str = H,
    status: dict[str, int] | None = None,
    extra_links: tuple[LinkArtifact, ...] = (),
    js_shell: tuple[str, ...] = (),
    crawl_complete: bool = True,
) -> SiteArtifacts:
    status = status or {}
    page_arts, link_arts, entries, columns = [], [], [], []
    for url, text in pages.items():
        parsed = parse_page(text, url, as_of=AS_OF)
        page_arts.append(
            PageArtifact(
                url=url,
                final_url=url,
                status=status.get(url, 200),
                title=parsed.title,
                html=text,
                js_shell=url in js_shell,
                meta=parsed.meta,
            )
        )
        for lk in parsed.links:
            code = status.get(lk.url, 200 if lk.url in pages else None)
            link_arts.append(
                LinkArtifact(
                    url,
                    lk.url,
                    anchor=lk.anchor,
                    region=lk.region,
                    image_alt=lk.image_alt,
                    status=code,
                    error_kind="http" if code and code >= 400 else None,
                    confirmed=bool(code and code >= 400),
                )
            )
        col_entries = tuple(
            ListEntry(url, url, parsed.title, e.title, e.url, e.date_text, e.date) for e in parsed.entries
        )
        if col_entries or url in js_shell:
            entries += col_entries
            columns.append(
                ColumnArtifact(
                    url=url,
                    name=parsed.title,
                    entries=col_entries,
                    pages=(url,),
                    path=parsed.breadcrumb,
                    js_shell=url in js_shell,
                )
            )
    return SiteArtifacts(
        site_id="xx",
        name="某县人民政府",
        home_url=home,
        level=level,
        pages=tuple(page_arts),
        links=tuple(link_arts) + extra_links,
        entries=tuple(entries),
        columns=tuple(columns),
        crawl_complete=crawl_complete,
    )


def readings_of(site: SiteArtifacts) -> Readings:
    return Readings.from_config(site, as_of=AS_OF, config=SCORING)


def run(module, site: SiteArtifacts, **options):
    return run_check(module.META.id, site, as_of=options.pop("as_of", AS_OF), scoring=SCORING, **options)


def fails(outcome) -> list[str]:
    return [f.message for f in outcome.findings if f.severity >= Severity.FAIL]


# ------------------------------------------------------------------------------------------------- sitemap


def test_canonical_ignores_index_file_and_trailing_slash():
    a = "http://www.gxzf.gov.cn/zwgk/zfxxgkzl_84988/zfxxgkzn/index.shtml"
    assert sitemap.same_url(a, "https://www.gxzf.gov.cn/zwgk/zfxxgkzl_84988/zfxxgkzn/")
    assert not sitemap.same_url(a, "http://www.gxzf.gov.cn/zwgk/zfxxgkzl_84988/zfxxgkzd_84990/")
    assert sitemap.under(H + "xxgk/fdzdgknr/gfxwj/", H + "xxgk/index.html")


def test_find_links_prefers_exact_names_and_image_alt():
    site = make_site(
        {
            H: html(
                links(("政府信息公开指南", H + "zn/"), ("信息公开", H + "xxgk/"))
                + f'<a href="{H}zt/"><img src="x.png" alt="基层 政务公开 专题"></a>'
            )
        }
    )
    [best, *_] = sitemap.find_links(site, H, ["政府信息公开", "信息公开"], exclude=["指南"])
    assert best.target_url == H + "xxgk/"
    assert sitemap.find_link(site, H, ["基层政务公开"]).target_url == H + "zt/"


def test_reachable_from_home_follows_stored_links():
    site = make_site({H: html(links(("a", H + "a/"))), H + "a/": html(links(("b", H + "b/")))})
    assert sitemap.reachable_from_home(site, H + "b/")
    assert not sitemap.reachable_from_home(site, H + "c/")
    assert not sitemap.reachable_from_home(site, H + "b/", max_depth=1)


def test_content_of_tells_template_from_own_text():
    nav = links(("首页", H), ("政务公开", H + "xxgk/"))
    site = make_site(
        {
            H: html(nav + "<p>版权所有 某县人民政府</p>"),
            H + "zn/": html(nav + f"<p>{LONG}</p>"),
            H + "zd/": html(nav + "<p>版权所有 某县人民政府</p>"),
        }
    )
    assert sitemap.content_of(site, H + "zn/").state == "text"
    assert sitemap.content_of(site, H + "zd/").state == "empty"
    assert sitemap.content_of(site, H + "never/").state == "unknown"


# ------------------------------------------------------------------------------------------------- disclosure-column

XXGK = H + "xxgk/"
PARTS_OK = {
    XXGK: html(
        links(
            ("政府信息公开指南", XXGK + "zn/"),
            ("政府信息公开制度", XXGK + "zd/"),
            ("法定主动公开内容", XXGK + "fdzdgknr/"),
            ("政府信息公开年报", XXGK + "nb/"),
        )
    ),
    XXGK + "zn/": html(f"<p>{LONG}</p>"),
    XXGK + "zd/": html(listing(("某县政府信息公开工作制度", XXGK + "zd/1.html", "2021-03-02"))),
    XXGK + "fdzdgknr/": html(listing(("某县2021年财政预算", XXGK + "fdzdgknr/1.html", "2021-02-02"))),
    XXGK + "nb/": html(
        listing(("某县人民政府2020年政府信息公开工作年度报告", XXGK + "nb/1.html", "2021-03-20"))
    ),
}


def disclosure_site(**overrides: str) -> SiteArtifacts:
    pages = {H: html(links(("首页", H), ("政府信息公开", XXGK)))} | PARTS_OK
    pages.update(overrides)
    return make_site(pages)


def test_disclosure_column_passes_with_four_parts():
    outcome = run(disclosure_column, disclosure_site())
    assert outcome.status is Status.PASS, outcome.findings


def test_disclosure_column_fails_without_home_link():
    outcome = run(
        disclosure_column, disclosure_site(**{H: html(links(("首页", H), ("工作动态", H + "gzdt/")))})
    )
    assert outcome.status is Status.FAIL
    assert any("首页未设置“政府信息公开”专栏入口" in m for m in fails(outcome))


def test_disclosure_column_flags_empty_part_and_broken_document():
    site = disclosure_site(**{XXGK + "zn/": html("<p>暂无</p>")})
    site = make_site(
        {p.url: p.html for p in site.pages}
        | {XXGK + "zd/": html(listing(("某县政府信息公开工作制度", XXGK + "zd/gone.pdf", "2021-03-02")))},
        status={XXGK + "zd/gone.pdf": 404},
    )
    messages = fails(run(disclosure_column, site))
    assert any("“政府信息公开指南”栏目为空" in m for m in messages)
    assert any("无法打开" in m and "404" in m for m in messages)


def test_disclosure_column_part_pointing_at_another_part_counts_missing():
    # The real 广西 page: 法定主动公开内容 and 年报 point at the 指南.
    page = real("www.gxzf.gov.cn/zzqzyxx/t19107548.shtml")
    home = "http://www.gxzf.gov.cn/zzqzyxx/t19107548.shtml"
    site = make_site({home: page}, home=home)
    where = readings_of(site).disclosure
    assert where.parts["政府信息公开指南"] is not None
    assert where.parts["法定主动公开内容"] is None and where.parts["政府信息公开年报"] is None
    messages = fails(run(disclosure_column, site))
    assert any("“法定主动公开内容”链接与“政府信息公开指南”指向同一页面" in m for m in messages)
    assert not any("缺少“政府信息公开制度”" in m for m in messages)


@pytest.mark.parametrize(
    "path", ["www.fcgs.gov.cn/zxzx/zdxm/t18993630.shtml", "www.yichun.gov.cn/index.html"]
)
def test_disclosure_column_finds_all_parts_on_real_pages(path):
    url = "http://" + path
    site = make_site({url: real(path)}, home=url)
    where = readings_of(site).disclosure
    assert where.column_link is not None
    assert all(where.parts.values()), where.parts


def test_disclosure_column_never_calls_unrendered_part_empty():
    site = disclosure_site()
    site = make_site(
        {p.url: p.html for p in site.pages} | {XXGK + "fdzdgknr/": html('<ul class="list"></ul>')},
        js_shell=(XXGK + "fdzdgknr/",),
    )
    outcome = run(disclosure_column, site)
    # Never empty, and no pass on a part that was not read either: not tested, naming it.
    assert outcome.status is Status.NOT_TESTED
    assert "法定主动公开内容" in outcome.reason and "未能核实" in outcome.reason


def test_disclosure_column_not_tested_when_column_page_was_not_fetched():
    # 西城区 home page: 政务公开 → /xxgk.html, the parts live on that page only.
    url = "http://www.bjxch.gov.cn/"
    page = real("www.bjxch.gov.cn/modified-copy/index.html")
    outcome = run(disclosure_column, make_site({url: page}, home=url))
    assert outcome.status is Status.NOT_TESTED
    assert "未抓取" in outcome.reason


def test_disclosure_column_section_page_counts_its_sub_columns():
    # 法定主动公开内容 that only links to its lists (simweb/hukou layout) is not empty.
    fd = XXGK + "fdzdgknr/"
    site = disclosure_site(
        **{
            fd: html('<div class="lanmu">' + links(("规范性文件", H + "gfxwj/")) + "</div>"),
            H + "gfxwj/": html(listing(("某县规范性文件", H + "gfxwj/1.html", "2021-06-01"))),
        }
    )
    assert run(disclosure_column, site).status is Status.PASS


def test_disclosure_column_not_tested_without_home():
    site = make_site({H + "other/": html("x")})
    outcome = run(disclosure_column, site)
    assert outcome.status is Status.NOT_TESTED and "首页" in outcome.reason


# ------------------------------------------------------------------------------------------------- annual-report


def report_site(title: str, date: str, *, level: str = "county", complete: bool = True) -> SiteArtifacts:
    rows = listing((title, XXGK + "nb/2021.html", date)) if title else "<p>栏目</p>"
    return make_site(
        {
            H: html(links(("政府信息公开", XXGK), ("政府信息公开年报", XXGK + "nb/"))),
            XXGK + "nb/": html(rows, "政府信息公开年报"),
        },
        level=level,
        crawl_complete=complete,
    )


def test_annual_report_passes_when_published_on_time():
    outcome = run(annual_report, report_site("某县人民政府2020年政府信息公开工作年度报告", "2021-03-25"))
    assert outcome.status is Status.PASS
    assert "已于2021年3月25日公布2020年度" in outcome.findings[0].message


def test_annual_report_accepts_nianbao_and_chinese_numerals():
    outcome = run(annual_report, report_site("某县二〇二〇年度政府信息公开年报", "2021-03-01"))
    assert outcome.status is Status.PASS


def test_annual_report_fails_when_missing_after_deadline():
    outcome = run(annual_report, report_site("某县人民政府2019年政府信息公开工作年度报告", "2020-03-25"))
    assert outcome.status is Status.FAIL
    [finding] = outcome.findings
    assert "未公布2020年度政府信息公开工作年度报告" in finding.message and finding.url == XXGK + "nb/"


def test_annual_report_department_deadline_is_january_and_late_is_warn():
    outcome = run(
        annual_report, report_site("某局2020年政府信息公开工作年度报告", "2021-02-20", level="department")
    )
    assert outcome.status is Status.WARN
    assert "晚于2021年1月31日" in outcome.findings[0].message


def test_annual_report_before_deadline_is_not_due():
    outcome = run(annual_report, report_site("", ""), as_of=dt.date(2022, 3, 1))
    assert outcome.status is Status.PASS
    assert "尚未到期" in outcome.findings[0].message


def test_annual_report_not_tested_without_column_on_incomplete_crawl():
    site = make_site({H: html(links(("工作动态", H + "gzdt/")))}, crawl_complete=False)
    outcome = run(annual_report, site)
    assert outcome.status is Status.NOT_TESTED and "抓取未完成" in outcome.reason


# ------------------------------------------------------------------------------------------------- standardization-topic

ZT = H + "ztzl/jczwgk/"
DIRECTORY = (
    "<table><tr><th>序号</th><th>公开事项</th><th>公开内容（要素）</th><th>公开依据</th><th>公开时限</th>"
    "<th>公开主体</th><th>公开渠道和载体</th></tr><tr><td>1</td><td>项目审批</td><td>批复</td><td>条例</td>"
    "<td>20个工作日</td><td>县发改委</td><td>政府网站</td></tr></table>"
)


def topic_site(
    fields: dict[str, str], *, directory: bool = True, empty: tuple[str, ...] = (), level: str = "county"
) -> SiteArtifacts:
    pages = {
        H: html(f'<a href="{ZT}"><img src="/img/zt.png"></a>'),
        ZT: html(links(*((name, ZT + slug + "/") for name, slug in fields.items()))),
    }
    for name, slug in fields.items():
        url = ZT + slug + "/"
        rows = "" if name in empty else listing((f"{name}信息", url + "1.html", "2021-11-02"))
        pages[url] = html(rows + links(("标准目录", url + "bzml.html")))
        pages[url + "bzml.html"] = html(DIRECTORY if directory else "<p>标准目录</p>")
    return make_site(pages, level=level)


ALL_FIELDS = {name: f"f{i}" for i, name in enumerate(check_options(SCORING, "standardization-topic")["fields"])}


def test_standardization_topic_passes_with_all_fields():
    outcome = run(standardization_topic, topic_site(ALL_FIELDS))
    assert outcome.status is Status.PASS, fails(outcome)
    assert "26/26" in outcome.findings[-1].message


def test_standardization_topic_flags_missing_field_directory_and_empty():
    fields = {k: v for k, v in ALL_FIELDS.items() if k != "户籍管理"}
    outcome = run(standardization_topic, topic_site(fields, directory=False, empty=("安全生产",)))
    messages = fails(outcome)
    assert any("缺少“户籍管理”领域" in m for m in messages)
    assert sum("未公布政务公开事项标准目录" in m for m in messages) == 25
    assert any("“安全生产”领域未按标准目录发布公开内容" in m for m in messages)


def test_standardization_topic_fails_without_home_link():
    site = make_site({H: html(links(("工作动态", H + "gzdt/")))})
    outcome = run(standardization_topic, site)
    assert fails(outcome) == ["网站首页未设置“基层政务公开标准化规范化”专题入口。"]


def test_standardization_topic_not_applicable_to_departments():
    outcome = run(standardization_topic, topic_site(ALL_FIELDS, level="department"))
    assert outcome.status is Status.NOT_TESTED and outcome.reason.startswith("不适用")


def test_standardization_topic_finds_image_only_link_on_real_yichun_home():
    url = "http://www.yichun.gov.cn/"
    site = make_site({url: real("www.yichun.gov.cn/index.html")}, home=url)
    [link, *_] = standardization_topic.topic_links(
        site, url, check_options(SCORING, "standardization-topic")["topic_names"], ("jczwgk",))
    assert "jczwgk" in link.target_url
    assert run(standardization_topic, site).status is Status.NOT_TESTED  # the 专题 page itself is not stored


# ------------------------------------------------------------------------------------------------- normative-documents

GF = XXGK + "fdzdgknr/gfxwj/"


def normative_site(rows: list[tuple[str, str, str]], articles: dict[str, str] | None = None) -> SiteArtifacts:
    pages = {
        H: html(links(("政府信息公开", XXGK))),
        XXGK: html(links(("法定主动公开内容", XXGK + "fdzdgknr/"))),
        XXGK + "fdzdgknr/": html(links(("行政规范性文件", GF), ("规范性文件解读", XXGK + "jd/"))),
        GF: html(listing(*rows), "行政规范性文件"),
    }
    pages.update(articles or {})
    return make_site(pages)


def test_normative_documents_pass_when_every_entry_is_marked():
    article = html(
        "<table><tr><td>文号：</td><td>某府发〔2021〕3号</td></tr><tr><td>有效性：</td><td>有效</td></tr>"
        "</table><p>正文</p>"
    )
    site = normative_site(
        [
            ("关于加强管理的通知【现行有效】（某府办发〔2021〕5号）", GF + "a.html", "2021-05-06"),
            ("关于印发办法的通知", GF + "b.html", "2021-06-07"),
        ],
        {GF + "b.html": article},
    )
    outcome = run(normative_documents, site)
    assert outcome.status is Status.PASS, fails(outcome)
    assert outcome.findings[-1].evidence["按有效性统计"] == {"有效": 2}


def test_normative_documents_fail_per_unmarked_entry():
    site = normative_site(
        [("关于印发办法的通知", GF + "c.html", "2021-06-07")],
        {GF + "c.html": html("<p>索引号：001</p><p>正文</p>")},
    )
    outcome = run(normative_documents, site)
    [fail] = [f for f in outcome.findings if f.severity is Severity.FAIL]
    assert fail.url == GF + "c.html" and "未标注文号、有效性" in fail.message


def test_normative_documents_fail_when_listing_absent():
    site = make_site(
        {H: html(links(("政府信息公开", XXGK))), XXGK: html(links(("政府信息公开指南", XXGK + "zn/")))}
    )
    outcome = run(normative_documents, site)
    assert fails(outcome) == ["网站政府信息公开专栏内未集中公开行政规范性文件。"]


def test_normative_documents_not_tested_when_listing_not_rendered():
    site = normative_site([])
    site = make_site(
        {p.url: p.html for p in site.pages} | {GF: html('<ul class="list"></ul>')}, js_shell=(GF,)
    )
    assert run(normative_documents, site).status is Status.NOT_TESTED


# ------------------------------------------------------------------------------------------------- enforcement-disclosure

ZF = H + "zfgs/"


def enforcement_site(
    newest: str,
    data: tuple[str, str] | None = ("某局2020年度行政执法统计年报", "2021-01-20"),
    level: str = "department",
) -> SiteArtifacts:
    rows = [("行政处罚决定书（某市监罚〔2021〕12号）", ZF + "cf/1.html", newest)]
    pages = {
        H: html(links(("行政执法公示", ZF))),
        ZF: html(links(("行政处罚", ZF + "cf/"), ("执法统计年报", ZF + "nb/"))),
        ZF + "cf/": html(listing(*rows), "行政处罚"),
        ZF + "nb/": html(listing((data[0], ZF + "nb/1.html", data[1])) if data else "<p>x</p>", "年报"),
    }
    return make_site(pages, level=level)


def test_enforcement_passes_within_seven_working_days():
    # 2021-12-09 (Thursday) → 2021-12-20 (Monday) is 7 working days.
    outcome = run(enforcement_disclosure, enforcement_site("2021-12-09"))
    assert outcome.status is Status.PASS, fails(outcome)


def test_enforcement_fails_when_newest_decision_is_older():
    outcome = run(enforcement_disclosure, enforcement_site("2021-12-08"))
    [message] = fails(outcome)
    assert "8个工作日" in message and "超过7个工作日" in message


def test_enforcement_counts_national_day_as_holiday():
    # 2021-09-30 → 2021-10-11: 10-08, 10-09 (make-up Saturday), 10-11 = 3 working days.
    site = enforcement_site("2021-09-30")
    assert (
        run(enforcement_disclosure, site, as_of=dt.date(2021, 10, 11), limit_workdays=3).status is Status.PASS
    )
    assert (
        run(enforcement_disclosure, site, as_of=dt.date(2021, 10, 11), limit_workdays=2).status is Status.FAIL
    )


def test_enforcement_fails_without_column_and_without_data():
    # The crawl read the site beyond its home page (gzdt/ fetched): an absence there is proven.
    site = make_site({H: html(links(("工作动态", H + "gzdt/"))), H + "gzdt/": html("<p>工作动态</p>")}, level="county")
    messages = fails(run(enforcement_disclosure, site))
    assert "网站未设置行政执法公示（双公示）栏目。" in messages
    assert any("未公开2020年度行政执法统计年报" in m for m in messages)


def test_enforcement_judges_licences_and_penalties_apart():
    pages = {
        H: html(links(("行政执法公示", ZF))),
        ZF: html(links(("行政许可", ZF + "xk/"), ("行政处罚", ZF + "cf/"))),
        ZF + "xk/": html(listing(("准予行政许可决定书", ZF + "xk/1.html", "2021-12-17")), "行政许可"),
        ZF + "cf/": html(listing(("行政处罚决定书", ZF + "cf/1.html", "2021-11-19")), "行政处罚"),
        ZF + "nb/": html(listing(("2020年度行政执法统计年报", ZF + "nb/1.html", "2021-01-20")), "年报"),
    }
    outcome = run(enforcement_disclosure, make_site(pages))
    [fail] = [f for f in outcome.findings if f.severity is Severity.FAIL]
    assert fail.url == ZF + "cf/" and fail.message.startswith("行政处罚信息最新一条发布于2021年11月19日")


def test_enforcement_missing_data_names_the_data_list():
    pages = {
        H: html(links(("行政执法公示", ZF), ("执法统计年报", ZF + "nb/"))),
        ZF: html(listing(("行政处罚决定书", ZF + "1.html", "2021-12-17"))),
        ZF + "nb/": html(listing(("2019年度行政执法统计年报", ZF + "nb/1.html", "2020-01-20")), "年报"),
    }
    [fail] = [
        f for f in run(enforcement_disclosure, make_site(pages)).findings if f.severity is Severity.FAIL
    ]
    assert fail.url == ZF + "nb/" and "未公开2020年度行政执法统计年报" in fail.message


def test_enforcement_late_data_is_warn():
    outcome = run(
        enforcement_disclosure, enforcement_site("2021-12-17", data=("2020年行政执法数据", "2021-02-08"))
    )
    assert outcome.status is Status.WARN


def test_enforcement_not_applicable_to_municipal_portal():
    outcome = run(enforcement_disclosure, enforcement_site("2021-12-17", level="municipal"))
    assert outcome.status is Status.NOT_TESTED and outcome.reason.startswith("不适用")


def test_enforcement_not_tested_for_unknown_calendar_year():
    year = supported_years()[-1] + 1
    outcome = run(
        enforcement_disclosure, enforcement_site(f"{year}-01-05", data=None), as_of=dt.date(year, 1, 20)
    )
    assert outcome.status is Status.NOT_TESTED and "节假日" in outcome.reason


# ------------------------------------------------------------------------------------------------- execution-disclosure


def execution_site(columns: dict[str, str]) -> SiteArtifacts:
    pages = {H: html(links(*((name, H + f"zxgk/{i}/") for i, name in enumerate(columns))))}
    for i, (name, date) in enumerate(columns.items()):
        pages[H + f"zxgk/{i}/"] = html(listing((f"{name}（第{i}期）", H + f"zxgk/{i}/1.html", date)), name)
    return make_site(pages)


def test_execution_passes_and_tabulates_columns():
    outcome = run(
        execution_disclosure,
        execution_site(
            {
                "重点工作落实情况": "2021-11-30",
                "政策执行情况": "2021-10-01",
                "河长制工作": "2021-12-01",
                "高标准市场体系建设": "2021-09-01",
                "直达资金公开": "2021-08-01",
            }
        ),
    )
    assert outcome.status is Status.PASS, outcome.findings
    [table] = [f for f in outcome.findings if f.severity is Severity.INFO]
    assert {row["栏目"] for row in table.evidence["栏目"]} >= {
        "重要部署落实情况",
        "政策执行情况",
        "（十五）河湖长制",
    }


def test_execution_stale_column_fails_and_warning_band_warns():
    outcome = run(
        execution_disclosure, execution_site({"督查督办": "2021-05-01", "建议提案办理": "2021-07-10"})
    )
    messages = [(f.severity, f.message) for f in outcome.findings]
    assert any(s is Severity.FAIL and "督查督办" in m and "233天" in m for s, m in messages)
    assert any(s is Severity.WARN and "建议提案办理" in m and "163天" in m for s, m in messages)
    # the three tasks of the notice are absent: warnings, not failures
    assert sum(s is Severity.WARN and "落实举措" in m for s, m in messages) == 3


def test_execution_section_page_takes_its_sub_columns_content():
    # 执行公开 is a section page linking to its columns, which live elsewhere.
    site = execution_site({"重点工作落实情况": "2021-11-30"})
    pages = {p.url: p.html for p in site.pages}
    pages[H] = html(links(("执行公开", H + "zxgk/"), ("重点工作落实情况", H + "zxgk/0/")))
    pages[H + "zxgk/"] = html('<div class="lanmu">' + links(("重点工作落实情况", H + "zxgk/0/")) + "</div>")
    outcome = run(execution_disclosure, make_site(pages), task_missing="info")
    assert outcome.status is Status.PASS, fails(outcome)


def test_execution_tasks_are_not_asked_of_departments():
    site = execution_site({"重点工作落实情况": "2021-11-30"})
    site = make_site({p.url: p.html for p in site.pages}, level="department")
    assert run(execution_disclosure, site).status is Status.PASS


def test_execution_fails_without_any_execution_column():
    site = make_site({H: html(links(("工作动态", H + "gzdt/"))), H + "gzdt/": html("<p>工作动态</p>")})
    outcome = run(execution_disclosure, site)
    assert any("未设置执行公开类栏目" in m for m in fails(outcome))


def test_execution_required_task_fails():
    outcome = run(
        execution_disclosure,
        execution_site({"重点工作落实情况": "2021-11-30"}),
        required_tasks=["（十六）直达资金"],
    )
    assert any("直达资金" in m for m in fails(outcome))


def test_incomplete_crawl_without_the_column_is_not_tested():
    site = make_site({H: html(links(("工作动态", H + "gzdt/")))}, crawl_complete=False)
    for module in (execution_disclosure, enforcement_disclosure, normative_documents):
        outcome = run(module, site)
        assert outcome.status is Status.NOT_TESTED, module
        assert "抓取未完成" in outcome.reason


def test_execution_not_tested_without_home():
    assert run(execution_disclosure, make_site({H + "x/": html("x")})).status is Status.NOT_TESTED


# ------------------------------------------------------------------------------------------------- all of them


@pytest.mark.parametrize(
    "module",
    [
        disclosure_column,
        annual_report,
        standardization_topic,
        normative_documents,
        enforcement_disclosure,
        execution_disclosure,
    ],
)
def test_meta_names_rule_task_and_category(module):
    meta = module.META
    assert meta.rule and meta.task and meta.category == "政务公开"
    assert meta.id.replace("-", "_") == module.__name__.rsplit(".", 1)[-1]
