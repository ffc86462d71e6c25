"""The history store: every scan's summary and findings in SQLite or PostgreSQL.

One code path (SQLAlchemy Core) for both dialects; the schema is versioned with Alembic
migrations (`migrations/versions/`) that run forward when a store is opened. What is
stored: per scan the client name, the audit file's SHA-256, the tool version, start and
end, score, grade, blockers and completeness; per finding its stable id, check, control,
asset, holder, status, severity, due date, title, detail and the acceptance that applied.
Never evidence excerpts, never configuration, never a credential: nothing else reaches
the store (tests/test_history_store.py asserts it).

Concurrency: SQLite runs in WAL mode with a busy timeout, every write transaction takes
the write lock up front (BEGIN IMMEDIATE) and a locked database is retried; PostgreSQL
serialises migrations with an advisory lock. Two scans recording at once both land.

A `postgresql://` URL's password never appears in a message: `redact()` hides it, and
every error from the driver passes through `HistoryError`, which scrubs it. Without a
password in the URL, libpq's own ways work (PGPASSWORD, ~/.pgpass, PGSERVICE files).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import re
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from lockin_audit.model import (
    Acceptance,
    Asset,
    CheckInfo,
    Coverage,
    Finding,
    HistoryPoint,
    Holder,
    Readiness,
    ScanResult,
    Severity,
    Status,
    iso,
    utc_now,
)

if TYPE_CHECKING:
    import sqlalchemy as sa

HEAD_REVISION = "0003"
MIGRATIONS_DIR = Path(__file__).parent / "migrations"
_PG_LOCK_KEY = 0x10C41A0D17  # advisory lock id for migrations (any constant)
_T = TypeVar("_T")


class HistoryError(Exception):
    """The store cannot be opened, read or written, or a scan reference is unknown.
    The message never contains a password."""


def default_store_path() -> Path:
    """`$XDG_DATA_HOME/lockin-audit/history.sqlite`, or `~/.local/share/...`."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "lockin-audit" / "history.sqlite"


def _parse_url(url: str) -> Any:
    """The URL as SQLAlchemy parses it (`make_url`: a password may hold `#`, `?` or `/`
    unencoded), or None when it cannot."""
    try:
        from sqlalchemy.engine import make_url

        return make_url(str(url))
    except Exception:
        return None


def _query_passwords(parsed: Any) -> list[str]:
    out: list[str] = []
    for key, value in parsed.query.items():
        if "password" in key.lower():
            out.extend([value] if isinstance(value, str) else list(value))
    return out


def _password(url: str) -> str | None:
    parsed = _parse_url(url)
    return str(parsed.password) if parsed is not None and parsed.password else None


def redact(url: str) -> str:
    """The URL with its password replaced by `***` (also `password=` query values), as
    SQLAlchemy reads the URL (`make_url(...).render_as_string(hide_password=True)`). A
    string SQLAlchemy cannot parse loses everything between `://` and its last `@`."""
    text = str(url)
    parsed = _parse_url(text)
    if parsed is None:
        return re.sub(r"^([a-z][a-z0-9+.-]*://).*@", r"\1***@", text, flags=re.I | re.S)
    secret_query = _query_passwords(parsed)
    if parsed.password is None and not secret_query:
        return text  # nothing to hide: shown as given
    if secret_query:
        parsed = parsed.update_query_dict(
            {k: "***" for k in parsed.query if "password" in k.lower()})
    return str(parsed.render_as_string(hide_password=True)).replace("%2A%2A%2A", "***")


def _scrub(text: str, url: str) -> str:
    from urllib.parse import quote, unquote

    out = text.replace(url, redact(url))
    parsed = _parse_url(url)
    secrets = set(_query_passwords(parsed)) if parsed is not None else set()
    pw = _password(url)
    if pw:
        secrets.add(pw)
    for secret in list(secrets):
        secrets.update({unquote(secret), quote(secret, safe=""), quote(secret)})
    for secret in sorted((s for s in secrets if s), key=len, reverse=True):
        out = out.replace(secret, "***")
    return out


def normalise_url(target: str | Path | None) -> str:
    """A SQLAlchemy URL for a path or URL: a plain path is a SQLite file; `sqlite:///...`
    as given; `postgresql://` / `postgres://` use psycopg (v3)."""
    if target is None or str(target) == "":
        target = default_store_path()
    text = str(target)
    if isinstance(target, Path) or "://" not in text:
        path = Path(text).expanduser()
        return f"sqlite:///{path.resolve()}"
    scheme, _, rest = text.partition("://")
    scheme = scheme.lower()
    if scheme in ("postgresql", "postgres", "postgresql+psycopg"):
        return f"postgresql+psycopg://{rest}"
    if scheme in ("sqlite", "sqlite+pysqlite"):
        return f"sqlite://{rest}"
    raise HistoryError(
        f"history store {redact(text)}: unsupported URL scheme {scheme!r}; use a file "
        "path, sqlite:///PATH or postgresql://USER@HOST/DB.")


