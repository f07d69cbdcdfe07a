"""The extractors run directly on real government pages kept in ../shared/realpages (read there, never copied)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from extract.dates import date_from_url, parse_date
from extract.docmeta import doc_metadata
from extract.html import parse_page
from extract.markings import footer_markings

REALPAGES = Path(__file__).resolve().parents[2] / "shared" / "realpages"

pytestmark = pytest.mark.skipif(
    not REALPAGES.is_dir(), reason=f"real page corpus not available at {REALPAGES} (../shared/realpages)"
)

YICHUN_AS_OF = dt.date(2023, 10, 11)  # the page says 页面生成时间 2023-10-11 11:36:07


def _read(rel: str, encoding: str = "utf-8") -> str:
    path = REALPAGES / rel
    if not path.is_file():
        pytest.skip(f"{rel} not in the real page corpus")
    return path.read_bytes().decode(encoding)


def _one(rel_glob: str) -> str:
    found = sorted(REALPAGES.glob(rel_glob))
    if not found:
        pytest.skip(f"{rel_glob} not in the real page corpus")
    return str(found[0].relative_to(REALPAGES))


@pytest.fixture(scope="module")
def yichun():
    html = _read("www.yichun.gov.cn/index.html")
    return html, parse_page(html, "http://www.yichun.gov.cn/index.html", as_of=YICHUN_AS_OF)


def test_yichun_xxgk_block_links(yichun):
    _, page = yichun
    anchors = {link.anchor: link.url for link in page.links}
    assert anchors["政府信息公开"] == "http://www.yichun.gov.cn/ycsrmzf/xxgk/redirect_firstChannel.shtml"
    assert anchors["政府信息公开指南"] == "http://www.yichun.gov.cn/ycsrmzf/zfxxgkzn/xxgk_tt.shtml"
    assert anchors["政府信息公开制度"] == "http://www.yichun.gov.cn/ycsrmzf/zfxxgkzd/xxgk_list.shtml"
    assert (
        anchors["政府信息公开目录"] == "http://www.yichun.gov.cn/ycsrmzf/fdzdgknr/redirect_firstChannel.shtml"
    )
    assert (
        anchors["政府信息公开年度报告"]
        == "http://www.yichun.gov.cn/ycsrmzf/zfxxgknb/redirect_firstChannel.shtml"
    )


def test_yichun_image_only_zhuanti_link(yichun):
    _, page = yichun
    [zt] = [link for link in page.links if "jczwgk" in link.url]
    assert zt.url == "http://www.yichun.gov.cn/ycsrmzf/qmtjjczwgkbzhgfhzt/jczwgk.shtml"
    assert zt.anchor == ""  # image only; this image has no alt, so image_alt is empty and image_src is given
    assert zt.image_alt == ""
    assert zt.image_src.endswith("/images/a675e4a28dfd4abd95fef44b2d8adf54.jpg")
    assert zt.region == "body"


def test_yichun_yearless_list_dates(yichun):
    _, page = yichun
    assert page.is_list and len(page.entries) >= 30
    by_url = {e.url: e for e in page.entries}
    e = by_url["http://www.yichun.gov.cn/ycsrmzf/zwyw/202310/34e1d41233c34c52a652e278c5529a33.shtml"]
    assert (e.title, e.date_text, e.date) == (
        "2023年度全市综合考核工作分析部署会召开",
        "10-11",
        dt.date(2023, 10, 11),
    )
    e = by_url["http://www.yichun.gov.cn/ycsrmzf/yfbza9du/202308/12e7b12b182e4c31abf736998f84de17.shtml"]
    assert (e.date_text, e.date) == ("08-21", dt.date(2023, 8, 21))
    e = by_url["http://www.yichun.gov.cn/ycsrmzf/guowuyuan/202309/3f87f47a73d64595a30b3ea88a43b27e.shtml"]
    assert (e.date_text, e.date) == ("2023-09-23", dt.date(2023, 9, 23))
    yearless = [e for e in page.entries if len(e.date_text) == 5]
    assert len(yearless) >= 20
    assert all(e.date is not None and e.date <= YICHUN_AS_OF + dt.timedelta(days=1) for e in page.entries)
    # the summary paragraph "10月9日至10日，市委书记…" must not be taken for the entry's date
    e = by_url["http://www.yichun.gov.cn/ycsrmzf/zwyw/202310/02264b867b4b4b6d91a3844f29b22154.shtml"]
    assert e.date == dt.date(2023, 10, 11)
    # without as_of the yearless dates cannot be resolved
    bare = parse_page(yichun[0], "http://www.yichun.gov.cn/index.html")
    assert all(e.date is None or len(e.date_text) > 5 for e in bare.entries)


def test_yichun_footer_markings(yichun):
    html, page = yichun
    m = footer_markings(html)
    assert m.site_code == "3609000002"
    assert m.icp == "赣ICP备06000141号"
    assert m.police == "赣公网安备36090202000004号"
    assert m.conac  # the badge links to bszs.conac.cn (img without alt)
    assert not m.scripted_footer
    assert page.meta["SiteIDCode"] == "3609000002"
    footer = {link.anchor for link in page.links if link.region == "footer"}
    assert {"网站地图", "网站帮助", "关于我们"} <= footer


def test_yichun_article_meta_and_breadcrumb():
    rel = _one("www.yichun.gov.cn/ycsrmzf/tjgb/202304/*.shtml")
    html = _read(rel)
    page = parse_page(html, "http://" + rel)
    assert page.meta["SiteIDCode"] == "3609000002"
    assert "法定主动公开内容" in page.breadcrumb
    assert page.breadcrumb[0] == "首页"
    assert not page.is_list
    meta = doc_metadata(html)
    assert meta["索引号"] == "014717475N/2023-0032866"
    assert meta["发布机构"] == "宜春市统计局"


def test_xiangtan_gb2312_article():
    html = _read("www.xiangtan.gov.cn/modified-copy/index.html", "gb18030")
    page = parse_page(html, "http://www.xiangtan.gov.cn/109/171/174/content_1335045.html")
    assert page.meta["SiteIDCode"] == "4303000006"
    assert page.meta["ColumnName"] == "部门动态"
    assert page.meta["PubDate"] == "2024-09-30 09:24"
    assert parse_date(page.meta["PubDate"]) == dt.date(2024, 9, 30)
    assert "发布时间：2024-09-30 09:24" in page.text
    assert parse_date(page.text[page.text.index("发布时间") :]) == dt.date(2024, 9, 30)
    assert doc_metadata(html)["发布日期"] == "2024-09-30 09:24"
    assert page.breadcrumb == ("首页", "政务公开", "工作动态", "部门动态")
    m = footer_markings(html)
    assert m.scripted_footer
    assert (m.site_code, m.icp, m.police, m.conac) == (None, None, None, False)
    assert m.evidence["meta_site_code"] == "4303000006"


def test_wanzai_index_box():
    html = _read(_one("www.wanzai.gov.cn/wzxrmzf/tjsja/202305/*.shtml"))
    meta = doc_metadata(html)
    assert meta["索引号"] == "014742224A/2023-0043406"  # label printed as "索 引 号："
    assert meta["发布日期"] == "2023-05-11"  # from 生成日期
    assert meta["公开方式"] == "主动公开"
    assert meta["责任部门"] == "万载县统计局"
    assert footer_markings(html).site_code == "3609220011"


def test_wanzai_publishtime():
    html = _read(_one("www.wanzai.gov.cn/wzxrmzf/tjgb/201705/*.shtml"))
    meta = doc_metadata(html)
    assert meta["发布日期"] == "2017-05-15 10:49:00"
    assert parse_date(meta["发布日期"]) == dt.date(2017, 5, 15)


def test_gxzf_site_code_with_space_before_colon():
    html = _read("www.gxzf.gov.cn/zzqzyxx/t19107548.shtml")
    m = footer_markings(html)
    assert m.site_code == "4500000123"
    assert m.icp == "桂ICP备06001517号-1"
    assert m.police == "桂公网安备45010302001240号"
    page = parse_page(html, "http://www.gxzf.gov.cn/zzqzyxx/t19107548.shtml")
    nav = {link.anchor: link.url for link in page.links if link.region == "nav"}
    # 法定主动公开内容 and 年报 point at the 指南 page on this site
    assert (
        nav["法定主动公开内容"]
        == nav["政府信息公开年报"]
        == "http://www.gxzf.gov.cn/zwgk/zfxxgkzl_84988/zfxxgkzn/index.shtml"
    )


def test_fcgs_four_xxgk_parts_in_nav():
    html = _read("www.fcgs.gov.cn/zxzx/zdxm/t18993630.shtml")
    page = parse_page(html, "http://www.fcgs.gov.cn/zxzx/zdxm/t18993630.shtml")
    nav = {link.anchor: link.url for link in page.links if link.region == "nav"}
    assert nav["政府信息公开"] == "http://www.fcgs.gov.cn/zfxxgk/"
    assert nav["政府信息公开指南"] == "http://www.fcgs.gov.cn/zfxxgk/szfxxgkzn/"
    assert nav["政府信息公开制度"] == "http://www.fcgs.gov.cn/zfxxgk/zfxxgkzd/"
    assert nav["法定主动公开内容"] == "http://www.fcgs.gov.cn/zfxxgk/zdzdgknr/"
    assert nav["政府信息公开年报"] == "http://www.fcgs.gov.cn/zfxxgk/zfxxgkndbg/"
    assert nav["政府信息公开目录"] == "http://www.fcgs.gov.cn/zfxxgk/szfxxgkml/"
    assert footer_markings(html).site_code == "4506000001"


def test_trs_and_hanweb_urls():
    assert date_from_url("http://www.hongshan.gov.cn/hsyw/202306/t20230608_2213652.shtml") == dt.date(
        2023, 6, 8
    )
    rel = _one("www.sc.gov.cn/10462/*/*/*/2025/6/3/*.shtml")
    assert date_from_url("http://" + rel) == dt.date(2025, 6, 3)


@pytest.mark.parametrize(
    ("rel", "code"),
    [
        ("www.bjxch.gov.cn/modified-copy/index.html", "1101020002"),
        ("www.hp.gov.cn/modified-copy/index.html", "4401120001"),
        ("www.hongshan.gov.cn/hsyw/202306/t20230608_2213652.shtml", "4201110038"),
    ],
)
def test_other_footers(rel, code):
    m = footer_markings(_read(rel))
    assert m.site_code == code and m.icp and m.police and m.conac and not m.scripted_footer


def test_every_real_page_parses_quickly():
    import time

    for path in sorted(REALPAGES.rglob("*.*htm*")):
        raw = path.read_bytes()
        try:
            html = raw.decode("utf-8")
        except UnicodeDecodeError:
            html = raw.decode("gb18030")
        start = time.perf_counter()
        page = parse_page(html, "http://" + str(path.relative_to(REALPAGES)), as_of=dt.date(2025, 1, 1))
        assert time.perf_counter() - start < 0.5, path
        assert page.title and page.links
        footer_markings(html)
        doc_metadata(html)
