"""Documents of a 100-site run: every HTML, PDF, DOCX, XLSX and CSV file, timed next to the inspection of the
same run (the baseline, measured in this run on this machine).

    python bench/documents_bench.py [--sites 100] [--work /tmp/govaudit-bench-docs]

The simulated Jiujiang web is crawled once; its stored crawl is copied in the database into a run of --sites
sites (each copy its own site id and responsible unit, so every failing site is its own unit's notice: the
most documents a run of that size can need). Then, timed: `inspect_run` on that run (offline judging from the
store) and `write_reports` (every document). Target (issue 10): documents ≤ 60 s for 100 sites on 2 cores.
Screenshots are timed apart (they depend on Chromium and are bounded per site by config/notice.yaml).
Writes bench/results-documents.json.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import select  # noqa: E402

from govaudit import pipeline  # noqa: E402
from simweb.demo import ensure_built  # noqa: E402
from simweb.server import serve  # noqa: E402
from store.db import Store  # noqa: E402
from store.models import Base, Run  # noqa: E402

AS_OF = "2021-12-20"


def crawl_simweb(work: Path, db: str) -> int:
    web_dir = work / "simweb"
    ensure_built(web_dir)
    govaudit = str(Path(sys.executable).with_name("govaudit"))
    with serve(web_dir) as web:
        config = work / "sites.yaml"
        config.write_text(web.config_yaml(), encoding="utf-8")
        proc = subprocess.run(
            [govaudit, "crawl", "--config", str(config), "--db", db, "--as-of", AS_OF],
            capture_output=True,
            text=True,
            timeout=1800,
        )
        if proc.returncode != 0:
            raise SystemExit(f"crawl failed: {proc.stderr[-2000:]}")
        return int(proc.stdout.strip().splitlines()[-1])


def clone_run(store: Store, source: int, n_sites: int) -> int:
    """A new run holding n_sites copies of the source run's sites (pages, links, probes ... copied row by row)."""
    tables = [
        t
        for t in Base.metadata.sorted_tables
        if {"run_id", "site_id"} <= set(t.c.keys()) and t.name not in ("check_results", "site_results")
    ]
    with store.session() as s:
        run = s.get(Run, source)
        assert run is not None
        base_sites = list(run.site_ids)
        snap = dict(run.config)
        by_id = {x["id"]: x for x in snap["sites"]}
        copies: list[tuple[str, str]] = []  # (new id, source id)
        new_sites = []
        for i in range(n_sites):
            src = base_sites[i % len(base_sites)]
            round_no = i // len(base_sites)
            new_id = src if round_no == 0 else f"{src}-{round_no}"
            copies.append((new_id, src))
            site = dict(by_id[src], id=new_id)
            if round_no:
                site["name"] = f"{site['name']}（副本{round_no}）"
                site["unit"] = f"{site['unit']}（副本{round_no}）"
            new_sites.append(site)
        snap["sites"] = new_sites
        clone = Run(
            trigger="manual",
            as_of=run.as_of,
            tool_version=run.tool_version,
            status="complete",
            pid=None,
            config_path=run.config_path,
            config=snap,
            site_ids=[c[0] for c in copies],
            started=run.started,
            finished=run.finished,
            environment=run.environment,
        )
        s.add(clone)
        s.flush()
        new_run = clone.id
        conn = s.connection()
        for table in tables:
            cols = [c for c in table.c.keys() if c != "id"]
            rows = [
                dict(r._mapping)
                for r in conn.execute(select(*[table.c[c] for c in cols]).where(table.c.run_id == source))
            ]
            by_site: dict[str, list[dict]] = {}
            for r in rows:
                by_site.setdefault(r["site_id"], []).append(r)
            batch = []
            for new_id, src in copies:
                for r in by_site.get(src, []):
                    batch.append({**r, "run_id": new_run, "site_id": new_id})
            for start in range(0, len(batch), 2000):
                conn.execute(table.insert(), batch[start : start + 2000])
    return new_run


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sites", type=int, default=100)
    ap.add_argument("--work", default="/tmp/govaudit-bench-docs")
    ap.add_argument("--out", default=str(ROOT / "bench" / "results-documents.json"))
    args = ap.parse_args()
    work = Path(args.work)
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    db = f"sqlite:///{work / 'bench.db'}"
    t0 = time.perf_counter()
    source = crawl_simweb(work, db)
    crawl_s = time.perf_counter() - t0
    store = Store(db)
    run_id = clone_run(store, source, args.sites)

    from govaudit.notice_config import load_notice_config
    from reports.render import write_reports
    from reports.screenshots import chromium_path, screenshot_jobs, take_screenshots

    t0 = time.perf_counter()
    results = pipeline.inspect_run(store, run_id)
    inspect_s = time.perf_counter() - t0

    settings = load_notice_config(ROOT / "config" / "notice.yaml")
    history = pipeline.pass_rate_history(store, before_run=run_id)
    out = work / "out"
    t0 = time.perf_counter()
    paths = write_reports(
        results,
        out,
        settings=settings,
        history=history,
        add_workdays=pipeline.notice_workdays,
        issued=dt.date(2021, 12, 21),
    )
    docs_s = time.perf_counter() - t0

    shots_s, shots = None, 0
    if chromium_path():
        t0 = time.perf_counter()
        jobs = screenshot_jobs(results, pipeline.page_html_reader(store, run_id))
        shots = len(
            take_screenshots(jobs, work / "shots", per_site=settings.screenshots_per_site, budget_s=600)
        )
        shots_s = time.perf_counter() - t0

    kinds: dict[str, int] = {}
    for p in paths:
        kinds[p.suffix] = kinds.get(p.suffix, 0) + 1
    pages = None
    if shutil.which("pdfinfo") and (out / "summary.pdf").is_file():
        info = subprocess.run(["pdfinfo", str(out / "summary.pdf")], capture_output=True, text=True).stdout
        pages = int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")))
    notices = sum(1 for p in paths if p.parent.name == "notices" and p.suffix == ".pdf")
    result = {
        "sites": args.sites,
        "crawl_of_source_s": round(crawl_s, 1),
        "inspect_s": round(inspect_s, 2),
        "documents_s": round(docs_s, 2),
        "documents_per_inspect": round(docs_s / inspect_s, 2),
        "target_documents_s": 60,
        "files": len(paths),
        "by_type": kinds,
        "notices": notices,
        "summary_pdf_pages": pages,
        "screenshots": shots,
        "screenshots_s": round(shots_s, 2) if shots_s is not None else None,
        "per_site_screenshots": settings.screenshots_per_site,
        "measured": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }
    Path(args.out).write_text(json.dumps(result, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(
        f"documents of a {args.sites}-site run: {docs_s:.1f} s (target ≤ 60 s) for {len(paths)} files "
        f"{kinds}, {notices} notices, 通报 {pages} pages"
    )
    print(
        f"inspection of the same run: {inspect_s:.1f} s → documents / inspection = {docs_s / inspect_s:.2f}x"
    )
    if shots_s is not None:
        print(f"screenshots: {shots} in {shots_s:.1f} s (≤ {settings.screenshots_per_site} per site)")
    return 0 if docs_s <= 60 else 1


if __name__ == "__main__":
    raise SystemExit(main())
