"""The concurrent runner.

One bounded pool and one per-host rate limiter for the whole scan (ScoutSuite's idea):
every remote call of every source goes through `Engine`, which
- bounds concurrency with one semaphore (and one thread pool for blocking SDKs),
- rate-limits per host with a token bucket, pausing a host when it answers Retry-After,
- puts a timeout on every call,
- refuses any HTTP method that could change something (read-only by construction).

`Scanner` fetches each source's targets once, then evaluates every selected check on the
fetched facts. A source or check that fails yields `status: error` findings and coverage
with the reason and never stops the rest; an interrupted scan still returns its partial
result.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import email.utils
import http.cookiejar
import random
import re
import ssl
import time
import traceback
from collections.abc import Awaitable, Callable, Hashable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, TypeVar
from urllib.parse import urlsplit

from lockin_audit import __version__
from lockin_audit.check import Check, CheckContext
from lockin_audit.guards import WriteRefused
from lockin_audit.guards.http import assert_read_only_http
from lockin_audit.identity import Identity
from lockin_audit.model import (
    NOT_CONFIGURED,
    Coverage,
    Finding,
    ScanResult,
    Severity,
    Status,
    dedupe_findings,
    iso,
    sort_findings,
    utc_now,
)
from lockin_audit.sources.interface import FetchError, Source, SourceContext, SourceFailure, Target

if TYPE_CHECKING:
    import datetime as dt
    from pathlib import Path

    import httpx

    from lockin_audit.config import AuditConfig, Limits

T = TypeVar("T")

class HostRateLimiter:
    """Token bucket per host; `defer` pauses a host (Retry-After)."""

    def __init__(self, rate: float, burst: int, host_rates: Mapping[str, float] | None = None,
                 max_defer_s: float = 60.0) -> None:
        self.rate = rate
        self.burst = burst
        self.host_rates = dict(host_rates or {})
        self.max_defer_s = max_defer_s
        self._state: dict[str, tuple[float, float]] = {}  # host -> (tokens, last refill)
        self._paused_until: dict[str, float] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    def rate_for(self, host: str) -> float:
        return self.host_rates.get(host, self.rate)

    def set_rate(self, host: str, rate: float) -> None:
        self.host_rates[host] = rate

    def defer(self, host: str, seconds: float) -> float:
        seconds = max(0.0, min(seconds, self.max_defer_s))
        until = time.monotonic() + seconds
        self._paused_until[host] = max(self._paused_until.get(host, 0.0), until)
        return seconds

    async def acquire(self, host: str) -> None:
        lock = self._locks.setdefault(host, asyncio.Lock())
        async with lock:  # FIFO per host: waiters are served in order
            while True:
                now = time.monotonic()
                paused = self._paused_until.get(host, 0.0) - now
                if paused > 0:
                    await asyncio.sleep(paused)
                    continue
                rate = self.rate_for(host)
                burst = float(self.burst)
                tokens, last = self._state.get(host, (burst, now))
                tokens = min(burst, tokens + (now - last) * rate)
                if tokens >= 1.0:
                    self._state[host] = (tokens - 1.0, now)
                    return
                self._state[host] = (tokens, now)
                await asyncio.sleep((1.0 - tokens) / rate)


@dataclass(frozen=True)
class HttpResponse:
    url: str
    status: int
    headers: Mapping[str, str]
    text: str
    elapsed_s: float

    def json(self) -> Any:
        import json

        return json.loads(self.text)

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "").split(";")[0].strip().lower()


def parse_retry_after(value: str | None, default: float = 1.0) -> float:
    if not value:
        return default
    value = value.strip()
    if re.fullmatch(r"\d+(\.\d+)?", value):
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return default
    return max(0.0, when.timestamp() - time.time())


@dataclass
class EngineStats:
    calls: int = 0
    http_requests: int = 0
    retries: int = 0
    throttled: int = 0
    per_host: dict[str, int] = field(default_factory=dict)


class Engine:
    """Shared pool, rate limits and timeouts for every remote call of a scan."""

    def __init__(self, *, concurrency: int = 16, timeout_s: float = 15.0,
                 per_host_rate: float = 20.0, per_host_burst: int = 10,
                 host_rates: Mapping[str, float] | None = None,
                 max_retry_after_s: float = 60.0) -> None:
        self.concurrency = concurrency
        self.timeout_s = timeout_s
        self.max_retry_after_s = max_retry_after_s
        self.limiter = HostRateLimiter(per_host_rate, per_host_burst, host_rates,
                                       max_retry_after_s)
        self._pool: asyncio.Semaphore | None = None
        self._threads = concurrent.futures.ThreadPoolExecutor(
            max_workers=concurrency, thread_name_prefix="lockin-io")
        self._http: dict[str, httpx.AsyncClient] = {}
        self._shared: dict[Hashable, Any] = {}
        self.stats = EngineStats()

    @classmethod
    def from_limits(cls, limits: Limits) -> Engine:
        return cls(concurrency=limits.concurrency, timeout_s=limits.timeout_s,
                   per_host_rate=limits.per_host_rate, per_host_burst=limits.per_host_burst,
                   host_rates=limits.host_rates, max_retry_after_s=limits.max_retry_after_s)

    @property
    def pool(self) -> asyncio.Semaphore:
        if self._pool is None:  # created inside the running loop
            self._pool = asyncio.Semaphore(self.concurrency)
        return self._pool

    def shared(self, key: Hashable, factory: Callable[[], T]) -> T:
        """The object kept under `key` for every scan that runs in this engine, made by
        `factory` the first time. A fleet runs many clients' scans in one engine, so what
        is kept here is shared between clients: only caches of public data (DNS answers,
        RDAP bootstrap and answers) belong here, keyed by everything that shapes them;
        never a credential, a session or anything one client's audit file makes private."""
        if key not in self._shared:
            self._shared[key] = factory()
        return self._shared[key]  # type: ignore[no-any-return]

    def _count(self, host: str) -> None:
        self.stats.calls += 1
        self.stats.per_host[host] = self.stats.per_host.get(host, 0) + 1

    async def call(self, host: str, fn: Callable[[], Awaitable[T]], *,
                   timeout_s: float | None = None) -> T:
        """Run one async remote call under the pool, the host's rate limit and a timeout."""
        await self.limiter.acquire(host)
        async with self.pool:
            self._count(host)
            return await asyncio.wait_for(fn(), timeout_s or self.timeout_s)

    async def call_sync(self, host: str, fn: Callable[[], T], *,
                        timeout_s: float | None = None) -> T:
        """Run one blocking SDK call (boto3, azure-mgmt) in the shared thread pool."""
        await self.limiter.acquire(host)
        async with self.pool:
            self._count(host)
            loop = asyncio.get_running_loop()
            return await asyncio.wait_for(loop.run_in_executor(self._threads, fn),
                                          timeout_s or self.timeout_s)

    def _client(self, verify: str | bool) -> httpx.AsyncClient:
        import httpx

        key = str(verify)
        if key not in self._http:
            tls: ssl.SSLContext | bool = (ssl.create_default_context(cafile=verify)
                                          if isinstance(verify, str) else verify)
            # No cookie is kept: the client is shared by every scan in this engine.
            self._http[key] = httpx.AsyncClient(
                verify=tls, follow_redirects=True, cookies=_NoCookies(),
                limits=httpx.Limits(max_connections=self.concurrency,
                                    max_keepalive_connections=self.concurrency),
                headers={"User-Agent": f"lockin-audit/{__version__}"},
            )
        return self._http[key]

    async def http(self, method: str, url: str, *, headers: Mapping[str, str] | None = None,
                   json_body: Any = None, timeout_s: float | None = None, retries: int = 3,
                   verify: str | bool = True, source: str = "http") -> HttpResponse:
        """A read-only HTTP request with rate limiting, Retry-After, backoff on 5xx and a
        timeout. Returns the last response (any status); raises SourceFailure when the
        host cannot be reached or keeps timing out."""
        import httpx

        assert_read_only_http(method, url)
        host = urlsplit(url).netloc.lower()
        client = self._client(verify)
        timeout = timeout_s or self.timeout_s
        attempt = 0
        while True:
            attempt += 1
            await self.limiter.acquire(host)
            started = time.monotonic()
            try:
                async with self.pool:
                    self._count(host)
                    self.stats.http_requests += 1
                    resp = await client.request(method, url, headers=dict(headers or {}),
                                                json=json_body, timeout=timeout)
            except (TimeoutError, httpx.TimeoutException):
                if attempt <= retries:
                    self.stats.retries += 1
                    await asyncio.sleep(_backoff(attempt))
                    continue
                raise SourceFailure(FetchError(source, f"{method} {url}",
                                               f"no answer within {timeout:g} s",
                                               kind="timeout")) from None
            except httpx.HTTPError as exc:
                if attempt <= retries:
                    self.stats.retries += 1
                    await asyncio.sleep(_backoff(attempt))
                    continue
                raise SourceFailure(FetchError(source, f"{method} {url}",
                                               f"cannot connect: {type(exc).__name__}: {exc}",
                                               kind="unavailable")) from None
            result = HttpResponse(str(resp.url), resp.status_code,
                                  {k.lower(): v for k, v in resp.headers.items()}, resp.text,
                                  time.monotonic() - started)
            if resp.status_code == 429 or (resp.status_code == 503
                                           and "retry-after" in result.headers):
                self.stats.throttled += 1
                wait = parse_retry_after(result.headers.get("retry-after"))
                if attempt <= retries and wait <= self.max_retry_after_s:
                    self.stats.retries += 1
                    self.limiter.defer(host, wait)
                    continue
                return result
            if resp.status_code >= 500 and attempt <= retries:
                self.stats.retries += 1
                await asyncio.sleep(_backoff(attempt))
                continue
            return result

    async def aclose(self) -> None:
        for client in self._http.values():
            await client.aclose()
        self._http.clear()
        self._threads.shutdown(wait=False, cancel_futures=True)


