"""Azure: whose tenant the subscriptions live in, who bills them, who can manage them."""

from __future__ import annotations

from collections.abc import Iterator

from lockin_audit.check import CheckContext, check
from lockin_audit.identity import IdKind
from lockin_audit.model import Asset, Evidence, Finding, Holder, Severity, Status
from lockin_audit.sources.azure import AzureFacts, RoleAssignment, Subscription
from lockin_audit.sources.graph import GraphFacts, Guest, ServicePrincipal
from lockin_audit.sources.interface import FetchError


def _subscriptions(facts: AzureFacts, ctx: CheckContext) -> Iterator[Subscription | Finding]:
    """The subscriptions, or one error finding when they could not be listed."""
    if isinstance(facts.subscriptions, FetchError):
        yield ctx.error(ctx.target.asset, facts.subscriptions)
        return
    yield from facts.subscriptions


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
    if not isinstance(sub.lighthouse, FetchError):
        for a in sub.lighthouse:
            if ctx.attribute(IdKind.AZURE_TENANT, a.managing_tenant_id, "Lighthouse",
                             record=False).holder is Holder.PROVIDER:
                signs.append(f"Lighthouse delegation to {a.managing_tenant_name or a.managing_tenant_id}")
    return signs


@check(
    id="azure.tenant.subscription-tenant",
    control="azure.tenant",
    source="azure",
    title="Which directory (tenant) each Azure subscription belongs to",
    severity=Severity.CRITICAL,
    risk="""An Azure subscription belongs to one directory (tenant), and whoever runs that
    directory decides who can sign in and manage everything in it. A subscription in the
    provider's directory is, in practice, the provider's: you cannot add your own staff
    or a new provider without it.""",
    remediation=(
        "Ask the provider to transfer the subscription to your directory (Azure portal, "
        "Subscriptions, Change directory), after you have an administrator there.",
        "Before the move, export the role assignments and managed identities: they are "
        "reset by a directory change, and Key Vaults must be re-pointed to the new tenant.",
        "Confirm afterwards that the subscription lists your tenant id.",
    ),
    references=("https://learn.microsoft.com/azure/role-based-access-control/transfer-subscription",),
)
def subscription_tenant(facts: AzureFacts, ctx: CheckContext) -> Iterator[Finding]:
    found = False
    for sub in _subscriptions(facts, ctx):
        if isinstance(sub, Finding):
            yield sub
            return
        found = True
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
                s.id for s in facts.subscriptions] if not isinstance(
                    facts.subscriptions, FetchError) else [], "expected": sub_id})])
    if not found and not facts.expected_missing:
        yield ctx.finding(asset=ctx.target.asset, holder=Holder.CLIENT, status=Status.PASS,
                          severity=Severity.INFO, detail="No Azure subscriptions are visible "
                          "in this tenant.",
                          evidence=[facts.evidence("GET /subscriptions", {"value": []})])


@check(
    id="azure.billing.csp",
    control="azure.billing",
    source="azure",
    title="Who bills the Azure subscription (Cloud Solution Provider)",
    severity=Severity.HIGH,
    risk="""A subscription bought through a Cloud Solution Provider is billed by that
    partner, not by Microsoft: the partner sets the price, can suspend it for an unpaid
    invoice, and the subscription cannot simply be moved to your own billing. Leaving the
    provider means a partner-to-partner transfer or a migration of the resources.""",
    remediation=(
        "Ask Microsoft or the new partner for a CSP-to-CSP transfer (Partner Center, "
        "billing transfer) or plan a move to a subscription you pay directly.",
        "Until then, make sure invoices are paid so the partner has no reason to suspend.",
        "Ask the provider for the subscription's billing history and reseller agreement.",
    ),
    references=("https://learn.microsoft.com/partner-center/transfer-azure-subscriptions-under-azure-plan",),
)
def billing(facts: AzureFacts, ctx: CheckContext) -> Iterator[Finding]:
    for sub in _subscriptions(facts, ctx):
        if isinstance(sub, Finding):
            yield sub
            return
        evidence = _sub_evidence(facts, sub)
        if not sub.is_csp:
            yield ctx.finding(asset=sub.asset, holder=Holder.CLIENT, evidence=evidence,
                              detail=f"{sub.name} is billed directly (offer {sub.quota_id}).")
            continue
        signs = _provider_reaches(sub, ctx)
        if signs:
            yield ctx.finding(asset=sub.asset, holder=Holder.PROVIDER, evidence=evidence,
                              detail=f"{sub.name} is a CSP subscription ({sub.quota_id}) whose "
                                     f"partner is the provider ({'; '.join(signs)}).")
        else:
            yield ctx.finding(asset=sub.asset, holder=Holder.THIRD_PARTY, status=Status.WARN,
                              evidence=evidence,
                              detail=f"{sub.name} is a CSP subscription ({sub.quota_id}) "
                                     "billed by a partner: confirm in the Microsoft 365 admin "
                                     "centre (Billing, Your products) which partner that is.")


