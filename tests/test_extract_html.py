"""extract.html / markings / docmeta on literal snippets."""

from __future__ import annotations

import datetime as dt
import time

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from extract.docmeta import doc_metadata, validity_in, wenhao_in
from extract.html import parse_page
from extract.markings import footer_markings

AS_OF = dt.date(2021, 12, 20)
BASE = "http://www.xy.jj.test/zwgk/tzgg/index.html"

PAGE = """<!DOCTYPE html><html><head><meta charset="gb2312">
<title> 通知公告_浔阳区人民政府 </title>
<meta name="SiteIDCode" content="3604030001"><meta name="ColumnName" content="通知公告">
<meta name="PubDate" content="2021-06-29 09:24">
</head><body>
<div class="header"><a href="/">首页</a><a href="/zwgk/">政务公开</a></div>
<nav><a href="/hdjl/">互动交流</a></nav>
<div id="topnav"><a href="/bsfw/">办事服务</a></div>
<div class="position">当前位置：<a href="/">首页</a> &gt; <a href="/zwgk/">政务公开</a> &gt; 通知公告</div>
<ul class="list">
  <li><a href="./202106/t20210629_1.html" title="关于做好防汛工作的通知（完整标题）">关于做好防汛工作的通...</a><span>2021-06-29</span></li>
  <li><a href="202106/t20210601_2.html#top">区政府常务会议</a> [06-01]</li>
  <li><a href="202112/t20211221_3.html">年底提前发布</a><em>12-21</em></li>
  <li><a href="202012/t20201222_4.html">去年的</a><em>12-22</em></li>
  <li><a href="/zwgk/x.html"><span class="t">日期在链接里</span><span class="d">2021年5月3日</span></a></li>
</ul>
<table><tr><td><a href="doc5.html">表格行</a></td><td>2021/4/5</td></tr></table>
<a href="/ztzl/jczwgk/"><img src="/img/zt.png" alt="基层政务公开专题"></a>
<a href="/ztzl/noalt/"><img src="/img/noalt.png"></a>
<iframe src="/frames/list.html"></iframe>
<a href="javascript:void(0)">打印</a><a href="mailto:a@b.c">信箱</a>
<div class="page"><a href="index_1.html">2</a><a href="index_2.html">下一页</a><a href="?page=3">3</a></div>
<div class="footer"><a href="/wzdt/">网站地图</a> 网站标识码：3604030001
 <a href="https://beian.miit.gov.cn">赣ICP备12345678号-2</a> 赣公网安备 36040302000123号
 <span id="_ideConac"><a href="https://bszs.conac.cn/x"><img src="/red.png"></a></span></div>
<script>var x = 1;</script><style>.a{color:red}</style>
</body></html>"""


def _page():
    return parse_page(PAGE, BASE, as_of=AS_OF)


def test_title_meta():
    p = _page()
    assert p.title == "通知公告_浔阳区人民政府"
    assert p.meta["SiteIDCode"] == "3604030001"
    assert p.meta["ColumnName"] == "通知公告"
    assert p.meta["PubDate"] == "2021-06-29 09:24"


def test_links_regions_absolute_and_defragged():
    p = _page()
    by_url = {link.url: link for link in reversed(p.links)}  # first occurrence wins
    assert by_url["http://www.xy.jj.test/"].region == "nav"
    assert by_url["http://www.xy.jj.test/hdjl/"].region == "nav"
    assert by_url["http://www.xy.jj.test/bsfw/"].region == "nav"
    assert by_url["http://www.xy.jj.test/wzdt/"].region == "footer"
    assert by_url["http://www.xy.jj.test/zwgk/tzgg/202106/t20210601_2.html"].region == "body"
    assert by_url["http://www.xy.jj.test/zwgk/tzgg/202106/t20210601_2.html"].anchor == "区政府常务会议"
    assert not any(link.url.startswith(("javascript", "mailto")) for link in p.links)


