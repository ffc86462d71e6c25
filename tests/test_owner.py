"""The owner's view: which row a finding lands on, who holds each cell of the asset map, the
hand-over plan's order and dates, and blockers grouped per asset."""

from __future__ import annotations

import datetime as dt

from lockin_audit.model import Asset, Finding, Holder, ScanResult, Severity, Status
from lockin_audit.report.owner import (
    PHASES,
    asset_rows,
    blockers_by_asset,
    cell_state,
    family_of,
    holder_phrase,
    owner_view,
    plan,
)
from lockin_audit.scoring import readiness

TODAY = dt.date(2026, 11, 23)
ACCOUNT = "arn:aws:::account/118175369174"
SUB = "/subscriptions/5eb5c5b0-0000-4000-8000-000000000011"
TENANT = "c0ffee00-0000-4000-8000-000000000001"


def _f(control: str, asset: Asset, holder: Holder = Holder.PROVIDER,
       status: Status = Status.FAIL, severity: Severity = Severity.HIGH, title: str = "",
       due: dt.date | None = None, key: str = "") -> Finding:
    return Finding(f"chk.{control}", control, asset, holder, status, severity,
                   title or f"title of {control}", "detail", "1. step", due=due, key=key)


def _result(findings: list[Finding]) -> ScanResult:
    return ScanResult("2026-11-23T07:00:00Z", "2026-11-23T07:01:00Z",
                      {"name": "Acme Dental LLC"}, ({"name": "Bob's IT Services"},),
                      readiness(findings, []), tuple(findings), (), ())


def test_parts_of_a_thing_land_on_its_row() -> None:
    fs = [
        _f("aws.billing", Asset("aws_account", ACCOUNT, "AWS account 118175369174")),
        _f("aws.access", Asset("aws_iam_role",
                               "arn:aws:iam::118175369174:role/BobsITAdmin", "BobsITAdmin")),
        _f("aws.keys", Asset("aws_ebs_volume", "vol-fa3e5b55cb8d792b1")),  # no ARN
        _f("azure.access", Asset("azure_subscription", SUB, "Production")),
        _f("azure.managed_apps", Asset("azure_resource", SUB + "/resourceGroups/mrg-x", "mrg-x")),
        _f("m365.admins", Asset("m365_tenant", TENANT, "Acme Dental LLC")),
        _f("azure.access", Asset("entra_user", "a11ce000", "admin_bobsit#EXT#")),
        _f("domain.registration", Asset("domain", "acmedental.com")),
        _f("contract.holder", Asset("contract", "INET-001", "internet line: Metro Fiber")),
        _f("custody.admin_credentials", Asset("system", "system:firewall", "Firewall")),
        _f("network.ip_space", Asset("ip_block", "203.0.113.10/32")),
    ]
    rows = {r.label: r for r in asset_rows(fs)}
    assert [r.kind for r in asset_rows(fs)] == ["domain", "m365", "azure", "aws", "contract",
                                                 "custody", "network"]
    assert len(rows["AWS account 118175369174"].findings) == 3
    assert rows["AWS account 118175369174"].ident == "118175369174"
    assert len(rows["Production"].findings) == 2
    assert len(rows["Acme Dental LLC"].findings) == 2  # the guest user is in the tenant
    assert rows["Acme Dental LLC"].cells["admin"].state == "provider"
    assert rows["acmedental.com"].cells["registration"].state == "provider"
    assert rows["acmedental.com"].cells["mail"].state == ""  # nothing to check there
    assert rows["IP addresses"].cells["registration"].findings[0].control == "network.ip_space"


def test_cell_state_is_the_worst_holder_and_errors_are_not_checked() -> None:
    d = Asset("domain", "a.example")
    you = _f("domain.mail", d, Holder.CLIENT, Status.PASS)
    vendor = _f("domain.mail", d, Holder.THIRD_PARTY, Status.MANUAL, key="2")
    unknown = _f("domain.mail", d, Holder.UNKNOWN, Status.WARN, key="3")
    provider = _f("domain.mail", d, key="4")
    error = _f("domain.mail", d, Holder.UNKNOWN, Status.ERROR, key="5")
    assert cell_state([]) == ""
    assert cell_state([you]) == "you"
    assert cell_state([you, vendor]) == "third_party"
    assert cell_state([you, error]) == "not_checked"
    assert cell_state([error]) == "not_checked"
    assert cell_state([vendor, unknown, you]) == "unknown"
    assert cell_state([you, unknown, provider, error]) == "provider"


def test_every_built_in_control_has_a_family_and_a_phase() -> None:
    from lockin_audit.model import CONTROLS

    phased = {c for p in PHASES for c in p.controls}
    for control in CONTROLS:
        assert family_of(control) in ("registration", "dns", "mail", "web", "billing", "admin",
                                      "keys", "contract")
        assert control in phased or control.startswith("contract."), control
    assert family_of("gws.billing") == "billing" and family_of("gcp.access") == "admin"


