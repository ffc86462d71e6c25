"""Acceptances, diffs, SARIF/JUnit for accepted findings, the history partials in the
reports, and the issue's end-to-end checks on the demo estate (its real DNS, RDAP, AWS and
Azure servers) with the history store on SQLite and PostgreSQL."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
import subprocess
import sys
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

import jsonschema
import pytest
import yaml

from lockin_audit.config import AuditConfig, ConfigError
from lockin_audit.engine import fail_on_reached
from lockin_audit.history.acceptance import apply_acceptances, load_accept_file
from lockin_audit.history.diff import compare, new_or_worse_ids, render_md, render_table, view
from lockin_audit.history.store import open_store
from lockin_audit.model import (
    Changes,
    CheckInfo,
    Coverage,
    HistoryPoint,
    Holder,
    ScanResult,
    Severity,
    Status,
)
from lockin_audit.report.html import HtmlRenderer
from lockin_audit.report.json_format import load_schema
from lockin_audit.report.junit import JunitRenderer
from lockin_audit.report.markdown import MarkdownRenderer
from lockin_audit.report.sarif import SarifRenderer
from lockin_audit.scoring import rescore
from tests.pg import PgCluster
from tests.test_history_store import finding, result

ROOT = Path(__file__).resolve().parent.parent
TODAY = dt.date(2026, 11, 30)
SARIF_SCHEMA = ROOT / "tests" / "data" / "sarif-schema-2.1.0.json"


def estate() -> ScanResult:
    fs = [
        finding("domain.dns.nameservers", "domain.dns_hosting", "harborvet.com",
                Holder.PROVIDER, Status.FAIL, severity=Severity.CRITICAL),
        finding("domain.dns.nameservers", "domain.dns_hosting", "shop.harborvet.com",
                Holder.PROVIDER, Status.FAIL),
        finding("domain.registration.registrant", "domain.registration", "harborvet.com",
                Holder.CLIENT, Status.PASS),
        finding("aws.root", "aws.access", "arn:aws:::account/111122223333",
                Holder.UNKNOWN, Status.ERROR),
    ]
    return rescore(result(fs))


def write_accept(tmp_path: Path, entries: Sequence[Mapping[str, object]]) -> Path:
    p = tmp_path / "accepted.yaml"
    p.write_text(yaml.safe_dump({"accept": entries}, sort_keys=False), encoding="utf-8")
    return p


ENTRY = {"check": "domain.dns.nameservers", "asset": "harborvet.com",
         "reason": "DNS moves with the new provider in March",
         "accepted_by": "Jane Doe, owner", "expires": "2027-03-31"}


# ------------------------------------------------------------------ acceptances


def test_accepted_item_stops_counting(tmp_path: Path) -> None:
    before = estate()
    assert before.readiness is not None  # rescore() judged it
    assert fail_on_reached(before, Severity.HIGH) and before.readiness.blockers == 2
    entries = load_accept_file(write_accept(tmp_path, [ENTRY]), TODAY)
    applied = apply_acceptances(before, entries, TODAY)
    after = applied.result
    assert after.readiness is not None
    acc = {f.asset.id: f.accepted for f in after.findings if f.accepted}
    assert list(acc) == ["harborvet.com"]  # exact: shop.harborvet.com is not matched
    assert acc["harborvet.com"] is not None and acc["harborvet.com"].expires == dt.date(2027, 3, 31)
    f = next(f for f in after.findings if f.accepted)
    assert f.status is Status.FAIL and f.holder is Holder.PROVIDER  # keeps status and holder
    assert after.readiness.blockers == 1 and after.readiness.breakdown["accepted"] == 1
    assert after.readiness.score > before.readiness.score
    # the critical fail no longer caps the grade
    assert before.readiness.breakdown["critical_fail_caps_grade"] is True
    assert after.readiness.breakdown["critical_fail_caps_grade"] is False
    assert fail_on_reached(after, Severity.HIGH)  # shop.harborvet.com still counts
    assert not fail_on_reached(after, Severity.CRITICAL)


def test_glob_id_and_expiry(tmp_path: Path) -> None:
    base = estate()
    shop_id = next(f.id for f in base.findings if f.asset.id == "shop.harborvet.com")
    entries = load_accept_file(write_accept(tmp_path, [
        {**ENTRY, "asset": "*.harborvet.com"},
        {"id": shop_id, "reason": "dup", "accepted_by": "x", "expires": "2027-01-01"},
        {**ENTRY, "expires": "2026-11-29"},                       # expired yesterday
        {**ENTRY, "check": "aws.root", "asset": "*"},              # errors are never accepted
        {**ENTRY, "check": "domain.registration.registrant", "asset": "*"},  # nor passes
    ]), TODAY)
    applied = apply_acceptances(base, entries, TODAY)
    by_asset = {f.asset.id: f for f in applied.result.findings
                if f.check_id == "domain.dns.nameservers"}
    shop, apex = by_asset["shop.harborvet.com"], by_asset["harborvet.com"]
    assert shop.accepted is not None and shop.accepted.reason == ENTRY["reason"]  # first wins
    assert apex.accepted is None and apex.acceptance_expired is not None
    assert apex.acceptance_expired.expires == dt.date(2026, 11, 29)
    assert applied.expired == 1 and applied.accepted == 1
    assert not any(f.accepted for f in applied.result.findings
                   if f.status in (Status.ERROR, Status.PASS))
    assert [e.source.rsplit(" ", 1)[-1] for e in applied.unused] == ["4", "5"]
    # the expiry day itself still applies
    last_day = apply_acceptances(base, load_accept_file(write_accept(
        tmp_path, [{**ENTRY, "expires": TODAY.isoformat()}]), TODAY), TODAY)
    assert sum(f.accepted is not None for f in last_day.result.findings) == 1


@pytest.mark.parametrize(("entry", "message"), [
    ({k: v for k, v in ENTRY.items() if k != "reason"}, "'reason' is required"),
    ({**ENTRY, "accepted_by": " "}, "'accepted_by' is required"),
    ({k: v for k, v in ENTRY.items() if k != "expires"}, "'expires' is required"),
    ({**ENTRY, "expires": "next March"}, "'expires' is required: a date"),
    ({**ENTRY, "expires": "2028-01-01"}, "more than a year ahead"),
    ({**ENTRY, "id": "abc"}, "either 'id'"),
    ({k: v for k, v in ENTRY.items() if k != "asset"}, "'asset' is required with 'check'"),
    ({**ENTRY, "owner": "me"}, "unknown key(s) owner"),
    ("just text", "expected a mapping"),
])
def test_malformed_entries_name_file_and_entry(tmp_path: Path, entry: object,
                                               message: str) -> None:
    path = tmp_path / "accepted.yaml"
    path.write_text(yaml.safe_dump({"accept": [ENTRY, entry]}), encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_accept_file(path, TODAY)
    assert str(err.value).startswith(f"{path}, entry 2: ")
    assert message in str(err.value)


def test_malformed_files(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("accept: [\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_accept_file(bad, TODAY)
    bad.write_text("accepted: []\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="one key, 'accept'"):
        load_accept_file(bad, TODAY)
    with pytest.raises(ConfigError, match="acceptance file not found"):
        load_accept_file(tmp_path / "missing.yaml", TODAY)


# ------------------------------------------------------------------ diffs


def test_diff_holder_change_resolved_and_new() -> None:
    ns = ("domain.dns.nameservers", "domain.dns_hosting")
    old = result([
        finding(*ns, "a.com", Holder.PROVIDER, Status.FAIL),            # -> client: resolved
        finding(*ns, "b.com", Holder.UNKNOWN, Status.WARN),             # -> provider: worse
        finding(*ns, "c.com", Holder.PROVIDER, Status.FAIL),            # gone: resolved
        finding(*ns, "d.com", Holder.PROVIDER, Status.FAIL),            # -> error: changed
        finding(*ns, "e.com", Holder.CLIENT, Status.PASS),              # unchanged
    ])
    new = result([
        finding(*ns, "a.com", Holder.CLIENT, Status.PASS),
        finding(*ns, "b.com", Holder.PROVIDER, Status.FAIL),
        finding(*ns, "d.com", Holder.UNKNOWN, Status.ERROR),
        finding(*ns, "e.com", Holder.CLIENT, Status.PASS),
        finding(*ns, "f.com", Holder.PROVIDER, Status.FAIL),            # new
        finding(*ns, "g.com", Holder.CLIENT, Status.PASS),              # new pass: not listed
    ])
    c = compare(old, new, "scan 1")
    ids = {f.asset.id: f.id for f in new.findings}
    assert c.new == (ids["f.com"],)
    assert sorted(r["asset_id"] for r in c.resolved) == ["a.com", "c.com"]
    assert {r["asset_id"]: r["after"] for r in c.resolved}["c.com"] is None
    changed = {r["asset_id"]: r for r in c.changed}
    assert set(changed) == {"b.com", "d.com"}
    assert changed["b.com"]["before"]["holder"] == "unknown"
    assert changed["b.com"]["after"]["holder"] == "provider" and changed["b.com"]["worse"]
    assert changed["d.com"]["worse"] is False  # not knowing is not resolved, nor worse
    assert c.unchanged == 1
    assert new_or_worse_ids(c) == {ids["f.com"], ids["b.com"]}
    v = view(old, new, "scan 1", "scan 2")
    table = render_table(v)
    assert "1 new, 2 resolved, 2 changed, 0 not scanned, 1 unchanged" in table
    assert "RESOLVED" in table and "WORSE" in table
    assert "| resolved | domain.dns\\_hosting | a.com |" in render_md(v)


def test_gone_is_resolved_only_when_it_was_looked_at() -> None:
    """A finding gone because its target could not be read, or whose check did not run
    this time (--only/--check), is not_scanned, never resolved."""
    ns = ("domain.dns.nameservers", "domain.dns_hosting")
    old = result([finding(*ns, "a.com", Holder.PROVIDER, Status.FAIL),
                  finding("aws.root", "aws.access", "b.com", Holder.PROVIDER, Status.FAIL),
                  finding("domain.dns.web", "domain.web", "c.com", Holder.PROVIDER,
                          Status.FAIL)])
    checks = tuple(CheckInfo(cid, cid.split(".")[0], ctl, "t", Severity.HIGH, "", ())
                   for cid, ctl in (ns, ("domain.dns.web", "domain.web")))
    new = dataclasses.replace(
        result([finding(*ns, "z.com", Holder.CLIENT, Status.PASS)]), checks=checks,
        coverage=(Coverage("domain", "a.com", False, "DNS timed out"),))
    c = compare(old, new, "scan 1")
    assert c.resolved == () and c.changed == ()
    why = {r["asset_id"]: r["reason"] for r in c.not_scanned}
    assert why == {"a.com": "a.com could not be read this time",
                   "b.com": "its check did not run this time (--only or --check)",
                   "c.com": "c.com is no longer a scan target (removed from the audit file)"}
    assert "NOT SCANNED" in render_table(view(old, new, "scan 1", "scan 2"))


# ------------------------------------------------------------------ renderers


def _accepted_result(tmp_path: Path) -> ScanResult:
    entries = load_accept_file(write_accept(tmp_path, [ENTRY]), TODAY)
    r = apply_acceptances(estate(), entries, TODAY).result
    return dataclasses.replace(
        r, changes=Changes("scan 1 (2026-11-01T10:00:00Z)", new=(r.findings[1].id,),
                           resolved=({"id": "gone1", "check_id": "x.y", "control": "domain.web",
                                      "asset_id": "<b>old.example</b>", "title": "Old <i>site</i>",
                                      "before": {"holder": "provider", "status": "fail",
                                                 "severity": "high"}, "after": None},),
                           unchanged=2),
        history=(HistoryPoint("1", "2026-11-01T10:00:00Z", 30, "F", True, {"domain": 3}),
                 HistoryPoint("2", "2026-11-02T10:00:00Z", 55, "D", True,
                              {"domain": 1, "aws": 2})))


def test_sarif_suppressions_validate_against_the_sarif_schema(tmp_path: Path) -> None:
    doc = json.loads(SarifRenderer().render(_accepted_result(tmp_path)))
    schema = json.loads(SARIF_SCHEMA.read_text(encoding="utf-8"))
    jsonschema.Draft4Validator(schema).validate(doc)
    results = doc["runs"][0]["results"]
    suppressed = [r for r in results if "suppressions" in r]
    assert len(suppressed) == 1
    (s,) = suppressed[0]["suppressions"]
    assert s["kind"] == "external" and s["status"] == "accepted"
    assert ENTRY["reason"] in s["justification"] and "31 March 2027" in s["justification"]
    assert suppressed[0]["locations"][0]["logicalLocations"][0]["name"] == "harborvet.com"


def test_junit_marks_accepted_skipped(tmp_path: Path) -> None:
    import xml.etree.ElementTree as ET

    root = ET.fromstring(JunitRenderer().render(_accepted_result(tmp_path)))
    case = next(c for c in root.iter("testcase")
                if c.get("classname") == "domain.dns.nameservers"
                and c.get("name") == "harborvet.com")
    assert case.find("failure") is None
    skipped = case.find("skipped")
    assert skipped is not None and ENTRY["reason"] in (skipped.get("message") or "")
    assert root.get("failures") == "1"  # shop.harborvet.com


def test_csv_carries_the_acceptance(tmp_path: Path) -> None:
    import csv
    import io

    from lockin_audit.report.csv_format import CsvRenderer

    rows = list(csv.DictReader(io.StringIO(CsvRenderer().render(_accepted_result(tmp_path)),
                                           newline="")))
    accepted = [r for r in rows if r["accepted_until"]]
    assert [(r["asset_id"], r["accepted_until"], r["accepted_by"]) for r in accepted] == [
        ("harborvet.com", "2027-03-31", "Jane Doe, owner")]


def test_reports_show_changes_trend_and_accepted(tmp_path: Path) -> None:
    r = _accepted_result(tmp_path)
    data = r.to_dict()
    jsonschema.Draft202012Validator(load_schema(),
                                    format_checker=jsonschema.FormatChecker()).validate(data)
    assert ScanResult.from_dict(data).to_dict() == data
    html = HtmlRenderer().render(r)
    assert 'id="since-last-scan"' in html and "<strong>1</strong> new" in html
    assert "<b>old.example</b>" not in html and "&lt;b&gt;old.example&lt;/b&gt;" in html
    assert f'href="#f-{r.findings[1].id}"' in html
    svg = html[html.index("<svg", html.index("since-last-scan")):]
    svg = svg[:svg.index("</svg>")]
    assert svg.count("<circle") == 2 and "<script" not in svg
    assert 'id="accepted"' in html and "31 March 2027" in html
    md = MarkdownRenderer().render(r)
    assert "## Since the last scan" in md and "### Trend" in md
    assert "| 2 | 2 November 2026, 10:00:00 UTC | 55 | D | 2 | 1 | 3 |" in md
    assert "Left with the provider until a date you chose" in md


# ------------------------------------------------------------------ end to end


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "lockin_audit", *args], capture_output=True,
                          text=True, timeout=300, cwd=cwd,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})


def test_demo_twice_shows_no_changes_and_two_trend_points(tmp_path: Path) -> None:
    store = tmp_path / "h.sqlite"
    for out in ("run1", "run2"):
        proc = _cli("demo", "-o", out, "--history", str(store), "--no-progress", cwd=tmp_path)
        assert proc.returncode == 0, proc.stdout + proc.stderr
    data = json.loads((tmp_path / "run2" / "report.json").read_text())
    assert data["changes"]["new"] == [] and data["changes"]["resolved"] == []
    assert data["changes"]["changed"] == [] and data["changes"]["unchanged"] > 50
    assert [p["scan"] for p in data["history"]] == ["1", "2"]
    html = (tmp_path / "run2" / "report.html").read_text()
    assert "Since the last scan" in html and "<strong>0</strong> new" in html
    assert "Trend over 2 recorded scans" in html
    # the user's data folder (XDG_DATA_HOME, a temp dir in the tests) was not written
    assert not (Path(os.environ["XDG_DATA_HOME"]) / "lockin-audit").exists()


@pytest.fixture
def moved_ns() -> Iterator[None]:
    """acmedental.de's nameservers moved from the provider's to the client's."""
    from lockin_audit.demo import dns

    saved = dns.ZONES["acmedental.de"]
    dns.ZONES["acmedental.de"] = dns._zone(
        "acmedental.de", ("ns1.acmedental.com",), "@ A 198.51.100.80\n",
        mname="ns1.acmedental.com.", rname="it.acmedental.com.")
    yield
    dns.ZONES["acmedental.de"] = saved


