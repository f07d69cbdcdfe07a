"""interaction-response, expression-errors, personal-data and outside-links on literal pages (issue 12)."""

from __future__ import annotations

import datetime as dt
import io
import json

import pytest

from extract.attachments import attachment_kind, extract_text
from govconfig.judge import add_months
from inspections import expression_errors, interaction_response, personal_data
from inspections.artifacts import AttachmentArtifact, LinkArtifact, PageArtifact, SiteArtifacts
from inspections.base import Severity, Status
from inspections.lexicon import LexiconError, load_lexicon, load_protected_names
from inspections.review import review_key
from inspections.runner import run_check
from simweb.docs import tiny_pdf

AS_OF = dt.date(2021, 12, 20)
HOME = "http://www.example.gov.cn/"


def html(body: str, title: str = "页面", head: str = "") -> str:
    return (
        f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{title}</title>{head}</head>"
        f"<body>{body}</body></html>"
    )


def page(url: str, body: str, **kw) -> PageArtifact:
    return PageArtifact(
        url=url,
        final_url=url,
        status=200,
        html=html(body, **{k: v for k, v in kw.items() if k in ("title", "head")}),
    )


def site(*pages: PageArtifact, links=(), attachments=(), reviews=None) -> SiteArtifacts:
    return SiteArtifacts(
        site_id="t",
        name="测试",
        home_url=HOME,
        level="county",
        pages=pages,
        links=tuple(links),
        attachments=tuple(attachments),
        reviews=reviews or {},
    )


def run(check_id: str, s: SiteArtifacts, **options):
    """The check with its options from config/scoring.yaml (``options`` replace some)."""
    return run_check(check_id, s, as_of=AS_OF, **options)


def valid_id(first17: str) -> str:
    total = sum(int(d) * w for d, w in zip(first17, personal_data.ID_WEIGHTS, strict=True))
    return first17 + personal_data.ID_CHECK[total % 11]


GOOD_ID = valid_id("36040219800101123")
BAD_ID = GOOD_ID[:17] + ("0" if GOOD_ID[17] != "0" else "1")


# ------------------------------------------------------------------------------------------- personal-data


def test_id_check_digit_follows_gb11643():
    assert personal_data.id_check_ok("11010519491231002X")  # the standard's own example
    assert not personal_data.id_check_ok("110105194912310021")
    assert personal_data.id_check_ok(GOOD_ID) and not personal_data.id_check_ok(BAD_ID)


def test_luhn():
    assert personal_data.luhn_ok("6222020200112233445") is personal_data.luhn_ok("6222020200112233445")
    assert personal_data.luhn_ok("4111111111111111")
    assert not personal_data.luhn_ok("4111111111111112")


def test_flags_valid_id_but_not_wrong_check_digit_nor_masked():
    p = page(
        HOME + "gs.html",
        f"<p>申请人张某，身份证号{GOOD_ID}。</p><p>李某，{BAD_ID}。</p>"
        "<p>王某，3604**********1234，电话138****1234。</p>",
    )
    out = run("personal-data", site(p))
    assert out.status is Status.WARN  # 待核实: no points until a person confirms
    [f] = [f for f in out.findings if f.severity is Severity.WARN]
    assert f.url == HOME + "gs.html" and f.points == 0
    assert f.evidence["count"] == 1 and f.evidence["review"] == "待核实"
    assert f.evidence["numbers"] == [GOOD_ID[:4] + "*" * 10 + GOOD_ID[-4:]]


def test_evidence_never_holds_a_whole_number():
    p = page(
        HOME + "a.html",
        f"<p>身份证号：{GOOD_ID}，手机13912345678，银行卡号 6222 0000 0000 0000 0 无</p>"
        "<p>开户账号：4111111111111111</p>",
    )
    out = run("personal-data", site(p))
    dumped = json.dumps([f.as_dict() for f in out.findings], ensure_ascii=False)
    assert GOOD_ID not in dumped and "13912345678" not in dumped and "4111111111111111" not in dumped
    kinds = {f.evidence["kind"] for f in out.findings}
    assert kinds == {"公民身份号码", "手机号码", "银行卡号"}
    assert "139****5678" in dumped and "4111********1111" in dumped


