"""The Azure source: subscriptions, CSP billing, Lighthouse, role assignments, managed apps.

Per `scan.azure` target (a tenant), through the real Azure SDK clients (subscriptions,
authorization, managed services, resources, management partner) with `base_url` set to
`arm_endpoint` for sovereign clouds. Credentials come from azure-identity exactly as for
the Graph source (the same target), so one sign-in covers both.

Read-only by construction: every SDK client gets a per-call policy that refuses any
request that is not a read (GET/HEAD, or one of the engine's known read-only POSTs)
before it leaves the process. Every blocking SDK call runs in the engine's shared pool
under the host's rate limit and a timeout. A 403 becomes a FetchError naming the action
that was refused (ARM says it in the error message), so the checks report `error` with
the missing permission instead of a silent pass.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar
from urllib.parse import urlsplit

from lockin_audit.config import AzureTarget
from lockin_audit.facts import Fetched, FetchError, SourceFailure
from lockin_audit.guards import AnswerTooLarge, ForeignHostRefused, WriteRefused
from lockin_audit.guards.azure import endpoint_policy, read_only_policy
from lockin_audit.guards.net import origin_of
from lockin_audit.guards.requests_session import harden_session
from lockin_audit.model import Asset, Evidence, iso, utc_now
from lockin_audit.sources.graph import Principal, TenantSource
from lockin_audit.sources.interface import SourceContext, Target
from lockin_audit.transport import answer_limit

T = TypeVar("T")
DEFAULT_ARM = "https://management.azure.com"
CSP_QUOTAS = frozenset({"CSP_2015-05-01", "CSP_MG_2017-12-01", "CSPDEVTEST_2018-05-01"})
BUILTIN_ROLES = {
    "8e3af657-a8ff-443c-a75c-2fe8c4bcb635": "Owner",
    "b24988ac-6180-42a0-ab88-20f7382dd24c": "Contributor",
    "acdd72a7-3385-48ef-bd42-f606fba81ae7": "Reader",
    "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9": "User Access Administrator",
    "f58310d9-a9f6-439a-9e8d-f62e7b41a168": "Role Based Access Control Administrator",
}
PRIVILEGED_ROLES = frozenset({"Owner", "User Access Administrator",
                              "Role Based Access Control Administrator"})
# The permission each read needs, for the error message when it is refused.
PERMISSIONS = {
    "subscriptions": "Microsoft.Resources/subscriptions/read (Reader)",
    "role_assignments": "Microsoft.Authorization/roleAssignments/read (Reader)",
    "role_definitions": "Microsoft.Authorization/roleDefinitions/read (Reader)",
    "role_eligibility": "Microsoft.Authorization/roleEligibilityScheduleInstances/read "
                        "(Reader)",
    "management_groups": "Microsoft.Management/managementGroups/read (Reader on the "
                         "management group)",
    "classic_admins": "Microsoft.Authorization/classicAdministrators/read (Reader)",
    "lighthouse": "Microsoft.ManagedServices/registrationAssignments/read (Reader)",
    "resource_groups": "Microsoft.Resources/subscriptions/resourceGroups/read (Reader)",
    "resources": "Microsoft.Resources/subscriptions/resources/read (Reader)",
    "applications": "Microsoft.Solutions/applications/read (Reader)",
    "billing": "Microsoft.Billing/billingProperty/read (Billing account or profile reader)",
    "directory": "Directory.Read.All (Microsoft Graph)",
    "partner": "none: the Partner Admin Link of the signed-in identity",
}


# ---------------------------------------------------------------------------------------
# facts


def describe_scope(scope: str) -> str:
    """'/subscriptions/x/resourceGroups/rg' -> 'resource group rg', in plain words."""
    parts = [p for p in scope.split("/") if p]
    low = [p.lower() for p in parts]
    if not parts:
        return "the root of the tenant (every subscription)"
    if low[:3] == ["providers", "microsoft.management", "managementgroups"] and len(parts) > 3:
        return f"management group {parts[3]}"
    if low[0] == "subscriptions" and len(parts) == 2:
        return "the whole subscription"
    if low[0] == "subscriptions" and len(parts) >= 4 and low[2] == "resourcegroups":
        if len(parts) == 4:
            return f"resource group {parts[3]}"
        return f"resource {parts[-1]} in resource group {parts[3]}"
    return scope


@dataclass(frozen=True)
class RoleAssignment:
    id: str
    scope: str
    role: str  # the role's name (or its definition id when it could not be named)
    principal_id: str
    principal_type: str  # User, Group, ServicePrincipal, ForeignGroup, ...
    eligible: bool = False  # a PIM eligibility (activated on demand), not an active role
    end: str | None = None  # when the eligibility ends (None: permanent or not reported)

    @property
    def privileged(self) -> bool:
        return self.role in PRIVILEGED_ROLES

    @property
    def how(self) -> str:
        """'holds' or 'is eligible (through PIM) for'."""
        if not self.eligible:
            return "holds"
        until = f" until {self.end[:10]}" if self.end else ""
        return f"is eligible (through PIM{until}) for"

    def where(self, subscription_id: str) -> str:
        """Where the assignment applies, and whether it is inherited from above."""
        own = f"/subscriptions/{subscription_id}".lower()
        scope = self.scope.rstrip("/").lower()
        text = describe_scope(self.scope)
        if scope and not scope.startswith(own):
            return f"{text} (inherited by this subscription)"
        return text


def _parent_of(group: Any) -> str | None:
    """The parent's id in a management group's GET answer (properties.details.parent)."""
    details = (group.get("properties") or {}).get("details") or {}
    found = details.get("parent") if isinstance(details, dict) else None
    return str(found["id"]) if isinstance(found, dict) and found.get("id") else None


@dataclass(frozen=True)
class ManagementGroup:
    """A management group the identity can see, with the role assignments and PIM
    eligibilities made at its own scope (those above it belong to its parents)."""

    id: str  # /providers/Microsoft.Management/managementGroups/<name>
    name: str
    display_name: str
    # the group's own GET: its parent's id (None: the tenant root group, or not reported);
    # when that read failed, whether it is the tenant root group (which also carries the
    # assignments at "/") is unknown
    parent: Fetched[str | None]
    role_assignments: Fetched[tuple[RoleAssignment, ...]]
    eligible_assignments: Fetched[tuple[RoleAssignment, ...]]

    @property
    def parent_id(self) -> str | None:
        """The parent's id, when the group's own read answered one."""
        return None if self.parent.error else self.parent.ok

    @property
    def is_root(self) -> bool:
        """Known to be the tenant root group (its GET answered with no parent)."""
        return not self.parent.error and self.parent.ok is None

    @property
    def asset(self) -> Asset:
        return Asset("azure_management_group", self.id, self.display_name or self.name)


@dataclass(frozen=True)
class LighthouseAuthorization:
    principal_id: str
    principal_name: str | None
    role: str
    eligible: bool = False

    @property
    def label(self) -> str:
        return self.principal_name or f"principal {self.principal_id}"


@dataclass(frozen=True)
class LighthouseDefinition:
    """A registration definition: the offer, the tenant it lets in and what it grants."""

    offer: str | None
    managing_tenant_id: str | None
    managing_tenant_name: str | None
    authorizations: tuple[LighthouseAuthorization, ...]


NO_DEFINITION = LighthouseDefinition(None, None, None, ())


@dataclass(frozen=True)
class LighthouseAssignment:
    id: str
    scope: str  # the subscription or a resource group
    # embedded in the assignments' listing, or read by its id
    definition: Fetched[LighthouseDefinition]

    @property
    def definition_error(self) -> FetchError | None:
        """Why the definition could not be read (then it names no tenant nor role)."""
        return self.definition.error

    def _read(self) -> LighthouseDefinition:
        return NO_DEFINITION if self.definition.error else self.definition.ok

    @property
    def offer(self) -> str | None:
        return self._read().offer

    @property
    def managing_tenant_id(self) -> str | None:
        return self._read().managing_tenant_id

    @property
    def managing_tenant_name(self) -> str | None:
        return self._read().managing_tenant_name

    @property
    def authorizations(self) -> tuple[LighthouseAuthorization, ...]:
        return self._read().authorizations


@dataclass(frozen=True)
class ClassicAdmin:
    email: str
    role: str


@dataclass(frozen=True)
class ManagedThing:
    """A resource group or resource with `managedBy` set."""

    id: str
    type: str
    managed_by: str | None
    publisher: str | None = None


@dataclass(frozen=True)
class ManagedApp:
    """A managed application (Microsoft.Solutions/applications): its publisher controls
    the resources in its managed resource group."""

    id: str
    publisher_tenant_id: str | None
    managed_resource_group: str | None
    plan_publisher: str | None  # a marketplace publisher id, not a display name

    @property
    def name(self) -> str:
        return self.id.rstrip("/").rsplit("/", 1)[-1]


@dataclass(frozen=True)
class BillingInfo:
    """A subscription's billing property (readable with a billing role only)."""

    agreement_type: str | None
    account_name: str | None
    billing_tenant_id: str | None
    admin_email: str | None


