"""Who a Microsoft Entra principal or address belongs to: shared by the azure and m365
checks (they judge the same directory's users, groups and apps).

Rules beyond the generic identity matching:
- an address on a domain verified in the audited tenant is the business's, including
  the tenant's own initial `<name>.onmicrosoft.com` domain: `onmicrosoft.com` is
  Microsoft's, but each tenant's subdomain of it belongs to that tenant;
- another tenant's `<name>.onmicrosoft.com` is not Microsoft's either: it is the
  provider's when `<name>` is the provider's name, alias or domain label, otherwise
  unknown (never a known third party);
- an account or group of the business's own directory whose display name or sign-in
  name carries the provider's name or alias as whole words (for example "BITS Admin"
  when BITS is a provider alias) is the provider's: the provider created it for itself.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from lockin_audit.check import CheckContext
from lockin_audit.identity import Attribution, IdKind, Party, normalize_org
from lockin_audit.model import Holder
from lockin_audit.sources.graph import Principal

ONMICROSOFT = ".onmicrosoft.com"


def sentence(reason: str) -> str:
    """An attribution reason as a sentence of its own."""
    reason = reason.strip().rstrip(".")
    if not reason:
        return ""
    first = reason.split(" ", 1)[0]
    if "." in first or "@" in first:  # a domain or an address keeps its case
        return reason + "."
    return reason[:1].upper() + reason[1:] + "."


def _tokens(text: str) -> list[str]:
    return re.sub(r"[^a-z0-9]+", " ", normalize_org(text.replace("_", " "))).split()


def _contains_run(haystack: list[str], needle: list[str]) -> bool:
    n = len(needle)
    return bool(n) and any(haystack[i:i + n] == needle for i in range(len(haystack) - n + 1))


def provider_named(ctx: CheckContext, *texts: str | None) -> Party | None:
    """The provider whose name or alias appears as whole words in one of `texts`."""
    for party in ctx.identity.providers:
        for name in party.org_names:
            needle = name.split()
            for text in texts:
                if text and _contains_run(_tokens(text), needle):
                    return party
    return None


def _provider_labels(party: Party) -> set[str]:
    labels = {n.replace(" ", "") for n in party.org_names}
    labels.update(d.split(".", 1)[0] for d in party.domains if "." in d)
    return {x for x in labels if x}


def onmicrosoft_owner(ctx: CheckContext, domain: str) -> Party | None:
    """The provider whose name, alias or domain label is `<name>` of a
    `<name>.onmicrosoft.com` domain, or None."""
    label = domain.lower().removesuffix(ONMICROSOFT)
    return next((p for p in ctx.identity.providers if label in _provider_labels(p)), None)


def attribute_domain(ctx: CheckContext, domain: str, own_domains: Iterable[str],
                     seen_in: str, *, record: bool = True) -> Attribution:
    """A domain (a tenant's default domain, an address's domain) by the tenant rule:
    a `<name>.onmicrosoft.com` is the tenant's that holds it, never Microsoft's."""
    domain = domain.strip().lower().rstrip(".")
    own = {d.lower() for d in own_domains}
    if domain in own:
        what = ("the tenant's own initial domain" if domain.endswith(ONMICROSOFT)
                else "a verified domain of the business's own tenant")
        attribution = Attribution(Holder.CLIENT, ctx.identity.client.name, IdKind.DOMAIN,
                                  domain, f"{domain} is {what}", 0.9)
    elif domain.endswith(ONMICROSOFT):
        party = onmicrosoft_owner(ctx, domain)
        if party is not None:
            attribution = Attribution(Holder.PROVIDER, party.name, IdKind.DOMAIN, domain,
                                      f"{domain} is the initial domain of a tenant named "
                                      f"after {party.name}", 0.8)
        else:
            attribution = Attribution(Holder.UNKNOWN, None, IdKind.DOMAIN, domain,
                                      f"{domain} is the initial domain of another "
                                      "organisation's Microsoft tenant (not Microsoft's)",
                                      0.0)
    else:
        attribution = ctx.attribute(IdKind.DOMAIN, domain, seen_in=seen_in, record=False)
    if record:
        ctx.identity.record(attribution, seen_in, ctx.meta.control)
    return attribution


def attribute_address(ctx: CheckContext, address: str, own_domains: Iterable[str],
                      seen_in: str, *, record: bool = True) -> Attribution:
    """An email address or sign-in name, judged against the tenant's own domains."""
    address = address.strip().lower()
    domain = address.rpartition("@")[2]
    own = {d.lower() for d in own_domains}
    attribution = ctx.attribute(IdKind.EMAIL, address, seen_in=seen_in, record=False)
    if attribution.holder is Holder.PROVIDER:
        pass
    elif domain in own:
        what = ("the tenant's own initial domain" if domain.endswith(ONMICROSOFT)
                else "a verified domain of the business's own tenant")
        attribution = Attribution(Holder.CLIENT, ctx.identity.client.name, IdKind.EMAIL,
                                  address, f"{domain} is {what}", 0.9)
    elif domain.endswith(ONMICROSOFT):
        party = onmicrosoft_owner(ctx, domain)
        if party is not None:
            attribution = Attribution(Holder.PROVIDER, party.name, IdKind.EMAIL, address,
                                      f"{domain} is the initial domain of a tenant named "
                                      f"after {party.name}", 0.8)
        else:
            attribution = Attribution(Holder.UNKNOWN, None, IdKind.EMAIL, address,
                                      f"{domain} is another organisation's Microsoft "
                                      "tenant", 0.0)
    if record:
        ctx.identity.record(attribution, seen_in, ctx.meta.control)
    return attribution


