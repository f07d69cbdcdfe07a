"""What the console pages read from the store: judgements per run and site, scoped to what a user may see."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Any

from sqlalchemy import select

from govaudit.config import Config
from store.models import ReportDir, Run, SiteResult
from web.auth import Principal

VERDICT_ORDER = {"合格": 0, "不合格": 1, "未检测": 2}
TRIGGER_NAMES = {"manual": "人工", "scheduled": "定时", "recheck": "整改复查", "demo": "演示"}
RUN_STATUS = {"complete": "完成", "interrupted": "中断（未完成）", "running": "进行中", "failed": "失败"}


class Scope:
    """Which sites a principal may see: every site for the office; a department the sites of its units (the unit
    from the configuration, or from the stored result for a site no longer configured)."""

    def __init__(self, principal: Principal, config: Config):
        self.principal = principal
        self.units = {s.id: s.unit for s in config.sites}

    def unit_of(self, site_id: str, stored_unit: str | None = None) -> str | None:
        return self.units.get(site_id, stored_unit)

    def site(self, site_id: str, stored_unit: str | None = None) -> bool:
        return self.principal.is_office or self.principal.can_see_unit(self.unit_of(site_id, stored_unit))

    def sites(self, site_ids: list[str]) -> list[str]:
        return [i for i in site_ids if self.site(i)]


def latest_results(session: Any, run_id: int) -> list[dict[str, Any]]:
    """The newest judgement of each site of a run (a run may be judged as of several dates)."""
    rows = session.scalars(
        select(SiteResult).where(SiteResult.run_id == run_id).order_by(SiteResult.judged_at, SiteResult.id)
    ).all()
    by_site: dict[str, SiteResult] = {}
    for r in rows:
        by_site[r.site_id] = r
    return [dict(r.data) for r in by_site.values()]


def rank(sites: list[dict[str, Any]]) -> list[dict[str, Any]]:
    def key(s: dict[str, Any]) -> tuple[int, float, str]:
        score = s.get("score")
        return (
            VERDICT_ORDER.get(s.get("verdict", "未检测"), 3),
            -(score if score is not None else -1),
            s["id"],
        )

    ranked = sorted(sites, key=key)
    out = []
    for i, s in enumerate(ranked, 1):
        out.append({**s, "rank": i if s.get("verdict") != "未检测" else None})
    return out


def summary(sites: list[dict[str, Any]]) -> dict[str, Any]:
    tested = [s for s in sites if s.get("verdict") != "未检测"]
    passed = sum(1 for s in tested if s.get("verdict") == "合格")
    return {
        "total": len(sites),
        "tested": len(tested),
        "passed": passed,
        "failed": len(tested) - passed,
        "untested": len(sites) - len(tested),
        "rate": round(100.0 * passed / len(tested), 1) if tested else None,
    }


def problems_by_check(sites: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per check: how many sites fail it and how many problem findings it has (waived ones left out)."""
    from reports.recheck import KIND_FAIL, KIND_VETO, finding_kind

    table: dict[str, dict[str, Any]] = {}
    for site in sites:
        for c in site.get("checks") or []:
            if c.get("status") != "fail":
                continue
            row = table.setdefault(
                c["id"],
                {
                    "id": c["id"],
                    "title": c.get("failure_title") or c.get("title") or c["id"],
                    "sites": 0,
                    "findings": 0,
                    "veto": False,
                },
            )
            row["sites"] += 1
            row["veto"] = row["veto"] or bool(c.get("veto"))
            row["findings"] += sum(
                1
                for f in c.get("findings") or []
                if finding_kind(c, f) in (KIND_VETO, KIND_FAIL) and not f.get("waived")
            )
    return sorted(table.values(), key=lambda r: (-r["sites"], -r["findings"], r["id"]))


def runs_with_results(session: Any, *, include_rechecks: bool = True) -> list[Run]:
    q = select(Run).order_by(Run.id.desc())
    runs = session.scalars(q).all()
    judged = set(session.scalars(select(SiteResult.run_id).distinct()))
    return [r for r in runs if r.id in judged and (include_rechecks or r.trigger != "recheck")]


