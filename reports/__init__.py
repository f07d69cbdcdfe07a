"""Reports rendered from the scored results (results.json dicts) only: HTML, PDF, CSV, re-check diff."""

from reports.recheck import diff
from reports.render import add_weekdays, write_reports

__all__ = ["add_weekdays", "diff", "write_reports"]
