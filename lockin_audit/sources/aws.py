"""The AWS source: one target per AWS account, facts fetched once, read by every aws check.

Credentials come from boto3's standard chain (profile, SSO, environment) for each entry of
`scan.aws`; `role_arns` are assumed from those credentials (each role is one account to
assess); with `organization_role_name`, an Organization's management account has its
member accounts enumerated and that role assumed in each (with `external_id`). Every
client carries the read-only guard (lockin_audit.guards.aws), adaptive retries and timeouts, and every
blocking call runs through `engine.call_sync`, so the scan's one pool and per-host
limiter govern AWS too (the limiter key is service.region.account: AWS throttles per
account, region and service).

Asset ids: an account is `arn:aws:::account/<12 digits>` (model.aws_account_asset_id);
other resources by their ARN.
"""

from __future__ import annotations

import asyncio
import functools
import re
import threading
from collections.abc import Awaitable, Mapping
from dataclasses import dataclass, field
from importlib import resources
from typing import TYPE_CHECKING, Any

from lockin_audit.guards import WriteRefused
from lockin_audit.guards.aws import guard_client, guard_session
from lockin_audit.model import Asset, Evidence, aws_account_asset_id, iso, utc_now
from lockin_audit.sources.interface import (
    FetchError,
    Source,
    SourceContext,
    SourceFailure,
    Target,
)

if TYPE_CHECKING:
    from lockin_audit.config import AuditConfig, AwsTarget
    from lockin_audit.engine import Engine

SOURCE = "aws"
DEFAULT_REGION = "us-east-1"
CONTACT_TYPES: tuple[str, ...] = ("BILLING", "OPERATIONS", "SECURITY")

# IAM action names that differ from the API operation's name.
_PERMISSION_OVERRIDES: dict[str, str] = {
    "s3:GetBucketEncryption": "s3:GetEncryptionConfiguration",
    "s3:GetBucketReplication": "s3:GetReplicationConfiguration",
    "s3:ListBuckets": "s3:ListAllMyBuckets",
    "sso-admin:ListInstances": "sso:ListInstances",
}
_DENIED = {"AccessDenied", "AccessDeniedException", "UnauthorizedOperation",
           "AuthorizationError", "UnauthorizedException", "AuthFailure",
           "InvalidClientTokenId", "ExpiredToken", "ExpiredTokenException"}
# Request parameters never written into evidence (ExternalId is a shared secret).
_SECRET_PARAM = re.compile(r"ExternalId|Token|Secret|Password", re.IGNORECASE)
_THROTTLED = {"Throttling", "ThrottlingException", "TooManyRequestsException",
              "RequestLimitExceeded", "SlowDown"}


def permission_for(service: str, operation: str) -> str:
    """The IAM action an API operation needs (`service:Operation`)."""
    prefix = {"sso-admin": "sso", "route53domains": "route53domains"}.get(service, service)
    name = f"{prefix}:{operation}"
    return _PERMISSION_OVERRIDES.get(f"{service}:{operation}", name)


@functools.lru_cache(maxsize=1)
def vendor_accounts() -> Mapping[str, str]:
    """Publicly documented vendor AWS account ids (data/aws_vendor_accounts.yaml) -> name."""
    import yaml

    text = resources.files("lockin_audit").joinpath("data/aws_vendor_accounts.yaml")
    data = yaml.safe_load(text.read_text("utf-8")) or {}
    return {str(a["account_id"]): str(a["vendor"]) for a in data.get("accounts", [])}


# ---------------------------------------------------------------------------------------
# facts


@dataclass(frozen=True)
class Fetched:
    """One API answer (or the reason it is missing), with what was asked and when."""

    request: str
    value: Any
    observed_at: str = field(default_factory=lambda: iso(utc_now()))

    @property
    def error(self) -> FetchError | None:
        return self.value if isinstance(self.value, FetchError) else None

    def evidence(self, excerpt: Any) -> Evidence:
        return Evidence(SOURCE, self.request, self.observed_at, excerpt)


