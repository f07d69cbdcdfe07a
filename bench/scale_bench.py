"""Scale benchmarks (issue 14): each figure with its baseline measured in the same run, into bench/results.json.

    python bench/scale_bench.py                       # everything, at the sizes below
    python bench/scale_bench.py --only crawl_ratio --sites 20 --pages 100    # one figure, smaller

Figures (targets in bench/README.md):
  crawl_ratio            pages/s of `govaudit crawl` (crawl + store) ÷ pages/s of bench/bare_spider.py, same web
  crawl_ratio_latency    the same with every response held ~200 ms
  full_ratio             wall time of the bare crawl ÷ wall time of a whole `govaudit inspect` (probes, inspection,
                         every report and notice)
  reinspect_s_per_100k   seconds to re-judge the stored crawl (--run, no reports) scaled to 100,000 pages, and
  reinspect_peak_mb      the peak resident memory of that re-judgement
  memory_growth          peak memory of a crawl at 10× the pages per site ÷ at 1×
  workers_speedup        throughput of two `govaudit worker`s ÷ one, on a latency-bound web (Redis + PostgreSQL)
  ipv6_probe_rate        read from bench/results-probes.json (bench/probes_bench.py, run before this by make bench)
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.localweb import LocalWeb  # noqa: E402

GOVAUDIT = str(Path(sys.executable).with_name("govaudit"))
RESULTS = ROOT / "bench" / "results.json"
TARGETS = {
    "crawl_ratio": (">=", 0.8),
    "crawl_ratio_latency": (">=", 0.8),
    "full_ratio": (">=", 0.6),
    "reinspect_s_per_100k": ("<", 60),
    "reinspect_peak_mb": ("<", 1000),
    "memory_growth": ("<=", 1.5),
    "workers_speedup": (">=", 1.6),
    "ipv6_probe_rate": (">=", 1000),
}

# Runs a command and prints, as JSON, its wall time and the peak resident memory of the largest process in its
# tree (ru_maxrss of waited-for descendants: govaudit and its crawl child).
_PEAK = """
import json, resource, subprocess, sys, time
t = time.monotonic()
p = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
rc = p.returncode
if rc:
    sys.stderr.write(p.stderr.decode(errors="replace")[-3000:])
ru = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({"rc": rc, "seconds": time.monotonic() - t, "cpu_s": ru.ru_utime + ru.ru_stime,
                  "peak_mb": ru.ru_maxrss / 1024}))