@dataclass(frozen=True)
class ScanRecord:
    """One recorded scan (no findings)."""

    id: int
    client: str
    audit_hash: str | None
    tool_version: str
    started_at: str
    finished_at: str
    recorded_at: str
    score: int
    grade: str | None
    blockers: int
    complete: bool
    interrupted: bool
    findings: int = 0
    provider_held: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {"scan": str(self.id), "client": self.client, "audit_hash": self.audit_hash,
                "tool_version": self.tool_version, "started_at": self.started_at,
                "finished_at": self.finished_at, "recorded_at": self.recorded_at,
                "score": self.score, "grade": self.grade, "blockers": self.blockers,
                "complete": self.complete, "interrupted": self.interrupted,
                "findings": self.findings, "provider_held": self.provider_held}


@dataclass(frozen=True)
class StoredScan:
    """A recorded scan and its findings as a ScanResult (no evidence, no checks)."""

    record: ScanRecord
    result: ScanResult


def _tables() -> tuple[sa.MetaData, sa.Table, sa.Table]:
    import sqlalchemy as sa

    md = sa.MetaData()
    scans = sa.Table(
        "scans", md,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("client", sa.String(300), nullable=False),
        sa.Column("audit_hash", sa.String(64)),
        sa.Column("tool_version", sa.String(50), nullable=False),
        sa.Column("started_at", sa.String(40), nullable=False),
        sa.Column("finished_at", sa.String(40), nullable=False),
        sa.Column("recorded_at", sa.String(40), nullable=False),
        sa.Column("score", sa.Integer, nullable=False),
        sa.Column("grade", sa.String(8)),
        sa.Column("blockers", sa.Integer, nullable=False),
        sa.Column("complete", sa.Boolean, nullable=False),
        sa.Column("interrupted", sa.Boolean, nullable=False),
        # what was looked at (JSON): the coverage entries and the ids of the checks that
        # ran, so that a diff of two recorded scans tells "not scanned" from "resolved"
        sa.Column("coverage", sa.Text),
        sa.Column("checks_ran", sa.Text),
    )
    findings = sa.Table(
        "findings", md,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("scan_id", sa.Integer, sa.ForeignKey("scans.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("finding_id", sa.String(64), nullable=False),
        sa.Column("check_id", sa.String(200), nullable=False),
        sa.Column("control", sa.String(100), nullable=False),
        sa.Column("asset_type", sa.String(50), nullable=False),
        sa.Column("asset_id", sa.Text, nullable=False),
        sa.Column("asset_name", sa.Text),
        sa.Column("holder", sa.String(20), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("severity", sa.String(20), nullable=False),
        sa.Column("due", sa.String(10)),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("detail", sa.Text, nullable=False),
        sa.Column("key", sa.Text, nullable=False),
        sa.Column("accepted_reason", sa.Text),
        sa.Column("accepted_by", sa.Text),
        sa.Column("accepted_expires", sa.String(10)),
        sa.Column("acceptance_state", sa.Text),
    )
    return md, scans, findings


_REF = re.compile(r"^last(?:~(\d+))?$")


class HistoryStore:
    """A history store on one database. Use `open_store()`; close with `close()` or as a
    context manager. Every method is safe to call from several processes at once."""

    def __init__(self, url: str, *, display: str, migrate: bool = True) -> None:
        import sqlalchemy as sa

        self.url = url
        self.display = display  # the redacted URL, for messages
        self.dialect = url.split(":", 1)[0].split("+", 1)[0]
        self._md, self.scans_t, self.findings_t = _tables()
        kwargs: dict[str, Any] = {"future": True}
        if self.dialect == "sqlite":
            kwargs["connect_args"] = {"timeout": 30.0, "check_same_thread": False}
        try:
            self.engine = sa.create_engine(url, **kwargs)
        except Exception as exc:
            raise self._error("cannot open", exc) from None
        if self.dialect == "sqlite":
            _sqlite_setup(self.engine)
        if migrate:
            self._retry(self.migrate)

    # -- plumbing ------------------------------------------------------------------

    def _error(self, what: str, exc: BaseException) -> HistoryError:
        detail = str(getattr(exc, "orig", None) or exc).strip().splitlines()
        first = detail[0] if detail else type(exc).__name__
        return HistoryError(_scrub(f"history store {self.display}: {what}: {first}", self.url))

    def _retry(self, fn: Callable[[], _T], attempts: int = 8) -> _T:
        """Run fn, retrying a locked SQLite database or a PostgreSQL serialisation or
        deadlock failure with jittered backoff; other errors become HistoryError."""
        import sqlalchemy.exc as sa_exc

        delay = 0.05
        for n in range(attempts):
            try:
                return fn()
            except HistoryError:
                raise
            except sa_exc.OperationalError as exc:
                text = str(exc.orig or exc).lower()
                transient = ("locked" in text or "busy" in text or "deadlock" in text
                             or "could not serialize" in text)
                if not transient or n == attempts - 1:
                    raise self._error("database error", exc) from None
                time.sleep(delay + random.random() * delay)
                delay = min(delay * 2, 2.0)
            except sa_exc.SQLAlchemyError as exc:
                raise self._error("database error", exc) from None
            except OSError as exc:
                raise self._error("cannot open", exc) from None
        raise AssertionError("unreachable")

    @contextmanager
    def _tx(self) -> Iterator[sa.Connection]:
        with self.engine.begin() as conn:
            yield conn

    def revision(self) -> str | None:
        """The schema revision of the database (None when empty)."""
        import sqlalchemy as sa

        with self.engine.connect() as conn:
            if not sa.inspect(conn).has_table("alembic_version"):
                return None
            return conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()

    def migrate(self, target: str = "head") -> None:
        """Bring the schema forward to `target` (default: the newest) under a lock."""
        if target == "head" and self.revision() == HEAD_REVISION:
            return
        import sqlalchemy as sa
        from alembic import command
        from alembic.config import Config

        with self._tx() as conn:
            if self.dialect == "postgresql":
                conn.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_LOCK_KEY})
            cfg = Config()
            cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, target)

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> HistoryStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- writing -------------------------------------------------------------------

    def record(self, result: ScanResult, client_name: str | None = None,
               audit_hash: str | None = None) -> int:
        """Record one scan and its findings; returns the new scan id."""
        client = client_name or str(result.client.get("name") or "")
        if not client:
            raise HistoryError(f"history store {self.display}: the scan has no client name.")
        from lockin_audit.scoring import readiness_of

        rd = readiness_of(result)  # the report layer's judgement (scored, or scored now)
        scan_row = {
            "client": client, "audit_hash": audit_hash,
            "tool_version": result.tool_version or "", "started_at": result.started_at,
            "finished_at": result.finished_at, "recorded_at": iso(utc_now()),
            "score": int(rd.score), "grade": rd.grade, "blockers": int(rd.blockers),
            "complete": result.complete and rd.complete,
            "interrupted": bool(result.interrupted),
            "coverage": json.dumps([c.to_dict() for c in result.coverage]),
            "checks_ran": json.dumps(sorted({c.id for c in result.checks})),
        }
        rows = [_finding_row(f) for f in result.findings]

        def write() -> int:
            with self._tx() as conn:
                scan_id = int(conn.execute(
                    self.scans_t.insert().returning(self.scans_t.c.id), scan_row).scalar_one())
                if rows:
                    conn.execute(self.findings_t.insert(),
                                 [{**r, "scan_id": scan_id} for r in rows])
                return scan_id

        return self._retry(write)

    # -- reading -------------------------------------------------------------------

    def clients(self) -> list[str]:
        import sqlalchemy as sa

        def read() -> list[str]:
            with self.engine.connect() as conn:
                q = sa.select(self.scans_t.c.client).distinct().order_by(self.scans_t.c.client)
                return [r[0] for r in conn.execute(q)]

        return self._retry(read)

    def scans(self, client: str | None = None) -> list[ScanRecord]:
        """Recorded scans, oldest first (by end time, then record order)."""
        import sqlalchemy as sa

        s, f = self.scans_t, self.findings_t
        counts = (sa.select(
            f.c.scan_id,
            sa.func.count().label("n"),
            # model.held_by_provider, in SQL: fail, holder provider, no acceptance
            sa.func.sum(sa.case(((f.c.status == Status.FAIL.value)
                                 & (f.c.holder == Holder.PROVIDER.value)
                                 & f.c.accepted_reason.is_(None), 1), else_=0)).label("held"),
        ).group_by(f.c.scan_id).subquery())
        light = [c for c in s.c if c.name not in ("coverage", "checks_ran")]
        q = (sa.select(*light, counts.c.n, counts.c.held)
             .select_from(s.outerjoin(counts, counts.c.scan_id == s.c.id))
             .order_by(s.c.finished_at, s.c.id))
        if client is not None:
            q = q.where(s.c.client == client)

        def read() -> list[ScanRecord]:
            with self.engine.connect() as conn:
                return [_record(dict(r._mapping)) for r in conn.execute(q)]

        return self._retry(read)

    def resolve(self, ref: str | int, client: str | None = None) -> ScanRecord:
        """A scan by id or by `last` / `last~N` (N scans before the last) of one client.
        Without a client, `last` needs the store to hold exactly one client."""
        text = str(ref).strip()
        if text.isdigit():
            for rec in self.scans():
                if rec.id == int(text) and (client is None or rec.client == client):
                    return rec
            raise HistoryError(f"history store {self.display}: no scan {text}"
                               + (f" of client {client!r}" if client else "") + ".")
        m = _REF.match(text)
        if not m:
            raise HistoryError(f"{text!r} is not a scan reference: use a scan id, 'last' or "
                               "'last~N' (N scans before the last).")
        if client is None:
            names = self.clients()
            if len(names) > 1:
                raise HistoryError(
                    f"history store {self.display} holds scans of {len(names)} clients; "
                    f"say which with --client (one of: {', '.join(names[:10])}).")
            client = names[0] if names else None
        recs = self.scans(client) if client is not None else []
        back = int(m.group(1) or 0)
        if back >= len(recs):
            who = f" of client {client!r}" if client else ""
            raise HistoryError(f"history store {self.display}: {text} does not exist; it "
                               f"holds {len(recs)} scan(s){who}.")
        return recs[-1 - back]

    def load(self, ref: str | int, client: str | None = None) -> StoredScan:
        """A recorded scan and its findings (`ref` as in `resolve`)."""
        import sqlalchemy as sa

        rec = self.resolve(ref, client)
        q = (sa.select(self.findings_t).where(self.findings_t.c.scan_id == rec.id)
             .order_by(self.findings_t.c.id))

        def read() -> list[Finding]:
            with self.engine.connect() as conn:
                return [_finding(dict(r._mapping)) for r in conn.execute(q)]

        findings = tuple(self._retry(read))
        looked = sa.select(self.scans_t.c.coverage, self.scans_t.c.checks_ran).where(
            self.scans_t.c.id == rec.id)

        def read_looked() -> tuple[str | None, str | None]:
            with self.engine.connect() as conn:
                row = conn.execute(looked).one()
                return row[0], row[1]

        coverage, checks = _looked_at(*self._retry(read_looked))
        result = ScanResult(
            started_at=rec.started_at, finished_at=rec.finished_at,
            client={"name": rec.client}, provider=(),
            readiness=Readiness(rec.score, rec.grade, rec.blockers,
                                complete=bool(rec.complete)),
            findings=findings, coverage=coverage, unidentified=(), checks=checks,
            tool_version=rec.tool_version, interrupted=rec.interrupted)
        return StoredScan(rec, result)

    def history_points(self, client: str, upto: int | None = None) -> list[HistoryPoint]:
        """One point per recorded scan of the client, oldest first (up to and including
        scan `upto` when given): score, grade and findings held by the provider
        (`model.held_by_provider`) by area."""
        import sqlalchemy as sa

        recs = [r for r in self.scans(client) if upto is None or r.id <= upto]
        if not recs:
            return []
        f = self.findings_t
        q = (sa.select(f.c.scan_id, f.c.control, sa.func.count())
             .where(f.c.scan_id.in_([r.id for r in recs]),
                    f.c.status == Status.FAIL.value, f.c.holder == Holder.PROVIDER.value,
                    f.c.accepted_reason.is_(None))  # model.held_by_provider
             .group_by(f.c.scan_id, f.c.control))

        def read() -> list[tuple[int, str, int]]:
            with self.engine.connect() as conn:
                return [(int(a), str(b), int(c)) for a, b, c in conn.execute(q)]

        held: dict[int, dict[str, int]] = {}
        for scan_id, control, n in self._retry(read):
            area = control.split(".", 1)[0]
            per = held.setdefault(scan_id, {})
            per[area] = per.get(area, 0) + n
        return [HistoryPoint(str(r.id), r.finished_at, r.score, r.grade, r.complete,
                             dict(sorted(held.get(r.id, {}).items()))) for r in recs]


