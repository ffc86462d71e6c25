"""AWS benchmark (not a test): how close the AWS source gets to the ideal wall time.

Two scenarios against moto's server behind a local proxy that adds ~30 ms to every call:
  1. one account across all regions moto reports enabled;
  2. an Organization of 50 member accounts (one region), entered by role assumption
     from the management account.
For each it prints the API calls issued, the wall time, and the ratio to the ideal
(calls x latency / concurrency). Goal: within 2x the ideal.

Baseline: Prowler (pip install prowler, in the bench environment only) is run over the
same services with AWS_ENDPOINT_URL pointing at the same proxy when it is installed;
otherwise the bench says so. Goal: at least 5x faster than that baseline.

    python bench/bench_aws.py [--members 50] [--latency 0.03] [--concurrency 16]
                              [--prowler PATH] [--no-baseline]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from lockin_audit import registry
from lockin_audit.config import config_from_mapping
from lockin_audit.demo import aws as demo_aws
from lockin_audit.engine import Scanner


def scan(target: dict[str, Any], concurrency: int) -> tuple[float, int, int, int]:
    cfg = config_from_mapping({
        "client": {"name": "Acme Dental LLC"},
        "provider": {"name": "Bob's IT Services", "aws_account_ids": ["123456789012"]},
        "scan": {"aws": [target], "limits": {"concurrency": concurrency, "timeout_s": 60}},
    }, Path("bench.yaml"))
    scanner = Scanner(cfg, registry.select(registry.all_checks(), areas=["aws"]))
    started = time.perf_counter()
    result = asyncio.run(scanner.run())
    wall = time.perf_counter() - started
    accounts = sum(1 for c in result.coverage if c.assessed)
    return wall, scanner.engine.stats.calls, accounts, len(result.findings)


def report(name: str, wall: float, calls: int, accounts: int, findings: int,
           latency: float, concurrency: int, service_s: float) -> None:
    ideal = calls * latency / concurrency
    # moto answers one request at a time (one interpreter): its own service time is a
    # floor no client-side concurrency can go under.
    floor = max(ideal, calls * service_s)
    print(f"{name}: {accounts} account(s), {calls} API calls, {findings} findings, "
          f"wall {wall:.2f} s, ideal {ideal:.2f} s, wall/ideal {wall / ideal:.2f}x; "
          f"moto floor {floor:.2f} s, wall/floor {wall / floor:.2f}x")


def moto_service_time(endpoint: str) -> float:
    """Mean time moto needs per request when it is otherwise idle."""
    import boto3

    ec2 = boto3.client("ec2", endpoint_url=endpoint, region_name="us-east-1")
    ec2.describe_instances()
    started = time.perf_counter()
    for _ in range(30):
        ec2.describe_instances()
    return (time.perf_counter() - started) / 30


def prowler_baseline(proxy: str, wall: float, exe: str | None, timeout_s: float) -> None:
    exe = exe or shutil.which("prowler")
    if not exe:
        print("baseline: Prowler is not installed (pip install prowler in the bench "
              "environment); baseline not run")
        return
    env = dict(os.environ, AWS_ENDPOINT_URL=proxy)
    started = time.perf_counter()
    # The same services as the AWS checks read, in every region (as the scan does).
    try:
        proc = subprocess.run(
            [exe, "aws", "--services", "iam", "kms", "ec2", "s3", "cloudtrail",
             "organizations", "backup", "rds", "account", "--no-banner", "-M", "csv",
             "--ignore-exit-code-3", "-o", "/tmp/prowler-bench"],
            env=env, capture_output=True, text=True, timeout=timeout_s)
    except subprocess.TimeoutExpired:
        print(f"baseline: Prowler did not finish within {timeout_s:.0f} s on the same "
              f"endpoint; lockin-audit is more than {timeout_s / wall:.0f}x faster")
        return
    took = time.perf_counter() - started
    if proc.returncode != 0:
        print(f"baseline: Prowler could not be pointed at the endpoint (exit "
              f"{proc.returncode}): {proc.stderr.strip()[-300:]}")
        return
    print(f"baseline: Prowler {took:.2f} s on the same endpoint; lockin-audit is "
          f"{took / wall:.1f}x faster")


def moto_process() -> tuple[subprocess.Popen[bytes], str]:
    import socket
    import urllib.request

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p",
                             str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            urllib.request.urlopen(url + "/moto-api/", timeout=1)
            return proc, url
        except OSError:
            time.sleep(0.1)
    proc.terminate()
    raise SystemExit("moto server did not start")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--members", type=int, default=50)
    ap.add_argument("--latency", type=float, default=0.03)
    ap.add_argument("--concurrency", type=int, default=16)
    ap.add_argument("--no-baseline", action="store_true")
    ap.add_argument("--prowler", help="path of the prowler executable (default: on PATH)")
    ap.add_argument("--prowler-timeout", type=float, default=900.0)
    ap.add_argument("--only-org", action="store_true",
                    help="run only the Organization scenario")
    args = ap.parse_args()
    for k, v in demo_aws.CREDENTIALS.items():
        if v:
            os.environ[k] = v
    # moto runs in its own process so that its work does not share our interpreter's GIL.
    server, endpoint = moto_process()
    proxy = demo_aws.StubServer({}, upstream=endpoint, delay_s=args.latency)
    try:
        client_id, ami = demo_aws.seed_demo(endpoint)
        org = demo_aws.seed_session(endpoint)("organizations")
        for n in range(args.members - 1):
            org.create_account(AccountName=f"member-{n}", Email=f"m{n}@bobsit.example")
        # The proxy answers what moto lacks quickly (as AWS would) and forwards the rest.
        # The demo account's IAM Access Analyzer (an account analyzer in us-east-1) is served
        # for the one-account scenarios; the Organization's members have none (AWS answers
        # ListAnalyzers with an empty list there).
        proxy.answers.update(demo_aws.stub_answers(ami, client_id))
        service_s = moto_service_time(endpoint)
        print(f"moto service time {service_s * 1000:.1f} ms per call; added latency "
              f"{args.latency * 1000:.0f} ms; concurrency {args.concurrency}")
        common = {"endpoint_url": proxy.url, "max_rps": 1000}
        one = dict(common, name="one", regions="all",
                   role_arns=[f"arn:aws:iam::{client_id}:role/{demo_aws.AUDIT_ROLE}"])
        # A first, unmeasured pass: moto builds each region's default VPC and backends on
        # first touch, a cost of the simulator, not of the scan.
        wall = 0.0
        if not args.only_org:
            scan(one, args.concurrency)
            wall, calls, accts, found = scan(one, args.concurrency)
            report("one account, all regions", wall, calls, accts, found, args.latency,
                   args.concurrency, service_s)
            demo = dict(one, name="demo", regions=list(demo_aws.REGIONS))
            scan(demo, args.concurrency)
            wall3, calls3, accts3, found3 = scan(demo, args.concurrency)
            report("the demo account, its two regions", wall3, calls3, accts3, found3,
                   args.latency, args.concurrency, service_s)
        for key in [k for k in proxy.answers if k[:2] == ("access-analyzer", "ListAnalyzers")]:
            del proxy.answers[key]
        proxy.answers[("access-analyzer", "ListAnalyzers")] = {"analyzers": []}
        # moto lists an Identity Center instance in every account; a member account of a
        # real Organization lists none (the instance is the management account's), so the
        # members' sso-admin ListInstances is answered as AWS does, and no permission sets
        # of a phantom instance are read
        proxy.answers[("sso", "ListInstances")] = {"Instances": []}
        # ... and the blank members received no resource share (the demo's received
        # share, answered to every account above, is the demo client's)
        proxy.answers[("ram", "GetResourceShares")] = {"resourceShares": []}
        many = dict(common, name="org", regions=["us-east-1"],
                    organization_role_name="OrganizationAccountAccessRole")
        scan(many, args.concurrency)
        wall2, calls2, accts2, found2 = scan(many, args.concurrency)
        report(f"organization of {args.members} members", wall2, calls2, accts2, found2,
               args.latency, args.concurrency, service_s)
        if not args.no_baseline and not args.only_org:
            prowler_baseline(proxy.url, wall, args.prowler, args.prowler_timeout)
    finally:
        proxy.stop()
        server.terminate()
        server.wait()


if __name__ == "__main__":
    main()
