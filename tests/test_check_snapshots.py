"""Checks judged from small fact snapshots, no server (issue 19 item 5).

Each case is a typed fact snapshot, round-tripped through the fact codec
(`lockin_audit.facts.fact_to_json` / `fact_from_json`, what `judge` replays), and the check
run on it: the failed read, the path not covered and the pass side by side. A pass names
its scope; a failed read is an error, never a pass.

How to add a check's test: build its source's frozen facts (optional fields left out as the
API leaves them out), run `judge(check_id, facts)`, assert the statuses.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import TYPE_CHECKING, Any

from lockin_audit import catalogue, registry
from lockin_audit.check import Check, CheckContext
from lockin_audit.facts import Fetched, FetchError, fact_from_json, fact_to_json
from lockin_audit.identity import Identity
from lockin_audit.model import Asset, Finding, Status
from lockin_audit.sources.gws import GwsDomain, GwsFacts, Tokens
from lockin_audit.sources.interface import Target

if TYPE_CHECKING:
    from lockin_audit.sources.gcp import IamPolicy, ProjectFacts

CLIENT = {"name": "Acme Dental LLC", "domains": ["acmedental.com", "acme-dental.net"]}
PROVIDER = {"name": "Bob's IT Services", "domains": ["bobsit.example"],
            "azure_tenant_ids": ["b0b00000-0000-4000-8000-000000000001"]}
NOW = "2026-12-01T00:00:00Z"


def check(check_id: str) -> Check:
    return next(c for c in registry.all_checks() if c.id == check_id)


def snapshot(facts: Any) -> Any:
    """The facts as a snapshot stores them, and back: a check sees what `judge` sees."""
    return fact_from_json(json.loads(json.dumps(fact_to_json(facts))))


def judge(check_id: str, facts: Any, others: dict[str, dict[str, Any]] | None = None
          ) -> list[Finding]:
    c = check(check_id)
    target = Target(c.meta.source, c.meta.area, "t", "t", Asset("x", "t"))
    ctx = CheckContext(c.meta, target, Identity.from_mappings(CLIENT, [PROVIDER]),
                       dt.date(2026, 12, 6), others or {})
    return c.run(snapshot(facts), ctx)


def listed(*items: Any) -> Fetched[tuple[Any, ...]]:
    return Fetched("gws", "GET admin/directory/v1/customer/C03az79cb/domains", items, NOW)


def workspace(domains: Fetched[tuple[GwsDomain, ...]]) -> GwsFacts:
    empty = listed()
    return GwsFacts(customer_key="C03az79cb", subject=None,
                    customer=Fetched.failure(FetchError("gws", "customers.get",
                                                        "not needed here")),
                    users=empty, roles=empty, assignments=empty, domains=domains,
                    tokens=Fetched("gws", "tokens.list", Tokens((), (), ()), NOW),
                    label="Acme")


def test_gws_domains_failed_read_unlisted_domain_and_pass_side_by_side() -> None:
    assert catalogue.paths_read_by("gws.domains.verified")
    denied = FetchError("gws", "domains.list", "403: Not Authorized to access this "
                        "resource/api", kind="denied")
    failed = judge("gws.domains.verified", workspace(Fetched.failure(denied)))
    assert [f.status for f in failed] == [Status.ERROR]
    assert "403" in failed[0].detail

    # acme-dental.net is not in the account: not read there, so not a pass
    partial = judge("gws.domains.verified",
                    workspace(listed(GwsDomain("acmedental.com", True, True))))
    by_domain = {f.asset.id: f for f in partial}
    assert by_domain["acmedental.com"].status is Status.PASS
    assert by_domain["acme-dental.net"].status is not Status.PASS
    assert "verified in the business's Workspace" in by_domain["acmedental.com"].detail

    both = judge("gws.domains.verified", workspace(listed(
        GwsDomain("acmedental.com", True, True),
        GwsDomain("acme-dental.net", True, False, alias_of="acmedental.com"))))
    assert {f.status for f in both} == {Status.PASS}


def gcp_project(pid: str, number: str, iam: Fetched[IamPolicy]) -> ProjectFacts:
    from lockin_audit.sources.gcp import Project, ProjectFacts

    request = f"GET https://cloudresourcemanager.googleapis.com/v3/projects/{pid}"
    org: Fetched[str | None] = Fetched("gcp", request, "417305281994", NOW)
    unread = Fetched.failure(FetchError("gcp", "not read", "not needed here"))
    return ProjectFacts(Project(pid, number, pid, "organizations/417305281994", org,
                                "ACTIVE", request, NOW), iam, unread, unread)


def test_gcp_iam_failed_read_provider_member_and_pass_side_by_side() -> None:
    from lockin_audit.sources.gcp import Binding, GcpFacts, IamPolicy, OrganizationFacts

    assert catalogue.paths_read_by("gcp.access.iam")

    def policy(resource: str, *bindings: Binding) -> Fetched[IamPolicy]:
        # getIamPolicy answers {"version", "etag", "bindings"}; an empty policy has no
        # bindings (cloud.google.com/resource-manager/reference/rest/v3/Policy)
        return Fetched("gcp", f"POST https://cloudresourcemanager.googleapis.com/v3/{resource}"
                       ":getIamPolicy", IamPolicy(resource, bindings), NOW)

    denied = Fetched.failure(FetchError(
        "gcp", "POST https://cloudresourcemanager.googleapis.com/v3/organizations/"
        "417305281994:getIamPolicy", "HTTP 403 PERMISSION_DENIED: The caller does not have "
        "permission", kind="denied", permission="resourcemanager.organizations.getIamPolicy"))
    read: Fetched[tuple[ProjectFacts, ...]] = Fetched(
        "gcp", "GET https://cloudresourcemanager.googleapis.com/v3/projects:search",
        (gcp_project("acme-web", "415104041262", policy(
            "projects/acme-web", Binding("roles/owner", (
                "user:it@acmedental.com",)))),
         gcp_project("acme-xray", "415104041263", policy(
             "projects/acme-xray", Binding("roles/editor", (
                 "user:tech@bobsit.example", "user:it@acmedental.com"))))), NOW)
    facts = GcpFacts(label="Acme", organization_id="417305281994",
                     organizations=Fetched("gcp", "GET organizations:search", (), NOW),
                     projects=read, missing_projects=(),
                     organization_facts=(OrganizationFacts(
                         "417305281994", "acmedental.com", denied,
                         Fetched("gcp", "GET contacts", (), NOW)),),
                     billing_accounts=(),
                     target_asset=Asset("gcp_organization", "organizations/417305281994"))
    found = {(f.asset.id, f.status) for f in judge("gcp.access.iam", facts)}
    assert found == {("organizations/417305281994", Status.ERROR),
                     ("projects/acme-web", Status.PASS),
                     ("projects/acme-xray", Status.FAIL)}
    (passed,) = [f for f in judge("gcp.access.iam", facts) if f.status is Status.PASS]
    assert "IAM policy of projects/acme-web" in passed.detail  # names what was read


# Where a project sits (Resource Manager v3): projects.search rows carry `parent`
# ("organizations/N" or "folders/N"); a folder's organization comes from folders.get up its
# parents (cloud.google.com/resource-manager/reference/rest/v3/projects/search,
# .../v3/folders/get). The default Compute Engine service account is
# PROJECT_NUMBER-compute@developer.gserviceaccount.com
# (cloud.google.com/compute/docs/access/service-accounts#default_service_account).
GCP_SEARCH = "GET https://cloudresourcemanager.googleapis.com/v3/projects:search"
GCP_OWN_ORG, GCP_PROVIDER_ORG = "417305281994", "908172635401"


def judge_gcp(check_id: str, facts: Any) -> list[Finding]:
    """`judge` with the business's and the provider's Cloud organizations in the audit file."""
    c = check(check_id)
    target = Target(c.meta.source, c.meta.area, "t", "t", Asset("x", "t"))
    identity = Identity.from_mappings({**CLIENT, "gcp_organization_ids": [GCP_OWN_ORG]},
                                      [{**PROVIDER, "gcp_organization_ids": [GCP_PROVIDER_ORG]}])
    return c.run(snapshot(facts), CheckContext(c.meta, target, identity,
                                               dt.date(2026, 12, 6), {}))


def folder_read(folder: str, org: str | None = GCP_OWN_ORG) -> Fetched[str | None]:
    """A folder's organization as folders.get answered it, or its 403."""
    request = f"GET https://cloudresourcemanager.googleapis.com/v3/{folder}"
    if org is None:
        return Fetched.failure(FetchError(
            "gcp", request, "HTTP 403 PERMISSION_DENIED: The caller does not have "
            "permission", kind="denied", permission="resourcemanager.folders.get"))
    return Fetched("gcp", request, org, NOW)


