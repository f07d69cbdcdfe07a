"""Checks run on real government pages, each taken as a one-page site (only that page crawled).

The pages stay in ../shared/realpages (read there, never copied). With one page crawled, nothing the page links to
was fetched: a check may judge what is on the page, but may not call something absent that would be on pages we
never read (the 政府信息公开 column, its 年报, 规范性文件 ...), nor blame a department for a header drawn by script.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest

from extract.html import parse_page
from inspections.artifacts import LinkArtifact, ListEntry, PageArtifact, SiteArtifacts
from inspections.runner import inspect_site, load_scoring

REALPAGES = Path(__file__).resolve().parents[2] / "shared" / "realpages"

pytestmark = pytest.mark.skipif(
    not REALPAGES.is_dir(), reason=f"real page corpus not available at {REALPAGES} (../shared/realpages)"
)

YICHUN = "www.yichun.gov.cn/index.html"  # 宜春 portal home page, generated 2023-10-11
BJXCH = "www.bjxch.gov.cn/modified-copy/index.html"  # 西城区 home page
BJFT = "www.bjft.gov.cn/modified-copy/index.html"  # 丰台区 page; friendly links include 中国青年报
XIANGTAN = "www.xiangtan.gov.cn/modified-copy/index.html"  # GB2312; header and footer drawn by script
XA = "www.xa.gov.cn/xw/zwzx/qxrd/1833316118612205569.html"  # nav names the column only “公开”

ABSENCE_CHECKS = ("annual-report", "normative-documents", "enforcement-disclosure", "execution-disclosure")
_DATE = re.compile(r"(20\d\d)[-年/.](\d{1,2})[-月/.](\d{1,2})")


def _read(rel: str) -> str:
    path = REALPAGES / rel
    if not path.is_file():
        pytest.skip(f"{rel} not in the real page corpus")
    raw = path.read_bytes()
    head = raw[:3000].lower()
    return raw.decode("gb18030" if b"gb2312" in head or b"gbk" in head else "utf-8")


def _as_of(html: str) -> dt.date:
    """The day after the newest date printed on the page."""
    days = []
    for y, m, d in _DATE.findall(html):
        try:
            days.append(dt.date(int(y), int(m), int(d)))
        except ValueError:
            continue
    return max(days) + dt.timedelta(days=1)


def one_page_site(rel: str, *, level: str = "county") -> tuple[SiteArtifacts, dt.date]:
    """The page as the whole crawl: home page status 200, its links never fetched, no probes."""
    html = _read(rel)
    host = rel.split("/", 1)[0]
    url = f"http://{rel}"
    as_of = _as_of(html)
    parsed = parse_page(html, url, as_of=as_of)
    links = tuple(
        LinkArtifact(
            source_url=url,
            target_url=lk.url,
            anchor=lk.anchor,
            region=lk.region,
            internal=lk.url.split("/")[2:3] == [host],
            status=None,
            image_alt=lk.image_alt,
        )
        for lk in parsed.links
    )
    entries = tuple(ListEntry(url, url, "", e.title, e.url, e.date_text, e.date) for e in parsed.entries)
    page = PageArtifact(
        url=url,
        final_url=url,
        status=200,
        title=parsed.title,
        meta=dict(parsed.meta),
        html=html,
        js_shell=parsed.js_shell,
    )
    site = SiteArtifacts(
        site_id=host.split(".")[1],
        name=host,
        home_url=url,
        level=level,
        pages=(page,),
        links=links,
        entries=entries,
    )
    return site, as_of


def checks_of(rel: str, *, level: str = "county") -> dict[str, dict]:
    site, as_of = one_page_site(rel, level=level)
    result = inspect_site(site, as_of=as_of, scoring=load_scoring())
    return {c["id"]: c for c in result["checks"]}


@pytest.mark.parametrize("rel", [YICHUN, BJXCH, BJFT, XIANGTAN, XA])
def test_absence_is_not_claimed_from_the_home_page_alone(rel):
    """年报, 规范性文件, 行政执法公示 and 执行公开 live behind links we never fetched: not tested, never failed."""
    checks = checks_of(rel)
    for check_id in ABSENCE_CHECKS:
        assert checks[check_id]["status"] == "not_tested", (check_id, checks[check_id]["findings"])
        assert checks[check_id]["points_lost"] == 0


def test_yichun_annual_report_column_linked_but_not_fetched():
    reason = checks_of(YICHUN)["annual-report"]["reason"]
    assert "zfxxgknb/redirect_firstChannel.shtml" in reason and "未抓取" in reason


def test_yichun_home_page_checks_judged_from_the_page():
    checks = checks_of(YICHUN)
    assert checks["homepage-stale"]["status"] == "pass"  # list dates 10-11 without year, as_of 2023-10-12
    assert checks["site-markings"]["status"] == "pass"
    assert checks["stale-columns"]["status"] == "not_tested"  # no column page crawled
    assert (
        checks["standardization-topic"]["status"] == "not_tested"
    )  # image-only link found, topic not fetched


def test_xiangtan_script_drawn_header_and_footer_are_not_tested():
    checks = checks_of(XIANGTAN)
    assert checks["site-markings"]["status"] == "not_tested"
    # The header (top_ln.js / top_jr.js) would carry the 专题 entries: not in the static HTML, not the site's fault.
    assert checks["standardization-topic"]["status"] == "not_tested"
    assert "脚本" in checks["standardization-topic"]["reason"]


def test_bjxch_home_page_without_topic_entry_still_fails():
    """A home page read in full with its navigation and no 专题 entry is judged (the header guard is narrow)."""
    assert checks_of(BJXCH)["standardization-topic"]["status"] == "fail"


def test_bjft_zhongguo_qingnianbao_is_not_the_annual_report_part():
    """丰台's friendly link 中国青年报 contains 年报: it is not the column's 年报 part, so the column is unverified."""
    check = checks_of(BJFT)["disclosure-column"]
    assert check["status"] == "not_tested"
    assert "cyol.net" not in str(check["findings"])


def test_xa_parts_unknown_when_only_the_page_was_read():
    """No 政府信息公开 entry on the page (only “公开”): that fails, but the four parts are unknown, not missing."""
    check = checks_of(XA)["disclosure-column"]
    assert check["status"] == "fail"
    fails = [f["message"] for f in check["findings"] if f["severity"] == "fail"]
    assert fails == ["网站首页未设置“政府信息公开”专栏入口，应按统一名称在首页显著位置设置。"]
    assert check["points_lost"] == 4.0
