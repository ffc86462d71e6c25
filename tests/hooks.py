"""The tests' hooks on the demo's local servers: fault rules and request logs.

The demo's local HTTP servers (`lockin_audit.demo.local_http.LocalHttpServer`, which
RdapServer, MicrosoftCloud and GoogleCloud expose as `.http`) define nothing for tests:
they call their `observers` with every request and ask their `interceptors` before their
own answer. This module is what the tests plug in:

- `watch(server)` installs, once per server, a `RequestLog` (every request: method, path
  with query, headers) and a `Faults` table (rules asked in order; the first that matches
  answers instead of the server, so a client sees a real HTTP answer: 403, 429 with
  Retry-After, 5xx, a malformed body, or no answer in time); `hooks(server)` finds them
  again (and fails if the server was never watched, so that an empty log cannot pass for
  "nothing was sent").
- `FaultRule`: a method/path match, a status, headers and body, a delay, how many times.
- the vendors' documented error answers as rules: `rdap_fault` (an RDAP error response,
  RFC 9083 section 6), `arm_fault` (an Azure Resource Manager error body, from
  `arm_routes.arm_error`), `google_fault` (Google's error model, keyed by the API method
  name as the reference pages name it).
- Microsoft Graph's fault scenarios: `watch_graph(server)` also installs `graph_scenarios`,
  which fails Graph requests under a `/scenario/<name>/` prefix as that scenario names
  (`denied`, `throttled`, `unavailable`, `malformed`, `nopim`, `nopimgroups`, `noresource`).
"""

from __future__ import annotations

import json
import re
import threading
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol
from urllib.parse import unquote, urlsplit

from lockin_audit.demo.local_http import LocalHttpServer, Reply

Request = tuple[str, str, dict[str, str]]  # method, path with query, headers


class RequestLog(list[Request]):
    """An observer: every request a server was sent, in order."""

    def __call__(self, method: str, path: str, headers: dict[str, str], body: bytes) -> None:
        self.append((method, path, dict(headers)))

    def paths(self, fragment: str = "") -> list[str]:
        return [p for _, p, _ in list(self) if fragment in p]

    def count_path(self, path: str) -> int:
        """Requests for exactly `path` (its query aside)."""
        return sum(1 for _, p, _ in list(self) if p.split("?", 1)[0] == path)


@dataclass
class FaultRule:
    """Answer requests whose method and path (with query) match these regular expressions
    (searched), or that `where(method, path)` accepts, with `status`/`headers`/`body` after
    `delay_s`; `status` None answers normally after the delay (a slow server). `times`
    bounds how many requests it answers (None: all); `hits` counts them."""

    path: str = ""
    method: str = ".*"
    status: int | None = 500
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay_s: float = 0.0
    times: int | None = None
    hits: int = 0
    where: Callable[[str, str], bool] | None = None

    def matches(self, method: str, path: str) -> bool:
        if self.where is not None:
            return self.where(method, path)
        return bool(re.search(self.method, method) and re.search(self.path, path))


class Faults(list[FaultRule]):
    """An interceptor: the first rule that matches a request (and has answers left)
    answers it."""

    def __init__(self) -> None:
        super().__init__()
        self._lock = threading.Lock()

    def __call__(self, method: str, path: str, headers: dict[str, str],
                 body: bytes) -> Reply | None:
        with self._lock:
            rule = next((r for r in self if (r.times is None or r.hits < r.times)
                         and r.matches(method, path)), None)
            if rule is None:
                return None
            rule.hits += 1
        if rule.delay_s:
            time.sleep(rule.delay_s)
        if rule.status is None:
            return None
        return rule.status, dict(rule.headers), rule.body


@dataclass
class Hooks:
    log: RequestLog
    faults: Faults


class HasHttp(Protocol):
    @property
    def http(self) -> LocalHttpServer: ...


_INSTALLED: weakref.WeakKeyDictionary[LocalHttpServer, Hooks] = weakref.WeakKeyDictionary()
_INSTALL_LOCK = threading.Lock()


def _http(server: LocalHttpServer | HasHttp) -> LocalHttpServer:
    return server if isinstance(server, LocalHttpServer) else server.http


def watch(server: LocalHttpServer | HasHttp) -> Hooks:
    """Install a request log and a fault table on `server` (once) and return them."""
    http = _http(server)
    with _INSTALL_LOCK:
        found = _INSTALLED.get(http)
        if found is None:
            found = _INSTALLED[http] = Hooks(RequestLog(), Faults())
            http.observers.append(found.log)
            http.interceptors.append(found.faults)
        return found


