"""Microsoft Graph (Microsoft 365 / Entra ID) through plain REST.

One target per `scan.azure` entry (the same tenants the ARM source scans). Tokens come
from azure-identity for the target's tenant; every request goes through `engine.http`
(rate limits, Retry-After, 5xx backoff, timeouts, read-only guard). Each fact is fetched
on its own, so one denied API becomes a `FetchError` naming the missing Graph permission
while the rest is still assessed. The bearer token lives only in request headers: never
in facts, evidence, errors or logs.

Least privilege (application permissions): Directory.Read.All, RoleManagement.Read.Directory,
RoleEligibilitySchedule.Read.Directory, PrivilegedEligibilitySchedule.Read.AzureADGroup,
Domain.Read.All, Policy.Read.All, CrossTenantInformation.ReadBasic.All.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Awaitable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import quote, urlsplit

from lockin_audit.facts import Fetched, FetchError, ReadError, SourceFailure
from lockin_audit.model import Asset, iso, utc_now
from lockin_audit.sources.interface import Requires, Source, SourceContext, Target

if TYPE_CHECKING:
    from lockin_audit.config import AuditConfig, AzureTarget

T = TypeVar("T")

SOURCE = "graph"
DEFAULT_GRAPH = "https://graph.microsoft.com"
GLOBAL_ADMIN_TEMPLATE = "62e90394-69f5-4237-9190-012177145e10"
# Microsoft Entra built-in roles that let their holder take the tenant or its data, by
# role template id (the ids are fixed across tenants: "Microsoft Entra built-in roles",
# https://learn.microsoft.com/entra/identity/role-based-access-control/permissions-reference).
PRIVILEGED_DIRECTORY_ROLES: dict[str, str] = {
    GLOBAL_ADMIN_TEMPLATE: "Global Administrator",
    "e8611ab8-c189-46e8-94e1-60213ab1f814": "Privileged Role Administrator",
    "7be44c8a-adaf-4e2a-84d6-ab2649e08a13": "Privileged Authentication Administrator",
    "fe930be7-5e62-47db-91af-98c3a49a38b1": "User Administrator",
    "29232cdf-9323-42fd-ade2-1d097af3e4de": "Exchange Administrator",
    "f28a1f50-f6e7-4571-818b-6a12f2af6b6c": "SharePoint Administrator",
    "194ae4cb-b126-40b2-bd5b-6091b380977d": "Security Administrator",
    "9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3": "Application Administrator",
    "158c047a-c907-4556-b7ef-446551a6b5f7": "Cloud Application Administrator",
    "3a2c62db-5318-420d-8d74-23affee5d9d5": "Intune Administrator",
    "b1be1c3e-b65d-4f19-8427-f6fa0d97feb9": "Conditional Access Administrator",
    "4ba39ca4-527c-499a-b93d-d9b492c50246": "Partner Tier1 Support",
    "e00e864a-17c5-4a4b-9c06-f5b95a8d5bd8": "Partner Tier2 Support",
}
# Graph error codes (error.code) that mean "this tenant has no PIM", so nobody can be
# eligible for a role: documented licence error of the role-schedule APIs ("The tenant
# needs to have Microsoft Entra ID P2 or Microsoft Entra ID Governance license.",
# https://learn.microsoft.com/graph/api/rbacapplication-list-roleeligibilityscheduleinstances
# lists the licence requirement).
NO_PIM_CODES = frozenset({"AadPremiumLicenseRequired"})
# The older PIM endpoints answer 403 with the generic code "UnauthorizedAccessException"
# and only the message says the tenant has no PIM; this is the one place the wording is
# matched (message as shown in Microsoft's PIM PowerShell documentation issues,
# https://github.com/MicrosoftDocs/azure-docs/issues/50033).
PIM_NOT_ONBOARDED_MESSAGE = "the tenant has not onboarded to pim"
# Tenants that own Microsoft's first-party apps: not a foreign vendor's hold.
MICROSOFT_TENANTS = frozenset({
    "f8cdef31-a31e-4b4a-93e4-5f571e91255a",  # Microsoft Services
    "72f988bf-86f1-41af-91ab-2d7cd011db47",  # Microsoft
    "33e01921-4d64-4f8c-a055-5bdaffd5e33d",  # Microsoft (AME)
    "cdc5aeea-15c5-4db6-b079-fcadd2505dc2",  # Microsoft (first-party apps)
})
# Graph answers 403 when a permission is missing; name the least one that grants the read.
PERMISSIONS = {
    "organization": "Directory.Read.All",
    "domains": "Domain.Read.All",
    "federation": "Domain.Read.All",
    "roles": "RoleManagement.Read.Directory",
    # least privileged for roleEligibilityScheduleInstances (Microsoft's permission table
    # of "List roleEligibilityScheduleInstances")
    "roles_eligible": "RoleEligibilitySchedule.Read.Directory",
    "users": "Directory.Read.All",
    "apps": "Directory.Read.All",
    "policy": "Policy.Read.All",
    "pim_groups": "PrivilegedEligibilitySchedule.Read.AzureADGroup",
    "tenant_info": "CrossTenantInformation.ReadBasic.All",
}
MAX_PAGES = 500
TOKEN_TIMEOUT_S = 60.0  # one sign-in, with azure-identity's own retries
# One light request per API the checks read, for `lockin-audit doctor`.
PROBES = (
    ("organization", "/organization?$select=id", "organization"),
    ("domains", "/domains?$select=id", "domains"),
    ("privileged role assignments", "/roleManagement/directory/roleAssignments?"
     f"$filter=roleDefinitionId eq '{GLOBAL_ADMIN_TEMPLATE}'", "roles"),
    ("users", "/users?$top=1&$select=id", "users"),
    ("service principals", "/servicePrincipals?$top=1&$select=id", "apps"),
    ("cross-tenant access partners", "/policies/crossTenantAccessPolicy/partners", "policy"),
    ("Conditional Access policies", "/identity/conditionalAccess/policies", "policy"),
)
PUBLIC_AUTHORITIES = frozenset({"login.microsoftonline.com", "login.microsoftonline.us",
                                "login.chinacloudapi.cn"})


# ---------------------------------------------------------------------------------------
# facts


@dataclass(frozen=True)
class Organization:
    id: str
    display_name: str
    technical_mails: tuple[str, ...]
    security_mails: tuple[str, ...]
    verified_domains: tuple[str, ...] = ()  # incl. the tenant's own <x>.onmicrosoft.com
    privacy_contact: str | None = None  # privacyProfile.contactEmail

    def excerpt(self) -> dict[str, Any]:
        """What the evidence shows of it."""
        excerpt: dict[str, Any] = {
            "id": self.id, "displayName": self.display_name,
            "technicalNotificationMails": list(self.technical_mails),
            "securityComplianceNotificationMails": list(self.security_mails)}
        if self.privacy_contact:
            excerpt["privacyProfile"] = {"contactEmail": self.privacy_contact}
        return excerpt


@dataclass(frozen=True)
class Federation:
    issuer_uri: str | None
    passive_sign_in_uri: str | None
    active_sign_in_uri: str | None
    display_name: str | None


@dataclass(frozen=True)
class Domain:
    name: str
    is_verified: bool | None  # None: Graph did not say (the property is optional)
    is_default: bool
    is_initial: bool
    authentication_type: str  # Managed or Federated
    # the federation configuration, read for a federated domain only (None: not read)
    federation: Fetched[tuple[Federation, ...]] | None = None

    @property
    def federated(self) -> bool:
        return self.authentication_type.lower() == "federated"


@dataclass(frozen=True)
class Principal:
    """A directory object holding a role: a user, group or service principal."""

    id: str
    kind: str  # user, group, servicePrincipal, unknown
    display_name: str
    user_principal_name: str | None = None
    mail: str | None = None
    user_type: str | None = None  # Member or Guest
    app_owner_tenant_id: str | None = None  # service principals
    # Only returned on $select (read for users holding a role: `user_details`):
    other_mails: tuple[str, ...] = ()
    proxy_addresses: tuple[str, ...] = ()  # "SMTP:primary", "smtp:alias", other types
    external_user_state: str | None = None  # PendingAcceptance, Accepted (invited users)
    creation_type: str | None = None  # Invitation, LocalAccount, EmailVerified, ...

    @property
    def is_guest(self) -> bool:
        return (self.user_type or "").lower() == "guest" or "#ext#" in (
            self.user_principal_name or "").lower()

    @property
    def is_invited(self) -> bool:
        """An account invited from another directory (B2B), guest or member."""
        return self.is_guest or (self.creation_type or "").lower() == "invitation" or \
            bool(self.external_user_state)

    def addresses(self) -> tuple[tuple[str, str], ...]:
        """(what, address) pairs, the strongest evidence of whose person it is first:
        an invited account's home address (its #EXT# sign-in name, then its mail); a
        member's sign-in name, then its mail; then its mailbox's proxy addresses and the
        other emails (e.g. for password reset). Each address once."""
        out: list[tuple[str, str]] = []
        home = guest_email_from_upn(self.user_principal_name or "")
        if home:
            out.append(("home address in its #EXT# sign-in name", home))
        if self.is_invited:
            if self.mail:
                out.append(("mail (its home address)", self.mail))
            if self.user_principal_name and not home:
                out.append(("sign-in name", self.user_principal_name))
        else:
            if self.user_principal_name:
                out.append(("sign-in name (userPrincipalName)", self.user_principal_name))
            if self.mail:
                out.append(("mail", self.mail))
        for proxy in self.proxy_addresses:
            kind, sep, address = proxy.partition(":")
            if sep and kind.lower() == "smtp":
                out.append(("proxy address" if kind == "smtp" else "primary SMTP proxy "
                            "address", address))
        out.extend(("other email (otherMails)", m) for m in self.other_mails)
        seen: set[str] = set()
        unique = []
        for what, address in out:
            key = address.strip().lower()
            if key and "@" in key and key not in seen:
                seen.add(key)
                unique.append((what, address.strip()))
        return tuple(unique)

    @property
    def resolved(self) -> bool:
        return self.kind != "unknown"

    def label(self) -> str:
        """'Name (address)' with whatever is known, never an empty name."""
        name = self.display_name or self.external_email or self.id
        address = self.external_email
        if address and address != name:
            return f"{name} ({address})"
        return name

    @property
    def external_email(self) -> str | None:
        """The address that identifies who the account belongs to: a guest's mail (or
        the one encoded in its #EXT# name), otherwise the sign-in name."""
        if self.is_guest:
            if self.mail:
                return self.mail
            return guest_email_from_upn(self.user_principal_name or "")
        return self.user_principal_name or self.mail

    def excerpt(self) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.id, "type": self.kind,
                               "displayName": self.display_name}
        for key, value in (("userPrincipalName", self.user_principal_name),
                           ("mail", self.mail), ("userType", self.user_type),
                           ("otherMails", list(self.other_mails)),
                           ("proxyAddresses", list(self.proxy_addresses)),
                           ("externalUserState", self.external_user_state),
                           ("creationType", self.creation_type),
                           ("appOwnerOrganizationId", self.app_owner_tenant_id)):
            if value:
                out[key] = value
        return out


