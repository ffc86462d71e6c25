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
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar
from urllib.parse import urlsplit

from lockin_audit.config import AzureTarget
from lockin_audit.guards import WriteRefused
from lockin_audit.guards.azure import read_only_policy
from lockin_audit.model import Asset, Evidence, iso, utc_now
from lockin_audit.sources.interface import (
    FetchError,
    Source,
    SourceContext,
    SourceFailure,
    Target,
)

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
    "classic_admins": "Microsoft.Authorization/classicAdministrators/read (Reader)",
    "lighthouse": "Microsoft.ManagedServices/registrationAssignments/read (Reader)",
    "resource_groups": "Microsoft.Resources/subscriptions/resourceGroups/read (Reader)",
    "resources": "Microsoft.Resources/subscriptions/resources/read (Reader)",
    "partner": "none: the Partner Admin Link of the signed-in identity",
}


# ---------------------------------------------------------------------------------------
# facts


@dataclass(frozen=True)
class RoleAssignment:
    id: str
    scope: str
    role: str  # the role's name (or its definition id when it could not be named)
    principal_id: str
    principal_type: str  # User, Group, ServicePrincipal, ForeignGroup, ...

    @property
    def privileged(self) -> bool:
        return self.role in PRIVILEGED_ROLES


@dataclass(frozen=True)
class LighthouseAuthorization:
    principal_id: str
    principal_name: str | None
    role: str
    eligible: bool = False


@dataclass(frozen=True)
class LighthouseAssignment:
    id: str
    offer: str | None
    managing_tenant_id: str
    managing_tenant_name: str | None
    authorizations: tuple[LighthouseAuthorization, ...]


@dataclass(frozen=True)
class ClassicAdmin:
    email: str
    role: str


@dataclass(frozen=True)
class ManagedThing:
    """A resource group or resource with `managedBy`, or a managed application."""

    id: str
    type: str
    managed_by: str | None
    publisher: str | None = None


@dataclass(frozen=True)
class Subscription:
    id: str
    name: str
    tenant_id: str
    state: str
    quota_id: str | None
    managed_by_tenants: tuple[str, ...]
    role_assignments: tuple[RoleAssignment, ...] | FetchError = ()
    classic_admins: tuple[ClassicAdmin, ...] | FetchError = ()
    lighthouse: tuple[LighthouseAssignment, ...] | FetchError = ()
    managed: tuple[ManagedThing, ...] | FetchError = ()

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
class AzureFacts:
    tenant_id: str
    label: str
    arm_endpoint: str
    subscriptions: tuple[Subscription, ...] | FetchError
    expected_missing: tuple[str, ...] = ()  # in the audit file, not visible to this sign-in
    partner_link: PartnerLink | FetchError | None = None
    observed_at: str = field(default_factory=lambda: iso(utc_now()))

    def evidence(self, request: str, excerpt: Any) -> Evidence:
        return Evidence("azure", request, self.observed_at, excerpt)


# ---------------------------------------------------------------------------------------
# SDK plumbing


def client_kwargs(opts: AzureTarget) -> dict[str, Any]:
    arm = (opts.arm_endpoint or DEFAULT_ARM).rstrip("/")
    kwargs: dict[str, Any] = {"base_url": arm, "credential_scopes": [arm + "/.default"],
                              "per_call_policies": [read_only_policy()],
                              "retry_total": 2, "connection_timeout": 10, "read_timeout": 30}
    if opts.ca_bundle:
        kwargs["connection_verify"] = opts.ca_bundle
    return kwargs


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
            m = _DENIED_ACTION.search(str(message))
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