@dataclass(frozen=True)
class Subscription:
    id: str
    name: str
    tenant_id: str | None  # None: the answer did not say (some list versions omit it)
    state: str
    quota_id: str | None
    managed_by_tenants: tuple[str, ...]
    role_assignments: Fetched[tuple[RoleAssignment, ...]]
    # PIM eligibilities listed for the subscription (at, above and below it)
    eligible_assignments: Fetched[tuple[RoleAssignment, ...]]
    classic_admins: Fetched[tuple[ClassicAdmin, ...]]
    lighthouse: Fetched[tuple[LighthouseAssignment, ...]]
    managed: Fetched[tuple[ManagedThing, ...]]  # resource groups with managedBy
    resources: Fetched[tuple[ManagedThing, ...]]  # every resource (id, type)
    applications: Fetched[tuple[ManagedApp, ...]]
    billing: Fetched[BillingInfo] | None = None  # None: not read
    # role definitions could not be read: built-in roles are still named from their fixed
    # ids, custom roles show their id
    role_definitions_error: FetchError | None = None

    @property
    def asset(self) -> Asset:
        return Asset("azure_subscription", f"/subscriptions/{self.id}", self.name)

    @property
    def is_csp(self) -> bool:
        return (self.quota_id or "") in CSP_QUOTAS


