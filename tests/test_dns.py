"""The DNS source and the DNS-based domain checks, against a real Knot server on 127.0.0.1
(the demo zones plus test zones) and a fault-injecting server for SERVFAIL, REFUSED,
timeouts, truncation and malformed answers."""

from __future__ import annotations

import asyncio
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from lockin_audit import registry
from lockin_audit.config import config_from_mapping
from lockin_audit.demo import CLIENT, PROVIDER
from lockin_audit.demo import dns as demo_dns
from lockin_audit.demo.knot import KnotServer, free_port, knotd_path
from lockin_audit.engine import Scanner
from lockin_audit.facts import Fetched
from lockin_audit.model import Finding, ScanResult, Status
from lockin_audit.sources.dns import (
    Answer,
    DnsClient,
    DnsFacts,
    FetchError,
    fetch_domain,
    lookup,
    report_addresses,
    rname_to_email,
)
from lockin_audit.transport import Engine
from tests import faulty_dns

pytestmark = pytest.mark.skipif(knotd_path() is None, reason="knotd is not installed")

SPF_CHAIN = "\n".join(
    f'spf{n} TXT "v=spf1 include:spf{n + 1}.spfchain.test -all"' for n in range(1, 14))
BIG_TXT = "\n".join(f'@ TXT "token-{n:02d}-{"y" * 70}"' for n in range(30))
TEST_ZONES: dict[str, str] = {
    # An unknown foreign operator named in NS, SOA and MX: must recur across controls.
    "mystery.test": demo_dns._zone("mystery.test", ("ns1.mysteryhost.example",), """
@ MX 10 mx.mysteryhost.example.
@ TXT "v=spf1 include:spf1.spfchain.test -all"
@ CAA 0 issue "letsencrypt.org; accounturi=https://acme-v02.api.letsencrypt.org/acme/acct/1"
_mta-sts TXT "v=STSv1; id=20261123"
mta-sts CNAME sts.bobsit.example.
_dmarc TXT "v=DMARC1; p=none; rua=mailto:d@reports.mysteryhost.example"
""", mname="ns1.mysteryhost.example.", rname="admin.mysteryhost.example."),
    "spfchain.test": demo_dns._zone("spfchain.test", ("ns1.spfchain.test",),
                                    SPF_CHAIN + '\nloop TXT "v=spf1 include:loop.spfchain.test'
                                    ' redirect=loop.spfchain.test"'),
    "bigtxt.test": demo_dns._zone("bigtxt.test", ("ns1.bigtxt.test",), BIG_TXT),
    # Precision trap: the provider is 'Northwind IT' (northwind-it.example); a bank with a
    # similar name must not be attributed to it.
    # SPF names hosts of the provider by a: and mx: (no include): must not pass.
    "spfam.test": demo_dns._zone("spfam.test", ("ns1.spfam.test",), """
@ TXT "v=spf1 a:relay.bobsit.example mx:bobsit.example -all"
ns1 A 198.51.100.53
"""),
    # Vanity names: a relay and the nameservers under the client's own domain, hosted on
    # the provider's addresses (203.0.113.0/24); DKIM into the provider's M365 tenant.
    "vanity.test": demo_dns._zone("vanity.test", ("ns1.vanity.test", "ns2.vanity.test"), """
@ TXT "v=spf1 a:relay.vanity.test mx ptr exists:%{i}._spf.vanity.test -all"
@ MX 10 mail.vanity.test.
ns1 A 203.0.113.53
ns2 A 203.0.113.54
relay A 203.0.113.77
mail A 198.51.100.25
selector1._domainkey CNAME selector1-vanity-test._domainkey.bobsit.onmicrosoft.com.
""", mname="ns1.vanity.test.", rname="it.vanity.test."),
    # The client's own relay on its own address, and a key in its own zone: a pass.
    "ownspf.test": demo_dns._zone("ownspf.test", ("ns1.acmedental.com",), """
@ TXT "v=spf1 a:relay.ownspf.test include:spf.protection.outlook.com -all"
relay A 198.51.100.26
google._domainkey TXT "v=DKIM1; k=rsa; p=MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA"
""", mname="ns1.acmedental.com.", rname="it.acmedental.com."),
    "trap.test": demo_dns._zone("trap.test", ("ns1.northwind-bank.com",), """
@ A 192.0.2.99
""", mname="ns1.northwind-bank.com.", rname="hostmaster.northwind-bank.com."),
    # Hosted DMARC and TLS-RPT: the records are CNAMEs into the provider's zone; their
    # contents name only the client's own mailbox (content alone would pass).
    "hosteddmarc.test": demo_dns._zone("hosteddmarc.test", ("ns1.acmedental.com",), """
_dmarc CNAME hosteddmarc-test._dmarc.bobsit.example.
_smtp._tls CNAME hosteddmarc-test._tlsrpt.bobsit.example.
_mta-sts CNAME hosteddmarc-test._mta-sts.bobsit.example.
default._bimi CNAME hosteddmarc-test._bimi.bobsit.example.
""", mname="ns1.acmedental.com.", rname="it.acmedental.com."),
    # The same into a DMARC-hosting vendor, in the shape EasyDMARC's setup documents
    # (_dmarc CNAME _dmarc.<domain with _ for .>._d.easydmarc.pro; the reseller's page is
    # cited in data/third_parties.yaml): a third party whose account must be confirmed.
    "vendordmarc.test": demo_dns._zone("vendordmarc.test", ("ns1.acmedental.com",), """
_dmarc CNAME _dmarc.vendordmarc_test._d.easydmarc.pro.
_smtp._tls CNAME _smtp._tls.vendordmarc_test._d.easydmarc.pro.
""", mname="ns1.acmedental.com.", rname="it.acmedental.com."),
    "easydmarc.pro": demo_dns._zone("easydmarc.pro", ("ns1.easydmarc.pro",), """
_dmarc.vendordmarc_test._d TXT "v=DMARC1; p=reject; rua=mailto:dmarc@vendordmarc.test"
_smtp._tls.vendordmarc_test._d TXT "v=TLSRPTv1; rua=mailto:tls@vendordmarc.test"
""", mname="ns1.easydmarc.pro.", rname="hostmaster.easydmarc.pro."),
    # Mail at Microsoft 365 with a DKIM selector into the provider's tenant; a proxy in
    # front of Knot answers NXDOMAIN for the empty non-terminal _domainkey.entnx.test.
    "entnx.test": demo_dns._zone("entnx.test", ("ns1.acmedental.com",), """
@ MX 0 entnx-test.mail.protection.outlook.com.
@ TXT "v=spf1 include:spf.protection.outlook.com -all"
selector1._domainkey CNAME selector1-entnx-test._domainkey.bobsit.onmicrosoft.com.
""", mname="ns1.acmedental.com.", rname="it.acmedental.com."),
    "bobsit.example": demo_dns.ZONES["bobsit.example"] + """
hosteddmarc-test._dmarc TXT "v=DMARC1; p=reject; rua=mailto:dmarc@hosteddmarc.test"
hosteddmarc-test._tlsrpt TXT "v=TLSRPTv1; rua=mailto:tls@hosteddmarc.test"
hosteddmarc-test._mta-sts TXT "v=STSv1; id=20261201"
hosteddmarc-test._bimi TXT "v=BIMI1; l=https://hosteddmarc.test/logo.svg"
""",
    "onmicrosoft.com": demo_dns.ZONES["onmicrosoft.com"] + "\n".join(
        f"selector1-{d}._domainkey.bobsit TXT {demo_dns.DKIM_KEY}"
        for d in ("vanity-test", "entnx-test")) + "\n",
}