def test_plan_order_reasons_and_dates() -> None:
    dom = Asset("domain", "acmedental.com")
    fs = [
        _f("domain.mail", dom),
        _f("domain.dns_hosting", dom),
        _f("domain.dnssec", dom),
        # the registration expires in 20 days: its step is due a week before
        _f("domain.registration", dom, Holder.UNKNOWN, severity=Severity.CRITICAL,
           due=TODAY + dt.timedelta(days=20)),
        _f("m365.admins", Asset("m365_tenant", TENANT, "Acme")),
        _f("aws.billing", Asset("aws_account", ACCOUNT)),
        _f("aws.keys", Asset("aws_kms_key", "arn:aws:kms:us-east-1:118175369174:key/k")),
        _f("contract.deadline", Asset("contract", "INET-001", "Internet line"),
           Holder.UNKNOWN, Status.WARN, due=TODAY + dt.timedelta(days=50)),
        _f("contract.holder", Asset("contract", "VOICE-001", "Phone lines")),
        _f("domain.web", dom, Holder.CLIENT, Status.PASS),  # held by you: not in the plan
        _f("aws.access", Asset("aws_account", ACCOUNT), Holder.UNKNOWN, Status.ERROR),
    ]
    rows = asset_rows(fs)
    steps = plan(_result(fs), rows, TODAY)
    # each contract takes its place by its own date: the internet line's notice (day 50,
    # so a week before) comes before the keys step; the phone lines (no date) at the end
    assert [s.key for s in steps] == ["admin", "billing", "registration", "dnssec", "dns",
                                      "mail", "contract", "keys", "contract"]
    assert all(s.reason for s in steps)
    chain = [s for s in steps if s.key != "contract"]
    by = {s.key: s.by for s in chain}
    assert by["registration"] == TODAY + dt.timedelta(days=13)  # expiry minus a week
    # the order is the point: no earlier step is due after a later one
    dates = [s.by for s in chain]
    assert dates == sorted(dates) and by["admin"] <= by["billing"] <= by["registration"]
    assert by["admin"] == TODAY + dt.timedelta(days=7)
    assert by["dnssec"] < by["dns"] < by["mail"]
    line, phones = steps[6], steps[8]
    assert line.title == "Contract: Internet line"
    assert line.by == TODAY + dt.timedelta(days=43) < by["keys"]
    assert line.hard_date == TODAY + dt.timedelta(days=50)
    assert phones.title == "Contract: Phone lines" and phones.by == by["keys"]
    assert [s.number for s in steps] == list(range(1, 10))
    # every step links to its findings; errors and passes are not steps
    planned = {f.id for s in steps for f in s.findings}
    assert planned == {f.id for f in fs if f.status in (Status.FAIL, Status.WARN)}
    assert steps[0].links[0].anchor == f"f-{fs[4].id}"


def test_an_overdue_deadline_makes_every_earlier_step_due_today() -> None:
    fs = [_f("custody.admin_credentials", Asset("system", "system:fw", "Firewall")),
          _f("domain.registration", Asset("domain", "a.example"),
             due=TODAY - dt.timedelta(days=3))]
    steps = plan(_result(fs), asset_rows(fs), TODAY)
    assert [s.by for s in steps] == [TODAY, TODAY]


def test_blockers_are_grouped_per_asset() -> None:
    sub = Asset("azure_subscription", SUB, "Production")
    fs = [_f("azure.access", sub, severity=Severity.CRITICAL, title="Provider access", key=k)
          for k in ("1", "2", "3")]
    fs.append(_f("azure.billing", sub, title="Who bills it"))
    fs.append(_f("azure.access", sub, severity=Severity.LOW, title="low", key="4"))
    fs.append(_f("domain.mail", Asset("domain", "a.example"), title="Mail"))
    blockers = blockers_by_asset(asset_rows(fs))
    assert [b.row.label for b in blockers] == ["Production", "a.example"]
    assert [(t, n) for t, n, _ in blockers[0].titles] == [("Provider access", 3),
                                                          ("Who bills it", 1)]


def test_holders_in_plain_words() -> None:
    r = _result([])
    assert holder_phrase(Holder.PROVIDER, r) == "Your provider, Bob's IT Services"
    assert holder_phrase("client", r) == "You (Acme Dental LLC)"
    assert holder_phrase(Holder.UNKNOWN, r) == "Someone not yet identified"
    view = owner_view(r, TODAY)
    assert view.rows == [] and view.plan == [] and view.blockers == []
    assert ("provider", "✗", "Provider", "your provider, Bob's IT Services, holds it") \
        in view.legend
