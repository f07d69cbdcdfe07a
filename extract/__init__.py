"""Pure HTML/text parsing shared by the crawler and the inspections (no I/O, no clock, no project imports)."""

from .dates import date_from_url, find_dates, parse_date
from .docmeta import doc_metadata, validity_in, wenhao_in
from .html import EntryInfo, LinkInfo, ParsedPage, parse_page
from .markings import Markings, footer_markings

__all__ = [
    "EntryInfo",
    "LinkInfo",
    "Markings",
    "ParsedPage",
    "date_from_url",
    "doc_metadata",
    "find_dates",
    "footer_markings",
    "parse_date",
    "parse_page",
    "validity_in",
    "wenhao_in",
]
