"""The one Chinese date parser of the project.

Pure functions: no I/O, no clock. Yearless dates (``06-29``, ``[06-29]``, ``6月29日``) are resolved with
``year_hint`` when given, else with ``as_of`` (the latest such date not after ``as_of + 1 day``), else dropped.
Invalid dates (2021-02-30, month 13) are skipped, never raised.
"""

from __future__ import annotations

import datetime as dt
import re

__all__ = ["date_from_url", "find_dates", "normalize", "parse_date"]

# Full-width digits and separators -> ASCII, one character for one character (so offsets are kept and
# ``find_dates`` can return the text as printed).
_FULLWIDTH = {ord("０") + i: ord("0") + i for i in range(10)}
_FULLWIDTH.update(
    {
        ord("－"): ord("-"),
        ord("—"): ord("-"),
        ord("–"): ord("-"),
        ord("／"): ord("/"),
        ord("．"): ord("."),
        ord("。"): ord("."),
        ord("："): ord(":"),
        ord("　"): ord(" "),
        ord("\xa0"): ord(" "),
        ord("［"): ord("["),
        ord("］"): ord("]"),
        ord("【"): ord("["),
        ord("】"): ord("]"),
        ord("（"): ord("("),
        ord("）"): ord(")"),
    }
)


def normalize(text: str) -> str:
    """Full-width digits/separators to ASCII; same length as the input."""
    return text.translate(_FULLWIDTH)


_YEAR = r"(?:19|20)\d\d"
_DATE_RE = re.compile(
    rf"""
    (?<![\d])(?P<y>{_YEAR})\s?(?:
        年\s?(?P<m1>\d{{1,2}})\s?月\s?(?P<d1>\d{{1,2}})\s?日
      | (?P<sep>[-/.])(?P<m2>\d{{1,2}})(?P=sep)(?P<d2>\d{{1,2}})(?!\d|\.\d)
    )
    | \[\s?(?P<m3>\d{{1,2}})-(?P<d3>\d{{1,2}})\s?\]
    | (?<![\d\-/.年])(?<!\d:)(?P<m4>\d{{2}})-(?P<d4>\d{{2}})(?![\d\-/.]|:\d)
    | (?<![\d年])(?P<m5>\d{{1,2}})\s?月\s?(?P<d5>\d{{1,2}})\s?日
    """,
    re.VERBOSE,
)

_URL_RES = (
    # TRS: /202106/t20210629_4993087.html
    re.compile(r"/t((?:19|20)\d\d)(\d\d)(\d\d)_\d+"),
    # Hanweb-style: /2025/6/3/<hex>.shtml
    re.compile(r"/((?:19|20)\d\d)/(\d{1,2})/(\d{1,2})/[0-9a-zA-Z_]+\.s?html?"),
)


def _mk(y: int, m: int, d: int) -> dt.date | None:
    try:
        return dt.date(y, m, d)
    except (ValueError, OverflowError):
        return None


def _resolve_yearless(m: int, d: int, as_of: dt.date | None, year_hint: int | None) -> dt.date | None:
    if not (1 <= m <= 12 and 1 <= d <= 31):
        return None
    if year_hint is not None:
        return _mk(year_hint, m, d)
    if as_of is None:
        return None
    try:
        limit = as_of + dt.timedelta(days=1)
    except OverflowError:
        limit = as_of
    for year in range(limit.year, limit.year - 9, -1):
        if year < dt.MINYEAR:
            break
        candidate = _mk(year, m, d)
        if candidate is not None and candidate <= limit:
            return candidate
    return None


def find_dates(
    text: str, *, as_of: dt.date | None = None, year_hint: int | None = None
) -> list[tuple[str, dt.date]]:
    """Every date in ``text``, in order, as ``(text as printed, date)``. Unresolvable ones are left out."""
    if not text:
        return []
    if not isinstance(text, str):
        text = str(text)
    norm = normalize(text)
    out: list[tuple[str, dt.date]] = []
    for match in _DATE_RE.finditer(norm):
        g = match.groupdict()
        if g["y"]:
            m, d = (g["m1"], g["d1"]) if g["m1"] else (g["m2"], g["d2"])
            value = _mk(int(g["y"]), int(m), int(d))
        else:
            for mk, dk in (("m3", "d3"), ("m4", "d4"), ("m5", "d5")):
                if g[mk]:
                    value = _resolve_yearless(int(g[mk]), int(g[dk]), as_of, year_hint)
                    break
            else:  # pragma: no cover - the regex always sets one pair
                value = None
        if value is not None:
            out.append((text[match.start() : match.end()], value))
    return out


def parse_date(text: str, *, as_of: dt.date | None = None, year_hint: int | None = None) -> dt.date | None:
    """The first (resolvable) date in ``text``, or None."""
    found = find_dates(text, as_of=as_of, year_hint=year_hint)
    return found[0][1] if found else None


def date_from_url(url: str) -> dt.date | None:
    """The date a CMS put in an article URL (TRS ``/202106/t20210629_4993087.html``; Hanweb ``/2025/6/3/x.shtml``)."""
    if not url or not isinstance(url, str):
        return None
    for rx in _URL_RES:
        for match in rx.finditer(url):
            value = _mk(int(match.group(1)), int(match.group(2)), int(match.group(3)))
            if value is not None:
                return value
    return None