def placed_project(pid: str, number: str, parent: str,
                   organization: Fetched[str | None] | None = None,
                   iam: Fetched[Any] | None = None) -> Any:
    """A projects.search row: in an organization directly (its placement is the row), or
    in a folder (its placement is `organization`, the folders.get read)."""
    from lockin_audit.sources.gcp import IamPolicy, Project, ProjectFacts

    if organization is None:
        organization = Fetched("gcp", GCP_SEARCH, parent.removeprefix("organizations/"), NOW)
    unread = Fetched.failure(FetchError("gcp", "not read", "not needed here"))
    policy = iam or Fetched("gcp", f"POST .../v3/projects/{pid}:getIamPolicy",
                            IamPolicy(f"projects/{pid}", ()), NOW)
    return ProjectFacts(Project(pid, number, pid, parent, organization, "ACTIVE", GCP_SEARCH,
                                NOW), policy, unread, unread)


def gcp_facts(projects: Fetched[Any], *orgs: Any) -> Any:
    from lockin_audit.sources.gcp import GcpFacts

    return GcpFacts(label="Acme", organization_id=GCP_OWN_ORG,
                    organizations=Fetched("gcp", "GET organizations:search", (), NOW),
                    projects=projects, missing_projects=(), organization_facts=orgs,
                    billing_accounts=(),
                    target_asset=Asset("gcp_organization", f"organizations/{GCP_OWN_ORG}"))


def search_failed() -> Fetched[Any]:
    return Fetched.failure(FetchError("gcp", GCP_SEARCH, "HTTP 503 UNAVAILABLE: The service "
                                      "is currently unavailable", kind="unavailable"))


def test_gcp_projects_failed_placement_provider_org_and_pass_side_by_side() -> None:
    assert catalogue.paths_read_by("gcp.organization.projects")
    failed = judge_gcp("gcp.organization.projects", gcp_facts(search_failed()))
    assert [f.status for f in failed] == [Status.ERROR]
    assert "projects:search" in failed[0].detail and "503" in failed[0].detail

    read = gcp_facts(Fetched("gcp", GCP_SEARCH, (
        placed_project("acme-web", "415104041262", "folders/111",
                       folder_read("folders/111")),
        placed_project("acme-imaging", "993817264501", "folders/222",
                       folder_read("folders/222", None)),
        placed_project("acme-xray", "730219465118", f"organizations/{GCP_PROVIDER_ORG}")),
        NOW))
    by_project = {f.asset.id: f for f in judge_gcp("gcp.organization.projects", read)}
    web, imaging, xray = (by_project[f"projects/{p}"]
                          for p in ("acme-web", "acme-imaging", "acme-xray"))
    assert (web.status, imaging.status, xray.status) == (Status.PASS, Status.ERROR,
                                                        Status.FAIL)
    # the pass rests on the folder's ancestry read, and cites it (not the search)
    assert [e.request for e in web.evidence] == [
        "GET https://cloudresourcemanager.googleapis.com/v3/folders/111"]
    assert "folders/222" in imaging.detail and "resourcemanager.folders.get" in imaging.detail
    assert [e.request for e in xray.evidence] == [GCP_SEARCH]  # the row is its placement


def test_gcp_projects_one_read_one_outcome_for_a_shared_folder() -> None:
    # Two projects in one folder: one folders.get decides both. Recorded as failed for
    # one, it is not a pass for the other.
    facts = gcp_facts(Fetched("gcp", GCP_SEARCH, (
        placed_project("acme-web", "415104041262", "folders/111",
                       folder_read("folders/111")),
        placed_project("acme-imaging", "993817264501", "folders/111",
                       folder_read("folders/111", None))), NOW))
    found = judge_gcp("gcp.organization.projects", facts)
    assert {f.status for f in found} == {Status.ERROR}
    assert all("folders/111" in f.detail for f in found)