def test_image_only_links():
    by_url = {link.url: link for link in reversed(_page().links)}
    zt = by_url["http://www.xy.jj.test/ztzl/jczwgk/"]
    assert zt.anchor == "" and zt.image_alt == "基层政务公开专题"
    noalt = by_url["http://www.xy.jj.test/ztzl/noalt/"]
    assert noalt.image_alt == "" and noalt.image_src == "http://www.xy.jj.test/img/noalt.png"


def test_iframe_is_a_body_link():
    by_url = {link.url: link for link in reversed(_page().links)}
    frame = by_url["http://www.xy.jj.test/frames/list.html"]
    assert frame.region == "body" and frame.anchor == "" and frame.tag == "iframe"


def test_breadcrumb():
    assert _page().breadcrumb == ("首页", "政务公开", "通知公告")


def test_entries_with_dates_and_yearless_resolution():
    entries = {e.url.rsplit("/", 1)[-1]: e for e in _page().entries}
    e1 = entries["t20210629_1.html"]
    assert e1.title == "关于做好防汛工作的通知（完整标题）"  # truncated text: title attribute wins
    assert (e1.date_text, e1.date) == ("2021-06-29", dt.date(2021, 6, 29))
    e2 = entries["t20210601_2.html"]
    assert (e2.date_text, e2.date) == ("[06-01]", dt.date(2021, 6, 1))
    assert entries["t20211221_3.html"].date == dt.date(2021, 12, 21)
    assert entries["t20201222_4.html"].date == dt.date(2020, 12, 22)
    inside = entries["x.html"]
    assert inside.title == "日期在链接里" and inside.date == dt.date(2021, 5, 3)
    assert entries["doc5.html"].date == dt.date(2021, 4, 5)
    # navigation and footer links are never entries
    assert not any(e.url.endswith(("/hdjl/", "/wzdt/")) for e in _page().entries)
    assert _page().is_list


def test_pagination_forms():
    pages = _page().next_pages
    assert "http://www.xy.jj.test/zwgk/tzgg/index_1.html" in pages
    assert "http://www.xy.jj.test/zwgk/tzgg/index_2.html" in pages
    assert "http://www.xy.jj.test/zwgk/tzgg/index.html?page=3" in pages


def test_trs_create_page_html():
    html = """<html><body><ul class="list"><li><a href="a.html">a</a><span>2021-01-02</span></li></ul>
    <script>createPageHTML(4, 0, "index", "html");</script>
    <script>createPageHTML('page_div',3, 1,'index','shtml',68);</script></body></html>"""
    pages = parse_page(html, "http://x.test/zwgk/tzgg/", as_of=AS_OF).next_pages
    assert pages[:3] == tuple(f"http://x.test/zwgk/tzgg/index_{i}.html" for i in (1, 2, 3))
    assert "http://x.test/zwgk/tzgg/index_2.shtml" in pages
    assert "http://x.test/zwgk/tzgg/index_3.shtml" not in pages


def test_next_page_anchor_and_is_list_by_url():
    html = '<html><body><ul class="news"></ul><a href="/l/p2.html">下一页</a></body></html>'
    p = parse_page(html, "http://x.test/l/index.html")
    assert p.next_pages == ("http://x.test/l/p2.html",)
    assert p.is_list


def test_js_shell_detected():
    html = """<html><body><div class="main"><ul id="xxgkList"></ul></div>
    <script>$.getJSON('/api/list', function(d){ $('#xxgkList').html(render(d)); });</script></body></html>"""
    p = parse_page(html, "http://x.test/zwgk/")
    assert p.js_shell and not p.entries


def test_js_shell_document_write_rows():
    html = """<html><body><div class="list-box"></div>
    <script>var data=[{title:'a',url:'/a.html'}]; for(var i=0;i<data.length;i++){
    document.write('<li><a href="'+data[i].url+'">'+data[i].title+'</a></li>');}</script></body></html>"""
    assert parse_page(html, "http://x.test/zwgk/").js_shell


