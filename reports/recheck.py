"""Re-check diff: compare an earlier results.json with the current one, site by site and check by check.

A problem is a finding of severity veto/fail/warn (INFO findings and the not-tested reason do not count).
Findings are matched by (check id, url, message key); the message key is the message with numbers replaced
and whitespace removed, so "已41天未更新" and "已52天未更新" on the same column are the same problem.

Per check the outcome is one of:
- 已整改: there were problems before and there are none now;
- 未整改: at least one earlier problem is still there;
- 新发现: there are problems now that were not there before (and none of the earlier ones remains);
- 无法复查: the check is now not_tested or error (or missing), so earlier problems cannot be verified;
- 无问题: no problems before or now.

Per site the counts are per finding: 已整改/未整改/新发现 count findings; 无法复查 counts the earlier problems that
sit in checks that could not be re-checked.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from netkit.urls import without_port as url_key

FIXED = "已整改"
UNFIXED = "未整改"
NEW = "新发现"
UNVERIFIABLE = "无法复查"
CLEAN = "无问题"
OUTCOMES = (FIXED, UNFIXED, NEW, UNVERIFIABLE)

KIND_VETO = "单项否决"
KIND_FAIL = "扣分"
KIND_WARN = "预警"
KIND_INFO = "说明"

_SEVERITY_KIND = {"veto": KIND_VETO, "fail": KIND_FAIL, "warn": KIND_WARN, "info": KIND_INFO}
_UNTESTED = ("not_tested", "error")
_NUMBER = re.compile(r"[0-9０-９]+(?:[.．][0-9０-９]+)?")
_SPACE = re.compile(r"\s+")


def finding_kind(check: Mapping[str, Any], finding: Mapping[str, Any]) -> str:
    """单项否决 / 扣分 / 预警 / 说明 for one finding, from its severity or, without one, from its check."""
    severity = str(finding.get("severity") or "").lower()
    if severity in _SEVERITY_KIND:
        return _SEVERITY_KIND[severity]
    status = check.get("status")
    if status == "fail":
        return KIND_VETO if check.get("veto") else KIND_FAIL
    if status == "warn":
        return KIND_WARN
    return KIND_INFO


def is_reason_finding(check: Mapping[str, Any], finding: Mapping[str, Any]) -> bool:
    """The first finding of a not_tested/error check repeats its reason; it is not a finding."""
    return (
        check.get("status") in _UNTESTED
        and str(finding.get("severity") or "info").lower() == "info"
        and finding.get("message") == (check.get("reason") or finding.get("message"))
    )


def problems(check: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The findings of a check that are problems (veto, fail or warn)."""
    if check.get("status") in _UNTESTED:
        return []
    return [
        dict(f)
        for f in check.get("findings") or []
        if finding_kind(check, f) in (KIND_VETO, KIND_FAIL, KIND_WARN)
    ]


def message_key(message: str) -> str:
    return _SPACE.sub("", _NUMBER.sub("#", message or ""))


def finding_key(check_id: str, finding: Mapping[str, Any]) -> tuple[str, str, str]:
    return (check_id, url_key(str(finding.get("url") or "")), message_key(str(finding.get("message") or "")))


def _match(
    check_id: str, before: list[dict[str, Any]], after: list[dict[str, Any]]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
    """Pair findings by key (as multisets); return (fixed, unfixed, new); unfixed carry the current one."""
    waiting: dict[tuple[str, str, str], list[dict[str, Any]]] = {}
    for f in before:
        waiting.setdefault(finding_key(check_id, f), []).append(f)
    unfixed: list[dict[str, Any]] = []
    new: list[dict[str, Any]] = []
    for f in after:
        bucket = waiting.get(finding_key(check_id, f))
        if bucket:
            old = bucket.pop(0)
            unfixed.append({**f, "previous_message": old.get("message", "")})
        else:
            new.append(f)
    fixed = [f for bucket in waiting.values() for f in bucket]
    fixed.sort(key=before.index)
    return fixed, unfixed, new


def _check_name(check: Mapping[str, Any] | None, fallback: str) -> str:
    if not check:
        return fallback
    return str(check.get("title") or check.get("failure_title") or fallback)


def diff_site(previous: Mapping[str, Any] | None, current: Mapping[str, Any] | None) -> dict[str, Any]:
    """Compare one site's two results; either side may be missing."""
    prev_checks = {c["id"]: c for c in (previous or {}).get("checks") or []}
    cur_checks = {c["id"]: c for c in (current or {}).get("checks") or []}
    order = list(cur_checks) + [cid for cid in prev_checks if cid not in cur_checks]
    counts = dict.fromkeys(OUTCOMES, 0)
    checks: list[dict[str, Any]] = []
    for cid in order:
        before_c, after_c = prev_checks.get(cid), cur_checks.get(cid)
        before = problems(before_c) if before_c else []
        cur_status = after_c.get("status") if after_c else "missing"
        reason = ""
        if after_c is None or cur_status in _UNTESTED:
            outcome = UNVERIFIABLE
            fixed, unfixed, new = [], [], []
            unverified = before
            reason = str(
                (after_c or {}).get("reason")
                or ("本次检查结果中没有该检查项" if after_c is None else "本次未能检测")
            )
            counts[UNVERIFIABLE] += len(before)
        else:
            unverified = []
            fixed, unfixed, new = _match(cid, before, problems(after_c))
            if unfixed:
                outcome = UNFIXED
            elif new:
                outcome = NEW
            elif fixed:
                outcome = FIXED
            else:
                outcome = CLEAN
            counts[FIXED] += len(fixed)
            counts[UNFIXED] += len(unfixed)
            counts[NEW] += len(new)
        checks.append(
            {
                "id": cid,
                "title": _check_name(after_c or before_c, cid),
                "outcome": outcome,
                "previous_status": before_c.get("status") if before_c else "missing",
                "current_status": cur_status,
                "fixed": fixed,
                "unfixed": unfixed,
                "new": new,
                "unverified": unverified,
                "reason": reason,
            }
        )
    base = current or previous or {}
    return {
        "id": base.get("id", ""),
        "name": base.get("name", ""),
        "in_previous": previous is not None,
        "in_current": current is not None,
        "previous_verdict": (previous or {}).get("verdict"),
        "verdict": (current or {}).get("verdict"),
        "previous_score": (previous or {}).get("score"),
        "score": (current or {}).get("score"),
        "checks": checks,
        "counts": counts,
    }


def diff(previous: Mapping[str, Any], current: Mapping[str, Any]) -> dict[str, Any]:
    """Compare two results.json dicts of the same sites.

    Returns {"previous_run", "current_run", "sites": {site id: site diff}, "totals": {outcome: count}}; a site
    diff has id, name, in_previous, in_current, previous_verdict, verdict, previous_score, score,
    checks (list of {id, title, outcome, previous_status, current_status, fixed, unfixed, new, unverified,
    reason}) and counts ({已整改, 未整改, 新发现, 无法复查} → number of findings).
    """
    prev_sites = {s["id"]: s for s in previous.get("sites") or []}
    cur_sites = {s["id"]: s for s in current.get("sites") or []}
    order = list(cur_sites) + [sid for sid in prev_sites if sid not in cur_sites]
    sites = {sid: diff_site(prev_sites.get(sid), cur_sites.get(sid)) for sid in order}
    totals = dict.fromkeys(OUTCOMES, 0)
    for s in sites.values():
        for k, v in s["counts"].items():
            totals[k] += v
    return {
        "previous_run": dict(previous.get("run") or {}),
        "current_run": dict(current.get("run") or {}),
        "sites": sites,
        "totals": totals,
    }
