"""Page structure: title, <meta>, links with their region, breadcrumb, dated list entries, pagination, JS shells.

Pure functions over a decoded ``str`` (the caller decodes the bytes: GBK pages as gb18030). Never raises on
malformed input; lxml is used directly (bs4 is not needed).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from itertools import islice
from urllib.parse import urldefrag, urljoin, urlsplit

from lxml import etree

from .dates import find_dates, normalize

__all__ = [
    "EntryInfo",
    "LinkInfo",
    "ParsedPage",
    "forward_target",
    "parse_page",
    "parse_tree",
    "text_chunks",
    "tree_truncated",
    "visible_text",
]


@dataclass(frozen=True, slots=True)
class LinkInfo:
    url: str  # absolute, fragment removed
    anchor: str = ""  # stripped, whitespace-collapsed text
    region: str = "body"  # nav | body | footer
    image_alt: str = ""  # alt/title of an <img> inside the <a> (image-only links)
    image_src: str = ""  # absolute src of that <img> (image-only links), "" otherwise
    tag: str = "a"  # a | area | iframe | frame


@dataclass(frozen=True, slots=True)
class EntryInfo:
    title: str
    url: str
    date_text: str  # as printed ("[06-29]", "2021年6月29日" ...)
    date: dt.date | None


@dataclass(frozen=True, slots=True)
class ParsedPage:
    url: str
    title: str = ""
    meta: dict[str, str] = field(default_factory=dict)
    links: tuple[LinkInfo, ...] = ()
    breadcrumb: tuple[str, ...] = ()
    entries: tuple[EntryInfo, ...] = ()
    next_pages: tuple[str, ...] = ()
    is_list: bool = False
    js_shell: bool = False
    text: str = ""
    heading: str = ""  # the page's own column heading (栏目名称 box, h1/h2), "" when none
    links_dropped: int = 0  # <a> beyond max_links, not in `links`
    truncated: bool = False  # the parser hit its nesting limit: part of the page is missing


# ----------------------------------------------------------------------------------------------- parsing

_CTRL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_WS_RE = re.compile(r"\s+")
_INVISIBLE = {"script", "style", "template", "head", "title", "meta", "link"}


def parse_tree(html: str):
    """An lxml root element for ``html`` (a decoded str), or None when there is nothing to parse."""
    if not html:
        return None
    if not isinstance(html, str):
        html = str(html)
    data = _CTRL_RE.sub(" ", html).encode("utf-8", "replace")
    if not data.strip():
        return None
    root, too_deep = _parse_bytes(data)
    if too_deep:
        # Tag soup deeper than libxml2 allows (256 levels): the rest of the page would be dropped silently.
        # Unclosed presentational tags (300 <font> ...) are what makes real pages that deep; without them the page
        # keeps its text, links and structure. (huge_tree's 2048 levels are not used: the extractors' ancestor
        # and subtree walks grow with the depth, and a page nested 2000 deep took minutes.)
        flat, again = _parse_bytes(_INLINE_TAG_RE.sub(b"", data))
        if flat is not None:
            root, too_deep = flat, again
        if root is not None and too_deep:
            root.set(TRUNCATED_ATTR, "depth")  # the checks that need the lost part say not_tested
    return root


TRUNCATED_ATTR = "data-govaudit-truncated"
_INLINE_TAG_RE = re.compile(
    rb"</?(?:font|b|i|u|s|em|strong|small|big|center|sup|sub|strike|tt|ins|del|mark|nobr)\b[^>]*>",
    re.IGNORECASE,
)


def _parse_bytes(data: bytes):
    """(root or None, whether libxml2 stopped at its nesting limit)."""
    try:
        parser = etree.HTMLParser(encoding="utf-8", remove_comments=True, remove_pis=True)
        root = etree.fromstring(data, parser=parser)
    except Exception:  # noqa: BLE001 - lxml raises several kinds on garbage; we never fail
        return None, False
    too_deep = any("Excessive depth" in e.message for e in parser.error_log)
    return root, too_deep


def tree_truncated(root) -> bool:
    """True when the parser stopped at its nesting limit and part of the page is missing from `root`."""
    return root is not None and root.get(TRUNCATED_ATTR) is not None


def _collapse(text: str | None) -> str:
    return _WS_RE.sub(" ", text or "").strip()


def _iter_text(root, skip=_INVISIBLE):
    """Text pieces in document order, skipping invisible subtrees (iterative, safe on deep nesting)."""
    stack = [(root, False)]
    while stack:
        el, tail_only = stack.pop()
        if tail_only:
            if el.tail:
                yield el.tail
            continue
        tag = el.tag if isinstance(el.tag, str) else ""
        if el is not root:
            stack.append((el, True))
        if not tag or tag.lower() in skip:
            continue
        if el.text:
            yield el.text
        for child in reversed(el):
            stack.append((child, False))


_VISIBLE_XPATH = etree.XPath(
    "//body//text()[not(ancestor::script or ancestor::style or ancestor::template)]"
    " | //frameset//text()[not(ancestor::script or ancestor::style)]"
)


def visible_text(root) -> str:
    if root is None:
        return ""
    try:
        pieces = _VISIBLE_XPATH(root)
    except Exception:  # noqa: BLE001
        pieces = list(_iter_text(root))
    if not pieces and root.find("body") is None:
        pieces = list(_iter_text(root))
    return _collapse(" ".join(pieces))


def text_chunks(root) -> list[str]:
    """Non-empty, whitespace-collapsed visible text nodes in document order."""
    if root is None:
        return []
    out = []
    for piece in _iter_text(root):
        piece = _collapse(piece)
        if piece:
            out.append(piece)
    return out


def _tag(el) -> str:
    tag = el.tag
    return tag if isinstance(tag, str) else ""


def _idclass(el) -> str:
    return ((el.get("id") or "") + " " + (el.get("class") or "")).lower()


# ----------------------------------------------------------------------------------------------- regions

_FOOT_WORDS = ("foot", "bottom", "copyright", "_ideconac", "banquan")
_NAV_WORDS = ("nav", "menu", "daohang", "header")
_NAV_PART_RE = re.compile(
    r"^(?:top(?:\d*|nav|bar|menu|links?|head(?:er)?|box|wrap)|dh(?:\d*|nav|box|wrap|menu)?)$"
)
_SPLIT_RE = re.compile(r"[\s\-_]+")


def _classify(el) -> str | None:
    tag = _tag(el)
    if tag == "footer":
        return "footer"
    if tag in ("nav", "header"):
        return "nav"
    ic = _idclass(el)
    if not ic.strip():
        return None
    if any(w in ic for w in _FOOT_WORDS):
        return "footer"
    if any(w in ic for w in _NAV_WORDS):
        return "nav"
    if any(_NAV_PART_RE.match(p) for p in _SPLIT_RE.split(ic) if p):
        return "nav"
    return None


class _Regions:
    def __init__(self):
        self.cache: dict = {}

    def of(self, el) -> str:
        path = []
        node = el
        result = "body"
        while node is not None:
            if node in self.cache:
                result = self.cache[node]
                break
            path.append(node)
            r = _classify(node)
            if r is not None:
                result = r
                break
            node = node.getparent()
        for n in path:
            self.cache[n] = result
        return result


# ----------------------------------------------------------------------------------------------- links

_SKIP_SCHEMES = ("javascript:", "mailto:", "tel:", "data:", "about:", "vbscript:", "#")
_URL_STRIP_RE = re.compile(r"[\t\n\r]")


def _abs(base: str, href: str | None, cache: dict | None = None) -> str | None:
    if cache is not None:
        key = (base, href)
        if key in cache:
            return cache[key]
        cache[key] = value = _abs(base, href)
        return value
    if not href:
        return None
    # As a browser reads an href (WHATWG URL): tabs and newlines anywhere are dropped, leading and trailing C0
    # controls and spaces stripped, so "java\tscript:" is javascript: and skipped like it.
    href = _URL_STRIP_RE.sub("", href).strip(
        "\x00\x01\x02\x03\x04\x05\x06\x07\x08\x0b\x0c\x0e\x0f\x10\x11"
        "\x12\x13\x14\x15\x16\x17\x18\x19\x1a\x1b\x1c\x1d\x1e\x1f \x7f"
    )
    href = href.strip().replace("\\", "/")
    if not href or href.lower().startswith(_SKIP_SCHEMES):
        return None
    try:
        if href.startswith(("http://", "https://")) and " " not in href:
            url = href
        else:
            url = urljoin(base, href) if base else href
        if "#" in url:
            url = urldefrag(url)[0]
    except ValueError:
        return None
    return url or None


def _base_url(root, url: str) -> str:
    for base in root.iter("base"):
        href = base.get("href")
        if href:
            try:
                return urljoin(url, href.strip())
            except ValueError:
                return url
    return url


def _anchor_text(a) -> str:
    return _collapse(" ".join(a.itertext()))


def _image_of(a):
    for img in a.iter("img"):
        return img
    return None


# ----------------------------------------------------------------------------------------------- dates in rows

_PURE_DATE_RE = re.compile(
    r"^[\[(]?\s*(?:(?:发布|更新|公开|成文|生成)?(?:时间|日期)\s*:?\s*)?"
    r"(?P<d>(?:(?:19|20)\d\d\s?(?:年\s?\d{1,2}\s?月\s?\d{1,2}\s?日|([-/.])\d{1,2}\2\d{1,2})"
    r"|\d{1,2}-\d{1,2}|\d{1,2}\s?月\s?\d{1,2}\s?日)"
    r"(?:\s+\d{1,2}:\d{2}(?::\d{2})?)?)\s*[\])]?$"
)


def _pure_date(text: str, as_of, year_hint=None):
    t = normalize(_collapse(text))
    if not t or len(t) > 40:
        return None
    if not _PURE_DATE_RE.match(t):
        return None
    found = find_dates(text.strip(), as_of=as_of, year_hint=year_hint)
    if not found:
        return None
    printed, value = found[0]
    stripped = text.strip()
    if stripped.startswith(("[", "［", "【", "(", "（")) and printed[:1] not in "[［【(（":
        # keep the brackets as printed: "[2018-03-16]"
        close = stripped[-1:]
        if close in "]］】)）":
            printed = stripped
    return printed, value


def _row_date(row, anchor, as_of):
    """(date_text, date) of a list row: an element or text node that is only a date, outside the anchor first."""
    # elements / text nodes outside the anchor
    stack = [(row, False)]
    fallback_texts = []
    while stack:
        el, tail_only = stack.pop()
        if tail_only:
            if el.tail:
                got = _pure_date(el.tail, as_of)
                if got:
                    return got
                fallback_texts.append(el.tail)
            continue
        if el is not row:
            stack.append((el, True))
        tag = _tag(el)
        if not tag or tag in ("script", "style") or el is anchor:
            continue
        if el.text:
            got = _pure_date(el.text, as_of)
            if got:
                return got
            fallback_texts.append(el.text)
        for child in reversed(el):
            stack.append((child, False))
    # a date element inside the anchor: <a><span>title</span><span>2021-06-29</span></a>
    # Only small elements are looked at (a date is a leaf or nearly): on tag soup an anchor can hold thousands
    # of nested elements, and joining every subtree's text is cubic in the nesting depth.
    for n, el in enumerate(anchor.iter()):
        if n > 64:
            break
        if el is anchor or not isinstance(el.tag, str) or sum(1 for _ in islice(el.iter(), 9)) > 8:
            continue
        got = _pure_date("".join(el.itertext()), as_of)
        if got:
            return got
    # a full date (with year) anywhere outside the anchor
    for text in fallback_texts:
        for printed, value in find_dates(text):
            return printed, value
    return None


_NOT_ENTRY_TEXTS = {
    "首页",
    "网站首页",
    "返回首页",
    "更多",
    "更多>>",
    "更多>",
    "more",
    "MORE",
    "More",
    "查看更多",
    ">>",
}
_ROW_STOP = {"body", "html", "ul", "ol", "table", "tbody", "thead", "dl", "form", "nav", "header", "footer"}
_ROW_TAGS = {
    "li",
    "tr",
    "dd",
    "dt",
    "p",
    "div",
    "span",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "td",
    "a",
    "em",
    "font",
}


# ----------------------------------------------------------------------------------------------- breadcrumb

_BC_CLASS_RE = re.compile(r"breadcrumb|crumb|position|location|dqwz|curpos|weizhi|wz[-_]?nav|path")
_BC_LABEL_RE = re.compile(
    r"(?:(?:您|你)(?:当前|现在|目前)?的?(?:所在)?位置|当前(?:的)?(?:所在)?位置|所在位置|现在位置)\s*[:：]?"
)
_BC_SPLIT_RE = re.compile(r"\s*(?:>>|»|＞|>|›|→|〉)\s*")


_IDCLASS_XPATH = etree.XPath("//body//*[@id or @class]")
_BC_TEXT_XPATH = etree.XPath("//body//text()[contains(., '位置')]", smart_strings=True)


def _breadcrumb(root) -> tuple[str, ...]:
    container = None
    for el in _IDCLASS_XPATH(root):
        tag = _tag(el)
        if not tag or tag in ("body", "html", "script", "style"):
            continue
        if _BC_CLASS_RE.search(_idclass(el)) and el.find(".//a") is not None:
            container = el
            break
    if container is None:
        for text in _BC_TEXT_XPATH(root):
            el = text.getparent()
            if el is None or _tag(el) in ("script", "style"):
                continue
            if _BC_LABEL_RE.search(text):
                node = el
                for _ in range(4):
                    if node.find(".//a") is not None or node.getparent() is None:
                        break
                    node = node.getparent()
                if node.find(".//a") is not None:
                    container = node
                    break
    if container is None:
        return ()
    text = _collapse(" ".join(_iter_text(container)))
    if len(text) > 400:
        return ()
    m = _BC_LABEL_RE.search(text)
    if m:
        text = text[m.end() :]
    parts = [p.strip(" :：") for p in _BC_SPLIT_RE.split(text)]
    parts = [p for p in parts if p and len(p) <= 40]
    if len(parts) <= 1:
        anchors = [_anchor_text(a) for a in container.iter("a")]
        anchors = [a for a in anchors if a and len(a) <= 40]
        if len(anchors) > len(parts):
            parts = anchors
    return tuple(parts)


# ----------------------------------------------------------------------------------------------- pagination

_NEXT_TEXTS = {"下一页", "下页", ">", "›", "后一页", "下一頁", ">>", "»"}
_PAGE_FILE_RE = re.compile(r"^(?:index|list|default)_(\d+)\.[a-z]+$", re.IGNORECASE)
_PAGE_QS_RE = re.compile(r"(?:^|[?&])(?:page|pageno|pagenum|pageindex|curpage|p)=\d+", re.IGNORECASE)
_CREATE_PAGE_RE = re.compile(r"createPageHTML\s*\(([^)]{0,200})\)")


def _dirname(url: str) -> str:
    parts = urlsplit(url)
    path = parts.path.rsplit("/", 1)[0]
    return f"{parts.scheme}://{parts.netloc}{path}/"


def _create_page_urls(script: str, base: str) -> list[str]:
    out = []
    for match in _CREATE_PAGE_RE.finditer(script):
        args = [a.strip().strip("'\"") for a in match.group(1).split(",")]
        ints = [i for i, a in enumerate(args) if a.isdigit()]
        if not ints:
            continue
        count = int(args[ints[0]])
        strs = [a for a in args[ints[0] + 1 :] if a and not a.isdigit()]
        prefix, ext = (strs + ["index", "html"])[:2] if len(strs) >= 2 else ("index", "html")
        if not re.fullmatch(r"[\w.-]{1,40}", prefix) or not re.fullmatch(r"\w{1,10}", ext):
            continue
        for i in range(1, min(count, 1000)):
            try:
                out.append(urljoin(base, f"{prefix}_{i}.{ext}"))
            except ValueError:
                break
    return out


# ----------------------------------------------------------------------------------------------- JS shells

_LIST_CONTAINER_RE = re.compile(r"list|xxgk|news|(?:^|[\s_-])lb(?:$|[\s_-])|infolist|data-?box|wenjian|wjlb")
_JS_FILL_RE = re.compile(
    r"document\.write|innerHTML|\.html\(|\.append\(|\$\.(?:ajax|get|getJSON|post)\(|fetch\(|XMLHttpRequest"
    r"|\.load\(|template\(|render\(",
)
_JSON_ROWS_RE = re.compile(
    r"\[\s*\{\s*[\"']?(?:title|url|name|link|docTitle|DOCTITLE|pubDate|date)[\"']?\s*:"
)
_NOT_LIST_RE = re.compile(r"comment|pinglun|liuyan|reply|share|annex|fujian|attach|author")
_TRS_DYNAMIC_RE = re.compile(r"动态|dynamic|\bTRS_|trs_|getDocList|docList|pageData|listData", re.IGNORECASE)


def _js_shell(root, scripts: list[str], n_entries: int) -> bool:
    script_text = "\n".join(scripts)
    if not script_text.strip():
        return False
    fill_scripts = [s for s in scripts if _JS_FILL_RE.search(s)]
    if not fill_scripts:
        return False
    fill_text = "\n".join(fill_scripts)
    for el in root.iter("ul", "ol", "div", "tbody", "table", "section", "dl"):
        ic = _idclass(el)
        if not ic.strip() or not _LIST_CONTAINER_RE.search(ic) or _NOT_LIST_RE.search(ic):
            continue
        if el.find(".//a") is not None or el.find(".//li") is not None:
            continue
        if _collapse("".join(el.itertext())):
            continue
        ident = (el.get("id") or "").strip()
        classes = [c for c in (el.get("class") or "").split() if len(c) > 2]
        # a script that both names the empty container and writes into something
        if any((ident and ident in s) or any(c in s for c in classes) for s in fill_scripts):
            return True
        if n_entries == 0 and (_JSON_ROWS_RE.search(fill_text) or _TRS_DYNAMIC_RE.search(fill_text)):
            return True
    if n_entries == 0 and _JSON_ROWS_RE.search(fill_text):
        return True
    return n_entries == 0 and bool(re.search(r"document\.write\s*\(\s*[\"'][^\"']*<(?:li|tr)\b", fill_text))


# ----------------------------------------------------------------------------------------------- main

_LIST_URL_RE = re.compile(
    r"(?:/|/(?:index|list|default)\.\w+|/(?:index|list)_\d+\.\w+|[?&]page=\d+)$", re.IGNORECASE
)


_REFRESH_URL_RE = re.compile(r"url\s*=\s*(\S+)", re.IGNORECASE)


MAX_LINKS = 5000  # links read of one page (a page of 300,000 links took minutes and a gigabyte)


def parse_page(
    html: str, url: str, *, as_of: dt.date | None = None, max_links: int = MAX_LINKS
) -> ParsedPage:
    """Parse one page. Never raises; an unparseable input gives an empty ``ParsedPage``. Only the first
    `max_links` links are read; ``links_dropped`` says how many more there were."""
    try:
        return _parse_page(html, url or "", as_of, max_links)
    except RecursionError:
        return ParsedPage(url=url or "")
    except Exception:  # noqa: BLE001 - a parser of untrusted input must not fail the crawl
        return ParsedPage(url=url or "")


def _parse_page(html: str, url: str, as_of: dt.date | None, max_links: int = MAX_LINKS) -> ParsedPage:
    root = parse_tree(html)
    if root is None:
        return ParsedPage(url=url)
    base = _base_url(root, url)

    title = ""
    for t in root.iter("title"):
        title = _collapse("".join(t.itertext()))
        break

    meta: dict[str, str] = {}
    for m in root.iter("meta"):
        name = (m.get("name") or "").strip()
        if name and name not in meta:
            meta[name] = (m.get("content") or "").strip()

    regions = _Regions()
    joins: dict = {}
    links: list[LinkInfo] = []
    anchors: list[tuple[object, str]] = []  # (element, url) of usable <a>
    dropped = 0
    for el in root.iter("a", "area", "iframe", "frame"):
        if len(links) >= max_links:
            dropped += 1
            continue
        tag = _tag(el)
        if tag in ("iframe", "frame"):
            target = _abs(base, el.get("src"), joins)
            if target:
                links.append(LinkInfo(url=target, anchor="", region="body", tag=tag))
            continue
        target = _abs(base, el.get("href"), joins)
        if not target:
            continue
        anchor = _anchor_text(el) if tag == "a" else _collapse(el.get("alt") or el.get("title"))
        alt = src = ""
        if tag == "a" and not anchor:
            img = _image_of(el)
            if img is not None:
                alt = _collapse(img.get("alt") or img.get("title") or el.get("title") or "")
                src = _abs(base, img.get("src")) or ""
            elif el.get("title"):
                alt = _collapse(el.get("title"))
        links.append(
            LinkInfo(url=target, anchor=anchor, region=regions.of(el), image_alt=alt, image_src=src, tag=tag)
        )
        if tag == "a":
            anchors.append((el, target))

    # A page that forwards by <meta http-equiv="refresh" content="0;url=…"> (a CMS column home sending the
    # visitor on to its list): the target is a link, so the crawler follows it (Scrapy's own METAREFRESH is off).
    for m in root.iter("meta"):
        if (m.get("http-equiv") or "").strip().lower() != "refresh":
            continue
        found = _REFRESH_URL_RE.search(m.get("content") or "")
        target = _abs(base, found.group(1).strip(" '\"")) if found else None
        if target:
            links.append(LinkInfo(url=target, anchor="", region="body", tag="meta"))

    # --- dated list entries
    counts: dict = {}
    for el, target in anchors:
        node = el.getparent()
        depth = 0
        while node is not None and depth < 12:
            counts.setdefault(node, set()).add(target)
            node = node.getparent()
            depth += 1
    entries: list[EntryInfo] = []
    seen_urls: set[str] = set()
    for el, target in anchors:
        if target in seen_urls:
            continue
        row = el
        node = el.getparent()
        depth = 0
        while node is not None and depth < 12:
            tag = _tag(node)
            if tag in _ROW_STOP or len(counts.get(node, ())) > 1:
                break
            row = node
            node = node.getparent()
            depth += 1
        if _tag(row) not in _ROW_TAGS:
            continue
        if regions.of(el) != "body":
            continue
        if _anchor_text(el) in _NOT_ENTRY_TEXTS:
            continue
        row_text = _collapse(" ".join(row.itertext()))
        if len(row_text) > 300 or _BC_LABEL_RE.search(row_text):
            continue
        got = _row_date(row, el, as_of)
        if not got:
            continue
        date_text, value = got
        text = _anchor_text(el)
        if date_text and date_text in text:
            text = _collapse(text.replace(date_text, " "))
        attr = _collapse(el.get("title"))
        if attr and (
            not text
            or text.endswith(("...", "…", ".."))
            or len(attr) > len(text)
            and attr.startswith(text.rstrip(".…"))
        ):
            text = attr
        if not text:
            continue
        seen_urls.add(target)
        entries.append(EntryInfo(title=text, url=target, date_text=date_text, date=value))

    # --- pagination
    next_pages: list[str] = []
    try:
        page_dir = _dirname(url) if url else ""
        page_path = urlsplit(url).path if url else None
    except ValueError:
        page_dir, page_path = "", None
    for link in links:
        if link.tag != "a":
            continue
        if link.anchor in _NEXT_TEXTS:
            next_pages.append(link.url)
            continue
        name = link.url.rsplit("/", 1)[-1].split("?", 1)[0]
        if (
            page_dir
            and _PAGE_FILE_RE.match(name)
            and link.url.startswith(page_dir)
            and "/" not in link.url[len(page_dir) :]
        ):
            next_pages.append(link.url)
            continue
        if page_path is not None and "?" in link.url:
            parts = urlsplit(link.url)
            if parts.path == page_path and _PAGE_QS_RE.search(parts.query):
                next_pages.append(link.url)
    scripts = []
    for s in root.iter("script"):
        if s.text:
            scripts.append(s.text)
    for s in scripts:
        if "createPageHTML" in s:
            next_pages.extend(_create_page_urls(s, base or url))
    seen: set[str] = set()
    pages = []
    for p in next_pages:
        if p not in seen and p != url:
            seen.add(p)
            pages.append(p)

    js_shell = _js_shell(root, scripts, len(entries))

    article_like = bool(meta.get("ArticleTitle") or meta.get("PubDate") or meta.get("pubdate"))
    is_list = len(entries) >= 5 or (bool(entries) and not article_like)
    # A page that names its column (national web design rules: ColumnName meta) and is no article is a column
    # page, whatever its URL: with an empty list container it is a blank column (空白栏目), not a lost page.
    column_page = bool(meta.get("ColumnName")) and not article_like
    if (
        not is_list
        and not article_like
        and url
        and (column_page or _LIST_URL_RE.search(url.split("#", 1)[0]))
    ):
        for el in root.iter("ul", "ol", "table", "div"):
            ic = _idclass(el)
            if _LIST_CONTAINER_RE.search(ic) or (_tag(el) in ("ul", "ol") and len(el.findall("li")) >= 3):
                is_list = True
                break

    return ParsedPage(
        url=url,
        title=title,
        meta=meta,
        links=tuple(links),
        breadcrumb=_breadcrumb(root),
        entries=tuple(entries),
        next_pages=tuple(pages),
        is_list=is_list,
        js_shell=js_shell,
        text=visible_text(root),
        heading=_heading(root, title),
        links_dropped=dropped,
        truncated=tree_truncated(root),
    )


# ----------------------------------------------------------------------------------------------- column heading

# The box that names a list page's column on CMS templates: 栏目名称 (lmmc), 栏目标题 (lmbt), column-title ...
_HEADING_CLASS_RE = re.compile(
    r"(?:^|[\s_-])(?:lm|lanmu|column|col|channel|cate)[-_]?(?:name|title|tit|mc|bt|hd|head)(?:$|[\s_-])"
    r"|(?:^|[\s_-])(?:lmmc|lmbt|lmtit|lmname|lanmumc|dqlm|curlm)(?:$|[\s_-])"
)
_HEADING_MAX = 20


def _heading(root, title: str) -> str:
    """A list page's own name for its column: a column-title box, else the first short h1/h2 of the body
    outside the header and footer ("" when neither, or when it only repeats the site-wide title)."""
    regions = _Regions()
    candidates = []
    for el in _IDCLASS_XPATH(root):
        if _tag(el) in ("body", "html", "script", "style") or not _HEADING_CLASS_RE.search(_idclass(el)):
            continue
        candidates.append(el)
        break
    for tag in ("h1", "h2"):
        for el in root.iter(tag):
            if regions.of(el) == "body":
                candidates.append(el)
                break
    for el in candidates:
        text = _collapse(" ".join(_iter_text(el)))
        if 2 <= len(text) <= _HEADING_MAX and text != title:
            return text
    return ""


# ----------------------------------------------------------------------------------------------- forwarding pages

_REFRESH_TAG_RE = re.compile(r"<meta\b[^>]*http-equiv\s*=\s*[\"']?\s*refresh\b[^>]*>", re.IGNORECASE)
_CONTENT_ATTR_RE = re.compile(r"\bcontent\s*=\s*(?:\"([^\"]*)\"|'([^']*)'|([^\s>]+))", re.IGNORECASE)
_REFRESH_VALUE_RE = re.compile(
    r"^\s*(\d+(?:\.\d*)?)?\s*[;,]?\s*(?:url\s*=\s*)?[\"']?\s*([^\"'\s][^\"']*?)\s*[\"']?\s*$", re.IGNORECASE
)
_SCRIPT_RE = re.compile(r"<script\b[^>]*>(.*?)</script\s*>", re.IGNORECASE | re.DOTALL)
_JS_COMMENT_RE = re.compile(r"/\*.*?\*/|(?<![:\"'])//[^\n]*|<!--|-->", re.DOTALL)
# location = "…", location.href = "…", window/self/top/document/parent.location(.href) = "…",
# location.replace("…") / location.assign("…"): alone in its script, with nothing else to run.
_SCRIPT_FORWARD_RE = re.compile(
    r"^\s*(?:(?:window|self|top|document|parent)\s*\.\s*)?location\s*"
    r"(?:(?:\.\s*href\s*)?=\s*(?P<q1>[\"'])(?P<u1>[^\"'\s<>]{1,500})(?P=q1)"
    r"|\.\s*(?:replace|assign)\s*\(\s*(?P<q2>[\"'])(?P<u2>[^\"'\s<>]{1,500})(?P=q2)\s*\))\s*;?\s*$"
)
MAX_REFRESH_DELAY = 10  # seconds: "3秒后自动跳转" forwards; an hourly self-refresh of a news page does not
_FORWARD_PAGE_BYTES = 16_384  # a script-forwarding page is a shell: little more than the script
_FORWARD_PAGE_TEXT = 200


def forward_target(html: str, url: str) -> tuple[str, str] | None:
    """Where a forwarding page sends the browser: ("meta-refresh" | "script", absolute URL), or None.

    Real CMS column indexes forward with ``<meta http-equiv="refresh" content="0;url=./list/">`` or a one-line
    ``<script>window.location.href="list.html"</script>``; a browser opens the target at once, so the crawler
    must too, or the column looks empty. Only a refresh within MAX_REFRESH_DELAY seconds to another URL, or a
    script that does nothing but set the location on a page with no content of its own, counts.
    """
    if not html:
        return None
    head = html[:65_536]
    for tag in _REFRESH_TAG_RE.findall(head):
        m = _CONTENT_ATTR_RE.search(tag)
        if not m:
            continue
        value = next(g for g in m.groups() if g is not None)
        v = _REFRESH_VALUE_RE.match(value.replace("&amp;", "&"))
        if not v or not v.group(2):
            continue
        try:
            delay = float(v.group(1) or 0)
        except ValueError:
            continue
        if delay > MAX_REFRESH_DELAY:
            continue
        target = _abs(url, v.group(2).strip())
        if target and target != url:
            return "meta-refresh", target
    if len(html) > _FORWARD_PAGE_BYTES or "location" not in html:
        return None
    for script in _SCRIPT_RE.findall(html):
        code = _JS_COMMENT_RE.sub(" ", script).strip()
        m = _SCRIPT_FORWARD_RE.match(code)
        if not m:
            continue
        rest = _SCRIPT_RE.sub(" ", html)
        root = parse_tree(rest)
        if root is not None and len(visible_text(root)) > _FORWARD_PAGE_TEXT:
            return None  # a page with content of its own that also carries a script: not a forwarding page
        target = _abs(url, m.group("u1") or m.group("u2"))
        if target and target != url:
            return "script", target
    return None
