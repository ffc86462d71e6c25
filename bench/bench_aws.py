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

from lockin_audit import registry  # noqa: E402
from lockin_audit.config import config_from_mapping  # noqa: E402
from lockin_audit.demo import aws as demo_aws  # noqa: E402
from lockin_audit.engine import Scanner  # noqa: E402


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
           latency: float, concurrency: int) -> None:
    ideal = calls * latency / concurrency
    print(f"{name}: {accounts} account(s), {calls} API calls, {findings} findings, "
          f"wall {wall:.2f} s, ideal {ideal:.2f} s, wall/ideal {wall / ideal:.2f}x")


def prowler_baseline(proxy: str, wall: float) -> None:
    exe = shutil.which("prowler")
    if not exe:
        print("baseline: Prowler is not installed (pip install prowler in the bench "
              "environment); baseline not run")
        return
    env = dict(os.environ, AWS_ENDPOINT_URL=proxy)
    started = time.perf_counter()
    proc = subprocess.run(
        [exe, "aws", "--services", "iam", "kms", "ec2", "s3", "cloudtrail", "organizations",
         "backup", "--region", "us-east-1", "--no-banner", "-M", "csv",
         "-o", "/tmp/prowler-bench"], env=env, capture_output=True, text=True, timeout=1800)
    took = time.perf_counter() - started
    if proc.returncode not in (0, 3):  # 3: Prowler found failing checks
        print(f"baseline: Prowler could not be pointed at the endpoint (exit "
              f"{proc.returncode}): {proc.stderr.strip()[-300:]}")
        return
    print(f"baseline: Prowler {took:.2f} s on the same endpoint; lockin-audit is "
          f"{took / wall:.1f}x faster")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--members", type=int, default=50)
    ap.add_argument("--latency", type=float, default=0.03)
    ap.add_argument("--concurrency", type=int, default=16)
    ap.add_argument("--no-baseline", action="store_true")
    args = ap.parse_args()
    for k, v in demo_aws.CREDENTIALS.items():
        if v:
            os.environ[k] = v
    server, endpoint = demo_aws.start_moto()
    proxy = demo_aws.StubServer({}, upstream=endpoint, delay_s=args.latency)
    try:
        client_id, ami = demo_aws.seed_demo(endpoint)
        org = demo_aws.seed_session(endpoint)("organizations")
        for n in range(args.members - 1):
            org.create_account(AccountName=f"member-{n}", Email=f"m{n}@bobsit.example")
        # The proxy answers what moto lacks quickly (as AWS would) and forwards the rest.
        proxy.answers.update(demo_aws.stub_answers(ami))
        common = {"endpoint_url": proxy.url, "max_rps": 1000}
        one = dict(common, name="one", regions="all",
                   role_arns=[f"arn:aws:iam::{client_id}:role/{demo_aws.AUDIT_ROLE}"])
        wall, calls, accts, found = scan(one, args.concurrency)
        report("one account, all regions", wall, calls, accts, found, args.latency,
               args.concurrency)
        many = dict(common, name="org", regions=["us-east-1"],
                    organization_role_name="OrganizationAccountAccessRole")
        wall2, calls2, accts2, found2 = scan(many, args.concurrency)
        report(f"organization of {args.members} members", wall2, calls2, accts2, found2,
               args.latency, args.concurrency)
        if not args.no_baseline:
            prowler_baseline(proxy.url, wall)
    finally:
        proxy.stop()
        server.stop()


if __name__ == "__main__":
    main()
