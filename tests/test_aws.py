"""The AWS area against moto's server mode over HTTP (real boto3 clients, real API calls),
with several accounts: the provider's Organization, the client as a member account entered
by role assumption, and a small local endpoint serving the real response shapes of the
operations moto 5.2 lacks (and AccessDenied answers)."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import boto3
import jsonschema
import pytest

from lockin_audit import registry
from lockin_audit.config import config_from_mapping
from lockin_audit.demo import aws as demo_aws
from lockin_audit.engine import Scanner, WriteRefused
from lockin_audit.model import Evidence, Finding, Holder, ScanResult, Status
from lockin_audit.report.json_format import load_schema
from lockin_audit.scoring import scored
from lockin_audit.sources.aws import AwsSource, permission_for
from lockin_audit.sources.aws_guard import guard_session, is_read_only
from lockin_audit.sources.interface import SourceContext
from lockin_audit.transport import Engine

PROVIDER = demo_aws.PROVIDER_ACCOUNT
AWS_CHECKS = registry.select(registry.all_checks(), areas=["aws"])


class Estate:
    def __init__(self, endpoint: str, client_id: str, ami: str, stub: demo_aws.StubServer,
                 denied: demo_aws.StubServer) -> None:
        self.endpoint, self.client_id, self.ami = endpoint, client_id, ami
        self.stub, self.denied = stub, denied

    def target(self, **extra: Any) -> dict[str, Any]:
        base: dict[str, Any] = {
            "name": "acme", "endpoint_url": self.endpoint, "regions": ["us-east-1"],
            "role_arns": [f"arn:aws:iam::{self.client_id}:role/{demo_aws.AUDIT_ROLE}"],
            "service_endpoints": {"account": self.stub.url, "ram": self.stub.url,
                                  "ec2": self.stub.url, "directconnect": self.stub.url,
                                  "accessanalyzer": self.stub.url},
        }
        base.update(extra)
        return base

    def config(self, *targets: dict[str, Any], provider_ids: tuple[str, ...] = (PROVIDER,)
               ) -> Any:
        return config_from_mapping({
            "client": {"name": "Acme Dental LLC", "email_domains": ["acmedental.com"],
                       "domains": ["acmedental.com"], "aws_account_ids": [self.client_id]},
            "provider": {"name": "Bob's IT Services", "aliases": ["bobsit"],
                         "domains": ["bobsit.example"],
                         "aws_account_ids": list(provider_ids)},
            "scan": {"aws": list(targets), "limits": {"concurrency": 16, "timeout_s": 20}},
        }, Path("audit.yaml"))


@pytest.fixture(scope="module")
def estate() -> Iterator[Estate]:
    mp = pytest.MonkeyPatch()
    for k, v in demo_aws.CREDENTIALS.items():
        if v:
            mp.setenv(k, v)
        else:
            mp.delenv(k, raising=False)
    mp.delenv("AWS_PROFILE", raising=False)
    server, endpoint = demo_aws.start_moto()
    client_id, ami = demo_aws.seed_demo(endpoint)
    stub = demo_aws.StubServer(demo_aws.stub_answers(
        ami, client_id, demo_aws.client_key_arn(endpoint, client_id)), upstream=endpoint)
    # A second endpoint where the operations moto lacks are denied, and GetCallerIdentity
    # and everything else go on to moto.
    denied = demo_aws.StubServer({("ram", "GetResourceShares"): 403,
                                  ("account", "GetContactInformation"): 403,
                                  ("iam", "GetAccountAuthorizationDetails"): 403,
                                  ("directconnect", "DescribeVirtualInterfaces"): 404},
                                 upstream=endpoint)
    try:
        yield Estate(endpoint, client_id, ami, stub, denied)
    finally:
        stub.stop()
        denied.stop()
        server.stop()
        mp.undo()


def scan(config: Any) -> ScanResult:
    return asyncio.run(Scanner(config, AWS_CHECKS).run())


def by_check(result: ScanResult, check_id: str, account: str | None = None) -> list[Finding]:
    return [f for f in result.findings if f.check_id == check_id]


def fields(evidence: Evidence) -> Mapping[str, Any]:
    """An evidence excerpt that the test knows is a record (a JSON object)."""
    assert isinstance(evidence.excerpt, Mapping), evidence.excerpt
    return evidence.excerpt


@pytest.fixture(scope="module")
def demo_result(estate: Estate) -> ScanResult:
    return scan(estate.config(estate.target(regions=["us-east-1", "eu-west-1"])))


# ------------------------------------------------------------------ the read-only guard


def test_allow_list() -> None:
    assert is_read_only("iam", "ListUsers") and is_read_only("ec2", "DescribeImages")
    assert is_read_only("sts", "AssumeRole") and is_read_only("sts", "GetCallerIdentity")
    assert not is_read_only("iam", "CreateUser") and not is_read_only("s3", "PutObject")
    assert not is_read_only("ec2", "TerminateInstances")
    # reads by name that hand out secrets or credentials: not on the exact list
    for service, op in (("redshift", "GetClusterCredentials"), ("sts", "GetFederationToken"),
                        ("secretsmanager", "GetSecretValue"), ("iam", "ListRoles")):
        assert not is_read_only(service, op)


def test_guard_refuses_writes_before_they_leave(estate: Estate) -> None:
    session = guard_session(boto3.Session(region_name="us-east-1"))
    iam = session.client("iam", endpoint_url=estate.endpoint)
    s3 = session.client("s3", endpoint_url=estate.endpoint)
    with pytest.raises(WriteRefused, match="iam:CreateUser"):
        iam.create_user(UserName="intruder")
    with pytest.raises(WriteRefused, match="s3:PutObject"):
        s3.put_object(Bucket="bobsit-central-logs", Key="x", Body=b"x")
    assert iam.list_users()["Users"] == []  # reads still work, through the guard
    raw = boto3.Session(region_name="us-east-1")  # unguarded: prove nothing changed
    assert "intruder" not in [u["UserName"] for u in raw.client(
        "iam", endpoint_url=estate.endpoint).list_users()["Users"]]
    assert raw.client("s3", endpoint_url=estate.endpoint).list_objects_v2(
        Bucket="bobsit-central-logs").get("KeyCount", 0) == 0


def test_source_clients_are_guarded(estate: Estate) -> None:
    cfg = estate.config(estate.target())

    async def run() -> None:
        engine = Engine()
        src = AwsSource()
        (target,) = await src.targets(SourceContext(cfg, engine, {}, None))
        with pytest.raises(WriteRefused):
            target.options.client("iam", "us-east-1").create_user(UserName="x")
        await engine.aclose()

    asyncio.run(run())


# ------------------------------------------------------------------ the demo account


def test_every_check_yields_a_finding_per_account(demo_result: ScanResult) -> None:
    ids = {c.id for c in AWS_CHECKS}
    assert len(ids) >= 10
    assert ids <= {f.check_id for f in demo_result.findings}
    assert [c.assessed for c in demo_result.coverage] == [True]


def test_provider_organization_fails_billing(demo_result: ScanResult,
                                             estate: Estate) -> None:
    (f,) = by_check(demo_result, "aws.billing.organization")
    assert f.status is Status.FAIL and f.holder is Holder.PROVIDER
    assert f.asset.id == f"arn:aws:::account/{estate.client_id}"
    assert fields(f.evidence[0])["MasterAccountId"] == PROVIDER
    assert f.evidence[0].request.startswith("organizations:DescribeOrganization")


def test_roles_trusting_foreign_accounts(demo_result: ScanResult) -> None:
    found = {f.asset.name: f for f in by_check(demo_result, "aws.access.roles")}
    admin = found["BobsITAdmin"]
    assert admin.status is Status.FAIL and admin.severity.value == "critical"
    assert "administrator rights" in admin.detail and "ExternalId" in admin.detail
    vendor = found["DatadogIntegration"]
    assert vendor.holder is Holder.THIRD_PARTY and vendor.status is Status.MANUAL
    assert demo_aws.AUDIT_ROLE not in found  # trusts only the client's own account


def test_users_contacts_keys_network_images_backups(demo_result: ScanResult,
                                                    estate: Estate) -> None:
    users = by_check(demo_result, "aws.access.users")
    assert [(u.asset.name, u.status) for u in users] == [("bobsit-tech", Status.FAIL)]
    assert "Console password: yes" in users[0].detail
    contacts = {f.key: f for f in by_check(demo_result, "aws.contacts.account")}
    assert contacts["BILLING"].status is Status.FAIL
    assert contacts["SECURITY"].status is Status.PASS
    assert contacts["OPERATIONS"].status is Status.WARN
    assert contacts["primary"].status is Status.FAIL  # served by the local endpoint
    keys = by_check(demo_result, "aws.keys.kms")
    assert {k.asset.type for k in keys if k.status is Status.FAIL} == {"aws_kms_key",
                                                                        "aws_ebs_volume"}
    (net,) = by_check(demo_result, "aws.network.shared")
    assert net.status is Status.FAIL and net.asset.type == "aws_ram_share"
    (img,) = by_check(demo_result, "aws.images.instances")
    assert img.status is Status.FAIL and img.key == estate.ami
    (backup,) = by_check(demo_result, "aws.backups.copies")
    assert backup.status is Status.FAIL and "bobsit-dr" in backup.detail
    (trail,) = by_check(demo_result, "aws.logging.trails")
    # not in this account; its name carries the provider's alias as a whole word
    assert trail.holder is Holder.PROVIDER and "bobsit-central-logs" in trail.detail
    assert [f.status for f in by_check(demo_result, "aws.domains.route53")] == [Status.PASS]


def test_result_is_valid_and_has_no_secrets(demo_result: ScanResult) -> None:
    data = scored(demo_result).to_dict()
    jsonschema.Draft202012Validator(load_schema()).validate(data)
    text = json.dumps(data)
    assert demo_aws.CREDENTIALS["AWS_ACCESS_KEY_ID"] not in text
    assert not re.search(r"\b(ASIA|AKIA)[A-Z0-9]{16}\b", text)  # no (assumed) key ids
    assert "SecretAccessKey" not in text and "SessionToken" not in text


# ------------------------------------------------------------------ errors, never passes


def test_denied_and_missing_apis_become_errors(estate: Estate) -> None:
    target = estate.target(name="denied", service_endpoints={
        "account": estate.denied.url, "ram": estate.denied.url, "iam": estate.denied.url,
        # an API this endpoint does not have (404), as moto 5.2 lacks DescribeVirtualInterfaces
        "directconnect": estate.denied.url,
    })
    result = scan(estate.config(target))
    errors = [f for f in result.findings if f.status is Status.ERROR]
    perms = {fields(e.evidence[0]).get("missing_permission") for e in errors}
    assert {"account:GetContactInformation", "ram:GetResourceShares",
            "iam:GetAccountAuthorizationDetails"} <= perms
    for check_id in ("aws.access.roles", "aws.access.users"):
        (found,) = by_check(result, check_id)
        assert found.status is Status.ERROR
        assert "iam:GetAccountAuthorizationDetails" in found.detail
    net = by_check(result, "aws.network.shared")
    assert Status.PASS not in {f.status for f in net}  # an unread API is never fine
    assert any("directconnect:DescribeVirtualInterfaces" in f.detail
               and "not available" in f.detail for f in net)


def test_failed_role_assumption_is_an_error_per_check(estate: Estate) -> None:
    target = estate.target(name="bad-role", service_endpoints={"sts": estate.denied.url},
                           role_arns=["arn:aws:iam::444455556666:role/Nope"],
                           external_id="shared-secret-123")
    estate.denied.answers[("sts", "AssumeRole")] = 403
    try:
        result = scan(estate.config(target))
    finally:
        del estate.denied.answers[("sts", "AssumeRole")]
    assert {f.status for f in result.findings} == {Status.ERROR}
    assert {f.check_id for f in result.findings} == {c.id for c in AWS_CHECKS}
    assert result.coverage[0].assessed is False
    assert "sts:AssumeRole" in (result.coverage[0].reason or "")
    assert "shared-secret-123" not in json.dumps(result.to_dict())  # ExternalId redacted


def test_timeouts_become_errors(estate: Estate) -> None:
    slow = demo_aws.StubServer({("ram", "GetResourceShares"): {"resourceShares": []}},
                               delay_s=1.5)
    try:
        target = estate.target(name="slow", timeout_s=0.3, max_attempts=2, service_endpoints={
            **estate.target()["service_endpoints"], "ram": slow.url})
        result = scan(estate.config(target))
    finally:
        slow.stop()
    net = by_check(result, "aws.network.shared")
    assert Status.PASS not in {f.status for f in net}
    assert any(f.status is Status.ERROR and "no answer in time" in f.detail for f in net)


# ------------------------------------------------------------------ several accounts


def test_organization_members_are_enumerated(estate: Estate) -> None:
    target = estate.target(name="org", role_arns=[], organization_role_name=(
        "OrganizationAccountAccessRole"), service_endpoints={
            "ram": estate.stub.url, "directconnect": estate.stub.url})
    cfg = estate.config(target)

    async def run() -> list[str]:
        engine = Engine()
        ids = [t.id for t in await AwsSource().targets(SourceContext(cfg, engine, {}, None))]
        await engine.aclose()
        return ids

    ids = asyncio.run(run())
    assert ids[0] == PROVIDER and estate.client_id in ids
    result = scan(cfg)
    per_account = {f.asset.id for f in result.findings
                   if f.check_id == "aws.billing.organization"}
    assert per_account == {f"arn:aws:::account/{a}" for a in ids}
    mgmt = [f for f in by_check(result, "aws.contacts.account") if f.key == "root-email"]
    assert any(f.status is Status.FAIL and "aws-acme@bobsit.example" in f.detail
               for f in mgmt)


# ------------------------------------------------------------------ helpers


def test_permission_names() -> None:
    assert permission_for("s3", "GetBucketEncryption") == "s3:GetEncryptionConfiguration"
    assert permission_for("sso-admin", "ListInstances") == "sso:ListInstances"


def test_unusable_credentials_fail_only_their_entry(estate: Estate, monkeypatch:
                                                    pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent")
    broken = {"name": "broken", "profile": "no-such-profile", "endpoint_url": estate.endpoint,
              "regions": ["us-east-1"]}
    result = scan(estate.config(broken, estate.target()))
    bad = [c for c in result.coverage if not c.assessed]
    assert [c.target for c in bad] == ["AWS credentials broken"]
    assert "no-such-profile" in (bad[0].reason or "")
    assert any(c.assessed for c in result.coverage)
    assert {f.status for f in result.findings if f.asset.type == "aws_credentials"} == {
        Status.ERROR}


def test_policy_document_covers_every_call(estate: Estate) -> None:
    cfg = estate.config(estate.target())

    async def run() -> set[tuple[str, str]]:
        engine = Engine()
        src = AwsSource()
        ctx = SourceContext(cfg, engine, {}, None)
        try:
            (target,) = await src.targets(ctx)
            await src.fetch(target, ctx)
            return set(target.options.operations)
        finally:
            await engine.aclose()

    ops = asyncio.run(run())
    used = {permission_for(service, op) for service, op in ops}
    policy = json.loads((Path(__file__).parent.parent / "docs" /
                         "aws-readonly-policy.json").read_text())
    allowed = {a for s in policy["Statement"] for a in s["Action"]}
    assert len(used) > 25 and used <= allowed, used - allowed
    # every operation the scan sent through moto is on the guard's exact allow-list
    assert all(is_read_only(service, op) for service, op in ops), \
        sorted(o for o in ops if not is_read_only(*o))


# ------------------------------------------------------------------ a second member account

_SAML = ('<EntityDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata" '
         'entityID="https://login.bobsit.example/saml"><IDPSSODescriptor '
         'protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">'
         + "<KeyDescriptor/>" * 100  # SAML metadata is at least 1000 characters
         + '<SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" '
         'Location="https://login.bobsit.example/sso"/></IDPSSODescriptor></EntityDescriptor>')


@pytest.fixture(scope="module")
def dev_result(estate: Estate) -> tuple[str, ScanResult]:
    """A second member account with the provider's identity provider, a Route 53 domain
    registered to the provider, a zone for the client's domain, a peering to the provider's
    VPC, and a bucket replicating to, and encrypted with a key of, the provider's account."""
    provider = demo_aws.seed_session(estate.endpoint)
    dev = provider("organizations").create_account(
        AccountName="acme-dev", Email="dev@acmedental.com")["CreateAccountStatus"]["AccountId"]
    c = demo_aws.seed_session(estate.endpoint, dev)
    c("iam").create_saml_provider(SAMLMetadataDocument=_SAML, Name="BobsITSSO")
    c("route53").create_hosted_zone(Name="acmedental.com", CallerReference="dev")
    contact = {"FirstName": "Bob", "LastName": "Smith", "ContactType": "COMPANY",
               "OrganizationName": "Bob's IT Services", "AddressLine1": "1 Main St",
               "City": "Springfield", "State": "IL", "CountryCode": "US", "ZipCode": "12345",
               "PhoneNumber": "+1.5550100", "Email": "domains@bobsit.example"}
    c("route53domains").register_domain(DomainName="acmesmiles.com", DurationInYears=2,
                                        AdminContact=contact, RegistrantContact=contact,
                                        TechContact=contact)
    peer = provider("ec2").create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
    own = c("ec2").create_vpc(CidrBlock="10.8.0.0/16")["Vpc"]["VpcId"]
    c("ec2").create_vpc_peering_connection(VpcId=own, PeerVpcId=peer, PeerOwnerId=PROVIDER)
    s3 = c("s3")
    s3.create_bucket(Bucket="acme-dev-data")
    s3.put_bucket_versioning(Bucket="acme-dev-data",
                             VersioningConfiguration={"Status": "Enabled"})
    s3.put_bucket_replication(Bucket="acme-dev-data", ReplicationConfiguration={
        "Role": f"arn:aws:iam::{dev}:role/replication", "Rules": [{
            "ID": "dr", "Status": "Enabled", "Priority": 1, "Filter": {},
            "DeleteMarkerReplication": {"Status": "Disabled"},
            "Destination": {"Bucket": "arn:aws:s3:::bobsit-dr-bucket", "Account": PROVIDER}}]})
    s3.put_bucket_encryption(Bucket="acme-dev-data", ServerSideEncryptionConfiguration={
        "Rules": [{"ApplyServerSideEncryptionByDefault": {
            "SSEAlgorithm": "aws:kms", "KMSMasterKeyID":
            f"arn:aws:kms:us-east-1:{PROVIDER}:key/1234abcd-12ab-34cd-56ef-1234567890ab"}}]})
    dx = demo_aws.StubServer({("directconnect", "DescribeVirtualInterfaces"): {
        "virtualInterfaces": [demo_aws.virtual_interface(PROVIDER)]}})
    target = estate.target(name="dev", role_arns=[f"arn:aws:iam::{dev}:role/Audit"])
    target["service_endpoints"] = {**target["service_endpoints"], "directconnect": dx.url}
    try:
        return dev, scan(estate.config(target))
    finally:
        dx.stop()