def _sqlite_setup(engine: sa.Engine) -> None:
    """WAL, a busy timeout, foreign keys, and BEGIN IMMEDIATE for every transaction (so
    two writers queue on the lock instead of failing on a lock upgrade)."""
    from sqlalchemy import event

    @event.listens_for(engine, "connect")
    def _connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # we emit BEGIN ourselves
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA busy_timeout = 30000")
        for _ in range(50):
            try:
                cur.execute("PRAGMA journal_mode = WAL")
                break
            except Exception as exc:  # sqlite3.OperationalError: locked while switching
                if "locked" not in str(exc):
                    raise
                time.sleep(0.05)
        cur.execute("PRAGMA foreign_keys = ON")
        cur.close()

    @event.listens_for(engine, "begin")
    def _begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def _finding_row(f: Finding) -> dict[str, Any]:
    a = f.accepted
    return {
        "finding_id": f.id, "check_id": f.check_id, "control": f.control,
        "asset_type": f.asset.type, "asset_id": f.asset.id, "asset_name": f.asset.name,
        "holder": f.holder.value, "status": f.status.value, "severity": f.severity.value,
        "due": f.due.isoformat() if f.due else None, "title": f.title, "detail": f.detail,
        "key": f.key, "accepted_reason": a.reason if a else None,
        "accepted_by": a.by if a else None,
        "accepted_expires": a.expires.isoformat() if a else None,
        "acceptance_state": _acceptance_state(f),
    }


