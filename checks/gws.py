"""Google Workspace checks on the facts of the gws source (one customer each).

Who holds super admin and the admin roles that can take the account over, where Google
sends recovery and billing notices, whether the business's domains are verified in its
own Workspace, which third-party apps the provider keeps in it, and who bills it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from lockin_audit.check import CheckContext, check, status_for
from lockin_audit.google_identity import (
    AccountJudgement,
    attribute_workspace_address,
    judge_account,
    workspace_domain,
)
from lockin_audit.identity import Attribution, IdKind
from lockin_audit.model import Asset, Evidence, Finding, Holder, Severity, Status
from lockin_audit.sources.dns import DnsFacts
from lockin_audit.sources.gws import AppToken, GwsFacts, GwsRole, GwsUser
from lockin_audit.sources.interface import Requires

DNS: Requires[DnsFacts] = Requires("dns", DnsFacts)

# Admin privileges that let their holder take the account over: manage users (reset a
# super admin's password), security settings, domains or admin roles. Privilege names as
# privileges.list returns them (developers.google.com/workspace/admin/directory/reference/
# rest/v1/privileges/list); a super admin role has them all.
TAKEOVER_PRIVILEGES = frozenset({
    "USERS_ALL", "USERS_UPDATE", "USERS_CREATE", "USERS_RESET_PASSWORD",
    "SECURITY_SETTINGS", "MANAGE_SECURITY", "DOMAIN_MANAGEMENT", "DOMAIN_SETTINGS",
    "ROLE_MANAGEMENT", "ADMIN_ROLES", "ORGANIZATION_UNITS_ALL",
})
# OAuth scopes (prefix https://www.googleapis.com/auth/) that reach mail, files or the
# directory: an app holding one can read or change the business's data.
SENSITIVE_SCOPE_PREFIXES = ("gmail", "mail.google.com", "drive", "admin.directory",
                            "admin.datatransfer", "admin.reports", "apps.groups",
                            "cloud-platform", "calendar", "contacts")


def _user_asset(u: GwsUser) -> Asset:
    return Asset("google_user", u.id, u.email)


def _attribute_email(facts: GwsFacts, ctx: CheckContext, address: str,
                     seen_in: str) -> Attribution:
    """An address judged against the configured parties first, then the Workspace's
    domains (google_identity: a secondary domain verified here is a fact, not ownership)."""
    return attribute_workspace_address(ctx, address, [facts], seen_in)


def _named_after_provider(u: GwsUser, ctx: CheckContext) -> Attribution | None:
    """An account named after the provider ("BITS Admin") on the business's domain."""
    for text in (u.name, u.email.partition("@")[0].replace(".", " ").replace("_", " ")):
        if not text:
            continue
        candidates = [text]
        words = text.split()
        candidates += [" ".join(words[:n]) for n in range(1, len(words))]
        for candidate in candidates:
            attribution = ctx.attribute(IdKind.ORG_NAME, candidate, seen_in="", record=False)
            if attribution.holder is Holder.PROVIDER:
                return attribution
    return None


def _recovery_note(u: GwsUser, judged: AccountJudgement) -> str:
    """What recovery was read for the account (a pass names its scope)."""
    parts = []
    if not u.recovery_email:
        parts.append("no recovery email")
    if not u.recovery_phone:
        parts.append("no recovery phone")
    note = f" Google shows {' and '.join(parts)} for it." if parts else ""
    unread = judged.unread_phones()
    if unread:
        note += (f" Not attributed: {', '.join(unread)} (no party of the audit file lists "
                 "that number; add it to the provider's or the client's phones if you know "
                 "whose it is).")
    return note


def _takeover(role: GwsRole) -> bool:
    return role.is_super_admin or bool(TAKEOVER_PRIVILEGES.intersection(role.privileges))


