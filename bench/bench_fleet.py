"""Benchmark of a fleet: many clients' audits in one engine, then as shards.

Run: python bench/bench_fleet.py [--clients 200] [--domains 5] [--dns-latency-ms 20]
                                 [--rdap-latency-ms 100] [--rdap-rate 10] [--jobs 8]
                                 [--small 50] [--shards 2]

The demo fleet's generator (lockin_audit/demo/fleet.py) writes N clients with D domains
each and an inventory: Knot serves every zone (and the provider's zone they share) behind
a proxy that delays every DNS answer; the local RDAP service answers the thin registry and
the registrar (two requests per domain) with a fixed latency, and every audit file limits
the RDAP host to --rdap-rate requests per second (a registry's limit). `lockin-audit fleet
scan` runs as its own process, recording into a SQLite history. Printed: clients per
minute; RDAP requests against the minimum needed (goal: equal); wall time against the
rate limit's lower bound (goal: within 1.2x); peak memory (goal: under 500 MB for 200
clients, growing less than linearly: the run is repeated with --small clients); then the
same fleet as --shards processes at once against one PostgreSQL (each shard gets
rate/shards of the registry, since the registry's limit holds for all of them together).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))  # bench_dns's latency proxy

from bench_dns import proxy_process

from lockin_audit.demo.fleet import fleet_clients, fleet_rdap, fleet_zones, write_fleet
from lockin_audit.demo.knot import KnotServer
from lockin_audit.demo.rdap_server import RdapData, RdapServer

ROOT = Path(__file__).resolve().parent.parent
BURST = 5


def run_fleet(files: Path, out: Path, history: str, env: dict[str, str], jobs: int,
              shard: str | None = None) -> subprocess.Popen[str]:
    args = [sys.executable, "-m", "lockin_audit", "fleet", "scan", str(files / "*.yaml"),
            "-o", str(out), "--history", history, "--jobs", str(jobs), "-q",
            "--fail-on", "none"]
    if shard:
        args += ["--shard", shard]
    return subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=env)


def spawn_and_measure(files: Path, out: Path, history: str, env: dict[str, str], jobs: int,
                      shards: int = 0) -> tuple[float, list[float], list[str]]:
    """Start the fleet (or its shards at once); wall seconds, each process's peak MB."""
    started = time.perf_counter()
    spawn_and_measure.started = started  # type: ignore[attr-defined]
    procs = ([run_fleet(files, out, history, env, jobs)] if not shards else
             [run_fleet(files, out / f"shard{i}", history, env, jobs, f"{i}/{shards}")
              for i in range(1, shards + 1)])
    peaks, errs = [], []
    for p in procs:
        # communicate without reaping, then wait4 for this child's own rusage
        out_text, err_text = p.stdout.read(), p.stderr.read()  # type: ignore[union-attr]
        _, status, usage = os.wait4(p.pid, 0)
        p.returncode = os.waitstatus_to_exitcode(status)
        peaks.append(usage.ru_maxrss / 1024)
        errs.append(err_text + out_text)
        if p.returncode not in (0, 1):
            print(f"fleet process failed ({p.returncode}):\n{err_text[-3000:]}\n{out_text}",
                  file=sys.stderr)
    return time.perf_counter() - started, peaks, errs