"""


def measure(cmd: list[str], env: dict[str, str] | None = None) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, "-c", _PEAK, *cmd], capture_output=True, text=True, env=env, check=False
    )
    try:
        res = json.loads(out.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        raise RuntimeError(f"{cmd[:3]} failed: {out.stderr[-2000:]}") from None
    if res["rc"] != 0:
        raise RuntimeError(f"{' '.join(cmd[:4])} exited {res['rc']}")
    return res


def bare(config: Path) -> dict[str, Any]:
    t = time.monotonic()
    out = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "bare_spider.py"), str(config)],
        capture_output=True,
        text=True,
        check=True,
    )
    seconds = time.monotonic() - t
    data = json.loads(out.stdout.strip().splitlines()[-1])
    return {
        "pages": data["pages"],
        "seconds": round(seconds, 2),
        "pages_per_s": round(data["pages"] / seconds, 2),
    }


def db_pages(db: Path) -> int:
    with sqlite3.connect(db) as conn:
        return int(conn.execute("SELECT count(*) FROM pages").fetchone()[0])


def ours_crawl(config: Path, db: Path) -> dict[str, Any]:
    res = measure([GOVAUDIT, "crawl", "--config", str(config), "--db", f"sqlite:///{db}", "--no-probes"])
    pages = db_pages(db)
    return {
        "pages": pages,
        "seconds": round(res["seconds"], 2),
        "pages_per_s": round(pages / res["seconds"], 2),
        "peak_mb": round(res["peak_mb"], 1),
    }


def figure(name: str, value: float, baseline: dict[str, Any], ours: dict[str, Any], **extra: Any) -> dict:
    op, target = TARGETS[name]
    met = {">=": value >= target, "<": value < target, "<=": value <= target}[op]
    print(
        f"{name:<22} {value:>9.2f}   target {op} {target:<6} {'met' if met else 'MISSED'}   "
        f"baseline {json.dumps(baseline, ensure_ascii=False)}   govaudit {json.dumps(ours, ensure_ascii=False)}",
        flush=True,
    )
    return {
        "value": round(value, 3),
        "target": f"{op} {target}",
        "met": met,
        "baseline": baseline,
        "govaudit": ours,
        **extra,
    }


def crawl_ratio(args: argparse.Namespace, work: Path, out: dict) -> Path:
    """Also leaves the stored crawl for reinspect."""
    with LocalWeb(args.sites, args.pages) as web:
        config = work / "web0.yaml"
        config.write_text(web.config_yaml(), encoding="utf-8")
        b = bare(config)
        db = work / "crawl0.db"
        o = ours_crawl(config, db)
    out["crawl_ratio"] = figure(
        "crawl_ratio",
        o["pages_per_s"] / b["pages_per_s"],
        b,
        o,
        web=f"{args.sites} sites × {args.pages} pages, bare loopback",
    )
    return db


def crawl_ratio_latency(args: argparse.Namespace, work: Path, out: dict) -> None:
    with LocalWeb(args.sites, args.pages, latency_s=args.latency_ms / 1000) as web:
        config = work / "web200.yaml"
        config.write_text(web.config_yaml(), encoding="utf-8")
        b = bare(config)
        o = ours_crawl(config, work / "crawl200.db")
    out["crawl_ratio_latency"] = figure(
        "crawl_ratio_latency",
        o["pages_per_s"] / b["pages_per_s"],
        b,
        o,
        web=f"{args.sites} sites × {args.pages} pages, {args.latency_ms:.0f} ms per response",
    )


def full_ratio(args: argparse.Namespace, work: Path, out: dict) -> None:
    sites = args.full_sites or args.sites
    with LocalWeb(sites, args.pages) as web:
        config = work / "webfull.yaml"
        config.write_text(web.config_yaml(), encoding="utf-8")
        b = bare(config)
        res = measure(
            [
                GOVAUDIT,
                "inspect",
                "--config",
                str(config),
                "--db",
                f"sqlite:///{work / 'full.db'}",
                "--as-of",
                "2021-12-20",
                "--out",
                str(work / "full-out"),
            ]
        )
    o = {
        "seconds": round(res["seconds"], 2),
        "pages": db_pages(work / "full.db"),
        "reports": len(list((work / "full-out").rglob("*.*"))),
    }
    out["full_ratio"] = figure(
        "full_ratio",
        b["seconds"] / res["seconds"],
        b,
        o,
        web=f"{sites} sites × {args.pages} pages, bare loopback",
    )


def rejudge(db: Path, out_dir: Path) -> dict[str, Any]:
    """`govaudit inspect --run latest --no-reports` on a stored crawl: its wall time, CPU time and peak memory."""
    return measure(
        [
            GOVAUDIT,
            "inspect",
            "--db",
            f"sqlite:///{db}",
            "--run",
            "latest",
            "--no-reports",
            "--out",
            str(out_dir),
        ]
    )


def reinspect(args: argparse.Namespace, work: Path, out: dict, db: Path | None) -> None:
    if db is None or not db.exists():
        db = work / "crawl0.db"
        with LocalWeb(args.sites, args.pages) as web:
            config = work / "web0.yaml"
            config.write_text(web.config_yaml(), encoding="utf-8")
            ours_crawl(config, db)
    pages = db_pages(db)
    res = rejudge(db, work / "reinspect-out")
    per_100k = res["seconds"] * 100_000 / pages
    # On a shared machine the wall time is mostly waiting for a core: the CPU time says what an idle one takes.
    cpu_100k = res["cpu_s"] * 100_000 / pages
    base = {"pages": pages, "seconds": round(res["seconds"], 2), "cpu_seconds": round(res["cpu_s"], 2)}
    out["reinspect_s_per_100k"] = figure(
        "reinspect_s_per_100k",
        per_100k,
        base,
        {"s_per_100k": round(per_100k, 1), "cpu_s_per_100k": round(cpu_100k, 1)},
    )
    out["reinspect_peak_mb"] = figure(
        "reinspect_peak_mb", res["peak_mb"], base, {"peak_mb": round(res["peak_mb"])}
    )


def memory_growth(args: argparse.Namespace, work: Path, out: dict) -> None:
    runs = {}
    pages = args.memory_pages or args.pages
    for factor in (1, 10):
        with LocalWeb(args.memory_sites, pages * factor) as web:
            config = work / f"mem{factor}.yaml"
            config.write_text(web.config_yaml(), encoding="utf-8")
            runs[factor] = ours_crawl(config, work / f"mem{factor}.db")
    # Not a target of the issue, for the record: a re-judgement holds one site's artifacts per process, so its
    # memory does grow with the pages of a site (not with the sites of a run).
    judged = {}
    for factor in (1, 10):
        judged[factor] = round(rejudge(work / f"mem{factor}.db", work / f"mem{factor}-out")["peak_mb"], 1)
    out["memory_growth"] = figure(
        "memory_growth",
        runs[10]["peak_mb"] / runs[1]["peak_mb"],
        runs[1],
        runs[10],
        web=f"{args.memory_sites} sites × {pages} pages and × {pages * 10}",
        reinspect_peak_mb={"1x": judged[1], "10x": judged[10], "ratio": round(judged[10] / judged[1], 2)},
    )


# ---------------------------------------------------------------------------------------------- workers


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_postgres(work: Path) -> tuple[str, Any]:
    from tests.conftest import _pg_bindir

    bindir = _pg_bindir()
    if bindir is None:
        raise RuntimeError("PostgreSQL is not installed (make install)")
    data = work / "pg"
    data.mkdir()
    pre = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    if pre:
        shutil.chown(data, "postgres", "postgres")
        # mkdtemp made the work directory 0700 for root: the postgres user must be able to reach its data
        work.chmod(work.stat().st_mode | 0o711)
    subprocess.run(
        [
            *pre,
            str(bindir / "initdb"),
            "-D",
            str(data),
            "-U",
            "postgres",
            "--auth=trust",
            "-E",
            "UTF8",
            "--locale=C",
        ],
        check=True,
        capture_output=True,
    )
    port = _free_port()
    subprocess.run(
        [
            *pre,
            str(bindir / "pg_ctl"),
            "-D",
            str(data),
            "-l",
            str(data / "log"),
            "-w",
            "-o",
            f"-p {port} -k {data} -c listen_addresses=127.0.0.1 -c fsync=off",
            "start",
        ],
        check=True,
        capture_output=True,
    )
    subprocess.run(
        [*pre, str(bindir / "createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", "bench"],
        check=True,
        capture_output=True,
    )

    def stop() -> None:
        subprocess.run(
            [*pre, str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"],
            capture_output=True,
            check=False,
        )

    return f"postgresql+psycopg://postgres@127.0.0.1:{port}/bench", stop


def start_redis(work: Path) -> tuple[str, Any]:
    port = _free_port()
    proc = subprocess.Popen(
        [
            "redis-server",
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(work),
        ],
        stdout=subprocess.DEVNULL,
    )
    time.sleep(0.5)
    return f"redis://127.0.0.1:{port}/0", lambda: (proc.terminate(), proc.wait(10))


def _pin(i: int) -> Any:
    cores = sorted(os.sched_getaffinity(0))
    core = cores[i % len(cores)]
    return lambda: os.sched_setaffinity(0, {core})


def _cpu_ticks() -> tuple[int, int]:
    """(busy, total) jiffies of the whole machine, from /proc/stat (0, 0 where there is none)."""
    try:
        fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    except (OSError, ValueError):
        return 0, 0
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
    return sum(fields) - idle, sum(fields)


def _busy_share(before: tuple[int, int], after: tuple[int, int]) -> float | None:
    """How busy the machine's cores were between two _cpu_ticks() (1.0: every core all the time)."""
    total = after[1] - before[1]
    return round((after[0] - before[0]) / total, 2) if total > 0 else None


