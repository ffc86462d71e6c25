"""The demo estate's AWS part: moto's server on 127.0.0.1 (a real AWS-shaped endpoint)
seeded through the real API, plus a small local endpoint for the few operations moto 5.2
lacks (account GetContactInformation, RAM shares received from other accounts, Direct
Connect virtual interfaces), serving the real response shapes.

Bob's IT Services (the provider) is moto's default account and runs an Organization; Acme
Dental's account is a member of it, trusts a provider role with administrator rights and
the provider's GitHub organisation's deploy jobs, has
a KMS key granted to the provider, runs a server on the provider's image, uses a subnet
shared from the provider's account, copies its backups to the provider's vault and sends
its billing notices to the provider.
"""

from __future__ import annotations

import json
import logging
import os
import re
import threading
import time
from collections.abc import Callable, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from lockin_audit.demo import DemoPart, DemoUnavailable

PROVIDER_ACCOUNT = "123456789012"  # moto's default account: the provider's management account
REGIONS = ("us-east-1", "eu-west-1")
CREDENTIALS = {"AWS_ACCESS_KEY_ID": "AKIADEMODEMODEMO0000", "AWS_SECRET_ACCESS_KEY": "demo",
               "AWS_DEFAULT_REGION": "us-east-1", "AWS_SESSION_TOKEN": "",
               "AWS_EC2_METADATA_DISABLED": "true"}
AUDIT_ROLE = "LockinAuditReadOnly"
# The provider's Entra ID tenant in the demo audit file (lockin_audit.demo.PROVIDER).
PROVIDER_TENANT = "b0b5b0b5-0000-4000-8000-000000000002"

# (service, operation) -> a JSON answer, or an int HTTP status for an AccessDenied-style
# error. REST-JSON operations are routed by path, JSON-1.1 ones by X-Amz-Target.
StubAnswers = Mapping[tuple[str, ...], Any]
_REST_PATHS = {"/getContactInformation": ("account", "GetContactInformation"),
               "/getresourceshares": ("ram", "GetResourceShares"),
               # IAM Access Analyzer (REST-JSON, which moto 5.2 lacks):
               # https://docs.aws.amazon.com/access-analyzer/latest/APIReference/API_ListAnalyzers.html
               # https://docs.aws.amazon.com/access-analyzer/latest/APIReference/API_ListFindings.html
               "/analyzer": ("access-analyzer", "ListAnalyzers"),
               "/finding": ("access-analyzer", "ListFindings"),
               "/findingv2": ("access-analyzer", "ListFindingsV2")}
_TARGET_SERVICES = {"OvertureService": "directconnect"}


