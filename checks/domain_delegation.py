"""The registry's delegation against the zone: NS sets and DS records (RDAP + DNS)."""

from __future__ import annotations

from collections.abc import Iterator

from lockin_audit.check import CheckContext, check, worst_holder
from lockin_audit.identity import IdKind
from lockin_audit.model import Evidence, Finding, Holder, Severity, Status
from lockin_audit.sources.delegation import DelegationFacts, ds_matches


def _evidence(facts: DelegationFacts) -> list[Evidence]:
    found = list(facts.zone_evidence)
    if facts.registry_evidence is not None:
        found.insert(0, facts.registry_evidence)
    return found


def _unread(ctx: CheckContext, facts: DelegationFacts) -> Finding | None:
    for read in (facts.registry, facts.zone_ns):
        if (side := read.error) is not None:
            if side.kind in ("unsupported", "not_found"):
                return ctx.finding(
                    asset=ctx.target.asset, holder=Holder.UNKNOWN, status=Status.MANUAL,
                    severity=Severity.LOW, evidence=[side.evidence()],
                    detail=f"The registry's delegation of {facts.domain} cannot be "
                           f"compared with its zone: {side.reason}. Compare the "
                           "nameservers at the registrar with the zone's NS records by "
                           "hand.")
            return ctx.error(ctx.target.asset, side)
    return None


@check(
    id="domain.delegation.nameservers",
    control="domain.dns_hosting",
    source="delegation",
    severity=Severity.HIGH,
)
def nameservers(facts: DelegationFacts, ctx: CheckContext) -> Iterator[Finding]:
    if (problem := _unread(ctx, facts)) is not None:
        yield problem
        return
    registry, zone = facts.registry.ok.nameservers, facts.zone_ns.ok
    evidence = _evidence(facts)
    if not registry:
        yield ctx.finding(asset=ctx.target.asset, holder=Holder.UNKNOWN,
                          status=Status.MANUAL, severity=Severity.LOW, evidence=evidence,
                          detail=f"The registry's RDAP answer for {facts.domain} lists no "
                                 "nameservers: check the delegation at the registrar.")
        return
    if set(registry) == set(zone):
        yield ctx.finding(asset=ctx.target.asset, holder=Holder.CLIENT, status=Status.PASS,
                          severity=Severity.INFO, evidence=evidence,
                          detail=f"The registry delegates {facts.domain} to the same "
                                 f"nameservers the zone lists ({', '.join(registry)}).")
        return
    attributions = [ctx.attribute(IdKind.HOSTNAME, ns, f"registry NS of {facts.domain}")
                    for ns in registry]
    holder = worst_holder(attributions)
    who = "; ".join(f"{ns} ({a.party or 'not identified'})"
                    for ns, a in zip(registry, attributions, strict=True))
    yield ctx.finding(
        asset=ctx.target.asset, holder=holder,
        status=Status.FAIL if holder is Holder.PROVIDER else Status.WARN,
        evidence=evidence,
        detail=f"The registry delegates {facts.domain} to {', '.join(registry)}, but the "
               f"zone lists {', '.join(zone) or 'no NS records'}"
               + (f" (answers from {', '.join(facts.servers)})" if facts.servers else "")
               + f". Resolvers follow the registry's list: {who}. "
               "The zone's own NS records are not what the world uses.")


@check(
    id="domain.delegation.ds",
    control="domain.dnssec",
    source="delegation",
    severity=Severity.CRITICAL,
)
def ds(facts: DelegationFacts, ctx: CheckContext) -> Iterator[Finding]:
    if (problem := _unread(ctx, facts)) is not None:
        yield problem
        return
    if err := facts.zone_dnskey.error:
        yield ctx.error(ctx.target.asset, err)
        return
    registry, dnskeys = facts.registry.ok, facts.zone_dnskey.ok
    evidence = _evidence(facts)
    if not registry.ds and registry.signed:
        # signed, but the registry's answer does not list the DS records: they were
        # not read, so their match with the zone's keys is not known
        yield ctx.finding(asset=ctx.target.asset, holder=Holder.UNKNOWN,
                          status=Status.MANUAL, severity=Severity.LOW, evidence=evidence,
                          detail=f"The registry says {facts.domain} is signed but its RDAP "
                                 "answer does not list the DS records, so they cannot be "
                                 "compared with the zone's keys here: ask the registrar for "
                                 "the DS records and check that one matches the zone's "
                                 "key-signing key before any DNS move.")
        return
    if not registry.ds:
        yield ctx.finding(asset=ctx.target.asset, holder=Holder.CLIENT, status=Status.PASS,
                          severity=Severity.INFO, evidence=evidence,
                          detail=f"{facts.domain} is not signed at the registry (no DS): "
                                 "no DS can point at a key the zone does not serve.")
        return
    stale = [d for d in registry.ds if not ds_matches(facts.domain, d, dnskeys)]
    listed = ", ".join(f"key tag {d.key_tag} (algorithm {d.algorithm})" for d in stale)
    if not stale:
        yield ctx.finding(asset=ctx.target.asset, holder=Holder.CLIENT, status=Status.PASS,
                          severity=Severity.INFO, evidence=evidence,
                          detail=f"Every DS record the registry holds for {facts.domain} "
                                 "matches a key the zone serves.")
    elif len(stale) == len(registry.ds):
        yield ctx.finding(
            asset=ctx.target.asset, holder=Holder.UNKNOWN, status=Status.FAIL,
            evidence=evidence,
            detail=f"No DS record the registry holds for {facts.domain} ({listed}) matches "
                   f"a key the zone serves ({len(dnskeys)} DNSKEY record(s)): "
                   "validating resolvers reject the domain now or at the next DNS move. "
                   "Fix the DS at the registrar first.")
    else:
        yield ctx.finding(
            asset=ctx.target.asset, holder=Holder.UNKNOWN, status=Status.WARN,
            severity=Severity.HIGH, evidence=evidence,
            detail=f"Some DS records the registry holds for {facts.domain} ({listed}) match "
                   "no key the zone serves: once the matching one is removed (the next DNS "
                   "move), validating resolvers reject the domain. Remove the stale DS.")
