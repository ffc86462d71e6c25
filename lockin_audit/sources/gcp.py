"""Google Cloud through Resource Manager v3, Cloud Billing v1 and Essential Contacts v1.

One target per `scan.gcp` entry: an organization and/or projects. Facts, each a `Fetched`:
the value, or the `FetchError` that says why it could not be read:
- the organizations the identity can see (`organizations.search`: directoryCustomerId,
  the Workspace or Cloud Identity customer that owns the organization);
- the projects in scope (`projects.search`, `projects.get`) and the organization each
  belongs to (a folder parent is followed with `folders.get`);
- IAM policies of the organization and of each project (`getIamPolicy`, a POST that reads);
- each project's billing account (`projects.getBillingInfo`), the account itself
  (`billingAccounts.get`: masterBillingAccount is set on a reseller's sub-account) and
  who administers it (`billingAccounts.getIamPolicy`);
- Essential Contacts of the organization and of each project;
- every billing account the identity can see (`billingAccounts.list`, plus the client's
  configured ones) and every project linked to each (`billingAccounts.projects.list`),
  with the parent of each project this scan did not otherwise read (`projects.get`, then
  `folders.get` up to the organization): a project the business pays for wherever it sits.
References: cloud.google.com/resource-manager/reference/rest/v3,
cloud.google.com/billing/docs/reference/rest/v1, cloud.google.com/resource-manager/docs/
reference/essentialcontacts/rest/v1.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from lockin_audit.facts import Fetched, FetchError, SourceFailure
from lockin_audit.model import Asset
from lockin_audit.sources import google_api as api
from lockin_audit.sources.google_api import GoogleApiError, GoogleClient
from lockin_audit.sources.gws import GWS
from lockin_audit.sources.interface import SourceContext, Target

if TYPE_CHECKING:
    from lockin_audit.config import AuditConfig, GcpTarget

SOURCE = "gcp"
MAX_FOLDER_DEPTH = 12  # Resource Manager allows 10 levels of folders


# ---------------------------------------------------------------------------------------
# facts


@dataclass(frozen=True)
class Organization:
    id: str  # numeric, without organizations/
    display_name: str
    directory_customer_id: str | None
    state: str

    def excerpt(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": f"organizations/{self.id}",
                               "displayName": self.display_name, "state": self.state}
        if self.directory_customer_id:
            out["directoryCustomerId"] = self.directory_customer_id
        return out


@dataclass(frozen=True)
class Binding:
    role: str
    members: tuple[str, ...]
    condition: str | None = None  # the condition's title, when the binding has one


@dataclass(frozen=True)
class IamPolicy:
    resource: str  # organizations/N, projects/ID or billingAccounts/X
    bindings: tuple[Binding, ...]


@dataclass(frozen=True)
class BillingInfo:
    account_id: str | None  # without billingAccounts/; None when billing is not linked
    enabled: bool

    def excerpt(self) -> dict[str, Any]:
        excerpt: dict[str, Any] = {"billingEnabled": self.enabled}
        if self.account_id:
            excerpt["billingAccountName"] = f"billingAccounts/{self.account_id}"
        return excerpt


@dataclass(frozen=True)
class BillingAccount:
    id: str
    display_name: str
    open: bool
    master: str | None  # the reseller's master account id, for a sub-account
    parent: str | None  # organizations/N when the account lives in an organization

    def excerpt(self) -> dict[str, Any]:
        excerpt: dict[str, Any] = {"name": f"billingAccounts/{self.id}",
                                   "displayName": self.display_name, "open": self.open}
        if self.master:
            excerpt["masterBillingAccount"] = f"billingAccounts/{self.master}"
        if self.parent:
            excerpt["parent"] = self.parent
        return excerpt


@dataclass(frozen=True)
class BillingAccountFacts:
    id: str
    account: Fetched[BillingAccount]
    iam: Fetched[IamPolicy]


@dataclass(frozen=True)
class Contact:
    email: str
    categories: tuple[str, ...]
    validation_state: str | None


@dataclass(frozen=True)
class Project:
    project_id: str
    number: str  # from name projects/<number>
    display_name: str
    parent: str | None  # organizations/N, folders/N or None
    # the organization id it sits under (None: in no organization), resolved through its
    # folders
    organization: Fetched[str | None]
    state: str
    request: str
    observed_at: str

    @property
    def asset(self) -> Asset:
        return project_asset(self.project_id, self.display_name or None)

    def excerpt(self) -> dict[str, Any]:
        out: dict[str, Any] = {"projectId": self.project_id, "name": f"projects/{self.number}",
                               "state": self.state}
        if self.display_name:
            out["displayName"] = self.display_name
        if self.parent:
            out["parent"] = self.parent
        return out


@dataclass(frozen=True)
class ProjectFacts:
    project: Project
    iam: Fetched[IamPolicy]
    billing: Fetched[BillingInfo]
    contacts: Fetched[tuple[Contact, ...]]


@dataclass(frozen=True)
class OrganizationFacts:
    id: str
    display_name: str | None
    iam: Fetched[IamPolicy]
    contacts: Fetched[tuple[Contact, ...]]


@dataclass(frozen=True)
class BilledProject:
    """A project linked to a billing account (billingAccounts.projects.list), with where it
    sits: `project` is projects.get's answer (parent, organization), or why it could not
    be read; None for a project the scan read anyway (its facts are in `projects`)."""

    project_id: str
    billing_enabled: bool
    project: Fetched[Project] | None


@dataclass(frozen=True)
class AccountProjects:
    """One visible billing account and the projects linked to it."""

    account_id: str
    display_name: str | None
    master: str | None  # a reseller sub-account's master account id
    parent: str | None  # organizations/N when the account lives in an organization
    projects: Fetched[tuple[BilledProject, ...]]

    @property
    def asset(self) -> Asset:
        return billing_asset(self.account_id, self.display_name)


@dataclass(frozen=True)
class GcpFacts:
    label: str
    organization_id: str | None  # as configured
    organizations: Fetched[tuple[Organization, ...]]
    projects: Fetched[tuple[ProjectFacts, ...]]
    missing_projects: tuple[tuple[str, FetchError], ...]  # configured, not readable
    organization_facts: tuple[OrganizationFacts, ...]
    billing_accounts: tuple[BillingAccountFacts, ...]
    target_asset: Asset
    # billingAccounts.list (None: not asked) and each listed account's projects
    visible_accounts: Fetched[tuple[BillingAccount, ...]] | None = None
    account_projects: tuple[AccountProjects, ...] = ()

    @property
    def asset(self) -> Asset:
        return self.target_asset

    @property
    def organizations_read(self) -> tuple[Organization, ...]:
        """The organizations listed (none when they could not be)."""
        return () if self.organizations.error else self.organizations.ok

    @property
    def projects_read(self) -> tuple[ProjectFacts, ...]:
        """The projects read (none when they could not be listed)."""
        return () if self.projects.error else self.projects.ok


def organization_asset(org_id: str, name: str | None = None) -> Asset:
    return Asset("gcp_organization", f"organizations/{org_id}",
                 f"Cloud organization {name or org_id}")


def project_asset(project_id: str, name: str | None = None) -> Asset:
    return Asset("gcp_project", f"projects/{project_id}", name)


def billing_asset(account_id: str, name: str | None = None) -> Asset:
    return Asset("gcp_billing_account", f"billingAccounts/{account_id}",
                 f"Billing account {name or account_id}")


# ---------------------------------------------------------------------------------------
# parsing (raises KeyError/TypeError/ValueError on a malformed object)


def _tail(name: str, prefix: str) -> str:
    if not name.startswith(prefix):
        raise ValueError(f"{name!r} does not start with {prefix!r}")
    return name[len(prefix):]


def _organization(obj: Mapping[str, Any]) -> Organization:
    # v3 puts directoryCustomerId at the top level (v1 had owner.directoryCustomerId).
    owner = obj.get("owner") if isinstance(obj.get("owner"), Mapping) else {}
    customer = obj.get("directoryCustomerId") or (owner or {}).get("directoryCustomerId")
    return Organization(id=_tail(str(obj["name"]), "organizations/"),
                        display_name=str(obj.get("displayName") or ""),
                        directory_customer_id=str(customer) if customer else None,
                        state=str(obj.get("state") or "STATE_UNSPECIFIED"))


def _policy(resource: str, obj: Mapping[str, Any]) -> IamPolicy:
    bindings = obj.get("bindings", [])  # an empty policy omits bindings
    if not isinstance(bindings, list):
        raise TypeError("bindings is not a list")
    out = []
    for b in bindings:
        members = b.get("members") or []
        if not isinstance(members, list):
            raise TypeError("members is not a list")
        condition = b.get("condition")
        title = (str(condition.get("title") or condition.get("expression") or "")
                 if isinstance(condition, Mapping) else None)
        out.append(Binding(str(b["role"]), tuple(str(m) for m in members), title or None))
    return IamPolicy(resource, tuple(out))


def _billing_info(data: Mapping[str, Any]) -> BillingInfo:
    name = data.get("billingAccountName") or None  # "" when billing is disabled
    account = _tail(str(name), "billingAccounts/") if name else None
    return BillingInfo(account, data.get("billingEnabled") is True)


def _billing_account(data: Mapping[str, Any]) -> BillingAccount:
    master = data.get("masterBillingAccount") or None
    return BillingAccount(
        id=_tail(str(data["name"]), "billingAccounts/"),
        display_name=str(data.get("displayName") or ""),
        open=data.get("open") is True,
        master=_tail(str(master), "billingAccounts/") if master else None,
        parent=str(data["parent"]) if data.get("parent") else None)


def _billed(r: Mapping[str, Any]) -> tuple[str, bool]:
    """(project id, billing enabled) of a ProjectBillingInfo."""
    pid = str(r.get("projectId") or "") or _tail(
        str(r["name"]), "projects/").removesuffix("/billingInfo")
    return pid, r.get("billingEnabled") is True


def _contact(r: Mapping[str, Any]) -> Contact:
    cats = r.get("notificationCategorySubscriptions") or []
    if not isinstance(cats, list):
        raise TypeError("notificationCategorySubscriptions is not a list")
    return Contact(str(r["email"]).lower(), tuple(str(c) for c in cats),
                   r.get("validationState"))


# ---------------------------------------------------------------------------------------
# the source


def target_id(opts: GcpTarget, index: int) -> str:
    if opts.organization_id:
        return f"organizations/{opts.organization_id}"
    if opts.name:
        return opts.name
    if opts.project_ids:
        return ",".join(opts.project_ids)
    return f"gcp[{index}]"


class GcpSource(api.GoogleSource):
    name = "gcp"
    area = "gcp"
    requires = (GWS,)  # its checks recognise the business's Workspace customer id
    first_scope = api.CLOUD_READ
    scope_errors_fail_target = True

    def configured(self, config: AuditConfig) -> bool:
        return bool(config.scan.gcp)

    async def targets(self, ctx: SourceContext) -> list[Target]:
        out = []
        for i, opts in enumerate(ctx.config.scan.gcp):
            tid = target_id(opts, i)
            asset = (organization_asset(opts.organization_id) if opts.organization_id
                     else Asset("gcp_scope", tid, opts.name))
            out.append(Target(SOURCE, "gcp", tid, f"Google Cloud {opts.name or tid}", asset,
                              options=opts))
        return out

    def connect(self, target: Target, ctx: SourceContext) -> GoogleClient:
        return self.client(target.options, ctx)

    def probes(self, target: Target) -> list[api.Probe]:
        opts: GcpTarget = target.options
        out = [api.Probe("organizations", "GET", "cloudresourcemanager.organizations.search",
                         "/v3/organizations:search")]
        if opts.organization_id:
            org = opts.organization_id
            out += [api.Probe("organization IAM policy", "POST",
                              "cloudresourcemanager.organizations.getIamPolicy",
                              f"/v3/organizations/{org}:getIamPolicy", body={}),
                    api.Probe("organization Essential Contacts", "GET",
                              "essentialcontacts.organizations.contacts.list",
                              f"/v1/organizations/{org}/contacts")]
        else:
            out.append(api.Probe("projects", "GET", "cloudresourcemanager.projects.search",
                                 "/v3/projects:search"))
        out.append(api.Probe("billing accounts", "GET", "cloudbilling.billingAccounts.list",
                             "/v1/billingAccounts", {"pageSize": 1}))
        for pid in opts.project_ids[:1]:
            out += [api.Probe("project IAM policy", "POST",
                              "cloudresourcemanager.projects.getIamPolicy",
                              f"/v3/projects/{pid}:getIamPolicy", body={}),
                    api.Probe("project billing", "GET", "cloudbilling.projects.getBillingInfo",
                              f"/v1/projects/{pid}/billingInfo")]
        return out

    async def fetch(self, target: Target, ctx: SourceContext) -> GcpFacts:
        opts: GcpTarget = target.options
        client = self.connect(target, ctx)
        await self.sign_in(client)
        organizations = await client.read_all("cloudresourcemanager.organizations.search",
                                              "/v3/organizations:search", "organizations",
                                              _organization)
        projects, missing = await self._projects(client, opts)
        down = api.unreachable(projects, organizations)
        if down:
            raise SourceFailure(down)
        found = () if organizations.error else organizations.ok
        org_ids: list[str] = []
        if opts.organization_id:
            org_ids.append(opts.organization_id)
        else:
            org_ids.extend(o.id for o in found)
        names = {o.id: o.display_name for o in found}
        org_facts = await asyncio.gather(*(self._organization_facts(client, o, names.get(o))
                                           for o in org_ids))
        read = () if projects.error else projects.ok
        accounts = sorted({p.billing.ok.account_id for p in read
                           if not p.billing.error and p.billing.ok.account_id})
        billing = await asyncio.gather(*(self._billing_account(client, a) for a in accounts))
        visible, by_account = await self._billed_projects(
            client, ctx.config.client.gcp_billing_account_ids,
            {p.project.project_id for p in read})
        return GcpFacts(label=opts.name or target.id, organization_id=opts.organization_id,
                        organizations=organizations, projects=projects,
                        missing_projects=tuple(missing), organization_facts=tuple(org_facts),
                        billing_accounts=tuple(billing), target_asset=target.asset,
                        visible_accounts=visible, account_projects=by_account)

    # -- facts ---------------------------------------------------------------------------
    async def _projects(self, client: GoogleClient, opts: GcpTarget
                        ) -> tuple[Fetched[tuple[ProjectFacts, ...]],
                                   list[tuple[str, FetchError]]]:
        """The projects under the organization (searched) plus the configured ones."""
        rows: list[tuple[str, dict[str, Any]]] = []
        request = ""
        missing: list[tuple[str, FetchError]] = []
        if opts.organization_id or not opts.project_ids:
            # Without a query, projects.search returns every project the caller can see;
            # which organization each belongs to is resolved below (folders included).
            try:
                request, found = await client.list("cloudresourcemanager.projects.search",
                                                   "/v3/projects:search", "projects")
            except (GoogleApiError, SourceFailure) as exc:
                return Fetched.failure(exc.error), missing
            rows.extend((request, r) for r in found)
        known = {str(r.get("projectId")) for _, r in rows}
        for pid in opts.project_ids:
            if pid in known:
                continue
            try:
                req, data = await client.get("cloudresourcemanager.projects.get",
                                             f"/v3/projects/{quote(pid)}")
                rows.append((req, data))
                request = request or req
            except (GoogleApiError, SourceFailure) as exc:
                missing.append((pid, exc.error))
        folders: dict[str, asyncio.Task[Fetched[str | None]]] = {}
        try:
            projects = [await self._project(client, req, r, folders) for req, r in rows]
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            return Fetched.failure(api.malformed(SOURCE, request, exc)), missing
        if opts.organization_id:
            # Keep the organization's projects and every configured one (wherever it is).
            projects = [p for p in projects if p.organization.value == opts.organization_id
                        or p.project_id in opts.project_ids or p.organization.error]
        projects = [p for p in projects if p.state == "ACTIVE"]
        facts = await asyncio.gather(*(self._project_facts(client, p) for p in projects))
        return Fetched(SOURCE, request or "projects", tuple(facts), api.now()), missing

    async def _project(self, client: GoogleClient, request: str, row: Mapping[str, Any],
                       folders: dict[str, asyncio.Task[Fetched[str | None]]]) -> Project:
        parent = str(row.get("parent") or "") or None
        org: Fetched[str | None] = Fetched(SOURCE, request, None, api.now())
        if parent and parent.startswith("organizations/"):
            org = Fetched(SOURCE, request, _tail(parent, "organizations/"), org.observed_at)
        elif parent and parent.startswith("folders/"):
            if parent not in folders:
                folders[parent] = asyncio.ensure_future(self._walk_folders(client, parent))
            org = await folders[parent]
        return Project(project_id=str(row["projectId"]),
                       number=_tail(str(row["name"]), "projects/"),
                       display_name=str(row.get("displayName") or ""),
                       parent=parent, organization=org,
                       state=str(row.get("state") or "ACTIVE"), request=request,
                       observed_at=api.now())

    async def _walk_folders(self, client: GoogleClient, folder: str) -> Fetched[str | None]:
        """The organization a folder sits under, from folders.get up the parents."""
        current = folder
        for _ in range(MAX_FOLDER_DEPTH):
            try:
                request, data = await client.get("cloudresourcemanager.folders.get",
                                                 f"/v3/{current}")
            except (GoogleApiError, SourceFailure) as exc:
                return Fetched.failure(exc.error)
            parent = str(data.get("parent") or "")
            if parent.startswith("organizations/"):
                return Fetched(SOURCE, request, parent.removeprefix("organizations/"),
                               api.now())
            if not parent.startswith("folders/"):
                return Fetched.failure(FetchError(SOURCE, request, f"folder {current} has no "
                                                  "parent", kind="malformed"))
            current = parent
        return Fetched.failure(FetchError(SOURCE, folder, "folders nest deeper than Resource "
                                          "Manager allows", kind="malformed"))

    async def _iam(self, client: GoogleClient, verb: str, method: str, resource: str,
                   path: str) -> Fetched[IamPolicy]:
        # requestedPolicyVersion 3 returns conditional bindings as they are.
        body = {"options": {"requestedPolicyVersion": 3}} if verb == "POST" else None
        params = {"options.requestedPolicyVersion": 3} if verb == "GET" else None
        return await client.read(method, path, lambda data: _policy(resource, data),
                                 verb=verb, body=body, params=params)

    async def _project_facts(self, client: GoogleClient, project: Project) -> ProjectFacts:
        pid = quote(project.project_id)
        iam, billing, contacts = await asyncio.gather(
            self._iam(client, "POST", "cloudresourcemanager.projects.getIamPolicy",
                      f"projects/{project.project_id}", f"/v3/projects/{pid}:getIamPolicy"),
            client.read("cloudbilling.projects.getBillingInfo",
                        f"/v1/projects/{pid}/billingInfo", _billing_info),
            client.read_all("essentialcontacts.projects.contacts.list",
                            f"/v1/projects/{pid}/contacts", "contacts", _contact))
        return ProjectFacts(project, iam, billing, contacts)

    async def _organization_facts(self, client: GoogleClient, org: str,
                                  name: str | None) -> OrganizationFacts:
        iam, contacts = await asyncio.gather(
            self._iam(client, "POST", "cloudresourcemanager.organizations.getIamPolicy",
                      f"organizations/{org}", f"/v3/organizations/{org}:getIamPolicy"),
            client.read_all("essentialcontacts.organizations.contacts.list",
                            f"/v1/organizations/{org}/contacts", "contacts", _contact))
        return OrganizationFacts(org, name or None, iam, contacts)

    async def _billed_projects(self, client: GoogleClient, configured: list[str],
                               read: set[str]
                               ) -> tuple[Fetched[tuple[BillingAccount, ...]],
                                          tuple[AccountProjects, ...]]:
        """Every visible billing account (billingAccounts.list, plus the client's configured
        ones) and the projects linked to each; projects the scan did not read get their
        parent from projects.get."""
        visible = await client.read_all("cloudbilling.billingAccounts.list",
                                        "/v1/billingAccounts", "billingAccounts",
                                        _billing_account, pageSize=100)
        accounts: dict[str, BillingAccount | None] = {}
        if not visible.error:
            accounts.update((a.id, a) for a in visible.ok)
        for account in configured:
            accounts.setdefault(account.upper(), None)
        folders: dict[str, asyncio.Task[Fetched[str | None]]] = {}
        projects: dict[str, asyncio.Task[Fetched[Project]]] = {}

        async def where(pid: str) -> Fetched[Project]:
            try:
                req, data = await client.get("cloudresourcemanager.projects.get",
                                             f"/v3/projects/{quote(pid)}")
            except (GoogleApiError, SourceFailure) as exc:
                return Fetched.failure(exc.error)
            try:
                project = await self._project(client, req, data, folders)
            except (KeyError, TypeError, ValueError, AttributeError) as exc:
                return Fetched.failure(api.malformed(SOURCE, req, exc))
            return Fetched(SOURCE, req, project, project.observed_at)

        async def billed(rows: tuple[tuple[str, bool], ...]) -> tuple[BilledProject, ...]:
            out = []
            for pid, enabled in rows:
                if pid in read:
                    out.append(BilledProject(pid, enabled, None))
                    continue
                if pid not in projects:
                    projects[pid] = asyncio.ensure_future(where(pid))
                out.append(BilledProject(pid, enabled, await projects[pid]))
            return tuple(out)

        async def one(account_id: str, info: BillingAccount | None) -> AccountProjects:
            listed = await client.read_all(
                "cloudbilling.billingAccounts.projects.list",
                f"/v1/billingAccounts/{quote(account_id)}/projects", "projectBillingInfo",
                _billed, pageSize=100)
            found: Fetched[tuple[BilledProject, ...]] = Fetched.failure(listed.error) \
                if listed.error else Fetched(SOURCE, listed.request, await billed(listed.ok),
                                             api.now())
            return AccountProjects(account_id, info.display_name or None if info else None,
                                   info.master if info else None,
                                   info.parent if info else None, found)

        by_account = await asyncio.gather(*(one(a, i) for a, i in sorted(accounts.items())))
        return visible, tuple(by_account)

    async def _billing_account(self, client: GoogleClient, account: str) -> BillingAccountFacts:
        path = f"/v1/billingAccounts/{quote(account)}"
        info, iam = await asyncio.gather(
            client.read("cloudbilling.billingAccounts.get", path, _billing_account),
            self._iam(client, "GET", "cloudbilling.billingAccounts.getIamPolicy",
                      f"billingAccounts/{account}", f"{path}:getIamPolicy"))
        return BillingAccountFacts(account, info, iam)


__all__ = ["AccountProjects", "BilledProject", "BillingAccount", "BillingAccountFacts", "BillingInfo", "Binding", "Contact",
           "GcpFacts", "GcpSource", "IamPolicy", "Organization", "OrganizationFacts",
           "Project", "ProjectFacts", "billing_asset", "organization_asset", "project_asset"]
