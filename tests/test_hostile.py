"""Hostile servers (issue 27): each attack an answer's author could mount, re-run against
real local servers as an attacker would set them up, fails to reach its target.

Beside the fault matrix (which asks "is a failed read an error, never a pass?"), this
module asks "can an answer steer our requests, carry our tokens away, exhaust us, or
write through us?". SECURITY.md describes the rules these tests hold.
"""

from __future__ import annotations

import ast
import asyncio
import datetime as dt
import os
import re
import ssl
import stat
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import yaml

from lockin_audit.demo.local_http import LocalHttpServer, Reply
from lockin_audit.guards.aws import ALLOWED_OPERATIONS, READ_OPERATIONS, is_read_only
from lockin_audit.guards.net import AllowList, address_problem
from lockin_audit.model import Asset, Finding, Holder, ScanResult, Severity, Status
from lockin_audit.safety import printable, safe_yaml_load
from tests.hooks import rdap_fault, watch

if TYPE_CHECKING:
    from lockin_audit.demo.rdap_server import RdapData, RdapServer
    from lockin_audit.facts import FetchError
    from lockin_audit.transport import HttpResponse
    from tests.pg import PgCluster

ROOT = Path(__file__).resolve().parent.parent


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update({"PYTHONPATH": str(ROOT), "CI": "true", "AWS_EC2_METADATA_DISABLED": "true"})
    env.update(extra)
    return env


# --------------------------------------------------------------- addresses and allow-lists


@pytest.mark.parametrize(("address", "public"), [
    ("93.184.216.34", True), ("2606:2800:220:1:248:1893:25c8:1946", True),
    ("127.0.0.2", False), ("10.1.2.3", False), ("172.16.0.1", False), ("192.168.1.1", False),
    ("169.254.169.254", False), ("100.64.0.1", False), ("224.0.0.251", False),
    ("0.0.0.0", False), ("240.0.0.1", False), ("::1", False), ("fe80::1", False),
    ("fd00::1", False), ("::ffff:169.254.169.254", False), ("64:ff9b::a9fe:a9fe", False),
    ("192.0.2.1", False),  # documentation range (TEST-NET-1)
])
def test_only_public_unicast_addresses_are_public(address: str, public: bool) -> None:
    assert (address_problem(address) is None) is public, address_problem(address)


def test_allow_list_is_exact() -> None:
    allow = AllowList.of(["rdap.internal.example", "10.9.0.0/16", "127.0.0.5"])
    assert allow.allows_host("RDAP.internal.example.") and allow.allows_host("10.9.3.4")
    assert allow.allows_host("127.0.0.5") and not allow.allows_host("127.0.0.1")
    assert not allow.allows_host("internal.example")  # no suffix or wildcard matching
    assert not AllowList.of([])


# --------------------------------------------------------------- the AWS guard


def _aws_operations_in_source() -> set[tuple[str, str]]:
    """Every (service, operation) the AWS source names in a `Caller.op` call, read from
    its syntax tree (direct calls and functools.partial(c.op, "service", ...))."""
    tree = ast.parse((ROOT / "lockin_audit" / "sources" / "aws.py").read_text("utf-8"))
    partials: dict[str, str] = {}
    found: set[tuple[str, str]] = set()

    def const(node: ast.AST) -> str | None:
        return node.value if isinstance(node, ast.Constant) and isinstance(
            node.value, str) else None

    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call) and \
                isinstance(node.value.func, ast.Attribute) and node.value.func.attr == "partial":
            args = node.value.args
            if len(args) >= 2 and isinstance(args[0], ast.Attribute) and args[0].attr == "op":
                service = const(args[1])
                if service and isinstance(node.targets[0], ast.Name):
                    partials[node.targets[0].id] = service
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if isinstance(func, ast.Attribute) and func.attr == "op" and len(node.args) >= 3:
            service, op = const(node.args[0]), const(node.args[2])
            if service and op:
                found.add((service, op))
        elif isinstance(func, ast.Name) and func.id in partials and node.args:
            op = const(node.args[0])
            if op:
                found.add((partials[func.id], op))
    return found


def test_every_aws_operation_the_source_calls_is_on_the_exact_allow_list() -> None:
    called = _aws_operations_in_source()
    assert len(called) > 35, called
    missing = sorted(called - ALLOWED_OPERATIONS)
    assert not missing, f"add to lockin_audit/guards/aws.py READ_OPERATIONS: {missing}"
    unused = sorted(READ_OPERATIONS - called)
    assert not unused, f"on the allow-list but never called (remove them): {unused}"


def test_reads_that_hand_out_secrets_are_refused_by_the_aws_guard() -> None:
    for service, op in (("redshift", "GetClusterCredentials"), ("sts", "GetFederationToken"),
                        ("secretsmanager", "GetSecretValue"), ("ssm", "GetParameter"),
                        ("ecr", "GetAuthorizationToken"), ("iam", "CreateAccessKey")):
        assert not is_read_only(service, op), (service, op)