@dataclass(frozen=True)
class PartnerLink:
    partner_id: str
    partner_name: str | None
    tenant_id: str | None


@dataclass(frozen=True)
class Directory:
    """The principals holding Azure roles, named through Microsoft Graph (getByIds), and
    the tenant's verified domains (to tell its own accounts, including those on its
    <name>.onmicrosoft.com domain, from others)."""

    principals: Mapping[str, Principal]
    verified_domains: frozenset[str]


@dataclass(frozen=True)
class AzureFacts:
    tenant_id: str
    label: str
    arm_endpoint: str
    subscriptions: Fetched[tuple[Subscription, ...]]
    expected_missing: tuple[str, ...] = ()  # in the audit file, not visible to this sign-in
    # the Partner Admin Link of the signed-in identity (its value None: no link; None:
    # not read)
    partner_link: Fetched[PartnerLink | None] | None = None
    directory: Fetched[Directory] | None = None  # None: no principal to name, not read
    # the management groups this identity can see (None: not read)
    management_groups: Fetched[tuple[ManagementGroup, ...]] | None = None
    observed_at: str = field(default_factory=lambda: iso(utc_now()))

    def evidence(self, request: str, excerpt: Any) -> Evidence:
        return Evidence("azure", request, self.observed_at, excerpt)


# ---------------------------------------------------------------------------------------
# SDK plumbing


SDK_RETRIES, SDK_CONNECT_S, SDK_READ_S, SDK_BACKOFF = 2, 10, 30, 0.8


def sdk_budget() -> float:
    """How long one SDK request may take with azure-core's own retries (attempts x
    (connect + read) plus its exponential back-off, backoff_factor x 2^n): the engine waits
    this long for a page, so it never cuts the SDK's retries short (the target's budget
    still bounds the whole)."""
    attempts = SDK_RETRIES + 1
    backoff = sum(SDK_BACKOFF * 2 ** n for n in range(SDK_RETRIES))
    return attempts * (SDK_CONNECT_S + SDK_READ_S) + backoff


def client_kwargs(opts: AzureTarget, max_bytes: int | None = None) -> dict[str, Any]:
    """The SDK clients' settings: the configured ARM endpoint, the read-only and endpoint
    policies, retries and timeouts, and a requests session that follows no redirect of
    its own and reads each answer through the byte cap (`max_bytes`, default the azure
    entry of ANSWER_LIMITS)."""
    import requests

    arm = (opts.arm_endpoint or DEFAULT_ARM).rstrip("/")
    session = harden_session(requests.Session(), max_bytes or answer_limit("azure"),
                             "Azure Resource Manager")
    kwargs: dict[str, Any] = {"base_url": arm, "credential_scopes": [arm + "/.default"],
                              "per_call_policies": [read_only_policy(), endpoint_policy(arm)],
                              # after the sign-in policy, on every redirect hop and retry
                              "per_retry_policies": [endpoint_policy(arm)],
                              "retry_total": SDK_RETRIES, "retry_backoff_factor": SDK_BACKOFF,
                              "connection_timeout": SDK_CONNECT_S,
                              "read_timeout": SDK_READ_S,
                              "session": session, "session_owner": False}
    if opts.ca_bundle:
        kwargs["connection_verify"] = opts.ca_bundle
    return kwargs


# ARM names the refused action only in the text of an AuthorizationFailed error ("The
# client '...' with object id '...' does not have authorization to perform action '...'
# over scope '...'", https://learn.microsoft.com/azure/role-based-access-control/
# troubleshooting#symptom---authorization-failed): the one place the wording is read,
# and only for that code.
_DENIED_ACTION = re.compile(r"perform action '([^']+)'")


