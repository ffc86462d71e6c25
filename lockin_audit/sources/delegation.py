"""The delegation source: what the registry says about a domain's DNS (RDAP nameservers
and DS records, RFC 9083 section 5.3 `nameservers` and `secureDNS`) beside what the zone
itself serves (NS and DNSKEY, from the DNS source).

It asks nothing itself: it runs after the DNS and RDAP sources and pairs their facts per
domain. The registry's delegation is what resolvers follow; a zone whose NS set differs
from it is edited where nobody looks, and a DS at the registry that no served key matches
breaks resolution for validating resolvers (now, or at the next DNS move).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lockin_audit.facts import Fetched, FetchError
from lockin_audit.model import Asset, Evidence
from lockin_audit.sources.interface import Source, SourceContext, Target
from lockin_audit.sources.rdap import DsData

NAME = "delegation"


@dataclass(frozen=True)
class RegistryDelegation:
    """The registry's side, from its RDAP answer (RFC 9083 section 5.3)."""

    nameservers: tuple[str, ...]
    signed: bool | None  # secureDNS.delegationSigned (None: not stated)
    ds: tuple[DsData, ...]  # secureDNS.dsData
    url: str | None


@dataclass(frozen=True)
class DelegationFacts:
    domain: str
    # The registry's side (source "rdap"): a failed read when the RDAP answer is missing
    # (not read, no RDAP service for the TLD, or the domain is not registered).
    registry: Fetched[RegistryDelegation]
    # The zone's side (source "dns", the NS and DNSKEY record sets as read).
    zone_ns: Fetched[tuple[str, ...]]
    zone_dnskey: Fetched[tuple[str, ...]]
    servers: tuple[str, ...] = ()
    registry_evidence: Evidence | None = None
    zone_evidence: tuple[Evidence, ...] = ()


def _host(name: str) -> str:
    return name.strip().rstrip(".").lower()


def pair(domain: str, dns: Any, rdap: Any) -> DelegationFacts:
    """Pair one domain's DNS and RDAP facts (either may be absent)."""
    registry: Fetched[RegistryDelegation]
    reg_ev = None
    if rdap is None:
        registry = Fetched.failure(FetchError(
            "rdap", f"{domain} (registry)", "the registry's answer was not read (see the "
            "registration findings)", kind="unavailable"))
    elif rdap.no_service:
        registry = Fetched.failure(FetchError(
            "rdap", f"{domain} (registry)", f"the .{rdap.tld} registry offers no RDAP "
            "service", kind="unsupported"))
    elif rdap.not_registered is not None:
        registry = Fetched.failure(rdap.not_registered)
    else:
        found = RegistryDelegation(tuple(sorted({_host(n) for n in rdap.nameservers})),
                                   rdap.delegation_signed, rdap.ds_data, rdap.registry_url)
        reg_ev = rdap.evidence({"nameservers": list(found.nameservers),
                                "secureDNS": {"delegationSigned": found.signed, "dsData": [
                                    {"keyTag": d.key_tag, "algorithm": d.algorithm,
                                     "digestType": d.digest_type, "digest": d.digest}
                                    for d in found.ds]}})
        registry = Fetched("rdap", reg_ev.request, found, reg_ev.observed_at)
    zone_ns: Fetched[tuple[str, ...]]
    dnskey: Fetched[tuple[str, ...]]
    if dns is None:
        zone_ns = dnskey = Fetched.failure(FetchError(
            "dns", f"{domain} NS", "the zone was not read (see the DNS findings)",
            kind="unavailable"))
        servers: tuple[str, ...] = ()
        zone_ev: tuple[Evidence, ...] = ()
    else:
        zone_ns = dns.ns.map(lambda a: tuple(sorted(_host(n) for n in a.records)))
        dnskey = dns.dnskey.map(lambda a: a.records)
        servers = dns.servers
        zone_ev = tuple(x.ok.evidence() for x in (dns.ns, dns.dnskey) if x.error is None)
    return DelegationFacts(domain, registry, zone_ns, dnskey, servers, reg_ev, zone_ev)


def ds_matches(domain: str, ds: DsData, dnskeys: tuple[str, ...]) -> bool:
    """Whether a DS record matches one of the served DNSKEYs (RFC 4034 section 5.1.4)."""
    import dns.dnssec
    import dns.dnssectypes
    import dns.name
    import dns.rdata
    import dns.rdataclass
    import dns.rdatatype

    name = dns.name.from_text(domain)
    for text in dnskeys:
        try:
            key = dns.rdata.from_text(dns.rdataclass.IN, dns.rdatatype.DNSKEY, text)
            if dns.dnssec.key_id(key) != ds.key_tag or key.algorithm != ds.algorithm:  # type: ignore[arg-type, attr-defined]
                continue
            made = dns.dnssec.make_ds(name, key, dns.dnssectypes.DSDigest(ds.digest_type))
        except Exception:  # an unknown digest type or a key dnspython cannot read
            continue
        if made.digest.hex().upper() == ds.digest:
            return True
    return False


class DelegationSource(Source):
    name = NAME
    area = "domain"
    after = ("dns", "rdap")

    def configured(self, config: Any) -> bool:
        return bool(config.scan.domains)

    async def targets(self, ctx: SourceContext) -> list[Target]:
        return [Target(NAME, self.area, d, f"{d} (registry delegation)",
                       Asset("domain", d, d)) for d in ctx.config.scan.domains]

    async def fetch(self, target: Target, ctx: SourceContext) -> DelegationFacts:
        return pair(target.id, ctx.facts_of("dns").get(target.id),
                    ctx.facts_of("rdap").get(target.id))