def test_the_guard_refuses_an_unlisted_read_before_it_is_sent() -> None:
    import boto3

    from lockin_audit.guards import WriteRefused
    from lockin_audit.guards.aws import guard_session

    calls: list[tuple[str, str]] = []

    def answer(method: str, path: str, headers: dict[str, str], body: bytes) -> Reply:
        calls.append((method, path))
        return 500, {}, b""

    server = LocalHttpServer(answer)
    try:
        session = guard_session(boto3.Session(
            aws_access_key_id="AKIAEXAMPLEEXAMPLE00", aws_secret_access_key="x",
            region_name="us-east-1"))
        secrets = session.client("secretsmanager", endpoint_url=server.url)
        with pytest.raises(WriteRefused, match="secretsmanager:GetSecretValue"):
            secrets.get_secret_value(SecretId="prod/db")
        sts = session.client("sts", endpoint_url=server.url)
        with pytest.raises(WriteRefused, match="GetFederationToken"):
            sts.get_federation_token(Name="x")
        assert calls == []  # nothing left the process
    finally:
        server.stop()


# --------------------------------------------------------------- PostgreSQL URLs


def test_a_password_with_hash_question_mark_and_slash_is_never_shown(
        pg_cluster: PgCluster, tmp_path: Path) -> None:
    """The URL's password holds #, ? and / unencoded, which SQLAlchemy's make_url accepts
    (its password runs to the last @); the old masking regex stopped at them and printed
    the URL whole. Real server: Debian's PostgreSQL (tests/pg.py)."""
    import psycopg

    from lockin_audit.config import ConfigError, config_from_mapping
    from lockin_audit.history import HistoryError, open_store, redact

    cluster = pg_cluster
    role = "r_" + uuid.uuid4().hex[:8]
    secret = f"S3cr#t?x/{uuid.uuid4().hex[:6]}"
    db = cluster.create_database()
    with psycopg.connect(host=str(cluster.sockdir), port=cluster.port,
                         user=cluster.user, dbname="postgres",
                         autocommit=True) as conn:
        conn.execute(f"CREATE ROLE {role} LOGIN PASSWORD '{secret}'")
        conn.execute(f'GRANT ALL ON DATABASE "{db}" TO {role}')
        conn.execute(f'ALTER DATABASE "{db}" OWNER TO {role}')
    port = cluster.port
    url = f"postgresql://{role}:{secret}@127.0.0.1:{port}/{db}"
    pieces = [secret, secret.split("#")[0] + "#", "?x/", secret.rsplit("/", 1)[1]]

    def clean(text: str) -> None:
        for piece in pieces:
            assert piece not in text, text

    assert redact(url) == f"postgresql://{role}:***@127.0.0.1:{port}/{db}"
    with open_store(url) as store:  # the password works: SQLAlchemy parsed it whole
        clean(store.display)
        assert store.scans() == []
    # a wrong database: the driver's error passes through, scrubbed
    bad = url.rsplit("/", 1)[0] + "/no_such_db"
    with pytest.raises(HistoryError) as err:
        open_store(bad)
    clean(str(err.value))
    assert "no_such_db" in str(err.value)
    # the audit file refuses it and does not echo it
    with pytest.raises(ConfigError) as cerr:
        config_from_mapping({"client": {"name": "A"}, "provider": {"name": "B"},
                             "scan": {"history": url}}, tmp_path / "audit.yaml")
    clean(str(cerr.value))
    # the CLI prints the store it used without the password, in both formats
    for fmt in ("table", "json"):
        proc = subprocess.run([sys.executable, "-m", "lockin_audit", "history",
                               "--history", url, "-f", fmt], capture_output=True, text=True,
                              env=_env(), timeout=120)
        assert proc.returncode == 0, proc.stderr
        clean(proc.stdout + proc.stderr)
        assert "***" in proc.stdout


# --------------------------------------------------------------- inventory YAML

BOMB = "\n".join(
    ["contracts:", "  - id: a", "    category: other", "    provider: X",
     '    notes: &l0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    + [f"    n{i}: &l{i} [*l{i - 1},*l{i - 1},*l{i - 1},*l{i - 1},*l{i - 1},*l{i - 1},"
       f"*l{i - 1},*l{i - 1},*l{i - 1}]" for i in range(1, 9)]
    + ["    site: *l8"]) + "\n"


def test_an_inventory_anchor_bomb_is_refused_at_once(tmp_path: Path) -> None:
    from lockin_audit.sources.inventory import read_inventory

    assert len(BOMB) < 1500  # 9^9 = 387 million strings once expanded
    path = tmp_path / "contracts.yaml"
    path.write_text(BOMB, encoding="utf-8")
    started = time.monotonic()
    with pytest.raises(ValueError, match="alias"):
        read_inventory(path)
    assert time.monotonic() - started < 2.0


def test_inventory_text_columns_refuse_lists_and_mappings(tmp_path: Path) -> None:
    from lockin_audit.sources.inventory import read_inventory

    path = tmp_path / "contracts.yaml"
    path.write_text(yaml.safe_dump({"contracts": [
        {"id": "C-1", "category": "other", "provider": ["X", "Y"],
         "notes": {"a": 1}, "evidence": [["nested"]]}]}), encoding="utf-8")
    facts = read_inventory(path)
    assert facts.contracts == ()
    problems = {(p.column, p.message) for p in facts.problems}
    assert ("provider", "expected text, got a list") in problems
    assert ("notes", "expected text, got a mapping") in problems
    assert any(c == "evidence" and "nested" in m for c, m in problems)


