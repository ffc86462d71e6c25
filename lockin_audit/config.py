"""The audit file (DESIGN.md section 4): pydantic models and loading with clear errors.

A broken file gives one paragraph naming the file, the key path and what was expected;
unknown keys are errors with a did-you-mean hint. Every scan target is optional.
Credentials never come from this file.
"""

from __future__ import annotations

import difflib
import ipaddress
import re
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

_DOMAIN_RE = re.compile(r"^(?=.{1,253}$)([a-z0-9_]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9-]{2,63}$")
_GUID_RE = re.compile(r"^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")


class ConfigError(Exception):
    """A one-paragraph, user-facing description of what is wrong with an audit file."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _domain(value: str) -> str:
    v = value.strip().rstrip(".").lower()
    try:
        v = v.encode("idna").decode("ascii")
    except UnicodeError as exc:
        raise ValueError(f"{value!r} is not a valid domain name") from exc
    if not _DOMAIN_RE.match(v):
        raise ValueError(f"{value!r} is not a domain name like example.com")
    return v


def _account(value: str | int) -> str:
    v = str(value).strip()
    if not re.fullmatch(r"\d{12}", v):
        raise ValueError(f"{value!r} is not a 12-digit AWS account id (quote it in YAML)")
    return v


_AWS_ORG_PATH = re.compile(r"o-[a-z0-9]{10,32}(/r-[0-9a-z]{4,32}(/ou-[0-9a-z]{4,32}-[a-z0-9]{8,32})*)?")


def _aws_organization(value: Any) -> str:
    """An AWS Organization id (o-...) or an organizational-unit path
    (o-.../r-.../ou-.../...), the form aws:PrincipalOrgPaths uses
    (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-principalorgpaths)."""
    v = str(value).strip().rstrip("/").rstrip("*").rstrip("/")
    if not _AWS_ORG_PATH.fullmatch(v):
        raise ValueError(f"{value!r} is not an AWS Organization id like o-abc123def4 or an "
                         "organizational-unit path like o-abc123def4/r-ab12/ou-ab12-11111111")
    return v


def _guid(value: str) -> str:
    if not _GUID_RE.match(value.strip()):
        raise ValueError(f"{value!r} is not a GUID like 00000000-0000-0000-0000-000000000000")
    return value.strip().lower()


def _google_customer(value: Any) -> str:
    v = str(value).strip()
    if not re.fullmatch(r"C[0-9a-zA-Z]{6,12}", v):
        raise ValueError(f"{value!r} is not a Google customer id like C01abc2de (Admin "
                         "console > Account > Account settings > Customer ID)")
    return v


def _gcp_organization(value: Any) -> str:
    v = str(value).strip().removeprefix("organizations/")
    if not re.fullmatch(r"\d{1,20}", v):
        raise ValueError(f"{value!r} is not a numeric Google Cloud organization id "
                         "(quote it in YAML)")
    return v


def _gcp_billing_account(value: Any) -> str:
    v = str(value).strip().removeprefix("billingAccounts/").upper()
    if not re.fullmatch(r"[0-9A-F]{6}-[0-9A-F]{6}-[0-9A-F]{6}", v):
        raise ValueError(f"{value!r} is not a Cloud Billing account id like "
                         "012345-6789AB-CDEF01")
    return v


def _gcp_project(value: Any) -> str:
    v = str(value).strip()
    if not re.fullmatch(r"[a-z][a-z0-9-]{4,28}[a-z0-9]", v):
        raise ValueError(f"{value!r} is not a Google Cloud project id (6-30 lowercase "
                         "letters, digits or hyphens, starting with a letter)")
    return v


class IdentityOrgs(_Model):
    """The organisations a party holds at identity platforms that AWS (and other clouds)
    federate with, matched exactly (case-insensitively): a role trusting GitHub Actions
    tokens of `repo:<org>/*` belongs to whoever lists `<org>` under `github`."""

    github: list[str] = []  # GitHub organisations or users (owner of repo:<owner>/...)
    gitlab: list[str] = []  # GitLab top-level groups (project_path:<group>/...)
    terraform_cloud: list[str] = []  # Terraform Cloud / HCP Terraform organizations
    okta: list[str] = []  # Okta org hosts, e.g. bobsit.okta.com
    google_workspace: list[str] = []  # Google Workspace primary domains
    jumpcloud: list[str] = []  # JumpCloud organisation ids
    # CI/CD platforms whose OIDC tokens AWS roles trust (data/identity_platforms.yaml)
    github_enterprise: list[str] = []  # GitHub Enterprise Cloud enterprise slugs
    github_enterprise_server: list[str] = []  # GitHub Enterprise Server host names
    bitbucket: list[str] = []  # Bitbucket workspaces (in the issuer URL)
    circleci: list[str] = []  # CircleCI organization ids (in the issuer URL)
    buildkite: list[str] = []  # Buildkite organization slugs
    spacelift: list[str] = []  # Spacelift accounts (<account>.app.spacelift.io)
    env0: list[str] = []  # env zero OIDC subject identifiers (one per organisation)
    azure_devops: list[str] = []  # Azure DevOps organization ids (vstoken issuer)

    @field_validator("*")
    @classmethod
    def _names(cls, v: list[str]) -> list[str]:
        out = []
        for x in v:
            name = str(x).strip().lower()
            if not name or any(ch in name for ch in "*?/: "):
                raise ValueError(f"{x!r} is not an organisation name (no wildcards, "
                                 "slashes, colons or spaces)")
            out.append(name)
        return out


class Party(_Model):
    name: str = Field(min_length=1)
    aliases: list[str] = []
    domains: list[str] = []
    email_domains: list[str] = []
    aws_account_ids: list[str] = []
    # AWS Organization ids or OU paths (o-.../r-.../ou-...) of the party's Organization
    aws_organization_ids: list[str] = []
    azure_tenant_ids: list[str] = []
    partner_ids: list[str] = []
    ip_ranges: list[str] = []
    # exact addresses the party is known to use at a consumer mailbox service (the
    # owner's personal gmail.com address): without this, such an address is a person
    # nobody has identified (see data/consumer_mailboxes.yaml)
    emails: list[str] = []
    phones: list[str] = []  # full international numbers (+1 217 555 0142), digits compared
    google_customer_ids: list[str] = []  # Workspace / Cloud Identity customer ids (C0...)
    gcp_organization_ids: list[str] = []  # numeric Google Cloud organization ids
    gcp_billing_account_ids: list[str] = []  # 012345-6789AB-CDEF01
    gcp_project_ids: list[str] = []  # project ids (service accounts from these projects)
    google_oauth_client_ids: list[str] = []  # OAuth client ids of the party's own apps
    # the party's RMM / remote-control instances (relay or server hosts, account ids)
    remote_access: list[str] = []

    @field_validator("google_customer_ids", mode="before")
    @classmethod
    def _customers(cls, v: Any) -> Any:
        return [_google_customer(x) for x in v] if isinstance(v, list) else v

    @field_validator("gcp_organization_ids", mode="before")
    @classmethod
    def _orgs(cls, v: Any) -> Any:
        return [_gcp_organization(x) for x in v] if isinstance(v, list) else v

    @field_validator("gcp_billing_account_ids", mode="before")
    @classmethod
    def _billing(cls, v: Any) -> Any:
        return [_gcp_billing_account(x) for x in v] if isinstance(v, list) else v

    @field_validator("google_oauth_client_ids", mode="before")
    @classmethod
    def _oauth_clients(cls, v: Any) -> Any:
        return [str(x).strip() for x in v] if isinstance(v, list) else v

    @field_validator("gcp_project_ids", mode="before")
    @classmethod
    def _projects(cls, v: Any) -> Any:
        return [_gcp_project(x) for x in v] if isinstance(v, list) else v
    identity_orgs: IdentityOrgs = IdentityOrgs()

    @field_validator("domains", "email_domains")
    @classmethod
    def _domains(cls, v: list[str]) -> list[str]:
        from lockin_audit.identity import consumer_mailbox

        out = [_domain(x) for x in v]
        for dom in out:
            box = consumer_mailbox(dom)
            if box is not None:
                raise ValueError(
                    f"{dom} is a consumer mailbox service ({box.service}): anyone can have an "
                    "address there, so it cannot be a party's domain; list the party's own "
                    f"addresses at {dom} under `emails:` instead")
        return out

    @field_validator("phones", mode="before")
    @classmethod
    def _phones(cls, v: Any) -> Any:
        if not isinstance(v, list):
            return v
        out = []
        for x in v:
            digits = re.sub(r"\D", "", str(x))
            if len(digits) < 7 or not str(x).strip().startswith("+"):
                raise ValueError(f"{x!r} is not a phone number in international form "
                                 "(+<country code> <number>)")
            out.append(str(x).strip())
        return out

    @field_validator("emails", mode="before")
    @classmethod
    def _emails(cls, v: Any) -> Any:
        if not isinstance(v, list):
            return v
        out = []
        for x in v:
            text = str(x).strip().lower()
            local, at, dom = text.rpartition("@")
            if not at or not local or not _DOMAIN_RE.match(dom):
                raise ValueError(f"{x!r} is not an email address like name@example.com")
            out.append(text)
        return out

    @field_validator("aws_account_ids", mode="before")
    @classmethod
    def _accounts(cls, v: Any) -> Any:
        return [_account(x) for x in v] if isinstance(v, list) else v

    @field_validator("aws_organization_ids", mode="before")
    @classmethod
    def _aws_orgs(cls, v: Any) -> Any:
        return [_aws_organization(x) for x in v] if isinstance(v, list) else v

    @field_validator("azure_tenant_ids")
    @classmethod
    def _tenants(cls, v: list[str]) -> list[str]:
        return [_guid(x) for x in v]

    @field_validator("partner_ids", mode="before")
    @classmethod
    def _partners(cls, v: Any) -> Any:
        return [str(x) for x in v] if isinstance(v, list) else v

    @field_validator("ip_ranges")
    @classmethod
    def _ranges(cls, v: list[str]) -> list[str]:
        out = []
        for x in v:
            try:
                out.append(str(ipaddress.ip_network(x, strict=False)))
            except ValueError as exc:
                raise ValueError(f"{x!r} is not an IP range in CIDR form") from exc
        return out


class DnsOptions(_Model):
    # host or host:port, or "system" (the machine's own resolvers); empty: public
    # resolvers (1.1.1.1, 8.8.8.8, 9.9.9.9), never silently a local view
    resolvers: list[str] = []
    timeout_s: float = Field(default=3.0, gt=0, le=60)
    tcp: bool = False  # query over TCP only
    dkim_selectors: list[str] = []  # DKIM selectors to ask besides the common senders'
    # resolvers: [iterative] resolves through the delegation from these root servers
    # (default: the IANA root servers); servers learned from referrals are asked on
    # iterative_port
    root_hints: list[str] = []
    iterative_port: int = Field(default=53, ge=1, le=65535)
    # queries in flight at once to each resolver (its own budget, not limits.concurrency);
    # the default and its source are in sources/dns.py (DNS_IN_FLIGHT)
    max_in_flight: int = Field(default=128, ge=1, le=1024)


class RdapOptions(_Model):
    bootstrap_url: str | None = None  # base URL holding dns.json, ipv4.json, ipv6.json, asn.json
    cache_dir: str | None = None
    cache_ttl_s: int = Field(default=86400, ge=0)
    timeout_s: float = Field(default=10.0, gt=0, le=120)
    overrides: dict[str, str] = {}  # tld -> RDAP base URL, for ccTLDs missing from IANA


class AwsTarget(_Model):
    name: str | None = None
    profile: str | None = None
    regions: Literal["all"] | list[str] = "all"
    endpoint_url: str | None = None
    role_arns: list[str] = []
    organization_role_name: str | None = None  # assume this role in each member account
    external_id: str | None = None
    # Per-service endpoint overrides (service name -> URL), e.g. a proxy for one service.
    service_endpoints: dict[str, str] = {}
    region: str | None = None  # home region for global APIs; default: profile's or us-east-1
    timeout_s: float = Field(default=20.0, gt=0, le=300)  # botocore read timeout
    max_rps: float = Field(default=20.0, gt=0)  # calls per second per account/service/region
    max_attempts: int = Field(default=5, ge=1, le=10)  # botocore standard-mode attempts
    # Assumed-role session length; botocore refreshes the credentials before they expire.
    role_session_s: int = Field(default=3600, ge=900, le=43200)


class AzureTarget(_Model):
    name: str | None = None
    tenant_id: str | None = None
    subscription_ids: list[str] = []
    arm_endpoint: str | None = None
    graph_endpoint: str | None = None
    authority_host: str | None = None
    client_id: str | None = None  # with the secret or certificate in the environment
    credential: Literal["default", "environment", "cli", "managed_identity"] = "default"
    ca_bundle: str | None = None  # a private CA for proxies (and the tests)

    @field_validator("tenant_id")
    @classmethod
    def _tenant(cls, v: str | None) -> str | None:
        return _guid(v) if v else v

    @field_validator("subscription_ids")
    @classmethod
    def _subs(cls, v: list[str]) -> list[str]:
        return [_guid(x) for x in v]


class GoogleTarget(_Model):
    """One Google Workspace (or Cloud Identity) customer read through the Admin SDK.
    Credentials come from Application Default Credentials (a service account key named by
    GOOGLE_APPLICATION_CREDENTIALS, the metadata server, or gcloud), never from here."""

    name: str | None = None
    customer_id: str = "my_customer"  # or C0...; my_customer means the subject's own
    subject: str | None = None  # the admin the service account acts as (domain-wide delegation)
    token_users: int = Field(default=50, ge=0, le=5000)  # non-admin users sampled for apps
    api_endpoint: str | None = None  # replaces https://admin.googleapis.com (proxy, tests)
    ca_bundle: str | None = None  # a private CA for proxies (and the tests)

    @field_validator("customer_id")
    @classmethod
    def _customer(cls, v: str) -> str:
        return v if v == "my_customer" else _google_customer(v)

    @field_validator("subject")
    @classmethod
    def _subject(cls, v: str | None) -> str | None:
        if v is not None and not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", v.strip()):
            raise ValueError(f"{v!r} is not an email address of a Workspace admin")
        return v.strip().lower() if v else v


class GcpTarget(_Model):
    """Google Cloud: an organization and/or projects, read through Resource Manager, Cloud
    Billing and Essential Contacts with Application Default Credentials."""

    name: str | None = None
    organization_id: str | None = None  # read every project under it
    project_ids: list[str] = []  # and/or these projects
    api_endpoint: str | None = None  # replaces https://<service>.googleapis.com (proxy, tests)
    ca_bundle: str | None = None

    @field_validator("organization_id", mode="before")
    @classmethod
    def _org(cls, v: Any) -> Any:
        return _gcp_organization(v) if v is not None else v

    @field_validator("project_ids", mode="before")
    @classmethod
    def _projects(cls, v: Any) -> Any:
        return [_gcp_project(x) for x in v] if isinstance(v, list) else v


class Limits(_Model):
    concurrency: int = Field(default=16, ge=1, le=256)
    timeout_s: float = Field(default=15.0, gt=0, le=600)
    per_host_rate: float = Field(default=20.0, gt=0)  # requests per second per host
    per_host_burst: int = Field(default=10, ge=1)
    host_rates: dict[str, float] = {}  # exact host -> requests per second
    max_retry_after_s: float = Field(default=60.0, ge=0)
    # The most bytes one answer may have once decoded (gunzipped), per source (rdap, dns,
    # azure, graph, google, gcp, http); the defaults are in lockin_audit/transport.py
    # (ANSWER_LIMITS). A larger answer is not read further: the target is an error.
    max_answer_bytes: dict[str, int] = {}

    @field_validator("max_answer_bytes")
    @classmethod
    def _answer_bytes(cls, v: dict[str, int]) -> dict[str, int]:
        for source, limit in v.items():
            if limit < 1024:
                raise ValueError(f"{source}: {limit} is below 1024 bytes")
        return v
    # How long one target (a domain, an AWS account, a tenant) may take in all: its pages
    # and retries run within it; `timeout_s` bounds each single request.
    target_budget_s: float = Field(default=900.0, gt=0, le=86400)


class Scan(_Model):
    domains: list[str] = []
    dns: DnsOptions = DnsOptions()
    rdap: RdapOptions = RdapOptions()
    aws: list[AwsTarget] = []
    azure: list[AzureTarget] = []
    google: list[GoogleTarget] = []
    gcp: list[GcpTarget] = []
    inventory: list[str] = []
    limits: Limits = Limits()
    # Exit 4 when the scan is incomplete and nothing else failed it (as --fail-on-gaps).
    fail_on_gaps: bool = False
    # Hosts, addresses or networks (CIDR) that URLs and referrals taken from answers may
    # name although they are not public or not https (an internal RDAP mirror, say); the
    # endpoints configured above are trusted already. See SECURITY.md.
    allow_hosts: list[str] = []
    # The history store (a path, sqlite:///PATH or postgresql://USER@HOST/DB; never with
    # a password: libpq reads PGPASSWORD, ~/.pgpass or a service file) and acceptance files.
    history: str | None = None
    accept: list[str] = []
    # The evidence bundle (as --evidence): a zip of the facts, report and manifest.
    evidence: str | None = None
    # Files written by `lockin-audit endpoint collect` on the business's machines (globs).
    endpoints: list[str] = []

    @field_validator("history")
    @classmethod
    def _history(cls, v: str | None) -> str | None:
        from lockin_audit.history.store import redact

        if v is not None and redact(v) != v:
            raise ValueError("must not contain a password (credentials never go in the "
                             "audit file): use PGPASSWORD, ~/.pgpass or a PGSERVICE file")
        return v

    @field_validator("domains")
    @classmethod
    def _domains(cls, v: list[str]) -> list[str]:
        return list(dict.fromkeys(_domain(x) for x in v))


class AuditConfig(_Model):
    client: Party
    provider: list[Party] = Field(min_length=1)
    scan: Scan = Scan()
    # Where the file was read from; inventory paths are relative to it.
    base_dir: Path = Field(default=Path("."), exclude=True)
    source_path: str | None = Field(default=None, exclude=True)

    @field_validator("provider", mode="before")
    @classmethod
    def _one_or_many(cls, v: Any) -> Any:
        return [v] if isinstance(v, dict) else v

    def resolve_path(self, path: str) -> Path:
        p = Path(path).expanduser()
        return p if p.is_absolute() else self.base_dir / p


# ---------------------------------------------------------------------------------------
# loading and error messages


def _known_keys(model: type[BaseModel], loc: tuple[int | str, ...]) -> list[str]:
    """The field names valid at `loc` (following nested models and lists)."""
    current: Any = model
    for part in loc:
        if isinstance(part, int):
            continue
        fields = getattr(current, "model_fields", None)
        if not fields or part not in fields:
            return []
        annotation = fields[part].annotation
        current = _model_in(annotation)
        if current is None:
            return []
    fields = getattr(current, "model_fields", {})
    return [k for k, f in fields.items() if not f.exclude]


def _model_in(annotation: Any) -> Any:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()) or ():
        found = _model_in(arg)
        if found is not None:
            return found
    return None


def _key_path(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out or "(top level)"


def _describe(error: Any, path: Path) -> str:
    loc = tuple(p for p in error["loc"] if not (isinstance(p, str) and p in
                                               ("function-after", "list[str]", "str")))
    loc = tuple(p for p in loc if not (isinstance(p, str) and p.startswith("literal[")))
    if loc[:1] == ("provider",) and len(loc) > 1 and loc[1] == "list[Party]":
        loc = loc[:1] + loc[2:]
    key = _key_path(loc)
    if error["type"] == "extra_forbidden":
        parent, name = loc[:-1], str(loc[-1])
        known = _known_keys(AuditConfig, parent)
        hint = difflib.get_close_matches(name, known, n=1)
        suggestion = f" Did you mean '{hint[0]}'?" if hint else ""
        valid = ", ".join(known)
        return (f"{path}: unknown key '{key}'.{suggestion} Valid keys here are: {valid}.")
    if error["type"] == "missing":
        return f"{path}: key '{key}' is required but missing."
    msg = str(error["msg"]).removeprefix("Value error, ")
    got = error.get("input")
    if isinstance(got, str) and "://" in got:  # never echo a URL's password (scan.history)
        from lockin_audit.history.store import redact

        got = redact(got)
    got_text = "" if isinstance(got, dict | list) or got is None else f" (got {got!r})"
    return f"{path}: key '{key}': {msg}{got_text}."


def load_config(path: str | Path) -> AuditConfig:
    """Read and validate an audit file, or raise ConfigError with a clear paragraph."""
    import yaml

    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{p}: the audit file does not exist. Create one with "
                          "'lockin-audit init audit.yaml'.") from None
    except OSError as exc:
        raise ConfigError(f"{p}: cannot be read: {exc.strerror or exc}.") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or "invalid YAML"
        raise ConfigError(f"{p}: is not valid YAML{where}: {problem}.") from None
    return config_from_mapping(data, p)


def config_from_mapping(data: Any, path: Path) -> AuditConfig:
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping with the keys 'client', 'provider' "
                          "and 'scan' at the top level.")
    try:
        cfg = AuditConfig.model_validate(data)
    except ValidationError as exc:
        errors = exc.errors()
        first = _describe(errors[0], path)
        more = f" ({len(errors) - 1} more problem(s) after fixing this one.)" if len(errors) > 1 else ""
        raise ConfigError(first + more) from None
    return cfg.model_copy(update={"base_dir": path.parent.resolve(), "source_path": str(path)})


STARTER = """\
# lockin-audit audit file. Every key under `scan` is optional: the scan covers what is
# configured. Credentials never go in this file: AWS uses its profiles/SSO/environment,
# Azure uses DefaultAzureCredential (az login, environment, managed identity), Google
# its Application Default Credentials (GOOGLE_APPLICATION_CREDENTIALS, gcloud).