@dataclass
class AwsFacts:
    """Everything the aws checks read about one account. `facts[name]` is a Fetched (its
    value may be a FetchError); `regional[name][region]` likewise for regional APIs."""

    account_id: str
    label: str
    partition: str
    caller_arn: str
    regions: tuple[str, ...]
    facts: dict[str, Fetched] = field(default_factory=dict)
    regional: dict[str, dict[str, Fetched]] = field(default_factory=dict)

    @property
    def asset(self) -> Asset:
        return account_asset(self.account_id, self.label)

    def get(self, name: str) -> Fetched:
        return self.facts.get(name) or Fetched(name, FetchError(
            SOURCE, name, "not fetched", kind="unsupported"))

    def by_region(self, name: str) -> dict[str, Fetched]:
        return self.regional.get(name, {})

    def regional_flat(self, *prefixes: str) -> list[tuple[str, Fetched]]:
        """Per-resource regional facts (names starting with a prefix), across regions."""
        return [(name, f) for name, by_region in sorted(self.regional.items())
                if name.startswith(prefixes) for f in by_region.values()]


def account_asset(account_id: str, name: str | None = None) -> Asset:
    return Asset("aws_account", aws_account_asset_id(account_id), name)


# ---------------------------------------------------------------------------------------
# accounts, sessions and calls


@dataclass
class Account:
    """One account to assess: a guarded boto3 session plus its client cache."""

    options: AwsTarget
    session: Any  # boto3.Session (the entry's base session, shared by assumed accounts)
    account_id: str
    # Assumed-role credentials; clients are made from the shared base session with them,
    # so service models are loaded once per scan, not once per account.
    credentials: dict[str, str] | None = None
    caller_arn: str = ""
    name: str | None = None
    problem: FetchError | None = None  # the account could not be reached
    _clients: dict[tuple[str, str], Any] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def partition(self) -> str:
        parts = self.caller_arn.split(":")
        return parts[1] if len(parts) > 1 and parts[1] else "aws"

    def client(self, service: str, region: str) -> Any:
        with self._lock:  # boto3 client creation is not thread-safe
            key = (service, region)
            if key not in self._clients:
                self._clients[key] = make_client(self.session, self.options, service, region,
                                                 self.credentials)
            return self._clients[key]


def botocore_config(options: AwsTarget) -> Any:
    from botocore.config import Config

    return Config(retries={"mode": "adaptive", "max_attempts": options.max_attempts},
                  connect_timeout=min(10.0, options.timeout_s),
                  read_timeout=options.timeout_s, user_agent_extra="lockin-audit")


def make_client(session: Any, options: AwsTarget, service: str, region: str,
                credentials: Mapping[str, str] | None = None) -> Any:
    endpoint = options.service_endpoints.get(service) or options.endpoint_url
    client = session.client(service, region_name=region, endpoint_url=endpoint,
                            config=botocore_config(options), **(credentials or {}))
    return guard_client(client)


def home_region(options: AwsTarget, session: Any) -> str:
    return options.region or getattr(session, "region_name", None) or DEFAULT_REGION


def to_fetch_error(exc: BaseException, service: str, operation: str, request: str) -> FetchError:
    """Turn a botocore exception into a FetchError naming the missing permission."""
    from botocore.exceptions import (
        ClientError,
        ConnectTimeoutError,
        EndpointConnectionError,
        NoCredentialsError,
        ReadTimeoutError,
    )
    from botocore.parsers import ResponseParserError

    if isinstance(exc, ClientError):
        err = exc.response.get("Error", {})
        code = str(err.get("Code", "")) or "unknown"
        message = str(err.get("Message", "")) or code
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        if code in _DENIED or status == 403:
            return FetchError(SOURCE, request, f"access denied ({code}): {message}",
                              kind="denied", permission=permission_for(service, operation))
        if code in _THROTTLED:
            return FetchError(SOURCE, request, f"throttled ({code})", kind="throttled")
        if status == 404 or code in ("404", "UnknownOperationException",
                                     "InvalidAction", "NotImplemented"):
            return FetchError(SOURCE, request, f"the API is not available here ({code}: "
                              f"{message[:200]})", kind="unsupported")
        return FetchError(SOURCE, request, f"{code}: {message[:300]}")
    if isinstance(exc, ReadTimeoutError | ConnectTimeoutError | TimeoutError):
        return FetchError(SOURCE, request, "no answer in time", kind="timeout")
    if isinstance(exc, EndpointConnectionError):
        return FetchError(SOURCE, request, f"cannot connect: {exc}", kind="unavailable")
    if isinstance(exc, NoCredentialsError):
        return FetchError(SOURCE, request, "no AWS credentials found in the standard chain "
                          "(profile, SSO, environment)", kind="denied")
    if isinstance(exc, WriteRefused):
        return FetchError(SOURCE, request, str(exc), kind="error")
    if isinstance(exc, ResponseParserError | KeyError | ValueError | TypeError):
        return FetchError(SOURCE, request, f"unexpected answer: {type(exc).__name__}: {exc}",
                          kind="malformed")
    return FetchError(SOURCE, request, f"{type(exc).__name__}: {exc}")


