"""The network source: who the Regional Internet Registries say holds your IP space.

Addresses come from the other sources: the web and mail addresses the DNS source found
and the static blocks of the inventory's internet lines (so this source runs after
both). Each is looked up in RDAP through the IPv4/IPv6 bootstrap under the same
`scan.rdap.bootstrap_url` as the domain area (ARIN, RIPE NCC, APNIC, LACNIC, AFRINIC).
Lookups are deduplicated by containing netblock: an address inside a network already
fetched reuses that answer. The parent chain of a network that is not the registry's
allocation or a provider-independent assignment (reassigned, sub-allocated, assigned PA,
non-portable, or of no stated type) is read up to the allocation, because whoever holds
the allocation decides whether you keep the addresses.

For the inventory's blocks, the reverse-DNS delegation (the in-addr.arpa / ip6.arpa
zone's NS) is read as well: PTR records for your block that live in the provider's
zone are changed only by the provider.
"""

from __future__ import annotations

import asyncio
import dataclasses
import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin

from lockin_audit.facts import Fetched, FetchError, SourceFailure
from lockin_audit.model import Asset, Evidence, iso, utc_now
from lockin_audit.sources.interface import Source, SourceContext, Target
from lockin_audit.sources.rdap import RdapClient, parse_entity, rdap_client

if TYPE_CHECKING:
    from lockin_audit.sources.dns import DnsClient

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

# Allocation types by what they mean for a client leaving: its own space
# (provider-independent), an ISP's space lent to it (provider-assigned), or an allocation
# to an ISP. Each registry documents its own vocabulary, and the same word differs:
# - ARIN (NRO RDAP profile; ARIN "Network types"): DIRECT ALLOCATION, DIRECT ASSIGNMENT,
#   REALLOCATION / REALLOCATED, REASSIGNMENT / REASSIGNED.
# - RIPE NCC (RIPE database "status" values, ripe-804): ALLOCATED PA, ALLOCATED-BY-RIR,
#   ALLOCATED-BY-LIR, SUB-ALLOCATED PA, LIR-PARTITIONED PA, ASSIGNED PA, ASSIGNED PI,
#   ASSIGNED ANYCAST, AGGREGATED-BY-LIR, LEGACY; IPv6 "ASSIGNED" is an LIR's assignment.
# - APNIC (APNIC whois status): ALLOCATED PORTABLE (to an LIR), ALLOCATED NON-PORTABLE (an
#   LIR's sub-allocation to a downstream ISP), ASSIGNED PORTABLE, ASSIGNED NON-PORTABLE.
# - LACNIC (LACNIC RDAP): "allocated" (to an ISP), "assigned" (by LACNIC to the end user:
#   portable), "reallocated", "reassigned" (by an ISP out of its block).
# - AFRINIC (AFRINIC whois status): ALLOCATED PA, ASSIGNED PA, ASSIGNED PI, SUB-ALLOCATED
#   PA, ALLOCATED UNSPECIFIED; a bare "assigned"/"allocated" does not say PA or PI.
_COMMON = {
    "provider-independent": {"ASSIGNED PI", "ASSIGNED PORTABLE", "ASSIGNED ANYCAST",
                             "LEGACY", "DIRECT ASSIGNMENT"},
    "provider-assigned": {"ASSIGNED PA", "ASSIGNED NON-PORTABLE", "SUB-ALLOCATED PA",
                          "AGGREGATED-BY-LIR", "LIR-PARTITIONED PA", "REASSIGNED",
                          "REASSIGNMENT", "REALLOCATED", "REALLOCATION",
                          "ALLOCATED-BY-LIR", "ALLOCATED NON-PORTABLE"},
    "allocation": {"DIRECT ALLOCATION", "ALLOCATED PA", "ALLOCATED PORTABLE",
                   "ALLOCATED UNSPECIFIED", "ALLOCATED-BY-RIR", "ALLOCATION"},
}
_PER_RIR: dict[str, dict[str, str]] = {
    "lacnic": {"ASSIGNED": "provider-independent", "ALLOCATED": "allocation"},
    "afrinic": {"ALLOCATED": "allocation"},  # a bare ASSIGNED stays unknown (PA or PI?)
    "ripe": {"ASSIGNED": "provider-assigned", "ALLOCATED": "allocation"},  # IPv6 statuses
    "apnic": {"ALLOCATED": "allocation"},
    "arin": {"ALLOCATED": "allocation", "ASSIGNED": "provider-assigned"},
}
RIRS = ("arin", "ripe", "apnic", "lacnic", "afrinic")


