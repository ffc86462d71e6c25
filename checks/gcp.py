"""Google Cloud checks on the facts of the gcp source (one organization or project set).

Whose Workspace or Cloud Identity owns the organization, which projects live outside it,
who pays (and through which reseller), who holds IAM roles and where Google sends its
essential notices.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import replace
from typing import Any

from lockin_audit.check import CheckContext, check, status_for
from lockin_audit.facts import Fetched, FetchError
from lockin_audit.google_identity import (
    attribute_workspace_address,
    classify_service_account,
    workspace_domain,
)
from lockin_audit.identity import Attribution, IdKind
from lockin_audit.model import Asset, Evidence, Finding, Holder, Severity, Status
from lockin_audit.sources.gcp import (
    AccountProjects,
    BillingAccountFacts,
    GcpFacts,
    IamPolicy,
    Organization,
    OrganizationFacts,
    Project,
    ProjectFacts,
    billing_asset,
    organization_asset,
)
from lockin_audit.sources.gws import GWS, GwsFacts

BASIC_ROLES = frozenset({"roles/owner", "roles/editor"})
# Roles that let their holder grant itself anything else in the organization.
ADMIN_ROLES = frozenset({
    "roles/resourcemanager.organizationAdmin", "roles/iam.securityAdmin",
    "roles/resourcemanager.projectIamAdmin", "roles/resourcemanager.folderAdmin",
    "roles/billing.admin", "roles/iam.organizationRoleAdmin",
})


def _workspace_customers(ctx: CheckContext) -> frozenset[str]:
    """Customer ids of the Google Workspace accounts this scan read (the business's)."""
    return frozenset(str(facts.customer.ok.id) for facts in _workspaces(ctx)
                     if not facts.customer.error)


def _org_evidence(org_id: str, facts: GcpFacts, ctx: CheckContext) -> list[Evidence]:
    """What a judgement about an organization's owner rests on: the organization as
    Resource Manager showed it and, when its customer id matched the business's Workspace,
    that Workspace's customer record."""
    out: list[Evidence] = []
    org = next((o for o in facts.organizations_read if o.id == org_id), None)
    if org is None:
        return out
    out.append(facts.organizations.evidence(org.excerpt()))
    for gws in _workspaces(ctx):
        customer = gws.customer
        if not customer.error and customer.ok.id == org.directory_customer_id:
            out.append(customer.evidence(customer.ok.excerpt()))
    return out


def _scopes(facts: GcpFacts
            ) -> list[tuple[Asset, str, OrganizationFacts | ProjectFacts]]:
    """The organizations and projects whose policies and contacts were asked for, each with
    its asset and resource name (organizations first)."""
    out: list[tuple[Asset, str, OrganizationFacts | ProjectFacts]] = [
        (organization_asset(o.id, o.display_name), f"organizations/{o.id}", o)
        for o in facts.organization_facts]
    out += [(pf.project.asset, f"projects/{pf.project.project_id}", pf)
            for pf in facts.projects_read]
    return out


def _unread_scope(facts: GcpFacts, ctx: CheckContext) -> Iterator[Finding]:
    """Errors for what could not even be listed: the organizations (when none is
    configured, their policies and contacts were never read) and the projects."""
    if facts.organizations.error and not facts.organization_id:
        yield ctx.error(facts.asset, facts.organizations.error, key="organizations",
                        title=f"Not assessed: {ctx.meta.title} (organizations)")
    if facts.projects.error:
        yield ctx.error(facts.asset, facts.projects.error, key="projects")


def _workspace_errors(ctx: CheckContext) -> str:
    """Why the Workspace facts that could identify the business are missing, if they are."""
    deps = ctx.dependencies(GWS)
    problems = [e.describe() for e in deps.all_errors() if e.kind != "not_configured"]
    problems += [f.customer.error.describe() for f in deps.values.values()
                 if f.customer.error]
    return ("; the business's Google Workspace account could not be read to compare: "
            + "; ".join(problems)) if problems else ""


def _org_holder(org: Organization, ctx: CheckContext) -> Attribution:
    by_id = ctx.attribute(IdKind.GCP_ORGANIZATION, org.id,
                          seen_in=f"Google Cloud organization {org.id}", record=False)
    if by_id.holder is not Holder.UNKNOWN or not org.directory_customer_id:
        return by_id
    customer = org.directory_customer_id
    by_customer = ctx.attribute(IdKind.GOOGLE_CUSTOMER, customer,
                                seen_in=f"owner of Google Cloud organization {org.id}",
                                record=False)
    if by_customer.holder is Holder.UNKNOWN and customer in _workspace_customers(ctx):
        return Attribution(Holder.CLIENT, ctx.identity.client.name, IdKind.GOOGLE_CUSTOMER,
                           customer, f"{customer} is the Google Workspace account this scan "
                           "read as the business's", 0.9)
    ctx.identity.record(by_customer, f"owner of Google Cloud organization {org.id}",
                        ctx.meta.control)
    return by_customer


def _holder_of_org(org_id: str, facts: GcpFacts, ctx: CheckContext) -> Attribution:
    """Who an organization (by id) belongs to: configured ids first, then its owning
    Google customer when the organization is visible."""
    org = next((o for o in facts.organizations_read if o.id == org_id), None)
    if org is not None:
        return _org_holder(org, ctx)
    return ctx.attribute(IdKind.GCP_ORGANIZATION, org_id,
                         seen_in=f"Google Cloud organization {org_id}")


def _client_orgs(facts: GcpFacts, ctx: CheckContext) -> set[str]:
    """The organizations that belong to the business."""
    out = set(ctx.identity.client.gcp_organization_ids)
    candidates = {o.id for o in facts.organizations_read}
    if facts.organization_id:
        candidates.add(facts.organization_id)
    for org_id in candidates:
        if _holder_of_org(org_id, facts, ctx).holder is Holder.CLIENT:
            out.add(org_id)
    return out


@check(
    id="gcp.organization.owner",
    needs=(GWS,),
    control="gcp.organization",
    source="gcp",
    severity=Severity.CRITICAL,
)
def organization_owner(facts: GcpFacts, ctx: CheckContext) -> Iterator[Finding]:
    orgs = facts.organizations
    if orgs.error:
        yield ctx.error(facts.asset, orgs.error)
        return
    by_id = {o.id: o for o in orgs.ok}
    if facts.organization_id and facts.organization_id not in by_id:
        yield ctx.error(organization_asset(facts.organization_id), FetchError(
            "gcp", orgs.request, f"organization {facts.organization_id} is not among the "
            "organizations these credentials can see", kind="denied",
            permission="resourcemanager.organizations.get (Organization Viewer)"))
    chosen = [by_id[facts.organization_id]] if facts.organization_id in by_id else (
        [] if facts.organization_id else list(orgs.ok))
    for org in chosen:
        attribution = _org_holder(org, ctx)
        status = status_for(attribution.holder)
        severity = {Holder.PROVIDER: Severity.CRITICAL, Holder.CLIENT: Severity.INFO}.get(
            attribution.holder, Severity.HIGH)
        detail = (f"Organization {org.display_name or org.id} ({org.id}) belongs to Google "
                  f"customer {org.directory_customer_id or '(not shown)'}. "
                  f"{attribution.reason}.")
        if attribution.holder is Holder.UNKNOWN:
            status = Status.WARN
            detail = detail.rstrip(".") + _workspace_errors(ctx) + "."
            detail += (" Check in the Admin console of the business's Workspace (Account > "
                       "Account settings > Customer ID) whether that is the business's "
                       "account, and add it to client.google_customer_ids.")
        yield ctx.finding(asset=organization_asset(org.id, org.display_name or None),
                          holder=attribution.holder, status=status, severity=severity,
                          detail=detail, evidence=_org_evidence(org.id, facts, ctx))
    if not chosen and not facts.organization_id:
        yield ctx.finding(
            asset=facts.asset, holder=Holder.UNKNOWN, status=Status.WARN,
            severity=Severity.HIGH, key="no-organization",
            title="The Cloud projects have no organization",
            detail="These credentials see no Google Cloud organization. Projects without "
                   "one belong to the individual Google accounts that created them (often "
                   "the provider's staff).", evidence=[orgs.evidence({"organizations": []})])


def _failed_placements(facts: GcpFacts) -> dict[str, FetchError]:
    """The placement reads (projects.search rows, folders.get) that failed, by request."""
    return {p.project.organization.error.request: p.project.organization.error
            for p in facts.projects_read if p.project.organization.error}


def _placement(p: Project, failed: Mapping[str, FetchError]) -> Fetched[str | None]:
    """The organization a project sits in, as read. One read has one outcome: when the
    same read (the folders.get of a folder several projects share) is recorded as failed
    for another project, this project's placement rests on a failed read too."""
    if not p.organization.error and p.organization.request in failed:
        return Fetched.failure(failed[p.organization.request])
    return p.organization


def _placement_evidence(p: Project) -> Evidence:
    """The read a project's organization rests on: its own row of projects.search or
    projects.get when its parent is the organization (or none), else the folders.get
    that reached the organization through its folders."""
    org = None if p.organization.error else p.organization.ok
    if p.organization.error or p.organization.request == p.request:
        return Evidence("gcp", p.request, p.observed_at, p.excerpt())
    return p.organization.evidence({"projectId": p.project_id, "parent": p.parent,
                                    "organization": f"organizations/{org}" if org else None})


@check(
    id="gcp.organization.projects",
    needs=(GWS,),
    control="gcp.organization",
    source="gcp",
    severity=Severity.HIGH,
)
def projects_outside(facts: GcpFacts, ctx: CheckContext) -> Iterator[Finding]:
    for pid, error in facts.missing_projects:
        yield ctx.error(Asset("gcp_project", f"projects/{pid}"), error)
    projects = facts.projects
    if projects.error:
        yield ctx.error(facts.asset, projects.error)
        return
    own = _client_orgs(facts, ctx)
    failed = _failed_placements(facts)
    for pf in projects.ok:
        p = pf.project
        evidence = [_placement_evidence(p)]
        placed = _placement(p, failed)
        if placed.error:
            yield ctx.error(p.asset, placed.error, key="parent")
            continue
        org = placed.ok
        if org is None:
            yield ctx.finding(asset=p.asset, holder=Holder.UNKNOWN, status=Status.WARN,
                              severity=Severity.MEDIUM,
                              detail=f"Project {p.project_id} is in no organization: it "
                                     "belongs to the Google account that created it.",
                              evidence=evidence)
            continue
        if org in own:
            yield ctx.finding(asset=p.asset, holder=Holder.CLIENT, status=Status.PASS,
                              severity=Severity.INFO,
                              detail=f"Project {p.project_id} is in the business's "
                                     f"organization {org}.",
                              evidence=evidence + _org_evidence(org, facts, ctx))
            continue
        attribution = _holder_of_org(org, facts, ctx)
        holder = attribution.holder
        provider = holder is Holder.PROVIDER
        audited = (" (the organization this scan audits, whose owner is not identified: see "
                   "'Whose Google account owns the Cloud organization')"
                   if org == facts.organization_id and not provider else "")
        yield ctx.finding(asset=p.asset, holder=holder,
                          status=Status.FAIL if provider else Status.WARN,
                          severity=Severity.HIGH if provider else (
                              Severity.LOW if audited else Severity.MEDIUM),
                          detail=f"Project {p.project_id} is in organization "
                                 f"{org}{audited}, not one known to be the "
                                 f"business's. {attribution.reason}.", evidence=evidence)


def _account_holder(account_id: str, master: str | None, parent: str | None,
                    ctx: CheckContext, own_orgs: set[str], *,
                    record: bool) -> tuple[Attribution, Attribution | None]:
    """(who holds a billing account, who the reseller is for a sub-account): the audit
    file's ids first, then the organization the account lives in (`parent`). `record`:
    list an unidentified account (and the reseller) among the report's unknowns."""
    attribution = ctx.attribute(IdKind.GCP_BILLING_ACCOUNT, account_id,
                                seen_in=f"billing account {account_id}", record=False)
    reseller = ctx.attribute(IdKind.GCP_BILLING_ACCOUNT, master,
                             seen_in=f"reseller (master) of billing account {account_id}",
                             record=record) if master else None
    if attribution.holder is Holder.UNKNOWN and parent:
        org = parent.removeprefix("organizations/")
        if org in own_orgs:
            attribution = Attribution(Holder.CLIENT, ctx.identity.client.name,
                                      IdKind.GCP_BILLING_ACCOUNT, account_id,
                                      f"the account lives in the business's organization "
                                      f"{org}", 0.9)
        else:
            by_org = ctx.attribute(IdKind.GCP_ORGANIZATION, org, seen_in="", record=False)
            if by_org.holder is not Holder.UNKNOWN:
                attribution = by_org
    if record and attribution.holder is Holder.UNKNOWN:
        ctx.identity.record(attribution, f"billing account {account_id}", ctx.meta.control)
    return attribution, reseller


@check(
    id="gcp.billing.project_account",
    needs=(GWS,),
    control="gcp.billing",
    source="gcp",
    severity=Severity.CRITICAL,
)
def project_billing(facts: GcpFacts, ctx: CheckContext) -> Iterator[Finding]:
    projects = facts.projects
    if projects.error:
        yield ctx.error(facts.asset, projects.error)
        return
    accounts = {a.id: a for a in facts.billing_accounts}
    own = _client_orgs(facts, ctx)
    for pf in projects.ok:
        yield from _project_billing(pf, accounts, own, ctx)


def _project_billing(pf: ProjectFacts, accounts: Mapping[str, BillingAccountFacts],
                     own: set[str], ctx: CheckContext) -> Iterator[Finding]:
    p = pf.project
    if pf.billing.error:
        yield ctx.error(p.asset, pf.billing.error)
        return
    billing = pf.billing.ok
    if not billing.account_id:
        yield ctx.finding(asset=p.asset, holder=Holder.CLIENT, status=Status.PASS,
                          severity=Severity.INFO,
                          detail=f"Project {p.project_id} is linked to no billing account "
                                 "(its paid services are off).",
                          evidence=[pf.billing.evidence(billing.excerpt())])
        return
    account = accounts.get(billing.account_id)
    if account is None or account.account.error:
        problem = account.account.error if account is not None and account.account.error \
            else f"billing account {billing.account_id} was not read"
        yield ctx.error(p.asset, problem, key="account")
        return
    info = account.account.ok
    attribution, reseller = _account_holder(account.id, info.master, info.parent, ctx, own,
                                            record=True)
    evidence = [pf.billing.evidence(billing.excerpt()), account.account.evidence(info.excerpt())]
    name = f"{info.display_name} ({info.id})" if info.display_name else info.id
    if reseller is not None:
        by = reseller.party or "a reseller not named in the audit file"
        provider = reseller.holder is Holder.PROVIDER or attribution.holder is Holder.PROVIDER
        yield ctx.finding(
            asset=p.asset, holder=Holder.PROVIDER if provider else reseller.holder,
            status=Status.FAIL if provider else Status.WARN,
            severity=Severity.CRITICAL if provider else Severity.HIGH,
            title="A Cloud project is billed through a reseller's sub-account",
            detail=f"Project {p.project_id} is billed to {name}, a sub-account of the "
                   f"reseller account {info.master} ({by}). {reseller.reason}. The "
                   "reseller holds the billing relationship with Google.",
            evidence=evidence)
        return
    status = status_for(attribution.holder)
    severity = {Holder.PROVIDER: Severity.HIGH, Holder.CLIENT: Severity.INFO}.get(
        attribution.holder, Severity.MEDIUM)
    if attribution.holder is Holder.UNKNOWN:
        status = Status.WARN
    yield ctx.finding(asset=p.asset, holder=attribution.holder, status=status,
                      severity=severity,
                      detail=f"Project {p.project_id} is billed to {name}. "
                             f"{attribution.reason}.", evidence=evidence)


def _billing_path(account: AccountProjects, attribution: Attribution,
                  reseller: Attribution | None, project_id: str, enabled: bool) -> str:
    name = f"{account.display_name} ({account.account_id})" if account.display_name \
        else account.account_id
    whose = attribution.party or "holder not identified"
    path = f"billingAccounts/{account.account_id} '{name}' ({whose})"
    if account.master:
        path += (f", a sub-account of reseller account {account.master} "
                 f"({reseller.party if reseller and reseller.party else 'reseller not named'})")
    state = "billing enabled" if enabled else "billing disabled"
    return f"{path} -> projects/{project_id} ({state})"


@check(
    id="gcp.billing.projects_elsewhere",
    needs=(GWS,),
    control="gcp.billing",
    source="gcp",
    severity=Severity.HIGH,
)
def billed_projects_elsewhere(facts: GcpFacts, ctx: CheckContext) -> Iterator[Finding]:
    visible = facts.visible_accounts
    if visible is None:
        return  # facts recorded before this read existed
    if visible.error:
        yield ctx.error(facts.asset, visible.error, key="billing-accounts",
                        title="Not assessed: which billing accounts the business can see")
    own = _client_orgs(facts, ctx)
    if not facts.account_projects and not visible.error:
        yield ctx.finding(
            asset=facts.asset, holder=Holder.UNKNOWN, status=Status.MANUAL,
            severity=Severity.MEDIUM, key="no-billing-accounts",
            title="No billing account to look for the projects the business pays for",
            detail="These credentials see no Cloud Billing account (billingAccounts.list "
                   "returned none) and the audit file names none for the business "
                   "(client.gcp_billing_account_ids), so projects the business pays for "
                   "outside its organization were not looked for. Grant the audit identity "
                   "Billing Account Viewer on the business's billing accounts, or list them "
                   "in the audit file.",
            evidence=[visible.evidence({"billingAccounts": []})])
    for account in facts.account_projects:
        if account.projects.error:
            yield ctx.error(account.asset, account.projects.error, key="projects")
            continue
        attribution, reseller = _account_holder(account.account_id, account.master,
                                                account.parent, ctx, own, record=False)
        if attribution.holder in (Holder.PROVIDER, Holder.THIRD_PARTY):
            continue  # the provider's own account: its projects are judged where read
        listed = account.projects
        outside = 0
        elsewhere_own: list[str] = []
        for billed in listed.ok:
            if billed.project is None:
                continue  # read by this scan: judged by the organization checks
            path = _billing_path(account, attribution, reseller, billed.project_id,
                                 billed.billing_enabled)
            asset = Asset("gcp_project", f"projects/{billed.project_id}")
            excerpt = {"projectId": billed.project_id,
                       "billingAccountName": f"billingAccounts/{account.account_id}",
                       "billingEnabled": billed.billing_enabled}
            evidence = [listed.evidence(excerpt)]
            if billed.project.error:
                outside += 1
                yield ctx.error(asset, replace(billed.project.error, reason=(
                    f"{billed.project.error.reason}; the project is billed as {path}, but "
                    "where it sits could not be read: it may be in an organization these "
                    "credentials cannot see")), key="parent",
                    title="Not assessed: where a project the business pays for sits")
                continue
            project = billed.project.ok
            evidence.append(billed.project.evidence(project.excerpt()))
            parent = project.parent or "no parent (no organization)"
            if project.organization.error:
                outside += 1
                yield ctx.error(asset, replace(project.organization.error, reason=(
                    f"{project.organization.error.reason}; project {billed.project_id} "
                    f"(parent {parent}) is billed as {path}")), key="parent",
                    title="Not assessed: where a project the business pays for sits")
                continue
            org = project.organization.ok
            if org in own:
                elsewhere_own.append(f"{billed.project_id} ({org})")
                continue
            outside += 1
            if org is None:
                yield ctx.finding(
                    asset=project.asset, holder=Holder.UNKNOWN, status=Status.WARN,
                    severity=Severity.HIGH, key="billed",
                    title="A project the business pays for is in no organization",
                    detail=f"Project {billed.project_id} has {parent}: it belongs to the "
                           f"Google account that created it. Billing path: {path}.",
                    evidence=evidence)
                continue
            by_org = _holder_of_org(org, facts, ctx)
            provider = by_org.holder is Holder.PROVIDER
            yield ctx.finding(
                asset=project.asset, holder=by_org.holder,
                status=Status.FAIL if provider else Status.WARN,
                severity=Severity.HIGH if provider else Severity.MEDIUM, key="billed",
                title="A project the business pays for sits in another organization",
                detail=f"Project {billed.project_id} sits in organization "
                       f"{org} (parent {parent}), not the business's. "
                       f"{by_org.reason}. Billing path: {path}.", evidence=evidence)
        if not outside:
            yield ctx.finding(
                asset=account.asset, holder=Holder.CLIENT, status=Status.PASS,
                severity=Severity.INFO, key="summary",
                detail=f"Every project linked to billing account {account.account_id} "
                       f"({len(listed.ok)} listed by billingAccounts.projects.list) is in "
                       "this scan's scope or in the business's organizations"
                       + (f" (outside this scan's scope: {', '.join(elsewhere_own)})"
                          if elsewhere_own else "") + ".",
                evidence=[listed.evidence({"projects": [b.project_id
                                                        for b in listed.ok][:50]})])


def _workspaces(ctx: CheckContext) -> list[GwsFacts]:
    return list(ctx.dependencies(GWS).values.values())


def project_holder(project_id: str, facts: GcpFacts, ctx: CheckContext,
                   seen_in: str) -> Attribution | FetchError:
    """Who holds a project: the audit file's project ids first; then, for a project this
    scan read, the holder of the organization it sits in (none: unknown). The FetchError
    when what decides it could not be read (the projects, or the project's organization)."""
    configured = ctx.attribute(IdKind.GCP_PROJECT, project_id, seen_in=seen_in, record=False)
    if configured.holder is not Holder.UNKNOWN:
        return configured
    if facts.projects.error:
        return facts.projects.error
    read = {pf.project.project_id: pf.project for pf in facts.projects_read}
    project = read.get(project_id)
    if project is None:
        ctx.identity.record(configured, seen_in, ctx.meta.control)
        return Attribution(Holder.UNKNOWN, None, IdKind.GCP_PROJECT, project_id,
                           f"project {project_id} is not one this scan read and the audit "
                           "file does not name it", 0.0)
    placed = _placement(project, _failed_placements(facts))
    if placed.error:
        return placed.error
    org = placed.ok
    if org is None:
        return Attribution(Holder.UNKNOWN, None, IdKind.GCP_PROJECT, project_id,
                           f"project {project_id} is in no organization the scan could "
                           "read, so whoever created it holds it", 0.0)
    if org in _client_orgs(facts, ctx):
        return Attribution(Holder.CLIENT, ctx.identity.client.name, IdKind.GCP_PROJECT,
                           project_id, f"project {project_id} is in the business's "
                           f"organization {org}", 0.9)
    by_org = _holder_of_org(org, facts, ctx)
    return Attribution(by_org.holder, by_org.party, IdKind.GCP_PROJECT, project_id,
                       f"project {project_id} is in organization {org}: "
                       f"{by_org.reason}", min(by_org.confidence, 0.9), by_org.category)


def _service_account(value: str, facts: GcpFacts, ctx: CheckContext,
                     seen_in: str) -> Attribution | FetchError | None:
    """A service account by the project it lives in; None for a Google service agent
    serving one of the projects or organizations this scan read; the FetchError when the
    project that decides it could not be read."""
    sa = classify_service_account(value)
    read = {pf.project.number: pf.project.project_id for pf in facts.projects_read}
    if sa.kind == "service_agent":
        if sa.project_number is not None and sa.project_number not in read:
            if facts.projects.error:
                return facts.projects.error
            return Attribution(Holder.UNKNOWN, None, IdKind.GCP_PROJECT, sa.project_number,
                               f"{value} is Google's service agent for project number "
                               f"{sa.project_number}, which this scan did not read: that "
                               "project's workloads act through it", 0.0)
        if sa.organization_id is not None:
            org = _holder_of_org(sa.organization_id, facts, ctx)
            if org.holder is not Holder.CLIENT and \
                    sa.organization_id not in _client_orgs(facts, ctx):
                return Attribution(org.holder, org.party, IdKind.GCP_ORGANIZATION,
                                   sa.organization_id, f"{value} is Google's service agent "
                                   f"for organization {sa.organization_id}: {org.reason}",
                                   org.confidence, org.category)
        return None  # Google's own, serving the business's own projects
    project = sa.project_id or (read.get(sa.project_number) if sa.project_number else None)
    what = (f"{value} is the {sa.name} of project {project or sa.project_number}"
            if sa.kind == "default" else f"{value} is a service account of project "
            f"{project}")
    if project is None:
        if sa.project_number is not None:
            if facts.projects.error:
                return facts.projects.error
            return Attribution(Holder.UNKNOWN, None, IdKind.GCP_PROJECT, sa.project_number,
                               f"{what}, a project this scan did not read (only its number "
                               "is in the address): whoever holds that project holds the "
                               "account", 0.0)
        return Attribution(Holder.UNKNOWN, None, IdKind.ORG_NAME, value,
                           f"{value} names no project", 0.0)
    holder = project_holder(project, facts, ctx, seen_in)
    if isinstance(holder, FetchError):
        return holder
    return Attribution(holder.holder, holder.party, IdKind.GCP_PROJECT, project,
                       f"{what}, so it is held by whoever holds the project: "
                       f"{holder.reason}", holder.confidence, holder.category)


def _member_attribution(member: str, facts: GcpFacts, ctx: CheckContext,
                        seen_in: str) -> tuple[Attribution | FetchError | None, str]:
    """(who a member is, or None for Google's own service agents and deleted principals,
    or the FetchError of the read that would decide it; its kind)."""
    kind, _, value = member.partition(":")
    if kind in ("user", "group"):
        return attribute_workspace_address(ctx, value, _workspaces(ctx), seen_in), kind
    if kind == "domain":
        found = workspace_domain(ctx, value, _workspaces(ctx))
        if found is None:
            found = ctx.attribute(IdKind.DOMAIN, value, seen_in=seen_in)
        return found, kind
    if kind == "serviceAccount":
        return _service_account(value, facts, ctx, seen_in), kind
    if member in ("allUsers", "allAuthenticatedUsers"):
        return Attribution(Holder.UNKNOWN, None, IdKind.ORG_NAME, member,
                           "anyone on the internet" if member == "allUsers" else
                           "anyone with a Google account", 0.0), "public"
    if kind.startswith("deleted"):
        return None, kind
    return Attribution(Holder.UNKNOWN, None, IdKind.ORG_NAME, member,
                       "a federated or other principal", 0.0), kind


def _unplaced(ctx: CheckContext, asset: Asset, error: FetchError, key: str,
              what: str) -> Finding:
    """The error for a principal whose holder rests on a project read that failed."""
    return ctx.error(asset, replace(error, reason=(
        f"{what}, but whose it is could not be decided: that rests on the project the "
        f"principal belongs to, which could not be read: {error.reason}")), key=key,
        title=f"Not assessed: {ctx.meta.title} (who holds a principal)")


@check(
    id="gcp.access.iam",
    needs=(GWS,),
    control="gcp.access",
    source="gcp",
    severity=Severity.CRITICAL,
)
def iam_access(facts: GcpFacts, ctx: CheckContext) -> Iterator[Finding]:
    yield from _unread_scope(facts, ctx)
    for asset, _, scope in _scopes(facts):
        if scope.iam.error:
            yield ctx.error(asset, scope.iam.error)
            continue
        yield from _policy_findings(asset, scope.iam, facts, ctx)


def _policy_findings(asset: Asset, read: Fetched[IamPolicy], facts: GcpFacts,
                     ctx: CheckContext) -> Iterator[Finding]:
    policy = read.ok
    roles_of: dict[str, list[str]] = {}
    for b in policy.bindings:
        for m in b.members:
            roles_of.setdefault(m, []).append(b.role + (f" (if {b.condition})"
                                                        if b.condition else ""))
    foreign = 0
    for member, roles in sorted(roles_of.items()):
        seen_in = f"IAM policy of {policy.resource}"
        attribution, kind = _member_attribution(member, facts, ctx, seen_in)
        key = f"{policy.resource}|{member}"
        if isinstance(attribution, FetchError):
            # whose it is rests on a read that failed: not judged, never "unknown"
            foreign += 1
            yield _unplaced(ctx, asset, attribution, key,
                            f"{member} holds {', '.join(roles)} on {policy.resource}")
            continue
        if attribution is None or attribution.holder in (Holder.CLIENT, Holder.THIRD_PARTY):
            continue
        strong = any(r.split(" ")[0] in BASIC_ROLES | ADMIN_ROLES for r in roles)
        excerpt: dict[str, Any] = {"member": member, "roles": roles}
        if attribution.holder is Holder.PROVIDER:
            foreign += 1
            yield ctx.finding(
                asset=asset, holder=Holder.PROVIDER, status=Status.FAIL,
                severity=Severity.CRITICAL if strong else Severity.HIGH, key=key,
                title="The provider holds IAM roles in the business's cloud",
                detail=f"{member} holds {', '.join(roles)} on {policy.resource}. "
                       f"{attribution.reason}.", evidence=[read.evidence(excerpt)])
        else:
            foreign += 1
            yield ctx.finding(
                asset=asset, holder=Holder.UNKNOWN, status=Status.WARN,
                severity=Severity.HIGH if strong or kind == "public" else Severity.MEDIUM,
                key=key, title="An unidentified principal holds IAM roles",
                detail=f"{member} holds {', '.join(roles)} on {policy.resource}. "
                       f"{attribution.reason}: find out whose it is.",
                evidence=[read.evidence(excerpt)])
    if not foreign:
        yield ctx.finding(asset=asset, holder=Holder.CLIENT, status=Status.PASS,
                          severity=Severity.INFO, key=f"{policy.resource}|summary",
                          detail=f"Every principal in the IAM policy of {policy.resource} "
                                 "is the business's own (or a Google-managed service "
                                 "agent).",
                          evidence=[read.evidence({"members": sorted(roles_of)[:50],
                                                     "count": len(roles_of)})])


@check(
    id="gcp.billing.account_admins",
    needs=(GWS,),
    control="gcp.billing",
    source="gcp",
    severity=Severity.HIGH,
)
def billing_admins(facts: GcpFacts, ctx: CheckContext) -> Iterator[Finding]:
    # The accounts are those the projects are billed to: where that could not be read,
    # nobody can say who administers what pays for them.
    if facts.projects.error:
        yield ctx.error(facts.asset, facts.projects.error, key="projects")
    else:
        for pf in facts.projects.ok:
            if pf.billing.error:
                yield ctx.error(pf.project.asset, pf.billing.error, key="billing-account",
                                title="Not assessed: who administers this project's billing "
                                      "account")
    for account in facts.billing_accounts:
        asset = billing_asset(account.id, None if account.account.error
                              else account.account.ok.display_name or None)
        if account.iam.error:
            yield ctx.error(asset, account.iam.error)
            continue
        admins = sorted({m for b in account.iam.ok.bindings if b.role == "roles/billing.admin"
                         for m in b.members})
        own = held = 0
        for member in admins:
            attribution, _ = _member_attribution(member, facts, ctx,
                                                 f"billing admin of {account.id}")
            if isinstance(attribution, FetchError):
                held += 1  # not judged: the summary must not say none is foreign
                yield _unplaced(ctx, asset, attribution, member, f"{member} is Billing "
                                f"Account Administrator of {account.id}")
                continue
            if attribution is None:
                continue
            if attribution.holder is Holder.CLIENT:
                own += 1
            elif attribution.holder is Holder.PROVIDER:
                held += 1
                yield ctx.finding(asset=asset, holder=Holder.PROVIDER, status=Status.FAIL,
                                  key=member,
                                  detail=f"{member} is Billing Account Administrator of "
                                         f"{account.id}. {attribution.reason}.",
                                  evidence=[account.iam.evidence({"role": "roles/billing.admin",
                                                                  "member": member})])
        evidence = [account.iam.evidence({"roles/billing.admin": admins})]
        if own:
            yield ctx.finding(asset=asset, holder=Holder.CLIENT, status=Status.PASS,
                              severity=Severity.INFO, key="summary",
                              detail=f"{own} of the account's administrators are the "
                                     "business's own.", evidence=evidence)
        elif not held:
            yield ctx.finding(asset=asset, holder=Holder.UNKNOWN, status=Status.WARN,
                              key="summary",
                              detail=f"None of the {len(admins)} administrator(s) of billing "
                                     f"account {account.id} is the business's own account "
                                     "(a sub-account's administrators may sit at the "
                                     "reseller).", evidence=evidence)


@check(
    id="gcp.contacts.essential",
    needs=(GWS,),
    control="gcp.contacts",
    source="gcp",
    severity=Severity.MEDIUM,
)
def essential_contacts(facts: GcpFacts, ctx: CheckContext) -> Iterator[Finding]:
    yield from _unread_scope(facts, ctx)
    for asset, resource, scope in _scopes(facts):
        contacts = scope.contacts
        if contacts.error:
            yield ctx.error(asset, contacts.error)
            continue
        held = 0
        for c in contacts.ok:
            attribution = attribute_workspace_address(
                ctx, c.email, _workspaces(ctx), f"Essential Contacts of {resource}")
            if attribution.holder is Holder.CLIENT:
                continue
            held += 1
            provider = attribution.holder is Holder.PROVIDER
            yield ctx.finding(
                asset=asset, holder=attribution.holder,
                status=Status.FAIL if provider else Status.WARN,
                severity=Severity.MEDIUM if provider else Severity.LOW, key=c.email,
                detail=f"{c.email} receives {', '.join(c.categories) or 'no'} notices for "
                       f"{resource}. {attribution.reason}.",
                evidence=[contacts.evidence({"email": c.email,
                                             "notificationCategorySubscriptions":
                                                 list(c.categories)})])
        if not held:
            detail = (f"Every Essential Contact of {resource} is the business's own."
                      if contacts.ok else
                      f"{resource} has no Essential Contacts of its own: notices go to the "
                      "contacts inherited from its organization or to its IAM owners.")
            yield ctx.finding(asset=asset, holder=Holder.CLIENT, status=Status.PASS,
                              severity=Severity.INFO, key="summary", detail=detail,
                              evidence=[contacts.evidence({"contacts": [
                                  c.email for c in contacts.ok]})])
