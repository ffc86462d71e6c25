"""The Graph source and the m365 checks against the local Microsoft cloud of the demo
(lockin_audit.demo.azure_server: HTTPS identity platform driven by the real
azure-identity/MSAL, and the demo tenant's Graph routes), with paging, 403, 429, 5xx and
malformed answers."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from lockin_audit import registry
from lockin_audit.config import config_from_mapping
from lockin_audit.demo import graph_routes
from lockin_audit.demo.arm_routes import demo_data
from lockin_audit.demo.azure_server import MicrosoftCloud
from lockin_audit.engine import Scanner
from lockin_audit.model import Finding, ScanResult, Severity, Status
from lockin_audit.report.json_format import load_schema
from lockin_audit.scoring import scored
from lockin_audit.sources.graph import guest_email_from_upn
from tests.hooks import hooks, watch_graph

SECRET = "s3cret-client-value"  # the only client secret the token endpoint accepts
CLIENT_TENANT = graph_routes.CLIENT_TENANT
PROVIDER_TENANT = graph_routes.PROVIDER_TENANT


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MicrosoftCloud]:
    cloud = MicrosoftCloud(demo_data(), secret=SECRET, workdir=tmp_path_factory.mktemp("ms"))
    watch_graph(cloud)
    yield cloud
    cloud.stop()


def paths(server: MicrosoftCloud, fragment: str) -> list[str]:
    return [p for _, p, _ in hooks(server).log if fragment in p]


@pytest.fixture(autouse=True)
def azure_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AZURE_CLIENT_ID", "11111111-2222-4333-8444-555555555555")
    monkeypatch.setenv("AZURE_CLIENT_SECRET", SECRET)
    monkeypatch.setenv("AZURE_TENANT_ID", CLIENT_TENANT)
    for var in ("AZURE_CLIENT_CERTIFICATE_PATH", "AZURE_USERNAME", "AZURE_AUTHORITY_HOST"):
        monkeypatch.delenv(var, raising=False)


def scan(server: MicrosoftCloud, tmp_path: Path, scenario: str = "",
         credential: str = "environment", **target: str) -> ScanResult:
    endpoint = target.pop("graph_endpoint", server.url + (f"/scenario/{scenario}"
                                                          if scenario else ""))
    config = config_from_mapping({
        "client": {"name": "Acme Dental LLC", "domains": ["acmedental.com"],
                   "azure_tenant_ids": [CLIENT_TENANT]},
        "provider": {"name": "Bob's IT Services", "aliases": ["BITS"],
                     "domains": ["bobsit.example"],
                     "azure_tenant_ids": [PROVIDER_TENANT], "partner_ids": ["1234567"]},
        "scan": {"azure": [{"tenant_id": CLIENT_TENANT, "graph_endpoint": endpoint,
                            "authority_host": server.url, "ca_bundle": server.ca_path,
                            "credential": credential, **target}],
                 "limits": {"timeout_s": 10, "max_retry_after_s": 5,
                            "per_host_rate": 500, "per_host_burst": 100}},
    }, tmp_path / "audit.yaml")
    checks = [c for c in registry.select(registry.all_checks(), areas=["m365", "azure"])
              if c.meta.source == "graph"]
    assert {c.meta.control for c in checks} >= {
        "m365.admins", "m365.partner", "m365.apps", "m365.contacts", "m365.domains",
        "azure.access"}
    return asyncio.run(Scanner(config, checks).run())


def by_check(result: ScanResult, check_id: str) -> list[Finding]:
    return [f for f in result.findings if f.check_id == check_id]


def one(result: ScanResult, check_id: str, asset_id: str, key: str | None = None) -> Finding:
    found = [f for f in by_check(result, check_id)
             if f.asset.id == asset_id and (key is None or f.key == key)]
    assert len(found) == 1, (check_id, asset_id, [f.to_dict() for f in by_check(result,
                                                                                   check_id)])
    return found[0]


def test_guest_email_from_upn() -> None:
    assert guest_email_from_upn("jo.doe_bobsit.example#EXT#@acme.onmicrosoft.com") == \
        "jo.doe@bobsit.example"
    assert guest_email_from_upn("a_b_c.example#EXT#@x.onmicrosoft.com") == "a_b@c.example"
    assert guest_email_from_upn("plain@acme.com") is None


def test_demo_tenant_end_to_end(server: MicrosoftCloud, tmp_path: Path,
                                caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    result = scan(server, tmp_path)
    data = scored(result).to_dict()
    jsonschema.Draft202012Validator(load_schema()).validate(data)
    assert [c.assessed for c in result.coverage] == [True]

    # The business's break-glass account on its own onmicrosoft.com domain is its own
    # Global Administrator, so the tenant has one...
    summary = one(result, "m365.admins.global_admins", CLIENT_TENANT, "summary")
    assert (summary.status, summary.holder.value) == (Status.PASS, "client")
    breakglass = one(result, "m365.admins.global_admins", graph_routes.BREAKGLASS_ID)
    assert breakglass.status is Status.PASS and "initial domain" in breakglass.detail
    # ...the provider's guest, eligible guest and alias-named member account fail.
    admin = one(result, "m365.admins.global_admins", graph_routes.PROVIDER_ADMIN_ID)
    assert admin.status is Status.FAIL and admin.key == "active"
    assert "admin@bobsit.example" in admin.detail
    eligible = one(result, "m365.admins.global_admins", graph_routes.PROVIDER_HELPDESK_ID)
    assert eligible.status is Status.FAIL and eligible.key == "eligible"
    member = one(result, "m365.admins.global_admins", graph_routes.BITS_MEMBER_ID)
    assert (member.status, member.severity) == (Status.FAIL, Severity.CRITICAL)
    assert "a member account" in member.detail and "BITS" in member.detail
    # The other privileged roles: a provider guest from the provider's own
    # onmicrosoft.com tenant holding Privileged Role Administrator fails critical; a
    # deleted object holding Exchange Administrator warns; the business's own User
    # Administrator is not listed.
    pra = one(result, "m365.admins.privileged_roles", graph_routes.PROVIDER_TECH_ID,
              "Privileged Role Administrator:active")
    assert (pra.status, pra.severity) == (Status.FAIL, Severity.CRITICAL)
    assert "Privileged Role Administrator" in pra.detail and "guest" in pra.detail
    deleted = one(result, "m365.admins.privileged_roles", graph_routes.DELETED_ID)
    assert deleted.status is Status.WARN and "could not be read" in deleted.detail
    assert not [f for f in by_check(result, "m365.admins.privileged_roles")
                if f.asset.id == graph_routes.CLIENT_ADMIN_ID]
    # one request per privileged role
    assert len(paths(server, "/roleManagement/directory/roleAssignments")) >= 13
    # the first partners read was throttled (429 + Retry-After: 1) and asked again
    assert len(paths(server, "/v1.0/policies/crossTenantAccessPolicy/partners")) >= 2

    partner = one(result, "m365.partner.relationships", PROVIDER_TENANT)
    assert partner.status is Status.FAIL and "Bob's IT Services" in partner.detail
    # the customer-side signals of that partner: its apps and its people in the directory
    assert "2 app(s) registered in it" in partner.detail
    assert "2 guest account(s) from bobsit.example" in partner.detail
    manual = one(result, "m365.partner.relationships", CLIENT_TENANT, "gdap")
    assert manual.status is Status.MANUAL and "Partner relationships" in manual.remediation

    rmm = one(result, "m365.apps.provider_apps", graph_routes.RMM_SP_ID)
    assert (rmm.status, rmm.severity) == (Status.FAIL, Severity.CRITICAL)
    helpdesk = one(result, "m365.apps.provider_apps", graph_routes.HELPDESK_APP_SP_ID)
    assert (helpdesk.status, helpdesk.severity) == (Status.FAIL, Severity.CRITICAL)
    assert "Directory.ReadWrite.All on Microsoft Graph for every user" in helpdesk.detail
    assert "Directory.ReadWrite.All" in rmm.detail  # app role id resolved to its name
    vendor = one(result, "m365.apps.provider_apps", graph_routes.VENDOR_SP_ID)
    assert vendor.status is Status.WARN and "User.Read" in vendor.detail
    assert not [f for f in by_check(result, "m365.apps.provider_apps")
                if f.asset.id in (graph_routes.GRAPH_SP_ID, graph_routes.CLIENT_APP_SP_ID)]

    guests = {f.asset.id: f for f in by_check(result, "azure.access.provider_guests")}
    assert set(guests) == {graph_routes.PROVIDER_ADMIN_ID, graph_routes.PROVIDER_HELPDESK_ID,
                           graph_routes.PROVIDER_TECH_ID}
    assert all(f.control == "azure.access" and f.status is Status.FAIL
               for f in guests.values())
    # Three guests in pages of two: the second page was fetched through @odata.nextLink.
    assert any("skiptoken" in p for p in paths(server, "/users"))

    contacts = {f.key: f for f in by_check(result, "m365.contacts.notifications")}
    assert contacts["technical:alerts@bobsit.example"].status is Status.FAIL
    assert contacts["security and compliance:it@acmedental.com"].status is Status.PASS
    assert contacts["privacy:privacy@bobsit.example"].status is Status.FAIL

    fed = one(result, "m365.domains.verification_federation", "acmedental.com")
    assert (fed.status, fed.severity) == (Status.FAIL, Severity.CRITICAL)
    assert "sts.bobsit.example" in fed.detail
    assert one(result, "m365.domains.verification_federation",
               "acmesmiles.com").status is Status.WARN
    assert one(result, "m365.domains.verification_federation",
               "acme-dental.net").status is Status.PASS
    # isVerified absent: unknown, not "not verified"
    unknown = one(result, "m365.domains.verification_federation", "acme-dental.org")
    assert unknown.status is Status.MANUAL and "did not say" in unknown.detail
    assert all(f.evidence and f.evidence[0].source == "graph" for f in result.findings
               if f.status is not Status.MANUAL)

    # The bearer token went only to this server, and appears in no output or log.
    graph_calls = [h for _, p, h in hooks(server).log if "/v1.0/" in p]
    assert graph_calls and all(h.get("Authorization") == f"Bearer {server.token}"
                               for h in graph_calls)
    text = json.dumps(data)
    assert server.token not in text and SECRET not in text
    assert server.token not in caplog.text and SECRET not in caplog.text


def test_client_held_tenant_passes(server: MicrosoftCloud, tmp_path: Path,
                                   monkeypatch: pytest.MonkeyPatch) -> None:
    # The app registration is named in the audit file; only its secret is in the env.
    monkeypatch.delenv("AZURE_CLIENT_ID")
    result = scan(server, tmp_path, "clean", credential="default",
                  client_id="99999999-2222-4333-8444-555555555555")
    assert [c.assessed for c in result.coverage] == [True]
    statuses: dict[str, set[Status]] = {f.check_id: set() for f in result.findings}
    for f in result.findings:
        statuses[f.check_id].add(f.status)
    assert statuses["m365.admins.global_admins"] == {Status.PASS}
    assert statuses["m365.apps.provider_apps"] == {Status.PASS}
    assert statuses["azure.access.provider_guests"] == {Status.PASS}
    assert statuses["m365.contacts.notifications"] == {Status.PASS}
    assert statuses["m365.domains.verification_federation"] == {Status.PASS, Status.WARN}
    assert statuses["m365.partner.relationships"] == {Status.PASS, Status.MANUAL}
    assert not result.findings_by_status(Status.FAIL, Status.ERROR)


def test_permission_denied_names_the_permission(server: MicrosoftCloud,
                                                tmp_path: Path) -> None:
    result = scan(server, tmp_path, "denied")
    errors = result.findings_by_status(Status.ERROR)
    wanted = {
        "m365.admins.global_admins": "RoleManagement.Read.Directory",
        "m365.partner.relationships": "Policy.Read.All",
        "m365.apps.provider_apps": "Directory.Read.All",
        "azure.access.provider_guests": "Directory.Read.All",
        "m365.domains.verification_federation": "Domain.Read.All",
    }
    for check_id, permission in wanted.items():
        found = [f for f in errors if f.check_id == check_id]
        assert found, check_id
        if check_id == "m365.admins.global_admins":
            # the PIM-eligible roles read names its own least-privileged permission
            eligible = [f for f in found if f.key == "eligible-unreadable"]
            assert len(eligible) == 1 and "RoleEligibilitySchedule.Read.Directory" in \
                eligible[0].detail
            found = [f for f in found if f not in eligible]
        assert all(permission in f.detail and "Authorization_RequestDenied" in f.detail
                   for f in found), [f.detail for f in found]
        excerpt = found[0].evidence[0].excerpt
        assert isinstance(excerpt, dict) and excerpt["missing_permission"] == permission
    assert not [f for f in result.findings_by_status(Status.PASS, Status.FAIL)
                if f.check_id != "m365.contacts.notifications"]
    # /organization answered: the contacts check still assessed the notification emails.
    assert {f.status for f in by_check(result, "m365.contacts.notifications")} == {
        Status.FAIL, Status.PASS}


def test_throttling_beyond_retries_is_an_error(server: MicrosoftCloud,
                                               tmp_path: Path) -> None:
    before = len(paths(server, "/scenario/throttled/v1.0/users?"))
    result = scan(server, tmp_path, "throttled")
    guests = by_check(result, "azure.access.provider_guests")
    assert [f.status for f in guests] == [Status.ERROR]
    assert "throttled" in guests[0].detail and "TooManyRequests" in guests[0].detail
    assert len(paths(server, "/scenario/throttled/v1.0/users?")) - before == 4  # 1 + 3 retries
    assert one(result, "m365.admins.global_admins", graph_routes.PROVIDER_ADMIN_ID
               ).status is Status.FAIL


def test_principals_resolved_by_id_when_not_expanded(server: MicrosoftCloud,
                                                     tmp_path: Path) -> None:
    result = scan(server, tmp_path, "noexpand")
    admin = one(result, "m365.admins.global_admins", graph_routes.PROVIDER_ADMIN_ID)
    assert admin.status is Status.FAIL and "admin@bobsit.example" in admin.detail
    posts = [p for m, p, _ in hooks(server).log if m == "POST" and "/v1.0/" in p]
    assert posts and all(p.endswith("/directoryObjects/getByIds") for p in posts)


def test_server_errors_after_backoff_are_errors(server: MicrosoftCloud,
                                               tmp_path: Path) -> None:
    result = scan(server, tmp_path, "unavailable")
    domains = by_check(result, "m365.domains.verification_federation")
    assert [f.status for f in domains] == [Status.ERROR]
    assert "HTTP 503 ServiceUnavailable" in domains[0].detail
    excerpt = domains[0].evidence[0].excerpt
    assert isinstance(excerpt, dict) and excerpt["kind"] == "unavailable"
    assert len(paths(server, "/scenario/unavailable/v1.0/domains")) == 4  # 1 + 3 retries


def test_malformed_answers_are_errors(server: MicrosoftCloud, tmp_path: Path) -> None:
    result = scan(server, tmp_path, "malformed")
    def details(check_id: str) -> list[str]:
        found = by_check(result, check_id)
        # (the eligible holders were read fine and are still judged)
        assert found and all(f.status is Status.ERROR for f in found
                             if f.key not in ("gdap", "eligible")), [f.to_dict() for f in found]
        return [f.detail for f in found]

    assert "not JSON" in details("m365.domains.verification_federation")[0]
    assert "'value' list" in details("azure.access.provider_guests")[0]
    assert "another host" in details("m365.partner.relationships")[0]
    assert "does not end" in details("m365.apps.provider_apps")[0]
    assert any("unexpected answer shape" in d for d in details("m365.admins.global_admins"))
    assert not [p for _, p, _ in hooks(server).log if "steal" in p]


def test_token_failure_fails_the_tenant_without_leaking(server: MicrosoftCloud,
                                                        tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AZURE_CLIENT_SECRET", "wrong-secret-value")
    result = scan(server, tmp_path)
    assert [c.assessed for c in result.coverage] == [False]
    assert "cannot get a Graph token" in (result.coverage[0].reason or "")
    assert result.findings and all(f.status is Status.ERROR for f in result.findings)
    assert "wrong-secret-value" not in json.dumps(result.to_dict())


def _config(server: MicrosoftCloud, tmp_path: Path, scenario: str = "") -> Any:
    return config_from_mapping({
        "client": {"name": "Acme Dental LLC"},
        "provider": {"name": "Bob's IT Services", "domains": ["bobsit.example"]},
        "scan": {"azure": [{"graph_endpoint": server.url + scenario,
                            "authority_host": server.url, "ca_bundle": server.ca_path,
                            "credential": "environment"}]},
    }, tmp_path / "audit.yaml")


def test_doctor_names_what_cannot_be_read(server: MicrosoftCloud, tmp_path: Path) -> None:
    from lockin_audit.doctor import run_doctor

    ok = [line for line in asyncio.run(run_doctor(_config(server, tmp_path)))
          if line[0] == "m365"]
    assert len(ok) == 7 and all(line[2] for line in ok), ok
    denied = {line[1].rpartition(": ")[2]: line for line in asyncio.run(
        run_doctor(_config(server, tmp_path, "/scenario/denied"))) if line[0] == "m365"}
    assert denied["organization"][2] is True
    assert denied["domains"][2] is False and "Domain.Read.All" in denied["domains"][3]
    assert "Policy.Read.All" in denied["cross-tenant access partners"][3]
    assert "Policy.Read.All" in denied["Conditional Access policies"][3]


def test_tenant_learned_from_organization(server: MicrosoftCloud, tmp_path: Path) -> None:
    """Without tenant_id in the audit file the tenant comes from /organization, and the
    client's own app is still not reported as foreign."""
    config = _config(server, tmp_path)
    checks = [c for c in registry.all_checks() if c.meta.source == "graph"]
    result = asyncio.run(Scanner(config, checks).run())
    apps = {f.asset.id for f in by_check(result, "m365.apps.provider_apps")}
    assert graph_routes.RMM_SP_ID in apps and graph_routes.CLIENT_APP_SP_ID not in apps
    assert {f.asset.id for f in by_check(result, "m365.contacts.notifications")} == {
        CLIENT_TENANT}
    # it@acmedental.com is the client's: acmedental.com is verified in its own tenant.
    security = [f for f in by_check(result, "m365.contacts.notifications")
                if f.key.startswith("security")]
    assert [f.status for f in security] == [Status.PASS]
    assert "verified domain of the business's own tenant" in security[0].detail