def attribute_principal(ctx: CheckContext, p: Principal, own_domains: Iterable[str],
                        tenant_id: str, seen_in: str) -> Attribution:
    """Who holds a user, group or service principal of the audited directory."""
    if not p.resolved:
        return Attribution(Holder.UNKNOWN, None, IdKind.ORG_NAME, p.id, "the directory no "
                           "longer returns this object, so whose it was cannot be told", 0.0)
    if p.kind == "servicePrincipal" and p.app_owner_tenant_id:
        if p.app_owner_tenant_id == tenant_id.lower():
            return Attribution(Holder.CLIENT, ctx.identity.client.name, IdKind.AZURE_TENANT,
                               p.app_owner_tenant_id, "an app registered in the business's "
                               "own tenant", 0.9)
        return ctx.attribute(IdKind.AZURE_TENANT, p.app_owner_tenant_id, seen_in=seen_in)
    attribution: Attribution | None = None
    addresses = p.addresses() if p.kind == "user" else (
        (("mail", p.mail),) if p.mail else ())
    judged = [(what, address, attribute_address(ctx, address, own_domains, seen_in,
                                                record=False))
              for what, address in addresses]
    # Any address of the provider's makes it the provider's person (a member account of
    # the business whose mailbox or recovery email is the provider's is the provider's);
    # otherwise the strongest address decides. The reason says which one did.
    deciding = next((j for j in judged if j[2].holder is Holder.PROVIDER), None) or \
        (judged[0] if judged else None)
    if deciding is not None:
        what, address, found = deciding
        others = [a for _, a, _ in judged if a != address]
        also = (f"; also read: {', '.join(others[:4])}"
                + (f" and {len(others) - 4} more" if len(others) > 4 else "")) if others else ""
        attribution = Attribution(found.holder, found.party, found.kind, found.value,
                                  f"decided by its {what} {address}: {found.reason}{also}",
                                  found.confidence, found.category)
        if attribution.holder is Holder.PROVIDER:
            return attribution
    local = (p.external_email or "").partition("@")[0]
    party = provider_named(ctx, p.display_name, local)
    if party is not None:
        return Attribution(Holder.PROVIDER, party.name, IdKind.ORG_NAME, p.display_name or
                           local, f"its name carries {party.name}'s name or alias", 0.7)
    if attribution is None:
        if p.kind == "group" and not p.is_guest:
            # a group lives in the directory that lists it: the business's own
            return Attribution(Holder.CLIENT, ctx.identity.client.name, IdKind.ORG_NAME,
                               p.display_name or p.id, "a group of the business's own "
                               "directory", 0.6)
        attribution = ctx.attribute(IdKind.ORG_NAME, p.display_name or p.id, seen_in=seen_in,
                                    record=False)
    ctx.identity.record(attribution, seen_in, ctx.meta.control)
    return attribution