def test_mobile_inside_longer_number_is_not_a_mobile():
    p = page(HOME + "a.html", "<p>索引号 113604020012345678901，电话 0792-8221234</p>")
    assert run("personal-data", site(p)).status is Status.PASS


def test_attachment_text_is_scanned_and_confirmed_costs_points():
    pdf = tiny_pdf(["Subsidy list", f"Zhang San {GOOD_ID}", f"Li Si {BAD_ID}"])
    got = extract_text(pdf, "pdf")
    att = AttachmentArtifact(url=HOME + "fj/list.pdf", kind="pdf", size=len(pdf), text=got.text)
    s = site(page(HOME, "<p>首页</p>"), attachments=[att])
    out = run("personal-data", s)
    [f] = out.findings
    assert f.url == HOME + "fj/list.pdf" and f.evidence["count"] == 1 and f.evidence["where"] == "附件（PDF）"
    key = f.evidence["review_key"]
    confirmed = run(
        "personal-data", site(page(HOME, "<p>首页</p>"), attachments=[att], reviews={key: "confirmed"})
    )
    assert confirmed.status is Status.FAIL and confirmed.points_lost == 2.0
    dismissed = run(
        "personal-data", site(page(HOME, "<p>首页</p>"), attachments=[att], reviews={key: "dismissed"})
    )
    assert dismissed.status is Status.PASS and dismissed.findings == ()


def test_unreadable_attachment_is_said():
    att = AttachmentArtifact(url=HOME + "x.pdf", kind="pdf", error="无法读取PDF附件：PdfReadError")
    out = run("personal-data", site(page(HOME, "<p>首页</p>"), attachments=[att]))
    assert out.status is Status.PASS and out.findings[0].severity is Severity.INFO


def test_no_pages_is_not_tested():
    assert run("personal-data", site()).status is Status.NOT_TESTED


# ------------------------------------------------------------------------------------------- attachments


def test_extracts_docx_and_xlsx_text():
    import docx
    import openpyxl

    d = docx.Document()
    d.add_paragraph(f"名单：张三 {GOOD_ID}")
    buf = io.BytesIO()
    d.save(buf)
    assert GOOD_ID in extract_text(buf.getvalue(), "docx").text
    wb = openpyxl.Workbook()
    wb.active.append(["姓名", "手机"])
    wb.active.append(["李四", 13812345678])
    buf = io.BytesIO()
    wb.save(buf)
    assert "13812345678" in extract_text(buf.getvalue(), "xlsx").text


def test_garbage_attachment_gives_an_error_not_an_exception():
    got = extract_text(b"%PDF-1.4 garbage" * 10, "pdf")
    assert got.text == "" or isinstance(got.text, str)
    bad = extract_text(b"not a zip", "docx")
    assert bad.error and not bad.text
    assert extract_text(b"x" * 100, "pdf", max_bytes=10).truncated


def test_attachment_kind():
    assert attachment_kind("http://a/b/c.PDF") == "pdf"
    assert attachment_kind("http://a/b/c.xls?x=1") == "xls"
    assert (
        attachment_kind(
            "http://a/download?id=3",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        )
        == "docx"
    )
    assert attachment_kind("http://a/b/c.html") is None


# ------------------------------------------------------------------------------------------- expression-errors


def test_lexicon_hit_with_sentence_and_suggestion():
    p = page(HOME + "a.html", "<p>会议传达学习了全会会议精神。</p><p>市发展与改革委员会参加。</p>")
    out = run("expression-errors", site(p))
    assert out.status is Status.WARN
    msgs = {f.evidence["text"]: f for f in out.findings if f.severity is Severity.WARN}
    assert set(msgs) == {"全会会议精神", "发展与改革委员会"}
    f = msgs["全会会议精神"]
    assert f.evidence["suggested"] == "全会精神" and f.evidence["tier"] == "一般"
    assert "会议传达学习了全会会议精神。" in f.evidence["context"][0]
    assert f.evidence["source"]


