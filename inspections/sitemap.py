"""Finding pages and columns in a stored crawl by what a visitor reads: link text, image alt, column names.

Shared by the 政务公开 checks (disclosure-column, annual-report, standardization-topic, normative-documents,
enforcement-disclosure, execution-disclosure). Pure functions of `SiteArtifacts`; nothing here judges.

Names are matched after removing all white space (``政 府 信 息 公 开`` is 政府信息公开) and are tried with
their synonyms: the caller passes every accepted name, best first. A link's label is its anchor text, or the
alt/title of its image for image-only links (the 宜春 portal links its 基层政务公开 专题 with an image only).

URLs are compared in a canonical form: scheme, fragment, a trailing ``index.html``/``index.shtml``/... and a
trailing slash are ignored, so ``/zfxxgkzn/`` and ``/zfxxgkzn/index.shtml`` are the same page (the gxzf case).
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from extract.dates import date_from_url, parse_date
from extract.docmeta import doc_metadata
from extract.html import parse_page, parse_tree, text_chunks
from inspections.artifacts import ColumnArtifact, LinkArtifact, ListEntry, PageArtifact, SiteArtifacts
from netkit.urls import url_key

# The comparison key of a URL, cached: the checks ask for the keys of the same few thousand links of a site
# again and again (py-spy of a re-judgement, bench/README.md).
canonical = functools.lru_cache(maxsize=1 << 17)(url_key)

__all__ = [
    "Content",
    "Titled",
    "body_chars",
    "canonical",
    "column_for",
    "columns_named",
    "content_of",
    "entries_of",
    "entries_under",
    "find_link",
    "find_links",
    "find_links_anywhere",
    "label",
    "links_of",
    "name_rank",
    "page_date",
    "page_of",
    "reachable_from_home",
    "same_url",
    "squash",
    "titled",
    "under",
]

_WS = re.compile(r"[\s\u00a0\u3000\u200b]+")


@functools.lru_cache(maxsize=1 << 16)
def squash(text: str | None) -> str:
    """Text without any white space (full-width and no-break spaces included). Cached: the same anchors (首页,
    the navigation) come back on every page, and this was the largest part of re-judging a stored crawl
    (py-spy, bench/README.md)."""
    return _WS.sub("", text or "")


def label(link: LinkArtifact) -> str:
    """What a visitor reads on the link: its anchor text, else its image's alt/title."""
    return squash(link.anchor) or squash(link.image_alt)


def same_url(a: str, b: str) -> bool:
    return bool(a) and bool(b) and canonical(a) == canonical(b)


def under(url: str, prefix: str) -> bool:
    """True when `url` is `prefix` or lies in its folder (``/ztzl/jczwgk/zdly/`` is under ``/ztzl/jczwgk/``)."""
    key, base = canonical(url), canonical(prefix)
    if not base:
        return False
    # A page URL (``/a/b.html``) stands for its folder.
    if re.search(r"\.[a-z]{2,6}$", base, re.IGNORECASE):
        base = base.rsplit("/", 1)[0]
    return key == base or key.startswith(base + "/")


def name_rank(
    text: str, names: Sequence[str], *, exclude: Iterable[str] = (), max_len: int | None = 30
) -> tuple[int, int, int] | None:
    """How well `text` names one of `names` (lower is better), or None when it does not.

    (0: exactly a name, 1: a name with a few characters around it, 2: a name inside a longer text), then the
    name's position in `names`, then the text's length.
    """
    text = squash(text)
    if not text or (max_len is not None and len(text) > max_len):
        return None
    if any(word and squash(word) in text for word in exclude):
        return None
    best: tuple[int, int, int] | None = None
    for i, name in enumerate(names):
        name = squash(name)
        if not name or name not in text:
            continue
        if text == name:
            kind = 0
        elif len(text) <= len(name) + 4:
            kind = 1
        else:
            kind = 2
        rank = (kind, i, len(text))
        if best is None or rank < best:
            best = rank
    return best


