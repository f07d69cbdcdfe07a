"""The office's documents of one run, built from the scored results (view dicts for the templates and writers).

- the 通报 (summary): numbers, 合格率 and its change, the ranking (county portals and departments apart), the
  不合格 sites with their reasons, problems counted by check, charts; short at any scale (details stay in the
  per-site reports);
- 整改通知书 per responsible unit (`unit` of sites.yaml): one notice covering all of the unit's sites;
- 整改复查报告 per unit: each item of the unit's last notice 已整改 / 未整改 with the evidence before and after,
  and the 新发现 problems;
- the tables of the workbook and the CSV files: 排名, 问题清单, 复查.

Nothing here reads the store or the network: the caller passes the results (and the previous judgement, the
history of 合格率 and the screenshots it took).
"""

from __future__ import annotations

import base64
import datetime as dt
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from markupsafe import Markup

from reports.recheck import (
    FIXED,
    KIND_FAIL,
    KIND_VETO,
    NEW,
    UNFIXED,
    UNVERIFIABLE,
    diff_site,
    finding_key,
    finding_kind,
)
from reports.settings import NoticeSettings

SUMMARY_GROUPS = (
    ("county", "县（市、区）政府门户网站", ("municipal", "county")),
    ("department", "市直部门网站", ("department",)),
)
LEVEL_SHORT = {"municipal": "市级", "county": "县级", "department": "部门"}
MAIN_PROBLEMS = (
    2  # failure titles named in the ranking's 主要问题 cell (one line per site keeps the 通报 short)
)
EVIDENCE_CHARS = 240  # evidence of one notice row; the site report holds all of it
SHEET_EVIDENCE_CHARS = 1000  # evidence summary of one 问题清单 row
KIND_ORDER = {KIND_VETO: 0, KIND_FAIL: 1}


def _data_uri(path: Path | None) -> str:
    """The picture at `path` as a data URI, Markup so that the display filter prints it whole (a shortened
    base64 string is no picture)."""
    if not path:
        return ""
    try:
        return Markup("data:image/png;base64," + base64.b64encode(Path(path).read_bytes()).decode())
    except OSError:
        return ""


def clip(text: str, limit: int) -> str:
    text = re.sub(r"\s+", " ", text or "").strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"


def unit_key(site_ids: Iterable[str]) -> str:
    """A unit's file name: its first site's id (config order), stable from one run to the next."""
    from reports.render import _safe_name

    return _safe_name(next(iter(site_ids)))


# ---------------------------------------------------------------- 通报


def _main_problems(site: Mapping[str, Any]) -> str:
    if site["verdict"] == "未检测":
        return clip(site["untested_reason"], 24)
    failing = [c for c in site["checks"] if c["problems"]]
    failing.sort(key=lambda c: (not c["veto"], -float(c["points_lost"] or 0)))
    names = [c["failure_title"] for c in failing[:MAIN_PROBLEMS]]
    if len(failing) > MAIN_PROBLEMS:
        names.append(f"等{len(failing)}项")
    return "、".join(names) or "无"


def _reasons(site: Mapping[str, Any]) -> str:
    """Why a site is 不合格: its vetoes, else the deductions that brought it under the pass mark."""
    parts = []
    if site["vetoes"]:
        parts.append("单项否决：" + "、".join(site["vetoes"]))
    deductions = sorted(
        (c for c in site["checks"] if float(c["points_lost"] or 0) > 0 and not c["veto"]),
        key=lambda c: -float(c["points_lost"] or 0),
    )
    if deductions:
        parts.append(
            "扣分："
            + "、".join(f"{c['failure_title']}（{float(c['points_lost']):g}分）" for c in deductions[:3])
            + (f"等{len(deductions)}项" if len(deductions) > 3 else "")
        )
    return "；".join(parts) or "—"


def _host(url: str) -> str:
    """The address as the ranking prints it: without http(s):// and a bare trailing slash."""
    short = re.sub(r"^https?://", "", url or "")
    return short[:-1] if short.endswith("/") and short.count("/") == 1 else short