def test_gcp_iam_service_account_of_an_unplaced_project_is_an_error() -> None:
    from lockin_audit.sources.gcp import Binding, IamPolicy, OrganizationFacts

    xray_sa = "serviceAccount:730219465118-compute@developer.gserviceaccount.com"

    def web(*members: str) -> Any:
        return placed_project("acme-web", "415104041262", f"organizations/{GCP_OWN_ORG}",
                              iam=Fetched("gcp", "POST .../v3/projects/acme-web:getIamPolicy",
                                          IamPolicy("projects/acme-web", (Binding(
                                              "roles/storage.admin", members),)), NOW))

    def judged(xray_placement: Fetched[str | None]) -> list[Finding]:
        """acme-web's policy: acme-xray's and its own default service accounts."""
        facts = gcp_facts(Fetched("gcp", GCP_SEARCH, (
            web(xray_sa, "serviceAccount:415104041262-compute@developer.gserviceaccount.com"),
            placed_project("acme-xray", "730219465118", "folders/333", xray_placement)), NOW))
        return [f for f in judge_gcp("gcp.access.iam", facts)
                if f.asset.id == "projects/acme-web"]

    # acme-xray's folder could not be read: whose its service account is is not known
    (error,) = judged(folder_read("folders/333", None))
    assert error.status is Status.ERROR
    assert xray_sa.split(":")[1] in error.detail and "roles/storage.admin" in error.detail
    assert "folders/333" in error.detail and "resourcemanager.folders.get" in error.detail
    # read, in the provider's organization: the provider holds it
    (provider,) = judged(folder_read("folders/333", GCP_PROVIDER_ORG))
    assert (provider.status, provider.holder.value) == (Status.FAIL, "provider")
    assert xray_sa in provider.detail
    # read, in the business's organization: the policy passes
    (own,) = judged(folder_read("folders/333", GCP_OWN_ORG))
    assert own.status is Status.PASS and "projects/acme-web" in own.detail

    # projects:search failed: a project's service account in the organization's policy
    # is not judged (the error names the failed search), the rest of the policy is
    org_policy = Fetched("gcp", f"POST .../v3/organizations/{GCP_OWN_ORG}:getIamPolicy",
                         IamPolicy(f"organizations/{GCP_OWN_ORG}", (Binding(
                             "roles/owner", (xray_sa, "user:tech@bobsit.example")),)), NOW)
    found = judge_gcp("gcp.access.iam", gcp_facts(search_failed(), OrganizationFacts(
        GCP_OWN_ORG, "acmedental.com", org_policy, Fetched("gcp", "GET contacts", (), NOW))))
    errors = [f for f in found if f.status is Status.ERROR]
    assert any(xray_sa.split(":")[1] in f.detail and "projects:search" in f.detail
               for f in errors)
    assert not any(f.status in (Status.PASS, Status.WARN) for f in found)
    assert any(f.status is Status.FAIL and "tech@bobsit.example" in f.detail for f in found)


def inventory(**rows: Any) -> Any:
    from lockin_audit.sources.inventory import InventoryFacts

    return InventoryFacts(path="inventory.yaml", observed_at=NOW, **rows)


def test_custody_admin_credentials_unreadable_row_provider_and_pass_side_by_side() -> None:
    from lockin_audit.sources.inventory import Credential, RowProblem

    unreadable = judge("custody.admin-credentials.holder", inventory(problems=(
        RowProblem("inventory.yaml:12", "admin_holder", "expected client, provider or both",
                   row_id="Firewall", section="credentials"),)))
    assert [f.status for f in unreadable] == [Status.ERROR]
    assert "admin_holder" in unreadable[0].detail

    found = judge("custody.admin-credentials.holder", inventory(credentials=(
        Credential("Firewall", "provider", "inventory.yaml:3"),
        Credential("Wi-Fi controller", "client", "inventory.yaml:7",
                   last_tested=dt.date(2026, 11, 1)))))
    by_system = {f.asset.name: f for f in found}
    assert by_system["Firewall"].status is Status.FAIL
    assert by_system["Wi-Fi controller"].status is Status.PASS
    assert "Wi-Fi controller" in by_system["Wi-Fi controller"].detail  # names its scope


def test_contract_holder_unreadable_row_and_pass_side_by_side() -> None:
    from lockin_audit.sources.inventory import Contract, RowProblem

    unreadable = judge("contract.holder.account", inventory(problems=(
        RowProblem("inventory.yaml:4", "account_holder", "not a text", row_id="NET-1",
                   section="contracts"),)))
    assert Status.ERROR in {f.status for f in unreadable}
    assert Status.PASS not in {f.status for f in unreadable}

    mine = judge("contract.holder.account", inventory(contracts=(
        Contract("NET-1", "internet_line", "Metro Fiber Co", "inventory.yaml:2",
                 account_holder="Acme Dental LLC", billed_to="Acme Dental LLC",
                 contracted_via="client"),)))
    assert [f.status for f in mine] == [Status.PASS]
    assert "NET-1" in mine[0].detail


def dns_facts(domain: str, **fields: Any) -> Any:
    """A DnsFacts snapshot where every record set not given answered "nodata"."""
    from lockin_audit.sources.dns import Answer, DnsFacts, HostAddresses, Lookup, lookup

    def nodata(rdtype: str, name: str = domain) -> Lookup:
        return lookup(Answer(name, rdtype, "nodata", observed_at=NOW))

    base: dict[str, Any] = dict(
        domain=domain, ns=nodata("NS"), soa=nodata("SOA"), soa_parsed=None, mx=nodata("MX"),
        mx_hosts=(), mx_addresses=(), txt=nodata("TXT"),
        spf=Fetched.failure(FetchError("dns", f"{domain} TXT", "not needed here")),
        dmarc=Fetched.failure(FetchError("dns", f"_dmarc.{domain} TXT", "not needed here")),
        tlsrpt=nodata("TXT", f"_smtp._tls.{domain}"), mta_sts=nodata("TXT", f"_mta-sts.{domain}"),
        dkim=(), caa=nodata("CAA"), caa_parsed=(), ds=nodata("DS"), dnskey=nodata("DNSKEY"),
        apex=HostAddresses(domain, nodata("A"), nodata("AAAA")),
        www=HostAddresses(f"www.{domain}", nodata("A", f"www.{domain}"),
                          nodata("AAAA", f"www.{domain}")),
        autodiscover=nodata("CNAME", f"autodiscover.{domain}"), ptr={})
    base.update(fields)
    return DnsFacts(**base)


