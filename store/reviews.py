"""The review store: findings that wait for a person (待核实) and the office's decisions on them.

A small API, the same for the command line (`govaudit review`) and the web console:

    list_items(session, status="pending", site_id=None, check_id=None) -> list[dict]
    confirm(session, key, by="姓名", note="")  -> dict     # the hit is real: it costs points / vetoes
    dismiss(session, key, by="姓名", note="")  -> dict     # a false hit: never raised again on that page
    reopen(session, key, by="姓名", note="")   -> dict     # back to 待核实 (a decision taken by mistake)
    decisions_for(session, site_id) -> {key: "confirmed" | "dismissed"}   # read by store.loader
    record_pending(session, run_id, sites)                 # called after each inspection (results.json sites)

A decision takes effect at the next judgement of a stored run (`govaudit inspect --run latest`) or crawl.
Everything stored here was written by a check, already masked (personal data never whole).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from store.models import Explanation, ReviewItem, utcnow

STATUSES = ("pending", "confirmed", "dismissed")
STATUS_WORDS = {"pending": "待核实", "confirmed": "已确认", "dismissed": "已排除"}


class ReviewError(ValueError):
    """A request the store refuses; the message (Chinese) says why."""


def as_dict(item: ReviewItem) -> dict[str, Any]:
    return {
        "key": item.key,
        "site_id": item.site_id,
        "check_id": item.check_id,
        "url": item.url,
        "message": item.message,
        "evidence": dict(item.evidence or {}),
        "status": item.status,
        "status_text": STATUS_WORDS.get(item.status, item.status),
        "first_run_id": item.first_run_id,
        "last_run_id": item.last_run_id,
        "first_seen": _iso(item.first_seen),
        "last_seen": _iso(item.last_seen),
        "decided_by": item.decided_by,
        "decided_at": _iso(item.decided_at),
        "note": item.note,
    }


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat(timespec="seconds") if value else None


def list_items(
    session: Session,
    *,
    status: str | None = "pending",
    site_id: str | None = None,
    check_id: str | None = None,
) -> list[dict[str, Any]]:
    """Items in a stable order (site, check, page, key); ``status=None`` lists every state."""
    if status is not None and status not in STATUSES:
        raise ReviewError(f"未知的核实状态 {status!r}（可选：{'、'.join(STATUSES)}）")
    query = select(ReviewItem)
    if status is not None:
        query = query.where(ReviewItem.status == status)
    if site_id:
        query = query.where(ReviewItem.site_id == site_id)
    if check_id:
        query = query.where(ReviewItem.check_id == check_id)
    query = query.order_by(ReviewItem.site_id, ReviewItem.check_id, ReviewItem.url, ReviewItem.key)
    return [as_dict(i) for i in session.scalars(query)]


def _find(session: Session, key: str) -> ReviewItem:
    key = (key or "").strip()
    if not key:
        raise ReviewError("请给出待核实事项的编号")
    item = session.scalar(select(ReviewItem).where(ReviewItem.key == key))
    if item is None:
        # A prefix is enough when it names one item (the list shows the full key).
        matches = (
            session.scalars(select(ReviewItem).where(ReviewItem.key.startswith(key))).all()
            if len(key) >= 6
            else []
        )
        if len(matches) == 1:
            return matches[0]
        if len(matches) > 1:
            raise ReviewError(f"编号 {key} 对应多个事项，请给出更长的编号")
        raise ReviewError(f"没有编号为 {key} 的待核实事项")
    return item


def _decide(session: Session, key: str, status: str, by: str, note: str) -> dict[str, Any]:
    by = (by or "").strip()
    if not by:
        raise ReviewError("请写明核实人（--by 姓名）")
    item = _find(session, key)
    item.status = status
    item.decided_by = by[:128]
    item.decided_at = utcnow()
    item.note = (note or "")[:2000]
    session.flush()
    return as_dict(item)


def confirm(session: Session, key: str, *, by: str, note: str = "") -> dict[str, Any]:
    return _decide(session, key, "confirmed", by, note)


def dismiss(session: Session, key: str, *, by: str, note: str = "") -> dict[str, Any]:
    return _decide(session, key, "dismissed", by, note)


def reopen(session: Session, key: str, *, by: str, note: str = "") -> dict[str, Any]:
    return _decide(session, key, "pending", by, note)


def decisions_for(session: Session, site_id: str) -> dict[str, str]:
    rows = session.execute(
        select(ReviewItem.key, ReviewItem.status).where(
            ReviewItem.site_id == site_id, ReviewItem.status.in_(("confirmed", "dismissed"))
        )
    )
    return {key: status for key, status in rows}


def record_pending(session: Session, run_id: int | None, sites: Iterable[Mapping[str, Any]]) -> int:
    """Store every finding of a judged run that carries a review key (new ones as pending; known ones keep
    their decision and are marked as seen again). Returns the number of new items."""
    found: dict[str, tuple[str, str, Mapping[str, Any]]] = {}
    for site in sites:
        for check in site.get("checks", []):
            for f in check.get("findings", []):
                ev = f.get("evidence")
                if isinstance(ev, Mapping) and ev.get("review_key"):
                    found[str(ev["review_key"])] = (site["id"], check["id"], f)
    if not found:
        return 0
    known = {i.key: i for i in session.scalars(select(ReviewItem).where(ReviewItem.key.in_(list(found))))}
    now = utcnow()
    new = 0
    for key, (site_id, check_id, f) in found.items():
        ev = {k: v for k, v in dict(f.get("evidence") or {}).items() if k not in ("review", "if_confirmed")}
        message = str(f.get("message", "")).removeprefix("（待核实）")
        item = known.get(key)
        if item is None:
            session.add(
                ReviewItem(
                    key=key,
                    site_id=site_id,
                    check_id=check_id,
                    url=f.get("url", ""),
                    message=message,
                    evidence=ev,
                    status="pending",
                    first_run_id=run_id,
                    last_run_id=run_id,
                    first_seen=now,
                    last_seen=now,
                )
            )
            new += 1
        else:
            item.last_run_id, item.last_seen = run_id, now
            item.message, item.evidence = message, ev
    session.flush()
    return new


def approved_explanations(session: Session, site_id: str) -> list[Explanation]:
    """Comply or explain: the site's explanations the office approved (expired ones included; the caller
    judges expiry at its own time)."""
    return list(
        session.scalars(
            select(Explanation).where(Explanation.site_id == site_id, Explanation.status == "approved")
        ).all()
    )
