"""Benchmark of the whole domain area: DNS and RDAP together, as a real scan runs them.

Run: python bench/bench_domains.py [--domains 300] [--dns-latency-ms 20]
                                   [--rdap-latency-ms 100] [--rdap-rate 5]

N generated domains (the shape of bench_dns.py's) are served by Knot behind a proxy that
delays every DNS answer, and by the local RDAP service (thin registry + registrar, two
requests per domain) with a fixed latency, the engine limiting the RDAP host to
`--rdap-rate` requests per second. The whole scan runs through the Scanner with every
domain check, then once more from the RDAP cache. Prints, as numbers and ratios:
domains per second; DNS queries per domain; RDAP requests against the minimum needed;
the scan's time against the RDAP rate limit's lower bound (goal: within 1.5x); the cached
rerun against the first run (goal: under 0.1x when RDAP dominates); peak memory (goal:
under 300 MB). The checkdmarc comparison of the DNS part is in bench_dns.py.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import multiprocessing as mp
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))  # bench_dns's zones and proxy

from bench_dns import SHARED, domain_zone, proxy_process

from lockin_audit import registry
from lockin_audit.config import config_from_mapping
from lockin_audit.demo.knot import KnotServer
from lockin_audit.demo.rdap_server import (
    RdapData,
    RdapServer,
    domain_object,
    entity,
    registrar_entity,
)
from lockin_audit.engine import Scanner, ScanOptions
from lockin_audit.model import ScanResult

BURST = 5


def rdap_data(server: RdapServer, domains: list[str]) -> RdapData:
    expires = f"{(dt.date.today() + dt.timedelta(days=200)).isoformat()}T00:00:00Z"
    registrar = registrar_entity("Example Registrar, Inc.", "9999", "abuse@registrar.example")
    registry_answers, registrar_answers = {}, {}
    for name in domains:
        registry_answers[name] = domain_object(
            name, entities=[registrar], expires=expires,
            self_url=f"{server.url}/test/domain/{name}",
            related=f"{server.url}/registrar/domain/{name}")
        registrar_answers[name] = domain_object(
            name, entities=[registrar, entity(["registrant"], fn="Hostmaster",
                                              org="Provider Inc", email="hostmaster@provider.test")],
            expires=expires, self_url=f"{server.url}/registrar/domain/{name}")
    return RdapData(tlds={"test": registry_answers}, registrar=registrar_answers)


def scan(domains: list[str], resolver: str, rdap: RdapServer, rate: float, cache: Path
         ) -> tuple[float, ScanResult]:
    config = config_from_mapping({
        "client": {"name": "Client Co", "domains": ["client.example"]},
        "provider": {"name": "Provider Inc", "domains": ["provider.test"]},
        "scan": {"domains": domains, "dns": {"resolvers": [resolver], "timeout_s": 5},
                 "rdap": {"bootstrap_url": rdap.bootstrap_url},
                 "limits": {"concurrency": 64, "timeout_s": 30, "per_host_burst": BURST,
                            "host_rates": {rdap.url.split("//", 1)[1]: rate}}}},
        Path("bench.yaml"))
    checks = registry.select(registry.all_checks(), areas=["domain"])
    scanner = Scanner(config, checks, ScanOptions(cache_dir=cache))
    started = time.perf_counter()
    result = asyncio.run(scanner.run())
    return time.perf_counter() - started, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--domains", type=int, default=300)
    parser.add_argument("--dns-latency-ms", type=float, default=20.0)
    parser.add_argument("--rdap-latency-ms", type=float, default=100.0)
    parser.add_argument("--rdap-rate", type=float, default=5.0,
                        help="RDAP requests per second allowed per host")
    args = parser.parse_args()
    domains = [domain_zone(n)[0] for n in range(args.domains)]
    zones = dict(SHARED)
    zones.update(domain_zone(n) for n in range(args.domains))
    rdap = RdapServer(RdapData())
    rdap.data = rdap_data(rdap, domains)
    rdap.latency_s = args.rdap_latency_ms / 1000
    with tempfile.TemporaryDirectory() as tmp:
        knot = KnotServer(Path(tmp) / "knot", zones).start(timeout_s=60)
        ports: mp.Queue[int] = mp.Queue()
        proxy = mp.Process(target=proxy_process, daemon=True,
                           args=(knot.port, args.dns_latency_ms / 1000, ports))
        proxy.start()
        try:
            resolver = f"127.0.0.1:{ports.get(timeout=10)}"
            cache = Path(tmp) / "cache"
            first, result = scan(domains, resolver, rdap, args.rdap_rate, cache)
            rdap_requests = len(rdap.requests)
            rerun, _ = scan(domains, resolver, rdap, args.rdap_rate, cache)
            rerun_requests = len(rdap.requests) - rdap_requests
        finally:
            proxy.terminate()
            proxy.join(5)
            knot.stop()
            rdap.stop()
    errors = [f for f in result.findings if f.status.value == "error"]
    minimum = 2 * args.domains + 1  # registry + registrar per domain, one bootstrap
    bound = (minimum - BURST) / args.rdap_rate
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{args.domains} domains; DNS +{args.dns_latency_ms:g} ms per answer; RDAP "
          f"+{args.rdap_latency_ms:g} ms per answer, {args.rdap_rate:g} requests/s per host")
    print(f"first scan: {first:.1f} s, {args.domains / first:.1f} domains/s, "
          f"{len(result.findings)} findings, {len(errors)} errors")
    print(f"RDAP requests: {rdap_requests} for a minimum of {minimum}, ratio "
          f"{rdap_requests / minimum:.2f} (goal 1.0)")
    print(f"scan time / RDAP rate-limit lower bound ({bound:.1f} s): {first / bound:.2f} "
          "(goal <= 1.5)")
    print(f"rerun from the RDAP cache: {rerun:.1f} s ({rerun_requests} RDAP requests), "
          f"ratio {rerun / first:.3f} (goal < 0.1; DNS is never cached)")
    print(f"peak memory: {peak_mb:.0f} MB (goal < 300 MB)")


if __name__ == "__main__":
    main()
