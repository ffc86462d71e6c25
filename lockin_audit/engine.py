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
import contextvars
import email.utils
import http.cookiejar
import random
import re
import ssl
import time
import traceback
from collections.abc import Awaitable, Callable, Hashable, Iterable, Iterator, Mapping
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
from lockin_audit.sources.interface import (
    FactStore,
    FetchError,
    Source,
    SourceContext,
    SourceFailure,
    Target,
)

if TYPE_CHECKING:
    import datetime as dt
    from pathlib import Path

    import httpx

    from lockin_audit.config import AuditConfig, Limits

T = TypeVar("T")
P = TypeVar("P")

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


class BudgetExhausted(TimeoutError):
    """The target's time budget (`scan.limits.target_budget_s`) ran out before a request
    could be made or finished."""


@dataclass(frozen=True)
class Budget:
    """How long one target may take in all (its paginated reads and retries included).
    The scanner sets one per target (`CURRENT_BUDGET`); every engine call and request of
    that target gets `min(its own timeout, what is left)`."""

    seconds: float
    deadline: float  # time.monotonic() value

    @classmethod
    def start(cls, seconds: float) -> Budget:
        return cls(seconds, time.monotonic() + seconds)

    def remaining(self) -> float:
        return self.deadline - time.monotonic()

    def cap(self, timeout: float) -> float:
        """`timeout`, cut to what is left; BudgetExhausted when nothing is."""
        left = self.remaining()
        if left <= 0:
            raise BudgetExhausted(f"the target's time budget of {self.seconds:g} s ran out "
                                  "(scan.limits.target_budget_s)")
        return min(timeout, left)


# The budget of the target whose fetch is running (each target runs in its own task, so
# each sees its own); None outside a scan (direct engine use): per-call timeouts only.
CURRENT_BUDGET: contextvars.ContextVar[Budget | None] = contextvars.ContextVar(
    "lockin_audit_budget", default=None)


def _capped(timeout: float) -> float:
    budget = CURRENT_BUDGET.get()
    return budget.cap(timeout) if budget is not None else timeout