@check(
    id="azure.delegation.lighthouse",
    control="azure.delegation",
    source="azure",
    title="Standing access through Azure Lighthouse",
    severity=Severity.HIGH,
    risk="""Azure Lighthouse lets another organisation's staff manage your subscription
    from their own directory, without accounts in yours. It does not show up among your
    users, and it lasts until someone removes it, including after the provider's contract
    ends.""",
    remediation=(
        "In the Azure portal, open 'Service providers', 'Delegations', and review each "
        "offer and its roles.",
        "When the provider leaves, remove the delegation (Service providers, Service "
        "provider offers, Remove): the subscription's Owner can do this at any time.",
        "Replace Owner or User Access Administrator delegations by the least role needed.",
    ),
    references=("https://learn.microsoft.com/azure/lighthouse/how-to/remove-delegation",),
)
def lighthouse(facts: AzureFacts, ctx: CheckContext) -> Iterator[Finding]:
    for sub in _subscriptions(facts, ctx):
        if isinstance(sub, Finding):
            yield sub
            return
        if isinstance(sub.lighthouse, FetchError):
            yield ctx.error(sub.asset, sub.lighthouse)
            continue
        listed = {a.managing_tenant_id for a in sub.lighthouse}
        for a in sub.lighthouse:
            who = ctx.attribute(IdKind.AZURE_TENANT, a.managing_tenant_id,
                                f"Lighthouse on {sub.id}")
            roles = sorted({f"{x.role}{' (eligible)' if x.eligible else ''} for "
                            f"{x.principal_name or x.principal_id}" for x in a.authorizations})
            privileged = any(x.role in ("Owner", "User Access Administrator")
                             for x in a.authorizations)
            severity = Severity.CRITICAL if privileged else Severity.HIGH
            detail = (f"{a.managing_tenant_name or a.managing_tenant_id} "
                      f"({a.managing_tenant_id}) manages {sub.name} through the offer "
                      f"'{a.offer}': {'; '.join(roles)}.")
            evidence = [facts.evidence(f"GET {a.id}", {
                "managedByTenantId": a.managing_tenant_id,
                "managedByTenantName": a.managing_tenant_name, "offer": a.offer,
                "authorizations": [{"principal": x.principal_name or x.principal_id,
                                    "role": x.role, "eligible": x.eligible}
                                   for x in a.authorizations]})]
            yield ctx.finding(asset=sub.asset, holder=who.holder, key=a.id, detail=detail,
                              severity=severity, evidence=evidence,
                              status=Status.WARN if who.holder is Holder.UNKNOWN else None)
        for tenant in sub.managed_by_tenants:
            if tenant in listed:
                continue
            who = ctx.attribute(IdKind.AZURE_TENANT, tenant, f"managedByTenants of {sub.id}")
            yield ctx.finding(asset=sub.asset, holder=who.holder, key=f"managedBy:{tenant}",
                              evidence=_sub_evidence(facts, sub),
                              status=Status.WARN if who.holder is Holder.UNKNOWN else None,
                              detail=f"Tenant {tenant} is listed as managing {sub.name} "
                                     "(managedByTenants), though no delegation details are "
                                     "readable.")
        if not sub.lighthouse and not sub.managed_by_tenants:
            yield ctx.finding(asset=sub.asset, holder=Holder.CLIENT,
                              evidence=_sub_evidence(facts, sub),
                              detail=f"No other tenant manages {sub.name}.")


