"""The `govaudit` command.

    govaudit sites    [--config F]                       validate and list the configuration
    govaudit crawl    [--config F] [--db URL] [--site ID…] [--as-of D]
    govaudit inspect  [--config F] [--db URL] [--site ID…] [--as-of D] [--out DIR] [--run ID | --resume]
    govaudit runs     [--db URL]
    govaudit worker   [--db URL] [--broker URL] [--concurrency N]   take site jobs from Redis (Celery)
    govaudit report   [--db URL] [--run ID|latest] [--as-of D] [--out DIR] [--previous results.json]
    govaudit recheck  SITE_ID… [--config F] [--db URL] [--as-of D] [--out DIR]    整改复查 against the last notice
    govaudit diff     RUN_A RUN_B [--site ID…] [--db URL] [--out DIR]
    govaudit export   --run ID --format xlsx|csv|json [--db URL] [--out DIR]
    govaudit review   list [--site ID] [--check ID] [--status S] [--json] | confirm|dismiss|reopen KEY… --by NAME
    govaudit serve    [--config F] [--db URL] [--host H] [--port P] [--data DIR] [--console-config F]
    govaudit users    add NAME --role office|department [--unit U…] | list   (password asked, never an argument)

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

from govconfig.sites import ConfigError, load_config

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
        sp.add_argument(
            "--db", default=None, help="数据库 URL（默认 $GOVAUDIT_DB 或 sqlite:///var/govaudit.db）"
        )

    def broker(sp: argparse.ArgumentParser) -> None:
        sp.add_argument(
            "--broker",
            default=None,
            help="任务队列 Redis URL（默认 $GOVAUDIT_BROKER；不设则在本进程内执行）：每个网站一个任务，"
            "由 govaudit worker 执行",
        )

    sp = sub.add_parser("sites", help="校验并列出配置的网站")
    sp.add_argument("--config", default=DEFAULT_CONFIG)

    sp = sub.add_parser("crawl", help="抓取网站并保存")
    common(sp)
    sp.add_argument("--site", nargs="+", action="extend", default=[], metavar="ID")
    sp.add_argument("--as-of", type=_date, default=None)
    sp.add_argument("--no-probes", action="store_true", help="不做可用性 / IPv6 探测")
    sp.add_argument("--trigger", choices=TRIGGERS, default="manual", help="检查方式（定时任务用 scheduled）")
    broker(sp)

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
    sp.add_argument(
        "--trigger",
        choices=TRIGGERS,
        default="manual",
        help="检查方式：manual 人工、scheduled 定时（可用性探测按周累计）、recheck 整改复查",
    )
    sp.add_argument("--no-reports", action="store_true", help="只写 results.json")
    sp.add_argument("--notice-config", default=None, help="通知书配置 notice.yaml（默认 config/notice.yaml）")
    broker(sp)

    sp = sub.add_parser("rules", help="列出各检查项及本配置下的时限、扣分上限和单项否决")
    sp.add_argument("--scoring", default=None, help="评分配置 scoring.yaml")

    sp = sub.add_parser("runs", help="列出已保存的检查（含各网站进度：排队、进行中、完成、失败）")
    common(sp, config=False)

    sp = sub.add_parser("worker", help="从任务队列（Redis）领取网站任务：抓取、探测、检查，写入同一数据库")
    common(sp, config=False)
    sp.add_argument("--broker", default=None, help="Redis URL（默认 $GOVAUDIT_BROKER）")
    sp.add_argument("--concurrency", type=int, default=8, help="同时执行的网站任务数（线程）")
    sp.add_argument("--name", default=None, help="工作进程名（默认 govaudit@主机名）")

    sp = sub.add_parser("report", help="由已保存的检查生成报告")
    common(sp, config=False)
    sp.add_argument("--run", default="latest")
    sp.add_argument("--as-of", type=_date, default=None)
    sp.add_argument("--out", default="out")
    sp.add_argument("--scoring", default=None)
    sp.add_argument("--previous", default=None)
    sp.add_argument("--notice-config", default=None, help="通知书配置 notice.yaml（默认 config/notice.yaml）")
    sp.add_argument("--stored", action="store_true", help="用已保存的评分结果，不重新检查")

    sp = sub.add_parser(
        "recheck", help="整改复查：重新抓取、检查这些网站，对照责任单位上次的整改通知书写出复查报告"
    )
    common(sp)
    sp.add_argument("site_ids", nargs="+", metavar="SITE_ID")
    sp.add_argument("--as-of", type=_date, default=None, help="检查基准日（默认今天）")
    sp.add_argument("--out", default=None, help="输出目录（默认 out/recheck-<检查编号>）")
    sp.add_argument("--scoring", default=None)
    sp.add_argument("--no-probes", action="store_true")
    sp.add_argument("--notice-config", default=None, help="通知书配置 notice.yaml（默认 config/notice.yaml）")

    sp = sub.add_parser("diff", help="比较两次检查的结果（已整改 / 未整改 / 新发现）")
    common(sp, config=False)
    sp.add_argument("run_a", metavar="RUN_A")
    sp.add_argument("run_b", metavar="RUN_B")
    sp.add_argument("--site", nargs="+", action="extend", default=[], metavar="ID")
    sp.add_argument("--out", default="out", help="写出 diff-<A>-<B>.json 和 .csv 的目录")

    sp = sub.add_parser("export", help="导出一次检查的表格（排名、问题清单、复查）")
    common(sp, config=False)
    sp.add_argument("--run", default="latest")
    sp.add_argument("--format", choices=("xlsx", "csv", "json"), required=True)
    sp.add_argument("--out", default="out")

    sp = sub.add_parser("review", help="核实机器发现的疑似问题（待核实 → 确认 / 排除）")
    rsub = sp.add_subparsers(dest="action", required=True)
    rp = rsub.add_parser("list", help="列出待核实（或已核实）的事项")
    common(rp, config=False)
    rp.add_argument("--site", default=None, metavar="ID")
    rp.add_argument("--check", default=None, metavar="CHECK_ID")
    rp.add_argument("--status", default="pending", choices=("pending", "confirmed", "dismissed", "all"))
    rp.add_argument("--json", action="store_true", help="以 JSON 输出（供其他程序读取）")
    for action, text in (
        ("confirm", "确认：计入问题（扣分或单项否决）"),
        ("dismiss", "排除：误报，同一页面不再提示"),
        ("reopen", "撤回决定，恢复为待核实"),
    ):
        rp = rsub.add_parser(action, help=text)
        common(rp, config=False)
        rp.add_argument(
            "keys", nargs="+", metavar="KEY", help="事项编号（review list 中显示，可只写前 6 位以上）"
        )
        rp.add_argument("--by", required=True, help="核实人姓名")
        rp.add_argument("--note", default="", help="核实说明")
    sp = sub.add_parser("serve", help="启动网页控制台（含任务执行与定时检查）")
    common(sp)
    sp.add_argument("--host", default="127.0.0.1", help="监听地址（默认只在本机）")
    sp.add_argument("--port", type=int, default=8000)
    sp.add_argument("--data", default="var/console", help="控制台数据目录（会话密钥、检查报告）")
    sp.add_argument(
        "--console-config", default=None, help="控制台配置 console.yaml（默认 config/console.yaml）"
    )
    sp.add_argument("--no-scheduler", action="store_true", help="不执行定时检查")
    sp.add_argument("--no-jobs", action="store_true", help="不在本进程执行任务（由其他进程或分布式引擎执行）")

    sp = sub.add_parser("users", help="管理控制台账号")
    usub = sp.add_subparsers(dest="users_command", required=True)
    ua = usub.add_parser("add", help="新增账号（密码从终端或标准输入读取）")
    ua.add_argument("name")
    ua.add_argument("--role", choices=("office", "department"), required=True)
    ua.add_argument(
        "--unit",
        nargs="+",
        action="extend",
        default=[],
        metavar="U",
        help="部门账号负责的单位（sites.yaml 中的 unit）",
    )
    ua.add_argument("--config", default=DEFAULT_CONFIG, help="校验单位名称用的 sites.yaml")
    common(ua, config=False)
    common(usub.add_parser("list", help="列出账号"), config=False)
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
            lines.append(
                f"{sid:<14} [{'#' * filled}{'.' * (24 - filled)}] {st.get('pages', 0):>5} 页 {st.get('state', '')}"
            )
        for line in lines:
            self.stream.write("\x1b[2K" + line + "\n")
        self.drawn = len(lines)
        self.stream.flush()


# ---------------------------------------------------------------------------------------------- commands


def _open_store(db: str | None) -> Any:
    from store.db import Store

    return Store(db)


def _resolve_run(store: Any, ref: str | None) -> int:
    from govaudit import pipeline

    try:
        rid = pipeline.resolve_run(store, ref)
    except ValueError:
        raise UsageError(f"--run 应为检查编号或 latest，而不是 {ref!r}") from None
    if rid is None:
        if ref in (None, "latest"):
            raise UsageError("数据库中还没有任何检查记录")
        raise UsageError(f"没有编号为 {ref} 的检查（用 govaudit runs 查看）")
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
    run_id = pipeline.start_run(
        store, config, [s.id for s in sites], as_of=args.as_of or dt.date.today(), trigger=args.trigger
    )
    print(f"检查编号 {run_id}：抓取 {len(sites)} 个网站", file=sys.stderr)
    broker_url = _broker(args)
    if broker_url:
        # Workers crawl, probe and judge each site (one job per site); the judgement is stored with it.
        done = _run_on_workers(
            store, broker_url, run_id, trigger=args.trigger, probes=not args.no_probes, scoring_path=None
        )
        print(run_id)
        return 0 if done else 1
    code = pipeline.crawl_and_probe(store, run_id, progress=Progress(), probes=not args.no_probes)
    print(run_id)
    return 0 if code == 0 else 1


def _broker(args: argparse.Namespace) -> str | None:
    import os

    return getattr(args, "broker", None) or os.environ.get("GOVAUDIT_BROKER") or None


def _run_on_workers(
    store: Any, broker_url: str, run_id: int, *, trigger: str, probes: bool, scoring_path: str | None
) -> bool:
    """Hand the run's sites to the workers and wait until every site is done or failed."""
    from workers.sitejobs import CeleryRunner

    runner = CeleryRunner(store, broker_url, scoring_path=scoring_path, probes=probes)
    runner.submit(run_id, trigger=trigger)
    print(f"已提交 {run_id} 号检查的网站任务到队列（govaudit worker 执行）", file=sys.stderr)

    def show(event: dict[str, Any]) -> None:
        print(
            f"检查 {run_id}：排队 {event['queued']} · 进行中 {event['running']} · 完成 {event['done']} · "
            f"失败 {event['failed']}（共 {event['total']}）",
            file=sys.stderr,
        )

    final = runner.wait(run_id, progress=show)
    return final.finished


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
    if not args.no_reports:
        from govaudit.notice_config import load_notice_config

        load_notice_config(args.notice_config)  # refused before the database is opened, like sites.yaml
    _check_lexicons(scoring)
    store = _open_store(args.db)
    pipeline.mark_interrupted(store)
    if args.run is not None:
        run_id = _resolve_run(store, args.run)
        print(f"重新检查已保存的抓取 {run_id}（不访问网络）", file=sys.stderr)
    else:
        assert config is not None and sites is not None
        resume_id = pipeline.resumable_run(
            store, config, [x.id for x in sites], as_of=args.as_of, any_run=args.resume
        )
        if args.resume and resume_id is None:
            raise UsageError("没有可继续的中断检查")
        if resume_id is not None:
            run_id = resume_id
            pipeline.claim_run(store, run_id)
            print(f"继续中断的检查 {run_id}", file=sys.stderr)
        else:
            run_id = pipeline.start_run(
                store,
                config,
                [s.id for s in sites],
                as_of=args.as_of or dt.date.today(),
                trigger=args.trigger,
            )
            print(f"检查编号 {run_id}：{len(sites)} 个网站", file=sys.stderr)
        broker_url = _broker(args)
        if broker_url:
            _run_on_workers(
                store,
                broker_url,
                run_id,
                trigger=args.trigger,
                probes=not args.no_probes,
                scoring_path=args.scoring,
            )
            # Each site was judged by its job; the results are read back from the store.
            results = pipeline.stored_results(store, run_id, scoring_path=args.scoring, scoring=scoring)
            return _finish_inspect(args, store, results, out)
        code = pipeline.crawl_and_probe(store, run_id, progress=Progress(), probes=not args.no_probes)
        if code != 0:
            print(
                f"抓取进程异常退出（{code}）；检查 {run_id} 标记为中断，重新运行同一命令即可继续",
                file=sys.stderr,
            )
            return 1
    results = pipeline.inspect_run(
        store,
        run_id,
        as_of=args.as_of if args.run is not None else None,
        site_ids=args.site or None,
        scoring=scoring,
    )
    return _finish_inspect(args, store, results, out)


