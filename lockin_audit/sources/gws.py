"""Google Workspace (or Cloud Identity) through the Admin SDK Directory API.

One target per `scan.google` entry: a customer read as its `subject` admin through a
service account with domain-wide delegation (or any Application Default Credentials of an
admin). Facts, each a `Fetched`: the value, or the `FetchError` that says why it could not
be read:
the customer (`customers.get`: alternateEmail, postal address), users (`users.list`:
isAdmin, isDelegatedAdmin, suspended, isEnrolledIn2Sv, lastLoginTime, and the addresses
Google's account recovery and the profile use: recoveryEmail, recoveryPhone, emails[],
phones[]), admin roles and
their assignments (`roles.list`, `roleAssignments.list`), domains (`domains.list`) and the
third-party OAuth tokens of every admin and of a sample of users (`tokens.list`).
Reference: developers.google.com/workspace/admin/directory/reference/rest.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from lockin_audit.facts import Fetched, FetchError, SourceFailure
from lockin_audit.model import Asset
from lockin_audit.sources import google_api as api
from lockin_audit.sources.google_api import GoogleClient
from lockin_audit.sources.interface import Requires, SourceContext, Target

if TYPE_CHECKING:
    from lockin_audit.config import AuditConfig, GoogleTarget

SOURCE = "gws"


# ---------------------------------------------------------------------------------------
# facts


@dataclass(frozen=True)
class Customer:
    id: str
    domain: str
    alternate_email: str | None
    contact_name: str | None
    organization_name: str | None
    country: str | None
    phone: str | None

    def excerpt(self) -> dict[str, Any]:
        excerpt: dict[str, Any] = {"id": self.id, "customerDomain": self.domain}
        for key, value in (("alternateEmail", self.alternate_email),
                           ("postalAddress.contactName", self.contact_name),
                           ("postalAddress.organizationName", self.organization_name),
                           ("postalAddress.countryCode", self.country),
                           ("phoneNumber", self.phone)):
            if value:
                excerpt[key] = value
        return excerpt


@dataclass(frozen=True)
class GwsUser:
    id: str
    email: str
    name: str
    is_admin: bool  # super admin
    is_delegated_admin: bool
    suspended: bool
    enrolled_2sv: bool
    last_login: str | None  # None when Google omits it; 1970-01-01 means never
    # Account recovery (users resource: recoveryEmail, recoveryPhone in E.164); None when
    # Google omits them (not set).
    recovery_email: str | None = None
    recovery_phone: str | None = None
    # The profile's other addresses and numbers (emails[].address / phones[].value with
    # their type: work, home, other, custom...), the primary address excluded.
    emails: tuple[tuple[str, str], ...] = ()
    phones: tuple[tuple[str, str], ...] = ()

    def contact_points(self) -> tuple[tuple[str, str], ...]:
        """(field, value) of every address and number that can reach this account's
        holder: the primary email first, then recovery, then the profile's."""
        out: list[tuple[str, str]] = [("primaryEmail", self.email)]
        if self.recovery_email:
            out.append(("recoveryEmail", self.recovery_email))
        if self.recovery_phone:
            out.append(("recoveryPhone", self.recovery_phone))
        out += [(f"emails[{kind}]", value) for value, kind in self.emails]
        out += [(f"phones[{kind}]", value) for value, kind in self.phones]
        return tuple(out)

    def excerpt(self) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.id, "primaryEmail": self.email,
                               "isAdmin": self.is_admin,
                               "isDelegatedAdmin": self.is_delegated_admin,
                               "suspended": self.suspended,
                               "isEnrolledIn2Sv": self.enrolled_2sv}
        if self.name:
            out["name.fullName"] = self.name
        if self.last_login:
            out["lastLoginTime"] = self.last_login
        if self.recovery_email:
            out["recoveryEmail"] = self.recovery_email
        if self.recovery_phone:
            out["recoveryPhone"] = self.recovery_phone
        if self.emails:
            out["emails"] = [{"address": a, "type": t} for a, t in self.emails]
        if self.phones:
            out["phones"] = [{"value": v, "type": t} for v, t in self.phones]
        return out


