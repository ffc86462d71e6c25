"""The history store on SQLite and on a real PostgreSQL server (the same tests on both,
via the `store_url` fixture): record/load round trips, `last~N`, trend points, two
processes writing at once, migration from the first schema version, password redaction
and that no secret reaches the store."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from lockin_audit.history import HEAD_REVISION, HistoryError, open_store, redact
from lockin_audit.model import (
    Acceptance,
    Asset,
    Evidence,
    Finding,
    Holder,
    Readiness,
    ScanResult,
    Severity,
    Status,
)
from tests.pg import PgCluster

CLIENT = "Harbor Vet Clinic"


def finding(check: str, control: str, asset: str, holder: Holder, status: Status,
            severity: Severity = Severity.HIGH, *, due: dt.date | None = None, key: str = "",
            accepted: Acceptance | None = None,
            evidence: tuple[Evidence, ...] = ()) -> Finding:
    return Finding(check_id=check, control=control, asset=Asset("domain", asset, None),
                   holder=holder, status=status, severity=severity, title=f"{check} title",
                   detail=f"{asset} detail", remediation="1. do it", evidence=evidence,
                   due=due, key=key, accepted=accepted)


def result(findings: list[Finding], *, finished: str = "2026-11-01T10:00:00Z",
           score: int = 50, client: str = CLIENT) -> ScanResult:
    return ScanResult(started_at=finished, finished_at=finished, client={"name": client},
                      provider=({"name": "Bob's IT"},), readiness=Readiness(score, "D", 1),
                      findings=tuple(findings), coverage=(), unidentified=(),
                      tool_version="0.1.0")


def test_record_load_roundtrip(store_url: str) -> None:
    accepted = Acceptance("moves in March", "Jane Doe", dt.date(2027, 3, 31))
    fs = [
        finding("domain.dns.nameservers", "domain.dns_hosting", "harborvet.com",
                Holder.PROVIDER, Status.FAIL, due=dt.date(2027, 1, 5), key="ns1"),
        finding("domain.registrant", "domain.registration", "harborvet.com",
                Holder.CLIENT, Status.PASS, severity=Severity.CRITICAL),
        finding("aws.root", "aws.access", "harborvet.net", Holder.PROVIDER, Status.FAIL,
                accepted=accepted),
    ]
    with open_store(store_url) as store:
        assert store.revision() == HEAD_REVISION
        sid = store.record(result(fs), CLIENT, "ab" * 32)
        loaded = store.load("last", client=CLIENT)
        assert loaded.record.id == sid and loaded.record.audit_hash == "ab" * 32
        assert loaded.record.findings == 3 and loaded.record.provider_held == 1
        assert [f.id for f in loaded.result.findings] == [f.id for f in fs]
        by_id = {f.id: f for f in loaded.result.findings}
        assert by_id[fs[0].id].due == dt.date(2027, 1, 5) and by_id[fs[0].id].key == "ns1"
        assert by_id[fs[2].id].accepted == accepted
        assert loaded.result.readiness is not None and loaded.result.readiness.score == 50


def test_last_refs_and_points(store_url: str) -> None:
    with open_store(store_url) as store:
        fail = finding("domain.dns.nameservers", "domain.dns_hosting", "a.com",
                       Holder.PROVIDER, Status.FAIL)
        aws = finding("aws.root", "aws.access", "b.com", Holder.PROVIDER, Status.FAIL)
        first = store.record(result([fail, aws], finished="2026-11-01T10:00:00Z", score=40))
        second = store.record(result([fail], finished="2026-11-02T10:00:00Z", score=70))
        store.record(result([], finished="2026-11-03T10:00:00Z", client="Other Client"))
        assert store.resolve("last", CLIENT).id == second
        assert store.resolve("last~1", CLIENT).id == first
        assert store.resolve(str(first)).id == first
        with pytest.raises(HistoryError, match="say which with --client"):
            store.resolve("last")
        with pytest.raises(HistoryError, match="does not exist"):
            store.resolve("last~2", CLIENT)
        with pytest.raises(HistoryError, match="not a scan reference"):
            store.resolve("yesterday", CLIENT)
        points = store.history_points(CLIENT)
        assert [(p.scan, p.score, dict(p.provider_held)) for p in points] == [
            (str(first), 40, {"aws": 1, "domain": 1}), (str(second), 70, {"domain": 1})]
        assert [p.scan for p in store.history_points(CLIENT, upto=first)] == [str(first)]
        assert store.clients() == ["Other Client", CLIENT] or store.clients() == sorted(
            [CLIENT, "Other Client"])


WRITER = textwrap.dedent("""
    import sys
    from lockin_audit.history import open_store
    from tests.test_history_store import finding, result
    from lockin_audit.model import Holder, Status
    import time
    url, tag, n, start_at = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
    fs = [finding(f"check.{i}", "domain.web", f"{tag}{i}.com", Holder.PROVIDER, Status.FAIL)
          for i in range(40)]
    time.sleep(max(0.0, start_at - time.time()))  # both start together, imports done
    with open_store(url) as store:
        for i in range(n):
            store.record(result(fs, finished=f"2026-11-01T10:00:{i:02d}Z"), f"client-{tag}")
    print("ok")
