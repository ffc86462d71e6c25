"""Resolution through the delegation (`scan.dns.resolvers: [iterative]`) against a small
DNS hierarchy of real Knot servers on loopback addresses: a root zone (127.0.0.21), the
.test and .example TLDs (127.0.0.22) and the domains' own servers (127.0.0.23), all on
one port given as `iterative_port`, the root given as `root_hints`."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from lockin_audit import registry
from lockin_audit.config import config_from_mapping
from lockin_audit.demo import CLIENT, PROVIDER
from lockin_audit.demo.knot import KnotServer, KnotUnavailable, free_port, knotd_path
from lockin_audit.engine import Scanner
from lockin_audit.facts import Fetched
from lockin_audit.sources.dns import Answer, DnsFacts, IterativeClient, Lookup, fetch_domain
from lockin_audit.transport import Engine

pytestmark = pytest.mark.skipif(knotd_path() is None, reason="knotd is not installed")

SOA = "@ SOA {ns} hostmaster.{ns} 1 3600 600 86400 300"
ROOT = "\n".join(["$ORIGIN .", "$TTL 300", SOA.format(ns="a.root-servers.net."),
                  "@ NS a.root-servers.net.", "a.root-servers.net. A 127.0.0.21",
                  "test. NS ns.nic.test.", "ns.nic.test. A 127.0.0.22",
                  "example. NS ns.nic.test."]) + "\n"
TLD_TEST = "\n".join(["$ORIGIN test.", "$TTL 300", SOA.format(ns="ns.nic.test."),
                      "@ NS ns.nic.test.", "ns.nic A 127.0.0.22",
                      "iter NS ns1.iter.test.", "ns1.iter A 127.0.0.23",
                      "iter DS 31415 13 2 " + "5F" * 32,
                      "glueless NS ns.hosting.example."]) + "\n"
TLD_EXAMPLE = "\n".join(["$ORIGIN example.", "$TTL 300", SOA.format(ns="ns.nic.test."),
                         "@ NS ns.nic.test.", "hosting NS ns.hosting.example.",
                         "ns.hosting A 127.0.0.23"]) + "\n"
ITER = "\n".join(["$ORIGIN iter.test.", "$TTL 300", SOA.format(ns="ns1.iter.test."),
                  "@ NS ns1.iter.test.", "ns1 A 127.0.0.23", "@ A 192.0.2.10",
                  "@ MX 10 mx.glueless.test.",
                  '@ TXT "v=spf1 include:_spf.glueless.test -all"',
                  "www CNAME www.glueless.test."]) + "\n"
GLUELESS = "\n".join(["$ORIGIN glueless.test.", "$TTL 300",
                      SOA.format(ns="ns.hosting.example."), "@ NS ns.hosting.example.",
                      "www A 203.0.113.10", "mx A 203.0.113.25",
                      '_spf TXT "v=spf1 ip4:203.0.113.0/24 -all"']) + "\n"
HOSTING = "\n".join(["$ORIGIN hosting.example.", "$TTL 300",
                     SOA.format(ns="ns.hosting.example."), "@ NS ns.hosting.example.",
                     "ns A 127.0.0.23"]) + "\n"


@pytest.fixture(scope="module")
def hierarchy(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    port = free_port("127.0.0.21")
    servers = []
    try:
        for host, zones in (("127.0.0.21", {".": ROOT}),
                            ("127.0.0.22", {"test": TLD_TEST, "example": TLD_EXAMPLE}),
                            ("127.0.0.23", {"iter.test": ITER, "glueless.test": GLUELESS,
                                            "hosting.example": HOSTING})):
            servers.append(KnotServer(tmp_path_factory.mktemp("knot"), zones, host=host,
                                      fixed_port=port).start())
    except KnotUnavailable as exc:
        for s in servers:
            s.stop()
        pytest.skip(f"a loopback hierarchy cannot be started here: {exc}")
    yield port
    for s in servers:
        s.stop()


def test_iterative_resolution_follows_the_delegation(hierarchy: int) -> None:
    async def go() -> tuple[DnsFacts, Lookup, IterativeClient]:
        engine = Engine(timeout_s=5)
        client = IterativeClient([("127.0.0.21", hierarchy)], 2.0, engine, port=hierarchy)
        facts = await fetch_domain(client, "iter.test")
        missing = await client.query("nope.test", "NS")
        await engine.aclose()
        return facts, missing, client

    facts, missing, _ = asyncio.run(go())
    assert facts.nameservers == ("ns1.iter.test",)
    assert facts.servers == (f"127.0.0.23:{hierarchy}",)
    ds = facts.ds.ok
    assert isinstance(ds, Answer) and ds.records and ds.server.startswith("127.0.0.22")
    assert facts.mx_hosts == ((10, "mx.glueless.test"),)
    # a glueless delegation: ns.hosting.example resolved through .example first
    assert facts.mail_addresses == ("203.0.113.25",)
    assert facts.www.chain == ("www.glueless.test",)
    assert facts.www.addresses == ("203.0.113.10",)
    spf = facts.spf
    assert spf.error is None and not spf.ok.problems
    assert isinstance(missing, Fetched) and missing.request == "nope.test NS"
    assert isinstance(missing.value, Answer) and missing.value.status == "nxdomain"


def test_scan_through_the_delegation_names_the_servers(hierarchy: int) -> None:
    cfg = config_from_mapping({
        "client": {**CLIENT, "domains": ["iter.test"]}, "provider": {
            **PROVIDER, "domains": ["bobsit.example", "glueless.test"]},
        "scan": {"domains": ["iter.test", "nope.test"], "dns": {
            "resolvers": ["iterative"], "root_hints": [f"127.0.0.21:{hierarchy}"],
            "iterative_port": hierarchy, "timeout_s": 2}}}, Path("audit.yaml"))
    checks = [c for c in registry.all_checks() if c.meta.source == "dns"]
    result = asyncio.run(Scanner(cfg, checks).run())
    ns = next(f for f in result.findings if f.asset.id == "iter.test"
              and f.check_id == "domain.dns.nameservers")
    assert f"Answers from 127.0.0.23:{hierarchy}" in ns.detail
    mx = next(f for f in result.findings if f.asset.id == "iter.test"
              and f.check_id == "domain.dns.mail" and f.key == "mx")
    assert mx.status.value == "fail"  # the provider's mail host, found via the delegation
    cov = {c.target: c for c in result.coverage}
    assert not cov["nope.test"].assessed and "NXDOMAIN" in (cov["nope.test"].reason or "")