def test_identity_provider_domains_and_zones(dev_result: tuple[str, ScanResult]) -> None:
    dev, result = dev_result
    (idp,) = by_check(result, "aws.access.identity_providers")
    assert idp.status is Status.FAIL and "login.bobsit.example" in idp.detail
    found = {(f.asset.id, f.key): f for f in by_check(result, "aws.domains.route53")}
    assert found[("acmesmiles.com", "route53domains")].status is Status.FAIL
    zone = found[("acmedental.com", "zone")]
    assert zone.holder is Holder.CLIENT and dev in zone.detail


def test_peering_replication_and_bucket_keys(dev_result: tuple[str, ScanResult]) -> None:
    _, result = dev_result
    net = by_check(result, "aws.network.shared")
    assert {f.asset.type for f in net if f.status is Status.FAIL} >= {
        "aws_vpc_peering", "aws_dx_virtual_interface"}
    (backup,) = by_check(result, "aws.backups.copies")
    assert backup.status is Status.FAIL and "bobsit-dr-bucket" in backup.detail
    keys = by_check(result, "aws.keys.kms")
    assert any(f.asset.id == "arn:aws:s3:::acme-dev-data" and f.status is Status.FAIL
               for f in keys)


def test_doctor_names_each_account(estate: Estate) -> None:
    cfg = estate.config(estate.target(), {"name": "bad", "endpoint_url": estate.endpoint,
                                          "role_arns": ["arn:aws:iam::444455556666:role/N"],
                                          "service_endpoints": {"sts": estate.denied.url}})
    estate.denied.answers[("sts", "AssumeRole")] = 403

    async def run() -> list[tuple[str, bool, str]]:
        engine = Engine()
        try:
            return await AwsSource().doctor(SourceContext(cfg, engine, {}, None))
        finally:
            await engine.aclose()

    try:
        lines = asyncio.run(run())
    finally:
        del estate.denied.answers[("sts", "AssumeRole")]
    assert [ok for _, ok, _ in lines] == [True, False]
    assert estate.client_id in lines[0][0] and "sts:AssumeRole" in lines[1][2]