@check(
    id="gws.admins.super_admins",
    control="gws.admins",
    source="gws",
    severity=Severity.CRITICAL,
)
def super_admins(facts: GwsFacts, ctx: CheckContext) -> Iterator[Finding]:
    account = facts.asset
    users = facts.users
    if users.error:
        yield ctx.error(account, users.error, key="users")
        return
    by_id = {u.id: u for u in users.ok}
    own_super = 0
    supers = [u for u in users.ok if u.is_admin]
    for u in supers:
        seen_in = f"super admin of Google Workspace {facts.customer_id}"
        judged = judge_account(ctx, u, [facts], seen_in)
        attribution = judged.attribution
        named = _named_after_provider(u, ctx) if attribution.holder is not Holder.PROVIDER \
            else None
        detail = f"{u.name or u.email} ({u.email}) is a super admin. {judged.why()}"
        if attribution.holder is Holder.PROVIDER:
            status, severity, holder = Status.FAIL, Severity.CRITICAL, Holder.PROVIDER
            if judged.field != "primaryEmail":
                detail += (" Whoever holds that address or number can take this super "
                           "admin over through Google's account recovery.")
        elif named is not None:
            status, severity, holder = Status.FAIL, Severity.CRITICAL, Holder.PROVIDER
            detail += (f" The account is named after the provider ({named.reason}): it is "
                       "most likely used by the provider's staff.")
        elif u.suspended:
            status, severity, holder = Status.PASS, Severity.INFO, attribution.holder
            detail += " The account is suspended."
        elif attribution.holder is Holder.CLIENT:
            status, severity, holder = Status.PASS, Severity.INFO, Holder.CLIENT
            own_super += 1
            if not u.enrolled_2sv:
                status, severity = Status.WARN, Severity.MEDIUM
                detail += (" It is not enrolled in 2-step verification: whoever knows the "
                           "password (the provider, if it set it) can sign in.")
        else:
            status, severity, holder = Status.WARN, Severity.HIGH, attribution.holder
            detail += (" Find out who holds it." if judged.field == "primaryEmail" else
                       " Whoever holds that address can recover this super admin: find out "
                       "who it is, or set a recovery address the business holds.")
        detail += _recovery_note(u, judged)
        if u.last_login and not u.last_login.startswith("1970-"):
            detail += f" Last sign-in: {u.last_login}."
        elif u.last_login:
            detail += " It has never signed in."
        yield ctx.finding(asset=_user_asset(u), holder=holder, status=status,
                          severity=severity, detail=detail, key="super",
                          evidence=[users.evidence(u.excerpt())])
    # Delegated admins whose roles can take the account over.
    roles, assignments = facts.roles, facts.assignments
    delegated = [u for u in users.ok if u.is_delegated_admin and not u.is_admin]
    problem = roles.error or assignments.error
    if problem:
        if delegated:
            yield ctx.error(account, problem, key="roles",
                            title="Not assessed: what the delegated admins can do")
    else:
        role_by_id = {r.id: r for r in roles.ok}
        for a in assignments.ok:
            role = role_by_id.get(a.role_id)
            holder_user = by_id.get(a.assigned_to)
            if role is not None and a.assignee_type == "group" and _takeover(role):
                # Its members hold the role; listing them needs the Groups API.
                yield ctx.finding(
                    asset=account, holder=Holder.UNKNOWN, status=Status.MANUAL,
                    severity=Severity.HIGH, key=f"group-{a.assigned_to}-{role.id}",
                    title="A group holds an admin role that can take over the account",
                    detail=f"Group {a.assigned_to} holds the admin role '{role.name}'. Its "
                           "members hold it too: open Directory > Groups, find the group "
                           "by this id and check that every member is the business's.",
                    evidence=[assignments.evidence({"roleId": a.role_id,
                                                    "roleName": role.name,
                                                    "assignedTo": a.assigned_to,
                                                    "assigneeType": a.assignee_type})])
                continue
            if role is None or holder_user is None or holder_user.is_admin or \
                    not _takeover(role):
                continue  # roles that cannot take over: listed in the evidence only
            u = holder_user
            seen_in = f"admin role {role.name} in Google Workspace {facts.customer_id}"
            judged = judge_account(ctx, u, [facts], seen_in)
            attribution = judged.attribution
            named = _named_after_provider(u, ctx)
            assignment = assignments.evidence({"roleId": a.role_id, "roleName": role.name,
                                               "assignedTo": a.assigned_to,
                                               "assigneeType": a.assignee_type,
                                               "scopeType": a.scope_type})
            what = (f"{u.email} holds the admin role '{role.name}' "
                    f"({', '.join(role.privileges[:6]) or 'super admin'}), scoped to "
                    f"{a.scope_type.lower().replace('_', ' ')}.")
            if attribution.holder is Holder.PROVIDER or named is not None:
                why = judged.why() if attribution.holder is Holder.PROVIDER else \
                    f"{named.reason}." if named is not None else ""
                yield ctx.finding(
                    asset=_user_asset(u), holder=Holder.PROVIDER, status=Status.FAIL,
                    severity=Severity.HIGH, key=f"role-{role.id}",
                    title="The provider holds an admin role that can take over the account",
                    detail=f"{what} {why}{_recovery_note(u, judged)}",
                    evidence=[assignment, users.evidence(u.excerpt())])
            elif attribution.holder is Holder.UNKNOWN and not u.suspended:
                yield ctx.finding(
                    asset=_user_asset(u), holder=Holder.UNKNOWN, status=Status.WARN,
                    severity=Severity.HIGH, key=f"role-{role.id}",
                    title="An admin who can take over the account is reached through an "
                          "address nobody identified",
                    detail=f"{what} {judged.why()} Find out who holds it, or set a recovery "
                           f"address the business holds.{_recovery_note(u, judged)}",
                    evidence=[assignment, users.evidence(u.excerpt())])
    summary = [users.evidence({"super_admins": [u.email for u in supers]})]
    if own_super:
        yield ctx.finding(asset=account, holder=Holder.CLIENT, status=Status.PASS,
                          severity=Severity.INFO, key="summary",
                          title="The business has its own super admin",
                          detail=f"{own_super} active super admin account(s) are on the "
                                 "business's own domain, with recovery addresses (as "
                                 "users.list shows them) that are the business's own or "
                                 "not set.", evidence=summary)
    else:
        yield ctx.finding(asset=account, holder=Holder.PROVIDER if supers else Holder.UNKNOWN,
                          status=Status.FAIL, severity=Severity.CRITICAL, key="summary",
                          title="No super admin account belongs to the business",
                          detail=f"None of the {len(supers)} super admin account(s) is an "
                                 "active account of the business's own: on its own domain, "
                                 "recovered only through its own addresses, and not named "
                                 "after the provider.", evidence=summary)