@pytest.fixture(scope="module")
def knot(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KnotServer]:
    server = KnotServer(tmp_path_factory.mktemp("knot"), {**demo_dns.ZONES, **TEST_ZONES},
                        demo_dns.SIGNED).start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def faulty() -> Iterator[str]:
    port, stop = faulty_dns.serve()
    yield f"127.0.0.1:{port}"
    stop()


def _client(*servers: str, timeout_s: float = 2.0) -> DnsClient:
    pairs = [(s.rsplit(":", 1)[0], int(s.rsplit(":", 1)[1])) for s in servers]
    return DnsClient(pairs, timeout_s, Engine(timeout_s=5))


def _fetch(domain: str, *servers: str, timeout_s: float = 2.0) -> DnsFacts:
    return asyncio.run(fetch_domain(_client(*servers, timeout_s=timeout_s), domain))


def _scan(servers: list[str], domains: list[str], provider: dict[str, Any] | None = None,
          timeout_s: float = 2.0, client_domains: tuple[str, ...] = ()) -> ScanResult:
    cfg = config_from_mapping({
        "client": {**CLIENT, "domains": [*demo_dns.DOMAINS, *client_domains],
                   "email_domains": ["acmedental.com"], "ip_ranges": ["198.51.100.0/24"]},
        "provider": provider or PROVIDER,
        "scan": {"domains": domains, "dns": {"resolvers": servers, "timeout_s": timeout_s}},
    }, Path("audit.yaml"))
    checks = [c for c in registry.select(registry.all_checks(), areas=["domain"])
              if c.meta.source == "dns"]
    assert len(checks) >= 7
    return asyncio.run(Scanner(cfg, checks).run())


