"""A throwaway PostgreSQL cluster (Debian's `postgresql` package) for the tests.

`PgCluster` runs initdb into a temporary folder, starts the server on a free port of
127.0.0.1 with its socket in that folder, and `stop()` ends exactly the server it started
(pg_ctl stop on its own data folder). As root (CI, the developers' machines) the server
runs as the `postgres` OS user via `runuser`, since PostgreSQL refuses to run as root;
as another user it runs as that user.

Connections: TCP with a password (`url(db, password=True)`, scram-sha-256) and the unix
socket without one (`url(db)`, trust). `create_database()` makes a fresh database per
test. Used through the fixtures in tests/conftest.py (`pg_cluster`, `pg_url`).
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote


class PgUnavailable(Exception):
    """PostgreSQL is not installed or did not start."""


def pg_bindir() -> Path | None:
    """The newest /usr/lib/postgresql/<major>/bin with initdb (Debian's layout)."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"),
                   key=lambda p: int(Path(p).parent.parent.name)
                   if Path(p).parent.parent.name.isdigit() else 0)
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class PgCluster:
    user: str = "postgres"
    password: str = field(default_factory=lambda: "pw-" + uuid.uuid4().hex)
    port: int = 0
    workdir: Path | None = None
    _as_root: bool = False

    @property
    def sockdir(self) -> Path:
        assert self.workdir is not None
        return self.workdir / "sock"

    def _run(self, *argv: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        cmd = list(argv)
        if self._as_root:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout,
                              check=False, stdin=subprocess.DEVNULL)

    def start(self) -> PgCluster:
        bindir = pg_bindir()
        if bindir is None:
            raise PgUnavailable("PostgreSQL is not installed (apt-get install postgresql)")
        self._as_root = os.geteuid() == 0
        self.workdir = Path(tempfile.mkdtemp(prefix="lockin-pg-"))
        self.sockdir.mkdir()
        pwfile = self.workdir / "pwfile"
        pwfile.write_text(self.password + "\n", encoding="utf-8")
        if self._as_root:
            shutil.chown(self.workdir, "postgres", "postgres")
            shutil.chown(self.sockdir, "postgres", "postgres")
            shutil.chown(pwfile, "postgres", "postgres")
        data = self.workdir / "data"
        out = self._run(str(bindir / "initdb"), "-D", str(data), "-U", self.user,
                        "--auth-local=trust", "--auth-host=scram-sha-256",
                        f"--pwfile={pwfile}", "-E", "UTF8", "--no-instructions")
        if out.returncode:
            raise PgUnavailable(f"initdb failed: {out.stderr.strip()[-500:]}")
        pwfile.unlink()
        self.port = _free_port()
        opts = (f"-p {self.port} -k {self.sockdir} -c listen_addresses=127.0.0.1 "
                "-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
                "-c max_connections=60")
        out = self._run(str(bindir / "pg_ctl"), "-D", str(data), "-o", opts, "-w",
                        "-t", "60", "-l", str(self.workdir / "server.log"), "start")
        if out.returncode:
            log = (self.workdir / "server.log")
            tail = log.read_text(errors="replace")[-800:] if log.exists() else ""
            raise PgUnavailable(f"pg_ctl start failed: {out.stderr.strip()} {tail}")
        return self

    def stop(self) -> None:
        bindir = pg_bindir()
        if self.workdir is None or bindir is None:
            return
        data = self.workdir / "data"
        if (data / "postmaster.pid").exists():
            self._run(str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w",
                      "stop", timeout=60)
        shutil.rmtree(self.workdir, ignore_errors=True)
        self.workdir = None

    def url(self, db: str = "postgres", *, password: bool = False) -> str:
        """`postgresql://` URL: over TCP with the password, or over the socket without."""
        if password:
            return (f"postgresql://{self.user}:{quote(self.password, safe='')}"
                    f"@127.0.0.1:{self.port}/{db}")
        return f"postgresql://{self.user}@/{db}?host={self.sockdir}&port={self.port}"

    def create_database(self, name: str | None = None) -> str:
        import psycopg

        name = name or "t_" + uuid.uuid4().hex[:12]
        with psycopg.connect(host=str(self.sockdir), port=self.port, user=self.user,
                             dbname="postgres", autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return name