def summary_rows(out: Path) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    for path in sorted(out.rglob("fleet*.json")):
        rows.extend(json.loads(path.read_text())["clients"])
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--domains", type=int, default=5)
    parser.add_argument("--dns-latency-ms", type=float, default=20.0)
    parser.add_argument("--rdap-latency-ms", type=float, default=100.0)
    parser.add_argument("--rdap-rate", type=float, default=10.0)
    parser.add_argument("--jobs", type=int, default=8)
    parser.add_argument("--small", type=int, default=50,
                        help="also run this many clients, to see how memory grows (0: skip)")
    parser.add_argument("--shards", type=int, default=2, help="0: skip the sharded run")
    args = parser.parse_args()

    clients = fleet_clients(args.clients, args.domains)
    rdap = RdapServer(RdapData())
    rdap.data = fleet_rdap(rdap.url, clients)
    rdap.latency_s = args.rdap_latency_ms / 1000
    rdap_host = rdap.url.split("//", 1)[1]
    stamps: list[float] = []  # when each RDAP request arrived
    answer = rdap.answer

    def stamped(path: str) -> tuple[int, str, dict[str, str], str]:
        stamps.append(time.perf_counter())
        return answer(path)

    rdap.answer = stamped  # type: ignore[method-assign]
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        knot = KnotServer(tmp / "knot", fleet_zones(clients)).start(timeout_s=120)
        ports: mp.Queue[int] = mp.Queue()
        proxy = mp.Process(target=proxy_process, daemon=True,
                           args=(knot.port, args.dns_latency_ms / 1000, ports))
        proxy.start()
        cluster = None
        try:
            resolver = f"127.0.0.1:{ports.get(timeout=10)}"

            def files_for(n: int, rate: float, name: str) -> Path:
                folder = tmp / name
                write_fleet(folder, clients[:n], resolver, rdap.bootstrap_url, limits={
                    "concurrency": 32, "timeout_s": 30, "per_host_burst": BURST,
                    "host_rates": {rdap_host: rate}})
                return folder

            def env_for(name: str) -> dict[str, str]:
                return {**os.environ, "PYTHONPATH": str(ROOT), "CI": "true",
                        "XDG_CACHE_HOME": str(tmp / name / "cache")}

            def minimum(n: int) -> int:
                # registry + registrar per domain; dns.json and ipv4.json; the provider's
                # and the hosting company's networks
                return 2 * args.domains * n + 2 + 2

            print(f"{args.clients} clients x {args.domains} domains + an inventory each; "
                  f"DNS +{args.dns_latency_ms:g} ms per answer; RDAP +{args.rdap_latency_ms:g} "
                  f"ms per answer, {args.rdap_rate:g} requests/s (burst {BURST}); "
                  f"--jobs {args.jobs}")
            sizes = [n for n in (args.small, args.clients) if n and n <= args.clients]
            peaks_by_size = {}
            for n in dict.fromkeys(sizes):
                before = len(stamps)
                files = files_for(n, args.rdap_rate, f"one-{n}")
                wall, peaks, _ = spawn_and_measure(
                    files, tmp / f"out-{n}", str(tmp / f"history-{n}.sqlite"),
                    env_for(f"one-{n}"), args.jobs)
                t0 = spawn_and_measure.started  # type: ignore[attr-defined]
                mine = stamps[before:]
                requests = len(stamps) - before
                rows = summary_rows(tmp / f"out-{n}")
                bad = [r for r in rows if r.get("error") or not r.get("complete")]
                bound = (minimum(n) - BURST) / args.rdap_rate
                peaks_by_size[n] = peaks[0]
                print(f"\none process, {n} clients: {wall:.1f} s, "
                      f"{n / wall * 60:.0f} clients/minute; {len(rows)} clients in the "
                      f"summary, {len(bad)} not scanned or incomplete")
                print(f"  RDAP requests: {requests} for a minimum of {minimum(n)}, ratio "
                      f"{requests / minimum(n):.3f} (goal 1.0)")
                print(f"  wall time / RDAP rate-limit lower bound ({bound:.1f} s): "
                      f"{wall / bound:.2f} (goal <= 1.2)")
                print(f"  peak memory of the fleet process: {peaks[0]:.0f} MB (goal < 500 MB)")
                if mine:
                    print(f"  RDAP requests from {mine[0] - t0:.1f} s to {mine[-1] - t0:.1f} s "
                          f"after the start ({(len(mine) - 1) / (mine[-1] - mine[0]):.2f}/s "
                          f"meanwhile); the process ended {t0 + wall - mine[-1]:.1f} s after "
                          "the last one")
            if len(peaks_by_size) == 2:
                (n1, m1), (n2, m2) = sorted(peaks_by_size.items())
                print(f"\nmemory growth: {n2 / n1:.1f}x the clients -> {m2 / m1:.2f}x the "
                      "peak memory (goal: less than linear)")
            if args.shards:
                sys.path.insert(0, str(ROOT / "tests"))
                from pg import PgCluster  # the tests' throwaway PostgreSQL (Debian's)

                cluster = PgCluster().start()
                url = cluster.url(cluster.create_database())
                rate = args.rdap_rate / args.shards
                files = files_for(args.clients, rate, "sharded")
                before = len(stamps)
                wall, peaks, _ = spawn_and_measure(files, tmp / "out-sharded", url,
                                                   env_for("sharded"), args.jobs,
                                                   shards=args.shards)
                requests = len(stamps) - before
                from lockin_audit.history import open_store

                with open_store(url) as store:
                    scans = store.scans()
                per_shard = [len(json.loads(p.read_text())["clients"]) for p in
                             sorted((tmp / "out-sharded").rglob("fleet-shard-*.json"))]
                # each shard has its own bootstraps and network lookups
                shard_min = 2 * args.domains * args.clients + args.shards * 4
                bound = (shard_min - args.shards * BURST) / args.rdap_rate
                print(f"\n{args.shards} shards in {args.shards} processes at once, one "
                      f"PostgreSQL, {rate:g} RDAP requests/s each: {wall:.1f} s, "
                      f"{args.clients / wall * 60:.0f} clients/minute")
                print(f"  clients per shard: {per_shard}; history: {len(scans)} scans of "
                      f"{len({s.client for s in scans})} clients")
                print(f"  RDAP requests: {requests} for a minimum of {shard_min} "
                      f"(ratio {requests / shard_min:.3f}); wall / bound ({bound:.1f} s): "
                      f"{wall / bound:.2f}")
                print(f"  peak memory per shard: {', '.join(f'{p:.0f} MB' for p in peaks)}")
        finally:
            proxy.terminate()
            proxy.join(5)
            knot.stop()
            rdap.stop()
            if cluster is not None:
                cluster.stop()
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\n(the benchmark's own process with the RDAP server: {own:.0f} MB)")


if __name__ == "__main__":
    main()