def to_fetch_error(exc: Exception, request: str, permission_key: str) -> FetchError:
    """Map an SDK exception to a FetchError; never echoes a token."""
    from azure.core.exceptions import (
        ClientAuthenticationError,
        DecodeError,
        HttpResponseError,
        ServiceRequestError,
        ServiceResponseError,
    )

    if isinstance(exc, WriteRefused):
        return FetchError("azure", request, str(exc), kind="denied")
    if isinstance(exc, AnswerTooLarge):
        return FetchError("azure", request, f"{exc} (scan.limits.max_answer_bytes.azure)",
                          kind="malformed")
    if isinstance(exc, ForeignHostRefused):
        return FetchError("azure", request, str(exc), kind="malformed")
    if isinstance(exc, ClientAuthenticationError):
        first = (str(exc).strip().splitlines() or [""])[0][:300]
        return FetchError("azure", request, f"sign-in failed: {first}", kind="denied")
    if isinstance(exc, DecodeError):
        return FetchError("azure", request, "the answer is not valid JSON", kind="malformed")
    if isinstance(exc, HttpResponseError):
        status = exc.status_code or 0
        code = getattr(exc.error, "code", None) if exc.error else None
        message = (getattr(exc.error, "message", None) if exc.error else None) or exc.reason or ""
        if status == 403:
            m = _DENIED_ACTION.search(str(message)) if code == "AuthorizationFailed" else None
            permission = m.group(1) if m else PERMISSIONS.get(permission_key)
            return FetchError("azure", request, f"HTTP 403 {code or 'Forbidden'}",
                              kind="denied", permission=permission)
        if status == 429:
            return FetchError("azure", request, "still throttled (HTTP 429) after retries",
                              kind="throttled")
        if status == 404:
            return FetchError("azure", request, f"HTTP 404 {code or ''}".strip(),
                              kind="not_found")
        return FetchError("azure", request, f"HTTP {status} {code or ''}: "
                          f"{str(message)[:200]}".strip(),
                          kind="unavailable" if status >= 500 else "error")
    if isinstance(exc, ServiceRequestError | ServiceResponseError):
        return FetchError("azure", request, f"cannot reach ARM: {type(exc).__name__}",
                          kind="unavailable")
    if isinstance(exc, TimeoutError):
        return FetchError("azure", request, "no answer in time", kind="timeout")
    if isinstance(exc, AttributeError | KeyError | TypeError | ValueError):
        return FetchError("azure", request, f"unexpected answer shape: {type(exc).__name__}: "
                          f"{exc}", kind="malformed")
    return FetchError("azure", request, f"{type(exc).__name__}: {exc}", kind="error")


def _role_name(definition_id: str | None, names: dict[str, str]) -> str:
    guid = (definition_id or "").rstrip("/").rsplit("/", 1)[-1].lower()
    return names.get(guid) or BUILTIN_ROLES.get(guid) or guid or "unknown role"


# ---------------------------------------------------------------------------------------
# the source