def trend(session: Any, scope: Scope, limit: int = 12) -> list[dict[str, Any]]:
    """合格率 of the last full inspections (re-checks of one site are left out), oldest first."""
    points = []
    for run in runs_with_results(session, include_rechecks=False)[:limit]:
        sites = [s for s in latest_results(session, run.id) if scope.site(s["id"], s.get("unit"))]
        if not sites:
            continue
        sm = summary(sites)
        if sm["rate"] is None:
            continue
        points.append(
            {
                "run": run.id,
                "date": run.as_of.isoformat(),
                "rate": sm["rate"],
                "passed": sm["passed"],
                "tested": sm["tested"],
            }
        )
    return list(reversed(points))


def site_history(session: Any, site_id: str) -> list[dict[str, Any]]:
    rows = session.scalars(
        select(SiteResult)
        .where(SiteResult.site_id == site_id)
        .order_by(SiteResult.run_id.desc(), SiteResult.judged_at.desc())
    ).all()
    seen, out = set(), []
    for r in rows:
        if r.run_id in seen:
            continue
        seen.add(r.run_id)
        run = session.get(Run, r.run_id)
        out.append(
            {
                "run": r.run_id,
                "as_of": r.as_of,
                "score": r.score,
                "verdict": r.verdict,
                "trigger": TRIGGER_NAMES.get(run.trigger, run.trigger) if run else "",
                "started": run.started if run else None,
                "problems": sum(1 for c in (r.data or {}).get("checks") or [] if c.get("status") == "fail"),
            }
        )
    return out


def latest_site_result(
    session: Any, site_id: str, run_id: int | None = None
) -> tuple[dict[str, Any], int] | None:
    q = select(SiteResult).where(SiteResult.site_id == site_id)
    if run_id is not None:
        q = q.where(SiteResult.run_id == run_id)
    row = session.scalars(q.order_by(SiteResult.run_id.desc(), SiteResult.judged_at.desc())).first()
    return (dict(row.data), row.run_id) if row else None


# ---------------------------------------------------------------------------------------------- documents


def report_dir(session: Any, run_id: int) -> Path | None:
    row = session.scalars(
        select(ReportDir).where(ReportDir.run_id == run_id).order_by(ReportDir.written_at.desc())
    ).first()
    if row is None:
        return None
    path = Path(row.path)
    return path if path.is_dir() else None


def file_sites(rel: str, site_ids: set[str]) -> set[str]:
    """The sites a document is about, judged by its name: any path part or file stem (before the first dot, or
    a trailing _/- suffix) that is a site id. Anything else is about the whole run."""
    hits = set()
    for part in Path(rel).parts:
        stem = part.split(".")[0]
        for candidate in {part, stem, *stem.replace("-", "_").split("_")}:
            if candidate in site_ids:
                hits.add(candidate)
        if stem in site_ids:
            hits.add(stem)
    return hits


def documents(root: Path, run_site_ids: list[str], scope: Scope) -> list[dict[str, Any]]:
    """Every regular file under the run's report folder that this user may download: the office everything; a
    department the files named after its own sites, and whole-run files only of a run of its own sites alone.
    Symbolic links and anything outside the folder are never offered."""
    ids = set(run_site_ids)
    own_run = all(scope.site(i) for i in run_site_ids)
    out = []
    root = root.resolve()
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        dirnames[:] = sorted(
            d for d in dirnames if not d.startswith(".") and not (Path(dirpath) / d).is_symlink()
        )
        for name in sorted(filenames):
            full = Path(dirpath) / name
            if name.startswith(".") or full.is_symlink() or not full.is_file() or name.endswith(".tmp"):
                continue
            rel = full.relative_to(root).as_posix()
            about = file_sites(rel, ids)
            if not scope.principal.is_office:
                if about:
                    if not all(scope.site(i) for i in about):
                        continue
                elif not own_run:
                    continue
            stat = full.stat()
            out.append(
                {
                    "path": rel,
                    "size": stat.st_size,
                    "kind": full.suffix.lstrip(".").upper() or "文件",
                    "modified": dt.datetime.fromtimestamp(stat.st_mtime),
                }
            )
    return out


def size_text(n: int) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return str(n)