class _SiteIndex:
    """A site's pages and links by canonical URL, built once: the checks ask for them thousands of times."""

    def __init__(self, site: SiteArtifacts):
        self.site = site
        self.pages: dict[str, PageArtifact] = {}
        for page in site.pages:
            for url in (page.url, page.final_url):
                if url:
                    self.pages.setdefault(canonical(url), page)
        self.links: dict[str, list[tuple[int, LinkArtifact]]] = {}
        for i, link in enumerate(site.links):
            self.links.setdefault(canonical(link.source_url), []).append((i, link))

    @functools.cached_property
    def labelled(self) -> dict[tuple[str | None, str | None], list[tuple[int, LinkArtifact]]]:
        """The site's links grouped by (anchor, image alt), in crawl order within a group: the navigation repeats
        on every page, so a site of thousands of links has a few hundred labels to read."""
        groups: dict[tuple[str | None, str | None], list[tuple[int, LinkArtifact]]] = {}
        for i, link in enumerate(self.site.links):
            groups.setdefault((link.anchor, link.image_alt), []).append((i, link))
        return groups

    @functools.cached_property
    def articles(self) -> frozenset[str]:
        """Canonical URLs of the articles seen as list entries (the site's and its columns')."""
        keys = {canonical(e.link) for e in self.site.entries}
        keys |= {canonical(e.link) for c in self.site.columns for e in c.entries}
        return frozenset(keys)


_last_index: list = [
    None,
    None,
]  # [site, its index]: the site being inspected (checks run one site at a time)


def site_index(site: SiteArtifacts) -> _SiteIndex:
    """The site's index (``inspections.readings.Readings`` builds it once per site; the lookups below reuse it)."""
    if _last_index[0] is not site:
        _last_index[:] = [site, _SiteIndex(site)]
    return _last_index[1]


_index = site_index


def page_of(site: SiteArtifacts, url: str) -> PageArtifact | None:
    """The stored page at `url` (asked-for or final URL, compared canonically)."""
    page = site.page(url)
    if page is not None:
        return page
    return _index(site).pages.get(canonical(url))


def links_of(site: SiteArtifacts, page_url: str) -> tuple[LinkArtifact, ...]:
    """Links found on the page at `page_url` (or on the page it redirected to)."""
    keys = {canonical(page_url)}
    page = page_of(site, page_url)
    if page is not None:
        keys.add(canonical(page.url))
        if page.final_url:
            keys.add(canonical(page.final_url))
    found = _index(site).links
    return tuple(link for _, link in sorted(item for key in keys for item in found.get(key, ())))


Rank = tuple[int, int, int]


def _label_rank(
    anchor: str | None, alt: str | None, names: Sequence[str], exclude: tuple[str, ...], max_len: int | None
) -> Rank | None:
    """How well a link's anchor or image alt names one of `names` (the better of the two), or None."""
    rank = name_rank(anchor, names, exclude=exclude, max_len=max_len)
    alt_rank = name_rank(alt, names, exclude=exclude, max_len=max_len)
    if alt_rank is not None and (rank is None or alt_rank < rank):
        return alt_rank
    return rank


def _best_first(hits: Iterable[tuple[int, Rank, LinkArtifact]]) -> list[LinkArtifact]:
    """Ranked links given in crawl order (order, rank, link): the first link to each target, best rank first."""
    scored: list[tuple[Rank, int, LinkArtifact]] = []
    seen: set[str] = set()
    for order, rank, link in hits:
        key = canonical(link.target_url)
        if key not in seen:
            seen.add(key)
            scored.append((rank, order, link))
    scored.sort(key=lambda item: (item[0], item[1]))
    return [link for _, _, link in scored]


def _ranked(
    links: Iterable[LinkArtifact],
    names: Sequence[str],
    exclude: Iterable[str],
    max_len: int | None,
    href_words: Sequence[str] = (),
) -> list[LinkArtifact]:
    exclude = tuple(exclude)
    hits: list[tuple[int, Rank, LinkArtifact]] = []
    for order, link in enumerate(links):
        rank = _label_rank(link.anchor, link.image_alt, names, exclude, max_len)
        # Image-only links whose image says nothing: the URL slug may (…/jczwgk/…).
        if (
            rank is None
            and href_words
            and not squash(link.anchor)
            and any(word.lower() in link.target_url.lower() for word in href_words)
        ):
            rank = (3, 0, 0)
        if rank is not None:
            hits.append((order, rank, link))
    return _best_first(hits)


