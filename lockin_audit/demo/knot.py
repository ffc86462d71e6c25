"""Run a real Knot DNS server (knotd) as an ordinary process on 127.0.0.1.

Used by the tests, the benchmark and the demo: zone files are written into a work
directory with its own rundir and storage, knotd listens on a free port (UDP and TCP), and
`stop()` ends exactly the process that was started.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import dns.exception
import dns.message
import dns.query
import dns.rdatatype


class KnotUnavailable(Exception):
    """knotd is not installed or did not start."""


def knotd_path() -> str | None:
    return shutil.which("knotd") or next(
        (p for p in ("/usr/sbin/knotd", "/usr/local/sbin/knotd") if Path(p).exists()), None)


def free_port(host: str = "127.0.0.1") -> int:
    """A port free for both UDP and TCP on `host` (knotd binds both)."""
    for _ in range(50):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as tcp:
            tcp.bind((host, 0))
            port = int(tcp.getsockname()[1])
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
                try:
                    udp.bind((host, port))
                except OSError:
                    continue
            return port
    raise KnotUnavailable("no free port on 127.0.0.1")


@dataclass
class KnotServer:
    workdir: Path
    zones: dict[str, str]  # origin -> zone file text
    signed: tuple[str, ...] = ()  # zones Knot signs itself (DNSKEY, RRSIG, NSEC)
    port: int = 0
    host: str = "127.0.0.1"  # another loopback address (127.0.0.x) for a DNS hierarchy
    fixed_port: int = 0  # listen on this port instead of a free one
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        # knotd reads relative paths in its config against its rundir, not our cwd
        self.workdir = self.workdir.resolve()

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    def _config(self) -> str:
        w = self.workdir
        lines = [
            "server:",
            f'    rundir: "{w / "run"}"',
            f"    listen: {self.host}@{self.port}",
            "    udp-workers: 2",
            "    tcp-workers: 2",
            "    background-workers: 1",
            "log:",
            "  - target: stderr",
            "    any: warning",
            "database:",
            f'    storage: "{w / "db"}"',
            "control:",
            f'    listen: "{w / "run" / "knot.sock"}"',
            "policy:",
            "  - id: demo",
            "    algorithm: ecdsap256sha256",
            "    nsec3: off",
            "template:",
            "  - id: default",
            f'    storage: "{w / "zones"}"',
            '    file: "%s.zone"',
            "    zonefile-sync: -1",
            "    journal-content: none",
            "zone:",
        ]
        for origin in self.zones:
            lines.append(f"  - domain: {origin}")
            if origin in self.signed:
                lines += ["    dnssec-signing: on", "    dnssec-policy: demo"]
        return "\n".join(lines) + "\n"

    def start(self, timeout_s: float = 10.0) -> KnotServer:
        knotd = knotd_path()
        if knotd is None:
            raise KnotUnavailable("knotd (Knot DNS) is not installed: apt-get install knot")
        for sub in ("run", "db", "zones"):
            (self.workdir / sub).mkdir(parents=True, exist_ok=True)
        for origin, text in self.zones.items():
            (self.workdir / "zones" / f"{origin.rstrip('.')}.zone").write_text(text)  # root: .zone
        for _ in range(5):  # the free port may be taken between probing and binding
            self.port = self.fixed_port or free_port(self.host)
            conf = self.workdir / "knot.conf"
            conf.write_text(self._config())
            log = open(self.workdir / "knotd.log", "ab")
            self.process = subprocess.Popen([knotd, "-c", str(conf)], stdout=log,
                                            stderr=subprocess.STDOUT,
                                            stdin=subprocess.DEVNULL)
            log.close()
            if self._wait_ready(timeout_s):
                return self
            self.stop()
        tail = (self.workdir / "knotd.log").read_text(errors="replace")[-2000:]
        raise KnotUnavailable(f"knotd did not start: {tail}")

    def _wait_ready(self, timeout_s: float) -> bool:
        deadline = time.monotonic() + timeout_s
        origins = list(self.zones)
        while time.monotonic() < deadline:
            if self.process is None or self.process.poll() is not None:
                return False
            try:
                if all(self._serves(o) for o in origins):
                    return True
            except (OSError, dns.exception.DNSException):
                pass
            time.sleep(0.05)
        return False

    def _serves(self, origin: str) -> bool:
        rdtype = dns.rdatatype.DNSKEY if origin in self.signed else dns.rdatatype.SOA
        q = dns.message.make_query(origin, rdtype)
        resp = dns.query.udp(q, self.host, port=self.port, timeout=0.5)
        return resp.rcode() == 0 and any(rr.rdtype == rdtype for rr in resp.answer)

    def stop(self) -> None:
        proc, self.process = self.process, None
        if proc is None or proc.poll() is not None:
            return
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)
