"""google_identity without a server: service agents only by Google's documented domains,
default service accounts by their project, provider-named domains by whole labels."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import pytest

from lockin_audit import registry
from lockin_audit.check import Check, CheckContext
from lockin_audit.facts import Fetched, FetchError
from lockin_audit.google_identity import classify_service_account
from lockin_audit.identity import Identity
from lockin_audit.model import Asset, Finding, Status
from lockin_audit.sources.gcp import (
    AccountProjects,
    BilledProject,
    Binding,
    GcpFacts,
    IamPolicy,
    Project,
    ProjectFacts,
)
from lockin_audit.sources.gws import GwsDomain, GwsFacts, GwsUser, Tokens
from lockin_audit.sources.interface import Target


@pytest.mark.parametrize(("email", "kind", "project_id", "number"), [
    # cloud.google.com/iam/docs/service-agents
    ("service-415104041262@gcp-sa-logging.iam.gserviceaccount.com", "service_agent", None,
     "415104041262"),
    ("service-415104041262@compute-system.iam.gserviceaccount.com", "service_agent", None,
     "415104041262"),
    ("415104041262@cloudservices.gserviceaccount.com", "service_agent", None, "415104041262"),
    # a user-managed account named service-…: its project decides, not its name
    ("service-backup@bits-tools-prod.iam.gserviceaccount.com", "user_managed",
     "bits-tools-prod", None),
    ("service-123456@bits-tools-prod.iam.gserviceaccount.com", "user_managed",
     "bits-tools-prod", None),
    # default service accounts (user-managed, in their project)
    ("bits-tools-prod@appspot.gserviceaccount.com", "default", "bits-tools-prod", None),
    ("730219465118-compute@developer.gserviceaccount.com", "default", None, "730219465118"),
    ("730219465118@cloudbuild.gserviceaccount.com", "default", None, "730219465118"),
    # lookalikes of agent domains are not agents
    ("service-1@gcp-sa-logging.example.com", "other", None, None),
    ("x@evilgcp-sa-logging.iam.gserviceaccount.com", "user_managed",
     "evilgcp-sa-logging", None),
])
def test_classify_service_account(email: str, kind: str, project_id: str | None,
                                  number: str | None) -> None:
    sa = classify_service_account(email)
    assert (sa.kind, sa.project_id, sa.project_number) == (kind, project_id, number)


def test_organization_service_agents_name_their_organization() -> None:
    sa = classify_service_account("service-org-908172635401@gcp-sa-logging.iam."
                                  "gserviceaccount.com")
    assert (sa.kind, sa.organization_id, sa.project_number) == (
        "service_agent", "908172635401", None)


def test_default_accounts_are_named() -> None:
    assert classify_service_account("p-1234@appspot.gserviceaccount.com").name == \
        "App Engine default service account"
    assert classify_service_account("12-compute@developer.gserviceaccount.com").name == \
        "Compute Engine default service account"


# -- the checks from small fact snapshots (no server) -------------------------------------

NOW = "2026-12-01T00:00:00Z"
CLIENT = {"name": "Acme Dental LLC", "domains": ["acmedental.com"],
          "gcp_organization_ids": ["417305281994"],
          "gcp_billing_account_ids": ["01C1E2-A3C4D5-E6F7A8"]}
PROVIDER = {"name": "Bob's IT Services", "aliases": ["BITS"], "domains": ["bobsit.example"],
            "gcp_organization_ids": ["908172635401"], "phones": ["+1 217 555 0199"]}


def by_id(check_id: str) -> Check:
    return next(c for c in registry.all_checks() if c.meta.id == check_id)


def read(value: Any) -> Fetched[Any]:
    return Fetched("x", "GET https://x.example/list", value, NOW)


def fetched(*items: Any) -> Fetched[tuple[Any, ...]]:
    return read(tuple(items))


def failed(source: str, request: str, reason: str, **kwargs: Any) -> Fetched[Any]:
    return Fetched.failure(FetchError(source, request, reason, **kwargs))


def gws(users: list[GwsUser], domains: list[GwsDomain] | None = None) -> GwsFacts:
    empty = fetched()
    return GwsFacts(customer_key="C03az79cb", subject=None,
                    customer=failed("gws", "customers.get", "not needed here"),
                    users=fetched(*users), roles=empty, assignments=empty,
                    domains=fetched(*(domains or [GwsDomain("acmedental.com", True, True)])),
                    tokens=read(Tokens((), (), ())), label="Acme")


def run(check: Check, facts: Any, *, workspace: GwsFacts | None = None) -> list[Finding]:
    identity = Identity.from_mappings(CLIENT, [PROVIDER])
    target = Target(check.meta.source, check.meta.area, "t", "t", Asset("x", "t"))
    store = {"gws": {"C03az79cb": workspace}} if workspace is not None else {}
    ctx = CheckContext(check.meta, target, identity, dt.date(2026, 12, 6), store)
    return check.run(facts, ctx)


def admin(email: str, **kwargs: Any) -> GwsUser:
    return GwsUser("1", email, "Jane Smith", True, False, False, True, None, **kwargs)


def test_a_super_admin_whose_recovery_is_a_personal_mailbox_is_a_warning() -> None:
    facts = gws([admin("it-owner@acmedental.com", recovery_email="jane.dds@gmail.com")])
    (user, summary) = run(by_id("gws.admins.super_admins"), facts)
    assert (user.status, user.holder.value) == (Status.WARN, "unknown")
    assert "recoveryEmail jane.dds@gmail.com decides" in user.detail
    assert "personal Gmail mailbox" in user.detail and "no recovery phone" in user.detail
    assert summary.status is Status.FAIL  # not counted as the business's own super admin


def test_a_recovery_phone_the_provider_lists_decides() -> None:
    facts = gws([admin("it-owner@acmedental.com", recovery_phone="+12175550199")])
    user = run(by_id("gws.admins.super_admins"), facts)[0]
    assert (user.status, user.holder.value) == (Status.FAIL, "provider")
    assert "recoveryPhone +12175550199 decides" in user.detail


def test_own_recovery_passes_and_says_what_was_read() -> None:
    facts = gws([admin("it-owner@acmedental.com", recovery_email="it@acmedental.com",
                       recovery_phone="+12175550100")])
    user, summary = run(by_id("gws.admins.super_admins"), facts)
    assert (user.status, summary.status) == (Status.PASS, Status.PASS)
    assert "Not attributed: recoveryPhone +12175550100" in user.detail


def test_an_admin_on_an_unlisted_secondary_domain_is_unknown_not_the_business() -> None:
    domains = [GwsDomain("acmedental.com", True, True), GwsDomain("acme-partners.com", True,
                                                                  False)]
    facts = gws([admin("ops@acme-partners.com")], domains)
    user = run(by_id("gws.admins.super_admins"), facts)[0]
    assert (user.status, user.holder.value) == (Status.WARN, "unknown")
    assert "verified in Google Workspace C03az79cb, but the audit file does not list it" \
        in user.detail
    listed = [f for f in run(by_id("gws.domains.verified"), facts)
              if f.asset.id == "acme-partners.com"]
    assert [(f.status, f.key) for f in listed] == [(Status.WARN, "unlisted-domain")]


def project(pid: str, number: str, org: str | None) -> Project:
    return Project(pid, number, pid, f"organizations/{org}" if org else None, read(org),
                   "ACTIVE", f"GET /v3/projects/{pid}", NOW)


def gcp(bindings: Sequence[Binding] = (), accounts: tuple[AccountProjects, ...] = (),
        visible: Any = None) -> GcpFacts:
    web = project("acme-dental-web", "415104041262", "417305281994")
    pf = ProjectFacts(web, read(IamPolicy("projects/acme-dental-web", tuple(bindings))),
                      failed("gcp", "billingInfo", "not needed"), fetched())
    return GcpFacts(label="Acme", organization_id="417305281994",
                    organizations=fetched(), projects=fetched(pf), missing_projects=(),
                    organization_facts=(), billing_accounts=(),
                    target_asset=Asset("gcp_organization", "organizations/417305281994"),
                    visible_accounts=visible, account_projects=accounts)


def test_a_service_agent_of_a_project_the_scan_did_not_read_is_unknown() -> None:
    facts = gcp([Binding("roles/editor", (
        "serviceAccount:service-999888777666@gcp-sa-cloudbuild.iam.gserviceaccount.com",
        "serviceAccount:service-415104041262@gcp-sa-cloudbuild.iam.gserviceaccount.com"))])
    found = [f for f in run(by_id("gcp.access.iam"), facts) if f.status is not Status.PASS]
    assert len(found) == 1 and found[0].holder.value == "unknown"
    assert "service agent for project number 999888777666" in found[0].detail


def test_billed_projects_judged_from_facts() -> None:
    acct = "01C1E2-A3C4D5-E6F7A8"
    billed = fetched(BilledProject("acme-dental-web", True, None),
                     BilledProject("bits-build", True,
                                   read(project("bits-build", "1", "908172635401"))),
                     BilledProject("stray", False, read(project("stray", "2", "555000111222"))),
                     BilledProject("hidden", True, failed(
                         "gcp", "GET /v3/projects/hidden", "HTTP 403", kind="denied")))
    facts = gcp(accounts=(AccountProjects(acct, "Acme", None, None, billed),
                          AccountProjects("0A1B2C-3D4E5F-6A7B8C", None, None, None,
                                          failed("gcp", "GET list", "HTTP 403",
                                                 kind="denied"))),
                visible=fetched())
    got = {f.asset.id: f for f in run(by_id("gcp.billing.projects_elsewhere"), facts)}
    assert got["projects/bits-build"].status is Status.FAIL
    assert f"billingAccounts/{acct}" in got["projects/bits-build"].detail
    assert got["projects/stray"].status is Status.WARN
    assert "billing disabled" in got["projects/stray"].detail
    assert got["projects/hidden"].status is Status.ERROR and acct in got["projects/hidden"].detail
    assert got["billingAccounts/0A1B2C-3D4E5F-6A7B8C"].status is Status.ERROR
    assert "projects/acme-dental-web" not in got  # in scope: judged elsewhere
    # facts recorded before the read existed: nothing said, nothing passed
    assert run(by_id("gcp.billing.projects_elsewhere"), gcp()) == []
    # no account visible and none configured: said, never silent
    (none,) = run(by_id("gcp.billing.projects_elsewhere"), gcp(visible=fetched()))
    assert none.status is Status.MANUAL and "were not looked for" in none.detail


def _dns(domain: str, mx: list[str], txt: list[str]) -> Any:
    from lockin_audit.facts import Fetched
    from lockin_audit.sources.dns import Answer, DnsFacts, HostAddresses, Lookup, Spf, lookup

    def ans(rdtype: str, records: Sequence[str] = (), name: str = domain) -> Lookup:
        return lookup(Answer(name, rdtype, "ok" if records else "nodata", tuple(records),
                             server="127.0.0.1:53"))

    host = HostAddresses(domain, ans("A"), ans("AAAA"))
    return DnsFacts(domain=domain, ns=ans("NS", ["ns1.example.net."]), soa=ans("SOA"),
                    soa_parsed=None, mx=ans("MX", [f"10 {h}" for h in mx]),
                    mx_hosts=tuple((10, h) for h in mx), mx_addresses=(),
                    txt=ans("TXT", txt), spf=Fetched("dns", f"{domain} TXT", Spf(None)),
                    dmarc=Fetched.failure(FetchError("dns", "x", "n/a")),
                    tlsrpt=ans("TXT"), mta_sts=ans("TXT"), dkim=(), caa=ans("CAA"),
                    caa_parsed=(), ds=ans("DS"), dnskey=ans("DNSKEY"), apex=host, www=host,
                    autodiscover=ans("CNAME"), ptr={})


def test_a_business_domain_missing_from_the_workspace_says_where_to_look() -> None:
    check = by_id("gws.domains.verified")
    facts = gws([admin("it-owner@acmedental.com")])
    identity = Identity.from_mappings({**CLIENT, "domains": ["acmedental.com",
                                                             "acmedental.de"]}, [PROVIDER])
    target = Target("gws", "gws", "t", "t", Asset("x", "t"))
    dns = {"dns": {"acmedental.de": _dns(
        "acmedental.de", ["aspmx.l.google.com."],
        ['"google-site-verification=abc123"', '"MS=ms12345678"', '"v=spf1 -all"'])}}
    ctx = CheckContext(check.meta, target, identity, dt.date(2026, 12, 6), dns)
    (missing,) = [f for f in check.run(facts, ctx) if f.asset.id == "acmedental.de"]
    assert (missing.status, missing.key) == (Status.WARN, "missing")
    assert "its mail goes to Google Workspace (MX aspmx.l.google.com.)" in missing.detail
    assert "google-site-verification" in missing.detail and "Microsoft 365" in missing.detail
    assert any(e.request.startswith("acmedental.de MX") for e in missing.evidence)
    # without the DNS area's facts, it names the records to look at
    ctx = CheckContext(check.meta, target, identity, dt.date(2026, 12, 6), {})
    (missing,) = [f for f in check.run(facts, ctx) if f.asset.id == "acmedental.de"]
    assert missing.status is Status.WARN and "MX records" in missing.detail
