"""RDAP (domains) and the network area, against a local RDAP service in the registries'
real shapes: thin registry + registrar, RFC 9537 redaction, ARIN/RIPE/APNIC networks,
429/5xx/HTML/malformed/404 answers and the on-disk cache."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from lockin_audit import registry
from lockin_audit.config import config_from_mapping
from lockin_audit.demo import CLIENT, PROVIDER
from lockin_audit.demo.rdap import demo_data
from lockin_audit.demo.rdap_server import RdapData, RdapServer, arin_network, entity
from lockin_audit.engine import Scanner, ScanOptions
from lockin_audit.model import Finding, ScanResult, Severity, Status
from lockin_audit.scoring import readiness_of
from lockin_audit.sources.network import allocation_kind, reverse_zone
from tests.hooks import hooks, rdap_fault, watch

TODAY = dt.date.today()
DOMAINS = ["acmedental.com", "acme-dental.net", "acmesmiles.com", "acmedental.co.uk",
           "acmedental.de"]


@pytest.fixture()
def rdap() -> Iterator[RdapServer]:
    server = RdapServer(RdapData())
    server.data = demo_data(server.url, TODAY)
    watch(server)
    yield server
    server.stop()


def scan(server: RdapServer, domains: list[str] | None = None, *, areas: tuple[str, ...] = ("domain",),
         cache_dir: Path | None = None, use_cache: bool = True, inventory: list[str] | None = None,
         base_dir: Path = Path("."), provider: dict[str, Any] | None = None,
         **rdap_options: Any) -> ScanResult:
    config = config_from_mapping({
        "client": {**CLIENT, "domains": ["acmedental.com"]}, "provider": provider or PROVIDER,
        "scan": {"domains": domains if domains is not None else DOMAINS,
                 "inventory": inventory or [],
                 "rdap": {"bootstrap_url": server.bootstrap_url, **rdap_options},
                 "limits": {"timeout_s": 5, "max_retry_after_s": 5}}},
        base_dir / "audit.yaml")
    checks = [c for c in registry.select(registry.all_checks(), areas=list(areas))
              if c.meta.source in ("rdap", "network", "inventory")]
    return asyncio.run(Scanner(config, checks, ScanOptions(
        cache_dir=cache_dir, use_cache=use_cache)).run())


def findings(result: ScanResult, domain: str, check_id: str, key: str | None = None
             ) -> list[Finding]:
    return [f for f in result.findings if f.asset.id == domain and f.check_id == check_id
            and (key is None or f.key == key)]


def one(result: ScanResult, domain: str, check_id: str, key: str | None = None) -> Finding:
    found = findings(result, domain, check_id, key)
    assert len(found) == 1, [f.detail for f in found]
    return found[0]


REG = "domain.registration.registrant"
EXP = "domain.registration.expiry"


def test_thin_registry_is_followed_to_the_registrar(rdap: RdapServer) -> None:
    result = scan(rdap, ["acmedental.com"])
    registrant = one(result, "acmedental.com", REG, "registrant")
    # the registrant is only in the registrar's answer (merged, registrar wins)
    assert registrant.status is Status.FAIL and registrant.severity is Severity.CRITICAL
    assert "Bob's IT Services <hostmaster@bobsit.example>" in registrant.detail
    assert "GoDaddy.com, LLC" in registrant.detail
    assert hooks(rdap).log.count_path("/registrar/domain/acmedental.com") == 1
    assert "+ registrar GET" in registrant.evidence[0].request
    account = one(result, "acmedental.com", REG, "account")
    assert account.status is Status.FAIL
    assert "EPP" in registrant.remediation and "60-day" in registrant.remediation


def test_redacted_registrant_is_attributed_on_what_remains(rdap: RdapServer) -> None:
    result = scan(rdap, ["acme-dental.net"])
    registrant = one(result, "acme-dental.net", REG, "registrant")
    assert registrant.status is Status.MANUAL  # not "unknown owner": evidence to ask for
    assert "redacted (Registrant Email, Registrant Name, Registrant Organization)" \
        in registrant.detail
    assert "ask the registrar" in registrant.detail
    account = one(result, "acme-dental.net", REG, "account")
    assert account.status is Status.FAIL and "Bob's IT Services" in account.detail
    # "REDACTED FOR PRIVACY" is not taken as a name to classify
    assert not [u for u in result.unidentified if "redacted" in u.value.lower()]


def test_client_domain_and_cctld_and_tld_without_rdap(rdap: RdapServer) -> None:
    result = scan(rdap)
    assert one(result, "acmesmiles.com", REG, "registrant").status is Status.PASS
    assert one(result, "acmesmiles.com", REG, "account").status is Status.MANUAL
    uk = one(result, "acmedental.co.uk", REG, "registrant")
    assert uk.status is Status.PASS and "Acme Dental Ltd" in uk.detail  # legal suffix folds
    # the .uk "registrar" is the provider's own tag: the account is the provider's
    assert one(result, "acmedental.co.uk", REG, "account").status is Status.FAIL
    de = one(result, "acmedental.de", REG)
    assert de.status is Status.MANUAL and "DENIC" in de.detail
    assert not findings(result, "acmedental.de", EXP)


def test_expiry_bands_and_due_dates(rdap: RdapServer) -> None:
    rdap.data.tlds["com"]["acmedental.com"]["events"][1]["eventDate"] = \
        f"{(TODAY + dt.timedelta(days=45)).isoformat()}T00:00:00Z"
    rdap.data.registrar["acmedental.com"]["events"][1]["eventDate"] = \
        f"{(TODAY + dt.timedelta(days=45)).isoformat()}T00:00:00Z"
    result = scan(rdap, ["acmedental.com", "acmesmiles.com", "acme-dental.net"])
    soon = one(result, "acmesmiles.com", EXP)
    assert (soon.status, soon.severity) == (Status.FAIL, Severity.CRITICAL)
    assert soon.due == TODAY + dt.timedelta(days=20)
    warn = one(result, "acmedental.com", EXP)
    assert (warn.status, warn.severity) == (Status.WARN, Severity.HIGH)
    assert one(result, "acme-dental.net", EXP).status is Status.PASS
    assert soon.id in {d.finding_id for d in readiness_of(result).deadlines}


@pytest.mark.parametrize(("fault", "reason"), [
    ((200, "<html><body>Service unavailable</body></html>", "text/html"), "HTML page"),
    ((200, '{"objectClassName": "domain", '), "not valid JSON"),
    ((403, '{"errorCode": 403}'), "access refused"),
    ((500, "boom", "text/plain"), "HTTP 500"),
])
def test_bad_answers_become_errors_not_passes(rdap: RdapServer, fault: tuple[Any, ...],
                                              reason: str) -> None:
    hooks(rdap).faults.append(rdap_fault("/com/domain/acmesmiles.com", *fault))
    result = scan(rdap, ["acmesmiles.com", "acmedental.com"])
    for check_id in (REG, EXP):
        bad = one(result, "acmesmiles.com", check_id)
        assert bad.status is Status.ERROR and reason in bad.detail, bad.detail
        assert "not registered" not in bad.detail  # unreachable is not "unregistered"
    # the domain is reported as not assessed, with the reason; the other is unaffected
    coverage = {c.target: c for c in result.coverage if c.area == "domain"}
    assert not coverage["acmesmiles.com"].assessed
    assert reason in (coverage["acmesmiles.com"].reason or "")
    assert coverage["acmedental.com"].assessed
    assert one(result, "acmedental.com", REG, "registrant").status is Status.FAIL


def test_429_retry_after_and_5xx_backoff_are_retried(rdap: RdapServer) -> None:
    hooks(rdap).faults.extend([
        rdap_fault("/com/domain/acmesmiles.com", 429, '{"errorCode": 429}',
                   headers={"Retry-After": "1"}, times=1),
        rdap_fault("/registrar/domain/acmesmiles.com", 503, "busy", "text/plain", times=1)])
    result = scan(rdap, ["acmesmiles.com"])
    assert one(result, "acmesmiles.com", REG, "registrant").status is Status.PASS
    assert hooks(rdap).log.count_path("/com/domain/acmesmiles.com") == 2
    assert hooks(rdap).log.count_path("/registrar/domain/acmesmiles.com") == 2


def test_a_failing_registrar_keeps_the_registry_answer(rdap: RdapServer) -> None:
    hooks(rdap).faults.append(rdap_fault("/registrar/domain/acmesmiles.com", 404,
                                         '{"errorCode": 404}'))
    result = scan(rdap, ["acmesmiles.com"])
    registrant = one(result, "acmesmiles.com", REG, "registrant")
    assert registrant.status is Status.MANUAL  # the thin registry names no registrant
    assert any(e.excerpt.get("kind") == "not_found" for e in registrant.evidence
               if isinstance(e.excerpt, dict))
    # said in the text, not only in the evidence
    assert "registrar's own record" in registrant.detail and "404" in registrant.detail
    assert "registrar's own record" in one(result, "acmesmiles.com", REG, "account").detail
    assert one(result, "acmesmiles.com", EXP).status is Status.FAIL  # expiry still read


def test_unreachable_bootstrap_is_an_error_for_every_domain(rdap: RdapServer) -> None:
    hooks(rdap).faults.append(rdap_fault("/bootstrap/dns.json", 500, "down", "text/plain"))
    result = scan(rdap, ["acmedental.com", "acmesmiles.com"])
    assert {f.status for f in result.findings} == {Status.ERROR}
    assert "bootstrap" in result.findings[0].detail


def test_cache_serves_a_rerun_and_no_cache_bypasses_it(rdap: RdapServer, tmp_path: Path) -> None:
    scan(rdap, ["acmedental.com"], cache_dir=tmp_path)
    assert hooks(rdap).log.count_path("/com/domain/acmedental.com") == 1
    again = scan(rdap, ["acmedental.com"], cache_dir=tmp_path)
    assert hooks(rdap).log.count_path("/com/domain/acmedental.com") == 1  # served from the cache
    assert one(again, "acmedental.com", REG, "registrant").status is Status.FAIL
    scan(rdap, ["acmedental.com"], cache_dir=tmp_path, use_cache=False)
    assert hooks(rdap).log.count_path("/com/domain/acmedental.com") == 2
    scan(rdap, ["acmedental.com"], cache_dir=tmp_path, cache_ttl_s=0)
    assert hooks(rdap).log.count_path("/com/domain/acmedental.com") == 3  # expired
    cached = [json.loads(p.read_text()) for p in (tmp_path / "rdap").glob("*.json")]
    assert cached and all(set(c) == {"fetched_at", "url", "body"} for c in cached)


def test_overrides_add_a_cctld_missing_from_the_bootstrap(rdap: RdapServer) -> None:
    rdap.data.tlds["de"] = {}
    result = scan(rdap, ["acmedental.de"], overrides={"de": f"{rdap.url}/de/"})
    found = one(result, "acmedental.de", REG)
    # asked, not skipped: the registry does not know it, so it is not registered
    assert found.status is Status.FAIL and found.severity is Severity.CRITICAL
    assert "404" in found.detail and "anyone can register it today" in found.title
    assert not findings(result, "acmedental.de", EXP)
    assert all(c.assessed for c in result.coverage if c.area == "domain")


def test_bundled_bootstrap_snapshot_covers_common_tlds_and_rirs() -> None:
    root = Path(__file__).resolve().parent.parent / "lockin_audit" / "data" / "rdap_bootstrap"
    dns = json.loads((root / "dns.json").read_text())
    tlds = {t for service in dns["services"] for t in service[0]}
    assert {"com", "net", "org", "uk"} <= tlds and "de" not in tlds
    ipv4 = json.loads((root / "ipv4.json").read_text())
    urls = {u for service in ipv4["services"] for u in service[1]}
    assert {"https://rdap.arin.net/registry/", "https://rdap.db.ripe.net/",
            "https://rdap.apnic.net/"} <= urls


# --- networks -----------------------------------------------------------------------------


def write_inventory(tmp_path: Path, blocks: list[str]) -> str:
    (tmp_path / "inv.yaml").write_text(json.dumps({"contracts": [{
        "id": "INET-001", "category": "internet_line", "provider": "Metro Fiber Co",
        "account_holder": "Acme Dental LLC", "static_ip_blocks": blocks}]}))
    return "inv.yaml"


def network_findings(result: ScanResult) -> dict[str, Finding]:
    return {f.asset.id: f for f in result.findings if f.check_id == "network.ip-space.holder"}


def test_ip_space_arin_ripe_apnic(rdap: RdapServer, tmp_path: Path) -> None:
    inv = write_inventory(tmp_path, ["203.0.113.64/29", "198.51.100.0/28", "192.0.2.80",
                                     "203.0.113.10", "10.0.0.0/8"])
    result = scan(rdap, [], areas=("network",), inventory=[inv], base_dir=tmp_path)
    found = network_findings(result)
    assert set(found) == {"203.0.113.64/29", "198.51.100.0/28", "192.0.2.80/32",
                          "203.0.113.10/32"}  # private space has no registry holder
    lent = found["203.0.113.64/29"]
    assert lent.status is Status.FAIL and "lent to you" in lent.detail  # parent via 'up'
    assert found["203.0.113.10/32"].status is Status.FAIL  # provider's own allocation
    assert found["198.51.100.0/28"].status is Status.PASS  # RIPE ASSIGNED PI, client's
    hosted = found["192.0.2.80/32"]
    assert hosted.status is Status.WARN and "Example Hosting Pty Ltd" in hosted.detail
    assert "provider-assigned" in hosted.detail  # APNIC ASSIGNED NON-PORTABLE
    assert "Example Hosting Pty Ltd" in {u.value for u in result.unidentified}
    sources = {e.source for f in found.values() for e in f.evidence}
    assert sources == {"rdap"}


def test_configured_provider_range_decides_before_the_registry(
        rdap: RdapServer, tmp_path: Path) -> None:
    # APNIC says a hosting company holds 192.0.2.0/24 (a warning on its own); the audit
    # file says the provider's servers live in 192.0.2.64/26: the provider's, as domain.web
    # would judge it.
    inv = write_inventory(tmp_path, ["192.0.2.80", "192.0.2.10"])
    provider = {**PROVIDER, "ip_ranges": [*PROVIDER["ip_ranges"], "192.0.2.64/26"]}
    result = scan(rdap, [], areas=("network",), inventory=[inv], base_dir=tmp_path,
                  provider=provider)
    found = network_findings(result)
    inside = found["192.0.2.80/32"]
    assert inside.status is Status.FAIL and inside.holder.value == "provider"
    assert "configured for the provider" in inside.detail
    assert "Example Hosting Pty Ltd" in inside.detail  # the registry's view is kept
    assert found["192.0.2.10/32"].status is Status.WARN  # outside: the registry decides


def test_lookups_are_deduplicated_by_containing_netblock(rdap: RdapServer, tmp_path: Path) -> None:
    addresses = [f"203.0.113.{n}" for n in (1, 2, 3, 10, 66, 200)] + ["198.51.100.7"]
    inv = write_inventory(tmp_path, ["203.0.113.64/29", *addresses])
    result = scan(rdap, [], areas=("network",), inventory=[inv], base_dir=tmp_path)
    found = network_findings(result)
    assert len(found) == 8
    ip_requests = sorted(hooks(rdap).log.paths("/ip/"))
    # the block, its parent (the 'up' link), one address of the /24, one of the RIPE /24
    assert len(ip_requests) == 4, ip_requests
    # an address inside the reassigned /29 reuses the /29, not the provider's /24
    assert "203.0.113.64/29" in found["203.0.113.66/32"].detail
    assert "lent to you" in found["203.0.113.66/32"].detail
    assert "203.0.113.0/24" in found["203.0.113.200/32"].detail


def test_network_errors_are_errors(rdap: RdapServer, tmp_path: Path) -> None:
    rdap.data.networks["ripe"][0]["objectClassName"] = "domain"  # not a network object
    rdap.data.networks["arin"].append(arin_network("203.0.113.128", "203.0.113.255", "X",
                                                   "REASSIGNED", "Y", "NET-X",
                                                   parent="NET-203-0-113-0-1"))
    hooks(rdap).faults.append(rdap_fault("/arin/ip/203.0.113.77", 200, "<html>oops</html>",
                                         "text/html"))
    inv = write_inventory(tmp_path, ["198.51.100.1", "203.0.113.77"])
    result = scan(rdap, [], areas=("network",), inventory=[inv], base_dir=tmp_path,
                  provider={**PROVIDER, "ip_ranges": []})
    found = network_findings(result)
    assert found["198.51.100.1/32"].status is Status.ERROR
    assert "not an RDAP ip network" in found["198.51.100.1/32"].detail
    assert found["203.0.113.77/32"].status is Status.ERROR
    assert "HTML page" in found["203.0.113.77/32"].detail
    # a configured provider range still decides when the registry cannot be read
    again = network_findings(scan(rdap, [], areas=("network",), inventory=[inv],
                                  base_dir=tmp_path))["203.0.113.77/32"]
    assert again.status is Status.FAIL and "HTML page" in again.detail


@pytest.mark.parametrize(("rir_type", "kind"), [
    ("DIRECT ALLOCATION", "allocation"), ("REASSIGNED", "provider-assigned"),
    ("ASSIGNED PA", "provider-assigned"), ("ASSIGNED PI", "provider-independent"),
    ("ASSIGNED NON-PORTABLE", "provider-assigned"), ("ASSIGNED PORTABLE", "provider-independent"),
    ("ALLOCATED PA", "allocation"), ("something new", "unknown"),
])
def test_allocation_types(rir_type: str, kind: str) -> None:
    assert allocation_kind(rir_type) == kind


def test_reverse_zone_names() -> None:
    import ipaddress

    assert reverse_zone(ipaddress.ip_network("203.0.113.64/29")) == "113.0.203.in-addr.arpa"
    assert reverse_zone(ipaddress.ip_network("198.51.0.0/16")) == "51.198.in-addr.arpa"
    assert reverse_zone(ipaddress.ip_network("2001:db8:1234::/48")) == \
        "4.3.2.1.8.b.d.0.1.0.0.2.ip6.arpa"


# --- reverse DNS, against a real Knot server ----------------------------------------------

REVERSE_ZONES = {
    "113.0.203.in-addr.arpa": (
        "$ORIGIN 113.0.203.in-addr.arpa.\n$TTL 300\n"
        "@ SOA ns1.bobsit.example. hostmaster.bobsit.example. 1 3600 600 86400 300\n"
        "@ NS ns1.bobsit.example.\n@ NS ns2.bobsit.example.\n"
        "65 PTR gw.acmedental.com.\n"),
    "100.51.198.in-addr.arpa": (
        "$ORIGIN 100.51.198.in-addr.arpa.\n$TTL 300\n"
        "@ SOA ns1.acmedental.com. hostmaster.acmedental.com. 1 3600 600 86400 300\n"
        "@ NS ns1.acmedental.com.\n"),
}


@pytest.fixture(scope="module")
def knot(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    from lockin_audit.demo.knot import KnotServer, KnotUnavailable

    try:
        server = KnotServer(tmp_path_factory.mktemp("knot"), REVERSE_ZONES).start()
    except KnotUnavailable as exc:  # CI installs knot; say so plainly where it is missing
        pytest.fail(f"the reverse-DNS tests need Knot DNS: {exc}")
    yield server.address
    server.stop()


def reverse_findings(result: ScanResult) -> dict[str, Finding]:
    return {f.asset.id: f for f in result.findings
            if f.check_id == "network.reverse-dns.delegation"}


def test_reverse_dns_delegation_from_knot(rdap: RdapServer, knot: str, tmp_path: Path) -> None:
    inv = write_inventory(tmp_path, ["203.0.113.64/29", "198.51.100.0/28", "192.0.2.0/28",
                                     "203.0.113.10"])
    config = config_from_mapping({
        "client": {**CLIENT, "domains": ["acmedental.com"]}, "provider": PROVIDER,
        "scan": {"inventory": [inv], "rdap": {"bootstrap_url": rdap.bootstrap_url},
                 "dns": {"resolvers": [knot], "timeout_s": 2}}}, tmp_path / "audit.yaml")
    checks = registry.select(registry.all_checks(), areas=["network"])
    result = asyncio.run(Scanner(config, checks).run())
    found = reverse_findings(result)
    provider = found["203.0.113.64/29"]
    assert provider.status is Status.FAIL
    assert "113.0.203.in-addr.arpa" in provider.detail and "ns1.bobsit.example" in provider.detail
    assert any(e.source == "dns" for e in provider.evidence)
    assert found["198.51.100.0/28"].status is Status.PASS
    # Knot is not authoritative for 2.0.192.in-addr.arpa: REFUSED is an error, not a pass
    assert found["192.0.2.0/28"].status is Status.ERROR
    assert found["203.0.113.10/32"].status is Status.FAIL  # a line's single static address


def test_a_registrar_known_only_by_its_iana_id_is_not_printed_as_a_name(
        rdap: RdapServer) -> None:
    # RFC 9083 section 5.1: an entity's vcardArray is optional; a registry may name the
    # registrar only by its handle and its IANA Registrar ID (publicIds).
    for table in (rdap.data.tlds["com"], rdap.data.registrar):
        obj = table.get("acmesmiles.com")
        for e in (obj or {}).get("entities", []):
            if "registrar" in e.get("roles", []):
                e.pop("vcardArray", None)
    registrant = one(scan(rdap, ["acmesmiles.com"]), "acmesmiles.com", REG, "registrant")
    assert "the registrar with IANA id" in registrant.detail, registrant.detail
    assert " at 1" not in registrant.detail and " at 2" not in registrant.detail


def test_a_registrant_at_a_consumer_mailbox_is_unknown_never_the_mail_vendor(
        rdap: RdapServer) -> None:
    # the registrar's record names a person at gmail.com: a personal mailbox of someone not
    # identified (identity's consumer-mailbox rule), not Google as a third party
    obj = rdap.data.registrar["acmesmiles.com"]
    obj["entities"] = [e for e in obj["entities"] if "registrant" not in e.get("roles", [])]
    obj["entities"].append(entity(["registrant"], fn="Jane Doe", kind="individual",
                                  email="jane.doe.dental@gmail.com"))
    result = scan(rdap, ["acmesmiles.com"])
    registrant = one(result, "acmesmiles.com", REG, "registrant")
    assert registrant.holder.value == "unknown" and registrant.status is not Status.PASS
    assert "Google" not in registrant.detail.split("registrar")[0], registrant.detail
    assert "jane.doe.dental@gmail.com" in {u.value for u in result.unidentified}
