"""The comparisons a limit is judged with, and the scoring file's values, shared by the checks and by the
simulated web's ground truth (``simweb/build.py``), so the two can never drift apart.

The values themselves are in config/scoring.yaml only; ``scoring_values()`` reads them as plain data (the
validated reading is ``inspections.rules.load_scoring``).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import yaml

SCORING_PATH = Path(__file__).resolve().parent.parent / "config" / "scoring.yaml"


def scoring_values(path: str | Path | None = None) -> dict[str, Any]:
    """config/scoring.yaml as plain data, unvalidated (for the ground truth of the simulated web)."""
    return yaml.safe_load(Path(path or SCORING_PATH).read_text(encoding="utf-8")) or {}


def options_of(values: dict[str, Any], check_id: str) -> dict[str, Any]:
    return dict(((values.get("checks") or {}).get(check_id) or {}).get("options") or {})


def reached(age: int, limit: int) -> bool:
    """Late once the limit is reached: 19号 “监测2周，首页无信息更新” — 14 days old of a 14-day limit is late;
    the vetoes' “超过（含）N个” too."""
    return age >= limit


def exceeded(age: int, limit: int) -> bool:
    """Late only beyond the limit: a window “N天内” (执行公开) or “N个工作日内” (执法决定) still holds on day N."""
    return age > limit


def warn_from(limit: int, band: int) -> int | None:
    """The first age of the early-warning band `band` days before `limit` (None: no band)."""
    band = max(0, min(int(band), int(limit) - 1))
    return int(limit) - band if band else None


def warned(age: int, limit: int, band: int) -> bool:
    """Inside the early-warning band and not yet late (``reached``)."""
    start = warn_from(limit, band)
    return start is not None and age >= start and not reached(age, limit)


def add_months(day: dt.date, months: int) -> dt.date:
    """``day`` plus calendar months, on the last day of a shorter month (31 Jan + 1 = 28/29 Feb)."""
    month = day.month - 1 + months
    year = day.year + month // 12
    month = month % 12 + 1
    for d in (day.day, 30, 29, 28):
        try:
            return dt.date(year, month, d)
        except ValueError:
            continue
    return dt.date(year, month, 28)


def months_exceeded(start: dt.date, end: dt.date, months: int) -> bool:
    """More than ``months`` calendar months from start to end: 19号 “超过3个月未回应”."""
    return add_months(start, months) < end
