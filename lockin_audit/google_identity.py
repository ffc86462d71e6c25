"""Who a Google Workspace address or domain, or a Google Cloud service account, belongs to:
shared by the gws and gcp checks.

Rules beyond the generic identity matching (`lockin_audit.identity`):
- a domain is attributed by the configured parties first (the client's and providers'
  domains); then a domain named like a provider's (its registrable label is a provider
  domain's label, or a provider's name or alias written as one word: `bobsit.net` when the
  provider is `bobsit.example`) is that provider's, wherever it is verified; then the
  primary domain of a Workspace this scan read as the business's is the business's. A
  secondary or alias domain verified in that Workspace is only a fact: it is not the
  business's until the audit file says so (unknown, with where it was seen);
- an address is the configured party's (exact `emails:`), a personal mailbox
  (consumer mail service: unknown, never the vendor), or judged by its domain as above;
- an admin account is judged by every address and number that can recover or reach it
  (primaryEmail, recoveryEmail, recoveryPhone, emails[], phones[]): the worst decides
  (provider, then unknown, then a vendor, then the business), and the judgement names the
  field that decided. A phone number no party lists decides nothing (phones are rarely
  configured); one a party lists does;
- a service account is a Google service agent only when its domain is one of Google's
  documented service-agent domains (`data/google_service_agents.yaml`, from
  cloud.google.com/iam/docs/service-agents); every other service account, the App Engine
  and Compute Engine default service accounts included, belongs to the project it lives
  in, and so to whoever holds that project.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import resources

from lockin_audit.check import CheckContext
from lockin_audit.identity import Attribution, IdKind, Party, registrable_domain
from lockin_audit.model import Holder
from lockin_audit.sources.gws import GwsFacts, GwsUser

# worst first: what decides an account reached through several addresses
_RANK = {Holder.PROVIDER: 3, Holder.UNKNOWN: 2, Holder.THIRD_PARTY: 1, Holder.CLIENT: 0}


# ---------------------------------------------------------------------------------------
# domains and addresses


def _label(domain: str) -> str:
    base = registrable_domain(domain) or domain
    return base.split(".", 1)[0]


def _provider_labels(party: Party) -> set[str]:
    labels = {n.replace(" ", "") for n in party.org_names if len(n.replace(" ", "")) >= 4}
    labels.update(_label(d) for d in party.domains if "." in d)
    return {x for x in labels if len(x) >= 4}


def provider_named_domain(ctx: CheckContext, domain: str) -> tuple[Party, str] | None:
    """(provider, the label it matched) when a domain is named like a provider's: its
    registrable label, hyphens dropped, equals a provider domain's label or the provider's
    name or alias as one word; or one of its hyphen-separated words is a provider domain's
    label. Whole labels and words only, never substrings."""
    label = _label(domain.lower().rstrip("."))
    words = label.split("-")
    for party in ctx.identity.providers:
        labels = _provider_labels(party)
        domain_labels = {_label(d) for d in party.domains if "." in d}
        if label.replace("-", "") in labels:
            return party, label
        hit = next((w for w in words if w in domain_labels and len(w) >= 4), None)
        if hit is not None:
            return party, hit
    return None


def workspace_domain(ctx: CheckContext, domain: str,
                     workspaces: Iterable[GwsFacts]) -> Attribution | None:
    """Who a domain seen in Google belongs to, or None when neither the audit file, the
    provider's naming nor a Workspace this scan read says anything about it."""
    domain = domain.lower().rstrip(".")
    configured = ctx.attribute(IdKind.DOMAIN, domain, seen_in="", record=False)
    if configured.holder is not Holder.UNKNOWN:
        return configured
    named = provider_named_domain(ctx, domain)
    if named is not None:
        party, label = named
        return Attribution(Holder.PROVIDER, party.name, IdKind.DOMAIN, domain,
                           f"{domain} is named like {party.name}'s domains ('{label}')", 0.8)
    for gws in workspaces:
        d = gws.domain(domain)
        if d is None or not d.verified:
            continue
        if d.primary:
            return Attribution(Holder.CLIENT, ctx.identity.client.name, IdKind.DOMAIN, domain,
                               f"{domain} is the primary domain of the business's Google "
                               f"Workspace {gws.customer_id}", 0.85)
        kind = f"an alias of {d.alias_of}" if d.alias_of else "a secondary domain"
        return Attribution(Holder.UNKNOWN, None, IdKind.DOMAIN, domain,
                           f"{domain} is {kind} verified in Google Workspace "
                           f"{gws.customer_id}, but the audit file does not list it for the "
                           "business: being verified there says where it is used, not whose "
                           "it is (add it to the client's domains if it is the business's)",
                           0.0)
    return None


