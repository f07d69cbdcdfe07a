"""SiteSpider callbacks on saved pages (tests/fixtures/pages/): no network, no reactor."""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from scrapy import Request
from scrapy.exceptions import DontCloseSpider
from scrapy.http import HtmlResponse, Response
from scrapy.utils.test import get_crawler

from crawler.items import FailureItem, LinkCheckItem, PageItem
from crawler.spiders.site import SiteSpider

PAGES = Path(__file__).parent / "fixtures" / "pages"
HOME = "http://www.test-xq.gov.cn/"
TZGG = HOME + "xxgk/tzgg/"
ZCWJ = HOME + "xxgk/zcwj/"
AS_OF = dt.date(2021, 12, 20)
HTML = {"Content-Type": "text/html; charset=utf-8"}


def site(**limits: Any) -> dict[str, Any]:
    return {
        "id": "xq",
        "name": "测试区人民政府",
        "url": HOME,
        "level": "county",
        "unit": "测试区人民政府办公室",
        "hosts": ["www.test-xq.gov.cn", "test-xq.gov.cn"],
        "limits": limits,
    }


def make_spider(**limits: Any) -> SiteSpider:
    return SiteSpider(site=site(**limits), as_of=AS_OF, render=True)


def start_request(spider: SiteSpider) -> Request:
    async def first() -> Request:
        async for request in spider.start():
            return request
        raise AssertionError("the spider made no start request")

    return asyncio.run(first())


def respond(
    url: str,
    name: str | None = None,
    *,
    body: bytes | None = None,
    status: int = 200,
    headers: dict[str, str] | None = None,
    meta: dict[str, Any] | None = None,
    encoding: str | None = "utf-8",
    request: Request | None = None,
) -> HtmlResponse:
    if body is None:
        body = (PAGES / name).read_bytes() if name else b""
    request = request or Request(url, meta=meta or {"depth_site": 0})
    kwargs = {"encoding": encoding} if encoding else {}
    return HtmlResponse(
        url=url,
        body=body,
        status=status,
        headers=HTML if headers is None else headers,
        request=request,
        **kwargs,
    )


def split(results: list[Any]) -> tuple[list[PageItem], list[Request], list[Any]]:
    items = [r for r in results if isinstance(r, PageItem)]
    requests = [r for r in results if isinstance(r, Request)]
    other = [r for r in results if not isinstance(r, (PageItem, Request))]
    return items, requests, other


def crawl_home(spider: SiteSpider) -> tuple[PageItem, list[Request]]:
    req = start_request(spider)
    [item], requests, other = split(list(spider.parse(respond(HOME, "home.html", request=req))))
    assert other == []
    return item, requests


def test_home_page_yields_item_links_entries_and_internal_requests() -> None:
    spider = make_spider()
    item, requests = crawl_home(spider)

    assert (item.site_id, item.url, item.final_url, item.status, item.depth) == ("xq", HOME, HOME, 200, 0)
    assert item.title == "测试区人民政府" and item.meta["SiteIDCode"] == "3604000001"
    assert item.charset_used == "utf-8" and item.charset_declared == "utf-8"
    assert "政府网站标识码" in item.body and not item.is_list and not item.js_shell

    links = {link.target_url: link for link in item.links}
    assert links[TZGG].region == "nav" and links[TZGG].internal and links[TZGG].anchor == "通知公告"
    assert links[HOME + "zwgk/"].internal  # fragment dropped
    assert links["http://www.gov.cn/"].region == "footer" and not links["http://www.gov.cn/"].internal
    jx = links["https://www.jiangxi.gov.cn/"]
    assert not jx.internal and jx.image_alt == "江西省人民政府" and jx.anchor == ""
    assert not any(t.startswith(("mailto:", "javascript:")) for t in links)

    assert [(e.title, e.date) for e in item.entries] == [
        ("关于开展2021年度政务公开工作考核的通知", dt.date(2021, 12, 18)),
        ("测试区召开政府常务会议", dt.date(2021, 12, 15)),
        ("关于冬季安全生产的公告", dt.date(2021, 12, 10)),
    ]

    urls = [r.url for r in requests]
    assert set(urls) == {
        TZGG,
        ZCWJ,
        HOME + "zwgk/",
        *(HOME + f"xxgk/tzgg/202112/t2021121{d}_{i}.html" for d, i in (("8", 1), ("5", 2), ("0", 3))),
    }
    assert len(urls) == len(set(urls))  # the home page itself is not requested again
    assert all(r.meta["depth_site"] == 1 and r.callback == spider.parse for r in requests)
    # Off-site and document targets are checked as links, never crawled as pages.
    assert set(spider.to_check) == {
        "http://www.gov.cn/",
        "https://www.jiangxi.gov.cn/",
        HOME + "uploads/2021/jiedu.pdf",
    }


def test_page_budget_is_respected() -> None:
    spider = make_spider(max_pages=3)
    _, requests = crawl_home(spider)
    assert len(requests) == 2 and spider.scheduled == 3
    # Later pages schedule nothing more.
    _, more, _ = split(list(spider.parse(respond(TZGG, "list.html", request=requests[0]))))
    assert more == []


