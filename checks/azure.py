"""Azure: whose tenant the subscriptions live in, who bills them, who can manage them."""

from __future__ import annotations

from collections.abc import Iterator

from lockin_audit.check import CheckContext, check, status_for
from lockin_audit.facts import FetchError
from lockin_audit.identity import IdKind
from lockin_audit.microsoft_identity import attribute_address, attribute_principal, sentence
from lockin_audit.model import Asset, Evidence, Finding, Holder, Severity, Status
from lockin_audit.sources.azure import (
    AzureFacts,
    BillingInfo,
    ManagementGroup,
    RoleAssignment,
    Subscription,
    describe_scope,
)
from lockin_audit.sources.graph import GRAPH


def _subscriptions(facts: AzureFacts, ctx: CheckContext) -> Iterator[Subscription | Finding]:
    """The subscriptions, or one error finding when they could not be listed."""
    if facts.subscriptions.error:
        yield ctx.error(ctx.target.asset, facts.subscriptions.error)
        return
    yield from facts.subscriptions.ok


def _sub_evidence(facts: AzureFacts, sub: Subscription) -> list[Evidence]:
    return [facts.evidence(f"GET /subscriptions/{sub.id}", {
        "subscriptionId": sub.id, "displayName": sub.name, "tenantId": sub.tenant_id,
        "quotaId": sub.quota_id, "managedByTenants": list(sub.managed_by_tenants),
        "state": sub.state})]


def _provider_reaches(sub: Subscription, ctx: CheckContext) -> list[str]:
    """Signs that the provider is the partner on a subscription."""
    signs = []
    for tenant in sub.managed_by_tenants:
        if ctx.attribute(IdKind.AZURE_TENANT, tenant, "managedByTenants",
                         record=False).holder is Holder.PROVIDER:
            signs.append(f"managed by the provider's tenant {tenant}")
    if not sub.lighthouse.error:
        for a in sub.lighthouse.ok:
            if a.managing_tenant_id and ctx.attribute(
                    IdKind.AZURE_TENANT, a.managing_tenant_id, "Lighthouse",
                    record=False).holder is Holder.PROVIDER:
                signs.append(f"Lighthouse delegation to the provider's tenant "
                             f"{a.managing_tenant_id}")
    signs.extend(_provider_service_partners(ctx))
    return list(dict.fromkeys(signs))


def _graph_gap(ctx: CheckContext) -> str:
    """A sentence naming why the Graph partner facts are missing, or ''."""
    graph = ctx.dependency(GRAPH, ctx.target.id)
    problem = graph.error or graph.ok.partners.error
    return (f" The tenant's partner list (Graph) could not be read either: "
            f"{problem.describe()}.") if problem else ""


def _provider_service_partners(ctx: CheckContext) -> list[str]:
    """The provider's tenant as a service provider in the same tenant's cross-tenant
    access policy (Graph partner facts), when those were read. Only ever adds a sign:
    an unreadable policy takes nothing away."""
    graph = ctx.dependency(GRAPH, ctx.target.id)
    if graph.error or graph.ok.partners.error:
        return []
    out = []
    for p in graph.ok.partners.ok:
        if p.is_service_provider and ctx.attribute(
                IdKind.AZURE_TENANT, p.tenant_id, "cross-tenant access partner",
                record=False).holder is Holder.PROVIDER:
            out.append(f"the provider's tenant {p.display_name or p.tenant_id} is a service "
                       "provider partner of this directory")
    return out