client:                               # the business being audited
  name: Acme Dental LLC
  aliases: [Acme Dental]              # other names on invoices and registrations
  domains: [acmedental.com]           # domains the client should own
  email_domains: [acmedental.com]
  aws_account_ids: []                 # quote ids: ["222233334444"]
  azure_tenant_ids: []
  # emails: [owner.acme@gmail.com]    # the owner's own addresses at gmail.com, outlook.com...

provider:                             # the outgoing provider (a list is allowed)
  name: Bob's IT Services
  aliases: [BITS]
  domains: [bobsit.example]
  aws_account_ids: []
  # aws_organization_ids: ["o-abc123def4"]  # or OU paths: o-abc123def4/r-ab12/ou-ab12-11111111
  azure_tenant_ids: []
  partner_ids: []                     # Microsoft partner (MPN) ids
  ip_ranges: []                       # e.g. ["203.0.113.0/24"]
  # identity_orgs: {github: [bobsit], gitlab: [], terraform_cloud: [], okta: [bobsit.okta.com]}

scan:
  domains: [acmedental.com]
  # dns: {resolvers: ["127.0.0.1:5353"], timeout_s: 3}
  # rdap: {bootstrap_url: "https://data.iana.org/rdap/", cache_dir: ".lockin-cache"}
  # aws:
  #   - {profile: acme, regions: all}
  # azure:
  #   - {tenant_id: "00000000-0000-0000-0000-000000000000", subscription_ids: []}
  # google:                           # Google Workspace (see docs/google-permissions.md)
  #   - {customer_id: my_customer, subject: admin@acmedental.com}
  # gcp:                              # Google Cloud
  #   - {organization_id: "123456789012", project_ids: []}
  # inventory: [contracts.yaml]
  # limits: {concurrency: 16, timeout_s: 15, per_host_rate: 20}
  # fail_on_gaps: true          # exit 4 when something configured could not be read
  # history: postgresql://audit@db.example/lockin   # default: a SQLite file in your data folder
  # accept: [accepted.yaml]            # items knowingly left with the provider, with an expiry
"""
