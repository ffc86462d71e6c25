"""Google Cloud through Resource Manager v3, Cloud Billing v1 and Essential Contacts v1.

One target per `scan.gcp` entry: an organization and/or projects. Facts, each a value or
the `FetchError` that says why it could not be read:
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

from lockin_audit.facts import FetchError, SourceFailure
from lockin_audit.model import Asset, Evidence
from lockin_audit.sources import google_api as api
from lockin_audit.sources.google_api import Fetched, GoogleApiError, GoogleClient
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
    request: str
    observed_at: str

    def evidence(self, excerpt: Mapping[str, Any] | list[Any]) -> Evidence:
        return Evidence(SOURCE, self.request, self.observed_at, excerpt)


@dataclass(frozen=True)
class BillingInfo:
    account_id: str | None  # without billingAccounts/; None when billing is not linked
    enabled: bool
    request: str
    observed_at: str

    def evidence(self) -> Evidence:
        excerpt: dict[str, Any] = {"billingEnabled": self.enabled}
        if self.account_id:
            excerpt["billingAccountName"] = f"billingAccounts/{self.account_id}"
        return Evidence(SOURCE, self.request, self.observed_at, excerpt)


@dataclass(frozen=True)
class BillingAccount:
    id: str
    display_name: str
    open: bool
    master: str | None  # the reseller's master account id, for a sub-account
    parent: str | None  # organizations/N when the account lives in an organization
    request: str
    observed_at: str

    def evidence(self) -> Evidence:
        excerpt: dict[str, Any] = {"name": f"billingAccounts/{self.id}",
                                   "displayName": self.display_name, "open": self.open}
        if self.master:
            excerpt["masterBillingAccount"] = f"billingAccounts/{self.master}"
        if self.parent:
            excerpt["parent"] = self.parent
        return Evidence(SOURCE, self.request, self.observed_at, excerpt)


@dataclass(frozen=True)
class BillingAccountFacts:
    id: str
    account: BillingAccount | FetchError
    iam: IamPolicy | FetchError


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
    organization: str | FetchError | None  # the organization id it sits under, resolved
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
    iam: IamPolicy | FetchError
    billing: BillingInfo | FetchError
    contacts: Fetched[Contact] | FetchError


@dataclass(frozen=True)
class OrganizationFacts:
    id: str
    display_name: str | None
    iam: IamPolicy | FetchError
    contacts: Fetched[Contact] | FetchError


@dataclass(frozen=True)
class BilledProject:
    """A project linked to a billing account (billingAccounts.projects.list), with where it
    sits: `project` is projects.get's answer (parent, organization), or why it could not
    be read; None for a project the scan read anyway (its facts are in `projects`)."""

    project_id: str
    billing_enabled: bool
    project: Project | FetchError | None


@dataclass(frozen=True)
class AccountProjects:
    """One visible billing account and the projects linked to it."""

    account_id: str
    display_name: str | None
    master: str | None  # a reseller sub-account's master account id
    parent: str | None  # organizations/N when the account lives in an organization
    projects: Fetched[BilledProject] | FetchError

    @property
    def asset(self) -> Asset:
        return billing_asset(self.account_id, self.display_name)


@dataclass(frozen=True)
class GcpFacts:
    label: str
    organization_id: str | None  # as configured
    organizations: Fetched[Organization] | FetchError
    projects: Fetched[ProjectFacts] | FetchError
    missing_projects: tuple[tuple[str, FetchError], ...]  # configured, not readable
    organization_facts: tuple[OrganizationFacts, ...]
    billing_accounts: tuple[BillingAccountFacts, ...]
    target_asset: Asset
    # billingAccounts.list (None: not asked) and each listed account's projects
    visible_accounts: Fetched[BillingAccount] | FetchError | None = None
    account_projects: tuple[AccountProjects, ...] = ()

    @property
    def asset(self) -> Asset:
        return self.target_asset

    def project_ids(self) -> frozenset[str]:
        if isinstance(self.projects, FetchError):
            return frozenset()
        return frozenset(p.project.project_id for p in self.projects.items)


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


def _policy(resource: str, obj: Mapping[str, Any], request: str, observed: str) -> IamPolicy:
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
    return IamPolicy(resource, tuple(out), request, observed)


def _billing_account(data: Mapping[str, Any], request: str) -> BillingAccount:
    master = data.get("masterBillingAccount") or None
    return BillingAccount(
        id=_tail(str(data["name"]), "billingAccounts/"),
        display_name=str(data.get("displayName") or ""),
        open=data.get("open") is True,
        master=_tail(str(master), "billingAccounts/") if master else None,
        parent=str(data["parent"]) if data.get("parent") else None,
        request=request, observed_at=api.now())


def _contacts(rows: list[dict[str, Any]]) -> tuple[Contact, ...]:
    out = []
    for r in rows:
        cats = r.get("notificationCategorySubscriptions") or []
        if not isinstance(cats, list):
            raise TypeError("notificationCategorySubscriptions is not a list")
        out.append(Contact(str(r["email"]).lower(), tuple(str(c) for c in cats),
                           r.get("validationState")))
    return tuple(out)


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
        organizations = await api.guard(self._organizations(client))
        projects, missing = await self._projects(client, opts)
        if isinstance(organizations, FetchError) and isinstance(projects, FetchError) and \
                all(e.kind in ("unavailable", "timeout") for e in (organizations, projects)):
            raise SourceFailure(projects)
        org_ids: list[str] = []
        if opts.organization_id:
            org_ids.append(opts.organization_id)
        elif isinstance(organizations, Fetched):
            org_ids.extend(o.id for o in organizations.items)
        names = {o.id: o.display_name for o in organizations.items} \
            if isinstance(organizations, Fetched) else {}
        org_facts = await asyncio.gather(*(self._organization_facts(client, o, names.get(o))
                                           for o in org_ids))
        accounts: list[str] = []
        if isinstance(projects, Fetched):
            accounts = sorted({p.billing.account_id for p in projects.items
                               if isinstance(p.billing, BillingInfo) and p.billing.account_id})
        billing = await asyncio.gather(*(self._billing_account(client, a) for a in accounts))
        read = {p.project.project_id for p in projects.items} \
            if isinstance(projects, Fetched) else set()
        visible, by_account = await self._billed_projects(
            client, ctx.config.client.gcp_billing_account_ids, read)
        return GcpFacts(label=opts.name or target.id, organization_id=opts.organization_id,
                        organizations=organizations, projects=projects,
                        missing_projects=tuple(missing), organization_facts=tuple(org_facts),
                        billing_accounts=tuple(billing), target_asset=target.asset,
                        visible_accounts=visible, account_projects=by_account)

    # -- facts ---------------------------------------------------------------------------
    async def _organizations(self, client: GoogleClient) -> Fetched[Organization]:
        request, rows = await client.list("cloudresourcemanager.organizations.search",
                                          "/v3/organizations:search", "organizations")
        try:
            return Fetched(SOURCE, request, api.now(), tuple(_organization(r) for r in rows))
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise GoogleApiError(api.malformed(SOURCE, request, exc)) from None

    async def _projects(self, client: GoogleClient, opts: GcpTarget
                        ) -> tuple[Fetched[ProjectFacts] | FetchError,
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
                return exc.error, missing
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
        folders: dict[str, asyncio.Task[str | FetchError | None]] = {}
        try:
            projects = [await self._project(client, req, r, folders) for req, r in rows]
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            return api.malformed(SOURCE, request, exc), missing
        if opts.organization_id:
            # Keep the organization's projects and every configured one (wherever it is).
            projects = [p for p in projects if p.organization == opts.organization_id
                        or p.project_id in opts.project_ids
                        or isinstance(p.organization, FetchError)]
        projects = [p for p in projects if p.state == "ACTIVE"]
        facts = await asyncio.gather(*(self._project_facts(client, p) for p in projects))
        return Fetched(SOURCE, request or "projects", api.now(), tuple(facts)), missing

    async def _project(self, client: GoogleClient, request: str, row: Mapping[str, Any],
                       folders: dict[str, asyncio.Task[str | FetchError | None]]) -> Project:
        parent = row.get("parent") or None
        org: str | FetchError | None = None
        if parent and str(parent).startswith("organizations/"):
            org = _tail(str(parent), "organizations/")
        elif parent and str(parent).startswith("folders/"):
            org = await self._folder_org(client, str(parent), folders)
        return Project(project_id=str(row["projectId"]),
                       number=_tail(str(row["name"]), "projects/"),
                       display_name=str(row.get("displayName") or ""),
                       parent=str(parent) if parent else None, organization=org,
                       state=str(row.get("state") or "ACTIVE"), request=request,
                       observed_at=api.now())

    async def _folder_org(self, client: GoogleClient, folder: str,
                          cache: dict[str, asyncio.Task[str | FetchError | None]]
                          ) -> str | FetchError | None:
        if folder not in cache:
            cache[folder] = asyncio.ensure_future(self._walk_folders(client, folder))
        return await cache[folder]

    async def _walk_folders(self, client: GoogleClient, folder: str) -> str | FetchError | None:
        current = folder
        for _ in range(MAX_FOLDER_DEPTH):
            try:
                request, data = await client.get("cloudresourcemanager.folders.get",
                                                 f"/v3/{current}")
            except (GoogleApiError, SourceFailure) as exc:
                return exc.error
            parent = str(data.get("parent") or "")
            if parent.startswith("organizations/"):
                return parent.removeprefix("organizations/")
            if not parent.startswith("folders/"):
                return FetchError(SOURCE, request, f"folder {current} has no parent",
                                  kind="malformed")
            current = parent
        return FetchError(SOURCE, folder, "folders nest deeper than Resource Manager allows",
                          kind="malformed")

    async def _iam(self, client: GoogleClient, verb: str, method: str, resource: str,
                   path: str) -> IamPolicy:
        # requestedPolicyVersion 3 returns conditional bindings as they are.
        body = {"options": {"requestedPolicyVersion": 3}} if verb == "POST" else None
        params = {"options.requestedPolicyVersion": 3} if verb == "GET" else None
        request, data = await client.call(verb, method, path, body=body, params=params)
        try:
            return _policy(resource, data, request, api.now())
        except (KeyError, TypeError, AttributeError) as exc:
            raise GoogleApiError(api.malformed(SOURCE, request, exc)) from None

    async def _contacts(self, client: GoogleClient, method: str,
                        parent: str) -> Fetched[Contact]:
        request, rows = await client.list(method, f"/v1/{parent}/contacts", "contacts")
        try:
            return Fetched(SOURCE, request, api.now(), _contacts(rows))
        except (KeyError, TypeError, AttributeError) as exc:
            raise GoogleApiError(api.malformed(SOURCE, request, exc)) from None

    async def _billing_info(self, client: GoogleClient, project_id: str) -> BillingInfo:
        request, data = await client.get("cloudbilling.projects.getBillingInfo",
                                         f"/v1/projects/{quote(project_id)}/billingInfo")
        try:
            name = data.get("billingAccountName") or None  # "" when billing is disabled
            account = _tail(str(name), "billingAccounts/") if name else None
            return BillingInfo(account, data.get("billingEnabled") is True, request, api.now())
        except (TypeError, ValueError, AttributeError) as exc:
            raise GoogleApiError(api.malformed(SOURCE, request, exc)) from None

    async def _project_facts(self, client: GoogleClient, project: Project) -> ProjectFacts:
        pid = quote(project.project_id)
        iam, billing, contacts = await asyncio.gather(
            api.guard(self._iam(client, "POST", "cloudresourcemanager.projects.getIamPolicy",
                                f"projects/{project.project_id}",
                                f"/v3/projects/{pid}:getIamPolicy")),
            api.guard(self._billing_info(client, project.project_id)),
            api.guard(self._contacts(client, "essentialcontacts.projects.contacts.list",
                                     f"projects/{pid}")))
        return ProjectFacts(project, iam, billing, contacts)

    async def _organization_facts(self, client: GoogleClient, org: str,
                                  name: str | None) -> OrganizationFacts:
        iam, contacts = await asyncio.gather(
            api.guard(self._iam(client, "POST",
                                "cloudresourcemanager.organizations.getIamPolicy",
                                f"organizations/{org}", f"/v3/organizations/{org}:getIamPolicy")),
            api.guard(self._contacts(client, "essentialcontacts.organizations.contacts.list",
                                     f"organizations/{org}")))
        return OrganizationFacts(org, name or None, iam, contacts)

    async def _billed_projects(self, client: GoogleClient, configured: list[str],
                               read: set[str]
                               ) -> tuple[Fetched[BillingAccount] | FetchError,
                                          tuple[AccountProjects, ...]]:
        """Every visible billing account (billingAccounts.list, plus the client's configured
        ones) and the projects linked to each; projects the scan did not read get their
        parent from projects.get."""
        visible: Fetched[BillingAccount] | FetchError
        try:
            request, rows = await client.list("cloudbilling.billingAccounts.list",
                                              "/v1/billingAccounts", "billingAccounts",
                                              pageSize=100)
            try:
                visible = Fetched(SOURCE, request, api.now(),
                                  tuple(_billing_account(r, request) for r in rows))
            except (KeyError, TypeError, ValueError, AttributeError) as exc:
                visible = api.malformed(SOURCE, request, exc)
        except (GoogleApiError, SourceFailure) as exc:
            visible = exc.error
        accounts: dict[str, BillingAccount | None] = {}
        if isinstance(visible, Fetched):
            accounts.update((a.id, a) for a in visible.items)
        for account in configured:
            accounts.setdefault(account.upper(), None)
        folders: dict[str, asyncio.Task[str | FetchError | None]] = {}
        projects: dict[str, asyncio.Task[Project | FetchError]] = {}

        async def where(pid: str) -> Project | FetchError:
            try:
                req, data = await client.get("cloudresourcemanager.projects.get",
                                             f"/v3/projects/{quote(pid)}")
            except (GoogleApiError, SourceFailure) as exc:
                return exc.error
            try:
                return await self._project(client, req, data, folders)
            except (KeyError, TypeError, ValueError, AttributeError) as exc:
                return api.malformed(SOURCE, req, exc)

        async def one(account_id: str, info: BillingAccount | None) -> AccountProjects:
            try:
                request, rows = await client.list(
                    "cloudbilling.billingAccounts.projects.list",
                    f"/v1/billingAccounts/{quote(account_id)}/projects", "projectBillingInfo",
                    pageSize=100)
                listed: list[tuple[str, bool]] = []
                for r in rows:
                    pid = str(r.get("projectId") or "") or _tail(
                        str(r["name"]), "projects/").removesuffix("/billingInfo")
                    listed.append((pid, r.get("billingEnabled") is True))
            except (GoogleApiError, SourceFailure) as exc:
                found: Fetched[BilledProject] | FetchError = exc.error
            except (KeyError, TypeError, ValueError, AttributeError) as exc:
                found = api.malformed(SOURCE, request, exc)
            else:
                billed = []
                for pid, enabled in listed:
                    if pid in read:
                        billed.append(BilledProject(pid, enabled, None))
                        continue
                    if pid not in projects:
                        projects[pid] = asyncio.ensure_future(where(pid))
                    billed.append(BilledProject(pid, enabled, await projects[pid]))
                found = Fetched(SOURCE, request, api.now(), tuple(billed))
            return AccountProjects(account_id, info.display_name or None if info else None,
                                   info.master if info else None,
                                   info.parent if info else None, found)

        by_account = await asyncio.gather(*(one(a, i) for a, i in sorted(accounts.items())))
        return visible, tuple(by_account)

    async def _billing_account(self, client: GoogleClient, account: str) -> BillingAccountFacts:
        async def get() -> BillingAccount:
            request, data = await client.get("cloudbilling.billingAccounts.get",
                                             f"/v1/billingAccounts/{quote(account)}")
            try:
                return _billing_account(data, request)
            except (KeyError, TypeError, ValueError, AttributeError) as exc:
                raise GoogleApiError(api.malformed(SOURCE, request, exc)) from None

        info, iam = await asyncio.gather(
            api.guard(get()),
            api.guard(self._iam(client, "GET", "cloudbilling.billingAccounts.getIamPolicy",
                                f"billingAccounts/{account}",
                                f"/v1/billingAccounts/{quote(account)}:getIamPolicy")))
        return BillingAccountFacts(account, info, iam)


__all__ = ["AccountProjects", "BilledProject", "BillingAccount", "BillingAccountFacts", "BillingInfo", "Binding", "Contact",
           "GcpFacts", "GcpSource", "IamPolicy", "Organization", "OrganizationFacts",
           "Project", "ProjectFacts", "billing_asset", "organization_asset", "project_asset"]
