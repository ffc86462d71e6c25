"""The gws and gcp sources and checks against the local Google of the demo
(lockin_audit.demo.google_server: an HTTPS OAuth token endpoint that the real google-auth
service-account flow signs a JWT grant for, and Directory / Resource Manager / Cloud
Billing / Essential Contacts routes shaped as Google documents them), with paging, 403,
429, 5xx, malformed answers, missing scopes and a write that must never leave."""

from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import jsonschema
import pytest

from lockin_audit import registry
from lockin_audit.config import ConfigError, config_from_mapping
from lockin_audit.demo import google_server as gs
from lockin_audit.demo.google_server import GoogleCloud, ServiceAccountKey, demo_data
from lockin_audit.doctor import run_doctor
from lockin_audit.engine import Scanner, WriteRefused, assert_read_only_http
from lockin_audit.model import Evidence, Finding, ScanResult, Severity, Status
from lockin_audit.report.json_format import load_schema
from lockin_audit.sources import google_api
from lockin_audit.sources.interface import SourceContext
from lockin_audit.transport import Engine
from tests.hooks import google_fault, hooks, watch

PROVIDER_ADMIN = "114820391746250937461"
HELPDESK = "117264039581726354019"
ORG = f"organizations/{gs.CLIENT_ORG}"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GoogleCloud]:
    cloud = GoogleCloud(demo_data(), workdir=tmp_path_factory.mktemp("google"))
    watch(cloud)
    yield cloud
    cloud.stop()


@pytest.fixture(scope="module")
def keyfile(server: GoogleCloud, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return server.new_key().write(tmp_path_factory.mktemp("key") / "sa.json")


@pytest.fixture(autouse=True)
def google_env(monkeypatch: pytest.MonkeyPatch, keyfile: Path, tmp_path: Path,
               server: GoogleCloud) -> Iterator[None]:
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(keyfile))
    monkeypatch.setenv("NO_GCE_CHECK", "True")  # never ask a metadata server
    monkeypatch.setenv("CLOUDSDK_CONFIG", str(tmp_path / "gcloud"))  # no user gcloud ADC
    yield
    hooks(server).faults.clear()
    server.delegated_scopes = None
    server.token_lifetime = 3599


def config(server: GoogleCloud, tmp_path: Path, *, google: dict[str, Any] | None = None,
           gcp: dict[str, Any] | None = None, client: dict[str, Any] | None = None,
           provider: dict[str, Any] | None = None) -> Any:
    common = {"api_endpoint": server.url, "ca_bundle": server.ca_path}
    return config_from_mapping({
        "client": {"name": "Acme Dental LLC", "domains": ["acmedental.com", "acme-dental.net",
                                                         "acmesmiles.com", "acmedental.de"],
                   "gcp_billing_account_ids": [gs.CLIENT_ACCOUNT], **(client or {})},
        "provider": {"name": "Bob's IT Services", "aliases": ["BITS", "Bob's IT"],
                     "domains": ["bobsit.example"], "gcp_organization_ids": [gs.PROVIDER_ORG],
                     "gcp_billing_account_ids": [gs.RESELLER_MASTER],
                     "gcp_project_ids": [gs.PROVIDER_PROJECT], **(provider or {})},
        "scan": {"google": [{"name": "Acme", "customer_id": gs.CUSTOMER_ID,
                             "subject": "dr.smith@acmedental.com", **common,
                             **(google or {})}],
                 "gcp": [{"name": "Acme Cloud", "organization_id": gs.CLIENT_ORG,
                          "project_ids": ["acme-xray-archive"], **common, **(gcp or {})}],
                 "limits": {"timeout_s": 2, "max_retry_after_s": 5,
                            "host_rates": {server.url.removeprefix("https://"): 500}}},
    }, tmp_path / "audit.yaml")


def scan(server: GoogleCloud, tmp_path: Path, **kwargs: Any) -> ScanResult:
    checks = registry.select(registry.all_checks(), areas=["gws", "gcp"])
    assert {c.meta.control for c in checks} == {
        "gws.admins", "gws.contacts", "gws.domains", "gws.apps", "gws.billing",
        "gcp.organization", "gcp.billing", "gcp.access", "gcp.contacts"}
    return asyncio.run(Scanner(config(server, tmp_path, **kwargs), checks).run())