def allocation_kind(rir_type: str | None, rir: str | None = None) -> str:
    t = " ".join((rir_type or "").upper().replace("_", " ").split())
    for kind, words in _COMMON.items():
        if t in words:
            return kind
    return _PER_RIR.get(rir or "", {}).get(t, "unknown")


def which_rir(url: str, obj: Mapping[str, Any]) -> str | None:
    """The registry that answered: its port43 server, the handle's suffix, or the URL."""
    hints = [str(obj.get("port43") or ""), str(obj.get("handle") or ""), url]
    hints += [str(c) for c in obj.get("rdapConformance") or []]
    for hint in hints:
        low = hint.lower()
        for rir in RIRS:
            if rir in low or (rir == "apnic" and low.endswith("-ap")):
                return rir
    return None


@dataclass(frozen=True)
class IpNetwork:
    """One RDAP ip network object, reduced to what the checks need."""

    url: str
    cidr: str
    handle: str | None
    name: str | None
    rir_type: str | None
    kind: str  # provider-independent, provider-assigned, allocation, unknown
    holder_org: str | None
    maintainers: tuple[str, ...] = ()
    country: str | None = None
    parent_handle: str | None = None
    up_url: str | None = None
    rir: str | None = None
    prefixes: tuple[str, ...] = ()  # every prefix of the object (cidr0 or the range)

    def excerpt(self) -> dict[str, Any]:
        return {"cidr": self.cidr, "handle": self.handle, "name": self.name,
                "type": self.rir_type, "holder": self.holder_org,
                "maintainers": list(self.maintainers), "parent": self.parent_handle}


@dataclass(frozen=True)
class ReverseDelegation:
    zone: str
    nameservers: tuple[str, ...]


@dataclass(frozen=True)
class NetworkFacts:
    query: str  # the address or block looked up, in CIDR form
    seen_in: tuple[str, ...]  # where it came from ("www of acmedental.com", "INET-001")
    from_inventory: bool
    # The registry's network holding `query` (source "network", request "GET <url>");
    # None: no RDAP service is known for it.
    network: Fetched[IpNetwork] | None = None
    # The networks above `network`, nearest first, up to the registry's allocation (or
    # provider-independent assignment): whoever holds them lent the space. A parent that
    # could not be read ends the chain as a failed read.
    parents: tuple[Fetched[IpNetwork], ...] = ()
    # The reverse zone's NS (source "dns", request "<zone> NS"); None when not asked (an
    # address that is not one of the inventory's blocks).
    reverse: Fetched[ReverseDelegation] | None = None
    observed_at: str = field(default_factory=lambda: iso(utc_now()))

    @property
    def parent(self) -> Fetched[IpNetwork] | None:
        """The nearest network above (the one that assigned this one)."""
        return self.parents[0] if self.parents else None

    @property
    def parent_error(self) -> FetchError | None:
        return next((p.error for p in self.parents if p.error is not None), None)

    @property
    def parent_networks(self) -> tuple[IpNetwork, ...]:
        """The networks above that were read, nearest first."""
        return tuple(p.ok for p in self.parents if p.error is None)

    def evidence(self) -> list[Evidence]:
        found = []
        for read in (self.network, *self.parents):
            if read is not None and read.error is None:
                net = read.ok
                found.append(Evidence("rdap", f"GET {net.url}", self.observed_at,
                                      net.excerpt()))
        if self.reverse is not None and self.reverse.error is None:
            zone = self.reverse.ok
            found.append(Evidence("dns", f"{zone.zone} NS", self.observed_at,
                                  {"NS": list(zone.nameservers)}))
        return found