def test_leader_name_near_miss_by_pinyin_is_suspected_and_veto_once_confirmed():
    p = page(HOME + "a.html", "<p>模拟市市长罗振冬出席会议并讲话。</p><p>罗振东指出，要抓好落实。</p>")
    out = run("expression-errors", site(p))
    [f] = [f for f in out.findings if f.severity is Severity.WARN]
    assert f.evidence["text"] == "罗振冬" and f.evidence["tier"] == "疑似"
    assert f.evidence["suggested"].startswith("罗振东") and f.evidence["if_confirmed"] == "确认后单项否决"
    confirmed = run("expression-errors", site(p, reviews={f.evidence["review_key"]: "confirmed"}))
    assert confirmed.status is Status.FAIL and confirmed.veto


def test_correct_name_and_swapped_name():
    assert run("expression-errors", site(page(HOME, "<p>罗振东同志讲话。</p>"))).status is Status.PASS
    out = run("expression-errors", site(page(HOME, "<p>罗东振同志讲话。</p>")))
    assert [f.evidence["text"] for f in out.findings if f.severity is Severity.WARN] == ["罗东振"]


def test_near_miss_inside_another_word_is_left_out():
    names = load_protected_names()
    matcher = expression_errors.Matcher(load_lexicon(), names)
    # "振冬" would be a near miss of 罗振东 only where a word boundary allows it.
    assert expression_errors.name_variants("罗振东") >= {"罗振冬", "罗东振"}
    assert expression_errors._on_boundaries("他负责张罗振冬季市场。", "罗振冬") is False
    assert [h["word"] for h in expression_errors.scan("他负责张罗振冬季市场。", matcher)] == []
    assert [h["word"] for h in expression_errors.scan("市长罗振冬出席。", matcher)] == ["罗振冬"]


def test_forbidden_word_in_text_is_suspected():
    out = run("expression-errors", site(page(HOME, "<p>欢迎光临百家乐娱乐城</p>")))
    words = {f.evidence["text"] for f in out.findings if f.severity is Severity.WARN}
    assert {"百家乐", "娱乐城"} <= words


def test_lexicon_errors_name_file_line_and_field(tmp_path):
    bad = tmp_path / "lex.yaml"
    bad.write_text(
        "sources:\n  a: 来源\nexpressions:\n  - {wrong: 甲, right: 乙, tier: 很严重, source: a}\n",
        encoding="utf-8",
    )
    with pytest.raises(LexiconError) as exc:
        load_lexicon(str(bad))
    assert "lex.yaml:4" in str(exc.value) and "tier" in str(exc.value)
    bad.write_text(
        "sources:\n  a: 来源\nexpressions:\n  - {wrong: 甲, right: 乙, tier: 一般, source: b}\n",
        encoding="utf-8",
    )
    with pytest.raises(LexiconError, match="未在 sources 中列出"):
        load_lexicon(str(bad))


def test_shipped_lexicon_has_a_source_for_every_entry():
    lex = load_lexicon()
    assert lex.expressions and lex.forbidden
    assert all(e.source in lex.sources for e in lex.expressions)
    assert all(c.source in lex.sources for c in lex.forbidden)


# ------------------------------------------------------------------------------------------- outside-links

GAMBLING = "http://www.hg8868.example.com/"


@pytest.mark.parametrize(
    "markup",
    [
        f'<div style="display:none"><a href="{GAMBLING}">娱乐</a></div>',
        f'<div style="position:absolute;left:-9999px;top:0"><a href="{GAMBLING}">娱乐</a></div>',
        f'<a href="{GAMBLING}" style="font-size:0">娱乐</a>',
        f'<div style="height:0;overflow:hidden"><a href="{GAMBLING}">娱乐</a></div>',
        f'<div style="background:#fff"><a href="{GAMBLING}" style="color:#ffffff">娱乐</a></div>',
        f'<div class="yc"><a href="{GAMBLING}">娱乐</a></div>',
    ],
)
def test_hidden_gambling_link_is_a_veto_once_confirmed(markup):
    head = "<style>.yc{display:none}</style>"
    p = page(HOME + "a.html", "<p>正文</p>" + markup, head=head)
    links = [LinkArtifact(HOME + "a.html", GAMBLING, anchor="娱乐", internal=False)]
    out = run("outside-links", site(page(HOME, "<p>首页</p>"), p, links=links))
    [f] = out.findings
    assert out.status is Status.WARN and f.url == HOME + "a.html"
    assert f.evidence["category"] == "赌博" and f.evidence["if_confirmed"] == "确认后单项否决"
    confirmed = run(
        "outside-links",
        site(page(HOME, "<p>首页</p>"), p, links=links, reviews={f.evidence["review_key"]: "confirmed"}),
    )
    assert confirmed.veto and confirmed.status is Status.FAIL