def test_unidentified_management_account_is_listed(estate: Estate) -> None:
    result = scan(estate.config(estate.target(), provider_ids=()))
    (billing,) = by_check(result, "aws.billing.organization")
    assert billing.holder is Holder.UNKNOWN and billing.status is Status.WARN
    listed = {(u.kind, u.value): u for u in result.unidentified}
    assert "aws.billing" in listed[("aws_account", PROVIDER)].controls
    assert ("domain", "example.com") in listed  # moto's management email, unidentified


# ------------------------------------------------------------------ every way the provider holds access

PROVIDER_TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"
# Entra ID SAML metadata as the federation metadata endpoint publishes it (trimmed of its
# signature and certificates): https://learn.microsoft.com/en-us/entra/identity-platform/federation-metadata
_ENTRA_SAML = (
    '<?xml version="1.0" encoding="utf-8"?><EntityDescriptor ID="_0b1c" '
    f'entityID="https://sts.windows.net/{PROVIDER_TENANT}/" '
    'xmlns="urn:oasis:names:tc:SAML:2.0:metadata">'
    '<Signature xmlns="http://www.w3.org/2000/09/xmldsig#"><SignedInfo>'
    '<CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/>'
    '</SignedInfo></Signature>'
    '<IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">'
    + '<KeyDescriptor use="signing"><KeyInfo xmlns="http://www.w3.org/2000/09/xmldsig#">'
      '<X509Data><X509Certificate>MIIC8DCCAdigAwIBAgIQ</X509Certificate></X509Data>'
      '</KeyInfo></KeyDescriptor>' * 8
    + '<SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" '
    f'Location="https://login.microsoftonline.com/{PROVIDER_TENANT}/saml2"/>'
    '</IDPSSODescriptor></EntityDescriptor>')