def _finish_inspect(args: argparse.Namespace, store: Any, results: dict[str, Any], out: Path) -> int:
    from govaudit import pipeline

    path = pipeline.write_results(results, out)
    print(f"已写出 {path}", file=sys.stderr)
    if not args.no_reports:
        _write_reports(results, out, args.previous, store, args.notice_config)
    _summary(results)
    return 0


def _write_reports(
    results: dict[str, Any],
    out: Path,
    previous: str | None,
    store: Any,
    notice_config: str | None = None,
    prev: dict[str, Any] | None = None,
) -> None:
    """Reports of a judged run; compared with the previous judgement of the same sites (a file given with
    --previous, else the latest earlier one in the store) so a re-check shows 已整改 / 未整改."""
    try:
        import reports.render  # noqa: F401 - the document libraries; without them results.json is still written
    except ImportError as exc:
        print(f"报告模块不可用，只写出 results.json：{exc}", file=sys.stderr)
        return
    from govaudit import pipeline
    from govaudit.notice_config import load_notice_config

    load_notice_config(notice_config)  # a broken notice.yaml stops here (exit 2), before anything is rendered
    if prev is None:
        try:
            prev = pipeline.recheck_baseline(store, results, previous)
        except (OSError, ValueError) as exc:
            raise UsageError(f"无法读取上次结果 {previous}：{exc}") from None
        if prev is not None and not previous:
            print(f"与第 {prev['run']['id']} 次检查的结果对比，生成复查情况（recheck.html）", file=sys.stderr)
    paths = pipeline.write_run_documents(
        store,
        results,
        out,
        previous=prev,
        notice_config=notice_config,
        say=lambda m: print(m, file=sys.stderr),
    )
    print(f"已写出报告 {len(paths)} 个文件到 {out}/", file=sys.stderr)