def _address(value: Any) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    """An address as registries write it, old forms included: zero-padded IPv4 octets
    (074.125.000.000) and a prefix length appended (194.85.61.0/32)."""
    text = str(value).strip().split("/", 1)[0]
    if "." in text and ":" not in text:
        parts = text.split(".")
        if len(parts) == 4 and all(p.isdigit() for p in parts):
            text = ".".join(str(int(p)) for p in parts)
    return ipaddress.ip_address(text)


def _prefixes(obj: Mapping[str, Any]) -> list[IPNetwork]:
    found: list[IPNetwork] = []
    for c in obj.get("cidr0_cidrs") or []:
        if not isinstance(c, Mapping):
            continue
        base = c.get("v4prefix") or c.get("v6prefix")
        if base is None or c.get("length") is None:
            continue
        found.append(ipaddress.ip_network(f"{_address(base)}/{int(c['length'])}",
                                          strict=False))
    return found


def parse_network(url: str, obj: Mapping[str, Any],
                  query: IPNetwork | None = None) -> IpNetwork | FetchError:
    """An RFC 9083 section 5.4 ip network object; older answers without objectClassName
    are read by their address range. With several cidr0 prefixes (RFC 9083 has only the
    range; the cidr0 extension lists its prefixes) the one holding `query` is shown."""
    klass = obj.get("objectClassName")
    if (klass is not None and klass != "ip network") or (
            klass is None and "startAddress" not in obj and not obj.get("cidr0_cidrs")):
        return FetchError("network", f"GET {url}", "not an RDAP ip network object",
                          kind="malformed")
    try:
        prefixes = _prefixes(obj)
        if not prefixes:
            first, last = _address(obj["startAddress"]), _address(obj["endAddress"])
            prefixes = list(ipaddress.summarize_address_range(first, last))  # type: ignore[type-var]
        holding = [p for p in prefixes if query is not None and p.version == query.version
                   and query.subnet_of(p)]  # type: ignore[arg-type]
        cidr = str(holding[0]) if holding else ", ".join(str(p) for p in prefixes)
    except (KeyError, ValueError, TypeError) as exc:
        return FetchError("network", f"GET {url}", f"no usable address range: {exc}",
                          kind="malformed")
    entities = [parse_entity(e, url) for e in obj.get("entities") or [] if isinstance(e, Mapping)]
    registrant = next((e for e in entities if "registrant" in e.roles and (e.org or e.name)),
                      None)
    maintainers = [e.handle for e in entities if e.handle and (
        e.handle.upper().endswith("-MNT") or e.handle.upper().startswith("MAINT-"))]
    for remark in obj.get("remarks") or []:
        for line in remark.get("description") or [] if isinstance(remark, Mapping) else []:
            if str(line).lower().startswith("mnt-by:"):
                maintainers.append(str(line).split(":", 1)[1].strip())
    up = next((str(link["href"]) for link in obj.get("links") or []
               if isinstance(link, Mapping) and link.get("rel") == "up" and link.get("href")),
              None)
    rir_type = str(obj["type"]) if obj.get("type") else None
    rir = which_rir(url, obj)
    return IpNetwork(
        url=url, cidr=cidr, handle=obj.get("handle"), name=obj.get("name"),
        rir_type=rir_type, kind=allocation_kind(rir_type, rir), rir=rir,
        prefixes=tuple(str(p) for p in prefixes),
        holder_org=(registrant.org or registrant.name) if registrant else None,
        maintainers=tuple(dict.fromkeys(maintainers)), country=obj.get("country"),
        parent_handle=obj.get("parentHandle"), up_url=up)


