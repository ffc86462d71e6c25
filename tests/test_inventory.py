"""Inventory: parsing edge cases, deadlines, custody, CSV = YAML, and report.ics."""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path
from typing import Any

import icalendar
import pytest
import yaml

from lockin_audit import registry
from lockin_audit.config import config_from_mapping
from lockin_audit.engine import Scanner, ScanOptions
from lockin_audit.model import Finding, ScanResult, Status, human_date
from lockin_audit.report.ics import IcsRenderer
from lockin_audit.scoring import readiness_of
from lockin_audit.sources.inventory import add_months, parse_date, read_inventory

TODAY = dt.date(2026, 11, 23)
CLIENT = {"name": "Acme Dental LLC", "aliases": ["Acme Dental"], "domains": ["acmedental.com"]}
PROVIDER = {"name": "Bob's IT Services", "aliases": ["BITS"], "domains": ["bobsit.example"]}


def scan(tmp_path: Path, files: dict[str, str], today: dt.date = TODAY) -> ScanResult:
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8", newline="")
    config = config_from_mapping({"client": CLIENT, "provider": PROVIDER,
                                  "scan": {"inventory": list(files)}},
                                 tmp_path / "audit.yaml")
    checks = registry.select(registry.all_checks(), areas=["contract", "custody"])
    return asyncio.run(Scanner(config, checks, ScanOptions(today=today)).run())


def by(result: ScanResult, check_id: str, asset_id: str | None = None) -> list[Finding]:
    return [f for f in result.findings if f.check_id == check_id
            and (asset_id is None or f.asset.id == asset_id)]


def contract(**fields: Any) -> dict[str, Any]:
    base = {"id": "C1", "category": "internet_line", "provider": "Metro Fiber Co",
            "account_holder": "Acme Dental LLC"}
    return {**base, **fields}


def yaml_file(*contracts: dict[str, Any], **sections: list[dict[str, Any]]) -> str:
    return yaml.safe_dump({"contracts": list(contracts), **sections}, sort_keys=False)


# --- values -------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "expected"), [
    ("2026-03-01", dt.date(2026, 3, 1)),
    ("01/03/2026", dt.date(2026, 3, 1)),  # day first
    ("01.03.2026", dt.date(2026, 3, 1)),
    ("03/31/2026", dt.date(2026, 3, 31)),  # only makes sense month first
    ("1 March 2026", dt.date(2026, 3, 1)),
    ("March 1, 2026", dt.date(2026, 3, 1)),
    ("29/02/2024", dt.date(2024, 2, 29)),
])
def test_dates_in_common_formats(text: str, expected: dt.date) -> None:
    assert parse_date(text) == expected


@pytest.mark.parametrize("text", ["29/02/2026", "2026-13-01", "next year", "31/31/2026"])
def test_impossible_dates_are_rejected(text: str) -> None:
    with pytest.raises(ValueError):
        parse_date(text)


def test_months_clamp_to_the_end_of_the_month() -> None:
    assert add_months(dt.date(2024, 2, 29), 12) == dt.date(2025, 2, 28)
    assert add_months(dt.date(2024, 2, 29), 48) == dt.date(2028, 2, 29)
    assert add_months(dt.date(2026, 1, 31), 1) == dt.date(2026, 2, 28)
    assert add_months(dt.date(2026, 3, 31), -1) == dt.date(2026, 2, 28)


# --- bad rows: one clear message each, the good rows still assessed -----------------------


def test_bad_rows_are_errors_naming_file_line_and_column(tmp_path: Path) -> None:
    text = yaml_file(
        contract(id="GOOD", account_holder="Bob's IT Services"),
        contract(id="BADDATE", term_start="31/02/2026", term_months=12),
        contract(id="NEGATIVE", term_start="2026-01-01", term_months=-12),
        {"id": "NOPROVIDER", "category": "voice"},
        contract(id="BADCAT", category="telepathy"),
    )
    result = scan(tmp_path, {"inv.yaml": text})
    errors = [f for f in result.findings if f.status is Status.ERROR]
    details = sorted(f.detail for f in errors)
    assert any("inv.yaml:" in d and "'term_start'" in d and "not a real date" in d
               for d in details), details
    assert any("'term_months'" in d and "at least 1" in d for d in details), details
    assert any("'provider'" in d and "required" in d for d in details), details
    assert any("'category'" in d and "expected one of internet_line" in d for d in details)
    assert len(errors) == 4
    # the line number points at the row
    line = next(d for d in details if "BADDATE" in d or "not a real date" in d)
    assert "inv.yaml:" in line
    # the good row is still assessed: held by the provider
    assert [f.status for f in by(result, "contract.holder.account", "GOOD")] == [Status.FAIL]