def test_hidden_menu_inside_the_site_is_not_a_dark_link():
    p = page(
        HOME, '<ul><li>机构<ul style="display:none"><li><a href="/jg/a.html">办公室</a></li></ul></li></ul>'
    )
    assert (
        run("outside-links", site(p, links=[LinkArtifact(HOME, HOME + "jg/a.html", "办公室")])).status
        is Status.PASS
    )


def test_bare_ip_and_home_page_outside_links_are_listed_for_review():
    p = page(
        HOME,
        '<a href="http://10.1.2.3/oa/">OA</a><a href="http://www.shop.example.com/">商城</a>'
        '<a href="http://www.jiangxi.gov.cn/">江西省政府</a>',
    )
    links = [
        LinkArtifact(HOME, "http://10.1.2.3/oa/", "OA", internal=False),
        LinkArtifact(HOME, "http://www.shop.example.com/", "商城", internal=False),
        LinkArtifact(HOME, "http://www.jiangxi.gov.cn/", "江西省政府", internal=False),
    ]
    out = run("outside-links", site(p, links=links))
    targets = sorted(f.evidence["target"] for f in out.findings)
    assert targets == ["http://10.1.2.3/oa/", "http://www.shop.example.com/"]
    assert all(f.points == 0 for f in out.findings)


def test_outside_links_on_inner_pages_are_not_listed():
    p = page(HOME + "a.html", '<a href="http://www.shop.example.com/">商城</a>')
    links = [LinkArtifact(HOME + "a.html", "http://www.shop.example.com/", "商城", internal=False)]
    assert run("outside-links", site(page(HOME, "x"), p, links=links)).status is Status.PASS


# ------------------------------------------------------------------------------------------- interaction-response

MAILBOX = HOME + "hdjl/xzxx/"


def letter_table(
    rows: list[tuple[str, str, str, str]], labels=("信件标题", "来信时间", "回复时间", "处理状态")
) -> str:
    head = "".join(f"<th>{h}</th>" for h in labels)
    body = "".join(
        f'<tr><td><a href="{MAILBOX}{i}.html">{t}</a></td><td>{s}</td><td>{r}</td><td>{st}</td></tr>'
        for i, (t, s, r, st) in enumerate(rows)
    )
    return f"<table><tr>{head}</tr>{body}</table>"


def mailbox_site(body: str, *extra: PageArtifact, anchor: str = "县长信箱", links=()) -> SiteArtifacts:
    home = page(HOME, f'<a href="{MAILBOX}">{anchor}</a>')
    lst = page(MAILBOX, body)
    all_links = [LinkArtifact(HOME, MAILBOX, anchor)] + list(links)
    return site(home, lst, *extra, links=all_links)


def test_letter_unanswered_for_100_days_is_a_veto():
    body = letter_table(
        [
            ("关于道路维修的建议", "2021-09-11", "", "办理中"),
            ("咨询社保缴费", "2021-11-01", "2021-11-03", "已办结"),
        ]
    )
    out = run("interaction-response", mailbox_site(body))
    assert out.status is Status.FAIL and out.veto
    [v] = [f for f in out.findings if f.severity is Severity.VETO]
    assert v.url == MAILBOX + "0.html" and v.evidence["days"] == 100
    [info] = [f for f in out.findings if f.severity is Severity.INFO]
    assert info.evidence["letters"] == 2 and info.evidence["median_days"] == 2


def test_letter_answered_after_four_months_within_the_year_is_a_veto():
    body = letter_table([("咨询", "2021-03-01", "2021-07-10", "已回复")])
    assert run("interaction-response", mailbox_site(body)).veto