class StubServer:
    """A local endpoint answering the operations moto lacks with AWS's response shapes;
    any other request is forwarded unchanged to `upstream` (moto), when given. An answer
    keyed (service, operation, region) is served in that region only (the region is the
    signature's credential scope); (service, operation) in every region."""

    def __init__(self, answers: StubAnswers, upstream: str | None = None,
                 delay_s: float = 0.0) -> None:
        self.answers = dict(answers)
        self.upstream = upstream
        self.delay_s = delay_s  # added latency per request (the benchmark's slow network)
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                payload = self.rfile.read(length)
                key = self._operation(payload)
                if stub.delay_s:
                    time.sleep(stub.delay_s)
                self._answer(key, payload)

            def _answer(self, key: tuple[str, str], payload: bytes,
                        method: str = "POST") -> None:
                regional = (*key, self._region())
                if regional in stub.answers:
                    answer = stub.answers[regional]
                elif key in stub.answers or not stub.upstream:
                    answer = stub.answers.get(key, 404)
                else:
                    self._forward(payload, method)
                    return
                if isinstance(answer, str):  # a query-protocol (XML) answer
                    self._send(200, answer)
                elif isinstance(answer, int):
                    message = f"not authorized to perform: {key[0]}:{key[1]}"
                    if b"Action=" in payload:  # query protocol (XML): AccessDenied
                        code = "AccessDenied" if answer == 403 else "InvalidAction"
                        self._send(answer, "<ErrorResponse><Error><Type>Sender</Type>"
                                   f"<Code>{code}</Code><Message>{message}</Message>"
                                   "</Error><RequestId>demo</RequestId></ErrorResponse>")
                        return
                    code = "AccessDeniedException" if answer == 403 else "UnknownOperation"
                    self._send(answer, {"__type": code, "message": message,
                                        "Message": message}, code)
                else:
                    self._send(200, answer)

            def do_GET(self) -> None:
                if stub.delay_s:
                    time.sleep(stub.delay_s)
                key = _REST_PATHS.get(self.path.split("?")[0])
                if key is not None:
                    self._answer(key, b"", "GET")
                elif stub.upstream:
                    self._forward(b"", "GET")
                else:
                    self._send(404, {"message": "not found"}, "NotFound")

            def _region(self) -> str:
                scope = re.search(r"Credential=[^/]+/[^/]+/([^/]+)/",
                                  self.headers.get("Authorization", ""))
                return scope.group(1) if scope else ""

            def _operation(self, payload: bytes) -> tuple[str, str]:
                """(service, operation) from the signature's credential scope and the
                protocol's operation marker (X-Amz-Target, Action=, or the REST path)."""
                from urllib.parse import parse_qs

                scope = re.search(r"Credential=[^/]+/[^/]+/[^/]+/([^/]+)/",
                                  self.headers.get("Authorization", ""))
                service = scope.group(1) if scope else "?"
                target = self.headers.get("X-Amz-Target", "")
                if target:
                    prefix, _, op = target.partition(".")
                    return _TARGET_SERVICES.get(prefix, service), op
                action = parse_qs(payload.decode("utf-8", "replace")).get("Action")
                if action:
                    return service, action[0]
                return _REST_PATHS.get(self.path.split("?")[0], (service, self.path))

            def _forward(self, payload: bytes, method: str = "POST") -> None:
                import http.client
                from urllib.parse import urlsplit

                up = urlsplit(stub.upstream or "")
                conn = http.client.HTTPConnection(up.hostname or "", up.port, timeout=30)
                headers = {k: v for k, v in self.headers.items() if k.lower() != "host"}
                conn.request(method, self.path, body=payload or None, headers=headers)
                resp = conn.getresponse()
                data = resp.read()
                self.send_response(resp.status)
                for k, v in resp.getheaders():
                    if k.lower() not in ("content-length", "transfer-encoding", "connection",
                                         "server", "date"):
                        self.send_header(k, v)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
                conn.close()

            def _send(self, status: int, body: Any, code: str = "") -> None:
                xml = isinstance(body, str)
                data = body.encode() if xml else json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type",
                                 "text/xml" if xml else "application/x-amz-json-1.1")
                self.send_header("Content-Length", str(len(data)))
                if code:
                    self.send_header("x-amzn-ErrorType", code)
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def contact_information(company: str, name: str = "Jane Doe") -> dict[str, Any]:
    """account:GetContactInformation's response shape."""
    return {"ContactInformation": {
        "AddressLine1": "1 Main Street", "City": "Springfield", "CompanyName": company,
        "CountryCode": "US", "FullName": name, "PhoneNumber": "+1-555-0100",
        "PostalCode": "12345", "StateOrRegion": "IL", "WebsiteUrl": ""}}


def received_share(owner: str, name: str, region: str = "us-east-1") -> dict[str, Any]:
    """One entry of ram:GetResourceShares(resourceOwner=OTHER-ACCOUNTS)."""
    return {"resourceShareArn": f"arn:aws:ram:{region}:{owner}:resource-share/"
                                "7ab63972-b505-7e2a-420d-6f5d3EXAMPLE",
            "name": name, "owningAccountId": owner, "allowExternalPrincipals": True,
            "status": "ACTIVE", "featureSet": "STANDARD",
            "creationTime": 1700000000.0, "lastUpdatedTime": 1700000000.0}