@check(
    id="azure.tenant.subscription-tenant",
    control="azure.tenant",
    source="azure",
    severity=Severity.CRITICAL,
)
def subscription_tenant(facts: AzureFacts, ctx: CheckContext) -> Iterator[Finding]:
    found = False
    for sub in _subscriptions(facts, ctx):
        if isinstance(sub, Finding):
            yield sub
            return
        found = True
        if sub.tenant_id is None:
            # tenantId is optional in the list's answer (older api-versions and some CSP
            # listings omit it): unknown, a thing to check, not a failed read
            csp = " It is a CSP subscription: its partner may keep it in the partner's " \
                "directory." if sub.is_csp else ""
            yield ctx.finding(
                asset=sub.asset, holder=Holder.UNKNOWN, status=Status.MANUAL,
                severity=Severity.HIGH, evidence=_sub_evidence(facts, sub),
                title="Which directory holds a subscription: to check",
                detail=f"The subscription list does not say which directory (tenantId) "
                       f"{sub.name} ({sub.id}) belongs to.{csp} In the Azure portal open "
                       "Subscriptions, select it and read 'Parent management group' and "
                       "'Directory' on Overview; it should be your tenant.")
            continue
        owner = ctx.attribute(IdKind.AZURE_TENANT, sub.tenant_id,
                              f"tenant of subscription {sub.id}")
        detail = f"Subscription {sub.name} ({sub.id}) is in tenant {sub.tenant_id}"
        if owner.holder is Holder.CLIENT:
            yield ctx.finding(asset=sub.asset, holder=Holder.CLIENT, evidence=_sub_evidence(facts, sub),
                              detail=f"{detail}, yours.")
        elif owner.holder is Holder.PROVIDER:
            yield ctx.finding(asset=sub.asset, holder=Holder.PROVIDER,
                              evidence=_sub_evidence(facts, sub),
                              detail=f"{detail}, the provider's directory.")
        else:
            yield ctx.finding(asset=sub.asset, holder=owner.holder, status=Status.WARN,
                              evidence=_sub_evidence(facts, sub),
                              detail=f"{detail}, which is not one of yours: find out whose "
                                     "it is, or add it to the audit file.")
    for sub_id in facts.expected_missing:
        yield ctx.finding(
            asset=Asset("azure_subscription", f"/subscriptions/{sub_id}", sub_id),
            holder=Holder.UNKNOWN, status=Status.FAIL, severity=Severity.HIGH,
            key="missing",
            detail=f"Subscription {sub_id} is listed in the audit file but your sign-in to "
                   f"tenant {facts.tenant_id} cannot see it: it most likely lives in the "
                   "provider's directory, out of your reach.",
            evidence=[facts.evidence("GET /subscriptions", {"visible": [
                s.id for s in facts.subscriptions.ok] if not facts.subscriptions.error
                else [], "expected": sub_id})])
    if not found and not facts.expected_missing:
        yield ctx.finding(asset=ctx.target.asset, holder=Holder.CLIENT, status=Status.PASS,
                          severity=Severity.INFO, detail="No Azure subscriptions are visible "
                          "in this tenant.",
                          evidence=[facts.evidence("GET /subscriptions", {"value": []})])


@check(
    id="azure.billing.csp",
    control="azure.billing",
    source="azure",
    severity=Severity.HIGH,
    needs=(GRAPH,),
)
def billing(facts: AzureFacts, ctx: CheckContext) -> Iterator[Finding]:
    for sub in _subscriptions(facts, ctx):
        if isinstance(sub, Finding):
            yield sub
            return
        yield _billing_finding(facts, sub, ctx)


BILLING_PORTAL = ("In the Azure portal open Subscriptions, select the subscription, and "
                  "look at Overview: 'Offer' and 'Billing account'; then Cost Management + "
                  "Billing shows whose agreement and payment method pay for it. Write down "
                  "the billing account name and who its owner is.")
AGREEMENTS = {"MicrosoftPartnerAgreement": "a partner's Microsoft Partner Agreement (CSP)",
              "MicrosoftCustomerAgreement": "a Microsoft Customer Agreement",
              "EnterpriseAgreement": "an Enterprise Agreement",
              "MicrosoftOnlineServicesProgram": "a pay-as-you-go (Microsoft Online "
                                                "Services Program) account"}


def _billing_evidence(facts: AzureFacts, sub: Subscription, info: BillingInfo) -> Evidence:
    return facts.evidence(f"GET /subscriptions/{sub.id}/providers/Microsoft.Billing/"
                          "billingProperty/default", {
                              "billingAccountAgreementType": info.agreement_type,
                              "billingAccountDisplayName": info.account_name,
                              "billingTenantId": info.billing_tenant_id,
                              "accountAdminNotificationEmailAddress": info.admin_email})


