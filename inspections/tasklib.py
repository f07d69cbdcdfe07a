"""Readings shared by the checks of the 2021 notice's further tasks (issue 13): consultation-period,
policy-interpretation, decision-catalogue, plans-published, fiscal-disclosure, gazette, annual-statement.

Nothing here judges. It finds columns by name, follows a page that forwards by ``<meta http-equiv="refresh">``
(a CMS column home that only sends the visitor on to its list), reads an article's visible text and its tables,
and judges a yearly document against its deadline. The home page and "was the site read at all" come from
``inspections.readings`` (``readings.home()``, ``readings.gap``).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import urljoin

from extract.html import parse_tree, visible_text
from inspections import readings as _readings
from inspections.artifacts import LinkArtifact, ListEntry, PageArtifact, SiteArtifacts
from inspections.base import Finding, Meta, NotTested, Severity
from inspections.sitemap import (
    Titled,
    canonical,
    column_for,
    columns_named,
    content_of,
    entries_under,
    find_links_anywhere,
    label,
    links_of,
    page_date,
    page_of,
    squash,
    titled,
)

__all__ = [
    "UNREAD_STATES",
    "Column",
    "Titled",
    "article",
    "columns_of",
    "columns_or_not_tested",
    "entry_date",
    "forward_target",
    "items_of",
    "judge_yearly",
    "links_on",
    "page_text",
    "recent_entries",
    "row_finding",
    "squash",
    "table_headers",
    "titled",
    "yearly_deadline",
]

# <meta http-equiv="refresh" content="0; url=./list.html">, attributes in either order, quotes optional.
_REFRESH = re.compile(r"<meta\b[^>]*http-equiv\s*=\s*[\"']?refresh[^>]*>", re.IGNORECASE)
_REFRESH_URL = re.compile(r"content\s*=\s*[\"']?\s*\d*\s*[;,]?\s*url\s*=\s*[\"']?([^\"'>\s]+)", re.IGNORECASE)


def forward_target(page: PageArtifact) -> str | None:
    """The URL a page forwards to by meta refresh (absolute), or None."""
    if not page.html:
        return None
    for tag in _REFRESH.findall(page.html[:8192]):
        found = _REFRESH_URL.search(tag)
        if found:
            return urljoin(page.final_url or page.url, found.group(1).strip())
    return None


def article(site: SiteArtifacts, url: str, *, hops: int = 3) -> PageArtifact | None:
    """The stored page at `url` with its body, after meta-refresh forwarding; None when not fetched or failed."""
    page = page_of(site, url)
    for _ in range(hops):
        if page is None:
            return None
        target = forward_target(page)
        if not target or canonical(target) == canonical(page.final_url or page.url):
            break
        page = page_of(site, target)
    if page is None or page.status is None or page.status >= 400 or not page.html:
        return None
    return page


def fetched(site: SiteArtifacts, url: str) -> bool:
    return article(site, url) is not None


def page_text(page: PageArtifact) -> str:
    return visible_text(parse_tree(page.html)) if page.html else ""


def links_on(site: SiteArtifacts, url: str) -> tuple[LinkArtifact, ...]:
    """Links on the page at `url`, or on the page it forwards to."""
    page = article(site, url)
    if page is None:
        return links_of(site, url)
    return links_of(site, page.final_url or page.url) or links_of(site, page.url)


@dataclass(frozen=True, slots=True)
class Column:
    url: str
    name: str  # the link text or column name it was found by


def columns_of(
    site: SiteArtifacts, names: Sequence[str], *, exclude: Iterable[str] = (), max_len: int = 16
) -> list[Column]:
    """Every column the crawl knows by one of `names`: links to it (anchor or image alt), then column names.

    One per URL, best match first; a headline that happens to contain the name is no column (``columns_only``).
    """
    exclude = tuple(exclude)
    out: dict[str, Column] = {}
    for link in find_links_anywhere(site, names, exclude=exclude, max_len=max_len, columns_only=True):
        out.setdefault(canonical(link.target_url), Column(link.target_url, label(link)))
    for col in columns_named(site, names, exclude=exclude, max_len=max_len):
        out.setdefault(canonical(col.url), Column(col.url, col.name))
    return list(out.values())


def items_of(site: SiteArtifacts, url: str) -> tuple[ListEntry, ...]:
    """The list entries of the column at `url` and its sub-lists, through a meta-refresh forward if any."""
    found = entries_under(site, url)
    if found:
        return found
    page = page_of(site, url)
    target = forward_target(page) if page is not None else None
    return entries_under(site, target) if target else ()


def column_state(site: SiteArtifacts, url: str, *, as_of: dt.date) -> str:
    """``entries`` | ``text`` | ``empty`` | ``js_shell`` | ``unknown`` | ``failed`` (``sitemap.content_of``),
    through a meta-refresh forward."""
    page = page_of(site, url)
    target = forward_target(page) if page is not None else None
    state = content_of(site, target or url, as_of=as_of, subcolumns=True).state
    col = column_for(site, target or url)
    if col is not None and col.js_shell:
        return "js_shell"
    return state


def entry_date(site: SiteArtifacts, entry: ListEntry, *, as_of: dt.date) -> dt.date | None:
    """The printed list date, else the stored article's own date (PubDate, metadata box, URL)."""
    if entry.date is not None:
        return entry.date
    page = page_of(site, entry.link)
    return page_date(page, as_of=as_of) if page is not None else None