def test_plain_aliases_of_values_still_work() -> None:
    assert safe_yaml_load("a: &x 1\nb: *x\n") == {"a": 1, "b": 1}


# --------------------------------------------------------------- terminal and calendar text

# An STS error whose message carries an 8-bit CSI (U+009B, which terminals read as ESC [)
# and a right-to-left override: both are legal XML characters. Shape of STS's documented
# error (https://docs.aws.amazon.com/STS/latest/APIReference/CommonErrors.html).
HOSTILE_MESSAGE = "The token is invalid.\u009b2J\u009b31mPWNED \u202egnp.exe"
STS_ERROR = ('<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">'
             "<Error><Type>Sender</Type><Code>InvalidClientTokenId</Code>"
             f"<Message>{HOSTILE_MESSAGE}</Message></Error>"
             "<RequestId>4c1b2f3e-0000-4000-8000-000000000000</RequestId>"
             "</ErrorResponse>").encode()


def test_answer_text_reaches_the_console_printable(tmp_path: Path) -> None:
    server = LocalHttpServer(lambda m, p, h, b: (403, {"Content-Type": "text/xml"}, STS_ERROR))
    try:
        (tmp_path / "aws-credentials").write_text(
            "[x]\naws_access_key_id = AKIAEXAMPLEEXAMPLE00\naws_secret_access_key = y\n",
            encoding="utf-8")
        (tmp_path / "aws-config").write_text("[profile x]\nregion = us-east-1\n",
                                             encoding="utf-8")
        (tmp_path / "audit.yaml").write_text(yaml.safe_dump({
            "client": {"name": "Acme"}, "provider": {"name": "Bob"},
            "scan": {"aws": [{"profile": "x", "regions": ["us-east-1"],
                              "endpoint_url": server.url, "max_attempts": 1}]},
        }), encoding="utf-8")
        env = _env(AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "aws-credentials"),
                   AWS_CONFIG_FILE=str(tmp_path / "aws-config"))
        outputs = []
        for argv in (["scan", "-c", str(tmp_path / "audit.yaml"), "-o", str(tmp_path / "out"),
                      "-f", "json", "--no-history"],
                     ["doctor", "-c", str(tmp_path / "audit.yaml")]):
            proc = subprocess.run([sys.executable, "-m", "lockin_audit", *argv],
                                  capture_output=True, text=True, env=env, timeout=120)
            outputs.append(proc.stdout + proc.stderr)
        for text in outputs:
            assert "PWNED" in text, text  # the message is shown...
            assert "\u009b" not in text and "\u202e" not in text  # ...as inert text
            assert "\\x9b2J" in text and "\\u202e" in text
    finally:
        server.stop()


def test_printable_escapes_what_a_terminal_acts_on() -> None:
    assert printable("a\x1b]0;title\x07b") == "a\\x1b]0;title\\x07b"
    assert printable("x\u202ey\u200bz\r\n") == "x\\u202ey\\u200bz\\x0d\\x0a"
    assert printable("one\ntwo", keep_newlines=True) == "one\ntwo"
    assert printable("Café – ok") == "Café – ok"


def test_calendar_text_has_no_control_characters() -> None:
    from lockin_audit.report.ics import IcsRenderer

    finding = Finding("t.c", "contract.deadline", Asset("contract", "C-1", "Line\x1b[2J"),
                      Holder.PROVIDER, Status.WARN, Severity.HIGH,
                      "Notice due\x07\x00", "detail\x0bwith\x1b[31m codes\u202e",
                      "1. give notice", due=dt.date(2031, 1, 31))
    result = ScanResult("2030-12-01T00:00:00Z", "2030-12-01T00:01:00Z", {"name": "A\x1b"},
                        ({"name": "B"},), None, (finding,), (), ())
    text = IcsRenderer().render(result)
    assert not re.search(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u202e]", text), text
    assert "\\\\x1b[2J" in text or "\\x1b[2J" in text


# --------------------------------------------------------------- files we write


def test_a_symlink_at_an_output_path_is_replaced_not_followed(tmp_path: Path) -> None:
    from lockin_audit.report.interface import write_reports

    victim = tmp_path / "victim.txt"
    victim.write_text("keep me", encoding="utf-8")
    out = tmp_path / "out"
    out.mkdir()
    (out / "report.json").symlink_to(victim)
    (out / "report.md").symlink_to(tmp_path / "does-not-exist")
    result = ScanResult("2030-12-01T00:00:00Z", "2030-12-01T00:01:00Z", {"name": "A"},
                        ({"name": "B"},), None, (), (), ())
    write_reports(result, out, ["json", "md"])
    assert victim.read_text(encoding="utf-8") == "keep me"
    assert not (tmp_path / "does-not-exist").exists()
    for name in ("report.json", "report.md"):
        assert not (out / name).is_symlink() and (out / name).stat().st_size > 0
    assert not [p for p in out.iterdir() if p.name.endswith(".tmp")]


def test_private_files_and_folders(tmp_path: Path) -> None:
    from lockin_audit.safety import private_dir, write_private_text

    folder = private_dir(tmp_path / "cache" / "rdap")
    path = write_private_text(folder / "x.json", "{}")
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