class AzureSource(TenantSource):
    name = "azure"
    area = "azure"
    label = "Azure tenant {name}"
    # The principals of role assignments are named here, through Graph getByIds; the
    # checks that also read the Graph source's partner facts declare it (needs=GRAPH).

    def target_asset(self, tenant: str, opts: AzureTarget) -> Asset:
        return Asset("azure_tenant", tenant, opts.name or tenant)

    async def doctor(self, ctx: SourceContext) -> list[tuple[str, bool, str]]:
        """Sign in to each tenant and say which subscriptions Reader can see."""
        lines: list[tuple[str, bool, str]] = []
        for target in await self.targets(ctx):
            try:
                facts = await self.fetch(target, ctx)
            except SourceFailure as exc:
                lines.append((target.label, False, exc.error.describe()))
                continue
            if facts.subscriptions.error:
                lines.append((target.label, False, facts.subscriptions.error.describe()))
                continue
            lines.append((target.label, True, f"{len(facts.subscriptions.ok)} "
                          "subscription(s) visible"))
            for sub in facts.subscriptions.ok:
                reads: tuple[Fetched[Any], ...] = (
                    sub.role_assignments, sub.eligible_assignments, sub.classic_admins,
                    sub.lighthouse, sub.managed, sub.resources, sub.applications)
                denied = [r.error.describe() for r in reads if r.error]
                lines.append((f"{target.label}: {sub.name}", not denied,
                              "; ".join(denied) or "readable (Reader)"))
                if sub.billing is not None and sub.billing.error:
                    lines.append((f"{target.label}: {sub.name}: billing account", False,
                                  f"{sub.billing.error.describe()}; optional: without it "
                                  "the billing check is a manual step"))
            if facts.directory is not None and facts.directory.error:
                lines.append((f"{target.label}: principals of role assignments (Graph)",
                              False, facts.directory.error.describe()))
            elif facts.directory is not None:
                lines.append((f"{target.label}: principals of role assignments (Graph)",
                              True, f"{len(facts.directory.ok.principals)} named "
                              "(Directory.Read.All)"))
            groups = facts.management_groups
            if groups is not None and groups.error:
                lines.append((f"{target.label}: management groups", False,
                              f"{groups.error.describe()}; optional: assignments inherited "
                              "from them are then judged on each subscription"))
            elif groups is not None:
                unread = [r.error.describe() for g in groups.ok
                          for r in (g.role_assignments, g.eligible_assignments) if r.error]
                lines.append((f"{target.label}: management groups", not unread,
                              "; ".join(unread) or f"{len(groups.ok)} visible, with their "
                              "role assignments and PIM eligibilities (Reader)"))
            for missing in facts.expected_missing:
                lines.append((f"{target.label}: {missing}", False,
                              "listed in the audit file but not visible to this sign-in"))
        return lines

    async def fetch(self, target: Target, ctx: SourceContext) -> AzureFacts:
        opts: AzureTarget = target.options
        arm = (opts.arm_endpoint or DEFAULT_ARM).rstrip("/")
        host = urlsplit(arm).netloc
        credential = self.credential(opts)
        kwargs = client_kwargs(opts, answer_limit(
            "azure", ctx.config.scan.limits.max_answer_bytes))

        caller = _Caller(ctx, host)
        listing = caller.listing

        from azure.mgmt.resource.subscriptions import SubscriptionClient

        subs_client = SubscriptionClient(credential, **kwargs)
        raw = await listing("subscriptions", "GET /subscriptions",
                            lambda: subs_client.subscriptions.list())
        partner = await self._partner(credential, kwargs, caller)
        if raw.error:
            if raw.error.kind == "denied" and "sign-in failed" in raw.error.reason:
                raise SourceFailure(raw.error)
            groups = await management_groups(subs_client, caller, kwargs["base_url"])
            return AzureFacts(target.id, target.label, arm, Fetched.failure(raw.error),
                              partner_link=partner,
                              directory=await self._directory(opts, ctx, credential, [],
                                                              groups),
                              management_groups=groups)
        subscriptions, groups = await asyncio.gather(
            asyncio.gather(*(self._subscription(s, credential, kwargs, caller)
                             for s in raw.ok)),
            management_groups(subs_client, caller, kwargs["base_url"]))
        visible = {s.id for s in subscriptions}
        missing = tuple(s for s in opts.subscription_ids if s not in visible)
        directory = await self._directory(opts, ctx, credential, subscriptions, groups)
        return AzureFacts(target.id, target.label, arm,
                          Fetched("azure", raw.request, tuple(subscriptions), raw.observed_at),
                          missing, partner, directory, management_groups=groups)

    async def _directory(self, opts: AzureTarget, ctx: SourceContext, credential: Any,
                         subscriptions: list[Subscription],
                         groups: Fetched[tuple[ManagementGroup, ...]] | None = None
                         ) -> Fetched[Directory] | None:
        """Name the users, groups and apps holding Azure roles through Microsoft Graph.
        An unreadable directory is a FetchError: the checks then judge none of those
        assignments (never "nobody foreign")."""
        from lockin_audit.sources.graph import (
            connect,
            guard,
            read_organization,
            resolve_principals,
        )

        sets = [x for sub in subscriptions for x in (sub.role_assignments,
                                                     sub.eligible_assignments)]
        if groups is not None and not groups.error:
            sets += [x for g in groups.ok for x in (g.role_assignments, g.eligible_assignments)]
        ids = sorted({ra.principal_id for found in sets if not found.error for ra in found.ok
                      if ra.principal_type in ("User", "Group", "ServicePrincipal")})
        if not ids:
            return None

        async def named() -> Fetched[Directory]:
            client = await connect(opts, ctx, credential)
            org, principals = await asyncio.gather(read_organization(client),
                                                   resolve_principals(client, ids))
            return Fetched("azure", client.url("/directoryObjects/getByIds"),
                           Directory(principals, frozenset(org.ok.verified_domains)))

        return await guard(named())

    async def _partner(self, credential: Any, kwargs: dict[str, Any],
                       caller: _Caller) -> Fetched[PartnerLink | None]:
        from azure.mgmt.managementpartner import ACEProvisioningManagementPartnerAPI

        client = ACEProvisioningManagementPartnerAPI(credential, **kwargs)
        answer = await caller.call("partner",
                                   "GET /providers/Microsoft.ManagementPartner/partners",
                                   lambda: client.partners.get())
        if answer.error:
            if answer.error.kind == "not_found":  # no link
                return Fetched("azure", answer.request, None, answer.observed_at)
            return Fetched.failure(answer.error)
        link = answer.ok
        return Fetched("azure", answer.request, PartnerLink(
            str(link.partner_id), link.partner_name, getattr(link, "tenant_id", None)),
            answer.observed_at)

    async def _subscription(self, sub: Any, credential: Any, kwargs: dict[str, Any],
                            caller: _Caller) -> Subscription:
        from azure.mgmt.authorization import AuthorizationManagementClient
        from azure.mgmt.managedservices import ManagedServicesClient
        from azure.mgmt.resource.resources import ResourceManagementClient

        sid = str(sub.subscription_id)
        scope = f"/subscriptions/{sid}"
        auth = AuthorizationManagementClient(credential, sid, **kwargs)
        lighthouse_client = ManagedServicesClient(credential, **kwargs)
        resources_client = ResourceManagementClient(credential, sid, **kwargs)
        apps_path = f"{scope}/providers/Microsoft.Solutions/applications"
        billing_path = f"{scope}/providers/Microsoft.Billing/billingProperty/default"
        call, listing = caller.call, caller.listing
        (assignments, definitions, classic, lighthouse, groups, resources) = await asyncio.gather(
            listing("role_assignments", f"GET {scope}/providers/Microsoft.Authorization/"
                    "roleAssignments", lambda: auth.role_assignments.list_for_subscription()),
            listing("role_definitions", f"GET {scope}/providers/Microsoft.Authorization/"
                    "roleDefinitions", lambda: auth.role_definitions.list(scope)),
            listing("classic_admins", f"GET {scope}/providers/Microsoft.Authorization/"
                    "classicAdministrators", lambda: auth.classic_administrators.list()),
            listing("lighthouse", f"GET {scope}/providers/Microsoft.ManagedServices/"
                    "registrationAssignments?$expandRegistrationDefinition=true",
                    lambda: lighthouse_client.registration_assignments.list(
                        scope, expand_registration_definition=True)),
            listing("resource_groups", f"GET {scope}/resourcegroups",
                    lambda: resources_client.resource_groups.list()),
            listing("resources", f"GET {scope}/resources",
                    lambda: resources_client.resources.list()))
        eligible_path = f"{scope}/providers/Microsoft.Authorization/" \
            "roleEligibilityScheduleInstances"
        apps, eligible, billing = await asyncio.gather(
            call("applications", f"GET {apps_path}",
                 lambda: raw_list(resources_client, apps_path, APPLICATIONS_API,
                                  base=kwargs["base_url"])),
            call("role_eligibility", f"GET {eligible_path}",
                 lambda: raw_list(resources_client, eligible_path, ELIGIBILITY_API,
                                  base=kwargs["base_url"])),
            call("billing", f"GET {billing_path}",
                 lambda: raw_get(resources_client, billing_path, BILLING_API)))
        names: dict[str, str] = {}
        if not definitions.error:
            names = {str(d.name).lower(): str(d.role_name) for d in definitions.ok
                     if d.role_name}
        delegations: Fetched[tuple[LighthouseAssignment, ...]] = Fetched.failure(
            lighthouse.error) if lighthouse.error else Fetched(
            "azure", lighthouse.request, tuple(await asyncio.gather(*(
                self._lighthouse(a, names, lighthouse_client, caller, lighthouse.request)
                for a in lighthouse.ok))),
            lighthouse.observed_at)
        policies = getattr(sub, "subscription_policies", None)
        tenant = getattr(sub, "tenant_id", None)
        return Subscription(
            id=sid, name=str(sub.display_name or sid),
            tenant_id=str(tenant).lower() if tenant else None,
            state=str(getattr(sub.state, "value", sub.state) or ""),
            quota_id=getattr(policies, "quota_id", None) or None,
            managed_by_tenants=tuple(str(t.tenant_id) for t in sub.managed_by_tenants or []
                                     if getattr(t, "tenant_id", None)),
            role_assignments=assignments.map(lambda rows: tuple(
                RoleAssignment(str(a.id), str(a.scope or scope),
                               _role_name(a.role_definition_id, names), str(a.principal_id),
                               str(a.principal_type or "Unknown")) for a in rows)),
            eligible_assignments=parse_assignments(eligible, names, eligible=True),
            classic_admins=classic.map(lambda rows: tuple(
                ClassicAdmin(str(c.email_address or ""), str(c.role or "")) for c in rows)),
            lighthouse=delegations,
            managed=groups.map(lambda rows: tuple(
                ManagedThing(str(g.id), "Microsoft.Resources/resourceGroups", g.managed_by)
                for g in rows if g.managed_by)),
            resources=resources.map(lambda rows: tuple(
                ManagedThing(str(r.id), str(r.type), r.managed_by) for r in rows)),
            applications=_applications(apps),
            billing=_billing(billing),
            role_definitions_error=definitions.error,
        )

    async def _lighthouse(self, assignment: Any, names: dict[str, str], client: Any,
                          caller: _Caller, listed: str) -> LighthouseAssignment:
        """One registration assignment with its definition: embedded when the service
        expanded it (in the answer to `listed`), read by its id when it did not (older API
        versions, or a service that ignores $expandRegistrationDefinition)."""
        props = assignment.properties
        embedded = getattr(props, "registration_definition", None) if props else None
        definition_id = str(getattr(props, "registration_definition_id", "") or "")
        definition: Fetched[Any] = Fetched("azure", listed, embedded)
        if embedded is None and definition_id:
            scope, _, name = definition_id.rpartition(
                "/providers/Microsoft.ManagedServices/registrationDefinitions/")
            definition = await caller.call(
                "lighthouse", f"GET {definition_id}",
                lambda: client.registration_definitions.get(scope, name))
        elif embedded is None:
            definition = Fetched.failure(FetchError(
                "azure", f"GET {assignment.id}", "the assignment names no registration "
                "definition", kind="malformed"))
        assignment_id = str(assignment.id)
        return LighthouseAssignment(
            assignment_id, assignment_id.split("/providers/Microsoft.ManagedServices/", 1)[0],
            definition.map(lambda found: _lighthouse_definition(found, names)))