def test_late_reply_before_the_year_window_does_not_count():
    body = letter_table(
        [("咨询", "2020-01-01", "2020-06-01", "已回复"), ("咨询2", "2021-12-01", "", "待处理")]
    )
    out = run("interaction-response", mailbox_site(body))
    assert out.status is Status.PASS


def test_warns_before_the_limit():
    body = letter_table([("建议", "2021-10-15", "", "待回复")])
    out = run("interaction-response", mailbox_site(body))
    assert out.status is Status.WARN and not out.veto


@pytest.mark.parametrize(
    "labels",
    [
        ("标题", "留言时间", "答复时间", "办理状态"),
        ("主题", "提交时间", "办结时间", "状态"),
        ("信件主题", "写信时间", "反馈时间", "信件状态"),
    ],
)
def test_label_spellings(labels):
    body = letter_table([("问题", "2021-08-01", "", "未回复")], labels=labels)
    assert run("interaction-response", mailbox_site(body)).veto


def test_detail_pages_and_pagination():
    # The list shows title and date only; the status and reply time are on the detail pages; page 2 via 下一页.
    lst = (
        f'<ul><li><a href="{MAILBOX}d1.html">路灯不亮</a> 留言时间：2021-11-20</li>'
        f'<li><a href="{MAILBOX}d2.html">噪音扰民</a> 留言时间：2021-11-21</li></ul>'
        f'<a href="{MAILBOX}index_1.html">下一页</a>'
    )
    p2 = page(
        MAILBOX + "index_1.html",
        f'<ul><li><a href="{MAILBOX}d3.html">老旧小区改造</a> 留言时间：2021-08-02</li>'
        f'<li><a href="{MAILBOX}d1.html">路灯不亮</a> 留言时间：2021-11-20</li></ul>',
    )
    d1 = page(
        MAILBOX + "d1.html", "<p>留言时间：2021-11-20</p><p>处理状态：已办结</p><p>回复时间：2021-11-22</p>"
    )
    d2 = page(MAILBOX + "d2.html", "<p>留言时间：2021-11-21 处理状态：已办结 回复时间：2021-11-25</p>")
    d3 = page(MAILBOX + "d3.html", "<p>留言时间：2021-08-02</p><p>处理状态：办理中</p>")
    links = [
        LinkArtifact(MAILBOX, MAILBOX + "d1.html", "路灯不亮"),
        LinkArtifact(MAILBOX, MAILBOX + "d2.html", "噪音"),
        LinkArtifact(MAILBOX, MAILBOX + "index_1.html", "下一页"),
        LinkArtifact(MAILBOX + "index_1.html", MAILBOX + "d3.html", "老旧小区改造"),
        LinkArtifact(MAILBOX + "index_1.html", MAILBOX + "d1.html", "路灯不亮"),
    ]
    out = run("interaction-response", mailbox_site(lst, p2, d1, d2, d3, links=links))
    [v] = [f for f in out.findings if f.severity is Severity.VETO]
    assert v.url == MAILBOX + "d3.html"
    [info] = [f for f in out.findings if f.severity is Severity.INFO]
    assert (
        info.evidence["letters"] == 3
        and info.evidence["answered"] == 2
        and info.evidence["longest_days"] == 4
    )


def test_channel_publishing_only_answered_letters_is_not_tested():
    body = letter_table(
        [("咨询", "2021-11-01", "2021-11-03", "")], labels=("标题", "来信时间", "回复时间", "备注")
    )
    out = run("interaction-response", mailbox_site(body))
    assert out.status is Status.NOT_TESTED and "只公开已回复" in out.reason
    body = "<p>本月收到来信18件，已办理18件，网站公开2件。</p>" + letter_table(
        [("咨询", "2021-11-01", "2021-11-03", "已办结")]
    )
    out = run("interaction-response", mailbox_site(body))
    assert out.status is Status.NOT_TESTED and "只公开已回复" in out.reason