@check(
    id="gws.contacts.recovery",
    control="gws.contacts",
    source="gws",
    severity=Severity.HIGH,
)
def recovery_contacts(facts: GwsFacts, ctx: CheckContext) -> Iterator[Finding]:
    if facts.customer.error:
        yield ctx.error(facts.asset, facts.customer.error)
        return
    customer = facts.customer.ok
    asset = facts.asset
    evidence = [facts.customer.evidence(customer.excerpt())]
    if customer.alternate_email:
        attribution = _attribute_email(facts, ctx, customer.alternate_email,
                                       f"alternateEmail of Google Workspace {customer.id}")
        status = status_for(attribution.holder)
        severity = Severity.HIGH if attribution.holder is Holder.PROVIDER else (
            Severity.INFO if attribution.holder is Holder.CLIENT else Severity.MEDIUM)
        yield ctx.finding(asset=asset, holder=attribution.holder, status=status,
                          severity=severity, key="alternate-email",
                          detail=f"The account's secondary (recovery) email is "
                                 f"{customer.alternate_email}. {attribution.reason}.",
                          evidence=evidence)
    else:
        yield ctx.finding(asset=asset, holder=Holder.UNKNOWN, status=Status.WARN,
                          severity=Severity.MEDIUM, key="alternate-email",
                          detail="The account has no secondary (recovery) email address.",
                          evidence=evidence)
    if customer.organization_name:
        attribution = ctx.attribute(IdKind.ORG_NAME, customer.organization_name,
                                    seen_in=f"postal address of Google Workspace "
                                            f"{customer.id}", record=False)
        if attribution.holder is Holder.PROVIDER:
            yield ctx.finding(asset=asset, holder=Holder.PROVIDER, status=Status.FAIL,
                              severity=Severity.MEDIUM, key="postal",
                              title="The Workspace account's postal contact is the provider",
                              detail=f"The organisation name on the account's address is "
                                     f"'{customer.organization_name}'. {attribution.reason}.",
                              evidence=evidence)
        else:
            yield ctx.finding(asset=asset, holder=attribution.holder if attribution.holder
                              is not Holder.UNKNOWN else Holder.CLIENT, status=Status.PASS,
                              severity=Severity.INFO, key="postal",
                              detail=f"The organisation name on the account's address is "
                                     f"'{customer.organization_name}', not the provider's.",
                              evidence=evidence)