def _by(result: ScanResult, domain: str, check_id: str, key: str = "") -> Finding:
    match = [f for f in result.findings
             if f.asset.id == domain and f.check_id == check_id and f.key == key]
    assert len(match) == 1, [(f.check_id, f.key) for f in result.findings
                             if f.asset.id == domain]
    return match[0]


# -- the source -------------------------------------------------------------------------

def test_facts_of_the_provider_run_domain(knot: KnotServer) -> None:
    facts = _fetch("acmedental.com", knot.address)
    assert facts.nameservers == ("ns1.bobsit.example", "ns2.bobsit.example")
    assert facts.soa_parsed is not None
    assert facts.soa_parsed.rname_email == "hostmaster@bobsit.example"
    assert facts.mx_hosts == ((10, "mx1.filter.bobsit.example"),)
    assert facts.web_addresses == ("203.0.113.10",)
    assert facts.mail_addresses == ("203.0.113.25",)
    assert facts.www.chain == ("web1.bobsit.example",)  # followed across zones
    # Knot signed the zone itself: real DNSKEYs (a KSK with flags 257), plus the DS.
    assert isinstance(facts.dnskey, Fetched) and facts.dnskey.request == "acmedental.com DNSKEY"
    assert any(r.startswith("257 3 13 ") for r in facts.dnskey.ok.records)
    assert facts.ds.error is None and facts.ds.ok.records
    assert [d.selector for d in facts.dkim] == ["selector1", "selector2"]
    assert {c.tag for c in facts.caa_parsed} == {"issue", "iodef"}
    assert facts.caa_parsed[1].accounturi or facts.caa_parsed[0].accounturi
    assert "<script>alert(1)</script>" in facts.txt_records
    assert facts.dmarc.error is None and facts.dmarc.request == "_dmarc.acmedental.com TXT"
    assert facts.dmarc.ok.rua == ("mailto:dmarc@bobsit.example",)
    auth = facts.dmarc.ok.authorisations["bobsit.example"]
    assert auth.error is None and auth.ok.records == ("v=DMARC1",)
    ptr = facts.ptr["203.0.113.10"]
    assert ptr.error is None and ptr.ok.records == ("web1.bobsit.example",)


def test_nxdomain_and_nodata_are_told_apart(knot: KnotServer) -> None:
    facts = _fetch("acmedental.de", knot.address)
    assert facts.mx.error is None and facts.mx.ok.status == "nodata"
    assert facts.www.a.error is None and facts.www.a.ok.status == "nxdomain"
    assert facts.apex.a.error is None and facts.apex.a.ok.records == ("203.0.113.10",)


def test_truncated_udp_answer_is_retried_over_tcp(knot: KnotServer) -> None:
    facts = _fetch("bigtxt.test", knot.address)
    txt = facts.txt.ok
    assert txt.tcp and len(txt.records) == 30
    assert "tcp" in str(txt.evidence().excerpt)


def test_spf_expansion_stops_at_ten_lookups_and_survives_loops(knot: KnotServer) -> None:
    facts = _fetch("mystery.test", knot.address)
    assert facts.spf.error is None and facts.spf.request == "mystery.test TXT"
    assert facts.spf.ok.over_limit and facts.spf.ok.lookups == 11
    assert len(facts.spf.ok.includes) == 10
    client = _client(knot.address)
    from lockin_audit.sources.dns import expand_spf

    loop = asyncio.run(expand_spf(client, "x.test", lookup(
        Answer("x.test", "TXT", "ok", ("v=spf1 include:loop.spfchain.test -all",))))).ok
    assert not loop.over_limit
    assert client.queries == 1  # the loop is read once, not followed forever
    mixed = asyncio.run(expand_spf(_client(knot.address), "y.test", lookup(Answer(
        "y.test", "TXT", "ok",
        ("v=spf1 a/24 mx/24 ptr exists:%{i}.x.test ip4:192.0.2.0/24 "
         "include:spf12.spfchain.test -all",))))).ok
    assert mixed.lookups == 7 and not mixed.over_limit  # a, mx, ptr, exists + 3 includes
    assert any("spf14.spfchain.test" in p for p in mixed.problems)  # NXDOMAIN include