def found(result: ScanResult, check_id: str, asset_id: str | None = None) -> list[Finding]:
    return [f for f in result.findings if f.check_id == check_id
            and (asset_id is None or f.asset.id == asset_id)]


def one(result: ScanResult, check_id: str, asset_id: str, key: str | None = None) -> Finding:
    hits = [f for f in found(result, check_id, asset_id) if key is None or f.key == key]
    assert len(hits) == 1, (check_id, asset_id, [f.to_dict() for f in found(result, check_id)])
    return hits[0]


def fields(evidence: Evidence) -> Mapping[str, Any]:
    """An evidence excerpt that the test knows is a record (a JSON object)."""
    assert isinstance(evidence.excerpt, Mapping), evidence.excerpt
    return evidence.excerpt


def test_demo_workspace_and_cloud_end_to_end(server: GoogleCloud, tmp_path: Path) -> None:
    result = scan(server, tmp_path)
    data = result.to_dict()
    jsonschema.Draft202012Validator(load_schema()).validate(data)
    assert [c.assessed for c in result.coverage if not c.not_configured] == [True, True]
    assert not [f for f in result.findings if f.status is Status.ERROR]
    # No token and no key material anywhere in the result.
    text = json.dumps(data)
    assert "ya29." not in text and "PRIVATE KEY" not in text

    # gws.admins: the provider's super admin (named after it) and the helpdesk role.
    admin = one(result, "gws.admins.super_admins", PROVIDER_ADMIN)
    assert (admin.status, admin.severity, admin.holder.value) == (
        Status.FAIL, Severity.CRITICAL, "provider")
    assert "named after the provider" in admin.detail
    assert fields(admin.evidence[0])["isAdmin"] is True
    assert "/admin/directory/v1/users" in admin.evidence[0].request
    summary = one(result, "gws.admins.super_admins", gs.CUSTOMER_ID, "summary")
    assert summary.status is Status.FAIL and summary.title.startswith("No super admin")
    helpdesk = one(result, "gws.admins.super_admins", HELPDESK)
    assert helpdesk.status is Status.FAIL and "_USER_MANAGEMENT_ADMIN_ROLE" in helpdesk.detail
    group = one(result, "gws.admins.super_admins", gs.CUSTOMER_ID,
                "group-03ep43zb3ab9x1d-36028797018963971")
    assert group.status is Status.MANUAL and "members" in group.detail
    # gws.contacts: the recovery address is the provider's.
    recovery = one(result, "gws.contacts.recovery", gs.CUSTOMER_ID, "alternate-email")
    assert recovery.status is Status.FAIL and "gsuite-billing@bobsit.example" in recovery.detail
    # gws.domains: verified, unverified, missing.
    assert one(result, "gws.domains.verified", "acmedental.com").status is Status.PASS
    assert one(result, "gws.domains.verified", "acme-dental.net").status is Status.PASS
    assert one(result, "gws.domains.verified", "acmesmiles.com").status is Status.FAIL
    missing = one(result, "gws.domains.verified", "acmedental.de")
    assert missing.status is Status.WARN and "MX records" in missing.detail
    # gws.apps: the RMM app by name (no client id configured), the delegation step.
    rmm = one(result, "gws.apps.oauth_tokens", gs.RMM_CLIENT_ID)
    assert rmm.status is Status.FAIL and "admin.directory.user" in rmm.detail
    dwd = one(result, "gws.apps.oauth_tokens", gs.CUSTOMER_ID, "domain-wide-delegation")
    assert dwd.status is Status.MANUAL and "Manage Domain Wide Delegation" in dwd.detail
    assert one(result, "gws.billing.reseller", gs.CUSTOMER_ID).status is Status.MANUAL

    # gcp.organization: the business's organization, recognised by its Workspace customer
    # id read by the gws source (not configured for the client in this audit file).
    owner = one(result, "gcp.organization.owner", ORG)
    assert owner.status is Status.PASS and "Workspace account this scan read" in owner.detail
    outside = one(result, "gcp.organization.projects", "projects/acme-xray-archive")
    assert outside.status is Status.FAIL and gs.PROVIDER_ORG in outside.detail
    inside = one(result, "gcp.organization.projects", "projects/acme-dental-web")
    assert inside.status is Status.PASS  # through folders.get to the organization
    # gcp.billing: the reseller sub-account and the provider's own account.
    billed = one(result, "gcp.billing.project_account", "projects/acme-dental-web")
    assert (billed.status, billed.severity) == (Status.FAIL, Severity.CRITICAL)
    assert gs.RESELLER_MASTER in billed.detail
    assert {fields(e).get("masterBillingAccount") for e in billed.evidence} >= {
        f"billingAccounts/{gs.RESELLER_MASTER}"}
    admins = found(result, "gcp.billing.account_admins", f"billingAccounts/{gs.SUB_ACCOUNT}")
    assert [f.status for f in admins] == [Status.FAIL]
    # gcp.access: the provider's user, group and service account; Google's agents ignored.
    access = found(result, "gcp.access.iam", "projects/acme-dental-web")
    members = {fields(f.evidence[0])["member"]: f for f in access}
    assert members["user:tech@bobsit.example"].severity is Severity.CRITICAL
    sa = f"serviceAccount:rmm-agent@{gs.PROVIDER_PROJECT}.iam.gserviceaccount.com"
    assert members[sa].status is Status.FAIL
    assert not any("gcp-sa-" in m or "cloudservices" in m for m in members)
    org_access = found(result, "gcp.access.iam", ORG)
    assert [fields(f.evidence[0])["member"] for f in org_access] == [
        "group:gcp-admins@bobsit.example"]
    # gcp.contacts
    contact = one(result, "gcp.contacts.essential", ORG, "alerts@bobsit.example")
    assert contact.status is Status.FAIL