GITHUB = "token.actions.githubusercontent.com"


@pytest.fixture(scope="module")
def ops_account(estate: Estate) -> str:
    """A member account seeded (through the real API) with the provider's access paths."""
    provider = demo_aws.seed_session(estate.endpoint)
    ops = provider("organizations").create_account(
        AccountName="acme-ops", Email="ops@acmedental.com")["CreateAccountStatus"]["AccountId"]
    iam = demo_aws.seed_session(estate.endpoint, ops)("iam")
    iam.create_role(RoleName="Audit", AssumeRolePolicyDocument=demo_aws.trust_policy(ops))
    # an IAM user named after the provider's alias, with a console password and a key
    iam.create_user(UserName="bobsit-admin", Path="/")
    iam.create_login_profile(UserName="bobsit-admin", Password="Demo-Only-Password-2")
    iam.create_access_key(UserName="bobsit-admin")
    # a user nobody can be told to own
    iam.create_user(UserName="svc-backup")
    # GitHub Actions OIDC, trusting the provider's GitHub organisation (GitHub's documented
    # trust policy shape, with a StringLike sub condition)
    oidc = iam.create_open_id_connect_provider(
        Url=f"https://{GITHUB}", ClientIDList=["sts.amazonaws.com"],
        ThumbprintList=["6938fd4d98bab03faadb97b34396831e3780aea1"])["OpenIDConnectProviderArn"]
    iam.create_role(RoleName="GitHubDeploy", AssumeRolePolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"Federated": oidc},
            "Action": "sts:AssumeRoleWithWebIdentity",
            "Condition": {"StringEquals": {f"{GITHUB}:aud": "sts.amazonaws.com"},
                          "StringLike": {f"{GITHUB}:sub": "repo:bobsit/*"}}}]}))
    # SAML federation with the provider's Entra ID tenant
    saml = iam.create_saml_provider(SAMLMetadataDocument=_ENTRA_SAML,
                                    Name="BobsITEntra")["SAMLProviderArn"]
    iam.create_role(RoleName="EntraAdmins", AssumeRolePolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"Federated": saml},
            "Action": "sts:AssumeRoleWithSAML",
            "Condition": {"StringEquals": {"SAML:aud": "https://signin.aws.amazon.com/saml"}}}]}))
    # Okta (the provider's org) and Google Workspace SAML metadata, in the shapes their
    # admin consoles export (https://developer.okta.com/docs/guides/saml-application-setup/,
    # https://support.google.com/a/answer/6087519)
    iam.create_saml_provider(Name="BobsITOkta", SAMLMetadataDocument=(
        '<?xml version="1.0" encoding="UTF-8"?><md:EntityDescriptor '
        'xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" '
        'entityID="http://www.okta.com/exk1fxphvsBsdkHz0h8"><md:IDPSSODescriptor '
        'WantAuthnRequestsSigned="false" protocolSupportEnumeration='
        '"urn:oasis:names:tc:SAML:2.0:protocol">' + "<md:KeyDescriptor/>" * 60
        + '<md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" '
        'Location="https://bobsit.okta.com/app/amazon_aws/exk1fxphvsBsdkHz0h8/sso/saml"/>'
        '</md:IDPSSODescriptor></md:EntityDescriptor>'))
    iam.create_saml_provider(Name="GoogleSSO", SAMLMetadataDocument=(
        '<?xml version="1.0" encoding="UTF-8"?><md:EntityDescriptor '
        'xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" '
        'entityID="https://accounts.google.com/o/saml2?idpid=C01abcde2" '
        'validUntil="2031-01-01T00:00:00.000Z"><md:IDPSSODescriptor '
        'WantAuthnRequestsSigned="false" protocolSupportEnumeration='
        '"urn:oasis:names:tc:SAML:2.0:protocol">' + "<md:KeyDescriptor/>" * 60
        + '<md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect"'
        ' Location="https://accounts.google.com/o/saml2/idp?idpid=C01abcde2"/>'
        '</md:IDPSSODescriptor></md:EntityDescriptor>'))
    # a provider-trusted role whose only policy is an inline *:*
    iam.create_role(RoleName="BobsITInline",
                    AssumeRolePolicyDocument=demo_aws.trust_policy(PROVIDER))
    iam.put_role_policy(RoleName="BobsITInline", PolicyName="everything",
                        PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
                            {"Effect": "Allow", "Action": "*", "Resource": "*"}]}))
    # a provider's contractor whose administrator rights come from a group
    iam.create_user(UserName="contractor-7", Tags=[{"Key": "Company",
                                                    "Value": "Bob's IT Services, LLC"}])
    iam.create_group(GroupName="Ops")
    iam.put_group_policy(GroupName="Ops", PolicyName="pass-any-role", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": ["ec2:RunInstances", "iam:PassRole"],
             "Resource": "*"}]}))
    iam.add_user_to_group(GroupName="Ops", UserName="contractor-7")
    seed = demo_aws.seed_session(estate.endpoint, ops)
    org_id = demo_aws.seed_session(estate.endpoint)("organizations").describe_organization()[
        "Organization"]["Id"]
    # a bucket policy letting in every account of the provider's Organization
    # (aws:PrincipalOrgID, https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-principalorgid)
    s3 = seed("s3")
    s3.create_bucket(Bucket="acme-ops-exports")
    s3.put_bucket_policy(Bucket="acme-ops-exports", Policy=json.dumps({
        "Version": "2012-10-17", "Statement": [{
            "Sid": "OrgRead", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
            "Resource": "arn:aws:s3:::acme-ops-exports/*",
            "Condition": {"StringEquals": {"aws:PrincipalOrgID": org_id}}}]}))
    # a key policy with Principal '*' narrowed to this account by kms:CallerAccount (AWS's
    # documented EBS pattern): nobody foreign
    kms = seed("kms")
    key = kms.create_key(Description="ops key")["KeyMetadata"]["KeyId"]
    kms.put_key_policy(KeyId=key, PolicyName="default", Policy=json.dumps({
        "Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ops}:root"},
             "Action": "kms:*", "Resource": "*"},
            {"Effect": "Allow", "Principal": {"AWS": "*"},
             "Action": ["kms:Encrypt", "kms:Decrypt", "kms:CreateGrant"], "Resource": "*",
             "Condition": {"StringEquals": {"kms:CallerAccount": ops,
                                            "kms:ViaService": "ec2.us-east-1.amazonaws.com"}}}]}))
    # a trail delivering to a bucket outside the account whose name says nothing
    demo_aws.seed_session(estate.endpoint)("s3").create_bucket(Bucket="central-audit-7731")
    seed("cloudtrail").create_trail(Name="ops-trail", S3BucketName="central-audit-7731")
    # ... and one whose bucket name says nothing but whose KMS key is the provider's
    demo_aws.seed_session(estate.endpoint)("s3").create_bucket(Bucket="central-audit-9912")
    seed("cloudtrail").create_trail(
        Name="ops-trail-kms", S3BucketName="central-audit-9912",
        KmsKeyId=f"arn:aws:kms:us-east-1:{PROVIDER}:key/1234abcd-12ab-34cd-56ef-1234567890ab")
    return ops