class _NoCookies(http.cookiejar.CookieJar):
    """A cookie jar that never stores a cookie (one scan's session must not ride along
    on another's request)."""

    def __init__(self) -> None:
        super().__init__(http.cookiejar.DefaultCookiePolicy(allowed_domains=[]))


def _backoff(attempt: int) -> float:
    return min(8.0, 0.25 * 2 ** (attempt - 1)) * (0.75 + random.random() / 2)


# ---------------------------------------------------------------------------------------
# the scan


class Progress(Protocol):
    def add_targets(self, area: str, count: int) -> None: ...
    def target_done(self, area: str, target: str, ok: bool, detail: str) -> None: ...


class _NoProgress:
    def add_targets(self, area: str, count: int) -> None:
        pass

    def target_done(self, area: str, target: str, ok: bool, detail: str) -> None:
        pass


@dataclass
class ScanOptions:
    areas: tuple[str, ...] = ()
    check_ids: tuple[str, ...] = ()
    use_cache: bool = True
    cache_dir: Path | None = None
    today: dt.date | None = None
    progress: Progress | None = None


class Scanner:
    def __init__(self, config: AuditConfig, checks: Iterable[Check],
                 options: ScanOptions | None = None,
                 sources: Mapping[str, Source] | None = None,
                 engine: Engine | None = None) -> None:
        """`engine`: run in an engine shared with other scans (a fleet); its owner closes
        it. Without one the scan makes its own from `scan.limits` and closes it."""
        import datetime as dt

        from lockin_audit.sources import load_source

        self.config = config
        self.options = options or ScanOptions()
        self.checks = list(checks)
        self.today = self.options.today or dt.date.today()
        self.identity = Identity.from_mappings(
            config.client.model_dump(), [p.model_dump() for p in config.provider])
        self._own_engine = engine is None
        self.engine = engine or Engine.from_limits(config.scan.limits)
        self.progress = self.options.progress or _NoProgress()
        self.started_at = utc_now()
        self.findings: list[Finding] = []
        self.coverage: list[Coverage] = []
        self.facts: dict[str, dict[str, Any]] = {}
        self._pending: dict[tuple[str, str], Target] = {}
        self.sources: dict[str, Source] = dict(sources or {})
        self.unavailable: dict[str, str] = {}
        queue = list(dict.fromkeys(c.meta.source for c in self.checks))
        while queue:
            name = queue.pop()
            if name in self.sources or name in self.unavailable:
                continue
            try:
                self.sources[name] = load_source(name)
            except Exception as exc:  # a missing optional dependency must not stop the scan
                self.unavailable[name] = f"source {name!r} cannot be loaded: {_crash(exc)}"
                continue
            queue.extend(self.sources[name].after)
        for name, reason in self.unavailable.items():
            areas = sorted({c.meta.area for c in self.checks if c.meta.source == name})
            for area in areas or [name]:
                self.coverage.append(Coverage(area, name, False, reason))
        self.checks = [c for c in self.checks if c.meta.source not in self.unavailable]

    # -- running -----------------------------------------------------------------------
    async def run(self) -> ScanResult:
        done = {name: asyncio.Event() for name in self.sources}
        for name in self.unavailable:
            done[name] = asyncio.Event()
            done[name].set()
        try:
            await asyncio.gather(*(self._run_source(name, src, done)
                                   for name, src in self.sources.items()))
        finally:
            for src in self.sources.values():
                try:
                    await src.close()
                except Exception:  # closing must not hide the result
                    pass
            if self._own_engine:
                await self.engine.aclose()
        return self.result()

    async def _run_source(self, name: str, source: Source,
                          done: Mapping[str, asyncio.Event]) -> None:
        try:
            for dep in source.after:
                if dep in done:
                    await done[dep].wait()
            ctx = self._source_context()
            if not source.configured(self.config):
                self.coverage.append(Coverage(source.area, f"{name} (not configured)", False,
                                              NOT_CONFIGURED))
                return
            try:
                targets = await source.targets(ctx)
            except SourceFailure as exc:
                self.coverage.append(Coverage(source.area, name, False, exc.error.describe()))
                return
            except Exception as exc:
                self.coverage.append(Coverage(source.area, name, False,
                                              f"could not list targets: {_crash(exc)}"))
                return
            self.facts.setdefault(name, {})
            for t in targets:
                self._pending[(name, t.id)] = t
            self.progress.add_targets(source.area, len(targets))
            await asyncio.gather(*(self._run_target(name, source, t, ctx) for t in targets))
        finally:
            done[name].set()

    async def _run_target(self, name: str, source: Source, target: Target,
                          ctx: SourceContext) -> None:
        checks = [c for c in self.checks if c.meta.source == name]
        try:
            facts = await source.fetch(target, ctx)
        except SourceFailure as exc:
            self._target_failed(name, source, target, checks, exc.error.describe(), exc.error)
            return
        except TimeoutError:
            self._target_failed(name, source, target, checks,
                                "timed out while fetching", None)
            return
        except Exception as exc:
            self._target_failed(name, source, target, checks, _crash(exc), None)
            return
        self.facts[name][target.id] = facts
        produced = 0
        for c in checks:
            produced += len(self._evaluate(c, target, facts))
        self.coverage.append(Coverage(source.area, target.label, True, None))
        self._pending.pop((name, target.id), None)
        self.progress.target_done(source.area, target.label, True, f"{produced} findings")

    def _evaluate(self, check: Check, target: Target, facts: Any) -> list[Finding]:
        ctx = CheckContext(check.meta, target, self.identity, self.today, self.facts)
        try:
            found = check.run(facts, ctx)
        except Exception as exc:
            found = [ctx.error(target.asset, f"the check failed: {_crash(exc)}")]
        self.findings.extend(found)
        return found

    def _target_failed(self, name: str, source: Source, target: Target, checks: list[Check],
                       reason: str, error: FetchError | None) -> None:
        for c in checks:
            ctx = CheckContext(c.meta, target, self.identity, self.today, self.facts)
            self.findings.append(ctx.error(target.asset, error or reason))
        self.coverage.append(Coverage(source.area, target.label, False, reason))
        self._pending.pop((name, target.id), None)
        self.progress.target_done(source.area, target.label, False, reason)

    def _source_context(self) -> SourceContext:
        return SourceContext(config=self.config, engine=self.engine, facts=self.facts,
                             cache_dir=self.options.cache_dir,
                             use_cache=self.options.use_cache, today=self.today)

    # -- the result --------------------------------------------------------------------
    def result(self, *, interrupted: bool = False) -> ScanResult:
        coverage = list(self.coverage)
        for (name, _), target in list(self._pending.items()):
            coverage.append(Coverage(self.sources[name].area, target.label, False,
                                     "the scan was interrupted before this was assessed"))
        findings = tuple(sort_findings(dedupe_findings(self.findings)))
        return ScanResult(
            started_at=iso(self.started_at),
            finished_at=iso(utc_now()),
            client=self.identity.client.summary(),
            provider=tuple(p.summary() for p in self.identity.providers),
            readiness=None,  # judged by the report layer (report.scoring.scored)
            findings=findings,
            coverage=tuple(coverage),
            unidentified=self.identity.unidentified.ranked(),
            checks=tuple(c.meta.info() for c in self.checks),
            tool_version=__version__,
            interrupted=interrupted,
            audit_file=self.config.source_path,
        )


def _crash(exc: BaseException) -> str:
    frame = traceback.extract_tb(exc.__traceback__)[-1] if exc.__traceback__ else None
    where = f" (at {frame.filename.rsplit('/', 1)[-1]}:{frame.lineno})" if frame else ""
    return f"{type(exc).__name__}: {exc}{where}"


def fail_on_reached(result: ScanResult, threshold: Severity) -> bool:
    """True when a provider-held (fail) finding is at or above the threshold severity
    (accepted findings do not count)."""
    return any(f.status is Status.FAIL and f.severity.at_least(threshold)
               and f.accepted is None for f in result.findings)


__all__ = [
    "Engine", "HostRateLimiter", "HttpResponse", "ScanOptions", "Scanner", "WriteRefused",
    "assert_read_only_http", "fail_on_reached", "parse_retry_after",
]