@dataclass(frozen=True)
class RoleHolder:
    principal: Principal
    assignment: str  # active or eligible
    role: str = "Global Administrator"
    end: str | None = None  # eligibility end, when known
    role_id: str = GLOBAL_ADMIN_TEMPLATE
    directory_scope: str = "/"  # "/" is the whole tenant; else an administrative unit
    # through a group holding the role: "member of group X", "owner of group X",
    # "eligible member of group X (PIM for groups)"; None: assigned directly
    via: str | None = None
    via_group: str | None = None  # that group's id
    # a group holding the role whose members, owners or PIM-eligible members could not
    # be read: who can use the role through it was not assessed
    members_error: FetchError | None = None

    @property
    def is_global_admin(self) -> bool:
        return self.role_id == GLOBAL_ADMIN_TEMPLATE


@dataclass(frozen=True)
class Guest:
    id: str
    display_name: str
    user_principal_name: str
    mail: str | None
    creation_type: str | None
    external_user_state: str | None
    other_mails: tuple[str, ...] = ()

    @property
    def email(self) -> str | None:
        return self.mail or guest_email_from_upn(self.user_principal_name) or (
            self.other_mails[0] if self.other_mails else None)


@dataclass(frozen=True)
class Grant:
    kind: str  # application (app role) or delegated (OAuth2 scope)
    resource: str  # the API's display name, e.g. Microsoft Graph
    permission: str  # role value or scope list
    consent: str | None = None  # AllPrincipals or Principal (delegated)


@dataclass(frozen=True)
class TenantInfo:
    """Another tenant's name and default domain, as Graph tells them to any tenant
    (tenantInformation, v1.0 findTenantInformationByTenantId,
    https://learn.microsoft.com/graph/api/tenantrelationship-findtenantinformationbytenantid)."""

    display_name: str | None
    default_domain: str | None


@dataclass(frozen=True)
class ServicePrincipal:
    id: str
    app_id: str
    display_name: str
    owner_tenant_id: str
    publisher: str | None
    enabled: bool
    grants: Fetched[tuple[Grant, ...]]  # its app roles and delegated grants
    owner: Fetched[TenantInfo] | None = None  # its owner tenant's name (None: not asked)

    @property
    def owner_tenant_name(self) -> str | None:
        return self.owner.ok.display_name if self.owner and not self.owner.error else None

    @property
    def owner_lookup_error(self) -> FetchError | None:
        """Why the owner tenant's name was not read."""
        return self.owner.error if self.owner else None