def ops_config(estate: Estate, ops: str, sso: demo_aws.StubServer, *,
               provider_ids: tuple[str, ...] = (PROVIDER,),
               client_ids: tuple[str, ...] | None = None) -> Any:
    target = estate.target(name="ops", role_arns=[f"arn:aws:iam::{ops}:role/Audit"])
    # moto lists an Identity Center instance in every account; a member account of a real
    # Organization sees none (the instance lives in the management account): the local
    # endpoint answers sso-admin ListInstances with AWS's empty answer.
    target["service_endpoints"] = {**target["service_endpoints"], "sso-admin": sso.url}
    return config_from_mapping({
        "client": {"name": "Acme Dental LLC", "email_domains": ["acmedental.com"],
                   "aws_account_ids": list(client_ids if client_ids is not None else (ops,))},
        "provider": {"name": "Bob's IT Services", "aliases": ["bobsit"],
                     "domains": ["bobsit.example"], "aws_account_ids": list(provider_ids),
                     "azure_tenant_ids": [PROVIDER_TENANT],
                     "identity_orgs": {"github": ["BobsIT"], "okta": ["bobsit.okta.com"]}},
        "scan": {"aws": [target], "limits": {"concurrency": 16, "timeout_s": 20}},
    }, Path("audit.yaml"))


@pytest.fixture(scope="module")
def sso_stub(estate: Estate) -> Iterator[demo_aws.StubServer]:
    stub = demo_aws.StubServer({("sso", "ListInstances"): {"Instances": []}},
                               upstream=estate.endpoint)
    yield stub
    stub.stop()


@pytest.fixture(scope="module")
def ops_result(estate: Estate, ops_account: str, sso_stub: demo_aws.StubServer) -> ScanResult:
    return scan(ops_config(estate, ops_account, sso_stub))


def test_user_named_after_provider_alias(ops_result: ScanResult) -> None:
    found = {f.asset.name: f for f in by_check(ops_result, "aws.access.users")}
    admin = found["bobsit-admin"]
    assert admin.status is Status.FAIL and admin.holder is Holder.PROVIDER
    assert "Console password: yes" in admin.detail and "active" in admin.detail
    creds = fields(admin.evidence[1])
    assert creds["ConsolePassword"] == "yes" and creds["AccessKeys"][0]["Status"] == "Active"
    assert "…" in creds["AccessKeys"][0]["AccessKeyId"]  # the key id is shown masked
    unowned = found["svc-backup"]
    assert unowned.status is Status.WARN and unowned.holder is Holder.UNKNOWN
    assert "classify" in unowned.detail and "Console password: no" in unowned.detail
    # it cannot sign in today (no password, no key): less urgent than one that can
    assert unowned.severity.value == "medium" and admin.severity.value == "high"


def test_github_oidc_role_trusting_provider_org(ops_result: ScanResult) -> None:
    (role,) = [f for f in by_check(ops_result, "aws.access.roles")
               if f.asset.name == "GitHubDeploy"]
    assert role.status is Status.FAIL and role.holder is Holder.PROVIDER
    assert "github:bobsit" in role.detail and "repo:bobsit/*" in role.detail


def test_entra_saml_of_provider_tenant(ops_result: ScanResult) -> None:
    (idp,) = [f for f in by_check(ops_result, "aws.access.identity_providers")
              if f.asset.id.endswith("saml-provider/BobsITEntra")]
    assert idp.status is Status.FAIL and idp.holder is Holder.PROVIDER
    assert PROVIDER_TENANT in idp.detail and "w3.org" not in idp.detail
    (role,) = [f for f in by_check(ops_result, "aws.access.roles")
               if f.asset.name == "EntraAdmins"]
    assert role.status is Status.FAIL and role.holder is Holder.PROVIDER
    (oidc,) = [f for f in by_check(ops_result, "aws.access.identity_providers")
               if "oidc-provider" in f.asset.id]
    assert oidc.status is Status.PASS and "aws.access.roles" in oidc.detail


def test_okta_and_google_saml(ops_result: ScanResult) -> None:
    found = {f.asset.name: f for f in by_check(ops_result, "aws.access.identity_providers")}
    okta = found["BobsITOkta"]
    assert okta.status is Status.FAIL and "okta:bobsit.okta.com" in okta.detail
    google = found["GoogleSSO"]
    assert google.status is Status.MANUAL and "Google Workspace" in google.detail


def test_inline_admin_policy_is_critical(ops_result: ScanResult) -> None:
    (role,) = [f for f in by_check(ops_result, "aws.access.roles")
               if f.asset.name == "BobsITInline"]
    assert role.status is Status.FAIL and role.severity.value == "critical"
    assert "everything (inline)" in role.detail


def test_identity_center_not_visible_in_member_is_not_a_pass(ops_result: ScanResult) -> None:
    (sso,) = by_check(ops_result, "aws.identity.identity_center")
    assert sso.status is Status.MANUAL and sso.holder is Holder.PROVIDER
    assert PROVIDER in sso.detail and "management account" in sso.detail


def test_group_rights_follow_the_user(ops_result: ScanResult) -> None:
    (user,) = [f for f in by_check(ops_result, "aws.access.users")
               if f.asset.name == "contractor-7"]
    assert user.status is Status.FAIL and user.severity.value == "critical"
    assert "pass-any-role" in user.detail and "iam:passrole" in user.detail
    assert "Groups: Ops" in user.detail


def test_bucket_policy_of_the_provider_organization(ops_result: ScanResult) -> None:
    (bucket,) = [f for f in by_check(ops_result, "aws.access.bucket_policies")
                 if f.asset.name == "acme-ops-exports"]
    assert bucket.status is Status.FAIL and bucket.holder is Holder.PROVIDER
    assert "Organization o-" in bucket.detail and PROVIDER in bucket.detail


def test_key_policy_conditions_narrow_the_wildcard(ops_result: ScanResult) -> None:
    keys = by_check(ops_result, "aws.keys.kms")
    assert [f.status for f in keys] == [Status.PASS], [f.detail for f in keys]


def test_trail_to_an_unknown_bucket_says_what_to_ask(ops_result: ScanResult) -> None:
    (trail,) = [f for f in by_check(ops_result, "aws.logging.trails")
                if f.asset.name == "ops-trail"]
    assert trail.status is Status.WARN and trail.holder is Holder.UNKNOWN
    assert "expected-bucket-owner" in trail.detail and "ask the provider" in trail.detail
    assert ("aws_s3_bucket", "central-audit-7731") in {
        (u.kind, u.value) for u in ops_result.unidentified}


def test_trail_owner_from_its_kms_key(ops_result: ScanResult) -> None:
    (trail,) = [f for f in by_check(ops_result, "aws.logging.trails")
                if f.asset.name == "ops-trail-kms"]
    assert trail.holder is Holder.PROVIDER and trail.status is Status.FAIL
    assert "KMS key" in trail.detail and "central-audit-9912" in trail.detail