# --------------------------------------------------------------- iterative DNS referrals


def test_iterative_resolution_refuses_a_referral_to_a_private_address(tmp_path: Path) -> None:
    """With public roots, a referral naming a loopback nameserver is not followed. The
    hierarchy is real (Knot on 127.0.0.21-23, tests/test_dns_iterative.py); the client
    is told its roots are public, as the IANA root servers are."""
    from lockin_audit.demo.knot import KnotServer, KnotUnavailable, free_port, knotd_path
    from lockin_audit.facts import FetchError
    from lockin_audit.sources.dns import Answer, IterativeClient
    from lockin_audit.transport import Engine

    if knotd_path() is None:
        pytest.skip("knotd is not installed")
    from test_dns_iterative import ITER, TLD_EXAMPLE, TLD_TEST
    from test_dns_iterative import ROOT as ROOT_ZONE

    port = free_port("127.0.0.21")
    servers = []
    try:
        for host, zones in (("127.0.0.21", {".": ROOT_ZONE}),
                            ("127.0.0.22", {"test": TLD_TEST, "example": TLD_EXAMPLE}),
                            ("127.0.0.23", {"iter.test": ITER})):
            servers.append(KnotServer(tmp_path / host, zones, host=host,
                                      fixed_port=port).start())
    except KnotUnavailable as exc:
        for s in servers:
            s.stop()
        pytest.skip(f"a loopback hierarchy cannot be started here: {exc}")
    try:
        async def ask(allow: AllowList) -> Answer | FetchError:
            engine = Engine(timeout_s=5)
            client = IterativeClient([("127.0.0.21", port)], 2.0, engine, port=port,
                                     allow=allow)
            client.private_roots = False  # as with the IANA roots
            try:
                return (await client.query("iter.test", "A")).value
            finally:
                await engine.aclose()

        refused = asyncio.run(ask(AllowList()))
        assert isinstance(refused, FetchError), refused
        assert "127.0.0.22" in refused.reason and "not public" in refused.reason
        allowed = asyncio.run(ask(AllowList.of(["127.0.0.0/8"])))
        assert not isinstance(allowed, FetchError), allowed
        assert allowed.records == ("192.0.2.10",)
    finally:
        for s in servers:
            s.stop()


# =============================================================== the transport's rules
# Attacks on the HTTP transport, each against real local servers. The "target" of each
# attack is a recording listener on a second loopback address (127.0.0.2), which is never
# configured: any contact at all is a failure.

METADATA = (b'{"Code": "Success", "AccessKeyId": "ASIAMETADATAEXAMPLE0", '
            b'"SecretAccessKey": "metadata-secret-do-not-leak", "Token": "metadata-token"}')


class Listener:
    """A server on 127.0.0.2 that records every contact (method, path, headers) and
    answers like a cloud metadata service."""

    def __init__(self, tls: ssl.SSLContext | None = None) -> None:
        self.contacts: list[tuple[str, str, dict[str, str]]] = []
        self.server = LocalHttpServer(self._answer, host="127.0.0.2", tls=tls)
        self.url = self.server.url

    def _answer(self, method: str, path: str, headers: dict[str, str],
                body: bytes) -> tuple[int, dict[str, str], bytes]:
        self.contacts.append((method, path, headers))
        return 200, {"Content-Type": "application/json"}, METADATA

    def stop(self) -> None:
        self.server.stop()


@pytest.fixture
def listener() -> Iterator[Listener]:
    found = Listener()
    yield found
    found.stop()


def _tls(tmp_path: Path, *names: str) -> tuple[ssl.SSLContext, str]:
    """A server TLS context with a certificate for `names` from a throwaway CA, and the
    CA's file for the client."""
    import trustme

    ca = trustme.CA()
    ca_path = str(tmp_path / f"ca-{uuid.uuid4().hex[:6]}.pem")
    ca.cert_pem.write_to_path(ca_path)
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert(*names).configure_cert(ctx)
    return ctx, ca_path


def _rdap_scan(server: RdapServer, domain: str, tmp_path: Path) -> ScanResult:
    from lockin_audit import registry
    from lockin_audit.config import config_from_mapping
    from lockin_audit.engine import Scanner, ScanOptions

    cfg = config_from_mapping({
        "client": {"name": "Acme Dental LLC", "domains": [domain]},
        "provider": {"name": "Bob's IT Services"},
        "scan": {"domains": [domain],
                 "rdap": {"bootstrap_url": server.bootstrap_url}},
    }, tmp_path / "audit.yaml")
    checks = [c for c in registry.all_checks() if c.meta.source == "rdap"]
    return asyncio.run(Scanner(cfg, checks, ScanOptions(
        cache_dir=tmp_path / "cache")).run())


def _registry_answer(server: RdapServer, name: str, related: str) -> RdapData:
    from lockin_audit.demo.rdap_server import RdapData, domain_object, entity

    url = server.url
    obj = domain_object(name, entities=[entity(["registrar"], org="Example Registrar, Inc.")],
                        expires="2031-01-01T00:00:00Z", related=related,
                        self_url=f"{url}/com/domain/{name}")
    return RdapData(tlds={"com": {name: obj}},
                    registrar={name: domain_object(
                        name, entities=[entity(["registrant"], org="Acme Dental LLC")],
                        expires="2031-01-01T00:00:00Z",
                        self_url=f"{url}/registrar/domain/{name}")})


