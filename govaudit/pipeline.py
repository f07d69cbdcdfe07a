"""The one-way flow: config → crawl + probes → store → inspect → score → results.json (→ reports).

Only `crawl_run` and `probe_run` touch the network; `inspect_run` reads the store alone, so a stored crawl can be
re-judged offline, for any as-of date.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from crawler.settings import TOOL_VERSION
from govconfig.sites import Config, config_from_snapshot, format_nameserver
from store import runs
from store.db import Store
from store.loader import load_site_artifacts
from store.models import Run, utcnow

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
    marked = []
    with store.session() as s:
        for run in runs.running_runs(s):
            if not _alive(run.pid):
                run.status = "interrupted"
                marked.append(run.id)
    return marked


def start_run(store: Store, config: Config, site_ids: list[str], *, as_of: dt.date, trigger: str) -> int:
    with store.session() as s:
        return runs.create_run(s, site_ids, trigger=trigger, as_of=as_of, tool_version=TOOL_VERSION,
                               status="running", pid=os.getpid(), config_path=config.path, config=config.snapshot())


def resumable_run(store: Store, config: Config, site_ids: list[str], *, as_of: dt.date | None,
                  any_run: bool = False) -> int | None:
    """The newest interrupted run to continue: any (--resume), or one of the same sites, date and configuration
    (re-running the same command resumes it)."""
    with store.session() as s:
        candidate = runs.newest_interrupted(s)
        if candidate is None:
            return None
        same = (sorted(candidate.site_ids) == sorted(site_ids)
                and (as_of is None or candidate.as_of == as_of)
                and candidate.config.get("sites") == config.snapshot()["sites"])
        return candidate.id if any_run or same else None


def claim_run(store: Store, run_id: int) -> None:
    """Take over an interrupted run (resume): it is ours and running again."""
    with store.session() as s:
        runs.reopen_run(s, run_id, os.getpid())


def finish_run(store: Store, run_id: int, status: str) -> None:
    with store.session() as s:
        runs.set_run_status(s, run_id, status, utcnow())


def crawl_run(store: Store, run_id: int, *, progress: ProgressFn | None = None) -> int:
    """Crawl the run's sites in a child process; returns its exit code."""
    cmd = [sys.executable, "-m", "crawler.run", "--db", store.url, "--run", str(run_id)]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
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


def probe_run(store: Store, run_id: int, *, progress: ProgressFn | None = None) -> None:
    """Availability, DNS and IPv6 probes for the run's sites; stored as ProbeRows plus the run environment."""
    try:
        from probes.runner import run_probes
    except ImportError as exc:  # probes not installed: checks that need them say not_tested
        if progress:
            progress({"event": "probe_error", "message": f"探测模块不可用：{exc}"})
        return
    with store.session() as s:
        run = s.get(Run, run_id)
        assert run is not None
        config = config_from_snapshot(run.config)
        wanted = set(run.site_ids)
    sites = [{"id": site.id, "url": site.url, "level": site.level, "hosts": list(site.hosts),
              "limits": site.as_dict()["limits"]} for site in config.sites if site.id in wanted]
    d = config.defaults
    # Defaults here; each site's own probe_count / probe_interval_s / probe_timeout_s (its limits) win per site.
    options: dict[str, Any] = {
        "availability": {"probe_count": d.probe_count, "probe_interval_s": d.probe_interval_s,
                         "timeout_s": d.probe_timeout_s},
    }
    reference = ipv6_reference(config)
    if reference:
        options["ipv6_reference"] = reference
    nameservers = [format_nameserver(ip, port) for ip, port in config.network.nameservers]
    with ThreadPoolExecutor(max_workers=8) as pool:
        # Scrapy does not verify certificates: every https site gets a verifying TLS handshake of its own.
        tls_checks = [(site["id"], pool.submit(certificate_probe, site["url"], config,
                                               site["limits"]["probe_timeout_s"]))
                      for site in sites if site["url"].startswith("https://")]
        environment, records = _probe_sites(run_probes, sites, nameservers, config.network.allow_private,
                                            options, progress)
        tls_rows = [(sid, f.result()) for sid, f in tls_checks]
    with store.session() as s:
        run = s.get(Run, run_id)
        assert run is not None
        run.environment = {**(run.environment or {}), **environment}
        runs.replace_probes(s, run_id, records, tls_rows)
    if progress:
        progress({"event": "probes_done", "count": len(records) + len(tls_rows)})


