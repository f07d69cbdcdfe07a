"""Network measurements that are not page crawling: availability, DNS/NS/AAAA, IPv6 reachability, v4/v6 comparison.

Every probe yields `ProbeRecord`s, which map 1:1 onto `store.models.ProbeRow` (the orchestrator stores them
with its run id) and load back as `inspections.artifacts.ProbeArtifact`. Entry point: `probes.runner`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class ProbeRecord:
    site_id: str
    kind: str  # availability | dns | ipv6
    target: str
    at: dt.datetime  # UTC, naive (as store.models.utcnow)
    ok: bool
    duration_ms: float | None = None
    data: dict[str, Any] = field(default_factory=dict)

    def as_row_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for `store.models.ProbeRow(run_id=..., **these)`."""
        return asdict(self)
