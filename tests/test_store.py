"""Storage round trip on SQLite and PostgreSQL: alembic to head, rows written through the crawler's
StorePipeline and directly, read back with store.loader.load_site_artifacts()."""

from __future__ import annotations

import datetime as dt
import uuid
import zlib
from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, func, inspect, select, text
from sqlalchemy.engine import make_url

from crawler import pipelines
from crawler.items import EntryItem, FailureItem, LinkCheckItem, LinkItem, PageItem
from store.db import MIGRATIONS, Store
from store.loader import load_site_artifacts
from store.models import FetchFailureRow, LinkCheck, ListEntryRow, Page, ProbeRow, Run, RunSite

HOME = "http://www.test-xq.gov.cn/"
COLUMN = HOME + "xxgk/tzgg/"
COLUMN_P2 = COLUMN + "index_1.html"
MISSING = HOME + "old/gone.html"
GOV = "http://www.gov.cn/"
DEAD = "http://dead.example.cn/"
AS_OF = dt.date(2021, 12, 20)
TABLES = {
    "runs",
    "run_sites",
    "pages",
    "links",
    "list_entries",
    "fetch_failures",
    "link_checks",
    "probes",
    "check_results",
    "alembic_version",
}
SITE = {
    "id": "xq",
    "name": "测试区人民政府",
    "url": HOME,
    "level": "county",
    "unit": "测试区人民政府办公室",
    "parent": "jiujiang",
    "site_code": "3604000001",
    "hosts": ["www.test-xq.gov.cn"],
    "limits": {},
}
OTHER = {
    **SITE,
    "id": "yq",
    "name": "另一区人民政府",
    "url": "http://www.test-yq.gov.cn/",
    "hosts": ["www.test-yq.gov.cn"],
}
HOME_HTML = (
    "<html><head><title>测试区人民政府</title></head><body><p>政务公开 通知公告 浔阳区</p></body></html>"
)