def describe_images_xml(images: list[dict[str, str]]) -> str:
    """ec2:DescribeImages's XML answer for images this account may launch but that moto
    keeps in their owner's account (moto does not show shared AMIs to other accounts)."""
    from xml.sax.saxutils import escape

    items = "".join(
        f"<item><imageId>{escape(i['ImageId'])}</imageId>"
        f"<imageOwnerId>{escape(i['OwnerId'])}</imageOwnerId>"
        f"<name>{escape(i['Name'])}</name><imageState>available</imageState>"
        "<isPublic>false</isPublic><architecture>x86_64</architecture>"
        "<imageType>machine</imageType><rootDeviceType>ebs</rootDeviceType></item>"
        for i in images)
    return ('<?xml version="1.0" encoding="UTF-8"?>'
            '<DescribeImagesResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">'
            f"<requestId>59dbff89-35bd-4eac-99ed-be587EXAMPLE</requestId>"
            f"<imagesSet>{items}</imagesSet></DescribeImagesResponse>")


def virtual_interface(owner: str, vif_id: str = "dxvif-ffabc123") -> dict[str, Any]:
    """One entry of directconnect:DescribeVirtualInterfaces."""
    return {"ownerAccount": owner, "virtualInterfaceId": vif_id, "location": "EqDC2",
            "connectionId": "dxcon-fg5678gh", "virtualInterfaceType": "private",
            "virtualInterfaceName": "office-link", "vlan": 101, "asn": 65000,
            "amazonSideAsn": 64512, "virtualInterfaceState": "available",
            "virtualGatewayId": "vgw-12345678", "region": "us-east-1"}


# ---------------------------------------------------------------------------------------
# moto


def start_moto() -> tuple[Any, str]:
    try:
        from moto.server import ThreadedMotoServer
    except ImportError as exc:  # moto[server] is the demo extra
        raise DemoUnavailable("the AWS demo needs moto[server]: pip install "
                              "'lockin-audit[demo]'") from exc
    # werkzeug logs every request to stderr unless told otherwise, even with verbose off
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    # Same account and resource ids on every demo run (so that two demo scans recorded in
    # a history store compare as unchanged): moto's documented seeding endpoint,
    # POST /moto-api/seed?a=<int> (docs.getmoto.org, "Recorder"/"Seeding").
    import httpx

    # moto keeps its accounts in process-wide state that outlives one server: start from
    # an empty cloud (POST /moto-api/reset, docs.getmoto.org "Server mode"), so that a
    # second estate in the same process (the tests) does not meet the first one's
    # Organization.
    httpx.post(f"http://{host}:{port}/moto-api/reset", timeout=10)
    httpx.post(f"http://{host}:{port}/moto-api/seed?a=20261130", timeout=10)
    return server, f"http://{host}:{port}"


def seed_session(endpoint: str, account: str | None = None) -> Callable[..., Any]:
    """A client factory for seeding (unguarded: seeding writes, the scan never does),
    in moto's default account or, through AssumeRole, in `account`."""
    import boto3

    kw: dict[str, Any] = {"aws_access_key_id": CREDENTIALS["AWS_ACCESS_KEY_ID"],
                          "aws_secret_access_key": "demo", "region_name": "us-east-1"}
    if account:
        # a session of its own, not boto3's process-wide default one (which may hold
        # another profile's configuration from earlier in the process)
        sts = boto3.Session(**kw).client("sts", endpoint_url=endpoint)
        creds = sts.assume_role(RoleArn=f"arn:aws:iam::{account}:role/OrganizationAccountAccess"
                                "Role", RoleSessionName="seed")["Credentials"]
        kw = {"aws_access_key_id": creds["AccessKeyId"],
              "aws_secret_access_key": creds["SecretAccessKey"],
              "aws_session_token": creds["SessionToken"], "region_name": "us-east-1"}
    session = boto3.Session(**kw)

    def client(service: str, region: str = "us-east-1") -> Any:
        return session.client(service, endpoint_url=endpoint, region_name=region)

    return client