def _tenant_name(ctx: CheckContext, tenant_id: str) -> str | None:
    """A tenant's name: its configured party, or the Graph partner list's name."""
    who = ctx.attribute(IdKind.AZURE_TENANT, tenant_id, "billing tenant", record=False)
    if who.party:
        return who.party
    graph = ctx.dependency(GRAPH, ctx.target.id)
    if not graph.error and not graph.ok.partners.error:
        for p in graph.ok.partners.ok:
            if p.tenant_id == tenant_id.lower() and p.display_name:
                return p.display_name
    return None


def _billing_words(info: BillingInfo, ctx: CheckContext) -> str:
    """'a Microsoft Customer Agreement (MicrosoftCustomerAgreement), billing account X
    in billing tenant <id> (name)': the agreement and the billing tenant, named."""
    agreement = AGREEMENTS.get(info.agreement_type or "", "")
    agreement = (f"{agreement} ({info.agreement_type})" if agreement else
                 f"an agreement of type {info.agreement_type}" if info.agreement_type else
                 "an agreement whose type is not reported")
    account = f"billing account {info.account_name}" if info.account_name else \
        "a billing account whose name is not reported"
    if info.billing_tenant_id:
        name = _tenant_name(ctx, info.billing_tenant_id)
        tenant = f"billing tenant {info.billing_tenant_id}" + (f" ({name})" if name else "")
    else:
        tenant = "a billing tenant that is not reported"
    return f"{agreement}, {account} in {tenant}"


def _billing_finding(facts: AzureFacts, sub: Subscription, ctx: CheckContext) -> Finding:
    evidence = _sub_evidence(facts, sub)
    offer = f"offer {sub.quota_id}" if sub.quota_id else "no offer reported"
    if sub.is_csp:
        signs = _provider_reaches(sub, ctx)
        known = ""
        if sub.billing is not None and not sub.billing.error:
            evidence.append(_billing_evidence(facts, sub, sub.billing.ok))
            known = f" It is billed through {_billing_words(sub.billing.ok, ctx)}."
        if signs:
            return ctx.finding(asset=sub.asset, holder=Holder.PROVIDER, evidence=evidence,
                               detail=f"{sub.name} is a CSP subscription ({sub.quota_id}) "
                                      f"whose partner is the provider ({'; '.join(signs)})."
                                      + known)
        return ctx.finding(asset=sub.asset, holder=Holder.THIRD_PARTY, status=Status.WARN,
                           evidence=evidence,
                           detail=f"{sub.name} is a CSP subscription ({sub.quota_id}) billed "
                                  f"by a partner.{known} Confirm in the Microsoft 365 admin "
                                  "centre (Billing, Your products) which partner that is."
                                  + _graph_gap(ctx))
    read = sub.billing
    problem = read.error if read is not None else None
    if problem and problem.kind != "denied":
        # throttled, unavailable, malformed: not "no billing role", a read that failed
        return ctx.error(sub.asset, problem, key="billing")
    if read is None or problem:
        why = (f" The billing account could not be read ({problem.describe()})."
               if problem else "")
        return ctx.finding(asset=sub.asset, holder=Holder.UNKNOWN, status=Status.MANUAL,
                           severity=Severity.MEDIUM, evidence=evidence,
                           detail=f"{sub.name} ({offer}) is not a CSP subscription, but "
                                  "the offer alone does not say whose agreement or card "
                                  f"pays for it.{why} {BILLING_PORTAL}")
    info = read.ok
    evidence.append(_billing_evidence(facts, sub, info))
    paid = _billing_words(info, ctx)
    attributions = []
    if info.billing_tenant_id:
        attributions.append(ctx.attribute(IdKind.AZURE_TENANT, info.billing_tenant_id,
                                           f"billing tenant of {sub.id}"))
    if info.admin_email:
        own = (facts.directory.ok.verified_domains
               if facts.directory is not None and not facts.directory.error else frozenset())
        attributions.append(attribute_address(ctx, info.admin_email, own,
                                              f"billing account admin of {sub.id}"))
    holders = {a.holder for a in attributions}
    reasons = "; ".join(a.reason for a in attributions)
    if info.agreement_type == "MicrosoftPartnerAgreement" or Holder.PROVIDER in holders:
        holder = Holder.PROVIDER if Holder.PROVIDER in holders or _provider_reaches(
            sub, ctx) else Holder.THIRD_PARTY
        return ctx.finding(asset=sub.asset, holder=holder,
                           status=Status.FAIL if holder is Holder.PROVIDER else Status.WARN,
                           evidence=evidence,
                           detail=f"{sub.name} is paid through {paid}"
                                  + (f": {reasons}." if reasons else "."))
    if holders == {Holder.CLIENT}:
        return ctx.finding(asset=sub.asset, holder=Holder.CLIENT, evidence=evidence,
                           detail=f"{sub.name} is paid through {paid}, the "
                                  f"business's: {reasons}.")
    return ctx.finding(asset=sub.asset, holder=Holder.UNKNOWN, status=Status.MANUAL,
                       severity=Severity.MEDIUM, evidence=evidence,
                       detail=f"{sub.name} is paid through {paid}, whose "
                              "owner could not be matched to the business"
                              + (f" ({reasons})" if reasons else "") + f". {BILLING_PORTAL}")


