"""Probe throughput: DNS + NS + IPv6 + availability probes for 1,000 names against local servers.

DNS: Debian's knotd (tests/knot.py) serving one zone with 1,000 dual-stack hosts; HTTP: one server on
127.0.0.1 and one on [::1] (virtual hosts). Prints domains per minute for the concurrent run and for the same
probes run one site at a time (the sequential baseline runs on a sample and is extrapolated; the output says
so), and writes bench/results-probes.json.

    python bench/probes_bench.py [--names 1000] [--sequential-sample 100]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import socket
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from probes.runner import probe_sites  # noqa: E402
from tests.knot import KnotServer, free_port, knot_available, zone  # noqa: E402

BODY = (
    "<html><head><meta charset='utf-8'><title>bench</title></head><body>"
    + "".join(f"<a href='/p{i}.html'>link {i}</a>" for i in range(5))
    + "<p>"
    + "政务公开 " * 200
    + "</p></body></html>"
).encode()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"

    def log_message(self, *args: object) -> None:
        pass

    def handle(self) -> None:
        try:
            super().handle()
        except (BrokenPipeError, ConnectionResetError):
            pass  # header-only link checks close early

    def do_GET(self) -> None:  # noqa: N802
        if LATENCY_S:
            time.sleep(LATENCY_S)  # a simulated server/network round trip
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(BODY)))
        self.end_headers()
        self.wfile.write(BODY)


LATENCY_S = 0.0


class V6(ThreadingHTTPServer):
    address_family = socket.AF_INET6


def _serve(port: int, latency_s: float) -> None:
    global LATENCY_S
    LATENCY_S = latency_s
    servers = [ThreadingHTTPServer(("127.0.0.1", port), Handler), V6(("::1", port), Handler)]
    for srv in servers:
        srv.daemon_threads = True
        srv.request_queue_size = 256
        threading.Thread(target=srv.serve_forever, daemon=True).start()
    threading.Event().wait()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--names", type=int, default=1000)
    ap.add_argument("--sequential-sample", type=int, default=100)
    ap.add_argument(
        "--latency-ms",
        type=float,
        default=0.0,
        help="delay every HTTP reply (loopback has no round trip; real sites have 20-200 ms)",
    )
    ap.add_argument("--out", default=str(ROOT / "bench" / "results-probes.json"))
    args = ap.parse_args()
    if not knot_available():
        sys.exit("knotd not installed (apt-get install knot)")
    port = free_port()
    # The HTTP servers run in another process so they do not share the probes' GIL.
    server_proc = multiprocessing.Process(target=_serve, args=(port, args.latency_ms / 1000), daemon=True)
    server_proc.start()
    time.sleep(0.5)
    recs = "ns1 A 127.0.0.1\nns1 AAAA ::1\n" + "".join(
        f"s{i} A 127.0.0.1\ns{i} AAAA ::1\n" for i in range(args.names)
    )
    opts = {
        "availability": {"probe_count": 1, "probe_interval_s": 0, "timeout_s": 5},
        "ipv6": {"ports": [], "link_sample": 3, "depth3_pages": 1, "timeout_s": 5},
        "dns_timeout_s": 2.0,
        "concurrency": 64,
        "connections": 128,
    }
    with KnotServer({"bench.test": zone("bench.test", recs)}) as knot:
        sites = [
            {"id": f"s{i}", "url": f"http://s{i}.bench.test:{port}/", "level": "county"}
            for i in range(args.names)
        ]
        opts["ipv6_reference"] = f"dns:[::1]:{knot.port}"

        async def run(batch: list[dict], o: dict) -> tuple[float, int, int]:
            t0 = time.monotonic()
            env, records = await probe_sites(
                batch, nameservers=knot.nameservers, allow_private=True, options=o
            )
            ok = sum(1 for r in records if r.kind == "ipv6" and r.ok)
            return time.monotonic() - t0, len(records), ok

        conc_s, conc_records, conc_ok = asyncio.run(run(sites, opts))
        sample = sites[: args.sequential_sample]

        async def sequential() -> tuple[float, int]:
            t0 = time.monotonic()
            n = 0
            for s in sample:  # one site at a time, one connection at a time
                _, records = await probe_sites(
                    [s],
                    nameservers=knot.nameservers,
                    allow_private=True,
                    options={**opts, "concurrency": 1, "connections": 1},
                )
                n += len(records)
            return time.monotonic() - t0, n

        seq_s, _ = asyncio.run(sequential())
    server_proc.terminate()
    server_proc.join()
    conc_rate = args.names / conc_s * 60
    seq_rate = len(sample) / seq_s * 60
    result = {
        "dns_server": "knotd (Debian knot, tests/knot.py)",
        "http": "http.server on 127.0.0.1 and [::1] (separate process)",
        "names": args.names,
        "http_latency_ms": args.latency_ms,
        "probes_per_site": "A+AAAA for 2 names, zone+NS(+IPv6 SOA query), TCP, home v4+v6, "
        "3+3 link checks over v4 and v6, 1 availability probe",
        "concurrent": {
            "seconds": round(conc_s, 2),
            "domains_per_minute": round(conc_rate),
            "records": conc_records,
            "ipv6_ok": conc_ok,
        },
        "sequential": {
            "sample": len(sample),
            "seconds": round(seq_s, 2),
            "domains_per_minute": round(seq_rate),
            "extrapolated_seconds_for_all": round(seq_s * args.names / len(sample), 1),
            "note": f"measured on the first {len(sample)} names, extrapolated to {args.names}",
        },
        "speedup": round(conc_rate / seq_rate, 2),
    }
    print(f"DNS server: {result['dns_server']}; HTTP reply delay {args.latency_ms:g} ms")
    print(
        f"concurrent: {args.names} domains in {conc_s:.1f} s = {conc_rate:,.0f} domains/min "
        f"({conc_ok} with working IPv6)"
    )
    print(
        f"sequential: {len(sample)} domains in {seq_s:.1f} s = {seq_rate:,.0f} domains/min "
        f"(sample of {len(sample)}, extrapolated: {result['sequential']['extrapolated_seconds_for_all']} s "
        f"for {args.names})"
    )
    print(f"ratio: {result['speedup']}x")
    out = Path(args.out)
    runs = json.loads(out.read_text()) if out.exists() else {}
    runs = runs if isinstance(runs, dict) and "runs" in runs else {"runs": {}}
    runs["runs"][f"latency_{args.latency_ms:g}ms"] = result
    out.write_text(json.dumps(runs, indent=2, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
