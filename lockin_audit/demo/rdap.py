"""The demo's registration data: a local RDAP service for Acme Dental's domains and IPs.

- acmedental.com: a thin .com registry answer whose `related` link leads to the
  registrar, where the registrant is the provider (Bob's IT Services).
- acme-dental.net: registrant redacted (RFC 9537), managed through the provider as a
  reseller.
- acmesmiles.com: the client's own, expiring in 20 days.
- acmedental.co.uk: a ccTLD registry answer; the registrant "Acme Dental Ltd" is the
  client (legal suffixes fold).
- acmedental.de: no RDAP service in the bootstrap (a manual lookup).
- IP space: the provider's 203.0.113.0/24 (ARIN direct allocation) with the internet
  line's /29 reassigned to the client, the client's PI 198.51.100.0/24 (RIPE), and a
  hosting company's PA 192.0.2.0/24 (APNIC).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from lockin_audit.demo import DemoPart
from lockin_audit.demo.rdap_server import (
    RdapData,
    RdapServer,
    apnic_network,
    arin_network,
    domain_object,
    entity,
    registrar_entity,
    ripe_network,
)

PROVIDER_ORG = "Bob's IT Services"


def _when(today: dt.date, days: int) -> str:
    return f"{(today + dt.timedelta(days=days)).isoformat()}T04:00:00Z"


def demo_data(base: str, today: dt.date) -> RdapData:
    godaddy = registrar_entity("GoDaddy.com, LLC", "146", "abuse@godaddy.com")
    tucows = registrar_entity("Tucows Domains Inc.", "69", "domainabuse@tucows.com")
    amazon = registrar_entity("Amazon Registrar, Inc.", "468", "abuse@amazonaws.com")
    provider_contact = {"fn": "Hostmaster", "org": PROVIDER_ORG,
                        "email": "hostmaster@bobsit.example"}

    def reg(name: str, tld: str, **kw: object) -> dict[str, object]:
        return domain_object(name, self_url=f"{base}/{tld}/domain/{name}", **kw)  # type: ignore[arg-type]

    com = {
        "acmedental.com": reg(
            "acmedental.com", "com", entities=[godaddy], expires=_when(today, 300),
            nameservers=["ns1.bobsit.example", "ns2.bobsit.example"], signed=True,
            related=f"{base}/registrar/domain/acmedental.com"),
        "acmesmiles.com": reg(
            "acmesmiles.com", "com", entities=[amazon], expires=_when(today, 20),
            nameservers=["ns-1.awsdns-01.org", "ns-2.awsdns-02.co.uk"],
            related=f"{base}/registrar/domain/acmesmiles.com"),
    }
    net = {
        "acme-dental.net": reg(
            "acme-dental.net", "net", entities=[tucows], expires=_when(today, 200),
            nameservers=["ada.ns.cloudflare.com", "bob.ns.cloudflare.com"],
            related=f"{base}/registrar/domain/acme-dental.net"),
    }
    uk = {
        "acmedental.co.uk": reg(
            "acmedental.co.uk", "uk", expires=_when(today, 400),
            status=["client transfer prohibited"],
            nameservers=["ns1.acmedental.com"],
            entities=[entity(["registrant"], handle="C12345678", fn="Acme Dental Ltd",
                             org="Acme Dental Ltd", kind="org"),
                      registrar_entity(PROVIDER_ORG, "BOBSIT",
                                       "abuse@bobsit.example")]),
    }
    registrar = {
        "acmedental.com": domain_object(
            "acmedental.com", self_url=f"{base}/registrar/domain/acmedental.com",
            expires=_when(today, 300), nameservers=["ns1.bobsit.example", "ns2.bobsit.example"],
            signed=True,
            entities=[godaddy,
                      entity(["registrant"], handle="CR-BITS-1", **provider_contact),
                      entity(["administrative"], handle="CR-BITS-2", **provider_contact),
                      entity(["technical"], handle="CR-BITS-3", **provider_contact)]),
        "acme-dental.net": domain_object(
            "acme-dental.net", self_url=f"{base}/registrar/domain/acme-dental.net",
            expires=_when(today, 200),
            nameservers=["ada.ns.cloudflare.com", "bob.ns.cloudflare.com"],
            entities=[tucows,
                      entity(["registrant"], fn="REDACTED FOR PRIVACY",
                             org="REDACTED FOR PRIVACY", email="REDACTED FOR PRIVACY"),
                      entity(["reseller"], handle="RES-BITS", fn=PROVIDER_ORG,
                             org=PROVIDER_ORG, email="domains@bobsit.example")],
            redacted=[
                {"name": {"type": "Registrant Name"}, "prePath": "$.entities[?(@.roles[0]=='registrant')].vcardArray[1][?(@[0]=='fn')][3]", "method": "replacementValue"},
                {"name": {"type": "Registrant Organization"}, "method": "replacementValue"},
                {"name": {"type": "Registrant Email"}, "method": "replacementValue"},
            ],
            remarks=[{"title": "REDACTED FOR PRIVACY", "description": [
                "Some of the data in this object has been removed."]}]),
        "acmesmiles.com": domain_object(
            "acmesmiles.com", self_url=f"{base}/registrar/domain/acmesmiles.com",
            expires=_when(today, 20), nameservers=["ns-1.awsdns-01.org"],
            entities=[amazon, entity(["registrant"], fn="IT Department",
                                     org="Acme Dental LLC", email="it@acmedental.com")]),
    }
    networks = {
        "arin": [
            arin_network("203.0.113.0", "203.0.113.255", "BITS-NET-1", "DIRECT ALLOCATION",
                         PROVIDER_ORG, "NET-203-0-113-0-1", org_handle="BITS-12"),
            arin_network("203.0.113.64", "203.0.113.71", "BITS-CUST-ACME", "REASSIGNED",
                         "Acme Dental LLC", "NET-203-0-113-64-1", parent="NET-203-0-113-0-1",
                         org_handle="C08812345", up=f"{base}/arin/ip/203.0.113.0/24"),
        ],
        "ripe": [
            ripe_network("198.51.100.0", "198.51.100.255", "ACME-DENTAL-PI", "ASSIGNED PI",
                         "Acme Dental LLC", "ORG-ADL1-RIPE", "ACME-MNT"),
        ],
        "apnic": [
            apnic_network("192.0.2.0", "192.0.2.255", "EXAMPLEHOSTING-AU",
                          "ASSIGNED NON-PORTABLE", "Example Hosting Pty Ltd", "MAINT-AU-EXHOST"),
        ],
    }
    return RdapData(tlds={"com": com, "net": net, "uk": uk}, registrar=registrar,
                    networks=networks)


def start(workdir: Path) -> DemoPart:
    server = RdapServer(RdapData())
    server.data = demo_data(server.url, dt.date.today())
    return DemoPart(scan={"rdap": {"bootstrap_url": server.bootstrap_url,
                                   "cache_dir": str(workdir / "rdap-cache")}},
                    stop=server.stop)