@check(
    id="azure.access.role-assignments",
    control="azure.access",
    source="azure",
    title="Partner and provider access to Azure subscriptions",
    severity=Severity.HIGH,
    risk="""Role assignments decide who can change or delete your cloud resources. A
    'foreign group' is a partner's admin-agent group: everyone the partner puts in it can
    manage your subscription. Classic co-administrators with the provider's email have
    full control too. Owner or User Access Administrator can also lock you out.""",
    remediation=(
        "In the subscription's Access control (IAM), list the role assignments and remove "
        "the provider's when it leaves (after your own Owner is in place).",
        "Remove classic administrators (Subscriptions, Classic administrators) that are not "
        "yours.",
        "Replace standing partner access by time-limited access your staff approve.",
    ),
)
def role_assignments(facts: AzureFacts, ctx: CheckContext) -> Iterator[Finding]:
    guests, apps = _graph_principals(ctx)
    for sub in _subscriptions(facts, ctx):
        if isinstance(sub, Finding):
            yield sub
            return
        clean = True
        partner_is_provider = bool(_provider_reaches(sub, ctx))
        if isinstance(sub.role_assignments, FetchError):
            yield ctx.error(sub.asset, sub.role_assignments, key="roles")
            clean = False
        else:
            for ra in sub.role_assignments:
                if ra.principal_type in ("User", "ServicePrincipal"):
                    found = _principal_finding(ctx, facts, sub, ra, guests, apps)
                    if found is not None:
                        clean = False
                        yield found
                    continue
                if ra.principal_type != "ForeignGroup":
                    continue
                clean = False
                yield ctx.finding(
                    asset=sub.asset, key=ra.id,
                    holder=Holder.PROVIDER if partner_is_provider else Holder.UNKNOWN,
                    status=None if partner_is_provider else Status.WARN,
                    severity=Severity.CRITICAL if ra.privileged else Severity.HIGH,
                    detail=f"A partner's admin-agent group (ForeignGroup {ra.principal_id}) "
                           f"holds {ra.role} on {sub.name}"
                           + (" and the provider is this subscription's partner." if
                              partner_is_provider else ": find out which partner."),
                    evidence=[facts.evidence(f"GET {ra.id}", {
                        "principalType": ra.principal_type, "principalId": ra.principal_id,
                        "role": ra.role, "scope": ra.scope})])
        if isinstance(sub.classic_admins, FetchError):
            yield ctx.error(sub.asset, sub.classic_admins, key="classic")
            clean = False
        else:
            for admin in sub.classic_admins:
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
            yield ctx.finding(asset=sub.asset, holder=Holder.CLIENT,
                              detail=f"No partner group or foreign classic administrator "
                                     f"has access to {sub.name}.",
                              evidence=_sub_evidence(facts, sub))


def _graph_principals(ctx: CheckContext) -> tuple[dict[str, Guest], dict[str, ServicePrincipal]]:
    """Guests and foreign-owned apps of the same tenant, from the Graph source."""
    graph = ctx.facts_of("graph").get(ctx.target.id)
    if not isinstance(graph, GraphFacts):
        return {}, {}
    guests = {} if isinstance(graph.guests, FetchError) else {
        g.id: g for g in graph.guests.items}
    apps = {} if isinstance(graph.service_principals, FetchError) else {
        a.id: a for a in graph.service_principals.items}
    return guests, apps


def _principal_finding(ctx: CheckContext, facts: AzureFacts, sub: Subscription,
                       ra: RoleAssignment, guests: dict[str, Guest],
                       apps: dict[str, ServicePrincipal]) -> Finding | None:
    """A guest user or a foreign-owned app holding a role; None for the tenant's own."""
    guest, app = guests.get(ra.principal_id), apps.get(ra.principal_id)
    if guest is not None:
        who = ctx.attribute(IdKind.EMAIL, guest.email or guest.user_principal_name,
                            f"guest with {ra.role} on {sub.id}")
        label = f"guest {guest.display_name} ({guest.email or guest.user_principal_name})"
    elif app is not None:
        who = ctx.attribute(IdKind.AZURE_TENANT, app.owner_tenant_id,
                            f"owner of app {app.display_name} with {ra.role} on {sub.id}")
        label = (f"app {app.display_name}, registered in "
                 f"{app.owner_tenant_name or app.owner_tenant_id}")
    else:
        return None
    if who.holder is Holder.CLIENT:
        return None
    return ctx.finding(
        asset=sub.asset, key=ra.id, holder=who.holder,
        status=Status.WARN if who.holder is Holder.UNKNOWN else None,
        severity=Severity.CRITICAL if ra.privileged else Severity.HIGH,
        detail=f"The {label} holds {ra.role} on {sub.name}.",
        evidence=[facts.evidence(f"GET {ra.id}", {
            "principalType": ra.principal_type, "principalId": ra.principal_id,
            "role": ra.role, "scope": ra.scope})])