def _summary(results: dict[str, Any]) -> None:
    for site in results["sites"]:
        score = "—" if site["score"] is None else f"{site['score']:.1f}"
        fails = [c["id"] for c in site["checks"] if c["status"] == "fail"]
        print(f"{site['id']:<14} {site['verdict']:<4} {score:>6}  {' '.join(fails)}", file=sys.stderr)


def cmd_rules(args: argparse.Namespace) -> int:
    from inspections.runner import rules_table

    print(rules_table(_load_scoring(args.scoring)), end="")
    return 0


def cmd_runs(args: argparse.Namespace) -> int:
    from govaudit import pipeline
    from workers.sitejobs import run_progress

    store = _open_store(args.db)
    pipeline.mark_interrupted(store)
    labels = {"complete": "完成", "interrupted": "中断（未完成）", "running": "进行中", "failed": "失败"}
    runs = pipeline.run_listing(store)
    if not runs:
        print("（还没有检查记录）")
    for run in runs:
        progress = run_progress(store, run["id"])
        engine = "（队列）" if progress.engine == "workers" else ""
        print(
            f"{run['id']:>4}  {run['started']:%Y-%m-%d %H:%M}  基准日 {run['as_of']}  {run['sites']:>3} 个网站 "
            f"{run['pages']:>6} 页  {labels.get(run['status'], run['status'])}  {run['trigger']}  "
            f"网站：{progress.label()}{engine}"
        )
    return 0


