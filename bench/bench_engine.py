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
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from lockin_audit.engine import Engine


def start_server(latency_s: float) -> tuple[str, ThreadingHTTPServer]:
    state = {"throttle_once": True}
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, like the real APIs
        wbufsize = 1 << 16  # one segment per answer (no Nagle / delayed-ACK stall)

        def do_GET(self) -> None:
            if self.path.startswith("/throttle"):
                with lock:
                    first, state["throttle_once"] = state["throttle_once"], False
                if first:
                    self.send_response(429)
                    self.send_header("Retry-After", "1")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
            time.sleep(latency_s)
            body = b'{"ok": true}'
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            self.wfile.flush()

        def log_message(self, *args: object) -> None:
            pass

    ThreadingHTTPServer.request_queue_size = 128
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_address[1]}", server


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
    base, server = start_server(args.latency_ms / 1000)
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
        server.shutdown()


if __name__ == "__main__":
    main()
