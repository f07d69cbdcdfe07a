"""`make demo`: build the simulated Jiujiang web, serve it on loopback, inspect it with govaudit, report.

    python -m simweb.demo --out out --as-of 2021-12-20
    python -m simweb.demo --console [--console-port 8000]

Builds into var/simweb/ (skipped when the build stamp matches the generator's sources), writes
var/demo-sites.yaml, runs `govaudit inspect` (which also writes the reports) as
subprocesses, stops the servers and exits with the CLI's exit code. It also makes a demo office account and a
demo department account for the console (passwords generated once, kept in var/demo-accounts.txt, mode 0600)
and says how to open the console on the demo's data: `--console` serves the simulated web and runs
`govaudit serve` on the demo's database until Ctrl-C, so re-checks from the console reach the simulated sites.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import secrets
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


DEMO_OFFICE = "demo-office"


def demo_accounts(cli: str, db: str, config: Path, var: Path, sites: list[dict],
                  results: Path | None = None) -> list[dict[str, str]]:
    """The demo's console accounts: made once through `govaudit users add` (password on standard input)."""
    store = var / "demo-accounts.txt"
    if store.is_file():
        try:
            accounts = json.loads(store.read_text(encoding="utf-8"))
        except ValueError:
            accounts = []
        listed = subprocess.run([cli, "users", "list", "--db", db], capture_output=True, text=True).stdout
        if accounts and all(a["name"] in listed.split() for a in accounts):
            return accounts
    county = next((s for s in sites if s["level"] == "county"), sites[0])
    if results is not None and results.is_file():
        # the department of the site with the most failing checks: something to re-check and to explain
        judged = json.loads(results.read_text(encoding="utf-8"))["sites"]
        fails = {x["id"]: sum(1 for c in x["checks"] if c["status"] == "fail") for x in judged
                 if x["level"] != "municipal"}
        if fails:
            best = max(fails, key=lambda sid: (fails[sid], -list(fails).index(sid)))
            county = next((s for s in sites if s["id"] == best), county)
    accounts = [
        {"name": DEMO_OFFICE, "role": "office", "unit": "", "password": secrets.token_urlsafe(9)},
        {"name": f"demo-{county['id']}", "role": "department", "unit": county["unit"],
         "password": secrets.token_urlsafe(9), "site": county["name"]},
    ]
    listed = subprocess.run([cli, "users", "list", "--db", db], capture_output=True, text=True).stdout.split()
    for a in accounts:
        if a["name"] in listed:  # made by an earlier demo whose password file was lost: give it a new name
            a["name"] += "-" + secrets.token_hex(2)
        cmd = [cli, "users", "add", a["name"], "--role", a["role"], "--db", db, "--config", str(config)]
        if a["unit"]:
            cmd += ["--unit", a["unit"]]
        subprocess.run(cmd, input=a["password"] + "\n", text=True, check=True, capture_output=True)
    fd = os.open(store, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(accounts, fh, ensure_ascii=False)
    return accounts


def print_console_help(accounts: list[dict[str, str]], port: int, var: str) -> None:
    print("\n控制台（在本次演示的数据上）：")
    extra = "" if port == 8000 else f" --console-port {port}"
    print(f"  .venv/bin/python -m simweb.demo --console --var {var}{extra}    # 模拟网站 + govaudit serve，"
          f"然后打开 http://127.0.0.1:{port}/")
    for a in accounts:
        site = a.get("site", "")
        who = "市政务公开办" if a["role"] == "office" else \
            f"部门账号（{a['unit']}{'' if site in ('', a['unit']) else '，' + site}）"
        print(f"  {who}：账号 {a['name']}  密码 {a['password']}")
    print(f"  （密码保存在 {var}/demo-accounts.txt）", flush=True)


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
    ap.add_argument("--console", action="store_true",
                    help="serve the simulated web and the console (govaudit serve) on the demo's data until Ctrl-C")
    ap.add_argument("--console-port", type=int, default=8000)
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
        has_data = db.startswith("sqlite:///") and Path(db[len("sqlite:///"):]).is_file()
        rc = 0
        if not args.console or not has_data:
            cmd = [cli, "inspect", "--config", str(config), "--db", db, "--as-of", args.as_of, "--out", args.out]
            rc = _run(cmd)
            if rc != 0:
                print(f"simweb.demo: govaudit inspect failed (exit code {rc})", file=sys.stderr)
                return rc
            print(f"simweb.demo: reports in {args.out}/ (index.html, summary.html/.pdf/.docx, sites/, notices/, results.xlsx, results.json)")
        accounts = demo_accounts(cli, db, config, var, web.sites, Path(args.out) / "results.json")
        if not args.console:
            print_console_help(accounts, args.console_port, args.var)
            return rc
        print_console_help(accounts, args.console_port, args.var)
        # the console on the demo's data; the simulated web keeps serving so re-checks reach it
        # the simulated web is written for its as-of day: re-checks from the console are judged as of it too
        console_yaml = var / "demo-console.yaml"
        console_yaml.write_text(f"jobs: {{as_of: {args.as_of}}}\nrecheck: {{per_hour: 10}}\n", encoding="utf-8")
        rc = _run([cli, "serve", "--config", str(config), "--db", db, "--port", str(args.console_port),
                   "--data", str(var / "console"), "--console-config", str(console_yaml)])
    return rc


if __name__ == "__main__":
    try:
        raise SystemExit(main())
    except KeyboardInterrupt:
        print("simweb.demo: interrupted; servers stopped", file=sys.stderr)
        raise SystemExit(130)