def test_domain_caa_failed_read_provider_account_and_pass_side_by_side() -> None:
    from lockin_audit.sources.dns import Answer, Caa, lookup

    timeout = FetchError("dns", "acmedental.com CAA", "no answer within 3 s", kind="timeout")
    failed = judge("domain.dns.caa", dns_facts("acmedental.com", caa=lookup(timeout)))
    assert [f.status for f in failed] == [Status.ERROR]

    record = '0 issue "letsencrypt.org;accounturi=https://acme-v02.api.letsencrypt.org/' \
             'acme/acct/1"'
    pinned = judge("domain.dns.caa", dns_facts(
        "acmedental.com",
        caa=lookup(Answer("acmedental.com", "CAA", "ok", (record,), observed_at=NOW)),
        caa_parsed=(Caa(0, "issue", "letsencrypt.org;accounturi=https://acme-v02.api."
                                    "letsencrypt.org/acme/acct/1"),)))
    # an ACME account nobody can attribute is not passed as the business's
    assert pinned and Status.PASS not in {f.status for f in pinned}

    none = judge("domain.dns.caa", dns_facts("acmedental.com"))
    assert [f.status for f in none] == [Status.PASS]
    assert "CAA record" in none[0].detail  # the pass names its scope (the catalogue's)
    assert "CAA record" in catalogue.check_scopes("domain.dns.caa")


PROVIDER_TENANT = "b0b00000-0000-4000-8000-000000000001"


def arm_read(value: Any, request: str = "GET /subscriptions/x") -> Any:
    """An ARM read that answered `value`."""

    return Fetched("azure", request, value, NOW)


def subscription(**fields: Any) -> Any:
    """A subscription whose lists were read and are empty, but for `fields`."""
    from lockin_audit.sources.azure import Subscription

    base: dict[str, Any] = dict(id="5eb5c5b0-0000-4000-8000-000000000011", name="Prod",
                                tenant_id="c0ffee00-0000-4000-8000-000000000001",
                                state="Enabled", quota_id=None, managed_by_tenants=())
    base.update({name: arm_read(()) for name in (
        "role_assignments", "eligible_assignments", "classic_admins", "lighthouse",
        "managed", "resources", "applications")})
    base.update(fields)
    return Subscription(**base)


def azure(*subs: Any) -> Any:
    from lockin_audit.sources.azure import AzureFacts

    return AzureFacts(tenant_id="c0ffee00-0000-4000-8000-000000000001", label="Acme",
                      arm_endpoint="https://management.azure.com",
                      subscriptions=arm_read(subs, "GET /subscriptions"), observed_at=NOW)


def test_azure_lighthouse_failed_read_provider_delegation_and_pass_side_by_side() -> None:
    from lockin_audit.sources.azure import (
        LighthouseAssignment,
        LighthouseAuthorization,
        LighthouseDefinition,
    )

    denied = FetchError("azure", "GET registrationAssignments", "403 AuthorizationFailed",
                        kind="denied")
    failed = judge("azure.delegation.lighthouse",
                   azure(subscription(lighthouse=Fetched.failure(denied))))
    assert [f.status for f in failed] == [Status.ERROR]

    delegated = subscription(lighthouse=arm_read((LighthouseAssignment(
        "/subscriptions/5eb5c5b0-0000-4000-8000-000000000011/providers/Microsoft."
        "ManagedServices/registrationAssignments/1",
        "/subscriptions/5eb5c5b0-0000-4000-8000-000000000011", arm_read(LighthouseDefinition(
            "Managed services", PROVIDER_TENANT, "Bob's IT Services",
            (LighthouseAuthorization("9f0c0000-0000-4000-8000-000000000001", "BITS "
                                     "engineers", "Owner"),)))),)))
    held = judge("azure.delegation.lighthouse", azure(delegated))
    assert [f.status for f in held] == [Status.FAIL]

    clean = judge("azure.delegation.lighthouse", azure(subscription()))
    assert [f.status for f in clean] == [Status.PASS]
    assert "through Azure Lighthouse" in clean[0].detail  # names its scope


MG_ID = "/providers/Microsoft.Management/managementGroups/acme-production"
MG_ROOT = "/providers/Microsoft.Management/managementGroups/c0ffee00-0000-4000-8000-000000000001"


def inherited_owner(principal_id: str, scope: str = MG_ID) -> Any:
    """An Owner assignment made at a management group, as a subscription's unfiltered
    roleAssignments list returns it (Role Assignments - List For Subscription: "at, above
    or below the scope")."""
    from lockin_audit.sources.azure import RoleAssignment

    return RoleAssignment(f"{scope}/providers/Microsoft.Authorization/roleAssignments/"
                          f"{principal_id[-4:]}", scope, "Owner", principal_id, "User")


def mg_facts(sub: Any, groups: Any) -> Any:
    """Azure facts with the directory naming the business's break-glass (its own) and the
    provider's technician (a guest from bobsit.example), and management groups `groups`
    (a Fetched)."""
    from dataclasses import replace

    from lockin_audit.sources.azure import Directory
    from lockin_audit.sources.graph import Principal

    people = {
        "b1ea0000-0000-4000-8000-000000000001": Principal(
            "b1ea0000-0000-4000-8000-000000000001", "user", "Break glass",
            "breakglass@acmedental.com", "breakglass@acmedental.com", "Member"),
        "7ec40000-0000-4000-8000-000000000002": Principal(
            "7ec40000-0000-4000-8000-000000000002", "user", "Tech (BITS)",
            "tech_bobsit.example#EXT#@acmedental.onmicrosoft.com", "tech@bobsit.example",
            "Guest"),
    }
    return replace(azure(sub), management_groups=groups, directory=arm_read(
        Directory(people, frozenset({"acmedental.com", "acmedental.onmicrosoft.com"})),
        "POST /directoryObjects/getByIds"))


def group(assignments: Any, *, parent: str | None = MG_ROOT, parent_error: Any = None,
          eligible: Any = None) -> Any:
    from lockin_audit.sources.azure import ManagementGroup

    ra = f"GET {MG_ID}/providers/Microsoft.Authorization/roleAssignments?$filter=atScope()"
    el = (f"GET {MG_ID}/providers/Microsoft.Authorization/"
          "roleEligibilityScheduleInstances?$filter=atScope()")
    parent_read = (Fetched.failure(parent_error) if parent_error is not None
                   else Fetched("azure", f"GET {MG_ID}", parent, NOW))
    return ManagementGroup(MG_ID, "acme-production", "Acme Production", parent_read,
                           assignments if isinstance(assignments, Fetched)
                           else arm_read(assignments, ra),
                           eligible if eligible is not None else arm_read((), el))