def test_a_super_admin_recovered_through_the_providers_mailbox(server: GoogleCloud,
                                                               tmp_path: Path) -> None:
    result = scan(server, tmp_path)
    owner = one(result, "gws.admins.super_admins", gs.OWNER_ADMIN, "super")
    assert (owner.status, owner.severity, owner.holder.value) == (
        Status.FAIL, Severity.CRITICAL, "provider")
    # the finding says which address decided (the primary address is the business's)
    assert f"recoveryEmail {gs.OWNER_RECOVERY} decides" in owner.detail
    assert "account recovery" in owner.detail
    excerpt = fields(owner.evidence[0])
    assert excerpt["recoveryEmail"] == gs.OWNER_RECOVERY
    assert excerpt["recoveryPhone"] == "+12175550199"
    # a number nobody lists decides nothing and is said to be unattributed
    assert "Not attributed: recoveryPhone +12175550199" in owner.detail
    # recovery absent: Google omits the fields, and the finding says so
    bits = one(result, "gws.admins.super_admins", PROVIDER_ADMIN, "super")
    assert "recoveryEmail" not in fields(bits.evidence[0])
    assert "no recovery email and no recovery phone" in bits.detail
    # with the number configured for the provider, the phone decides as well
    by_phone = scan(server, tmp_path, provider={"phones": ["+1 217 555 0199"]},
                    client={"domains": ["acmedental.com", "bobsit.example"]})
    owner = one(by_phone, "gws.admins.super_admins", gs.OWNER_ADMIN, "super")
    assert owner.status is Status.FAIL and "recoveryPhone +12175550199 decides" in owner.detail


def test_an_admin_on_a_secondary_domain_named_like_the_providers(server: GoogleCloud,
                                                                 tmp_path: Path) -> None:
    result = scan(server, tmp_path)
    support = one(result, "gws.admins.super_admins", "120394857610293847562")
    assert (support.status, support.holder.value) == (Status.FAIL, "provider")
    assert f"{gs.SUPPORT_DOMAIN} is named like Bob's IT Services's domains" in support.detail
    domain = one(result, "gws.domains.verified", gs.SUPPORT_DOMAIN, "provider-domain")
    assert domain.status is Status.WARN and "secondary domain" in domain.detail
    # configured parties first: listed for the client, the same domain is the client's
    mine = scan(server, tmp_path, client={"domains": ["acmedental.com", gs.SUPPORT_DOMAIN]})
    assert not [f for f in found(mine, "gws.admins.super_admins", "120394857610293847562")
                if f.status is Status.FAIL]
    assert one(mine, "gws.domains.verified", gs.SUPPORT_DOMAIN).status is Status.PASS