class _Caller:
    """Blocking SDK reads for one target through the engine: one call, or a listing read
    one page per engine call (each page its own timeout, all within the target's
    budget). Failures become FetchErrors naming the read."""

    def __init__(self, ctx: SourceContext, host: str) -> None:
        self.ctx = ctx
        self.host = host

    async def call(self, what: str, request: str, fn: Callable[[], T]) -> Fetched[T]:
        try:
            return Fetched("azure", request, await self.ctx.engine.call_sync(
                self.host, fn, timeout_s=sdk_budget()))
        except Exception as exc:
            return Fetched.failure(to_fetch_error(exc, request, what))

    async def listing(self, what: str, request: str,
                      fn: Callable[[], Any]) -> Fetched[list[Any]]:
        try:
            pages = await self.ctx.engine.pages_sync(self.host, lambda: fn().by_page(),
                                                     timeout_s=sdk_budget())
            return Fetched("azure", request, [item for page in pages for item in page])
        except Exception as exc:
            return Fetched.failure(to_fetch_error(exc, request, what))


APPLICATIONS_API = "2019-07-01"
# Role Eligibility Schedule Instances - List For Scope (Azure PIM),
# https://learn.microsoft.com/rest/api/authorization/role-eligibility-schedule-instances/
# list-for-scope
ELIGIBILITY_API = "2020-10-01"
# Role Assignments - List For Scope, https://learn.microsoft.com/rest/api/authorization/
# role-assignments/list-for-scope
ROLE_ASSIGNMENTS_API = "2022-04-01"
# Management Groups - List / Get, https://learn.microsoft.com/rest/api/managementgroups/
# management-groups/list
MANAGEMENT_GROUPS_API = "2021-04-01"
MG_LIST = "/providers/Microsoft.Management/managementGroups"


