"""The AWS source: one target per AWS account, facts fetched once, read by every aws check.

Credentials come from boto3's standard chain (profile, SSO, environment) for each entry of
`scan.aws`; `role_arns` are assumed from those credentials (each role is one account to
assess; botocore refreshes their credentials before the role session ends); with
`organization_role_name`, an Organization's management account has its member accounts
enumerated and that role assumed in each (with `external_id`); a member list that cannot
be read is a coverage gap, never silence. Every client carries the read-only guard
(lockin_audit.guards.aws), botocore's standard retries and per-attempt timeouts, and every
blocking call runs through `engine.call_sync` with the whole retry budget as its limit, so
the scan's one pool and per-host limiter govern AWS too (the limiter key is
service.region.account: AWS throttles per account, region and service).

The answers are parsed here into typed, frozen records (aws_facts); the checks judge
those records and never read a raw API dictionary.

Asset ids: an account is `arn:aws:::account/<12 digits>` (model.aws_account_asset_id);
other resources by their ARN.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import re
import threading
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from importlib import resources
from typing import TYPE_CHECKING, Any

from lockin_audit.facts import Fetched, FetchError, SourceFailure
from lockin_audit.guards import WriteRefused
from lockin_audit.guards.aws import guard_client, guard_session
from lockin_audit.model import Asset, aws_account_asset_id
from lockin_audit.sources.aws_facts import (
    AccessKey,
    Analyzer,
    AwsFacts,
    BackupVault,
    Bucket,
    Detail,
    IcGroup,
    IdentityCenter,
    KmsKey,
    PermissionSet,
    RegionFacts,
    ResourcePolicy,
    Shared,
    User,
    UserCredentials,
    domain_names,
    parse_access_keys,
    parse_alternate,
    parse_analyzers,
    parse_backup_plan,
    parse_bucket_encryption,
    parse_bucket_policy,
    parse_contact,
    parse_create_volume_permissions,
    parse_databases,
    parse_db_snapshots,
    parse_domain,
    parse_dx,
    parse_findings,
    parse_grants,
    parse_iam,
    parse_ic_users,
    parse_images,
    parse_instances,
    parse_key_last_use,
    parse_key_manager,
    parse_launch_permissions,
    parse_oidc,
    parse_org_accounts,
    parse_organization,
    parse_own_image_ids,
    parse_peerings,
    parse_replication,
    parse_restore_attribute,
    parse_saml_provider,
    parse_share_associations,
    parse_shares,
    parse_snapshot_ids,
    parse_sso,
    parse_subnets,
    parse_tgw,
    parse_trails,
    parse_volumes,
    parse_zones,
)
from lockin_audit.sources.aws_pages import pagination, read_all_pages
from lockin_audit.sources.aws_policy import parse_policy
from lockin_audit.sources.interface import Source, SourceContext, Target

if TYPE_CHECKING:
    from lockin_audit.config import AuditConfig, AwsTarget
    from lockin_audit.transport import Engine

SOURCE = "aws"
DEFAULT_REGION = "us-east-1"
CONTACT_TYPES: tuple[str, ...] = ("BILLING", "OPERATIONS", "SECURITY")

# IAM action names that differ from the API operation's name.
_PERMISSION_OVERRIDES: dict[str, str] = {
    "s3:GetBucketEncryption": "s3:GetEncryptionConfiguration",
    "s3:GetBucketReplication": "s3:GetReplicationConfiguration",
    "s3:ListBuckets": "s3:ListAllMyBuckets",
    "sso-admin:ListInstances": "sso:ListInstances",
    "sqs:GetQueueAttributes": "sqs:GetQueueAttributes",
    "ram:GetResourceShareAssociations": "ram:GetResourceShareAssociations",
    "ec2:DescribeImages": "ec2:DescribeImages",
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
    prefix = {"sso-admin": "sso", "route53domains": "route53domains",
              "accessanalyzer": "access-analyzer", "lambda": "lambda"}.get(service, service)
    name = f"{prefix}:{operation}"
    return _PERMISSION_OVERRIDES.get(f"{service}:{operation}", name)


@functools.lru_cache(maxsize=1)
def vendor_accounts() -> Mapping[str, str]:
    """Published AWS account ids -> the vendor (or AWS service) they belong to: the
    community list of known AWS accounts imported whole (data/aws_known_accounts.yaml,
    refreshed by scripts/refresh_known_aws_accounts.py), then the ids vendors publish in
    their own onboarding templates (data/aws_vendor_accounts.yaml, each cited), whose
    names win."""
    import yaml

    data_dir = resources.files("lockin_audit").joinpath("data")
    known = yaml.safe_load(data_dir.joinpath("aws_known_accounts.yaml").read_text("utf-8")) or {}
    out: dict[str, str] = {}
    for v in known.get("vendors", []):
        name = str(v["name"])
        if v.get("aws"):
            name = f"Amazon Web Services ({name})"
        for account in v.get("accounts", []):
            out.setdefault(str(account), name)
    published = yaml.safe_load(
        data_dir.joinpath("aws_vendor_accounts.yaml").read_text("utf-8")) or {}
    out.update({str(a["account_id"]): str(a["vendor"]) for a in published.get("accounts", [])})
    return out


# ---------------------------------------------------------------------------------------
# facts: typed records in aws_facts (each read a facts.Fetched)


def account_asset(account_id: str, name: str | None = None) -> Asset:
    return Asset("aws_account", aws_account_asset_id(account_id), name)


# ---------------------------------------------------------------------------------------
# accounts, sessions and calls


Clock = Callable[[], dt.datetime]


@dataclass
class Account:
    """One account to assess: a guarded boto3 session plus its client cache. An assumed
    account's session carries botocore RefreshableCredentials that assume the role again
    before the session expires (so a scan longer than the role session keeps working)."""

    options: AwsTarget
    session: Any  # boto3.Session (guarded)
    account_id: str
    caller_arn: str = ""
    name: str | None = None
    problem: FetchError | None = None  # the account could not be reached
    # the Organization as its management account read it, for a member entered from there
    # (DescribeOrganization answers the same for every account of an Organization)
    organization: Any = None
    credentials: Any = None  # botocore RefreshableCredentials of an assumed role
    loader: Any = None  # botocore data loader (service models), shared across accounts
    operations: set[tuple[str, str]] = field(default_factory=set)  # every API operation called
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
                self._clients[key] = make_client(self.session, self.options, service, region)
            return self._clients[key]


def timeouts(options: AwsTarget) -> tuple[float, float]:
    """(connect, read) timeouts of one HTTP attempt."""
    return min(5.0, options.timeout_s), options.timeout_s


def call_budget(options: AwsTarget) -> float:
    """How long one SDK call (all of botocore's attempts and back-offs) may take. The
    engine's timeout for an AWS call is this budget, so it never cuts botocore's own
    retries short: attempts x (connect + read) plus the standard mode's back-off (at
    most 20 s between attempts, base 2^attempt; botocore/retries/standard.py)."""
    connect, read = timeouts(options)
    attempts = options.max_attempts
    backoff = sum(min(20.0, 2.0 ** n) for n in range(attempts - 1))
    return attempts * (connect + read) + backoff


def botocore_config(options: AwsTarget) -> Any:
    """Standard retry mode (retries throttling, 5xx and connection errors with capped
    exponential back-off; the scan's own limiter paces calls, so adaptive mode's client
    side token bucket is not needed) and per-attempt connect/read timeouts."""
    from botocore.config import Config

    connect, read = timeouts(options)
    return Config(retries={"mode": "standard", "max_attempts": options.max_attempts},
                  connect_timeout=connect, read_timeout=read, user_agent_extra="lockin-audit")


def make_client(session: Any, options: AwsTarget, service: str, region: str) -> Any:
    endpoint = options.service_endpoints.get(service) or options.endpoint_url
    client = session.client(service, region_name=region, endpoint_url=endpoint,
                            config=botocore_config(options))
    client.meta.events.register("before-parse", refuse_unparseable_json,
                                unique_id="lockin-audit-unparseable-json")
    return guard_client(client)


def refuse_unparseable_json(operation_model: Any = None, response_dict: Any = None,
                            **_: Any) -> None:
    """A JSON-protocol success answer whose body is not JSON is an error. botocore reads
    such a body as {"message": <body>} and keeps only the output shape's members, so an
    unreadable listing would otherwise read as an empty one (botocore/parsers.py,
    BaseJSONParser._parse_body_as_json)."""
    import json

    if operation_model is None or not isinstance(response_dict, Mapping):
        return
    protocol = operation_model.metadata.get("protocol", "")
    status = response_dict.get("status_code", 0)
    body = response_dict.get("body", b"")
    if protocol not in ("json", "rest-json") or not 200 <= status < 300 or \
            operation_model.has_streaming_output or not isinstance(body, bytes | str) or \
            not body.strip():
        return
    try:
        json.loads(body)
    except ValueError:
        raise MalformedAnswer(f"the {operation_model.name} answer is not JSON: "
                              f"{body[:80]!r}") from None


def assumed_session(base: Account, params: Mapping[str, Any], first: Mapping[str, Any],
                    clock: Clock | None = None) -> tuple[Any, Any]:
    """A guarded boto3 session for an assumed role whose credentials botocore refreshes
    itself (RefreshableCredentials calling sts:AssumeRole again, through the base
    account's guarded client) before they expire. Shares the base session's data loader,
    so service models are loaded once per scan."""
    import boto3
    import botocore.session
    from botocore.credentials import (
        CredentialProvider,
        CredentialResolver,
        RefreshableCredentials,
    )

    region = home_region(base.options, base.session)
    duration = float(params.get("DurationSeconds", 3600))

    def metadata(creds: Mapping[str, Any]) -> dict[str, Any]:
        expiry = creds["Expiration"]
        return {"access_key": creds["AccessKeyId"], "secret_key": creds["SecretAccessKey"],
                "token": creds["SessionToken"],
                "expiry_time": expiry.isoformat() if hasattr(expiry, "isoformat") else expiry}

    def refresh() -> dict[str, Any]:
        return metadata(base.client("sts", region).assume_role(**params)["Credentials"])

    from botocore.utils import parse_timestamp

    first_meta = metadata(first)

    kwargs: dict[str, Any] = {} if clock is None else {"time_fetcher": clock}
    credentials = RefreshableCredentials(
        first_meta["access_key"], first_meta["secret_key"], first_meta["token"],
        parse_timestamp(first_meta["expiry_time"]), refresh, "assume-role",
        advisory_timeout=min(900.0, duration / 3), mandatory_timeout=min(600.0, duration / 6),
        **kwargs)

    class Assumed(CredentialProvider):  # type: ignore[misc]
        METHOD = "assume-role"

        def load(self) -> Any:
            return credentials

    core = botocore.session.Session()
    if base.loader is not None:
        core.register_component("data_loader", base.loader)
    core.register_component("credential_provider", CredentialResolver([Assumed()]))
    session = guard_session(boto3.Session(botocore_session=core, region_name=region))
    return session, credentials


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
                 paginate: bool = False, **params: Any) -> Fetched[Any]:
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
        acct.operations.add((service, operation))

        config = pagination(service, operation) if paginate else None

        def call() -> Any:
            client = acct.client(service, region)
            result = getattr(client, client_name)(**params)
            result.pop("ResponseMetadata", None)
            check_shape(client, operation, result)
            return result

        def start() -> tuple[Any, Any]:
            client = acct.client(service, region)
            iterator = client.get_paginator(client_name).paginate(**params)

            def checked() -> Any:
                for page in iterator:
                    check_shape(client, operation, page)
                    yield page

            return iterator, checked()

        host = f"{service}.{region}.{acct.account_id}"
        limiter = self.engine.limiter
        if host not in limiter.host_rates:
            limiter.set_rate(host, acct.options.max_rps)
        budget = call_budget(acct.options)
        try:
            if config is not None:  # one engine call per page, each with its own limit
                value = await read_all_pages(self.engine, host, start, config,
                                             timeout_s=budget)
            else:
                value = await self.engine.call_sync(host, call, timeout_s=budget)
        except ClientError as exc:
            code = str(exc.response.get("Error", {}).get("Code", ""))
            if code in absent:
                return Fetched(SOURCE, request, None)
            return Fetched(SOURCE, request, to_fetch_error(exc, service, operation, request))
        except SourceFailure as exc:
            return Fetched(SOURCE, request, exc.error)
        except Exception as exc:  # any SDK failure is an error fact, never a crash
            return Fetched(SOURCE, request, to_fetch_error(exc, service, operation, request))
        return Fetched(SOURCE, request, value)


class MalformedAnswer(ValueError):
    """An answer botocore parsed but that is not shaped like the operation's output."""


def check_shape(client: Any, operation: str, answer: Any) -> None:
    """Refuse an answer with fields the operation's output shape does not define. botocore
    turns a JSON-protocol body it cannot parse into {"message": <body>} rather than an
    error (botocore/parsers.py, BaseJSONParser._parse_body_as_json), which would read as
    "nothing there"; this names it as an unexpected answer instead."""
    if not isinstance(answer, Mapping):
        raise MalformedAnswer(f"the {operation} answer is not an object")
    shape = client.meta.service_model.operation_model(operation).output_shape
    known = set(shape.members) if shape is not None else set()
    extra = sorted(set(answer) - known - {"ResponseMetadata"})
    if extra:
        raise MalformedAnswer(f"the {operation} answer is not shaped like its API "
                              f"(unexpected fields: {', '.join(extra)[:200]})")


def _snake(name: str) -> str:
    from botocore import xform_name

    return str(xform_name(name))


def _known(fetched: Fetched[Any] | None) -> Awaitable[Fetched[Any]] | None:
    """An answer already read (a member's Organization, as its management account read
    it), as an awaitable like a call's."""
    if fetched is None:
        return None

    async def value() -> Fetched[Any]:
        return fetched

    return value()


async def _nothing() -> tuple[list[Fetched[Any]], list[Fetched[Any]]]:
    return [], []


async def _gather(items: Mapping[str, Awaitable[Fetched[Any]]]) -> dict[str, Fetched[Any]]:
    keys = list(items)
    values = await asyncio.gather(*(items[k] for k in keys))
    return dict(zip(keys, values, strict=True))


# ---------------------------------------------------------------------------------------
# the source


class AwsSource(Source):
    name = "aws"
    area = "aws"

    def __init__(self, clock: Clock | None = None) -> None:
        self._accounts: dict[str, Account] = {}
        # What botocore's refreshable credentials read the time from (tests advance it).
        self.clock = clock

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
        import botocore.session

        def open_session() -> tuple[Any, Any]:
            core = botocore.session.Session(profile=options.profile)
            return guard_session(boto3.Session(botocore_session=core)), core

        try:
            session, core = await engine.call_sync(f"sts.{options.profile or 'default'}",
                                                   open_session)
        except Exception as exc:
            raise SourceFailure(FetchError(
                SOURCE, f"boto3 session (profile {options.profile or 'default'})",
                f"{type(exc).__name__}: {exc}", kind="denied")) from None
        account = Account(options, session, "", loader=core.get_component("data_loader"))
        who = await Caller(engine, account).op("sts", home_region(options, session),
                                               "GetCallerIdentity")
        if who.error:
            raise SourceFailure(who.error)
        ident = who.map(lambda v: (str(v["Account"]), str(v["Arn"])))
        if ident.error:
            raise SourceFailure(ident.error)
        account.account_id, account.caller_arn = ident.ok
        return account

    async def _assume(self, base: Account, role_arn: str, engine: Engine,
                      name: str | None = None) -> Account:
        options = base.options
        region = home_region(options, base.session)
        params: dict[str, Any] = {"RoleArn": role_arn, "RoleSessionName": "lockin-audit",
                                  "DurationSeconds": options.role_session_s}
        if options.external_id:
            params["ExternalId"] = options.external_id
        got = await Caller(engine, base).op("sts", region, "AssumeRole", **params)
        account_id = role_arn.split(":")[4] if role_arn.count(":") >= 5 else role_arn
        if got.error:
            return Account(options, None, account_id, name=name, problem=got.error)
        try:
            session, creds = assumed_session(base, params, got.ok["Credentials"],
                                             self.clock)
        except (KeyError, TypeError, ValueError) as exc:
            return Account(options, None, account_id, name=name, problem=FetchError(
                SOURCE, got.request, f"unexpected AssumeRole answer: {exc}", kind="malformed"))
        arn = str((got.ok.get("AssumedRoleUser") or {}).get("Arn", role_arn))
        return Account(options, session, account_id, caller_arn=arn, name=name,
                       credentials=creds, loader=base.loader)

    async def _members(self, manager: Account, options: AwsTarget,
                       engine: Engine) -> list[Account]:
        """The member accounts of the manager's Organization, each entered through
        `organization_role_name`. When the Organization or its accounts cannot be read,
        or the credentials are not the management account's, the members are a gap:
        one unreachable pseudo-account says why (coverage lists it), never silence."""
        caller = Caller(engine, manager)
        region = home_region(options, manager.session)
        where = f"members of the Organization of {manager.account_id}"

        def gap(error: FetchError) -> list[Account]:
            return [Account(options, None, where, problem=error)]

        answer = await caller.op("organizations", region, "DescribeOrganization",
                                 absent=("AWSOrganizationsNotInUseException",))
        org = answer.map(parse_organization)
        if org.error:
            return gap(org.error)
        if org.ok is None:
            return gap(FetchError(SOURCE, org.request, "organization_role_name is set but "
                                  f"account {manager.account_id} is in no Organization",
                                  kind="not_found"))
        master = org.ok.management_account
        if master != manager.account_id:
            return gap(FetchError(
                SOURCE, org.request, f"account {manager.account_id} is a member, not the "
                f"management account ({master}): only the management account can list and "
                "enter the members; scan from there or list role_arns", kind="denied",
                permission="organizations:ListAccounts (in the management account)"))
        listed = (await caller.op("organizations", region, "ListAccounts",
                                  paginate=True)).map(parse_org_accounts)
        if listed.error:
            return gap(listed.error)
        role = options.organization_role_name
        tasks = [
            self._assume(manager, f"arn:{manager.partition}:iam::{a.id}:role/{role}",
                         engine, name=a.name or None)
            for a in listed.ok if a.id != manager.account_id and a.status == "ACTIVE"
        ]
        members = list(await asyncio.gather(*tasks))
        for member in members:
            member.organization = answer
        return members

    # -- facts -------------------------------------------------------------------------
    async def fetch(self, target: Target, ctx: SourceContext) -> AwsFacts:
        account: Account = target.options
        if account.problem is not None:
            raise SourceFailure(account.problem)
        c = Caller(ctx.engine, account)
        home = home_region(account.options, account.session)
        regions = await self._regions(c, home)
        glob, regional = await asyncio.gather(
            self._global(c, home, account),
            asyncio.gather(*(self._regional(c, r) for r in regions)))
        return AwsFacts(account_id=account.account_id, label=target.label,
                        partition=account.partition, caller_arn=account.caller_arn,
                        regions=regions, regional=tuple(regional), **glob)

    async def _regions(self, caller: Caller, home: str) -> tuple[str, ...]:
        wanted = caller.account.options.regions
        if wanted != "all":
            return tuple(dict.fromkeys(wanted))
        got = await caller.op("ec2", home, "DescribeRegions", Filters=[
            {"Name": "opt-in-status", "Values": ["opt-in-not-required", "opted-in"]}])
        if got.error:
            raise SourceFailure(got.error)
        names = got.map(lambda v: sorted(str(r["RegionName"]) for r in v.get("Regions", [])))
        if names.error:
            raise SourceFailure(names.error)
        return tuple(names.ok)

    async def _global(self, c: Caller, home: str, account: Account) -> dict[str, Any]:
        iam = functools.partial(c.op, "iam", home)
        got = await _gather({
            "organization": _known(account.organization) or c.op(
                "organizations", home, "DescribeOrganization",
                absent=("AWSOrganizationsNotInUseException",)),
            "contact": c.op("account", home, "GetContactInformation"),
            # One consistent IAM snapshot (roles with trust, inline and attached policies,
            # users with groups and tags, groups, managed policy documents).
            "iam": iam("GetAccountAuthorizationDetails", paginate=True),
            "saml": iam("ListSAMLProviders"),
            "oidc": iam("ListOpenIDConnectProviders"),
            "buckets": c.op("s3", home, "ListBuckets"),
            "zones": c.op("route53", home, "ListHostedZones", paginate=True),
            "domains": c.op("route53domains", DEFAULT_REGION, "ListDomains", paginate=True),
            **{f"alt.{kind}": c.op("account", home, "GetAlternateContact",
                                   absent=("ResourceNotFoundException",),
                                   AlternateContactType=kind) for kind in CONTACT_TYPES},
        })
        organization = got["organization"].map(parse_organization)
        # ListUsers only for the PasswordLastUsed field the snapshot lacks: asked only when
        # the snapshot lists users (no call for an account without IAM users)
        listed_users = got["iam"].map(lambda v: bool(v.get("UserDetailList")))
        users: Fetched[Any] | None = None
        if listed_users.error is None and listed_users.ok:
            users = await iam("ListUsers", paginate=True)
        iam_snapshot = got["iam"].map(lambda v: parse_iam(v, users))
        org_accounts, credentials, saml, oidc, buckets, domains = await asyncio.gather(
            self._org_accounts(c, home, account, organization),
            self._credentials(c, home, iam_snapshot),
            self._saml(c, home, got["saml"]), self._oidc(c, home, got["oidc"]),
            self._buckets(c, home, got["buckets"]), self._domains(c, got["domains"]))
        return {
            "organization": organization, "org_accounts": org_accounts,
            "contact": got["contact"].map(parse_contact),
            "alternate_contacts": tuple(got[f"alt.{k}"].map(parse_alternate(k))
                                        for k in CONTACT_TYPES),
            "iam": iam_snapshot, "credentials": credentials, "saml_providers": saml,
            "oidc_providers": oidc, "buckets": buckets,
            "hosted_zones": got["zones"].map(parse_zones), "domains": domains,
        }

    async def _org_accounts(self, c: Caller, home: str, account: Account,
                            org: Fetched[Any]) -> Fetched[Any] | None:
        if org.error or org.ok is None or org.ok.management_account != account.account_id:
            return None
        return (await c.op("organizations", home, "ListAccounts", paginate=True)).map(
            parse_org_accounts)

    async def _credentials(self, c: Caller, home: str,
                           snapshot: Fetched[Any]) -> dict[str, Fetched[UserCredentials]]:
        if snapshot.error:
            return {}
        users: tuple[User, ...] = snapshot.ok.users
        got = await asyncio.gather(*(self._user_credentials(c, home, u.name) for u in users))
        return {u.name: f for u, f in zip(users, got, strict=True)}

    async def _user_credentials(self, c: Caller, home: str,
                                name: str) -> Fetched[UserCredentials]:
        login, keys, mfa = await asyncio.gather(
            c.op("iam", home, "GetLoginProfile", absent=("NoSuchEntity",), UserName=name),
            c.op("iam", home, "ListAccessKeys", paginate=True, UserName=name),
            c.op("iam", home, "ListMFADevices", paginate=True, UserName=name))
        meta = keys.map(parse_access_keys)
        key_list: Fetched[tuple[AccessKey, ...]]
        if meta.error:
            key_list = Fetched(SOURCE, meta.request, meta.error, meta.observed_at)
        else:
            used = await asyncio.gather(*(
                c.op("iam", home, "GetAccessKeyLastUsed", AccessKeyId=key_id)
                for key_id, _, _ in meta.ok))
            key_list = Fetched(SOURCE, keys.request, tuple(
                AccessKey(key_id, status, created, u.map(parse_key_last_use))
                for (key_id, status, created), u in zip(meta.ok, used, strict=True)),
                keys.observed_at)
        value = UserCredentials(
            console_password=login.map(lambda v: v is not None),
            keys=key_list,
            mfa=mfa.map(lambda v: bool(v.get("MFADevices"))))
        return Fetched(SOURCE, f"iam:GetLoginProfile, ListAccessKeys, ListMFADevices"
                       f"(UserName={name}) in {home} of {c.account.account_id}", value,
                       login.observed_at)

    async def _saml(self, c: Caller, home: str, listed: Fetched[Any]) -> Fetched[Any]:
        if listed.error:
            return listed
        arns = listed.map(lambda v: [str(p["Arn"]) for p in v.get("SAMLProviderList", [])])
        if arns.error:
            return arns
        got = await asyncio.gather(*(c.op("iam", home, "GetSAMLProvider", SAMLProviderArn=a)
                                     for a in arns.ok))
        return Fetched(SOURCE, listed.request, tuple(
            Detail(a, f.map(parse_saml_provider(a)))
            for a, f in zip(arns.ok, got, strict=True)), listed.observed_at)

    async def _oidc(self, c: Caller, home: str, listed: Fetched[Any]) -> Fetched[Any]:
        if listed.error:
            return listed
        arns = listed.map(lambda v: [str(p["Arn"])
                                     for p in v.get("OpenIDConnectProviderList", [])])
        if arns.error:
            return arns
        got = await asyncio.gather(*(c.op("iam", home, "GetOpenIDConnectProvider",
                                          OpenIDConnectProviderArn=a) for a in arns.ok))
        return Fetched(SOURCE, listed.request, tuple(f.map(parse_oidc(a))
                                             for a, f in zip(arns.ok, got, strict=True)),
                       listed.observed_at)

    async def _buckets(self, c: Caller, home: str, listed: Fetched[Any]) -> Fetched[Any]:
        if listed.error:
            return listed
        found = listed.map(lambda v: [str(b["Name"]) for b in v.get("Buckets", [])])
        if found.error:
            return found
        names: list[str] = found.ok

        async def one(name: str) -> Bucket:
            enc, rep, pol = await asyncio.gather(
                c.op("s3", home, "GetBucketEncryption",
                     absent=("ServerSideEncryptionConfigurationNotFoundError",), Bucket=name),
                c.op("s3", home, "GetBucketReplication",
                     absent=("ReplicationConfigurationNotFoundError",), Bucket=name),
                c.op("s3", home, "GetBucketPolicy", absent=("NoSuchBucketPolicy",),
                     Bucket=name))
            return Bucket(name, enc.map(parse_bucket_encryption), rep.map(parse_replication),
                          pol.map(parse_bucket_policy))

        return Fetched(SOURCE, listed.request, tuple(await asyncio.gather(*(one(n) for n in names))),
                       listed.observed_at)

    async def _domains(self, c: Caller, listed: Fetched[Any]) -> Fetched[Any]:
        names = listed.map(domain_names)
        if names.error:
            return names
        got = await asyncio.gather(*(c.op("route53domains", DEFAULT_REGION, "GetDomainDetail",
                                          DomainName=d) for d in names.ok))
        return Fetched(SOURCE, listed.request, tuple(f.map(parse_domain(d))
                                             for d, f in zip(names.ok, got, strict=True)),
                       listed.observed_at)

    async def _regional(self, c: Caller, region: str) -> RegionFacts:
        ec2 = functools.partial(c.op, "ec2", region, paginate=True)
        got = await _gather({
            "kms_keys": c.op("kms", region, "ListKeys", paginate=True),
            "volumes": ec2("DescribeVolumes"),
            "instances": ec2("DescribeInstances"),
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
            "analyzers": c.op("accessanalyzer", region, "ListAnalyzers", paginate=True),
            # own AMIs and whom they are shared with (no analyzer covers AMIs)
            "own_images": c.op("ec2", region, "DescribeImages", Owners=["self"]),
            # resource shares this account owns, with whom
            "share_assoc": c.op("ram", region, "GetResourceShareAssociations", paginate=True,
                                associationType="PRINCIPAL"),
        })
        instances = got["instances"].map(parse_instances)
        # Subnets of another account reach this one only through a Resource Access Manager
        # share (https://docs.aws.amazon.com/vpc/latest/userguide/vpc-sharing.html): with
        # no share received (read, not failed), no subnet can be another account's.
        received = got["ram_shares"].map(lambda v: bool(v.get("resourceShares")))
        if received.error is None and not received.ok:
            subnets: Fetched[Any] = got["ram_shares"].map(lambda _v: {"Subnets": []})
        else:
            subnets = await ec2("DescribeSubnets")
        analyzers = got["analyzers"].map(parse_analyzers)
        external: list[Analyzer] = [] if analyzers.error else [
            a for a in analyzers.ok if a.external_access and a.status == "ACTIVE"]
        # An analyzer whose zone of trust is this account reports every access from outside
        # it: its findings stand in for our own reads of the types it covers. An
        # organization analyzer does not (access from inside that Organization, maybe the
        # provider's, is not a finding), so our own reads run too.
        sso = got["sso_instances"].map(parse_sso)
        findings = await asyncio.gather(*(self._findings(c, region, a) for a in external))
        # ... only when its findings were read: an unreadable analyzer stands in for nothing
        covering = next((a for a, f in zip(external, findings, strict=True)
                         if a.type == "ACCOUNT" and f.error is None), None)
        more = asyncio.gather(
            self._own_reads(c, region) if covering is None else _nothing(),
            self._shared(c, region, got["own_images"], "ami"),
            self._identity_center(c, region, sso))
        keys, images, plans, vaults = await asyncio.gather(
            self._keys(c, region, got["kms_keys"]), self._images(c, region, instances),
            self._plans(c, region, got["backup_plans"]),
            self._vaults(c, region, got["backup_vaults"]))
        (shared, policies), ami_shares, identity_center = await more
        return RegionFacts(
            region=region, kms_keys=keys, volumes=got["volumes"].map(parse_volumes),
            instances=instances, images=images,
            databases=got["db_instances"].map(parse_databases),
            network=(got["ram_shares"].map(parse_shares), subnets.map(parse_subnets),
                     got["peerings"].map(parse_peerings), got["tgw_attachments"].map(parse_tgw),
                     got["dx_interfaces"].map(parse_dx)),
            backup_plans=plans, backup_vaults=vaults, trails=got["trails"].map(parse_trails),
            sso_instances=sso, analyzers=analyzers, findings=tuple(findings),
            shared=(ami_shares, *shared), resource_policies=tuple(policies),
            share_associations=got["share_assoc"].map(parse_share_associations),
            identity_center=identity_center,
            covered_by=covering.arn if covering is not None else "")

    async def _findings(self, c: Caller, region: str, analyzer: Analyzer) -> Fetched[Any]:
        """The analyzer's active findings (ListFindings' summaries carry the principal,
        condition and actions, so no GetFinding per finding is needed)."""
        return (await c.op("accessanalyzer", region, "ListFindings", paginate=True,
                           analyzerArn=analyzer.arn,
                           filter={"status": {"eq": ["ACTIVE"]}})).map(
            parse_findings(analyzer.arn))

    async def _own_reads(self, c: Caller, region: str
                         ) -> tuple[list[Fetched[Any]], list[Fetched[Any]]]:
        """EBS and RDS snapshots shared, and the resource policies of secrets, queues,
        topics, functions and repositories: read where no account analyzer covers them."""
        listed = await _gather({
            "ebs": c.op("ec2", region, "DescribeSnapshots", paginate=True, OwnerIds=["self"]),
            "rds": c.op("rds", region, "DescribeDBSnapshots", paginate=True,
                        SnapshotType="manual"),
            "secret": c.op("secretsmanager", region, "ListSecrets", paginate=True),
            "queue": c.op("sqs", region, "ListQueues", paginate=True),
            "topic": c.op("sns", region, "ListTopics", paginate=True),
            "function": c.op("lambda", region, "ListFunctions", paginate=True),
            "repository": c.op("ecr", region, "DescribeRepositories", paginate=True),
        })
        results = await asyncio.gather(
            self._shared(c, region, listed["ebs"], "ebs_snapshot"),
            self._shared(c, region, listed["rds"], "rds_snapshot"),
            *(self._policies(c, region, kind, listed[kind])
              for kind in ("secret", "queue", "topic", "function", "repository")))
        return list(results[:2]), list(results[2:])

    async def _shared(self, c: Caller, region: str, listed: Fetched[Any],
                      kind: str) -> Fetched[Any]:
        """Whom each own AMI, EBS snapshot or manual RDS snapshot is shared with."""
        parse = {"ami": parse_own_image_ids(c.account.account_id),
                 "ebs_snapshot": parse_snapshot_ids(c.account.account_id),
                 "rds_snapshot": parse_db_snapshots}[kind]
        found = listed.map(parse)
        if found.error:
            return found
        acct, part = c.account.account_id, c.account.partition

        async def one(item: Any) -> Shared:
            if kind == "ami":
                got = await c.op("ec2", region, "DescribeImageAttribute", ImageId=item,
                                 Attribute="launchPermission")
                arn = f"arn:{part}:ec2:{region}::image/{item}"
                return Shared(kind, item, arn, got.map(parse_launch_permissions))
            if kind == "ebs_snapshot":
                got = await c.op("ec2", region, "DescribeSnapshotAttribute", SnapshotId=item,
                                 Attribute="createVolumePermission")
                arn = f"arn:{part}:ec2:{region}::snapshot/{item}"
                return Shared(kind, item, arn, got.map(parse_create_volume_permissions))
            ident, arn = item
            got = await c.op("rds", region, "DescribeDBSnapshotAttributes",
                             DBSnapshotIdentifier=ident)
            return Shared(kind, ident, arn or f"arn:{part}:rds:{region}:{acct}:snapshot:{ident}",
                          got.map(parse_restore_attribute))

        return Fetched(SOURCE, listed.request, tuple(await asyncio.gather(*(one(i) for i in found.ok))),
                       listed.observed_at)

    async def _policies(self, c: Caller, region: str, kind: str,
                        listed: Fetched[Any]) -> Fetched[Any]:
        """Each listed resource's resource-based policy (None when it has none)."""
        def names(v: Any) -> list[tuple[str, str]]:
            if kind == "secret":
                return [(str(x["ARN"]), str(x.get("Name", ""))) for x in v.get("SecretList", [])]
            if kind == "queue":
                return [(str(u), str(u).rstrip("/").rpartition("/")[2])
                        for u in v.get("QueueUrls", [])]
            if kind == "topic":
                return [(str(x["TopicArn"]), str(x["TopicArn"]).rpartition(":")[2])
                        for x in v.get("Topics", [])]
            if kind == "function":
                return [(str(x["FunctionArn"]), str(x.get("FunctionName", "")))
                        for x in v.get("Functions", [])]
            return [(str(x["repositoryArn"]), str(x["repositoryName"]))
                    for x in v.get("repositories", [])]

        found = listed.map(names)
        if found.error:
            return found

        def doc(text: Any) -> Any:
            return None if text in (None, "") else parse_policy(text)

        async def one(arn: str, name: str) -> ResourcePolicy:
            if kind == "secret":
                got = (await c.op("secretsmanager", region, "GetResourcePolicy", SecretId=arn)
                       ).map(lambda v: doc(v.get("ResourcePolicy")))
            elif kind == "queue":
                raw = await c.op("sqs", region, "GetQueueAttributes", QueueUrl=arn,
                                 AttributeNames=["Policy", "QueueArn"])
                got = raw.map(lambda v: doc((v.get("Attributes") or {}).get("Policy")))
                queue_arn = raw.map(lambda v: str((v.get("Attributes") or {}).get("QueueArn")
                                                  or ""))
                if queue_arn.error is None and queue_arn.ok:
                    return ResourcePolicy(kind, queue_arn.ok, name, got)
            elif kind == "topic":
                got = (await c.op("sns", region, "GetTopicAttributes", TopicArn=arn)).map(
                    lambda v: doc((v.get("Attributes") or {}).get("Policy")))
            elif kind == "function":
                got = (await c.op("lambda", region, "GetPolicy",
                                  absent=("ResourceNotFoundException",), FunctionName=arn)
                       ).map(lambda v: None if v is None else doc(v.get("Policy")))
            else:
                got = (await c.op("ecr", region, "GetRepositoryPolicy",
                                  absent=("RepositoryPolicyNotFoundException",),
                                  repositoryName=name)
                       ).map(lambda v: None if v is None else doc(v.get("policyText")))
            return ResourcePolicy(kind, arn, name, got)

        return Fetched(SOURCE, listed.request, tuple(await asyncio.gather(
            *(one(a, n) for a, n in found.ok))), listed.observed_at)

    async def _identity_center(self, c: Caller, region: str,
                               listed: Fetched[Any]) -> tuple[IdentityCenter, ...]:
        """Permission sets, account assignments and the users and groups assigned, of each
        Identity Center instance this account owns (sso-admin, identitystore)."""
        if listed.error:
            return ()
        own = [i for i in listed.ok if i.owner in ("", c.account.account_id)]
        return tuple(await asyncio.gather(*(self._instance(c, region, i) for i in own)))

    async def _instance(self, c: Caller, region: str, inst: Any) -> IdentityCenter:
        sso = functools.partial(c.op, "sso-admin", region)
        listed = await sso("ListPermissionSets", paginate=True, InstanceArn=inst.arn)
        arns = listed.map(lambda v: [str(a) for a in v.get("PermissionSets", [])])
        if arns.error:
            return IdentityCenter(inst.arn, inst.identity_store, Fetched(
                SOURCE, arns.request, arns.error, arns.observed_at), None, None)

        async def one(ps: str) -> Fetched[PermissionSet]:
            desc, managed, inline, accounts = await asyncio.gather(
                sso("DescribePermissionSet", InstanceArn=inst.arn, PermissionSetArn=ps),
                sso("ListManagedPoliciesInPermissionSet", paginate=True, InstanceArn=inst.arn,
                    PermissionSetArn=ps),
                sso("GetInlinePolicyForPermissionSet", InstanceArn=inst.arn,
                    PermissionSetArn=ps),
                sso("ListAccountsForProvisionedPermissionSet", paginate=True,
                    InstanceArn=inst.arn, PermissionSetArn=ps))
            managed_names = managed.map(lambda v: tuple(
                str(m.get("Name", "")) for m in v.get("AttachedManagedPolicies", [])))
            inline_text = inline.map(lambda v: v.get("InlinePolicy") or None)
            account_ids = accounts.map(lambda v: [str(a) for a in v.get("AccountIds", [])])
            for part in (desc, managed_names, inline_text, account_ids):
                if part.error:
                    return Fetched(SOURCE, part.request, part.error, part.observed_at)
            assigned = await asyncio.gather(*(
                sso("ListAccountAssignments", paginate=True, InstanceArn=inst.arn,
                    AccountId=a, PermissionSetArn=ps) for a in account_ids.ok))
            rows: list[tuple[str, str, str]] = []
            for got in assigned:
                listed_rows = got.map(lambda v: [
                    (str(x.get("AccountId", "")), str(x.get("PrincipalType", "")),
                     str(x.get("PrincipalId", ""))) for x in v.get("AccountAssignments", [])])
                if listed_rows.error:
                    return Fetched(SOURCE, got.request, listed_rows.error, got.observed_at)
                rows.extend(listed_rows.ok)
            text = inline_text.ok
            return desc.map(lambda v: PermissionSet(
                ps, str(v["PermissionSet"].get("Name", "")), managed_names.ok,
                parse_policy(text) if text else None, tuple(rows)))

        sets = await asyncio.gather(*(one(a) for a in arns.ok))
        permission_sets = Fetched(SOURCE, listed.request, tuple(sets), listed.observed_at)
        principals = {(t, i) for f in sets if f.error is None for _, t, i in f.ok.assignments}
        if not principals:
            return IdentityCenter(inst.arn, inst.identity_store, permission_sets, None, None)
        store = functools.partial(c.op, "identitystore", region)
        users, groups = await asyncio.gather(
            store("ListUsers", paginate=True, IdentityStoreId=inst.identity_store),
            store("ListGroups", paginate=True, IdentityStoreId=inst.identity_store))
        group_ids = sorted(i for t, i in principals if t == "GROUP")
        group_names = groups.map(lambda v: {str(g["GroupId"]): str(g.get("DisplayName", ""))
                                            for g in v.get("Groups", [])})

        async def members(gid: str) -> Fetched[IcGroup]:
            got = await store("ListGroupMemberships", paginate=True,
                              IdentityStoreId=inst.identity_store, GroupId=gid)
            name = "" if group_names.error else group_names.ok.get(gid, "")
            return got.map(lambda v: IcGroup(gid, name, tuple(
                str((m.get("MemberId") or {}).get("UserId", ""))
                for m in v.get("GroupMemberships", []))))

        group_list: Fetched[Any] = groups if groups.error else Fetched(SOURCE,
            groups.request, tuple(await asyncio.gather(*(members(g) for g in group_ids))),
            groups.observed_at)
        return IdentityCenter(inst.arn, inst.identity_store, permission_sets,
                              users.map(parse_ic_users), group_list)

    async def _keys(self, c: Caller, region: str, listed: Fetched[Any]) -> Fetched[Any]:
        if listed.error:
            return listed
        found = listed.map(lambda v: [str(k["KeyArn"]) for k in v.get("Keys", [])])
        if found.error:
            return found
        arns: list[str] = found.ok

        async def grants_of(arn: str, meta: Any) -> Fetched[Any] | None:
            kind = (await meta).map(parse_key_manager)
            if kind.error is None and kind.ok == "AWS":
                return None  # AWS managed keys' grants are AWS's own, not changeable
            return (await c.op("kms", region, "ListGrants", paginate=True, KeyId=arn)).map(
                parse_grants(arn))

        async def one(arn: str) -> KmsKey:
            meta_task = asyncio.ensure_future(c.op("kms", region, "DescribeKey", KeyId=arn))
            policy, grants = await asyncio.gather(
                c.op("kms", region, "GetKeyPolicy", KeyId=arn, PolicyName="default"),
                grants_of(arn, meta_task))
            meta = await meta_task
            return KmsKey(arn, meta.map(parse_key_manager),
                          policy.map(lambda v: parse_policy(v.get("Policy"))), grants)

        return Fetched(SOURCE, listed.request, tuple(await asyncio.gather(*(one(a) for a in arns))),
                       listed.observed_at)

    async def _images(self, c: Caller, region: str,
                      instances: Fetched[Any]) -> Fetched[Any] | None:
        if instances.error:
            return None
        image_ids = sorted({i.image_id for i in instances.ok} - {""})
        if not image_ids:
            return None
        got = await c.op("ec2", region, "DescribeImages",
                         Filters=[{"Name": "image-id", "Values": image_ids}])
        return got.map(parse_images)

    async def _plans(self, c: Caller, region: str, listed: Fetched[Any]) -> Fetched[Any]:
        if listed.error:
            return listed
        found = listed.map(lambda v: [str(p["BackupPlanId"])
                                      for p in v.get("BackupPlansList", [])])
        if found.error:
            return found
        got = await asyncio.gather(*(c.op("backup", region, "GetBackupPlan", BackupPlanId=i)
                                     for i in found.ok))
        return Fetched(SOURCE, listed.request, tuple(f.map(parse_backup_plan) for f in got),
                       listed.observed_at)

    async def _vaults(self, c: Caller, region: str, listed: Fetched[Any]) -> Fetched[Any]:
        if listed.error:
            return listed
        found = listed.map(lambda v: [(str(x["BackupVaultName"]), str(x["BackupVaultArn"]))
                                      for x in v.get("BackupVaultList", [])])
        if found.error:
            return found
        vaults: list[tuple[str, str]] = found.ok
        got = await asyncio.gather(*(c.op(
            "backup", region, "GetBackupVaultAccessPolicy",
            absent=("ResourceNotFoundException",), BackupVaultName=name) for name, _ in vaults))
        return Fetched(SOURCE, listed.request, tuple(
            BackupVault(name, arn, f.map(lambda v: None if v is None else parse_policy(
                v.get("Policy")))) for (name, arn), f in zip(vaults, got, strict=True)),
            listed.observed_at)

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