class AzureSource(Source):
    name = "azure"
    area = "azure"
    # Graph names the principals of role assignments (guests, foreign apps), so the
    # azure checks run once the same tenant's Graph facts are in.
    after = ("graph",)

    def __init__(self) -> None:
        self._credentials: list[Any] = []

    def configured(self, config: Any) -> bool:
        return bool(config.scan.azure)

    async def targets(self, ctx: SourceContext) -> list[Target]:
        from lockin_audit.sources.graph import target_id

        out = []
        for i, opts in enumerate(ctx.config.scan.azure):
            tid = target_id(opts, i)
            out.append(Target(self.name, self.area, tid, f"Azure tenant {opts.name or tid}",
                              Asset("azure_tenant", tid, opts.name or tid), options=opts))
        return out

    async def doctor(self, ctx: SourceContext) -> list[tuple[str, bool, str]]:
        """Sign in to each tenant and say which subscriptions Reader can see."""
        lines: list[tuple[str, bool, str]] = []
        for target in await self.targets(ctx):
            try:
                facts = await self.fetch(target, ctx)
            except SourceFailure as exc:
                lines.append((target.label, False, exc.error.describe()))
                continue
            if isinstance(facts.subscriptions, FetchError):
                lines.append((target.label, False, facts.subscriptions.describe()))
                continue
            lines.append((target.label, True, f"{len(facts.subscriptions)} subscription(s) "
                          "visible"))
            for sub in facts.subscriptions:
                denied = [e.describe() for e in (sub.role_assignments, sub.classic_admins,
                                                  sub.lighthouse, sub.managed)
                          if isinstance(e, FetchError)]
                lines.append((f"{target.label}: {sub.name}", not denied,
                              "; ".join(denied) or "readable (Reader)"))
            for missing in facts.expected_missing:
                lines.append((f"{target.label}: {missing}", False,
                              "listed in the audit file but not visible to this sign-in"))
        return lines

    async def fetch(self, target: Target, ctx: SourceContext) -> AzureFacts:
        from lockin_audit.sources.graph import build_credential

        opts: AzureTarget = target.options
        arm = (opts.arm_endpoint or DEFAULT_ARM).rstrip("/")
        host = urlsplit(arm).netloc
        try:
            credential = build_credential(opts)
        except Exception as exc:
            raise SourceFailure(FetchError("azure", "azure-identity credential",
                                           f"cannot build the credential: {exc}",
                                           kind="denied")) from None
        self._credentials.append(credential)
        kwargs = client_kwargs(opts)

        async def call(what: str, request: str, fn: Callable[[], T]) -> T | FetchError:
            try:
                return await ctx.engine.call_sync(host, fn)
            except Exception as exc:
                return to_fetch_error(exc, request, what)

        from azure.mgmt.resource.subscriptions import SubscriptionClient

        subs_client = SubscriptionClient(credential, **kwargs)
        raw = await call("subscriptions", "GET /subscriptions",
                         lambda: list(subs_client.subscriptions.list()))
        partner = await self._partner(credential, kwargs, call)
        if isinstance(raw, FetchError):
            if raw.kind == "denied" and "sign-in failed" in raw.reason:
                raise SourceFailure(raw)
            return AzureFacts(target.id, target.label, arm, raw, partner_link=partner)
        subscriptions = await asyncio.gather(*(
            self._subscription(s, credential, kwargs, call) for s in raw))
        visible = {s.id for s in subscriptions}
        missing = tuple(s for s in opts.subscription_ids if s not in visible)
        return AzureFacts(target.id, target.label, arm, tuple(subscriptions), missing,
                          partner)

    async def _partner(self, credential: Any, kwargs: dict[str, Any],
                       call: Callable[..., Any]) -> PartnerLink | FetchError | None:
        from azure.mgmt.managementpartner import ACEProvisioningManagementPartnerAPI

        client = ACEProvisioningManagementPartnerAPI(credential, **kwargs)
        answer = await call("partner", "GET /providers/Microsoft.ManagementPartner/partners",
                            lambda: client.partners.get())
        if isinstance(answer, FetchError):
            return None if answer.kind == "not_found" else answer
        return PartnerLink(str(answer.partner_id), answer.partner_name,
                           getattr(answer, "tenant_id", None))

    async def _subscription(self, sub: Any, credential: Any, kwargs: dict[str, Any],
                            call: Callable[..., Any]) -> Subscription:
        from azure.mgmt.authorization import AuthorizationManagementClient
        from azure.mgmt.managedservices import ManagedServicesClient
        from azure.mgmt.resource.resources import ResourceManagementClient

        sid = str(sub.subscription_id)
        scope = f"/subscriptions/{sid}"
        auth = AuthorizationManagementClient(credential, sid, **kwargs)
        lighthouse_client = ManagedServicesClient(credential, **kwargs)
        resources_client = ResourceManagementClient(credential, sid, **kwargs)
        (assignments, definitions, classic, lighthouse, groups, resources) = await asyncio.gather(
            call("role_assignments", f"GET {scope}/providers/Microsoft.Authorization/"
                 "roleAssignments", lambda: list(auth.role_assignments.list_for_subscription())),
            call("role_definitions", f"GET {scope}/providers/Microsoft.Authorization/"
                 "roleDefinitions", lambda: list(auth.role_definitions.list(scope))),
            call("classic_admins", f"GET {scope}/providers/Microsoft.Authorization/"
                 "classicAdministrators", lambda: list(auth.classic_administrators.list())),
            call("lighthouse", f"GET {scope}/providers/Microsoft.ManagedServices/"
                 "registrationAssignments?$expandRegistrationDefinition=true",
                 lambda: list(lighthouse_client.registration_assignments.list(
                     scope, expand_registration_definition=True))),
            call("resource_groups", f"GET {scope}/resourcegroups",
                 lambda: list(resources_client.resource_groups.list())),
            call("resources", f"GET {scope}/resources",
                 lambda: list(resources_client.resources.list())))
        names: dict[str, str] = {}
        if not isinstance(definitions, FetchError):
            names = {str(d.name).lower(): str(d.role_name) for d in definitions if d.role_name}
        policies = getattr(sub, "subscription_policies", None)
        return Subscription(
            id=sid, name=str(sub.display_name or sid), tenant_id=str(sub.tenant_id or ""),
            state=str(getattr(sub.state, "value", sub.state) or ""), quota_id=getattr(policies, "quota_id", None),
            managed_by_tenants=tuple(str(t.tenant_id) for t in sub.managed_by_tenants or []),
            role_assignments=assignments if isinstance(assignments, FetchError) else tuple(
                RoleAssignment(str(a.id), str(a.scope or scope),
                               _role_name(a.role_definition_id, names), str(a.principal_id),
                               str(a.principal_type or "Unknown")) for a in assignments),
            classic_admins=classic if isinstance(classic, FetchError) else tuple(
                ClassicAdmin(str(c.email_address or ""), str(c.role or "")) for c in classic),
            lighthouse=lighthouse if isinstance(lighthouse, FetchError) else tuple(
                _lighthouse(a, names) for a in lighthouse),
            managed=_managed(groups, resources),
        )