@dataclass(frozen=True)
class Partner:
    tenant_id: str
    is_service_provider: bool
    info: Fetched[TenantInfo]  # the partner tenant's name and default domain

    @property
    def display_name(self) -> str | None:
        return None if self.info.error else self.info.ok.display_name

    @property
    def default_domain(self) -> str | None:
        return None if self.info.error else self.info.ok.default_domain

    @property
    def lookup_error(self) -> FetchError | None:
        """Why the partner tenant's name and domain were not read."""
        return self.info.error


@dataclass(frozen=True)
class CaPolicy:
    """A Conditional Access policy: what it enforces and whom it leaves out
    (conditionalAccessPolicy, v1.0,
    https://learn.microsoft.com/graph/api/resources/conditionalaccesspolicy)."""

    id: str
    name: str
    state: str  # enabled, disabled, enabledForReportingButNotEnforced
    controls: tuple[str, ...]  # grantControls.builtInControls (mfa, block, ...), plus
    #                            "authenticationStrength" when one is required
    include_users: tuple[str, ...] = ()  # ids or All / None / GuestsOrExternalUsers
    exclude_users: tuple[str, ...] = ()  # ids, or GuestsOrExternalUsers
    exclude_groups: tuple[str, ...] = ()
    exclude_roles: tuple[str, ...] = ()  # role template ids
    exclude_service_principals: tuple[str, ...] = ()  # clientApplications
    exclude_guest_types: tuple[str, ...] = ()  # excludeGuestsOrExternalUsers types
    exclude_tenants_kind: str | None = None  # all / enumerated (externalTenants)
    exclude_tenants: tuple[str, ...] = ()  # enumerated tenant ids
    excluded: tuple[Principal, ...] = ()  # the excluded users, groups and apps, named

    @property
    def enforced(self) -> bool:
        return self.state.lower() == "enabled"

    @property
    def active(self) -> bool:
        return self.state.lower() != "disabled"

    def what(self) -> str:
        """What the policy enforces, in plain words."""
        words = {"block": "blocks sign-in", "mfa": "requires MFA",
                 "authenticationStrength": "requires a strong sign-in method",
                 "compliantDevice": "requires a compliant device",
                 "domainJoinedDevice": "requires a hybrid-joined device",
                 "approvedApplication": "requires an approved app",
                 "compliantApplication": "requires an app protection policy",
                 "passwordChange": "requires a password change"}
        said = [words.get(c, f"requires {c}") for c in self.controls]
        return " and ".join(dict.fromkeys(said)) or "sets session controls only"


@dataclass(frozen=True)
class GraphFacts:
    """Everything the m365 checks read for one tenant. Each field is one read: its value,
    or the `FetchError` that says why it could not be read."""

    tenant_id: str
    endpoint: str
    organization: Fetched[Organization]
    domains: Fetched[tuple[Domain, ...]]
    role_holders: Fetched[tuple[RoleHolder, ...]]  # active, every privileged role
    eligible_holders: Fetched[tuple[RoleHolder, ...]]  # PIM-eligible
    guests: Fetched[tuple[Guest, ...]]
    service_principals: Fetched[tuple[ServicePrincipal, ...]]  # foreign-owned only
    partners: Fetched[tuple[Partner, ...]]
    ca_policies: Fetched[tuple[CaPolicy, ...]]  # Conditional Access (Policy.Read.All)

    @property
    def asset(self) -> Asset:
        name = None if self.organization.error else self.organization.ok.display_name
        return tenant_asset(self.tenant_id, name)

    def own_domains(self) -> frozenset[str]:
        """Domains verified in this tenant (the organisation's list and the domains
        list), including its initial <name>.onmicrosoft.com."""
        names: set[str] = set()
        if not self.organization.error:
            names.update(d.lower() for d in self.organization.ok.verified_domains)
        if not self.domains.error:
            names.update(d.name for d in self.domains.ok if d.is_verified)
        return frozenset(names)


# The typed dependency other sources' checks declare to read these facts (keyed by the
# same target id as the azure source: `target_id`).
GRAPH: Requires[GraphFacts] = Requires("graph", GraphFacts)


def tenant_asset(tenant_id: str, name: str | None = None) -> Asset:
    return Asset("m365_tenant", tenant_id, name)


def guest_email_from_upn(upn: str) -> str | None:
    """'jane_bobsit.example#EXT#@acme.onmicrosoft.com' -> 'jane@bobsit.example'."""
    local, sep, _ = upn.partition("#EXT#")
    if not sep or "_" not in local:
        return None
    user, _, domain = local.rpartition("_")
    return f"{user}@{domain}".lower() if user and "." in domain else None


# ---------------------------------------------------------------------------------------
# the client


class GraphError(ReadError):
    """A Graph read that failed (its FetchError says why), with Graph's error code."""

    def __init__(self, error: FetchError, code: str | None = None,
                 message: str | None = None) -> None:
        super().__init__(error)
        self.code = code  # Graph's error.code, when the body carried one
        self.message = message

    @property
    def no_pim(self) -> bool:
        """The tenant has no PIM (no P2 / Governance licence, or never onboarded)."""
        if self.code in NO_PIM_CODES:
            return True
        return (self.code == "UnauthorizedAccessException" and
                PIM_NOT_ONBOARDED_MESSAGE in (self.message or "").lower())


class _TokenCache:
    """One credential per target; the token is refreshed a few minutes before expiry."""

    def __init__(self, credential: Any, scope: str, tenant_id: str | None) -> None:
        self.credential = credential
        self.scope = scope
        self.tenant_id = tenant_id
        self._token: str | None = None
        self._expires = 0.0
        self._lock = asyncio.Lock()

    async def get(self, ctx: SourceContext, host: str) -> str:
        async with self._lock:
            if self._token is None or self._expires - time.time() < 300:
                extra = {"tenant_id": self.tenant_id} if self.tenant_id else {}
                # azure-identity retries throttled and failed sign-ins itself: give it
                # the time to, so that its own answer (not a bare timeout) is reported
                token = await ctx.engine.call_sync(
                    host, lambda: self.credential.get_token(self.scope, **extra),
                    timeout_s=TOKEN_TIMEOUT_S)
                self._token, self._expires = token.token, float(token.expires_on)
            return self._token


def _error_body(text: str) -> tuple[str | None, str | None]:
    """Graph's error.code and error.message (the documented error resource,
    https://learn.microsoft.com/graph/errors), when the body has them."""
    import json

    try:
        body = json.loads(text)
        err = body.get("error") or {}
        code, message = err.get("code"), err.get("message")
        return (str(code) if code else None), (str(message) if message else None)
    except (ValueError, AttributeError):
        return None, None


def _error_reason(status: int, text: str) -> str:
    """Graph's own error code and message, without echoing large bodies."""
    code, message = _error_body(text)
    if code or message:
        return f"HTTP {status} {code or ''}: {str(message or '')[:200]}".replace(" :", ":")
    return f"HTTP {status}"