def trust_policy(*accounts: str, external_id: str | None = None) -> str:
    stmt: dict[str, Any] = {"Effect": "Allow", "Action": "sts:AssumeRole",
                            "Principal": {"AWS": [f"arn:aws:iam::{a}:root" for a in accounts]}}
    if external_id:
        stmt["Condition"] = {"StringEquals": {"sts:ExternalId": external_id}}
    return json.dumps({"Version": "2012-10-17", "Statement": [stmt]})


def seed_demo(endpoint: str) -> tuple[str, str]:
    """Seed the provider's Organization and the client's member account; return the
    client's account id and the provider's image it runs on."""
    provider = seed_session(endpoint)
    org = provider("organizations")
    org.create_organization(FeatureSet="ALL")
    client_id = org.create_account(AccountName="Acme Dental production",
                                   Email="aws-acme@bobsit.example")["CreateAccountStatus"][
                                       "AccountId"]
    # The provider's own image, shared with the client, and its backup vault and log bucket.
    ec2p = provider("ec2")
    base_ami = ec2p.describe_images(Owners=["amazon"])["Images"][0]["ImageId"]
    builder = ec2p.run_instances(ImageId=base_ami, MinCount=1, MaxCount=1)["Instances"][0]
    ami = ec2p.create_image(InstanceId=builder["InstanceId"], Name="bobsit-golden-win2022")[
        "ImageId"]
    ec2p.modify_image_attribute(ImageId=ami, LaunchPermission={"Add": [{"UserId": client_id}]})
    provider("s3").create_bucket(Bucket="bobsit-central-logs")
    provider_key = provider("kms").create_key(Description="Bob's IT managed key")[
        "KeyMetadata"]["Arn"]

    acme = seed_session(endpoint, client_id)
    iam = acme("iam")
    iam.create_role(RoleName=AUDIT_ROLE, AssumeRolePolicyDocument=trust_policy(client_id))
    iam.create_role(RoleName="BobsITAdmin", AssumeRolePolicyDocument=trust_policy(
        PROVIDER_ACCOUNT, external_id="bobsit-acme"))
    admin = iam.create_policy(PolicyName="BobsITFullAccess", PolicyDocument=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}))["Policy"]["Arn"]
    iam.attach_role_policy(RoleName="BobsITAdmin", PolicyArn=admin)
    # The provider's GitHub Actions deploy into the client's account (GitHub's documented
    # OIDC trust: the provider's organisation in the token's `sub`).
    github = "token.actions.githubusercontent.com"
    oidc = iam.create_open_id_connect_provider(
        Url=f"https://{github}", ClientIDList=["sts.amazonaws.com"],
        ThumbprintList=["6938fd4d98bab03faadb97b34396831e3780aea1"])["OpenIDConnectProviderArn"]
    iam.create_role(RoleName="BobsITGitHubDeploy", AssumeRolePolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"Federated": oidc},
            "Action": "sts:AssumeRoleWithWebIdentity",
            "Condition": {"StringEquals": {f"{github}:aud": "sts.amazonaws.com"},
                          "StringLike": {f"{github}:sub": "repo:bobsit/*"}}}]}))
    iam.create_role(RoleName="DatadogIntegration",
                    AssumeRolePolicyDocument=trust_policy("464622532012", external_id="dd"))
    iam.create_user(UserName="bobsit-tech", Tags=[{"Key": "email",
                                                   "Value": "tech@bobsit.example"}])
    iam.create_login_profile(UserName="bobsit-tech", Password="Demo-Only-Password-1")
    iam.create_access_key(UserName="bobsit-tech")  # the report shows it masked, never whole
    # Sign-in through the provider's Entra ID tenant (SAML federation): its metadata in the
    # shape Entra's federation metadata endpoint publishes (trimmed of the signature).
    saml = iam.create_saml_provider(Name="BobsITEntraID", SAMLMetadataDocument=(
        '<?xml version="1.0" encoding="utf-8"?><EntityDescriptor ID="_demo" '
        f'entityID="https://sts.windows.net/{PROVIDER_TENANT}/" '
        'xmlns="urn:oasis:names:tc:SAML:2.0:metadata"><IDPSSODescriptor '
        'protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">'
        + '<KeyDescriptor use="signing"><KeyInfo xmlns="http://www.w3.org/2000/09/xmldsig#">'
          '<X509Data><X509Certificate>MIIC8DCCAdigAwIBAgIQ</X509Certificate></X509Data>'
          '</KeyInfo></KeyDescriptor>' * 8
        + '<SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" '
        f'Location="https://login.microsoftonline.com/{PROVIDER_TENANT}/saml2"/>'
        '</IDPSSODescriptor></EntityDescriptor>'))["SAMLProviderArn"]
    iam.create_role(RoleName="BobsITEntraAdmins", AssumeRolePolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"Federated": saml},
            "Action": "sts:AssumeRoleWithSAML",
            "Condition": {"StringEquals": {"SAML:aud": "https://signin.aws.amazon.com/saml"}}}]}))
    iam.create_user(UserName="dr-smith", Tags=[{"Key": "email",
                                                "Value": "smith@acmedental.com"}])
    account = acme("account")
    account.put_alternate_contact(AlternateContactType="BILLING", Name="Bob's IT billing",
                                  EmailAddress="billing@bobsit.example", PhoneNumber="+15550101",
                                  Title="Billing")
    account.put_alternate_contact(AlternateContactType="SECURITY", Name="Acme Dental office",
                                  EmailAddress="security@acmedental.com",
                                  PhoneNumber="+15550102", Title="Office manager")
    kms = acme("kms")
    key = kms.create_key(Description="Acme data key")["KeyMetadata"]["KeyId"]
    kms.put_key_policy(KeyId=key, PolicyName="default", Policy=json.dumps({
        "Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{client_id}:root"},
             "Action": "kms:*", "Resource": "*"},
            {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{PROVIDER_ACCOUNT}:root"},
             "Action": ["kms:Decrypt", "kms:Encrypt", "kms:CreateGrant"], "Resource": "*"}]}))
    # A grant lets the provider use the key whatever the key policy says (kms:CreateGrant).
    kms.create_grant(KeyId=key, GranteePrincipal=f"arn:aws:iam::{PROVIDER_ACCOUNT}:root",
                     Operations=["Decrypt", "GenerateDataKey"], Name="bobsit-backup-agent")
    ec2 = acme("ec2")
    ec2.run_instances(ImageId=ami, MinCount=1, MaxCount=1, InstanceType="t3.medium")
    ec2.create_volume(AvailabilityZone="us-east-1a", Size=100, Encrypted=True,
                      KmsKeyId=provider_key)
    acme("s3").create_bucket(Bucket="acme-dental-xrays")
    acme("cloudtrail").create_trail(Name="acme-trail", S3BucketName="bobsit-central-logs")
    acme("backup").create_backup_plan(BackupPlan={
        "BackupPlanName": "nightly", "Rules": [{
            "RuleName": "nightly-copy-to-dr", "TargetBackupVaultName": "Default",
            "ScheduleExpression": "cron(0 5 * * ? *)",
            "CopyActions": [{"DestinationBackupVaultArn":
                             f"arn:aws:backup:us-east-1:{PROVIDER_ACCOUNT}:backup-vault:"
                             "bobsit-dr"}]}]})
    # moto creates an account's IAM Identity Center instance (a random `ssoins-...` id)
    # when its sso-admin backend is first used: create them here, in the seeded order,
    # rather than in whatever order the scan's concurrent reads reach them, so that two
    # demo runs give the instance, and its findings, the same ids.
    for session in (provider, acme):
        for region in REGIONS:
            session("sso-admin", region).list_instances()
    return client_id, ami