class Caller:
    """Runs API operations of one account through the engine and records them."""

    def __init__(self, engine: Engine, account: Account) -> None:
        self.engine = engine
        self.account = account

    async def op(self, service: str, region: str, operation: str, *, absent: tuple[str, ...] = (),
                 paginate: bool = False, **params: Any) -> Fetched:
        """Call one operation. Error codes in `absent` mean "nothing configured" and give
        a value of None; any other failure gives a FetchError value, never an exception."""
        from botocore.exceptions import ClientError

        request = f"{service}:{operation}"
        if params:
            shown = ", ".join(f"{k}={'(redacted)' if _SECRET_PARAM.search(k) else v}"
                              for k, v in params.items())
            request += f"({shown})"
        request += f" in {region} of {self.account.account_id}"
        client_name = _snake(operation)
        acct = self.account

        def call() -> Any:
            client = acct.client(service, region)
            if paginate and client.can_paginate(client_name):
                return client.get_paginator(client_name).paginate(**params).build_full_result()
            result = getattr(client, client_name)(**params)
            result.pop("ResponseMetadata", None)
            return result

        host = f"{service}.{region}.{acct.account_id}"
        limiter = self.engine.limiter
        if host not in limiter.host_rates:
            limiter.set_rate(host, acct.options.max_rps)
        try:
            value = await self.engine.call_sync(host, call)
        except ClientError as exc:
            code = str(exc.response.get("Error", {}).get("Code", ""))
            if code in absent:
                return Fetched(request, None)
            return Fetched(request, to_fetch_error(exc, service, operation, request))
        except SourceFailure as exc:
            return Fetched(request, exc.error)
        except Exception as exc:  # any SDK failure is an error fact, never a crash
            return Fetched(request, to_fetch_error(exc, service, operation, request))
        return Fetched(request, value)


def _snake(name: str) -> str:
    from botocore import xform_name

    return str(xform_name(name))


async def _gather(items: Mapping[str, Awaitable[Fetched]]) -> dict[str, Fetched]:
    keys = list(items)
    values = await asyncio.gather(*(items[k] for k in keys))
    return dict(zip(keys, values, strict=True))


# ---------------------------------------------------------------------------------------
# the source