def find_links(
    site: SiteArtifacts,
    page_url: str,
    names: Sequence[str],
    *,
    exclude: Iterable[str] = (),
    max_len: int | None = 30,
    href_words: Sequence[str] = (),
) -> list[LinkArtifact]:
    """Links on the page at `page_url` whose label names one of `names`, best match first, one per target.

    `exclude`: words that disqualify a label (looking for 信息公开 but not 信息公开指南). `href_words`: for links
    without any text, URL fragments that identify the target.
    """
    return _ranked(links_of(site, page_url), names, exclude, max_len, href_words)


def find_link(
    site: SiteArtifacts, page_url: str, names: Sequence[str], **kwargs: object
) -> LinkArtifact | None:
    found = find_links(site, page_url, names, **kwargs)  # type: ignore[arg-type]
    return found[0] if found else None


def find_links_anywhere(
    site: SiteArtifacts,
    names: Sequence[str],
    *,
    exclude: Iterable[str] = (),
    max_len: int | None = 30,
    internal_only: bool = True,
    columns_only: bool = False,
) -> list[LinkArtifact]:
    """Links anywhere in the crawl whose label names one of `names`, best match first, one per target.

    `columns_only`: leave out links to articles seen as list entries (a headline 督办市政协重点提案 is no column).
    The same answer as ranking every link in crawl order (``_ranked``), read one label at a time.
    """
    index = _index(site)
    articles = index.articles if columns_only else frozenset()
    exclude = tuple(exclude)
    hits: list[tuple[int, Rank, LinkArtifact]] = []
    for (anchor, alt), group in index.labelled.items():
        rank = _label_rank(anchor, alt, names, exclude, max_len)
        if rank is None:
            continue
        for i, link in group:
            if (link.internal or not internal_only) and canonical(link.target_url) not in articles:
                hits.append((i, rank, link))
    hits.sort(key=lambda item: item[0])
    return _best_first(hits)


def column_for(site: SiteArtifacts, url: str) -> ColumnArtifact | None:
    """The column whose first list page (or one of its list pages) is `url`."""
    key = canonical(url)
    for column in site.columns:
        if canonical(column.url) == key:
            return column
    for column in site.columns:
        if any(canonical(p) == key for p in column.pages):
            return column
    return None


def columns_named(
    site: SiteArtifacts, names: Sequence[str], *, exclude: Iterable[str] = (), max_len: int | None = 30
) -> list[ColumnArtifact]:
    """Columns whose name (or, failing that, innermost breadcrumb) names one of `names`, best first."""
    exclude = tuple(exclude)
    scored = []
    for order, column in enumerate(site.columns):
        rank = name_rank(column.name, names, exclude=exclude, max_len=max_len)
        if rank is None and column.path:
            rank = name_rank(column.path[-1], names, exclude=exclude, max_len=max_len)
        if rank is not None:
            scored.append((rank, order, column))
    scored.sort(key=lambda item: (item[0], item[1]))
    return [column for _, _, column in scored]


def entries_of(site: SiteArtifacts, url: str) -> tuple[ListEntry, ...]:
    """Every list entry seen on the column at `url` (its pages included), without duplicates."""
    key = canonical(url)
    column = column_for(site, url)
    keys = {key}
    if column is not None:
        keys.add(canonical(column.url))
        keys.update(canonical(p) for p in column.pages)
    out: dict[tuple[str, str], ListEntry] = {}
    pool = list(column.entries) if column is not None else []
    pool += [e for e in site.entries if canonical(e.column_url) in keys or canonical(e.list_url) in keys]
    for entry in pool:
        out.setdefault((canonical(entry.link), entry.title), entry)
    return tuple(out.values())


def entries_under(site: SiteArtifacts, url: str) -> tuple[ListEntry, ...]:
    """Entries of the column at `url` and of every column whose list lies in its folder (sub-columns)."""
    out: dict[tuple[str, str], ListEntry] = {(canonical(e.link), e.title): e for e in entries_of(site, url)}
    for column in site.columns:
        if under(column.url, url):
            for entry in column.entries:
                out.setdefault((canonical(entry.link), entry.title), entry)
    for entry in site.entries:
        if under(entry.column_url, url) or under(entry.list_url, url):
            out.setdefault((canonical(entry.link), entry.title), entry)
    return tuple(out.values())