def workers_speedup(args: argparse.Namespace, work: Path, out: dict) -> None:
    pg, stop_pg = start_postgres(work)
    redis, stop_redis = start_redis(work)
    env = {**os.environ}
    env.pop("GOVAUDIT_BROKER", None)
    results = {}
    try:
        with LocalWeb(args.worker_sites, args.worker_pages, latency_s=args.latency_ms / 1000) as web:
            config = work / "workers.yaml"
            config.write_text(web.config_yaml(), encoding="utf-8")
            for n in (1, 2):
                workers = [
                    subprocess.Popen(
                        [
                            GOVAUDIT,
                            "worker",
                            "--db",
                            pg,
                            "--broker",
                            redis,
                            "--concurrency",
                            str(args.worker_concurrency),
                            "--name",
                            f"bench{n}-{i}@local",
                        ],
                        env=env,
                        stdout=subprocess.DEVNULL,
                        stderr=subprocess.DEVNULL,
                        # Each worker (and its crawl processes) on a core of its own, as on a machine of its own:
                        # unpinned, two workers on this machine's cores share them with each other.
                        preexec_fn=_pin(i) if args.worker_pin else None,
                    )
                    for i in range(n)
                ]
                try:
                    time.sleep(3)  # workers connected before the first job is sent
                    ticks = _cpu_ticks()
                    t = time.monotonic()
                    subprocess.run(
                        [
                            GOVAUDIT,
                            "crawl",
                            "--config",
                            str(config),
                            "--db",
                            pg,
                            "--broker",
                            redis,
                            "--no-probes",
                        ],
                        env=env,
                        check=True,
                        capture_output=True,
                    )
                    seconds = time.monotonic() - t
                    busy = _busy_share(ticks, _cpu_ticks())
                finally:
                    for w in workers:
                        w.send_signal(signal.SIGTERM)
                    for w in workers:
                        w.wait(60)
                from sqlalchemy import create_engine, text

                engine = create_engine(pg)
                with engine.connect() as conn:
                    pages = conn.execute(
                        text("SELECT count(*) FROM pages WHERE run_id = (SELECT max(id) FROM runs)")
                    ).scalar()
                engine.dispose()
                results[n] = {
                    "workers": n,
                    "pages": pages,
                    "seconds": round(seconds, 2),
                    "pages_per_s": round(pages / seconds, 2),
                    # near 1.0: the cores, not the web, set the pace, and a second worker on the same machine
                    # cannot add throughput (on two machines it would)
                    "cpu_busy": busy,
                }
    finally:
        stop_redis()
        stop_pg()
    out["workers_speedup"] = figure(
        "workers_speedup",
        results[2]["pages_per_s"] / results[1]["pages_per_s"],
        results[1],
        results[2],
        web=f"{args.worker_sites} sites × {args.worker_pages} pages, "
        f"{args.latency_ms:.0f} ms per response, {args.worker_concurrency} jobs "
        "per worker" + (", each worker on a core of its own" if args.worker_pin else ", workers unpinned"),
    )