class GraphClient:
    def __init__(self, ctx: SourceContext, endpoint: str, tokens: _TokenCache,
                 verify: str | bool, authority: str) -> None:
        self.ctx = ctx
        self.endpoint = endpoint.rstrip("/")
        self.base = self.endpoint + "/v1.0"
        self.tokens = tokens
        self.verify = verify
        self.authority = authority
        self.origin = urlsplit(self.endpoint)[:2]

    def url(self, path: str) -> str:
        if path.startswith(("https://", "http://")):
            return path
        if path.startswith(("/v1.0/", "/beta/")):  # a nextLink relative to the endpoint
            return self.endpoint + path
        return self.base + path

    async def _request(self, method: str, path: str, what: str,
                       body: Any = None) -> tuple[str, Any]:
        url = self.url(path)
        if urlsplit(url)[:2] != self.origin:
            # A nextLink pointing elsewhere must never receive the bearer token.
            raise GraphError(FetchError(SOURCE, f"{method} {url}",
                                        "Graph answered with a link to another host",
                                        kind="malformed"))
        token = await self.tokens.get(self.ctx, self.authority)
        headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
        request = f"{method} {url}"
        resp = await self.ctx.engine.http(method, url, headers=headers, json_body=body,
                                          verify=self.verify, source=SOURCE)
        if resp.status >= 400:
            code, message = _error_body(resp.text)
            reason = _error_reason(resp.status, resp.text)
            retry_after = any(k.lower() == "retry-after" for k in resp.headers)
            if resp.status in (401, 403):
                error = FetchError(SOURCE, request, reason, kind="denied",
                                   permission=PERMISSIONS.get(what))
            elif resp.status == 404:
                error = FetchError(SOURCE, request, reason, kind="not_found")
            elif resp.status == 429 or (resp.status == 503 and retry_after):
                error = FetchError(SOURCE, request, f"still throttled after retries "
                                   f"({reason})", kind="throttled")
            else:
                error = FetchError(SOURCE, request, reason,
                                   kind="unsupported" if resp.status == 400 else "unavailable")
            raise GraphError(error, code, message)
        try:
            data = resp.json()
        except ValueError:
            raise GraphError(FetchError(SOURCE, request, "the answer is not JSON",
                                        kind="malformed")) from None
        if not isinstance(data, dict):
            raise GraphError(FetchError(SOURCE, request, "the answer is not a JSON object",
                                        kind="malformed"))
        return request, data

    async def get_object(self, path: str, what: str) -> tuple[str, dict[str, Any]]:
        request, data = await self._request("GET", path, what)
        return request, data

    async def get_list(self, path: str, what: str) -> tuple[str, list[dict[str, Any]]]:
        """Every item of a collection, following @odata.nextLink."""
        first = None
        items: list[dict[str, Any]] = []
        seen: set[str] = set()
        link: str | None = path
        while link:
            if link in seen or len(seen) >= MAX_PAGES:
                raise GraphError(FetchError(SOURCE, first or link,
                                            "paging does not end (@odata.nextLink loops)",
                                            kind="malformed"))
            seen.add(link)
            request, data = await self._request("GET", link, what)
            first = first or request
            page = data.get("value")
            if not isinstance(page, list) or not all(isinstance(x, dict) for x in page):
                raise GraphError(FetchError(SOURCE, request,
                                            "the answer has no 'value' list of objects",
                                            kind="malformed"))
            items.extend(page)
            nxt = data.get("@odata.nextLink")
            if nxt is not None and not isinstance(nxt, str):
                raise GraphError(FetchError(SOURCE, request, "@odata.nextLink is not a URL",
                                            kind="malformed"))
            link = nxt
        return first or path, items

    async def post(self, path: str, body: Any, what: str) -> tuple[str, dict[str, Any]]:
        return await self._request("POST", path, what, body)


# ---------------------------------------------------------------------------------------
# parsing (raises KeyError/TypeError/ValueError on a malformed object)


