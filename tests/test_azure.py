"""The Azure (ARM) area through the real azure-identity and Azure SDK clients against a
local HTTPS Microsoft cloud (identity platform + ARM + Graph) in the real REST shapes."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from lockin_audit import registry
from lockin_audit.config import config_from_mapping
from lockin_audit.demo import arm_routes
from lockin_audit.demo.arm_routes import (
    CLIENT_TENANT,
    CSP_SUBSCRIPTION,
    DIRECT_SUBSCRIPTION,
    PROVIDER_SUBSCRIPTION,
    PROVIDER_TENANT,
    ArmData,
    arm_error,
    demo_data,
    denied,
    subscription,
)
from lockin_audit.demo.azure_server import MicrosoftCloud
from lockin_audit.engine import Scanner, WriteRefused
from lockin_audit.model import Asset, Finding, Holder, ScanResult, Severity, Status
from lockin_audit.report.interface import write_reports
from lockin_audit.sources.azure import client_kwargs
from tests.garbled import garbled
from tests.hooks import arm_fault, hooks, watch_graph

SECRET = "azure-test-secret-value-9f8e7d"
APP_ID = "11111111-2222-4333-8444-555555555555"


@pytest.fixture()
def cloud(tmp_path: Path) -> Iterator[MicrosoftCloud]:
    server = MicrosoftCloud(demo_data(), secret=SECRET, workdir=tmp_path / "ca")
    watch_graph(server)
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def azure_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AZURE_CLIENT_ID", APP_ID)
    monkeypatch.setenv("AZURE_CLIENT_SECRET", SECRET)
    monkeypatch.setenv("AZURE_TENANT_ID", CLIENT_TENANT)
    for var in ("AZURE_CLIENT_CERTIFICATE_PATH", "AZURE_USERNAME", "AZURE_AUTHORITY_HOST"):
        monkeypatch.delenv(var, raising=False)


def target(cloud: MicrosoftCloud, **extra: object) -> dict[str, object]:
    return {"tenant_id": CLIENT_TENANT, "client_id": APP_ID, "credential": "environment",
            "arm_endpoint": cloud.url, "graph_endpoint": cloud.url,
            "authority_host": cloud.url, "ca_bundle": cloud.ca_path, **extra}


def scan(cloud: MicrosoftCloud, tmp_path: Path, **extra: object) -> ScanResult:
    config = config_from_mapping({
        "client": {"name": "Acme Dental LLC", "domains": ["acmedental.com"],
                   "azure_tenant_ids": [CLIENT_TENANT]},
        "provider": {"name": "Bob's IT Services", "aliases": ["BITS"],
                     "domains": ["bobsit.example"],
                     "azure_tenant_ids": [PROVIDER_TENANT], "partner_ids": ["1234567"]},
        "scan": {"azure": [target(cloud, **extra)],
                 # a local server: no need to pace requests as for Microsoft's hosts
                 "limits": {"timeout_s": 20, "max_retry_after_s": 3,
                            "per_host_rate": 500, "per_host_burst": 100}},
    }, tmp_path / "audit.yaml")
    checks = [c for c in registry.select(registry.all_checks(), areas=["azure"])
              if c.meta.source == "azure"]
    return asyncio.run(Scanner(config, checks).run())


def by(result: ScanResult, check_id: str, asset_end: str = "") -> list[Finding]:
    return [f for f in result.findings if f.check_id == check_id
            and f.asset.id.endswith(asset_end)]


def test_demo_estate_end_to_end(cloud: MicrosoftCloud, tmp_path: Path) -> None:
    result = scan(cloud, tmp_path, subscription_ids=[PROVIDER_SUBSCRIPTION])
    tenant = {f.asset.id.rsplit("/", 1)[-1]: f for f in by(result, "azure.tenant.subscription-tenant")}
    assert tenant[CSP_SUBSCRIPTION].status is Status.PASS
    assert tenant[PROVIDER_SUBSCRIPTION].status is Status.FAIL
    assert "cannot see it" in tenant[PROVIDER_SUBSCRIPTION].detail
    billing = {f.asset.id.rsplit("/", 1)[-1]: f for f in by(result, "azure.billing.csp")}
    assert billing[CSP_SUBSCRIPTION].status is Status.FAIL
    assert "CSP_2015-05-01" in billing[CSP_SUBSCRIPTION].detail
    assert billing[DIRECT_SUBSCRIPTION].status is Status.PASS
    assert "Online Services Program" in billing[DIRECT_SUBSCRIPTION].detail
    delegations = {f.key.split("/resourceGroups/")[-1][:11]: f
                   for f in by(result, "azure.delegation.lighthouse", CSP_SUBSCRIPTION)}
    whole = next(f for f in delegations.values() if "whole subscription" in f.detail)
    assert (whole.status, whole.severity) == (Status.FAIL, Severity.CRITICAL)
    # the eligible authorization has no display name (optional): named by its id
    assert "User Access Administrator (eligible) for principal b17500a0" in whole.detail
    rg = next(f for f in delegations.values() if "resource group rg-practice" in f.detail)
    assert rg.status is Status.FAIL and "BITS Backup Operators" in rg.detail
    # the definitions came expanded: none was read on its own
    assert not [p for _, p, _ in hooks(cloud).log if "registrationDefinitions/" in p]
    access = by(result, "azure.access.role-assignments", CSP_SUBSCRIPTION)
    # six active, two PIM eligibilities; the Owner inherited from management group Acme
    # Production is judged there (azure.access.management-groups), not here
    assert {f.status for f in access} == {Status.FAIL} and len(access) == 8
    assert any("ForeignGroup" in f.detail and f.severity is Severity.CRITICAL for f in access)
    assert any("classic administrator" in f.detail for f in access)
    # principals named through Graph: a provider guest, app, member account and group
    assert any("guest Bob's IT Admin (admin@bobsit.example) holds User Access Administrator"
               in f.detail and f.severity is Severity.CRITICAL for f in access)
    assert any("BITS Remote Management" in f.detail and "Contributor" in f.detail
               and f.severity is Severity.HIGH for f in access)
    assert any("account BITS Admin (bitsadmin@acmedental.com) holds Contributor on "
               "resource group rg-practice" in f.detail for f in access)
    assert any("group BITS Engineers holds Reader" in f.detail for f in access)
    # the break-glass account's Owner, inherited from the root management group, is the
    # business's own: no finding names it
    assert not [f for f in access if "breakglass" in f.detail.lower()]
    assert by(result, "azure.access.role-assignments", DIRECT_SUBSCRIPTION)[0].status is Status.PASS
    managed = {f.asset.name: f for f in by(result, "azure.managed-apps.managed-by")}
    assert managed["bits-backup"].status is Status.FAIL
    assert PROVIDER_TENANT in managed["bits-backup"].detail
    assert managed["mrg-bits-backup"].status is Status.FAIL
    assert "SimpleWinVM_OsDisk_1" not in managed  # managed by the business's own VM
    [pal] = by(result, "azure.partner-link.pal")
    assert pal.status is Status.MANUAL
    # every list was followed through its nextLink pages
    assert any("skiptoken" in p and "roleAssignments" in p for _, p, _ in hooks(cloud).log)
    # the SDKs sent the requests the source says it sent, and only reads
    methods = {m for m, p, _ in hooks(cloud).log if not p.endswith("/token")
               and "getByIds" not in p}
    assert methods == {"GET"}
    assert all(c.assessed for c in result.coverage)


def test_unexpanded_definitions_are_read_by_id(cloud: MicrosoftCloud, tmp_path: Path) -> None:
    """An API version that ignores $expandRegistrationDefinition: each definition is read
    by its id, and nothing says 'None' or '()'."""
    cloud.arm.expand_supported = False
    result = scan(cloud, tmp_path)
    lighthouse = by(result, "azure.delegation.lighthouse", CSP_SUBSCRIPTION)
    assert len(lighthouse) == 2 and {f.status for f in lighthouse} == {Status.FAIL}
    assert all("None" not in f.detail and "()" not in f.detail for f in lighthouse)
    assert len([p for _, p, _ in hooks(cloud).log if "registrationDefinitions/" in p]) == 2
    # a definition that cannot be read is an error for that delegation, not a pass
    cloud.arm.registration_definitions.clear()
    result = scan(cloud, tmp_path)
    lighthouse = by(result, "azure.delegation.lighthouse", CSP_SUBSCRIPTION)
    assert [f.status for f in lighthouse if "registrationAssignments" in f.key] == [
        Status.ERROR, Status.ERROR]
    # managedByTenants still names the provider's tenant
    assert [f.status for f in lighthouse if f.key.startswith("managedBy:")] == [Status.FAIL]


def test_graph_unreadable_means_role_holders_not_judged(cloud: MicrosoftCloud, tmp_path: Path
                                                        ) -> None:
    """Issue 9: when Graph cannot name the principals, the provider's guest is not
    treated as the business's own: its assignment is an error, never a pass."""
    result = scan(cloud, tmp_path, graph_endpoint=cloud.url + "/scenario/denied")
    access = by(result, "azure.access.role-assignments", CSP_SUBSCRIPTION)
    errors = [f for f in access if f.status is Status.ERROR]
    # 3 active users, 1 group, 1 app and 2 PIM-eligible users on the production
    # subscription (the root group's break-glass Owner is judged at its group)
    assert len(errors) == 7
    assert all("Authorization_RequestDenied" in f.detail for f in errors)
    assert not [f for f in by(result, "azure.access.role-assignments") if f.status is Status.PASS]
    # what does not depend on Graph is still judged
    assert any("ForeignGroup" in f.detail and f.status is Status.FAIL for f in access)


