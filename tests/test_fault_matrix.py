"""The fault matrix: no fact that could not be read ever becomes a pass.

A clean scan of the demo estate records the calls each source makes (DNS queries at a
fault-injecting DNS proxy in front of Knot, RDAP and Microsoft/Google routes at their
local HTTP servers, AWS operations at a fault-injecting proxy in front of moto). The calls
are grouped into families (a DNS record type, an RDAP path kind, an ARM/Graph route with
its ids masked, an AWS operation), and the scan runs again once per family with that
family failing, the fault answered by the server itself: 403, 429 past the retries, 5xx,
no answer in time, a malformed body. For each run:

- the scan completes and writes every format;
- the fault was exercised, the result is incomplete, and the failure is named (in an error
  finding's detail or in coverage);
- nothing becomes a pass that was not one (a pass cannot rest on a fact that was not read);
- nothing held by the provider, at risk or to confirm disappears or softens unless the
  same check reports an error (a failed read is never silently dropped).

The scans run at the source+check layer (Scanner on the demo configuration, one area group
at a time) so that the matrix fits in CI. `LOCKIN_FAULT_MATRIX=full` runs every family with
every fault kind; by default each family gets one fault kind (rotating) and the slow AWS
and Microsoft families are sampled.
"""

from __future__ import annotations

import asyncio
import http.client
import json
import os
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from lockin_audit import registry
from lockin_audit.config import AuditConfig, config_from_mapping
from lockin_audit.demo import demo_estate
from lockin_audit.demo.knot import knotd_path
from lockin_audit.demo.local_http import LocalHttpServer
from lockin_audit.engine import Scanner, ScanOptions
from lockin_audit.model import Finding, ScanResult, Status
from lockin_audit.report.interface import RENDERERS, write_reports
from lockin_audit.scoring import scored
from tests.faulty_dns import DnsFault, DnsFaultProxy
from tests.hooks import FaultRule, hooks, watch

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(knotd_path() is None, reason="knotd is not installed")]

FULL = os.environ.get("LOCKIN_FAULT_MATRIX") == "full"
if FULL:  # every family with every fault: far longer than the suite's per-test timeout
    pytestmark.append(pytest.mark.timeout(3600))
GROUPS: dict[str, tuple[str, ...]] = {
    "domain": ("domain", "network"),
    "inventory": ("contract", "custody"),
    "aws": ("aws",),
    "microsoft": ("azure", "m365", "devices"),
    "google": ("gws", "gcp"),
}
HTTP_FAULTS = ("403", "429", "5xx", "malformed", "timeout")
DNS_FAULTS = ("servfail", "timeout", "garbage", "refused")
# What the result must say for each kind of fault (in a coverage reason or error detail).
NAMED: dict[str, str] = {
    "403": r"403|denied|forbidden|authori[sz]",
    "429": r"429|throttl|too many|slow ?down",
    "5xx": r"50\d|unavailable|server error|internal",
    # botocore turns an S3 200 answer it cannot parse into a retried "500 Internal Server
    # Error" (its S3 200-error handling), so that is how such an answer is named
    "malformed": r"malformed|json|unexpected|parse|cannot be read|not valid|decode|answer"
                 r"|internal server error",
    "timeout": r"time|no answer",
    "servfail": r"servfail|server failure|no answer|failed",
    "refused": r"refused|no answer|failed",
    "garbage": r"malformed|not a dns|garbage|invalid|no answer|failed|cannot",
    "unreadable": r"cannot|could not|not found|no such|denied|not valid|invalid|error",
}
# Families that once hid a failed read: always run, whatever the sample.
PINNED: frozenset[str] = frozenset({
    "aws:iam:GetOpenIDConnectProvider:malformed",
    "aws:iam:ListUsers:403",
    "aws:iam:GetLoginProfile:5xx",
    "aws:kms:DescribeKey:429",
    "aws:kms:DescribeKey:malformed",  # once crashed the account's fetch (KeyError)
    "aws:kms:ListKeys:malformed",  # botocore read a non-JSON body as an empty listing
    "aws:iam:GetSAMLProvider:403",  # a SAML-trusting role softened to manual
    "aws:iam:GetAccessKeyLastUsed:5xx",  # a key's last use was dropped
    "google:/admin/directory/v1/users/bits.admin%40acmedental.com/tokens:403",
    "google:/v1/projects/acme-dental-web/billingInfo:429",
    "google:/v1/projects/acme-xray-archive/billingInfo:malformed",
    "google:/v3/projects:search:403",
    "google:/token:429",
    "google:/token:malformed",
    "microsoft:/subscriptions/{id}/providers/Microsoft.Solutions/applications:5xx",
    "microsoft:/subscriptions/{id}/providers/Microsoft.ManagedServices/registrationAssignments:429",
    # issue 9: the Graph read that names Azure role holders, throttled; /resources denied
    "microsoft:/v1.0/directoryObjects/getByIds:429",
    "microsoft:/subscriptions/{id}/resources:403",
    # the cases of issue 9: Graph /users throttled or denied (guests then looked like the
    # tenant's own), Organizations DescribeOrganization denied (member accounts unlisted)
    "microsoft:/v1.0/users:429",
    "microsoft:/v1.0/users:403",
    "microsoft:/v1.0/servicePrincipals:403",
    "aws:organizations:DescribeOrganization:403",
    "aws:s3:GET /:429",  # REST-XML throttling (S3 SlowDown)
    "aws:route53:GET /2013-04-01/hostedzone:429",
})
# Known false passes left to the area that owns them: case id -> reason. The test fails
# if such a case stops failing (remove it then), like xfail(strict=True).
KNOWN: dict[str, str] = {}
KNOWN_STRICT = True  # a known case that passes fails the test: remove it from KNOWN