def _looked_at(coverage: str | None, checks: str | None
               ) -> tuple[tuple[Coverage, ...], tuple[CheckInfo, ...]]:
    """A recorded scan's coverage and the checks that ran (empty for scans recorded before
    revision 0003). Checks come back by id only: enough to say which ran."""
    try:
        cov = tuple(Coverage.from_dict(c) for c in json.loads(coverage or "[]"))
        ran = tuple(CheckInfo(str(i), str(i).split(".", 1)[0], "", str(i), Severity.INFO,
                              "", ()) for i in json.loads(checks or "[]"))
    except (ValueError, KeyError, TypeError):
        return (), ()
    return cov, ran


def _acceptance_state(f: Finding) -> str | None:
    """The acceptance that applied or was outgrown, with the state it was bound to."""
    if f.accepted is not None:
        return json.dumps({"kind": "accepted", **f.accepted.to_dict()})
    if f.acceptance_exceeded is not None:
        return json.dumps({"kind": "exceeded", **f.acceptance_exceeded.to_dict()})
    return None


def _finding(m: Mapping[str, Any]) -> Finding:
    accepted = exceeded = None
    if m.get("accepted_reason") is not None and m.get("accepted_expires"):
        accepted = Acceptance(m["accepted_reason"], m.get("accepted_by") or "",
                              dt.date.fromisoformat(m["accepted_expires"]))
    if m.get("acceptance_state"):
        try:
            state = json.loads(m["acceptance_state"])
            bound = Acceptance.from_dict(state)
        except (ValueError, KeyError, TypeError):
            bound = None
        if bound is not None and state.get("kind") == "accepted":
            accepted = bound
        elif bound is not None and state.get("kind") == "exceeded":
            exceeded = bound
    return Finding(
        check_id=m["check_id"], control=m["control"],
        asset=Asset(m["asset_type"], m["asset_id"], m.get("asset_name")),
        holder=Holder(m["holder"]), status=Status(m["status"]),
        severity=Severity(m["severity"]), title=m["title"], detail=m["detail"],
        remediation="", due=dt.date.fromisoformat(m["due"]) if m.get("due") else None,
        key=m.get("key") or "", accepted=accepted, acceptance_exceeded=exceeded)


def _record(m: Mapping[str, Any]) -> ScanRecord:
    return ScanRecord(
        id=int(m["id"]), client=m["client"], audit_hash=m.get("audit_hash"),
        tool_version=m["tool_version"], started_at=m["started_at"],
        finished_at=m["finished_at"], recorded_at=m["recorded_at"], score=int(m["score"]),
        grade=m.get("grade"), blockers=int(m["blockers"]), complete=bool(m["complete"]),
        interrupted=bool(m["interrupted"]), findings=int(m.get("n") or 0),
        provider_held=int(m.get("held") or 0))


def open_store(target: str | Path | None = None, *, migrate: bool = True) -> HistoryStore:
    """Open (creating and migrating forward as needed) the history store at `target`:
    None for the default SQLite file, a path, `sqlite:///PATH` or `postgresql://...`."""
    url = normalise_url(target)
    display = redact(str(target)) if target is not None else str(default_store_path())
    if url.startswith("sqlite:///") and not url.startswith("sqlite:///file:"):
        path = Path(url[len("sqlite:///"):])
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise HistoryError(f"history store {display}: cannot create its folder: "
                               f"{exc.strerror or exc}.") from None
    return HistoryStore(url, display=display, migrate=migrate)
