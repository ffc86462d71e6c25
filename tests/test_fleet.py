"""Fleet mode: many clients' scans in one engine (shared pool, rate limits and public-data
caches), against the local RDAP service."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import hashlib
import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from lockin_audit import registry
from lockin_audit.config import AuditConfig, config_from_mapping
from lockin_audit.demo import CLIENT, PROVIDER
from lockin_audit.demo.fleet import FleetClient, fleet_clients, fleet_rdap, fleet_zones, write_fleet
from lockin_audit.demo.knot import KnotServer, knotd_path
from lockin_audit.demo.local_http import LocalHttpServer, Reply
from lockin_audit.demo.rdap import demo_data
from lockin_audit.demo.rdap_server import RdapData, RdapServer
from lockin_audit.engine import Scanner, ScanOptions
from lockin_audit.fleet import (
    ClientOutcome,
    FleetError,
    Shard,
    fleet_exit_code,
    parse_shard,
    shard_of,
    slugify,
)
from lockin_audit.history import open_store
from lockin_audit.model import ScanResult
from lockin_audit.report.portfolio import build_portfolio, write_portfolio
from lockin_audit.transport import Engine
from tests.hooks import hooks, watch

TODAY = dt.date.today()
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture()
def rdap() -> Iterator[RdapServer]:
    server = RdapServer(RdapData())
    server.data = demo_data(server.url, TODAY)
    watch(server)
    yield server
    server.stop()


def test_scans_in_one_engine_share_public_answers_and_leave_it_open(rdap: RdapServer) -> None:
    checks = [c for c in registry.select(registry.all_checks(), areas=["domain"])
              if c.meta.source == "rdap"]

    def config(name: str, domains: list[str]) -> AuditConfig:
        return config_from_mapping({
            "client": {**CLIENT, "name": name}, "provider": PROVIDER,
            "scan": {"domains": domains, "rdap": {"bootstrap_url": rdap.bootstrap_url}}},
            Path(f"{name}.yaml"))

    async def fleet() -> list[ScanResult]:
        engine = Engine(timeout_s=5)
        try:
            scans = [Scanner(config(f"client {n}", ["acmedental.com", "acmesmiles.com"]),
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
    assert hooks(rdap).log.count_path("/bootstrap/dns.json") == 2
    assert hooks(rdap).log.count_path("/com/domain/acmedental.com") == 1
    assert hooks(rdap).log.count_path("/registrar/domain/acmedental.com") == 1


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


# ---------------------------------------------------------------------------- shards


def test_shard_spec_and_errors() -> None:
    assert parse_shard(None) is None
    assert parse_shard("2/5") == Shard(2, 5, "--shard 2/5")
    for bad in ("0/3", "4/3", "1/0", "a/b", "1", "-1/2", "1/2/3"):
        with pytest.raises(FleetError):
            parse_shard(bad)
    with pytest.raises(FleetError, match="only used with --shard auto"):
        parse_shard(None, count=3)


@pytest.mark.parametrize(("env", "count", "expected"), [
    ({"LOCKIN_AUDIT_SHARD": "3/4"}, None, (3, 4)),
    ({"JOB_COMPLETION_INDEX": "0"}, 3, (1, 3)),  # Kubernetes: 0-based, count by flag
    ({"AWS_BATCH_JOB_ARRAY_INDEX": "4", "AWS_BATCH_JOB_ARRAY_SIZE": "5"}, None, (5, 5)),
    ({"AWS_BATCH_JOB_ARRAY_INDEX": "1"}, 2, (2, 2)),
    ({"CI_NODE_INDEX": "2", "CI_NODE_TOTAL": "2"}, None, (2, 2)),  # GitLab: 1-based
    ({"CIRCLE_NODE_INDEX": "0", "CIRCLE_NODE_TOTAL": "4"}, None, (1, 4)),
    ({"BUILDKITE_PARALLEL_JOB": "1", "BUILDKITE_PARALLEL_JOB_COUNT": "3"}, None, (2, 3)),
])
def test_shard_auto_from_job_engines(env: dict[str, str], count: int | None,
                                     expected: tuple[int, int]) -> None:
    shard = parse_shard("auto", env=env, count=count)
    assert shard is not None and (shard.index, shard.count) == expected


@pytest.mark.parametrize(("env", "count", "message"), [
    ({}, None, "found no shard in the environment"),
    ({"JOB_COMPLETION_INDEX": "1"}, None, "--shard-count"),
    ({"JOB_COMPLETION_INDEX": "3"}, 3, "outside 1..3"),
    ({"JOB_COMPLETION_INDEX": "x"}, 3, "whole number"),
    ({"AWS_BATCH_JOB_ARRAY_INDEX": "0", "AWS_BATCH_JOB_ARRAY_SIZE": "2"}, 3, "disagrees"),
    ({"LOCKIN_AUDIT_SHARD": "5"}, None, "must be I/N"),
])
def test_shard_auto_errors(env: dict[str, str], count: int | None, message: str) -> None:
    with pytest.raises(FleetError, match=re.escape(message)):
        parse_shard("auto", env=env, count=count)


def test_every_client_lands_in_exactly_one_shard_by_name_not_order() -> None:
    names = [c.name for c in fleet_clients(120, 1)]
    for count in (1, 2, 3, 7):
        shards = {i: {n for n in names if shard_of(n, count) == i}
                  for i in range(1, count + 1)}
        assert set().union(*shards.values()) == set(names)
        assert sum(len(s) for s in shards.values()) == len(names)
        if count > 1:  # the hash spreads the clients
            assert all(len(s) > len(names) / count / 3 for s in shards.values())
    # stable: the same on every machine and Python version (sha256 of the folded name)
    assert shard_of("Pine Street Dental", 4) == shard_of("  pine  STREET dental ", 4) == \
        int.from_bytes(hashlib.sha256(b"pine street dental").digest()[:8], "big") % 4 + 1
    assert slugify("Oak & Ash Architects") == "oak-ash-architects"
    assert slugify("Zürich Ärzte AG") == "zurich-arzte-ag" and slugify("???") == "client"


def test_fleet_exit_code_precedence() -> None:
    def o(code: int) -> ClientOutcome:
        return ClientOutcome("c", "c", "c.yaml", code)

    assert fleet_exit_code([]) == 0
    assert fleet_exit_code([o(0), o(1)]) == 1
    assert fleet_exit_code([o(1), o(4)]) == 4
    assert fleet_exit_code([o(4), o(3), o(1)]) == 3
    assert fleet_exit_code([o(0), o(2), o(3)]) == 2


# ------------------------------------------------- a fleet against Knot and local RDAP

MARKER = "ZX-MARKER-7731-PINE"  # planted in one client; must appear in no other's output


@dataclass
class FleetFiles:
    folder: Path
    clients: list[FleetClient]
    rdap: RdapServer
    env: dict[str, str]


@pytest.fixture(scope="module")
def fleet_files(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FleetFiles]:
    """8 clients (Knot serves their zones and the provider's shared zone; the local RDAP
    service their registrations), one of them carrying a marker in its DNS, inventory and
    aliases, one with AWS credentials that do not work, plus an audit file that is invalid."""
    if knotd_path() is None:
        pytest.skip("knotd is not installed")
    tmp = tmp_path_factory.mktemp("fleet")
    clients = fleet_clients(8, 2)
    zones = fleet_zones(clients)
    first = clients[0].domains[0]
    zones[first] += f'marker TXT "{MARKER}"\n@ TXT "site-verification={MARKER}"\n'
    knot = KnotServer(tmp / "knot", zones).start(timeout_s=30)
    rdap = RdapServer(RdapData())
    rdap.data = fleet_rdap(rdap.url, clients)
    watch(rdap)
    folder = tmp / "clients"
    write_fleet(folder, clients, knot.address, rdap.bootstrap_url)
    # the marker in client 0's inventory and aliases
    inv = folder / "inventory" / f"{clients[0].slug}.yaml"
    data = yaml.safe_load(inv.read_text())
    data["contracts"][0]["account_number"] = MARKER
    data["contracts"][0]["notes"] = f"circuit {MARKER}"
    inv.write_text(yaml.safe_dump(data))
    audit = folder / f"{clients[0].slug}.yaml"
    data = yaml.safe_load(audit.read_text())
    data["client"]["aliases"] = [f"{MARKER} Holdings"]
    audit.write_text(yaml.safe_dump(data))
    # client 6 (nothing held by the provider): its AWS profile does not exist (dead
    # credentials): an incomplete scan
    audit = folder / f"{clients[6].slug}.yaml"
    data = yaml.safe_load(audit.read_text())
    data["scan"]["aws"] = [{"profile": "lockin-fleet-test-no-such-profile",
                            "regions": ["us-east-1"]}]
    audit.write_text(yaml.safe_dump(data))
    (folder / "broken.yaml").write_text(
        "client:\n  name: Broken Co\nprovider:\n  name: X\nscan:\n  domians: [x.test]\n")
    aws_config = tmp / "aws-config"
    aws_config.write_text("")
    env = {"XDG_CACHE_HOME": str(tmp / "cache"), "AWS_CONFIG_FILE": str(aws_config),
           "AWS_SHARED_CREDENTIALS_FILE": str(aws_config), "CI": "true",
           "XDG_DATA_HOME": str(tmp / "data")}
    try:
        yield FleetFiles(folder, clients, rdap, env)
    finally:
        knot.stop()
        rdap.stop()


def fleet_cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "lockin_audit", "fleet", *args],
                          capture_output=True, text=True, timeout=120,
                          env={**os.environ, "PYTHONPATH": str(ROOT), **env})


@pytest.fixture(scope="module")
def fleet_run(fleet_files: FleetFiles, tmp_path_factory: pytest.TempPathFactory
              ) -> tuple[subprocess.CompletedProcess[str], Path]:
    out = tmp_path_factory.mktemp("fleet-out")
    # a quoted glob, as a job spec passes it without a shell
    proc = fleet_cli("scan", str(fleet_files.folder / "*.yaml"), "-o", str(out),
                     "-f", "html,json,md,sarif,csv,junit", "--jobs", "3", "--fail-on-gaps",
                     env=fleet_files.env)
    return proc, out


def test_fleet_scan_writes_each_clients_reports_and_reports_failures_per_client(
        fleet_files: FleetFiles, fleet_run: tuple[subprocess.CompletedProcess[str], Path]
) -> None:
    proc, out = fleet_run
    summary = json.loads((out / "fleet.json").read_text())
    rows = {r["name"]: r for r in summary["clients"]}
    assert len(rows) == 9, proc.stderr
    # the invalid file is reported for itself (exit 2, naming the file and key) ...
    broken = rows["broken"]
    assert broken["exit_code"] == 2 and "domians" in broken["error"]
    assert "broken.yaml" in broken["error"]
    # ... and never stopped the others: every client has its reports, as `scan` writes them
    for c in fleet_files.clients:
        row = rows[c.name]
        assert row["error"] is None and row["slug"] == c.slug
        folder = out / c.slug
        for name in ("report.html", "report.json", "report.md", "report.sarif",
                     "report.csv", "report.junit.xml", "letter.md"):
            assert (folder / name).is_file(), (c.name, name)
        result = json.loads((folder / "report.json").read_text())
        assert result["client"]["name"] == c.name
        assert row["score"] == result["readiness"]["score"]
    # dead credentials: that client is incomplete (exit 4 with --fail-on-gaps), the rest not
    dead = rows[fleet_files.clients[6].name]
    assert dead["complete"] is False and dead["exit_code"] == 4
    assert all(rows[c.name]["complete"] for c in fleet_files.clients if c.n != 6)
    # provider-held domains fail at high: exit 1 for those clients
    assert rows[fleet_files.clients[1].name]["exit_code"] == 1
    # the fleet: the bad file's 2 comes first
    assert proc.returncode == 2 == summary["exit_code"], proc.stderr
    assert "NOT SCANNED" in proc.stderr and "broken" in proc.stderr
    # one engine: the RDAP bootstrap once for 8 clients, every domain's answers once
    assert hooks(fleet_files.rdap).log.count_path("/bootstrap/dns.json") == 1
    for c in fleet_files.clients:
        for d in c.domains:
            assert hooks(fleet_files.rdap).log.count_path(f"/test/domain/{d}") == 1


def test_no_client_appears_in_another_clients_output(
        fleet_files: FleetFiles, fleet_run: tuple[subprocess.CompletedProcess[str], Path]
) -> None:
    _, out = fleet_run
    mine = out / fleet_files.clients[0].slug
    planted = [p for p in mine.rglob("*") if p.is_file() and MARKER in p.read_text("utf-8")]
    assert {p.name for p in planted} >= {"report.json", "report.html", "report.md"}
    others = [p for p in out.rglob("*") if p.is_file() and mine not in p.parents
              and p.parent != out]
    assert len(others) > 7 * 6
    leaked = [str(p) for p in others if MARKER in p.read_text("utf-8")]
    assert leaked == []
    # nor the client's own domain names or its name
    c0 = fleet_files.clients[0]
    for p in others:
        text = p.read_text("utf-8")
        assert c0.domains[0] not in text and c0.name not in text, p


def test_shards_split_the_fleet_and_bad_shards_exit_2(fleet_files: FleetFiles,
                                                      tmp_path: Path) -> None:
    files = str(fleet_files.folder / "*.yaml")
    bad = fleet_cli("scan", files, "--shard", "3/2", "-o", str(tmp_path), env=fleet_files.env)
    assert bad.returncode == 2 and "outside 1..2" in bad.stderr and "Traceback" not in bad.stderr
    auto = fleet_cli("scan", files, "--shard", "auto", "-o", str(tmp_path),
                     env={**fleet_files.env, "JOB_COMPLETION_INDEX": "0"})
    assert auto.returncode == 2 and "--shard-count" in auto.stderr


def test_single_machine_fleet_records_in_sqlite_and_writes_the_portfolio(
        fleet_files: FleetFiles, fleet_run: tuple[subprocess.CompletedProcess[str], Path]
) -> None:
    proc, out = fleet_run
    assert f"Portfolio: {(out / 'portfolio.html').resolve()}" in proc.stdout
    store_file = Path(fleet_files.env["XDG_DATA_HOME"]) / "lockin-audit" / "history.sqlite"
    with open_store(store_file) as store:
        scans = store.scans()
    assert sorted(s.client for s in scans) == sorted(c.name for c in fleet_files.clients)
    portfolio = json.loads((out / "portfolio.json").read_text())
    rows = {r["client"]: r for r in portfolio["rows"]}
    assert set(rows) == {c.name for c in fleet_files.clients}
    dead = rows[fleet_files.clients[6].name]
    assert dead["state"] == "incomplete" and dead["grade"] is None
    held = rows[fleet_files.clients[2].name]  # two provider-held domains
    assert held["provider_held"]["domain"] > 0 and held["change"] is None
    assert held["report"] == f"{fleet_files.clients[2].slug}/report.html"
    assert held["next_deadline"]["date"] and len(held["trend"]) == 1
    html = (out / "portfolio.html").read_text()
    assert "<script" not in html and "http://" not in html and "https://" not in html
    assert "Oak &amp; Ash Architects" in html and "incomplete" in html
    assert html.count("<svg") == len(rows)


def test_two_shards_at_once_on_one_postgresql(pg_url: str, tmp_path: Path) -> None:
    """Two `fleet scan --shard` processes at the same time over 20 audit files against
    Knot and the local RDAP service, both recording into one PostgreSQL database: every
    client is scanned by exactly one shard and recorded exactly once; the portfolio built
    from the store afterwards has 20 rows, each linking to its report."""
    if knotd_path() is None:
        pytest.skip("knotd is not installed")
    clients = fleet_clients(20, 2)
    knot = KnotServer(tmp_path / "knot", fleet_zones(clients)).start(timeout_s=30)
    rdap = RdapServer(RdapData())
    rdap.data = fleet_rdap(rdap.url, clients)
    watch(rdap)
    try:
        write_fleet(tmp_path / "clients", clients, knot.address, rdap.bootstrap_url)
        env = {**os.environ, "PYTHONPATH": str(ROOT), "CI": "true",
               "XDG_CACHE_HOME": str(tmp_path / "cache")}
        procs = [subprocess.Popen(
            [sys.executable, "-m", "lockin_audit", "fleet", "scan",
             str(tmp_path / "clients" / "*.yaml"), "--shard", f"{i}/2", "--history", pg_url,
             "-o", str(tmp_path / f"out{i}"), "--jobs", "4", "-q"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
            for i in (1, 2)]
        outputs = [p.communicate(timeout=120) for p in procs]
    finally:
        knot.stop()
        rdap.stop()
    for p, (stdout, stderr) in zip(procs, outputs, strict=True):
        assert p.returncode == 1, stderr  # provider-held domains, nothing else wrong
        assert "fleet report" in stdout  # a sharded run leaves the portfolio to the report
    shards = [json.loads((tmp_path / f"out{i}" / f"fleet-shard-{i}-of-2.json").read_text())
              for i in (1, 2)]
    names = [[r["name"] for r in s["clients"]] for s in shards]
    assert names[0] and names[1] and not set(names[0]) & set(names[1])
    assert sorted(names[0] + names[1]) == sorted(c.name for c in clients)
    assert shards[0]["clients_in_other_shards"] == len(names[1])
    with open_store(pg_url) as store:
        scans = store.scans()
    assert len(scans) == 20 and len({s.client for s in scans}) == 20
    report = subprocess.run(
        [sys.executable, "-m", "lockin_audit", "fleet", "report", "--history", pg_url,
         "-o", str(tmp_path / "portfolio"), "--reports", str(tmp_path / "out1"),
         "--reports", str(tmp_path / "out2")],
        capture_output=True, text=True, env=env, timeout=60)
    assert report.returncode == 0, report.stderr
    portfolio = json.loads((tmp_path / "portfolio" / "portfolio.json").read_text())
    assert portfolio["clients"] == 20 and len(portfolio["rows"]) == 20
    for row in portfolio["rows"]:
        link = tmp_path / "portfolio" / row["report"]
        assert link.is_file() and json.loads(
            (link.parent / "report.json").read_text())["client"]["name"] == row["client"]


def test_demo_fleet_runs_offline_and_ends_with_the_portfolio(tmp_path: Path) -> None:
    if knotd_path() is None:
        pytest.skip("knotd is not installed")
    proc = subprocess.run([sys.executable, "-m", "lockin_audit", "demo", "--fleet", "-o",
                           "fleet-demo"], capture_output=True, text=True, timeout=120,
                          cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(ROOT),
                                             "XDG_CACHE_HOME": str(tmp_path / "cache")})
    assert proc.returncode == 0, proc.stderr
    last = proc.stdout.strip().splitlines()[-1]
    assert last == f"Portfolio: {(tmp_path / 'fleet-demo' / 'portfolio.html').resolve()}"
    portfolio = json.loads((tmp_path / "fleet-demo" / "portfolio.json").read_text())
    assert len(portfolio["rows"]) == 6 and all(r["report"] for r in portfolio["rows"])
    assert (tmp_path / "fleet-demo" / "history.sqlite").is_file()


def test_the_documented_job_specs_use_real_options() -> None:
    """The GitHub Actions workflow and the Kubernetes manifest in docs/ parse, and every
    option their lockin-audit command lines use exists."""
    workflow = yaml.safe_load((ROOT / "docs/fleet/github-actions.yml").read_text())
    manifests = list(yaml.safe_load_all(
        (ROOT / "docs/fleet/kubernetes-indexed-job.yaml").read_text()))
    lines = [step["run"] for job in workflow["jobs"].values() for step in job["steps"]
             if "lockin-audit fleet" in step.get("run", "")]
    args = [" ".join(c["args"]) for m in manifests
            for c in m["spec"]["template"]["spec"]["containers"]]
    assert manifests[0]["spec"]["completionMode"] == "Indexed"
    assert "--shard-count=4" in args[0] and manifests[0]["spec"]["completions"] == 4
    helps = {cmd: fleet_cli(cmd, "--help", env={}).stdout for cmd in ("scan", "report")}
    for text in lines + args:
        cmd = "report" if "report" in text.split()[:3] else "scan"
        for option in re.findall(r"(?<![\w-])(--[a-z][a-z-]+)", text):
            assert option in helps[cmd], (option, text)


def test_portfolio_change_trend_and_escaping(
        fleet_files: FleetFiles, fleet_run: tuple[subprocess.CompletedProcess[str], Path],
        tmp_path: Path) -> None:
    _, out = fleet_run
    c = fleet_files.clients[2]
    result = ScanResult.from_dict(json.loads((out / c.slug / "report.json").read_text()))
    hostile = '<script>alert("x")</script> & Sons'
    with open_store(tmp_path / "h.sqlite") as store:
        store.record(result, hostile)
        fewer = [f for f in result.findings if f.asset.id != c.domains[0]]
        store.record(dataclasses.replace(result, findings=tuple(fewer)), hostile)
        portfolio = build_portfolio(store, report_dirs=[out], outdir=tmp_path)
    html_path, _ = write_portfolio(portfolio, tmp_path)
    (row,) = portfolio.rows
    assert row.change is not None and row.change["provider_held"] < 0  # one domain handed over
    assert len(row.trend) == 2 and row.report is None  # no such client in the fleet's folder
    html = html_path.read_text()
    assert "<script" not in html and "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; Sons" in html
    assert f'<span class="up">{row.change["provider_held"]:+d}</span>' in html  # fewer: better


def test_each_clients_aws_profile_and_role_serve_that_client_only(tmp_path: Path) -> None:
    """Two clients in one fleet, each with its own AWS profile and the read-only role in
    its own member account (moto's server mode, real boto3): each report shows its own
    account and user, never the other client's."""
    from lockin_audit.demo import aws as demo_aws

    server, endpoint = demo_aws.start_moto()
    # the operations moto lacks answer at once (denied / not here) instead of 500 + retries
    stub = demo_aws.StubServer({("ram", "GetResourceShares"): 403,
                                ("account", "GetContactInformation"): 403,
                                ("directconnect", "DescribeVirtualInterfaces"): 404},
                               upstream=endpoint)
    try:
        org = demo_aws.seed_session(endpoint)("organizations")
        try:  # moto's state lives in the process: another test may have made it already
            org.create_organization(FeatureSet="ALL")
        except org.exceptions.AlreadyInOrganizationException:
            pass
        accounts = {}
        for who in ("a", "b"):
            acct = org.create_account(AccountName=f"client {who}", Email=f"aws@{who}.test")[
                "CreateAccountStatus"]["AccountId"]
            iam = demo_aws.seed_session(endpoint, acct)("iam")
            iam.create_role(RoleName=demo_aws.AUDIT_ROLE,
                            AssumeRolePolicyDocument=demo_aws.trust_policy(acct))
            user = f"{MARKER.lower()}-{who}"  # an admin login of the provider's technician
            iam.create_user(UserName=user, Tags=[{"Key": "email",
                                                  "Value": f"{user}@harbormsp.example"}])
            iam.create_login_profile(UserName=user, Password="Test-Only-Password-1")
            accounts[who] = acct
        (tmp_path / "aws-config").write_text("".join(
            f"[profile client-{w}]\naws_access_key_id = AKIACLIENT{w.upper()}000000000\n"
            f"aws_secret_access_key = secret-{w}\nregion = us-east-1\n" for w in "ab"))
        for who, acct in accounts.items():
            (tmp_path / f"{who}.yaml").write_text(yaml.safe_dump({
                "client": {"name": f"Client {who.upper()}", "aws_account_ids": [acct]},
                "provider": {"name": "Harbor Managed IT", "domains": ["harbormsp.example"],
                             "aws_account_ids": [demo_aws.PROVIDER_ACCOUNT]},
                "scan": {"aws": [{"profile": f"client-{who}", "endpoint_url": endpoint,
                                  "regions": ["us-east-1"],
                                  "service_endpoints": {"account": stub.url, "ram": stub.url,
                                                        "directconnect": stub.url},
                                  "role_arns": [f"arn:aws:iam::{acct}:role/"
                                                f"{demo_aws.AUDIT_ROLE}"]}],
                         "limits": {"timeout_s": 20}}}))
        env = {k: v for k, v in os.environ.items()  # no credentials but the profiles
               if not k.startswith("AWS_")}
        env.update({"AWS_CONFIG_FILE": str(tmp_path / "aws-config"),
                    "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "aws-config"),
                    "AWS_EC2_METADATA_DISABLED": "true", "CI": "true",
                    "PYTHONPATH": str(ROOT)})
        proc = subprocess.run(
            [sys.executable, "-m", "lockin_audit", "fleet", "scan", str(tmp_path / "*.yaml"),
             "--only", "aws", "--no-history", "-o", str(tmp_path / "out"), "-f", "json"],
            capture_output=True, text=True, timeout=120, env=env)
    finally:
        stub.stop()
        server.stop()
    assert proc.returncode in (0, 1, 4), proc.stderr
    for who, other in (("a", "b"), ("b", "a")):
        text = (tmp_path / "out" / f"client-{who}" / "report.json").read_text()
        result = json.loads(text)
        assert any(c["assessed"] and accounts[who] in c["target"]
                   for c in result["coverage"]), result["coverage"]
        assert f"{MARKER.lower()}-{who}" in text
        assert accounts[other] not in text and f"{MARKER.lower()}-{other}" not in text
