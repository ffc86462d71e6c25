"""The registry's delegation (RDAP nameservers and secureDNS dsData, RFC 9083 section
5.3) against the zone a real Knot server serves (NS, and DNSKEY of zones Knot signs)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dns.dnssec
import dns.message
import dns.query
import dns.rdatatype
import pytest

from lockin_audit import registry
from lockin_audit.config import config_from_mapping
from lockin_audit.demo import CLIENT, PROVIDER
from lockin_audit.demo import dns as demo_dns
from lockin_audit.demo.knot import KnotServer, knotd_path
from lockin_audit.demo.rdap_server import RdapData, RdapServer, domain_object, registrar_entity
from lockin_audit.engine import Scanner
from lockin_audit.model import Finding, ScanResult, Status

pytestmark = pytest.mark.skipif(knotd_path() is None, reason="knotd is not installed")

ZONES = {
    "nsmatch.test": demo_dns._zone("nsmatch.test", demo_dns.BOBS_NS, "@ A 192.0.2.1"),
    "nsdiff.test": demo_dns._zone("nsdiff.test", ("ns1.acmedental.com",), "@ A 192.0.2.1"),
    "signed.test": demo_dns._zone("signed.test", ("ns1.acmedental.com",), "@ A 192.0.2.1"),
    "stale.test": demo_dns._zone("stale.test", ("ns1.acmedental.com",), "@ A 192.0.2.1"),
    "halfstale.test": demo_dns._zone("halfstale.test", ("ns1.acmedental.com",),
                                     "@ A 192.0.2.1"),
    "nodsdata.test": demo_dns._zone("nodsdata.test", ("ns1.acmedental.com",),
                                    "@ A 192.0.2.1"),
}
SIGNED = ("signed.test", "stale.test", "halfstale.test", "nodsdata.test")
STALE = {"keyTag": 31415, "algorithm": 13, "digestType": 2, "digest": "5F" * 32}


def served_ds(port: int, zone: str) -> list[dict[str, Any]]:
    """The DS records (SHA-256) of the keys Knot serves for a zone, as RDAP writes dsData."""
    q = dns.message.make_query(zone, dns.rdatatype.DNSKEY)
    resp = dns.query.udp(q, "127.0.0.1", port=port, timeout=2)
    found = []
    for rrset in resp.answer:
        for key in rrset:
            if key.flags & 1:  # the SEP bit: the key a DS points at
                ds = dns.dnssec.make_ds(f"{zone}.", key, "SHA256")
                found.append({"keyTag": ds.key_tag, "algorithm": ds.algorithm,
                              "digestType": ds.digest_type, "digest": ds.digest.hex().upper()})
    assert found
    return found


@pytest.fixture(scope="module")
def result(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ScanResult]:
    knot = KnotServer(tmp_path_factory.mktemp("knot"), ZONES, SIGNED).start()
    rdap = RdapServer(RdapData())
    try:
        good = served_ds(knot.port, "signed.test")
        secure = {"signed.test": good, "stale.test": [STALE],
                  "halfstale.test": [*served_ds(knot.port, "halfstale.test"), STALE]}
        delegated = {"nsmatch.test": list(demo_dns.BOBS_NS),
                     "nsdiff.test": list(demo_dns.BOBS_NS)}
        rar = registrar_entity("Example Registrar, Inc.", "9999", "abuse@registrar.example")
        answers = {}
        for name in ZONES:
            obj = domain_object(name, entities=[rar], expires="2030-01-01T00:00:00Z",
                                nameservers=delegated.get(name, ["ns1.acmedental.com"]),
                                signed=name in secure or name == "nodsdata.test",
                                self_url=f"{rdap.url}/test/domain/{name}")
            if name in secure:
                obj["secureDNS"]["dsData"] = secure[name]
            answers[name] = obj
        rdap.data = RdapData(tlds={"test": answers})
        cfg = config_from_mapping({
            "client": {**CLIENT, "domains": ["acmedental.com", *ZONES]}, "provider": PROVIDER,
            "scan": {"domains": list(ZONES),
                     "dns": {"resolvers": [knot.address], "timeout_s": 2},
                     "rdap": {"bootstrap_url": rdap.bootstrap_url}}}, Path("audit.yaml"))
        checks = [c for c in registry.all_checks() if c.meta.source == "delegation"]
        assert len(checks) == 2
        yield asyncio.run(Scanner(cfg, checks).run())
    finally:
        rdap.stop()
        knot.stop()


def _one(result: ScanResult, domain: str, check_id: str) -> Finding:
    found = [f for f in result.findings if f.asset.id == domain and f.check_id == check_id]
    assert len(found) == 1, [f.detail for f in found]
    return found[0]


NS, DS = "domain.delegation.nameservers", "domain.delegation.ds"


def test_matching_delegation_passes(result: ScanResult) -> None:
    assert _one(result, "nsmatch.test", NS).status is Status.PASS
    assert _one(result, "signed.test", NS).status is Status.PASS


def test_registry_ns_differing_from_the_zone_is_reported_with_both_lists(
        result: ScanResult) -> None:
    f = _one(result, "nsdiff.test", NS)
    assert f.status is Status.FAIL and f.holder.value == "provider", f.detail
    assert "ns1.bobsit.example, ns2.bobsit.example" in f.detail  # the registry's set
    assert "zone lists ns1.acmedental.com" in f.detail
    assert {e.source for e in f.evidence} == {"rdap", "dns"}


def test_registry_ds_against_served_keys(result: ScanResult) -> None:
    assert _one(result, "signed.test", DS).status is Status.PASS
    stale = _one(result, "stale.test", DS)
    assert stale.status is Status.FAIL and "31415" in stale.detail
    assert "next DNS move" in stale.detail
    half = _one(result, "halfstale.test", DS)
    assert half.status is Status.WARN and "31415" in half.detail
    assert _one(result, "nsmatch.test", DS).status is Status.PASS  # unsigned: nothing to match
    # signed, but the registry lists no DS: not read, so not a pass
    assert _one(result, "nodsdata.test", DS).status is Status.MANUAL