@pytest.mark.parametrize(("label", "kind"), [
    ("servfail", "unavailable"), ("refused", "denied"), ("timeout", "timeout"),
    ("garbage", "malformed"),
])
def test_failed_lookups_become_fetch_errors(faulty: str, label: str, kind: str) -> None:
    # a short timeout only where silence is the fault: on a loaded machine an answer may
    # take longer than 0.3 s, and that must not turn a SERVFAIL into a timeout
    facts = _fetch(f"{label}.", faulty, timeout_s=0.3 if label == "timeout" else 3.0)
    err = facts.ns.error
    assert isinstance(err, FetchError) and facts.ns.request == f"{label} NS"
    assert err.kind == kind and err.source == "dns", err
    assert err.reason


def test_fault_server_truncation_is_retried_over_tcp(faulty: str) -> None:
    async def ask() -> Any:
        return await _client(faulty).query("truncated.", "TXT")

    answer = asyncio.run(ask()).ok
    assert answer.tcp and len(answer.records) == 3


def test_a_dead_resolver_fails_over_to_the_next(knot: KnotServer, faulty: str) -> None:
    # the fault server never answers `timeout.`; a dead port never answers anything
    dead = f"127.0.0.1:{free_port()}"
    facts = _fetch("acmedental.de", dead, knot.address, timeout_s=0.3)
    assert facts.nameservers == ("ns1.bobsit.example",)


def test_rname_and_report_address_parsing() -> None:
    assert rname_to_email("john\\.doe.example.com.") == "john.doe@example.com"
    assert rname_to_email("hostmaster.bobsit.example.") == "hostmaster@bobsit.example"
    assert report_addresses("mailto:a@x.example!10m, mailto:b@y.example") == (
        "mailto:a@x.example", "mailto:b@y.example")


# -- the checks, end to end through the Scanner -----------------------------------------

@pytest.fixture(scope="module")
def demo_result(knot: KnotServer) -> ScanResult:
    return _scan([knot.address], [*demo_dns.DOMAINS, "mystery.test"])


def test_provider_held_dns_mail_web_and_certificates_fail(demo_result: ScanResult) -> None:
    r = demo_result
    for check_id, key in [("domain.dns.nameservers", ""), ("domain.dns.dnssec", ""),
                          ("domain.dns.mail", "mx"), ("domain.dns.mail", "spf"),
                          ("domain.dns.mail-reports", "dmarc"),
                          ("domain.dns.mail-reports", "tlsrpt"), ("domain.dns.web", "apex"),
                          ("domain.dns.web", "www"), ("domain.dns.caa", "")]:
        f = _by(r, "acmedental.com", check_id, key)
        assert f.status is Status.FAIL, (check_id, key, f.detail)
        assert f.evidence and f.evidence[0].source == "dns"
    caa = _by(r, "acmedental.com", "domain.dns.caa")
    assert "acct/424242" in caa.detail
    assert "DS" in _by(r, "acmedental.com", "domain.dns.dnssec").remediation


def test_third_party_and_client_holders(demo_result: ScanResult) -> None:
    r = demo_result
    assert _by(r, "acme-dental.net", "domain.dns.nameservers").status is Status.MANUAL
    assert "Cloudflare" in _by(r, "acme-dental.net", "domain.dns.nameservers").detail
    assert _by(r, "acmesmiles.com", "domain.dns.nameservers").status is Status.MANUAL
    assert _by(r, "acmedental.co.uk", "domain.dns.nameservers").status is Status.PASS
    assert _by(r, "acmedental.co.uk", "domain.dns.mail", "mx").status is Status.PASS
    assert _by(r, "acme-dental.net", "domain.dns.mail-reports", "dmarc").status is Status.PASS
    assert _by(r, "acmesmiles.com", "domain.dns.web", "apex").status is Status.PASS
    assert _by(r, "acmedental.de", "domain.dns.nameservers").status is Status.FAIL
    unsigned = _by(r, "acmesmiles.com", "domain.dns.dnssec")
    assert unsigned.status is Status.PASS and unsigned.evidence


def test_saas_tenants_and_hostile_txt_carried_as_data(demo_result: ScanResult) -> None:
    saas = [f for f in demo_result.findings if f.asset.id == "acmedental.com"
            and f.check_id == "domain.dns.saas-verification"]
    assert {f.status for f in saas} == {Status.MANUAL}
    titles = " ".join(f.title for f in saas)
    assert "Microsoft 365" in titles and "Google" in titles
    assert any("acmedentalllc.onmicrosoft.com" in f.detail for f in saas)
    excerpt = " ".join(str(e.excerpt) for f in saas for e in f.evidence)
    assert "<script>alert(1)</script>" in excerpt and "=HYPERLINK" in excerpt


