"""The one-way flow: config → crawl + probes → store → inspect → score → results.json (→ reports).

Only `crawl_run` and `probe_run` touch the network; `inspect_run` reads the store alone, so a stored crawl can be
re-judged offline, for any as-of date.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import multiprocessing
import os
import subprocess
import sys
import threading
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any

from crawler.settings import TOOL_VERSION
from govconfig.sites import SITES_PER_CORE, Config, config_from_snapshot, cores, format_nameserver
from store import history, runs
from store.db import Store
from store.loader import forget_loaded_rows, load_site_artifacts, page_html
from store.models import utcnow
from store.reviews import approved_explanations, record_pending

if TYPE_CHECKING:
    from store.models import Run

ProgressFn = Callable[[dict[str, Any]], None]


def _alive(pid: int | None) -> bool:
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def mark_interrupted(store: Store) -> list[int]:
    """Runs left 'running' by a process that no longer exists were interrupted (killed, power cut ...)."""
    with store.session() as s:
        # A run queued on a broker is left alone: the jobs, not a process, finish it.
        return runs.interrupt_abandoned(s, _alive)


def start_run(store: Store, config: Config, site_ids: list[str], *, as_of: dt.date, trigger: str) -> int:
    with store.session() as s:
        return runs.create_run(
            s,
            site_ids,
            trigger=trigger,
            as_of=as_of,
            tool_version=TOOL_VERSION,
            status="running",
            pid=os.getpid(),
            config_path=config.path,
            config=config.snapshot(),
        )


def resumable_run(
    store: Store, config: Config, site_ids: list[str], *, as_of: dt.date | None, any_run: bool = False
) -> int | None:
    """The newest interrupted run to continue: any (--resume), or one of the same sites, date and configuration
    (re-running the same command resumes it)."""
    with store.session() as s:
        candidate = runs.newest_interrupted(s)
        if candidate is None:
            return None
        same = (
            sorted(candidate.site_ids) == sorted(site_ids)
            and (as_of is None or candidate.as_of == as_of)
            and candidate.config.get("sites") == config.snapshot()["sites"]
        )
        return candidate.id if any_run or same else None


def claim_run(store: Store, run_id: int) -> None:
    """Take over an interrupted run (resume): it is ours and running again."""
    with store.session() as s:
        runs.reopen_run(s, run_id, os.getpid())


def finish_run(store: Store, run_id: int, status: str) -> None:
    with store.session() as s:
        runs.set_run_status(s, run_id, status, utcnow())


# Proxy settings of the environment are not handed to the crawl: a proxy would resolve and connect past the
# address guard (Scrapy's proxy middleware is off as well, crawler.settings.HTTPPROXY_ENABLED).
PROXY_VARIABLES = ("http_proxy", "https_proxy", "all_proxy", "ftp_proxy", "no_proxy")


def crawl_shards(store: Store, run_id: int, processes: int | None = None) -> list[list[str]]:
    """The run's unfinished sites split into one group per crawl process (up to one per CPU core): a crawl parses
    and stores every page, so one process keeps one core busy and a second core would wait. Sites sharing a host go to the same process, so politeness per host holds across processes."""
    with store.session() as s:
        run = runs.get_run(s, run_id)
        if run is None:
            return []
        config = config_from_snapshot(run.config)
        states = {rs.site_id: rs.status for rs in runs.run_sites(s, run_id)}
    pending = [
        site for site in config.sites if site.id in set(run.site_ids) and states.get(site.id) != "done"
    ]
    if processes is None:
        # A second process only when more sites are in flight than one core keeps busy (SITES_PER_CORE).
        in_flight = min(len(pending), config.network.concurrent_sites())
        processes = min(cores(), max(1, -(-in_flight // SITES_PER_CORE)))
    by_host: dict[str, list[str]] = {}
    for site in pending:
        hosts = sorted({site.host, *site.hosts})
        by_host.setdefault(hosts[0] if hosts else site.id, []).append(site.id)
    shards: list[list[str]] = [[] for _ in range(max(1, processes))]
    for group in sorted(by_host.values(), key=len, reverse=True):
        min(shards, key=len).extend(group)
    return [sh for sh in shards if sh]


def crawl_run(
    store: Store, run_id: int, *, progress: ProgressFn | None = None, processes: int | None = None
) -> int:
    """Crawl the run's sites in child processes (crawl_shards: one per core); returns the worst exit code."""
    shards = crawl_shards(store, run_id, processes)
    if len(shards) <= 1:
        return _crawl_child(store, run_id, [], None, progress)
    with store.session() as s:
        run = runs.get_run(s, run_id)
        assert run is not None
        bound = config_from_snapshot(run.config).network.concurrent_sites()
    per_child = max(1, -(-bound // len(shards)))  # the configured bound holds for the machine, not per child
    lock = threading.Lock()

    def locked(event: dict[str, Any]) -> None:
        if progress is not None:
            with lock:
                progress(event)

    codes: list[int] = []
    threads = [
        threading.Thread(
            target=lambda sh=sh: codes.append(_crawl_child(store, run_id, sh, per_child, locked))
        )
        for sh in shards
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return max(codes, key=abs) if codes else 0


def _crawl_child(
    store: Store, run_id: int, site_ids: list[str], sites_at_once: int | None, progress: ProgressFn | None
) -> int:
    # The database URL (it may carry a password) goes to the child on stdin, never on its command line, where
    # every user of the machine can read it (ps, /proc/PID/cmdline).
    cmd = [sys.executable, "-m", "crawler.run", "--db-stdin", "--run", str(run_id)]
    for sid in site_ids:
        cmd += ["--site", sid]
    if sites_at_once:
        cmd += ["--sites-at-once", str(sites_at_once)]
    env = {k: v for k, v in os.environ.items() if k.lower() not in PROXY_VARIABLES}
    env["PYTHONUNBUFFERED"] = "1"
    proc = subprocess.Popen(
        cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
    )
    assert proc.stdin is not None
    try:
        proc.stdin.write(store.url + "\n")
        proc.stdin.close()
    except OSError:  # the child died at once: its exit code and stderr say why
        pass
    errors: list[str] = []

    def drain_stderr() -> None:
        assert proc.stderr is not None
        for line in proc.stderr:
            errors.append(line)
            del errors[:-200]

    t = threading.Thread(target=drain_stderr, daemon=True)
    t.start()
    assert proc.stdout is not None
    for line in proc.stdout:
        try:
            event = json.loads(line)
        except ValueError:
            continue
        if progress is not None:
            progress(event)
    code = proc.wait()
    t.join(timeout=5)
    if code != 0 and progress is not None:
        progress({"event": "crawler_error", "code": code, "stderr": "".join(errors[-30:])})
    return code


def probe_run(
    store: Store, run_id: int, *, progress: ProgressFn | None = None, site_ids: list[str] | None = None
) -> None:
    """Availability, DNS and IPv6 probes for the run's sites (or only `site_ids`, a worker's job); stored as
    ProbeRows plus the run environment. The probed sites' earlier rows of this run are replaced, so probing a
    site twice (a job delivered again) stores its probes once."""
    try:
        from probes.runner import run_probes
    except ImportError as exc:  # probes not installed: checks that need them say not_tested
        if progress:
            progress({"event": "probe_error", "message": f"探测模块不可用：{exc}"})
        return
    with store.session() as s:
        run = runs.get_run(s, run_id)
        assert run is not None
        config = config_from_snapshot(run.config)
        wanted = set(run.site_ids) & set(site_ids) if site_ids else set(run.site_ids)
    sites = [
        {
            "id": site.id,
            "url": site.url,
            "level": site.level,
            "hosts": list(site.hosts),
            "limits": site.as_dict()["limits"],
        }
        for site in config.sites
        if site.id in wanted
    ]
    d = config.defaults
    # Defaults here; each site's own probe_count / probe_interval_s / probe_timeout_s (its limits) win per site.
    options: dict[str, Any] = {
        "availability": {
            "probe_count": d.probe_count,
            "probe_interval_s": d.probe_interval_s,
            "timeout_s": d.probe_timeout_s,
        },
    }
    reference = ipv6_reference(config)
    if reference:
        options["ipv6_reference"] = reference
    nameservers = [format_nameserver(ip, port) for ip, port in config.network.nameservers]
    with ThreadPoolExecutor(max_workers=8) as pool:
        # Scrapy does not verify certificates: every https site gets a verifying TLS handshake of its own.
        tls_checks = [
            (
                site["id"],
                pool.submit(certificate_probe, site["url"], config, site["limits"]["probe_timeout_s"]),
            )
            for site in sites
            if site["url"].startswith("https://")
        ]
        environment, records = _probe_sites(
            run_probes, sites, nameservers, config.network.allow_private, options, progress
        )
        tls_rows = [(sid, f.result()) for sid, f in tls_checks]
    with store.session() as s:
        # Locked: workers probing other sites of the run merge their environment facts into the same row.
        runs.replace_site_probes(s, run_id, [site["id"] for site in sites], environment, records, tls_rows)
    if progress:
        progress({"event": "probes_done", "count": len(records) + len(tls_rows)})


def _probe_sites(
    run_probes: Callable[..., Any],
    sites: list[dict[str, Any]],
    nameservers: list[str],
    allow_private: bool,
    options: dict[str, Any],
    progress: ProgressFn | None,
) -> tuple[dict, list]:
    """All sites at once; when that fails (a probe broke on one site's page), site by site, so one site's
    broken probe costs that site's probes only (its availability is then not_tested), never the whole run's."""
    try:
        return run_probes(sites, nameservers=nameservers, allow_private=allow_private, options=options)
    except Exception as exc:  # noqa: BLE001 - our failure: isolate it
        if progress:
            progress({"event": "probe_error", "message": f"探测出错，逐个网站重试：{exc!r}"})
    environment: dict[str, Any] = {}
    records: list[Any] = []

    def one(site: dict[str, Any]) -> tuple[dict, list]:
        return run_probes([site], nameservers=nameservers, allow_private=allow_private, options=options)

    with ThreadPoolExecutor(max_workers=8) as pool:
        futures = [(site, pool.submit(one, site)) for site in sites]
        for site, fut in futures:
            try:
                env, recs = fut.result()
            except Exception as exc:  # noqa: BLE001
                if progress:
                    progress(
                        {
                            "event": "probe_error",
                            "message": f"{site['id']} 探测出错（不计为网站问题）：{exc!r}",
                        }
                    )
                continue
            environment = environment or env
            records.extend(recs)
    return environment, records


def certificate_probe(url: str, config: Config, timeout: float) -> dict[str, Any]:
    from crawler.resolver import DnsLookup
    from crawler.tlscheck import check_certificate

    lookup = DnsLookup(config.network.nameservers, config.network.allow_private, timeout=min(timeout, 5.0))
    try:
        return check_certificate(url, lookup, timeout=timeout)
    except Exception as exc:  # noqa: BLE001 - a check of ours that broke is not the site's failure
        return {
            "url": url,
            "ok": False,
            "error_kind": "ours",
            "tls_error": None,
            "error": f"证书检查出错：{type(exc).__name__}: {exc}",
            "at": utcnow(),
        }


def ipv6_reference(config: Config) -> str | None:
    """Where the self-check tests our own IPv6: the first IPv6 name server; for a test zone served on IPv4
    loopback, the same port on ::1 (the test and demo DNS servers listen on both), so a test never reaches out.
    None lets the probes use their public default."""
    for ip, port in config.network.nameservers:
        if ":" in ip:
            return f"dns:[{ip}]:{port}"
    for ip, port in config.network.nameservers:
        if ip.startswith("127."):
            return f"dns:[::1]:{port}"
    return None


def crawl_and_probe(
    store: Store, run_id: int, *, progress: ProgressFn | None = None, probes: bool = True
) -> int:
    """Crawl (child process) and probe (thread) at the same time; mark the run complete or interrupted.

    With a broker configured ($GOVAUDIT_BROKER, as the console's `jobs.engine: workers.console:CeleryEngine`
    sets for its job processes) the sites go to `govaudit worker`s instead, one job per site, and this waits
    for them: a caller (the console's execute_job) does not change."""
    broker = os.environ.get("GOVAUDIT_BROKER")
    if broker:
        return _crawl_on_workers(store, run_id, broker, progress=progress, probes=probes)
    probe_error: list[BaseException] = []

    def probe_thread() -> None:
        try:
            probe_run(store, run_id, progress=progress)
        except BaseException as exc:  # noqa: BLE001 - reported, the crawl goes on
            probe_error.append(exc)

    t = threading.Thread(target=probe_thread, daemon=True) if probes else None
    if t:
        t.start()
    code = crawl_run(store, run_id, progress=progress)
    if t:
        t.join()
    if probe_error and progress:
        progress({"event": "probe_error", "message": f"探测失败：{probe_error[0]!r}"})
    with store.session() as s:
        states = runs.site_states(s, run_id)
    complete = code == 0 and all(st in ("done", "failed") for st in states)
    finish_run(store, run_id, "complete" if complete else "interrupted")
    return code


def _crawl_on_workers(
    store: Store, run_id: int, broker: str, *, progress: ProgressFn | None, probes: bool
) -> int:
    from workers.sitejobs import CeleryRunner

    with store.session() as s:
        run = runs.get_run(s, run_id)
        trigger = run.trigger if run is not None else "manual"
    runner = CeleryRunner(store, broker, probes=probes)
    runner.submit(run_id, trigger=trigger)
    done: set[str] = set()

    def relay(event: dict[str, Any]) -> None:
        # Site states as the crawl events the embedded crawl emits (the console's progress reads those).
        if progress is None:
            return
        with store.session() as s:
            for rs in runs.run_sites(s, run_id):
                if rs.job in ("done", "failed") and rs.site_id not in done:
                    done.add(rs.site_id)
                    progress(
                        {
                            "event": "site_done" if rs.job == "done" else "site_failed",
                            "site": rs.site_id,
                            "pages": rs.pages,
                            "message": rs.message,
                        }
                    )

    final = runner.wait(run_id, progress=relay)
    return 0 if final.finished else 1


probe_window = runs.probe_window  # the name callers used before the query moved to store/


def inspect_run(
    store: Store,
    run_id: int,
    *,
    as_of: dt.date | None = None,
    site_ids: list[str] | None = None,
    scoring_path: str | None = None,
    save: bool = True,
    scoring: dict[str, Any] | None = None,
    processes: int | None = None,
) -> dict[str, Any]:
    """Judge a stored run (offline) and return the results.json dict (``scoring``: an already validated config,
    else the one at ``scoring_path``).

    One site at a time, each in its own session: a site's rows are loaded, judged, saved and dropped before the
    next is read, so memory holds one site's artifacts (bounded by its max_pages) plus the scored results,
    never the whole run; with several sites, ``processes`` of them at once (default: one per core). Saving a
    site replaces its earlier judgement of the same day in one transaction, so a re-run (or a job delivered
    twice) stores it once.
    """
    from inspections.rules import run_rules
    from inspections.runner import load_scoring

    if scoring is None:
        scoring = load_scoring(scoring_path)
    with store.session() as s:
        run = runs.get_run(s, run_id)
        if run is None:
            raise KeyError(run_id)
        judge_date = as_of or run.as_of
        ids = [i for i in run.site_ids if not site_ids or i in site_ids]
        info = run_info(run, judge_date)
        info["rules"] = run_rules(scoring)  # the pass mark and notice deadline the reports print
    n = min(len(ids), cores() if processes is None else processes)
    if n <= 1:
        sites = [
            inspect_site_of_run(store, run_id, sid, judge_date=judge_date, scoring=scoring, save=save)
            for sid in ids
        ]
    else:
        # Sites are independent: one judging process per core, each with its own connections (a forked child
        # must not use its parent's), the results back in the run's site order.
        job = functools.partial(
            _inspect_in_child, run_id=run_id, judge_date=judge_date, scoring=scoring, save=save
        )
        with ProcessPoolExecutor(
            max_workers=n,
            mp_context=multiprocessing.get_context("fork"),
            initializer=_open_child_store,
            initargs=(store.url,),
        ) as pool:
            sites = list(pool.map(job, ids))
    return {"run": info, "sites": sites}


_child_store: list[Store] = []


def _open_child_store(url: str) -> None:
    _child_store[:] = [Store(url, migrate=False)]


def _inspect_in_child(site_id: str, *, run_id: int, **kwargs: Any) -> dict[str, Any]:
    return inspect_site_of_run(_child_store[0], run_id, site_id, **kwargs)


def inspect_site_of_run(
    store: Store,
    run_id: int,
    site_id: str,
    *,
    judge_date: dt.date | None = None,
    scoring: dict[str, Any] | None = None,
    scoring_path: str | None = None,
    save: bool = True,
) -> dict[str, Any]:
    """Judge one site of a stored run and (save=True) replace its stored judgement for that date."""
    from inspections.runner import inspect_site, load_scoring

    if scoring is None:
        scoring = load_scoring(scoring_path)
    window = int(scoring["checks"]["site-unreachable"]["options"]["window_days"])
    with store.session() as s:
        run = runs.get_run(s, run_id)
        if run is None:
            raise KeyError(run_id)
        judge_date = judge_date or run.as_of
        artifacts = load_site_artifacts(s, run_id, site_id, probe_runs=probe_window(s, run, site_id, window))
        waive = explanation_waiver(s, site_id)  # comply or explain: approved explanations of this site
        forget_loaded_rows(s)  # the ORM rows (page bodies) go now; the artifacts are all the checks need
    site = inspect_site(artifacts, as_of=judge_date, scoring=scoring, waive=waive)
    del artifacts
    if save:
        with store.session() as s:
            runs.save_judgement(s, run_id, [site_id], judge_date, [site])
            # Findings that wait for a person (待核实) go to the review store, for `govaudit review` and the console.
            record_pending(s, run_id, [site])
    return site


def stored_results(
    store: Store,
    run_id: int,
    *,
    as_of: dt.date | None = None,
    scoring_path: str | None = None,
    scoring: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The results.json dict of a run whose sites were judged by workers (SiteResult rows), in run order. A site
    whose job failed before its judgement is judged here from what was stored (offline)."""
    with store.session() as s:
        run = runs.get_run(s, run_id)
        if run is None:
            raise KeyError(run_id)
        judge_date = as_of or run.as_of
        ids = list(run.site_ids)
        judged = history.judged_site_ids(s, run_id, judge_date)
    for sid in ids:
        if sid not in judged:
            inspect_site_of_run(
                store, run_id, sid, judge_date=judge_date, scoring=scoring, scoring_path=scoring_path
            )
    sites = []
    with store.session() as s:
        run = runs.get_run(s, run_id)
        assert run is not None
        for sid in ids:
            row = history.site_result(s, run_id, sid, judge_date)
            if row is not None:
                sites.append(row.data)
        info = run_info(run, judge_date)
    if scoring is None:
        from inspections.runner import load_scoring

        scoring = load_scoring(scoring_path)
    from inspections.rules import run_rules

    info["rules"] = run_rules(scoring)  # the pass mark and notice deadline the reports print
    return {"run": info, "sites": sites}


def finding_fingerprint(check_id: str, finding: dict[str, Any]) -> str:
    """What makes a finding the same finding from one run to the next: the re-check's key (check, page without
    port, message with its numbers blanked) and the severity. An explanation holds while this stays the same."""
    from reports.recheck import finding_key

    return json.dumps(
        [*finding_key(check_id, finding), str(finding.get("severity") or "")], ensure_ascii=False
    )


def explanation_waiver(session: Any, site_id: str, now: dt.datetime | None = None) -> Any:
    """Comply or explain: the approved, unexpired explanations of a site as a waiver for inspect_site, or None."""
    now = now or utcnow()
    rows = approved_explanations(session, site_id)
    valid = {e.finding_key: e for e in rows if e.expires is None or e.expires > now}
    if not valid:
        return None

    def waive(check_id: str, finding: dict[str, Any]) -> dict[str, Any] | None:
        e = valid.get(finding_fingerprint(check_id, finding))
        if e is None:
            return None
        return {
            "explanation": e.id,
            "by": e.created_by,
            "approved_by": e.decided_by,
            "until": e.expires.date().isoformat() if e.expires else None,
        }

    return waive


def record_report_dir(store: Store, run_id: int, as_of: str | dt.date, out_dir: Path) -> None:
    """Remember where a run's documents were written, so the console can offer them for download."""
    path = str(Path(out_dir).resolve())
    day = dt.date.fromisoformat(as_of) if isinstance(as_of, str) else as_of
    with store.session() as s:
        runs.record_report_dir(s, run_id, day, path)


def run_info(run: Run, judge_date: dt.date) -> dict[str, Any]:
    return {
        "id": run.id,
        "as_of": judge_date.isoformat(),
        "started": run.started.isoformat(timespec="seconds") if run.started else None,
        "finished": run.finished.isoformat(timespec="seconds") if run.finished else None,
        "tool_version": run.tool_version,
        "status": run.status,
        "trigger": run.trigger,
        "crawl_as_of": run.as_of.isoformat(),
        "complete": run.status == "complete",
    }


def previous_results(store: Store, run_id: int, site_ids: list[str]) -> dict[str, Any] | None:
    """The latest earlier judgement of each of these sites (any earlier run), shaped like results.json, for the
    re-check comparison (已整改 / 未整改). None when no site was judged before."""
    with store.session() as s:
        sites, latest_run, latest_as_of = runs.previous_judgement(s, run_id, site_ids)
        if not sites or latest_run is None or latest_as_of is None:
            return None
        return {"run": run_info(latest_run, latest_as_of), "sites": sites}


def resolve_run(store: Store, ref: str | None) -> int | None:
    """The run meant by ``--run`` (an id or ``latest``): its id, None when there is none; ValueError for text
    that is no run reference."""
    with store.session() as s:
        if ref in (None, "latest"):
            return runs.latest_run_id(s)
        rid = int(ref)
        return rid if runs.run_exists(s, rid) else None


def run_listing(store: Store) -> list[dict[str, Any]]:
    """The runs for ``govaudit runs``, oldest first."""
    with store.session() as s:
        return [
            {
                "id": run.id,
                "started": run.started,
                "as_of": run.as_of,
                "sites": len(run.site_ids),
                "pages": pages,
                "status": run.status,
                "trigger": run.trigger,
            }
            for run, pages in runs.run_listing(s)
        ]


def notice_workdays(start: dt.date, days: int) -> dt.date:
    """整改时限 in working days on the official holiday calendar; weekends only where the calendar ends."""
    from inspections.workdays import CalendarUnknown, add_working_days
    from reports.render import add_weekdays

    try:
        return add_working_days(start, days)
    except CalendarUnknown:
        return add_weekdays(start, days)


def recheck_baseline(
    store: Store, results: dict[str, Any], previous: str | Path | None
) -> dict[str, Any] | None:
    """What a re-check compares with: the results.json given (``--previous``), else the latest earlier judgement
    of the same sites in the store (None: a first inspection). OSError/ValueError for an unreadable file."""
    if previous:
        return json.loads(Path(previous).read_text(encoding="utf-8"))
    return previous_results(store, results["run"]["id"], [s["id"] for s in results["sites"]])


def write_results(results: dict[str, Any], out_dir: Path) -> Path:
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / "results.json"
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(results, ensure_ascii=False, indent=2, default=str), encoding="utf-8")
    tmp.replace(path)
    return path


def judged_results(store: Store, run_id: int, site_ids: list[str] | None = None) -> dict[str, Any] | None:
    """The run's latest stored judgement of each of its sites, shaped like results.json (no re-inspection);
    None when the run was never judged."""
    with store.session() as s:
        run = runs.get_run(s, run_id)
        if run is None:
            raise KeyError(run_id)
        sites = []
        as_of = None
        for sid in run.site_ids:
            if site_ids and sid not in site_ids:
                continue
            row = history.latest_site_result(s, run_id, sid)
            if row is not None:
                sites.append(row.data)
                as_of = as_of or row.as_of
        if not sites:
            return None
        return {"run": run_info(run, as_of or run.as_of), "sites": sites}


def pass_rate_history(store: Store, *, before_run: int | None = None) -> list[dict[str, Any]]:
    """合格率 of every judged run (its latest judgement per site), oldest first, for the 通报's chart:
    [{run_id, as_of, rate, sites}]; runs whose sites were all 未检测 are left out."""
    out = []
    with store.session() as s:
        for run_id, latest in history.latest_results_by_run(s, before_run=before_run):
            tested = [r for r in latest.values() if r.verdict in ("合格", "不合格")]
            if not tested:
                continue
            rate = sum(1 for r in tested if r.verdict == "合格") / len(tested) * 100
            as_of = max(r.as_of for r in latest.values())
            out.append({"run_id": run_id, "as_of": as_of.isoformat(), "rate": rate, "sites": len(latest)})
    return out


def page_html_reader(store: Store, run_id: int) -> Callable[[str, str], str | None]:
    """page_html(site_id, url): the stored HTML of a page of this run (by URL or final URL), for screenshots."""

    def read(site_id: str, url: str) -> str | None:
        with store.session() as s:
            return page_html(s, run_id, site_id, url)

    return read


def write_run_documents(
    store: Store,
    results: dict[str, Any],
    out: Path,
    *,
    previous: dict[str, Any] | None,
    notice_config: str | Path | None = None,
    say: Callable[[str], None] = lambda _msg: None,
) -> list[Path]:
    """Every document of a judged run into ``out``, the same for the CLI and the console's jobs: the notice
    settings of notice.yaml, the 合格率 history of the stored runs, screenshots of the offending pages where
    Chromium is at hand, the 复查 documents against ``previous``; the report directory is recorded."""
    from govaudit.notice_config import load_notice_config
    from reports.render import write_reports

    settings = load_notice_config(notice_config)
    history = pass_rate_history(store, before_run=results["run"]["id"])
    shots = {}
    if settings.screenshots_per_site > 0:
        from reports.screenshots import chromium_path, screenshot_jobs, take_screenshots

        if chromium_path():
            jobs = screenshot_jobs(results, page_html_reader(store, results["run"]["id"]))
            shots = take_screenshots(jobs, out / "screenshots", per_site=settings.screenshots_per_site)
            if jobs:
                say(f"已截取问题页面 {len(shots)} 张（每个网站最多 {settings.screenshots_per_site} 张）")
    paths = write_reports(
        results,
        out,
        previous=previous,
        add_workdays=notice_workdays,
        settings=settings,
        history=history,
        screenshots=shots,
    )
    record_report_dir(store, results["run"]["id"], results["run"]["as_of"], out)
    return paths