# ---------------------------------------------------------------------------------------
# AWS: a fault-injecting proxy in front of moto (and the demo's stub endpoint)


@dataclass
class AwsFault:
    """Operations matching `operation` ("service:Operation", full match) answer `kind`."""

    operation: str
    kind: str
    hits: int = 0


class AwsFaultProxy:
    def __init__(self, upstream: str) -> None:
        self.upstream = urlsplit(upstream)
        self.faults: list[AwsFault] = []
        self.calls: list[str] = []
        self.server = LocalHttpServer(self._answer)
        self.url = self.server.url

    def stop(self) -> None:
        self.server.stop()

    def _answer(self, method: str, path: str, headers: dict[str, str],
                body: bytes) -> tuple[int, dict[str, str], bytes]:
        operation, protocol = aws_operation(method, path, headers, body)
        self.calls.append(operation)
        for rule in self.faults:
            if re.fullmatch(rule.operation, operation):
                rule.hits += 1
                return aws_fault(rule.kind, protocol, operation.partition(":")[0])
        conn = http.client.HTTPConnection(self.upstream.hostname or "", self.upstream.port,
                                          timeout=30)
        try:
            conn.request(method, path, body=body or None,
                         headers={k: v for k, v in headers.items() if k.lower() != "host"})
            resp = conn.getresponse()
            data = resp.read()
            out = {k: v for k, v in resp.getheaders()
                   if k.lower() not in ("content-length", "transfer-encoding", "connection",
                                        "server", "date")}
            return resp.status, out, data
        finally:
            conn.close()


def aws_operation(method: str, path: str, headers: dict[str, str],
                  body: bytes) -> tuple[str, str]:
    """("service:Operation", protocol) from the signature scope and the protocol's marker
    (X-Amz-Target for JSON, Action= for query, the path for REST)."""
    lower = {k.lower(): v for k, v in headers.items()}
    scope = re.search(r"Credential=[^/]+/[^/]+/[^/]+/([^/]+)/", lower.get("authorization", ""))
    service = scope.group(1) if scope else "?"
    target = lower.get("x-amz-target", "")
    if target:
        return f"{service}:{target.rpartition('.')[2]}", "json"
    action = parse_qs(body.decode("utf-8", "replace")).get("Action") or \
        parse_qs(urlsplit(path).query).get("Action")
    if action:
        return f"{service}:{action[0]}", "query"
    return f"{service}:{method} {urlsplit(path).path}", "rest"