def test_unknown_operator_recurs_across_controls(demo_result: ScanResult) -> None:
    entry = next(u for u in demo_result.unidentified if u.value == "mysteryhost.example")
    assert {"domain.dns_hosting", "domain.dnssec", "domain.mail"} <= set(entry.controls) or \
        {"domain.dns_hosting", "domain.mail"} <= set(entry.controls)
    assert demo_result.unidentified[0].value == "mysteryhost.example"  # ranked first
    assert _by(demo_result, "mystery.test", "domain.dns.nameservers").status is Status.WARN
    limit = _by(demo_result, "mystery.test", "domain.dns.mail", "spf-limit")
    assert limit.status is Status.WARN
    # a CAA account pin alone: whose account it is cannot be seen -> manual, not pass
    assert _by(demo_result, "mystery.test", "domain.dns.caa").status is Status.MANUAL
    sts = _by(demo_result, "mystery.test", "domain.dns.mail", "mta-sts")
    assert sts.status is Status.FAIL and "sts.bobsit.example" in sts.detail
    dmarc = _by(demo_result, "mystery.test", "domain.dns.mail-reports", "dmarc")
    # the test server does not serve mysteryhost.example: its _report._dmarc authorisation
    # lookup is REFUSED, which says nothing about the record (not "Not authorised")
    assert dmarc.status is Status.WARN and "Not authorised" not in dmarc.detail
    assert "Not known whether authorised (the lookup failed): reports.mysteryhost.example" \
        in dmarc.detail


def test_every_domain_gets_a_finding_from_every_check(demo_result: ScanResult) -> None:
    checks = {c.id for c in demo_result.checks}
    for domain in demo_dns.DOMAINS:
        seen = {f.check_id for f in demo_result.findings if f.asset.id == domain}
        assert seen == checks, (domain, checks - seen)
    assert all(c.assessed for c in demo_result.coverage)


def test_precision_trap_similar_names_do_not_match(knot: KnotServer) -> None:
    provider = {"name": "Northwind IT", "domains": ["northwind-it.example"]}
    r = _scan([knot.address], ["trap.test"], provider=provider)
    ns = _by(r, "trap.test", "domain.dns.nameservers")
    assert ns.status is Status.WARN and ns.holder.value == "unknown"
    assert not [f for f in r.findings if f.status is Status.FAIL]


@pytest.mark.parametrize("label", ["servfail", "timeout", "garbage"])
def test_failed_lookups_give_errors_never_passes(faulty: str, label: str) -> None:
    r = _scan([faulty], [f"{label}.example"], timeout_s=0.3)
    assert r.findings
    assert {f.status for f in r.findings} == {Status.ERROR}
    kinds = {e.excerpt.get("kind") for f in r.findings for e in f.evidence
             if isinstance(e.excerpt, dict)}
    assert kinds == {"unavailable" if label == "servfail" else
                     "timeout" if label == "timeout" else "malformed"}
    assert [c.assessed for c in r.coverage] == [False]
    assert r.coverage[0].reason and f"{label}.example" in r.coverage[0].reason


# -- a domain the resolver does not see, and SPF/DKIM/NS attribution -------------------

VANITY_PROVIDER = {**PROVIDER, "domains": ["bobsit.example", "bobsit.onmicrosoft.com"]}


def test_nxdomain_everywhere_is_not_assessed_never_a_pass(faulty: str) -> None:
    # The fault server answers NXDOMAIN for every ordinary name, as a filtered, captive or
    # split-horizon resolver does: nothing about the zone may pass.
    r = _scan([faulty], ["acmedental.com"])
    assert r.findings and {f.status for f in r.findings} == {Status.ERROR}
    assert [c.assessed for c in r.coverage] == [False]
    reason = r.coverage[0].reason or ""
    assert "NXDOMAIN" in reason and "lapsed" in reason and "split-horizon" in reason
    assert all("lapsed" in f.detail for f in r.findings)


def test_a_name_without_ns_at_its_apex_is_not_assessed(knot: KnotServer) -> None:
    # spf1.spfchain.test exists (it has a TXT record) but is not a zone apex
    r = _scan([knot.address], ["spf1.spfchain.test", "acmedental.co.uk"])
    assert {f.status for f in r.findings if f.asset.id == "spf1.spfchain.test"} == {
        Status.ERROR}
    cov = {c.target: c for c in r.coverage}
    assert not cov["spf1.spfchain.test"].assessed
    assert "no NS records" in (cov["spf1.spfchain.test"].reason or "")
    assert cov["acmedental.co.uk"].assessed