@pytest.fixture
def domain_demo(monkeypatch: pytest.MonkeyPatch) -> None:
    """Only the demo's DNS and RDAP servers (these tests scan the domain area; moto keeps
    its state per process, so the AWS part cannot be seeded twice in one process)."""
    import lockin_audit.demo

    monkeypatch.setattr(lockin_audit.demo, "PARTS", ("dns", "rdap"))


def _demo_audit_file(cfg: AuditConfig, path: Path) -> Path:
    path.write_text(yaml.safe_dump(cfg.model_dump(mode="json")), encoding="utf-8")
    return path


def test_fact_change_is_resolved_and_fail_on_new(tmp_path: Path,
                                                 request: pytest.FixtureRequest,
                                                 domain_demo: None) -> None:
    """The issue's check (on SQLite; the store module runs everything on both dialects and
    test_cli_on_postgresql drives the commands on PostgreSQL)."""
    from lockin_audit.demo import demo_estate

    store_url = str(tmp_path / "h.sqlite")
    scan = ("scan", "--only", "domain", "--no-progress", "-q", "-f", "json")
    with demo_estate(tmp_path / "e1") as cfg:
        audit = _demo_audit_file(cfg, tmp_path / "a1.yaml")
        first = _cli(*scan, "-c", str(audit), "-o", "o1", "--history", store_url,
                     "--fail-on", "none", cwd=tmp_path)
        assert first.returncode == 0, first.stderr
    request.getfixturevalue("moved_ns")
    with demo_estate(tmp_path / "e2") as cfg:
        audit = _demo_audit_file(cfg, tmp_path / "a2.yaml")
        plain = _cli(*scan, "-c", str(audit), "-o", "o2", "--no-history",
                     "--fail-on", "high", cwd=tmp_path)
        assert plain.returncode == 1, plain.stdout + plain.stderr
        gate = _cli(*scan, "-c", str(audit), "-o", "o3", "--history", store_url,
                    "--fail-on", "high", "--fail-on-new", "--baseline", "last", cwd=tmp_path)
        assert gate.returncode == 0, gate.stdout + gate.stderr
    diff = _cli("diff", "last~1", "last", "--history", store_url, "-f", "json", cwd=tmp_path)
    assert diff.returncode == 0, diff.stderr
    d = json.loads(diff.stdout)
    assert ("domain.dns_hosting", "acmedental.de") in {
        (r["control"], r["asset_id"]) for r in d["resolved"]}
    assert d["new"] == [] and not [c for c in d["changed"] if c["worse"]]
    text = _cli("diff", "last~1", "last", "--history", store_url, cwd=tmp_path).stdout
    assert "RESOLVED" in text and "acmedental.de" in text
    with open_store(store_url) as store:
        assert len(store.scans()) == 2
    listing = _cli("history", "--history", store_url, "-f", "json", cwd=tmp_path)
    assert [s["scan"] for s in json.loads(listing.stdout)["scans"]] == ["1", "2"]


