"""The one hook point of the demo's local servers (observers, interceptors) and the tests'
fault rules and request logs that plug into it (tests/hooks.py)."""

from __future__ import annotations

import http.client
import json
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest

from lockin_audit.demo.local_http import LocalHttpServer, Reply
from tests.hooks import FaultRule, arm_fault, google_fault, google_method, hooks, rdap_fault, watch


def _own(method: str, path: str, headers: dict[str, str], body: bytes) -> Reply:
    return 200, {"Content-Type": "text/plain"}, b"own answer"


@pytest.fixture()
def server() -> Iterator[LocalHttpServer]:
    s = LocalHttpServer(_own)
    yield s
    s.stop()


def get(server: LocalHttpServer, path: str, method: str = "GET") -> tuple[int, dict[str, str], bytes]:
    parts = urlsplit(server.url)
    conn = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=10)
    try:
        conn.request(method, path)
        resp = conn.getresponse()
        return resp.status, dict(resp.getheaders()), resp.read()
    finally:
        conn.close()


def test_without_hooks_the_server_answers_itself(server: LocalHttpServer) -> None:
    assert server.observers == [] and server.interceptors == []
    assert get(server, "/x")[2] == b"own answer"


def test_observers_see_every_request_and_the_first_interceptor_answer_wins(
        server: LocalHttpServer) -> None:
    seen: list[tuple[str, str]] = []
    server.observers.append(lambda m, p, h, b: seen.append((m, p)))
    server.interceptors.append(lambda m, p, h, b: None)  # declines
    server.interceptors.append(lambda m, p, h, b: (418, {}, b"first") if "tea" in p else None)
    server.interceptors.append(lambda m, p, h, b: (500, {}, b"second"))
    assert get(server, "/tea?x=1")[:3:2] == (418, b"first")
    assert get(server, "/coffee")[:3:2] == (500, b"second")
    assert seen == [("GET", "/tea?x=1"), ("GET", "/coffee")]


def test_watch_installs_once_and_hooks_refuses_an_unwatched_server(
        server: LocalHttpServer) -> None:
    with pytest.raises(LookupError):
        hooks(server)
    first = watch(server)
    assert watch(server) is first is hooks(server)
    assert server.observers == [first.log] and server.interceptors == [first.faults]
    get(server, "/a?q=1")
    get(server, "/b", "POST")
    assert [(m, p) for m, p, _ in first.log] == [("GET", "/a?q=1"), ("POST", "/b")]
    assert first.log.count_path("/a") == 1 and first.log.paths("/b") == ["/b"]


def test_a_fault_rule_answers_its_times_then_passes_on(server: LocalHttpServer) -> None:
    faults = watch(server).faults
    rule = FaultRule(r"^/limited", "GET", 503, b"busy", {"Retry-After": "0"}, times=2)
    slow = FaultRule(r"^/slow", status=None, delay_s=0.2)
    faults.extend([rule, slow])
    assert [get(server, "/limited")[0] for _ in range(3)] == [503, 503, 200]
    assert rule.hits == 2
    assert get(server, "/limited", "POST")[0] == 200  # another method: not matched
    assert get(server, "/slow")[2] == b"own answer" and slow.hits == 1


def test_vendor_faults_match_as_the_demo_servers_did(server: LocalHttpServer) -> None:
    faults = watch(server).faults
    faults.append(rdap_fault("/com/domain/x.com", 404, '{"errorCode": 404}'))
    faults.append(arm_fault("/subscriptions/s1/resources", (403, {}, b"{}")))
    status, headers, _ = get(server, "/com/domain/x.com")
    assert status == 404 and headers["Content-Type"] == "application/rdap+json"
    assert get(server, "/com/domain/x.com.au")[0] == 200  # the exact path only
    assert get(server, "/com/domain/x.com", "POST")[0] == 200  # RDAP is read with GET
    # ARM: case-insensitively, any query, a trailing slash, not a longer path
    assert get(server, "/Subscriptions/S1/resources/?api-version=2021-04-01")[0] == 403
    assert get(server, "/subscriptions/s1/resourcesX")[0] == 200


def test_google_faults_are_keyed_by_the_api_method() -> None:
    assert google_method("GET", "/admin/directory/v1/users?customer=my_customer") == \
        "admin.users.list"
    assert google_method("POST", "/admin/directory/v1/users") is None
    rule = google_fault("admin.users.list", "403")
    assert rule.matches("GET", "/admin/directory/v1/users?customer=my_customer")
    body = json.loads(rule.body)["error"]
    assert (rule.status, body["status"], body["details"][0]["reason"]) == (
        403, "PERMISSION_DENIED", "IAM_PERMISSION_DENIED")
    assert google_fault("admin.users.list", "429-once").times == 1
    with pytest.raises(ValueError):
        google_fault("admin.users.list", "teapot")
