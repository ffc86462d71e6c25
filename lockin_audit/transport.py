"""The transport: one bounded pool, per-host rate limits, budgets and read-only HTTP.

Below the sources (they receive an `Engine`), above only the guards and the facts floor.
Every remote call of every source goes through `Engine`, which
- bounds concurrency with one semaphore (and one thread pool for blocking SDKs),
- rate-limits per host with a token bucket, pausing a host when it answers Retry-After,
- puts a timeout on every call, cut to the target's budget (`Budget`, `CURRENT_BUDGET`),
- refuses any HTTP method that could change something (read-only by construction), on
  every redirect hop, and never follows a redirect of a request that is not a GET/HEAD,
- sends a request that carries a credential only to the origin it was meant for (a
  redirect or link elsewhere is refused, never followed),
- fetches a URL that came from an answer (a link, a redirect, a bootstrap entry) only over
  https and only to a public address, checked after resolution and connected to the very
  address checked (`UrlRule`; SECURITY.md), and
- reads at most a fixed number of decoded bytes of each answer (`ANSWER_LIMITS`), streamed.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextvars
import email.utils
import http.cookiejar
import random
import re
import socket
import ssl
import time
import zlib
from collections.abc import Awaitable, Callable, Hashable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import urljoin, urlsplit

from lockin_audit import __version__
from lockin_audit.facts import FetchError, SourceFailure
from lockin_audit.guards import AnswerTooLarge
from lockin_audit.guards.http import assert_read_only_http
from lockin_audit.guards.net import AllowList, Origin, address_problem, origin_of

if TYPE_CHECKING:
    import httpx

    from lockin_audit.config import Limits

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

    def _take(self, host: str) -> bool:
        """Take a token now if one is there and the host is not paused (no waiting)."""
        now = time.monotonic()
        if self._paused_until.get(host, 0.0) > now:
            return False
        rate = self.rate_for(host)
        burst = float(self.burst)
        tokens, last = self._state.get(host, (burst, now))
        tokens = min(burst, tokens + (now - last) * rate)
        if tokens >= 1.0:
            self._state[host] = (tokens - 1.0, now)
            return True
        return False

    async def acquire(self, host: str) -> None:
        lock = self._locks.get(host)
        if lock is None:
            lock = self._locks[host] = asyncio.Lock()
        if not lock.locked() and self._take(host):
            return  # the common case: nobody waits and a token is there (no lock round trip)
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
    url: str  # where the answer came from (after any redirects)
    status: int
    headers: Mapping[str, str]
    text: str
    elapsed_s: float
    redirects: tuple[str, ...] = ()  # the URLs that redirected, in order

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


# The most decoded bytes one answer may have, per source; `scan.limits.max_answer_bytes`
# overrides them. RDAP objects are a few kilobytes (IANA's bootstrap files tens of them);
# a Graph or Google page of a few hundred objects is a few megabytes.
MIB = 1 << 20
ANSWER_LIMITS: dict[str, int] = {
    "rdap": 4 * MIB, "network": 4 * MIB, "delegation": 4 * MIB,
    "graph": 32 * MIB, "azure": 32 * MIB, "gws": 32 * MIB, "gcp": 32 * MIB,
    "http": 8 * MIB,  # any other caller
}
MAX_REDIRECTS = 5
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
# Request headers that carry a credential: such a request goes to its own origin only.
CREDENTIAL_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie",
                                "x-api-key", "x-goog-api-key", "ocp-apim-subscription-key"})


def answer_limit(source: str, overrides: Mapping[str, int] | None = None) -> int:
    """The byte cap of one answer of `source` (overrides first, then ANSWER_LIMITS)."""
    if overrides and source in overrides:
        return int(overrides[source])
    return ANSWER_LIMITS.get(source, ANSWER_LIMITS["http"])


@dataclass(frozen=True)
class UrlRule:
    """Where one request may go (SECURITY.md).

    `trusted`: origins configured in the audit file (or by the caller): asked as given,
    plain http and private addresses included. Any other URL, which can only have come
    from an answer (a link, a redirect, a bootstrap entry), is fetched only over https to
    a public address, checked after resolution and connected to that very address, unless
    `allow` (scan.allow_hosts) lists it. A request that carries a credential goes to a
    trusted origin only."""

    trusted: frozenset[Origin] = frozenset()
    allow: AllowList = field(default_factory=AllowList)

    @classmethod
    def of(cls, urls: Iterator[str] | list[str] | tuple[str, ...],
           allow: AllowList | None = None) -> UrlRule:
        found = {origin_of(u) for u in urls if u}
        return cls(frozenset(o for o in found if o is not None), allow or AllowList())


@dataclass(frozen=True)
class _Route:
    url: str  # what is requested (the host replaced by the checked address when pinned)
    host: str  # the rate limiter's key: the URL's host[:port]
    headers: Mapping[str, str]  # extra headers (Host when pinned)
    sni: str | None  # the TLS server name when pinned
    pinned: str | None  # the name whose checked address is connected to


class _Decoder:
    """Decodes gzip/deflate (or identity) incrementally, never producing more than
    `limit` bytes: a small compressed body cannot inflate past the cap in memory."""

    def __init__(self, encoding: str, limit: int) -> None:
        enc = encoding.strip().lower()
        self.limit = limit
        self.out = bytearray()
        self.raw_deflate = False
        if enc in ("", "identity"):
            self.z: Any = None
        elif enc in ("gzip", "x-gzip"):
            self.z = zlib.decompressobj(16 + zlib.MAX_WBITS)
        elif enc == "deflate":
            self.z = zlib.decompressobj()
            self.raw_deflate = True  # may still turn out to be raw deflate (no zlib header)
        else:
            raise ValueError(f"an unsupported content encoding ({encoding[:40]!r})")

    def _add(self, chunk: bytes) -> None:
        self.out += chunk
        if len(self.out) > self.limit:
            raise AnswerTooLarge

    def feed(self, data: bytes) -> None:
        if self.z is None:
            self._add(data)
            return
        buf = data
        while buf:
            try:
                chunk = self.z.decompress(buf, self.limit - len(self.out) + 1)
            except zlib.error:
                if self.raw_deflate and not self.out:
                    self.z = zlib.decompressobj(-zlib.MAX_WBITS)
                    self.raw_deflate = False
                    continue
                raise ValueError("the compressed body is corrupt") from None
            self.raw_deflate = False
            self._add(chunk)
            buf = self.z.unconsumed_tail
            if not chunk and buf:  # no progress although input remains
                raise ValueError("the compressed body is corrupt")

    def finish(self) -> bytes:
        if self.z is not None:
            try:
                self._add(self.z.flush())
            except zlib.error:
                raise ValueError("the compressed body is corrupt") from None
        return bytes(self.out)


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
                 max_retry_after_s: float = 60.0,
                 answer_limits: Mapping[str, int] | None = None) -> None:
        self.concurrency = concurrency
        self.answer_limits = dict(answer_limits or {})
        self.timeout_s = timeout_s
        self.max_retry_after_s = max_retry_after_s
        self.limiter = HostRateLimiter(per_host_rate, per_host_burst, host_rates,
                                       max_retry_after_s)
        self._pool: asyncio.Semaphore | None = None
        self._threads = concurrent.futures.ThreadPoolExecutor(
            max_workers=concurrency, thread_name_prefix="lockin-io")
        self._http: dict[tuple[str, str], httpx.AsyncClient] = {}
        self._shared: dict[Hashable, Any] = {}
        self.stats = EngineStats()

    @classmethod
    def from_limits(cls, limits: Limits) -> Engine:
        return cls(concurrency=limits.concurrency, timeout_s=limits.timeout_s,
                   per_host_rate=limits.per_host_rate, per_host_burst=limits.per_host_burst,
                   host_rates=limits.host_rates, max_retry_after_s=limits.max_retry_after_s,
                   answer_limits=limits.max_answer_bytes)

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
                   timeout_s: float | None = None,
                   slots: asyncio.Semaphore | None = None) -> T:
        """Run one async remote call (one request: not a chain of pages or retries) under
        the pool, the host's rate limit and its own timeout, cut to the target's budget.
        A timeout cancels the call: nothing is left running. `slots` replaces the shared
        pool for a source whose remote end has an in-flight budget of its own (each DNS
        resolver: its queries neither wait for nor hold the pool's HTTP slots)."""
        wanted = timeout_s or self.timeout_s
        _capped(wanted)  # fail fast when the budget is gone
        await self.limiter.acquire(host)
        async with slots if slots is not None else self.pool:
            self._count(host)
            # asyncio.timeout, not wait_for: no extra task per call (Python 3.11)
            async with asyncio.timeout(_capped(wanted)):
                return await fn()

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

    def _client(self, verify: str | bool, pinned: str | None = None) -> httpx.AsyncClient:
        """The shared client for `verify`; a request connected to a checked address of
        `pinned` (a host name) gets a client of that name's own, so that a connection is
        never reused for another name whose certificate was not checked on it."""
        import httpx

        key = (str(verify), pinned or "")
        if key not in self._http:
            tls: ssl.SSLContext | bool = (ssl.create_default_context(cafile=verify)
                                          if isinstance(verify, str) else verify)
            # No cookie is kept: the client is shared by every scan in this engine.
            # Redirects are followed here, hop by hop, under the rules (never by httpx).
            self._http[key] = httpx.AsyncClient(
                verify=tls, follow_redirects=False, cookies=_NoCookies(),
                limits=httpx.Limits(max_connections=self.concurrency,
                                    max_keepalive_connections=self.concurrency),
                headers={"User-Agent": f"lockin-audit/{__version__}",
                         "Accept-Encoding": "gzip, deflate"},
            )
        return self._http[key]

    async def _resolve(self, host: str, port: int) -> list[str]:
        """Every address `host` resolves to (the system resolver)."""
        try:
            infos = await asyncio.get_running_loop().getaddrinfo(
                host, port, type=socket.SOCK_STREAM)
        except OSError:
            return []
        return list(dict.fromkeys(str(info[4][0]) for info in infos))

    async def _route(self, method: str, url: str, rule: UrlRule, credentials: bool,
                     source: str) -> _Route:
        """Where this hop may go, or SourceFailure naming the URL and why not."""

        def refuse(reason: str, kind: str = "malformed") -> SourceFailure:
            return SourceFailure(FetchError(source, f"{method} {url}", f"refused: {reason}",
                                            kind=kind))

        found = origin_of(url)
        if found is None:
            raise refuse("not an http(s) URL")
        scheme, host, port = found
        netloc = urlsplit(url).netloc.rsplit("@", 1)[-1].lower()
        if "@" in urlsplit(url).netloc:
            raise refuse("a URL with a user name or password in it is not followed")
        if found in rule.trusted:
            return _Route(url, netloc, {}, None, None)
        if credentials:
            raise refuse("the request carries our credentials, which go only to the "
                         "configured endpoint's host; this link or redirect points at "
                         f"another host ({host})")
        if rule.allow.allows_url(url):
            return _Route(url, netloc, {}, None, None)
        if scheme != "https":
            raise refuse("a link or redirect taken from an answer is followed over https "
                         "only (scan.allow_hosts lists exceptions)")
        literal = address_problem(host) != "not an IP address"
        addresses = [host] if literal else await self._resolve(host, port)
        if not addresses:
            raise refuse(f"{host} does not resolve", kind="unavailable")
        for address in addresses:
            problem = address_problem(address)
            if problem and not rule.allow.allows_address(address):
                where = address if literal else f"{host} resolves to {address}"
                raise refuse(f"{where}, {problem}; links and redirects taken from answers "
                             "are followed to public addresses only (scan.allow_hosts "
                             "lists exceptions)")
        if literal:
            return _Route(url, netloc, {}, None, None)
        # connect to the address just checked: a second resolution (DNS rebinding)
        # cannot swap in another one
        address = addresses[0]
        shown = f"[{address}]" if ":" in address else address
        parts = urlsplit(url)
        pinned = parts._replace(netloc=f"{shown}:{port}").geturl()
        return _Route(pinned, netloc, {"Host": netloc}, host, host)

    async def http(self, method: str, url: str, *, headers: Mapping[str, str] | None = None,
                   json_body: Any = None, timeout_s: float | None = None, retries: int = 3,
                   verify: str | bool = True, source: str = "http",
                   rule: UrlRule | None = None, max_bytes: int | None = None) -> HttpResponse:
        """A read-only HTTP request with rate limiting, Retry-After, backoff on 5xx and a
        timeout. Returns the last response (any status but a redirect); raises
        SourceFailure when the host cannot be reached, keeps timing out, answers with more
        than `max_bytes` decoded bytes (default: `answer_limit(source)`), or a hop is
        refused by `rule` (default: only `url`'s own origin is trusted, so a redirect
        elsewhere is checked as a link from an answer).

        Redirects are followed for GET and HEAD only, at most MAX_REDIRECTS hops, each hop
        checked again (read-only rule, `rule`, credentials)."""
        method = method.upper()
        assert_read_only_http(method, url)
        if rule is None:
            first = origin_of(url)
            rule = UrlRule(frozenset({first} if first else set()))
        limit = max_bytes or answer_limit(source, self.answer_limits)
        credentials = any(k.lower() in CREDENTIAL_HEADERS for k in (headers or {}))
        current = url
        hops: list[str] = []
        while True:
            route = await self._route(method, current, rule, credentials, source)
            result = await self._http_hop(method, current, route, headers=headers,
                                          json_body=json_body, timeout_s=timeout_s,
                                          retries=retries, verify=verify, source=source,
                                          limit=limit)
            location = result.headers.get("location")
            if result.status not in REDIRECT_STATUSES or not location:
                return HttpResponse(current, result.status, result.headers, result.text,
                                    result.elapsed_s, tuple(hops))
            target = urljoin(current, location.strip())
            request = f"{method} {url}"
            if method not in ("GET", "HEAD"):
                raise SourceFailure(FetchError(
                    source, request, f"refused: the {method} was answered with a redirect "
                    f"(HTTP {result.status}) to {target}; a request that is not a GET is "
                    "never redirected", kind="malformed"))
            hops.append(current)
            if len(hops) > MAX_REDIRECTS:
                raise SourceFailure(FetchError(source, request, "more than "
                                               f"{MAX_REDIRECTS} redirects", kind="malformed"))
            assert_read_only_http(method, target)
            try:
                await self._route(method, target, rule, credentials, source)
            except SourceFailure as exc:
                raise SourceFailure(FetchError(
                    source, request, f"the redirect (HTTP {result.status}) to {target} was "
                    f"{exc.error.reason}", kind=exc.error.kind)) from None
            current = target

    async def _http_hop(self, method: str, url: str, route: _Route, *,
                        headers: Mapping[str, str] | None, json_body: Any,
                        timeout_s: float | None, retries: int, verify: str | bool,
                        source: str, limit: int) -> HttpResponse:
        import httpx

        host = route.host
        client = self._client(verify, route.pinned)
        timeout = timeout_s or self.timeout_s
        budget = CURRENT_BUDGET.get()
        send_headers = {**dict(headers or {}), **route.headers}
        extensions = {"sni_hostname": route.sni} if route.sni else None

        def out_of_budget() -> SourceFailure:
            assert budget is not None
            return SourceFailure(FetchError(
                source, f"{method} {url}", f"the target's time budget of {budget.seconds:g} s "
                "ran out (scan.limits.target_budget_s)", kind="timeout"))

        def fits(wait: float) -> bool:  # can we wait this long and still ask again?
            return budget is None or wait < budget.remaining()

        async def exchange(this_timeout: float) -> tuple[httpx.Response, bytes]:
            request = client.build_request(method, route.url, headers=send_headers,
                                           json=json_body, timeout=this_timeout,
                                           extensions=extensions)
            resp = await client.send(request, stream=True)
            try:
                length = resp.headers.get("content-length", "")
                if length.isdigit() and int(length) > limit and \
                        not resp.headers.get("content-encoding"):
                    raise AnswerTooLarge
                decoder = _Decoder(resp.headers.get("content-encoding", ""), limit)
                async for chunk in resp.aiter_raw():
                    decoder.feed(chunk)
                return resp, decoder.finish()
            finally:
                await resp.aclose()

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
                    resp, body = await asyncio.wait_for(exchange(this_timeout),
                                                        _capped(this_timeout))
            except BudgetExhausted:
                raise out_of_budget() from None
            except AnswerTooLarge:
                raise SourceFailure(FetchError(
                    source, f"{method} {url}", f"the answer is larger than {limit} bytes "
                    f"(scan.limits.max_answer_bytes.{source}); not read further",
                    kind="malformed")) from None
            except ValueError as exc:  # an unsupported or corrupt encoding
                raise SourceFailure(FetchError(source, f"{method} {url}",
                                               f"unreadable answer: {exc}",
                                               kind="malformed")) from None
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
            try:
                text = body.decode(resp.charset_encoding or "utf-8", errors="replace")
            except LookupError:  # a charset Python does not know
                text = body.decode("utf-8", errors="replace")
            result = HttpResponse(url, resp.status_code,
                                  {k.lower(): v for k, v in resp.headers.items()}, text,
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
