"""Shared fixtures: a throwaway PostgreSQL cluster (session) and a file-backed SQLite URL.

The PostgreSQL cluster follows ../shared/reference/platform-notes.md: initdb as the `postgres` user when we
run as root (CI), a free port on 127.0.0.1, the socket inside the data directory, fsync off. It is stopped and
deleted when the session ends. Tests skip only when the PostgreSQL binaries are not installed.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest


def _pg_bindir() -> Path | None:
    """Debian keeps the server binaries under /usr/lib/postgresql/<major>/bin (not on PATH): prefer 15."""
    root = Path("/usr/lib/postgresql")
    candidates = [root / "15" / "bin"]
    if root.is_dir():
        candidates += sorted((p / "bin" for p in root.iterdir()), reverse=True)
    for c in candidates:
        if (c / "initdb").is_file() and (c / "pg_ctl").is_file():
            return c
    initdb, pg_ctl = shutil.which("initdb"), shutil.which("pg_ctl")
    if initdb and pg_ctl and Path(initdb).parent == Path(pg_ctl).parent:
        return Path(initdb).parent
    return None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """`postgresql+psycopg://postgres@127.0.0.1:<port>/govaudit` on a throwaway PostgreSQL cluster."""
    bindir = _pg_bindir()
    if bindir is None:
        pytest.skip(
            "PostgreSQL binaries (initdb, pg_ctl) not found: apt-get install postgresql (make install)"
        )
    as_root = os.geteuid() == 0
    if as_root and shutil.which("runuser") is None:
        pytest.skip("running as root without runuser: cannot start PostgreSQL as the postgres user")

    def run(*cmd: str) -> subprocess.CompletedProcess[str]:
        argv = [str(bindir / cmd[0]), *cmd[1:]]
        if as_root:
            argv = ["runuser", "-u", "postgres", "--", *argv]
        return subprocess.run(argv, capture_output=True, text=True, timeout=120, check=False)

    data = Path(tempfile.mkdtemp(prefix="govaudit-pg-"))
    if as_root:
        shutil.chown(data, "postgres", "postgres")
    started = False
    try:
        res = run("initdb", "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C")
        if res.returncode != 0:
            pytest.fail(f"initdb failed: {res.stderr or res.stdout}")
        for _attempt in range(5):  # the free port may be taken between choosing and binding
            port = _free_port()
            opts = f"-p {port} -k {data} -c listen_addresses=127.0.0.1 -c fsync=off"
            # -l: the server must not inherit our pipes, or capture_output would wait for it to exit.
            res = run(
                "pg_ctl",
                "-D",
                str(data),
                "-l",
                str(data / "server.log"),
                "-w",
                "-t",
                "60",
                "-o",
                opts,
                "start",
            )
            if res.returncode == 0:
                started = True
                break
        if not started:
            log = (
                (data / "server.log").read_text(errors="replace")[-2000:]
                if (data / "server.log").exists()
                else ""
            )
            pytest.fail(f"pg_ctl start failed: {res.stderr or res.stdout}\n{log}")
        res = run("createdb", "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", "govaudit")
        if res.returncode != 0:
            pytest.fail(f"createdb failed: {res.stderr or res.stdout}")
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/govaudit"
    finally:
        if started:
            run("pg_ctl", "-D", str(data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(data, ignore_errors=True)


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """A fresh, empty SQLite database file for one test."""
    return f"sqlite:///{tmp_path / 'govaudit.db'}"