def _check_lexicons(scoring: dict[str, Any]) -> None:
    """The lexicon and the protected-name list the checks will read, validated before anything is crawled
    or stored (a bad entry is a configuration error: file, line, field, reason; exit 2)."""
    from inspections.lexicon import LexiconError, validate_files

    try:
        validate_files(scoring)
    except LexiconError as exc:
        raise ConfigError(exc.path, exc.line, exc.field_name, exc.message) from None


def cmd_review(args: argparse.Namespace) -> int:
    from store import reviews

    store = _open_store(args.db)
    with store.session() as s:
        if args.action == "list":
            status = None if args.status == "all" else args.status
            try:
                items = reviews.list_items(s, status=status, site_id=args.site, check_id=args.check)
            except reviews.ReviewError as exc:
                raise UsageError(str(exc)) from None
            if args.json:
                print(json.dumps(items, ensure_ascii=False, indent=1))
                return 0
            if not items:
                print("（没有待核实的事项）" if status == "pending" else "（没有符合条件的事项）")
            for it in items:
                ev = it["evidence"]
                brief = "；".join(
                    str(x) for x in (ev.get("numbers") or ev.get("context") or [ev.get("target", "")]) if x
                )[:160]
                decided = (
                    f"  〔{it['status_text']}：{it['decided_by']} {it['decided_at']}〕"
                    if it["decided_by"]
                    else ""
                )
                print(
                    f"{it['key']}  {it['site_id']}  {it['check_id']}  {it['status_text']}{decided}\n"
                    f"    {it['message']}\n    页面：{it['url']}" + (f"\n    证据：{brief}" if brief else "")
                )
            return 0
        decide = {"confirm": reviews.confirm, "dismiss": reviews.dismiss, "reopen": reviews.reopen}[
            args.action
        ]
        for key in args.keys:
            try:
                item = decide(s, key, by=args.by, note=args.note)
            except reviews.ReviewError as exc:
                raise UsageError(str(exc)) from None
            print(f"{item['key']}  {item['status_text']}：{item['message']}")
    print("决定已保存；下次检查或 `govaudit inspect --run latest` 重新评分时生效。", file=sys.stderr)
    return 0