@dataclass(frozen=True)
class GwsRole:
    id: str
    name: str
    is_super_admin: bool
    is_system: bool
    privileges: tuple[str, ...]


@dataclass(frozen=True)
class RoleAssignment:
    role_id: str
    assigned_to: str  # a user's or group's unique id
    assignee_type: str  # user or group
    scope_type: str  # CUSTOMER or ORG_UNIT


@dataclass(frozen=True)
class GwsDomain:
    name: str
    verified: bool
    primary: bool
    alias_of: str | None = None  # a domain alias's parent domain


@dataclass(frozen=True)
class AppToken:
    user: str  # the user's email
    client_id: str
    display_text: str
    scopes: tuple[str, ...]
    anonymous: bool
    native_app: bool


@dataclass(frozen=True)
class Tokens:
    """The tokens of the users that were read; `errors` lists the users whose tokens could
    not be read (email, FetchError), so a check can say which users were not assessed."""

    tokens: tuple[AppToken, ...]
    users: tuple[str, ...]
    errors: tuple[tuple[str, FetchError], ...]


@dataclass(frozen=True)
class GwsFacts:
    customer_key: str  # what the audit file names (my_customer or C0...)
    subject: str | None
    customer: Fetched[Customer]
    users: Fetched[tuple[GwsUser, ...]]
    roles: Fetched[tuple[GwsRole, ...]]
    assignments: Fetched[tuple[RoleAssignment, ...]]
    domains: Fetched[tuple[GwsDomain, ...]]
    tokens: Fetched[Tokens]
    label: str

    @property
    def customer_id(self) -> str:
        return self.customer_key if self.customer.error else self.customer.ok.id

    @property
    def asset(self) -> Asset:
        name = None if self.customer.error else self.customer.ok.domain
        return customer_asset(self.customer_id, name or self.label)

    def domain(self, name: str) -> GwsDomain | None:
        """The tenant's domain of that name (primary, secondary or alias), if listed."""
        if self.domains.error:
            return None
        name = name.lower().rstrip(".")
        return next((d for d in self.domains.ok if d.name == name), None)

    def verified_domains(self) -> frozenset[str]:
        if self.domains.error:
            return frozenset()
        return frozenset(d.name for d in self.domains.ok if d.verified)


def customer_asset(customer_id: str, name: str | None = None) -> Asset:
    return Asset("google_workspace", customer_id, name)


# What the gcp source and checks declare to read the Workspace facts.
GWS: Requires[GwsFacts] = Requires("gws", GwsFacts)


# ---------------------------------------------------------------------------------------
# parsing (raises KeyError/TypeError/ValueError on a malformed object)


def _customer(obj: Mapping[str, Any]) -> Customer:
    postal = obj.get("postalAddress") or {}
    if not isinstance(postal, Mapping):
        raise TypeError("postalAddress is not an object")
    return Customer(id=str(obj["id"]), domain=str(obj.get("customerDomain") or "").lower(),
                    alternate_email=obj.get("alternateEmail") or None,
                    contact_name=postal.get("contactName") or None,
                    organization_name=postal.get("organizationName") or None,
                    country=postal.get("countryCode") or None,
                    phone=obj.get("phoneNumber") or None)


def _entries(obj: Mapping[str, Any], field: str, key: str,
             skip: str = "") -> tuple[tuple[str, str], ...]:
    """emails[] / phones[] of a users resource: (value, type), `skip` left out. The
    reference types them as `value` (arrays of objects); a missing field is ()."""
    rows = obj.get(field)
    if rows is None:
        return ()
    if not isinstance(rows, list):
        raise TypeError(f"{field} is not a list")
    out: list[tuple[str, str]] = []
    for row in rows:
        if not isinstance(row, Mapping):
            raise TypeError(f"an entry of {field} is not an object")
        value = str(row.get(key) or "").strip()
        kind = str(row.get("customType") or row.get("type") or "other")
        if value and value.lower() != skip and (value, kind) not in out:
            out.append((value.lower() if field == "emails" else value, kind))
    return tuple(out)