def hooks(server: LocalHttpServer | HasHttp) -> Hooks:
    """The hooks `watch` installed on `server`."""
    found = _INSTALLED.get(_http(server))
    if found is None:
        raise LookupError(f"{_http(server).url} is not watched: call watch() when it starts")
    return found


# ---------------------------------------------------------------------------------------
# the vendors' error answers


RDAP_JSON = "application/rdap+json"


def rdap_fault(path: str, status: int, body: str = "", content_type: str = RDAP_JSON, *,
               headers: dict[str, str] | None = None, times: int | None = None) -> FaultRule:
    """GET `path` (exactly, any query) answered with `status` and `body`; an RDAP error
    body is `{"errorCode": N, "title": ..., "description": [...]}` (RFC 9083 section 6,
    https://www.rfc-editor.org/rfc/rfc9083#section-6)."""
    return FaultRule("^" + re.escape(path) + r"(\?|$)", "^GET$", status,
                     body.encode("utf-8"), {"Content-Type": content_type, **(headers or {})},
                     times=times)


def arm_fault(path: str, reply: Reply) -> FaultRule:
    """Any request for the ARM `path` (case-insensitively, as ARM matches paths; any
    query) answered with `reply`, an ARM error body from `arm_routes.arm_error`
    (ARM's common ErrorResponse, `{"error": {"code", "message"}}`, e.g.
    https://learn.microsoft.com/rest/api/authorization/role-assignments/
    list-for-subscription#errorresponse)."""
    status, headers, body = reply
    return FaultRule("(?i)^" + re.escape(path.rstrip("/")) + r"/?(\?|$)", ".*", status, body,
                     dict(headers))


def google_method(method: str, path: str) -> str | None:
    """The API method (e.g. `admin.users.list`) the local Google answers `method path`
    with: its first route whose pattern and verb match."""
    from lockin_audit.demo.google_server import ROUTES

    plain = unquote(urlsplit(path).path)
    for pattern, verb, name, _, _ in ROUTES:
        if verb == method and re.fullmatch(pattern, plain):
            return name
    return None


GOOGLE_FAULTS = ("403", "429", "429-once", "500", "malformed", "empty", "timeout")


def google_fault(name: str, kind: str) -> FaultRule:
    """The API method `name` failing as `kind` (GOOGLE_FAULTS), with Google's error body
    (`error.code/message/status` and an ErrorInfo detail,
    https://cloud.google.com/apis/design/errors#http_mapping): 403 PERMISSION_DENIED with
    IAM_PERMISSION_DENIED, 429 RESOURCE_EXHAUSTED with Retry-After (every time, or once),
    500 INTERNAL, a 200 answer that is not JSON or is `{}`, or no answer for 3 s and then
    503 UNAVAILABLE."""
    from lockin_audit.demo.google_server import JSON, google_error

    times = 1 if kind == "429-once" else None
    kind = "429" if kind == "429-once" else kind
    delay = 0.0
    if kind == "403":
        status, headers, body = google_error(
            403, "PERMISSION_DENIED", f"The caller does not have permission ({name})",
            detail={"reason": "IAM_PERMISSION_DENIED", "domain": "googleapis.com",
                    "metadata": {"permission": name}})
    elif kind == "429":
        status, headers, body = google_error(
            429, "RESOURCE_EXHAUSTED", "Quota exceeded for quota metric 'Read requests' of "
            "service.", headers={"Retry-After": "0"})
    elif kind == "500":
        status, headers, body = google_error(500, "INTERNAL", "Internal error encountered.")
    elif kind == "empty":  # valid JSON, but not what the method returns
        status, headers, body = 200, dict(JSON), b"{}"
    elif kind == "malformed":
        status, headers, body = 200, dict(JSON), \
            b'{"items": "not a list", "users": 7, "bindings": 1'
    elif kind == "timeout":
        delay = 3.0
        status, headers, body = google_error(503, "UNAVAILABLE",
                                             "The service is currently unavailable.")
    else:
        raise ValueError(f"unknown fault {kind!r}")
    return FaultRule(status=status, body=body, headers=headers, delay_s=delay, times=times,
                     where=lambda method, path: google_method(method, path) == name)


# ---------------------------------------------------------------------------------------
# Microsoft Graph failing, by scenario: a Graph endpoint ending in `/scenario/<name>` (the
# demo's Graph serves its own tenant under any such prefix) fails as named. Bodies are
# Graph's error resource (`error.code/message/innerError`, https://learn.microsoft.com/
# graph/errors) and collections (`@odata.context`, `value`, `@odata.nextLink`).