@check(
    id="azure.delegation.lighthouse",
    control="azure.delegation",
    source="azure",
    severity=Severity.HIGH,
)
def lighthouse(facts: AzureFacts, ctx: CheckContext) -> Iterator[Finding]:
    for sub in _subscriptions(facts, ctx):
        if isinstance(sub, Finding):
            yield sub
            return
        if sub.lighthouse.error:
            yield ctx.error(sub.asset, sub.lighthouse.error)
            continue
        delegations = sub.lighthouse.ok
        listed = {a.managing_tenant_id for a in delegations}
        for a in delegations:
            where = describe_scope(a.scope)
            if a.definition_error is not None or not a.managing_tenant_id:
                problem = a.definition_error or FetchError(
                    "azure", f"GET {a.id}", "the delegation's definition names no managing "
                    "tenant", kind="malformed")
                yield ctx.error(sub.asset, problem, key=a.id,
                                title="Not assessed: a Lighthouse delegation's details")
                continue
            who = ctx.attribute(IdKind.AZURE_TENANT, a.managing_tenant_id,
                                f"Lighthouse on {sub.id}")
            roles = sorted({f"{x.role}{' (eligible)' if x.eligible else ''} for {x.label}"
                            for x in a.authorizations})
            privileged = any(x.role in ("Owner", "User Access Administrator")
                             for x in a.authorizations)
            severity = Severity.CRITICAL if privileged else Severity.HIGH
            manager = (f"{a.managing_tenant_name} ({a.managing_tenant_id})"
                       if a.managing_tenant_name else f"Tenant {a.managing_tenant_id}")
            offer = f"the offer '{a.offer}'" if a.offer else "an unnamed offer"
            detail = (f"{manager} manages {where} of {sub.name} through {offer}: "
                      + ("; ".join(roles) if roles else "no authorizations listed") + ".")
            evidence = [facts.evidence(f"GET {a.id}", {
                "scope": a.scope, "managedByTenantId": a.managing_tenant_id,
                "managedByTenantName": a.managing_tenant_name, "offer": a.offer,
                "authorizations": [{"principal": x.label, "role": x.role,
                                    "eligible": x.eligible} for x in a.authorizations]})]
            yield ctx.finding(asset=sub.asset, holder=who.holder, key=a.id, detail=detail,
                              severity=severity, evidence=evidence,
                              status=Status.WARN if who.holder is Holder.UNKNOWN else None)
        for tenant in sub.managed_by_tenants:
            if tenant.lower() in listed:
                continue
            who = ctx.attribute(IdKind.AZURE_TENANT, tenant, f"managedByTenants of {sub.id}")
            yield ctx.finding(asset=sub.asset, holder=who.holder, key=f"managedBy:{tenant}",
                              evidence=_sub_evidence(facts, sub),
                              status=Status.WARN if who.holder is Holder.UNKNOWN else None,
                              detail=f"Tenant {tenant} is listed as managing {sub.name} "
                                     "(managedByTenants), though no delegation details are "
                                     "readable.")
        if not delegations and not sub.managed_by_tenants:
            yield ctx.finding(asset=sub.asset, holder=Holder.CLIENT,
                              evidence=_sub_evidence(facts, sub),
                              detail=f"No other tenant manages {sub.name} through Azure "
                                     "Lighthouse.")