def test_depth_is_respected() -> None:
    spider = make_spider(max_depth=1)
    _, requests = crawl_home(spider)
    tzgg = next(r for r in requests if r.url == TZGG)
    [item], more, _ = split(list(spider.parse(respond(TZGG, "list.html", request=tzgg))))
    assert item.depth == 1
    # Links of a depth-1 page would be depth 2: not requested. Pagination stays at its column's depth.
    assert {r.url for r in more} == {TZGG + "index_1.html", TZGG + "index_2.html"}
    assert all(r.meta["depth_site"] == 1 for r in more)


def test_pagination_pages_belong_to_the_first_pages_column() -> None:
    spider = make_spider()
    first = Request(TZGG, meta={"depth_site": 1})
    [item], requests, _ = split(list(spider.parse(respond(TZGG, "list.html", request=first))))
    assert item.is_list and item.column_url == TZGG and item.column_name == "通知公告"
    assert item.breadcrumb == ["首页", "政务公开", "通知公告"] and len(item.entries) == 5
    pages = [r for r in requests if r.meta.get("column_url")]
    assert [r.url for r in pages] == [TZGG + "index_1.html", TZGG + "index_2.html"]
    assert all(r.meta["column_url"] == TZGG for r in pages)
    assert all(r.priority > requests[-1].priority for r in pages)  # pagination before new columns

    nxt = pages[0]
    body = (PAGES / "list.html").read_bytes().replace(b'href="index_1.html"', b'href="index_2.html"')
    [second], _, _ = split(list(spider.parse(respond(nxt.url, body=body, request=nxt))))
    assert second.url == TZGG + "index_1.html"
    assert second.is_list and second.column_url == TZGG and second.column_name == "通知公告"


def test_query_string_pagination() -> None:
    spider = make_spider()
    req = Request(ZCWJ, meta={"depth_site": 1})
    [item], requests, _ = split(list(spider.parse(respond(ZCWJ, "list_qs.html", request=req))))
    assert item.is_list and item.column_url == ZCWJ
    assert [e.date for e in item.entries] == [
        dt.date(2021, 12, 1),
        dt.date(2021, 11, 5),
        dt.date(2021, 10, 8),
    ]
    pages = {r.url: r for r in requests if r.meta.get("column_url")}
    assert set(pages) == {ZCWJ + "?page=2", ZCWJ + "?page=3"}
    [p2], _, _ = split(
        list(spider.parse(respond(ZCWJ + "?page=2", "list_qs.html", request=pages[ZCWJ + "?page=2"])))
    )
    assert p2.url == ZCWJ + "?page=2" and p2.column_url == ZCWJ


def test_gbk_page_with_charset_only_in_meta() -> None:
    spider = make_spider()
    url = HOME + "xxgk/tzgg/202112/t20211216_9.html"
    raw = (PAGES / "gbk.html").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    resp = respond(
        url,
        body=raw,
        headers={"Content-Type": "text/html"},
        encoding=None,
        request=spider._page_request(url, 2, {}),
    )
    [item], requests, _ = split(list(spider.parse(resp)))
    assert item.charset_declared == "gb2312"
    assert item.charset_used == "gb18030"
    assert item.title == "关于朱镕基同志事迹展览的通知_测试区人民政府"  # 镕 is GBK, not GB2312
    assert "联系人：王珺" in item.body and item.meta["PubDate"] == "2021-12-16 09:30"
    assert item.size == len(raw) and item.content_type == "text/html"
    assert {r.url for r in requests} == {HOME, TZGG}  # its own URL is not requested again


def test_binary_served_as_html_is_stored_without_body() -> None:
    spider = make_spider()
    url = HOME + "download.html"
    blob = bytes(range(256)) * 40
    resp = respond(
        url,
        body=blob,
        headers={"Content-Type": "text/html"},
        encoding="utf-8",
        request=Request(url, meta={"depth_site": 1}),
    )
    [item], requests, other = split(list(spider.parse(resp)))
    assert (item.url, item.status, item.size, item.body) == (url, 200, len(blob), None)
    assert item.links == [] and item.entries == [] and requests == [] and other == []


def test_not_found_is_stored_and_queued_for_recheck() -> None:
    crawler = get_crawler(SiteSpider)
    spider = SiteSpider.from_crawler(crawler, site=site(), as_of=AS_OF, render=True)
    url = HOME + "old/gone.html"
    body = b"<html><head><title>404</title></head><body><p>page not found</p></body></html>"
    [item], _, _ = split(
        list(spider.parse(respond(url, body=body, status=404, request=Request(url, meta={"depth_site": 1}))))
    )
    assert (item.url, item.status, item.title) == (url, 404, "404")
    assert spider.failed_pages[url] == ("http", "HTTP 404", 404)

    queued: list[Request] = []
    crawler.engine = SimpleNamespace(crawl=queued.append)  # the idle handler hands requests to the engine
    with pytest.raises(DontCloseSpider):
        spider.on_idle(spider)
    [check] = [r for r in queued if r.url == url]
    assert check.meta["linkcheck"] and check.meta["attempt"] == 2 and check.dont_filter
    assert check.callback == spider.on_checked

    # The re-check fails again: a confirmed broken link.
    [result] = list(spider.on_checked(HtmlResponse(url=url, status=404, body=b"", request=check)))
    assert isinstance(result, LinkCheckItem)
    assert (result.target_url, result.status, result.kind, result.confirmed) == (url, 404, "http", True)


