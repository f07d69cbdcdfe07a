"""Lexicon and number scans over 100,000 stored pages (issue 12): target under 60 s on 2 cores.

Builds (once, cached in var/bench-scan.db) a SQLite table of 100,000 synthetic pages stored as the crawler
stores them (zlib-compressed HTML, 6-12 KB each: navigation, an article of Chinese text drawn from a fixed word
list, a footer) with planted hits every 997th page (a misspelt protected name, a lexicon error, a valid ID
number, a mobile number). Then, in 2 worker processes, each page is read, decompressed, turned into text and
scanned by both checks' scanners (`expression_errors.scan` through the Aho–Corasick automaton of the shipped
lexicon and protected-name list, `personal_data.scan`). The planted hits must all be found.

The baseline, measured in the same run on the same machine: the same pages read, decompressed and turned into
text, searched with Python's `in` for every pattern of the automaton (the naive multi-pattern search) on a
sample, extrapolated to all pages; the printed ratio is baseline time / scan time. Writes
bench/results-scan.json.

    python bench/scan_bench.py [--pages 100000] [--workers 2] [--baseline-sample 500]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import random
import sqlite3
import sys
import time
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from extract.text import page_text  # noqa: E402
from inspections import expression_errors, personal_data  # noqa: E402
from inspections.lexicon import load_lexicon, load_protected_names  # noqa: E402

WORDS = ("政务公开 工作 推进 会议 召开 全市 县区 部门 落实 要求 加强 管理 服务 群众 企业 项目 建设 发展 经济 社会 "
         "民生 保障 教育 医疗 卫生 就业 创业 环境 保护 安全 生产 乡村 振兴 城乡 规划 交通 水利 农业 文化 旅游 "
         "改革 创新 营商 环境 优化 审批 办理 事项 窗口 网上 平台 数据 信息 公示 公告 通知 政策 文件 解读").split()
NAV = "".join(f'<li><a href="/col{i}/">栏目{i}</a></li>' for i in range(30))
FOOTER = ('<div class="footer">主办单位：某县人民政府办公室 网站标识码：3604000001 赣ICP备05004117号-1 '
          "赣公网安备 36040202000001号 联系电话：0792-8221234</div>")


def valid_id(first17: str) -> str:
    total = sum(int(d) * w for d, w in zip(first17, personal_data.ID_WEIGHTS, strict=True))
    return first17 + personal_data.ID_CHECK[total % 11]


PLANT_EVERY = 997
PLANTS = ("模拟市市长罗振冬出席会议。", "传达学习全会会议精神。",
          f"联系人身份证号{valid_id('36042419850612301')}。", "联系电话13912345678。")


def make_page(i: int) -> str:
    rng = random.Random(i)
    paragraphs = []
    for _ in range(rng.randint(8, 16)):
        paragraphs.append("<p>" + "".join(rng.choice(WORDS) for _ in range(rng.randint(40, 90))) + "。</p>")
    if i % PLANT_EVERY == 0:
        paragraphs.insert(2, "<p>" + "".join(PLANTS) + "</p>")
    return ("<!DOCTYPE html><html><head><meta charset='utf-8'><title>信息" + str(i) + "</title>"
            "<style>.nav{color:#333}</style><script>var a=1;</script></head><body>"
            f'<div class="nav"><ul>{NAV}</ul></div><div class="article"><h1>关于{rng.choice(WORDS)}工作的通知</h1>'
            f'<div class="info">发布时间：2021-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}</div>'
            + "".join(paragraphs) + f"</div>{FOOTER}</body></html>")


def build_db(path: Path, pages: int) -> None:
    if path.exists():
        with sqlite3.connect(path) as conn:
            try:
                if conn.execute("select count(*) from pages").fetchone()[0] == pages:
                    return
            except sqlite3.Error:
                pass
        path.unlink()
    path.parent.mkdir(parents=True, exist_ok=True)
    t = time.perf_counter()
    with sqlite3.connect(path) as conn:
        conn.execute("create table pages (id integer primary key, url text, body blob)")
        batch = []
        for i in range(pages):
            batch.append((i, f"http://www.bench.gov.cn/a/{i}.html", zlib.compress(make_page(i).encode(), 6)))
            if len(batch) == 5000:
                conn.executemany("insert into pages values (?, ?, ?)", batch)
                batch = []
        conn.executemany("insert into pages values (?, ?, ?)", batch)
    print(f"built {pages} stored pages in {time.perf_counter() - t:.1f} s ({path})", flush=True)


def _texts(db: str, lo: int, hi: int):
    conn = sqlite3.connect(db)
    try:
        for (body,) in conn.execute("select body from pages where id >= ? and id < ? order by id", (lo, hi)):
            yield page_text(zlib.decompress(body).decode("utf-8"))
    finally:
        conn.close()


def scan_range(args: tuple[str, int, int]) -> tuple[int, int, int, float]:
    db, lo, hi = args
    matcher = expression_errors.Matcher(load_lexicon(), load_protected_names())
    t = time.perf_counter()
    n = words = numbers = 0
    for text in _texts(db, lo, hi):
        n += 1
        words += len(expression_errors.scan(text, matcher))
        numbers += len(personal_data.scan(text))
    return n, words, numbers, time.perf_counter() - t


def baseline_range(db: str, lo: int, hi: int) -> tuple[int, int, float]:
    matcher = expression_errors.Matcher(load_lexicon(), load_protected_names())
    patterns = [k for k in matcher.automaton.keys()]
    t = time.perf_counter()
    n = hits = 0
    for text in _texts(db, lo, hi):
        n += 1
        hits += sum(1 for p in patterns if p in text)
    return n, hits, time.perf_counter() - t


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--pages", type=int, default=100_000)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--baseline-sample", type=int, default=500)
    ap.add_argument("--db", default=str(ROOT / "var" / "bench-scan.db"))
    args = ap.parse_args(argv)
    build_db(Path(args.db), args.pages)
    # Warm: jieba's dictionary and the pinyin index load once per process (counted below as part of the run).
    chunk = -(-args.pages // (args.workers * 8))
    ranges = [(args.db, lo, min(lo + chunk, args.pages)) for lo in range(0, args.pages, chunk)]
    t = time.perf_counter()
    with multiprocessing.get_context("fork").Pool(args.workers) as pool:
        parts = pool.map(scan_range, ranges)
    wall = time.perf_counter() - t
    pages = sum(p[0] for p in parts)
    word_hits = sum(p[1] for p in parts)
    number_hits = sum(p[2] for p in parts)
    planted = -(-args.pages // PLANT_EVERY)
    ok = word_hits >= 2 * planted and number_hits >= 2 * planted
    b_pages, b_hits, b_seconds = baseline_range(args.db, 0, args.baseline_sample)
    baseline_all = b_seconds / max(b_pages, 1) * pages / args.workers  # the same 2 processes, ideal split
    result = {
        "pages": pages, "workers": args.workers, "seconds": round(wall, 2), "target_seconds": 60,
        "pages_per_second": round(pages / wall), "word_hits": word_hits, "number_hits": number_hits,
        "planted_pages": planted, "all_planted_found": ok,
        "patterns": len(list(expression_errors.Matcher(load_lexicon(), load_protected_names()).automaton.keys())),
        "baseline": {"what": "the same pages, text, then `pattern in text` for every pattern (naive search)",
                     "sample_pages": b_pages, "sample_seconds": round(b_seconds, 2),
                     "extrapolated_seconds_on_workers": round(baseline_all, 1)},
        "ratio_baseline_over_scan": round(baseline_all / wall, 1),
    }
    print(f"scan: {pages} pages in {wall:.1f} s on {args.workers} processes ({pages / wall:,.0f} pages/s; "
          f"target < 60 s): {word_hits} lexicon hits, {number_hits} number hits, planted found: {ok}")
    print(f"baseline (naive `in` per pattern, {result['patterns']} patterns): {b_pages} pages in {b_seconds:.2f} s "
          f"→ {baseline_all:.0f} s for all on {args.workers} processes (extrapolated); ratio "
          f"{result['ratio_baseline_over_scan']}x")
    (ROOT / "bench" / "results-scan.json").write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n",
                                                      encoding="utf-8")
    return 0 if ok and wall < 60 else 1


if __name__ == "__main__":
    raise SystemExit(main())