def test_letters_behind_login_or_on_a_provincial_platform_are_not_tested():
    out = run("interaction-response", mailbox_site('<form><input type="password" name="p"></form>请先登录'))
    assert out.status is Status.NOT_TESTED and "登录" in out.reason
    home = page(
        HOME, '<a href="http://zwhd.jiangxi.gov.cn:8080/wcm/mail">县长信箱</a><a href="/a.html">a</a>'
    )
    s = site(
        home,
        page(HOME + "a.html", "x"),
        links=[LinkArtifact(HOME, "http://zwhd.jiangxi.gov.cn:8080/wcm/mail", "县长信箱", internal=False)],
    )
    out = run("interaction-response", s)
    assert out.status is Status.NOT_TESTED and "zwhd.jiangxi.gov.cn" in out.reason


def test_no_channel_is_a_veto_and_excluded_channels_do_not_count():
    home = page(HOME, '<a href="/xf/">网上信访</a><a href="/jj/">纪检举报</a><a href="/ft/">在线访谈</a>')
    links = [
        LinkArtifact(HOME, HOME + "xf/", "网上信访"),
        LinkArtifact(HOME, HOME + "jj/", "纪检举报信箱"),
        LinkArtifact(HOME, HOME + "ft/", "在线访谈"),
    ]
    out = run("interaction-response", site(home, page(HOME + "xf/", "x"), links=links))
    assert out.veto and out.findings[0].url == HOME


def test_home_page_only_crawl_is_not_tested():
    out = run("interaction-response", site(page(HOME, "<p>首页</p>")))
    assert out.status is Status.NOT_TESTED


def test_add_months_is_calendar_months():
    assert add_months(dt.date(2021, 11, 30), 3) == dt.date(2022, 2, 28)
    assert add_months(dt.date(2021, 9, 11), 3) == dt.date(2021, 12, 11)


def test_review_keys_ignore_the_port():
    assert review_key("x", "http://a.jj.test:18080/p.html", "h") == review_key(
        "x", "http://a.jj.test/p.html", "h"
    )


# ------------------------------------------------------------------------------------------- real pages


def _real(rel: str):
    """A real page of ../shared/realpages as a one-page site (skips with the reason when absent)."""
    import os
    from pathlib import Path

    import test_realpages_checks as real

    override = os.environ.get("GOVAUDIT_REALPAGES")  # a local checkout whose ../shared is elsewhere
    if override:
        real.REALPAGES = Path(override)
    return real.one_page_site(rel)


def test_real_xicheng_hidden_menus_of_government_links_are_not_dark_links():
    site, as_of = _real("www.bjxch.gov.cn/modified-copy/index.html")
    out = run_check("outside-links", site, as_of=as_of)
    assert not [f for f in out.findings if "隐藏" in f.message], [f.message for f in out.findings]
    # what is listed: the home page's links to non-government hosts, for review, at no cost
    assert all(f.evidence["review"] == "待核实" and f.points == 0 for f in out.findings)


def test_real_fengtai_friendly_link_menus_are_not_dark_links_but_a_bare_ip_is_listed():
    site, as_of = _real("www.bjft.gov.cn/modified-copy/index.html")
    out = run_check("outside-links", site, as_of=as_of)
    assert not [f for f in out.findings if "隐藏" in f.message]
    assert any("裸 IP" in f.message for f in out.findings)


def test_real_yichun_mailbox_on_the_provincial_petition_platform_is_a_petition_channel():
    site, as_of = _real("www.yichun.gov.cn/index.html")
    out = run_check("interaction-response", site, as_of=as_of)
    assert out.status is Status.NOT_TESTED  # 我要写信 was not fetched: never a veto from one page
    assert "jx-xinfang" not in out.reason and "我要写信" in out.reason
    channels, left_out = interaction_response.find_channels(site, ("信箱", "我要写信"), ("信访",))
    assert any("xinfang" in u for u in left_out)


def test_real_pages_have_no_personal_data_or_lexicon_hits():
    for rel in (
        "www.yichun.gov.cn/index.html",
        "www.bjxch.gov.cn/modified-copy/index.html",
        "www.bjft.gov.cn/modified-copy/index.html",
    ):
        site, as_of = _real(rel)
        assert run_check("personal-data", site, as_of=as_of).status is Status.PASS, rel
        assert run_check("expression-errors", site, as_of=as_of).status is Status.PASS, rel