def ipv6_probe_rate(out: dict) -> None:
    path = ROOT / "bench" / "results-probes.json"
    if not path.exists():
        print("ipv6_probe_rate: bench/results-probes.json missing (run bench/probes_bench.py)")
        return
    data = json.loads(path.read_text(encoding="utf-8"))
    runs = data.get("runs", {})
    # The figure with the most latency is the one a real network gives (bare loopback is CPU-bound).
    name = max(runs, key=lambda k: runs[k].get("http_latency_ms", 0), default=None)
    if name is None:
        print("ipv6_probe_rate: no runs in bench/results-probes.json")
        return
    r = runs[name]
    out["ipv6_probe_rate"] = figure(
        "ipv6_probe_rate",
        r["concurrent"]["domains_per_minute"],
        {"one_at_a_time_domains_per_min": r["sequential"]["domains_per_minute"]},
        {"concurrent_domains_per_min": r["concurrent"]["domains_per_minute"]},
        http_latency_ms=r.get("http_latency_ms"),
        names=r.get("names"),
    )


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sites", type=int, default=100)
    ap.add_argument("--pages", type=int, default=200)
    ap.add_argument("--latency-ms", type=float, default=200)
    ap.add_argument("--full-sites", type=int, default=0, help="sites of the full_ratio web (default --sites)")
    ap.add_argument("--memory-sites", type=int, default=4)
    ap.add_argument("--memory-pages", type=int, default=0, help="pages per site at 1× (default --pages)")
    ap.add_argument("--worker-sites", type=int, default=16)
    ap.add_argument("--worker-pages", type=int, default=100)
    ap.add_argument("--worker-concurrency", type=int, default=4)
    ap.add_argument(
        "--worker-pin",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="each worker on a core of its own, as on a machine of its own (default on)",
    )
    ap.add_argument("--only", default="", help="comma-separated figures")
    ap.add_argument("--keep", action="store_true", help="keep the work directory")
    ap.add_argument("--work", default=None, help="work directory (default: a new one under $TMPDIR)")
    args = ap.parse_args()
    only = {x.strip() for x in args.only.split(",") if x.strip()}

    def want(name: str) -> bool:
        return not only or name in only

    work = Path(args.work) if args.work else Path(tempfile.mkdtemp(prefix="govaudit-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    previous = json.loads(RESULTS.read_text(encoding="utf-8")) if RESULTS.exists() else {}
    out: dict[str, Any] = dict(previous.get("figures", {}))
    load = os.getloadavg()
    print(f"work directory {work}; load average {load[0]:.1f} on {os.cpu_count()} CPUs", flush=True)

    def save() -> None:
        # After every figure: a long run stopped half-way keeps what it measured.
        RESULTS.write_text(
            json.dumps(
                {
                    "machine": {
                        "cpus": os.cpu_count(),
                        "python": platform.python_version(),
                        "load_average_at_start": [round(x, 1) for x in load],
                    },
                    "taken": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
                    "sizes": {k: v for k, v in vars(args).items() if k not in ("only", "keep", "work")},
                    "figures": out,
                },
                ensure_ascii=False,
                indent=2,
            )
            + "\n",
            encoding="utf-8",
        )

    steps = [
        ("crawl_ratio", None),
        ("reinspect_s_per_100k", None),
        ("crawl_ratio_latency", crawl_ratio_latency),
        ("memory_growth", memory_growth),
        ("workers_speedup", workers_speedup),
        ("full_ratio", full_ratio),
    ]
    try:
        db = None
        for name, fn in steps:
            if name == "crawl_ratio" and want(name):
                db = crawl_ratio(args, work, out)
            elif name == "reinspect_s_per_100k" and (want(name) or want("reinspect_peak_mb")):
                reinspect(args, work, out, db)
            elif fn is not None and want(name):
                fn(args, work, out)
            else:
                continue
            save()
        if want("ipv6_probe_rate"):
            ipv6_probe_rate(out)
            save()
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    print(f"wrote {RESULTS.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