def analyzer_summary(account: str, region: str, name: str,
                     kind: str = "ACCOUNT") -> dict[str, Any]:
    """One AnalyzerSummary of access-analyzer:ListAnalyzers (required members only)."""
    return {"arn": f"arn:aws:access-analyzer:{region}:{account}:analyzer/{name}",
            "name": name, "type": kind, "createdAt": "2026-11-02T09:00:00Z",
            "status": "ACTIVE"}


def analyzer_finding(account: str, finding_id: str, resource: str, resource_type: str,
                     principal: dict[str, str], actions: list[str],
                     condition: dict[str, str] | None = None) -> dict[str, Any]:
    """One FindingSummary of access-analyzer:ListFindings (an external-access finding)."""
    return {"id": finding_id, "principal": principal, "action": actions,
            "resource": resource, "isPublic": principal.get("AWS") == "*",
            "resourceType": resource_type, "condition": condition or {},
            "createdAt": "2026-11-02T09:05:00Z", "analyzedAt": "2026-11-30T06:00:00Z",
            "updatedAt": "2026-11-30T06:00:00Z", "status": "ACTIVE",
            "resourceOwnerAccount": account}


def analyzer_answers(client_id: str, key_arn: str = "") -> dict[tuple[str, ...], Any]:
    """The client's account analyzers in the demo's two regions (analyzers are regional),
    with the findings AWS would report for the demo estate in us-east-1: the provider's
    admin role (which lockin-audit also judges) and a DynamoDB table shared with the
    provider by its resource policy (a type lockin-audit does not read itself). Other
    regions have no analyzer."""
    return {
        **{("access-analyzer", "ListAnalyzers", region): {"analyzers": [
            analyzer_summary(client_id, region, "acme-account-analyzer")]} for region in REGIONS},
        ("access-analyzer", "ListAnalyzers"): {"analyzers": []},
        ("access-analyzer", "ListFindings"): {"findings": []},
        ("access-analyzer", "ListFindings", "us-east-1"): {"findings": [
            analyzer_finding(client_id, "0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0",
                             f"arn:aws:iam::{client_id}:role/BobsITAdmin", "AWS::IAM::Role",
                             {"AWS": PROVIDER_ACCOUNT}, ["sts:AssumeRole"],
                             {"sts:ExternalId": "bobsit-acme"}),
            analyzer_finding(client_id, "1c2d3e4f-5061-7283-94a5-b6c7d8e9f0a1",
                             f"arn:aws:dynamodb:us-east-1:{client_id}:table/acme-patients",
                             "AWS::DynamoDB::Table",
                             {"AWS": f"arn:aws:iam::{PROVIDER_ACCOUNT}:root"},
                             ["dynamodb:GetItem", "dynamodb:Query", "dynamodb:Scan"]),
            # the role Organizations creates in a member account for its management account
            analyzer_finding(client_id, "6172839a-a5b6-c7d8-e9f0-a1b2c3d4e5f7",
                             f"arn:aws:iam::{client_id}:role/OrganizationAccountAccessRole",
                             "AWS::IAM::Role", {"AWS": f"arn:aws:iam::{PROVIDER_ACCOUNT}:root"},
                             ["sts:AssumeRole"]),
            analyzer_finding(client_id, "2d3e4f50-6172-8394-a5b6-c7d8e9f0a1b3",
                             f"arn:aws:iam::{client_id}:role/DatadogIntegration",
                             "AWS::IAM::Role", {"AWS": "464622532012"}, ["sts:AssumeRole"],
                             {"sts:ExternalId": "dd"}),
            analyzer_finding(client_id, "3e4f5061-7283-94a5-b6c7-d8e9f0a1b2c4",
                             f"arn:aws:iam::{client_id}:role/BobsITGitHubDeploy",
                             "AWS::IAM::Role", {"Federated": f"arn:aws:iam::{client_id}:"
                                                "oidc-provider/token.actions.githubusercontent.com"},
                             ["sts:AssumeRoleWithWebIdentity"],
                             {"token.actions.githubusercontent.com:sub": "repo:bobsit/*",
                              "token.actions.githubusercontent.com:aud": "sts.amazonaws.com"}),
            analyzer_finding(client_id, "4f506172-8394-a5b6-c7d8-e9f0a1b2c3d5",
                             f"arn:aws:iam::{client_id}:role/BobsITEntraAdmins",
                             "AWS::IAM::Role", {"Federated": f"arn:aws:iam::{client_id}:"
                                                "saml-provider/BobsITEntraID"},
                             ["sts:AssumeRoleWithSAML"]),
            *([analyzer_finding(client_id, "50617283-94a5-b6c7-d8e9-f0a1b2c3d4e6", key_arn,
                                "AWS::KMS::Key", {"AWS": f"arn:aws:iam::{PROVIDER_ACCOUNT}:root"},
                                ["kms:Decrypt", "kms:Encrypt", "kms:CreateGrant",
                                 "kms:GenerateDataKey"])] if key_arn else []),
        ]},
    }