def reachable_from_home(site: SiteArtifacts, url: str, *, max_depth: int | None = None) -> bool:
    """True when following stored links from the home page leads to `url` (within `max_depth` clicks)."""
    target = canonical(url)
    start = canonical(site.home_url)
    home = site.home
    starts = {start} | ({canonical(home.final_url)} if home is not None and home.final_url else set())
    if target in starts:
        return True
    # A page fetched through a redirect is reachable under both names.
    alias: dict[str, str] = {}
    for page in site.pages:
        if page.final_url:
            alias[canonical(page.url)] = canonical(page.final_url)
    graph: dict[str, set[str]] = {}
    for link in site.links:
        graph.setdefault(canonical(link.source_url), set()).add(canonical(link.target_url))
    queue = deque((s, 0) for s in starts)
    seen = set(starts)
    while queue:
        node, depth = queue.popleft()
        if max_depth is not None and depth >= max_depth:
            continue
        nexts = set(graph.get(node, ()))
        if node in alias:
            nexts |= graph.get(alias[node], set())
        for nxt in nexts:
            if nxt == target or alias.get(nxt) == target:
                return True
            if nxt not in seen:
                seen.add(nxt)
                queue.append((nxt, depth + 1))
    return False


# ----------------------------------------------------------------------------------------------- content

# A text chunk that several pages share is template (navigation, footer, side bars): it proves nothing about a
# page's own content. Chunks of the home page, and chunks seen on this many stored pages, are template.
_TEMPLATE_PAGES = 3
_template_cache: list[tuple[SiteArtifacts, frozenset[str]]] = []


def _chunks(html: str) -> list[str]:
    return text_chunks(parse_tree(html)) if html else []


def _template(site: SiteArtifacts) -> frozenset[str]:
    for cached_site, chunks in _template_cache:
        if cached_site is site:
            return chunks
    counts: dict[str, int] = {}
    home = site.home
    html_pages = [p for p in site.pages if p.html and p is not home]
    for page in html_pages:
        for chunk in set(_chunks(page.html)):
            counts[chunk] = counts.get(chunk, 0) + 1
    template = {c for c, n in counts.items() if n >= _TEMPLATE_PAGES and len(html_pages) > _TEMPLATE_PAGES}
    if home is not None and home.html:
        template.update(_chunks(home.html))
    result = frozenset(template)
    _template_cache[:] = [(site, result)]
    return result


def body_chars(site: SiteArtifacts, page: PageArtifact) -> int:
    """Characters of the page's own text: visible text minus the site's template (navigation, footer …)."""
    template = _template(site)
    if page is site.home:
        return sum(len(squash(c)) for c in _chunks(page.html))
    return sum(len(squash(c)) for c in _chunks(page.html) if c not in template)


def _sub_columns(site: SiteArtifacts, page: PageArtifact) -> list[ColumnArtifact]:
    """Columns with entries that the page links to from its body (not the home page, not itself)."""
    home = {canonical(site.home_url)} | ({canonical(site.home.final_url)} if site.home is not None else set())
    own = {canonical(page.url), canonical(page.final_url or page.url)}
    found: dict[str, ColumnArtifact] = {}
    for link in links_of(site, page.url):
        key = canonical(link.target_url)
        if link.region != "body" or key in home or key in own:
            continue
        column = column_for(site, link.target_url)
        if column is not None and column.entries:
            found.setdefault(canonical(column.url), column)
    return list(found.values())


@dataclass(frozen=True, slots=True)
class Content:
    """What the crawl shows at a URL: ``entries``, ``text``, ``empty``, ``js_shell``, ``failed`` or ``unknown``."""

    state: str
    entries: int = 0
    chars: int = 0
    newest: dt.date | None = None
    detail: str = ""

    @property
    def has_content(self) -> bool:
        return self.state in ("entries", "text")

    @property
    def judged_empty(self) -> bool:
        return self.state == "empty"