def reverse_zone(block: IPNetwork) -> str:
    """The reverse zone that holds a block's PTR records: the enclosing octet (IPv4) or
    nibble (IPv6) boundary; a /29 lives in its /24's zone (RFC 2317)."""
    if block.version == 4:
        octets = max(1, min(3, block.prefixlen // 8))
        labels = str(block.network_address).split(".")[:octets]
        return ".".join(reversed(labels)) + ".in-addr.arpa"
    nibbles = max(1, min(32, block.prefixlen // 4))
    hexdigits = block.network_address.exploded.replace(":", "")[:nibbles]
    return ".".join(reversed(hexdigits)) + ".ip6.arpa"


class NetworkSource(Source):
    name = "network"
    area = "network"
    after = ("dns", "inventory")

    def __init__(self) -> None:
        self._client: RdapClient | None = None
        self._known: list[tuple[IPNetwork, Fetched[IpNetwork]]] = []
        self._locks: dict[str, asyncio.Lock] = {}
        self._parents: dict[str, Fetched[IpNetwork]] = {}
        self._dns: DnsClient | None = None  # the reverse zones' NS, as the DNS source asks
        self._blocks_pending = 0
        self._blocks_done: asyncio.Event | None = None
        self.lookups = 0  # RDAP requests made (the benchmark reads it)

    def configured(self, config: Any) -> bool:
        return bool(config.scan.domains or config.scan.inventory)

    async def targets(self, ctx: SourceContext) -> list[Target]:
        targets = await self._targets(ctx)
        return targets + self._unreadable(ctx)

    def _unreadable(self, ctx: SourceContext) -> list[Target]:
        """One target per domain or inventory file whose addresses could not be read:
        its fetch fails with the reason, so the network checks report an error for it
        (the addresses it would have listed cannot be judged) instead of leaving them out."""
        from lockin_audit.sources.dns import DnsFacts
        from lockin_audit.sources.interface import Requires
        from lockin_audit.sources.inventory import InventoryFacts

        out: list[Target] = []

        def gap(key: str, asset: Asset, what: str, error: FetchError) -> None:
            out.append(Target(self.name, self.area, f"unreadable:{key}", what, asset,
                              options=("unreadable", what, error)))

        if ctx.config.scan.domains:
            dns = ctx.dependencies(Requires("dns", DnsFacts))
            for domain, error in sorted(dns.errors.items()):
                gap(domain, Asset("domain", domain, domain), f"addresses of {domain}", error)
            for domain, facts in sorted(dns.values.items()):
                for what, error in facts.address_errors():
                    gap(f"{domain}:{what}", Asset("domain", domain, domain), what, error)
        if ctx.config.scan.inventory:
            inventory = ctx.dependencies(Requires("inventory", InventoryFacts))
            for path, error in sorted(inventory.errors.items()):
                gap(path, Asset("inventory_file", path, path),
                    f"static IP blocks listed in {path}", error)
        return out

    async def _targets(self, ctx: SourceContext) -> list[Target]:
        seen: dict[str, list[str]] = {}
        inventory: set[str] = set()
        for domain, facts in ctx.facts_of("dns").items():
            for attr, label in (("web_addresses", "web"), ("mail_addresses", "mail")):
                for address in getattr(facts, attr, ()) or ():
                    _add(seen, address, f"{label} address of {domain}")
        for facts in ctx.facts_of("inventory").values():
            for contract in getattr(facts, "contracts", ()) or ():
                for block in contract.static_ip_blocks:
                    key = _add(seen, block, f"static block of {contract.id}")
                    if key:
                        inventory.add(key)
        self._blocks_pending = sum(1 for c in inventory if _is_block(c))
        return [Target(self.name, self.area, cidr, cidr,
                       Asset("ip_block", cidr, f"{cidr} ({'; '.join(where)})"),
                       options=(tuple(where), cidr in inventory))
                for cidr, where in sorted(seen.items())]

    def client(self, ctx: SourceContext) -> RdapClient:
        if self._client is None:
            self._client = rdap_client(ctx, self.name)
        return self._client

    async def fetch(self, target: Target, ctx: SourceContext) -> NetworkFacts:
        if target.options[0] == "unreadable":
            _, what, error = target.options
            raise SourceFailure(FetchError(
                error.source, error.request, f"the {what} could not be read, so the "
                f"addresses it holds were not judged: {error.reason}", kind=error.kind,
                permission=error.permission))
        where, from_inventory = target.options
        if self._blocks_done is None:
            self._blocks_done = asyncio.Event()
            if self._blocks_pending == 0:
                self._blocks_done.set()
        if from_inventory and _is_block(target.id):
            try:
                return await self._fetch(target, ctx, where, True)
            finally:
                self._blocks_pending -= 1
                if self._blocks_pending <= 0:
                    self._blocks_done.set()
        # Addresses wait for the inventory's blocks: a block is often a reassignment
        # inside a larger allocation, and an address in it must reuse the more specific
        # answer, not the allocation's.
        await self._blocks_done.wait()
        return await self._fetch(target, ctx, where, from_inventory)

    async def _fetch(self, target: Target, ctx: SourceContext, where: tuple[str, ...],
                     from_inventory: bool) -> NetworkFacts:
        block = ipaddress.ip_network(target.id)
        client = self.client(ctx)
        base = await client.ip_base(block)
        if base is None:
            return NetworkFacts(target.id, where, from_inventory)
        network = await self._lookup(client, base, block,
                                     reuse=not (from_inventory and _is_block(target.id)))
        parents = await self._chain(client, base, network.ok) \
            if network.error is None else ()
        reverse = await self._reverse(ctx, block) if from_inventory else None
        return NetworkFacts(target.id, where, from_inventory, network, parents, reverse)

    async def _chain(self, client: RdapClient, base: str, network: IpNetwork
                     ) -> tuple[Fetched[IpNetwork], ...]:
        """The parent chain of a network that is not itself the registry's allocation or a
        provider-independent assignment: ARIN reassignments and reallocations, RIPE/AFRINIC
        ASSIGNED PA and SUB-ALLOCATED PA, APNIC NON-PORTABLE, LACNIC reassigned, and
        networks whose type is missing or ambiguous. Each parent is read from the `up`
        link (RFC 8288 relation in RFC 9083 links; ARIN) or, without one, by asking the
        same registry for the smallest network holding the next larger prefix (RFC 9082
        section 3.1.1: the most specific network is answered). A parent that cannot be read
        ends the chain as an error."""
        out: list[Fetched[IpNetwork]] = []
        current = network
        for _ in range(MAX_PARENTS):
            if current.kind in ("allocation", "provider-independent"):
                break
            url, derived = current.up_url, False
            if url is None:
                url, derived = _supernet_url(base, current), True
                if url is None:
                    break
            read = await self._parent(client, url)
            if read.error is not None:
                if derived and read.error.kind == "not_found":
                    break  # nothing larger is registered: the chain ends here
                out.append(read)
                break
            parent = read.ok
            if set(parent.prefixes) == set(current.prefixes) or \
                    (parent.handle is not None and parent.handle == current.handle):
                break  # the registry answered the same network: no parent above it
            out.append(read)
            current = parent
        return tuple(out)

    async def _lookup(self, client: RdapClient, base: str, block: IPNetwork, *,
                      reuse: bool) -> Fetched[IpNetwork]:
        # One lookup at a time per RIR, so that a second address inside a network
        # already fetched reuses the most specific one instead of asking again.
        async with self._locks.setdefault(base, asyncio.Lock()):
            containing = [(known, network) for known, network in self._known
                          if block.version == known.version and block.subnet_of(known)]  # type: ignore[arg-type]
            if reuse and containing:
                known, read = max(containing, key=lambda pair: pair[0].prefixlen)
                # the same read (its request and time), shown for the prefix holding it
                return dataclasses.replace(read, value=dataclasses.replace(
                    read.ok, cidr=str(known)))
            query = str(block.network_address) if block.num_addresses == 1 else str(block)
            url = urljoin(base if base.endswith("/") else base + "/", f"ip/{query}")
            result = await self._get(client, url, block)
            if result.error is None:
                for part in result.ok.prefixes:
                    self._known.append((ipaddress.ip_network(part), result))
            return result

    async def _parent(self, client: RdapClient, url: str) -> Fetched[IpNetwork]:
        async with self._locks.setdefault(url, asyncio.Lock()):
            if url not in self._parents:
                self._parents[url] = await self._get(client, url)
            return self._parents[url]

    async def _get(self, client: RdapClient, url: str,
                   query: IPNetwork | None = None) -> Fetched[IpNetwork]:
        self.lookups += 1
        answer = await client.get_json(url)
        observed = iso(utc_now())
        value = answer if isinstance(answer, FetchError) else parse_network(url, answer, query)
        return Fetched(self.name, f"GET {url}", value, observed)

    async def _reverse(self, ctx: SourceContext, block: IPNetwork
                       ) -> Fetched[ReverseDelegation]:
        """The reverse zone's NS (its absence, NXDOMAIN or no NS, is a `not_found`
        failure: no delegation could be read)."""
        from lockin_audit.sources.dns import client_from_config

        zone = reverse_zone(block)
        request = f"{zone} NS"
        if self._dns is None:
            try:
                self._dns = client_from_config(ctx)
            except SourceFailure as exc:
                return Fetched("dns", request, exc.error, exc.error.observed_at)
        read = await self._dns.query(zone, "NS")
        if read.error is not None:
            return Fetched("dns", request, read.error, read.observed_at)
        answer = read.ok
        value: ReverseDelegation | FetchError
        if answer.status == "nxdomain":
            value = FetchError("dns", answer.request, "no reverse zone exists (NXDOMAIN)",
                               kind="not_found")
        elif not answer.records:
            value = FetchError("dns", answer.request, "the reverse zone has no NS records",
                               kind="not_found")
        else:
            value = ReverseDelegation(zone, tuple(sorted(answer.records)))
        return Fetched("dns", request, value, read.observed_at)


MAX_PARENTS = 6  # RIR -> LIR -> reallocation -> reassignment: never deeper in practice


def _supernet_url(base: str, net: IpNetwork) -> str | None:
    """`<base>ip/<prefix>` for the prefix one bit larger than the network's range."""
    try:
        prefixes = [ipaddress.ip_network(p) for p in net.prefixes]
    except ValueError:
        return None
    if not prefixes:
        return None
    first = prefixes[0]
    covering = first
    while not all(p.version == covering.version and p.subnet_of(covering)  # type: ignore[arg-type]
                  for p in prefixes):
        covering = covering.supernet()
    if covering.prefixlen == 0:
        return None
    return urljoin(base if base.endswith("/") else base + "/", f"ip/{covering.supernet()}")


def _is_block(cidr: str) -> bool:
    return ipaddress.ip_network(cidr).num_addresses > 1


def _add(seen: dict[str, list[str]], value: str, where: str) -> str | None:
    try:
        net = ipaddress.ip_network(value, strict=False)
    except ValueError:
        return None
    if (net.is_private or net.is_loopback or net.is_link_local) and not _documentation(net):
        return None  # RFC 1918, loopback and link-local space has no RIR holder
    cidr = str(net)
    seen.setdefault(cidr, [])
    if where not in seen[cidr]:
        seen[cidr].append(where)
    return cidr


DOCUMENTATION = tuple(ipaddress.ip_network(n) for n in (
    "192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24", "2001:db8::/32"))


def _documentation(net: IPNetwork) -> bool:
    """RFC 5737/3849 ranges are kept: examples and the demo use them."""
    return any(net.version == d.version and net.subnet_of(d)  # type: ignore[arg-type]
               for d in DOCUMENTATION)