def test_cli_on_postgresql(tmp_path: Path, pg_cluster: PgCluster) -> None:
    """history and diff against PostgreSQL with a password in the URL: it works, and the
    password appears in no output, including the error for a wrong one."""
    url = pg_cluster.url(pg_cluster.create_database(), password=True)
    with open_store(url) as store:
        ns = ("domain.dns.nameservers", "domain.dns_hosting")
        store.record(result([finding(*ns, "a.com", Holder.PROVIDER, Status.FAIL)]))
        store.record(result([finding(*ns, "a.com", Holder.CLIENT, Status.PASS)],
                            finished="2026-11-02T10:00:00Z"))
    listing = _cli("history", "--history", url, cwd=tmp_path)
    assert listing.returncode == 0 and "Harbor Vet Clinic" in listing.stdout
    diff = _cli("diff", "last~1", "last", "--history", url, "-f", "md", cwd=tmp_path)
    assert diff.returncode == 0 and "| resolved |" in diff.stdout
    wrong = url.replace(pg_cluster.password, "not-" + pg_cluster.password)
    bad = _cli("history", "--history", wrong, cwd=tmp_path)
    assert bad.returncode == 2 and "password authentication failed" in bad.stderr
    assert "Traceback" not in bad.stderr
    for out in (listing, diff, bad):
        assert pg_cluster.password not in out.stdout + out.stderr