@check(
    id="azure.access.role-assignments",
    control="azure.access",
    source="azure",
    severity=Severity.HIGH,
    needs=(GRAPH,),
)
def role_assignments(facts: AzureFacts, ctx: CheckContext) -> Iterator[Finding]:
    for sub in _subscriptions(facts, ctx):
        if isinstance(sub, Finding):
            yield sub
            return
        clean = True
        partner_signs = _provider_reaches(sub, ctx)
        if sub.role_definitions_error is not None:
            # built-in roles keep their names (fixed ids); a custom role's power is unknown
            yield ctx.error(sub.asset, sub.role_definitions_error, key="role-definitions",
                            title="Not assessed: the names of custom roles")
            clean = False
        judged_above = _groups_read(facts)
        for which, found_set in (("roles", sub.role_assignments),
                                 ("eligible", sub.eligible_assignments)):
            if found_set.error:
                yield ctx.error(sub.asset, found_set.error, key=which,
                                title="Not assessed: PIM-eligible roles on the subscription"
                                if which == "eligible" else None)
                clean = False
                continue
            for ra in found_set.ok:
                if ra.scope.rstrip("/").lower() in judged_above:
                    continue  # judged at its management group (azure.access.management-groups)
                found = _assignment_finding(ctx, facts, sub.asset, sub.name,
                                            ra.where(sub.id), ra, partner_signs)
                if found is not None:
                    clean = False
                    yield found
        if sub.classic_admins.error:
            yield ctx.error(sub.asset, sub.classic_admins.error, key="classic")
            clean = False
        else:
            for admin in sub.classic_admins.ok:
                who = ctx.attribute(IdKind.EMAIL, admin.email,
                                    f"classic administrator of {sub.id}")
                if who.holder is Holder.CLIENT:
                    continue
                clean = False
                yield ctx.finding(
                    asset=sub.asset, key=f"classic:{admin.email}", holder=who.holder,
                    severity=Severity.CRITICAL,
                    status=Status.WARN if who.holder is Holder.UNKNOWN else None,
                    detail=f"{admin.email} is a classic administrator ({admin.role}) of "
                           f"{sub.name}: full control of the subscription.",
                    evidence=[facts.evidence(f"GET /subscriptions/{sub.id}/providers/"
                                             "Microsoft.Authorization/classicAdministrators",
                                             {"emailAddress": admin.email,
                                              "role": admin.role})])
        if clean:
            unread = _groups_unread(facts)
            yield ctx.finding(asset=sub.asset, holder=Holder.CLIENT,
                              detail=f"The active role assignments and PIM-eligible roles "
                                     f"listed for {sub.name} (at the subscription, below it, "
                                     "and inherited from above"
                                     + (", those of readable management groups judged there"
                                        if judged_above else "")
                                     + ") and its classic administrators belong to the "
                                     "business's own directory."
                                     + (f" Not read: {'; '.join(unread)}. The assignments "
                                        "inherited from there are judged only as this "
                                        "subscription's own lists return them."
                                        if unread else ""),
                              evidence=_sub_evidence(facts, sub))


def _ra_evidence(facts: AzureFacts, ra: RoleAssignment, **extra: object) -> list[Evidence]:
    return [facts.evidence(f"GET {ra.id}", {
        "principalType": ra.principal_type, "principalId": ra.principal_id,
        "role": ra.role, "scope": ra.scope, **extra})]


def _groups_read(facts: AzureFacts) -> frozenset[str]:
    """Scopes whose assignments the management-group check judges (groups whose active
    and eligible assignments were both read; "/" with the root group)."""
    if facts.management_groups is None or facts.management_groups.error:
        return frozenset()
    out = set()
    for g in facts.management_groups.ok:
        if not g.role_assignments.error and not g.eligible_assignments.error:
            out.add(g.id.rstrip("/").lower())
            if g.is_root:
                out.add("")
    return frozenset(out)


def _groups_unread(facts: AzureFacts) -> list[str]:
    """The management-group reads that failed (the list, or a group's active or eligible
    assignments), named for a subscription's verdict."""
    if facts.management_groups is None:
        return []
    if facts.management_groups.error:
        return [facts.management_groups.error.describe()]
    return [found.error.describe() for g in facts.management_groups.ok
            for found in (g.role_assignments, g.eligible_assignments) if found.error]