@pytest.fixture(scope="module")
def vanity_result(knot: KnotServer) -> ScanResult:
    domains = ["spfam.test", "vanity.test", "ownspf.test"]
    return _scan([knot.address], domains, provider=VANITY_PROVIDER, client_domains=tuple(domains))


def test_spf_a_and_mx_naming_the_provider_fail(vanity_result: ScanResult) -> None:
    spf = _by(vanity_result, "spfam.test", "domain.dns.mail", "spf")
    assert spf.status is Status.FAIL, spf.detail
    assert "relay.bobsit.example" in spf.detail and "bobsit.example" in spf.detail


def test_spf_vanity_relay_on_provider_addresses_fails(knot: KnotServer,
                                                      vanity_result: ScanResult) -> None:
    facts = _fetch("vanity.test", knot.address)
    spf = facts.spf.ok
    terms = {(t.mechanism, t.domain) for t in spf.terms}
    # %{i} depends on the sender: the fixed part is attributed; a bare mx/ptr is the
    # domain itself
    assert {("a", "relay.vanity.test"), ("mx", "vanity.test"), ("ptr", "vanity.test"),
            ("exists", "_spf.vanity.test")} <= terms
    mx = next(t for t in spf.terms if t.mechanism == "mx")
    assert mx.mx_hosts == ("mail.vanity.test",) and mx.hosts[0].addresses == (
        "198.51.100.25",)
    finding = _by(vanity_result, "vanity.test", "domain.dns.mail", "spf")
    assert finding.status is Status.FAIL and "203.0.113.77" in finding.detail, finding.detail


def test_vanity_nameservers_on_provider_addresses_fail(vanity_result: ScanResult) -> None:
    ns = _by(vanity_result, "vanity.test", "domain.dns.nameservers")
    assert ns.status is Status.FAIL, ns.detail
    assert "203.0.113.53" in ns.detail and "Answers from 127.0.0.1:" in ns.detail
    # the client's own vanity NS on its own address stays a pass
    own = _by(vanity_result, "ownspf.test", "domain.dns.nameservers")
    assert own.status is Status.PASS, own.detail


def test_dkim_into_the_provider_tenant_is_the_providers(vanity_result: ScanResult) -> None:
    dkim = _by(vanity_result, "vanity.test", "domain.dns.mail", "dkim")
    assert dkim.status is Status.FAIL and "bobsit.onmicrosoft.com" in dkim.detail
    assert "other selectors may exist" in dkim.detail
    tenant = _by(vanity_result, "vanity.test", "domain.dns.saas-verification",
                 "m365:bobsit.onmicrosoft.com")
    assert tenant.status is Status.FAIL and "provider's Microsoft 365 tenant" in tenant.detail


def test_own_relay_and_own_dkim_key_pass(vanity_result: ScanResult) -> None:
    spf = _by(vanity_result, "ownspf.test", "domain.dns.mail", "spf")
    assert spf.status is Status.MANUAL, spf.detail  # Microsoft's include: confirm account
    assert "relay.ownspf.test" not in spf.detail or "Acme" in spf.detail
    dkim = _by(vanity_result, "ownspf.test", "domain.dns.mail", "dkim")
    assert dkim.status is Status.PASS and "google" in dkim.detail
    assert "other selectors may exist" in dkim.detail
    none = _by(vanity_result, "spfam.test", "domain.dns.mail", "dkim")
    assert none.status is Status.MANUAL and "other selectors may exist" in none.detail


def test_spf_macro_targets() -> None:
    from lockin_audit.sources.dns import spf_target

    assert spf_target("%{i}._spf.mta.example.net", "x.test") == ("_spf.mta.example.net", True)
    assert spf_target("%{ir}.%{v}._spf.%{d}", "x.test") == ("_spf.x.test", True)
    assert spf_target("%{l}.relay.example", "x.test") == ("relay.example", True)
    assert spf_target("", "x.test") == ("x.test", False)
    assert spf_target("Relay.Example.", "x.test") == ("relay.example", False)


# -- the demo part ----------------------------------------------------------------------

def test_demo_part_serves_and_stops(tmp_path: Path) -> None:
    part = demo_dns.start(tmp_path)
    resolver = part.scan["dns"]["resolvers"][0]
    try:
        assert part.scan["domains"] == list(demo_dns.DOMAINS)
        assert "acmedental.com" in part.client["domains"]
        out = subprocess.run(["kdig", "+short", "@127.0.0.1", "-p", resolver.rsplit(":", 1)[1],
                              "acmedental.com", "MX"], capture_output=True, text=True,
                             timeout=10)
        assert "mx1.filter.bobsit.example." in out.stdout
    finally:
        part.stop()
    gone = _fetch("acmedental.com", resolver, timeout_s=0.3)
    assert isinstance(gone.ns.error, FetchError)