def content_of(
    site: SiteArtifacts,
    url: str,
    *,
    min_chars: int = 60,
    as_of: dt.date | None = None,
    subcolumns: bool = False,
) -> Content:
    """Whether the page at `url` has content of its own: list entries, or body text beyond the template.

    A list drawn by script that was not rendered is ``js_shell`` (never judged empty); a page that was never
    fetched is ``unknown``; one whose fetch failed is ``failed``.
    """
    entries = entries_under(site, url) if subcolumns else entries_of(site, url)
    dates = [e.date for e in entries if e.date is not None]
    newest = max(dates) if dates else None
    if entries:
        return Content("entries", entries=len(entries), newest=newest)
    column = column_for(site, url)
    page = page_of(site, url)
    if column is not None and column.js_shell:
        return Content("js_shell", detail="栏目列表由脚本生成，未能渲染")
    if page is None:
        failure = next((f for f in site.failures if same_url(f.url, url)), None)
        if failure is not None:
            return Content("failed", detail=failure.kind + (f" {failure.status}" if failure.status else ""))
        return Content("unknown", detail="页面未抓取")
    if page.status is None or page.status >= 400:
        return Content("failed", detail=f"HTTP {page.status}" if page.status else "无响应")
    if page.js_shell and not page.rendered:
        return Content("js_shell", detail="页面列表由脚本生成，未能渲染")
    parsed = parse_page(page.html, page.final_url or page.url, as_of=as_of)
    if parsed.entries:
        dates = [e.date for e in parsed.entries if e.date is not None]
        return Content("entries", entries=len(parsed.entries), newest=max(dates) if dates else None)
    if parsed.js_shell and not page.rendered:
        return Content("js_shell", detail="页面列表由脚本生成，未能渲染")
    if subcolumns:
        # A section page (法定主动公开内容, 执行公开 …) that only links to its sub-columns, wherever they live:
        # its content is theirs. Body links only: a site-wide menu proves nothing.
        subs = _sub_columns(site, page)
        if subs:
            dates = [c.newest for c in subs if c.newest is not None]
            return Content(
                "entries",
                entries=sum(len(c.entries) for c in subs),
                newest=max(dates) if dates else None,
                detail=f"{len(subs)}个子栏目",
            )
    chars = body_chars(site, page)
    if chars >= min_chars:
        return Content("text", chars=chars)
    return Content("empty", chars=chars, detail=f"正文仅{chars}字（不含导航、页脚等公共部分）")


# ----------------------------------------------------------------------------------------------- documents by title


@dataclass(frozen=True, slots=True)
class Titled:
    """A document found by its title: a list entry, a stored page or a link's anchor."""

    title: str
    url: str
    date: dt.date | None
    source: str  # entry | page | link
    list_url: str = ""  # the list (or the page holding the link) it was seen on


def page_date(page: PageArtifact, *, as_of: dt.date | None = None) -> dt.date | None:
    """The publication date of a stored article: PubDate meta, then its metadata box, then its URL."""
    pub = page.meta.get("PubDate") or page.meta.get("pubdate") or ""
    if pub and (day := parse_date(pub, as_of=as_of)):
        return day
    if page.html:
        meta = doc_metadata(page.html)
        for key in ("发布日期", "成文日期"):
            if meta.get(key) and (day := parse_date(meta[key], as_of=as_of)):
                return day
    return date_from_url(page.final_url or page.url)


def titled(site: SiteArtifacts, pattern: re.Pattern[str], *, as_of: dt.date | None = None) -> list[Titled]:
    """Every entry, stored page and link anchor whose title matches `pattern` (searched on the squashed title).

    One result per document URL; an entry's printed date wins, then the stored page's own date.
    """
    found: dict[str, Titled] = {}

    def add(item: Titled) -> None:
        key = canonical(item.url) if item.url else item.title
        old = found.get(key)
        if old is None or (old.date is None and item.date is not None):
            found[key] = item

    entries = list(site.entries) + [e for c in site.columns for e in c.entries]
    for entry in entries:
        if pattern.search(squash(entry.title)):
            day = entry.date
            if day is None and (page := page_of(site, entry.link)) is not None:
                day = page_date(page, as_of=as_of)
            add(Titled(entry.title, entry.link, day, "entry", entry.list_url or entry.column_url))
    for page in site.pages:
        if page.title and pattern.search(squash(page.title)):
            add(Titled(page.title, page.final_url or page.url, page_date(page, as_of=as_of), "page"))
    # Links one label at a time (the navigation repeats on every page), then in crawl order as before.
    matching = [
        item
        for (anchor, alt), group in _index(site).labelled.items()
        if (text := anchor or alt) and pattern.search(squash(text))
        for item in group
    ]
    for _, link in sorted(matching, key=lambda item: item[0]):
        text = link.anchor or link.image_alt
        if text:
            page = page_of(site, link.target_url)
            day = page_date(page, as_of=as_of) if page is not None else None
            add(Titled(text, link.target_url, day, "link", link.source_url))
    return sorted(found.values(), key=lambda t: (t.date is None, t.date or dt.date.min, t.url))
