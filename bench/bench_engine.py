"""Benchmark of the core engine: the shared pool and the per-host rate limiter.

Run: python bench/bench_engine.py [--requests 200] [--latency-ms 50]

Prints ratios, not pass/fail:
- speedup of the engine's bounded pool over one-at-a-time requests against a local
  server that answers each request after a fixed latency (goal: close to the pool size
  while the limiter allows it);
- how closely a per-host rate limit is kept (measured time / the time the token bucket
  allows; goal: >= 1.0 and close to it);
- that a 429 with Retry-After pauses the host for about the announced time.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from lockin_audit.demo.local_http import LocalHttpServer, Reply
from lockin_audit.transport import Engine


def start_server(latency_s: float) -> LocalHttpServer:
    state = {"throttle_once": True}
    lock = threading.Lock()

    def answer(method: str, path: str, headers: dict[str, str], body: bytes) -> Reply:
        if path.startswith("/throttle"):
            with lock:
                first, state["throttle_once"] = state["throttle_once"], False
            if first:
                return 429, {"Retry-After": "1"}, b""
        time.sleep(latency_s)
        return 200, {"Content-Type": "application/json"}, b'{"ok": true}'

    return LocalHttpServer(answer)


async def sequential(base: str, n: int) -> float:
    engine = Engine(concurrency=1, per_host_rate=1e6, per_host_burst=1000)
    started = time.perf_counter()
    for i in range(n):
        await engine.http("GET", f"{base}/item/{i}")
    elapsed = time.perf_counter() - started
    await engine.aclose()
    return elapsed


async def pooled(base: str, n: int, concurrency: int) -> float:
    engine = Engine(concurrency=concurrency, per_host_rate=1e6, per_host_burst=1000)
    started = time.perf_counter()
    await asyncio.gather(*(engine.http("GET", f"{base}/item/{i}") for i in range(n)))
    elapsed = time.perf_counter() - started
    await engine.aclose()
    return elapsed


async def rate_limited(base: str, n: int, rate: float, burst: int) -> tuple[float, float]:
    engine = Engine(concurrency=64, per_host_rate=rate, per_host_burst=burst)
    started = time.perf_counter()
    await asyncio.gather(*(engine.http("GET", f"{base}/item/{i}") for i in range(n)))
    elapsed = time.perf_counter() - started
    await engine.aclose()
    return elapsed, (n - burst) / rate


async def retry_after(base: str) -> float:
    engine = Engine(concurrency=4)
    started = time.perf_counter()
    resp = await engine.http("GET", f"{base}/throttle")
    elapsed = time.perf_counter() - started
    await engine.aclose()
    assert resp.status == 200, resp.status
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--latency-ms", type=float, default=50.0)
    parser.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args()
    server = start_server(args.latency_ms / 1000)
    base = server.url
    try:
        seq = asyncio.run(sequential(base, args.requests))
        par = asyncio.run(pooled(base, args.requests, args.concurrency))
        print(f"{args.requests} requests at {args.latency_ms:g} ms latency: sequential "
              f"{seq:.2f} s, pool of {args.concurrency} {par:.2f} s, "
              f"speedup {seq / par:.1f}x (ideal {args.concurrency}x)")
        elapsed, allowed = asyncio.run(rate_limited(base, 60, rate=40.0, burst=10))
        print(f"60 requests at 40/s with burst 10: {elapsed:.2f} s for a minimum of "
              f"{allowed:.2f} s, ratio {elapsed / allowed:.2f} (goal >= 1.0, close to it)")
        waited = asyncio.run(retry_after(base))
        print(f"429 with Retry-After: 1 -> answered after {waited:.2f} s, ratio "
              f"{waited / 1.0:.2f} (goal >= 1.0)")
    finally:
        server.stop()


if __name__ == "__main__":
    main()
