"""Intune (control devices.mdm) against the local Microsoft cloud: the Apple push
certificate, Apple enrollment and VPP tokens and the Android Enterprise binding, in the
shapes Graph documents (v1.0 where Microsoft publishes them, beta where only beta has
them), read through the real azure-identity sign-in and the engine."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from lockin_audit import registry
from lockin_audit.check import CheckContext
from lockin_audit.config import config_from_mapping
from lockin_audit.demo import graph_routes
from lockin_audit.demo.arm_routes import demo_data
from lockin_audit.demo.azure_server import MicrosoftCloud
from lockin_audit.engine import Scanner
from lockin_audit.facts import Fetched, FetchError, fact_from_json, fact_to_json
from lockin_audit.identity import Identity
from lockin_audit.model import Asset, Finding, Holder, ScanResult, Severity, Status, utc_now
from lockin_audit.report.interface import write_reports
from lockin_audit.report.owner import owner_view
from lockin_audit.scoring import scored
from lockin_audit.sources.interface import Target
from lockin_audit.sources.intune import DeviceBinding, IntuneFacts
from tests.hooks import hooks, watch_graph

SECRET = "intune-test-secret-7c1d"
CLIENT_TENANT = graph_routes.CLIENT_TENANT
CHECK = "devices.mdm.apple-android-bindings"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MicrosoftCloud]:
    cloud = MicrosoftCloud(demo_data(), secret=SECRET, workdir=tmp_path_factory.mktemp("ms"))
    watch_graph(cloud)
    yield cloud
    cloud.stop()


@pytest.fixture(autouse=True)
def azure_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AZURE_CLIENT_ID", "11111111-2222-4333-8444-555555555555")
    monkeypatch.setenv("AZURE_CLIENT_SECRET", SECRET)
    monkeypatch.setenv("AZURE_TENANT_ID", CLIENT_TENANT)
    for var in ("AZURE_CLIENT_CERTIFICATE_PATH", "AZURE_USERNAME", "AZURE_AUTHORITY_HOST"):
        monkeypatch.delenv(var, raising=False)


def scan(server: MicrosoftCloud, tmp_path: Path, scenario: str = "") -> ScanResult:
    endpoint = server.url + (f"/scenario/{scenario}" if scenario else "")
    config = config_from_mapping({
        "client": {"name": "Acme Dental LLC", "domains": ["acmedental.com"],
                   "azure_tenant_ids": [CLIENT_TENANT]},
        "provider": {"name": "Bob's IT Services", "aliases": ["BITS"],
                     "domains": ["bobsit.example"],
                     "azure_tenant_ids": [graph_routes.PROVIDER_TENANT]},
        "scan": {"azure": [{"tenant_id": CLIENT_TENANT, "graph_endpoint": endpoint,
                            "authority_host": server.url, "ca_bundle": server.ca_path,
                            "credential": "environment"}],
                 "limits": {"timeout_s": 10, "max_retry_after_s": 3,
                            "per_host_rate": 500, "per_host_burst": 100}},
    }, tmp_path / "audit.yaml")
    checks = registry.select(registry.all_checks(), areas=["devices"])
    assert CHECK in {c.id for c in checks}
    return asyncio.run(Scanner(config, checks).run())


def findings(result: ScanResult) -> dict[str, list[Finding]]:
    out: dict[str, list[Finding]] = {}
    for f in result.findings:
        if f.check_id == CHECK:
            out.setdefault(f.asset.type.removeprefix("intune_"), []).append(f)
    return out


def requested(server: MicrosoftCloud, fragment: str) -> list[str]:
    return [p for _, p, _ in hooks(server).log if fragment in p]


def test_apns_certificate_under_the_providers_apple_id_is_a_dated_plan_step(
        server: MicrosoftCloud, tmp_path: Path) -> None:
    """The push certificate was created with the provider's Apple ID and expires in 40
    days: a critical fail due on its expiry, in the plan as a dated step, in report.ics
    as a calendar event, and in the letter as the ask to transfer or re-create it."""
    result = scan(server, tmp_path)
    by_kind = findings(result)
    [apns] = by_kind["apple_push_certificate"]
    today = utc_now().date()
    expiry = today + dt.timedelta(days=40)
    assert (apns.status, apns.holder, apns.severity) == (
        Status.FAIL, Holder.PROVIDER, Severity.CRITICAL)
    assert apns.due == expiry
    assert "Apple ID mdm@bobsit.example" in apns.detail
    assert f"expires on {expiry.isoformat()} (in 40 days)" in apns.detail
    assert "re-enrolled" in apns.detail

    # the plan: the step holding it is dated by it (a week's margin before the expiry)
    view = owner_view(scored(result), today)
    [step] = [s for s in view.plan if apns in s.findings]
    assert step.hard_date == expiry and step.by <= expiry - dt.timedelta(days=7)
    out = tmp_path / "out"
    write_reports(result, out, ["json", "md"])
    ics = (out / "report.ics").read_text().replace("\r\n ", "").replace("\n ", "")
    assert f"DTSTART;VALUE=DATE:{expiry.strftime('%Y%m%d')}" in ics
    assert "mdm@bobsit.example" in ics
    letter = (out / "letter.md").read_text()
    assert "Transfer or re-create under our Apple ID" in letter
    assert "re-enrolled by hand" in letter
    # key material is never asked for: $select names the properties, and nothing of the
    # certificate or the VPP token reaches an output
    for path in out.iterdir():
        text = path.read_text(errors="replace")
        assert "MIIDemoSecret" not in text and "VPP-SECRET-TOKEN" not in text


def test_tokens_and_android_binding_by_their_accounts(server: MicrosoftCloud,
                                                      tmp_path: Path) -> None:
    result = scan(server, tmp_path)
    by_kind = findings(result)
    tokens = by_kind["apple_enrollment_token"]
    dep = {f.asset.name: f for f in tokens if f.asset.name is not None}
    assert len(dep) == len(tokens) == 3  # three named tokens, two pages of depOnboardingSettings
    own = dep["Apple Business Manager enrollment token (automated device enrollment) "
              "'Acme ABM'"]
    assert own.status is Status.PASS and own.due is None  # the business's, not due soon
    bits = next(f for n, f in dep.items() if "BITS DEP" in n)
    assert bits.status is Status.FAIL and "17 device(s) synced" in bits.detail
    legacy = next(f for n, f in dep.items() if "Legacy token" in n)
    # appleIdentifier is optional: absent, whose it is cannot be told
    assert (legacy.status, legacy.holder) == (Status.WARN, Holder.UNKNOWN)
    assert "names no account" in legacy.detail
    [vpp] = by_kind["apple_vpp_token"]
    assert vpp.status is Status.FAIL and "apps@bobsit.example" in vpp.detail
    [android] = by_kind["android_enterprise"]
    assert android.status is Status.FAIL
    assert "home address is admin@bobsit.example" in android.detail
    # v1.0 where Microsoft publishes the resource, beta where only beta has it
    assert requested(server, "/v1.0/deviceManagement/applePushNotificationCertificate?")
    assert requested(server, "/v1.0/deviceAppManagement/vppTokens?")
    assert requested(server, "/beta/deviceManagement/depOnboardingSettings?")
    assert requested(server, "/beta/deviceManagement/androidManagedStoreAccountEnterprise")
    assert all("%24select=" in p or "$select=" in p
               for p in requested(server, "/deviceManagement/") +
               requested(server, "/deviceAppManagement/"))


def test_nothing_bound_passes_with_its_scope(server: MicrosoftCloud, tmp_path: Path) -> None:
    result = scan(server, tmp_path, "clean")
    found = [f for f in result.findings if f.check_id == CHECK]
    assert {f.status for f in found} == {Status.PASS}
    assert len(found) == 4
    apns = next(f for f in found if f.key == "apple_push_certificate:none")
    assert "HTTP 404" in apns.detail and "push certificate" in apns.detail
    android = next(f for f in found if f.key == "android_enterprise:none")
    assert "not bound" in android.detail


def test_doctor_names_each_reader_and_its_permission(server: MicrosoftCloud,
                                                     tmp_path: Path) -> None:
    """`lockin-audit doctor` tries every reader: readable ones name the permission that
    sufficed, denied ones the permission Microsoft documents for the read."""
    from lockin_audit.doctor import run_doctor

    def doctor(scenario: str) -> list[tuple[str, bool, str]]:
        endpoint = f"{server.url}/scenario/{scenario}"
        config = config_from_mapping({
            "client": {"name": "Acme Dental LLC"}, "provider": {"name": "Bob's IT Services"},
            "scan": {"azure": [{"tenant_id": CLIENT_TENANT, "graph_endpoint": endpoint,
                                "authority_host": server.url, "ca_bundle": server.ca_path,
                                "credential": "environment"}]}}, tmp_path / "audit.yaml")
        return [(what, ok, detail) for area, what, ok, detail
                in asyncio.run(run_doctor(config)) if area == "devices" and "Intune" in what]

    clean = doctor("clean")
    assert len(clean) == 4 and all(ok for _, ok, _ in clean), clean
    assert any("apple vpp tokens" in what and "DeviceManagementApps.Read.All" in detail
               for what, _, detail in clean)
    denied = doctor("denied")
    assert len(denied) == 4 and not any(ok for _, ok, _ in denied), denied
    assert any("android enterprise" in what and "DeviceManagementConfiguration.Read.All"
               in detail for what, _, detail in denied)


def test_denied_reads_are_errors_naming_the_permission(server: MicrosoftCloud,
                                                       tmp_path: Path) -> None:
    result = scan(server, tmp_path, "denied")
    found = [f for f in result.findings if f.check_id == CHECK]
    assert {f.status for f in found} == {Status.ERROR}
    text = " ".join(f.detail for f in found)
    for permission in ("DeviceManagementServiceConfig.Read.All",
                       "DeviceManagementApps.Read.All",
                       "DeviceManagementConfiguration.Read.All"):
        assert permission in text


# ---------------------------------------------------------------------------------------
# the check from fact snapshots (no server): typed facts, round-tripped through the codec


TODAY = dt.date(2026, 12, 6)


Bindings = Fetched[tuple[DeviceBinding, ...]]


def _facts(*, apple_push_certificate: list[DeviceBinding] | Bindings | None = None,
           apple_enrollment_tokens: list[DeviceBinding] | Bindings | None = None,
           apple_vpp_tokens: list[DeviceBinding] | Bindings | None = None,
           android_enterprise: list[DeviceBinding] | Bindings | None = None) -> IntuneFacts:
    """Each kind: the bindings read (a list), a given read (a Fetched, e.g. a failure), or
    by default nothing read (the APNs certificate and Android binding with Graph's note)."""
    def fetched(given: list[DeviceBinding] | Bindings | None,
                note: str | None = None) -> Bindings:
        if isinstance(given, Fetched):
            return given
        return Fetched("graph", "GET https://graph.example/v1.0/x", tuple(given or ()),
                       "2026-12-06T00:00:00Z", note=None if given is not None else note)

    facts = IntuneFacts(
        tenant_id=CLIENT_TENANT, endpoint="https://graph.example",
        apple_push_certificate=fetched(apple_push_certificate, note="none set up (HTTP 404)"),
        apple_enrollment_tokens=fetched(apple_enrollment_tokens),
        apple_vpp_tokens=fetched(apple_vpp_tokens),
        android_enterprise=fetched(android_enterprise, note="not bound"))
    # the snapshot codec (lockin-audit judge) gives the same facts back
    again = fact_from_json(json.loads(json.dumps(fact_to_json(facts))))
    assert isinstance(again, IntuneFacts) and again == facts
    return again


def _run(facts: IntuneFacts) -> list[Finding]:
    check = next(c for c in registry.all_checks() if c.id == CHECK)
    identity = Identity.from_mappings(
        {"name": "Acme Dental LLC", "domains": ["acmedental.com"]},
        [{"name": "Bob's IT Services", "domains": ["bobsit.example"]}])
    target = Target("intune", "devices", CLIENT_TENANT, "t", Asset("m365_tenant", CLIENT_TENANT))
    ctx = CheckContext(check.meta, target, identity, TODAY, {})
    return check.run(facts, ctx)


def _apns(account: str | None, days: int) -> DeviceBinding:
    when = dt.datetime.combine(TODAY + dt.timedelta(days=days), dt.time(9), dt.UTC)
    return DeviceBinding("apple_push_certificate", "apns", account, when,
                         excerpt={"appleIdentifier": account, "expirationDateTime": when.isoformat()})


def test_snapshot_provider_apple_id_is_due_on_expiry() -> None:
    found = _run(_facts(apple_push_certificate=[_apns("mdm@bobsit.example", 40)]))
    [apns] = [f for f in found if f.asset.type == "intune_apple_push_certificate"]
    assert (apns.status, apns.due) == (Status.FAIL, TODAY + dt.timedelta(days=40))
    assert "before 2027-01-15" in apns.detail
    # the three other kinds: nothing set up, a pass naming what was read
    assert sorted(f.key for f in found if f.status is Status.PASS) == [
        "android_enterprise:none", "apple_enrollment_token:none", "apple_vpp_token:none"]


def test_snapshot_own_certificate_expiring_soon_warns_personal_apple_id_warns() -> None:
    [own] = [f for f in _run(_facts(apple_push_certificate=[_apns("it@acmedental.com", 10)]))
             if f.asset.type.startswith("intune_")]
    assert (own.status, own.holder, own.due) == (
        Status.WARN, Holder.CLIENT, TODAY + dt.timedelta(days=10))
    [personal] = [f for f in _run(_facts(apple_push_certificate=[
        _apns("someone@icloud.com", 200)])) if f.asset.type.startswith("intune_")]
    assert (personal.status, personal.holder) == (Status.WARN, Holder.UNKNOWN)


def test_snapshot_failed_read_is_an_error_never_a_pass() -> None:
    denied = FetchError("intune", "GET https://graph.example/v1.0/deviceAppManagement/"
                        "vppTokens", "HTTP 403 Forbidden", kind="denied",
                        permission="DeviceManagementApps.Read.All")
    found = _run(_facts(apple_vpp_tokens=Fetched.failure(denied)))
    [error] = [f for f in found if f.key == "apple_vpp_token:unreadable"]
    assert error.status is Status.ERROR and "DeviceManagementApps.Read.All" in error.detail
    assert not [f for f in found if f.key == "apple_vpp_token:none"]
