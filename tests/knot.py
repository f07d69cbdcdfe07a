"""Start Debian's knotd as a real authoritative server for test zones, and stop it.

    with KnotServer({"t.test": ZONE_TEXT}, broken=["bad.test"]) as knot:
        knot.port, knot.nameservers  # ["127.0.0.1:PORT", "[::1]:PORT"]

The zone files are written by the test. A zone listed in `broken` is configured with a file knot cannot
load, so knot answers SERVFAIL for it (a real server-side failure, not a simulated one). `listen_v6=False`
makes a server that answers on 127.0.0.1 only: a name server whose AAAA points at ::1 then does not answer
over IPv6 on that port.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import dns.message
import dns.query
import dns.rcode

KNOTD = shutil.which("knotd") or "/usr/sbin/knotd"


def knot_available() -> bool:
    return os.path.exists(KNOTD)


def free_port(v6: bool = True) -> int:
    """A port free for UDP and TCP on 127.0.0.1 (and ::1 when v6)."""
    for _ in range(50):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        try:
            socks = []
            families = [(socket.AF_INET, "127.0.0.1")] + ([(socket.AF_INET6, "::1")] if v6 else [])
            for fam, addr in families:
                for kind in (socket.SOCK_DGRAM, socket.SOCK_STREAM):
                    s = socket.socket(fam, kind)
                    socks.append(s)
                    s.bind((addr, port))
            return port
        except OSError:
            continue
        finally:
            for s in socks:
                s.close()
    raise RuntimeError("no free port")


class KnotServer:
    def __init__(
        self,
        zones: dict[str, str],
        *,
        broken: list[str] = (),
        listen_v6: bool = True,
        port: int | None = None,
    ) -> None:
        self.zones = zones
        self.broken = list(broken)
        self.listen_v6 = listen_v6
        self.port = port or free_port(v6=listen_v6)
        self.dir = Path(tempfile.mkdtemp(prefix="knot-test-"))
        self.proc: subprocess.Popen | None = None

    @property
    def nameservers(self) -> list[str]:
        out = [f"127.0.0.1:{self.port}"]
        if self.listen_v6:
            out.append(f"[::1]:{self.port}")
        return out

    def _config(self) -> str:
        listen = [f"127.0.0.1@{self.port}"] + ([f"::1@{self.port}"] if self.listen_v6 else [])
        lines = [
            "server:",
            f"    rundir: {self.dir}",
            f"    pidfile: {self.dir}/knot.pid",
            f"    listen: [{', '.join(listen)}]",
            "log:",
            "  - target: stderr",
            "    any: warning",
            "database:",
            f"    storage: {self.dir}/db",
            "template:",
            "  - id: default",
            f"    storage: {self.dir}",
            '    file: "%s.zone"',
            "    zonefile-sync: -1",
            "    journal-content: none",
            "zone:",
        ]
        for name in [*self.zones, *self.broken]:
            lines.append(f"  - domain: {name}")
        return "\n".join(lines) + "\n"

    def start(self) -> KnotServer:
        for name, text in self.zones.items():
            (self.dir / f"{name}.zone").write_text(text)
        for name in self.broken:
            # Not a zone file: knot refuses to load it and answers SERVFAIL for the zone.
            (self.dir / f"{name}.zone").write_text("this is not a zone file {\n")
        conf = self.dir / "knot.conf"
        conf.write_text(self._config())
        self.log = open(self.dir / "knotd.log", "wb")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen([KNOTD, "-c", str(conf)], stdout=self.log, stderr=subprocess.STDOUT)
        self._wait_ready()
        return self

    def _wait_ready(self, timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        first = next(iter(self.zones), None) or "."
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"knotd exited: {(self.dir / 'knotd.log').read_text()}")
            try:
                q = dns.message.make_query(first, "SOA")
                r = dns.query.udp(q, "127.0.0.1", port=self.port, timeout=0.2)
                if r.rcode() == dns.rcode.NOERROR or not self.zones:
                    return
            except Exception:  # noqa: BLE001 - not up yet
                pass
            time.sleep(0.05)
        self.stop()
        raise RuntimeError("knotd did not become ready")

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
            self.proc = None
            self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self) -> KnotServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def zone(origin: str, records: str, *, ns: tuple[str, ...] = ("ns1",)) -> str:
    """A zone file text with SOA and NS records; `records` are extra lines relative to the origin."""
    ns_lines = "\n".join(f"@ 300 IN NS {n}" for n in ns)
    return (
        f"$ORIGIN {origin}.\n$TTL 300\n"
        f"@ IN SOA {ns[0]} hostmaster 1 3600 600 86400 300\n{ns_lines}\n{records}\n"
    )