@check(
    id="azure.partner-link.pal",
    control="azure.partner_link",
    source="azure",
    title="Partner Admin Link on the scanning identity",
    severity=Severity.LOW,
    risk="""A Partner Admin Link ties an identity's work in your Azure to a partner, who
    earns recognition and sometimes incentives from your spending. A link to the outgoing
    provider on your own identities should go when the provider does.""",
    remediation=(
        "Sign in as the identity and remove the link (Azure portal, Link to a partner ID, "
        "or `az managementpartner delete`).",
    ),
)
def partner_link(facts: AzureFacts, ctx: CheckContext) -> Iterator[Finding]:
    link = facts.partner_link
    asset = ctx.target.asset
    if isinstance(link, FetchError):
        yield ctx.error(asset, link)
        return
    request = "GET /providers/Microsoft.ManagementPartner/partners"
    if link is None:
        yield ctx.finding(asset=asset, holder=Holder.CLIENT, evidence=[facts.evidence(
            request, {"status": 404, "meaning": "no partner linked"})],
            detail="The identity used for this scan is not linked to any partner.")
        return
    who = ctx.attribute(IdKind.PARTNER_ID, link.partner_id, "Partner Admin Link")
    yield ctx.finding(asset=asset, holder=who.holder,
                      status=Status.MANUAL if who.holder is not Holder.PROVIDER else None,
                      evidence=[facts.evidence(request, {"partnerId": link.partner_id,
                                                         "partnerName": link.partner_name})],
                      detail=f"The scanning identity is linked to partner {link.partner_id} "
                             f"({link.partner_name or 'no name'}).")


@check(
    id="azure.managed-apps.managed-by",
    control="azure.managed_apps",
    source="azure",
    title="Resources managed by someone else's application",
    severity=Severity.MEDIUM,
    risk="""A managed application (or a resource group with 'managed by' set) is run by its
    publisher: you cannot change or fully delete its resources, and the publisher keeps
    access. If the provider published it, your backups or tools inside it leave with the
    provider.""",
    remediation=(
        "List what each managed application holds (its managed resource group).",
        "Ask the publisher for an export of the data and a plan to replace the application "
        "before the contract ends.",
    ),
)
def managed_apps(facts: AzureFacts, ctx: CheckContext) -> Iterator[Finding]:
    for sub in _subscriptions(facts, ctx):
        if isinstance(sub, Finding):
            yield sub
            return
        if isinstance(sub.managed, FetchError):
            yield ctx.error(sub.asset, sub.managed)
            continue
        apps = [m for m in sub.managed if m.type.lower() == "microsoft.solutions/applications"]
        for app in apps:
            who = ctx.attribute(IdKind.ORG_NAME, app.publisher, f"publisher of {app.id}") \
                if app.publisher else None
            holder = who.holder if who else Holder.UNKNOWN
            yield ctx.finding(asset=Asset("azure_resource", app.id, app.id.rsplit("/", 1)[-1]),
                              holder=holder, key=app.id,
                              status=Status.WARN if holder is Holder.UNKNOWN else None,
                              detail=f"Managed application {app.id.rsplit('/', 1)[-1]} in "
                                     f"{sub.name} is published by {app.publisher or 'an unnamed publisher'}.",
                              evidence=[facts.evidence(f"GET {app.id}", {
                                  "type": app.type, "publisher": app.publisher})])
        groups = [m for m in sub.managed if m not in apps]
        for group in groups:
            app_name = (group.managed_by or "").rsplit("/", 1)[-1]
            owner_app = next((a for a in apps if a.id == group.managed_by), None)
            who = (ctx.attribute(IdKind.ORG_NAME, owner_app.publisher,
                                 f"publisher of {owner_app.id}", record=False)
                   if owner_app and owner_app.publisher else None)
            holder = who.holder if who else Holder.UNKNOWN
            yield ctx.finding(asset=Asset("azure_resource", group.id, group.id.rsplit("/", 1)[-1]),
                              holder=holder, key=group.id,
                              status=Status.WARN if holder is Holder.UNKNOWN else None,
                              detail=f"{group.id.rsplit('/', 1)[-1]} is managed by "
                                     f"{app_name or group.managed_by}: its publisher controls "
                                     "the resources inside.",
                              evidence=[facts.evidence(f"GET {group.id}", {
                                  "managedBy": group.managed_by})])
        if not sub.managed:
            yield ctx.finding(asset=sub.asset, holder=Holder.CLIENT,
                              evidence=_sub_evidence(facts, sub),
                              detail=f"Nothing in {sub.name} is managed by another party's "
                                     "application.")
