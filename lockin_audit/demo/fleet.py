"""A demo fleet: an MSP ("Harbor Managed IT") and its clients, each with a few domains, a
shared provider DNS zone, registration data and an inventory, served locally.

Used by `lockin-audit demo --fleet`, the fleet tests and bench/bench_fleet.py. The pieces
can be used apart (the benchmark puts a latency proxy in front of the DNS server):

- `fleet_clients(n, domains)`: the clients (name, slug, domains, how many the provider holds)
- `fleet_zones(clients)`: zone files (every client's domains, the provider's zone, two
  reverse zones), for Knot or the demo's small DNS server
- `fleet_rdap(base_url, clients)`: thin-registry and registrar answers (RDAP, RFC 9083
  shapes) and the IP networks (ARIN / APNIC shapes)
- `write_fleet(folder, clients, resolver, bootstrap_url)`: one audit file and one
  inventory per client
- `fleet_estate(folder, clients, domains)`: all of it started (Knot, else the small DNS
  server) and stopped again

Client n holds its domains as follows: the first `n % 3` (at most all) are registered to
the provider and hosted on the provider's name servers with its mail filter; the rest are
the client's own, on its own name servers. Dates are computed from today.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from lockin_audit.demo.rdap_server import (
    RdapData,
    RdapServer,
    apnic_network,
    arin_network,
    domain_object,
    entity,
    registrar_entity,
)

PROVIDER_NAME = "Harbor Managed IT"
PROVIDER_DOMAIN = "harbormsp.example"
PROVIDER_WEB = "203.0.113.10"  # in the provider's ARIN allocation
PROVIDER_MX = "203.0.113.25"
HOSTING_WEB = "192.0.2.80"  # a hosting company's APNIC block, where client sites live
TLD = "test"  # RFC 2606: never a real domain

BASE_NAMES = (
    "Pine Street Dental", "Lakeside Law Group", "Northwind Bakery", "Harbor Vet Clinic",
    "Riverside Physio", "Oak & Ash Architects", "Bluebird Accounting", "Summit Roofing",
    "Maple Grove Pharmacy", "Cedar Point Realty", "Brightside Opticians",
    "Granite Engineering", "Willow Day Nursery", "Copper Kettle Cafe", "Ironbridge Logistics",
    "Seaview Hotel", "Meadow Farm Supplies", "Redwood Insurance Brokers",
    "Silverline Printing", "Foxglove Florists",
)


@dataclass(frozen=True)
class FleetClient:
    n: int
    name: str
    slug: str
    domains: tuple[str, ...]
    provider_held: int  # the first `provider_held` domains are the provider's

    def provider_domain(self, domain: str) -> bool:
        return self.domains.index(domain) < self.provider_held


def _slug(name: str) -> str:
    import re

    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


def fleet_clients(count: int, domains: int = 3) -> list[FleetClient]:
    out = []
    for n in range(count):
        base = BASE_NAMES[n % len(BASE_NAMES)]
        name = base if n < len(BASE_NAMES) else f"{base} {n // len(BASE_NAMES) + 1}"
        slug = _slug(name)
        names = tuple(f"{slug}.{TLD}" if j == 0 else f"{slug}-site{j}.{TLD}"
                      for j in range(domains))
        out.append(FleetClient(n, name, slug, names, min(n % 3, domains)))
    return out


def _zone(origin: str, ns: tuple[str, ...], mname: str, rname: str, body: str) -> str:
    head = [f"$ORIGIN {origin}.", "$TTL 300",
            f"@ SOA {mname} {rname} 2026112301 3600 900 1209600 300"]
    head += [f"@ NS {n}." for n in ns]
    return "\n".join(head) + "\n" + body.strip() + "\n"


PROVIDER_NS = (f"ns1.{PROVIDER_DOMAIN}", f"ns2.{PROVIDER_DOMAIN}")


def fleet_zones(clients: list[FleetClient]) -> dict[str, str]:
    zones: dict[str, str] = {
        PROVIDER_DOMAIN: _zone(PROVIDER_DOMAIN, PROVIDER_NS, f"ns1.{PROVIDER_DOMAIN}.",
                               f"hostmaster.{PROVIDER_DOMAIN}.", f"""
ns1 A 203.0.113.53
ns2 A 203.0.113.54
mx1 A {PROVIDER_MX}
web A {PROVIDER_WEB}
_spf TXT "v=spf1 ip4:203.0.113.0/24 -all"
"""),
        "113.0.203.in-addr.arpa": _zone("113.0.203.in-addr.arpa", PROVIDER_NS,
                                        f"ns1.{PROVIDER_DOMAIN}.",
                                        f"hostmaster.{PROVIDER_DOMAIN}.", f"""