def _lighthouse(assignment: Any, names: dict[str, str]) -> LighthouseAssignment:
    definition = assignment.properties.registration_definition
    props = definition.properties if definition is not None else None
    auths = [LighthouseAuthorization(str(a.principal_id), a.principal_id_display_name,
                                     _role_name(a.role_definition_id, names))
             for a in (props.authorizations if props else None) or []]
    auths += [LighthouseAuthorization(str(a.principal_id), a.principal_id_display_name,
                                      _role_name(a.role_definition_id, names), eligible=True)
              for a in (getattr(props, "eligible_authorizations", None) if props else None)
              or []]
    return LighthouseAssignment(
        id=str(assignment.id),
        offer=getattr(props, "registration_definition_name", None),
        managing_tenant_id=str(getattr(props, "managed_by_tenant_id", "") or ""),
        managing_tenant_name=getattr(props, "managed_by_tenant_name", None),
        authorizations=tuple(auths))


def _managed(groups: Any, resources: Any) -> tuple[ManagedThing, ...] | FetchError:
    if isinstance(groups, FetchError):
        return groups
    found = [ManagedThing(str(g.id), "Microsoft.Resources/resourceGroups", g.managed_by)
             for g in groups if g.managed_by]
    if not isinstance(resources, FetchError):
        for r in resources:
            plan = getattr(r, "plan", None)
            if r.managed_by or str(r.type).lower() == "microsoft.solutions/applications":
                found.append(ManagedThing(str(r.id), str(r.type), r.managed_by,
                                          getattr(plan, "publisher", None)))
    return tuple(found)
