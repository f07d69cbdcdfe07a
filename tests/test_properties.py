"""Property-based tests of the two parsers of untrusted input (the date parser has its own in test_dates.py):

- extract.html.parse_page over arbitrary and mutated HTML: never raises (not even inside its catch-all), links are
  absolute http(s) URLs without fragments, and a page's own links survive mutations outside them;
- govaudit.config.load_config over arbitrary YAML text: a Config or a located ConfigError, never another exception.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crawler.spiders.site import safe_canonical
from extract import html as xhtml
from govconfig.sites import Config, ConfigError, load_config

BASE = "http://www.example.gov.cn/col/index.html"
TAGS = [
    "html",
    "head",
    "body",
    "div",
    "ul",
    "li",
    "a",
    "span",
    "table",
    "tr",
    "td",
    "p",
    "title",
    "script",
    "style",
    "meta",
    "base",
    "form",
    "iframe",
    "br",
    "h1",
    "font",
    "!--",
    "![CDATA[",
]
PIECES = st.one_of(
    st.sampled_from([f"<{t}>" for t in TAGS] + [f"</{t}>" for t in TAGS]),
    st.sampled_from(
        [
            '<a href="/a.html">通知公告</a>',
            '<a href="javascript:void(0)">x</a>',
            "<a href='//x.test/y'>",
            '<a href="../../../../b.html#f">',
            '<a href="http://[::1">',
            '<a href="http://a:99999/">',
            '<base href="ftp://x/">',
            '<meta http-equiv="refresh" content="0;url=/r.html">',
            "<li><a href='/n/1.html'>标题</a><span>2021-12-01</span></li>",
            "2021年13月45日",
            '<meta name="ColumnName" content="通知公告">',
            '<div class="page">下一页</div>',
            '<a href="?page=2">下一页</a>',
            "&#x0;",
            "&#xd800;",
            "&nbsp;",
            "\x00",
            "\ufeff",
            "<<>>",
            '<a href="%zz">',
            '<a href="http://例子.测试/路径">',
        ]
    ),
    st.text(max_size=20),
)
HTML = st.lists(PIECES, max_size=60).map("".join)

LIST_PAGE = (
    "<html><head><title>通知公告 - 九江市人民政府</title></head><body><div class='list'><ul>"
    + "".join(
        f"<li><a href='/tzgg/{i}.html'>第{i}号通知</a><span>2021-12-{i + 1:02d}</span></li>"
        for i in range(10)
    )
    + "</ul></div></body></html>"
)


def _check_page(parsed: xhtml.ParsedPage) -> None:
    assert isinstance(parsed, xhtml.ParsedPage)
    for link in parsed.links:
        assert isinstance(link.url, str) and "#" not in link.url  # absolute, fragment removed
        # A link may still be no valid URL ("http://[::1"): the crawler skips those (crawler.spiders.site.
        # safe_canonical), so that one is checked here too.
        assert safe_canonical(link.url) is None or isinstance(safe_canonical(link.url), str)
    for entry in parsed.entries:
        assert isinstance(entry.title, str)
        assert entry.date is None or isinstance(entry.date, dt.date)


@settings(max_examples=300, deadline=2000, suppress_health_check=[HealthCheck.too_slow])
@given(HTML)
def test_parse_page_never_raises(html):
    parsed = xhtml._parse_page(html, BASE, dt.date(2021, 12, 20))  # below parse_page's catch-all
    _check_page(parsed)
    _check_page(xhtml.parse_page(html, BASE, as_of=dt.date(2021, 12, 20)))


@settings(max_examples=200, deadline=2000)
@given(st.integers(0, len(LIST_PAGE)), st.integers(0, 40), HTML)
def test_mutated_list_page(cut, drop, noise):
    """Cut, dropped and inserted bytes anywhere: still no exception; the entries before the damage survive."""
    mutated = LIST_PAGE[:cut] + noise + LIST_PAGE[cut + drop :]
    parsed = xhtml._parse_page(mutated, BASE, dt.date(2021, 12, 20))
    _check_page(parsed)
    truncated = xhtml._parse_page(LIST_PAGE[:cut], BASE, dt.date(2021, 12, 20))
    _check_page(truncated)
    intact = LIST_PAGE[:cut].count("</li>")
    urls = {link.url for link in truncated.links}
    for i in range(intact):
        assert f"http://www.example.gov.cn/tzgg/{i}.html" in urls, (i, cut)


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=3000))
def test_parse_page_on_bytes_decoded_any_way(data):
    for enc in ("utf-8", "gb18030", "latin-1"):
        _check_page(xhtml._parse_page(data.decode(enc, "replace"), BASE, None))


# ------------------------------------------------------------------------------------------ the config loader

VALID = {
    "defaults": {"max_pages": 10, "delay_s": 0.5},
    "network": {"nameservers": ["127.0.0.1:5353"], "allow_private": True},
    "sites": [
        {"id": "a", "name": "甲", "url": "http://a.example.test/", "level": "county", "unit": "办"},
        {
            "id": "b",
            "name": "乙",
            "url": "https://b.example.test/",
            "level": "department",
            "unit": "办",
            "parent": "a",
            "hosts": ["c.example.test"],
            "timeout_s": 3,
        },
    ],
}
VALID_TEXT = yaml.safe_dump(VALID, allow_unicode=True, sort_keys=False)

SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(),
    st.text(max_size=12),
    st.sampled_from(
        [
            "2021-02-30",
            "1e400",
            ".inf",
            ".nan",
            "0x1F",
            "0o17",
            "~",
            "yes",
            "no",
            "!!binary zzz",
            "!!python/object:os.system",
            "*x",
            "&x",
            "<<",
            "- -",
            "municipal",
            "http://",
            "::1",
            "[::1]:53",
            "1.2.3.4:0",
            "9" * 5000,
        ]
    ),
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(
            st.text(max_size=8)
            | st.sampled_from(
                [
                    "id",
                    "url",
                    "sites",
                    "defaults",
                    "network",
                    "level",
                    "max_pages",
                    "hosts",
                    "parent",
                    "nameservers",
                ]
            ),
            inner,
            max_size=5,
        ),
    ),
    max_leaves=20,
)


def _load(text: str) -> Config | ConfigError:
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "sites.yaml"
        path.write_text(text, encoding="utf-8")
        try:
            return load_config(path)
        except ConfigError as exc:
            assert str(path) in str(exc)
            return exc


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300))
def test_config_arbitrary_text(text):
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return
    assert isinstance(_load(text), (Config, ConfigError))


@settings(max_examples=300, deadline=None)
@given(VALUES)
def test_config_arbitrary_yaml_documents(doc):
    try:
        text = yaml.safe_dump(doc, allow_unicode=True)
    except (yaml.YAMLError, ValueError, OverflowError):
        return
    assert isinstance(_load(text), (Config, ConfigError))


@settings(max_examples=300, deadline=None)
@given(st.integers(0, len(VALID_TEXT)), st.integers(0, 10), st.text(max_size=15) | SCALARS.map(str))
def test_config_mutated(at, drop, insert):
    text = VALID_TEXT[:at] + insert + VALID_TEXT[at + drop :]
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return
    result = _load(text)
    assert isinstance(result, (Config, ConfigError))
    if isinstance(result, ConfigError) and result.line is not None:
        assert 1 <= result.line <= text.count("\n") + 2


def test_valid_config_loads():
    config = _load(VALID_TEXT)
    assert isinstance(config, Config) and [s.id for s in config.sites] == ["a", "b"]