def _assignment_finding(ctx: CheckContext, facts: AzureFacts, asset: Asset, name: str,
                        where: str, ra: RoleAssignment, partner_signs: list[str]
                        ) -> Finding | None:
    """A role assignment (or PIM eligibility) judged at its scope; None when it is the
    business's own. `asset` and `name`: the subscription or management group reported."""
    holds = ra.how
    severity = Severity.CRITICAL if ra.privileged else Severity.HIGH
    if ra.principal_type == "ForeignGroup":
        is_provider = bool(partner_signs)
        return ctx.finding(
            asset=asset, key=ra.id,
            holder=Holder.PROVIDER if is_provider else Holder.UNKNOWN,
            status=None if is_provider else Status.WARN, severity=severity,
            detail=f"A partner's admin-agent group (ForeignGroup {ra.principal_id}) {holds} "
                   f"{ra.role} on {where} of {name}"
                   + (f", and the provider is this subscription's partner "
                      f"({'; '.join(partner_signs)})." if is_provider
                      else ": find out which partner." + _graph_gap(ctx)),
            evidence=_ra_evidence(facts, ra))
    if ra.principal_type not in ("User", "Group", "ServicePrincipal"):
        return ctx.finding(
            asset=asset, key=ra.id, holder=Holder.UNKNOWN, status=Status.WARN,
            severity=severity,
            detail=f"A principal of type {ra.principal_type} ({ra.principal_id}) {holds} "
                   f"{ra.role} on {where} of {name}: find out whose it is.",
            evidence=_ra_evidence(facts, ra))
    read = facts.directory
    if read is None or read.error:
        problem = (read.error if read is not None else None) or FetchError(
            "azure", "POST /directoryObjects/getByIds", "the directory was not read",
            kind="error")
        return ctx.error(asset, problem, key=ra.id,
                         title="Not assessed: who holds a role on the subscription"
                         if asset.type == "azure_subscription" else
                         "Not assessed: who holds a role on the management group")
    directory = read.ok
    principal = directory.principals.get(ra.principal_id)
    if principal is None:
        return ctx.finding(
            asset=asset, key=ra.id, holder=Holder.UNKNOWN, status=Status.WARN,
            severity=Severity.MEDIUM if not ra.privileged else Severity.HIGH,
            detail=f"{ra.principal_type} {ra.principal_id} {holds} {ra.role} on {where} of "
                   f"{name}, but the directory does not return it (deleted, or in "
                   "another tenant): remove the assignment if nobody knows it.",
            evidence=_ra_evidence(facts, ra))
    who = attribute_principal(ctx, principal, directory.verified_domains, facts.tenant_id,
                              f"{ra.role} on {ra.scope}")
    if who.holder is Holder.CLIENT or (
            principal.kind == "user" and not principal.is_invited
            and who.holder is Holder.UNKNOWN):
        return None
    kind = ("guest" if principal.is_guest else
            {"servicePrincipal": "app", "group": "group"}.get(principal.kind, "account"))
    return ctx.finding(
        asset=asset, key=ra.id, holder=who.holder,
        status=status_for(who.holder) if who.holder is not Holder.THIRD_PARTY else Status.WARN,
        severity=severity,
        detail=f"The {kind} {principal.label()} {holds} {ra.role} on {where} of {name}. "
               f"{sentence(who.reason)}",
        evidence=_ra_evidence(facts, ra, principal=principal.excerpt()))


def _path(g: ManagementGroup, groups: tuple[ManagementGroup, ...]) -> str:
    """'Tenant Root Group > Production' (as far up as this identity can see)."""
    by_id = {x.id.lower(): x for x in groups}
    names, seen = [g.display_name], {g.id.lower()}
    parent = g.parent_id
    while parent and parent.lower() in by_id and parent.lower() not in seen:
        seen.add(parent.lower())
        names.append(by_id[parent.lower()].display_name)
        parent = by_id[parent.lower()].parent_id
    if parent:  # a parent this identity cannot read
        names.append(parent.rsplit("/", 1)[-1])
    return " > ".join(reversed(names))


