"""Jobs: inspections and re-checks asked for in the console or by a schedule.

The database is the record (`store.models.Job`: queued → running → done | failed). The console only calls
`submit()` and reads `status()` / Job rows; *running* a job is an engine's business:

    class Engine(Protocol):
        def dispatch(self, job_id: int) -> None   # a job row was written (queued)
        def start(self) -> None                   # begin taking work (inside `govaudit serve`)
        def stop(self) -> None

`EmbeddedEngine` (the default) runs inside `govaudit serve`: lane threads claim queued jobs from the table and
run each in a child process (`python -m govaudit.jobs JOB_ID …`), so a crash costs one job, not the console.
A distributed engine (settings `jobs.engine: package.module:Class`) gets the same job ids and calls the same
`execute_job()`; the console does not change. A job only ever names site ids of the configuration: `submit()`
refuses anything else, and `execute_job()` checks again against the configuration it loads.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib
import json
import logging
import os
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from sqlalchemy import and_, exists, func, select, update
from sqlalchemy.orm import aliased

from govaudit.config import Config, load_config
from govaudit.settings import Settings, load_settings
from store.db import Store
from store.models import Job, utcnow

log = logging.getLogger(__name__)
KINDS = ("inspection", "recheck")
STATUS_NAMES = {"queued": "排队中", "running": "进行中", "done": "已完成", "failed": "失败"}


class JobRefused(Exception):
    """A job that may not be queued (unknown site, limit reached, one already waiting); message in Chinese."""


@dataclass(frozen=True)
class JobStatus:
    id: int
    kind: str
    status: str
    site_ids: list[str]
    run_id: int | None
    progress: dict[str, Any]
    result: dict[str, Any]
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "status": self.status,
            "status_name": STATUS_NAMES.get(self.status),
            "site_ids": self.site_ids,
            "run_id": self.run_id,
            "progress": self.progress,
            "result": self.result,
            "message": self.message,
        }


class Engine(Protocol):
    def dispatch(self, job_id: int) -> None: ...
    def start(self) -> None: ...
    def stop(self) -> None: ...


def lane_of(kind: str, site_ids: list[str]) -> str:
    return "inspection" if kind == "inspection" else f"recheck:{site_ids[0]}"


def submit(
    store: Store,
    config: Config,
    settings: Settings,
    *,
    kind: str,
    site_ids: list[str],
    requested_by: str,
    schedule_id: int | None = None,
    params: dict[str, Any] | None = None,
    engine: Engine | None = None,
    session: Any = None,
) -> int:
    """Queue a job after checking it; returns its id. ``session``: write inside the caller's transaction (the
    scheduler's claim and its job commit together)."""
    if kind not in KINDS:
        raise JobRefused(f"未知的任务类型 {kind!r}")
    known = {s.id for s in config.sites}
    ids = list(dict.fromkeys(site_ids or ([] if kind == "recheck" else [s.id for s in config.sites])))
    unknown = [i for i in ids if i not in known]
    if unknown or not ids:
        raise JobRefused(f"配置中没有这些网站：{'、'.join(unknown) or '（未指定）'}")
    if kind == "recheck" and len(ids) != 1:
        raise JobRefused("复查一次只针对一个网站")
    lane = lane_of(kind, ids)

    def write(s: Any) -> int:
        if kind == "recheck":
            waiting = s.scalars(
                select(Job).where(Job.lane == lane, Job.status.in_(("queued", "running")))
            ).first()
            if waiting is not None:
                raise JobRefused(f"该网站已有复查在排队或进行中（任务 {waiting.id}），完成后再申请")
            hour_ago = utcnow() - dt.timedelta(hours=1)
            recent = s.scalar(select(func.count(Job.id)).where(Job.lane == lane, Job.created >= hour_ago))
            if recent >= settings.recheck_per_hour:
                raise JobRefused(f"每个网站每小时最多复查 {settings.recheck_per_hour} 次，请稍后再试")
        job = Job(
            kind=kind,
            lane=lane,
            site_ids=ids,
            requested_by=requested_by,
            schedule_id=schedule_id,
            params=dict(params or {}),
            status="queued",
        )
        s.add(job)
        s.flush()
        return job.id

    if session is not None:
        job_id = write(session)
    else:
        with store.session() as s:
            job_id = write(s)
    if engine is not None and session is None:
        engine.dispatch(job_id)
    return job_id