def aws_fault(kind: str, protocol: str,
              service: str = "") -> tuple[int, dict[str, str], bytes]:
    """AWS's documented error shapes: query protocol XML ErrorResponse, JSON `__type`
    (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/errors-overview.html,
    https://smithy.io/2.0/aws/protocols/aws-json-1_1-protocol.html#operation-error-serialization)."""
    if kind == "timeout":
        time.sleep(2.5)  # longer than the faulted run's botocore read timeout
        kind = "5xx"
    if kind == "malformed":
        return 200, {"Content-Type": "text/xml" if protocol == "query"
                     else "application/x-amz-json-1.1"}, b"<html>not an AWS answer"
    status, code = {"403": (403, "AccessDenied"), "429": (400, "Throttling"),
                    "5xx": (503, "ServiceUnavailable")}[kind]
    if protocol == "rest" and service in ("s3", "route53"):
        # REST-XML errors: S3 `<Error>` (throttling is 503 SlowDown), Route 53
        # `<ErrorResponse><Error>` (https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html)
        if service == "s3":
            status, code = (503, "SlowDown") if kind == "429" else (status, code)
            return status, {"Content-Type": "application/xml"}, (
                f"<Error><Code>{code}</Code><Message>injected {code}</Message>"
                "<RequestId>fault</RequestId></Error>").encode()
    if protocol == "query" or (protocol == "rest" and service == "route53"):
        return status, {"Content-Type": "text/xml"}, (
            f"<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code><Message>injected "
            f"{code}</Message></Error><RequestId>fault</RequestId></ErrorResponse>").encode()
    json_code = {"AccessDenied": "AccessDeniedException",
                 "Throttling": "ThrottlingException"}.get(code, code)
    return status, {"Content-Type": "application/x-amz-json-1.1",
                    "x-amzn-ErrorType": json_code}, json.dumps(
        {"__type": json_code, "message": f"injected {code}"}).encode()


# ---------------------------------------------------------------------------------------
# HTTP faults at the local servers


def http_fault(path: str, kind: str, method: str = ".*") -> FaultRule:
    if kind == "403":
        return FaultRule(path, method, 403, json.dumps({"error": {
            "code": "AuthorizationFailed", "message": "injected: not allowed"},
            "errorCode": 403, "title": "Forbidden"}).encode(),
            {"Content-Type": "application/json"})
    if kind == "429":
        return FaultRule(path, method, 429, b'{"error": {"code": "TooManyRequests"}}',
                         {"Content-Type": "application/json", "Retry-After": "0"})
    if kind == "5xx":
        return FaultRule(path, method, 503, b'{"error": {"code": "ServiceUnavailable"}}',
                         {"Content-Type": "application/json"})
    if kind == "malformed":
        return FaultRule(path, method, 200, b"<html>not json",
                         {"Content-Type": "application/json"})
    if kind == "timeout":
        return FaultRule(path, method, None, delay_s=2.5)
    raise ValueError(kind)


# ---------------------------------------------------------------------------------------
# the estate


@dataclass
class Estate:
    workdir: Path
    config: AuditConfig
    dns: DnsFaultProxy
    aws: list[AwsFaultProxy]
    http: dict[str, LocalHttpServer]  # rdap, microsoft, google
    baseline: dict[str, ScanResult] = field(default_factory=dict)
    # group -> source -> the calls its clean scan made
    calls: dict[str, dict[str, list[tuple[str, str]]]] = field(default_factory=dict)
    restore: list[Callable[[], object]] = field(default_factory=list)

    def clear(self) -> None:
        self.dns.faults.clear()
        for proxy in self.aws:
            proxy.faults.clear()
        for server in self.http.values():
            hooks(server).faults.clear()

    def record_start(self) -> dict[str, int]:
        marks = {"dns": len(self.dns.calls), "aws": sum(len(p.calls) for p in self.aws)}
        marks.update({k: len(hooks(s).log) for k, s in self.http.items()})
        return marks

    def recorded_since(self, marks: dict[str, int]) -> dict[str, list[tuple[str, str]]]:
        out: dict[str, list[tuple[str, str]]] = {"dns": self.dns.calls[marks["dns"]:]}
        aws: list[tuple[str, str]] = []
        for proxy in self.aws:
            aws.extend(("POST", op) for op in proxy.calls)
        out["aws"] = aws[marks["aws"]:]
        for name, server in self.http.items():
            out[name] = [(m, p) for m, p, _ in hooks(server).log[marks[name]:]]
        return out