def parse_assignments(rows: Fetched[list[dict[str, Any]]],
                      names: Mapping[str, str], *, eligible: bool = False,
                      scopes: tuple[str, ...] | None = None
                      ) -> Fetched[tuple[RoleAssignment, ...]]:
    """Role assignments or eligibility schedule instances as ARM lists them (each with
    `properties.scope`, `roleDefinitionId`, `principalId`, `principalType`); with
    `scopes`, only those made at one of these scopes (atScope() also returns the ones
    above)."""
    if rows.error:
        return Fetched.failure(rows.error)
    wanted = {x.rstrip("/").lower() for x in scopes} if scopes is not None else None
    try:
        out = []
        for r in rows.ok:
            props = r["properties"]
            if not isinstance(props, dict):
                raise TypeError("properties is not an object")
            where = str(props.get("scope") or "")
            if wanted is not None and where.rstrip("/").lower() not in wanted:
                continue
            out.append(RoleAssignment(
                str(r["id"]), where, _role_name(props.get("roleDefinitionId"), dict(names)),
                str(props["principalId"]), str(props.get("principalType") or "Unknown"),
                eligible=eligible, end=props.get("endDateTime") or None))
        return Fetched("azure", rows.request, tuple(out), rows.observed_at)
    except (KeyError, TypeError) as exc:
        return _malformed(rows, exc)


def _malformed(read: Fetched[Any], exc: Exception) -> Fetched[Any]:
    return Fetched.failure(FetchError(
        "azure", read.request, f"unexpected answer shape: {type(exc).__name__}: {exc}",
        kind="malformed"))


async def management_groups(client: Any, caller: _Caller, base: str
                            ) -> Fetched[tuple[ManagementGroup, ...]]:
    """The management groups this identity can see, each with its parent (GET of each
    group: properties.details.parent; none for the tenant root group) and the role
    assignments and PIM eligibilities made at its own scope ($filter=atScope() lists
    those at and above it; the ones above belong to the parents). Assignments at "/"
    (the tenant root scope) go with the root group."""
    listed = await caller.call("management_groups", f"GET {MG_LIST}", lambda: raw_list(
        client, MG_LIST, MANAGEMENT_GROUPS_API, base=base))
    if listed.error:
        return Fetched.failure(listed.error)

    async def one(row: dict[str, Any]) -> ManagementGroup:
        mg_id = str(row["id"])
        name = str(row.get("name") or mg_id.rsplit("/", 1)[-1])
        props = row.get("properties") or {}
        display = str(props.get("displayName") or name) if isinstance(props, dict) else name
        detail = await caller.call("management_groups", f"GET {mg_id}",
                                   lambda: raw_get(client, mg_id, MANAGEMENT_GROUPS_API))
        parent = detail.map(_parent_of)
        # the root group also carries the assignments at "/"
        scopes = (mg_id,) if parent.error or parent.ok is not None else (mg_id, "/")
        ra_path = f"{mg_id}/providers/Microsoft.Authorization/roleAssignments?$filter=atScope()"
        el_path = (f"{mg_id}/providers/Microsoft.Authorization/"
                   "roleEligibilityScheduleInstances?$filter=atScope()")
        active, eligible = await asyncio.gather(
            caller.call("role_assignments", f"GET {ra_path}",
                        lambda: raw_list(client, ra_path, ROLE_ASSIGNMENTS_API, base=base)),
            caller.call("role_eligibility", f"GET {el_path}",
                        lambda: raw_list(client, el_path, ELIGIBILITY_API, base=base)))
        return ManagementGroup(
            mg_id, name, display, parent,
            role_assignments=parse_assignments(active, {}, scopes=scopes),
            eligible_assignments=parse_assignments(eligible, {}, eligible=True, scopes=scopes))

    try:
        return Fetched("azure", listed.request,
                       tuple(await asyncio.gather(*(one(r) for r in listed.ok))),
                       listed.observed_at)
    except (KeyError, TypeError, AttributeError) as exc:
        return _malformed(listed, exc)

