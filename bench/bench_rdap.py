"""Benchmark of the RDAP source: many domains against a rate-limited local RDAP service.

Run: python bench/bench_rdap.py [--domains 300] [--latency-ms 100] [--rate 20]

Every domain is a thin .com registry answer with a `related` registrar link (two
requests per domain), served with a fixed latency by the local RDAP server; the engine
limits the host to `--rate` requests per second. Prints, as ratios rather than pass/fail:
- requests issued against the minimum needed (goal: 1.0);
- wall time against the rate limit's lower bound (goal: within 1.5x);
- a rerun served from the on-disk cache against the first run (goal: under 0.1x);
- peak memory of the process (goal: under 300 MB).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from lockin_audit import registry
from lockin_audit.config import config_from_mapping
from lockin_audit.demo import CLIENT, PROVIDER
from lockin_audit.demo.rdap_server import (
    RdapData,
    RdapServer,
    domain_object,
    entity,
    registrar_entity,
)
from lockin_audit.engine import Scanner, ScanOptions


def build(server: RdapServer, count: int) -> list[str]:
    domains = [f"client{n:05d}.com" for n in range(count)]
    expires = f"{(dt.date.today() + dt.timedelta(days=200)).isoformat()}T00:00:00Z"
    registrar = registrar_entity("Example Registrar, Inc.", "9999", "abuse@registrar.example")
    com, rar = {}, {}
    for name in domains:
        com[name] = domain_object(name, entities=[registrar], expires=expires,
                                  self_url=f"{server.url}/com/domain/{name}",
                                  related=f"{server.url}/registrar/domain/{name}")
        rar[name] = domain_object(name, entities=[registrar, entity(
            ["registrant"], fn="IT", org="Acme Dental LLC", email="it@acmedental.com")],
            expires=expires, self_url=f"{server.url}/registrar/domain/{name}")
    server.data = RdapData(tlds={"com": com}, registrar=rar)
    return domains


def run(server: RdapServer, domains: list[str], rate: float, cache: Path) -> float:
    config = config_from_mapping({
        "client": CLIENT, "provider": PROVIDER,
        "scan": {"domains": domains, "rdap": {"bootstrap_url": server.bootstrap_url},
                 "limits": {"concurrency": 32, "per_host_rate": rate, "per_host_burst": 5,
                            "timeout_s": 30}}}, Path("bench.yaml"))
    checks = [c for c in registry.all_checks() if c.meta.source == "rdap"]
    started = time.perf_counter()
    result = asyncio.run(Scanner(config, checks, ScanOptions(cache_dir=cache)).run())
    elapsed = time.perf_counter() - started
    errors = [f for f in result.findings if f.status.value == "error"]
    if errors:
        raise SystemExit(f"{len(errors)} errors, first: {errors[0].detail}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--domains", type=int, default=300)
    parser.add_argument("--latency-ms", type=float, default=100.0)
    parser.add_argument("--rate", type=float, default=20.0, help="requests/s per host")
    args = parser.parse_args()
    server = RdapServer(RdapData())
    server.latency_s = args.latency_ms / 1000
    seen: list[str] = []  # every request the server was sent
    server.http.observers.append(lambda method, path, headers, body: seen.append(path))
    try:
        domains = build(server, args.domains)
        with tempfile.TemporaryDirectory() as cache:
            first = run(server, domains, args.rate, Path(cache))
            issued = len(seen)
            rerun = run(server, domains, args.rate, Path(cache))
            rerun_requests = len(seen) - issued
    finally:
        server.stop()
    minimum = 2 * args.domains + 1  # registry + registrar per domain, one bootstrap
    bound = (minimum - 5) / args.rate  # the token bucket's burst is 5
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{args.domains} domains, {args.latency_ms:g} ms per answer, {args.rate:g} req/s "
          f"per host")
    print(f"first run: {first:.2f} s, {args.domains / first:.1f} domains/s")
    print(f"requests: {issued} issued for a minimum of {minimum}, ratio {issued / minimum:.2f} "
          "(goal 1.0)")
    print(f"rate-limit lower bound {bound:.2f} s: ratio {first / bound:.2f} (goal <= 1.5)")
    print(f"cached rerun: {rerun:.2f} s, {rerun_requests} requests, ratio "
          f"{rerun / first:.3f} (goal < 0.1)")
    print(f"peak memory: {peak_mb:.0f} MB (goal < 300 MB)")


if __name__ == "__main__":
    main()
