"""The one URL normaliser. Every part of the project that stores, de-duplicates or compares URLs uses these:

- ``canonical(url)``: the form a URL is stored under (scheme and host lower-cased, fragment dropped, empty path
  ``/``): the crawler's identity of a request.
- ``safe_canonical(url)``: ``canonical``, or None for a URL that cannot be parsed (one malformed href must not
  cost a page).
- ``page_key(url)``: the identity of a page for de-duplication (``/tzgg/index.html`` = ``/tzgg/``).
- ``url_key(url)``: the comparison key of the inspections (no scheme, host lower-cased, no index file, no
  trailing slash, query kept): ``/xwzx/`` = ``/xwzx/index.html`` = ``https://…/xwzx``.
- ``without_port(url)``: the page a finding names without its port (a re-check on a web moved to another port).
"""

from __future__ import annotations

import functools
import re
from urllib.parse import urlsplit, urlunsplit

INDEX_FILE = re.compile(r"/(index|default)\.(html?|shtml|jhtml|jsp|php|aspx?)$", re.I)
_INDEX_FILE_KEY = re.compile(r"/(?:index|default)\.(?:s?html?|jhtml|jsp|php|aspx?)$", re.IGNORECASE)


def canonical(url: str) -> str:
    """Drop the fragment and normalise an empty path to '/'."""
    parts = urlsplit(url)
    path = parts.path or "/"
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), path, parts.query, ""))


def safe_canonical(url: str) -> str | None:
    """canonical(), or None for a URL that cannot be parsed: one malformed href must not cost the whole page
    (an exception in the callback drops the page and every other link on it)."""
    try:
        out = canonical(url)
        parts = urlsplit(out)
        _ = parts.port
        return out if parts.hostname else None
    except ValueError:
        return None


def page_key(url: str) -> str:
    """The identity of a page for de-duplication: `/tzgg/index.html` and `/tzgg/` are one column page (a
    pager's 首页 link must not open the column a second time)."""
    parts = urlsplit(url)
    if parts.query:
        return url
    return urlunsplit((parts.scheme, parts.netloc, INDEX_FILE.sub("/", parts.path), "", ""))


@functools.lru_cache(maxsize=1 << 16)
def url_key(url: str) -> str:
    """A comparison key for a URL: host (lower case) + path without the index file and trailing slash + query."""
    try:
        parts = urlsplit((url or "").strip())
    except ValueError:
        return (url or "").strip()
    path = _INDEX_FILE_KEY.sub("/", parts.path or "/")
    path = path.rstrip("/") or ""
    key = f"{parts.netloc.lower()}{path}"
    if parts.query:
        key += "?" + parts.query
    return key


def without_port(url: str) -> str:
    """The page a finding names, without its port: a site moved to another port (or the demo's web served on a
    new one) still has the same pages, and a finding there is the same problem."""
    url = url.strip()
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
    except ValueError:
        return url
    return urlunsplit((parts.scheme, host, parts.path, parts.query, ""))


HARMLESS_SCHEMES = ("mailto", "tel", "sms", "javascript", "about", "vbscript", "")

_SCHEME_RE = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.-]*):")


def scheme_of(url: str) -> str:
    """The URL's scheme, lower-cased ("" for a relative or unparseable one); never raises ("http://[::1")."""
    m = _SCHEME_RE.match(url or "")
    return m.group(1).lower() if m else ""


def web_url(url: str) -> bool:
    """An http or https URL: the only kind crawled content may lead to."""
    return scheme_of(url) in ("http", "https")
