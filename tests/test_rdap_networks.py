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

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from test_rdap import network_findings, scan, write_inventory

from lockin_audit.demo import PROVIDER
from lockin_audit.demo.rdap_server import (
    RdapData,
    RdapServer,
    arin_network,
    entity,
    ripe_network,
)
from lockin_audit.model import Finding, Status
from lockin_audit.sources.network import allocation_kind
from tests.hooks import hooks, rdap_fault, watch


def net(start: str, end: str, kind: str, org: str, *, handle: str, port43: str,
        cidrs: Sequence[tuple[str, int]] = (), klass: bool = True,
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
    ("ALLOCATED NON-PORTABLE", "apnic", "provider-assigned"),  # an LIR's sub-allocation
    ("ALLOCATED PORTABLE", "apnic", "allocation"), ("SUB-ALLOCATED PA", "ripe",
                                                    "provider-assigned"),
    ("REALLOCATED", "arin", "provider-assigned"),
])
def test_allocation_vocabularies(rir_type: str, rir: str, kind: str) -> None:
    assert allocation_kind(rir_type, rir) == kind


# --- parent chains (issue 23): whose space it is, and who it is assigned to ---------------
# ARIN: a reassignment's registrant is the customer (a simple reassignment names a customer
# record, handle C0...), its `up` link names the network it was carved from (ARIN RDAP
# links; RFC 9083 section 4.2). RIPE: an ASSIGNED PA names the end user; the LIR's
# ALLOCATED PA above it is found by asking for the next larger prefix (no `up` link).


def _chain_data(url: str) -> dict[str, list[dict[str, Any]]]:
    arin = f"{url}/arin/ip"
    return {"arin": [
        arin_network("64.15.0.0", "64.15.255.255", "CARRIER-NET", "DIRECT ALLOCATION",
                     "Metro Fiber Co", "NET-64-15-0-0-1"),
        arin_network("64.15.8.0", "64.15.8.255", "BITS-REALLOC", "REALLOCATED",
                     "Bob's IT Services", "NET-64-15-8-0-1", parent="NET-64-15-0-0-1",
                     up=f"{arin}/64.15.0.0/16"),
        arin_network("64.15.8.64", "64.15.8.71", "ACME-DENTAL", "REASSIGNED", "ACME DENTAL",
                     "NET-64-15-8-64-1", parent="NET-64-15-8-0-1", org_handle="C07654321",
                     up=f"{arin}/64.15.8.0/24"),
        # the parent of this one answers 503 (see the fault below)
        arin_network("64.15.9.0", "64.15.9.7", "ACME-DENTAL-2", "REASSIGNED",
                     "Acme Dental LLC", "NET-64-15-9-0-1", parent="NET-64-15-9-0-0",
                     org_handle="C07654322", up=f"{arin}/64.15.9.0/24"),
        # a simple reassignment straight out of the provider's own direct allocation
        arin_network("64.16.0.0", "64.16.255.255", "BITS-NET", "DIRECT ALLOCATION",
                     "Bob's IT Services", "NET-64-16-0-0-1"),
        arin_network("64.16.1.0", "64.16.1.7", "ACME-DENTAL-3", "REASSIGNED", "ACME DENTAL",
                     "NET-64-16-1-0-1", parent="NET-64-16-0-0-1", org_handle="C07654323",
                     up=f"{arin}/64.16.0.0/16"),
        # registered to the client, no type given
        {k: v for k, v in arin_network("64.15.10.0", "64.15.10.255", "ACME-OWN", "X",
                                       "Acme Dental LLC", "NET-64-15-10-0-1",
                                       parent="NET-64-15-0-0-1").items() if k != "type"},
    ], "ripe": [
        ripe_network("91.198.0.0", "91.198.255.255", "DE-CARRIER", "ALLOCATED PA",
                     "Example Carrier GmbH", "ORG-EC1-RIPE", "EC-MNT"),
        ripe_network("91.198.4.0", "91.198.4.255", "ACME-DENTAL-NET", "ASSIGNED PA",
                     "Acme Dental LLC", "ORG-AD1-RIPE", "EC-MNT",
                     parent="91.198.0.0 - 91.198.255.255"),
    ]}


@pytest.fixture(scope="module")
def chained(tmp_path_factory: pytest.TempPathFactory
            ) -> Iterator[tuple[RdapServer, dict[str, Finding], bool]]:
    server = RdapServer(RdapData())
    server.data.networks = _chain_data(server.url)
    watch(server).faults.append(rdap_fault("/arin/ip/64.15.9.0/24", 503, '{"errorCode": 503}'))
    tmp = tmp_path_factory.mktemp("chain")
    try:
        inv = write_inventory(Path(tmp), ["64.15.8.64/29", "64.15.9.0/29", "64.15.10.0/24",
                                          "91.198.4.0/24", "64.16.1.0/29"])
        result = scan(server, [], areas=("network",), inventory=[inv], base_dir=Path(tmp),
                      provider={**PROVIDER, "ip_ranges": []})
        yield server, network_findings(result), result.complete
    finally:
        server.stop()


def test_reassigned_block_under_the_providers_reallocation_is_the_providers(
        chained: tuple[RdapServer, dict[str, Finding], bool]) -> None:
    f = chained[1]["64.15.8.64/29"]
    assert f.status is Status.FAIL and f.holder.value == "provider", f.detail
    assert "assigned to ACME DENTAL (REASSIGNED)" in f.detail  # the customer named too
    assert "out of the provider's REALLOCATED 64.15.8.0/24 (Bob's IT Services)" in f.detail
    assert "Metro Fiber Co" in f.detail  # the whole chain up to the allocation
    assert len(f.evidence) == 3


def test_reassigned_block_under_the_providers_direct_allocation_is_the_providers(
        chained: tuple[RdapServer, dict[str, Finding], bool]) -> None:
    f = chained[1]["64.16.1.0/29"]
    assert f.status is Status.FAIL and f.holder.value == "provider", f.detail
    assert "assigned to ACME DENTAL (REASSIGNED) out of the provider's DIRECT ALLOCATION " \
        "64.16.0.0/16 (Bob's IT Services)" in f.detail


def test_assigned_pa_under_an_lir_allocation_is_the_lirs(
        chained: tuple[RdapServer, dict[str, Finding], bool]) -> None:
    server, found, _ = chained
    f = found["91.198.4.0/24"]
    assert f.status is Status.WARN and "Example Carrier GmbH's ALLOCATED PA" in f.detail
    assert "lent to Acme Dental LLC" in f.detail, f.detail
    assert hooks(server).log.count_path("/ripe/ip/91.198.4.0/23") == 1  # the next larger prefix was asked


def test_a_failed_parent_lookup_is_an_error_and_the_scan_incomplete(
        chained: tuple[RdapServer, dict[str, Finding], bool]) -> None:
    _, found, complete = chained
    f = found["64.15.9.0/29"]
    assert f.status is Status.ERROR and "could not be read" in f.detail, f.detail
    assert "503" in f.detail and not complete


def test_own_network_without_a_type_passes_noting_the_missing_type(
        chained: tuple[RdapServer, dict[str, Finding], bool]) -> None:
    f = chained[1]["64.15.10.0/24"]
    assert f.status is Status.PASS and "gives no allocation type" in f.detail, f.detail