def test_service_accounts_by_their_project_and_agents_by_googles_list(
        server: GoogleCloud, tmp_path: Path) -> None:
    result = scan(server, tmp_path)
    members = {fields(f.evidence[0])["member"]: f
               for f in found(result, "gcp.access.iam", "projects/acme-dental-web")}
    # named service-…, but in the provider's project: the provider's, with roles/owner
    named = members[f"serviceAccount:service-backup@{gs.PROVIDER_PROJECT}"
                    ".iam.gserviceaccount.com"]
    assert (named.status, named.severity) == (Status.FAIL, Severity.CRITICAL)
    assert "roles/owner" in named.detail
    # default service accounts are the project's, named as such
    appspot = members[f"serviceAccount:{gs.PROVIDER_PROJECT}@appspot.gserviceaccount.com"]
    assert appspot.status is Status.FAIL
    assert "App Engine default service account of project bits-tools-prod" in appspot.detail
    compute = members["serviceAccount:730219465118-compute@developer.gserviceaccount.com"]
    assert compute.status is Status.FAIL
    assert "Compute Engine default service account of project acme-xray-archive" in \
        compute.detail  # the number resolved through the projects the scan read
    # Google's service agents of the business's own project are not findings
    assert not any("gcp-sa-" in m or "cloudservices" in m or "compute-system" in m
                   for m in members)
    # a default service account of a project nobody identified: unknown, not Google's
    server.data.iam["projects/acme-imaging"]["bindings"].append(
        {"role": "roles/editor", "members": ["serviceAccount:old-clinic-app@appspot."
                                             "gserviceaccount.com"]})
    try:
        result = scan(server, tmp_path)
    finally:
        server.data.iam["projects/acme-imaging"]["bindings"].pop()
    foreign = [f for f in found(result, "gcp.access.iam", "projects/acme-imaging")
               if f.status is Status.WARN]
    assert len(foreign) == 1 and "App Engine default service account of project " \
        "old-clinic-app" in foreign[0].detail
    assert "not one this scan read" in foreign[0].detail


def test_a_personal_mailbox_among_essential_contacts_is_unknown_not_googles(
        server: GoogleCloud, tmp_path: Path) -> None:
    result = scan(server, tmp_path)
    gmail = one(result, "gcp.contacts.essential", "projects/acme-dental-web",
                "jane.smith.dds@gmail.com")
    assert (gmail.status, gmail.holder.value) == (Status.WARN, "unknown")
    assert "personal Gmail mailbox" in gmail.detail and "neither Google LLC's" in gmail.detail
    assert "Google LLC's domain" not in gmail.detail
    classify = [u for u in result.unidentified if u.value == "jane.smith.dds@gmail.com"]
    assert classify and classify[0].kind == "email"
    assert not [u for u in result.unidentified if u.value == "gmail.com"]


def test_a_project_billed_to_the_business_inside_the_providers_organization(
        server: GoogleCloud, tmp_path: Path) -> None:
    before = len(hooks(server).log)
    result = scan(server, tmp_path)
    backups = one(result, "gcp.billing.projects_elsewhere", "projects/acme-backups")
    assert (backups.status, backups.holder.value) == (Status.FAIL, "provider")
    assert f"organizations/{gs.PROVIDER_ORG}" in backups.detail  # its parent
    assert f"billingAccounts/{gs.CLIENT_ACCOUNT}" in backups.detail  # its billing path
    assert "-> projects/acme-backups" in backups.detail
    sandbox = one(result, "gcp.billing.projects_elsewhere", "projects/acme-lab-sandbox")
    assert sandbox.status is Status.WARN and "no organization" in sandbox.detail
    # in scope already (the business's folder): judged by the organization checks
    assert not found(result, "gcp.billing.projects_elsewhere", "projects/acme-imaging")
    # billingAccounts.projects.list was paged, for every visible account
    listed = [p for _, p, _ in hooks(server).log[before:]
              if "billingAccounts/" in p and "/projects" in p]
    assert any("pageToken=2" in p for p in listed), listed
    assert any(gs.SUB_ACCOUNT in p for p in listed)
    # the sub-account's only project is in scope: its summary passes and names its scope
    summary = one(result, "gcp.billing.projects_elsewhere", f"billingAccounts/{gs.SUB_ACCOUNT}",
                  "summary")
    assert summary.status is Status.PASS and "billingAccounts.projects.list" in summary.detail