def _fronted(cfg: AuditConfig, workdir: Path) -> tuple[AuditConfig, DnsFaultProxy,
                                                      list[AwsFaultProxy]]:
    data = cfg.model_dump(mode="json", exclude={"base_dir", "source_path"})
    dns = DnsFaultProxy(data["scan"]["dns"]["resolvers"][0])
    data["scan"]["dns"]["resolvers"] = [dns.address]
    proxies: dict[str, AwsFaultProxy] = {}
    for target in data["scan"]["aws"]:
        target["regions"] = ["us-east-1"]  # one region keeps the matrix fast
        urls = [target["endpoint_url"], *target["service_endpoints"].values()]
        for url in urls:
            proxies.setdefault(url, AwsFaultProxy(url))
        target["endpoint_url"] = proxies[target["endpoint_url"]].url
        target["service_endpoints"] = {k: proxies[v].url
                                       for k, v in target["service_endpoints"].items()}
    data["scan"]["rdap"]["cache_dir"] = str(workdir / "rdap-cache")
    return config_from_mapping(data, workdir / "audit.yaml"), dns, list(proxies.values())


def _server_of(url: str) -> LocalHttpServer:
    """The demo's server at `url`, with the tests' request log and fault table on it."""
    parts = urlsplit(url)
    server = LocalHttpServer.running[f"{parts.scheme}://{parts.netloc}"]
    watch(server)
    return server


@pytest.fixture(scope="module")
def estate(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Estate]:
    workdir = tmp_path_factory.mktemp("fault-matrix")
    # moto's backends live in the process: another test module may already have created
    # the demo's Organization. Start from an empty moto, as `POST /moto-api/reset` does.
    from moto.moto_api._internal.models import moto_api_backend

    moto_api_backend.reset()
    with demo_estate(workdir / ".demo") as cfg:
        fronted, dns, aws = _fronted(cfg, workdir)
        servers = {"rdap": _server_of(fronted.scan.rdap.bootstrap_url or "")}
        if fronted.scan.azure:
            servers["microsoft"] = _server_of(fronted.scan.azure[0].arm_endpoint or "")
        google = getattr(fronted.scan, "google", None)
        if google:
            servers["google"] = _server_of(google[0].api_endpoint)
        est = Estate(workdir, fronted, dns, aws, servers)
        try:
            for group in GROUPS:
                marks = est.record_start()
                est.baseline[group] = scan(est, group)
                est.calls[group] = est.recorded_since(marks)
                assert est.baseline[group].complete, (group, est.baseline[group].gaps())
            yield est
        finally:
            dns.stop()
            for proxy in aws:
                proxy.stop()


def _faulted_config(est: Estate) -> AuditConfig:
    """Short timeouts and few retries, so that timeouts and retries past their budget end
    quickly (the clean baseline runs with the same settings)."""
    data = est.config.model_dump(mode="json", exclude={"base_dir", "source_path"})
    data["scan"]["limits"].update(timeout_s=1.0, target_budget_s=60)
    data["scan"]["dns"]["timeout_s"] = 0.5
    data["scan"]["rdap"]["timeout_s"] = 1.0
    for target in data["scan"]["aws"]:
        target.update(timeout_s=1.0, max_attempts=2)
    return config_from_mapping(data, est.workdir / "audit.yaml")


def scan(est: Estate, group: str) -> ScanResult:
    checks = registry.select(registry.all_checks(), areas=list(GROUPS[group]))
    options = ScanOptions(use_cache=False, cache_dir=est.workdir / "cache")
    result = asyncio.run(Scanner(_faulted_config(est), checks, options).run())
    return scored(result)


# ---------------------------------------------------------------------------------------
# call families


@dataclass(frozen=True)
class Case:
    id: str
    group: str
    kind: str
    install: Callable[[Estate], list[Any]]  # returns the rules (for their hit counts)


_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|\d{6,}",
                 re.IGNORECASE)