def status(store: Store, job_id: int) -> JobStatus | None:
    with store.session() as s:
        j = s.get(Job, job_id)
        if j is None:
            return None
        return JobStatus(
            j.id,
            j.kind,
            j.status,
            list(j.site_ids),
            j.run_id,
            dict(j.progress or {}),
            dict(j.result or {}),
            j.message,
        )


def claim_next(store: Store, kinds: tuple[str, ...], worker: str) -> int | None:
    """Take the oldest queued job of these kinds whose lane has nothing running (one full inspection at a time;
    one re-check per site at a time). The conditional UPDATE makes two claimers never take the same job.

    Nor two jobs of one lane, on PostgreSQL too: claimers try the candidates oldest first, so a second claimer
    tries the job the first one holds, waits for its row lock, finds it taken once the first commits, and the
    next job's NOT EXISTS then sees the running one
    (``test_two_claimers_on_postgresql_never_run_two_jobs_of_one_lane``)."""
    with store.session() as s:
        busy = aliased(Job)
        candidates = s.scalars(
            select(Job.id)
            .where(
                Job.status == "queued",
                Job.kind.in_(kinds),
                ~exists().where(and_(busy.lane == Job.lane, busy.status == "running")),
            )
            .order_by(Job.id)
            .limit(5)
        ).all()
    for job_id in candidates:
        with store.session() as s:
            busy = aliased(Job)
            lane = s.scalar(select(Job.lane).where(Job.id == job_id))
            claimed = s.execute(
                update(Job)
                .where(
                    Job.id == job_id,
                    Job.status == "queued",
                    ~exists().where(and_(busy.lane == lane, busy.status == "running")),
                )
                .values(status="running", started=utcnow(), worker=worker)
                .execution_options(synchronize_session=False)
            ).rowcount
        if claimed:
            return job_id
    return None


def finish(
    store: Store, job_id: int, state: str, message: str = "", result: dict[str, Any] | None = None
) -> None:
    with store.session() as s:
        j = s.get(Job, job_id)
        if j is None:
            return
        j.status, j.finished, j.message = state, utcnow(), message[:4000]
        if result is not None:
            j.result = result


def today(settings: Settings) -> dt.date:
    return dt.datetime.now(ZoneInfo(settings.timezone)).date()


# ---------------------------------------------------------------------------------------------- execution


class _Progress:
    """Crawl events → the job's progress (at most one write a second, and every site state change)."""

    def __init__(self, store: Store, job_id: int, site_ids: list[str]):
        self.store, self.job_id = store, job_id
        self.state: dict[str, Any] = {
            "phase": "抓取中",
            "sites": {sid: {"pages": 0, "state": "排队"} for sid in site_ids},
        }
        self.last = 0.0

    def phase(self, text: str) -> None:
        self.state["phase"] = text
        self.flush()

    def __call__(self, event: dict[str, Any]) -> None:
        kind, site = event.get("event"), event.get("site")
        sites = self.state["sites"]
        force = False
        if kind == "site_start" and site in sites:
            sites[site].update(state="抓取中", max=event.get("max", 0))
            force = True
        elif kind == "progress" and site in sites:
            sites[site]["pages"] = event.get("pages", 0)
        elif kind == "site_done" and site in sites:
            sites[site].update(state="抓取完成", pages=event.get("pages", 0))
            force = True
        elif kind == "site_failed" and site in sites:
            sites[site]["state"] = "抓取失败"
            force = True
        elif kind == "probes_done":
            self.state["probes"] = event.get("count", 0)
            force = True
        if force or time.monotonic() - self.last > 1.0:
            self.flush()

    def flush(self) -> None:
        self.last = time.monotonic()
        with self.store.session() as s:
            j = s.get(Job, self.job_id)
            if j is not None:
                j.progress = json.loads(json.dumps(self.state))