def test_acceptance_future_passes_past_fails(tmp_path: Path, domain_demo: None) -> None:
    from lockin_audit.demo import demo_estate

    future = (dt.date.today() + dt.timedelta(days=90)).isoformat()
    past = (dt.date.today() - dt.timedelta(days=1)).isoformat()
    entry = {"check": "domain.dns.nameservers", "asset": "acmedental.*",
             "reason": "DNS moves with the new provider", "accepted_by": "Jane Doe, owner"}
    scan = ("scan", "--check", "domain.dns.nameservers", "--no-progress", "-q",
            "-f", "json,sarif", "--no-history", "--fail-on", "high")
    with demo_estate(tmp_path / "e") as cfg:
        audit = _demo_audit_file(cfg, tmp_path / "a.yaml")
        plain = _cli(*scan, "-c", str(audit), "-o", "o0", cwd=tmp_path)
        assert plain.returncode == 1, plain.stdout + plain.stderr
        ok = _cli(*scan, "-c", str(audit), "-o", "o1", "--accept",
                  str(write_accept(tmp_path, [{**entry, "expires": future}])), cwd=tmp_path)
        assert ok.returncode == 0, ok.stdout + ok.stderr
        data = json.loads((tmp_path / "o1" / "report.json").read_text())
        assert all(f["accepted"]["expires"] == future for f in data["findings"]
                   if f["status"] == "fail")
        late = _cli(*scan, "-c", str(audit), "-o", "o2", "--accept",
                    str(write_accept(tmp_path, [{**entry, "expires": past}])), cwd=tmp_path)
        assert late.returncode == 1, late.stdout + late.stderr
        assert "expired" in late.stderr
        too_far = _cli(*scan, "-c", str(audit), "-o", "o3", "--accept", str(write_accept(
            tmp_path, [{**entry, "expires": "2099-01-01"}])), cwd=tmp_path)
        assert too_far.returncode == 2 and "entry 1" in too_far.stderr
        assert "accepted.yaml" in too_far.stderr and "Traceback" not in too_far.stderr


