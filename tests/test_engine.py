"""The engine: one pool, per-host rate limits honouring Retry-After, timeouts, the read-only
guard, and a scan that keeps going when a target or a check fails."""

from __future__ import annotations

import asyncio
import http.server
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import pytest

from lockin_audit.check import CheckContext, check
from lockin_audit.config import config_from_mapping
from lockin_audit.engine import Scanner, ScanOptions, WriteRefused
from lockin_audit.facts import FetchError, SourceFailure
from lockin_audit.identity import IdKind
from lockin_audit.model import Asset, Finding, Holder, Severity, Status
from lockin_audit.scoring import readiness_of
from lockin_audit.sources.interface import Source, SourceContext, Target
from lockin_audit.transport import Engine, parse_retry_after


class _Handler(http.server.BaseHTTPRequestHandler):
    hits: ClassVar[list[tuple[str, float]]] = []

    def log_message(self, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        type(self).hits.append((self.path, time.monotonic()))
        if self.path.startswith("/throttled"):
            count = sum(1 for p, _ in self.hits if p == self.path)
            if count == 1:
                self.send_response(429)
                self.send_header("Retry-After", "1")
                self.end_headers()
                return
        if self.path == "/flaky" and sum(1 for p, _ in self.hits if p == "/flaky") < 3:
            self.send_response(503)
            self.end_headers()
            return
        if self.path == "/slow":
            time.sleep(1.0)
        body = b'{"ok": true}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


def run(coro: Any) -> Any:
    return asyncio.run(coro)


def test_retry_after_is_honoured(server: str) -> None:
    async def go() -> tuple[int, float]:
        engine = Engine(per_host_rate=100, per_host_burst=10)
        start = time.monotonic()
        resp = await engine.http("GET", f"{server}/throttled-a")
        await engine.aclose()
        return resp.status, time.monotonic() - start

    status, elapsed = run(go())
    assert status == 200
    assert elapsed >= 0.95  # waited the Retry-After second before asking again
    assert [p for p, _ in _Handler.hits].count("/throttled-a") == 2


def test_5xx_backs_off_and_recovers(server: str) -> None:
    async def go() -> int:
        engine = Engine()
        resp = await engine.http("GET", f"{server}/flaky")
        await engine.aclose()
        return resp.status

    assert run(go()) == 200


def test_timeout_becomes_source_failure(server: str) -> None:
    async def go() -> None:
        engine = Engine()
        try:
            await engine.http("GET", f"{server}/slow", timeout_s=0.2, retries=0)
        finally:
            await engine.aclose()

    with pytest.raises(SourceFailure) as err:
        run(go())
    assert err.value.error.kind == "timeout"


def test_per_host_rate_limit_spaces_requests(server: str) -> None:
    async def go() -> float:
        engine = Engine(per_host_rate=10, per_host_burst=1)
        start = time.monotonic()
        await asyncio.gather(*(engine.http("GET", f"{server}/r{i}") for i in range(6)))
        await engine.aclose()
        return time.monotonic() - start

    assert run(go()) >= 0.45  # 6 requests at 10/s with a burst of 1: at least 0.5 s


def test_pool_bounds_concurrency() -> None:
    async def go() -> int:
        engine = Engine(concurrency=3, per_host_rate=1000, per_host_burst=1000)
        running = peak = 0

        async def one() -> None:
            nonlocal running, peak
            running += 1
            peak = max(peak, running)
            await asyncio.sleep(0.02)
            running -= 1

        await asyncio.gather(*(engine.call("h", one) for _ in range(20)))
        await engine.aclose()
        return peak

    assert run(go()) == 3


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
def test_writes_are_refused_before_leaving_the_process(server: str, method: str) -> None:
    before = len(_Handler.hits)

    async def go() -> None:
        engine = Engine()
        try:
            await engine.http(method, f"{server}/anything")
        finally:
            await engine.aclose()

    with pytest.raises(WriteRefused):
        run(go())
    assert len(_Handler.hits) == before


def test_parse_retry_after_forms() -> None:
    assert parse_retry_after("7") == 7.0
    assert parse_retry_after(None, default=2.0) == 2.0
    assert 0 <= parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") <= 1  # in the past


# --- a scan over a test source --------------------------------------------------------


class ToySource(Source):
    name = "toy"
    area = "custody"

    async def targets(self, ctx: SourceContext) -> list[Target]:
        return [Target("toy", "custody", n, n, Asset("system", n)) for n in ("good", "bad", "slow")]

    async def fetch(self, target: Target, ctx: SourceContext) -> Any:
        if target.id == "bad":
            raise SourceFailure(FetchError("toy", "GET /bad", "access denied", kind="denied",
                                           permission="toy:Read"))
        if target.id == "slow":
            raise TimeoutError
        return {"holder_email": "admin@bobsit.example"}


@check(id="test.toy.holder", control="custody.admin_credentials", source="toy",
       title="Toy", severity=Severity.HIGH, risk="Test only.", remediation=("Nothing.",))
def toy_check(facts: Any, ctx: CheckContext) -> Iterator[Finding]:
    who = ctx.attribute(IdKind.EMAIL, facts["holder_email"], seen_in="toy")
    yield ctx.finding(asset=ctx.target.asset, holder=who.holder, detail=who.reason)


@check(id="test.toy.crash", control="custody.admin_credentials", source="toy",
       title="Crashes", severity=Severity.LOW, risk="Test only.", remediation=("Nothing.",))
def crashing_check(facts: Any, ctx: CheckContext) -> Iterator[Finding]:
    raise KeyError("surprise")
    yield  # pragma: no cover


def test_failures_become_errors_and_never_stop_the_rest() -> None:
    cfg = config_from_mapping({"client": {"name": "Acme"},
                               "provider": {"name": "Bob", "domains": ["bobsit.example"]}},
                              Path("audit.yaml"))
    scanner = Scanner(cfg, [toy_check, crashing_check], ScanOptions(),
                      sources={"toy": ToySource()})
    result = asyncio.run(scanner.run())
    by = {(f.check_id, f.asset.id): f for f in result.findings}
    assert by[("test.toy.holder", "good")].status is Status.FAIL
    assert by[("test.toy.holder", "good")].holder is Holder.PROVIDER
    denied = by[("test.toy.holder", "bad")]
    assert denied.status is Status.ERROR and "toy:Read" in denied.detail
    assert by[("test.toy.holder", "slow")].status is Status.ERROR
    crashed = by[("test.toy.crash", "good")]
    assert crashed.status is Status.ERROR and "KeyError" in crashed.detail
    coverage = {c.target: c for c in result.coverage}
    assert coverage["good"].assessed and not coverage["bad"].assessed
    assert "access denied" in (coverage["bad"].reason or "")
    assert result.readiness is None  # the engine produces; the report layer judges
    judged = readiness_of(result)
    assert judged.breakdown["errors"] == 5  # 2 targets x 2 checks + 1 crash
    assert not result.complete and judged.grade is None and not judged.complete
    # the same input gives the same ids
    again = asyncio.run(Scanner(cfg, [toy_check, crashing_check], ScanOptions(),
                                sources={"toy": ToySource()}).run())
    assert sorted(f.id for f in again.findings) == sorted(f.id for f in result.findings)


def test_interrupted_scan_keeps_partial_results() -> None:
    cfg = config_from_mapping({"client": {"name": "Acme"}, "provider": {"name": "Bob"}},
                              Path("audit.yaml"))
    scanner = Scanner(cfg, [toy_check], ScanOptions(), sources={"toy": ToySource()})
    scanner._pending[("toy", "later")] = Target("toy", "custody", "later", "later",
                                                Asset("system", "later"))
    result = scanner.result(interrupted=True)
    assert result.interrupted
    assert any(c.target == "later" and not c.assessed for c in result.coverage)