@check(
    id="gws.domains.verified",
    needs=(DNS,),
    control="gws.domains",
    source="gws",
    severity=Severity.HIGH,
)
def domains_verified(facts: GwsFacts, ctx: CheckContext) -> Iterator[Finding]:
    domains = facts.domains
    if domains.error:
        yield ctx.error(facts.asset, domains.error)
        return
    held = {d.name: d for d in domains.ok}
    wanted = sorted(ctx.identity.client.domains)  # its domains and email domains
    dns = ctx.dependencies(DNS).values
    for name in wanted:
        d = held.get(name)
        asset = Asset("domain", name)
        if d is None:
            hints, evidence = _tenant_hints(name, dns.get(name))
            yield ctx.finding(
                asset=asset, holder=Holder.UNKNOWN, status=Status.WARN,
                severity=Severity.MEDIUM, key="missing",
                title="A business domain is not in its own Google Workspace",
                detail=f"{name} is one of the business's domains in the audit file but is "
                       f"not a domain of Google Workspace {facts.customer_id}. It may be "
                       "verified in another tenant (the provider's Workspace or a Microsoft "
                       f"365 tenant), with its mail. {hints}",
                evidence=[domains.evidence({"domains": sorted(held)}), *evidence])
        elif not d.verified:
            yield ctx.finding(
                asset=asset, holder=Holder.UNKNOWN, status=Status.FAIL,
                severity=Severity.HIGH, title="A business domain is not verified in Workspace",
                detail=f"{name} is listed in the business's Workspace but not verified.",
                evidence=[domains.evidence({"domainName": d.name, "verified": d.verified,
                                            "isPrimary": d.primary})])
        else:
            kind = "primary domain" if d.primary else (
                f"alias of {d.alias_of}" if d.alias_of else "secondary domain")
            yield ctx.finding(asset=asset, holder=Holder.CLIENT, status=Status.PASS,
                              severity=Severity.INFO,
                              detail=f"{name} is verified in the business's Workspace "
                                     f"({kind}).",
                              evidence=[domains.evidence({"domainName": d.name,
                                                          "verified": True,
                                                          "isPrimary": d.primary})])
    for d in domains.ok:
        if d.name in wanted:
            continue
        attribution = workspace_domain(ctx, d.name, [facts])
        excerpt = {"domainName": d.name, "verified": d.verified, "isPrimary": d.primary,
                   **({"parentDomainName": d.alias_of} if d.alias_of else {})}
        kind = "the primary domain" if d.primary else (
            f"an alias of {d.alias_of}" if d.alias_of else "a secondary domain")
        if attribution is not None and attribution.holder is Holder.PROVIDER:
            yield ctx.finding(
                asset=Asset("domain", d.name), holder=Holder.PROVIDER, status=Status.WARN,
                severity=Severity.MEDIUM, key="provider-domain",
                title="The provider's domain is part of the business's Workspace",
                detail=f"{d.name} is {kind} of the business's Workspace, and it is the "
                       f"provider's: {attribution.reason}. Accounts on it are the "
                       "provider's accounts living in the business's account (an admin on "
                       "it is the provider's admin). Decide with the provider when they "
                       "are removed.",
                evidence=[domains.evidence(excerpt)])
        elif attribution is None or attribution.holder is Holder.UNKNOWN:
            ctx.identity.record(ctx.attribute(IdKind.DOMAIN, d.name, seen_in="",
                                              record=False),
                                f"{kind} of Google Workspace {facts.customer_id}",
                                ctx.meta.control)
            yield ctx.finding(
                asset=Asset("domain", d.name), holder=Holder.UNKNOWN, status=Status.WARN,
                severity=Severity.LOW, key="unlisted-domain",
                title="A Workspace domain the audit file does not name",
                detail=f"{d.name} is {kind} of Google Workspace {facts.customer_id} "
                       f"({'verified' if d.verified else 'not verified'}), but the audit "
                       "file lists it for nobody. Being verified in the business's "
                       "Workspace says where it is used, not whose it is: accounts on it "
                       "are judged unknown until it is added to the client's (or the "
                       "provider's) domains.",
                evidence=[domains.evidence(excerpt)])
    if not wanted:
        yield ctx.finding(asset=facts.asset, holder=Holder.UNKNOWN, status=Status.MANUAL,
                          severity=Severity.LOW, key="none-listed",
                          detail="The audit file lists no client domains to compare with "
                                 f"the Workspace's domains ({', '.join(sorted(held))}).",
                          evidence=[domains.evidence({"domains": sorted(held)})])