def execute_job(
    store: Store, job_id: int, *, sites_config: str, settings: Settings, data_dir: Path
) -> dict[str, Any]:
    """Run one claimed job to the end: crawl + probe, judge, write the run's documents to
    ``data_dir/runs/<run id>/``, record alerts. Raises on failure (the engine marks the job failed)."""
    from govaudit import alerts, pipeline

    with store.session() as s:
        job = s.get(Job, job_id)
        if job is None:
            raise KeyError(job_id)
        kind, site_ids, params, schedule_id = (
            job.kind,
            list(job.site_ids),
            dict(job.params or {}),
            job.schedule_id,
        )
    config = load_config(sites_config)
    known = {x.id for x in config.sites}
    if not site_ids or any(i not in known for i in site_ids):
        raise RuntimeError(f"任务中的网站不在当前配置中：{', '.join(i for i in site_ids if i not in known)}")
    fixed = params.get("as_of") or settings.as_of
    as_of = dt.date.fromisoformat(fixed) if fixed else today(settings)
    trigger = "recheck" if kind == "recheck" else ("scheduled" if schedule_id else "manual")
    progress = _Progress(store, job_id, site_ids)
    run_id = pipeline.start_run(store, config, site_ids, as_of=as_of, trigger=trigger)
    with store.session() as s:
        s.get(Job, job_id).run_id = run_id
    progress.flush()
    code = pipeline.crawl_and_probe(store, run_id, progress=progress, probes=bool(params.get("probes", True)))
    if code != 0:
        raise RuntimeError(f"抓取进程异常退出（{code}），检查 {run_id} 标记为中断")
    progress.phase("检查评分中")
    results = pipeline.inspect_run(store, run_id, site_ids=site_ids)
    out = data_dir / "runs" / str(run_id)
    pipeline.write_results(results, out)
    previous = pipeline.previous_results(store, run_id, site_ids)
    recheck = None
    if previous is not None:
        from reports.recheck import diff

        recheck = diff(previous, results)
    if settings.reports:
        progress.phase("生成报告中")
        pipeline.write_run_documents(store, results, out, previous=previous)
    else:
        pipeline.record_report_dir(store, run_id, results["run"]["as_of"], out)
    summary = {
        "run_id": run_id,
        "sites": [
            {"id": x["id"], "name": x["name"], "verdict": x["verdict"], "score": x["score"]}
            for x in results["sites"]
        ],
        "recheck": ({sid: d["counts"] for sid, d in recheck["sites"].items()} if recheck else None),
        "previous_run": previous["run"]["id"] if previous else None,
    }
    try:
        summary["alerts"] = alerts.raise_for_run(
            store,
            settings,
            results=results,
            previous=previous,
            recheck=recheck,
            job_id=job_id,
            is_recheck=kind == "recheck",
        )
    except Exception as exc:  # noqa: BLE001 - an alert that cannot be recorded never fails the inspection
        log.exception("recording alerts failed")
        summary["alerts_error"] = str(exc)
    progress.phase("已完成")
    return summary


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def fail_orphans(store: Store) -> list[int]:
    """Jobs 'running' in a child process of this machine that no longer exists (serve was killed) failed."""
    host = socket.gethostname()
    failed = []
    with store.session() as s:
        for j in s.scalars(select(Job).where(Job.status == "running")):
            w_host, _, pid = (j.worker or "").rpartition(":")
            if w_host == host and pid.isdigit() and not _alive(int(pid)):
                j.status, j.finished = "failed", utcnow()
                j.message = j.message or "执行进程已退出（服务被停止或进程崩溃），请重新提交"
                failed.append(j.id)
    return failed