def test_audit_file_history_url_with_password_is_refused_without_echoing_it(
        tmp_path: Path) -> None:
    audit = tmp_path / "audit.yaml"
    audit.write_text("client: {name: X}\nprovider: {name: Y}\nscan:\n"
                     "  history: postgresql://bob:SuperSecret42@db/lockin\n", encoding="utf-8")
    proc = _cli("scan", "-c", str(audit), "-o", "out", cwd=tmp_path)
    assert proc.returncode == 2 and "scan.history" in proc.stderr
    assert "must not contain a password" in proc.stderr
    assert "SuperSecret42" not in proc.stdout + proc.stderr


def test_default_store_in_the_data_folder_and_when_it_cannot_be_written(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Without --history a scan records into $XDG_DATA_HOME/lockin-audit/history.sqlite;
    when that folder cannot be made the scan still runs and says it was not recorded;
    an explicit --history that cannot be opened is exit 2."""
    (tmp_path / "contracts.yaml").write_text(
        "credentials:\n"
        "  - {system: Office firewall, admin_holder: provider, last_tested: 2026-01-10}\n")
    cfg = tmp_path / "audit.yaml"
    cfg.write_text("client: {name: Acme Dental LLC}\nprovider: {name: Bob's IT Services}\n"
                   "scan:\n  inventory: [contracts.yaml]\n")
    args = ("scan", "-c", str(cfg), "-o", "out", "--only", "custody", "-f", "json",
            "--fail-on", "none")
    data_home = tmp_path / "data"
    monkeypatch.setenv("XDG_DATA_HOME", str(data_home))
    ok = _cli(*args, cwd=tmp_path)
    assert ok.returncode == 0, ok.stderr
    assert (data_home / "lockin-audit" / "history.sqlite").is_file()
    assert "recorded scan 1 in" in ok.stdout
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("")
    monkeypatch.setenv("XDG_DATA_HOME", str(blocked))
    warned = _cli(*args, cwd=tmp_path)
    assert warned.returncode == 0, warned.stderr
    assert "history: not recorded:" in warned.stderr and "Traceback" not in warned.stderr
    explicit = _cli(*args, "--history", str(blocked / "h.sqlite"), cwd=tmp_path)
    assert explicit.returncode == 2 and "cannot create its folder" in explicit.stderr


def test_report_rerenders_with_recorded_history(tmp_path: Path) -> None:
    store_path = tmp_path / "h.sqlite"
    ns = ("domain.dns.nameservers", "domain.dns_hosting")
    with open_store(store_path) as store:
        store.record(result([finding(*ns, "a.com", Holder.PROVIDER, Status.FAIL)],
                            finished="2026-11-01T10:00:00Z"))
        store.record(result([finding(*ns, "a.com", Holder.PROVIDER, Status.FAIL)],
                            finished="2026-11-05T10:00:00Z"))  # after the saved result
    saved = rescore(result([finding(*ns, "a.com", Holder.CLIENT, Status.PASS)],
                           finished="2026-11-03T10:00:00Z"))
    path = tmp_path / "report.json"
    path.write_text(json.dumps(saved.to_dict()), encoding="utf-8")
    proc = _cli("report", str(path), "-f", "json,md", "-o", "again", "--history",
                str(store_path), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    data = json.loads((tmp_path / "again" / "report.json").read_text())
    assert [p["scan"] for p in data["history"]] == ["1", "this"]
    assert [r["asset_id"] for r in data["changes"]["resolved"]] == ["a.com"]
    assert "## Since the last scan" in (tmp_path / "again" / "report.md").read_text()


def test_no_credential_reaches_the_store_from_a_real_scan(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A scan of the demo's Microsoft cloud (a real token exchange with a client secret)
    recorded in SQLite: neither the secret nor the bearer token is in the store."""
    import sqlite3

    import lockin_audit.demo
    from lockin_audit.demo import demo_estate

    monkeypatch.setattr(lockin_audit.demo, "PARTS", ("azure",))
    store = tmp_path / "h.sqlite"
    with demo_estate(tmp_path / "e") as cfg:
        secret = os.environ["AZURE_CLIENT_SECRET"]
        audit = _demo_audit_file(cfg, tmp_path / "a.yaml")
        proc = _cli("scan", "-c", str(audit), "-o", "o", "-f", "json", "--history",
                    str(store), "--only", "azure,m365", "--fail-on", "none", "-q",
                    cwd=tmp_path)
        assert proc.returncode == 0, proc.stdout + proc.stderr
    assert len(secret) > 20
    with sqlite3.connect(store) as db:
        rows = [r for t in ("scans", "findings")
                for r in db.execute(f"SELECT * FROM {t}")]
    dump = json.dumps(rows, default=str)
    assert len(rows) > 5 and "azure." in dump  # the scan's findings are there
    assert secret not in dump
    # no bearer token (the demo cloud issues "demo-token-<hex>")
    assert "Bearer" not in dump and "demo-token-" not in dump