@dataclass
class EngineStats:
    calls: int = 0
    http_requests: int = 0
    retries: int = 0
    throttled: int = 0
    per_host: dict[str, int] = field(default_factory=dict)
    # blocking calls still running in their thread after the engine stopped waiting (their
    # pool slot stays taken until the SDK's own timeouts end them)
    overran: int = 0
    pages: int = 0


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
        """Run one async remote call (one request: not a chain of pages or retries) under
        the pool, the host's rate limit and its own timeout, cut to the target's budget.
        A timeout cancels the call: nothing is left running."""
        _capped(timeout_s or self.timeout_s)  # fail fast when the budget is gone
        await self.limiter.acquire(host)
        async with self.pool:
            self._count(host)
            return await asyncio.wait_for(fn(), _capped(timeout_s or self.timeout_s))

    async def call_sync(self, host: str, fn: Callable[[], T], *,
                        timeout_s: float | None = None) -> T:
        """Run one blocking SDK request (one page: boto3, azure-mgmt) in the shared thread
        pool, with its own timeout cut to the target's budget.

        A thread cannot be stopped: give the SDK its own connect/read timeouts and retry
        limits that fit within `timeout_s` (the caller's per-request budget), so that the
        SDK ends the request itself. Should the engine still stop waiting first, the call's
        pool slot stays taken until its thread ends, so timed-out calls never pile up
        behind the pool's back (`stats.overran` counts them)."""
        _capped(timeout_s or self.timeout_s)
        await self.limiter.acquire(host)
        pool = self.pool
        await pool.acquire()
        future: asyncio.Future[T] | None = None
        try:
            self._count(host)
            loop = asyncio.get_running_loop()
            future = loop.run_in_executor(self._threads, fn)
            return await asyncio.wait_for(asyncio.shield(future),
                                          _capped(timeout_s or self.timeout_s))
        finally:
            if future is not None and not future.done():
                self.stats.overran += 1
                future.add_done_callback(lambda _f: pool.release())
            else:
                pool.release()

    async def pages_sync(self, host: str, start: Callable[[], Iterator[P]], *,
                         timeout_s: float | None = None,
                         max_pages: int = 100_000) -> list[P]:
        """Read a paginated SDK listing one page per engine call: `start()` returns an
        iterator whose `next()` fetches one page (a botocore PageIterator, an azure-core
        `ItemPaged.by_page()`). Each page has its own timeout (`timeout_s`) and rate-limit
        token; all of them together run within the target's budget."""
        pages_iter = await self.call_sync(host, lambda: iter(start()), timeout_s=timeout_s)
        done = object()
        pages: list[P] = []
        while len(pages) < max_pages:
            page = await self.call_sync(host, lambda: next(pages_iter, done),
                                        timeout_s=timeout_s)
            if page is done:
                return pages
            self.stats.pages += 1
            pages.append(page)  # type: ignore[arg-type]
        return pages

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
        budget = CURRENT_BUDGET.get()

        def out_of_budget() -> SourceFailure:
            assert budget is not None
            return SourceFailure(FetchError(
                source, f"{method} {url}", f"the target's time budget of {budget.seconds:g} s "
                "ran out (scan.limits.target_budget_s)", kind="timeout"))

        def fits(wait: float) -> bool:  # can we wait this long and still ask again?
            return budget is None or wait < budget.remaining()

        attempt = 0
        while True:
            attempt += 1
            try:
                this_timeout = _capped(timeout)
            except BudgetExhausted:
                raise out_of_budget() from None
            await self.limiter.acquire(host)
            started = time.monotonic()
            try:
                async with self.pool:
                    self._count(host)
                    self.stats.http_requests += 1
                    # httpx's timeout is per phase (connect, each read); the whole request
                    # (a slow trickle included) is bounded here, and cancelled cleanly
                    resp = await asyncio.wait_for(
                        client.request(method, url, headers=dict(headers or {}),
                                       json=json_body, timeout=this_timeout),
                        _capped(this_timeout))
            except BudgetExhausted:
                raise out_of_budget() from None
            except (TimeoutError, httpx.TimeoutException):
                pause = _backoff(attempt)
                if attempt <= retries and fits(pause):
                    self.stats.retries += 1
                    await asyncio.sleep(pause)
                    continue
                if budget is not None and budget.remaining() <= 0:
                    raise out_of_budget() from None
                raise SourceFailure(FetchError(source, f"{method} {url}",
                                               f"no answer within {this_timeout:g} s",
                                               kind="timeout")) from None
            except httpx.HTTPError as exc:
                pause = _backoff(attempt)
                if attempt <= retries and fits(pause):
                    self.stats.retries += 1
                    await asyncio.sleep(pause)
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
                if attempt <= retries and wait <= self.max_retry_after_s and fits(wait):
                    self.stats.retries += 1
                    self.limiter.defer(host, wait)
                    continue
                return result
            pause = _backoff(attempt)
            if resp.status_code >= 500 and attempt <= retries and fits(pause):
                self.stats.retries += 1
                await asyncio.sleep(pause)
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

