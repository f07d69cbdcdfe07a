"""The core checks from literal artifacts: site-unreachable, homepage-stale, stale-columns, broken-links,
site-markings, and the column classifier."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest

from inspections import broken_links, homepage_stale, site_markings, site_unreachable, stale_columns
from inspections.artifacts import (
    ColumnArtifact,
    FetchFailure,
    LinkArtifact,
    ListEntry,
    PageArtifact,
    ProbeArtifact,
    SiteArtifacts,
)
from inspections.base import REGISTRY, Severity, Status
from inspections.columns import classify
from inspections.runner import check_options, load_scoring, run_check

HOME = "http://www.xy.jj.test/"
AS_OF = dt.date(2021, 12, 20)
T0 = dt.datetime(2021, 12, 20, 8, 0)
SCORING = load_scoring()


def make_site(**fields) -> SiteArtifacts:
    fields.setdefault("site_id", "xy")
    fields.setdefault("name", "浔阳区人民政府")
    fields.setdefault("home_url", HOME)
    fields.setdefault("level", "county")
    return SiteArtifacts(**fields)


def run(check_id: str, site: SiteArtifacts, **options):
    return run_check(check_id, site, as_of=AS_OF, scoring=SCORING, **options)


def severities(outcome) -> list[Severity]:
    return [f.severity for f in outcome.findings]


# ------------------------------------------------------------------------------------------ site-unreachable


def probe(i: int, *, ok: bool = True, kind: str | None = None, confirmed: bool = True, ours: bool = False,
          elapsed: float = 0.4) -> ProbeArtifact:
    return ProbeArtifact(
        kind="availability", target=HOME, at=T0 + dt.timedelta(minutes=30 * i), ok=ok, duration_ms=elapsed * 1000,
        data={"status": 200 if ok else None, "error_kind": kind, "elapsed_s": elapsed, "timeout_s": 30.0,
              "confirmed": confirmed and not ok, "ours": ours},
    )


def test_unreachable_passes_when_every_probe_opens():
    outcome = run("site-unreachable", make_site(probes=tuple(probe(i) for i in range(20))))
    assert outcome.status is Status.PASS


def test_unreachable_vetoes_three_confirmed_failures_in_a_short_run():
    probes = tuple(probe(i, ok=False, kind="timeout") for i in range(3))
    outcome = run("site-unreachable", make_site(probes=probes))
    assert outcome.status is Status.FAIL and outcome.veto
    [finding] = outcome.findings
    assert HOME in finding.message and "访问超时3次" in finding.message
    assert finding.evidence["失败类型"] == {"访问超时": 3}


def test_unreachable_counts_slow_answers_and_names_the_kinds():
    probes = [probe(i) for i in range(36)]
    probes += [probe(40, ok=False, kind="dns"), probe(41, ok=False, kind="refused"),
               probe(42, ok=True, elapsed=16.0)]
    slow = probes[-1]
    probes[-1] = ProbeArtifact(**{**{f: getattr(slow, f) for f in ("kind", "target", "at", "ok", "duration_ms")},
                                  "data": {**slow.data, "confirmed": True}})
    outcome = run("site-unreachable", make_site(probes=tuple(probes)))
    assert outcome.veto  # 3 of 39 = 7.7 %
    message = outcome.findings[0].message
    assert "域名解析失败1次" in message and "连接被拒绝1次" in message and "响应超过15秒1次" in message


def test_unreachable_warns_on_unconfirmed_failures():
    probes = tuple(probe(i) for i in range(18)) + (probe(20, ok=False, kind="timeout", confirmed=False),
                                                   probe(21, ok=False, kind="reset", confirmed=False))
    outcome = run("site-unreachable", make_site(probes=probes))
    assert outcome.status is Status.WARN and not outcome.veto
    assert "未经重试确认" in outcome.findings[-1].message


def test_unreachable_early_warning_between_three_and_five_percent():
    probes = tuple(probe(i) for i in range(29)) + (probe(30, ok=False, kind="timeout"),)  # 1/30 = 3.3 %
    outcome = run("site-unreachable", make_site(probes=probes), min_failures=1)
    assert outcome.status is Status.WARN
    assert "接近5%" in outcome.findings[0].message


def test_one_confirmed_failure_never_vetoes_on_its_own():
    probes = (probe(0), probe(1), probe(2, ok=False, kind="timeout"))
    outcome = run("site-unreachable", make_site(probes=probes))
    assert outcome.status is Status.WARN and not outcome.veto


def test_unreachable_warns_on_a_certificate_browsers_reject():
    tls = ProbeArtifact("tls", HOME, dt.datetime(2021, 12, 20, 8), False,
                        {"host": "www.xy.jj.test", "port": 443, "tls_error": "expired", "error": "证书验证失败"})
    outcome = run("site-unreachable", make_site(probes=(*[probe(i) for i in range(3)], tls)))
    assert outcome.status is Status.WARN and not outcome.veto
    [finding] = outcome.findings
    assert "证书已过期" in finding.message and finding.evidence["tls_error"] == "expired"


def test_unreachable_not_tested_without_probes():
    site = make_site(failures=(FetchFailure(HOME, "timeout"),))
    outcome = run("site-unreachable", site)
    assert outcome.status is Status.NOT_TESTED
    assert "访问超时" in outcome.reason


def test_unreachable_not_tested_when_every_failure_is_ours():
    probes = tuple(probe(i, ok=False, kind="dns", ours=True) for i in range(5))
    outcome = run("site-unreachable", make_site(probes=probes))
    assert outcome.status is Status.NOT_TESTED
    assert "检查方网络" in outcome.reason


def test_unreachable_keeps_only_the_monitoring_week():
    old = tuple(
        ProbeArtifact("availability", HOME, T0 - dt.timedelta(days=30, minutes=i), False,
                      {"error_kind": "timeout", "confirmed": True})
        for i in range(10)
    )
    outcome = run("site-unreachable", make_site(probes=old + tuple(probe(i) for i in range(20))))
    assert outcome.status is Status.PASS


# ------------------------------------------------------------------------------------------ homepage-stale


def home_html(*dates: str, extra: str = "") -> str:
    items = "".join(f'<li><a href="/xw/{i}.html">浔阳区召开第{i}次工作会议</a><span>{d}</span></li>'
                    for i, d in enumerate(dates))
    return f"<html><head><title>浔阳区</title></head><body><ul class='list'>{items}</ul>{extra}</body></html>"


def home_page(html: str, **fields) -> PageArtifact:
    return PageArtifact(url=HOME, final_url=HOME, status=200, html=html, **fields)


def test_homepage_fresh_passes():
    site = make_site(pages=(home_page(home_html("2021-12-18", "2021-12-01", "2021-11-30")),))
    outcome = run("homepage-stale", site)
    assert outcome.status is Status.PASS


def test_homepage_stale_is_a_veto_with_a_readable_message():
    site = make_site(pages=(home_page(home_html("2021-11-20", "2021-11-01")),))
    outcome = run("homepage-stale", site)
    assert outcome.veto
    finding = outcome.findings[0]
    assert finding.message == "首页最近一次更新为2021年11月20日，距检查基准日已30天，超过2周未更新。"
    assert finding.evidence["最新日期"] == "2021-11-20" and finding.evidence["已过天数"] == 30


def test_homepage_warns_from_day_ten():
    site = make_site(pages=(home_page(home_html("2021-12-08")),))
    outcome = run("homepage-stale", site)
    assert outcome.status is Status.WARN


def test_homepage_meta_pubdate_counts():
    site = make_site(pages=(home_page(home_html("2021-10-01"), meta={"PubDate": "2021-12-19 10:00"}),))
    assert run("homepage-stale", site).status is Status.PASS


def test_homepage_without_any_date_counts_as_not_updated():
    items = "".join(f'<li><a href="/xw/{i}.html">新闻标题{i}</a></li>' for i in range(8))
    site = make_site(pages=(home_page(f"<html><body><ul>{items}</ul></body></html>"),))
    outcome = run("homepage-stale", site)
    assert outcome.veto
    assert outcome.findings[0].message == "首页未找到注明发布时间的信息，按规定视为不更新。"


def test_navigation_portal_is_judged_by_its_columns():
    html = '<html><body><div class="nav"><a href="/xwzx/">新闻中心</a><a href="/tzgg/">通知公告</a></div></body></html>'
    col = ColumnArtifact(url=HOME + "xwzx/", name="新闻中心", entries=(
        ListEntry(HOME + "xwzx/", HOME + "xwzx/", "新闻中心", "标题", HOME + "xwzx/1.html", "2021-12-15",
                  dt.date(2021, 12, 15)),))
    links = (LinkArtifact(HOME, HOME + "xwzx/", "新闻中心", status=200),)
    site = make_site(pages=(home_page(html),), columns=(col,), links=links)
    outcome = run("homepage-stale", site)
    assert outcome.status is Status.PASS
    assert outcome.findings[0].evidence["依据"] == "首页链接的二级栏目"


def test_homepage_not_tested_when_missing():
    outcome = run("homepage-stale", make_site(failures=(FetchFailure(HOME, "dns"),)))
    assert outcome.status is Status.NOT_TESTED and outcome.reason.startswith("首页未能获取")


def test_homepage_not_tested_when_list_is_an_unrendered_shell():
    html = ('<html><body><ul id="newsList" class="news-list"></ul><script>'
            '$.getJSON("/api/list", function(d){ $("#newsList").html(d); });</script></body></html>')
    site = make_site(pages=(home_page(html, js_shell=True),))
    outcome = run("homepage-stale", site)
    assert outcome.status is Status.NOT_TESTED and "脚本" in outcome.reason


# ------------------------------------------------------------------------------------------ stale-columns


_COLUMN_IDS = itertools.count()


def column(name: str, *dates: str | None, js_shell: bool = False, path: tuple[str, ...] = ()) -> ColumnArtifact:
    url = f"{HOME}c{next(_COLUMN_IDS)}/"
    entries = tuple(
        ListEntry(url, url, name, f"{name}{i}", f"{url}{i}.html", d or "",
                  dt.date.fromisoformat(d) if d else None)
        for i, d in enumerate(dates)
    )
    return ColumnArtifact(url=url, name=name, entries=entries, pages=(url,), js_shell=js_shell, path=path)


def test_columns_fresh_pass_and_are_listed():
    site = make_site(columns=(column("工作动态", "2021-12-15"), column("通知公告", "2021-09-01"),
                              column("人事信息", "2021-03-01")))
    outcome = run("stale-columns", site)
    assert outcome.status is Status.PASS
    listing = outcome.findings[-1]
    assert listing.severity is Severity.INFO
    assert [r["栏目"] for r in listing.evidence["栏目"]] == ["工作动态", "通知公告", "人事信息"]
    assert listing.evidence["栏目"][0]["已过天数"] == 5


def test_late_column_is_a_deduction_with_its_date_and_age():
    site = make_site(columns=(column("部门动态", "2021-11-20"), column("通知公告", "2021-12-01")))
    outcome = run("stale-columns", site)
    assert outcome.status is Status.FAIL and not outcome.veto
    [late] = [f for f in outcome.findings if f.severity is Severity.FAIL]
    assert late.message == "“部门动态”栏目（动态、要闻类）最近一次更新为2021年11月20日，距检查基准日已30天，超过2周未更新。"
    assert late.evidence["栏目"] == "部门动态" and late.evidence["类别"] == "动态、要闻类"
    assert late.evidence["最新日期"] == "2021-11-20" and late.evidence["已过天数"] == 30 and late.evidence["时限"] == 14
    assert late.points == 1.0 and late.url.startswith(HOME)


def test_five_late_key_columns_are_a_veto():
    cols = tuple(column(f"乡镇动态{i}", "2021-10-01") for i in range(3))
    cols += (column("通知公告", "2021-01-01"), column("政策文件", "2020-05-01"))
    outcome = run("stale-columns", make_site(columns=cols))
    assert outcome.veto
    assert any("达到5个的单项否决线" in f.message for f in outcome.findings if f.severity is Severity.VETO)


def test_ten_long_unupdated_columns_are_a_veto():
    cols = tuple(column(f"其他栏目{i}", "2019-01-01") for i in range(10))
    outcome = run("stale-columns", make_site(columns=cols))
    assert outcome.veto


def test_five_blank_columns_are_a_veto_but_script_lists_are_not_blank():
    cols = tuple(column(f"空栏目{i}") for i in range(4)) + (column("脚本栏目", js_shell=True),)
    outcome = run("stale-columns", make_site(columns=cols))
    assert not outcome.veto and outcome.status is Status.FAIL
    assert any("未能检测" in f.message for f in outcome.findings)
    outcome = run("stale-columns", make_site(columns=(*cols, column("空栏目9"))))
    assert outcome.veto


def test_column_warns_inside_the_band():
    outcome = run("stale-columns", make_site(columns=(column("通知公告", "2021-06-25"),)))  # 178 days of 183
    assert outcome.status is Status.WARN


def test_undated_column_counts_as_not_updated():
    outcome = run("stale-columns", make_site(columns=(column("工作动态", None, None),)))
    assert outcome.status is Status.FAIL
    assert "未注明发布时间" in outcome.findings[0].message


def test_per_column_override_and_skip():
    cols = (column("政策解读", "2021-08-01"), column("机构职能", "2015-01-01"))
    outcome = run("stale-columns", make_site(columns=cols), column_limits={"政策解读": 120, "机构职能": 0})
    fails = [f for f in outcome.findings if f.severity is Severity.FAIL]
    assert [f.evidence["栏目"] for f in fails] == ["政策解读"]


def test_columns_not_tested_without_columns():
    assert run("stale-columns", make_site()).status is Status.NOT_TESTED


@pytest.mark.parametrize(
    ("name", "path", "expected"),
    [
        ("工作动态", (), "news"),
        ("本地要闻", (), "news"),
        ("通知公告", (), "notice"),
        ("政策文件", (), "notice"),
        ("人事任免公告", (), "personnel"),
        ("规划计划", (), "personnel"),
        ("2021年", ("首页", "通知公告", "2021年"), "notice"),
        ("抗疫专题", (), "other"),
        ("机构职能", (), "other"),
    ],
)
def test_classify_columns(name, path, expected):
    options = check_options(SCORING, "stale-columns")
    assert classify(name, path, synonyms=options["column_synonyms"], exclude=options["column_exclude"]) == expected


def test_classify_uses_configured_synonyms():
    assert classify("局务快报", synonyms={"news": ["快报"]}, exclude=()) == "news"


# ------------------------------------------------------------------------------------------ broken-links


def test_links_pass_when_all_open():
    links = (LinkArtifact(HOME, HOME + "a.html", "甲", status=200), LinkArtifact(HOME, HOME + "b.html", "乙"))
    assert run("broken-links", make_site(links=links)).status is Status.PASS


def test_broken_links_cost_more_on_the_home_page():
    page = HOME + "xwzx/1.html"
    links = (
        LinkArtifact(HOME, HOME + "gone.html", "办事指南", status=404, confirmed=True),
        LinkArtifact(page, "http://old.jj.test/", "", status=None, error_kind="dns", confirmed=True,
                     image_alt="旧版网站"),
        LinkArtifact(page, HOME + "ok.html", "正常", status=200),
    )
    outcome = run("broken-links", make_site(links=links))
    fails = [f for f in outcome.findings if f.severity is Severity.FAIL]
    assert [f.points for f in fails] == [1.0, 0.1]
    assert fails[0].evidence == {"链接": HOME + "gone.html", "锚文本": "办事指南", "所在页面": HOME, "错误": "HTTP 404"}
    assert fails[1].url == page and fails[1].evidence["锚文本"] == "图片“旧版网站”"
    assert fails[1].evidence["错误"] == "域名无法解析"
    assert outcome.points_lost == pytest.approx(1.1)
    assert "首页不可用链接1条、其他页面不可用链接1条" in outcome.findings[-1].message


def test_unconfirmed_and_our_own_failures_do_not_count():
    links = (
        LinkArtifact(HOME, HOME + "slow.html", "慢", error_kind="timeout", confirmed=False),
        LinkArtifact(HOME, HOME + "x.html", "我方", error_kind="ours", confirmed=True),
        LinkArtifact(HOME, HOME + "ok.html", "正常", status=200),
    )
    outcome = run("broken-links", make_site(links=links))
    assert outcome.status is Status.WARN and outcome.points_lost == 0


def test_links_not_tested_without_links():
    assert run("broken-links", make_site()).status is Status.NOT_TESTED
    untried = (LinkArtifact(HOME, HOME + "a.html", "甲"),)
    assert run("broken-links", make_site(links=untried)).status is Status.NOT_TESTED


# ------------------------------------------------------------------------------------------ site-markings

FOOTER = (
    '<div class="footer"><p>主办：浔阳区人民政府办公室 网站标识码：3604020001 '
    '<a href="https://beian.miit.gov.cn/">赣ICP备05004018号-1</a> '
    '<a href="http://www.beian.gov.cn/">赣公网安备36040202000123号</a></p>'
    '<a href="http://bszs.conac.cn/sitename?method=show&id=1"><img src="/images/red.png" alt="党政机关"></a></div>'
)


def markings_site(footer: str = FOOTER, *, code: str | None = "3604020001", **page) -> SiteArtifacts:
    html = f"<html><head></head><body><div class='main'>正文</div>{footer}</body></html>"
    return make_site(site_code=code, pages=(home_page(html, **page),))


def test_markings_pass_when_all_present():
    outcome = run("site-markings", markings_site())
    assert outcome.status is Status.PASS


def test_missing_markings_are_each_a_deduction():
    footer = '<div class="footer"><p>主办：浔阳区人民政府办公室 网站标识码：3604020001</p></div>'
    outcome = run("site-markings", markings_site(footer))
    fails = [f for f in outcome.findings if f.severity is Severity.FAIL]
    assert [f.evidence["缺少"] for f in fails] == ["ICP备案编号", "公安机关备案号", "党政机关网站标识"]
    assert fails[0].message == "网站首页底部未展示ICP备案编号。"
    assert outcome.points_lost == 3.0


def test_site_code_must_match_the_registered_one():
    outcome = run("site-markings", markings_site(code="3604020099"))
    [fail] = [f for f in outcome.findings if f.severity is Severity.FAIL]
    assert "3604020001" in fail.message and "3604020099" in fail.message


def test_meta_site_code_is_compared_too():
    outcome = run("site-markings", markings_site(meta={"SiteIDCode": "3604020002"}))
    assert outcome.status is Status.FAIL


def test_markings_not_tested_when_footer_is_scripted():
    footer = '<div class="footer"><script src="/js/footer.js"></script></div>'
    outcome = run("site-markings", markings_site(footer))
    assert outcome.status is Status.NOT_TESTED and "脚本" in outcome.reason


def test_markings_not_tested_without_home_page():
    outcome = run("site-markings", make_site())
    assert outcome.status is Status.NOT_TESTED and outcome.reason.startswith("首页未能获取")


def test_check_functions_are_importable_by_module():
    # the modules expose `check` and `META` as the contract says
    for module in (site_unreachable, homepage_stale, stale_columns, broken_links, site_markings):
        assert module.check and module.META.id in REGISTRY


def test_portal_columns_match_index_file_urls():
    html = '<html><body><div class="nav"><a href="/xwzx/index.html">新闻中心</a></div></body></html>'
    col = ColumnArtifact(url="https://www.xy.jj.test/xwzx/", name="新闻中心", entries=(
        ListEntry(HOME + "xwzx/", HOME + "xwzx/", "新闻中心", "标题", HOME + "xwzx/1.html", "2021-11-01",
                  dt.date(2021, 11, 1)),))
    outcome = run("homepage-stale", make_site(pages=(home_page(html),), columns=(col,)))
    assert outcome.veto
    assert outcome.findings[0].message.startswith("首页为栏目导航入口，其二级栏目最近一次更新为2021年11月1日")


def test_shell_home_page_still_passes_on_fresh_static_items():
    html = home_html("2021-12-18", extra='<ul id="newsList" class="news-list"></ul>')
    site = make_site(pages=(home_page(html, js_shell=True),))
    assert run("homepage-stale", site).status is Status.PASS