def test_denied_resources_list_is_named_and_apps_still_judged(cloud: MicrosoftCloud,
                                                              tmp_path: Path) -> None:
    hooks(cloud).faults.append(arm_fault(f"/subscriptions/{CSP_SUBSCRIPTION}/resources", denied(
        "Microsoft.Resources/subscriptions/resources/read", f"/subscriptions/{CSP_SUBSCRIPTION}")))
    result = scan(cloud, tmp_path)
    managed = by(result, "azure.managed-apps.managed-by")
    errors = [f for f in managed if f.status is Status.ERROR]
    assert errors and "resources/read" in errors[0].detail
    assert {f.asset.name: f.status for f in managed if f.status is not Status.ERROR} == {
        "bits-backup": Status.FAIL, "mrg-bits-backup": Status.FAIL,
        "Acme Dental - Imaging archive": Status.PASS}


def test_subscription_without_tenant_and_offer(cloud: MicrosoftCloud, tmp_path: Path) -> None:
    sub = subscription(DIRECT_SUBSCRIPTION, "Legacy", CLIENT_TENANT, "x")
    del sub["tenantId"]
    del sub["subscriptionPolicies"]
    cloud.arm = ArmData(subscriptions=[sub])
    result = scan(cloud, tmp_path)
    [tenant] = by(result, "azure.tenant.subscription-tenant")
    # tenantId is optional in the list: an unknown to check, not a failed read
    assert (tenant.status, tenant.holder) == (Status.MANUAL, Holder.UNKNOWN)
    assert "tenantId" in tenant.detail and "Directory" in tenant.detail
    [bill] = by(result, "azure.billing.csp")
    # no quotaId and no readable billing account: not "billed directly"
    assert bill.status is Status.MANUAL and "None" not in bill.detail
    assert "Cost Management" in bill.detail