def http_family(path: str) -> str:
    """A route with its ids and query masked: one family per kind of request."""
    route = urlsplit(path).path
    route = _ID.sub("{id}", route)
    parts = route.strip("/").split("/")
    for n, part in enumerate(parts):  # RDAP: one family per service and object class
        if part in ("domain", "ip", "entity", "autnum", "nameserver", "bootstrap"):
            return "/" + "/".join(parts[:n + 1]) + "/"
    return "/" + "/".join(parts[:8])


def _kinds(prefix: str, family: str, rotating: tuple[str, ...],
           every: tuple[str, ...]) -> tuple[str, ...]:
    """The fault kinds to run for one family: every kind in the full matrix, else the
    rotating default plus any kind PINNED for it."""
    if FULL:
        return every
    pinned = tuple(k for k in every if f"{prefix}:{family}:{k}" in PINNED)
    return tuple(dict.fromkeys(rotating + pinned))


def families(est: Estate) -> list[Case]:
    cases: list[Case] = []
    dns_types = sorted({t for _, t in est.calls["domain"]["dns"]})
    for n, rdtype in enumerate(dns_types):
        for kind in _kinds("dns", rdtype, (DNS_FAULTS[n % len(DNS_FAULTS)],), DNS_FAULTS):
            cases.append(Case(f"dns:{rdtype}:{kind}", "domain", kind,
                              _dns_install(r".*", rdtype, kind)))
    for group, server in (("domain", "rdap"), ("microsoft", "microsoft"),
                          ("google", "google")):
        if server not in est.http:
            continue
        routes = sorted({http_family(p) for _, p in est.calls[group][server]})
        for n, route in enumerate(routes):
            for kind in _kinds(server, route, (HTTP_FAULTS[n % len(HTTP_FAULTS)],),
                               HTTP_FAULTS):
                if kind == "timeout" and server == "microsoft":
                    continue  # the Azure SDK's own read timeout is 30 s: too slow here
                cases.append(Case(f"{server}:{route}:{kind}", group, kind,
                                  _http_install(server, route, kind)))
    operations = sorted({op for _, op in est.calls["aws"]["aws"]})
    for n, operation in enumerate(operations):
        for kind in _kinds("aws", operation, (("403", "429", "5xx", "malformed")[n % 4],),
                           HTTP_FAULTS):
            cases.append(Case(f"aws:{operation}:{kind}", "aws", kind,
                              _aws_install(operation, kind)))
    cases.append(Case("inventory:unreadable", "inventory", "unreadable", _inventory_install))
    return cases


def _dns_install(name: str, rdtype: str, kind: str) -> Callable[[Estate], list[Any]]:
    def install(est: Estate) -> list[Any]:
        rule = DnsFault(name, rdtype, kind)
        est.dns.faults.append(rule)
        return [rule]
    return install


def _http_install(server: str, route: str, kind: str) -> Callable[[Estate], list[Any]]:
    pattern = "^" + re.escape(route).replace(re.escape("{id}"), r"[^/?]+")
    if route.endswith("/"):  # an RDAP service's object class: every object in it
        pattern = "^" + re.escape(route)
    else:
        pattern += r"(\?|$)"

    def install(est: Estate) -> list[Any]:
        rule = http_fault(pattern, kind)
        hooks(est.http[server]).faults.append(rule)
        return [rule]
    return install


def _aws_install(operation: str, kind: str) -> Callable[[Estate], list[Any]]:
    def install(est: Estate) -> list[Any]:
        rules = []
        for proxy in est.aws:
            rule = AwsFault(re.escape(operation), kind)
            proxy.faults.append(rule)
            rules.append(rule)
        return rules
    return install


@dataclass
class _Hit:
    hits: int = 1


def _inventory_install(est: Estate) -> list[Any]:
    """The first inventory file cannot be parsed (a real broken file on disk)."""
    path = Path(est.config.scan.inventory[0])
    path = path if path.is_absolute() else est.config.base_dir / path
    saved = path.read_bytes()
    path.write_bytes(b"contracts: [\n  {id: broken,\n")  # YAML that does not parse
    est.restore.append(lambda: path.write_bytes(saved))
    return [_Hit()]


# ---------------------------------------------------------------------------------------
# the judgement


RANK = {Status.PASS: 0, Status.MANUAL: 1, Status.WARN: 2, Status.ERROR: 3, Status.FAIL: 4}