def test_a_billed_project_hidden_from_the_business_is_an_error_with_its_billing_path(
        server: GoogleCloud, tmp_path: Path) -> None:
    server.data.denied.add("projects/acme-backups")
    try:
        result = scan(server, tmp_path)
    finally:
        server.data.denied.discard("projects/acme-backups")
    hidden = one(result, "gcp.billing.projects_elsewhere", "projects/acme-backups")
    assert hidden.status is Status.ERROR
    assert "PERMISSION_DENIED" in hidden.detail and gs.CLIENT_ACCOUNT in hidden.detail


def test_lists_follow_next_page_token(server: GoogleCloud, tmp_path: Path) -> None:
    before = len(hooks(server).log)
    scan(server, tmp_path)
    sent = [p for _, p, _ in hooks(server).log[before:]]
    users = [p for p in sent if p.startswith("/admin/directory/v1/users?")]
    # Seven users at two a page: four pages, the later ones asking for the page token.
    assert len(users) == 4 and "pageToken=2" in users[1] and "pageToken=6" in users[3]
    assert any("/v3/folders/" in p for p in sent)


def test_a_write_is_refused_before_it_is_sent(server: GoogleCloud, tmp_path: Path) -> None:
    cfg = config(server, tmp_path)

    async def attempt() -> list[str]:
        engine = Engine.from_limits(cfg.scan.limits)
        ctx = SourceContext(config=cfg, engine=engine, facts={}, cache_dir=None)
        creds = google_api.GoogleCredentials("gcp", None, server.ca_path)
        client = google_api.GoogleClient(ctx, "gcp", creds, server.url, server.ca_path)
        refused = []
        try:
            for verb, method, path in (
                    ("POST", "cloudresourcemanager.projects.setIamPolicy",
                     "/v3/projects/acme-dental-web:setIamPolicy"),
                    ("DELETE", "admin.tokens.delete",
                     f"/admin/directory/v1/users/x/tokens/{gs.RMM_CLIENT_ID}"),
                    ("POST", "admin.users.list", "/admin/directory/v1/users"),
                    ("PATCH", "cloudbilling.projects.updateBillingInfo",
                     "/v1/projects/acme-dental-web/billingInfo")):
                with pytest.raises(WriteRefused) as exc:
                    await client.call(verb, method, path, body={"policy": {}})
                refused.append(str(exc.value))
            # The read that follows works: the guard refuses writes, not the client.
            _, data = await client.get("cloudbilling.billingAccounts.get",
                                       f"/v1/billingAccounts/{gs.SUB_ACCOUNT}")
            assert data["masterBillingAccount"].endswith(gs.RESELLER_MASTER)
        finally:
            creds.close()
            await engine.aclose()
        return refused

    before = len(hooks(server).log)
    refused = asyncio.run(attempt())
    assert len(refused) == 4 and all("only reads" in r for r in refused)
    sent = hooks(server).log[before:]
    assert [m for m, _, _ in sent if m not in ("GET",) and not _ == "/token"] == [
        m for m, p, _ in sent if p == "/token"]  # only the token grant was POSTed
    assert not any("setIamPolicy" in p or "tokens/" in p or m in ("DELETE", "PATCH")
                   for m, p, _ in sent)
    # The engine's own guard allows exactly Resource Manager's getIamPolicy POST.
    assert_read_only_http("POST", "https://cloudresourcemanager.googleapis.com/v3/projects/"
                                  "p1:getIamPolicy")
    with pytest.raises(WriteRefused):
        assert_read_only_http("POST", "https://cloudresourcemanager.googleapis.com/v3/"
                                      "projects/p1:setIamPolicy")


def test_denied_read_is_an_error_never_a_pass(server: GoogleCloud, tmp_path: Path) -> None:
    hooks(server).faults.append(google_fault("admin.roleAssignments.list", "403"))
    hooks(server).faults.append(google_fault("cloudresourcemanager.projects.getIamPolicy", "403"))
    hooks(server).faults.append(google_fault("cloudbilling.billingAccounts.get", "403"))
    result = scan(server, tmp_path)
    roles = one(result, "gws.admins.super_admins", gs.CUSTOMER_ID, "roles")
    assert roles.status is Status.ERROR and "PERMISSION_DENIED" in roles.detail
    # The super admins were still judged.
    assert one(result, "gws.admins.super_admins", PROVIDER_ADMIN).status is Status.FAIL
    for project in ("projects/acme-dental-web", "projects/acme-xray-archive"):
        access = found(result, "gcp.access.iam", project)
        assert [f.status for f in access] == [Status.ERROR], project
        assert "getIamPolicy" in access[0].detail
        billing = found(result, "gcp.billing.project_account", project)
        assert [f.status for f in billing] == [Status.ERROR]
    assert one(result, "gcp.access.iam", ORG).status is Status.FAIL  # the org was read