def test_unknown_columns_are_warned_with_a_hint(tmp_path: Path) -> None:
    result = scan(tmp_path, {"inv.yaml": yaml_file(contract(acount_holder="x"))})
    warned = [f for f in result.findings if f.title == "Inventory column ignored"]
    assert len(warned) == 1 and "did you mean 'account_holder'" in warned[0].detail
    assert warned[0].status is Status.WARN


def test_a_file_that_is_not_an_inventory_fails_alone(tmp_path: Path) -> None:
    result = scan(tmp_path, {"broken.yaml": "contracts: [\n", "ok.yaml": yaml_file(contract())})
    broken = [f for f in result.findings if f.asset.id == "broken.yaml"]
    assert broken and all(f.status is Status.ERROR for f in broken)
    assert "not valid YAML" in broken[0].detail
    assert by(result, "contract.holder.account", "C1")[0].status is Status.PASS
    assessed = {c.target: c.assessed for c in result.coverage}
    assert [v for k, v in assessed.items() if "broken.yaml" in k] == [False], assessed
    assert [v for k, v in assessed.items() if "ok.yaml" in k] == [True], assessed


def test_csv_missing_required_columns_is_a_clear_error(tmp_path: Path) -> None:
    result = scan(tmp_path, {"c.csv": "id,provider\nX,Metro\n"})
    assert result.findings[0].status is Status.ERROR
    assert "lacks the column(s) category" in result.findings[0].detail


# --- holders ------------------------------------------------------------------------------


def test_holders_are_matched_by_name_not_substring(tmp_path: Path) -> None:
    result = scan(tmp_path, {"inv.yaml": yaml_file(
        contract(id="A", account_holder="BOB'S IT SERVICES, LLC"),
        contract(id="B", account_holder="Bob's IT Services Bank"),
        contract(id="C", account_holder="Acme Dental", contracted_via="provider"),
        contract(id="D", account_holder="acme dental llc", billed_to="Acme Dental Inc."),
    )})
    status = {f.asset.id: f.status for f in by(result, "contract.holder.account")}
    assert status == {"A": Status.FAIL, "B": Status.WARN, "C": Status.FAIL, "D": Status.PASS}
    unknown = {u.value for u in result.unidentified}
    assert "Bob's IT Services Bank" in unknown, unknown


def test_port_pins_held_by_the_provider_fail(tmp_path: Path) -> None:
    result = scan(tmp_path, {"inv.yaml": yaml_file(contract(
        category="voice", phone_numbers=[{"number": "+1 555 0100", "port_pin_holder": "provider"},
                                         {"number": "+1 555 0101", "port_pin_holder": "client"}]))})
    phones = [f for f in by(result, "contract.holder.account") if "port-out PIN" in f.title]
    assert len(phones) == 1 and "+1 555 0100" in phones[0].detail


# --- deadlines ----------------------------------------------------------------------------


def deadline(result: ScanResult, cid: str = "C1") -> Finding:
    found = [f for f in by(result, "contract.deadline.notice", cid) if f.status is not Status.ERROR]
    assert len(found) == 1, found
    return found[0]


def test_notice_deadline_bands(tmp_path: Path) -> None:
    def end_in(days: int) -> str:
        return (TODAY + dt.timedelta(days=days)).isoformat()

    result = scan(tmp_path, {"inv.yaml": yaml_file(
        contract(id="FAR", term_end=end_in(200), auto_renew=True, notice_period_days=30),
        contract(id="NEAR", term_end=end_in(90), auto_renew=True, notice_period_days=30),
        contract(id="CLOSE", term_end=end_in(40), auto_renew=True, notice_period_days=30),
        contract(id="PASSED", term_end=end_in(10), auto_renew=True, notice_period_days=30,
                 renewal_term_months=12),
    )})
    far, near, close, passed = (deadline(result, c) for c in ("FAR", "NEAR", "CLOSE", "PASSED"))
    assert far.status is Status.PASS and far.due == TODAY + dt.timedelta(days=170)
    assert near.status is Status.WARN and near.severity.value == "high"
    assert near.due == TODAY + dt.timedelta(days=60)
    assert close.status is Status.FAIL and close.severity.value == "critical"
    assert passed.status is Status.FAIL and passed.due == TODAY - dt.timedelta(days=20)
    assert "passed" in passed.detail
    assert human_date(add_months(TODAY + dt.timedelta(days=10), 12) - dt.timedelta(days=30)) \
        in passed.detail
    deadlines = [d.finding_id for d in readiness_of(result).deadlines]
    assert passed.id in deadlines and far.id not in deadlines


