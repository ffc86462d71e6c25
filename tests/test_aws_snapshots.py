"""AWS checks judged from small AwsFacts snapshots, no server (issue 19 item 5): each read
a `facts.Fetched` (source "aws"), round-tripped through the fact codec as `judge` replays
it. The server-driven tests of the source are in tests/test_aws.py."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from lockin_audit import registry
from lockin_audit.check import CheckContext
from lockin_audit.facts import Fetched, FetchError, fact_from_json, fact_to_json
from lockin_audit.identity import Identity
from lockin_audit.model import Asset, Finding, Status
from lockin_audit.sources.aws_facts import (
    AccessKey,
    Analyzer,
    AnalyzerFinding,
    AwsFacts,
    IamSnapshot,
    KeyLastUse,
    KmsKey,
    RegionFacts,
    Role,
    Tag,
    User,
    UserCredentials,
)
from lockin_audit.sources.aws_policy import parse_policy
from lockin_audit.sources.interface import Target

CLIENT_ACCOUNT, PROVIDER_ACCOUNT = "222233334444", "111122223333"
CLIENT = {"name": "Acme Dental LLC", "domains": ["acmedental.com"],
          "aws_account_ids": [CLIENT_ACCOUNT]}
PROVIDER = {"name": "Bob's IT Services", "domains": ["bobsit.example"],
            "aws_account_ids": [PROVIDER_ACCOUNT]}
NOW = "2026-12-01T00:00:00Z"
HOME = f"in eu-west-1 of {CLIENT_ACCOUNT}"


def read(request: str, value: Any) -> Fetched[Any]:
    return Fetched("aws", f"{request} {HOME}", value, NOW)


def denied(request: str, permission: str) -> FetchError:
    return FetchError("aws", f"{request} {HOME}", "access denied (AccessDenied): not "
                      "authorized", kind="denied", permission=permission)


def unread(request: str) -> Fetched[Any]:
    return read(request, FetchError("aws", request, "not read in this snapshot"))


def account(**fields: Any) -> AwsFacts:
    """An AwsFacts snapshot of one account; reads not given were not made."""
    base: dict[str, Any] = dict(
        account_id=CLIENT_ACCOUNT, label="Acme production", partition="aws",
        caller_arn=f"arn:aws:sts::{CLIENT_ACCOUNT}:assumed-role/audit/lockin-audit",
        regions=("eu-west-1",), organization=read("organizations:DescribeOrganization", None),
        org_accounts=None, contact=unread("account:GetContactInformation"),
        alternate_contacts=(), iam=unread("iam:GetAccountAuthorizationDetails"),
        credentials={}, saml_providers=unread("iam:ListSAMLProviders"),
        oidc_providers=unread("iam:ListOpenIDConnectProviders"),
        buckets=unread("s3:ListBuckets"), hosted_zones=unread("route53:ListHostedZones"),
        domains=unread("route53domains:ListDomains"), regional=())
    base.update(fields)
    return AwsFacts(**base)


def judge(check_id: str, facts: AwsFacts) -> list[Finding]:
    c = next(x for x in registry.all_checks() if x.id == check_id)
    target = Target("aws", "aws", CLIENT_ACCOUNT, "t", Asset("x", "t"))
    ctx = CheckContext(c.meta, target, Identity.from_mappings(CLIENT, [PROVIDER]),
                       dt.date(2026, 12, 6), {})
    return c.run(fact_from_json(json.loads(json.dumps(fact_to_json(facts)))), ctx)


# iam:ListUsers, GetLoginProfile, ListAccessKeys, GetAccessKeyLastUsed, ListMFADevices:
# https://docs.aws.amazon.com/IAM/latest/APIReference/API_ListUsers.html and the pages of
# each operation (PasswordLastUsed is absent when the password was never used)


def user(name: str, email: str, last_use: Fetched[str] | None) -> User:
    return User(name, f"arn:aws:iam::{CLIENT_ACCOUNT}:user/{name}", "/",
                (Tag("email", email),), (), (), (), last_use)


def credentials(name: str, *, mfa: Fetched[bool], key_use: Fetched[KeyLastUse]
                ) -> Fetched[UserCredentials]:
    key = AccessKey("AKIAIOSFODNN7EXAMPLE", "Active", "2026-01-02 10:00:00+00:00", key_use)
    return read(f"iam:GetLoginProfile, ListAccessKeys, ListMFADevices(UserName={name})",
                UserCredentials(read("iam:GetLoginProfile", True),
                                read("iam:ListAccessKeys", (key,)), mfa))


def test_aws_users_failed_reads_provider_user_and_pass_side_by_side() -> None:
    # the IAM snapshot itself could not be read: an error, never a pass
    failed = judge("aws.access.users", account(iam=read(
        "iam:GetAccountAuthorizationDetails", denied(
            "iam:GetAccountAuthorizationDetails", "iam:GetAccountAuthorizationDetails"))))
    assert [f.status for f in failed] == [Status.ERROR]

    # the provider's user, with its MFA, key last use and password last use unread
    list_users = read("iam:ListUsers", denied("iam:ListUsers", "iam:ListUsers"))
    bob = user("bob", "bob@bobsit.example", list_users)
    creds = credentials("bob", mfa=read("iam:ListMFADevices", denied(
        "iam:ListMFADevices", "iam:ListMFADevices")), key_use=read(
        "iam:GetAccessKeyLastUsed", denied("iam:GetAccessKeyLastUsed",
                                           "iam:GetAccessKeyLastUsed")))
    (found,) = judge("aws.access.users", account(
        iam=read("iam:GetAccountAuthorizationDetails", IamSnapshot((), (bob,), ())),
        credentials={"bob": creds}))
    assert found.status is Status.FAIL
    assert "Console password: yes (last used unknown)" in found.detail
    assert "MFA: unknown (access denied" in found.detail
    assert "last used unknown (access denied" in found.detail
    assert "AKIAIOSFODNN7EXAMPLE" not in found.detail  # key ids are masked
    missing = {e.excerpt.get("missing_permission") for e in found.evidence
               if isinstance(e.excerpt, dict)}
    assert {"iam:ListUsers", "iam:ListMFADevices", "iam:GetAccessKeyLastUsed"} <= missing

    # the client's own user, everything read: a pass that names what it read
    alice = user("alice", "alice@acmedental.com", read("iam:ListUsers", ""))
    ok = judge("aws.access.users", account(
        iam=read("iam:GetAccountAuthorizationDetails", IamSnapshot((), (alice,), ())),
        credentials={"alice": credentials(
            "alice", mfa=read("iam:ListMFADevices", True),
            key_use=read("iam:GetAccessKeyLastUsed", KeyLastUse("", "")))}))
    assert [f.status for f in ok] == [Status.PASS]
    assert "alice" in ok[0].detail

    # the client's user whose MFA read failed: an error for it, so no pass
    partly = judge("aws.access.users", account(
        iam=read("iam:GetAccountAuthorizationDetails", IamSnapshot((), (alice,), ())),
        credentials={"alice": credentials(
            "alice", mfa=read("iam:ListMFADevices", denied(
                "iam:ListMFADevices", "iam:ListMFADevices")),
            key_use=read("iam:GetAccessKeyLastUsed", KeyLastUse("", "")))}))
    assert [f.status for f in partly] == [Status.ERROR]


def region(*keys: KmsKey) -> RegionFacts:
    empty = read("(none)", ())
    return RegionFacts(
        region="eu-west-1", kms_keys=read("kms:ListKeys", keys), volumes=empty,
        instances=empty, images=None, databases=empty, network=(), backup_plans=empty,
        backup_vaults=empty, trails=empty, sso_instances=empty)


def key(name: str, manager: Fetched[str], principal: str) -> KmsKey:
    arn = f"arn:aws:kms:eu-west-1:{CLIENT_ACCOUNT}:key/{name}"
    # kms:GetKeyPolicy: https://docs.aws.amazon.com/kms/latest/APIReference/API_GetKeyPolicy.html
    policy = parse_policy({"Version": "2012-10-17", "Statement": [{
        "Sid": "Enable IAM User Permissions", "Effect": "Allow",
        "Principal": {"AWS": f"arn:aws:iam::{principal}:root"}, "Action": "kms:*",
        "Resource": "*"}]})
    return KmsKey(arn, manager, read(f"kms:GetKeyPolicy(KeyId={arn})", policy),
                  read(f"kms:ListGrants(KeyId={arn})", ()))


def test_aws_kms_unread_manager_aws_managed_key_and_pass_side_by_side() -> None:
    buckets = read("s3:ListBuckets", ())
    # an AWS managed key is not judged (AWS holds it by design), even if its policy
    # names another account
    managed = judge("aws.keys.kms", account(buckets=buckets, regional=(region(
        key("aws-ebs", read("kms:DescribeKey", "AWS"), PROVIDER_ACCOUNT)),)))
    assert [f.status for f in managed] == [Status.PASS]

    # DescribeKey failed: the key is judged by its policy all the same, and the unread
    # manager is an error (no pass)
    unknown = judge("aws.keys.kms", account(buckets=buckets, regional=(region(
        key("k1", read("kms:DescribeKey", denied("kms:DescribeKey", "kms:DescribeKey")),
            CLIENT_ACCOUNT)),)))
    assert sorted(f.status for f in unknown) == [Status.ERROR]
    assert "kms:DescribeKey" in unknown[0].detail

    theirs = judge("aws.keys.kms", account(buckets=buckets, regional=(region(
        key("k2", read("kms:DescribeKey", "CUSTOMER"), PROVIDER_ACCOUNT)),)))
    assert [f.status for f in theirs] == [Status.FAIL]
    assert PROVIDER_ACCOUNT in theirs[0].detail


# accessanalyzer:ListAnalyzers and ListFindings (AnalyzerSummary, FindingSummary):
# https://docs.aws.amazon.com/access-analyzer/latest/APIReference/API_ListAnalyzers.html
# https://docs.aws.amazon.com/access-analyzer/latest/APIReference/API_ListFindings.html
# (the source lists the findings of each ACTIVE external-access analyzer, in listing order)


def analyzer_arn(region: str) -> str:
    return f"arn:aws:access-analyzer:{region}:{CLIENT_ACCOUNT}:analyzer/acme-analyzer"


def analyzed(region: str, findings: Fetched[Any]) -> RegionFacts:
    empty = read("(none)", ())
    return RegionFacts(
        region=region, kms_keys=empty, volumes=empty, instances=empty, images=None,
        databases=empty, network=(), backup_plans=empty, backup_vaults=empty, trails=empty,
        sso_instances=empty, analyzers=read("accessanalyzer:ListAnalyzers", (Analyzer(
            analyzer_arn(region), "acme-analyzer", "ACCOUNT", "ACTIVE"),)),
        findings=(findings,), covered_by=analyzer_arn(region))


def list_findings(region: str, value: Any) -> Fetched[Any]:
    return read(f"accessanalyzer:ListFindings(analyzerArn={analyzer_arn(region)})", value)


ROLE = f"arn:aws:iam::{CLIENT_ACCOUNT}:role/BobsITAdmin"


def provider_role() -> IamSnapshot:
    # iam:GetAccountAuthorizationDetails (RoleDetailList): a role the provider may assume
    trust = parse_policy({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{PROVIDER_ACCOUNT}:root"},
        "Action": "sts:AssumeRole"}]})
    return IamSnapshot((Role("BobsITAdmin", ROLE, "/", trust, (), (), (), ""),), (), ())


def test_aws_analyzer_unread_findings_provider_finding_and_pass_side_by_side() -> None:
    regions = ("us-east-1", "eu-west-1")
    clean_eu = list_findings("eu-west-1", ())
    iam = read("iam:GetAccountAuthorizationDetails", provider_role())

    # us-east-1's analyzer could not be read (denied, or unavailable): an error for that
    # analyzer naming access-analyzer:ListFindings; no pass (eu-west-1's analyzer alone does
    # not speak for the account), and no "the analyzer has no finding" disagreement for the
    # role our own evaluator flags: the analyzer's findings were not read
    for failure in (denied("accessanalyzer:ListFindings", "access-analyzer:ListFindings"),
                    FetchError("aws", "accessanalyzer:ListFindings", "timed out",
                               kind="timeout")):
        failed = judge("aws.access.analyzer", account(regions=regions, iam=iam, regional=(
            analyzed("us-east-1", list_findings("us-east-1", failure)),
            analyzed("eu-west-1", clean_eu))))
        assert [f.status for f in failed] == [Status.ERROR]
        assert failed[0].asset.id == analyzer_arn("us-east-1")
        assert "access-analyzer:ListFindings" in failed[0].detail
        assert "acme-analyzer (ACCOUNT, us-east-1)" in failed[0].detail

    # the analyzer reports the provider's access to the role: a provider fail
    finding = AnalyzerFinding(
        "0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0", analyzer_arn("us-east-1"), ROLE,
        "AWS::IAM::Role", CLIENT_ACCOUNT, (("AWS", PROVIDER_ACCOUNT),), False,
        ("sts:AssumeRole",), (), "ACTIVE")
    found = judge("aws.access.analyzer", account(regions=regions, iam=iam, regional=(
        analyzed("us-east-1", list_findings("us-east-1", (finding,))),
        analyzed("eu-west-1", clean_eu))))
    assert [(f.status, f.holder.value) for f in found] == [(Status.FAIL, "provider")]
    assert "found the same access" in found[0].detail

    # both analyzers read, no active finding: a pass naming both (the role our evaluator
    # flags is then a disagreement to settle, a warning)
    ok = judge("aws.access.analyzer", account(regions=regions, regional=(
        analyzed("us-east-1", list_findings("us-east-1", ())),
        analyzed("eu-west-1", clean_eu))))
    assert [f.status for f in ok] == [Status.PASS]
    assert "acme-analyzer (ACCOUNT, us-east-1), acme-analyzer (ACCOUNT, eu-west-1)" in (
        ok[0].detail)
    disagree = judge("aws.access.analyzer", account(regions=regions, iam=iam, regional=(
        analyzed("us-east-1", list_findings("us-east-1", ())),
        analyzed("eu-west-1", clean_eu))))
    assert [f.key for f in disagree if f.status is Status.WARN] == [f"disagree:{ROLE}"]


def test_aws_billing_failed_read_provider_organization_and_pass_side_by_side() -> None:
    """organizations:DescribeOrganization (https://docs.aws.amazon.com/organizations/latest/
    APIReference/API_DescribeOrganization.html): AWSOrganizationsNotInUseException when the
    account is in no Organization (the source reads that as None)."""
    from lockin_audit.sources.aws_facts import Organization

    def run(org: Any) -> list[Finding]:
        return judge("aws.billing.organization", account(
            organization=read("organizations:DescribeOrganization", org)))

    refused = denied("organizations:DescribeOrganization",
                     "organizations:DescribeOrganization")
    assert [f.status for f in run(refused)] == [Status.ERROR]
    theirs = run(Organization("o-abc123def4", PROVIDER_ACCOUNT, "aws@bobsit.example"))
    assert [f.status for f in theirs] == [Status.FAIL]
    alone = run(None)
    assert [f.status for f in alone] == [Status.PASS]
    assert "is not in an AWS Organization" in alone[0].detail  # says what was read