def test_throttling_honours_retry_after_then_reports(server: GoogleCloud,
                                                     tmp_path: Path) -> None:
    hooks(server).faults.append(google_fault("admin.users.list", "429-once"))
    result = scan(server, tmp_path)
    assert one(result, "gws.admins.super_admins", PROVIDER_ADMIN).status is Status.FAIL
    hooks(server).faults.clear()
    hooks(server).faults.append(google_fault("admin.customers.get", "429"))
    hooks(server).faults.append(google_fault("essentialcontacts.contacts.list", "500"))
    result = scan(server, tmp_path)
    recovery = one(result, "gws.contacts.recovery", gs.CUSTOMER_ID)
    assert recovery.status is Status.ERROR and "throttled" in recovery.detail
    contacts = found(result, "gcp.contacts.essential")
    assert contacts and all(f.status is Status.ERROR for f in contacts)
    assert "INTERNAL" in contacts[0].detail


def test_malformed_answer_is_an_error(server: GoogleCloud, tmp_path: Path) -> None:
    hooks(server).faults.append(google_fault("admin.users.list", "malformed"))
    hooks(server).faults.append(google_fault("cloudresourcemanager.organizations.search", "malformed"))
    result = scan(server, tmp_path)
    for check_id in ("gws.admins.super_admins", "gws.apps.oauth_tokens",
                     "gcp.organization.owner"):
        statuses = {f.status for f in found(result, check_id)} - {Status.MANUAL}
        assert statuses == {Status.ERROR}, (check_id, statuses)
    assert "not JSON" in one(result, "gcp.organization.owner", ORG).detail


def test_an_answer_missing_what_the_method_always_returns_is_malformed(
        server: GoogleCloud, tmp_path: Path) -> None:
    # `{}` from getBillingInfo is not "no billing account", nor from users.list "no users".
    for method in ("cloudbilling.projects.getBillingInfo", "admin.users.list",
                   "cloudresourcemanager.projects.getIamPolicy", "admin.customers.get"):
        hooks(server).faults.append(google_fault(method, "empty"))
    result = scan(server, tmp_path)
    for check_id, asset in (("gcp.billing.project_account", "projects/acme-dental-web"),
                            ("gcp.access.iam", "projects/acme-dental-web"),
                            ("gws.contacts.recovery", gs.CUSTOMER_ID)):
        statuses = {f.status for f in found(result, check_id, asset)}
        assert statuses == {Status.ERROR}, (check_id, statuses)
    admins = [f for f in found(result, "gws.admins.super_admins") if f.status is not
              Status.ERROR]
    assert admins == []
    assert "always returns" in one(result, "gcp.billing.project_account",
                                   "projects/acme-dental-web").detail


def test_missing_scope_is_named(server: GoogleCloud, tmp_path: Path) -> None:
    server.delegated_scopes = frozenset(
        google_api.scope_url(s) for s in (google_api.USERS, google_api.ROLES,
                                          google_api.DOMAINS, google_api.CUSTOMER))
    result = scan(server, tmp_path)
    apps = one(result, "gws.apps.oauth_tokens", gs.CUSTOMER_ID, "tokens")
    assert apps.status is Status.ERROR
    assert "needs permission: https://www.googleapis.com/auth/admin.directory.user.security" \
        in apps.detail and "unauthorized_client" in apps.detail
    assert one(result, "gws.admins.super_admins", PROVIDER_ADMIN).status is Status.FAIL

    lines = asyncio.run(run_doctor(config(server, tmp_path)))
    google_lines = {what: (ok, detail) for area, what, ok, detail in lines
                    if area in ("gws", "gcp")}
    tokens = google_lines["Google Workspace Acme: third-party app tokens"]
    assert tokens[0] is False and "admin.directory.user.security" in tokens[1]
    assert google_lines["Google Workspace Acme: users"][0] is True
    assert google_lines["Google Cloud Acme Cloud: organizations"][0] is True
    # billingAccounts.list needs no scope beyond cloud-billing.readonly: doctor tries it
    assert google_lines["Google Cloud Acme Cloud: billing accounts"][0] is True


