"""Crawled content is untrusted in every output: the one place that decides what becomes a link, how long a
string may be on a page, and what a spreadsheet cell may start with.

    safe_href("java\tscript:alert(1)")  -> None            (shown as text, never a link)
    safe_href(" HTTP://a.gov.cn/x ")    -> "HTTP://a.gov.cn/x"
    shorten(url_of_20000_chars)         -> "http://…（共20000字符）…/tail"
    cell("=HYPERLINK(...)")             -> "'=HYPERLINK(...)"

HTML and PDF documents use `safe_href` for every href built from a result and `shorten`/`shorten_runs` for what
they print (JSON and spreadsheets keep values whole); CSV and XLSX writers pass every text value through `cell` (reports.cells.neutralise).
"""

from __future__ import annotations

import re
from typing import Any

from reports.cells import neutralise as cell  # the one spreadsheet-cell neutraliser (CSV and XLSX)

__all__ = ["cell", "safe_href", "shorten", "shorten_runs"]

# Whitespace and control characters a browser ignores or strips inside a URL (WHATWG: tab and newline anywhere,
# C0 controls and space at either end), plus the Unicode spaces and format characters that hide a scheme.
_URL_NOISE_RE = re.compile(
    r"[\x00-\x20\x7f-\x9f\u00a0\u1680\u180e\u2000-\u200f\u2028-\u202f\u205f-\u2064"
    r"\u3000\ufeff]"
)
_SCHEME_RE = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.-]*):")

# Longest URL or unbroken run of characters printed whole in a document; a longer one is shortened for display
# (PDF layout time grows with the square of an unbreakable string's length: 20,000 characters took > 20 min).
DISPLAY_MAX = 160
_RUN_RE = re.compile(rf"\S{{{DISPLAY_MAX + 1},}}")


def safe_href(url: Any) -> str | None:
    """`url` when, after stripping whitespace and control characters and case-folding its scheme, it is an http
    or https URL with a host; None otherwise (javascript:, data:, file:, a scheme hidden by a tab ...)."""
    if not isinstance(url, str):
        return None
    cleaned = _URL_NOISE_RE.sub("", url)
    m = _SCHEME_RE.match(cleaned)
    if not m or m.group(1).lower() not in ("http", "https"):
        return None
    rest = cleaned[m.end() :]
    if not rest.startswith("//") or len(rest) <= 2 or rest[2] in "/?#":
        return None
    if cleaned != url.strip():
        return None  # a URL that needed cleaning is not what it looks like: shown as text only
    return url.strip()


def shorten(text: Any, limit: int = DISPLAY_MAX) -> str:
    """`text` for display: whole when it fits, else its head and tail around a note of its full length."""
    s = "" if text is None else str(text)
    if len(s) <= limit:
        return s
    keep = max(limit - 20, 20)
    head, tail = keep * 2 // 3, keep // 3
    return f"{s[:head]}…（共{len(s)}字符）…{s[-tail:]}"


def shorten_runs(text: Any, limit: int = DISPLAY_MAX) -> str:
    """`text` with every unbroken run (a URL, a string with no space) longer than `limit` shortened."""
    s = "" if text is None else str(text)
    if len(s) <= limit:
        return s
    return _RUN_RE.sub(lambda m: shorten(m.group(0), limit), s)