@check(
    id="azure.access.management-groups",
    control="azure.access",
    source="azure",
    severity=Severity.CRITICAL,
    needs=(GRAPH,),
)
def management_group_access(facts: AzureFacts, ctx: CheckContext) -> Iterator[Finding]:
    if facts.management_groups is None:
        return
    if facts.management_groups.error:
        yield ctx.error(ctx.target.asset, facts.management_groups.error,
                        key="management-groups",
                        title="Not assessed: management groups and the access held at them")
        return
    groups = facts.management_groups.ok
    if not groups:
        yield ctx.finding(
            asset=ctx.target.asset, holder=Holder.CLIENT, status=Status.PASS,
            severity=Severity.INFO, key="management-groups",
            detail="This identity sees no management group; assignments inherited from "
                   "management groups are judged on each subscription that lists them.",
            evidence=[facts.evidence("GET /providers/Microsoft.Management/managementGroups",
                                     {"value": []})])
        return
    for g in groups:
        path = _path(g, groups)
        clean = True
        for which, found in (("roles", g.role_assignments),
                             ("eligible", g.eligible_assignments)):
            if found.error:
                clean = False
                yield ctx.error(g.asset, found.error, key=which,
                                title="Not assessed: PIM-eligible roles at a management group"
                                if which == "eligible" else
                                "Not assessed: role assignments at a management group")
                continue
            for ra in found.ok:
                where = (f"management group {path}" if ra.scope.strip("/") else
                         "the tenant root scope (/)") + " (every subscription below it)"
                finding = _assignment_finding(ctx, facts, g.asset, "the tenant", where, ra, [])
                if finding is not None:
                    clean = False
                    yield finding
        if clean:
            yield ctx.finding(
                asset=g.asset, holder=Holder.CLIENT, key="summary",
                detail=f"The active role assignments and PIM-eligible roles made at "
                       f"management group {path}"
                       + (" (and at the tenant root scope)" if g.is_root else "")
                       + " belong to the business's own directory."
                       + (f" Its own read failed ({g.parent.error.describe()}): whether it "
                          "is the tenant root group is unknown, so the assignments at the "
                          "tenant root scope (/) are not judged here but on each "
                          "subscription that lists them." if g.parent.error else ""),
                evidence=[facts.evidence(f"GET {g.id}", {
                    "id": g.id, "displayName": g.display_name, "parent": g.parent_id})])


@check(
    id="azure.partner-link.pal",
    control="azure.partner_link",
    source="azure",
    severity=Severity.LOW,
)
def partner_link(facts: AzureFacts, ctx: CheckContext) -> Iterator[Finding]:
    asset = ctx.target.asset
    request = "GET /providers/Microsoft.ManagementPartner/partners"
    read = facts.partner_link
    link = read.ok if read is not None and not read.error else None
    if read is not None and read.error:
        yield ctx.error(asset, read.error)
    elif link is not None:
        who = ctx.attribute(IdKind.PARTNER_ID, link.partner_id, "Partner Admin Link")
        name = f" ({link.partner_name})" if link.partner_name else ""
        yield ctx.finding(asset=asset, holder=who.holder, key="scanning-identity",
                          status=Status.MANUAL if who.holder is not Holder.PROVIDER else None,
                          evidence=[facts.evidence(request, {"partnerId": link.partner_id,
                                                             "partnerName": link.partner_name})],
                          detail=f"The identity running this scan is linked to partner "
                                 f"{link.partner_id}{name}. {sentence(who.reason)}")
    yield ctx.finding(
        asset=asset, holder=Holder.UNKNOWN, status=Status.MANUAL, key="provider-identities",
        title="Ask the provider about its Partner Admin Links",
        detail="The provider's Partner Admin Links are set on its own identities and cannot "
               "be read from your side: ask the provider which partner id it linked to "
               "your Azure, and have the links removed with its access.")


@check(
    id="azure.managed-apps.managed-by",
    control="azure.managed_apps",
    source="azure",
    severity=Severity.MEDIUM,
)
def managed_apps(facts: AzureFacts, ctx: CheckContext) -> Iterator[Finding]:
    for sub in _subscriptions(facts, ctx):
        if isinstance(sub, Finding):
            yield sub
            return
        yield from _managed_findings(facts, sub, ctx)