@pytest.fixture
def fresh_postgres_url(postgres_url: str) -> Iterator[str]:
    """An empty database of its own on the session's PostgreSQL cluster."""
    name = "t_" + uuid.uuid4().hex[:12]
    admin = create_engine(make_url(postgres_url).set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(postgres_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[Store]:
    url = request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "fresh_postgres_url")
    s = Store(url)
    monkeypatch.setattr(pipelines, "STORE", s)
    try:
        yield s
    finally:
        s.close()


def new_run(store: Store, *sites: dict) -> int:
    sites = sites or (SITE,)
    with store.session() as s:
        run = Run(
            as_of=AS_OF,
            tool_version="0.1.0",
            status="complete",
            trigger="manual",
            config={"path": "config/sites.yaml", "sites": list(sites)},
            environment={"ipv6": False},
            site_ids=[x["id"] for x in sites],
            started=dt.datetime(2021, 12, 20, 8, 30, 5),
        )
        s.add(run)
        s.flush()
        for x in sites:
            s.add(RunSite(run_id=run.id, site_id=x["id"], status="done", pages=3))
        return run.id


def entries(prefix: str, day: int, n: int) -> list[EntryItem]:
    return [
        EntryItem(
            f"{prefix}关于做好政务公开工作的通知（第{i}号）",
            f"{COLUMN}t2021120{i}_{day}.html",
            f"2021-12-{day - i:02d}",
            dt.date(2021, 12, day - i),
        )
        for i in range(n)
    ]


def pages() -> list[PageItem]:
    home = PageItem(
        site_id="xq",
        url=HOME,
        final_url=HOME,
        status=200,
        depth=0,
        redirects=[],
        content_type="text/html; charset=utf-8",
        charset_declared="utf-8",
        charset_used="utf-8",
        size=2048,
        fetch_ms=12.5,
        title="测试区人民政府",
        meta={"SiteName": "测试区人民政府", "SiteIDCode": "3604000001"},
        body=HOME_HTML,
        links=[
            LinkItem(COLUMN, "通知公告", "nav", True),
            LinkItem(GOV, "中国政府网", "footer", False),
            LinkItem(DEAD, "", "body", False, image_alt="失效链接图片"),
            LinkItem(MISSING, "旧页面", "body", True),
        ],
    )
    first = PageItem(
        site_id="xq",
        url=COLUMN,
        final_url=COLUMN,
        status=200,
        depth=1,
        content_type="text/html",
        charset_declared="gb2312",
        charset_used="gb18030",
        size=4096,
        title="通知公告_测试区人民政府",
        meta={"ColumnName": "通知公告"},
        is_list=True,
        column_url=COLUMN,
        column_name="通知公告",
        breadcrumb=["首页", "政务公开", "通知公告"],
        body="<html><body>通知公告 第一页</body></html>",
        entries=entries("甲", 19, 3),
        links=[LinkItem(COLUMN_P2, "下一页", "body", True)],
    )
    second = PageItem(
        site_id="xq",
        url=COLUMN_P2,
        final_url=COLUMN_P2,
        status=200,
        depth=1,
        is_list=True,
        column_url=COLUMN,
        column_name="通知公告",
        breadcrumb=["首页", "政务公开", "通知公告"],
        body="<html><body>第二页</body></html>",
        entries=entries("乙", 9, 2),
    )
    missing = PageItem(
        site_id="xq", url=MISSING, final_url=MISSING, status=404, depth=1, body="<html>404</html>"
    )
    return [home, first, second, missing]


def feed(items: list, run_id: int, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pipelines, "RUN_ID", run_id)
    pipe = pipelines.StorePipeline()
    pipe.open_spider()
    for item in items:
        assert pipe.process_item(item) is item
    pipe.close_spider()


def _heads() -> list[str]:
    """Every head revision of store/migrations (branches written side by side are all applied)."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    from store.db import MIGRATIONS

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return ScriptDirectory.from_config(cfg).get_heads()


def test_empty_database_is_migrated_to_head(store: Store) -> None:
    assert TABLES <= set(inspect(store.engine).get_table_names())
    with store.engine.connect() as conn:
        versions = set(conn.execute(text("select version_num from alembic_version")).scalars())
    assert versions == set(_heads())
    Store(store.url).close()  # opening again is a no-op upgrade


def test_round_trip(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    run_id = new_run(store)
    items: list = pages()
    items += [
        FailureItem("xq", HOME + "dns-fail.html", "dns", "域名解析失败：测试"),
        FailureItem("xq", MISSING, "http", "HTTP 404", status=404),
        LinkCheckItem("xq", DEAD, None, "dns", "域名解析失败", attempts=1),
        LinkCheckItem("xq", DEAD, None, "dns", "域名解析失败（第二次）", attempts=2, confirmed=True),
        LinkCheckItem("xq", GOV, 200, None, "", attempts=1),
        LinkCheckItem("xq", MISSING, 404, "http", "HTTP 404", attempts=2, confirmed=True),
    ]
    feed(items, run_id, monkeypatch)
    at = dt.datetime(2021, 12, 20, 9, 0, 1)
    with store.session() as s:
        s.add(
            ProbeRow(
                run_id=run_id,
                site_id="xq",
                kind="availability",
                target=HOME,
                at=at,
                ok=True,
                duration_ms=321.5,
                data={"status": 200, "说明": "首页可访问", "addrs": ["127.0.0.1"]},
            )
        )
        s.add(
            ProbeRow(
                run_id=run_id,
                site_id="xq",
                kind="dns",
                target="www.test-xq.gov.cn",
                at=at + dt.timedelta(seconds=1),
                ok=False,
                data={"aaaa": []},
            )
        )

    with store.session() as s:
        body = s.scalar(select(Page.body).where(Page.url == HOME))
        assert zlib.decompress(body).decode("utf-8") == HOME_HTML  # stored compressed
        assert s.scalar(select(func.count(LinkCheck.id))) == 3  # the second DEAD check updated the first
        site = load_site_artifacts(s, run_id, "xq")

    assert (site.site_id, site.name, site.home_url, site.level, site.unit, site.site_code, site.parent) == (
        "xq",
        "测试区人民政府",
        HOME,
        "county",
        "测试区人民政府办公室",
        "3604000001",
        "jiujiang",
    )
    assert site.crawl_complete and site.environment == {"ipv6": False}

    # Ordered by depth, then URL (not by storing order), so two crawls of one site give the same artifacts.
    assert [p.url for p in site.pages] == sorted([HOME, COLUMN, COLUMN_P2, MISSING],
                                                 key=lambda u: (next(p.depth for p in site.pages if p.url == u), u))
    assert [p.url for p in site.pages][0] == HOME
    home = site.home
    assert home is not None and home.html == HOME_HTML
    assert (
        home.status,
        home.content_type,
        home.title,
        home.depth,
        home.charset_declared,
        home.charset_used,
        home.rendered,
        home.js_shell,
        home.redirects,
    ) == (200, "text/html; charset=utf-8", "测试区人民政府", 0, "utf-8", "utf-8", False, False, ())
    assert dict(home.meta) == {"SiteName": "测试区人民政府", "SiteIDCode": "3604000001"}
    col = site.page(COLUMN)
    assert col is not None and (col.charset_declared, col.charset_used) == ("gb2312", "gb18030")
    assert site.page(MISSING).status == 404

    links = {link.target_url: link for link in site.links_from(HOME)}
    assert set(links) == {COLUMN, GOV, DEAD, MISSING}
    assert (links[COLUMN].anchor, links[COLUMN].region, links[COLUMN].internal, links[COLUMN].status) == (
        "通知公告",
        "nav",
        True,
        200,
    )
    assert (
        links[GOV].region,
        links[GOV].internal,
        links[GOV].status,
        links[GOV].error_kind,
        links[GOV].confirmed,
    ) == ("footer", False, 200, None, False)
    assert (links[DEAD].image_alt, links[DEAD].status, links[DEAD].error_kind, links[DEAD].confirmed) == (
        "失效链接图片",
        None,
        "dns",
        True,
    )
    assert (links[MISSING].status, links[MISSING].error_kind, links[MISSING].confirmed) == (404, "http", True)
    assert site.links_from(COLUMN)[0].status == 200  # pagination link: the crawled page's own status

    assert {(f.url, f.kind, f.status) for f in site.failures} == {
        (HOME + "dns-fail.html", "dns", None),
        (MISSING, "http", 404),
    }
    assert any(f.message == "域名解析失败：测试" for f in site.failures)

    # Entries keep their list page and their column (the first page of the paginated list).
    assert len(site.entries) == 5
    assert {e.list_url for e in site.entries} == {COLUMN, COLUMN_P2}
    assert {e.column_url for e in site.entries} == {COLUMN}
    first = site.entries[0]
    assert (first.title, first.date_text, first.date, first.column_name) == (
        "甲关于做好政务公开工作的通知（第0号）",
        "2021-12-19",
        dt.date(2021, 12, 19),
        "通知公告",
    )

    [column] = site.columns
    assert (column.url, column.name, column.pages, column.path, column.js_shell) == (
        COLUMN,
        "通知公告",
        (COLUMN, COLUMN_P2),
        ("首页", "政务公开", "通知公告"),
        False,
    )
    assert len(column.entries) == 5 and column.newest == dt.date(2021, 12, 19)

    assert [p.kind for p in site.probes] == ["availability", "dns"]
    probe = site.probes_of("availability")[0]
    assert (probe.target, probe.at, probe.ok, probe.duration_ms) == (HOME, at, True, 321.5)
    assert dict(probe.data) == {"status": 200, "说明": "首页可访问", "addrs": ["127.0.0.1"]}

    with store.session() as s:
        run = s.get(Run, run_id)
        assert (run.as_of, run.started, run.site_ids) == (AS_OF, dt.datetime(2021, 12, 20, 8, 30, 5), ["xq"])


def test_same_page_twice_is_stored_once(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    run_id = new_run(store)
    home = pages()[0]
    feed([home, home], run_id, monkeypatch)  # within one flush
    feed([home], run_id, monkeypatch)  # again later (a resumed crawl)
    with store.session() as s:
        assert s.scalar(select(func.count(Page.id)).where(Page.run_id == run_id)) == 1
        site = load_site_artifacts(s, run_id, "xq")
    assert len(site.links) == 4  # the links of the page are not stored twice either
    other_run = new_run(store)
    feed([home], other_run, monkeypatch)  # another run stores its own copy
    with store.session() as s:
        assert s.scalar(select(func.count(Page.id))) == 2


def test_link_checks_of_two_sites_stay_apart(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    """Two sites of one run link to the same off-site target: each keeps its own check outcome."""
    run_id = new_run(store, SITE, OTHER)
    feed([LinkCheckItem("xq", GOV, 200, None, "")], run_id, monkeypatch)
    feed(
        [LinkCheckItem("yq", GOV, None, "timeout", "请求超时", attempts=2, confirmed=True)],
        run_id,
        monkeypatch,
    )
    with store.session() as s:
        rows = {c.site_id: (c.status, c.kind, c.confirmed) for c in s.scalars(select(LinkCheck))}
    assert rows == {"xq": (200, None, False), "yq": (None, "timeout", True)}


def test_rows_of_other_sites_and_runs_are_not_loaded(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    run_id = new_run(store, SITE, OTHER)
    feed(pages(), run_id, monkeypatch)
    with store.session() as s:
        s.add(ListEntryRow(run_id=run_id, site_id="yq", list_url="x", column_url="x", title="别的网站"))
        s.add(FetchFailureRow(run_id=run_id, site_id="yq", url="x", kind="dns"))
    with store.session() as s:
        other = load_site_artifacts(s, run_id, "yq")
        with pytest.raises(KeyError):
            load_site_artifacts(s, run_id + 1, "xq")
        with pytest.raises(KeyError):
            load_site_artifacts(s, run_id, "nosuchsite")
    assert other.pages == () and other.links == () and other.columns == ()
    assert [e.title for e in other.entries] == ["别的网站"] and len(other.failures) == 1


def test_alembic_downgrade_to_base_and_upgrade_again(sqlite_url: str) -> None:
    from alembic import command
    from alembic.config import Config

    store = Store(sqlite_url)
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    try:
        with store.engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, "base")
        assert set(inspect(store.engine).get_table_names()) <= {"alembic_version"}
        with store.engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")
        assert TABLES <= set(inspect(store.engine).get_table_names())
        with store.session() as s:  # usable again
            s.add(Run(as_of=AS_OF, tool_version="0.1.0"))
        with store.session() as s:
            assert s.scalar(select(func.count(Run.id))) == 1
    finally:
        store.close()