def test_audited_account_of_the_provider(estate: Estate, ops_account: str,
                                         sso_stub: demo_aws.StubServer) -> None:
    result = scan(ops_config(estate, ops_account, sso_stub,
                             provider_ids=(PROVIDER, ops_account), client_ids=()))
    (billing,) = by_check(result, "aws.billing.organization")
    assert billing.status is Status.FAIL and billing.holder is Holder.PROVIDER
    # and an account that is nobody's configured id is not the client's by default
    result = scan(ops_config(estate, ops_account, sso_stub, provider_ids=(), client_ids=()))
    (billing,) = by_check(result, "aws.billing.organization")
    assert billing.status is not Status.PASS


def test_assumed_credentials_refresh_before_expiry(estate: Estate, ops_account: str) -> None:
    """900 s role sessions and a clock the test advances: botocore's refreshable
    credentials call sts:AssumeRole again and the scan's next call still works."""
    import datetime as dt

    from dateutil.tz import tzlocal

    offset = [0.0]

    def clock() -> dt.datetime:
        return dt.datetime.now(tzlocal()) + dt.timedelta(seconds=offset[0])

    target = estate.target(name="short", role_session_s=900,
                           role_arns=[f"arn:aws:iam::{ops_account}:role/Audit"])
    cfg = estate.config(target)

    async def run() -> tuple[str, str, list[str]]:
        engine = Engine()
        src = AwsSource(clock=clock)
        try:
            (t,) = await src.targets(SourceContext(cfg, engine, {}, None))
            account = t.options
            first = account.credentials.get_frozen_credentials().access_key
            iam = account.client("iam", "us-east-1")
            names = [u["UserName"] for u in iam.list_users()["Users"]]
            offset[0] = 850.0  # 50 s before expiry: inside botocore's mandatory refresh window
            names += [u["UserName"] for u in iam.list_users()["Users"]]
            second = account.credentials.get_frozen_credentials().access_key
            return first, second, names
        finally:
            await engine.aclose()

    first, second, names = asyncio.run(run())
    assert first != second  # assumed again, by botocore, before the session ran out
    assert names.count("bobsit-admin") == 2


def test_retries_fit_the_call_budget() -> None:
    from lockin_audit.config import AwsTarget
    from lockin_audit.sources.aws import botocore_config, call_budget

    opts = AwsTarget(timeout_s=20, max_attempts=5)
    cfg = botocore_config(opts)
    assert cfg.retries == {"mode": "standard", "max_attempts": 5}
    assert call_budget(opts) >= 5 * (cfg.connect_timeout + cfg.read_timeout)


def test_organization_member_listing_denied_is_a_gap(estate: Estate) -> None:
    """An Organization of 50 members whose ListAccounts is denied: the members are a
    coverage gap, not silently missing."""
    provider = demo_aws.seed_session(estate.endpoint)("organizations")
    have = len(provider.list_accounts()["Accounts"]) - 1
    for n in range(max(0, 50 - have)):
        provider.create_account(AccountName=f"member-{n}", Email=f"m{n}@acmedental.com")
    denied = demo_aws.StubServer({("organizations", "ListAccounts"): 403},
                                 upstream=estate.endpoint)
    try:
        target = estate.target(name="org", role_arns=[], regions=["us-east-1"],
                               organization_role_name="OrganizationAccountAccessRole")
        target["service_endpoints"] = {**target["service_endpoints"],
                                       "organizations": denied.url}
        cfg = estate.config(target)

        async def run() -> list[Any]:
            engine = Engine()
            try:
                return await AwsSource().targets(SourceContext(cfg, engine, {}, None))
            finally:
                await engine.aclose()

        targets = asyncio.run(run())
    finally:
        denied.stop()
    assert targets[0].id == PROVIDER
    (gap,) = [t for t in targets if t.options.problem is not None]
    assert "organizations:ListAccounts" in gap.options.problem.describe()
    assert "members of the Organization" in gap.label


def test_report_lists_sign_ins_to_change_on_handover(ops_result: ScanResult) -> None:
    from lockin_audit.report.aws_handover import handover_users
    from lockin_audit.report.interface import renderer

    users = {u.user: u for u in handover_users(ops_result)}
    assert set(users) == {"bobsit-admin", "svc-backup", "contractor-7"}
    admin = users["bobsit-admin"]
    assert admin.console == "yes" and len(admin.active_keys) == 1
    assert admin.active_keys[0][0].startswith("AKIA…")
    assert handover_users(ops_result)[0].user == "bobsit-admin"  # can sign in: first
    html = renderer("html").render(ops_result)
    md = renderer("md").render(ops_result)
    for text in (html, md):
        assert "AWS sign-ins to close or change on the handover day" in text
        assert admin.active_keys[0][0] in text


def test_malformed_iam_snapshot_is_an_error_not_a_pass(estate: Estate) -> None:
    """An IAM answer that cannot be parsed leaves every IAM-based check in error."""
    broken = demo_aws.StubServer({("iam", "GetAccountAuthorizationDetails"):
                                  "<GetAccountAuthorizationDetailsResponse><broken"},
                                 upstream=estate.endpoint)
    try:
        target = estate.target(name="broken-iam")
        target["service_endpoints"] = {**target["service_endpoints"], "iam": broken.url}
        result = scan(estate.config(target))
    finally:
        broken.stop()
    for check_id in ("aws.access.roles", "aws.access.users"):
        (found,) = by_check(result, check_id)
        assert found.status is Status.ERROR, found.detail
        assert "GetAccountAuthorizationDetails" in found.detail


def test_paginated_reads_are_one_engine_call_per_page(estate: Estate) -> None:
    """Every page its own engine call (own timeout and rate token), no call without a
    request, and the pages merged as botocore would (organizations ListAccounts, which
    moto pages by MaxResults/NextToken)."""
    from lockin_audit.sources.aws import Caller

    cfg = estate.config(estate.target(name="pages", role_arns=[]))
    expected = sorted(a["Id"] for a in demo_aws.seed_session(estate.endpoint)(
        "organizations").list_accounts()["Accounts"])

    async def run() -> tuple[Any, int, int]:
        engine = Engine()
        try:
            (t,) = await AwsSource().targets(SourceContext(cfg, engine, {}, None))
            before = engine.stats.calls
            got = await Caller(engine, t.options).op(
                "organizations", "us-east-1", "ListAccounts", paginate=True,
                PaginationConfig={"PageSize": 1})
            return got, engine.stats.calls - before, engine.stats.pages
        finally:
            await engine.aclose()

    got, calls, pages = asyncio.run(run())
    assert sorted(a["Id"] for a in got.value["Accounts"]) == expected
    assert "NextToken" not in got.value
    assert calls == pages == len(expected) >= 2


def test_failed_detail_reads_are_named_never_dropped(estate: Estate) -> None:
    """Reads that only add detail (a user's password, last uses, a key's metadata) still
    never vanish: the finding names them in its evidence, and what could not be read about
    the client's own users is an error, never part of a clean pass."""
    denied = demo_aws.StubServer({("iam", "GetLoginProfile"): 403, ("iam", "ListUsers"): 403,
                                  ("kms", "DescribeKey"): 403}, upstream=estate.endpoint)
    try:
        target = estate.target(name="details")
        target["service_endpoints"] = {**target["service_endpoints"], "iam": denied.url,
                                       "kms": denied.url}
        result = scan(estate.config(target))
    finally:
        denied.stop()
    users = {(f.asset.name, f.status) for f in by_check(result, "aws.access.users")}
    assert ("bobsit-tech", Status.FAIL) in users and ("dr-smith", Status.ERROR) in users
    assert Status.PASS not in {s for _, s in users}
    (tech,) = [f for f in by_check(result, "aws.access.users")
               if f.asset.name == "bobsit-tech"]
    assert "Console password: unknown" in tech.detail
    missing = {e.excerpt.get("missing_permission") for e in tech.evidence
               if isinstance(e.excerpt, dict)}
    assert {"iam:GetLoginProfile", "iam:ListUsers"} <= missing
    keys = by_check(result, "aws.keys.kms")
    assert Status.PASS not in {f.status for f in keys}
    assert any(f.status is Status.ERROR and "kms:DescribeKey" in f.detail for f in keys)