def attribute_workspace_address(ctx: CheckContext, address: str,
                                workspaces: Iterable[GwsFacts], seen_in: str, *,
                                record: bool = True) -> Attribution:
    """An email address seen in Google Workspace or Cloud."""
    address = address.strip().lower()
    attribution = ctx.attribute(IdKind.EMAIL, address, seen_in=seen_in, record=False)
    if attribution.personal_mailbox is None and "@" in address:
        by_domain = workspace_domain(ctx, address.rpartition("@")[2], workspaces)
        if by_domain is not None and (attribution.holder is Holder.UNKNOWN or
                                      by_domain.holder is Holder.PROVIDER):
            attribution = Attribution(by_domain.holder, by_domain.party, IdKind.EMAIL, address,
                                      by_domain.reason, min(by_domain.confidence, 0.9),
                                      by_domain.category)
    if record:
        ctx.identity.record(attribution, seen_in, ctx.meta.control)
    return attribution


@dataclass(frozen=True)
class AccountJudgement:
    """Who holds an account, from every address and number that reaches it."""

    attribution: Attribution  # the one that decided
    field: str  # primaryEmail, recoveryEmail, recoveryPhone, emails[home], ...
    value: str
    points: tuple[tuple[str, str, Attribution], ...]  # every (field, value, attribution)

    @property
    def holder(self) -> Holder:
        return self.attribution.holder

    def why(self) -> str:
        """Which address decided, and why, as a sentence."""
        reason = self.attribution.reason.rstrip(".")
        if self.field == "primaryEmail":
            return f"{reason}."
        return f"Its {self.field} {self.value} decides: {reason}."

    def unread_phones(self) -> list[str]:
        return [f"{f} {v}" for f, v, a in self.points
                if a.kind is IdKind.PHONE and a.holder is Holder.UNKNOWN]


def judge_account(ctx: CheckContext, user: GwsUser, workspaces: Iterable[GwsFacts],
                  seen_in: str) -> AccountJudgement:
    workspaces = list(workspaces)
    points: list[tuple[str, str, Attribution]] = []
    for field, value in user.contact_points():
        if field.startswith(("recoveryPhone", "phones")):
            attribution = ctx.attribute(IdKind.PHONE, value, seen_in=seen_in, record=False)
        else:
            attribution = attribute_workspace_address(ctx, value, workspaces,
                                                      f"{field} of {seen_in}")
        points.append((field, value, attribution))
    deciding = [p for p in points
                if not (p[2].kind is IdKind.PHONE and p[2].holder is Holder.UNKNOWN)]
    field, value, attribution = max(deciding, key=lambda p: _RANK[p[2].holder])
    return AccountJudgement(attribution, field, value, tuple(points))


# ---------------------------------------------------------------------------------------
# service accounts


@dataclass(frozen=True)
class ServiceAccount:
    """What a service-account address says about itself."""

    email: str
    kind: str  # "service_agent", "default", "user_managed", "other"
    name: str  # "Compute Engine default service account", "service agent", ...
    project_id: str | None = None  # the project it lives in, when the address names it
    project_number: str | None = None
    organization_id: str | None = None  # service-org-<ID>@... agents
    folder_id: str | None = None


@functools.lru_cache(maxsize=1)
def _sa_data() -> tuple[frozenset[str], tuple[str, ...], tuple[tuple[str, re.Pattern[str]], ...]]:
    import yaml

    data = yaml.safe_load(resources.files("lockin_audit").joinpath(
        "data/google_service_agents.yaml").read_text("utf-8")) or {}
    return (frozenset(str(d).lower() for d in data.get("service_agent_domains") or ()),
            tuple(str(p) for p in data.get("service_agent_domain_prefixes") or ()),
            tuple((str(d["name"]), re.compile(str(d["pattern"])))
                  for d in data.get("default_service_accounts") or ()))


def classify_service_account(email: str) -> ServiceAccount:
    email = email.strip().lower()
    local, _, domain = email.partition("@")
    agent_domains, prefixes, defaults = _sa_data()
    if domain in agent_domains or (domain.endswith(".iam.gserviceaccount.com") and
                                   domain.startswith(prefixes)):
        m = re.fullmatch(r"(?:service-|bq-)?(?:(org|folder)-)?(\d+)", local)
        number = org = folder = None
        if m is not None:
            if m.group(1) == "org":
                org = m.group(2)
            elif m.group(1) == "folder":
                folder = m.group(2)
            else:
                number = m.group(2)
        return ServiceAccount(email, "service_agent", "Google service agent",
                              project_number=number, organization_id=org, folder_id=folder)
    for name, pattern in defaults:
        m = pattern.fullmatch(email)
        if m is not None:
            groups = m.groupdict()
            return ServiceAccount(email, "default", name, project_id=groups.get("project_id"),
                                  project_number=groups.get("project_number"))
    if domain.endswith(".iam.gserviceaccount.com"):
        return ServiceAccount(email, "user_managed", "service account",
                              project_id=domain.removesuffix(".iam.gserviceaccount.com"))
    return ServiceAccount(email, "other", "service account")


__all__ = ["AccountJudgement", "ServiceAccount", "attribute_workspace_address",
           "classify_service_account", "judge_account", "provider_named_domain",
           "workspace_domain"]