class AwsSource(Source):
    name = "aws"
    area = "aws"

    def __init__(self) -> None:
        self._accounts: dict[str, Account] = {}

    def configured(self, config: AuditConfig) -> bool:
        return bool(config.scan.aws)

    # -- targets -----------------------------------------------------------------------
    async def targets(self, ctx: SourceContext) -> list[Target]:
        found: dict[str, Account] = {}
        for n, options in enumerate(ctx.config.scan.aws):
            try:
                accounts = await self._accounts_of(options, ctx.engine)
            except SourceFailure as exc:  # this entry's credentials fail; others may work
                name = options.name or options.profile or f"scan.aws[{n}]"
                accounts = [Account(options, None, f"credentials {name}", problem=exc.error)]
            for account in accounts:
                found.setdefault(account.account_id, account)
        self._accounts = found
        return [self._target(a) for a in found.values()]

    def _target(self, account: Account) -> Target:
        label = f"AWS account {account.account_id}"
        if account.name:
            label += f" ({account.name})"
        asset = account_asset(account.account_id, account.name)
        if not account.account_id.isdigit():  # credentials that reached no account
            label = f"AWS {account.account_id}"
            asset = Asset("aws_credentials", account.account_id, label)
        return Target(SOURCE, self.area, account.account_id, label, asset, account)

    async def _accounts_of(self, options: AwsTarget, engine: Engine) -> list[Account]:
        base = await self._base_account(options, engine)
        accounts = [base] if not options.role_arns else [
            await self._assume(base, arn, engine) for arn in options.role_arns]
        if options.organization_role_name:
            members: list[Account] = []
            for acct in accounts:
                if acct.problem is None:
                    members.extend(await self._members(acct, options, engine))
            accounts.extend(members)
        return accounts

    async def _base_account(self, options: AwsTarget, engine: Engine) -> Account:
        import boto3

        def open_session() -> Any:
            return guard_session(boto3.Session(profile_name=options.profile))

        try:
            session = await engine.call_sync(f"sts.{options.profile or 'default'}",
                                             open_session)
        except Exception as exc:
            raise SourceFailure(FetchError(
                SOURCE, f"boto3 session (profile {options.profile or 'default'})",
                f"{type(exc).__name__}: {exc}", kind="denied")) from None
        account = Account(options, session, "")
        who = await Caller(engine, account).op("sts", home_region(options, session),
                                               "GetCallerIdentity")
        if who.error:
            raise SourceFailure(who.error)
        account.account_id = str(who.value["Account"])
        account.caller_arn = str(who.value["Arn"])
        return account

    async def _assume(self, base: Account, role_arn: str, engine: Engine,
                      name: str | None = None) -> Account:
        options = base.options
        region = home_region(options, base.session)
        params: dict[str, Any] = {"RoleArn": role_arn, "RoleSessionName": "lockin-audit"}
        if options.external_id:
            params["ExternalId"] = options.external_id
        got = await Caller(engine, base).op("sts", region, "AssumeRole", **params)
        account_id = role_arn.split(":")[4] if role_arn.count(":") >= 5 else role_arn
        if got.error:
            return Account(options, None, account_id, name=name, problem=got.error)
        creds = got.value["Credentials"]
        arn = str(got.value.get("AssumedRoleUser", {}).get("Arn", role_arn))
        return Account(options, base.session, account_id, caller_arn=arn, name=name,
                       credentials={"aws_access_key_id": creds["AccessKeyId"],
                                    "aws_secret_access_key": creds["SecretAccessKey"],
                                    "aws_session_token": creds["SessionToken"]})

    async def _members(self, manager: Account, options: AwsTarget,
                       engine: Engine) -> list[Account]:
        caller = Caller(engine, manager)
        region = home_region(options, manager.session)
        org = await caller.op("organizations", region, "DescribeOrganization",
                              absent=("AWSOrganizationsNotInUseException",))
        if org.error or org.value is None:
            return []
        if org.value["Organization"].get("MasterAccountId") != manager.account_id:
            return []  # only a management account can list and enter members
        listed = await caller.op("organizations", region, "ListAccounts", paginate=True)
        if listed.error:
            return []
        role = options.organization_role_name
        tasks = [
            self._assume(manager, f"arn:{manager.partition}:iam::{a['Id']}:role/{role}",
                         engine, name=a.get("Name"))
            for a in listed.value.get("Accounts", [])
            if a.get("Id") != manager.account_id and a.get("Status", "ACTIVE") == "ACTIVE"
        ]
        return list(await asyncio.gather(*tasks))

    # -- facts -------------------------------------------------------------------------
    async def fetch(self, target: Target, ctx: SourceContext) -> AwsFacts:
        account: Account = target.options
        if account.problem is not None:
            raise SourceFailure(account.problem)
        caller = Caller(ctx.engine, account)
        home = home_region(account.options, account.session)
        regions = await self._regions(caller, home)
        facts = AwsFacts(account.account_id, target.label, account.partition,
                         account.caller_arn, regions)
        await asyncio.gather(
            self._global(caller, home, facts),
            *(self._regional(caller, r, facts) for r in regions),
        )
        return facts

    async def _regions(self, caller: Caller, home: str) -> tuple[str, ...]:
        wanted = caller.account.options.regions
        if wanted != "all":
            return tuple(dict.fromkeys(wanted))
        got = await caller.op("ec2", home, "DescribeRegions", Filters=[
            {"Name": "opt-in-status", "Values": ["opt-in-not-required", "opted-in"]}])
        if got.error:
            raise SourceFailure(got.error)
        return tuple(sorted(r["RegionName"] for r in got.value.get("Regions", [])))

    async def _global(self, c: Caller, home: str, facts: AwsFacts) -> None:
        iam = functools.partial(c.op, "iam", home)
        calls: dict[str, Awaitable[Fetched]] = {
            "organization": c.op("organizations", home, "DescribeOrganization",
                                 absent=("AWSOrganizationsNotInUseException",)),
            "contact_information": c.op("account", home, "GetContactInformation"),
            "roles": iam("ListRoles", paginate=True),
            "users": iam("ListUsers", paginate=True),
            "saml_providers": iam("ListSAMLProviders"),
            "oidc_providers": iam("ListOpenIDConnectProviders"),
            "buckets": c.op("s3", home, "ListBuckets"),
            "hosted_zones": c.op("route53", home, "ListHostedZones", paginate=True),
            "domains": c.op("route53domains", DEFAULT_REGION, "ListDomains", paginate=True),
        }
        for kind in CONTACT_TYPES:
            calls[f"alternate_contact.{kind}"] = c.op(
                "account", home, "GetAlternateContact", absent=("ResourceNotFoundException",),
                AlternateContactType=kind)
        facts.facts.update(await _gather(calls))
        await asyncio.gather(
            self._org_accounts(c, home, facts), self._role_details(c, home, facts),
            self._user_details(c, home, facts), self._idp_details(c, home, facts),
            self._bucket_details(c, home, facts), self._domain_details(c, facts))

    async def _org_accounts(self, c: Caller, home: str, facts: AwsFacts) -> None:
        org = facts.get("organization").value
        if isinstance(org, dict) and org["Organization"].get("MasterAccountId") == facts.account_id:
            facts.facts["org_accounts"] = await c.op("organizations", home, "ListAccounts",
                                                     paginate=True)

    async def _role_details(self, c: Caller, home: str, facts: AwsFacts) -> None:
        roles = facts.get("roles").value
        if not isinstance(roles, dict):
            return
        # Permissions matter only for roles that a foreign account can assume.
        foreign = [r for r in roles.get("Roles", [])
                   if trusted_accounts(r.get("AssumeRolePolicyDocument"), facts.account_id)]
        attached = await _gather({
            f"role_policies.{r['RoleName']}": c.op("iam", home, "ListAttachedRolePolicies",
                                                   paginate=True, RoleName=r["RoleName"])
            for r in foreign})
        facts.facts.update(attached)
        # Customer-managed policies: read their documents to see admin-level grants.
        arns = sorted({p["PolicyArn"] for f in attached.values() if isinstance(f.value, dict)
                       for p in f.value.get("AttachedPolicies", [])
                       if ":iam::aws:policy/" not in p["PolicyArn"]})
        await asyncio.gather(*(self._policy_document(c, home, arn, facts) for arn in arns))

    async def _policy_document(self, c: Caller, home: str, arn: str, facts: AwsFacts) -> None:
        policy = await c.op("iam", home, "GetPolicy", PolicyArn=arn)
        if isinstance(policy.value, dict):
            version = policy.value["Policy"].get("DefaultVersionId", "v1")
            policy = await c.op("iam", home, "GetPolicyVersion", PolicyArn=arn,
                                VersionId=version)
        facts.facts[f"policy_document.{arn}"] = policy

    async def _user_details(self, c: Caller, home: str, facts: AwsFacts) -> None:
        users = facts.get("users").value
        if not isinstance(users, dict):
            return
        calls: dict[str, Awaitable[Fetched]] = {}
        for u in users.get("Users", []):
            name = u["UserName"]
            calls[f"user_tags.{name}"] = c.op("iam", home, "ListUserTags", UserName=name)
            calls[f"user_login.{name}"] = c.op("iam", home, "GetLoginProfile",
                                               absent=("NoSuchEntity",), UserName=name)
            calls[f"user_mfa.{name}"] = c.op("iam", home, "ListMFADevices", UserName=name)
        facts.facts.update(await _gather(calls))

    async def _idp_details(self, c: Caller, home: str, facts: AwsFacts) -> None:
        calls: dict[str, Awaitable[Fetched]] = {}
        saml = facts.get("saml_providers").value
        for p in saml.get("SAMLProviderList", []) if isinstance(saml, dict) else []:
            calls[f"saml.{p['Arn']}"] = c.op("iam", home, "GetSAMLProvider",
                                            SAMLProviderArn=p["Arn"])
        oidc = facts.get("oidc_providers").value
        for p in oidc.get("OpenIDConnectProviderList", []) if isinstance(oidc, dict) else []:
            calls[f"oidc.{p['Arn']}"] = c.op("iam", home, "GetOpenIDConnectProvider",
                                            OpenIDConnectProviderArn=p["Arn"])
        facts.facts.update(await _gather(calls))

    async def _bucket_details(self, c: Caller, home: str, facts: AwsFacts) -> None:
        buckets = facts.get("buckets").value
        calls: dict[str, Awaitable[Fetched]] = {}
        for b in buckets.get("Buckets", []) if isinstance(buckets, dict) else []:
            name = b["Name"]
            calls[f"bucket_encryption.{name}"] = c.op(
                "s3", home, "GetBucketEncryption",
                absent=("ServerSideEncryptionConfigurationNotFoundError",), Bucket=name)
            calls[f"bucket_replication.{name}"] = c.op(
                "s3", home, "GetBucketReplication",
                absent=("ReplicationConfigurationNotFoundError",), Bucket=name)
        facts.facts.update(await _gather(calls))

    async def _domain_details(self, c: Caller, facts: AwsFacts) -> None:
        domains = facts.get("domains").value
        facts.facts.update(await _gather({
            f"domain.{d['DomainName']}": c.op("route53domains", DEFAULT_REGION,
                                              "GetDomainDetail", DomainName=d["DomainName"])
            for d in (domains.get("Domains", []) if isinstance(domains, dict) else [])}))

    async def _regional(self, c: Caller, region: str, facts: AwsFacts) -> None:
        ec2 = functools.partial(c.op, "ec2", region, paginate=True)
        got = await _gather({
            "kms_keys": c.op("kms", region, "ListKeys", paginate=True),
            "volumes": ec2("DescribeVolumes"),
            "instances": ec2("DescribeInstances"),
            "subnets": ec2("DescribeSubnets"),
            "peerings": ec2("DescribeVpcPeeringConnections"),
            "tgw_attachments": ec2("DescribeTransitGatewayAttachments"),
            "db_instances": c.op("rds", region, "DescribeDBInstances", paginate=True),
            "ram_shares": c.op("ram", region, "GetResourceShares", paginate=True,
                               resourceOwner="OTHER-ACCOUNTS"),
            "dx_interfaces": c.op("directconnect", region, "DescribeVirtualInterfaces"),
            "backup_plans": c.op("backup", region, "ListBackupPlans", paginate=True),
            "backup_vaults": c.op("backup", region, "ListBackupVaults", paginate=True),
            "trails": c.op("cloudtrail", region, "DescribeTrails", includeShadowTrails=True),
            "sso_instances": c.op("sso-admin", region, "ListInstances", paginate=True),
        })
        for name, fetched in got.items():
            facts.regional.setdefault(name, {})[region] = fetched
        await asyncio.gather(self._key_details(c, region, facts),
                             self._image_details(c, region, facts),
                             self._backup_details(c, region, facts))

    def _put(self, facts: AwsFacts, region: str, items: Mapping[str, Fetched]) -> None:
        for name, fetched in items.items():
            facts.regional.setdefault(name, {})[region] = fetched

    async def _key_details(self, c: Caller, region: str, facts: AwsFacts) -> None:
        keys = facts.by_region("kms_keys")[region].value
        calls: dict[str, Awaitable[Fetched]] = {}
        for k in keys.get("Keys", []) if isinstance(keys, dict) else []:
            calls[f"key.{k['KeyArn']}"] = c.op("kms", region, "DescribeKey", KeyId=k["KeyArn"])
            calls[f"key_policy.{k['KeyArn']}"] = c.op("kms", region, "GetKeyPolicy",
                                                      KeyId=k["KeyArn"], PolicyName="default")
        self._put(facts, region, await _gather(calls))

    async def _image_details(self, c: Caller, region: str, facts: AwsFacts) -> None:
        image_ids = sorted({i.get("ImageId", "") for i in running_instances(
            facts.by_region("instances")[region].value)} - {""})
        if image_ids:
            self._put(facts, region, {"images": await c.op(
                "ec2", region, "DescribeImages",
                Filters=[{"Name": "image-id", "Values": image_ids}])})

    async def _backup_details(self, c: Caller, region: str, facts: AwsFacts) -> None:
        calls: dict[str, Awaitable[Fetched]] = {}
        plans = facts.by_region("backup_plans")[region].value
        for p in plans.get("BackupPlansList", []) if isinstance(plans, dict) else []:
            calls[f"backup_plan.{p['BackupPlanId']}"] = c.op(
                "backup", region, "GetBackupPlan", BackupPlanId=p["BackupPlanId"])
        vaults = facts.by_region("backup_vaults")[region].value
        for v in vaults.get("BackupVaultList", []) if isinstance(vaults, dict) else []:
            calls[f"vault_policy.{v['BackupVaultArn']}"] = c.op(
                "backup", region, "GetBackupVaultAccessPolicy",
                absent=("ResourceNotFoundException",), BackupVaultName=v["BackupVaultName"])
        self._put(facts, region, await _gather(calls))

    async def close(self) -> None:
        self._accounts.clear()

    async def doctor(self, ctx: SourceContext) -> list[tuple[str, bool, str]]:
        try:
            targets = await self.targets(ctx)
        except SourceFailure as exc:
            return [("AWS", False, exc.error.describe())]
        out = []
        for t in targets:
            problem = t.options.problem
            out.append((t.label, problem is None,
                        problem.describe() if problem else f"as {t.options.caller_arn}"))
        return out