def pass_rate(sites: Iterable[Mapping[str, Any]]) -> float | None:
    verdicts = [s.get("verdict") for s in sites]
    tested = sum(1 for v in verdicts if v in ("合格", "不合格"))
    return sum(1 for v in verdicts if v == "合格") / tested * 100 if tested else None


def rate_change(
    current: list[Mapping[str, Any]], previous: Mapping[str, Any] | None
) -> dict[str, Any] | None:
    """合格率 now and in the previous judgement of the same sites (sites judged both times only)."""
    if not previous:
        return None
    before = {s["id"]: s for s in previous.get("sites") or []}
    both = [s for s in current if s["id"] in before]
    if not both:
        return None
    now_rate = pass_rate(both)
    then_rate = pass_rate([before[s["id"]] for s in both])
    run = previous.get("run") or {}
    out = {
        "run_id": run.get("id", ""),
        "as_of": run.get("as_of", ""),
        "sites": len(both),
        "now": now_rate,
        "then": then_rate,
        "delta": None,
        "text": "",
    }
    if now_rate is None or then_rate is None:
        out["text"] = "上次检查中这些网站均未检测，无法比较"
        return out
    delta = round(now_rate - then_rate, 1)
    out["delta"] = delta
    trend = (
        "持平" if delta == 0 else (f"上升{delta:.1f}个百分点" if delta > 0 else f"下降{-delta:.1f}个百分点")
    )
    out["text"] = (
        f"同一批{len(both)}个网站上次检查（第{out['run_id']}次，基准日{_date(out['as_of'])}）合格率为"
        f"{then_rate:.1f}%，本次为{now_rate:.1f}%，{trend}"
    )
    return out


def _date(value: Any) -> str:
    from reports.render import fmt_date

    return fmt_date(value)


