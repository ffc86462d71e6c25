"""Google REST APIs for the gws and gcp sources: credentials, the read-only guard, paging.

Why plain REST through the engine and not google-api-python-client: the client library
is a 17 MB wheel (114 MB installed, its bundled discovery documents) on top of httplib2,
its own transport that would bypass the engine's pool, per-host rate limits, Retry-After
handling and timeouts. google-auth (about 1 MB) is used only for what it is for:
Application Default Credentials and the OAuth token exchange (a service account's JWT
bearer grant, with a `subject` for domain-wide delegation). It is imported lazily, so
`lockin-audit --help` never loads it.

Read-only by construction: every request names its API method (e.g.
`cloudresourcemanager.projects.getIamPolicy`); only the methods in `READ_METHODS`, each
with its documented HTTP verb, can be sent. Anything else raises `WriteRefused` before a
request is built. Each method asks for its own narrowest OAuth scope, so a scope missing
from the domain-wide delegation fails only the facts that need it, with the scope named.
The bearer token lives only in request headers: never in facts, evidence, errors or logs.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import urlencode, urlsplit

from lockin_audit.facts import Fetched, FetchError, ReadError, SourceFailure
from lockin_audit.guards import AnswerTooLarge
from lockin_audit.guards.google import (  # re-exported for the sources
    BILLING_READ,
    CLOUD,
    CLOUD_READ,
    CUSTOMER,
    DOMAINS,
    READ_METHODS,
    ROLES,
    TOKENS,
    USERS,
    assert_google_read,
    scope_url,
)
from lockin_audit.guards.requests_session import harden_session
from lockin_audit.model import iso, utc_now
from lockin_audit.sources.interface import Source
from lockin_audit.transport import answer_limit

if TYPE_CHECKING:
    from lockin_audit.sources.interface import SourceContext, Target

T = TypeVar("T")


DEFAULT_ENDPOINTS: dict[str, str] = {
    "admin": "https://admin.googleapis.com",
    "cloudresourcemanager": "https://cloudresourcemanager.googleapis.com",
    "cloudbilling": "https://cloudbilling.googleapis.com",
    "essentialcontacts": "https://essentialcontacts.googleapis.com",
}
MAX_PAGES = 500
# Fields an answer always carries (per each method's reference page): an answer without
# it is not what the method returns (a proxy's page, a truncated body), not an empty
# result. Directory API resources always carry `kind`; IAM policies their `etag`.
ALWAYS_PRESENT: tuple[tuple[str, str], ...] = (
    (r"admin\..*", "kind"),
    (r".*\.getIamPolicy", "etag"),
    (r"cloudbilling\.(projects\.getBillingInfo|billingAccounts\.get)", "name"),
    (r"cloudresourcemanager\.(projects|folders)\.get", "name"),
)


class GoogleApiError(ReadError):
    """A Google API read that failed (its FetchError says why)."""


def now() -> str:
    return iso(utc_now())


# ---------------------------------------------------------------------------------------
# credentials


class GoogleCredentials:
    """Application Default Credentials, one token per scope, refreshed before expiry.

    With a `subject` the credentials must be a service account (domain-wide delegation);
    each scope is then asked for on its own, so the token endpoint's `unauthorized_client`
    names exactly the scope the Admin console does not grant."""

    def __init__(self, source: str, subject: str | None, ca_bundle: str | None) -> None:
        self.source = source
        self.subject = subject
        self.ca_bundle = ca_bundle
        self._base: Any = None
        self._scoped: dict[str, Any] = {}
        self._locks: dict[str, asyncio.Lock] = {}
        self._session: Any = None

    def _load(self) -> Any:
        import google.auth
        import google.auth.exceptions

        if self._base is None:
            try:
                self._base, _ = google.auth.default()
            except google.auth.exceptions.DefaultCredentialsError as exc:
                raise SourceFailure(FetchError(
                    self.source, "Application Default Credentials",
                    "no Google credentials found: set GOOGLE_APPLICATION_CREDENTIALS to a "
                    "service account key file or run 'gcloud auth application-default "
                    f"login' ({str(exc).splitlines()[0][:200]})", kind="denied")) from None
            if self.subject and not hasattr(self._base, "with_subject"):
                raise SourceFailure(FetchError(
                    self.source, "Application Default Credentials",
                    f"the credentials ({type(self._base).__name__}) cannot act as "
                    f"{self.subject}: domain-wide delegation needs a service account key "
                    "(GOOGLE_APPLICATION_CREDENTIALS)", kind="denied"))
        return self._base

    def _for_scope(self, scope: str) -> Any:
        if scope not in self._scoped:
            creds = self._load()
            if hasattr(creds, "with_scopes"):
                creds = creds.with_scopes([scope_url(scope)])
            if self.subject:
                creds = creds.with_subject(self.subject)
            self._scoped[scope] = creds
        return self._scoped[scope]

    def _request(self, timeout_s: float) -> Any:
        import google.auth.transport.requests
        import requests

        if self._session is None:
            # no redirect followed by requests itself (a 307 would re-send the signed
            # assertion elsewhere), and the token answer read through a byte cap
            self._session = harden_session(requests.Session(), answer_limit(self.source),
                                           "Google token endpoint", no_redirects=True)
            self._session.verify = self.ca_bundle or True
        base = google.auth.transport.requests.Request(self._session)

        def call(url: str, method: str = "GET", body: Any = None, headers: Any = None,
                 timeout: float | None = None, **kwargs: Any) -> Any:
            # Per request: REQUESTS_CA_BUNDLE in the environment would override the
            # session's own setting.
            kwargs.setdefault("verify", self.ca_bundle or True)
            return base(url, method=method, body=body, headers=headers,
                        timeout=min(timeout or timeout_s, timeout_s), **kwargs)

        return call

    async def token(self, ctx: SourceContext, scope: str) -> str:
        lock = self._locks.setdefault(scope, asyncio.Lock())
        async with lock:
            creds: Any = self._scoped.get(scope)
            if creds is None:  # the first time reads the key file
                creds = await ctx.engine.call_sync("oauth2.googleapis.com",
                                                   lambda: self._for_scope(scope))
            expiry = getattr(creds, "expiry", None)
            fresh = creds.token and (expiry is None or _seconds_left(expiry) > 300)
            if not fresh:
                await self._refresh(ctx, creds, scope)
            return str(creds.token)

    async def _refresh(self, ctx: SourceContext, creds: Any, scope: str) -> None:
        import google.auth.exceptions

        request = self._request(ctx.engine.timeout_s)
        what = f"token for {scope_url(scope)}"
        # google-auth retries a throttled or failing token endpoint itself (3 attempts,
        # about 1 s then 2 s apart), each attempt within the engine's request timeout.
        budget = 3 * ctx.engine.timeout_s + 5
        try:
            await ctx.engine.call_sync("oauth2.googleapis.com", lambda: creds.refresh(request),
                                       timeout_s=budget)
        except google.auth.exceptions.RefreshError as exc:
            raise GoogleApiError(_refresh_error(self.source, what, scope, exc,
                                                self.subject)) from None
        except google.auth.exceptions.TransportError as exc:
            raise SourceFailure(FetchError(self.source, what, "cannot reach the token "
                                           f"endpoint: {str(exc)[:200]}",
                                           kind="unavailable")) from None
        except TimeoutError:
            raise SourceFailure(FetchError(self.source, what, "the token endpoint did not "
                                           "answer in time", kind="timeout")) from None
        except AnswerTooLarge as exc:
            raise SourceFailure(FetchError(self.source, what, str(exc),
                                           kind="malformed")) from None
        except (TypeError, ValueError, KeyError, AttributeError) as exc:
            # google-auth reads the answer as a token response; anything else breaks it.
            raise SourceFailure(FetchError(self.source, what, "the token endpoint's answer "
                                           "is malformed (not a token response: "
                                           f"{type(exc).__name__})", kind="malformed")) from None

    def close(self) -> None:
        if self._session is not None:
            self._session.close()
            self._session = None


def _seconds_left(expiry: Any) -> float:
    # google-auth keeps `expiry` as a naive datetime in UTC.
    import datetime as dt

    return float(expiry.replace(tzinfo=dt.UTC).timestamp() - time.time())


# OAuth error codes (RFC 6749 section 5.2) that mean "this scope is not granted" rather
# than "these credentials are broken".
SCOPE_ERRORS = frozenset({"unauthorized_client", "access_denied", "invalid_scope"})


def _refresh_error(source: str, what: str, scope: str, exc: Exception,
                   subject: str | None) -> FetchError:
    data = exc.args[1] if len(exc.args) > 1 and isinstance(exc.args[1], Mapping) else {}
    if getattr(exc, "retryable", False):
        # google-auth marks 429, 5xx and a few OAuth codes as retryable and gave up.
        return FetchError(source, what, "the token endpoint is throttling or unavailable "
                          "(HTTP 429 or 5xx) after google-auth's retries: "
                          f"{str(exc.args[0] if exc.args else exc)[:200]}", kind="unavailable")
    code = str(data.get("error") or "")
    description = str(data.get("error_description") or "")[:200]
    if code in SCOPE_ERRORS:
        who = f" for {subject}" if subject else ""
        return FetchError(source, what, f"the token endpoint refused the scope{who} "
                          f"({code}: {description}); authorise it for the service account's "
                          "client id in the Admin console's domain-wide delegation",
                          kind="denied", permission=scope_url(scope))
    text = str(exc.args[0]) if exc.args else str(exc)
    return FetchError(source, what, f"cannot get a Google token: {code or text[:200]}"
                      + (f": {description}" if description else ""), kind="denied")


def is_scope_error(error: FetchError) -> bool:
    return error.request.startswith("token for ") and error.permission is not None


# ---------------------------------------------------------------------------------------
# the client


def _error_reason(status: int, text: str) -> tuple[str, str | None]:
    """Google's error status, message and the missing permission from its ErrorInfo
    (cloud.google.com/apis/design/errors#error_model), without echoing large bodies."""
    try:
        body = json.loads(text)
        err = body.get("error") or {}
        if isinstance(err, str):  # OAuth-style {"error": "...", "error_description": ...}
            return f"HTTP {status} {err}: {str(body.get('error_description') or '')[:200]}", None
        code = err.get("status") or ""
        message = str(err.get("message") or "")[:200]
        permission = None
        for detail in err.get("details") or []:
            if not isinstance(detail, Mapping):
                continue
            meta = detail.get("metadata") or {}
            if detail.get("reason") == "ACCESS_TOKEN_SCOPE_INSUFFICIENT":
                permission = "scope"
            elif isinstance(meta, Mapping) and meta.get("permission"):
                permission = str(meta["permission"])
        return f"HTTP {status} {code}: {message}".replace(" :", ":"), permission
    except (ValueError, AttributeError, TypeError):
        return f"HTTP {status}", None


class GoogleClient:
    """Every request of one target: guard, token, engine, error mapping, paging."""

    def __init__(self, ctx: SourceContext, source: str, credentials: GoogleCredentials,
                 api_endpoint: str | None, verify: str | bool) -> None:
        self.ctx = ctx
        self.source = source
        self.credentials = credentials
        self.api_endpoint = api_endpoint.rstrip("/") if api_endpoint else None
        self.verify = verify

    def url(self, method: str, path: str, params: Mapping[str, Any] | None = None) -> str:
        service = method.partition(".")[0]
        base = self.api_endpoint or DEFAULT_ENDPOINTS[service]
        query = urlencode({k: v for k, v in (params or {}).items() if v is not None})
        return base + path + (f"?{query}" if query else "")

    async def call(self, verb: str, method: str, path: str, *,
                   params: Mapping[str, Any] | None = None,
                   body: Any = None) -> tuple[str, dict[str, Any]]:
        spec = assert_google_read(verb, method)  # before anything is built or sent
        url = self.url(method, path, params)
        request = f"{verb.upper()} {url}"
        token = await self.credentials.token(self.ctx, spec.scope)
        headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
        resp = await self.ctx.engine.http(verb.upper(), url, headers=headers, json_body=body,
                                          verify=self.verify, source=self.source)
        if resp.status in (401, 403):
            reason, permission = _error_reason(resp.status, resp.text)
            needs = (scope_url(spec.scope) if permission == "scope"
                     else f"{permission} ({spec.role})" if permission else spec.role)
            raise GoogleApiError(FetchError(self.source, request, reason, kind="denied",
                                            permission=needs))
        if resp.status == 404:
            raise GoogleApiError(FetchError(self.source, request,
                                            _error_reason(404, resp.text)[0], kind="not_found"))
        if resp.status == 429 or (resp.status == 503 and "retry-after" in resp.headers):
            raise GoogleApiError(FetchError(
                self.source, request,
                f"still throttled after retries ({_error_reason(resp.status, resp.text)[0]})",
                kind="throttled"))
        if resp.status >= 400:
            kind = "unsupported" if resp.status == 400 else "unavailable"
            raise GoogleApiError(FetchError(self.source, request,
                                            _error_reason(resp.status, resp.text)[0], kind=kind))
        try:
            data = resp.json()
        except ValueError:
            raise GoogleApiError(FetchError(self.source, request, "the answer is not JSON",
                                            kind="malformed")) from None
        if not isinstance(data, dict):
            raise GoogleApiError(FetchError(self.source, request,
                                            "the answer is not a JSON object", kind="malformed"))
        for pattern, name in ALWAYS_PRESENT:
            if re.fullmatch(pattern, method) and name not in data:
                raise GoogleApiError(FetchError(self.source, request, f"the answer has no "
                                                f"'{name}', which {method} always returns",
                                                kind="malformed"))
        return request, data

    async def get(self, method: str, path: str, **params: Any) -> tuple[str, dict[str, Any]]:
        return await self.call("GET", method, path, params=params)

    async def list(self, method: str, path: str, key: str, *, verb: str = "GET",
                   **params: Any) -> tuple[str, list[dict[str, Any]]]:
        """Every item of a collection, following nextPageToken. A missing `key` is an
        empty page (Google omits empty repeated fields); a non-list is malformed."""
        first: str | None = None
        items: list[dict[str, Any]] = []
        seen: set[str] = set()
        token: str | None = None
        while True:
            request, data = await self.call(verb, method, path,
                                            params={**params, "pageToken": token})
            first = first or request
            page = data.get(key, [])
            if not isinstance(page, list) or not all(isinstance(x, dict) for x in page):
                raise GoogleApiError(FetchError(self.source, request,
                                                f"'{key}' is not a list of objects",
                                                kind="malformed"))
            items.extend(page)
            nxt = data.get("nextPageToken")
            if not nxt:
                return first, items
            if not isinstance(nxt, str) or nxt in seen or len(seen) >= MAX_PAGES:
                raise GoogleApiError(FetchError(self.source, first, "paging does not end "
                                                "(nextPageToken repeats)", kind="malformed"))
            seen.add(nxt)
            token = nxt


    async def read(self, method: str, path: str, parse: Callable[[dict[str, Any]], T], *,
                   verb: str = "GET", params: Mapping[str, Any] | None = None,
                   body: Any = None) -> Fetched[T]:
        """One fact: the answer parsed, or the FetchError saying why it is missing (an API
        error, an unreachable or timing-out API, or an answer `parse` cannot read)."""
        return await guard(self._parsed(self.call(verb, method, path, params=params,
                                                  body=body), parse))

    async def read_all(self, method: str, path: str, key: str,
                       parse: Callable[[dict[str, Any]], T], **params: Any
                       ) -> Fetched[tuple[T, ...]]:
        """A collection (every page, see `list`), each item parsed, as one fact."""
        return await guard(self._parsed(self.list(method, path, key, **params),
                                        lambda rows: tuple(parse(r) for r in rows)))

    async def _parsed(self, answer: Awaitable[tuple[str, Any]],
                      parse: Callable[[Any], T]) -> Fetched[T]:
        request, data = await answer
        try:
            value = parse(data)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise GoogleApiError(malformed(self.source, request, exc)) from None
        return Fetched(self.source, request, value, now())


@dataclass(frozen=True)
class Probe:
    """One light request of `lockin-audit doctor`."""

    what: str
    verb: str
    method: str
    path: str
    params: Mapping[str, Any] | None = None
    body: Any = None


class GoogleSource(Source):
    """What the gws and gcp sources share: one credential set and client per target,
    the first sign-in, `doctor` over each target's probes, closing."""

    first_scope: str
    scope_errors_fail_target: bool  # False: a missing scope fails only its own facts

    def __init__(self) -> None:
        self._credentials: list[GoogleCredentials] = []

    def client(self, opts: Any, ctx: SourceContext, subject: str | None = None) -> GoogleClient:
        creds = GoogleCredentials(self.name, subject, opts.ca_bundle)
        self._credentials.append(creds)
        return GoogleClient(ctx, self.name, creds, opts.api_endpoint, verify_of(opts.ca_bundle))

    async def sign_in(self, client: GoogleClient) -> None:
        """Broken credentials fail the whole target (SourceFailure)."""
        try:
            await client.credentials.token(client.ctx, self.first_scope)
        except GoogleApiError as exc:
            if self.scope_errors_fail_target or not is_scope_error(exc.error):
                raise SourceFailure(exc.error) from None

    def connect(self, target: Target, ctx: SourceContext) -> GoogleClient:
        raise NotImplementedError

    def probes(self, target: Target) -> list[Probe]:
        raise NotImplementedError

    async def doctor(self, ctx: SourceContext) -> list[tuple[str, bool, str]]:
        """Sign in to each target and try one page of every API the checks read."""
        lines: list[tuple[str, bool, str]] = []
        for target in await self.targets(ctx):
            client = self.connect(target, ctx)
            try:
                await self.sign_in(client)
            except SourceFailure as exc:
                lines.append((target.label, False, exc.error.describe()))
                continue
            for p in self.probes(target):
                spec = READ_METHODS[p.method]
                try:
                    await client.call(p.verb, p.method, p.path, params=p.params, body=p.body)
                    lines.append((f"{target.label}: {p.what}", True, f"readable ({spec.role}; "
                                  f"scope {scope_url(spec.scope)})"))
                except (GoogleApiError, SourceFailure) as exc:
                    lines.append((f"{target.label}: {p.what}", False, exc.error.describe()))
        return lines

    async def close(self) -> None:
        for creds in self._credentials:
            creds.close()
        self._credentials.clear()


def malformed(source: str, request: str, exc: Exception) -> FetchError:
    return FetchError(source, request, f"unexpected answer shape ({type(exc).__name__}: "
                      f"{exc})", kind="malformed")


async def guard(read: Awaitable[Fetched[T]]) -> Fetched[T]:
    """Run one fact's read; an API error becomes that fact's failure."""
    try:
        return await read
    except (GoogleApiError, SourceFailure) as exc:  # unreachable or timing out: this fact
        return Fetched.failure(exc.error)


def unreachable(*reads: Fetched[Any]) -> FetchError | None:
    """The first read's error when every read failed because the API could not be reached
    or did not answer in time: then the target cannot be assessed at all."""
    errors = [r.error for r in reads if r.error]
    if len(errors) == len(reads) and all(e.kind in ("unavailable", "timeout") for e in errors):
        return errors[0]
    return None


def verify_of(ca_bundle: str | None) -> str | bool:
    return ca_bundle or True


def host_of(url: str) -> str:
    return urlsplit(url).netloc


__all__ = [
    "BILLING_READ",
    "CLOUD",
    "CLOUD_READ",
    "CUSTOMER",
    "DOMAINS",
    "READ_METHODS",
    "ROLES",
    "TOKENS",
    "USERS",
    "GoogleApiError",
    "GoogleClient",
    "GoogleCredentials",
    "GoogleSource",
    "Probe",
    "assert_google_read",
    "guard",
    "malformed",
    "now",
    "scope_url",
]