def test_demo_part_without_knot_uses_the_fallback_server(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import lockin_audit.demo.knot as knot_mod

    monkeypatch.setattr(knot_mod, "knotd_path", lambda: None)
    part = demo_dns.start(tmp_path)
    try:
        facts = _fetch("acmedental.com", part.scan["dns"]["resolvers"][0])
        assert facts.nameservers == ("ns1.bobsit.example", "ns2.bobsit.example")
        assert facts.dnskey.error is None and facts.dnskey.ok.records
    finally:
        part.stop()



def _doctor(domain: str, resolvers: list[str]) -> list[tuple[str, bool, str]]:
    from lockin_audit.sources.dns import DnsSource
    from lockin_audit.sources.interface import SourceContext

    cfg = config_from_mapping({
        "client": CLIENT, "provider": PROVIDER,
        "scan": {"domains": [domain], "dns": {"resolvers": resolvers, "timeout_s": 0.3}},
    }, Path("audit.yaml"))

    async def go() -> list[tuple[str, bool, str]]:
        engine = Engine()
        try:
            return await DnsSource().doctor(SourceContext(cfg, engine, {}, None))
        finally:
            await engine.aclose()

    return asyncio.run(go())


def test_doctor_names_working_and_failing_resolvers(knot: KnotServer, faulty: str) -> None:
    good, bad = _doctor("acmedental.com", [knot.address, faulty])
    assert good[1] and "acmedental.com SOA: ok" in good[2]
    assert bad[1] and "nxdomain" in bad[2]  # it answered: the resolver itself works
    lines = _doctor("servfail.example", [knot.address, faulty])
    assert [ok for _, ok, _ in lines] == [False, False]
    assert "REFUSED" in lines[0][2] and "SERVFAIL" in lines[1][2]


def test_no_domainkey_subtree_asks_no_common_selector(knot: KnotServer) -> None:
    # NXDOMAIN at _domainkey: the common list is not asked (RFC 8020); a selector the
    # audit file names still is (some servers answer NXDOMAIN for an empty non-terminal)
    client = _client(knot.address)
    facts = asyncio.run(fetch_domain(client, "acmedental.co.uk", ["custom1"]))
    assert facts.dkim == () and "custom1" in facts.dkim_selectors
    asked = sorted(k for k in client.asked() if "_domainkey" in k[0])
    assert asked == [("_domainkey.acmedental.co.uk", "TXT"),
                     ("custom1._domainkey.acmedental.co.uk", "CNAME")]
    assert facts.dkim_fallback == ("scan.dns.dkim_selectors (custom1)",)
    client = _client(knot.address)
    facts = asyncio.run(fetch_domain(client, "acmedental.co.uk"))
    assert [k for k in client.asked() if "_domainkey" in k[0]] == [
        ("_domainkey.acmedental.co.uk", "TXT")] and facts.dkim_fallback == ()


def test_public_resolvers_by_default_and_system_on_request() -> None:
    from lockin_audit.sources.dns import PUBLIC_RESOLVERS, client_from_config
    from lockin_audit.sources.interface import SourceContext

    def servers(resolvers: list[str]) -> list[tuple[str, int]]:
        cfg = config_from_mapping({"client": CLIENT, "provider": PROVIDER, "scan": {
            "domains": ["acmedental.com"], "dns": {"resolvers": resolvers}}},
            Path("audit.yaml"))
        return client_from_config(SourceContext(cfg, Engine(), {}, None)).servers

    assert servers([]) == list(PUBLIC_RESOLVERS)
    assert servers(["127.0.0.1:5353"]) == [("127.0.0.1", 5353)]
    assert ("127.0.0.1", 5353) in servers(["127.0.0.1:5353", "system"])


def test_a_tenant_named_like_the_providers_domain_is_the_providers(knot: KnotServer) -> None:
    # the audit file names only bobsit.example: the tenant bobsit.onmicrosoft.com is
    # named exactly like it
    r = _scan([knot.address], ["vanity.test"], provider=PROVIDER,
              client_domains=("vanity.test",))
    dkim = _by(r, "vanity.test", "domain.dns.mail", "dkim")
    assert dkim.status is Status.FAIL and "bobsit.onmicrosoft.com" in dkim.detail
    tenant = _by(r, "vanity.test", "domain.dns.saas-verification",
                 "m365:bobsit.onmicrosoft.com")
    assert tenant.status is Status.FAIL
    # the demo client's own tenant (acmedentalllc) matches no domain label: confirm it
    demo = _scan([knot.address], ["acmedental.com"])
    assert _by(demo, "acmedental.com", "domain.dns.saas-verification",
               "m365:acmedentalllc.onmicrosoft.com").status is Status.MANUAL


# -- records hosted through a CNAME (issue 23) ----------------------------------------------

def test_hosted_dmarc_and_tlsrpt_in_the_providers_zone_fail(knot: KnotServer) -> None:
    r = _scan([knot.address], ["hosteddmarc.test"], client_domains=("hosteddmarc.test",))
    for key in ("dmarc", "tlsrpt"):
        f = _by(r, "hosteddmarc.test", "domain.dns.mail-reports", key)
        assert f.status is Status.FAIL and f.holder.value == "provider", f.detail
        assert "is a CNAME to hosteddmarc-test." in f.detail
        assert "IT provider's zone" in f.detail
    sts = _by(r, "hosteddmarc.test", "domain.dns.mail", "mta-sts")
    assert sts.status is Status.FAIL and "_mta-sts.hosteddmarc.test" in sts.detail
    bimi = _by(r, "hosteddmarc.test", "domain.dns.mail", "bimi")
    assert bimi.status is Status.FAIL and "BIMI" in bimi.detail


def test_hosted_dmarc_at_a_dmarc_vendor_is_a_third_party(knot: KnotServer) -> None:
    r = _scan([knot.address], ["vendordmarc.test"], client_domains=("vendordmarc.test",))
    for key in ("dmarc", "tlsrpt"):
        f = _by(r, "vendordmarc.test", "domain.dns.mail-reports", key)
        assert f.status is Status.MANUAL and f.holder.value == "third_party", f.detail
        assert "EasyDMARC" in f.detail and "confirm who holds that account" in f.detail


def test_dkim_selectors_of_the_mail_service_asked_after_an_nxdomain_parent(
        knot: KnotServer) -> None:
    proxy = faulty_dns.DnsFaultProxy(knot.address)
    proxy.faults.append(faulty_dns.DnsFault(r"_domainkey\.entnx\.test", fault="nxdomain"))
    try:
        r = _scan([proxy.address], ["entnx.test"], client_domains=("entnx.test",))
    finally:
        proxy.stop()
    assert proxy.faults[0].hits >= 1
    dkim = _by(r, "entnx.test", "domain.dns.mail", "dkim")
    assert dkim.status is Status.FAIL and "bobsit.onmicrosoft.com" in dkim.detail
    assert "answered NXDOMAIN" in dkim.detail
    assert "Microsoft 365 (selector1, selector2)" in dkim.detail
    asked = {n for n, _ in proxy.calls if n.endswith("_domainkey.entnx.test")}
    assert asked == {"_domainkey.entnx.test", "selector1._domainkey.entnx.test",
                     "selector2._domainkey.entnx.test"}  # not the whole common list
    # straight from Knot (NODATA for the empty non-terminal) the common list is asked
    direct = _by(_scan([knot.address], ["entnx.test"], client_domains=("entnx.test",)),
                 "entnx.test", "domain.dns.mail", "dkim")
    assert direct.status is Status.FAIL and "answered NXDOMAIN" not in direct.detail


def test_each_resolver_has_its_own_in_flight_budget(knot: KnotServer,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    # the engine's shared pool is 1 (limits.concurrency: 1): DNS queries to the resolver
    # still run up to max_in_flight at once, and never more
    host, port = knot.address.rsplit(":", 1)
    client = DnsClient([(host, int(port))], 2.0, Engine(concurrency=1, timeout_s=5),
                       max_in_flight=6)
    channel = client._channels[(host, int(port))]
    real = channel.query
    now = [0, 0]  # in flight, most at once

    async def slow(*args: Any, **kwargs: Any) -> Any:
        now[0] += 1
        now[1] = max(now[1], now[0])
        try:
            await asyncio.sleep(0.05)
            return await real(*args, **kwargs)
        finally:
            now[0] -= 1

    monkeypatch.setattr(channel, "query", slow)

    async def run() -> list[Any]:
        return await asyncio.gather(*(client.query(f"n{i}.acmedental.com", "A")
                                      for i in range(20)))

    answers = asyncio.run(run())
    assert all(isinstance(a.value, Answer) for a in answers)
    assert now[1] == 6


def test_the_audit_files_default_in_flight_budget_is_the_documented_one() -> None:
    from lockin_audit.config import DnsOptions
    from lockin_audit.sources.dns import DNS_IN_FLIGHT

    assert DnsOptions().max_in_flight == DNS_IN_FLIGHT == 128
