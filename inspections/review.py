"""Review before blame: findings a machine cannot be sure of wait for a person of the office.

Used by `expression-errors`, `personal-data` and `outside-links` (a helper, not a check). Every such hit gets a
stable review key (check, page without its port, the hit itself), so the office's decision on it survives
re-crawls and re-checks. `SiteArtifacts.reviews` carries the decisions stored by `store.reviews`:

- no decision yet → a WARN finding marked 待核实, no points (reports show it apart);
- confirmed → the finding with the severity and points the hit carries (a veto where the rule says so);
- dismissed → nothing: the same hit on the same page is not raised again.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from inspections.artifacts import SiteArtifacts
from inspections.base import Finding, Meta, Severity

PENDING = "待核实"
CONFIRMED = "已确认"
DISMISSED = "已排除"


def page_identity(url: str) -> str:
    """A page as the office knows it: scheme, host and path without the port (the demo's ports change)."""
    try:
        parts = urlsplit(url)
        return urlunsplit((parts.scheme.lower(), (parts.hostname or "").lower(), parts.path or "/", parts.query, ""))
    except ValueError:
        return url


def review_key(check_id: str, url: str, hit: str) -> str:
    """Stable id of one hit on one page (hex, 20 chars). ``hit`` is what was found, e.g. ``id:<number>``."""
    raw = f"{check_id}\n{page_identity(url)}\n{hit}".encode()
    return hashlib.sha256(raw).hexdigest()[:20]


def consequence(severity: Severity, points: float) -> str:
    if severity is Severity.VETO:
        return "确认后单项否决"
    if points:
        return f"确认后扣 {points:g} 分"
    return "确认后列为问题（不扣分）"


def reviewed(meta: Meta, site: SiteArtifacts, *, key: str, url: str, message: str,
             evidence: Mapping[str, Any], severity: Severity, points: float) -> Finding | None:
    """The finding for one hit as the office's decision makes it (None when dismissed)."""
    decision = site.reviews.get(key)
    ev = dict(evidence)
    ev["review_key"] = key
    if decision == "dismissed":
        return None
    if decision == "confirmed":
        ev["review"] = CONFIRMED
        return meta.finding(severity, message, url=url, evidence=ev, points=points)
    ev["review"] = PENDING
    ev["if_confirmed"] = consequence(severity, points)
    return meta.finding(Severity.WARN, f"（待核实）{message}", url=url, evidence=ev, points=0.0)


def dismissed_count(site: SiteArtifacts, keys: set[str]) -> int:
    return sum(1 for k in keys if site.reviews.get(k) == "dismissed")