class EmbeddedEngine:
    """The default engine: lanes of threads inside `govaudit serve`, one child process per job."""

    def __init__(
        self,
        store: Store,
        *,
        sites_config: str,
        settings: Settings,
        data_dir: Path,
        settings_path: str | None = None,
        poll_s: float = 0.5,
    ):
        self.store, self.sites_config, self.settings, self.data_dir = store, sites_config, settings, data_dir
        self.settings_path = settings_path
        self.poll_s = poll_s
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._threads: list[threading.Thread] = []
        self._children: dict[int, subprocess.Popen[str]] = {}

    def dispatch(self, job_id: int) -> None:
        self._wake.set()

    def start(self) -> None:
        fail_orphans(self.store)
        lanes = [("inspection",)] + [("recheck",)] * max(1, self.settings.recheck_workers)
        for i, kinds in enumerate(lanes):
            t = threading.Thread(target=self._lane, args=(kinds,), name=f"govaudit-jobs-{i}", daemon=True)
            t.start()
            self._threads.append(t)
        t = threading.Thread(target=self._alerts, name="govaudit-alerts", daemon=True)
        t.start()
        self._threads.append(t)

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        for child in list(self._children.values()):
            child.terminate()
        for t in self._threads:
            t.join(timeout=15)

    def _lane(self, kinds: tuple[str, ...]) -> None:
        while not self._stop.is_set():
            try:
                job_id = claim_next(self.store, kinds, f"{socket.gethostname()}:{os.getpid()}")
            except Exception:  # noqa: BLE001 - a database hiccup: try again
                log.exception("claiming a job failed")
                job_id = None
            if job_id is None:
                self._wake.wait(self.poll_s)
                self._wake.clear()
                continue
            self._run(job_id)

    def _run(self, job_id: int) -> None:
        cmd = [
            sys.executable,
            "-m",
            "govaudit.jobs",
            str(job_id),
            "--db-stdin",
            "--config",
            self.sites_config,
            "--data",
            str(self.data_dir),
        ]
        if self.settings_path:
            cmd += ["--console-config", self.settings_path]
        try:
            # The database URL (it may carry a password) goes on stdin, never on the command line (ps).
            child = subprocess.Popen(
                cmd, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
            )
        except OSError as exc:
            finish(self.store, job_id, "failed", f"无法启动执行进程：{exc}")
            return
        self._children[job_id] = child
        with self.store.session() as s:
            s.get(Job, job_id).worker = f"{socket.gethostname()}:{child.pid}"
        _, err = child.communicate(self.store.url + "\n")
        self._children.pop(job_id, None)
        st = status(self.store, job_id)
        if st is not None and st.status == "running":  # the child died before it could say
            finish(self.store, job_id, "failed", f"执行进程退出（{child.returncode}）：{(err or '')[-1500:]}")

    def _alerts(self) -> None:
        from govaudit.alerts import deliver_due

        while not self._stop.wait(1.0):
            try:
                deliver_due(self.store, self.settings)
            except Exception:  # noqa: BLE001 - the sender keeps going
                log.exception("alert delivery failed")


def make_engine(
    store: Store, *, sites_config: str, settings: Settings, data_dir: Path, settings_path: str | None = None
) -> Engine:
    """`jobs.engine` of console.yaml: embedded, or `module:Class` taking the same keyword arguments."""
    if settings.engine == "embedded":
        return EmbeddedEngine(
            store,
            sites_config=sites_config,
            settings=settings,
            data_dir=data_dir,
            settings_path=settings_path,
        )
    module, _, cls = settings.engine.partition(":")
    factory = getattr(importlib.import_module(module), cls)
    return factory(
        store, sites_config=sites_config, settings=settings, data_dir=data_dir, settings_path=settings_path
    )


def main(argv: list[str] | None = None) -> int:
    """The child process of one job: python -m govaudit.jobs JOB_ID --db-stdin --config sites.yaml --data DIR."""
    ap = argparse.ArgumentParser(prog="python -m govaudit.jobs")
    ap.add_argument("job_id", type=int)
    db = ap.add_mutually_exclusive_group(required=True)
    db.add_argument("--db")
    db.add_argument(
        "--db-stdin", action="store_true", help="read the database URL from the first line of stdin"
    )
    ap.add_argument("--config", required=True)
    ap.add_argument("--data", required=True)
    ap.add_argument("--console-config", default=None)
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    store = Store(sys.stdin.readline().strip() if args.db_stdin else args.db)
    settings = load_settings(args.console_config)
    try:
        result = execute_job(
            store, args.job_id, sites_config=args.config, settings=settings, data_dir=Path(args.data)
        )
    except Exception as exc:  # noqa: BLE001 - recorded with the job
        log.exception("job %s failed", args.job_id)
        finish(store, args.job_id, "failed", f"{type(exc).__name__}: {exc}")
        return 1
    finish(store, args.job_id, "done", "", result)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