def test_not_js_shell_when_script_only_hides_empty_list():
    html = """<html><body><ul id="list"></ul>
    <script>var list = $("#list"); if(!list.has('li').length){ $("#annex").hide(); }</script>
    <ul class="list"><li><a href="a.html">a</a><span>2021-01-02</span></li></ul></body></html>"""
    assert not parse_page(html, "http://x.test/a.html").js_shell


def test_gbk_decoded_text():
    raw = PAGE.encode("gb18030")
    p = parse_page(raw.decode("gb18030"), BASE, as_of=AS_OF)
    assert p.title == "通知公告_浔阳区人民政府"
    assert "网站标识码" in p.text and "var x" not in p.text and "color:red" not in p.text


def test_xml_declaration_and_base_href():
    html = (
        '<?xml version="1.0" encoding="gb2312"?><html><head><base href="http://b.test/dir/"></head>'
        '<body><a href="x.html">x</a></body></html>'
    )
    p = parse_page(html, "http://a.test/")
    assert [link.url for link in p.links] == ["http://b.test/dir/x.html"]


def test_markings_snippet():
    m = footer_markings(PAGE)
    assert m.site_code == "3604030001"
    assert m.icp == "赣ICP备12345678号-2"
    assert m.police == "赣公网安备36040302000123号"
    assert m.conac and not m.scripted_footer


def test_markings_variants():
    m = footer_markings(
        '<div class="bottom">政府网站标识码 ：bm01000001 京ICP备05070218号 公安备案号：11010502030143'
        ' <img src="/images/dzjg.png"></div>'
    )
    assert (m.site_code, m.icp, m.police, m.conac) == (
        "bm01000001",
        "京ICP备05070218号",
        "公安备案号：11010502030143",
        True,
    )
    m = footer_markings('<p>网站识别码:3604000001</p><img alt="党政机关" src="x.png">')  # no footer element
    assert m.site_code == "3604000001" and m.conac
    m = footer_markings(
        '<script src="http://dcs.conac.cn/js/33/000/0000/40672082/CA330000000406720820003.js"></script>'
    )
    assert m.conac


def test_scripted_footer():
    html = '<html><body><p>正文</p><div id="foot_new"><script src="static/js/foot.js"></script></div></body></html>'
    m = footer_markings(html)
    assert m.scripted_footer and m.site_code is None
    html = "<html><body><script>document.write('<div>版权所有 网站标识码：3604000001</div>')</script></body></html>"
    assert footer_markings(html).scripted_footer
    assert not footer_markings(
        "<html><body><div class='footer'>主办：某某</div></body></html>"
    ).scripted_footer


def test_doc_metadata_table_and_spaced_labels():
    html = """<table class="xxgk">
    <tr><td>索 引 号：</td><td>014742224A/2023-0043406</td><td>主题分类：</td><td>综合政务</td></tr>
    <tr><td>发文机关</td><td>浔阳区人民政府办公室</td><td>发文字号：</td><td>浔府办发〔2021〕12号</td></tr>
    <tr><td>成文日期：</td><td>2021年06月28日</td><td>发布日期：</td><td>2021-06-29</td></tr>
    <tr><td>有 效 性：</td><td>现行有效</td><td>废止日期：</td><td></td></tr></table>
    <ul><li>文号：ignored second</li></ul>"""
    meta = doc_metadata(html)
    assert meta["索引号"] == "014742224A/2023-0043406"
    assert meta["主题分类"] == "综合政务"
    assert meta["发布机构"] == "浔阳区人民政府办公室"
    assert meta["文号"] == "浔府办发〔2021〕12号"
    assert meta["成文日期"] == "2021年06月28日"
    assert meta["发布日期"] == "2021-06-29"
    assert meta["有效性"] == "有效"
    assert "废止日期" not in meta


