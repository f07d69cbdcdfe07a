"""Spreadsheet cells from untrusted text: neutralised against formula injection (CSV and XLSX alike).

A cell that Excel, WPS or LibreOffice would read as a formula starts with `=`, `+`, `-` or `@` (and, after a
tab or carriage return, the same); a title crawled from a page such as `=HYPERLINK("http://x","点击")` would
otherwise run when an office opens the export. Such text gets a leading single quote, so the cell is plain
text that no spreadsheet program evaluates (OWASP "CSV injection"); full-width ＝＋－＠ too, which WPS folds.
Numbers written as numbers are left alone, so scores and counts stay numeric.
"""

from __future__ import annotations

from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n", "＝", "＋", "－", "＠")


def neutralise(value: Any) -> Any:
    """The value safe for a spreadsheet cell: text that could start a formula gets a leading `'`."""
    if value is None or isinstance(value, bool | int | float):
        return value
    text = str(value)
    stripped = text.lstrip(" \u3000")
    if stripped.startswith(FORMULA_STARTS):
        return "'" + text
    # control characters other than tab/newline are invalid in XLSX XML and useless in a CSV cell
    if any(ord(ch) < 32 and ch not in "\t\n" for ch in text):
        text = "".join(ch if ord(ch) >= 32 or ch in "\t\n" else " " for ch in text)
    return text


def neutralise_row(row: list[Any]) -> list[Any]:
    return [neutralise(v) for v in row]
