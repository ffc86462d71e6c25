"""The demo's inventory: Acme Dental's contracts, admin logins and backups.

Written as files into the demo folder (a YAML inventory and a CSV contracts export, the
two forms an owner would keep), with dates computed from today so the deadlines always
fall where the demo needs them: the internet line's notice deadline about 45 days out,
the phone contract's already passed.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import yaml

from lockin_audit.demo import DemoPart
from lockin_audit.sources.inventory import add_months


def _term_start_for_deadline(today: dt.date, months: int, notice_days: int,
                             deadline_in_days: int) -> dt.date:
    end = today + dt.timedelta(days=deadline_in_days + notice_days)
    return add_months(end, -months)


def inventory(today: dt.date) -> dict[str, object]:
    line_start = _term_start_for_deadline(today, 36, 90, 45)
    return {
        "contracts": [
            {
                "id": "INET-001", "category": "internet_line", "provider": "Metro Fiber Co",
                "account_number": "MF-448812", "account_holder": "Bob's IT Services",
                "billed_to": "Bob's IT Services", "contracted_via": "provider",
                "circuit_id": "MFC/ETH/100M/77812", "site": "Main St practice",
                "term_start": line_start.isoformat(), "term_months": 36, "auto_renew": True,
                "renewal_term_months": 12, "notice_period_days": 90,
                "notice_method": "written notice by registered post",
                "early_termination_fee": {"type": "remaining_months_x_mrc", "mrc": 450,
                                          "currency": "USD"},
                "static_ip_blocks": ["203.0.113.64/29"],
                "evidence": ["invoices/metro-fiber-2026-10.pdf"],
            },
            {
                "id": "MSP-001", "category": "msp_agreement", "provider": "Bob's IT Services",
                "account_holder": "Acme Dental LLC", "billed_to": "Acme Dental LLC",
                "contracted_via": "client",
                "term_start": add_months(today, -30).isoformat(), "term_months": 12,
                "auto_renew": True, "renewal_term_months": 12, "notice_period_days": 60,
                "notice_method": "email to contracts@bobsit.example",
                "early_termination_fee": {"type": "fixed", "amount": 2500, "currency": "USD"},
            },
        ],
        "credentials": [
            {"system": "Firewall (FortiGate 60F)", "admin_holder": "provider"},
            {"system": "Registrar account (GoDaddy)", "admin_holder": "provider"},
            {"system": "Practice management server", "admin_holder": "both",
             "last_tested": (today - dt.timedelta(days=500)).isoformat()},
            {"system": "Wi-Fi controller", "admin_holder": "client",
             "last_tested": (today - dt.timedelta(days=40)).isoformat()},
        ],
        "backups": [
            {"name": "Nightly server backup", "location": "Backblaze B2 (provider account)",
             "key_holder": "provider", "retention_after_cancel_days": 30},
            {"name": "Imaging archive", "location": "NAS in the server room",
             "key_holder": "client"},
        ],
    }


def contracts_csv(today: dt.date) -> str:
    """The phone contract as a spreadsheet export: semicolons and a BOM, as Excel writes."""
    start = add_months(today, -26)
    rows = [
        "id;category;provider;account_holder;billed_to;contracted_via;term_start;"
        "term_months;auto_renew;renewal_term_months;notice_period_days;notice_method;"
        "early_termination_fee;phone_numbers",
        f"VOICE-001;voice;Lakeside Telecom;Bobs IT Services Ltd;Acme Dental LLC;broker;"
        f"{start.strftime('%d/%m/%Y')};24;yes;12;30;portal;fixed 900 USD;"
        "+1 555 0100 111=provider | +1 555 0100 112=provider",
        f"SAAS-001;saas;Dentrix Ascend;Acme Dental;Acme Dental;client;"
        f"{add_months(today, -5).isoformat()};12;yes;12;30;email;;",
    ]
    return "\ufeff" + "\r\n".join(rows) + "\r\n"


def start(workdir: Path) -> DemoPart:
    today = dt.date.today()
    folder = workdir / "inventory"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "inventory.yaml").write_text(
        "# Acme Dental's inventory (demo). Format: docs/inventory.md\n"
        + yaml.safe_dump(inventory(today), sort_keys=False), encoding="utf-8")
    (folder / "contracts.csv").write_text(contracts_csv(today), encoding="utf-8",
                                          newline="")
    return DemoPart(scan={"inventory": [str(folder / "inventory.yaml"),
                                        str(folder / "contracts.csv")]})