# MX hosts and verification TXT records that name a mail tenant (what the DNS area reads).
_MX_TENANTS = (("google.com", "Google Workspace"), ("googlemail.com", "Google Workspace"),
               ("mail.protection.outlook.com", "Microsoft 365"))
_TXT_TENANTS = (("google-site-verification=", "a Google account (Workspace or Search "
                                              "Console)"),
                ("ms=", "a Microsoft 365 tenant"))


def _tenant_hints(domain: str, dns: DnsFacts | None) -> tuple[str, list[Evidence]]:
    """Where to look for the tenant that holds a domain, from what the DNS area read."""
    if dns is None:
        return (f"Where to look: {domain}'s MX records (aspmx.l.google.com is Google "
                "Workspace, *.mail.protection.outlook.com is Microsoft 365) and its TXT "
                "records (google-site-verification=, MS=) name the tenant that verified "
                "it; add the domain to scan.domains so the DNS area reads them, then try "
                "adding it to this Workspace (see the steps).", [])
    found: list[str] = []
    evidence: list[Evidence] = []
    mx = [host for _, host in dns.mx_hosts]
    for host in mx:
        for suffix, tenant in _MX_TENANTS:
            if host.rstrip(".").lower().endswith(suffix):
                found.append(f"its mail goes to {tenant} (MX {host})")
                break
    if dns.mx.error is None:
        evidence.append(dns.mx.ok.evidence())
    if dns.txt.error is None:
        for record in dns.txt.ok.records:
            low = record.lower().strip('"')
            for prefix, tenant in _TXT_TENANTS:
                if low.startswith(prefix):
                    found.append(f"a TXT record verifies it for {tenant} ({record[:60]})")
        evidence.append(dns.txt.ok.evidence())
    if not found:
        return ("The DNS area read its MX and TXT records and neither names a Google or "
                "Microsoft tenant: try adding the domain to this Workspace (see the steps); "
                "Google says so if another account holds it.", evidence)
    return ("Where to look: " + "; ".join(dict.fromkeys(found)) + ". A mail tenant other "
            "than this Workspace holds it: ask the provider which account it is in.",
            evidence)


def _sensitive(scopes: tuple[str, ...]) -> list[str]:
    out = []
    for s in scopes:
        short = s.removeprefix("https://www.googleapis.com/auth/").removeprefix("https://")
        if short.startswith(SENSITIVE_SCOPE_PREFIXES):
            out.append(short)
    return out