def problems_by_check(sites: list[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Per check: sites with problems, problems (veto/fail findings), points lost, vetoes; most sites first."""
    rows: dict[str, dict[str, Any]] = {}
    for site in sites:
        if site["verdict"] == "未检测":
            continue
        for c in site["checks"]:
            row = rows.setdefault(
                c["id"],
                {
                    "id": c["id"],
                    "title": c["failure_title"],
                    "sites": 0,
                    "problems": 0,
                    "points": 0.0,
                    "vetoes": 0,
                    "not_tested": 0,
                },
            )
            if not c["counted"]:
                row["not_tested"] += 1
            if c["problems"]:
                row["sites"] += 1
                row["problems"] += len(c["problems"])
                row["points"] += float(c["points_lost"] or 0)
                row["vetoes"] += 1 if c["veto"] else 0
    out = sorted(rows.values(), key=lambda r: (-r["sites"], -r["problems"], r["id"]))
    for r in out:
        r["points"] = round(r["points"], 1)
    return out


def summary_view(
    sites: list[dict[str, Any]],
    summary: Mapping[str, Any],
    run: Mapping[str, Any],
    *,
    previous: Mapping[str, Any] | None,
    history: list[dict[str, Any]] | None,
    settings: NoticeSettings,
    issued: dt.date,
    charts: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    groups = []
    for key, title, levels in SUMMARY_GROUPS:
        members = [s for s in sites if s["level"] in levels]
        if not members:
            continue
        rows = []
        position = 0
        for s in members:
            position += 1
            rows.append(
                {
                    "no": position,
                    "site": s,
                    "main": _main_problems(s),
                    "host": _host(s["url"]),
                    "level": LEVEL_SHORT.get(s["level"], s["level_name"]),
                }
            )
        groups.append({"key": key, "title": title, "rows": rows, "summary": _count(members)})
    other = [s for s in sites if not any(s["level"] in lv for _, _, lv in SUMMARY_GROUPS)]
    if other:
        groups.append(
            {
                "key": "other",
                "title": "其他网站",
                "rows": [
                    {
                        "no": i,
                        "site": s,
                        "main": _main_problems(s),
                        "level": s["level_name"],
                        "host": _host(s["url"]),
                    }
                    for i, s in enumerate(other, 1)
                ],
                "summary": _count(other),
            }
        )
    failed = [{"site": s, "reasons": _reasons(s)} for s in sites if s["verdict"] == "不合格"]
    untested = [s for s in sites if s["verdict"] == "未检测"]
    # 未检测 sites grouped by their reason: one line per reason, however many sites share it
    untested_groups: dict[str, list[str]] = {}
    for s in untested:
        untested_groups.setdefault(clip(s["untested_reason"], 80), []).append(s["name"])
    return {
        "title": "九江市政府网站检查情况通报",
        "issuer": settings.issuer,
        "signature": list(settings.signature),
        "issued": issued,
        "run": run,
        "as_of": run.get("as_of", ""),
        "summary": summary,
        "change": rate_change(sites, previous),
        "groups": groups,
        "failed": failed,
        "untested": untested,
        "untested_groups": [{"reason": r, "names": n} for r, n in untested_groups.items()],
        "by_check": problems_by_check(sites),
        "history": history or [],
        "charts": charts or {},
        "notices": summary.get("notice_units", 0),
    }


def _count(sites: list[Mapping[str, Any]]) -> dict[str, Any]:
    passed = sum(1 for s in sites if s["verdict"] == "合格")
    failed = sum(1 for s in sites if s["verdict"] == "不合格")
    tested = passed + failed
    return {
        "total": len(sites),
        "passed": passed,
        "failed": failed,
        "untested": len(sites) - tested,
        "rate": f"{passed / tested * 100:.1f}%" if tested else "—",
    }


def history_points(
    history: list[Mapping[str, Any]] | None, run: Mapping[str, Any], sites: list[Mapping[str, Any]]
) -> list[dict[str, Any]]:
    """合格率 per stored run, oldest first, this run included (taken from `sites` when history lacks it)."""
    points = {}
    for h in history or []:
        if h.get("rate") is not None:
            points[h["run_id"]] = {
                "run_id": h["run_id"],
                "as_of": str(h.get("as_of") or ""),
                "rate": float(h["rate"]),
                "sites": h.get("sites", 0),
            }
    rate = pass_rate(sites)
    if rate is not None:
        points[run.get("id", "")] = {
            "run_id": run.get("id", ""),
            "as_of": str(run.get("as_of") or ""),
            "rate": rate,
            "sites": len(sites),
        }
    return sorted(points.values(), key=lambda p: (str(p["as_of"]), str(p["run_id"])))


# ---------------------------------------------------------------- 整改通知书 per unit


def _evidence_text(evidence: Any, limit: int = EVIDENCE_CHARS) -> str:
    from reports.render import evidence_brief

    return clip(evidence_brief(evidence), limit)


def unit_notices(
    sites: list[dict[str, Any]],
    run: Mapping[str, Any],
    *,
    settings: NoticeSettings,
    issued: dt.date,
    deadline: dt.date,
    order: list[str],
    screenshots: Mapping[tuple[str, str, str, str], Path] | None = None,
) -> list[dict[str, Any]]:
    """One notice per responsible unit that has a site with a problem to rectify (veto or deduction).

    `order` is the site ids in configuration order (a unit's file is named after its first site);
    `screenshots` maps (site id, *finding_key) to a PNG of the page with the problem outlined; the HTML embeds
    it (a notice is mailed as one file), the DOCX inserts it.
    """
    from reports.render import NOTICE_MAX_ROWS_PER_CHECK, _basis

    screenshots = screenshots or {}
    position = {sid: i for i, sid in enumerate(order)}
    by_unit: dict[str, list[dict[str, Any]]] = {}
    for s in sorted(sites, key=lambda s: position.get(s["id"], len(position))):
        if s["has_notice"]:
            by_unit.setdefault(s["unit"], []).append(s)
    notices = []
    for seq, (unit, members) in enumerate(by_unit.items(), start=1):
        multi = len(members) > 1
        groups: dict[str, dict[str, Any]] = {}
        warnings: dict[str, dict[str, Any]] = {}
        unfixed_keys: set[tuple[str, ...]] = set()
        for s in members:
            if s["recheck"]:
                for c in s["recheck"]["checks"]:
                    unfixed_keys.update((s["id"], *finding_key(c["id"], f)) for f in c["unfixed"])
        for s in members:
            for c in s["checks"]:
                for target, findings in (
                    (groups, c["problems"]),
                    (warnings, c["warnings"] if c["counted"] else []),
                ):
                    if not findings:
                        continue
                    g = target.setdefault(
                        c["id"], {"check": c, "rows": [], "points": 0.0, "veto": False, "sites": []}
                    )
                    g["points"] += float(c["points_lost"] or 0)
                    g["veto"] = g["veto"] or c["veto"]
                    g["sites"].append(s["name"])
                    for f in findings[:NOTICE_MAX_ROWS_PER_CHECK]:
                        key = (s["id"], *finding_key(c["id"], f))
                        g["rows"].append(
                            {
                                **f,
                                "site_name": s["name"],
                                "site_id": s["id"],
                                "evidence_text": _evidence_text(f["evidence"]),
                                "repeat": key in unfixed_keys,
                                "screenshot": str(screenshots.get(key) or ""),
                                "screenshot_uri": _data_uri(screenshots.get(key)),
                            }
                        )
                    if len(findings) > NOTICE_MAX_ROWS_PER_CHECK:
                        g.setdefault("more", []).append(
                            f"{s['name']}另有同类问题{len(findings) - NOTICE_MAX_ROWS_PER_CHECK}处"
                        )
        number = 0
        group_list = sorted(groups.values(), key=lambda g: (not g["veto"], -g["points"]))
        for g in group_list:
            g["rows"].sort(key=lambda r: KIND_ORDER.get(r["kind"], 2))
            for r in g["rows"]:
                number += 1
                r["no"] = number
            g["points"] = round(g["points"], 2)
            g["more_text"] = "；".join(g.get("more", []))
            g["sites"] = list(dict.fromkeys(g["sites"]))
        warn_no = 0
        warning_list = list(warnings.values())
        for g in warning_list:
            for r in g["rows"]:
                warn_no += 1
                r["no"] = warn_no
            g["more_text"] = "；".join(g.get("more", []))
        if multi:
            title = f"关于{unit}所属{len(members)}个网站检查问题的整改通知书"
        else:
            title = f"关于{members[0]['name']}网站检查问题的整改通知书"
        notices.append(
            {
                "key": unit_key(s["id"] for s in members),
                "unit": unit,
                "sites": members,
                "multi": multi,
                "site_names": "、".join(f"“{s['name']}”" for s in members),
                "title": title,
                "doc_number": settings.number(issued, seq, run.get("id", "")),
                "issuer": settings.issuer,
                "signature": list(settings.signature),
                "contact": settings.contact.parts(),
                "recheck_request": settings.recheck_request,
                "objection_workdays": settings.objection_workdays,
                "issued": issued,
                "deadline": deadline,
                "deadline_days": settings.deadline_workdays,
                "as_of": run.get("as_of", ""),
                "run_id": run.get("id", ""),
                "basis": _basis([g["check"] for g in group_list]),
                "groups": group_list,
                "warning_groups": warning_list,
                "problem_total": number,
                "veto_count": sum(1 for g in group_list if g["veto"]),
                "deduction_total": round(sum(g["points"] for g in group_list), 2),
                "screenshots_taken": sum(1 for g in group_list for r in g["rows"] if r["screenshot"]),
            }
        )
    return notices


# ---------------------------------------------------------------- 整改复查报告 per unit


def _is_item(check: Mapping[str, Any], finding: Mapping[str, Any]) -> bool:
    """A notice item: a veto or deduction finding (warnings carry no deadline and are not re-checked)."""
    return finding_kind(check, finding) in (KIND_VETO, KIND_FAIL)


def recheck_reports(
    previous: Mapping[str, Any],
    current_sites: list[dict[str, Any]],
    current: Mapping[str, Any],
    *,
    settings: NoticeSettings,
    issued: dt.date,
    order: list[str],
) -> list[dict[str, Any]]:
    """Per unit whose sites had a notice in the previous judgement: each earlier item 已整改 / 未整改 (or 无法复查),
    with the evidence before and after, and the problems found now that were not there (新发现)."""
    prev_sites = {s["id"]: s for s in previous.get("sites") or []}
    cur_raw = {s["id"]: s for s in current.get("sites") or []}
    views = {s["id"]: s for s in current_sites}
    position = {sid: i for i, sid in enumerate(order)}
    by_unit: dict[str, list[str]] = {}
    for sid in sorted(cur_raw, key=lambda i: position.get(i, len(position))):
        before = prev_sites.get(sid)
        if before is None:
            continue
        had_items = any(
            _is_item(c, f)
            for c in before.get("checks") or []
            if c.get("status") == "fail"
            for f in c.get("findings") or []
        )
        if had_items and before.get("verdict") != "未检测":
            by_unit.setdefault(str(cur_raw[sid].get("unit") or before.get("unit") or "—"), []).append(sid)
    reports = []
    prev_run = dict(previous.get("run") or {})
    for unit, sids in by_unit.items():
        sites = []
        totals = dict.fromkeys((FIXED, UNFIXED, NEW, UNVERIFIABLE), 0)
        for sid in sids:
            before, after = prev_sites[sid], cur_raw[sid]
            d = diff_site(before, after)
            before_checks = {c["id"]: c for c in before.get("checks") or []}
            after_checks = {c["id"]: c for c in after.get("checks") or []}
            items, new = [], []
            for c in d["checks"]:
                bc, ac = before_checks.get(c["id"], {}), after_checks.get(c["id"], {})
                title = str(bc.get("failure_title") or ac.get("failure_title") or c["title"])
                rule = str(ac.get("rule") or bc.get("rule") or "")
                for f in c["fixed"]:
                    if _is_item(bc, f):
                        items.append(_item(c["id"], title, rule, FIXED, f, None))
                for f in c["unfixed"]:
                    old = _previous_of(bc, c["id"], f)
                    if old is not None and _is_item(bc, old):
                        items.append(_item(c["id"], title, rule, UNFIXED, old, f))
                for f in c["unverified"]:
                    if _is_item(bc, f):
                        items.append(_item(c["id"], title, rule, UNVERIFIABLE, f, None, reason=c["reason"]))
                for f in c["new"]:
                    if _is_item(ac, f):
                        new.append(_item(c["id"], title, rule, NEW, None, f))
            order_of = {FIXED: 1, UNFIXED: 0, UNVERIFIABLE: 2}
            items.sort(key=lambda i: order_of[i["outcome"]])
            for n, item in enumerate(items, 1):
                item["no"] = n
            for n, item in enumerate(new, 1):
                item["no"] = n
            counts = {
                FIXED: sum(1 for i in items if i["outcome"] == FIXED),
                UNFIXED: sum(1 for i in items if i["outcome"] == UNFIXED),
                UNVERIFIABLE: sum(1 for i in items if i["outcome"] == UNVERIFIABLE),
                NEW: len(new),
            }
            for k, v in counts.items():
                totals[k] += v
            view = views.get(sid, {})
            sites.append(
                {
                    "id": sid,
                    "name": str(after.get("name") or sid),
                    "url": str(after.get("url") or ""),
                    "previous_verdict": before.get("verdict"),
                    "verdict": after.get("verdict"),
                    "previous_score": before.get("score"),
                    "score": after.get("score"),
                    "verdict_class": view.get("verdict_class", "na"),
                    "notice_items": items,
                    "new": new,
                    "counts": counts,
                }
            )
        done = totals[UNFIXED] == 0 and totals[NEW] == 0 and totals[UNVERIFIABLE] == 0
        reports.append(
            {
                "key": unit_key(sids),
                "unit": unit,
                "sites": sites,
                "title": f"关于{unit}网站整改情况的复查报告",
                "issuer": settings.issuer,
                "signature": list(settings.signature),
                "issued": issued,
                "previous_run": prev_run,
                "run": dict(current.get("run") or {}),
                "totals": totals,
                "conclusion": (
                    "经复查，前次通知所列问题均已整改到位，未发现新的问题。"
                    if done
                    else f"经复查，前次通知所列问题已整改{totals[FIXED]}个，未整改{totals[UNFIXED]}个"
                    + (f"，无法复查{totals[UNVERIFIABLE]}个" if totals[UNVERIFIABLE] else "")
                    + (f"；另新发现问题{totals[NEW]}个" if totals[NEW] else "")
                    + "。"
                ),
                "contact": settings.contact.parts(),
            }
        )
    return reports


def _previous_of(
    check: Mapping[str, Any], check_id: str, current: Mapping[str, Any]
) -> dict[str, Any] | None:
    key = finding_key(check_id, current)
    for f in check.get("findings") or []:
        if finding_key(check_id, f) == key:
            return dict(f)
    return None


def _item(
    check_id: str,
    title: str,
    rule: str,
    outcome: str,
    before: Mapping[str, Any] | None,
    after: Mapping[str, Any] | None,
    reason: str = "",
) -> dict[str, Any]:
    base = before or after or {}
    return {
        "check_id": check_id,
        "check": title,
        "rule": rule,
        "outcome": outcome,
        "outcome_class": {FIXED: "ok", UNFIXED: "bad", NEW: "warn", UNVERIFIABLE: "na"}[outcome],
        "url": str(base.get("url") or (after or {}).get("url") or ""),
        "before": str((before or {}).get("message") or ""),
        "before_evidence": _evidence_text((before or {}).get("evidence")) if before else "",
        "after": (
            str(after.get("message") or "")
            if after
            else (reason or "本次检查未再发现该问题")
            if outcome != UNVERIFIABLE
            else reason or "本次未能检测"
        ),
        "after_evidence": _evidence_text(after.get("evidence")) if after else "",
    }


# ---------------------------------------------------------------- tables (XLSX sheets, CSV files)

RANKING_HEADER = [
    "排名",
    "网站标识码",
    "网站名称",
    "网址",
    "级别",
    "责任单位",
    "得分",
    "结论",
    "单项否决",
    "问题数",
    "主要问题",
]
FINDINGS_HEADER = [
    "网站",
    "网站名称",
    "责任单位",
    "检查项",
    "检查项名称",
    "问题类型",
    "问题描述",
    "页面地址",
    "证据摘要",
    "扣分",
]
RECHECK_HEADER = [
    "网站",
    "网站名称",
    "责任单位",
    "检查项",
    "检查项名称",
    "复查结果",
    "前次问题",
    "前次证据",
    "本次情况",
    "本次证据",
    "页面地址",
]


def ranking_table(sites: list[dict[str, Any]]) -> list[list[Any]]:
    rows = []
    for s in sites:
        rows.append(
            [
                s["rank"] if s["rank"] is not None else "—",
                s["site_code"],
                s["name"],
                s["url"],
                s["level_name"],
                s["unit"],
                round(float(s["score"]), 1) if isinstance(s["score"], int | float) else "—",
                s["verdict"],
                "；".join(s["vetoes"]) or "无",
                s["problem_count"] if s["verdict"] != "未检测" else "—",
                _main_problems(s),
            ]
        )
    return rows


def findings_table(sites: list[dict[str, Any]]) -> list[list[Any]]:
    rows = []
    for s in sites:
        for c in s["checks"]:
            for f in c["findings"]:
                rows.append(
                    [
                        s["id"],
                        s["name"],
                        s["unit"],
                        c["id"],
                        c["name"],
                        f["kind"],
                        f["message"],
                        f["url"],
                        _evidence_text(f["evidence"], SHEET_EVIDENCE_CHARS),
                        float(f["points"] or 0),
                    ]
                )
    return rows


def recheck_table(reports: list[dict[str, Any]]) -> list[list[Any]]:
    rows = []
    for r in reports:
        for s in r["sites"]:
            for item in [*s["notice_items"], *s["new"]]:
                rows.append(
                    [
                        s["id"],
                        s["name"],
                        r["unit"],
                        item["check_id"],
                        item["check"],
                        item["outcome"],
                        item["before"],
                        item["before_evidence"],
                        item["after"],
                        item["after_evidence"],
                        item["url"],
                    ]
                )
    return rows