def test_broken_or_absent_credentials_fail_the_target(server: GoogleCloud, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    stranger = ServiceAccountKey(server.token_uri).write(tmp_path / "unknown.json")
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(stranger))
    result = scan(server, tmp_path)
    coverage = [c for c in result.coverage if not c.not_configured]  # dns: not configured
    assert [c.assessed for c in coverage] == [False, False]
    assert "Invalid JWT Signature" in (coverage[0].reason or "")
    assert result.findings and all(f.status is Status.ERROR for f in result.findings)

    monkeypatch.delenv("GOOGLE_APPLICATION_CREDENTIALS")
    result = scan(server, tmp_path)
    assert all("no Google credentials found" in (c.reason or "") for c in result.coverage
               if not c.not_configured)


def test_config_errors_name_the_key(server: GoogleCloud, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"scan\.google\[0\]\.customer_id.*customer id"):
        config(server, tmp_path, google={"customer_id": "acme"})
    with pytest.raises(ConfigError, match=r"scan\.gcp\[0\]\.organization_id"):
        config(server, tmp_path, gcp={"organization_id": "orgs/x"})
    with pytest.raises(ConfigError, match=r"client\.gcp_billing_account_ids"):
        config(server, tmp_path, client={"gcp_billing_account_ids": ["nope"]})
    with pytest.raises(ConfigError, match=r"unknown key 'scan\.google\[0\]\.subjet'"):
        config(server, tmp_path, google={"subjet": "a@b.example"})


def test_organization_of_the_providers_google_account(server: GoogleCloud,
                                                      tmp_path: Path) -> None:
    # The Workspace customer that owns the organization is configured as the provider's:
    # the organization and every project in it are the provider's, whatever the Workspace
    # scan says about that customer.
    result = scan(server, tmp_path, provider={"google_customer_ids": [gs.CUSTOMER_ID]})
    owner = one(result, "gcp.organization.owner", ORG)
    assert (owner.status, owner.severity, owner.holder.value) == (
        Status.FAIL, Severity.CRITICAL, "provider")
    project = one(result, "gcp.organization.projects", "projects/acme-dental-web")
    assert project.status is Status.FAIL and gs.CLIENT_ORG in project.detail


def test_organization_owner_unknown_is_a_warning_not_a_pass(server: GoogleCloud,
                                                            tmp_path: Path) -> None:
    # Without the Workspace scan (its customer could not be read) nothing says whose
    # organization this is: a warning, and its projects are not passed either.
    hooks(server).faults.append(google_fault("admin.customers.get", "403"))
    result = scan(server, tmp_path)
    owner = one(result, "gcp.organization.owner", ORG)
    assert owner.status is Status.WARN and gs.CUSTOMER_ID in owner.detail
    project = one(result, "gcp.organization.projects", "projects/acme-dental-web")
    assert project.status is Status.WARN and "not identified" in project.detail
    assert {u.value for u in result.unidentified} >= {gs.CUSTOMER_ID}


def test_checks_command_lists_the_google_checks() -> None:
    root = Path(__file__).resolve().parents[1]
    proc = subprocess.run([sys.executable, "-m", "lockin_audit", "checks", "--format", "json"],
                          capture_output=True, text=True, timeout=60,
                          env={**os.environ, "PYTHONPATH": str(root)})
    rows = json.loads(proc.stdout)
    ids = {r["id"] for r in rows if r["area"] in ("gws", "gcp")}
    assert ids == {"gws.admins.super_admins", "gws.contacts.recovery", "gws.domains.verified",
                   "gws.apps.oauth_tokens", "gws.billing.reseller", "gcp.organization.owner",
                   "gcp.organization.projects", "gcp.billing.project_account",
                   "gcp.billing.account_admins", "gcp.access.iam", "gcp.contacts.essential",
                   "gcp.billing.projects_elsewhere"}