def client_key_arn(endpoint: str, client_id: str) -> str:
    """The ARN of the demo client's customer managed key (for its analyzer finding)."""
    keys = seed_session(endpoint, client_id)("kms").list_keys()["Keys"]
    return str(keys[0]["KeyArn"]) if keys else ""


def stub_answers(ami: str, client_id: str = "", key_arn: str = "") -> dict[tuple[str, ...], Any]:
    """The answers moto lacks; with `client_id`, also the client's IAM Access Analyzer."""
    return {
        **(analyzer_answers(client_id, key_arn) if client_id else {}),
        ("ec2", "DescribeImages"): describe_images_xml([{
            "ImageId": ami, "OwnerId": PROVIDER_ACCOUNT, "Name": "bobsit-golden-win2022"}]),
        ("account", "GetContactInformation"): contact_information("Bob's IT Services",
                                                                  "Bob Smith"),
        ("ram", "GetResourceShares"): {"resourceShares": [
            received_share(PROVIDER_ACCOUNT, "bobsit-shared-network")]},
        ("directconnect", "DescribeVirtualInterfaces"): {"virtualInterfaces": []},
    }


def start(workdir: Path) -> DemoPart:
    # The demo's own AWS config files and profile, so that whatever AWS profile or SSO
    # session the user has set in their shell is neither used nor needed.
    (workdir / "aws-config").write_text("[default]\nregion = us-east-1\n", encoding="utf-8")
    (workdir / "aws-credentials").write_text(
        f"[default]\naws_access_key_id = {CREDENTIALS['AWS_ACCESS_KEY_ID']}\n"
        "aws_secret_access_key = demo\n", encoding="utf-8")
    env = {k: v for k, v in CREDENTIALS.items() if v}
    env.update(AWS_PROFILE="default", AWS_CONFIG_FILE=str(workdir / "aws-config"),
               AWS_SHARED_CREDENTIALS_FILE=str(workdir / "aws-credentials"))
    os.environ.update(env)  # seeding uses them too; demo_estate restores the environment
    server, endpoint = start_moto()
    stub: StubServer | None = None
    try:
        client_id, ami = seed_demo(endpoint)
        stub = StubServer(stub_answers(ami, client_id, client_key_arn(endpoint, client_id)),
                          upstream=endpoint)
    except Exception:
        server.stop()
        raise
    stub_url = stub.url

    def stop() -> None:
        if stub is not None:
            stub.stop()
        server.stop()

    return DemoPart(
        scan={"aws": [{
            "name": "Acme Dental production", "endpoint_url": endpoint,
            "regions": list(REGIONS),
            "role_arns": [f"arn:aws:iam::{client_id}:role/{AUDIT_ROLE}"],
            "service_endpoints": {"account": stub_url, "ram": stub_url, "ec2": stub_url,
                                  "directconnect": stub_url, "accessanalyzer": stub_url},
        }]},
        client={"aws_account_ids": [client_id], "email_domains": ["acmedental.com"]},
        provider={"aws_account_ids": [PROVIDER_ACCOUNT],
                  "identity_orgs": {"github": ["bobsit"]}},
        env=env,
        stop=stop,
    )
