"""RDAP ip network answers in each RIR's documented shape, old forms included, through the
real network source and the local RDAP service.

Shapes: RFC 9083 section 5.4 (ip network: startAddress, endAddress, type, parentHandle);
the NRO RDAP profile and the cidr0 extension (ARIN, RIPE: `cidr0_cidrs`, one entry per
prefix of a range that is not one CIDR block). Types per registry: ARIN network types
(DIRECT ALLOCATION ...), RIPE database statuses, APNIC statuses, LACNIC RDAP
("allocated", "assigned", "reassigned"), AFRINIC statuses (ASSIGNED PA ...). Old answers
(before RFC 7483's objectClassName was required) without `objectClassName`, with
zero-padded IPv4 octets, or with a prefix length in startAddress.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from test_rdap import network_findings, scan, write_inventory

from lockin_audit.demo.rdap_server import RdapData, RdapServer, entity
from lockin_audit.model import Finding, Status
from lockin_audit.sources.network import allocation_kind


def net(start: str, end: str, kind: str, org: str, *, handle: str, port43: str,
        cidrs: list[tuple[str, int]] = (), klass: bool = True,  # type: ignore[assignment]
        name: str = "NET") -> dict[str, Any]:
    obj: dict[str, Any] = {
        "rdapConformance": ["rdap_level_0", "nro_rdap_profile_0"] + (["cidr0"] if cidrs
                                                                     else []),
        "handle": handle, "startAddress": start, "endAddress": end, "ipVersion": "v4",
        "name": name, "type": kind, "port43": port43, "status": ["active"],
        "entities": [entity(["registrant"], handle=handle + "-ORG", fn=org)]}
    if klass:
        obj["objectClassName"] = "ip network"
    if cidrs:
        obj["cidr0_cidrs"] = [{"v4prefix": p, "length": n} for p, n in cidrs]
    return obj


NETWORKS = {
    "arin": [
        # one allocation made of three prefixes (13.64.0.0 - 13.107.255.255)
        net("13.64.0.0", "13.107.255.255", "DIRECT ALLOCATION", "Microsoft Corporation",
            handle="NET-13-64-0-0-1", port43="whois.arin.net", name="MSFT",
            cidrs=[("13.64.0.0", 11), ("13.96.0.0", 13), ("13.104.0.0", 14)]),
        # a legacy answer: no objectClassName, zero-padded octets
        net("074.125.000.000", "074.125.255.255", "DIRECT ALLOCATION", "Google LLC",
            handle="NET-74-125-0-0-1", port43="whois.arin.net", klass=False,
            name="GOOGLE"),
    ],
    "ripe": [
        # an old RIPE form with a prefix length in the addresses
        net("194.85.61.0/32", "194.85.61.255/32", "ASSIGNED PA", "Acme Dental LLC",
            handle="194.85.61.0 - 194.85.61.255", port43="whois.ripe.net"),
    ],
    "lacnic": [
        net("200.7.84.0", "200.7.84.255", "assigned", "Acme Dental LLC",
            handle="200.7.84.0/24", port43="whois.lacnic.net"),
        net("200.7.86.0", "200.7.86.255", "reassigned", "Acme Dental LLC",
            handle="200.7.86.0/24", port43="whois.lacnic.net"),
    ],
    "afrinic": [
        net("196.1.1.0", "196.1.1.255", "ASSIGNED PA", "Acme Dental LLC",
            handle="196.1.1.0 - 196.1.1.255", port43="whois.afrinic.net"),
        net("196.1.2.0", "196.1.2.255", "assigned", "Acme Dental LLC",
            handle="196.1.2.0 - 196.1.2.255", port43="whois.afrinic.net"),
    ],
}
ADDRESSES = ["13.104.0.10", "74.125.1.1", "194.85.61.5", "200.7.84.10", "200.7.86.10",
             "196.1.1.10", "196.1.2.10"]


@pytest.fixture(scope="module")
def found(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Finding]]:
    server = RdapServer(RdapData(networks=NETWORKS))
    tmp = tmp_path_factory.mktemp("nets")
    try:
        inv = write_inventory(Path(tmp), ADDRESSES)
        yield network_findings(scan(server, [], areas=("network",), inventory=[inv],
                                    base_dir=Path(tmp)))
    finally:
        server.stop()


def test_the_prefix_holding_the_address_is_named(found: dict[str, Finding]) -> None:
    f = found["13.104.0.10/32"]
    assert "is in 13.104.0.0/14" in f.detail and "13.64.0.0/11" not in f.detail, f.detail
    assert "Microsoft Corporation" in f.detail


def test_legacy_forms_still_name_the_holder(found: dict[str, Finding]) -> None:
    google = found["74.125.1.1/32"]
    assert google.status is not Status.ERROR and "Google LLC" in google.detail
    assert "74.125.0.0/16" in google.detail
    ripe = found["194.85.61.5/32"]
    assert ripe.status is Status.WARN and "194.85.61.0/24" in ripe.detail
    assert "provider-assigned" in ripe.detail


def test_lacnic_and_afrinic_vocabularies(found: dict[str, Finding]) -> None:
    assert found["200.7.84.10/32"].status is Status.PASS  # LACNIC assigned: portable
    assert "provider-independent" in found["200.7.84.10/32"].detail
    assert found["200.7.86.10/32"].status is Status.WARN  # reassigned by an ISP
    assert found["196.1.1.10/32"].status is Status.WARN  # AFRINIC ASSIGNED PA
    bare = found["196.1.2.10/32"]  # AFRINIC bare "assigned": PA or PI is not said
    assert bare.status is Status.MANUAL and "does not say" in bare.detail


@pytest.mark.parametrize(("rir_type", "rir", "kind"), [
    ("assigned", "lacnic", "provider-independent"), ("allocated", "lacnic", "allocation"),
    ("reassigned", "lacnic", "provider-assigned"), ("ASSIGNED PA", "afrinic",
                                                    "provider-assigned"),
    ("assigned", "afrinic", "unknown"), ("ASSIGNED PI", "ripe", "provider-independent"),
    ("ASSIGNED", "ripe", "provider-assigned"), ("REASSIGNMENT", "arin", "provider-assigned"),
    ("DIRECT ASSIGNMENT", "arin", "provider-independent"),
    ("ASSIGNED PORTABLE", "apnic", "provider-independent"),
    ("ALLOCATED NON-PORTABLE", "apnic", "allocation"),
])
def test_allocation_vocabularies(rir_type: str, rir: str, kind: str) -> None:
    assert allocation_kind(rir_type, rir) == kind