def test_tokens_are_reused_and_refreshed_before_expiry(server: GoogleCloud,
                                                      tmp_path: Path) -> None:
    def grants() -> int:
        return sum(1 for m, p, _ in hooks(server).log if p == "/token")

    before = grants()
    scan(server, tmp_path)
    # One grant per scope and target (5 Workspace scopes, 3 Cloud scopes), however many
    # requests each scope serves.
    assert grants() - before == 8
    server.token_lifetime = 120  # under the 5-minute margin: refreshed before each use
    before = grants()
    result = scan(server, tmp_path)
    assert grants() - before > 20
    assert not [f for f in result.findings if f.status is Status.ERROR]


def test_a_read_that_times_out_is_an_error(server: GoogleCloud, tmp_path: Path) -> None:
    hooks(server).faults.append(google_fault("cloudbilling.billingAccounts.getIamPolicy", "timeout"))
    cfg = config(server, tmp_path)
    limits = cfg.scan.limits.model_copy(update={"timeout_s": 1.0})
    cfg = cfg.model_copy(update={"scan": cfg.scan.model_copy(update={"limits": limits})})
    checks = registry.select(registry.all_checks(), areas=["gcp"])
    result = asyncio.run(Scanner(cfg, checks).run())
    admins = found(result, "gcp.billing.account_admins")
    assert admins and all(f.status is Status.ERROR for f in admins)
    assert "no answer within 1 s" in admins[0].detail
    # Everything else of the target was still judged.
    assert one(result, "gcp.billing.project_account",
               "projects/acme-dental-web").status is Status.FAIL


def test_fault_matrix_no_read_that_fails_becomes_a_pass(server: GoogleCloud,
                                                        tmp_path: Path) -> None:
    """Issue 9 for Google: every API method a clean scan calls is made to fail in turn
    (a 403 with Google's error body, then a malformed answer), by the server. The scan
    completes; the failure is named in an error finding or the coverage; and no pass
    appears that the clean scan did not have."""
    before = len(hooks(server).log)
    clean = scan(server, tmp_path)
    methods = sorted({name for _, path, _ in hooks(server).log[before:]
                      for pattern, _, name, _, _ in gs.ROUTES
                      if re.fullmatch(pattern, urlsplit(path).path)})
    assert len(methods) >= 15, methods  # every API of both sources was exercised
    clean_passed = {(f.check_id, f.asset.id, f.key) for f in clean.findings
                    if f.status is Status.PASS}
    for method in methods:
        for fault in ("403", "malformed"):
            hooks(server).faults.clear()
            hooks(server).faults.append(google_fault(method, fault))
            result = scan(server, tmp_path)
            reasons = [f.detail for f in result.findings if f.status is Status.ERROR] + [
                c.reason or "" for c in result.coverage if not c.assessed]
            marker = method if fault == "403" else "not JSON"
            assert any(marker in r for r in reasons), (method, fault, reasons)
            passed = {(f.check_id, f.asset.id, f.key) for f in result.findings
                      if f.status is Status.PASS}
            assert passed <= clean_passed, (method, fault, passed - clean_passed)
            # A pass never rests on the read that failed.
            route = next(p for p, _, name, _, _ in gs.ROUTES if name == method)
            cited = [(f.check_id, f.asset.id) for f in result.findings
                     if f.status is Status.PASS for e in f.evidence
                     if re.fullmatch(route, urlsplit(e.request.partition(" ")[2]).path)]
            assert not cited, (method, fault, cited)
    hooks(server).faults.clear()


def test_unlisted_organizations_are_errors_not_silence(server: GoogleCloud,
                                                       tmp_path: Path) -> None:
    # No organization configured: every organization the identity sees is read. When they
    # cannot be listed, their IAM policies and contacts were never read: said, not skipped.
    hooks(server).faults.append(google_fault("cloudresourcemanager.organizations.search", "403"))
    result = scan(server, tmp_path, gcp={"organization_id": None, "project_ids": []})
    for check_id in ("gcp.organization.owner", "gcp.access.iam", "gcp.contacts.essential"):
        errors = [f for f in found(result, check_id) if f.status is Status.ERROR]
        assert errors and "organizations.search" in errors[0].detail, check_id
    # The projects it can see were still judged (the provider's owner on each).
    access = found(result, "gcp.access.iam", "projects/acme-dental-web")
    assert any(f.status is Status.FAIL for f in access)