def test_offsite_link_check_needs_two_failures() -> None:
    crawler = get_crawler(SiteSpider)
    spider = SiteSpider.from_crawler(crawler, site=site(), as_of=AS_OF, render=True)
    crawl_home(spider)
    queued: list[Request] = []
    crawler.engine = SimpleNamespace(crawl=queued.append)
    with pytest.raises(DontCloseSpider):
        spider.on_idle(spider)
    gov = next(r for r in queued if r.url == "http://www.gov.cn/")
    assert list(spider.on_checked(Response("http://www.gov.cn/", status=503, request=gov))) == []  # 1st try
    queued.clear()
    with pytest.raises(DontCloseSpider):
        spider.on_idle(spider)
    [again] = queued
    [result] = list(spider.on_checked(Response("http://www.gov.cn/", status=503, request=again)))
    assert (result.status, result.attempts, result.confirmed) == (503, 2, True)
    spider.on_idle(spider)  # nothing left: the spider may close


@pytest.mark.parametrize("limits", [{}, {"render_js": "auto"}])
def test_js_shell_is_rendered_under_auto(limits: dict[str, Any]) -> None:
    spider = make_spider(**limits)
    url = HOME + "xxgk/"
    resp = respond(url, "js_shell.html", request=Request(url, meta={"depth_site": 1}))
    results = list(spider.parse(resp))
    items, [again], other = split(results)
    assert items == [] and other == []
    assert again.url == url and again.meta["playwright"] is True and again.dont_filter
    assert again.errback == spider.on_render_error and again.meta["depth_site"] == 1

    # Rendered: the browser's copy is stored as a rendered page, not a shell.
    rows = "".join(
        f'<li><a href="/xxgk/a{i}.html">公开文件{i}</a><span>2021-12-0{i}</span></li>' for i in range(1, 6)
    )
    body = (
        (PAGES / "js_shell.html")
        .read_text(encoding="utf-8")
        .replace('<ul id="docList" class="list"></ul>', f'<ul id="docList" class="list">{rows}</ul>')
        .encode()
    )
    [item], _, _ = split(list(spider.parse(respond(url, body=body, request=again))))
    assert item.rendered and not item.js_shell and item.is_list and len(item.entries) == 5


def test_js_shell_render_failure_keeps_the_static_copy() -> None:
    spider = make_spider()
    url = HOME + "xxgk/"
    _, [again], _ = split(
        list(spider.parse(respond(url, "js_shell.html", request=Request(url, meta={"depth_site": 1}))))
    )
    failure = SimpleNamespace(request=again, value=RuntimeError("browser crashed"))
    results = list(spider.on_render_error(failure))
    [fail] = [r for r in results if isinstance(r, FailureItem)]
    [item] = [r for r in results if isinstance(r, PageItem)]
    assert fail.kind == "render" and item.js_shell and not item.rendered and item.is_list


@pytest.mark.parametrize("render,limits", [(True, {"render_js": "never"}), (False, {})])
def test_js_shell_is_stored_as_shell_under_never(render: bool, limits: dict[str, Any]) -> None:
    spider = SiteSpider(site=site(**limits), as_of=AS_OF, render=render)
    url = HOME + "xxgk/"
    [item], requests, _ = split(
        list(spider.parse(respond(url, "js_shell.html", request=Request(url, meta={"depth_site": 1}))))
    )
    assert item.js_shell and not item.rendered and item.is_list and item.entries == []
    assert not any(r.meta.get("playwright") for r in requests)


def test_render_always_marks_every_request() -> None:
    spider = make_spider(render_js="always")
    assert start_request(spider).meta["playwright"] is True


APP_SHELL = (
    b'<html><head><meta charset="utf-8"><title>\xe6\xb5\x8b\xe8\xaf\x95</title>'
    b'<script src="/static/app.js"></script></head><body><div id="app"></div></body></html>'
)


def test_single_page_app_shell_is_rendered_not_judged_empty() -> None:
    spider = make_spider(render_js="auto")
    [req] = list(spider.parse(respond(HOME, body=APP_SHELL)))
    assert isinstance(req, Request) and req.meta["playwright"] is True


def test_single_page_app_shell_without_browser_is_stored_as_shell() -> None:
    spider = make_spider(render_js="never")
    [item] = [i for i in spider.parse(respond(HOME, body=APP_SHELL)) if isinstance(i, PageItem)]
    assert item.js_shell and not item.rendered


def test_remote_control_and_telnet_console_are_off() -> None:
    from crawler import settings

    assert settings.REMOTE_CONTROL_ENABLED is False and settings.TELNETCONSOLE_ENABLED is False
    assert settings.COOKIES_ENABLED is False and settings.ROBOTSTXT_OBEY is True