def test_the_secret_and_token_never_reach_an_output(cloud: MicrosoftCloud, tmp_path: Path) -> None:
    result = scan(cloud, tmp_path)
    out = tmp_path / "out"
    write_reports(result, out, ["json", "html", "md", "sarif", "csv", "junit"])
    for path in out.iterdir():
        text = path.read_text()
        assert SECRET not in text and cloud.token not in text, path.name
    assert any(h.get("Authorization") == f"Bearer {cloud.token}" for _, _, h in hooks(cloud).log)


def test_a_denied_read_is_an_error_naming_the_permission(cloud: MicrosoftCloud, tmp_path: Path) -> None:
    path = f"/subscriptions/{CSP_SUBSCRIPTION}/providers/microsoft.managedservices/registrationassignments"
    hooks(cloud).faults.append(arm_fault(path, denied(
        "Microsoft.ManagedServices/registrationAssignments/read",
        f"/subscriptions/{CSP_SUBSCRIPTION}")))
    result = scan(cloud, tmp_path)
    [error] = by(result, "azure.delegation.lighthouse", CSP_SUBSCRIPTION)
    assert error.status is Status.ERROR
    assert "needs permission: Microsoft.ManagedServices/registrationAssignments/read" in error.detail
    # the rest of the subscription was still assessed
    assert by(result, "azure.billing.csp", CSP_SUBSCRIPTION)[0].status is Status.FAIL


