"""Benchmark of the Graph source on a large tenant: the engine pool against one-at-a-time.

Run: python bench/bench_graph.py [--guests 5000] [--apps 200] [--latency-ms 20]

The local Microsoft cloud of the demo (lockin_audit.demo.azure_server) serves the demo tenant grown to
many guests (paged with @odata.nextLink, 999 a page) and many foreign apps (each needing
its own appRoleAssignments and oauth2PermissionGrants requests), with a fixed latency per
Graph answer. Prints requests, wall time, and the speedup of the engine's pool
(concurrency 16) over concurrency 1 at the same per-host rate (goal: several times).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from lockin_audit import registry
from lockin_audit.config import config_from_mapping
from lockin_audit.demo import graph_routes
from lockin_audit.demo.arm_routes import demo_data
from lockin_audit.demo.azure_server import MicrosoftCloud
from lockin_audit.engine import Scanner


def run(url: str, ca: str, concurrency: int) -> tuple[float, int, int]:
    config = config_from_mapping({
        "client": {"name": "Acme Dental LLC", "domains": ["acmedental.com"]},
        "provider": {"name": "Bob's IT Services", "domains": ["bobsit.example"],
                     "azure_tenant_ids": [graph_routes.PROVIDER_TENANT]},
        "scan": {"azure": [{"tenant_id": graph_routes.CLIENT_TENANT,
                            "graph_endpoint": f"{url}/scenario/scale", "authority_host": url,
                            "ca_bundle": ca, "credential": "environment"}],
                 "limits": {"concurrency": concurrency, "per_host_rate": 1000,
                            "per_host_burst": 100}},
    }, Path("bench-audit.yaml"))
    checks = [c for c in registry.all_checks() if c.meta.source == "graph"]
    scanner = Scanner(config, checks)
    started = time.perf_counter()
    result = asyncio.run(scanner.run())
    elapsed = time.perf_counter() - started
    assert all(c.assessed for c in result.coverage), result.coverage
    return elapsed, scanner.engine.stats.http_requests, len(result.findings)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--guests", type=int, default=5000)
    parser.add_argument("--apps", type=int, default=200)
    parser.add_argument("--latency-ms", type=float, default=20.0)
    args = parser.parse_args()
    graph_routes.TENANTS["scale"] = graph_routes.scale_tenant(args.guests, args.apps)
    secret = "bench-secret"
    os.environ.update(AZURE_CLIENT_ID="11111111-2222-4333-8444-555555555555",
                      AZURE_CLIENT_SECRET=secret, AZURE_TENANT_ID=graph_routes.CLIENT_TENANT)
    original = graph_routes.handle

    def slow(*a: Any, **kw: Any) -> Any:
        time.sleep(args.latency_ms / 1000)
        return original(*a, **kw)

    graph_routes.handle = slow  # type: ignore[assignment]
    with tempfile.TemporaryDirectory() as tmp:
        cloud = MicrosoftCloud(demo_data(), secret=secret, workdir=Path(tmp))
        try:
            results = {n: run(cloud.url, cloud.ca_path, n) for n in (1, 16)}
        finally:
            cloud.stop()
    for n, (elapsed, requests, findings) in results.items():
        print(f"concurrency {n:>2}: {elapsed:6.2f} s, {requests} Graph requests, "
              f"{findings} findings")
    print(f"pool speedup: {results[1][0] / results[16][0]:.1f}x "
          f"({args.guests} guests, {args.apps} foreign apps, {args.latency_ms:g} ms latency)")


if __name__ == "__main__":
    main()