def test_azure_role_assignments_unread_management_group_provider_and_pass_side_by_side(
        ) -> None:
    """The subscription's own list returns the assignments inherited from above. When a
    management group is read, the ones made there are judged at the group (and skipped on
    the subscription); when its read fails, the subscription judges them itself: a
    provider's Owner there is a fail on the subscription (never silence), and a pass
    names the failed read instead of leaning on it."""

    client, provider = ("b1ea0000-0000-4000-8000-000000000001",
                        "7ec40000-0000-4000-8000-000000000002")
    denied = FetchError("azure", "GET /providers/Microsoft.Management/managementGroups",
                        "403 AuthorizationFailed", kind="denied",
                        permission="Microsoft.Management/managementGroups/read")
    ra_denied = FetchError(
        "azure", f"GET {MG_ID}/providers/Microsoft.Authorization/roleAssignments"
        "?$filter=atScope()", "403 AuthorizationFailed", kind="denied",
        permission="Microsoft.Authorization/roleAssignments/read")
    for unread in (Fetched.failure(denied),
                   arm_read((group(Fetched.failure(ra_denied)),), "GET /providers/x"),
                   arm_read((group((inherited_owner(provider),), eligible=Fetched.failure(
                       ra_denied)),), "GET /providers/x")):
        # the provider's technician is Owner at the unread group: a fail on the subscription
        held = judge("azure.access.role-assignments", mg_facts(
            subscription(role_assignments=arm_read((inherited_owner(provider),))), unread))
        assert [(f.status, f.holder.value) for f in held] == [(Status.FAIL, "provider")]
        assert "management group acme-production (inherited by this subscription)" in \
            held[0].detail
        # the business's own Owner there: a pass that names the read that failed
        clean = judge("azure.access.role-assignments", mg_facts(
            subscription(role_assignments=arm_read((inherited_owner(client),))), unread))
        assert [f.status for f in clean] == [Status.PASS]
        assert "Not read: GET /providers/Microsoft.Management/managementGroups" in \
            clean[0].detail and "403 AuthorizationFailed" in clean[0].detail
        assert "judged only as this subscription's own lists return them" in clean[0].detail
        assert "readable management groups judged there" not in clean[0].detail \
            or unread.ok
    # the group read: judged there, the subscription's pass says so and names no failure
    read = arm_read((group((inherited_owner(provider),)),), "GET /providers/x")
    sub = judge("azure.access.role-assignments", mg_facts(
        subscription(role_assignments=arm_read((inherited_owner(provider),))), read))
    assert [f.status for f in sub] == [Status.PASS]
    assert "those of readable management groups judged there" in sub[0].detail
    assert "Not read" not in sub[0].detail
    at_group = judge("azure.access.management-groups", mg_facts(subscription(), read))
    assert [(f.status, f.holder.value) for f in at_group] == [(Status.FAIL, "provider")]


def test_azure_management_group_whose_own_read_failed_is_not_taken_for_the_root() -> None:
    """A group whose GET failed has no known parent: it is not the tenant root group for
    sure, so the assignments at "/" are not skipped on the subscription (judged there) and
    the group's pass does not claim the tenant root scope."""
    client, provider = ("b1ea0000-0000-4000-8000-000000000001",
                        "7ec40000-0000-4000-8000-000000000002")
    failed = FetchError("azure", f"GET {MG_ID}", "504 GatewayTimeout", kind="unavailable")
    groups = arm_read((group((inherited_owner(client),), parent=None, parent_error=failed),),
                      "GET /providers/x")
    at_root = inherited_owner(provider, scope="/")
    sub = judge("azure.access.role-assignments", mg_facts(
        subscription(role_assignments=arm_read((at_root,))), groups))
    assert [(f.status, f.holder.value) for f in sub] == [(Status.FAIL, "provider")]
    assert "holds Owner on the root of the tenant" in sub[0].detail
    [summary] = judge("azure.access.management-groups", mg_facts(subscription(), groups))
    assert summary.status is Status.PASS
    assert "(and at the tenant root scope)" not in summary.detail
    assert "504 GatewayTimeout" in summary.detail and "not judged here" in summary.detail
    # known root (its GET answered with no parent): it carries "/" and says so
    root = arm_read((group((inherited_owner(client),), parent=None),), "GET /providers/x")
    [summary] = judge("azure.access.management-groups", mg_facts(subscription(), root))
    assert "(and at the tenant root scope)" in summary.detail
    assert [f.status for f in judge("azure.access.role-assignments", mg_facts(
        subscription(role_assignments=arm_read((at_root,))), root))] == [Status.PASS]


def test_network_reverse_dns_failed_read_unread_zone_provider_and_pass_side_by_side() -> None:
    from lockin_audit.sources.network import NetworkFacts, ReverseDelegation

    def block(reverse: ReverseDelegation | FetchError) -> Any:
        read = Fetched("dns", "113.0.203.in-addr.arpa NS", reverse, NOW)
        return NetworkFacts(query="203.0.113.64/29", seen_in=("INET-001",),
                            from_inventory=True, reverse=read, observed_at=NOW)

    servfail = FetchError("dns", "64.113.0.203.in-addr.arpa NS", "SERVFAIL", kind="server")
    assert [f.status for f in judge("network.reverse-dns.delegation", block(servfail))] == [
        Status.ERROR]
    absent = FetchError("dns", "113.0.203.in-addr.arpa NS", "NXDOMAIN", kind="not_found")
    assert [f.status for f in judge("network.reverse-dns.delegation", block(absent))] == [
        Status.WARN]
    theirs = block(ReverseDelegation("113.0.203.in-addr.arpa",
                                     ("ns1.bobsit.example", "ns2.bobsit.example")))
    assert [f.status for f in judge("network.reverse-dns.delegation", theirs)] == [
        Status.FAIL]
    mine = judge("network.reverse-dns.delegation", block(ReverseDelegation(
        "113.0.203.in-addr.arpa", ("ns1.acmedental.com",))))
    assert [f.status for f in mine] == [Status.PASS]
    assert "113.0.203.in-addr.arpa" in mine[0].detail  # names the zone it read