def violations(case: Case, base: ScanResult, got: ScanResult) -> list[str]:
    out: list[str] = []
    named = re.compile(NAMED[case.kind], re.IGNORECASE)
    # where a failure is named: coverage gaps and error findings, or the evidence of a
    # finding that still stands without the fact (a FetchError's evidence has "error")
    texts = [f"{g.what} {g.reason}" for g in got.gaps()]
    texts += [f"{e.request} {e.excerpt.get('error')}" for f in got.findings
              for e in f.evidence if isinstance(e.excerpt, dict) and "error" in e.excerpt]
    if not any(named.search(t) for t in texts):
        out.append(f"the failure is named nowhere ({NAMED[case.kind]}): "
                   + ("; ".join(texts[:3]) or "the result is complete"))
    before = {f.id: f for f in base.findings}
    errors_by_check = {f.check_id for f in got.findings if f.status is Status.ERROR}
    for f in got.findings:
        old = before.get(f.id)
        if f.status is Status.PASS and (old is None or old.status is not Status.PASS):
            out.append(f"new pass: {_show(f)} (was {_show(old) if old else 'absent'})")
    after = {f.id: f for f in got.findings}
    for old in base.findings:
        if old.status is Status.PASS:
            continue
        new = after.get(old.id)
        if new is not None and RANK[new.status] >= RANK[old.status]:
            continue
        if new is not None and new.status is Status.ERROR:
            continue
        if old.check_id in errors_by_check:
            continue
        out.append(f"{'softened' if new else 'vanished'} without an error: {_show(old)}"
                   + (f" -> {new.status.value}: {new.detail[:120]}" if new else ""))
    return out


def _show(f: Finding | None) -> str:
    if f is None:
        return "-"
    return f"{f.check_id} {f.asset.id} [{f.status.value}] {f.detail[:100]}"


def run_case(est: Estate, case: Case, outdir: Path) -> list[str]:
    est.clear()
    est.restore.clear()
    try:
        rules = case.install(est)
        got = scan(est, case.group)
    finally:
        est.clear()
        for undo in est.restore:
            undo()
    problems: list[str] = []
    if not sum(r.hits for r in rules):
        return [f"the fault was never exercised ({case.id})"]
    written = write_reports(got, outdir, list(RENDERERS))
    names = {p.name for p in written}
    missing = [n for n in ("report.json", "report.html", "report.md", "report.sarif",
                           "report.csv", "report.junit.xml") if n not in names]
    if missing:
        problems.append(f"formats not written: {missing}")
    problems.extend(violations(case, est.baseline[case.group], got))
    return problems


@pytest.mark.parametrize("group", list(GROUPS))
def test_no_failed_read_becomes_a_pass(estate: Estate, group: str, tmp_path: Path) -> None:
    every = [c for c in families(estate) if c.group == group]
    cases = every
    sample = {"aws": 5, "microsoft": 2, "google": 4}.get(group)
    if sample and not FULL:  # a spread sample of the slower areas' families
        cases = every[::max(1, -(-len(every) // sample))]
        cases += [c for c in every if c.id in PINNED and c not in cases]
    assert cases or group not in ("domain", "inventory"), f"no call family for {group}"
    failures: dict[str, list[str]] = {}
    fixed: list[str] = []
    for case in cases:
        problems = run_case(estate, case, tmp_path / re.sub(r"\W+", "_", case.id))
        if case.id in KNOWN:
            if not problems:
                fixed.append(case.id)
            continue
        if problems:
            failures[case.id] = problems
    if KNOWN_STRICT:
        assert not fixed, f"known false passes no longer fail, remove them from KNOWN: {fixed}"
    elif fixed:
        print(f"known false passes that no longer fail (remove from KNOWN): {fixed}")
    assert not failures, "\n".join(f"{cid}:\n  " + "\n  ".join(p)
                                   for cid, p in failures.items())


def test_families_cover_every_source(estate: Estate) -> None:
    cases = families(estate)
    prefixes = {c.id.split(":")[0] for c in cases}
    assert {"dns", "rdap", "aws", "inventory"} <= prefixes, prefixes
    if "microsoft" in estate.http:
        assert "microsoft" in prefixes
