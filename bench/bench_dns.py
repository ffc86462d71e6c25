"""Benchmark of the DNS source against a real Knot server.

Run: python bench/bench_dns.py [--domains 200] [--latency-ms 20] [--concurrency 64]

Generates N domains shaped like the demo's acmedental.com (NS, SOA, MX, SPF with includes,
DMARC, TLS-RPT, DKIM CNAMEs, CAA, apex A and www CNAME), serves them with knotd on
127.0.0.1, and puts a UDP proxy in front that delays every answer by --latency-ms (what a
recursive resolver costs on a real network). It then fetches every domain's DNS facts
(1) one domain after another, each domain's queries still concurrent as in production;
(2) strictly one query at a time (engine concurrency 1, like a sequential checker);
(3) all domains at once through the engine's pool;
and prints domains per second, queries issued per domain, peak memory and the ratios.
With --checkdmarc DIR (a directory holding checkdmarc, e.g. made by
`pip install --target DIR checkdmarc==6.0.4`; bench only, never a dependency) the same
domains are also checked by checkdmarc, one after another, through the same proxy, and
the wall-time ratio is printed. Prints numbers, not pass/fail.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing as mp
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from lockin_audit.demo.dns import _zone
from lockin_audit.demo.knot import KnotServer
from lockin_audit.sources.dns import DnsClient, fetch_domain
from lockin_audit.transport import Engine


def domain_zone(n: int) -> tuple[str, str]:
    origin = f"client{n:04d}.test"
    return origin, _zone(origin, ("ns1.provider.test", "ns2.provider.test"), f"""
@ A 203.0.113.{n % 250 + 1}
@ MX 10 mx1.provider.test.
@ TXT "v=spf1 include:_spf.provider.test include:spf.shared.test -all"
@ TXT "MS=ms{n:08d}"
@ CAA 0 issue "letsencrypt.org"
www CNAME web1.provider.test.
_dmarc TXT "v=DMARC1; p=none; rua=mailto:dmarc@provider.test"
_smtp._tls TXT "v=TLSRPTv1; rua=mailto:tls@provider.test"
selector1._domainkey CNAME selector1-client{n:04d}._domainkey.client{n:04d}.onmicrosoft.test.
""", mname="ns1.provider.test.", rname="hostmaster.provider.test.")


def onmicrosoft_zone(count: int) -> tuple[str, str]:
    """The DKIM keys the domains' selector1 CNAMEs lead to (Microsoft publishes each
    tenant's keys under <tenant>.onmicrosoft.com; the bench's tenants are under .test)."""
    key = '"v=DKIM1; k=rsa; p=MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA"'
    return "onmicrosoft.test", _zone("onmicrosoft.test", ("ns1.provider.test",), "\n".join(
        f"selector1-client{n:04d}._domainkey.client{n:04d} TXT {key}" for n in range(count)))


SHARED = {
    "provider.test": _zone("provider.test", ("ns1.provider.test",), """
ns1 A 203.0.113.53
ns2 A 203.0.113.54
mx1 A 203.0.113.25
web1 A 203.0.113.10
_spf TXT "v=spf1 ip4:203.0.113.0/24 -all"
client._report._dmarc TXT "v=DMARC1"
""", mname="ns1.provider.test.", rname="hostmaster.provider.test."),
    "shared.test": _zone("shared.test", ("ns1.provider.test",), """
spf TXT "v=spf1 ip4:192.0.2.0/24 -all"
"""),
    "113.0.203.in-addr.arpa": _zone("113.0.203.in-addr.arpa", ("ns1.provider.test",), "\n".join(
        f"{i} PTR host{i}.provider.test." for i in range(1, 256))),
}


class DelayProxy(asyncio.DatagramProtocol):
    """Forwards each UDP query to Knot over one upstream socket (the message id rewritten
    to a proxy-unique one, restored on the way back) and delays each answer by a fixed
    latency with a timer: no socket or task per query, so the proxy is not what limits a
    fast client."""

    def __init__(self, upstream: tuple[str, int], latency_s: float) -> None:
        self.upstream = upstream
        self.latency_s = latency_s
        self.transport: asyncio.DatagramTransport | None = None
        self.up: asyncio.DatagramTransport | None = None
        self.waiting: dict[int, tuple[bytes, tuple[str, int]]] = {}
        self.next_id = 0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    async def open_upstream(self) -> None:
        proxy = self

        class Upstream(asyncio.DatagramProtocol):
            def datagram_received(self, reply: bytes, _: tuple[str, int]) -> None:
                entry = proxy.waiting.pop(int.from_bytes(reply[:2], "big"), None)
                if entry is None:
                    return
                original, addr = entry
                asyncio.get_running_loop().call_later(
                    proxy.latency_s, proxy.reply, original + reply[2:], addr)

        loop = asyncio.get_running_loop()
        self.up, _ = await loop.create_datagram_endpoint(Upstream, remote_addr=self.upstream)

    def reply(self, data: bytes, addr: tuple[str, int]) -> None:
        if self.transport is not None:
            self.transport.sendto(data, addr)

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        if self.up is None or len(data) < 12:
            return
        for _ in range(65536):
            self.next_id = (self.next_id + 1) & 0xFFFF
            if self.next_id not in self.waiting:
                break
        self.waiting[self.next_id] = (data[:2], addr)
        self.up.sendto(self.next_id.to_bytes(2, "big") + data[2:])


async def run(domains: list[str], resolver: tuple[str, int], mode: str,
              concurrency: int) -> tuple[float, int]:
    engine = Engine(concurrency=1 if mode == "one-query-at-a-time" else concurrency,
                    timeout_s=10)
    client = DnsClient([resolver], 3.0, engine)
    started = time.perf_counter()
    if mode == "pool":
        await asyncio.gather(*(fetch_domain(client, d) for d in domains))
    else:
        for d in domains:
            await fetch_domain(client, d)
    elapsed = time.perf_counter() - started
    await engine.aclose()
    return elapsed, client.queries


def proxy_process(upstream: int, latency_s: float, ports: mp.Queue[int]) -> None:
    """The delaying proxy runs in its own process so it does not share the scanner's CPU."""

    async def serve() -> None:
        loop = asyncio.get_running_loop()
        proxy = DelayProxy(("127.0.0.1", upstream), latency_s)
        await proxy.open_upstream()
        transport, _ = await loop.create_datagram_endpoint(
            lambda: proxy, local_addr=("127.0.0.1", 0))
        ports.put(transport.get_extra_info("sockname")[1])
        await asyncio.Event().wait()

    asyncio.run(serve())