def _strs(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise TypeError("expected a list of strings")
    return tuple(str(v) for v in value if v)


def _principal(obj: Mapping[str, Any]) -> Principal:
    odata = str(obj.get("@odata.type") or "")
    kind = odata.rpartition(".")[2] or ("user" if "userPrincipalName" in obj else "unknown")
    return Principal(
        id=str(obj["id"]), kind=kind, display_name=str(obj.get("displayName") or ""),
        user_principal_name=obj.get("userPrincipalName"), mail=obj.get("mail"),
        user_type=obj.get("userType"),
        app_owner_tenant_id=(str(obj["appOwnerOrganizationId"]).lower()
                             if obj.get("appOwnerOrganizationId") else None),
        other_mails=_strs(obj.get("otherMails")),
        proxy_addresses=_strs(obj.get("proxyAddresses")),
        external_user_state=obj.get("externalUserState") or None,
        creation_type=obj.get("creationType") or None)


def _optional_bool(value: Any) -> bool | None:
    if value is None:
        return None
    if not isinstance(value, bool):
        raise TypeError("expected a boolean")
    return value


def _domain(obj: Mapping[str, Any]) -> Domain:
    return Domain(name=str(obj["id"]).lower(), is_verified=_optional_bool(obj.get("isVerified")),
                  is_default=bool(obj.get("isDefault")), is_initial=bool(obj.get("isInitial")),
                  authentication_type=str(obj.get("authenticationType") or "Managed"))


def _federation(obj: Mapping[str, Any]) -> Federation:
    return Federation(issuer_uri=obj.get("issuerUri"),
                      passive_sign_in_uri=obj.get("passiveSignInUri"),
                      active_sign_in_uri=obj.get("activeSignInUri"),
                      display_name=obj.get("displayName"))


def _guest(obj: Mapping[str, Any]) -> Guest:
    return Guest(id=str(obj["id"]), display_name=str(obj.get("displayName") or ""),
                 user_principal_name=str(obj.get("userPrincipalName") or ""),
                 mail=obj.get("mail"), creation_type=obj.get("creationType"),
                 external_user_state=obj.get("externalUserState"),
                 other_mails=_strs(obj.get("otherMails")))


def _malformed(request: str, exc: Exception) -> FetchError:
    return FetchError(SOURCE, request, f"unexpected answer shape ({type(exc).__name__}: "
                      f"{exc})", kind="malformed")


# ---------------------------------------------------------------------------------------
# the source


def build_credential(opts: AzureTarget) -> Any:
    """The azure-identity credential a target asks for. Secrets come from the
    environment (EnvironmentCredential) or the platform, never from the audit file."""
    import azure.identity as ai

    kwargs: dict[str, Any] = {}
    if opts.authority_host:
        kwargs["authority"] = opts.authority_host
        host = urlsplit(opts.authority_host if "://" in opts.authority_host
                        else "https://" + opts.authority_host).hostname
        if host not in PUBLIC_AUTHORITIES:
            # MSAL cannot look up a private authority in Microsoft's instance list.
            kwargs["disable_instance_discovery"] = True
    if opts.ca_bundle:
        kwargs["connection_verify"] = opts.ca_bundle
    if opts.tenant_id:  # tokens are requested for the target's tenant
        kwargs["additionally_allowed_tenants"] = [opts.tenant_id]
    if opts.credential == "cli":
        return ai.AzureCliCredential(tenant_id=opts.tenant_id or "",
                                     additionally_allowed_tenants=["*"])
    if opts.credential == "managed_identity":
        return ai.ManagedIdentityCredential(client_id=opts.client_id)
    secret = os.environ.get("AZURE_CLIENT_SECRET")
    cert = os.environ.get("AZURE_CLIENT_CERTIFICATE_PATH")
    if opts.client_id and opts.tenant_id and (secret or cert):
        # An app registration named in the audit file, its secret from the environment.
        if secret:
            return ai.ClientSecretCredential(opts.tenant_id, opts.client_id, secret, **kwargs)
        return ai.CertificateCredential(opts.tenant_id, opts.client_id, cert, **kwargs)
    if opts.credential == "environment":
        return ai.EnvironmentCredential(**kwargs)
    if opts.client_id:
        kwargs["managed_identity_client_id"] = opts.client_id
    return ai.DefaultAzureCredential(exclude_interactive_browser_credential=True, **kwargs)

async def connect(opts: AzureTarget, ctx: SourceContext, credential: Any) -> GraphClient:
    """A Graph client for a target's tenant with a first token, or SourceFailure. The
    Azure source uses it too, to name the principals of role assignments."""
    endpoint = (opts.graph_endpoint or DEFAULT_GRAPH).rstrip("/")
    authority = urlsplit(opts.authority_host or "https://login.microsoftonline.com")
    tokens = _TokenCache(credential, endpoint + "/.default", opts.tenant_id)
    client = GraphClient(ctx, endpoint, tokens, opts.ca_bundle or True,
                         authority.netloc or "login.microsoftonline.com")
    try:
        await tokens.get(ctx, client.authority)
    except SourceFailure:
        raise
    except Exception as exc:
        # azure-identity's messages name the credential and the cause, not the secret.
        text = str(exc).strip()
        message = text.splitlines()[0][:300] if text else ""
        if isinstance(exc, TimeoutError):
            raise SourceFailure(FetchError(
                SOURCE, f"token for {endpoint}", "cannot get a Graph token: the sign-in "
                f"service gave no answer in time ({message or 'time limit reached'})",
                kind="timeout")) from None
        raise SourceFailure(FetchError(
            SOURCE, f"token for {endpoint}", f"cannot get a Graph token: "
            f"{type(exc).__name__}: {message}", kind="denied")) from None
    return client


def target_id(opts: AzureTarget, index: int) -> str:
    return opts.tenant_id or opts.name or f"azure[{index}]"


class TenantSource(Source):
    """A source that reads one Microsoft tenant per `scan.azure` entry, signed in with
    the entry's azure-identity credential (the Graph, Intune and Azure sources): its
    targets, its credentials (closed at the end) and a Graph client."""

    label = "Microsoft 365 tenant {name}"  # the target's label

    def __init__(self) -> None:
        self._credentials: list[Any] = []

    def configured(self, config: AuditConfig) -> bool:
        return bool(config.scan.azure)

    def target_asset(self, tenant: str, opts: AzureTarget) -> Asset:
        return tenant_asset(tenant, opts.name)

    async def targets(self, ctx: SourceContext) -> list[Target]:
        out = []
        for i, opts in enumerate(ctx.config.scan.azure):
            tid = target_id(opts, i)
            out.append(Target(self.name, self.area, tid,
                              self.label.format(name=opts.name or tid),
                              self.target_asset(tid, opts), options=opts))
        return out

    def credential(self, opts: AzureTarget) -> Any:
        """The target's credential (closed with the source), or SourceFailure."""
        try:
            credential = build_credential(opts)
        except Exception as exc:  # a bad credential option: the whole tenant fails
            raise SourceFailure(FetchError(self.name, "azure-identity credential",
                                           f"cannot build the credential: {exc}",
                                           kind="denied")) from None
        self._credentials.append(credential)
        return credential

    async def _connect(self, target: Target, ctx: SourceContext) -> GraphClient:
        """A Graph client with a first token, or SourceFailure (the tenant cannot be read)."""
        opts: AzureTarget = target.options
        return await connect(opts, ctx, self.credential(opts))

    async def close(self) -> None:
        for cred in self._credentials:
            try:
                cred.close()
            except Exception:  # closing must not hide the result
                pass
        self._credentials.clear()


class GraphSource(TenantSource):
    name = "graph"
    area = "m365"

    async def doctor(self, ctx: SourceContext) -> list[tuple[str, bool, str]]:
        """Sign in to each tenant and try one page of every API the checks read."""
        lines: list[tuple[str, bool, str]] = []
        for target in await self.targets(ctx):
            try:
                client = await self._connect(target, ctx)
            except SourceFailure as exc:
                lines.append((target.label, False, exc.error.describe()))
                continue
            for what, path, permission_key in PROBES:
                try:
                    await client.get_object(path, permission_key)
                    lines.append((f"{target.label}: {what}", True,
                                  f"readable ({PERMISSIONS[permission_key]})"))
                except (GraphError, SourceFailure) as exc:
                    lines.append((f"{target.label}: {what}", False, exc.error.describe()))
        return lines

    async def fetch(self, target: Target, ctx: SourceContext) -> GraphFacts:
        opts: AzureTarget = target.options
        client = await self._connect(target, ctx)
        reads: list[Fetched[Any]] = await asyncio.gather(
            guard(read_organization(client)), guard(self._domains(client)),
            guard(role_holders(client, eligible=False)),
            guard(role_holders(client, eligible=True)),
            guard(self._guests(client)),
            guard(self._service_principals(client, opts.tenant_id)),
            guard(self._partners(client)), guard(ca_policies(client)))
        organization, domains, admins, eligible, guests, sps, partners, ca = reads
        errors = [f.error for f in reads if f.error]
        if len(errors) == len(reads) and all(e.kind in ("unavailable", "timeout")
                                             for e in errors):
            # Graph itself cannot be reached: the tenant was not assessed at all.
            raise SourceFailure(errors[0])
        tenant = opts.tenant_id or (target.id if organization.error else organization.ok.id)
        if not sps.error:  # the owners' tenant names, where readable
            sps = await self._name_owners(client, sps, tenant)
        return GraphFacts(tenant_id=tenant, endpoint=client.endpoint, organization=organization,
                          domains=domains, role_holders=admins, eligible_holders=eligible,
                          guests=guests, service_principals=sps, partners=partners,
                          ca_policies=ca)

    # -- facts ---------------------------------------------------------------------------
    async def _domains(self, client: GraphClient) -> Fetched[tuple[Domain, ...]]:
        request, rows = await client.get_list("/domains", "domains")
        observed = _now()
        try:
            domains = [_domain(r) for r in rows]
        except (KeyError, TypeError) as exc:
            raise GraphError(_malformed(request, exc)) from None

        async def federation(d: Domain) -> Domain:
            if not d.federated:
                return d
            path = f"/domains/{quote(d.name)}/federationConfiguration"
            read: Fetched[tuple[Federation, ...]]
            try:
                asked, confs = await client.get_list(path, "federation")
                read = Fetched(SOURCE, asked, tuple(_federation(c) for c in confs))
            except GraphError as exc:
                read = Fetched.failure(exc.error)
            except (KeyError, TypeError) as exc:
                read = Fetched.failure(_malformed(client.url(path), exc))
            return _replace(d, federation=read)

        out = await asyncio.gather(*(federation(d) for d in domains))
        return Fetched(SOURCE, request, tuple(out), observed)

    async def _guests(self, client: GraphClient) -> Fetched[tuple[Guest, ...]]:
        request, rows = await client.get_list(
            "/users?$filter=userType eq 'Guest'&$select=id,displayName,userPrincipalName,"
            "mail,otherMails,userType,creationType,externalUserState&$top=999", "users")
        try:
            return Fetched(SOURCE, request, tuple(_guest(r) for r in rows))
        except (KeyError, TypeError) as exc:
            raise GraphError(_malformed(request, exc)) from None

    async def _service_principals(self, client: GraphClient,
                                  tenant_id: str | None
                                  ) -> Fetched[tuple[ServicePrincipal, ...]]:
        request, rows = await client.get_list(
            "/servicePrincipals?$select=id,appId,displayName,appOwnerOrganizationId,"
            "servicePrincipalType,publisherName,accountEnabled&$top=999", "apps")
        observed = _now()
        try:
            foreign = [r for r in rows if r.get("appOwnerOrganizationId")
                       and str(r["appOwnerOrganizationId"]).lower() not in MICROSOFT_TENANTS
                       and str(r["appOwnerOrganizationId"]).lower() != (tenant_id or "")]
            role_names: dict[str, asyncio.Task[tuple[str, dict[str, str]]]] = {}
            sps = await asyncio.gather(*(self._with_grants(client, r, role_names)
                                         for r in foreign))
        except (KeyError, TypeError) as exc:
            raise GraphError(_malformed(request, exc)) from None
        return Fetched(SOURCE, request, tuple(sps), observed)

    async def _with_grants(self, client: GraphClient, row: Mapping[str, Any],
                           role_names: dict[str, asyncio.Task[tuple[str, dict[str, str]]]]
                           ) -> ServicePrincipal:
        sp_id = str(row["id"])
        grants: Fetched[tuple[Grant, ...]]
        try:
            grants = await self._grants(client, sp_id, role_names)
        except GraphError as exc:
            grants = Fetched.failure(exc.error)
        except (KeyError, TypeError) as exc:
            grants = Fetched.failure(_malformed(client.url(f"/servicePrincipals/{sp_id}"), exc))
        return ServicePrincipal(
            id=sp_id, app_id=str(row.get("appId") or ""),
            display_name=str(row.get("displayName") or ""),
            owner_tenant_id=str(row["appOwnerOrganizationId"]).lower(),
            publisher=row.get("publisherName"), enabled=row.get("accountEnabled") is not False,
            grants=grants)

    async def _grants(self, client: GraphClient, sp_id: str,
                      resources: dict[str, asyncio.Task[tuple[str, dict[str, str]]]]
                      ) -> Fetched[tuple[Grant, ...]]:
        """Its app role assignments and delegated grants, each with its API named."""
        request, roles = await client.get_list(
            f"/servicePrincipals/{sp_id}/appRoleAssignments", "apps")
        _, scopes = await client.get_list(
            f"/oauth2PermissionGrants?$filter=clientId eq '{sp_id}'", "apps")
        out: list[Grant] = []
        for r in roles:
            name, role_names = await self._resource(client, str(r["resourceId"]), resources)
            role_id = str(r.get("appRoleId") or "")
            out.append(Grant("application", str(r.get("resourceDisplayName") or name),
                             role_names.get(role_id, role_id)))
        for g in scopes:
            name, _ = await self._resource(client, str(g["resourceId"]), resources)
            out.append(Grant("delegated", name, " ".join(str(g.get("scope") or "").split()),
                             g.get("consentType")))
        return Fetched(SOURCE, request, tuple(out))

    async def _resource(self, client: GraphClient, resource_id: str,
                        cache: dict[str, asyncio.Task[tuple[str, dict[str, str]]]]
                        ) -> tuple[str, dict[str, str]]:
        """An API's name and its app role ids -> values (e.g. Directory.ReadWrite.All);
        read once per API however many apps ask for it at the same time."""
        if resource_id not in cache:
            cache[resource_id] = asyncio.ensure_future(self._load_resource(client, resource_id))
        return await cache[resource_id]

    async def _load_resource(self, client: GraphClient,
                             resource_id: str) -> tuple[str, dict[str, str]]:
        # A failure here fails the grants of every app that holds roles on this API: an
        # app role id alone cannot be judged (it could be Directory.ReadWrite.All).
        try:
            _, sp = await client.get_object(
                f"/servicePrincipals/{resource_id}?$select=id,displayName,appRoles", "apps")
        except SourceFailure as exc:
            raise GraphError(exc.error) from None
        return str(sp.get("displayName") or resource_id), {
            str(r.get("id")): str(r.get("value")) for r in sp.get("appRoles") or []
            if isinstance(r, dict)}

    async def _partners(self, client: GraphClient) -> Fetched[tuple[Partner, ...]]:
        request, rows = await client.get_list("/policies/crossTenantAccessPolicy/partners",
                                              "policy")
        observed = _now()
        try:
            partners = await asyncio.gather(*(self._partner(client, r) for r in rows))
        except (KeyError, TypeError) as exc:
            raise GraphError(_malformed(request, exc)) from None
        return Fetched(SOURCE, request, tuple(partners), observed)

    async def _partner(self, client: GraphClient, row: Mapping[str, Any]) -> Partner:
        tenant = str(row["tenantId"]).lower()
        return Partner(tenant, bool(row.get("isServiceProvider")),
                       await self._tenant_info(client, tenant))

    async def _tenant_info(self, client: GraphClient, tenant: str) -> Fetched[TenantInfo]:
        path = f"/tenantRelationships/findTenantInformationByTenantId(tenantId='{tenant}')"
        try:
            request, info = await client.get_object(path, "tenant_info")
        except GraphError as exc:
            return Fetched.failure(exc.error)
        return Fetched(SOURCE, request, TenantInfo(info.get("displayName"),
                                                   info.get("defaultDomainName")))

    async def _name_owners(self, client: GraphClient, sps: Fetched[tuple[ServicePrincipal, ...]],
                           tenant: str) -> Fetched[tuple[ServicePrincipal, ...]]:
        # Without a configured tenant id the client's own apps are only known now.
        items = [sp for sp in sps.ok if sp.owner_tenant_id != tenant.lower()]
        owners = sorted({sp.owner_tenant_id for sp in items})
        infos = dict(zip(owners, await asyncio.gather(
            *(self._tenant_info(client, t) for t in owners)), strict=True))
        return _replace(sps, value=tuple(
            _replace(sp, owner=infos[sp.owner_tenant_id]) for sp in items))


async def read_organization(client: GraphClient) -> Fetched[Organization]:
    """The organization; a failed read raises GraphError."""
    request, rows = await client.get_list(
        "/organization?$select=id,displayName,technicalNotificationMails,"
        "securityComplianceNotificationMails,verifiedDomains,privacyProfile", "organization")
    try:
        org = rows[0]
        privacy = org.get("privacyProfile") or {}
        if not isinstance(privacy, dict):
            raise TypeError("privacyProfile is not an object")
        domains = org.get("verifiedDomains") or []
        if not isinstance(domains, list):
            raise TypeError("verifiedDomains is not a list")
        return Fetched(SOURCE, request, Organization(
            str(org["id"]).lower(), str(org.get("displayName") or ""),
            _strs(org.get("technicalNotificationMails")),
            _strs(org.get("securityComplianceNotificationMails")),
            verified_domains=tuple(str(d["name"]).lower() for d in domains
                                   if isinstance(d, dict) and d.get("name")),
            privacy_contact=privacy.get("contactEmail") or None))
    except (IndexError, KeyError, TypeError) as exc:
        raise GraphError(_malformed(request, exc)) from None


async def role_holders(client: GraphClient, *, eligible: bool
                       ) -> Fetched[tuple[RoleHolder, ...]]:
    """Active (or PIM-eligible) holders of every privileged directory role, one filtered
    list per role; each row's roleDefinitionId is checked against the role asked."""
    collection = "roleEligibilityScheduleInstances" if eligible else "roleAssignments"
    base = f"/roleManagement/directory/{collection}"

    async def one(role_id: str) -> tuple[str, list[dict[str, Any]]]:
        return await client.get_list(f"{base}?$filter=roleDefinitionId eq '{role_id}'"
                                     "&$expand=principal",
                                     "roles_eligible" if eligible else "roles")

    try:
        answers = await asyncio.gather(*(one(r) for r in PRIVILEGED_DIRECTORY_ROLES))
    except GraphError as exc:
        if eligible and exc.no_pim:
            # Without Entra ID P2 (or Governance) there is no PIM: nobody can be eligible.
            return Fetched(SOURCE, exc.error.request, (), exc.error.observed_at,
                           note=f"no PIM in this tenant ({exc.code}: {exc.message})")
        raise
    request = client.url(f"{base}?$filter=roleDefinitionId eq '<each privileged role>'"
                         "&$expand=principal")
    observed = _now()
    try:
        rows = [(role_id, r) for role_id, (_, page) in zip(PRIVILEGED_DIRECTORY_ROLES, answers,
                                                          strict=True)
                for r in page if str(r["roleDefinitionId"]).lower() == role_id]
        missing = sorted({str(r["principalId"]) for _, r in rows if not r.get("principal")})
        resolved = await resolve_objects(client, missing)
        resolved.update({str(r["principalId"]): r["principal"] for _, r in rows
                         if isinstance(r.get("principal"), dict)})
        resolved = await user_details(client, resolved)
        holders = []
        for role_id, r in rows:
            obj = resolved.get(str(r["principalId"]))
            principal = _principal(obj) if obj else Principal(
                str(r["principalId"]), "unknown", "")
            holders.append(RoleHolder(principal, "eligible" if eligible else "active",
                                      role=PRIVILEGED_DIRECTORY_ROLES[role_id],
                                      end=r.get("endDateTime"), role_id=role_id,
                                      directory_scope=str(r.get("directoryScopeId") or "/")))
    except (KeyError, TypeError) as exc:
        raise GraphError(_malformed(request, exc)) from None
    return Fetched(SOURCE, request, tuple(await expand_groups(client, holders)), observed)


async def _group_people(client: GraphClient, group_id: str
                        ) -> tuple[list[tuple[str, str, str]], FetchError | None]:
    """(principal id, how, assignment) of a group's members and owners (who can add
    themselves), and its PIM-eligible members and owners (PIM for groups, v1.0
    privilegedAccessGroupEligibilityScheduleInstance,
    https://learn.microsoft.com/graph/api/privilegedaccessgroup-list-eligibilityscheduleinstances);
    the first failure, if any (a tenant without PIM has no eligible members)."""
    gid = quote(group_id)
    out: list[tuple[str, str, str]] = []
    error: FetchError | None = None
    for rel, how in (("members", "member"), ("owners", "owner")):
        try:
            _, rows = await client.get_list(f"/groups/{gid}/{rel}?$select=id", "users")
            out += [(str(r["id"]), how, "") for r in rows]
        except GraphError as exc:
            error = error or exc.error
    try:
        _, rows = await client.get_list(
            "/identityGovernance/privilegedAccess/group/eligibilityScheduleInstances"
            f"?$filter=groupId eq '{group_id}'", "pim_groups")
        out += [(str(r["principalId"]), f"eligible {r.get('accessId') or 'member'}",
                 "eligible") for r in rows if str(r.get("groupId") or group_id) == group_id]
    except GraphError as exc:
        if not exc.no_pim:
            error = error or exc.error
    return out, error


async def expand_groups(client: GraphClient, holders: list[RoleHolder]) -> list[RoleHolder]:
    """The role holders, plus everyone who can use a group's role: its members and
    owners, and its PIM-eligible members and owners, each judged like a direct holder."""
    groups = sorted({h.principal.id for h in holders if h.principal.kind == "group"})
    if not groups:
        return holders
    found = dict(zip(groups, await asyncio.gather(*(_group_people(client, g) for g in groups)),
                     strict=True))
    ids = sorted({pid for people, _ in found.values() for pid, _, _ in people})
    named = await resolve_principals(client, ids) if ids else {}
    out: list[RoleHolder] = []
    for h in holders:
        if h.principal.kind != "group":
            out.append(h)
            continue
        people, error = found[h.principal.id]
        out.append(_replace(h, members_error=error))
        name = h.principal.display_name or h.principal.id
        for pid, how, assignment in people:
            principal = named.get(pid) or Principal(pid, "unknown", "")
            via = f"{how} of group {name}" + (" (PIM for groups)" if assignment else "")
            out.append(_replace(h, principal=principal, via=via, via_group=h.principal.id,
                                assignment=assignment or h.assignment, members_error=None))
    return out


# The user properties that say whose person an account is; Graph returns them only when
# asked by $select (user resource, v1.0: otherMails, proxyAddresses, userType,
# externalUserState and creationType are not in the default set,
# https://learn.microsoft.com/graph/api/resources/user#properties).
USER_DETAIL_SELECT = ("id,displayName,userPrincipalName,mail,otherMails,proxyAddresses,"
                      "userType,externalUserState,creationType")


async def user_details(client: GraphClient, objects: Mapping[str, Mapping[str, Any]]
                       ) -> dict[str, dict[str, Any]]:
    """The users among `objects` (id -> directory object) with every address the
    directory holds (GET /users/{id}?$select=...). A user gone since (404) keeps what
    was read; any other failure is the caller's GraphError (a person judged by half of
    their addresses would be a false pass)."""
    async def one(uid: str, obj: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
        try:
            _, full = await client.get_object(
                f"/users/{quote(uid)}?$select={USER_DETAIL_SELECT}", "users")
        except GraphError as exc:
            if exc.error.kind == "not_found":
                return uid, dict(obj)
            raise
        return uid, {"@odata.type": "#microsoft.graph.user", **obj, **full}

    users = [(uid, obj) for uid, obj in objects.items()
             if str(obj.get("@odata.type") or "").endswith(".user")
             or ("userPrincipalName" in obj and "@odata.type" not in obj)]
    found = await asyncio.gather(*(one(uid, obj) for uid, obj in users))
    return {**{k: dict(v) for k, v in objects.items()}, **dict(found)}


# Values of includeUsers/excludeUsers that are not object ids.
CA_SPECIAL_USERS = frozenset({"all", "none", "guestsorexternalusers"})


def _ca_list(obj: Any, key: str) -> tuple[str, ...]:
    if not isinstance(obj, Mapping):
        return ()
    return _strs(obj.get(key))


def _ca_policy(obj: Mapping[str, Any]) -> CaPolicy:
    conditions = obj.get("conditions") or {}
    if not isinstance(conditions, Mapping):
        raise TypeError("conditions is not an object")
    users = conditions.get("users") or {}
    apps = conditions.get("clientApplications") or {}
    grant = obj.get("grantControls") or {}
    if not isinstance(users, Mapping) or not isinstance(apps, Mapping) or \
            not isinstance(grant, Mapping):
        raise TypeError("users, clientApplications or grantControls is not an object")
    controls = list(_ca_list(grant, "builtInControls"))
    if grant.get("authenticationStrength"):
        controls.append("authenticationStrength")
    guests = users.get("excludeGuestsOrExternalUsers") or {}
    if not isinstance(guests, Mapping):
        raise TypeError("excludeGuestsOrExternalUsers is not an object")
    types = tuple(t.strip() for t in str(guests.get("guestOrExternalUserTypes") or "")
                  .split(",") if t.strip() and t.strip() != "none")
    tenants = guests.get("externalTenants") or {}
    if not isinstance(tenants, Mapping):
        raise TypeError("externalTenants is not an object")
    return CaPolicy(
        id=str(obj["id"]), name=str(obj.get("displayName") or obj["id"]),
        state=str(obj.get("state") or ""), controls=tuple(controls),
        include_users=_ca_list(users, "includeUsers"),
        exclude_users=_ca_list(users, "excludeUsers"),
        exclude_groups=_ca_list(users, "excludeGroups"),
        exclude_roles=_ca_list(users, "excludeRoles"),
        exclude_service_principals=_ca_list(apps, "excludeServicePrincipals"),
        exclude_guest_types=types,
        exclude_tenants_kind=(str(tenants.get("membershipKind")) if tenants.get(
            "membershipKind") else None),
        exclude_tenants=tuple(t.lower() for t in _ca_list(tenants, "members")))


async def ca_policies(client: GraphClient) -> Fetched[tuple[CaPolicy, ...]]:
    """Conditional Access policies (v1.0 GET /identity/conditionalAccess/policies,
    Policy.Read.All, https://learn.microsoft.com/graph/api/conditionalaccessroot-list-
    policies), with every excluded user (all their addresses), group and app named."""
    request, rows = await client.get_list("/identity/conditionalAccess/policies", "policy")
    observed = _now()
    try:
        policies = [_ca_policy(r) for r in rows]
        ids = sorted({i for p in policies for i in
                      (*p.exclude_users, *p.exclude_groups, *p.exclude_service_principals)
                      if i.lower() not in CA_SPECIAL_USERS})
        objects = await user_details(client, await resolve_objects(client, ids)) if ids \
            else {}
        named = {k: _principal(v) for k, v in objects.items()}
        out = []
        for p in policies:
            kinds = [(i, "user") for i in p.exclude_users] + [
                (i, "group") for i in p.exclude_groups] + [
                (i, "servicePrincipal") for i in p.exclude_service_principals]
            excluded = tuple(named.get(i) or Principal(i, "unknown", "")
                             for i, _ in kinds if i.lower() not in CA_SPECIAL_USERS)
            out.append(_replace(p, excluded=excluded))
    except (KeyError, TypeError, ValueError) as exc:
        raise GraphError(_malformed(request, exc)) from None
    return Fetched(SOURCE, request, tuple(out), observed)


async def resolve_objects(client: GraphClient, ids: list[str]) -> dict[str, dict[str, Any]]:
    """Directory objects by id (POST getByIds only reads), 1000 ids per call."""
    out: dict[str, dict[str, Any]] = {}
    for start in range(0, len(ids), 1000):
        _, data = await client.post("/directoryObjects/getByIds",
                                    {"ids": ids[start:start + 1000],
                                     "types": ["user", "group", "servicePrincipal"]},
                                    "users")
        value = data.get("value")
        if not isinstance(value, list):
            raise GraphError(FetchError(SOURCE, client.url("/directoryObjects/getByIds"),
                                        "the answer has no 'value' list", kind="malformed"))
        for obj in value:
            if isinstance(obj, dict) and obj.get("id"):
                out[str(obj["id"])] = obj
    return out


async def resolve_principals(client: GraphClient, ids: list[str]) -> dict[str, Principal]:
    """Principals by id, users with every address; ids Graph does not return (deleted
    objects) are left out."""
    try:
        objects = await user_details(client, await resolve_objects(client, ids))
        return {k: _principal(v) for k, v in objects.items()}
    except (KeyError, TypeError) as exc:
        raise GraphError(_malformed(client.url("/directoryObjects/getByIds"), exc)) from None


async def guard(read: Awaitable[Fetched[T]], permission: str | None = None) -> Fetched[T]:
    """Run one fact's read; a Graph error becomes that fact's failed read (a denial
    names `permission` when given: the least one Microsoft documents for the read)."""
    try:
        return await read
    except GraphError as exc:
        error = exc.error
        if permission and error.kind == "denied":
            error = _replace(error, permission=permission)
        return Fetched.failure(error)
    except SourceFailure as exc:  # unreachable or timing out: this fact only
        return Fetched.failure(exc.error)


def _replace(obj: T, **changes: Any) -> T:
    import dataclasses

    return dataclasses.replace(obj, **changes)  # type: ignore[type-var]


def _now() -> str:
    return iso(utc_now())


__all__ = [
    "GRAPH",
    "CaPolicy",
    "Domain",
    "Federation",
    "Grant",
    "GraphFacts",
    "GraphSource",
    "Guest",
    "Organization",
    "Partner",
    "Principal",
    "RoleHolder",
    "ServicePrincipal",
    "TenantInfo",
    "TenantSource",
    "guest_email_from_upn",
    "tenant_asset",
]