def test_a_denied_subscription_list_is_an_error_not_a_clean_tenant(cloud: MicrosoftCloud,
                                                                   tmp_path: Path) -> None:
    hooks(cloud).faults.append(arm_fault("/subscriptions", denied(
        "Microsoft.Resources/subscriptions/read", "/")))
    result = scan(cloud, tmp_path)
    # (management groups are listed on their own: judged by their own check)
    statuses = {f.check_id: f.status for f in result.findings
                if f.check_id not in ("azure.partner-link.pal",
                                      "azure.access.management-groups")}
    assert set(statuses.values()) == {Status.ERROR}, statuses
    assert len(statuses) == 5


def test_throttling_and_malformed_answers(cloud: MicrosoftCloud, tmp_path: Path) -> None:
    hooks(cloud).faults.extend([
        arm_fault(f"/subscriptions/{CSP_SUBSCRIPTION}/resourcegroups", arm_error(
            429, "TooManyRequests", "slow down", {"Retry-After": "0"})),
        arm_fault(f"/subscriptions/{CSP_SUBSCRIPTION}/providers/microsoft.authorization/"
                  "classicadministrators", (200, {"Content-Type": "application/json"},
                                            b'{"value": ['))])
    result = scan(cloud, tmp_path)
    managed = by(result, "azure.managed-apps.managed-by", CSP_SUBSCRIPTION)
    assert [f.status for f in managed] == [Status.ERROR]
    assert "429" in managed[0].detail
    classic = [f for f in by(result, "azure.access.role-assignments", CSP_SUBSCRIPTION)
               if f.key == "classic"]
    assert classic and classic[0].status is Status.ERROR and "JSON" in classic[0].detail


