"""The `govaudit` command.

    govaudit sites    [--config F]                       validate and list the configuration
    govaudit crawl    [--config F] [--db URL] [--site ID…] [--as-of D]
    govaudit inspect  [--config F] [--db URL] [--site ID…] [--as-of D] [--out DIR] [--run ID | --resume]
    govaudit runs     [--db URL]
    govaudit report   [--db URL] [--run ID|latest] [--as-of D] [--out DIR] [--previous results.json]

Exit codes: 0 whatever the verdicts; 2 bad configuration or arguments; 1 the tool itself could not run.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import sys
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from govaudit.config import ConfigError, load_config

DEFAULT_CONFIG = "config/sites.yaml"
TRIGGERS = ("manual", "scheduled", "recheck")
log = logging.getLogger("govaudit")


class UsageError(Exception):
    pass


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"日期格式应为 YYYY-MM-DD，而不是 {text!r}") from None


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="govaudit", description="政府网站检查工具（九江市政务公开专项检查）")
    sub = p.add_subparsers(dest="command", required=True)

    def common(sp: argparse.ArgumentParser, config: bool = True) -> None:
        if config:
            sp.add_argument("--config", default=DEFAULT_CONFIG, help="网站名录 sites.yaml")
        sp.add_argument("--db", default=None, help="数据库 URL（默认 $GOVAUDIT_DB 或 sqlite:///var/govaudit.db）")

    sp = sub.add_parser("sites", help="校验并列出配置的网站")
    sp.add_argument("--config", default=DEFAULT_CONFIG)

    sp = sub.add_parser("crawl", help="抓取网站并保存")
    common(sp)
    sp.add_argument("--site", nargs="+", action="extend", default=[], metavar="ID")
    sp.add_argument("--as-of", type=_date, default=None)
    sp.add_argument("--no-probes", action="store_true", help="不做可用性 / IPv6 探测")
    sp.add_argument("--trigger", choices=TRIGGERS, default="manual", help="检查方式（定时任务用 scheduled）")

    sp = sub.add_parser("inspect", help="抓取、检查、评分并写出 results.json 和报告")
    common(sp)
    sp.add_argument("--site", nargs="+", action="extend", default=[], metavar="ID")
    sp.add_argument("--as-of", type=_date, default=None, help="检查基准日（默认今天）")
    sp.add_argument("--out", default="out", help="输出目录")
    sp.add_argument("--run", default=None, help="重新检查已保存的抓取（不访问网络）：编号或 latest")
    sp.add_argument("--resume", action="store_true", help="继续上次中断的检查")
    sp.add_argument("--scoring", default=None, help="评分配置 scoring.yaml")
    sp.add_argument("--previous", default=None, help="上次的 results.json，用于复查（已整改 / 未整改）")
    sp.add_argument("--no-probes", action="store_true")
    sp.add_argument("--trigger", choices=TRIGGERS, default="manual",
                    help="检查方式：manual 人工、scheduled 定时（可用性探测按周累计）、recheck 整改复查")
    sp.add_argument("--no-reports", action="store_true", help="只写 results.json")

    sp = sub.add_parser("runs", help="列出已保存的检查")
    common(sp, config=False)

    sp = sub.add_parser("report", help="由已保存的检查生成报告")
    common(sp, config=False)
    sp.add_argument("--run", default="latest")
    sp.add_argument("--as-of", type=_date, default=None)
    sp.add_argument("--out", default="out")
    sp.add_argument("--scoring", default=None)
    sp.add_argument("--previous", default=None)
    return p


# ---------------------------------------------------------------------------------------------- progress


class Progress:
    """A bar per site on a terminal; plain log lines otherwise."""

    def __init__(self, stream: Any = None):
        self.stream = stream or sys.stderr
        self.tty = hasattr(self.stream, "isatty") and self.stream.isatty()
        self.sites: dict[str, dict[str, Any]] = {}
        self.drawn = 0

    def __call__(self, event: dict[str, Any]) -> None:
        kind = event.get("event")
        site = event.get("site")
        if kind == "site_start":
            self.sites[site] = {"pages": 0, "max": event.get("max", 0), "state": "抓取中"}
            if not self.tty:
                resumed = f"（续抓，已有 {event['resumed']} 页）" if event.get("resumed") else ""
                self._line(f"[{site}] 开始抓取{resumed}")
        elif kind == "progress" and site in self.sites:
            self.sites[site]["pages"] = event.get("pages", 0)
        elif kind == "site_done":
            self.sites.setdefault(site, {"max": 0})
            self.sites[site].update(pages=event.get("pages", 0), state="完成")
            if not self.tty:
                self._line(f"[{site}] 抓取完成：{event.get('pages', 0)} 页")
        elif kind == "site_failed":
            self.sites.setdefault(site, {"max": 0, "pages": 0})["state"] = "失败"
            self._line(f"[{site}] 抓取失败：{event.get('message', '')}")
        elif kind == "probes_done":
            self._line(f"探测完成：{event.get('count', 0)} 条记录")
        elif kind in ("probe_error", "crawler_error"):
            self._line(f"{event.get('message') or '抓取进程异常退出'} {event.get('stderr', '')[-2000:]}")
        if self.tty and kind in ("site_start", "progress", "site_done", "site_failed"):
            self._draw()

    def _line(self, text: str) -> None:
        if self.tty and self.drawn:
            self.stream.write(f"\x1b[{self.drawn}F\x1b[J")
            self.drawn = 0
        self.stream.write(text + "\n")
        self.stream.flush()
        if self.tty:
            self._draw()

    def _draw(self) -> None:
        if self.drawn:
            self.stream.write(f"\x1b[{self.drawn}F")
        lines = []
        for sid, st in self.sites.items():
            total = max(st.get("max") or 1, 1)
            done = min(st.get("pages", 0), total)
            filled = int(24 * done / total) if st.get("state") != "完成" else 24
            lines.append(f"{sid:<14} [{'#' * filled}{'.' * (24 - filled)}] {st.get('pages', 0):>5} 页 {st.get('state', '')}")
        for line in lines:
            self.stream.write("\x1b[2K" + line + "\n")
        self.drawn = len(lines)
        self.stream.flush()


# ---------------------------------------------------------------------------------------------- commands


def _open_store(db: str | None) -> Any:
    from store.db import Store

    return Store(db)


def _resolve_run(store: Any, ref: str | None) -> int:
    from store.models import Run

    with store.session() as s:
        if ref in (None, "latest"):
            rid = s.scalar(select(func.max(Run.id)))
            if rid is None:
                raise UsageError("数据库中还没有任何检查记录")
            return int(rid)
        try:
            rid = int(ref)
        except ValueError:
            raise UsageError(f"--run 应为检查编号或 latest，而不是 {ref!r}") from None
        if s.get(Run, rid) is None:
            raise UsageError(f"没有编号为 {rid} 的检查（用 govaudit runs 查看）")
        return rid


def cmd_sites(args: argparse.Namespace) -> int:
    config = load_config(args.config)
    levels = {"municipal": "市级门户", "county": "县（市、区）", "department": "市直部门"}
    print(f"{config.path}：{len(config.sites)} 个网站，配置有效")
    for s in config.sites:
        flag = "（地址待核实）" if s.unverified else ""
        print(f"  {s.id:<12} {levels[s.level]:<8} {s.name}  {s.url}{flag}")
    return 0


def _load_scoring(path: str | None) -> dict[str, Any]:
    """config/scoring.yaml (or --scoring), validated against the registered checks; ConfigError (exit 2) if not."""
    from inspections.rules import load_scoring

    return load_scoring(path)


def cmd_crawl(args: argparse.Namespace) -> int:
    from govaudit import pipeline

    config = load_config(args.config)
    sites = config.select(args.site)
    store = _open_store(args.db)
    pipeline.mark_interrupted(store)
    run_id = pipeline.start_run(store, config, [s.id for s in sites], as_of=args.as_of or dt.date.today(),
                                trigger=args.trigger)
    print(f"检查编号 {run_id}：抓取 {len(sites)} 个网站", file=sys.stderr)
    code = pipeline.crawl_and_probe(store, run_id, progress=Progress(), probes=not args.no_probes)
    print(run_id)
    return 0 if code == 0 else 1


def cmd_inspect(args: argparse.Namespace) -> int:
    from govaudit import pipeline

    out = Path(args.out)
    if args.run is not None and args.resume:
        raise UsageError("--run 与 --resume 不能同时使用")
    config = sites = None
    # A bad scoring.yaml or sites.yaml is rejected before the database is opened (or created, or migrated).
    scoring = _load_scoring(args.scoring)
    if args.run is None:
        config = load_config(args.config)
        sites = config.select(args.site)
    store = _open_store(args.db)
    pipeline.mark_interrupted(store)
    if args.run is not None:
        run_id = _resolve_run(store, args.run)
        print(f"重新检查已保存的抓取 {run_id}（不访问网络）", file=sys.stderr)
    else:
        assert config is not None and sites is not None
        resume_id = pipeline.resumable_run(store, config, [x.id for x in sites], as_of=args.as_of,
                                           any_run=args.resume)
        if args.resume and resume_id is None:
            raise UsageError("没有可继续的中断检查")
        if resume_id is not None:
            run_id = resume_id
            pipeline.claim_run(store, run_id)
            print(f"继续中断的检查 {run_id}", file=sys.stderr)
        else:
            run_id = pipeline.start_run(store, config, [s.id for s in sites],
                                        as_of=args.as_of or dt.date.today(), trigger=args.trigger)
            print(f"检查编号 {run_id}：{len(sites)} 个网站", file=sys.stderr)
        code = pipeline.crawl_and_probe(store, run_id, progress=Progress(), probes=not args.no_probes)
        if code != 0:
            print(f"抓取进程异常退出（{code}）；检查 {run_id} 标记为中断，重新运行同一命令即可继续", file=sys.stderr)
            return 1
    results = pipeline.inspect_run(store, run_id, as_of=args.as_of if args.run is not None else None,
                                   site_ids=args.site or None, scoring=scoring)
    path = pipeline.write_results(results, out)
    print(f"已写出 {path}", file=sys.stderr)
    if not args.no_reports:
        _write_reports(results, out, args.previous, store)
    _summary(results)
    return 0


def _write_reports(results: dict[str, Any], out: Path, previous: str | None, store: Any) -> None:
    """Reports of a judged run; compared with the previous judgement of the same sites (a file given with
    --previous, else the latest earlier one in the store) so a re-check shows 已整改 / 未整改."""
    try:
        from reports.render import write_reports
    except ImportError as exc:
        print(f"报告模块不可用，只写出 results.json：{exc}", file=sys.stderr)
        return
    from govaudit import pipeline

    prev = None
    if previous:
        try:
            prev = json.loads(Path(previous).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise UsageError(f"无法读取上次结果 {previous}：{exc}") from None
    else:
        prev = pipeline.previous_results(store, results["run"]["id"], [s["id"] for s in results["sites"]])
        if prev is not None:
            print(f"与第 {prev['run']['id']} 次检查的结果对比，生成复查情况（recheck.html）", file=sys.stderr)
    paths = write_reports(results, out, previous=prev, add_workdays=_notice_workdays)
    print(f"已写出报告 {len(paths)} 个文件到 {out}/", file=sys.stderr)


def _notice_workdays(start: dt.date, days: int) -> dt.date:
    """整改时限 in working days on the official holiday calendar; weekends only where the calendar ends."""
    from inspections.workdays import CalendarUnknown, add_working_days
    from reports.render import add_weekdays

    try:
        return add_working_days(start, days)
    except CalendarUnknown:
        return add_weekdays(start, days)


def _summary(results: dict[str, Any]) -> None:
    for site in results["sites"]:
        score = "—" if site["score"] is None else f"{site['score']:.1f}"
        fails = [c["id"] for c in site["checks"] if c["status"] == "fail"]
        print(f"{site['id']:<14} {site['verdict']:<4} {score:>6}  {' '.join(fails)}", file=sys.stderr)


def cmd_runs(args: argparse.Namespace) -> int:
    from govaudit import pipeline
    from store.models import Page, Run

    store = _open_store(args.db)
    pipeline.mark_interrupted(store)
    labels = {"complete": "完成", "interrupted": "中断（未完成）", "running": "进行中", "failed": "失败"}
    with store.session() as s:
        runs = s.scalars(select(Run).order_by(Run.id)).all()
        if not runs:
            print("（还没有检查记录）")
        for run in runs:
            pages = s.scalar(select(func.count(Page.id)).where(Page.run_id == run.id))
            print(f"{run.id:>4}  {run.started:%Y-%m-%d %H:%M}  基准日 {run.as_of}  {len(run.site_ids):>3} 个网站 "
                  f"{pages:>6} 页  {labels.get(run.status, run.status)}  {run.trigger}")
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    from govaudit import pipeline

    scoring = _load_scoring(args.scoring)  # before the database is opened
    store = _open_store(args.db)
    pipeline.mark_interrupted(store)
    run_id = _resolve_run(store, args.run)
    results = pipeline.inspect_run(store, run_id, as_of=args.as_of, scoring=scoring)
    out = Path(args.out)
    pipeline.write_results(results, out)
    _write_reports(results, out, args.previous, store)
    return 0


COMMANDS = {"sites": cmd_sites, "crawl": cmd_crawl, "inspect": cmd_inspect, "runs": cmd_runs, "report": cmd_report}


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(message)s")
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except ConfigError as exc:
        print(f"配置错误：{exc}", file=sys.stderr)
        return 2
    except UsageError as exc:
        print(f"参数错误：{exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("已中断", file=sys.stderr)
        return 130
    except Exception as exc:  # noqa: BLE001 - the tool could not run: say what, exit 1
        from sqlalchemy.exc import SQLAlchemyError

        if isinstance(exc, SQLAlchemyError):
            print(f"数据库错误：{exc}", file=sys.stderr)
            return 1
        raise


if __name__ == "__main__":
    raise SystemExit(main())