@check(
    id="gws.apps.oauth_tokens",
    control="gws.apps",
    source="gws",
    severity=Severity.HIGH,
)
def oauth_tokens(facts: GwsFacts, ctx: CheckContext) -> Iterator[Finding]:
    account = facts.asset
    read = facts.tokens
    if read.error:
        yield ctx.error(account, read.error, key="tokens")
    else:
        tokens = read.ok
        for email, error in tokens.errors:
            yield ctx.error(Asset("google_user", email, email), error, key="tokens",
                            title=f"Not assessed: third-party apps of {email}")
        apps: dict[str, list[AppToken]] = {}
        for t in tokens.tokens:
            apps.setdefault(t.client_id, []).append(t)
        held = 0
        for client_id, grants in sorted(apps.items()):
            name = grants[0].display_text
            attribution = ctx.attribute(IdKind.GOOGLE_OAUTH_CLIENT, client_id, seen_in="",
                                        record=False)
            if attribution.holder is Holder.UNKNOWN:
                attribution = ctx.attribute(IdKind.ORG_NAME, name, seen_in="", record=False)
            if attribution.holder is Holder.UNKNOWN:
                by_words = _named_after_provider(
                    GwsUser("", "", name, False, False, False, False, None), ctx)
                attribution = by_words or attribution
            scopes = sorted({s for g in grants for s in g.scopes})
            sensitive = _sensitive(tuple(scopes))
            users = sorted({g.user for g in grants})
            asset = Asset("google_oauth_app", client_id, name)
            excerpt: dict[str, Any] = {"clientId": client_id, "displayText": name,
                                       "scopes": scopes, "users": users[:20]}
            if attribution.holder is Holder.PROVIDER and sensitive:
                held += 1
                yield ctx.finding(
                    asset=asset, holder=Holder.PROVIDER, status=Status.FAIL,
                    severity=Severity.HIGH,
                    detail=f"'{name}' ({attribution.reason}) was authorised by "
                           f"{len(users)} user(s) ({', '.join(users[:5])}) with access to "
                           f"{', '.join(sensitive)}.",
                    evidence=[read.evidence(excerpt)])
            elif attribution.holder is Holder.PROVIDER:
                held += 1
                yield ctx.finding(
                    asset=asset, holder=Holder.PROVIDER, status=Status.WARN,
                    severity=Severity.LOW,
                    detail=f"'{name}' ({attribution.reason}) was authorised by "
                           f"{len(users)} user(s) with scopes that do not reach mail, files "
                           "or the directory.", evidence=[read.evidence(excerpt)])
            elif sensitive and not grants[0].native_app:
                yield ctx.finding(
                    asset=asset, holder=Holder.UNKNOWN, status=Status.WARN,
                    severity=Severity.MEDIUM,
                    detail=f"'{name}' (client {client_id}) reaches "
                           f"{', '.join(sensitive)} for {len(users)} user(s). Find out "
                           "whose app it is; if it is the provider's, add its client id "
                           "to the provider's google_oauth_client_ids.",
                    evidence=[read.evidence(excerpt)])
        if not held and not tokens.errors:  # a pass only when every user's tokens were read
            yield ctx.finding(
                asset=account, holder=Holder.CLIENT, status=Status.PASS,
                severity=Severity.INFO, key="tokens",
                detail=f"No third-party app of the provider was found in the tokens of "
                       f"{len(tokens.users)} user(s) (every admin and a sample of other "
                       "users).",
                evidence=[read.evidence({"users_read": len(tokens.users),
                                                "apps": sorted(apps)})])
    yield ctx.finding(
        asset=account, holder=Holder.UNKNOWN, status=Status.MANUAL, severity=Severity.HIGH,
        key="domain-wide-delegation",
        title="Check domain-wide delegation in the Admin console",
        detail="Apps with domain-wide delegation can act as any user without a token "
               "showing up, and the Directory API cannot list them. Open Security > Access "
               "and data control > API controls > Manage Domain Wide Delegation and note "
               "every client id with its scopes; ask the provider which are its tools.",
        remediation=("In the Google Admin console open Security > Access and data "
                     "control > API controls > Manage Domain Wide Delegation.",
                     "For each client id listed, write down its name and scopes; ask the "
                     "provider which belong to its tools (remote management, backup, "
                     "lockin-audit's own service account is one you added).",
                     "On the cut-over date delete the provider's entries."))


@check(
    id="gws.billing.reseller",
    control="gws.billing",
    source="gws",
    severity=Severity.HIGH,
)
def reseller_billing(facts: GwsFacts, ctx: CheckContext) -> Iterator[Finding]:
    customer = facts.customer
    evidence = [] if customer.error else [customer.evidence(customer.ok.excerpt())]
    yield ctx.finding(
        asset=facts.asset, holder=Holder.UNKNOWN, status=Status.MANUAL,
        detail="Whether a reseller holds the Workspace subscription is not visible through "
               "the customer's APIs. Check Billing > Subscriptions in the Admin console as "
               "described in the steps.", evidence=evidence)