def delegation(registry: Any, zone_ns: Any = ("ns1.acmedental.com",),
               dnskey: Any = ()) -> Any:
    """A DelegationFacts snapshot: the registry's side and the zone's NS and DNSKEY reads
    (a tuple is a read that answered, a FetchError one that failed)."""
    from lockin_audit.sources.delegation import DelegationFacts

    def read(source: str, request: str, value: Any) -> Any:
        return Fetched(source, request, value, NOW)

    return DelegationFacts(
        "acmedental.com",
        read("rdap", "GET https://rdap.verisign.com/com/v1/domain/acmedental.com", registry),
        read("dns", "acmedental.com NS", zone_ns),
        read("dns", "acmedental.com DNSKEY", dnskey), servers=("127.0.0.1:53",))


def test_domain_delegation_failed_reads_unread_registry_provider_and_pass_side_by_side(
        ) -> None:
    from lockin_audit.sources.delegation import RegistryDelegation

    ns = "domain.delegation.nameservers"

    def registry(*names: str, signed: bool | None = False) -> RegistryDelegation:
        return RegistryDelegation(names, signed, (), "https://rdap.verisign.com/com/v1/"
                                  "domain/acmedental.com")

    timeout = FetchError("rdap", "GET https://rdap.verisign.com/com/v1/domain/acmedental.com",
                         "no answer within 10 s", kind="timeout")
    assert [f.status for f in judge(ns, delegation(timeout))] == [Status.ERROR]
    # no RDAP service for the TLD: not read, so compared by hand, never a pass
    none = FetchError("rdap", "acmedental.com (registry)", "the .com registry offers no "
                      "RDAP service", kind="unsupported")
    assert [f.status for f in judge(ns, delegation(none))] == [Status.MANUAL]
    servfail = FetchError("dns", "acmedental.com NS @127.0.0.1:53", "the resolver answered "
                          "SERVFAIL", kind="unavailable")
    unread_zone = judge(ns, delegation(registry("ns1.acmedental.com"), zone_ns=servfail))
    assert [f.status for f in unread_zone] == [Status.ERROR]
    theirs = judge(ns, delegation(registry("ns1.bobsit.example", "ns2.bobsit.example")))
    assert [(f.status, f.holder.value) for f in theirs] == [(Status.FAIL, "provider")]
    assert "ns1.bobsit.example" in theirs[0].detail
    same = judge(ns, delegation(registry("ns1.acmedental.com")))
    assert [f.status for f in same] == [Status.PASS]
    assert "same nameservers the zone lists" in same[0].detail

    ds = "domain.delegation.ds"
    assert [f.status for f in judge(ds, delegation(
        registry("ns1.acmedental.com"), dnskey=servfail))] == [Status.ERROR]
    # signed, but the registry's answer lists no DS: not compared, so not a pass
    assert [f.status for f in judge(ds, delegation(
        registry("ns1.acmedental.com", signed=True)))] == [Status.MANUAL]
    assert [f.status for f in judge(ds, delegation(registry("ns1.acmedental.com")))] == [
        Status.PASS]


def test_domain_registrant_with_the_registrar_record_unread_404_and_read() -> None:
    from lockin_audit.sources.rdap import RdapDomainFacts, RdapEntity, RegistrarRecord

    registrar_url = "https://rdap.registrar.example/domain/acmedental.com"

    def rdap(registrar: Any) -> RdapDomainFacts:
        return RdapDomainFacts(
            "acmedental.com", "com",
            registry_url="https://rdap.verisign.com/com/v1/domain/acmedental.com",
            registrar_url=registrar_url,
            registrar=Fetched("rdap", f"GET {registrar_url}", registrar, NOW),
            entities=(RdapEntity(("registrant",), org="Acme Dental LLC"),
                      RdapEntity(("registrar",), name="Example Registrar, Inc.")),
            observed_at=NOW)

    check_id = "domain.registration.registrant"
    throttled = FetchError("rdap", f"GET {registrar_url}", "still rate-limited (HTTP 429) "
                           "after waiting as asked", kind="throttled")
    unread = judge(check_id, rdap(throttled))
    # the registry names the business, but the registrar's record (authoritative for the
    # account's contacts) was not read: the account is not judged from half the answer
    assert (Status.ERROR, "account") in {(f.status, f.key) for f in unread}
    assert Status.PASS not in {f.status for f in unread}
    gone = FetchError("rdap", f"GET {registrar_url}", "404: the server has no such object",
                      kind="not_found")
    no_record = judge(check_id, rdap(gone))
    registrant = next(f for f in no_record if f.key == "registrant")
    assert registrant.status is Status.PASS and "answered 404" in registrant.detail
    read = judge(check_id, rdap(RegistrarRecord({"expiration": "2027-06-01T00:00:00Z"})))
    registrant = next(f for f in read if f.key == "registrant")
    assert registrant.status is Status.PASS and "answered 404" not in registrant.detail
    # the expiry check reads the registrar's date only from a record that was read
    expiry = judge("domain.registration.expiry",
                   rdap(RegistrarRecord({"expiration": "2027-06-01T00:00:00Z"})))
    assert [f.status for f in expiry] == [Status.PASS]
    assert "the registrar's expiration date" in expiry[0].detail
    unread_dates = judge("domain.registration.expiry", rdap(throttled))
    assert [f.status for f in unread_dates] == [Status.MANUAL]  # no date was read