def test_wrong_secret_fails_the_tenant_with_the_reason(cloud: MicrosoftCloud, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AZURE_CLIENT_SECRET", "not-the-secret-4c1d")
    result = scan(cloud, tmp_path)
    assert {f.status for f in result.findings} == {Status.ERROR}
    assert any("Invalid client secret" in f.detail or "sign-in" in f.detail
               for f in result.findings)
    assert not result.coverage[0].assessed
    assert "not-the-secret-4c1d" not in json.dumps(result.to_dict())


def test_subscription_in_a_foreign_tenant_and_clean_tenant(cloud: MicrosoftCloud,
                                                           tmp_path: Path) -> None:
    cloud.arm = ArmData(subscriptions=[
        subscription(DIRECT_SUBSCRIPTION, "Shared", PROVIDER_TENANT, "PayAsYouGo_2014-09-01")])
    result = scan(cloud, tmp_path)
    [tenant] = by(result, "azure.tenant.subscription-tenant")
    assert tenant.status is Status.FAIL and "provider's directory" in tenant.detail
    assert {f.status for f in by(result, "azure.delegation.lighthouse")} == {Status.PASS}


def test_the_sdk_clients_refuse_writes_before_they_leave(cloud: MicrosoftCloud) -> None:
    from azure.identity import ClientSecretCredential
    from azure.mgmt.resource.resources import ResourceManagementClient

    from lockin_audit.config import AzureTarget

    opts = AzureTarget.model_validate(target(cloud))
    credential = ClientSecretCredential(CLIENT_TENANT, APP_ID, SECRET,
                                        authority=cloud.url, disable_instance_discovery=True,
                                        connection_verify=cloud.ca_path)
    client = ResourceManagementClient(credential, CSP_SUBSCRIPTION, **client_kwargs(opts))
    before = len(hooks(cloud).log)
    with pytest.raises(WriteRefused):
        client.resource_groups.begin_delete("rg-practice").result()
    with pytest.raises(WriteRefused):
        client.resource_groups.create_or_update("rg-new", {"location": "eastus"})
    arm_requests = [r for r in hooks(cloud).log[before:] if "/subscriptions/" in r[1]]
    assert arm_requests == []  # nothing reached the server
    assert [g.name for g in client.resource_groups.list()] == [
        "rg-practice", "mrg-bits-backup", "rg-imaging"]  # two pages, through nextLink


def test_demo_data_uses_the_shared_graph_principals() -> None:
    data = arm_routes.demo_data()
    principals = {ra["properties"]["principalId"]
                  for ra in data.role_assignments[CSP_SUBSCRIPTION]}
    assert arm_routes.graph_routes.CLIENT_ADMIN_ID in principals


def test_doctor_reports_what_can_be_read(cloud: MicrosoftCloud, tmp_path: Path) -> None:
    from lockin_audit.doctor import run_doctor

    path = f"/subscriptions/{CSP_SUBSCRIPTION}/providers/microsoft.authorization/roleassignments"
    hooks(cloud).faults.append(arm_fault(path, denied(
        "Microsoft.Authorization/roleAssignments/read", f"/subscriptions/{CSP_SUBSCRIPTION}")))
    config = config_from_mapping({
        "client": {"name": "Acme Dental LLC"}, "provider": {"name": "Bob's IT Services"},
        "scan": {"azure": [target(cloud, subscription_ids=[PROVIDER_SUBSCRIPTION])]}},
        tmp_path / "audit.yaml")
    lines = [(what, ok, detail) for area, what, ok, detail in asyncio.run(run_doctor(config))
             if area == "azure"]
    assert any(ok and "2 subscription(s) visible" in detail for _, ok, detail in lines)
    assert any(not ok and "roleAssignments/read" in detail and "Production" in what
               for what, ok, detail in lines)
    assert any(ok and "Imaging archive" in what for what, ok, _ in lines)
    assert any(not ok and PROVIDER_SUBSCRIPTION in what for what, ok, _ in lines)
    # the billing property is optional (a billing role): said, with what it costs
    assert any(not ok and "billing account" in what and "manual step" in detail
               for what, ok, detail in lines)
    assert any(ok and "principals of role assignments" in what for what, ok, _ in lines)
    assert any(ok and "management groups" in what and "2 visible" in detail
               for what, ok, detail in lines)


def test_garbled_text_matcher() -> None:
    def one(detail: str) -> Finding:
        return Finding(check_id="x", control="azure.access", asset=Asset("t", "i", "n"),
                       holder=Holder.CLIENT, status=Status.PASS, severity=Severity.INFO,
                       title="t", detail=detail, remediation="r")

    for bad in (" () manages X through the offer 'None': .", "is in tenant , which",
                "held by  the provider", "a..b", "names: ."):
        assert garbled([one(bad)]), bad
    for good in ("None of the 3 admins is yours.", "arn:aws:iam::123456789012:root",
                 "The .de registry", "Azure DNS ...).", "Owner (eligible) for BITS."):
        assert not garbled([one(good)]), good


def test_no_finding_of_the_microsoft_demo_has_garbled_text(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every finding the demo's Microsoft cloud produces (Azure and Microsoft 365, with
    the demo's own audit file): no empty name, 'None', '()' or doubled separator."""
    from lockin_audit.demo import CLIENT, PROVIDER
    from lockin_audit.demo import azure as demo_azure

    part = demo_azure.start(tmp_path)
    try:
        for key, value in part.env.items():
            monkeypatch.setenv(key, value)
        config = config_from_mapping({"client": CLIENT, "provider": [PROVIDER],
                                      "scan": part.scan}, tmp_path / "audit.yaml")
        checks = registry.select(registry.all_checks(), areas=["azure", "m365"])
        result = asyncio.run(Scanner(config, checks).run())
    finally:
        part.stop()
    assert len(result.findings) > 40
    assert not garbled(result.findings)
    assert all(c.assessed for c in result.coverage)


def test_billing_account_of_the_provider_fails(cloud: MicrosoftCloud, tmp_path: Path) -> None:
    """A subscription that is not CSP but is paid from the provider's Microsoft Customer
    Agreement (its billing tenant) is the provider's to switch off."""
    cloud.arm.billing[DIRECT_SUBSCRIPTION] = arm_routes.billing_property(
        DIRECT_SUBSCRIPTION, "MicrosoftCustomerAgreement", "Bob's IT Services",
        PROVIDER_TENANT)
    result = scan(cloud, tmp_path)
    [bill] = by(result, "azure.billing.csp", DIRECT_SUBSCRIPTION)
    assert bill.status is Status.FAIL and "Microsoft Customer Agreement" in bill.detail
    # the finding names the agreement, the billing account and the billing tenant
    assert f"billing tenant {PROVIDER_TENANT} (Bob's IT Services)" in bill.detail
    assert "(MicrosoftCustomerAgreement), billing account Bob's IT Services" in bill.detail
    # unreadable (403 without a billing role): a manual step, not "billed directly"
    del cloud.arm.billing[DIRECT_SUBSCRIPTION]
    result = scan(cloud, tmp_path)
    [bill] = by(result, "azure.billing.csp", DIRECT_SUBSCRIPTION)
    assert bill.status is Status.MANUAL and "billingProperty/read" in bill.detail


def test_csp_subscription_without_tenant_is_unknown_to_check(cloud: MicrosoftCloud,
                                                             tmp_path: Path) -> None:
    """A CSP subscription listed without tenantId: manual (which directory holds it is to
    be checked), never a critical error; its billing property, when readable, names the
    partner's billing tenant and agreement."""
    sub = subscription(CSP_SUBSCRIPTION, "Acme Dental - Production", CLIENT_TENANT,
                       "CSP_2015-05-01")
    del sub["tenantId"]
    cloud.arm = ArmData(subscriptions=[sub], billing={CSP_SUBSCRIPTION: arm_routes.billing_property(
        CSP_SUBSCRIPTION, "MicrosoftPartnerAgreement", "Contoso CSP", "7e570000-0000-4000-8000-00000000c5b0")})
    result = scan(cloud, tmp_path)
    [tenant] = by(result, "azure.tenant.subscription-tenant")
    assert (tenant.status, tenant.severity) == (Status.MANUAL, Severity.HIGH)
    assert "CSP subscription" in tenant.detail
    [bill] = by(result, "azure.billing.csp")
    # the demo tenant's Graph lists the provider as its service-provider partner
    assert bill.status is Status.FAIL and "whose partner is the provider" in bill.detail
    assert "billing tenant 7e570000-0000-4000-8000-00000000c5b0" in bill.detail
    assert "Microsoft Partner Agreement (CSP) (MicrosoftPartnerAgreement)" in bill.detail


def test_provider_guest_eligible_for_owner_through_pim(cloud: MicrosoftCloud,
                                                       tmp_path: Path) -> None:
    """Azure PIM: the provider's helpdesk guest is eligible for Owner of the subscription
    (roleEligibilityScheduleInstances): a critical fail that says "eligible"."""
    result = scan(cloud, tmp_path)
    [eligible] = [f for f in by(result, "azure.access.role-assignments", CSP_SUBSCRIPTION)
                  if "eligible" in f.detail and "Owner" in f.detail]
    # an eligibility at resource-group scope, with its end date
    [rg] = [f for f in by(result, "azure.access.role-assignments", CSP_SUBSCRIPTION)
            if "eligible" in f.detail and "resource group rg-practice" in f.detail]
    assert rg.status is Status.FAIL and "is eligible (through PIM until 2027-06-30) for " \
        "Contributor on resource group rg-practice" in rg.detail
    assert (eligible.status, eligible.holder, eligible.severity) == (
        Status.FAIL, Holder.PROVIDER, Severity.CRITICAL)
    assert "BITS Helpdesk (helpdesk@bobsit.example) is eligible (through PIM) for Owner " \
        "on the whole subscription" in eligible.detail
    assert [p for _, p, _ in hooks(cloud).log
            if "/roleEligibilityScheduleInstances" in p and CSP_SUBSCRIPTION in p]
    # the direct subscription has no eligibility: its pass names what was read
    [direct] = by(result, "azure.access.role-assignments", DIRECT_SUBSCRIPTION)
    assert direct.status is Status.PASS and "PIM-eligible roles" in direct.detail


def test_management_group_owner_from_the_provider(cloud: MicrosoftCloud,
                                                  tmp_path: Path) -> None:
    """Role assignments above the subscriptions, following the hierarchy visible: the
    provider's technician is Owner of management group Acme Production (fail, reported
    once, at the group); the business's break-glass Owner at the tenant root group is
    its own (pass)."""
    result = scan(cloud, tmp_path)
    groups = {f.asset.name: f for f in by(result, "azure.access.management-groups")}
    production = groups["Acme Production"]
    assert (production.status, production.severity) == (Status.FAIL, Severity.CRITICAL)
    assert "Tech (BITS) (tech@bobsit.onmicrosoft.com) holds Owner on management group " \
        "Tenant Root Group > Acme Production" in production.detail
    assert groups["Tenant Root Group"].status is Status.PASS
    assert not [f for f in result.findings if f.check_id == "azure.access.role-assignments"
                and "tech@bobsit.onmicrosoft.com" in f.detail]
    # the hierarchy read: each group's details (parent), its assignments at its scope
    assert [p for _, p, _ in hooks(cloud).log if p.lower().startswith(
        "/providers/microsoft.management/managementgroups/acme-production/providers/"
        "microsoft.authorization/roleassignments")]


def test_management_groups_unreadable(cloud: MicrosoftCloud, tmp_path: Path) -> None:
    """Management groups cannot be listed (403): an error for them, and the assignment
    inherited from a group is then judged on each subscription that lists it."""
    hooks(cloud).faults.append(arm_fault("/providers/microsoft.management/managementgroups",
                                         denied("Microsoft.Management/managementGroups/read",
                                                "/")))
    result = scan(cloud, tmp_path)
    [error] = by(result, "azure.access.management-groups")
    assert error.status is Status.ERROR and "managementGroups/read" in error.detail
    inherited = [f for f in result.findings if f.check_id == "azure.access.role-assignments"
                 and "tech@bobsit.onmicrosoft.com" in f.detail]
    assert len(inherited) == 2 and all(f.status is Status.FAIL for f in inherited)
    assert all("inherited by this subscription" in f.detail for f in inherited)


def test_management_group_whose_own_read_fails_is_not_taken_for_the_root(
        cloud: MicrosoftCloud, tmp_path: Path) -> None:
    """The tenant root group's own GET (Management Groups - Get: properties.details.parent)
    times out: its parent is unknown, so it is not taken for the root group. Its own
    assignments are still judged there, but its pass claims nothing about the tenant root
    scope "/" and names the failed read (those at "/" are judged on each subscription)."""
    root = f"/providers/microsoft.management/managementgroups/{CLIENT_TENANT}"
    hooks(cloud).faults.append(arm_fault(root, arm_error(
        504, "GatewayTimeout", "The gateway did not receive a response in time.")))
    result = scan(cloud, tmp_path)
    groups = {f.asset.name: f for f in by(result, "azure.access.management-groups")}
    top = groups["Tenant Root Group"]
    assert top.status is Status.PASS
    assert "(and at the tenant root scope)" not in top.detail
    assert f"GET /providers/Microsoft.Management/managementGroups/{CLIENT_TENANT}" in top.detail
    assert "not judged here but on each subscription" in top.detail
    assert groups["Acme Production"].status is Status.FAIL


def test_pim_eligibility_unreadable_is_an_error(cloud: MicrosoftCloud, tmp_path: Path) -> None:
    path = f"/subscriptions/{DIRECT_SUBSCRIPTION}/providers/microsoft.authorization/" \
        "roleeligibilityscheduleinstances"
    hooks(cloud).faults.append(arm_fault(path, denied(
        "Microsoft.Authorization/roleEligibilityScheduleInstances/read",
        f"/subscriptions/{DIRECT_SUBSCRIPTION}")))
    result = scan(cloud, tmp_path)
    found = by(result, "azure.access.role-assignments", DIRECT_SUBSCRIPTION)
    assert [f.status for f in found] == [Status.ERROR]
    assert "roleEligibilityScheduleInstances/read" in found[0].detail