def test_auto_renewal_chains_roll_forward_from_today(tmp_path: Path) -> None:
    # Started 29 Feb 2020 for 24 months, renewing yearly: terms end 2022-02-28,
    # 2023-02-28, ..., 2027-02-28; notice 60 days -> 2026-12-30.
    result = scan(tmp_path, {"inv.yaml": yaml_file(contract(
        term_start="2020-02-29", term_months=24, auto_renew=True, renewal_term_months=12,
        notice_period_days=60))})
    found = deadline(result)
    assert found.due == dt.date(2026, 12, 30)
    assert "28 February 2027" in found.detail and "renewed automatically 5 time(s)" in found.detail


def test_termination_fee_is_estimated(tmp_path: Path) -> None:
    result = scan(tmp_path, {"inv.yaml": yaml_file(
        contract(id="MRC", term_end="2027-05-23", auto_renew=True, notice_period_days=30,
                 early_termination_fee={"type": "remaining_months_x_mrc", "mrc": 100,
                                        "currency": "EUR"}),
        contract(id="FIX", term_end="2027-05-23", auto_renew=True, notice_period_days=30,
                 early_termination_fee={"type": "fixed", "amount": 1500, "currency": "USD"}),
    )})
    assert "600.00 EUR (6 remaining months x 100.00 EUR monthly)" in deadline(result, "MRC").detail
    assert "1,500.00 USD (fixed)" in deadline(result, "FIX").detail


def test_no_term_cannot_be_dated_and_says_so(tmp_path: Path) -> None:
    found = deadline(scan(tmp_path, {"inv.yaml": yaml_file(contract())}))
    assert found.status is Status.WARN and "cannot be dated" in found.detail


# --- custody ------------------------------------------------------------------------------


def test_credentials_and_backup_keys(tmp_path: Path) -> None:
    result = scan(tmp_path, {"inv.yaml": yaml.safe_dump({
        "credentials": [
            {"system": "Firewall", "admin_holder": "provider"},
            {"system": "M365", "admin_holder": "client", "last_tested": "2026-10-01"},
            {"system": "NAS", "admin_holder": "client", "last_tested": "2024-01-01"},
            {"system": "Bad", "admin_holder": "nobody"},
        ],
        "backups": [
            {"name": "Server", "key_holder": "provider", "retention_after_cancel_days": 30},
            {"name": "Archive", "key_holder": "both"},
        ]})})
    creds = {f.asset.name: f for f in by(result, "custody.admin-credentials.holder")}
    assert creds["Firewall"].status is Status.FAIL and creds["Firewall"].severity.value == "critical"
    assert creds["M365"].status is Status.PASS
    assert creds["NAS"].status is Status.WARN and "try it now" in creds["NAS"].detail
    assert creds["Bad"].status is Status.ERROR and "expected one of client" in creds["Bad"].detail
    keys = {f.asset.name: f for f in by(result, "custody.backup-keys.holder")}
    assert keys["Server"].status is Status.FAIL and "deleted 30 days" in keys["Server"].detail
    assert keys["Archive"].status is Status.WARN


# --- CSV ----------------------------------------------------------------------------------