def test_network_ip_space_failed_read_unread_parent_provider_space_and_pass_side_by_side(
        ) -> None:
    from lockin_audit.sources.network import IpNetwork, NetworkFacts

    arin = "https://rdap.arin.net/registry/ip/"

    def net(cidr: str, holder: str, kind: str, rir_type: str) -> Any:
        return Fetched("network", f"GET {arin}{cidr}", IpNetwork(
            url=f"{arin}{cidr}", cidr=cidr, handle=f"NET-{cidr}", name=None,
            rir_type=rir_type, kind=kind, holder_org=holder, rir="arin",
            prefixes=(cidr,)), NOW)

    def address(network: Any, *parents: Any) -> NetworkFacts:
        return NetworkFacts(query="198.51.100.10/32", seen_in=("web address of "
                                                               "acmedental.com",),
                            from_inventory=False, network=network, parents=parents,
                            observed_at=NOW)

    check_id = "network.ip-space.holder"
    refused = FetchError("network", f"GET {arin}198.51.100.10", "HTTP 403: access refused",
                         kind="denied")
    assert [f.status for f in judge(check_id, address(Fetched.failure(refused)))] == [
        Status.ERROR]
    assigned = net("198.51.100.0/28", "Acme Dental LLC", "provider-assigned", "REASSIGNED")
    timeout = FetchError("network", f"GET {arin}198.51.100.0/27", "no answer within 10 s",
                         kind="timeout")
    # whose space it is rests on the network above, which was not read: not a pass
    unread = judge(check_id, address(assigned, Fetched.failure(timeout)))
    assert [f.status for f in unread] == [Status.ERROR]
    assert "could not be read" in unread[0].detail
    lent = judge(check_id, address(assigned, net("198.51.100.0/24", "Bob's IT Services",
                                                 "allocation", "DIRECT ALLOCATION")))
    assert [(f.status, f.holder.value) for f in lent] == [(Status.FAIL, "provider")]
    own = judge(check_id, address(net("198.51.100.0/24", "Acme Dental LLC",
                                      "provider-independent", "DIRECT ASSIGNMENT")))
    assert [f.status for f in own] == [Status.PASS]
    assert "registered to you" in own[0].detail


def test_domain_mail_reports_failed_read_provider_reports_and_pass_side_by_side() -> None:
    from lockin_audit.sources.dns import Answer, Dmarc, lookup

    check_id = "domain.dns.mail-reports"
    request = "_dmarc.acmedental.com TXT"

    def dmarc(record: str | None, *rua: str, auth: dict[str, Any] | None = None) -> Any:
        answer = Answer("_dmarc.acmedental.com", "TXT", "ok" if record else "nxdomain",
                        (record,) if record else (), observed_at=NOW)
        return Fetched("dns", request, Dmarc(answer, record, rua, (), auth or {}), NOW)

    refused = FetchError("dns", f"{request} @127.0.0.1:53", "the resolver answered REFUSED",
                         kind="denied")
    failed = judge(check_id, dns_facts("acmedental.com", dmarc=Fetched.failure(refused)))
    assert [f.status for f in failed] == [Status.ERROR]
    record = "v=DMARC1; p=none; rua=mailto:dmarc@bobsit.example"
    auth = {"bobsit.example": lookup(Answer(
        "acmedental.com._report._dmarc.bobsit.example", "TXT", "ok", ("v=DMARC1",),
        observed_at=NOW))}
    theirs = judge(check_id, dns_facts("acmedental.com", dmarc=dmarc(
        record, "mailto:dmarc@bobsit.example", auth=auth)))
    assert [(f.status, f.holder.value) for f in theirs] == [(Status.FAIL, "provider")]
    assert "authorised by a _report._dmarc record: bobsit.example" in theirs[0].detail
    none = judge(check_id, dns_facts("acmedental.com", dmarc=dmarc(None)))
    assert [f.status for f in none] == [Status.PASS]
    assert "publishes no DMARC record" in none[0].detail


def test_domain_mail_reports_a_failed_authorisation_lookup_is_not_an_absent_record() -> None:
    """RFC 7489 section 7.1: the destination's <domain>._report._dmarc.<destination> TXT
    record authorises reports; a lookup that failed says nothing about whether it exists."""
    from lockin_audit.sources.dns import Answer, Dmarc, lookup

    record = "v=DMARC1; p=none; rua=mailto:dmarc@bobsit.example,mailto:d@reports.example"
    answer = Answer("_dmarc.acmedental.com", "TXT", "ok", (record,), observed_at=NOW)
    servfail = FetchError("dns", "acmedental.com._report._dmarc.bobsit.example TXT",
                          "the resolver answered SERVFAIL", kind="unavailable")
    absent = lookup(Answer("acmedental.com._report._dmarc.reports.example", "TXT",
                           "nxdomain", (), observed_at=NOW))
    dmarc = Dmarc(answer, record, ("mailto:dmarc@bobsit.example", "mailto:d@reports.example"),
                  (), {"bobsit.example": lookup(servfail), "reports.example": absent})
    found = judge("domain.dns.mail-reports", dns_facts(
        "acmedental.com", dmarc=Fetched("dns", "_dmarc.acmedental.com TXT", dmarc, NOW)))
    detail = found[0].detail
    not_authorised = detail.split("Not authorised (", 1)[1].split(" Not known")[0]
    assert "reports.example" in not_authorised and "bobsit.example" not in not_authorised
    assert "Not known whether authorised (the lookup failed): bobsit.example" in detail
    assert "SERVFAIL" in detail


def judge_with_client_range(check_id: str, facts: Any) -> list[Finding]:
    """`judge`, with the business's own address range configured (198.51.100.0/24)."""
    c = check(check_id)
    target = Target(c.meta.source, c.meta.area, "t", "t", Asset("x", "t"))
    client = {**CLIENT, "ip_ranges": ["198.51.100.0/24"]}
    ctx = CheckContext(c.meta, target, Identity.from_mappings(client, [PROVIDER]),
                       dt.date(2026, 12, 6), {})
    return c.run(snapshot(facts), ctx)


def test_domain_mail_unreadable_txt_is_an_spf_error_not_a_crash() -> None:
    """The SPF record is read from the domain's TXT records (RFC 7208 section 4.4): when
    that read failed, who may send as the domain is not known."""
    from lockin_audit.sources.dns import Answer, Spf, SpfInclude, lookup

    servfail = FetchError("dns", "acmedental.com TXT", "the resolver answered SERVFAIL",
                          kind="unavailable")
    record = "v=spf1 include:_spf.bobsit.example -all"
    spf = Fetched("dns", "acmedental.com TXT", Spf(record), NOW)
    failed = judge("domain.dns.mail", dns_facts("acmedental.com", txt=lookup(servfail),
                                                spf=spf))
    spf_findings = [f for f in failed if f.key == "spf"]
    assert [f.status for f in spf_findings] == [Status.ERROR]
    assert "SERVFAIL" in spf_findings[0].detail
    assert not any(f.detail.startswith("the check failed") for f in failed)

    txt = lookup(Answer("acmedental.com", "TXT", "ok", (record,), observed_at=NOW))
    theirs = judge("domain.dns.mail", dns_facts("acmedental.com", txt=txt, spf=Fetched(
        "dns", "acmedental.com TXT",
        Spf(record, includes=(SpfInclude("include", "_spf.bobsit.example", 1),)), NOW)))
    assert [(f.status, f.holder.value) for f in theirs if f.key == "spf"] == \
        [(Status.FAIL, "provider")]
    none = judge("domain.dns.mail", dns_facts("acmedental.com", txt=txt, spf=Fetched(
        "dns", "acmedental.com TXT", Spf(None), NOW)))
    assert [f.status for f in none if f.key == "spf"] == [Status.PASS]