# How long past its budget a target's fetch is awaited before it is cancelled.
BUDGET_GRACE_S = 30.0


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
        # per source and target: the facts or the FetchError (what dependencies read)
        self.facts = FactStore()
        self._pending: dict[tuple[str, str], Target] = {}
        self.sources: dict[str, Source] = dict(sources or {})
        self.unavailable: dict[str, str] = {}
        queue = list(dict.fromkeys([*(c.meta.source for c in self.checks),
                                    *(n for c in self.checks for n in c.meta.needs)]))
        while queue:
            name = queue.pop()
            if name in self.sources or name in self.unavailable:
                continue
            try:
                self.sources[name] = load_source(name)
            except Exception as exc:  # a missing optional dependency must not stop the scan
                self.unavailable[name] = f"source {name!r} cannot be loaded: {_crash(exc)}"
                continue
            queue.extend(self.sources[name].depends_on())
        for name, reason in self.unavailable.items():
            self.facts.fail_source(name, FetchError(name, f"source {name}", reason,
                                                    kind="unsupported"))
            areas = sorted({c.meta.area for c in self.checks if c.meta.source == name})
            for area in areas or [name]:
                self.coverage.append(Coverage(area, name, False, reason))
        self.checks = [c for c in self.checks if c.meta.source not in self.unavailable]
        # what each source waits for: its own dependencies and those of its checks
        self.waits: dict[str, tuple[str, ...]] = {
            name: tuple(dict.fromkeys([
                *src.depends_on(),
                *(n for c in self.checks if c.meta.source == name for n in c.meta.needs
                  if n != name)]))
            for name, src in self.sources.items()}
        _refuse_cycles(self.waits)

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
            for dep in self.waits.get(name, source.after):
                if dep in done:
                    await done[dep].wait()
            ctx = self._source_context(source)
            if not source.configured(self.config):
                self.facts.fail_source(name, FetchError(name, f"source {name}",
                                                        NOT_CONFIGURED, kind="not_configured"))
                self.coverage.append(Coverage(source.area, f"{name} (not configured)", False,
                                              NOT_CONFIGURED))
                return
            try:
                targets = await source.targets(ctx)
            except SourceFailure as exc:
                self.facts.fail_source(name, exc.error)
                self.coverage.append(Coverage(source.area, name, False, exc.error.describe()))
                return
            except Exception as exc:
                reason = f"could not list targets: {_crash(exc)}"
                self.facts.fail_source(name, FetchError(name, f"{name} targets", reason))
                self.coverage.append(Coverage(source.area, name, False, reason))
                return
            self.facts.started(name)
            for t in targets:
                self._pending[(name, t.id)] = t
            self.progress.add_targets(source.area, len(targets))
            await asyncio.gather(*(self._run_target(name, source, t, ctx) for t in targets))
        finally:
            done[name].set()

    async def _run_target(self, name: str, source: Source, target: Target,
                          ctx: SourceContext) -> None:
        checks = [c for c in self.checks if c.meta.source == name]
        budget_s = self.config.scan.limits.target_budget_s
        CURRENT_BUDGET.set(Budget.start(budget_s))  # this task's (this target's) budget
        try:
            # the engine bounds every request by the budget; this bounds what a source
            # might do outside the engine (a grace period lets in-flight requests end)
            facts = await asyncio.wait_for(source.fetch(target, ctx),
                                           budget_s + BUDGET_GRACE_S)
        except SourceFailure as exc:
            self._target_failed(name, source, target, checks, exc.error.describe(), exc.error)
            return
        except BudgetExhausted as exc:
            self._target_failed(name, source, target, checks, str(exc),
                                FetchError(name, target.label, str(exc), kind="timeout"))
            return
        except TimeoutError:
            reason = f"no answer in time while fetching (target budget {budget_s:g} s)"
            self._target_failed(name, source, target, checks, reason,
                                FetchError(name, target.label, reason, kind="timeout"))
            return
        except Exception as exc:
            self._target_failed(name, source, target, checks, _crash(exc), None)
            return
        self.facts.put(name, target.id, facts)
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
        self.facts.fail(name, target.id,
                        error or FetchError(name, target.label, reason, kind="error"))
        for c in checks:
            ctx = CheckContext(c.meta, target, self.identity, self.today, self.facts)
            self.findings.append(ctx.error(target.asset, error or reason))
        self.coverage.append(Coverage(source.area, target.label, False, reason))
        self._pending.pop((name, target.id), None)
        self.progress.target_done(source.area, target.label, False, reason)

    def _source_context(self, source: Source | None = None) -> SourceContext:
        return SourceContext(config=self.config, engine=self.engine, facts=self.facts,
                             cache_dir=self.options.cache_dir,
                             use_cache=self.options.use_cache, today=self.today,
                             declared=(frozenset(source.depends_on()) if source is not None
                                       else None),
                             reader=f"source {source.name}" if source is not None
                             else "a source")

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


def _refuse_cycles(waits: Mapping[str, Iterable[str]]) -> None:
    """Sources that wait for each other would never start: a programming error."""
    state: dict[str, int] = {}

    def visit(node: str, path: tuple[str, ...]) -> None:
        if state.get(node) == 2:
            return
        if state.get(node) == 1:
            raise ValueError("sources depend on each other in a cycle: "
                             + " -> ".join((*path, node)))
        state[node] = 1
        for dep in waits.get(node, ()):
            visit(dep, (*path, node))
        state[node] = 2

    for name in waits:
        visit(name, ())


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
    "CURRENT_BUDGET",
    "Budget",
    "BudgetExhausted",
    "Engine",
    "HostRateLimiter",
    "HttpResponse",
    "ScanOptions",
    "Scanner",
    "WriteRefused",
    "assert_read_only_http",
    "fail_on_reached",
    "parse_retry_after",
]