GRAPH_FAULT_SCENARIOS = ("denied", "throttled", "unavailable", "malformed", "nopim",
                         "nopimgroups", "noresource")
_GRAPH_PATH = re.compile(r"^/scenario/([a-z-]+)/(v1\.0|beta)(/.*)?$")
_GRAPH_REQUEST_ID = "00000000-0000-4000-8000-00000000d3m0"
_GRAPH_DENIED = ("Authorization_RequestDenied",
                 "Insufficient privileges to complete the operation.")


def _graph_json(status: int, body: object, extra: dict[str, str] | None = None) -> Reply:
    return status, {"Content-Type": "application/json; odata.metadata=minimal",
                    "request-id": _GRAPH_REQUEST_ID, **(extra or {})}, \
        json.dumps(body).encode()


def graph_error(status: int, code: str, message: str,
                extra: dict[str, str] | None = None) -> Reply:
    return _graph_json(status, {"error": {"code": code, "message": message, "innerError": {
        "date": "2026-01-01T00:00:00", "request-id": _GRAPH_REQUEST_ID}}}, extra)


def _graph_collection(base: str, entity: str, next_link: str) -> Reply:
    return _graph_json(200, {"@odata.context": f"{base}/$metadata#{entity}", "value": [],
                             "@odata.nextLink": next_link})


def graph_scenario_fault(scenario: str, rest: str, base: str) -> Reply | None:
    """The failing answer of `scenario` for the Graph path `rest` (after the version), or
    None when that scenario answers it normally."""
    from lockin_audit.demo.graph_routes import GRAPH_SP_ID

    if scenario == "denied" and not rest.startswith("/organization"):
        return graph_error(403, *_GRAPH_DENIED)
    if scenario == "nopim" and "roleEligibilityScheduleInstances" in rest:
        # A tenant that never onboarded to PIM: a generic code, only the message says so
        # (wording as Microsoft's PIM APIs return it).
        return graph_error(403, "UnauthorizedAccessException",
                           "The tenant has not onboarded to PIM.")
    if scenario == "nopimgroups" and rest.startswith("/identityGovernance/privilegedAccess/"):
        return graph_error(403, *_GRAPH_DENIED)
    if scenario == "noresource" and rest == f"/servicePrincipals/{GRAPH_SP_ID}":
        return graph_error(403, *_GRAPH_DENIED)
    if scenario == "unavailable" and rest == "/domains":
        return graph_error(503, "ServiceUnavailable", "The service is temporarily unavailable.")
    if scenario == "throttled" and rest == "/users":
        return graph_error(429, "TooManyRequests", "Too many requests.", {"Retry-After": "0"})
    if scenario == "malformed":
        if rest == "/domains":
            return 200, {"Content-Type": "application/json"}, b"{not json"
        if rest == "/users":
            return _graph_json(200, {"value": "not a list"})
        if rest == "/policies/crossTenantAccessPolicy/partners":
            # A link to a foreign host must never receive the bearer token.
            return _graph_collection(base, "partners", "https://evil.example/v1.0/steal")
        if rest == "/servicePrincipals":  # a nextLink that points back at itself
            return _graph_collection(base, "servicePrincipals",
                                     f"{base}/servicePrincipals?$skiptoken=again")
        if rest.startswith("/roleManagement/directory/roleAssignments"):
            return _graph_json(200, {"value": [{"id": "x"}]})  # no principalId
    return None


def graph_scenarios(method: str, path: str, headers: dict[str, str],
                    body: bytes) -> Reply | None:
    """An interceptor: Graph requests under `/scenario/<name>/` answered as that fault
    scenario (GRAPH_FAULT_SCENARIOS) fails them."""
    m = _GRAPH_PATH.match(unquote(urlsplit(path).path))
    if m is None or m.group(1) not in GRAPH_FAULT_SCENARIOS:
        return None
    scenario, version, rest = m.group(1), m.group(2), (m.group(3) or "").rstrip("/")
    lower = {k.lower(): v for k, v in headers.items()}
    if not lower.get("authorization", "").startswith("Bearer "):
        return None  # the server's own 401
    host = lower.get("host")
    base = f"https://{host}/scenario/{scenario}/{version}" if host else f"/{version}"
    return graph_scenario_fault(scenario, rest, base)


def watch_graph(server: LocalHttpServer | HasHttp) -> Hooks:
    """`watch(server)` with the Graph fault scenarios installed too."""
    found = watch(server)
    http = _http(server)
    with _INSTALL_LOCK:
        if graph_scenarios not in http.interceptors:
            http.interceptors.append(graph_scenarios)
    return found
