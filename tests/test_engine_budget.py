"""Timeouts per request, not per call chain: each page and each request has its own
timeout; pages and retries of one target run within its budget (scan.limits.
target_budget_s); a blocking call the engine stopped waiting for keeps its pool slot
until its thread ends, so timed-out calls never pile up."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from lockin_audit.check import CheckContext, check
from lockin_audit.config import config_from_mapping
from lockin_audit.demo.local_http import LocalHttpServer
from lockin_audit.engine import Scanner, ScanOptions
from lockin_audit.facts import SourceFailure
from lockin_audit.model import Asset, Finding, Holder, Severity, Status
from lockin_audit.sources.interface import Source, SourceContext, Target
from lockin_audit.transport import CURRENT_BUDGET, Budget, BudgetExhausted, Engine


def _answer(method: str, path: str, headers: dict[str, str],
            body: bytes) -> tuple[int, dict[str, str], bytes]:
    if path.startswith("/throttle"):
        return 429, {"Retry-After": "20"}, b'{"error": {"code": "TooManyRequests"}}'
    if path.startswith("/slow"):
        time.sleep(0.6)
    return 200, {"Content-Type": "application/json"}, b'{"ok": true}'


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    srv = LocalHttpServer(_answer)
    yield srv.url
    srv.stop()


def test_each_page_has_its_own_timeout_and_all_fit_the_budget() -> None:
    """Five pages of 0.3 s each: 1.5 s in all, more than the 1 s per-request timeout that
    used to cut the whole chain; every page is its own engine call."""
    calls: list[float] = []

    def pages() -> Iterator[int]:
        for n in range(5):
            time.sleep(0.3)
            calls.append(time.monotonic())
            yield n

    async def go() -> list[int]:
        engine = Engine(timeout_s=1.0, per_host_rate=100)
        try:
            return await engine.pages_sync("sdk.example", pages)
        finally:
            await engine.aclose()

    assert asyncio.run(go()) == [0, 1, 2, 3, 4]
    assert len(calls) == 5


def test_a_timed_out_blocking_call_keeps_its_slot_until_its_thread_ends() -> None:
    running = threading.Semaphore(0)
    release = threading.Event()
    in_flight: list[int] = []
    peak: list[int] = []
    lock = threading.Lock()

    def stuck() -> str:
        with lock:
            in_flight.append(1)
            peak.append(len(in_flight))
        running.release()
        release.wait(5)
        with lock:
            in_flight.pop()
        return "late"

    async def go() -> tuple[int, int]:
        engine = Engine(concurrency=2, timeout_s=0.2, per_host_rate=100)
        try:
            for _ in range(2):
                with pytest.raises(TimeoutError):
                    await engine.call_sync("sdk.example", stuck)
            # both slots are still taken by the threads the engine stopped waiting for:
            # a third call waits for a slot instead of starting a third thread
            third = asyncio.create_task(engine.call_sync("sdk.example", lambda: "third",
                                                         timeout_s=5))
            await asyncio.sleep(0.3)
            assert not third.done()
            release.set()
            assert await third == "third"
            return engine.stats.overran, max(peak)
        finally:
            await engine.aclose()

    overran, most = asyncio.run(go())
    assert overran == 2 and most == 2


def test_retries_stop_when_the_budget_runs_out(server: str) -> None:
    """A 429 with Retry-After 20 s is not waited for when the target has 5 s left: the
    engine returns the 429 (the source reports it as throttled) at once."""

    async def go() -> tuple[int, float]:
        engine = Engine(per_host_rate=100)
        CURRENT_BUDGET.set(Budget.start(5.0))
        start = time.monotonic()
        try:
            resp = await engine.http("GET", f"{server}/throttle")
            return resp.status, time.monotonic() - start
        finally:
            await engine.aclose()

    status, elapsed = asyncio.run(go())
    assert status == 429 and elapsed < 5.0


def test_a_request_is_cut_to_the_budget_and_named(server: str) -> None:
    async def go() -> str:
        engine = Engine(timeout_s=10, per_host_rate=100)
        CURRENT_BUDGET.set(Budget.start(0.3))
        try:
            await engine.http("GET", f"{server}/slow", retries=3)
        except SourceFailure as exc:
            return exc.error.reason
        finally:
            await engine.aclose()
        return "no failure"

    reason = asyncio.run(go())
    assert "time budget of 0.3 s ran out" in reason


def test_budget_exhausted_before_a_call_fails_fast() -> None:
    async def go() -> None:
        engine = Engine()
        CURRENT_BUDGET.set(Budget(5.0, time.monotonic() - 1))
        try:
            await engine.call("x", lambda: asyncio.sleep(0), timeout_s=1)
        finally:
            await engine.aclose()

    with pytest.raises(BudgetExhausted):
        asyncio.run(go())


class _SlowSource(Source):
    name = "slowtoy"
    area = "custody"

    def __init__(self, url: str) -> None:
        self.url = url

    async def targets(self, ctx: SourceContext) -> list[Target]:
        return [Target(self.name, self.area, "t", "t", Asset("system", "t"))]

    async def fetch(self, target: Target, ctx: SourceContext) -> Any:
        for _ in range(20):  # 20 pages of 0.6 s: more than the 1.5 s budget
            await ctx.engine.http("GET", f"{self.url}/slow", source="slowtoy")
        return {"ok": True}


@check(id="test.budget.toy", control="custody.admin_credentials", source="slowtoy",
       title="Budget toy", severity=Severity.HIGH, risk="Test only.", remediation=("No.",))
def _budget_check(facts: Any, ctx: CheckContext) -> Iterator[Finding]:
    yield ctx.finding(asset=ctx.target.asset, holder=Holder.CLIENT, detail="fine")


def test_a_target_over_its_budget_is_an_error_naming_the_budget(server: str) -> None:
    cfg = config_from_mapping({"client": {"name": "Acme"}, "provider": {"name": "Bob"},
                               "scan": {"limits": {"target_budget_s": 1.5}}},
                              Path("audit.yaml"))
    start = time.monotonic()
    result = asyncio.run(Scanner(cfg, [_budget_check], ScanOptions(),
                                 sources={"slowtoy": _SlowSource(server)}).run())
    assert time.monotonic() - start < 5
    (finding,) = result.findings
    assert finding.status is Status.ERROR
    assert "time budget of 1.5 s ran out" in finding.detail
    assert not result.complete