def cmd_worker(args: argparse.Namespace) -> int:
    import os
    import socket

    from store.db import database_url

    broker_url = args.broker or os.environ.get("GOVAUDIT_BROKER")
    if not broker_url:
        raise UsageError("govaudit worker 需要任务队列地址：--broker redis://主机:端口/0 或 $GOVAUDIT_BROKER")
    if args.concurrency < 1:
        raise UsageError("--concurrency 应为正整数")
    db = database_url(args.db)
    if db.startswith("sqlite"):
        print(
            "注意：工作进程使用 SQLite，只适合单机；多台机器请共用一个 PostgreSQL（--db postgresql://…）",
            file=sys.stderr,
        )
    from workers.app import worker_main

    return worker_main(
        broker_url, db, concurrency=args.concurrency, name=args.name or f"govaudit@{socket.gethostname()}"
    )


def cmd_report(args: argparse.Namespace) -> int:
    from govaudit import pipeline
    from govaudit.notice_config import load_notice_config

    scoring = _load_scoring(args.scoring)  # before the database is opened
    load_notice_config(args.notice_config)  # a bad file is refused before the database is opened
    _check_lexicons(scoring)
    store = _open_store(args.db)
    pipeline.mark_interrupted(store)
    run_id = _resolve_run(store, args.run)
    results = pipeline.judged_results(store, run_id) if args.stored and args.as_of is None else None
    if results is None:
        results = pipeline.inspect_run(store, run_id, as_of=args.as_of, scoring=scoring)
    out = Path(args.out)
    pipeline.write_results(results, out)
    _write_reports(results, out, args.previous, store, args.notice_config)
    return 0


def _judged(store: Any, run_id: int, site_ids: list[str] | None = None) -> dict[str, Any]:
    """A run's stored judgement; judged now (offline, from the stored crawl) when it never was."""
    from govaudit import pipeline

    results = pipeline.judged_results(store, run_id, site_ids)
    if results is None:
        results = pipeline.inspect_run(store, run_id, site_ids=site_ids or None)
    return results


