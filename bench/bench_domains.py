"""Benchmark of the domain area, end to end: the CLI scan as a user runs it, against checkdmarc.

Run: python bench/bench_domains.py [--domains 1000] [--dns-latency-ms 20]
                                   [--checkdmarc DIR] [--checkdmarc-domains 100]
     python bench/bench_domains.py --with-rdap [--domains 300] [--rdap-latency-ms 100]
                                   [--rdap-rate 5]

Default (end to end): N generated domains served by Knot behind a proxy adding
--dns-latency-ms to every answer; `lockin-audit scan --only domain` with the DNS checks
(`--check domain.dns.*`: what checkdmarc also reads) runs as a separate process, as a user
runs it (start-up, every check, the JSON report); its wall time and peak memory are
measured. With --checkdmarc DIR (`pip install --target DIR checkdmarc`; bench only, never
a dependency) checkdmarc checks --checkdmarc-domains of the same domains through the same
proxy, one after another as its CLI does, and the ratio of domains per second is printed
(goal: at least 25x, under 300 MB).

With --with-rdap, the older whole-area run:

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

from bench_dns import SHARED, domain_zone, onmicrosoft_zone, proxy_process

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


DNS_CHECKS = ("domain.dns.nameservers", "domain.dns.dnssec", "domain.dns.mail",
              "domain.dns.mail-reports", "domain.dns.web", "domain.dns.caa",
              "domain.dns.saas-verification")


def end_to_end(args: argparse.Namespace) -> None:
    import json
    import os
    import subprocess

    import yaml
    from bench_dns import run_checkdmarc

    domains = [domain_zone(n)[0] for n in range(args.domains)]
    zones = dict(SHARED)
    zones.update(domain_zone(n) for n in range(args.domains))
    zones.update([onmicrosoft_zone(args.domains)])
    with tempfile.TemporaryDirectory() as tmp:
        knot = KnotServer(Path(tmp) / "knot", zones).start(timeout_s=120)
        ports: mp.Queue[int] = mp.Queue()
        proxy = mp.Process(target=proxy_process, daemon=True,
                           args=(knot.port, args.dns_latency_ms / 1000, ports))
        proxy.start()
        try:
            port = ports.get(timeout=10)
            audit = Path(tmp) / "audit.yaml"
            scan_options: dict[str, object] = {
                "domains": domains, "dns": {"resolvers": [f"127.0.0.1:{port}"]}}
            if args.concurrency is not None:  # the default limits unless asked otherwise
                scan_options["limits"] = {"concurrency": args.concurrency}
            if args.dns_in_flight is not None:
                scan_options["dns"] = {"resolvers": [f"127.0.0.1:{port}"],
                                       "max_in_flight": args.dns_in_flight}
            audit.write_text(yaml.safe_dump({
                "client": {"name": "Client Co", "domains": ["client.example"]},
                "provider": {"name": "Provider Inc", "domains": ["provider.test"],
                             "ip_ranges": ["203.0.113.0/24"]},
                "scan": scan_options}))
            out = Path(args.output) if args.output else Path(tmp) / "out"
            load_before = os.getloadavg()
            profile = ["-m", "cProfile", "-o", args.profile] if args.profile else []
            cmd = [sys.executable, *profile, "-m", "lockin_audit", "scan", "-c", str(audit),
                   "-o", str(out), "-f", "json", "--only", "domain",
                   "--no-history", "--no-progress", "-q", "--fail-on", "none"]
            for check_id in DNS_CHECKS:
                cmd += ["--check", check_id]
            env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            started = time.perf_counter()
            done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=3600)
            elapsed = time.perf_counter() - started
            usage = resource.getrusage(resource.RUSAGE_CHILDREN)
            peak_mb = usage.ru_maxrss / 1024
            cpu = (usage.ru_utime + usage.ru_stime) - (before.ru_utime + before.ru_stime)
            if done.returncode not in (0, 1):
                raise SystemExit(f"the scan failed ({done.returncode}): {done.stderr[-2000:]}")
            report = json.loads((out / "report.json").read_text())
            errors = sum(1 for f in report["findings"] if f["status"] == "error")
            rate = len(domains) / elapsed
            load = os.getloadavg()[0]
            limits = (f"limits.concurrency {args.concurrency}" if args.concurrency
                      else "default limits")
            print(f"{len(domains)} domains, DNS +{args.dns_latency_ms:g} ms per answer, "
                  f"{limits}; load average {load_before[0]:.1f} before, {load:.1f} after, "
                  f"on {os.cpu_count()} CPUs")
            print(f"lockin-audit scan --only domain (DNS checks), whole CLI: {elapsed:.1f} s, "
                  f"{rate:.1f} domains/s, {len(report['findings'])} findings, {errors} "
                  f"errors, peak {peak_mb:.0f} MB (goal < 300 MB); scan CPU {cpu:.1f} s "
                  f"({1000 * cpu / len(domains):.1f} ms per domain)")
            if args.checkdmarc:
                count = min(len(domains), args.checkdmarc_domains)
                cd_elapsed = run_checkdmarc(args.checkdmarc, port, count)
                cd_rate = count / cd_elapsed
                print(f"checkdmarc: {count} domains in {cd_elapsed:.1f} s, {cd_rate:.2f} "
                      "domains/s (one after another, as its CLI does)")
                print(f"end-to-end ratio lockin-audit / checkdmarc: {rate / cd_rate:.1f}x "
                      "(goal >= 25x)")
                print(f"CPU-bound ceiling (the scan's CPU time alone, as on an idle core): "
                      f"{len(domains) / cpu:.0f} domains/s, {len(domains) / cpu / cd_rate:.0f}x "
                      "checkdmarc")
        finally:
            proxy.terminate()
            proxy.join(5)
            knot.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--with-rdap", action="store_true",
                        help="the older whole-area run (DNS + rate-limited RDAP, cached rerun)")
    parser.add_argument("--checkdmarc", metavar="DIR", help="directory holding checkdmarc")
    parser.add_argument("--checkdmarc-domains", type=int, default=100)
    parser.add_argument("--concurrency", type=int, default=None,
                        help="override limits.concurrency (default: the scan's default "
                             "limits, as a user who never tunes them runs it)")
    parser.add_argument("--burst", type=int, default=10)
    parser.add_argument("--dns-in-flight", type=int, default=None,
                        help="override scan.dns.max_in_flight (default: the scan's default)")
    parser.add_argument("--profile", metavar="FILE",
                        help="run the scan under cProfile, writing its stats to FILE")
    parser.add_argument("--domains", type=int, default=None)
    parser.add_argument("--output", metavar="DIR",
                        help="keep the scan's reports (report.json, letter.md, ...) in DIR")
    parser.add_argument("--dns-latency-ms", type=float, default=20.0)
    parser.add_argument("--rdap-latency-ms", type=float, default=100.0)
    parser.add_argument("--rdap-rate", type=float, default=5.0,
                        help="RDAP requests per second allowed per host")
    args = parser.parse_args()
    if not args.with_rdap:
        args.domains = args.domains or 1000
        end_to_end(args)
        return
    args.domains = args.domains or 300
    domains = [domain_zone(n)[0] for n in range(args.domains)]
    zones = dict(SHARED)
    zones.update(domain_zone(n) for n in range(args.domains))
    rdap = RdapServer(RdapData())
    rdap.data = rdap_data(rdap, domains)
    rdap.latency_s = args.rdap_latency_ms / 1000
    seen: list[str] = []  # every request the RDAP server was sent
    rdap.http.observers.append(lambda method, path, headers, body: seen.append(path))
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
            rdap_requests = len(seen)
            rerun, _ = scan(domains, resolver, rdap, args.rdap_rate, cache)
            rerun_requests = len(seen) - rdap_requests
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