# ------------------------------------------------------------------ every access path
# A member account seeded through the real API with each access path of issue 20, scanned
# with no IAM Access Analyzer (a local endpoint answers ListAnalyzers as AWS does in an
# account without one), so that our own reads judge them; then with an account analyzer
# whose finding our own evaluator does not see.

BITBUCKET = "api.bitbucket.org/2.0/workspaces/bobsit/pipelines-config/identity/oidc"
CIRCLE_ORG = "1c2d3e4f-aaaa-bbbb-cccc-111122223333"
CIRCLECI = f"oidc.circleci.com/org/{CIRCLE_ORG}"
PROVIDER_ORG_PATHS = "o-bobsit0001"


def _web_identity_trust(provider_arn: str, issuer: str, sub: str) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Federated": provider_arn},
        "Action": "sts:AssumeRoleWithWebIdentity",
        "Condition": {"StringLike": {f"{issuer}:sub": sub}}}]})


@pytest.fixture(scope="module")
def paths_account(estate: Estate) -> str:
    provider = demo_aws.seed_session(estate.endpoint)
    acct = provider("organizations").create_account(
        AccountName="acme-paths", Email="paths@acmedental.com")["CreateAccountStatus"]["AccountId"]
    org_id = provider("organizations").describe_organization()["Organization"]["Id"]
    seed = demo_aws.seed_session(estate.endpoint, acct)
    iam = seed("iam")
    iam.create_role(RoleName="Audit", AssumeRolePolicyDocument=demo_aws.trust_policy(acct))
    # a role trusting every account of the provider's Organization (aws:PrincipalOrgID)
    iam.create_role(RoleName="OrgTrust", AssumeRolePolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole",
            "Condition": {"StringEquals": {"aws:PrincipalOrgID": org_id}}}]}))
    # an administrator role of the provider, capped by a permissions boundary
    # (https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_boundaries.html)
    boundary = iam.create_policy(PolicyName="S3CloudWatchEC2", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Action": ["s3:*", "cloudwatch:*", "ec2:*"],
            "Resource": "*"}]}))["Policy"]["Arn"]
    iam.create_role(RoleName="BobsITCapped", PermissionsBoundary=boundary,
                    AssumeRolePolicyDocument=demo_aws.trust_policy(PROVIDER))
    iam.put_role_policy(RoleName="BobsITCapped", PolicyName="everything", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}))
    # Bitbucket Pipelines and CircleCI OIDC trusts (the platforms' documented shapes)
    for issuer, name, sub in ((BITBUCKET, "BitbucketDeploy", "{8a6c3d4e-1111-2222-3333-444455556666}:*"),
                              (CIRCLECI, "CircleDeploy", f"org/{CIRCLE_ORG}/project/*/user/*"),
                              # GitHub Enterprise Server on the provider's domain
                              ("github.bobsit.example/_services/token", "GhesDeploy",
                               "repo:infra/*"),
                              # an issuer in no entry of the identity-platform table
                              ("ci.example.net/oidc", "UnknownIssuer", "job:*")):
        arn = iam.create_open_id_connect_provider(
            Url=f"https://{issuer}", ClientIDList=["sts.amazonaws.com"],
            ThumbprintList=["a" * 40])["OpenIDConnectProviderArn"]
        iam.create_role(RoleName=name, AssumeRolePolicyDocument=_web_identity_trust(arn, issuer, sub))
    # a KMS grant to the provider (kms:CreateGrant)
    kms = seed("kms")
    key = kms.create_key(Description="paths key")["KeyMetadata"]["KeyId"]
    kms.create_grant(KeyId=key, GranteePrincipal=f"arn:aws:iam::{PROVIDER}:root",
                     Operations=["Decrypt"], Name="provider-grant")
    # an EBS snapshot shared with the provider
    ec2 = seed("ec2")
    vol = ec2.create_volume(AvailabilityZone="us-east-1a", Size=8)["VolumeId"]
    snap = ec2.create_snapshot(VolumeId=vol, Description="nightly")["SnapshotId"]
    ec2.modify_snapshot_attribute(SnapshotId=snap, Attribute="createVolumePermission",
                                  OperationType="add", UserIds=[PROVIDER])
    # a Secrets Manager secret whose resource policy lets the provider read it
    sm = seed("secretsmanager")
    secret = sm.create_secret(Name="acme/db-password", SecretString="demo-only")["ARN"]
    sm.put_resource_policy(SecretId=secret, ResourcePolicy=json.dumps({
        "Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{PROVIDER}:root"},
            "Action": "secretsmanager:GetSecretValue", "Resource": "*"}]}))
    s3 = seed("s3")
    # a grant that an explicit Deny removes: the client's own bucket, not a provider fail
    s3.create_bucket(Bucket="acme-paths-denied")
    s3.put_bucket_policy(Bucket="acme-paths-denied", Policy=json.dumps({
        "Version": "2012-10-17", "Statement": [
            {"Sid": "Provider", "Effect": "Allow",
             "Principal": {"AWS": f"arn:aws:iam::{PROVIDER}:root"}, "Action": "s3:GetObject",
             "Resource": "arn:aws:s3:::acme-paths-denied/*"},
            {"Sid": "NotTheProvider", "Effect": "Deny", "Principal": {"AWS": PROVIDER},
             "Action": "s3:*", "Resource": ["arn:aws:s3:::acme-paths-denied",
                                            "arn:aws:s3:::acme-paths-denied/*"]}]}))
    # a CloudFront origin access control policy for the provider's distribution
    s3.create_bucket(Bucket="acme-paths-site")
    s3.put_bucket_policy(Bucket="acme-paths-site", Policy=json.dumps({
        "Version": "2012-10-17", "Statement": {
            "Sid": "AllowCloudFrontServicePrincipalReadOnly", "Effect": "Allow",
            "Principal": {"Service": "cloudfront.amazonaws.com"}, "Action": "s3:GetObject",
            "Resource": "arn:aws:s3:::acme-paths-site/*",
            "Condition": {"StringEquals": {
                "AWS:SourceArn": f"arn:aws:cloudfront::{PROVIDER}:distribution/EDFDVBD6EXAMPLE"}}}}))
    # IAM Identity Center: a user on the provider's domain assigned AdministratorAccess
    sso = seed("sso-admin")
    (instance,) = sso.list_instances()["Instances"]
    ps = sso.create_permission_set(Name="AdministratorAccess",
                                   InstanceArn=instance["InstanceArn"])["PermissionSet"]
    sso.attach_managed_policy_to_permission_set(
        InstanceArn=instance["InstanceArn"], PermissionSetArn=ps["PermissionSetArn"],
        ManagedPolicyArn="arn:aws:iam::aws:policy/AdministratorAccess")
    user = seed("identitystore").create_user(
        IdentityStoreId=instance["IdentityStoreId"], UserName="bob@bobsit.example",
        DisplayName="Bob Smith", Name={"GivenName": "Bob", "FamilyName": "Smith"},
        Emails=[{"Value": "bob@bobsit.example", "Type": "work", "Primary": True}])["UserId"]
    sso.create_account_assignment(
        InstanceArn=instance["InstanceArn"], TargetId=acct, TargetType="AWS_ACCOUNT",
        PermissionSetArn=ps["PermissionSetArn"], PrincipalType="USER", PrincipalId=user)
    sso.provision_permission_set(InstanceArn=instance["InstanceArn"],
                                 PermissionSetArn=ps["PermissionSetArn"],
                                 TargetType="AWS_ACCOUNT", TargetId=acct)
    return acct