def cmd_recheck(args: argparse.Namespace) -> int:
    from govaudit import pipeline
    from govaudit.notice_config import load_notice_config

    config = load_config(args.config)
    sites = config.select(args.site_ids)
    scoring = _load_scoring(args.scoring)
    load_notice_config(args.notice_config)
    store = _open_store(args.db)
    pipeline.mark_interrupted(store)
    ids = [s.id for s in sites]
    # the unit's last notice is the latest earlier judgement of its sites: without one there is nothing to re-check
    next_id = (pipeline.resolve_run(store, "latest") or 0) + 1
    prev = pipeline.previous_results(store, next_id, ids)
    if prev is None:
        raise UsageError(f"这些网站此前没有检查结果，无法复查：{', '.join(ids)}（先运行 govaudit inspect）")
    missing = sorted(set(ids) - {x["id"] for x in prev["sites"]})
    if missing:
        print(f"以下网站此前没有检查结果，只做检查不做复查对比：{', '.join(missing)}", file=sys.stderr)
    run_id = pipeline.start_run(store, config, ids, as_of=args.as_of or dt.date.today(), trigger="recheck")
    print(f"复查检查编号 {run_id}：{len(ids)} 个网站，对照第 {prev['run']['id']} 次检查", file=sys.stderr)
    code = pipeline.crawl_and_probe(store, run_id, progress=Progress(), probes=not args.no_probes)
    if code != 0:
        print(f"抓取进程异常退出（{code}）；检查 {run_id} 标记为中断", file=sys.stderr)
        return 1
    results = pipeline.inspect_run(store, run_id, scoring=scoring)
    out = Path(args.out or f"out/recheck-{run_id}")
    pipeline.write_results(results, out)
    _write_reports(results, out, None, store, args.notice_config, prev=prev)
    # the items of the units' last notices, as the 整改复查报告 count them
    manifest = json.loads((out / "documents.json").read_text(encoding="utf-8"))
    totals: dict[str, int] = {}
    for entry in manifest["documents"]:
        for k, v in (entry.get("totals") or {}).items() if entry["kind"] == "recheck" else ():
            totals[k] = totals.get(k, 0) + v
    print(
        "复查结果：" + ("，".join(f"{k}{v}个" for k, v in totals.items()) or "前次没有需整改的问题"),
        file=sys.stderr,
    )
    print(f"整改复查报告：{out}/rechecks/", file=sys.stderr)
    _summary(results)
    return 0


def cmd_diff(args: argparse.Namespace) -> int:
    from reports.recheck import diff
    from reports.tables import write_csv

    store = _open_store(args.db)
    run_a, run_b = _resolve_run(store, args.run_a), _resolve_run(store, args.run_b)
    a = _judged(store, run_a, args.site or None)
    b = _judged(store, run_b, args.site or None)
    if args.site:
        known = {s["id"] for s in a["sites"]} | {s["id"] for s in b["sites"]}
        unknown = [i for i in args.site if i not in known]
        if unknown:
            raise UsageError(f"这两次检查都没有这些网站：{', '.join(unknown)}")
    result = diff(a, b)
    rows = []
    print(f"第 {run_a} 次（基准日 {a['run']['as_of']}）→ 第 {run_b} 次（基准日 {b['run']['as_of']}）")
    for sid, d in result["sites"].items():
        changed = [c for c in d["checks"] if c["outcome"] != "无问题"]
        head = (
            f"{sid:<14} {d['previous_verdict'] or '—'} → {d['verdict'] or '—'}  "
            f"{_score(d['previous_score'])} → {_score(d['score'])}"
        )
        if not d["in_previous"]:
            head += "（仅在后一次）"
        if not d["in_current"]:
            head += "（仅在前一次）"
        print(head)
        for c in changed:
            print(
                f"    {c['outcome']}  {c['title']}（{c['id']}）"
                + "".join(
                    f" {k}{len(c[v])}"
                    for k, v in (("已整改", "fixed"), ("未整改", "unfixed"), ("新发现", "new"))
                    if c[v]
                )
            )
            for kind, key in (
                ("已整改", "fixed"),
                ("未整改", "unfixed"),
                ("新发现", "new"),
                ("无法复查", "unverified"),
            ):
                for f in c[key]:
                    rows.append(
                        [sid, d["name"], c["id"], c["title"], kind, f.get("message", ""), f.get("url", "")]
                    )
    print("合计：" + "，".join(f"{k}{v}个" for k, v in result["totals"].items()))
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"diff-{run_a}-{run_b}.json"
    path.write_text(json.dumps(result, ensure_ascii=False, indent=1, default=str), encoding="utf-8")
    csv_path = write_csv(
        out / f"diff-{run_a}-{run_b}.csv",
        ["网站", "网站名称", "检查项", "检查项名称", "结果", "问题描述", "页面地址"],
        rows,
    )
    print(f"已写出 {path} 和 {csv_path}", file=sys.stderr)
    return 0


