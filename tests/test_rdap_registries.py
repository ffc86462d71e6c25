"""RDAP domain answers in the shapes registries and registrars document, through the real
RDAP source and the local RDAP service: thin registry + registrar merge order, privacy and
proxy services, forwarding addresses, redacted vs not published vs unreadable contacts,
the registrar's own expiration date, registry name tags, and a domain the registry does
not know.

Shapes: RFC 9083 section 5.3 (domain), 5.1 (entity, jCard per RFC 7095), 4.5 (events);
ICANN's gTLD RDAP Response Profile (2024) section 2.4 (the registrar entity with the IANA
Registrar ID in publicIds, and its abuse contact) and 2.3.1.3 / the RDAP JSON values
registry ("registrar expiration" event action); RFC 9537 (redaction). Thin registries
(.com, .net) answer with the registrar entity only and a `related` link to the registrar.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from test_rdap import EXP, REG, findings, one, scan

from lockin_audit.demo.rdap_server import (
    RdapData,
    RdapServer,
    domain_object,
    entity,
    registrar_entity,
)
from lockin_audit.model import ScanResult, Severity, Status

TODAY = dt.date.today()


def _when(days: int) -> str:
    return f"{(TODAY + dt.timedelta(days=days)).isoformat()}T00:00:00Z"


def bare_registrar(name: str, iana_id: str) -> dict[str, Any]:
    """A thin registry's registrar entity: the name and the IANA id, nothing else."""
    return {"objectClassName": "entity", "roles": ["registrar"],
            "publicIds": [{"type": "IANA Registrar ID", "identifier": iana_id}],
            "vcardArray": ["vcard", [["version", {}, "text", "4.0"],
                                     ["fn", {}, "text", name]]]}


def handle_only(role: str, handle: str) -> dict[str, Any]:
    """A contact published as a handle only (no vcardArray), as .cz and .eu do."""
    return {"objectClassName": "entity", "handle": handle, "roles": [role]}


GODADDY = registrar_entity("GoDaddy.com, LLC", "146", "abuse@godaddy.com")
NAMECHEAP = registrar_entity("NameCheap, Inc.", "1068", "abuse@namecheap.com")
TUCOWS = registrar_entity("Tucows Domains Inc.", "69", "domainabuse@tucows.com")
MARKMONITOR = registrar_entity("MarkMonitor Inc.", "292", "abusecomplaints@markmonitor.com")
PROVIDER_RESELLER = entity(["reseller"], handle="RES-BITS", fn="Bob's IT Services",
                           org="Bob's IT Services", email="domains@bobsit.example")

# name -> (registry entities, registrar entities or None, extra registrar events)
CASES: dict[str, tuple[list[dict[str, Any]], list[dict[str, Any]] | None]] = {
    # thin registry: a bare registrar entity and an empty registrant; the registrar's
    # full answer must win for both
    "merged.com": (
        [bare_registrar("MarkMonitor Inc.", "292"),
         {"objectClassName": "entity", "roles": ["registrant"],
          "vcardArray": ["vcard", [["version", {}, "text", "4.0"]]]}],
        [MARKMONITOR, entity(["registrant"], handle="MM-1", fn="Domain Administrator",
                             org="Acme Dental LLC", email="it@acmedental.com")]),
    "dbp.com": ([bare_registrar("GoDaddy.com, LLC", "146")],
                [GODADDY, entity(["registrant"], fn="Registration Private",
                                 org="Domains By Proxy, LLC",
                                 email="dbp.com@domainsbyproxy.com")]),
    "dbpreseller.com": ([bare_registrar("GoDaddy.com, LLC", "146")],
                        [GODADDY, PROVIDER_RESELLER,
                         entity(["registrant"], fn="Registration Private",
                                org="Domains By Proxy, LLC",
                                email="dbpreseller.com@domainsbyproxy.com")]),
    "whoisguard.com": ([bare_registrar("NameCheap, Inc.", "1068")],
                       [NAMECHEAP, entity(["registrant"], fn="WhoisGuard Protected",
                                          org="WhoisGuard, Inc.",
                                          email="abc123@whoisguard.com")]),
    "withheld.com": ([bare_registrar("NameCheap, Inc.", "1068")],
                     [NAMECHEAP, entity(
                         ["registrant"], fn="Redacted for Privacy",
                         org="Privacy service provided by Withheld for Privacy ehf",
                         email="0a1b2c@withheldforprivacy.com")]),
    "contactprivacy.com": ([bare_registrar("Tucows Domains Inc.", "69")],
                           [TUCOWS, entity(["registrant"],
                                           fn="Contact Privacy Inc. Customer 0151234567",
                                           org="Contact Privacy Inc. Customer 0151234567",
                                           email="acme@contactprivacy.email")]),
    # the client's name with a registrar's forwarding address: the client's
    "forwarded.com": ([bare_registrar("Tucows Domains Inc.", "69")],
                      [TUCOWS, entity(["registrant"], fn="Acme Dental LLC",
                                      org="Acme Dental LLC",
                                      email="x7k2m@anonymised.email")]),
    # a thick registry publishing contacts as handles only
    "handles.cz": ([registrar_entity("Example Registrar s.r.o.", "REG-EXAMPLE",
                                     "abuse@registrar.example"),
                    handle_only("registrant", "ACME-CZ-1")], None),
    # a contact card that is not a jCard
    "broken.org": ([registrar_entity("Example Registrar, Inc.", "1234", "abuse@r.example"),
                    {"objectClassName": "entity", "roles": ["registrant"],
                     "vcardArray": ["vcard", [["fn", {}], "Acme"]]}], None),
    # registry name tags and doubled full stops
    "tagged.com": ([registrar_entity("GKG.Net, Inc.~VRSN", "1478", "abuse@gkg.net"),
                    entity(["registrant"], org="Acme Dental LLC..", fn="Acme Dental LLC..")],
                   None),
    # the registrar's own deadline is earlier than the registry's
    "rarexp.com": ([bare_registrar("MarkMonitor Inc.", "292")],
                   [MARKMONITOR, entity(["registrant"], org="Acme Dental LLC",
                                        email="it@acmedental.com")]),
}