def test_doc_metadata_inline_pairs_and_publishtime():
    html = "<div><span>发文日期：2020-01-02</span><p>有效性：已废止</p><p>发布机构：某局 索引号：X/2020-1</p></div>"
    meta = doc_metadata(html)
    assert meta["发布日期"] == "2020-01-02" and meta["有效性"] == "废止"
    assert meta["发布机构"] == "某局" and meta["索引号"] == "X/2020-1"
    html = '<span class="date">来源：<b><publishtime>2017-05-15 10:49:00</publishtime></b></span>'
    assert doc_metadata(html)["发布日期"] == "2017-05-15 10:49:00"


def test_wenhao_and_validity():
    assert wenhao_in("关于印发九府办函〔2021〕106号文件的通知") == "九府办函〔2021〕106号"
    assert wenhao_in("浔府发[2021]3号") == "浔府发[2021]3号"
    assert wenhao_in("根据赣府厅〔2021〕30号精神") == "赣府厅〔2021〕30号"
    assert wenhao_in("柴政发［2020］ 8 号") == "柴政发［2020］8号"
    assert wenhao_in("九政办字(2019)45号") == "九政办字(2019)45号"
    assert wenhao_in("没有文号 2021年") is None
    assert validity_in("有效性：失效") == "失效"
    assert validity_in("【已废止】关于……的通知") == "废止"
    assert validity_in("有效性: 已修改") == "已修改"
    assert validity_in("普通文本") is None


def test_speed_100kb():
    rows = "".join(
        f'<li><a href="/a/{i}.html">第{i}条新闻标题文字</a><span>2021-06-{i % 28 + 1:02d}</span></li>'
        for i in range(1500)
    )
    html = f"<html><body><ul class='list'>{rows}</ul></body></html>"
    assert len(html) > 100_000
    parse_page(html, BASE, as_of=AS_OF)
    start = time.perf_counter()
    p = parse_page(html, BASE, as_of=AS_OF)
    assert len(p.entries) == 1500
    assert time.perf_counter() - start < 1.0


def test_robust_on_hostile_input():
    for html in [
        "",
        " ",
        "\x00\x01",
        "<",
        "<html",
        "<a href='http://[::1'>x</a>",
        "<a href='http://a:99999/'>x</a>",
        "<div>" * 50_000 + "<a href='x'>1</a><span>2021-01-01</span>",
        "<li><a href='x'>" * 3000,
        bytes(range(256)).decode("latin-1"),
        "\ud800<a href='\udfff'>x</a>",
    ]:
        p = parse_page(html, "http://x.test/", as_of=AS_OF)
        assert p.url == "http://x.test/"
        footer_markings(html)
        doc_metadata(html)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=st.text(), url=st.sampled_from(["http://x.test/", "", "not a url", "http://[::1/"]))
def test_parse_page_never_raises(text, url):
    p = parse_page(text, url, as_of=AS_OF)
    assert isinstance(p.links, tuple)
    footer_markings(text)
    doc_metadata(text)


tags = st.sampled_from(
    [
        "<a href='/x'>",
        "</a>",
        "<li>",
        "</li>",
        "<ul class='list'>",
        "<div class='footer'>",
        "<nav>",
        "<img alt='党政机关'>",
        "[06-29]",
        "2021-02-30",
        "<script>document.write(",
        "createPageHTML(99999999,0,'index','html')",
        "网站标识码：",
        "1234567890",
        "<table><tr><td>",
        "索 引 号：",
        "<publishtime>",
        "&gt;",
        "当前位置：",
        "<iframe src='//x'>",
    ]
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(parts=st.lists(tags | st.text(max_size=5), max_size=60))
def test_parse_page_never_raises_on_tag_soup(parts):
    html = "".join(parts)
    p = parse_page(html, "http://x.test/a/index.html", as_of=AS_OF)
    assert len(p.next_pages) < 1000
    footer_markings(html)
    doc_metadata(html)