def _user(obj: Mapping[str, Any]) -> GwsUser:
    name = obj.get("name") or {}
    primary = str(obj["primaryEmail"]).lower()
    return GwsUser(id=str(obj["id"]), email=primary,
                   name=str(name.get("fullName") or "") if isinstance(name, Mapping) else "",
                   is_admin=obj.get("isAdmin") is True,
                   is_delegated_admin=obj.get("isDelegatedAdmin") is True,
                   suspended=obj.get("suspended") is True,
                   enrolled_2sv=obj.get("isEnrolledIn2Sv") is True,
                   last_login=obj.get("lastLoginTime") or None,
                   recovery_email=str(obj["recoveryEmail"]).strip().lower()
                   if obj.get("recoveryEmail") else None,
                   recovery_phone=str(obj["recoveryPhone"]).strip()
                   if obj.get("recoveryPhone") else None,
                   emails=_entries(obj, "emails", "address", skip=primary),
                   phones=_entries(obj, "phones", "value"))


def _role(obj: Mapping[str, Any]) -> GwsRole:
    privileges = obj.get("rolePrivileges") or []
    if not isinstance(privileges, list):
        raise TypeError("rolePrivileges is not a list")
    return GwsRole(id=str(obj["roleId"]), name=str(obj.get("roleName") or obj["roleId"]),
                   is_super_admin=obj.get("isSuperAdminRole") is True,
                   is_system=obj.get("isSystemRole") is True,
                   privileges=tuple(str(p["privilegeName"]) for p in privileges))


def _assignment(obj: Mapping[str, Any]) -> RoleAssignment:
    return RoleAssignment(role_id=str(obj["roleId"]), assigned_to=str(obj["assignedTo"]),
                          assignee_type=str(obj.get("assigneeType") or "user"),
                          scope_type=str(obj.get("scopeType") or "CUSTOMER"))


def _domain_list(data: Mapping[str, Any]) -> tuple[GwsDomain, ...]:
    rows = data.get("domains", [])
    if not isinstance(rows, list):
        raise TypeError("domains is not a list")
    return tuple(d for r in rows for d in _domains(r))


def _domains(obj: Mapping[str, Any]) -> list[GwsDomain]:
    name = str(obj["domainName"]).lower()
    out = [GwsDomain(name, obj.get("verified") is True, obj.get("isPrimary") is True)]
    for alias in obj.get("domainAliases") or []:
        out.append(GwsDomain(str(alias["domainAliasName"]).lower(),
                             alias.get("verified") is True, False, alias_of=name))
    return out


def _token(user: str, obj: Mapping[str, Any]) -> AppToken:
    scopes = obj.get("scopes") or []
    if not isinstance(scopes, list):
        raise TypeError("scopes is not a list")
    return AppToken(user=user, client_id=str(obj["clientId"]),
                    display_text=str(obj.get("displayText") or obj["clientId"]),
                    scopes=tuple(str(s) for s in scopes),
                    anonymous=obj.get("anonymous") is True,
                    native_app=obj.get("nativeApp") is True)


def _user_tokens(user: str, data: Mapping[str, Any]) -> tuple[AppToken, ...]:
    items = data.get("items", [])  # a user who authorised no app has no items
    if not isinstance(items, list):
        raise TypeError("'items' is not a list")
    return tuple(_token(user, t) for t in items)


# ---------------------------------------------------------------------------------------
# the source


def target_id(opts: GoogleTarget, index: int) -> str:
    if opts.customer_id != "my_customer":
        return opts.customer_id
    return opts.name or opts.subject or f"google[{index}]"