def _assert_clean(result: ScanResult, tmp_path: Path) -> None:
    """No metadata body in the result, the reports or the cache."""
    from lockin_audit.report.interface import write_reports

    out = tmp_path / "out"
    write_reports(result, out, ["json", "html", "md"])
    texts = [p.read_text(errors="replace") for p in out.iterdir()]
    cache = tmp_path / "cache"
    if cache.exists():
        texts += [p.read_text(errors="replace") for p in cache.rglob("*") if p.is_file()]
        for p in cache.rglob("*"):
            mode = stat.S_IMODE(p.stat().st_mode)
            assert mode == (0o700 if p.is_dir() else 0o600), (p, oct(mode))
        assert list((cache / "rdap").glob("*.json"))  # the registry's answer was cached
    for text in texts:
        assert "metadata-secret" not in text and "ASIAMETADATA" not in text


@pytest.mark.parametrize("link", [
    "http://127.0.0.2:{port}/latest/meta-data/iam/security-credentials/role",
    "https://127.0.0.2:{port}/registrar/domain/acmedental.com",
    "http://169.254.169.254/latest/meta-data/iam/security-credentials/role",
    "https://localhost:{port}/registrar/domain/acmedental.com",  # a name for a loopback
    "http://93.184.216.34/registrar/domain/acmedental.com",  # public, but plain http
])
def test_an_rdap_related_link_cannot_send_us_elsewhere(
        link: str, listener: Listener, tmp_path: Path) -> None:
    from lockin_audit.demo.rdap_server import RdapData, RdapServer

    link = link.format(port=listener.url.rsplit(":", 1)[1])
    server = RdapServer(RdapData())
    try:
        server.data = _registry_answer(server, "acmedental.com", link)
        result = _rdap_scan(server, "acmedental.com", tmp_path)
    finally:
        server.stop()
    assert listener.contacts == []
    reg = [f for f in result.findings if f.control == "domain.registration"
           and f.status is Status.ERROR]
    assert reg, [(f.control, f.status, f.detail) for f in result.findings]
    assert any(link in f.detail and "refused" in f.detail for f in reg), \
        [f.detail for f in reg]
    _assert_clean(result, tmp_path)


def test_a_registrar_redirect_to_a_private_address_is_not_followed(
        listener: Listener, tmp_path: Path) -> None:
    from lockin_audit.demo.rdap_server import RdapData, RdapServer

    server = RdapServer(RdapData())
    target = f"{listener.url}/latest/meta-data/iam/security-credentials/role"
    try:
        data = _registry_answer(server, "acmedental.com",
                                f"{server.url}/registrar/domain/acmedental.com")
        watch(server).faults.append(rdap_fault("/registrar/domain/acmedental.com", 302,
                                               headers={"Location": target}))
        server.data = data
        result = _rdap_scan(server, "acmedental.com", tmp_path)
    finally:
        server.stop()
    assert listener.contacts == []
    details = [f.detail for f in result.findings if f.control == "domain.registration"
               and f.status is Status.ERROR]
    assert any(target in d and "redirect" in d for d in details), details
    _assert_clean(result, tmp_path)


def test_an_ip_network_up_link_to_the_metadata_service_is_not_fetched(
        listener: Listener, tmp_path: Path) -> None:
    from lockin_audit.config import config_from_mapping
    from lockin_audit.facts import FetchError
    from lockin_audit.sources.interface import SourceContext
    from lockin_audit.sources.rdap import rdap_client
    from lockin_audit.transport import Engine

    cfg = config_from_mapping({"client": {"name": "A"}, "provider": {"name": "B"},
                               "scan": {"rdap": {"bootstrap_url": "https://rdap.example/"}}},
                              tmp_path / "audit.yaml")

    async def go() -> list[object]:
        engine = Engine(timeout_s=5)
        try:
            client = rdap_client(SourceContext(cfg, engine, {}, tmp_path / "cache"),
                                 "network")
            return [await client.get_json(url) for url in (
                f"{listener.url}/ip/10.0.0.0/8", "https://169.254.169.254/latest/meta-data/",
                "https://[::ffff:127.0.0.2]/ip/x")]
        finally:
            await engine.aclose()

    answers = asyncio.run(go())
    assert listener.contacts == []
    assert all(isinstance(a, FetchError) and "refused" in a.reason for a in answers), answers
    assert not list((tmp_path / "cache").rglob("*.json"))


