"""Fleet mode: many clients' scans in one engine (shared pool, rate limits and public-data
caches), against the local RDAP service."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from lockin_audit import registry
from lockin_audit.config import config_from_mapping
from lockin_audit.demo import CLIENT, PROVIDER
from lockin_audit.demo.local_http import LocalHttpServer, Reply
from lockin_audit.demo.rdap import demo_data
from lockin_audit.demo.rdap_server import RdapData, RdapServer
from lockin_audit.engine import Engine, Scanner, ScanOptions
from lockin_audit.model import ScanResult

TODAY = dt.date.today()


@pytest.fixture()
def rdap() -> Iterator[RdapServer]:
    server = RdapServer(RdapData())
    server.data = demo_data(server.url, TODAY)
    yield server
    server.stop()


def test_scans_in_one_engine_share_public_answers_and_leave_it_open(rdap: RdapServer) -> None:
    checks = [c for c in registry.select(registry.all_checks(), areas=["domain"])
              if c.meta.source == "rdap"]

    def config(name: str, domains: list[str]) -> object:
        return config_from_mapping({
            "client": {**CLIENT, "name": name}, "provider": PROVIDER,
            "scan": {"domains": domains, "rdap": {"bootstrap_url": rdap.bootstrap_url}}},
            Path(f"{name}.yaml"))

    async def fleet() -> list[ScanResult]:
        engine = Engine(timeout_s=5)
        try:
            scans = [Scanner(config(f"client {n}", ["acmedental.com", "acmesmiles.com"]),  # type: ignore[arg-type]
                             checks, ScanOptions(cache_dir=None), engine=engine)
                     for n in range(3)]
            results = await asyncio.gather(*(s.run() for s in scans))
            # the engine is the fleet's: the scans did not close it
            await engine.http("GET", rdap.bootstrap_url + "dns.json")
            return results
        finally:
            await engine.aclose()

    results = asyncio.run(fleet())
    assert [r.client["name"] for r in results] == ["client 0", "client 1", "client 2"]
    assert all(len(r.findings) == len(results[0].findings) > 0 for r in results)
    # three clients, one bootstrap and one registry + registrar answer per domain
    # (the extra bootstrap request is the test's own, after the scans)
    assert rdap.count("/bootstrap/dns.json") == 2
    assert rdap.count("/com/domain/acmedental.com") == 1
    assert rdap.count("/registrar/domain/acmedental.com") == 1


def test_the_shared_engine_keeps_no_cookie_between_requests() -> None:
    seen: list[str | None] = []

    def answer(method: str, path: str, headers: dict[str, str], body: bytes) -> Reply:
        seen.append({k.lower(): v for k, v in headers.items()}.get("cookie"))
        return 200, {"Set-Cookie": "session=client-a; Path=/", "Content-Type": "text/plain"}, b"ok"

    server = LocalHttpServer(answer)

    async def two() -> None:
        engine = Engine(timeout_s=5)
        try:
            await engine.http("GET", f"{server.url}/a")
            await engine.http("GET", f"{server.url}/b")
        finally:
            await engine.aclose()

    try:
        asyncio.run(two())
    finally:
        server.stop()
    assert seen == [None, None]