@pytest.fixture(scope="module")
def server() -> Iterator[RdapServer]:
    srv = RdapServer(RdapData())
    tlds: dict[str, dict[str, Any]] = {}
    registrar: dict[str, Any] = {}
    for name, (reg_entities, rar_entities) in CASES.items():
        tld = name.rsplit(".", 1)[1]
        related = f"{srv.url}/registrar/domain/{name}" if rar_entities is not None else None
        tlds.setdefault(tld, {})[name] = domain_object(
            name, entities=reg_entities, expires=_when(300), related=related,
            self_url=f"{srv.url}/{tld}/domain/{name}")
        if rar_entities is not None:
            obj = domain_object(name, entities=rar_entities, expires=_when(300),
                                self_url=f"{srv.url}/registrar/domain/{name}")
            if name == "rarexp.com":
                obj["events"].append({"eventAction": "registrar expiration",
                                      "eventDate": _when(25)})
            registrar[name] = obj
    srv.data = RdapData(tlds=tlds, registrar=registrar)
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def result(server: RdapServer) -> ScanResult:
    return scan(server, [*CASES, "lapsed.com"])


def test_registrar_data_wins_over_the_thin_registry(result: ScanResult) -> None:
    f = one(result, "merged.com", REG, "registrant")
    assert f.status is Status.PASS, f.detail
    assert "MarkMonitor Inc." in f.detail


@pytest.mark.parametrize(("domain", "service"), [
    ("dbp.com", "Domains By Proxy"), ("whoisguard.com", "WhoisGuard"),
    ("withheld.com", "Withheld for Privacy"), ("contactprivacy.com", "Contact Privacy Inc."),
])
def test_privacy_services_are_not_the_holder(result: ScanResult, domain: str,
                                             service: str) -> None:
    f = one(result, domain, REG, "registrant")
    assert f.status is Status.MANUAL and f.holder.value == "unknown", f.detail
    assert "privacy service" in f.detail and service in f.detail
    assert "neither you nor the provider" not in f.detail
    assert "Ask the registrar" in f.detail
    # the service is not an identifier for the user to classify
    assert not [u for u in result.unidentified
                if any(w in u.value.lower() for w in ("proxy", "whoisguard", "privacy"))]
    assert one(result, domain, REG, "account").status is Status.MANUAL


def test_privacy_service_with_the_provider_as_reseller(result: ScanResult) -> None:
    assert one(result, "dbpreseller.com", REG, "registrant").status is Status.MANUAL
    account = one(result, "dbpreseller.com", REG, "account")
    assert account.status is Status.FAIL and "Bob's IT Services" in account.detail


def test_forwarding_address_is_neutral(result: ScanResult) -> None:
    f = one(result, "forwarded.com", REG, "registrant")
    assert f.status is Status.PASS, f.detail


def test_not_published_and_unreadable_are_told_apart(result: ScanResult) -> None:
    handles = one(result, "handles.cz", REG, "registrant")
    assert handles.status is Status.MANUAL
    assert "only as a handle (ACME-CZ-1)" in handles.detail
    assert "redacted" not in handles.detail
    broken = one(result, "broken.org", REG, "registrant")
    assert broken.status is Status.MANUAL and "malformed vCard" in broken.detail
    assert "redacted" not in broken.detail


def test_names_are_clean(result: ScanResult) -> None:
    f = one(result, "tagged.com", REG, "registrant")
    assert f.status is Status.PASS
    assert "GKG.Net, Inc." in f.detail and "~VRSN" not in f.detail and ".." not in f.detail


def test_registrar_expiration_counts_and_is_named(result: ScanResult) -> None:
    f = one(result, "rarexp.com", EXP)
    assert (f.status, f.severity) == (Status.FAIL, Severity.CRITICAL)
    assert f.due == TODAY + dt.timedelta(days=25)
    assert "registrar's 'registrar expiration' date" in f.detail
    assert "registry's expiration date" in f.detail  # the other date is shown too


def test_a_domain_the_registry_does_not_know_is_critical(result: ScanResult) -> None:
    f = one(result, "lapsed.com", REG, "registrant")
    assert (f.status, f.severity) == (Status.FAIL, Severity.CRITICAL)
    assert "anyone can register it today" in f.title.lower()
    assert not findings(result, "lapsed.com", EXP)