def test_a_credential_never_follows_a_redirect_to_another_host(listener: Listener) -> None:
    from lockin_audit.facts import SourceFailure
    from lockin_audit.transport import Engine

    def answer(method: str, path: str, headers: dict[str, str],
               body: bytes) -> tuple[int, dict[str, str], bytes]:
        if path.startswith("/same"):
            return 200, {"Content-Type": "application/json"}, b'{"value": []}'
        if path.startswith("/local"):
            return 302, {"Location": "/same"}, b""
        return 302, {"Location": f"{listener.url}/steal"}, b""

    server = LocalHttpServer(answer)
    secret = {"Authorization": "Bearer token-that-must-stay-home"}

    async def go() -> tuple[HttpResponse, FetchError | None]:
        engine = Engine(timeout_s=5)
        try:
            ok = await engine.http("GET", f"{server.url}/local", headers=secret)
            try:
                await engine.http("GET", f"{server.url}/away", headers=secret)
            except SourceFailure as exc:
                return ok, exc.error
            return ok, None
        finally:
            await engine.aclose()

    try:
        ok, refused = asyncio.run(go())
    finally:
        server.stop()
    assert ok.status == 200 and ok.redirects == (f"{server.url}/local",)
    assert refused is not None and f"{listener.url}/steal" in refused.reason
    assert "credentials" in refused.reason
    assert listener.contacts == []


@pytest.mark.parametrize(("path", "write_route"), [
    ("/v1.0/directoryObjects/getByIds", "/v1.0/invitations"),
    ("/v3/projects/acme-prod:getIamPolicy", "/v3/projects/acme-prod:setIamPolicy"),
])
def test_a_307_never_turns_a_read_post_into_a_write(path: str, write_route: str) -> None:
    """Graph getByIds and Resource Manager getIamPolicy are POSTs that read; a 307 to a
    write route on the same host would re-send the POST, token and body included."""
    from lockin_audit.facts import SourceFailure
    from lockin_audit.transport import Engine

    seen: list[tuple[str, str]] = []

    def answer(method: str, p: str, headers: dict[str, str],
               body: bytes) -> tuple[int, dict[str, str], bytes]:
        seen.append((method, p))
        if p == path:
            return 307, {"Location": write_route}, b""
        return 201, {"Content-Type": "application/json"}, b"{}"

    server = LocalHttpServer(answer)

    async def go() -> FetchError | None:
        engine = Engine(timeout_s=5)
        try:
            await engine.http("POST", server.url + path, json_body={"ids": ["x"]},
                              headers={"Authorization": "Bearer t"})
        except SourceFailure as exc:
            return exc.error
        finally:
            await engine.aclose()
        return None

    try:
        error = asyncio.run(go())
    finally:
        server.stop()
    assert seen == [("POST", path)]
    assert error is not None and "307" in error.reason and write_route in error.reason
    assert error.kind == "malformed"


class _StaticToken:
    """A TokenCredential handing out one fixed token (azure-core's protocol)."""

    token = "arm-token-" + uuid.uuid4().hex

    def get_token(self, *scopes: str, **kwargs: Any) -> Any:
        from azure.core.credentials import AccessToken

        return AccessToken(self.token, int(time.time()) + 3600)


@pytest.mark.parametrize("how", ["sdk_paging", "our_reader", "sdk_redirect"])
def test_an_arm_next_link_to_another_host_never_gets_the_token(
        how: str, tmp_path: Path) -> None:
    """ARM pages through `nextLink`; one naming another host (a listener with a valid
    certificate, so that only the rule can stop the request) is refused before the
    token is attached, in the SDK's own paging, in our list reader, and on a redirect."""
    from lockin_audit.config import AzureTarget
    from lockin_audit.guards import ForeignHostRefused
    from lockin_audit.sources.azure import client_kwargs, raw_list, to_fetch_error

    server_tls, ca_path = _tls(tmp_path, "127.0.0.1", "127.0.0.2")
    thief = Listener(tls=server_tls)
    sid = "00000000-0000-4000-8000-00000000abcd"

    def arm(method: str, path: str, headers: dict[str, str],
            body: bytes) -> tuple[int, dict[str, str], bytes]:
        import json

        if how == "sdk_redirect":
            return 307, {"Location": f"{thief.url}{path}"}, b""
        page = {"value": [{"id": f"/subscriptions/{sid}", "subscriptionId": sid,
                           "displayName": "Acme", "state": "Enabled"}]
                if "subscriptions?" in path or path.startswith("/subscriptions?") else [],
                "nextLink": f"{thief.url}/subscriptions?api-version=2022-12-01&page=2"}
        return 200, {"Content-Type": "application/json"}, json.dumps(page).encode()

    server = LocalHttpServer(arm, tls=server_tls)
    try:
        opts = AzureTarget(arm_endpoint=server.url, ca_bundle=ca_path)
        kwargs = client_kwargs(opts)
        from azure.mgmt.resource.resources import ResourceManagementClient
        from azure.mgmt.resource.subscriptions import SubscriptionClient

        with pytest.raises(ForeignHostRefused) as err:
            if how == "our_reader":
                client = ResourceManagementClient(_StaticToken(), sid, **kwargs)
                raw_list(client, f"/subscriptions/{sid}/providers/Microsoft.Solutions/"
                         "applications", "2019-07-01", base=kwargs["base_url"])
            else:
                list(SubscriptionClient(_StaticToken(), **kwargs)
                     .subscriptions.list())
        assert thief.url in str(err.value)
        error = to_fetch_error(err.value, "GET /subscriptions", "subscriptions")
        assert error.kind == "malformed" and thief.url in error.reason
        assert _StaticToken.token not in error.reason
    finally:
        server.stop()
        thief.stop()
    assert thief.contacts == []