CSV_ROWS = [
    ["id", "category", "provider", "account_holder", "term_start", "term_months",
     "auto_renew", "notice_period_days", "static_ip_blocks", "early_termination_fee",
     "phone_numbers"],
    ["INET-1", "internet_line", "Metro Fiber", "BITS", "29/02/2024", "36", "yes", "90",
     "203.0.113.64/29 198.51.100.0/28", "fixed 900 USD", ""],
    ["VOICE-1", "voice", "Lakeside", "Acme Dental LLC", "2025-06-01", "24", "no", "30", "",
     "", "+1 555 0100=provider"],
]
YAML_EQUIVALENT = yaml_file(
    {"id": "INET-1", "category": "internet_line", "provider": "Metro Fiber",
     "account_holder": "BITS", "term_start": "2024-02-29", "term_months": 36,
     "auto_renew": True, "notice_period_days": 90,
     "static_ip_blocks": ["203.0.113.64/29", "198.51.100.0/28"],
     "early_termination_fee": {"type": "fixed", "amount": 900, "currency": "USD"}},
    {"id": "VOICE-1", "category": "voice", "provider": "Lakeside",
     "account_holder": "Acme Dental LLC", "term_start": "2025-06-01", "term_months": 24,
     "auto_renew": False, "notice_period_days": 30,
     "phone_numbers": [{"number": "+1 555 0100", "port_pin_holder": "provider"}]},
)


def comparable(result: ScanResult) -> list[tuple[Any, ...]]:
    return sorted((f.check_id, f.asset.id, f.status.value, f.severity.value, f.due, f.detail)
                  for f in result.findings)


@pytest.mark.parametrize("delimiter", [";", ","])
def test_csv_with_bom_and_either_delimiter_equals_yaml(tmp_path: Path, delimiter: str) -> None:
    def cell(value: str) -> str:
        return f'"{value}"' if delimiter in value or " " in value else value

    csv_text = "\ufeff" + "\r\n".join(delimiter.join(cell(v) for v in row)
                                      for row in CSV_ROWS) + "\r\n"
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    from_csv = scan(tmp_path / "a", {"contracts.csv": csv_text})
    from_yaml = scan(tmp_path / "b", {"contracts.yaml": YAML_EQUIVALENT})
    assert comparable(from_csv) == comparable(from_yaml)
    assert not [f for f in from_csv.findings if f.status is Status.ERROR]
    facts = read_inventory(tmp_path / "a" / "contracts.csv")
    assert facts.contracts[0].static_ip_blocks == ("203.0.113.64/29", "198.51.100.0/28")
    assert facts.contracts[0].term_start == dt.date(2024, 2, 29)


def test_csv_rows_are_named_by_row_number(tmp_path: Path) -> None:
    text = "id;category;provider;term_end\nA;voice;X;2027-01-01\nB;voice;X;someday\n"
    result = scan(tmp_path, {"c.csv": text})
    errors = [f for f in result.findings if f.status is Status.ERROR]
    assert len(errors) == 1 and "c.csv row 3, column 'term_end'" in errors[0].detail


# --- report.ics ---------------------------------------------------------------------------


def test_ics_has_one_event_per_deadline_with_a_reminder(tmp_path: Path) -> None:
    result = scan(tmp_path, {"inv.yaml": yaml_file(
        contract(id="X1", term_end="2027-02-01", auto_renew=True, notice_period_days=30,
                 account_holder="<script>alert(1)</script>\nBEGIN:VEVENT"),
        contract(id="X2", term_end="2026-12-10", auto_renew=False),
    )})
    renderer = IcsRenderer()
    assert renderer.wanted(result)
    text = renderer.render(result)
    cal = icalendar.Calendar.from_ical(text)
    events = list(cal.walk("VEVENT"))
    dated = [f for f in result.findings if f.due and f.status is not Status.ERROR]
    assert len(events) == len(dated) == 2
    uids = {str(e["uid"]) for e in events}
    assert uids == {f"{f.id}@lockin-audit" for f in dated}
    starts = sorted(e.decoded("dtstart") for e in events)
    assert starts == [dt.date(2026, 12, 10), dt.date(2027, 1, 2)]
    for event in events:
        alarms = list(event.walk("VALARM"))
        assert len(alarms) == 1 and alarms[0].decoded("trigger") < dt.timedelta(0)
    assert text.count("BEGIN:VEVENT") == 2  # the planted line stayed text


def test_ics_is_skipped_without_deadlines(tmp_path: Path) -> None:
    result = scan(tmp_path, {"inv.yaml": yaml.safe_dump({"credentials": [
        {"system": "Firewall", "admin_holder": "client", "last_tested": "2026-11-01"}]})})
    assert not IcsRenderer().wanted(result)
