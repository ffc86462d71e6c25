"""Microsoft 365 / Entra ID checks on the facts of the Graph source (one tenant each).

Who holds the tenant's top administrator role, which partners and apps the provider keeps
in it, where its notices go and whether its domains sign in through the provider.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from lockin_audit.check import CheckContext, check, status_for, worst_holder
from lockin_audit.facts import Fetched, FetchError
from lockin_audit.identity import Attribution, IdKind
from lockin_audit.microsoft_identity import (
    ONMICROSOFT,
    attribute_address,
    attribute_domain,
    attribute_principal,
    sentence,
)
from lockin_audit.model import Asset, Evidence, Finding, Holder, Severity, Status
from lockin_audit.sources.graph import (
    CaPolicy,
    Domain,
    Grant,
    GraphFacts,
    Principal,
    RoleHolder,
    ServicePrincipal,
)

# Permissions that let an app change the tenant or reach its data, not just read it
# (exact names, or every `*.ReadWrite.All`; prefixes cover the scoped variants such as
# RoleManagement.ReadWrite.Directory).
POWERFUL_EXACT = frozenset({"full_access_as_app", "Exchange.ManageAsApp",
                            "DeviceManagementManagedDevices.PrivilegedOperations.All",
                            "Mail.ReadWrite", "Mail.Send", "Files.ReadWrite.All"})
POWERFUL_PREFIXES = ("RoleManagement.ReadWrite.", "AppRoleAssignment.ReadWrite.",
                     "Application.ReadWrite.", "Directory.ReadWrite.")

KEEP_ADMIN = ("Keep this account: make sure its password and MFA method are held by the "
              "business (not stored in the provider's password manager), and that no "
              "Conditional Access policy the provider manages can lock it out.")


def _capped(name: str, items: list[Any], limit: int = 50) -> dict[str, Any]:
    """A summary excerpt that stays readable for tenants with thousands of objects."""
    out: dict[str, Any] = {name: items[:limit], "count": len(items)}
    if len(items) > limit:
        out["truncated"] = True
    return out


def _attribute_address(facts: GraphFacts, ctx: CheckContext, address: str,
                       seen_in: str) -> Attribution:
    """An email address; one on a domain verified in the audited tenant itself (its own
    onmicrosoft.com included) is the business's even when the audit file does not list
    that domain."""
    return attribute_address(ctx, address, facts.own_domains(), seen_in)


def _holder_of_principal(p: Principal, facts: GraphFacts, ctx: CheckContext,
                         seen_in: str) -> Attribution:
    return attribute_principal(ctx, p, facts.own_domains(), facts.tenant_id, seen_in)


def _user_asset(p: Principal) -> Asset:
    kind = {"user": "entra_user", "group": "entra_group",
            "servicePrincipal": "entra_service_principal"}.get(p.kind, "entra_object")
    # a guest by its address (admin@bobsit.example), not its generated sign-in name
    # (admin_bobsit.example#EXT#@tenant.onmicrosoft.com)
    name = (p.external_email if p.is_guest else None) or p.user_principal_name
    return Asset(kind, p.id, name or p.display_name or None)


def _kind_label(p: Principal) -> str:
    if not p.resolved:
        return "a directory object that could not be read (deleted, or hidden from this sign-in)"
    if p.is_guest:
        return "a guest account"
    if p.is_invited:
        return "a member account invited from another directory"
    return {"servicePrincipal": "an app", "group": "a group"}.get(p.kind, "a member account")


def _client_owned_admin(h: RoleHolder, attribution: Attribution) -> bool:
    p = h.principal
    return (p.kind == "user" and not p.is_guest
            and attribution.holder in (Holder.CLIENT, Holder.UNKNOWN))


# What each privileged role lets its holder do, and how bad it is in the provider's hands.
ROLE_SEVERITY: dict[str, Severity] = {
    "Global Administrator": Severity.CRITICAL,
    "Privileged Role Administrator": Severity.CRITICAL,
    "Privileged Authentication Administrator": Severity.CRITICAL,
    "Partner Tier2 Support": Severity.CRITICAL,
    "Application Administrator": Severity.HIGH,
    "Cloud Application Administrator": Severity.HIGH,
    "User Administrator": Severity.HIGH,
    "Exchange Administrator": Severity.HIGH,
    "SharePoint Administrator": Severity.HIGH,
    "Security Administrator": Severity.HIGH,
    "Intune Administrator": Severity.HIGH,
    "Conditional Access Administrator": Severity.HIGH,
    "Partner Tier1 Support": Severity.MEDIUM,
}
ROLE_POWER: dict[str, str] = {
    "Global Administrator": "everything in the tenant",
    "Privileged Role Administrator": "giving anyone, itself included, any role, Global "
                                     "Administrator too",
    "Privileged Authentication Administrator": "resetting the password and MFA of any "
                                               "user, Global Administrators included",
    "Partner Tier2 Support": "resetting the password of any user, Global Administrators "
                             "included",
    "Application Administrator": "adding credentials to any app and acting with that app's "
                                 "permissions",
    "Cloud Application Administrator": "adding credentials to any app and acting with that "
                                       "app's permissions",
    "User Administrator": "creating users and resetting the passwords of non-admin users",
    "Exchange Administrator": "reading and forwarding every mailbox",
    "SharePoint Administrator": "every SharePoint site and OneDrive",
    "Security Administrator": "the tenant's security settings and alerts",
    "Intune Administrator": "wiping and controlling every managed device",
    "Conditional Access Administrator": "the sign-in rules, including locking everyone out",
    "Partner Tier1 Support": "resetting the passwords of non-admin users",
}


def _holder_key(h: RoleHolder) -> str:
    return h.assignment + (f":via:{h.via_group}" if h.via_group else "")


def _holder_detail(h: RoleHolder, attribution: Attribution) -> str:
    p = h.principal
    scope = "" if h.directory_scope in ("/", "") else \
        f" (limited to administrative unit {h.directory_scope})"
    via = f" as {h.via}" if h.via else ""
    return (f"{p.label()}, {_kind_label(p)}, is {h.assignment} {h.role}{scope}{via}. "
            f"{sentence(attribution.reason)}")


def _role_sets(facts: GraphFacts, ctx: CheckContext, *, global_admin: bool
               ) -> Iterator[Finding | tuple[Fetched[tuple[RoleHolder, ...]], RoleHolder]]:
    """Error findings for unreadable sets, then (set, holder) for the wanted roles."""
    for which, value in (("active", facts.role_holders), ("eligible", facts.eligible_holders)):
        if value.error:
            yield ctx.error(facts.asset, value.error, key=f"{which}-unreadable",
                            title=f"Not assessed: {which} privileged role holders")
            continue
        for h in value.ok:
            if h.is_global_admin is not global_admin:
                continue
            if h.members_error is not None:
                yield ctx.error(_user_asset(h.principal), h.members_error,
                                key=f"members:{h.role}:{which}",
                                title=f"Not assessed: who can use {h.role} through a group")
            yield value, h


@check(
    id="m365.admins.global_admins",
    control="m365.admins",
    source="graph",
    severity=Severity.CRITICAL,
)
def global_admins(facts: GraphFacts, ctx: CheckContext) -> Iterator[Finding]:
    tenant = facts.asset
    client_owned = 0
    attributions = []
    judged: list[tuple[Fetched[tuple[RoleHolder, ...]], RoleHolder]] = []
    for item in _role_sets(facts, ctx, global_admin=True):
        if isinstance(item, Finding):
            yield item
            continue
        fetched, h = item
        judged.append(item)
        p = h.principal
        seen_in = f"Global Administrator ({h.assignment}) of tenant {facts.tenant_id}"
        attribution = _holder_of_principal(p, facts, ctx, seen_in)
        attributions.append(attribution)
        own = _client_owned_admin(h, attribution)
        client_owned += own
        if attribution.holder is Holder.PROVIDER:
            status, severity = Status.FAIL, Severity.CRITICAL
        elif p.is_guest or p.kind != "user":
            status, severity = Status.WARN, Severity.HIGH
        else:
            status, severity = Status.PASS, Severity.INFO
        holder = attribution.holder if attribution.holder is not Holder.UNKNOWN or \
            not own else Holder.CLIENT
        detail = _holder_detail(h, attribution)
        if own:
            detail += (" The account lives in the business's own directory; make sure "
                       "its password and MFA are held by the business.")
        elif p.kind == "group":
            detail += " Check who the group's members are."
        keep = (KEEP_ADMIN,) if status is Status.PASS else None
        yield ctx.finding(asset=_user_asset(p), holder=holder, status=status,
                          severity=severity, detail=detail, key=_holder_key(h),
                          remediation=keep,
                          evidence=[fetched.evidence({**p.excerpt(),
                                                      "assignment": h.assignment,
                                                      "role": h.role})])
    if facts.role_holders.error:
        return  # without the active assignments nothing can be concluded
    sets = [s for s in (facts.role_holders, facts.eligible_holders) if not s.error]
    summary_evidence = [s.evidence({"global_administrators": [
        {**h.principal.excerpt(), "assignment": h.assignment} for h in s.ok
        if h.is_global_admin], **({"note": s.note} if s.note else {})}) for s in sets]
    if client_owned:
        yield ctx.finding(asset=tenant, holder=Holder.CLIENT, status=Status.PASS,
                          severity=Severity.INFO, key="summary",
                          title="The business has its own Global Administrator",
                          detail=f"{client_owned} Global Administrator account(s) are "
                                 "member accounts of the business's own directory.",
                          evidence=summary_evidence)
    else:
        worst = worst_holder(attributions) if attributions else Holder.UNKNOWN
        yield ctx.finding(
            asset=tenant, holder=worst if worst is not Holder.CLIENT else Holder.UNKNOWN,
            status=Status.FAIL, severity=Severity.CRITICAL, key="summary",
            title="No Global Administrator account belongs to the business",
            detail=f"None of the {len(judged)} Global Administrator assignment(s) "
                   "(active or eligible) is a member account of the business's own "
                   "directory: every one is a guest, an app, a group or the provider's.",
            evidence=summary_evidence)


@check(
    id="m365.admins.privileged_roles",
    control="m365.admins",
    source="graph",
    severity=Severity.HIGH,
)
def privileged_roles(facts: GraphFacts, ctx: CheckContext) -> Iterator[Finding]:
    tenant = facts.asset
    own = 0
    foreign = 0
    for item in _role_sets(facts, ctx, global_admin=False):
        if isinstance(item, Finding):
            yield item
            continue
        fetched, h = item
        p = h.principal
        attribution = _holder_of_principal(p, facts, ctx, f"{h.role} ({h.assignment}) of "
                                           f"tenant {facts.tenant_id}")
        if attribution.holder is Holder.CLIENT or (
                p.kind == "user" and not p.is_guest and attribution.holder is Holder.UNKNOWN):
            own += 1
            continue
        foreign += 1
        role_severity = ROLE_SEVERITY.get(h.role, Severity.HIGH)
        if attribution.holder is Holder.PROVIDER:
            status, severity = Status.FAIL, role_severity
        else:
            status = Status.WARN
            severity = Severity.HIGH if role_severity is Severity.CRITICAL else Severity.MEDIUM
        detail = (f"{_holder_detail(h, attribution)} The role allows "
                  f"{ROLE_POWER.get(h.role, 'administering part of the tenant')}.")
        yield ctx.finding(asset=_user_asset(p), holder=attribution.holder, status=status,
                          severity=severity, detail=detail,
                          key=f"{h.role}:{_holder_key(h)}",
                          evidence=[fetched.evidence({**p.excerpt(), "role": h.role,
                                                      "assignment": h.assignment})])
    if not facts.role_holders.error and not foreign:
        yield ctx.finding(asset=tenant, holder=Holder.CLIENT, status=Status.PASS,
                          severity=Severity.INFO, key="summary",
                          detail=f"Every holder of the other privileged roles ({own}) is "
                                 "an account of the business's own directory.",
                          evidence=[facts.role_holders.evidence({
                              "roles": sorted(ROLE_SEVERITY), "holders": own})])


@check(
    id="m365.partner.relationships",
    control="m365.partner",
    source="graph",
    severity=Severity.HIGH,
)
def partner_relationships(facts: GraphFacts, ctx: CheckContext) -> Iterator[Finding]:
    tenant = facts.asset
    partners = facts.partners
    if partners.error:
        yield ctx.error(tenant, partners.error, key="policy")
    else:
        provider_like = 0
        for p in partners.ok:
            attribution = ctx.attribute(IdKind.AZURE_TENANT, p.tenant_id,
                                        seen_in=f"cross-tenant access partner of "
                                                f"{facts.tenant_id}")
            if attribution.holder is Holder.UNKNOWN and p.default_domain:
                # by the tenant rule: another tenant's <name>.onmicrosoft.com is that
                # tenant's (the provider's when <name> is its), never Microsoft's
                by_domain = attribute_domain(ctx, p.default_domain, facts.own_domains(),
                                             f"partner tenant {p.tenant_id}")
                if by_domain.holder is not Holder.UNKNOWN or \
                        p.default_domain.lower().endswith(ONMICROSOFT):
                    attribution = by_domain
            name = p.display_name or "(name not readable)"
            role = "a service provider" if p.is_service_provider else "a partner organisation"
            detail = (f"Tenant {p.tenant_id} ({name}, {p.default_domain or 'domain unknown'})"
                      f" is configured as {role} in the cross-tenant access policy. "
                      f"{sentence(attribution.reason)}")
            if p.lookup_error:
                detail += f" Its name could not be read: {p.lookup_error.describe()}."
            if p.lookup_error and p.lookup_error.kind != "not_found":  # (a gone tenant has none)
                yield ctx.error(Asset("m365_partner", p.tenant_id, p.display_name),
                                p.lookup_error, key="name",
                                title="Not assessed: the name and domain of a partner tenant")
            detail += _partner_footprint(facts, p.tenant_id, p.default_domain)
            status = status_for(attribution.holder)
            if attribution.holder is Holder.PROVIDER:
                provider_like += 1
                severity = Severity.HIGH if p.is_service_provider else Severity.MEDIUM
            elif attribution.holder is Holder.CLIENT:
                severity = Severity.INFO
            else:
                status = Status.WARN if p.is_service_provider else Status.MANUAL
                severity = Severity.MEDIUM if p.is_service_provider else Severity.LOW
            yield ctx.finding(
                asset=Asset("m365_partner", p.tenant_id, p.display_name),
                holder=attribution.holder, status=status, severity=severity, detail=detail,
                evidence=[partners.evidence({"tenantId": p.tenant_id,
                                             "isServiceProvider": p.is_service_provider,
                                             "displayName": p.display_name,
                                             "defaultDomainName": p.default_domain})])
        if not partners.ok:
            yield ctx.finding(asset=tenant, holder=Holder.CLIENT, status=Status.PASS,
                              severity=Severity.INFO, key="policy",
                              detail="No partner organisation is configured in the "
                                     "cross-tenant access policy.",
                              evidence=[partners.evidence({"partners": []})])
        elif not provider_like:
            yield ctx.finding(asset=tenant, holder=Holder.CLIENT, status=Status.PASS,
                              severity=Severity.INFO, key="policy",
                              detail="None of the cross-tenant access partners is the "
                                     "provider's tenant.",
                              evidence=[partners.evidence({"partners": [
                                  p.tenant_id for p in partners.ok]})])
    yield ctx.finding(
        asset=tenant, holder=Holder.UNKNOWN, status=Status.MANUAL, severity=Severity.HIGH,
        key="gdap", title="Check DAP/GDAP partner relationships in the admin center",
        detail="Delegated admin relationships (DAP and GDAP) are visible through Microsoft "
               "Graph only to the partner, not to the business. Open the Partner "
               "relationships page as described in the steps and note every relationship "
               "the outgoing provider holds.")


def _partner_footprint(facts: GraphFacts, tenant_id: str, domain: str | None) -> str:
    """What else of that tenant is in the directory: its apps, and guests from its
    domain (the customer-side signals of a partner; GDAP itself is not readable)."""
    parts = []
    if not facts.service_principals.error:
        apps = [sp.display_name or sp.app_id for sp in facts.service_principals.ok
                if sp.owner_tenant_id == tenant_id.lower()]
        if apps:
            parts.append(f"{len(apps)} app(s) registered in it ({', '.join(apps[:5])})")
    if domain and not facts.guests.error:
        guests = [g for g in facts.guests.ok
                  if (g.email or "").rpartition("@")[2].lower() == domain.lower()]
        if guests:
            parts.append(f"{len(guests)} guest account(s) from {domain}")
    return (" In your directory: " + "; ".join(parts) + ".") if parts else ""


def _powerful(permission: str) -> bool:
    """Exact permission names: a token matches a listed permission, or ends with
    `.ReadWrite.All` (Directory, Mail, Files, Sites, User, Group...)."""
    return any(token in POWERFUL_EXACT or token.endswith(".ReadWrite.All")
               or token.startswith(POWERFUL_PREFIXES) for token in permission.split())


def _grant_is_powerful(g: Grant) -> bool:
    if g.kind == "application":
        return _powerful(g.permission)
    # A delegated grant consented for all users lets the app act as any signed-in user.
    return g.consent == "AllPrincipals" and _powerful(g.permission)


@check(
    id="m365.apps.provider_apps",
    control="m365.apps",
    source="graph",
    severity=Severity.HIGH,
)
def provider_apps(facts: GraphFacts, ctx: CheckContext) -> Iterator[Finding]:
    tenant = facts.asset
    sps = facts.service_principals
    if sps.error:
        yield ctx.error(tenant, sps.error)
        return
    held = 0
    lookups: dict[str, FetchError] = {}
    for sp in sps.ok:
        if sp.owner_lookup_error is not None and sp.owner_lookup_error.kind != "not_found":
            lookups.setdefault(sp.owner_tenant_id, sp.owner_lookup_error)
        attribution = ctx.attribute(IdKind.AZURE_TENANT, sp.owner_tenant_id,
                                    seen_in=f"owner of app {sp.display_name} in tenant "
                                            f"{facts.tenant_id}")
        yield _app_finding(sp, attribution, sps, ctx)
        if sp.grants.error and attribution.holder is not Holder.CLIENT:
            # what the app may do (and so how severe it is) was not read
            yield ctx.error(Asset("entra_service_principal", sp.id, sp.display_name or None),
                            sp.grants.error, key="grants",
                            title="Not assessed: the permissions of an app")
        held += attribution.holder is Holder.PROVIDER
    for owner, error in sorted(lookups.items()):
        # who owns the tenant (its name and domain) is part of judging its apps
        yield ctx.error(Asset("azure_tenant", owner, None), error, key=f"owner:{owner}",
                        title="Not assessed: the name of an app owner's tenant")
    if not held:
        yield ctx.finding(asset=tenant, holder=Holder.CLIENT, status=Status.PASS,
                          severity=Severity.INFO, key="summary",
                          detail=f"No app in the tenant is owned by the provider's tenant "
                                 f"({len(sps.ok)} app(s) owned by other organisations "
                                 "were checked).",
                          evidence=[sps.evidence(_capped("foreign_apps", [
                              {"id": sp.id, "owner": sp.owner_tenant_id}
                              for sp in sps.ok]))])


def _app_finding(sp: ServicePrincipal, attribution: Attribution,
                 sps: Fetched[tuple[ServicePrincipal, ...]], ctx: CheckContext) -> Finding:
    asset = Asset("entra_service_principal", sp.id, sp.display_name)
    owner = sp.owner_tenant_name or sp.owner_tenant_id
    excerpt: dict[str, object] = {"id": sp.id, "appId": sp.app_id,
                                  "displayName": sp.display_name,
                                  "appOwnerOrganizationId": sp.owner_tenant_id,
                                  "ownerName": sp.owner_tenant_name,
                                  "publisherName": sp.publisher}
    if sp.grants.error:
        grants_text = f"its permissions could not be read ({sp.grants.error.describe()})"
        powerful = False
    else:
        grants = sp.grants.ok
        excerpt["grants"] = [{"type": g.kind, "resource": g.resource,
                              "permission": g.permission} for g in grants]
        grants_text = ("it holds " + "; ".join(
            f"{g.kind} {g.permission} on {g.resource}"
            + (" for every user" if g.consent == "AllPrincipals" else "")
            for g in grants)
                       if grants else "no permissions were found granted to it")
        powerful = any(_grant_is_powerful(g) for g in grants)
    detail = (f"App '{sp.display_name}' is registered in tenant {owner} "
              f"({sp.owner_tenant_id}); {grants_text}. {sentence(attribution.reason)}")
    if attribution.holder is Holder.PROVIDER:
        severity = Severity.CRITICAL if powerful else Severity.HIGH
        status = Status.FAIL
    else:
        severity = Severity.MEDIUM if powerful else Severity.LOW
        status = status_for(attribution.holder)
    return ctx.finding(asset=asset, holder=attribution.holder, status=status,
                       severity=severity, detail=detail, evidence=[sps.evidence(excerpt)])


def _provider_partner_domains(facts: GraphFacts, ctx: CheckContext) -> dict[str, str]:
    """Default domains of partner tenants (cross-tenant access policy) that are the
    provider's, by tenant id: guests from there are the provider's people."""
    if facts.partners.error:
        return {}
    out = {}
    for p in facts.partners.ok:
        who = ctx.attribute(IdKind.AZURE_TENANT, p.tenant_id, "partner tenant", record=False)
        if who.holder is Holder.PROVIDER and p.default_domain:
            out[p.default_domain.lower()] = who.party or "the provider"
    return out


@check(
    id="azure.access.provider_guests",
    control="azure.access",
    source="graph",
    severity=Severity.HIGH,
)
def provider_guests(facts: GraphFacts, ctx: CheckContext) -> Iterator[Finding]:
    tenant = facts.asset
    guests = facts.guests
    if guests.error:
        yield ctx.error(tenant, guests.error)
        return
    provider = 0
    partner_domains = _provider_partner_domains(facts, ctx)
    for g in guests.ok:
        address = g.email or g.user_principal_name
        attribution = attribute_address(ctx, address, facts.own_domains(),
                                        f"guest of tenant {facts.tenant_id}")
        domain = address.rpartition("@")[2].lower()
        if attribution.holder is not Holder.PROVIDER and domain in partner_domains:
            attribution = Attribution(Holder.PROVIDER, partner_domains[domain], IdKind.EMAIL,
                                      address, f"{domain} is the default domain of the "
                                      "provider's tenant, a partner in the cross-tenant "
                                      "access policy", 0.9)
        if attribution.holder is not Holder.PROVIDER:
            continue  # other guests are the business's own collaborators
        provider += 1
        yield ctx.finding(
            asset=Asset("entra_user", g.id, address or g.user_principal_name or None),
            holder=Holder.PROVIDER,
            detail=f"Guest {g.display_name or address} ({address}) signs in from the provider's "
                   f"directory (invitation state {g.external_user_state or 'unknown'}). "
                   f"{sentence(attribution.reason)}",
            evidence=[guests.evidence({"id": g.id, "userPrincipalName": g.user_principal_name,
                                       "mail": g.mail, "creationType": g.creation_type,
                                       "externalUserState": g.external_user_state})])
    if not provider:
        yield ctx.finding(asset=tenant, holder=Holder.CLIENT, status=Status.PASS,
                          severity=Severity.INFO, key="summary",
                          detail=f"None of the tenant's {len(guests.ok)} guest account(s) "
                                 "is from the provider's domains.",
                          evidence=[guests.evidence(_capped("guests", [
                              g.email or g.user_principal_name for g in guests.ok]))])


@check(
    id="m365.contacts.notifications",
    control="m365.contacts",
    source="graph",
    severity=Severity.MEDIUM,
)
def notification_contacts(facts: GraphFacts, ctx: CheckContext) -> Iterator[Finding]:
    tenant = facts.asset
    if facts.organization.error:
        yield ctx.error(tenant, facts.organization.error)
        return
    org = facts.organization.ok
    read = facts.organization.evidence(org.excerpt())
    for label, mails in (("technical", org.technical_mails),
                         ("security and compliance", org.security_mails),
                         ("privacy", (org.privacy_contact,) if org.privacy_contact else ())):
        if not mails and label == "privacy":
            continue  # optional: Microsoft sends nothing there, it is shown to users
        if not mails:
            yield ctx.finding(asset=tenant, holder=Holder.UNKNOWN, status=Status.WARN,
                              severity=Severity.LOW, key=label,
                              detail=f"No {label} notification email is set: Microsoft's "
                                     "notices reach nobody.",
                              evidence=[read])
            continue
        for mail in mails:
            attribution = _attribute_address(facts, ctx, mail, f"{label} notification "
                                             f"email of {facts.tenant_id}")
            yield ctx.finding(asset=tenant, holder=attribution.holder,
                              key=f"{label}:{mail.lower()}",
                              severity=Severity.INFO if attribution.holder is Holder.CLIENT
                              else None,
                              detail=(f"The privacy contact (privacyProfile) is {mail}. "
                                      if label == "privacy" else
                                      f"The {label} notification email is {mail}. ")
                              + sentence(attribution.reason),
                              evidence=[read])


def _federation_finding(d: Domain, ctx: CheckContext,
                        fetched: Fetched[tuple[Domain, ...]]) -> Finding:
    asset = Asset("domain", d.name)
    if d.federation is not None and d.federation.error:
        return ctx.error(asset, d.federation.error, key="federation")
    confs = d.federation.ok if d.federation is not None else ()
    uris = [u for f in confs for u in (f.passive_sign_in_uri, f.issuer_uri,
                                       f.active_sign_in_uri) if u]
    attributions = [ctx.attribute(IdKind.URL, u, seen_in=f"federation of {d.name}")
                    for u in uris]
    holder = worst_holder(attributions) if attributions else Holder.UNKNOWN
    reasons = "; ".join(dict.fromkeys(a.reason for a in attributions)) or \
        "no sign-in address is configured"
    return ctx.finding(
        asset=asset, holder=holder, key="federation",
        status=status_for(holder) if uris else Status.WARN,
        severity=Severity.CRITICAL if holder is Holder.PROVIDER else Severity.MEDIUM,
        title="Domain sign-in is federated to another identity system",
        detail=f"Users of {d.name} sign in through {', '.join(dict.fromkeys(uris)) or '?'} "
               f"instead of Microsoft Entra ID: whoever runs that server can sign in as any "
               f"of them. {reasons}.",
        evidence=[fetched.evidence({"domain": d.name, "authenticationType":
                                    d.authentication_type, "federationConfiguration": [
                                        {"issuerUri": f.issuer_uri,
                                         "passiveSignInUri": f.passive_sign_in_uri,
                                         "displayName": f.display_name}
                                        for f in confs]})])


@check(
    id="m365.domains.verification_federation",
    control="m365.domains",
    source="graph",
    severity=Severity.HIGH,
)
def domains(facts: GraphFacts, ctx: CheckContext) -> Iterator[Finding]:
    tenant = facts.asset
    fetched = facts.domains
    if fetched.error:
        yield ctx.error(tenant, fetched.error)
        return
    for d in fetched.ok:
        asset = Asset("domain", d.name)
        excerpt = {"id": d.name, "isVerified": d.is_verified, "isDefault": d.is_default,
                   "authenticationType": d.authentication_type}
        if d.federated:
            yield _federation_finding(d, ctx, fetched)
        elif d.is_verified is None:
            yield ctx.finding(asset=asset, holder=Holder.UNKNOWN, status=Status.MANUAL,
                              severity=Severity.LOW, key="verification",
                              title="Domain verification state not reported",
                              detail=f"{d.name} is listed in the tenant, but Graph did not "
                                     "say whether it is verified: check it on the Domains "
                                     "page of the Microsoft 365 admin center.",
                              evidence=[fetched.evidence(excerpt)])
        elif not d.is_verified:
            yield ctx.finding(asset=asset, holder=Holder.UNKNOWN, status=Status.WARN,
                              severity=Severity.LOW, key="verification",
                              title="Domain added to the tenant but not verified",
                              detail=f"{d.name} is listed in the tenant but not verified.",
                              evidence=[fetched.evidence(excerpt)])
        else:
            yield ctx.finding(asset=asset, holder=Holder.CLIENT, status=Status.PASS,
                              severity=Severity.INFO, key="verification",
                              detail=f"{d.name} is verified and signs in with Microsoft "
                                     "Entra ID (managed authentication).",
                              evidence=[fetched.evidence(excerpt)])
    if not fetched.ok:
        yield ctx.finding(asset=tenant, holder=Holder.UNKNOWN, status=Status.WARN,
                          severity=Severity.LOW, key="none",
                          detail="Graph listed no domain for the tenant.",
                          evidence=[fetched.evidence({"value": []})])


def _ca_asset(p: CaPolicy) -> Asset:
    return Asset("m365_ca_policy", p.id, p.name)


def _ca_evidence(ca: Fetched[tuple[CaPolicy, ...]], p: CaPolicy,
                 **extra: object) -> list[Evidence]:
    return [ca.evidence({"id": p.id, "displayName": p.name, "state": p.state,
                         "grantControls": list(p.controls), **extra})]


def _ca_severity(p: CaPolicy, provider: bool) -> Severity:
    strong = any(c in ("block", "mfa", "authenticationStrength") for c in p.controls)
    if provider:
        return Severity.HIGH if strong and p.enforced else Severity.MEDIUM
    return Severity.MEDIUM if strong and p.enforced else Severity.LOW


def _ca_state(p: CaPolicy) -> str:
    return "" if p.enforced else " (the policy is in report-only mode: it is not enforced yet)"


@check(
    id="m365.conditional_access.exclusions",
    control="m365.conditional_access",
    source="graph",
    severity=Severity.HIGH,
)
def ca_exclusions(facts: GraphFacts, ctx: CheckContext) -> Iterator[Finding]:
    tenant = facts.asset
    ca = facts.ca_policies
    if ca.error:
        yield ctx.error(tenant, ca.error, key="policies",
                        title="Not assessed: Conditional Access policies")
        return
    active = [p for p in ca.ok if p.active]
    flagged = 0
    for p in active:
        for found in _ca_policy_findings(facts, ctx, ca, p):
            flagged += 1
            yield found
    roles = sorted({r for p in active for r in p.exclude_roles})
    if not flagged:
        yield ctx.finding(
            asset=tenant, holder=Holder.CLIENT, status=Status.PASS, severity=Severity.INFO,
            key="summary",
            detail=f"None of the {len(active)} enabled or report-only Conditional Access "
                   f"policies ({len(ca.ok) - len(active)} disabled ones not judged) "
                   "excludes the provider's users, groups, apps or tenant, or an account "
                   "whose owner cannot be told (read: each policy's excluded users, groups, "
                   "workload identities and guest or external tenants)."
                   + (f" Excluded directory roles ({len(roles)}) are listed in the evidence; "
                      "their holders are judged by the administrator checks." if roles else ""),
            evidence=[ca.evidence(_capped("policies", [
                {"displayName": p.name, "state": p.state, "excludeRoles": list(p.exclude_roles)}
                for p in active]))])


def _ca_policy_findings(facts: GraphFacts, ctx: CheckContext,
                        ca: Fetched[tuple[CaPolicy, ...]], p: CaPolicy) -> Iterator[Finding]:
    what = p.what()
    for principal in p.excluded:
        who = _holder_of_principal(principal, facts, ctx, f"excluded from Conditional "
                                   f"Access policy '{p.name}'")
        if principal.resolved and (who.holder is Holder.CLIENT or (
                principal.kind == "user" and not principal.is_invited
                and who.holder is Holder.UNKNOWN)):
            continue  # the business's own (its break-glass accounts belong here)
        provider = who.holder is Holder.PROVIDER
        yield ctx.finding(
            asset=_ca_asset(p), holder=who.holder,
            status=Status.FAIL if provider else Status.WARN,
            severity=_ca_severity(p, provider), key=f"exclude:{principal.id}",
            detail=f"{principal.label()}, {_kind_label(principal)}, is excluded from "
                   f"the Conditional Access policy '{p.name}', which {what}"
                   f"{_ca_state(p)}. {sentence(who.reason)}",
            evidence=_ca_evidence(ca, p, excluded=principal.excerpt()))
    types = ", ".join(p.exclude_guest_types) or "every kind of"
    if p.exclude_tenants_kind == "enumerated":
        for tenant_id in p.exclude_tenants:
            who = ctx.attribute(IdKind.AZURE_TENANT, tenant_id, f"tenant excluded from "
                                f"Conditional Access policy '{p.name}'")
            if who.holder is Holder.CLIENT:
                continue
            provider = who.holder is Holder.PROVIDER
            yield ctx.finding(
                asset=_ca_asset(p), holder=who.holder,
                status=Status.FAIL if provider else Status.WARN,
                severity=_ca_severity(p, provider), key=f"tenant:{tenant_id}",
                detail=f"The {types} guest and external users of tenant {tenant_id} are "
                       f"excluded from the Conditional Access policy '{p.name}', which "
                       f"{what}{_ca_state(p)}. {sentence(who.reason)}",
                evidence=_ca_evidence(ca, p, excludeGuestsOrExternalUsers={
                    "guestOrExternalUserTypes": ",".join(p.exclude_guest_types),
                    "externalTenants": {"membershipKind": "enumerated",
                                        "members": list(p.exclude_tenants)}}))
    elif (p.exclude_guest_types and p.exclude_tenants_kind in ("all", None)) or any(
            u.lower() == "guestsorexternalusers" for u in p.exclude_users):
        yield ctx.finding(
            asset=_ca_asset(p), holder=Holder.UNKNOWN, status=Status.WARN,
            severity=_ca_severity(p, False), key="tenant:all",
            detail=f"The {types} guest and external users of every other tenant are "
                   f"excluded from the Conditional Access policy '{p.name}', which {what}"
                   f"{_ca_state(p)}: the provider's people among them"
                   + (" (its GDAP technicians sign in as service-provider users)"
                      if "serviceProvider" in p.exclude_guest_types else "") + ".",
            evidence=_ca_evidence(ca, p, excludeGuestsOrExternalUsers={
                "guestOrExternalUserTypes": ",".join(p.exclude_guest_types),
                "externalTenants": {"membershipKind": p.exclude_tenants_kind or "all"}}))