def _managed_findings(facts: AzureFacts, sub: Subscription,
                      ctx: CheckContext) -> Iterator[Finding]:
    nothing = True
    if sub.applications.error:
        yield ctx.error(sub.asset, sub.applications.error, key="applications")
        nothing = False
        apps = {}
    else:
        apps = {a.id.lower(): a for a in sub.applications.ok}
        for app in sub.applications.ok:
            nothing = False
            asset = Asset("azure_resource", app.id, app.name)
            if app.publisher_tenant_id:
                who = ctx.attribute(IdKind.AZURE_TENANT, app.publisher_tenant_id,
                                    f"publisher of {app.id}")
                holder, why = who.holder, who.reason
                publisher = f"tenant {app.publisher_tenant_id}"
            else:
                holder, why = Holder.UNKNOWN, "the answer names no publisher tenant"
                publisher = "an unnamed publisher"
            plan = f" (marketplace publisher id {app.plan_publisher})" if app.plan_publisher \
                else ""
            yield ctx.finding(asset=asset, holder=holder, key=app.id,
                              status=Status.WARN if holder is Holder.UNKNOWN else
                              status_for(holder),
                              detail=f"Managed application {app.name} in {sub.name} is "
                                     f"published by {publisher}{plan}: its publisher "
                                     f"controls the resources inside. {why}.",
                              evidence=[facts.evidence(f"GET {app.id}", {
                                  "publisherTenantId": app.publisher_tenant_id,
                                  "managedResourceGroupId": app.managed_resource_group,
                                  "plan.publisher": app.plan_publisher})])
    if sub.resources.error:
        yield ctx.error(sub.asset, sub.resources.error, key="resources",
                        title="Not assessed: resources managed by another resource")
        nothing = False
        own_ids: set[str] = set()
    else:
        own_ids = {r.id.lower() for r in sub.resources.ok}
    if sub.managed.error:
        yield ctx.error(sub.asset, sub.managed.error, key="resource-groups")
        return
    for group in sub.managed.ok:
        target = (group.managed_by or "").lower()
        name = group.id.rsplit("/", 1)[-1]
        asset = Asset("azure_resource", group.id, name)
        if target in apps:
            app = apps[target]
            holder = (ctx.attribute(IdKind.AZURE_TENANT, app.publisher_tenant_id,
                                    f"publisher of {app.id}", record=False).holder
                      if app.publisher_tenant_id else Holder.UNKNOWN)
            nothing = False
            yield ctx.finding(asset=asset, holder=holder, key=group.id,
                              status=Status.WARN if holder is Holder.UNKNOWN else
                              status_for(holder),
                              detail=f"Resource group {name} is the managed resource group "
                                     f"of the application {app.name}: its publisher controls "
                                     "the resources inside.",
                              evidence=[facts.evidence(f"GET {group.id}", {
                                  "managedBy": group.managed_by})])
        elif "/microsoft.solutions/applications/" in target:
            nothing = False
            if sub.applications.error:
                yield ctx.error(asset, sub.applications.error, key=group.id)
                continue
            yield ctx.finding(asset=asset, holder=Holder.UNKNOWN, status=Status.WARN,
                              key=group.id,
                              detail=f"Resource group {name} is managed by an application "
                                     "this sign-in cannot see (another subscription or "
                                     "tenant): find out who publishes it.",
                              evidence=[facts.evidence(f"GET {group.id}", {
                                  "managedBy": group.managed_by})])
        elif target in own_ids:
            continue  # managed by another resource of the business (e.g. a cluster)
        elif sub.resources.error:
            continue  # already reported: what manages it cannot be told
        else:
            nothing = False
            yield ctx.finding(asset=asset, holder=Holder.UNKNOWN, status=Status.WARN,
                              key=group.id,
                              detail=f"Resource group {name} is managed by something "
                                     "outside this subscription: find out what and whose.",
                              evidence=[facts.evidence(f"GET {group.id}", {
                                  "managedBy": group.managed_by})])
    if nothing:
        yield ctx.finding(asset=sub.asset, holder=Holder.CLIENT,
                          evidence=_sub_evidence(facts, sub),
                          detail=f"No managed application of another party manages resources "
                                 f"in {sub.name}.")
