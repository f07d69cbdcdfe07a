"""`make demo`: build the simulated Jiujiang web, serve it on loopback, inspect it with govaudit, report.

    python -m simweb.demo --out out --as-of 2021-12-20

Builds into var/simweb/ (skipped when the build stamp matches the generator's sources), writes
var/demo-sites.yaml, runs `govaudit inspect` (which also writes the reports) as
subprocesses, stops the servers and exits with the CLI's exit code.
"""

from __future__ import annotations

import argparse
import hashlib
import shutil
import signal
import subprocess
import sys
from pathlib import Path

from .build import BUILD_VERSION, build
from .server import serve

STAMP = ".simweb-stamp"


def _source_hash() -> str:
    h = hashlib.sha256(BUILD_VERSION.encode())
    for f in sorted(Path(__file__).parent.glob("*.py")):
        h.update(f.name.encode())
        h.update(f.read_bytes())
    return h.hexdigest()


def ensure_built(dest: Path) -> bool:
    """Build the web into ``dest`` unless it is up to date. True when it was (re)built."""
    stamp = dest / STAMP
    want = _source_hash()
    if stamp.is_file() and stamp.read_text().strip() == want and (dest / "simweb.json").is_file():
        return False
    dest.mkdir(parents=True, exist_ok=True)
    build(dest)
    stamp.write_text(want + "\n")
    return True


def _govaudit() -> str | None:
    sibling = Path(sys.executable).with_name("govaudit")
    if sibling.is_file():
        return str(sibling)
    return shutil.which("govaudit")


def _run(cmd: list[str]) -> int:
    """Run a CLI step; if we are interrupted or terminated, take the child down with us."""
    print("$ " + " ".join(cmd), flush=True)
    child = subprocess.Popen(cmd)
    try:
        return child.wait()
    except BaseException:
        child.terminate()
        try:
            child.wait(timeout=10)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
        raise


def _terminate(signum, frame):  # SIGTERM → unwind (stop the servers, end the child) like Ctrl-C
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m simweb.demo", description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", default="out", help="output directory for results and reports")
    ap.add_argument("--as-of", default="2021-12-20", help="the inspection date (the web is built for 2021-12-20)")
    ap.add_argument("--var", default="var", help="working directory (web, config, database)")
    ap.add_argument("--db", default=None, help="database URL (default sqlite:///<var>/demo.db)")
    # Fixed ports by default, so the demo's URLs stay the same from one `make demo` to the next (the second run
    # is then a re-check of the first); a busy port falls back to a free one.
    ap.add_argument("--http-port", type=int, default=18080)
    ap.add_argument("--dns-port", type=int, default=15353)
    args = ap.parse_args(argv)

    var = Path(args.var)
    web_dir = var / "simweb"
    config = var / "demo-sites.yaml"
    db = args.db or f"sqlite:///{var / 'demo.db'}"
    cli = _govaudit()
    if cli is None:
        print("simweb.demo: the govaudit command was not found next to this Python; run `make install` first",
              file=sys.stderr)
        return 2

    signal.signal(signal.SIGTERM, _terminate)
    print(("built" if ensure_built(web_dir) else "reusing") + f" the simulated web in {web_dir}/", flush=True)
    try:
        web_server = serve(web_dir, http_port=args.http_port, dns_port=args.dns_port)
    except OSError as exc:
        print(f"simweb.demo: ports {args.http_port}/{args.dns_port} busy ({exc}); using free ones", flush=True)
        web_server = serve(web_dir)
    with web_server as web:
        config.write_text(web.config_yaml(), encoding="utf-8")
        print(f"serving {len(web.sites)} sites: HTTP port {web.http_port} (127.0.0.1 and ::1), "
              f"DNS port {web.dns_port}; config {config}", flush=True)
        cmd = [cli, "inspect", "--config", str(config), "--db", db, "--as-of", args.as_of, "--out", args.out]
        rc = _run(cmd)
        if rc != 0:
            print(f"simweb.demo: govaudit inspect failed (exit code {rc})", file=sys.stderr)
            return rc
        print(f"simweb.demo: reports in {args.out}/ (index.html, summary.html/.pdf/.docx, sites/, notices/, results.xlsx, results.json)")
    return rc


if __name__ == "__main__":
    try:
        raise SystemExit(main())
    except KeyboardInterrupt:
        print("simweb.demo: interrupted; servers stopped", file=sys.stderr)
        raise SystemExit(130)
