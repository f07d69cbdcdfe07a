"""Scheduled inspections: cron expressions kept in the database (`schedules`), run by APScheduler in-process.

APScheduler ticks every `scheduler.tick_seconds`; each tick reads the schedules (so an edit made in another
`serve` process counts at once), works out each one's latest due time with APScheduler's own `CronTrigger`, and
claims it by inserting the row (schedule, due time) into `schedule_claims`. The unique key lets exactly one
claimer win, across threads and processes on one database; the winner queues the inspection in the same
transaction. The job runner starts full inspections one at a time, so one that falls due while another runs
waits. A missed due time (the console was down) is run once at the next tick, never once per missed time.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
from typing import Any
from zoneinfo import ZoneInfo

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from govaudit import jobs
from govaudit.config import Config
from govaudit.settings import Settings
from store.db import Store
from store.models import AuditEntry, Schedule, ScheduleClaim, utcnow

log = logging.getLogger(__name__)


class CronError(ValueError):
    pass


def parse_cron(expr: str, timezone: str) -> CronTrigger:
    """A five-field crontab line (minute hour day month weekday) as APScheduler's trigger; CronError in Chinese."""
    fields = expr.split()
    if len(fields) != 5:
        raise CronError(f"定时表达式应为 5 段（分 时 日 月 周），而不是 {len(fields)} 段：{expr!r}")
    try:
        return CronTrigger.from_crontab(expr, timezone=ZoneInfo(timezone))
    except (ValueError, KeyError) as exc:
        raise CronError(f"无法解析的定时表达式 {expr!r}：{exc}") from None


def latest_due(trigger: CronTrigger, since: dt.datetime, now: dt.datetime, tz: ZoneInfo) -> dt.datetime | None:
    """The last fire time in (since, now] as naive UTC, or None. ``since``/``now`` are naive UTC."""
    start = since.replace(tzinfo=dt.UTC).astimezone(tz)
    end = now.replace(tzinfo=dt.UTC).astimezone(tz)
    due = None
    prev = None
    t = trigger.get_next_fire_time(None, start + dt.timedelta(microseconds=1))
    for _ in range(100000):  # bounded: minute-level cron over a long outage
        if t is None or t > end:
            break
        due, prev = t, t
        t = trigger.get_next_fire_time(prev, prev + dt.timedelta(seconds=1))
    return due.astimezone(dt.UTC).replace(tzinfo=None) if due else None


def next_due(cron: str, timezone: str, now: dt.datetime | None = None) -> dt.datetime | None:
    tz = ZoneInfo(timezone)
    now = (now or utcnow()).replace(tzinfo=dt.UTC).astimezone(tz)
    t = parse_cron(cron, timezone).get_next_fire_time(None, now)
    return t.astimezone(tz) if t else None


def tick(store: Store, config: Config, settings: Settings, *, now: dt.datetime | None = None,
         who: str | None = None, engine: jobs.Engine | None = None) -> list[int]:
    """Claim and queue every schedule that is due; returns the job ids this caller queued."""
    now = now or utcnow()
    who = who or f"{socket.gethostname()}:{os.getpid()}"
    tz = ZoneInfo(settings.timezone)
    queued = []
    with store.session() as s:
        schedules = [(x.id, x.cron, list(x.site_ids), x.since, x.name)
                     for x in s.scalars(select(Schedule).where(Schedule.enabled.is_(True)))]
    for sid, cron, site_ids, since, name in schedules:
        try:
            due = latest_due(parse_cron(cron, settings.timezone), since, now, tz)
        except CronError as exc:
            log.warning("schedule %s: %s", sid, exc)
            continue
        if due is None:
            continue
        try:
            with store.session() as s:
                if s.scalars(select(ScheduleClaim).where(ScheduleClaim.schedule_id == sid,
                                                          ScheduleClaim.due == due)).first():
                    continue
                claim = ScheduleClaim(schedule_id=sid, due=due, claimed_by=who)
                s.add(claim)
                s.flush()  # the unique (schedule, due) row: a second claimer fails here or at commit
                job_id = jobs.submit(store, config, settings, kind="inspection", site_ids=site_ids,
                                     requested_by=f"定时任务：{name}", schedule_id=sid,
                                     params={"due": due.isoformat()}, session=s)
                claim.job_id = job_id
                s.add(AuditEntry(user="scheduler", address=who, action="schedule.run", target=f"schedule:{sid}",
                                 detail={"due": due.isoformat(), "job": job_id}))
        except IntegrityError:
            continue  # another scheduler claimed this due time first
        except jobs.JobRefused as exc:
            log.warning("schedule %s could not queue: %s", sid, exc)
            continue
        queued.append(job_id)
        if engine is not None:
            engine.dispatch(job_id)
    return queued


class Scheduler:
    """APScheduler's BackgroundScheduler calling `tick` every `tick_seconds`."""

    def __init__(self, store: Store, config: Config | Any, settings: Settings, engine: jobs.Engine | None = None):
        self.store, self.config, self.settings, self.engine = store, config, settings, engine
        self.aps = BackgroundScheduler(timezone=ZoneInfo(settings.timezone))
        self.queued: list[int] = []

    def _tick(self) -> None:
        try:
            # a callable gives the configuration as it is now (sites.yaml edited while serve runs)
            config = self.config() if callable(self.config) else self.config
            self.queued += tick(self.store, config, self.settings, engine=self.engine)
        except Exception:  # noqa: BLE001 - next tick tries again
            log.exception("scheduler tick failed")

    def start(self) -> None:
        self.aps.add_job(self._tick, "interval", seconds=self.settings.tick_seconds, id="govaudit-schedules",
                         max_instances=1, coalesce=True, next_run_time=dt.datetime.now(ZoneInfo(self.settings.timezone)))
        self.aps.start()

    def stop(self) -> None:
        if self.aps.running:
            self.aps.shutdown(wait=True)


def describe(schedule: Any, settings: Settings) -> dict[str, Any]:
    try:
        nxt = next_due(schedule.cron, settings.timezone)
    except CronError:
        nxt = None
    return {"id": schedule.id, "name": schedule.name, "cron": schedule.cron, "site_ids": list(schedule.site_ids),
            "enabled": schedule.enabled, "next": nxt.strftime("%Y-%m-%d %H:%M") if nxt else "—"}