def test_routes_shapes_and_auth() -> None:
    guests = {"$filter": ["userType eq 'Guest'"]}
    assert graph_routes.handle("GET", "/subscriptions", {}, {}) is None  # ARM, not Graph
    status, _, body = graph_routes.handle("GET", "/v1.0/users", guests, {}) or (0, {}, b"")
    assert status == 401 and json.loads(body)["error"]["code"] == "InvalidAuthenticationToken"
    auth = {"Authorization": "Bearer x"}
    status, headers, body = graph_routes.handle("GET", "/v1.0/users", guests, auth) or (
        0, {}, b"")
    page = json.loads(body)
    assert status == 200 and headers["Content-Type"].startswith("application/json")
    assert len(page["value"]) == graph_routes.USERS_PAGE
    # Without a Host header the link is relative to the endpoint (the source follows it).
    assert page["@odata.nextLink"].startswith("/v1.0/users?")
    status, _, body = graph_routes.handle(
        "GET", "/v1.0/tenantRelationships/findTenantInformationByTenantId"
        f"(tenantId='{PROVIDER_TENANT}')", {}, {**auth, "Host": "graph.test"}) or (0, {}, b"")
    info = json.loads(body)
    assert info["displayName"] == "Bob's IT Services"
    assert info["@odata.context"].startswith("https://graph.test/v1.0/$metadata")