def mx_facts(host: str, a: Any, aaaa: Any = None) -> Any:
    from lockin_audit.sources.dns import Answer, HostAddresses, lookup

    mx = lookup(Answer("acmedental.com", "MX", "ok", (f"10 {host}.",), observed_at=NOW))
    aaaa = aaaa or lookup(Answer(host, "AAAA", "nodata", observed_at=NOW))
    return dns_facts("acmedental.com", mx=mx, mx_hosts=((10, host),),
                     mx_addresses=(HostAddresses(host, a, aaaa),))


def test_domain_mail_mx_unread_address_provider_host_and_pass_side_by_side() -> None:
    """A mail server under the business's own name may sit on the provider's addresses:
    with its A read failed, "under your own names" cannot be said (an error naming the
    read); a provider-held name stays a fail, saying which read failed."""
    from lockin_audit.sources.dns import Answer, lookup

    def mx_of(findings: list[Finding]) -> list[tuple[Status, str]]:
        return [(f.status, f.holder.value) for f in findings if f.key.startswith("mx")]

    own = "mail.acmedental.com"
    timeout = FetchError("dns", f"{own} A", "no answer within 3 s", kind="timeout")
    failed = judge_with_client_range("domain.dns.mail", mx_facts(own, lookup(timeout)))
    assert mx_of(failed) == [(Status.ERROR, "unknown")]
    error = next(f for f in failed if f.key == "mx")
    assert f"{own} A: no answer within 3 s" in error.detail
    assert "could not be judged" in error.detail

    theirs = "mx.bobsit.example"
    refused = FetchError("dns", f"{theirs} A", "the resolver answered REFUSED",
                         kind="denied")
    provider = judge_with_client_range("domain.dns.mail", mx_facts(theirs, lookup(refused)))
    assert mx_of(provider) == [(Status.FAIL, "provider")]
    assert f"Not read (the lookup failed): {theirs} A" in provider[0].detail

    read = lookup(Answer(own, "A", "ok", ("198.51.100.25",), observed_at=NOW))
    passed = judge_with_client_range("domain.dns.mail", mx_facts(own, read))
    assert mx_of(passed) == [(Status.PASS, "client")]
    assert "198.51.100.25" in passed[0].detail and "Not read" not in passed[0].detail


def test_domain_nameservers_unread_vanity_ns_address_provider_and_pass_side_by_side(
) -> None:
    """ns1.<your domain> may sit on the provider's addresses: with its AAAA read failed the
    DNS hosting is not assessed; the provider's nameservers stay a fail whatever their
    addresses, and those addresses are not weighed."""
    from lockin_audit.sources.dns import Answer, HostAddresses, Soa, lookup

    def ns_facts(host: str, a: Any, aaaa: Any) -> Any:
        ns = lookup(Answer("acmedental.com", "NS", "ok", (f"{host}.",), observed_at=NOW))
        soa = lookup(Answer("acmedental.com", "SOA", "ok", (
            f"{host}. it.acmedental.com. 1 7200 3600 1209600 3600",), observed_at=NOW))
        return dns_facts("acmedental.com", ns=ns, soa=soa,
                         soa_parsed=Soa(host, "it@acmedental.com"),
                         ns_addresses=(HostAddresses(host, a, aaaa),))

    own = "ns1.acmedental.com"
    a = lookup(Answer(own, "A", "ok", ("198.51.100.53",), observed_at=NOW))
    servfail = FetchError("dns", f"{own} AAAA", "the resolver answered SERVFAIL",
                          kind="unavailable")
    failed = judge("domain.dns.nameservers", ns_facts(own, a, lookup(servfail)))
    assert [(f.status, f.holder.value) for f in failed] == [(Status.ERROR, "unknown")]
    assert f"{own} AAAA: the resolver answered SERVFAIL" in failed[0].detail

    theirs = "ns1.bobsit.example"
    provider = judge("domain.dns.nameservers", ns_facts(
        theirs, lookup(FetchError("dns", f"{theirs} A", "REFUSED", kind="denied")),
        lookup(FetchError("dns", f"{theirs} AAAA", "REFUSED", kind="denied"))))
    assert [(f.status, f.holder.value) for f in provider] == [(Status.FAIL, "provider")]

    aaaa = lookup(Answer(own, "AAAA", "nodata", observed_at=NOW))
    passed = judge("domain.dns.nameservers", ns_facts(own, a, aaaa))
    assert [(f.status, f.holder.value) for f in passed] == [(Status.PASS, "client")]
    assert "under your company's own names" in passed[0].detail


def test_domain_mail_mta_sts_unread_record_provider_host_and_none_side_by_side() -> None:
    """RFC 8461 section 3.1: the _mta-sts TXT record says a policy exists; when its read
    failed, the policy host was never asked, so who serves the policy is unknown (an error,
    not the silence of a domain without MTA-STS)."""
    from lockin_audit.sources.dns import Answer, lookup

    def sts(findings: list[Finding]) -> list[tuple[Status, str]]:
        return [(f.status, f.holder.value) for f in findings if f.key == "mta-sts"]

    request = "_mta-sts.acmedental.com TXT"
    timeout = FetchError("dns", request, "no answer within 3 s", kind="timeout")
    failed = judge("domain.dns.mail", dns_facts("acmedental.com", mta_sts=lookup(timeout)))
    assert sts(failed) == [(Status.ERROR, "unknown")]
    assert f"{request}: no answer within 3 s" in next(
        f for f in failed if f.key == "mta-sts").detail

    record = lookup(Answer("_mta-sts.acmedental.com", "TXT", "ok",
                           ("v=STSv1; id=20261201",), observed_at=NOW))
    cname = lookup(Answer("mta-sts.acmedental.com", "CNAME", "ok", ("sts.bobsit.example.",),
                          observed_at=NOW))
    theirs = judge("domain.dns.mail", dns_facts("acmedental.com", mta_sts=record,
                                                mta_sts_host=cname))
    assert sts(theirs) == [(Status.FAIL, "provider")]
    assert sts(judge("domain.dns.mail", dns_facts("acmedental.com"))) == []  # none published
