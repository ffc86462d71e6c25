"""Tracking the hand-over (issue 24): acceptances bound to the state they accepted,
"not scanned" is never "resolved", the order of states for "worse", a history store that
refuses the write, acceptance entries that match nothing, and the fleet's CI gate.

Store-involving tests run on SQLite and on a real PostgreSQL server (`store_url`). Scans
run the real CLI in a subprocess against local inventory files, or against the demo's
own DNS and RDAP servers (`domain_demo`).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from pathlib import Path

import jsonschema
import pytest
import yaml

from lockin_audit.config import ConfigError
from lockin_audit.history.acceptance import apply_acceptances, load_accept_file
from lockin_audit.history.diff import compare, gate_ids, worse_state
from lockin_audit.model import Coverage, Finding, Holder, ScanResult, Severity, Status
from lockin_audit.report.json_format import load_schema
from lockin_audit.report.markdown import MarkdownRenderer
from lockin_audit.scoring import rescore
from tests.pg import PgCluster
from tests.test_history import _cli, _demo_audit_file, domain_demo, write_accept  # noqa: F401
from tests.test_history_store import finding, result

TODAY = dt.date(2026, 11, 30)
NS = ("domain.dns.nameservers", "domain.dns_hosting")


def _valid(data: dict[str, object]) -> None:
    jsonschema.Draft202012Validator(load_schema(),
                                    format_checker=jsonschema.FormatChecker()).validate(data)


# ------------------------------------------------------------------ the order of states


@pytest.mark.parametrize(("before", "after", "worse"), [
    ({"status": "pass", "holder": "client", "severity": "high"},
     {"status": "warn", "holder": "third_party", "severity": "high"}, True),
    ({"status": "manual", "holder": "unknown", "severity": "high"},
     {"status": "warn", "holder": "unknown", "severity": "low"}, True),
    ({"status": "warn", "holder": "unknown", "severity": "high"},
     {"status": "error", "holder": "unknown", "severity": "high"}, True),
    ({"status": "error", "holder": "unknown", "severity": "high"},
     {"status": "fail", "holder": "provider", "severity": "low"}, True),
    ({"status": "fail", "holder": "provider", "severity": "medium"},
     {"status": "fail", "holder": "provider", "severity": "critical"}, True),
    ({"status": "fail", "holder": "unknown", "severity": "high"},
     {"status": "fail", "holder": "provider", "severity": "high"}, True),
    ({"status": "fail", "holder": "provider", "severity": "high"},
     {"status": "error", "holder": "unknown", "severity": "high"}, False),
    ({"status": "warn", "holder": "unknown", "severity": "high"},
     {"status": "manual", "holder": "third_party", "severity": "critical"}, False),
    ({"status": "fail", "holder": "provider", "severity": "high"},
     {"status": "fail", "holder": "provider", "severity": "low"}, False),
])
def test_states_are_ordered(before: dict[str, str], after: dict[str, str],
                            worse: bool) -> None:
    assert worse_state(before, after) is worse


def test_pass_to_third_party_warn_is_worse_and_says_what_changed() -> None:
    old = result([finding(*NS, "a.com", Holder.CLIENT, Status.PASS)])
    new = result([finding(*NS, "a.com", Holder.THIRD_PARTY, Status.WARN)])
    c = compare(old, new, "scan 1")
    (row,) = c.changed
    assert row["worse"] is True
    assert row["what"] == "status pass -> warn, holder client -> third party"


# ------------------------------------------------------------------ not scanned


def test_a_dropped_domain_is_not_scanned_not_resolved() -> None:
    old = result([finding(*NS, "a.com", Holder.PROVIDER, Status.FAIL),
                  finding(*NS, "b.com", Holder.PROVIDER, Status.FAIL),
                  finding("domain.dns.web", "domain.web", "www.b.com", Holder.PROVIDER,
                          Status.FAIL)])
    new = dataclasses.replace(result([]), coverage=(Coverage("domain", "a.com", True),))
    c = compare(old, new, "scan 1")
    assert [r["asset_id"] for r in c.resolved] == ["a.com"]  # looked at, gone: resolved
    assert {r["asset_id"] for r in c.not_scanned} == {"b.com", "www.b.com"}
    assert all("no longer a scan target" in r["reason"] for r in c.not_scanned)


# ------------------------------------------------------------------ acceptances and states


ENTRY = {"check": "contract.holder.account", "asset": "INET-001",
         "reason": "The line moves with the office in spring",
         "accepted_by": "Jane Doe, owner", "expires": "2027-03-31"}


def _contract(holder: Holder, status: Status, severity: Severity = Severity.HIGH) -> Finding:
    return finding("contract.holder.account", "contract.holder", "INET-001", holder, status,
                   severity=severity)


def test_acceptance_binds_to_the_state_it_first_applied_to(tmp_path: Path) -> None:
    entries = load_accept_file(write_accept(tmp_path, [ENTRY]), TODAY)
    first = apply_acceptances(rescore(result([_contract(Holder.UNKNOWN, Status.WARN)])),
                              entries, TODAY).result
    (f,) = first.findings
    assert f.accepted is not None and f.accepted.status is Status.WARN
    assert f.accepted.holder is Holder.UNKNOWN and f.accepted.severity is Severity.HIGH
    # the same entry, next scan: the finding is now a provider fail
    second = apply_acceptances(rescore(result([_contract(Holder.PROVIDER, Status.FAIL)])),
                               entries, TODAY, previous=first).result
    (g,) = second.findings
    assert g.accepted is None and g.acceptance_exceeded is not None
    assert g.id in gate_ids(second)
    assert second.acceptances[0]["exceeded"] == 1
    md = MarkdownRenderer().render(second)
    assert "accepted as warn, now fail" in md
    # a better state stays accepted (accepting a warn covers a manual)
    better = apply_acceptances(rescore(result([_contract(Holder.UNKNOWN, Status.MANUAL)])),
                               entries, TODAY, previous=first).result
    assert better.findings[0].accepted is not None
    _valid(second.to_dict())


def test_an_entry_can_name_the_state_it_accepts(tmp_path: Path) -> None:
    entries = load_accept_file(write_accept(tmp_path, [{**ENTRY, "status": "warn"}]), TODAY)
    applied = apply_acceptances(rescore(result([_contract(Holder.PROVIDER, Status.FAIL)])),
                                entries, TODAY)
    (f,) = applied.result.findings
    assert f.acceptance_exceeded is not None and f.acceptance_exceeded.status is Status.WARN
    with pytest.raises(ConfigError, match="entry 1: 'status' must be one of"):
        load_accept_file(write_accept(tmp_path, [{**ENTRY, "status": "bad"}]), TODAY)


def test_entries_that_match_nothing_say_why(tmp_path: Path) -> None:
    known = {"contract.holder.account", "domain.dns.nameservers"}
    entries = load_accept_file(write_accept(tmp_path, [
        {**ENTRY, "check": "*", "asset": "*"},
        {**ENTRY, "asset": "INET-002"},
        ENTRY,
    ]), TODAY, known_checks=known)
    applied = apply_acceptances(rescore(result([_contract(Holder.PROVIDER, Status.FAIL)])),
                                entries, TODAY)
    rows = applied.result.acceptances
    assert [r["matched"] for r in rows] == [0, 0, 1]
    assert "'*' is not a pattern" in str(rows[0]["problem"])
    assert "no asset matching 'INET-002'" in str(rows[1]["problem"])
    assert "Did you mean INET-001?" in str(rows[1]["problem"])
    assert rows[2]["problem"] is None
    md = MarkdownRenderer().render(applied.result)
    assert "Acceptance entries that match nothing" in md and "is not a pattern" in md
    with pytest.raises(ConfigError) as bad:
        load_accept_file(write_accept(tmp_path, [{**ENTRY, "check": "contract.holder.acount"}]),
                         TODAY, known_checks=known)
    assert "accepted.yaml, entry 1: 'check'" in str(bad.value)
    assert "Did you mean contract.holder.account?" in str(bad.value)


# ------------------------------------------------------------------ end to end (CLI)


AUDIT = """client: {name: Acme Dental LLC}
provider: {name: Bob's IT Services}
scan:
  inventory: [contracts.yaml]
"""


def _inventory(folder: Path, holder: str, *extra: str) -> None:
    lines = [f"  - {{id: INET-001, category: internet_line, provider: Metro Fiber Co, "
             f"account_holder: \"{holder}\"}}", *extra]
    (folder / "contracts.yaml").write_text("contracts:\n" + "\n".join(lines) + "\n",
                                           encoding="utf-8")


def test_accepted_warn_that_becomes_a_provider_fail_counts_again(
        tmp_path: Path, store_url: str) -> None:
    (tmp_path / "audit.yaml").write_text(AUDIT, encoding="utf-8")
    accept = write_accept(tmp_path, [ENTRY])
    scan = ("scan", "-c", "audit.yaml", "-f", "json,md,html", "-q", "--history", store_url,
            "--accept", str(accept), "--fail-on", "high")
    _inventory(tmp_path, "Northwind Holdings")  # nobody we know: unknown holder, a warn
    first = _cli(*scan, "-o", "o1", cwd=tmp_path)
    assert first.returncode == 0, first.stdout + first.stderr
    one = json.loads((tmp_path / "o1" / "report.json").read_text())
    acc = next(f["accepted"] for f in one["findings"]
               if f["check_id"] == "contract.holder.account")
    assert (acc["status"], acc["holder"]) == ("warn", "unknown")
    _inventory(tmp_path, "Bob's IT Services")  # now in the provider's name: a fail
    for n, extra in ((2, ("--fail-on-new",)), (3, ()), (4, ("--fail-on-new",))):
        proc = _cli(*scan, "-o", f"o{n}", *extra, cwd=tmp_path)
        assert proc.returncode == 1, (n, proc.stdout + proc.stderr)
        assert "accepted as warn, now fail" in proc.stderr
        data = json.loads((tmp_path / f"o{n}" / "report.json").read_text())
        _valid(data)
        f = next(f for f in data["findings"] if f["check_id"] == "contract.holder.account")
        assert "accepted" not in f and f["acceptance_exceeded"]["status"] == "warn"
        assert "accepted as warn, now fail" in (tmp_path / f"o{n}" / "report.md").read_text()
        assert "accepted as warn, now fail" in (tmp_path / f"o{n}" / "report.html").read_text()
    # run 4 compared with run 3 (nothing changed), yet the outgrown acceptance still gates
    assert data["changes"]["new"] == [] and data["changes"]["changed"] == []


def test_a_dropped_domain_shows_under_not_scanned(tmp_path: Path, store_url: str,
                                                  domain_demo: None) -> None:  # noqa: F811
    from lockin_audit.demo import demo_estate

    scan = ("scan", "--only", "domain", "--no-progress", "-q", "-f", "json,md",
            "--history", store_url, "--fail-on", "none")
    with demo_estate(tmp_path / "e") as cfg:
        audit = _demo_audit_file(cfg, tmp_path / "a1.yaml")
        assert _cli(*scan, "-c", str(audit), "-o", "o1", cwd=tmp_path).returncode == 0
        raw = yaml.safe_load(audit.read_text())
        raw["scan"]["domains"] = [d for d in raw["scan"]["domains"] if d != "acmedental.de"]
        dropped = tmp_path / "a2.yaml"
        dropped.write_text(yaml.safe_dump(raw), encoding="utf-8")
        second = _cli(*scan, "-c", str(dropped), "-o", "o2", cwd=tmp_path)
        assert second.returncode == 0, second.stdout + second.stderr
    before = json.loads((tmp_path / "o1" / "report.json").read_text())
    held = {f["id"] for f in before["findings"]
            if f["asset"]["id"] == "acmedental.de" and f["status"] == "fail"}
    assert held  # the provider holds something of acmedental.de
    changes = json.loads((tmp_path / "o2" / "report.json").read_text())["changes"]
    assert not {r["id"] for r in changes["resolved"]} & held
    not_scanned = {r["id"]: r for r in changes["not_scanned"]}
    assert held <= set(not_scanned)
    assert "removed from the audit file" in not_scanned[next(iter(held))]["reason"]
    md = (tmp_path / "o2" / "report.md").read_text()
    assert "not scanned" in md
    # the diff of the two recorded scans says the same (the store keeps what was looked at)
    diff = _cli("diff", "last~1", "last", "--history", store_url, "-f", "json", cwd=tmp_path)
    d = json.loads(diff.stdout)
    assert held <= {r["id"] for r in d["not_scanned"]}
    assert not {r["id"] for r in d["resolved"]} & held


def _read_only(store_url: str, pg_cluster: PgCluster | None) -> str:
    """The same store, opened so that it refuses writes: SQLite read-only (mode=ro; the
    tests run as root, for whom a file's permissions refuse nothing), PostgreSQL as a
    role with SELECT but no INSERT."""
    if "://" not in store_url:
        return f"sqlite:///file:{store_url}?mode=ro&uri=true"
    assert pg_cluster is not None, "a PostgreSQL store comes with its cluster"
    import psycopg

    db = store_url.split("@/", 1)[1].split("?", 1)[0]
    with psycopg.connect(host=str(pg_cluster.sockdir), port=pg_cluster.port,
                         user=pg_cluster.user, dbname=db, autocommit=True) as conn:
        conn.execute("CREATE ROLE reader LOGIN")
        conn.execute("GRANT SELECT ON ALL TABLES IN SCHEMA public TO reader")
    return store_url.replace(f"{pg_cluster.user}@", "reader@", 1)


def test_a_store_that_refuses_the_write_fails_an_explicit_history(
        tmp_path: Path, store_url: str, request: pytest.FixtureRequest) -> None:
    (tmp_path / "audit.yaml").write_text(AUDIT, encoding="utf-8")
    _inventory(tmp_path, "Acme Dental LLC")
    scan = ("scan", "-c", "audit.yaml", "-f", "json,md", "-q", "--fail-on", "none")
    ok = _cli(*scan, "-o", "o1", "--history", store_url, cwd=tmp_path)  # creates the schema
    assert ok.returncode == 0, ok.stdout + ok.stderr
    pg = request.getfixturevalue("pg_cluster") if "://" in store_url else None
    refusing = _read_only(store_url, pg)
    proc = _cli(*scan, "-o", "o2", "--history", refusing, cwd=tmp_path)
    assert proc.returncode == 5, proc.stdout + proc.stderr
    assert "not recorded" in proc.stderr and "Traceback" not in proc.stderr
    data = json.loads((tmp_path / "o2" / "report.json").read_text())
    _valid(data)
    rec = data["recording"]
    assert rec["recorded"] is False and rec["scan"] is None and rec["explicit"] is True
    assert rec["error"] and ("readonly" in rec["error"] or "permission denied" in rec["error"])
    assert "Not recorded in the history store" in (tmp_path / "o2" / "report.md").read_text()


def test_acceptance_entries_on_the_command_line(tmp_path: Path) -> None:
    (tmp_path / "audit.yaml").write_text(AUDIT, encoding="utf-8")
    _inventory(tmp_path, "Bob's IT Services")
    scan = ("scan", "-c", "audit.yaml", "-f", "json", "-q", "--no-history")
    star = write_accept(tmp_path, [{**ENTRY, "check": "*", "asset": "*"}])
    proc = _cli(*scan, "-o", "o1", "--accept", str(star), cwd=tmp_path)
    assert proc.returncode == 1, proc.stdout + proc.stderr  # nothing was accepted
    assert "entry 1" in proc.stderr and "is not a pattern" in proc.stderr
    data = json.loads((tmp_path / "o1" / "report.json").read_text())
    assert data["acceptances"][0]["matched"] == 0
    assert "matches nothing" in data["acceptances"][0]["problem"]
    typo = write_accept(tmp_path, [{**ENTRY, "check": "contract.holder.acount"}])
    bad = _cli(*scan, "-o", "o2", "--accept", str(typo), cwd=tmp_path)
    assert bad.returncode == 2 and "Traceback" not in bad.stderr
    assert "accepted.yaml, entry 1: 'check'" in bad.stderr
    assert "Did you mean contract.holder.account" in bad.stderr


def test_the_summary_line_splits_accepted_provider_items(tmp_path: Path) -> None:
    (tmp_path / "audit.yaml").write_text(AUDIT, encoding="utf-8")
    _inventory(tmp_path, "Bob's IT Services")
    proc = _cli("scan", "-c", "audit.yaml", "-f", "json,md", "--no-history", "-o", "o",
                "--accept", str(write_accept(tmp_path, [ENTRY])), "--fail-on", "none",
                cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "0 held by the provider (and 1 accepted)" in proc.stdout
    # the owner's summary in the report gives both figures too
    assert "held by your provider across" in (tmp_path / "o" / "report.md").read_text()
    assert "(and 1 accepted)" in (tmp_path / "o" / "report.md").read_text()


def _unused(_: ScanResult) -> None:
    """(keeps the ScanResult import for type hints in helpers above)"""


# ------------------------------------------------------------------ the fleet's CI gate


def _fleet_client(folder: Path, name: str, holders: list[str]) -> Path:
    (folder / "inventory").mkdir(exist_ok=True)
    inv = folder / "inventory" / f"{name}.yaml"
    rows = [f"  - {{id: LINE-{n}, category: internet_line, provider: Metro Fiber Co, "
            f"account_holder: \"{h}\"}}" for n, h in enumerate(holders, 1)]
    inv.write_text("contracts:\n" + "\n".join(rows) + "\n", encoding="utf-8")
    audit = folder / f"{name}.yaml"
    audit.write_text(f"client: {{name: {name}}}\nprovider: {{name: Bob's IT Services}}\n"
                     f"scan:\n  inventory: [inventory/{inv.name}]\n", encoding="utf-8")
    return audit


def test_fleet_fail_on_new_exits_1_only_for_a_client_with_something_new(
        tmp_path: Path, store_url: str) -> None:
    clients = tmp_path / "clients"
    clients.mkdir()
    _fleet_client(clients, "Alpha Dental", ["Alpha Dental"])
    _fleet_client(clients, "Beta Vet", ["Beta Vet"])
    _fleet_client(clients, "Gamma Law", ["Bob's IT Services"])  # held before and after
    fleet = ("fleet", "scan", str(clients / "*.yaml"), "-q", "-f", "json,md",
             "--fail-on", "high")
    first = _cli(*fleet, "-o", "out1", "--history", store_url, cwd=tmp_path)
    assert first.returncode == 1, first.stdout + first.stderr  # Gamma's line, plain gate
    _fleet_client(clients, "Beta Vet", ["Beta Vet", "Bob's IT Services"])  # something new
    gate = _cli(*fleet, "-o", "out2", "--history", store_url, "--baseline", "last",
                "--fail-on-new", cwd=tmp_path)
    assert gate.returncode == 1, gate.stdout + gate.stderr
    rows = {r["name"]: r for r in
            json.loads((tmp_path / "out2" / "fleet.json").read_text())["clients"]}
    assert {n: r["exit_code"] for n, r in rows.items()} == {
        "Alpha Dental": 0, "Beta Vet": 1, "Gamma Law": 0}
    assert rows["Beta Vet"]["new_or_worse"] == 1 and rows["Gamma Law"]["new_or_worse"] == 0
    beta = json.loads((tmp_path / "out2" / "beta-vet" / "report.json").read_text())
    assert len(beta["changes"]["new"]) >= 1
    # the same gate against the previous run's folder (a CI artifact), without the store;
    # a fleet-wide acceptance file accepts Gamma's line (and would accept Beta's new one
    # too, were it not a different contract: entries name the asset)
    accept = write_accept(tmp_path, [{**ENTRY, "asset": "LINE-1"}])
    again = _cli(*fleet, "-o", "out3", "--no-history", "--baseline", str(tmp_path / "out1"),
                 "--fail-on-new", "--accept", str(accept), cwd=tmp_path)
    assert again.returncode == 1, again.stdout + again.stderr
    rows = {r["name"]: r for r in
            json.loads((tmp_path / "out3" / "fleet.json").read_text())["clients"]}
    assert {n: r["exit_code"] for n, r in rows.items()} == {
        "Alpha Dental": 0, "Beta Vet": 1, "Gamma Law": 0}
    gamma = json.loads((tmp_path / "out3" / "gamma-law" / "report.json").read_text())
    assert [f["accepted"]["status"] for f in gamma["findings"] if "accepted" in f] == ["fail"]
    # without --fail-on-new the accepted line no longer fails Gamma either
    plain = _cli(*fleet, "-o", "out4", "--no-history", "--accept", str(accept), cwd=tmp_path)
    rows = {r["name"]: r["exit_code"] for r in
            json.loads((tmp_path / "out4" / "fleet.json").read_text())["clients"]}
    assert rows == {"Alpha Dental": 0, "Beta Vet": 1, "Gamma Law": 0}, plain.stderr
    bad = _cli(*fleet, "-o", "out5", "--no-history", "--baseline", "last", cwd=tmp_path)
    assert bad.returncode == 2 and "needs the history store" in bad.stderr


def test_a_store_that_cannot_be_used_is_a_warning_with_the_default_store(
        tmp_path: Path) -> None:
    """Nobody asked for the default store: the scan exits as usual, and report.json and
    the report still say that it was not recorded."""
    (tmp_path / "audit.yaml").write_text(AUDIT, encoding="utf-8")
    _inventory(tmp_path, "Acme Dental LLC")
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("")
    import os
    import subprocess
    import sys

    proc = subprocess.run(
        [sys.executable, "-m", "lockin_audit", "scan", "-c", "audit.yaml", "-o", "o", "-q",
         "-f", "json,md", "--fail-on", "none"], capture_output=True, text=True, timeout=300,
        cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(Path(__file__).parent.parent),
                           "XDG_DATA_HOME": str(blocked)})
    assert proc.returncode == 0, proc.stdout + proc.stderr
    rec = json.loads((tmp_path / "o" / "report.json").read_text())["recording"]
    assert rec["recorded"] is False and rec["explicit"] is False and rec["error"]
    assert "Not recorded in the history store" in (tmp_path / "o" / "report.md").read_text()


def test_a_fleet_whose_store_refuses_the_write_exits_5(tmp_path: Path) -> None:
    clients = tmp_path / "clients"
    clients.mkdir()
    _fleet_client(clients, "Alpha Dental", ["Alpha Dental"])
    store = tmp_path / "h.sqlite"
    fleet = ("fleet", "scan", str(clients / "*.yaml"), "-q", "-f", "json", "--fail-on",
             "none")
    assert _cli(*fleet, "-o", "out1", "--history", str(store), cwd=tmp_path).returncode == 0
    proc = _cli(*fleet, "-o", "out2", "--history", f"sqlite:///file:{store}?mode=ro&uri=true",
                cwd=tmp_path)
    assert proc.returncode == 5, proc.stdout + proc.stderr
    (row,) = json.loads((tmp_path / "out2" / "fleet.json").read_text())["clients"]
    assert row["exit_code"] == 5 and "readonly" in row["record_error"]
    assert row["render_error"] is None