BILLING_API = "2020-05-01"


def _send(client: Any, path: str, api_version: str) -> Any:
    """GET through the SDK client's own pipeline (sign-in, read-only policy, retries),
    for ARM reads that have no typed client installed."""
    from azure.core.exceptions import HttpResponseError
    from azure.core.rest import HttpRequest
    from azure.mgmt.core.exceptions import ARMErrorFormat

    sep = "&" if "?" in path else "?"
    url = path if "api-version=" in path else f"{path}{sep}api-version={api_version}"
    response = client.send_request(HttpRequest("GET", url))
    if response.status_code >= 400:
        raise HttpResponseError(response=response, error_format=ARMErrorFormat)
    body = response.json()
    if not isinstance(body, dict):
        raise ValueError("the answer is not a JSON object")
    return body


def raw_get(client: Any, path: str, api_version: str) -> dict[str, Any]:
    return dict(_send(client, path, api_version))


def raw_list(client: Any, path: str, api_version: str,
             base: str = DEFAULT_ARM) -> list[dict[str, Any]]:
    """Every item of an ARM list, following nextLink (a loop or a foreign host is an
    error, not an endless or leaking read: a nextLink to another origin than `base`, the
    configured ARM endpoint, is refused before any request)."""
    items: list[dict[str, Any]] = []
    link: str | None = path
    seen: set[str] = set()
    while link:
        if link in seen or len(seen) > 500:
            raise ValueError("paging does not end (nextLink loops)")
        seen.add(link)
        body = _send(client, link, api_version)
        page = body.get("value")
        if not isinstance(page, list) or not all(isinstance(x, dict) for x in page):
            raise ValueError("the answer has no 'value' list of objects")
        items.extend(page)
        nxt = body.get("nextLink")
        if nxt is not None and not isinstance(nxt, str):
            raise TypeError("nextLink is not a URL")
        if nxt and nxt.startswith(("http://", "https://")) and \
                origin_of(nxt) != origin_of(base):
            # refused here, before the pipeline (whose endpoint policy would refuse too)
            raise ForeignHostRefused(f"refused GET {nxt}: the nextLink points at another "
                                     "host than the configured ARM endpoint; it never "
                                     "receives our credentials")
        link = nxt
    return items


def _applications(rows: Fetched[list[dict[str, Any]]]) -> Fetched[tuple[ManagedApp, ...]]:
    if rows.error:
        return Fetched.failure(rows.error)
    try:
        out = []
        for r in rows.ok:
            props = r.get("properties") or {}
            plan = r.get("plan") or {}
            if not isinstance(props, dict) or not isinstance(plan, dict):
                raise TypeError("properties or plan is not an object")
            tenant = props.get("publisherTenantId")
            out.append(ManagedApp(str(r["id"]), str(tenant).lower() if tenant else None,
                                  props.get("managedResourceGroupId"), plan.get("publisher")))
        return Fetched("azure", rows.request, tuple(out), rows.observed_at)
    except (KeyError, TypeError) as exc:
        return _malformed(rows, exc)


def _billing(answer: Fetched[dict[str, Any]]) -> Fetched[BillingInfo]:
    if answer.error:
        return Fetched.failure(answer.error)
    props = answer.ok.get("properties")
    if not isinstance(props, dict):
        return Fetched.failure(FetchError("azure", answer.request, "the answer has no "
                                          "'properties' object", kind="malformed"))
    tenant = props.get("billingTenantId")
    return Fetched("azure", answer.request, BillingInfo(
        props.get("billingAccountAgreementType") or None,
        props.get("billingAccountDisplayName") or None,
        str(tenant).lower() if tenant else None,
        props.get("accountAdminNotificationEmailAddress") or None), answer.observed_at)


def _lighthouse_definition(definition: Any, names: dict[str, str]) -> LighthouseDefinition:
    props = definition.properties
    auths = [LighthouseAuthorization(str(a.principal_id), a.principal_id_display_name or None,
                                     _role_name(a.role_definition_id, names))
             for a in (getattr(props, "authorizations", None) if props else None) or []]
    auths += [LighthouseAuthorization(str(a.principal_id), a.principal_id_display_name or None,
                                      _role_name(a.role_definition_id, names), eligible=True)
              for a in (getattr(props, "eligible_authorizations", None) if props else None)
              or []]
    tenant = getattr(props, "managed_by_tenant_id", None) if props else None
    return LighthouseDefinition(
        offer=(getattr(props, "registration_definition_name", None) or None) if props else None,
        managing_tenant_id=str(tenant).lower() if tenant else None,
        managing_tenant_name=(getattr(props, "managed_by_tenant_name", None) or None)
        if props else None,
        authorizations=tuple(auths))