# ---------------------------------------------------------------------------------------
# helpers shared with the checks (pure functions over API answers)


def running_instances(reservations: Any) -> list[dict[str, Any]]:
    if not isinstance(reservations, dict):
        return []
    return [i for r in reservations.get("Reservations", []) for i in r.get("Instances", [])
            if i.get("State", {}).get("Name") in ("pending", "running", "stopping", "stopped")]


def policy_statements(document: Any) -> list[dict[str, Any]]:
    """The statements of an IAM policy document (a dict, or JSON text)."""
    import json
    from urllib.parse import unquote

    if isinstance(document, str):
        try:
            document = json.loads(unquote(document) if document.startswith("%7B") else document)
        except ValueError:
            return []
    if not isinstance(document, dict):
        return []
    stmts = document.get("Statement", [])
    return [s for s in (stmts if isinstance(stmts, list) else [stmts]) if isinstance(s, dict)]


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


def principal_accounts(statement: Mapping[str, Any]) -> list[str]:
    """The 12-digit accounts (or '*') an Allow statement names as AWS principals."""
    if statement.get("Effect") != "Allow":
        return []
    principal = statement.get("Principal")
    values = _as_list(principal.get("AWS")) if isinstance(principal, dict) else _as_list(principal)
    out: list[str] = []
    for v in values:
        text = str(v)
        if text == "*":
            out.append("*")
            continue
        m = re.search(r"(?<!\d)(\d{12})(?!\d)", text)
        if m:
            out.append(m.group(1))
    return out


def grants_admin(document: Any) -> bool:
    """Whether a policy document allows every action on every resource."""
    return any(s.get("Effect") == "Allow" and "*" in _as_list(s.get("Action"))
               and "*" in _as_list(s.get("Resource")) for s in policy_statements(document))


def trusted_accounts(document: Any, own_account: str) -> list[str]:
    """Accounts other than `own_account` that a policy document allows in."""
    return sorted({a for s in policy_statements(document) for a in principal_accounts(s)
                   if a != own_account})


def condition_values(statement: Mapping[str, Any], key: str) -> list[str]:
    """Values of one condition key (any operator) in a statement."""
    out: list[str] = []
    for clause in (statement.get("Condition") or {}).values():
        if isinstance(clause, dict):
            for k, v in clause.items():
                if k.lower() == key.lower():
                    out.extend(str(x) for x in _as_list(v))
    return out