def _bomb() -> bytes:
    import gzip
    import io

    buf = io.BytesIO()
    with gzip.GzipFile(fileobj=buf, mode="wb", compresslevel=9) as gz:
        zeros = b"\0" * (1 << 20)
        for _ in range(300):  # 300 MB of zeros
            gz.write(zeros)
    return buf.getvalue()


BOMB_SCRIPT = r"""
import asyncio, json, resource, sys
from pathlib import Path
from lockin_audit.config import config_from_mapping
from lockin_audit.sources.interface import SourceContext
from lockin_audit.sources.rdap import rdap_client
from lockin_audit.transport import Engine

url, cache = sys.argv[1], Path(sys.argv[2])
cfg = config_from_mapping({"client": {"name": "A"}, "provider": {"name": "B"},
                           "scan": {"rdap": {"bootstrap_url": url + "/bootstrap/"}}},
                          cache / "audit.yaml")
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

async def go():
    engine = Engine(timeout_s=30)
    try:
        client = rdap_client(SourceContext(cfg, engine, {}, cache), "rdap")
        return await client.get_json(url + "/com/domain/bomb.com")
    finally:
        await engine.aclose()

answer = asyncio.run(go())
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"reason": getattr(answer, "reason", None), "kind": getattr(answer, "kind", None),
                  "grew_kb": after - before}))
"""


def test_a_gzip_bomb_is_cut_at_the_cap_while_it_streams(tmp_path: Path) -> None:
    import json

    bomb = _bomb()
    assert len(bomb) < 400_000  # ~300 KB on the wire, 300 MB inflated

    def answer(method: str, path: str, headers: dict[str, str],
               body: bytes) -> tuple[int, dict[str, str], bytes]:
        return 200, {"Content-Type": "application/rdap+json", "Content-Encoding": "gzip"}, bomb

    server = LocalHttpServer(answer)
    try:
        proc = subprocess.run([sys.executable, "-c", BOMB_SCRIPT, server.url, str(tmp_path)],
                              capture_output=True, text=True, env=_env(), timeout=300)
    finally:
        server.stop()
    assert proc.returncode == 0, proc.stderr
    got = json.loads(proc.stdout.strip().splitlines()[-1])
    assert got["kind"] == "malformed" and "larger than" in got["reason"], got
    assert "max_answer_bytes.rdap" in got["reason"]
    assert got["grew_kb"] < 64 * 1024, got  # far below the 300 MB (and 1.6 GB) of old
    assert not list((tmp_path / "rdap").glob("*.json")) if (tmp_path / "rdap").exists() else True


def test_the_answer_cap_is_configurable_per_source(tmp_path: Path) -> None:
    from lockin_audit.config import config_from_mapping
    from lockin_audit.transport import ANSWER_LIMITS, Engine, answer_limit

    cfg = config_from_mapping({"client": {"name": "A"}, "provider": {"name": "B"},
                               "scan": {"limits": {"max_answer_bytes": {"rdap": 4096}}}},
                              tmp_path / "audit.yaml")
    assert answer_limit("rdap", cfg.scan.limits.max_answer_bytes) == 4096
    assert answer_limit("graph", cfg.scan.limits.max_answer_bytes) == ANSWER_LIMITS["graph"]
    assert Engine.from_limits(cfg.scan.limits).answer_limits == {"rdap": 4096}


def test_a_checked_address_is_the_one_connected_to(tmp_path: Path) -> None:
    """DNS rebinding: the name is resolved once, the address checked, and the connection
    made to that address (the TLS certificate still checked for the name). Here the name
    does not resolve at all outside the engine's own resolution, so the request can only
    succeed through the pinned address; 127.0.0.3 is listed in scan.allow_hosts."""
    from lockin_audit.transport import Engine, UrlRule

    server_tls, ca_path = _tls(tmp_path, "rdap.rebind.test")
    seen: list[str] = []

    def answer(method: str, path: str, headers: dict[str, str],
               body: bytes) -> tuple[int, dict[str, str], bytes]:
        seen.append(headers.get("Host", ""))
        return 200, {"Content-Type": "application/json"}, b'{"ok": true}'

    server = LocalHttpServer(answer, tls=server_tls, host="127.0.0.3")
    port = int(server.url.rsplit(":", 1)[1])

    class OneAnswer(Engine):
        async def _resolve(self, host: str, port: int) -> list[str]:
            return ["127.0.0.3"] if host == "rdap.rebind.test" else []

    async def go() -> HttpResponse:
        engine = OneAnswer(timeout_s=5)
        try:
            return await engine.http("GET", f"https://rdap.rebind.test:{port}/x",
                                     verify=ca_path, rule=UrlRule(
                                         frozenset(), AllowList.of(["127.0.0.3"])))
        finally:
            await engine.aclose()

    try:
        resp = asyncio.run(go())
    finally:
        server.stop()
    assert resp.status == 200 and resp.url == f"https://rdap.rebind.test:{port}/x"
    assert seen == [f"rdap.rebind.test:{port}"]