def test_unreachable_graph_fails_the_tenant(server: MicrosoftCloud, tmp_path: Path) -> None:
    """Sign-in works but nothing listens at the Graph endpoint: not assessed, not 7 errors
    that look like a partial answer."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed = sock.getsockname()[1]
    result = scan(server, tmp_path, graph_endpoint=f"https://127.0.0.1:{closed}")
    assert [c.assessed for c in result.coverage] == [False]
    assert "cannot connect" in (result.coverage[0].reason or "")
    assert result.findings and all(f.status is Status.ERROR for f in result.findings)


def test_no_pim_is_recognised_by_code_and_documented_wording(server: MicrosoftCloud,
                                                            tmp_path: Path) -> None:
    """Without P2 (AadPremiumLicenseRequired, the code) or without PIM onboarding (a generic
    code whose documented message says so) nobody is eligible: not an error, and the
    evidence says why the list is empty."""
    for scenario in ("clean", "nopim"):
        result = scan(server, tmp_path, scenario)
        admins = by_check(result, "m365.admins.global_admins")
        assert not [f for f in admins if f.status is Status.ERROR], scenario
        summary = one(result, "m365.admins.global_admins", CLIENT_TENANT, "summary")
        notes = [e.excerpt["note"] for e in summary.evidence
                 if isinstance(e.excerpt, dict) and e.excerpt.get("note")]
        assert notes and "no PIM" in notes[0], scenario
    # another 403 on the same API is still an error
    result = scan(server, tmp_path, "denied")
    assert any(f.status is Status.ERROR and f.key == "eligible-unreadable"
               for f in by_check(result, "m365.admins.global_admins"))


def test_no_pim_wording_matcher() -> None:
    from lockin_audit.facts import FetchError
    from lockin_audit.sources.graph import GraphError

    error = FetchError("graph", "GET x", "HTTP 403", kind="denied")
    assert GraphError(error, "UnauthorizedAccessException",
                      "The tenant has not onboarded to PIM.").no_pim
    assert GraphError(error, "AadPremiumLicenseRequired", "anything").no_pim
    assert not GraphError(error, "UnauthorizedAccessException", "Access denied.").no_pim
    assert not GraphError(error, "Authorization_RequestDenied",
                          "The tenant has not onboarded to PIM.").no_pim


def test_role_rows_are_counted_by_their_role(server: MicrosoftCloud, tmp_path: Path) -> None:
    """A Graph that ignores the roleDefinitionId filter answers every row for every
    role: each holder is still judged once, under the role its row names."""
    result = scan(server, tmp_path, "nofilter")
    admins = [f for f in by_check(result, "m365.admins.global_admins") if f.key == "active"]
    assert sorted(f.asset.id for f in admins) == sorted(
        [graph_routes.PROVIDER_ADMIN_ID, graph_routes.BITS_MEMBER_ID,
         graph_routes.BREAKGLASS_ID])
    pra = one(result, "m365.admins.privileged_roles", graph_routes.PROVIDER_TECH_ID,
              "Privileged Role Administrator:active")
    assert "Privileged Role Administrator" in pra.detail


def test_unreadable_permission_names_are_an_error_not_a_milder_app(
        server: MicrosoftCloud, tmp_path: Path) -> None:
    """Without the API's app roles an app role id cannot be judged: the provider's app
    still fails, and an error says its permissions were not read (never a silent
    downgrade)."""
    result = scan(server, tmp_path, "noresource")
    rmm = [f for f in by_check(result, "m365.apps.provider_apps")
           if f.asset.id == graph_routes.RMM_SP_ID]
    assert {f.status for f in rmm} == {Status.FAIL, Status.ERROR}
    error = next(f for f in rmm if f.status is Status.ERROR)
    assert "Authorization_RequestDenied" in error.detail


def test_onmicrosoft_partner_is_attributed_by_the_tenant_rule(server: MicrosoftCloud,
                                                              tmp_path: Path) -> None:
    """A partner tenant whose default domain is its initial <name>.onmicrosoft.com is that
    tenant's, never Microsoft's: the provider's when <name> is the provider's label, else
    an unknown organisation."""
    result = scan(server, tmp_path)
    sandbox = one(result, "m365.partner.relationships", graph_routes.PROVIDER_SANDBOX_TENANT)
    assert (sandbox.status, sandbox.holder.value) == (Status.FAIL, "provider")
    assert "bobsit.onmicrosoft.com is the initial domain of a tenant named after " \
        "Bob's IT Services" in sandbox.detail
    lab = one(result, "m365.partner.relationships", graph_routes.LAB_TENANT)
    assert lab.holder.value == "unknown" and lab.status is Status.MANUAL
    assert "not Microsoft's" in lab.detail and "Microsoft Corporation" not in lab.detail


def test_member_admin_with_the_providers_mailbox_is_the_providers(server: MicrosoftCloud,
                                                                   tmp_path: Path) -> None:
    """A member Global Administrator signing in on the business's domain whose mail,
    proxy addresses and recovery email are the provider's is the provider's person; the
    finding says which address decided, and the summary no longer claims that the
    business has its own Global Administrator."""
    result = scan(server, tmp_path, "providermail")
    ga = one(result, "m365.admins.global_admins", graph_routes.CLIENT_ADMIN_ID)
    assert (ga.status, ga.holder.value) == (Status.FAIL, "provider")
    assert "Decided by its mail support@bobsit.example" in ga.detail
    assert "itsupport@acmedental.com" in ga.detail and "noc@bobsit.example" in ga.detail
    summary = one(result, "m365.admins.global_admins", CLIENT_TENANT, "summary")
    assert summary.status is Status.FAIL
    assert summary.title == "No Global Administrator account belongs to the business"
    # every address was asked for by $select (they are not in the default view)
    assert paths(server, f"/users/{graph_routes.CLIENT_ADMIN_ID}?%24select=") or \
        paths(server, f"/users/{graph_routes.CLIENT_ADMIN_ID}?$select=")


def test_conditional_access_exclusions_of_the_provider(server: MicrosoftCloud,
                                                       tmp_path: Path) -> None:
    """The MFA policy excludes the provider's tenant (its service-provider and B2B users),
    its admin guest and a group named after it: each a fail; the business's own
    break-glass exclusion is not reported; a workload policy's exclusion of the
    provider's app fails; an outside accountant excluded from a report-only policy warns;
    a disabled policy is not judged. Policies come over two pages."""
    result = scan(server, tmp_path)
    found = by_check(result, "m365.conditional_access.exclusions")
    mfa = {f.key: f for f in found if f.asset.id == "c4a00000-0000-4000-8000-000000000001"}
    tenant = mfa[f"tenant:{PROVIDER_TENANT}"]
    assert (tenant.status, tenant.holder.value, tenant.severity) == (
        Status.FAIL, "provider", Severity.HIGH)
    assert "requires MFA" in tenant.detail and "serviceProvider" in tenant.detail
    assert mfa[f"exclude:{graph_routes.PROVIDER_ADMIN_ID}"].status is Status.FAIL
    assert mfa[f"exclude:{graph_routes.BITS_GROUP_ID}"].status is Status.FAIL
    assert f"exclude:{graph_routes.BREAKGLASS_ID}" not in mfa
    [rmm] = [f for f in found if f.key == f"exclude:{graph_routes.RMM_SP_ID}"]
    assert rmm.status is Status.FAIL and "blocks sign-in" in rmm.detail
    [accountant] = [f for f in found if f.key == f"exclude:{graph_routes.ACCOUNTANT_ID}"]
    assert (accountant.status, accountant.severity) == (Status.WARN, Severity.LOW)
    assert "report-only" in accountant.detail
    assert not [f for f in found if f.asset.id == "c4a00000-0000-4000-8000-000000000004"]
    assert len(paths(server, "/identity/conditionalAccess/policies")) >= 2  # paged


def test_conditional_access_clean_and_denied(server: MicrosoftCloud, tmp_path: Path) -> None:
    result = scan(server, tmp_path, "clean")
    [summary] = by_check(result, "m365.conditional_access.exclusions")
    assert summary.status is Status.PASS and "excluded users, groups" in summary.detail
    assert "Excluded directory roles (1)" in summary.detail
    result = scan(server, tmp_path, "denied")
    [error] = by_check(result, "m365.conditional_access.exclusions")
    assert error.status is Status.ERROR and "Policy.Read.All" in error.detail


def test_pim_for_groups_eligible_member_of_a_role_group(server: MicrosoftCloud,
                                                        tmp_path: Path) -> None:
    """A role-assignable group holds User Administrator: its members and owners are
    judged like direct holders, and so is the provider's technician, PIM-eligible to
    become a member (PIM for groups)."""
    result = scan(server, tmp_path)
    found = [f for f in by_check(result, "m365.admins.privileged_roles")
             if f.asset.id == graph_routes.PROVIDER_TECH_ID and "Helpdesk Admins" in f.detail]
    assert len(found) == 1
    assert (found[0].status, found[0].holder.value) == (Status.FAIL, "provider")
    assert "is eligible User Administrator as eligible member of group Helpdesk Admins " \
        "(PIM for groups)" in found[0].detail
    assert found[0].key == f"User Administrator:eligible:via:{graph_routes.HELPDESK_ADMINS_ID}"
    # the business's own member and owner are not reported
    assert not [f for f in by_check(result, "m365.admins.privileged_roles")
                if "member of group Helpdesk Admins" in f.detail and f.status is Status.PASS]
    assert paths(server, "/identityGovernance/privilegedAccess/group/eligibilityScheduleInstances")


def test_pim_for_groups_denied_is_an_error_for_that_group(server: MicrosoftCloud,
                                                          tmp_path: Path) -> None:
    """Without PrivilegedEligibilitySchedule.Read.AzureADGroup the group's eligible
    members are not assessed: an error naming the permission, the rest still judged."""
    result = scan(server, tmp_path, "nopimgroups")
    errors = [f for f in by_check(result, "m365.admins.privileged_roles")
              if f.status is Status.ERROR]
    assert len(errors) == 1 and errors[0].asset.id == graph_routes.HELPDESK_ADMINS_ID
    assert "PrivilegedEligibilitySchedule.Read.AzureADGroup" in errors[0].detail
    assert one(result, "m365.admins.privileged_roles", graph_routes.PROVIDER_TECH_ID,
               "Privileged Role Administrator:active").status is Status.FAIL