10 PTR web.{PROVIDER_DOMAIN}.
25 PTR mx1.{PROVIDER_DOMAIN}.
"""),
        "2.0.192.in-addr.arpa": _zone("2.0.192.in-addr.arpa", ("ns1.hosting.example",),
                                      "ns1.hosting.example.", "noc.hosting.example.", """
80 PTR sites.hosting.example.
"""),
    }
    for c in clients:
        for d in c.domains:
            if c.provider_domain(d):
                zones[d] = _zone(d, PROVIDER_NS, f"ns1.{PROVIDER_DOMAIN}.",
                                 f"hostmaster.{PROVIDER_DOMAIN}.", f"""
@ A {PROVIDER_WEB}
@ MX 10 mx1.{PROVIDER_DOMAIN}.
@ TXT "v=spf1 include:_spf.{PROVIDER_DOMAIN} -all"
www CNAME web.{PROVIDER_DOMAIN}.
_dmarc TXT "v=DMARC1; p=none; rua=mailto:dmarc@{PROVIDER_DOMAIN}"
""")
            else:
                zones[d] = _zone(d, (f"ns1.{d}",), f"ns1.{d}.", f"it.{c.domains[0]}.", f"""
ns1 A 192.0.2.53
@ A {HOSTING_WEB}
@ MX 10 mail.{d}.
mail A {HOSTING_WEB}
@ TXT "v=spf1 a mx -all"
www CNAME {d}.
_dmarc TXT "v=DMARC1; p=reject; rua=mailto:dmarc@{d}"
""")
    return zones


def _when(today: dt.date, days: int) -> str:
    return f"{(today + dt.timedelta(days=days)).isoformat()}T04:00:00Z"


def fleet_rdap(base: str, clients: list[FleetClient],
               today: dt.date | None = None) -> RdapData:
    """Registry (thin, with a `related` registrar link) and registrar answers for every
    domain, and the two IP networks the zones point at."""
    today = today or dt.date.today()
    registrar = registrar_entity("Example Registrar, Inc.", "9999", "abuse@registrar.example")
    registry: dict[str, Any] = {}
    registrar_answers: dict[str, Any] = {}
    for c in clients:
        for j, d in enumerate(c.domains):
            expires = _when(today, 120 + 37 * ((c.n + j) % 9))
            held = c.provider_domain(d)
            ns = list(PROVIDER_NS) if held else [f"ns1.{d}"]
            holder = (entity(["registrant"], fn="Hostmaster", org=PROVIDER_NAME,
                             email=f"hostmaster@{PROVIDER_DOMAIN}") if held else
                      entity(["registrant"], fn="IT", org=c.name, email=f"it@{c.domains[0]}"))
            registry[d] = domain_object(d, entities=[registrar], expires=expires,
                                        nameservers=ns, self_url=f"{base}/{TLD}/domain/{d}",
                                        related=f"{base}/registrar/domain/{d}")
            registrar_answers[d] = domain_object(
                d, entities=[registrar, holder], expires=expires, nameservers=ns,
                self_url=f"{base}/registrar/domain/{d}")
    networks = {
        "arin": [arin_network("203.0.113.0", "203.0.113.255", "HARBOR-MSP", "DIRECT ALLOCATION",
                              PROVIDER_NAME, "NET-203-0-113-0-1", org_handle="HMIT")],
        "apnic": [apnic_network("192.0.2.0", "192.0.2.255", "EXAMPLE-HOSTING", "ALLOCATED PORTABLE",
                                "Example Hosting Pty Ltd", "ORG-EH1-AP")],
    }
    return RdapData(tlds={TLD: registry}, registrar=registrar_answers, networks=networks)


def inventory(c: FleetClient, today: dt.date) -> dict[str, Any]:
    held = c.provider_held > 0
    start = today - dt.timedelta(days=300 + 11 * (c.n % 20))
    return {
        "contracts": [
            {"id": f"INET-{c.n:03d}", "category": "internet_line", "provider": "Metro Fiber Co",
             "account_number": f"MF-{100000 + c.n}",
             "account_holder": PROVIDER_NAME if held else c.name,
             "billed_to": c.name, "contracted_via": "provider" if held else "client",
             "term_start": start.isoformat(), "term_months": 24, "auto_renew": True,
             "notice_period_days": 60, "notice_method": "written notice"},
            {"id": f"MSP-{c.n:03d}", "category": "msp_agreement", "provider": PROVIDER_NAME,
             "account_holder": c.name, "billed_to": c.name, "contracted_via": "client",
             "term_start": start.isoformat(), "term_months": 12, "auto_renew": True,
             "notice_period_days": 30, "notice_method": f"email to contracts@{PROVIDER_DOMAIN}"},
        ],
        "credentials": [
            {"system": "Firewall", "admin_holder": "provider" if held else "both",
             "last_tested": (today - dt.timedelta(days=30)).isoformat()},
        ],
        "backups": [
            {"name": "Nightly server backup", "location": "cloud storage",
             "key_holder": "provider" if held else "client"},
        ],
    }


def audit_file(c: FleetClient, resolver: str, bootstrap_url: str, inventory_file: str,
               limits: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "client": {"name": c.name, "domains": list(c.domains),
                   "email_domains": [c.domains[0]]},
        "provider": {"name": PROVIDER_NAME, "domains": [PROVIDER_DOMAIN],
                     "ip_ranges": ["203.0.113.0/24"]},
        "scan": {"domains": list(c.domains),
                 "dns": {"resolvers": [resolver], "timeout_s": 3},
                 "rdap": {"bootstrap_url": bootstrap_url},
                 "inventory": [inventory_file],
                 "limits": limits or {"concurrency": 32, "timeout_s": 10}},
    }


def write_fleet(folder: Path, clients: list[FleetClient], resolver: str, bootstrap_url: str,
                *, limits: dict[str, Any] | None = None,
                today: dt.date | None = None) -> list[Path]:
    """One audit file per client in `folder` (and its inventory under inventory/)."""
    today = today or dt.date.today()
    (folder / "inventory").mkdir(parents=True, exist_ok=True)
    paths = []
    for c in clients:
        inv = f"inventory/{c.slug}.yaml"
        (folder / inv).write_text(yaml.safe_dump(inventory(c, today), sort_keys=False),
                                  encoding="utf-8")
        path = folder / f"{c.slug}.yaml"
        path.write_text(f"# {c.name}: a client of {PROVIDER_NAME} (lockin-audit demo fleet)\n"
                        + yaml.safe_dump(audit_file(c, resolver, bootstrap_url, inv, limits),
                                         sort_keys=False), encoding="utf-8")
        paths.append(path)
    return paths


@dataclass
class FleetEstate:
    clients: list[FleetClient]
    audit_files: list[Path]
    rdap: RdapServer
    resolver: str


@contextlib.contextmanager
def fleet_estate(folder: Path, clients: int = 6, domains: int = 3) -> Iterator[FleetEstate]:
    """Start DNS (Knot when installed, else the demo's small server) and RDAP for a fleet,
    write its audit files into `folder`, and stop the servers afterwards."""
    import shutil
    import tempfile

    from lockin_audit.demo import DemoUnavailable
    from lockin_audit.demo.knot import KnotServer, KnotUnavailable, knotd_path

    folder = folder.resolve()
    # the DNS server's zones and log live in a private temporary folder, not beside the
    # audit files in the output folder
    dns_dir = Path(tempfile.mkdtemp(prefix="lockin-fleet-dns-"))
    members = fleet_clients(clients, domains)
    zones = fleet_zones(members)
    rdap = RdapServer(RdapData())
    stops = [lambda: shutil.rmtree(dns_dir, ignore_errors=True), rdap.stop]
    try:
        rdap.data = fleet_rdap(rdap.url, members)
        if knotd_path() is not None:
            try:
                knot = KnotServer(dns_dir, zones).start(timeout_s=30)
            except KnotUnavailable as exc:
                raise DemoUnavailable(f"the fleet's DNS server (Knot) did not start: {exc}") \
                    from None
            stops.append(knot.stop)
            resolver = knot.address
        else:
            from lockin_audit.demo import mini_dns

            zdir = dns_dir
            zdir.mkdir(parents=True, exist_ok=True)
            files = {}
            for origin, text in zones.items():
                files[origin] = zdir / f"{origin}.zone"
                files[origin].write_text(text)
            port, stop = mini_dns.serve(files)
            stops.append(stop)
            resolver = f"127.0.0.1:{port}"
        paths = write_fleet(folder, members, resolver, rdap.bootstrap_url)
        yield FleetEstate(members, paths, rdap, resolver)
    finally:
        for stop in reversed(stops):
            with contextlib.suppress(Exception):
                stop()