class GwsSource(api.GoogleSource):
    name = "gws"
    area = "gws"
    first_scope = api.USERS
    scope_errors_fail_target = False

    def configured(self, config: AuditConfig) -> bool:
        return bool(config.scan.google)

    async def targets(self, ctx: SourceContext) -> list[Target]:
        out = []
        for i, opts in enumerate(ctx.config.scan.google):
            tid = target_id(opts, i)
            label = f"Google Workspace {opts.name or tid}"
            out.append(Target(SOURCE, "gws", tid, label, customer_asset(tid, opts.name),
                              options=opts))
        return out

    def connect(self, target: Target, ctx: SourceContext) -> GoogleClient:
        opts: GoogleTarget = target.options
        return self.client(opts, ctx, opts.subject)

    def probes(self, target: Target) -> list[api.Probe]:
        opts: GoogleTarget = target.options
        c = quote(opts.customer_id)
        return [
            api.Probe("account settings", "GET", "admin.customers.get",
                      f"/admin/directory/v1/customers/{c}"),
            api.Probe("users", "GET", "admin.users.list", "/admin/directory/v1/users",
                      {"customer": opts.customer_id, "maxResults": 1}),
            api.Probe("admin roles", "GET", "admin.roles.list",
                      f"/admin/directory/v1/customer/{c}/roles", {"maxResults": 1}),
            api.Probe("domains", "GET", "admin.domains.list",
                      f"/admin/directory/v1/customer/{c}/domains"),
            api.Probe("third-party app tokens", "GET", "admin.tokens.list",
                      f"/admin/directory/v1/users/{quote(opts.subject or 'me')}/tokens"),
        ]

    async def fetch(self, target: Target, ctx: SourceContext) -> GwsFacts:
        opts: GoogleTarget = target.options
        client = self.connect(target, ctx)
        await self.sign_in(client)
        c = quote(opts.customer_id)
        customer, users, roles, assignments, domains = await asyncio.gather(
            client.read("admin.customers.get", f"/admin/directory/v1/customers/{c}",
                        _customer),
            client.read_all("admin.users.list", "/admin/directory/v1/users", "users", _user,
                            customer=opts.customer_id, maxResults=500, projection="basic"),
            client.read_all("admin.roles.list", f"/admin/directory/v1/customer/{c}/roles",
                            "items", _role, maxResults=100),
            client.read_all("admin.roleAssignments.list",
                            f"/admin/directory/v1/customer/{c}/roleassignments", "items",
                            _assignment, maxResults=200),
            # domains.list is not paged (no pageToken in its reference).
            client.read("admin.domains.list", f"/admin/directory/v1/customer/{c}/domains",
                        _domain_list))
        down = api.unreachable(customer, users, roles, assignments, domains)
        if down:
            raise SourceFailure(down)  # the Admin SDK cannot be reached at all
        tokens: Fetched[Tokens]
        if users.error:
            tokens = Fetched.failure(FetchError(
                SOURCE, users.request, "users could not be listed, so their app tokens "
                f"could not be read: {users.error.reason}", kind=users.error.kind,
                permission=users.error.permission))
        else:
            tokens = await self._tokens(client, users.ok, opts.token_users)
        return GwsFacts(customer_key=opts.customer_id, subject=opts.subject, customer=customer,
                        users=users, roles=roles, assignments=assignments, domains=domains,
                        tokens=tokens, label=opts.name or target.id)

    # -- facts ---------------------------------------------------------------------------
    async def _tokens(self, client: GoogleClient, users: tuple[GwsUser, ...],
                      sample: int) -> Fetched[Tokens]:
        """Tokens of every admin and of the first `sample` other active users."""
        admins = [u for u in users if u.is_admin or u.is_delegated_admin]
        others = [u for u in users if u not in admins and not u.suspended][:sample]
        chosen = [u.email for u in (*admins, *others)]

        reads = await asyncio.gather(*(
            client.read("admin.tokens.list", f"/admin/directory/v1/users/{quote(email)}/tokens",
                        functools.partial(_user_tokens, email)) for email in chosen))
        tokens: list[AppToken] = []
        errors: list[tuple[str, FetchError]] = []
        first = f"GET {client.url('admin.tokens.list', '/admin/directory/v1/users/{userKey}/tokens')}"
        for email, read in zip(chosen, reads, strict=True):
            if read.error and api.is_scope_error(read.error):
                # the scope is missing: nobody's tokens can be read
                return Fetched.failure(read.error)
            if read.error:
                errors.append((email, read.error))
            else:
                tokens.extend(read.ok)
        if chosen and len(errors) == len(chosen):
            return Fetched.failure(errors[0][1])
        return Fetched(SOURCE, first, Tokens(tuple(tokens), tuple(chosen), tuple(errors)),
                       api.now())


__all__ = ["GWS", "AppToken", "Customer", "GwsDomain", "GwsFacts", "GwsRole", "GwsSource", "GwsUser",
           "RoleAssignment", "Tokens", "customer_asset"]