def _probe_sites(run_probes: Callable[..., Any], sites: list[dict[str, Any]], nameservers: list[str],
                 allow_private: bool, options: dict[str, Any], progress: ProgressFn | None) -> tuple[dict, list]:
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
                    progress({"event": "probe_error", "message": f"{site['id']} 探测出错（不计为网站问题）：{exc!r}"})
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
        return {"url": url, "ok": False, "error_kind": "ours", "tls_error": None,
                "error": f"证书检查出错：{type(exc).__name__}: {exc}", "at": utcnow()}


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


def crawl_and_probe(store: Store, run_id: int, *, progress: ProgressFn | None = None,
                    probes: bool = True) -> int:
    """Crawl (child process) and probe (thread) at the same time; mark the run complete or interrupted."""
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


probe_window = runs.probe_window  # the name callers used before the query moved to store/


def inspect_run(store: Store, run_id: int, *, as_of: dt.date | None = None, site_ids: list[str] | None = None,
                scoring_path: str | None = None, save: bool = True,
                scoring: dict[str, Any] | None = None) -> dict[str, Any]:
    """Judge a stored run (offline) and return the results.json dict (``scoring``: an already validated config,
    else the one at ``scoring_path``)."""
    from inspections.rules import run_rules
    from inspections.runner import inspect_site, load_scoring

    if scoring is None:
        scoring = load_scoring(scoring_path)
    window = int(scoring["checks"]["site-unreachable"]["options"]["window_days"])
    with store.session() as s:
        run = s.get(Run, run_id)
        if run is None:
            raise KeyError(run_id)
        judge_date = as_of or run.as_of
        ids = [i for i in run.site_ids if not site_ids or i in site_ids]
        sites = []
        for sid in ids:
            artifacts = load_site_artifacts(s, run_id, sid, probe_runs=probe_window(s, run, sid, window))
            sites.append(inspect_site(artifacts, as_of=judge_date, scoring=scoring))
        if save:
            runs.save_judgement(s, run_id, ids, judge_date, sites)
        info = run_info(run, judge_date)
    info["rules"] = run_rules(scoring)  # the pass mark and notice deadline the reports print
    return {"run": info, "sites": sites}


def run_info(run: Run, judge_date: dt.date) -> dict[str, Any]:
    return {
        "id": run.id, "as_of": judge_date.isoformat(),
        "started": run.started.isoformat(timespec="seconds") if run.started else None,
        "finished": run.finished.isoformat(timespec="seconds") if run.finished else None,
        "tool_version": run.tool_version, "status": run.status, "trigger": run.trigger,
        "crawl_as_of": run.as_of.isoformat(), "complete": run.status == "complete",
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
        return [{"id": run.id, "started": run.started, "as_of": run.as_of, "sites": len(run.site_ids),
                 "pages": pages, "status": run.status, "trigger": run.trigger}
                for run, pages in runs.run_listing(s)]


def notice_workdays(start: dt.date, days: int) -> dt.date:
    """整改时限 in working days on the official holiday calendar; weekends only where the calendar ends."""
    from inspections.workdays import CalendarUnknown, add_working_days
    from reports.render import add_weekdays

    try:
        return add_working_days(start, days)
    except CalendarUnknown:
        return add_weekdays(start, days)


def recheck_baseline(store: Store, results: dict[str, Any], previous: str | Path | None) -> dict[str, Any] | None:
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