CHECKDMARC_RUN = """
import sys, time
import checkdmarc, dns.nameserver
port, n = int(sys.argv[1]), int(sys.argv[2])
ns = [dns.nameserver.Do53Nameserver("127.0.0.1", port)]
started = time.perf_counter()
for i in range(n):
    checkdmarc.check_domains([f"client{i:04d}.test"], nameservers=ns, timeout=3.0)
print(time.perf_counter() - started)
"""


def run_checkdmarc(path: str, port: int, count: int) -> float:
    """Seconds checkdmarc needs for `count` domains (in its own interpreter and path)."""
    out = subprocess.run([sys.executable, "-c", CHECKDMARC_RUN, str(port), str(count)],
                         env={**os.environ, "PYTHONPATH": path}, capture_output=True,
                         text=True, timeout=1800, check=True)
    return float(out.stdout.strip().splitlines()[-1])


async def main_async(args: argparse.Namespace, port: int) -> None:
    domains = [f"client{n:04d}.test" for n in range(args.domains)]
    # Queries one domain needs (a fresh cache each run; shared names are asked once).
    results = {}
    for mode in ("domain-after-domain", "one-query-at-a-time", "pool"):
        subset = domains if mode != "one-query-at-a-time" else domains[: max(1, len(domains)
                                                                             // 10)]
        elapsed, queries = await run(subset, ("127.0.0.1", port), mode, args.concurrency)
        rate = len(subset) / elapsed
        results[mode] = rate
        print(f"{mode:22s} {len(subset):5d} domains  {elapsed:7.2f} s  {rate:8.1f} domains/s"
              f"  {queries:6d} queries ({queries / len(subset):.1f} per domain)")
    print(f"pool / domain-after-domain: {results['pool'] / results['domain-after-domain']:.1f}x")
    print(f"pool / one-query-at-a-time: {results['pool'] / results['one-query-at-a-time']:.1f}x")
    if args.checkdmarc:
        count = min(len(domains), args.checkdmarc_domains)
        elapsed = await asyncio.to_thread(run_checkdmarc, args.checkdmarc, port, count)
        rate = count / elapsed
        print(f"{'checkdmarc 6.0.4':22s} {count:5d} domains  {elapsed:7.2f} s  {rate:8.1f} "
              f"domains/s (one after another)")
        print(f"pool / checkdmarc: {results['pool'] / rate:.1f}x")
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory (max RSS of this process): {peak_mb:.0f} MB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--domains", type=int, default=200)
    parser.add_argument("--latency-ms", type=float, default=20.0)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--checkdmarc", metavar="DIR", help="directory holding checkdmarc")
    parser.add_argument("--checkdmarc-domains", type=int, default=40)
    args = parser.parse_args()
    zones = dict(SHARED)
    zones.update(domain_zone(n) for n in range(args.domains))
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        knot = KnotServer(Path(tmp), zones).start(timeout_s=60)
        print(f"knotd serving {len(zones)} zones on {knot.address} "
              f"(started in {time.perf_counter() - started:.1f} s); "
              f"latency {args.latency_ms:g} ms per answer")
        ports: mp.Queue[int] = mp.Queue()
        proxy = mp.Process(target=proxy_process,
                           args=(knot.port, args.latency_ms / 1000, ports), daemon=True)
        proxy.start()
        try:
            asyncio.run(main_async(args, ports.get(timeout=10)))
        finally:
            proxy.terminate()
            proxy.join(5)
            knot.stop()


if __name__ == "__main__":
    main()
