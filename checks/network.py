"""Who holds the IP space your services and lines use, and its reverse DNS."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

from lockin_audit.check import CheckContext, check
from lockin_audit.facts import FetchError
from lockin_audit.identity import Attribution, IdKind
from lockin_audit.model import Finding, Holder, Severity, Status
from lockin_audit.sources.network import IpNetwork, NetworkFacts


def _holder(ctx: CheckContext, net: IpNetwork, facts: NetworkFacts) -> Attribution | None:
    if not net.holder_org:
        return None
    return ctx.attribute(IdKind.ORG_NAME, net.holder_org,
                         f"RDAP holder of {net.cidr} ({'; '.join(facts.seen_in)})")


@check(
    id="network.ip-space.holder",
    control="network.ip_space",
    source="network",
    severity=Severity.HIGH,
)
def ip_space(facts: NetworkFacts, ctx: CheckContext) -> Iterator[Finding]:
    # A range configured for a party in the audit file decides first: the provider's
    # `ip_ranges` are the provider's whatever the registry's records say (a provider
    # often hosts on space registered to its ISP or data centre).
    configured = ctx.attribute(IdKind.IP, facts.query,
                               f"{facts.query} ({'; '.join(facts.seen_in)})", record=False)
    for finding in _ip_space(facts, ctx):
        if configured.holder is Holder.PROVIDER and finding.holder is not Holder.PROVIDER:
            yield dataclasses.replace(
                finding, holder=Holder.PROVIDER, status=Status.FAIL,
                severity=ctx.meta.severity,
                detail=f"{facts.query} is in a range configured for the provider "
                       f"({configured.reason}): the addresses are the provider's and must "
                       f"be renumbered when you leave. Registry: {finding.detail}")
        elif configured.holder is Holder.CLIENT and finding.status is not Status.ERROR \
                and finding.holder is not Holder.PROVIDER:
            yield dataclasses.replace(
                finding, holder=Holder.CLIENT, status=Status.PASS,
                detail=f"{facts.query} is in a range configured as yours "
                       f"({configured.reason}). Registry: {finding.detail}")
        else:
            yield finding


def _describe(net: IpNetwork) -> str:
    return f"{net.cidr} ({net.name or net.handle}, {net.rir_type or 'type not given'})"


def _ip_space(facts: NetworkFacts, ctx: CheckContext) -> Iterator[Finding]:
    asset = ctx.target.asset
    used_by = "; ".join(facts.seen_in)
    if facts.network is None:
        yield ctx.finding(asset=asset, holder=Holder.UNKNOWN, status=Status.MANUAL,
                          detail=f"No RDAP service is known for {facts.query} ({used_by}): "
                                 "look it up in the regional registry's WHOIS.")
        return
    if err := facts.network.error:
        yield ctx.error(asset, err)
        return
    net = facts.network.ok
    evidence = facts.evidence()
    holder = _holder(ctx, net, facts)
    parents = list(facts.parent_networks)
    # who holds each network above: the nearest one with a named holder lent the space
    above: list[tuple[IpNetwork, Attribution]] = []
    for p in parents:
        who = _holder(ctx, p, facts)
        if who is not None:
            above.append((p, who))
    what = f"{facts.query} ({used_by}) is in {_describe(net)}"
    def above_text(skip: IpNetwork | None = None) -> str:
        """The networks above, beyond the one a sentence already names."""
        shown = parents[parents.index(skip) + 1:] if skip in parents else parents
        return "".join(f", inside {_describe(p)} held by {p.holder_org or 'no one named'}"
                       for p in shown)

    chain = above_text()
    if holder is not None and holder.holder is Holder.PROVIDER:
        yield ctx.finding(asset=asset, holder=Holder.PROVIDER, evidence=evidence,
                          detail=f"{what}, registered to the provider ({net.holder_org})"
                                 f"{chain}: the addresses stay with the provider and must "
                                 "be renumbered when you leave.")
        return
    provider_above = next(((p, a) for p, a in above if a.holder is Holder.PROVIDER), None)
    if provider_above is not None:
        upstream = provider_above[0]
        assignee = (f"assigned to {net.holder_org} ({net.rir_type or 'type not given'})"
                    if net.holder_org else "assigned to a holder the registry does not name")
        yield ctx.finding(asset=asset, holder=Holder.PROVIDER, evidence=evidence,
                          detail=f"{what}, {assignee} out of the provider's "
                                 f"{upstream.rir_type or 'network'} {upstream.cidr} "
                                 f"({upstream.holder_org}){above_text(upstream)}: it is the "
                                 "provider's space, "
                                 "lent to you, and must be renumbered when you leave.")
        return
    if (err := facts.parent_error) is not None:
        # whose space it is rests on the networks above: an unread one is not assessed
        yield ctx.error(asset, FetchError(
            err.source, err.request, f"{what}, registered to "
            f"{net.holder_org or 'a holder the registry does not name'}{chain}; the network "
            f"above it could not be read ({err.reason}), so whose space it is (yours, your "
            "ISP's or the provider's) cannot be said", kind=err.kind,
            permission=err.permission))
        return
    if holder is None:
        yield ctx.finding(asset=asset, holder=Holder.UNKNOWN, status=Status.WARN,
                          evidence=evidence,
                          detail=f"{what}{chain}, whose holder the registry does not name.")
        return
    if net.kind == "provider-assigned":
        lender = above[0] if above else None
        if lender is not None and lender[1].holder is Holder.CLIENT:
            yield ctx.finding(asset=asset, holder=Holder.CLIENT, evidence=evidence,
                              detail=f"{what}, assigned to {net.holder_org} out of your own "
                                     f"{lender[0].rir_type or 'network'} {lender[0].cidr} "
                                     f"({lender[0].holder_org}){above_text(lender[0])}.")
            return
        if lender is not None:
            lp, la = lender[0], lender[1]
            yield ctx.finding(
                asset=asset, holder=la.holder if la.holder is not Holder.CLIENT
                else Holder.THIRD_PARTY, status=Status.WARN, severity=Severity.MEDIUM,
                evidence=evidence,
                detail=f"{what}, assigned to {net.holder_org} out of {lp.holder_org}'s "
                       f"{lp.rir_type or 'network'} {lp.cidr}{above_text(lp)}: the space is "
                       f"{lp.holder_org}'s, lent to {net.holder_org} ({net.kind}), and the "
                       "addresses change when you change that ISP or hosting company.")
            return
        yield ctx.finding(asset=asset, holder=holder.holder if holder.holder is not
                          Holder.CLIENT else Holder.THIRD_PARTY, status=Status.WARN,
                          severity=Severity.MEDIUM, evidence=evidence,
                          detail=f"{what}, held by {net.holder_org} ({net.kind}); the "
                                 "registry names no network above it, so the ISP or hosting "
                                 "company that assigned it is not known: the addresses "
                                 "change when you change that ISP or hosting company.")
        return
    if net.kind == "unknown" and holder.holder is Holder.CLIENT:
        if not net.rir_type:
            # being the registrant is what decides; the missing type is noted
            yield ctx.finding(asset=asset, holder=Holder.CLIENT, evidence=evidence,
                              detail=f"{what}, registered to you ({net.holder_org}){chain}. "
                                     "The registry gives no allocation type, so whether the "
                                     "space is provider-independent is not stated; being "
                                     "its registrant is what keeps it with you.")
            return
        yield ctx.finding(asset=asset, holder=Holder.UNKNOWN, status=Status.MANUAL,
                          severity=Severity.MEDIUM, evidence=evidence,
                          detail=f"{what}, registered to you ({net.holder_org}){chain}, but "
                                 f"the registry's type '{net.rir_type}' does not say "
                                 "whether the space is yours to keep (provider-independent) "
                                 "or lent by an ISP: ask the registry or the ISP that "
                                 "assigned it.")
        return
    if holder.holder is not Holder.CLIENT:
        yield ctx.finding(asset=asset, holder=holder.holder, status=Status.WARN,
                          severity=Severity.MEDIUM, evidence=evidence,
                          detail=f"{what}, held by {net.holder_org} ({net.kind}){chain}: the "
                                 "addresses change when you change that ISP or hosting "
                                 "company.")
        return
    yield ctx.finding(asset=asset, holder=Holder.CLIENT, evidence=evidence,
                      detail=f"{what}, registered to you ({net.holder_org}, {net.kind})"
                             f"{chain}.")


@check(
    id="network.reverse-dns.delegation",
    control="network.reverse_dns",
    source="network",
    severity=Severity.MEDIUM,
)
def reverse_dns(facts: NetworkFacts, ctx: CheckContext) -> Iterator[Finding]:
    if not facts.from_inventory:
        return  # only the inventory's own blocks: a hosted web address is not yours to map
    asset = ctx.target.asset
    if facts.reverse is None:
        return
    if err := facts.reverse.error:
        if err.kind == "not_found":
            yield ctx.finding(asset=asset, holder=Holder.UNKNOWN, status=Status.WARN,
                              evidence=[err.evidence()],
                              detail=f"No reverse zone is delegated for {facts.query}: "
                                     f"{err.reason}.")
        else:
            yield ctx.error(asset, err)
        return
    zone = facts.reverse.ok
    attributions = [ctx.attribute(IdKind.HOSTNAME, ns, f"NS of {zone.zone}")
                    for ns in zone.nameservers]
    holders = {a.holder for a in attributions}
    names = ", ".join(zone.nameservers)
    evidence = facts.evidence()
    if Holder.PROVIDER in holders:
        yield ctx.finding(asset=asset, holder=Holder.PROVIDER, evidence=evidence,
                          detail=f"The reverse zone {zone.zone} of {facts.query} is served by "
                                 f"the provider's name servers ({names}).")
    elif holders == {Holder.CLIENT}:
        yield ctx.finding(asset=asset, holder=Holder.CLIENT, evidence=evidence,
                          detail=f"The reverse zone {zone.zone} is served by your name "
                                 f"servers ({names}).")
    else:
        yield ctx.finding(asset=asset, holder=Holder.THIRD_PARTY if Holder.THIRD_PARTY in
                          holders else Holder.UNKNOWN, status=Status.MANUAL, evidence=evidence,
                          detail=f"The reverse zone {zone.zone} is served by {names}: "
                                 "normally the ISP's; confirm it will set PTR records for you.")