# Column states (``column_state``) of a column the crawl could not read: nothing it lists can be called absent.
UNREAD_STATES = ("unknown", "js_shell", "failed")


def columns_or_not_tested(
    site: SiteArtifacts,
    gap: str,
    names: Sequence[str],
    *,
    exclude: Iterable[str],
    gap_reason: str,
    none_reason: str,
) -> list[Column]:
    """``columns_of(site, names)``; none found: NotTested — ``"{gap}，{gap_reason}"`` where the crawl left the
    site unexplored (``Readings.gap``), else ``none_reason``."""
    columns = columns_of(site, names, exclude=exclude)
    if not columns:
        if gap:
            raise NotTested(f"{gap}，{gap_reason}")
        raise NotTested(none_reason)
    return columns


def recent_entries(
    site: SiteArtifacts,
    columns: Sequence[Column],
    *,
    as_of: dt.date,
    lookback_days: int,
    skip_words: Iterable[str],
    keep_undated: bool,
) -> tuple[list[tuple[Column, ListEntry, dt.date | None]], list[str]]:
    """The entries the columns list, published within ``lookback_days`` before ``as_of`` (``entry_date``; an
    entry without a date is kept only with ``keep_undated``), entries whose title names one of ``skip_words``
    left out: [(column, entry, date)] in column and list order, with the state of each column
    (``column_state``)."""
    skip_words = tuple(skip_words)
    found: list[tuple[Column, ListEntry, dt.date | None]] = []
    states: list[str] = []
    for col in columns:
        states.append(column_state(site, col.url, as_of=as_of))
        for entry in items_of(site, col.url):
            if words_in(entry.title, skip_words):
                continue
            day = entry_date(site, entry, as_of=as_of)
            if day is None:
                if not keep_undated:
                    continue
            elif day > as_of or (as_of - day).days > lookback_days:
                continue
            found.append((col, entry, day))
    return found, states


def row_finding(
    meta: Meta,
    severity: Severity,
    message: str,
    *,
    url: str,
    row: Mapping[str, object],
    points: float = 0.0,
) -> Finding:
    """A finding about one row of a check's table (an item, a document): the row as it stands now is its
    evidence (a copy: the row goes on filling in for the table)."""
    return meta.finding(severity, message, url=url, evidence=dict(row), points=points)


def table_headers(page: PageArtifact) -> list[list[str]]:
    """Header cells of each table on the page: its <th> cells, else the cells of its first row (squashed)."""
    root = parse_tree(page.html) if page.html else None
    if root is None:
        return []
    out = []
    for table in root.iter("table"):
        heads = [squash("".join(th.itertext())) for th in table.iter("th")]
        if not heads:
            for tr in table.iter("tr"):
                heads = [squash("".join(td.itertext())) for td in tr if isinstance(td.tag, str)]
                break
        heads = [h for h in heads if h]
        if heads:
            out.append(heads)
    return out


def table_rows(page: PageArtifact) -> list[list[list[str]]]:
    """Each table as rows of squashed cell texts (header row included)."""
    root = parse_tree(page.html) if page.html else None
    if root is None:
        return []
    tables = []
    for table in root.iter("table"):
        rows = []
        for tr in table.iter("tr"):
            rows.append(
                [
                    squash("".join(c.itertext()))
                    for c in tr
                    if isinstance(c.tag, str) and c.tag in ("td", "th")
                ]
            )
        if rows:
            tables.append(rows)
    return tables


def yearly_deadline(year: int, mmdd: str) -> dt.date:
    month, day = (int(x) for x in mmdd.split("-"))
    return dt.date(year, month, day)


judge_yearly = _readings.judge_yearly  # on_time | late | undated | missing (the earliest dated copy counts)


def titled_evidence(item: Titled) -> dict[str, object]:
    return {
        "标题": item.title,
        "地址": item.url,
        "发布日期": item.date.isoformat() if item.date else "未注明",
        "所在页面": item.list_url,
    }


def words_in(text: str, words: Iterable[str]) -> list[str]:
    """The `words` found in `text` (both squashed), in the order given."""
    text = squash(text)
    return [w for w in words if w and squash(w) in text]