def paths_config(estate: Estate, acct: str, analyzers: demo_aws.StubServer) -> Any:
    target = estate.target(name="paths", role_arns=[f"arn:aws:iam::{acct}:role/Audit"])
    target["service_endpoints"] = {**target["service_endpoints"], "accessanalyzer": analyzers.url}
    return config_from_mapping({
        "client": {"name": "Acme Dental LLC", "email_domains": ["acmedental.com"],
                   "aws_account_ids": [acct]},
        "provider": {"name": "Bob's IT Services", "aliases": ["bobsit"],
                     "domains": ["bobsit.example"], "aws_account_ids": [PROVIDER],
                     "identity_orgs": {"bitbucket": ["bobsit"], "circleci": [CIRCLE_ORG]}},
        "scan": {"aws": [target], "limits": {"concurrency": 16, "timeout_s": 20}},
    }, Path("audit.yaml"))


@pytest.fixture(scope="module")
def paths_result(estate: Estate, paths_account: str) -> Iterator[ScanResult]:
    # AWS's answer in an account with no analyzer (API_ListAnalyzers: an empty list)
    none = demo_aws.StubServer({("access-analyzer", "ListAnalyzers"): {"analyzers": []}})
    try:
        yield scan(paths_config(estate, paths_account, none))
    finally:
        none.stop()


def test_kms_grant_to_the_provider(paths_result: ScanResult) -> None:
    grants = [f for f in by_check(paths_result, "aws.keys.kms") if f.key.startswith("grant:")]
    assert [(g.status, g.holder) for g in grants] == [(Status.FAIL, Holder.PROVIDER)]
    assert "provider-grant" in grants[0].detail and "revoke-grant" in grants[0].detail


def test_snapshot_shared_with_the_provider(paths_result: ScanResult) -> None:
    found = by_check(paths_result, "aws.backups.shared")
    assert len(found) == 1, [(f.status, f.detail[:150], [e.request for e in f.evidence]) for f in found]
    (snap,) = found
    assert snap.status is Status.FAIL and snap.asset.type == "aws_ebs_snapshot"
    assert snap.evidence[0].request.startswith("ec2:DescribeSnapshotAttribute")


def test_secret_policy_for_the_provider(paths_result: ScanResult) -> None:
    found = [f for f in by_check(paths_result, "aws.access.resource_policies")
             if f.asset.type == "aws_secretsmanager_secret"]
    assert [(f.status, f.holder) for f in found] == [(Status.FAIL, Holder.PROVIDER)]


def test_deny_oac_org_and_boundary(paths_result: ScanResult) -> None:
    buckets = {f.asset.name: f for f in by_check(paths_result, "aws.access.bucket_policies")}
    assert "acme-paths-denied" not in buckets  # the Deny removes the only grant
    site = buckets["acme-paths-site"]
    assert site.status is Status.FAIL and "cloudfront.amazonaws.com" in site.detail
    roles = {f.asset.name: f for f in by_check(paths_result, "aws.access.roles")}
    capped = roles["BobsITCapped"]
    assert capped.status is Status.FAIL and capped.severity.value == "high"
    assert "permissions boundary S3CloudWatchEC2" in capped.detail
    org = roles["OrgTrust"]  # the provider's Organization, through its management account
    assert org.status is Status.FAIL and org.holder is Holder.PROVIDER
    assert roles["BitbucketDeploy"].holder is Holder.PROVIDER
    assert roles["CircleDeploy"].holder is Holder.PROVIDER
    assert roles["GhesDeploy"].holder is Holder.PROVIDER  # by the server's host name
    unknown = roles["UnknownIssuer"]  # named, warn, never "anyone"
    assert unknown.status is Status.WARN and "ci.example.net/oidc" in unknown.detail


def test_identity_center_admin_on_the_provider_domain(paths_result: ScanResult) -> None:
    users = [f for f in by_check(paths_result, "aws.identity.identity_center")
             if f.asset.type == "aws_sso_user"]
    assert [(u.status, u.holder, u.severity.value) for u in users] == [
        (Status.FAIL, Holder.PROVIDER, "critical")]
    assert "AdministratorAccess" in users[0].detail


def test_no_analyzer_is_said_once(paths_result: ScanResult) -> None:
    (f,) = by_check(paths_result, "aws.access.analyzer")
    assert f.status is Status.MANUAL and "never creates it" in f.detail


def test_analyzer_finding_our_evaluator_missed(estate: Estate, paths_account: str) -> None:
    """An account analyzer (the documented ListAnalyzers/ListFindings shapes, served
    locally: moto 5.2 has no Access Analyzer) reporting a role whose trust our evaluator
    reads as the client's own: the analyzer's view is reported, and says so."""
    acct = paths_account
    answers: demo_aws.StubAnswers = {("access-analyzer", "ListAnalyzers"): {"analyzers": [
                   demo_aws.analyzer_summary(acct, "us-east-1", "paths-analyzer")]},
               ("access-analyzer", "ListFindings"): {"findings": [demo_aws.analyzer_finding(
                   acct, "2d3e4f50-6172-8394-a5b6-c7d8e9f0a1b2",
                   f"arn:aws:iam::{acct}:role/Audit", "AWS::IAM::Role",
                   {"AWS": PROVIDER}, ["sts:AssumeRole"])]}}
    stub = demo_aws.StubServer(answers)
    try:
        result = scan(paths_config(estate, acct, stub))
    finally:
        stub.stop()
    found = {f.asset.id: f for f in by_check(result, "aws.access.analyzer")}
    audit = found[f"arn:aws:iam::{acct}:role/Audit"]
    assert audit.status is Status.FAIL and audit.holder is Holder.PROVIDER
    assert "did not find this access" in audit.detail
    # the account analyzer stands in for our own reads of the types it covers
    assert not [f for f in by_check(result, "aws.backups.shared")
                if f.asset.type == "aws_ebs_snapshot"]


def test_demo_shows_analyzer_findings_and_a_provider_grant(demo_result: ScanResult) -> None:
    found = {f.asset.type: f for f in by_check(demo_result, "aws.access.analyzer")}
    table = found["aws_dynamodb_table"]  # a type lockin-audit does not read itself
    assert table.status is Status.FAIL and table.holder is Holder.PROVIDER
    assert "the analyzer's view is the only one" in table.detail
    roles = {f.asset.name: f for f in by_check(demo_result, "aws.access.analyzer")
             if f.asset.type == "aws_iam_role"}
    role = roles["BobsITAdmin"]
    assert role.status is Status.FAIL and "found the same access" in role.detail
    grants = [f for f in by_check(demo_result, "aws.keys.kms") if f.key.startswith("grant:")]
    assert [(g.status, g.holder) for g in grants] == [(Status.FAIL, Holder.PROVIDER)]
    assert "bobsit-backup-agent" in grants[0].detail
    # the demo's analyzer reports what our evaluator finds: no disagreement to settle
    assert not [f for f in by_check(demo_result, "aws.access.analyzer")
                if f.key.startswith("disagree:")]
    assert roles["BobsITGitHubDeploy"].key.endswith(":oidc:github:bobsit")