""")


def test_two_processes_write_at_once(store_url: str, tmp_path: Path) -> None:
    """Two scans recording at the same moment on a store neither has created yet: both
    migrate-or-wait, and every scan of both lands with all its findings."""
    script = tmp_path / "writer.py"
    script.write_text(WRITER, encoding="utf-8")
    root = str(Path(__file__).resolve().parent.parent)
    start_at = str(time.time() + 3)
    procs = [subprocess.Popen([sys.executable, str(script), store_url, tag, "15", start_at],
                              cwd=root, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True, env={**__import__("os").environ, "PYTHONPATH": root})
             for tag in ("a", "b")]
    outs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outs
    with open_store(store_url) as store:
        for tag in ("a", "b"):
            recs = store.scans(f"client-{tag}")
            assert len(recs) == 15
            assert all(r.findings == 40 for r in recs)
        assert len({r.id for r in store.scans()}) == 30


def test_migration_from_first_schema_version(store_url: str) -> None:
    """A store created at revision 0001 (before acceptances) with a scan in it migrates
    forward on open and keeps its scans."""
    with open_store(store_url, migrate=False) as old:
        old.migrate("0001")
        assert old.revision() == "0001"
        with old.engine.begin() as conn:
            sid = conn.execute(sa.text(
                "INSERT INTO scans (client, audit_hash, tool_version, started_at, "
                "finished_at, recorded_at, score, grade, blockers, complete, interrupted) "
                "VALUES (:c, NULL, '0.0.9', :t, :t, :t, 33, 'F', 2, :yes, :no) RETURNING id"),
                {"c": CLIENT, "t": "2026-10-01T09:00:00Z", "yes": True, "no": False}).scalar_one()
            conn.execute(sa.text(
                "INSERT INTO findings (scan_id, finding_id, check_id, control, asset_type, "
                "asset_id, asset_name, holder, status, severity, due, title, detail, key) "
                "VALUES (:s, 'f1', 'domain.dns.nameservers', 'domain.dns_hosting', 'domain', "
                "'harborvet.com', NULL, 'provider', 'fail', 'high', NULL, 'NS', 'held', '')"),
                {"s": sid})
    with open_store(store_url) as store:
        assert store.revision() == HEAD_REVISION
        loaded = store.load("last", CLIENT)
        assert loaded.record.score == 33 and loaded.record.tool_version == "0.0.9"
        (f,) = loaded.result.findings
        assert f.status is Status.FAIL and f.accepted is None
        sid2 = store.record(result([finding("x.y", "domain.web", "a.com", Holder.PROVIDER,
                                            Status.FAIL, accepted=Acceptance(
                                                "r", "me", dt.date(2027, 1, 1)))]))
        assert store.load(str(sid2)).result.findings[0].accepted is not None


def _dump(url: str) -> str:
    with open_store(url) as store, store.engine.connect() as conn:
        rows = [list(r) for t in ("scans", "findings", "alembic_version")
                for r in conn.execute(sa.text(f"SELECT * FROM {t}"))]
    return json.dumps(rows, default=str)


def test_no_secret_reaches_the_store(store_url: str) -> None:
    secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
    token = "eyJhbGciOiJSUzI1NiJ9.secret-token"
    f = finding("aws.keys", "aws.keys", "harborvet.com", Holder.PROVIDER, Status.FAIL,
                evidence=(Evidence("aws", "iam:ListAccessKeys", "2026-11-01T10:00:00Z",
                                   {"SecretAccessKey": secret, "token": token}),))
    with open_store(store_url) as store:
        store.record(result([f]), CLIENT, "cd" * 32)
    dump = _dump(store_url)
    assert CLIENT in dump and "harborvet.com" in dump  # the dump did read the rows
    assert secret not in dump and token not in dump and "iam:ListAccessKeys" not in dump


def test_postgres_password_never_in_messages(pg_cluster: PgCluster,
                                             capfd: pytest.CaptureFixture[str]) -> None:
    db = pg_cluster.create_database()
    good = pg_cluster.url(db, password=True)
    with open_store(good) as store:
        assert pg_cluster.password not in store.display and "***" in store.display
        store.record(result([]))
    bad = good.replace(pg_cluster.password, "Wr0ng-" + pg_cluster.password[:12])
    with pytest.raises(HistoryError) as err:
        open_store(bad)
    message = str(err.value)
    assert "password authentication failed" in message
    assert pg_cluster.password not in message and pg_cluster.password[:12] not in message
    assert pg_cluster.password not in redact(good)
    captured = capfd.readouterr()
    assert pg_cluster.password[:12] not in captured.out + captured.err


def test_libpq_password_from_environment(pg_cluster: PgCluster,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """Without a password in the URL, libpq's PGPASSWORD is used (TCP, scram)."""
    db = pg_cluster.create_database()
    monkeypatch.setenv("PGPASSWORD", pg_cluster.password)
    with open_store(f"postgresql://{pg_cluster.user}@127.0.0.1:{pg_cluster.port}/{db}") as s:
        s.record(result([]))
        assert len(s.scans()) == 1


def test_bad_targets() -> None:
    with pytest.raises(HistoryError, match="unsupported URL scheme 'mysql'"):
        open_store("mysql://u:hunter2@h/db")
    try:
        open_store("mysql://u:hunter2@h/db")
    except HistoryError as exc:
        assert "hunter2" not in str(exc)