@pytest.mark.parametrize("encoding", ["identity", "gzip"])
def test_an_arm_answer_past_the_cap_is_not_read_whole(encoding: str, tmp_path: Path) -> None:
    """The Azure SDK reads through requests, not the engine: its session reads each answer
    through the same kind of cap (here 1 MB against a 20 MB page)."""
    import gzip
    import json

    from lockin_audit.config import AzureTarget
    from lockin_audit.guards import AnswerTooLarge
    from lockin_audit.sources.azure import client_kwargs, to_fetch_error

    server_tls, ca_path = _tls(tmp_path, "127.0.0.1")
    sid = "00000000-0000-4000-8000-00000000abcd"
    page = json.dumps({"value": [{"id": f"/subscriptions/{sid}", "subscriptionId": sid,
                                  "displayName": "x" * 1000, "state": "Enabled"}] * 20_000
                       }).encode()
    headers = {"Content-Type": "application/json"}
    if encoding == "gzip":
        page = gzip.compress(page)
        headers["Content-Encoding"] = "gzip"

    server = LocalHttpServer(lambda m, p, h, b: (200, headers, page), tls=server_tls)
    try:
        from azure.mgmt.resource.subscriptions import SubscriptionClient

        kwargs = client_kwargs(AzureTarget(arm_endpoint=server.url, ca_bundle=ca_path),
                               1 << 20)
        with pytest.raises(AnswerTooLarge) as err:
            list(SubscriptionClient(_StaticToken(), **kwargs)
                     .subscriptions.list())
    finally:
        server.stop()
    error = to_fetch_error(err.value, "GET /subscriptions", "subscriptions")
    assert error.kind == "malformed" and "larger than 1048576 bytes" in error.reason


def test_a_cache_folder_others_can_write_to_is_not_used(tmp_path: Path) -> None:
    """A cache in a folder another user could write to could feed us forged answers:
    such a folder is neither read nor written."""
    from lockin_audit.demo.rdap_server import RdapData, RdapServer

    shared = tmp_path / "cache"
    shared.mkdir()
    shared.chmod(0o777)
    server = RdapServer(RdapData())
    try:
        server.data = _registry_answer(
            server, "acmedental.com", f"{server.url}/registrar/domain/acmedental.com")
        _rdap_scan(server, "acmedental.com", tmp_path)
    finally:
        server.stop()
    assert not (shared / "rdap").exists() or not list((shared / "rdap").iterdir())


def test_a_graph_next_link_to_another_host_never_gets_the_token(
        listener: Listener, tmp_path: Path) -> None:
    """Graph's @odata.nextLink naming another host (the recording listener) is refused
    before the token is added; a same-host link is followed."""
    import json

    from lockin_audit.config import config_from_mapping
    from lockin_audit.sources.graph import GraphClient, GraphError, _TokenCache
    from lockin_audit.sources.interface import SourceContext
    from lockin_audit.transport import Engine

    token = "graph-token-" + uuid.uuid4().hex
    seen: list[str] = []

    def graph(method: str, path: str, headers: dict[str, str],
              body: bytes) -> tuple[int, dict[str, str], bytes]:
        seen.append(path)
        nxt = ("/v1.0/users?page=2" if "page" not in path
               else f"{listener.url}/v1.0/users?page=3")
        return 200, {"Content-Type": "application/json"}, json.dumps(
            {"value": [{"id": path}], "@odata.nextLink": nxt}).encode()

    class Tokens(_TokenCache):
        """The client's token cache, handing out one fixed token."""

        def __init__(self) -> None:
            super().__init__(None, "https://graph.example/.default", None)

        async def get(self, ctx: SourceContext, host: str) -> str:
            return token

    server = LocalHttpServer(graph)
    cfg = config_from_mapping({"client": {"name": "A"}, "provider": {"name": "B"}},
                              tmp_path / "audit.yaml")

    async def go() -> FetchError | None:
        engine = Engine(timeout_s=5)
        try:
            client = GraphClient(SourceContext(cfg, engine, {}, None), server.url,
                                 Tokens(), True, "https://login.example")
            try:
                await client.get_list("/users", "users")
            except GraphError as exc:
                return exc.error
            return None
        finally:
            await engine.aclose()

    try:
        error = asyncio.run(go())
    finally:
        server.stop()
    assert seen == ["/v1.0/users", "/v1.0/users?page=2"]
    assert error is not None and error.kind == "malformed"
    assert listener.url in error.request
    assert listener.contacts == []


def test_evidence_names_where_a_redirected_answer_came_from(tmp_path: Path) -> None:
    """A registrar link that redirects (within the configured server) is followed, and
    the evidence names both the link and the URL that answered."""
    from lockin_audit.demo.rdap_server import RdapData, RdapServer

    server = RdapServer(RdapData())
    old = f"{server.url}/registrar/old/acmedental.com"
    new = f"{server.url}/registrar/domain/acmedental.com"
    try:
        data = _registry_answer(server, "acmedental.com", old)
        watch(server).faults.append(rdap_fault(
            "/registrar/old/acmedental.com", 302,
            headers={"Location": "/registrar/domain/acmedental.com"}))
        server.data = data
        result = _rdap_scan(server, "acmedental.com", tmp_path)
    finally:
        server.stop()
    reg = [f for f in result.findings if f.control == "domain.registration"
           and f.key == "registrant"]
    assert reg and reg[0].status is Status.PASS, [(f.status, f.detail) for f in reg]
    requests = [e.request for f in reg for e in f.evidence]
    assert any(f"{old} (redirected to {new})" in r for r in requests), requests