def _score(value: Any) -> str:
    return "—" if value is None else f"{float(value):.1f}"


def cmd_export(args: argparse.Namespace) -> int:
    from govaudit import pipeline
    from reports.render import export_tables

    store = _open_store(args.db)
    run_id = _resolve_run(store, args.run)
    results = _judged(store, run_id)
    prev = pipeline.previous_results(store, run_id, [s["id"] for s in results["sites"]])
    paths = export_tables(results, Path(args.out), args.format, previous=prev)
    for p in paths:
        print(p)
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from govaudit import jobs
    from govaudit.scheduler import Scheduler
    from govaudit.settings import load_settings
    from web.app import build

    load_config(args.config)  # a bad sites.yaml stops here, before anything listens
    settings = load_settings(args.console_config)
    if not 0 < args.port < 65536:
        raise UsageError(f"端口无效：{args.port}")
    store = _open_store(args.db)
    from govaudit import pipeline

    pipeline.mark_interrupted(store)
    data = Path(args.data)
    engine = (
        None
        if args.no_jobs
        else jobs.make_engine(
            store, sites_config=args.config, settings=settings, data_dir=data, settings_path=settings.path
        )
    )
    app = build(store, args.config, settings, data, engine=engine)
    scheduler = (
        None if args.no_scheduler else Scheduler(store, lambda: app.state.console.config, settings, engine)
    )
    if engine is not None:
        engine.start()
    if scheduler is not None:
        scheduler.start()
    print(
        f"控制台：http://{'[' + args.host + ']' if ':' in args.host else args.host}:{args.port}/ "
        f"（数据库 {store.url}，网站名录 {args.config}）",
        file=sys.stderr,
        flush=True,
    )
    try:
        uvicorn.run(
            app, host=args.host, port=args.port, log_level="warning", proxy_headers=False, server_header=False
        )
    finally:
        if scheduler is not None:
            scheduler.stop()
        if engine is not None:
            engine.stop()
    return 0


def _read_password() -> str:
    import getpass

    if sys.stdin.isatty():
        first = getpass.getpass("密码：")
        if getpass.getpass("再输入一次：") != first:
            raise UsageError("两次输入的密码不一致")
        return first
    line = sys.stdin.readline()
    return line.rstrip("\r\n")


def cmd_users(args: argparse.Namespace) -> int:
    from store.runs import list_users
    from web.auth import Auth, AuthError

    store = _open_store(args.db)
    if args.users_command == "list":
        for u in list_users(store):
            print(f"{u.name:<20} {u.role:<10} {'、'.join(u.units) or '—'}{'' if u.active else '  （停用）'}")
        return 0
    if args.role == "department":
        if not args.unit:
            raise UsageError("部门账号需要 --unit（sites.yaml 中的单位名称）")
        known = {x.unit for x in load_config(args.config).sites}
        unknown = [u for u in args.unit if u not in known]
        if unknown:
            raise UsageError(
                f"{args.config} 中没有这些单位：{'、'.join(unknown)}（可用：{'、'.join(sorted(known))}）"
            )
    elif args.unit:
        raise UsageError("市政务公开办账号（office）不绑定单位，请去掉 --unit")
    password = _read_password()
    try:
        uid = Auth(store, b"-").add_user(args.name, args.role, args.unit, password)
    except AuthError as exc:
        raise UsageError(str(exc)) from None
    from web.auth import audit

    audit(store, "cli", "-", "user.add", f"user:{uid}", name=args.name, role=args.role, units=args.unit)
    print(f"已创建账号 {args.name}（{args.role}）", file=sys.stderr)
    return 0


COMMANDS = {
    "serve": cmd_serve,
    "users": cmd_users,
    "sites": cmd_sites,
    "crawl": cmd_crawl,
    "inspect": cmd_inspect,
    "rules": cmd_rules,
    "runs": cmd_runs,
    "report": cmd_report,
    "review": cmd_review,
    "worker": cmd_worker,
    "recheck": cmd_recheck,
    "diff": cmd_diff,
    "export": cmd_export,
}


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
