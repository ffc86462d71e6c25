"""IAM policy documents as typed values, and the one evaluator the AWS checks use for trust
policies, permission policies and resource policies (S3 bucket, KMS key, backup vault,
Secrets Manager, SQS, SNS, Lambda, ECR).

It follows AWS's policy evaluation logic
(https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html):
an explicit Deny wins over any Allow, with its conditions. Each answer is exact where the
policy decides it and says so where it cannot:

* `grantees(document, own_account, context)`: who outside the account an Allow statement
  lets in, after the document's Deny statements — AWS accounts (ARNs or bare ids), any
  principal (`*`, `NotPrincipal`) and what narrows it (`aws:PrincipalOrgID`,
  `aws:PrincipalOrgPaths`, `aws:PrincipalAccount`, `aws:SourceAccount`, `aws:SourceOrgID`,
  `kms:CallerAccount`, account ids in `aws:PrincipalArn`/`aws:SourceArn`), AWS service
  principals narrowed to another account's resources by `aws:SourceArn`/`aws:SourceAccount`
  (a CloudFront distribution, log delivery, replication), federated web identities
  attributed through the identity-platform table (data/identity_platforms.yaml), SAML
  providers, and whether `sts:ExternalId` is required. A Deny whose principal, actions,
  resources and conditions all cover a grantee removes it; the data-perimeter pattern (Deny
  to everyone whose `aws:PrincipalOrgID`/`aws:PrincipalAccount` is not listed) narrows `*`
  to the listed Organizations or accounts; a Deny whose conditions cannot be decided from
  the policy leaves the grantee in place, named in `Grantee.limited_by`.
* `admin_grants(document)` and `effective_admin(documents, boundary)`: whether Allow
  statements give administrator or administrator-equivalent rights (all actions; `iam:*`;
  `iam:PassRole`, `sts:AssumeRole` on every resource; the IAM actions that let a principal
  raise its own rights), less what an unconditional Deny removes and capped by a
  permissions boundary
  (https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_boundaries.html).

Policy grammar: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_grammar.html
Principal element: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html
"""

from __future__ import annotations

import fnmatch
import functools
import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from importlib import resources
from typing import Any
from urllib.parse import unquote

_ACCOUNT = re.compile(r"^\d{12}$")
_ACCOUNT_IN_ARN = re.compile(r"^arn:[^:]+:[^:]*:[^:]*:(\d{12}):")

# Condition keys that narrow a principal to accounts or an Organization (all case-insensitive).
# https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html
# https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-caller-account
ACCOUNT_KEYS = frozenset({"aws:principalaccount", "aws:sourceaccount", "kms:calleraccount",
                          "aws:sourceowner",
                          "aws:resourceaccount"})
ARN_KEYS = frozenset({"aws:principalarn", "aws:sourcearn"})
ORG_KEYS = frozenset({"aws:principalorgid", "aws:sourceorgid"})
ORG_PATH_KEYS = frozenset({"aws:principalorgpaths"})
EXTERNAL_ID_KEY = "sts:externalid"

# Well-known OIDC issuers: the identity-platform table (data/identity_platforms.yaml, each
# entry cited from its platform's documentation). OIDC_PLATFORMS keeps the shared issuers'
# host -> platform for callers that only need the name.
# Public identity providers for web identity federation (anyone with an account there).
WEB_IDENTITY = frozenset({"cognito-identity.amazonaws.com", "accounts.google.com",
                          "graph.facebook.com", "www.amazon.com"})

# Actions that make a principal an administrator, or able to become one, when allowed on
# every resource. https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_job-functions.html
# and the documented privilege-escalation paths of iam:PassRole
# (https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_use_passrole.html).
ADMIN_EQUIVALENT: tuple[str, ...] = (
    "*", "iam:*", "sts:assumerole", "iam:passrole", "iam:attachuserpolicy",
    "iam:attachrolepolicy", "iam:attachgrouppolicy", "iam:putuserpolicy", "iam:putrolepolicy",
    "iam:putgrouppolicy", "iam:createpolicyversion", "iam:setdefaultpolicyversion",
    "iam:updateassumerolepolicy", "iam:createaccesskey", "iam:createloginprofile",
    "iam:updateloginprofile", "iam:addusertogroup",
)


@dataclass(frozen=True)
class Condition:
    operator: str  # e.g. StringEquals, StringLike, ForAnyValue:StringLike
    key: str  # lower-cased condition key, e.g. aws:principalorgid
    values: tuple[str, ...]


_NARROWING = frozenset({"stringequals", "stringlike", "stringequalsignorecase", "arnequals",
                        "arnlike"})


def narrows(operator: str) -> bool:
    """Whether a condition operator limits the grant to the values it lists."""
    op = operator.lower()
    for prefix in ("foranyvalue:", "forallvalues:"):
        op = op.removeprefix(prefix)
    return op in _NARROWING


@dataclass(frozen=True)
class Principal:
    """One principal entry: kind is AWS, Federated, Service, CanonicalUser or '*'."""

    kind: str
    value: str

    @property
    def account(self) -> str | None:
        """The 12-digit account an AWS principal names (ARN or bare id)."""
        if self.kind != "AWS":
            return None
        if _ACCOUNT.match(self.value):
            return self.value
        m = _ACCOUNT_IN_ARN.match(self.value)
        return m.group(1) if m else None


@dataclass(frozen=True)
class Statement:
    sid: str
    effect: str  # Allow | Deny
    actions: tuple[str, ...] = ()
    not_actions: tuple[str, ...] = ()
    resources: tuple[str, ...] = ()
    not_resources: tuple[str, ...] = ()
    principals: tuple[Principal, ...] = ()
    not_principals: tuple[Principal, ...] = ()
    conditions: tuple[Condition, ...] = ()

    @property
    def allows(self) -> bool:
        return self.effect == "Allow"

    def condition_values(self, *keys: str) -> tuple[str, ...]:
        """Values of these keys under operators that *narrow* a grant to those values
        (StringEquals, StringLike, ArnEquals, ArnLike, with or without ForAnyValue /
        ForAllValues). Negated operators (StringNotEquals...) and ...IfExists (true when
        the key is absent) do not narrow, so their values are not returned: a principal
        `*` under them stays "anyone".
        https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html"""
        wanted = {k.lower() for k in keys}
        return tuple(v for c in self.conditions if c.key in wanted and narrows(c.operator)
                     for v in c.values)

    def has_condition(self, *keys: str) -> bool:
        wanted = {k.lower() for k in keys}
        return any(c.key in wanted for c in self.conditions)

    def allows_action(self, action: str) -> bool:
        """Whether this statement's action list covers `action` (wildcards honoured)."""
        action = action.lower()

        def pattern(a: str) -> str:
            return "*" if a in ("*", "*:*") else a.lower()

        if self.not_actions:
            return not any(fnmatch.fnmatchcase(action, pattern(a)) for a in self.not_actions)
        return any(fnmatch.fnmatchcase(action, pattern(a)) for a in self.actions)

    @property
    def on_every_resource(self) -> bool:
        return "*" in self.resources or bool(self.not_resources) or (
            not self.resources and not self.not_resources)


@dataclass(frozen=True)
class PolicyDocument:
    """A parsed policy document. `problem` says why a document could not be read (then
    `statements` is empty and callers must not read that as "grants nothing")."""

    statements: tuple[Statement, ...] = ()
    problem: str | None = None
    text: str = ""  # the document as JSON text, for evidence


@dataclass(frozen=True)
class Grantee:
    """Someone outside the account that an Allow statement lets in.

    kind: account (value = 12-digit id) | organization (value = o-...) | any (no principal
    narrowing: every AWS principal, or every token of a public identity provider) |
    oidc (value = platform:org, e.g. github:bobsit, or `issuer:<issuer>` when the issuer is
    in no entry of the identity-platform table; subject = the allowed subject pattern) |
    saml (value = SAML provider ARN) | web_identity (value = provider).

    For an organization, `subject` holds the `aws:PrincipalOrgPaths` path when the grant is
    limited to an organizational unit. `service` names the AWS service principal acting for
    that account (a CloudFront distribution, log delivery). `limited_by` names Deny
    statements that may remove the grant under conditions the policy alone cannot decide."""

    kind: str
    value: str
    via: str  # the principal or condition that named it
    subject: str = ""
    external_id: bool = False
    sid: str = ""
    service: str = ""
    limited_by: tuple[str, ...] = ()


def _as_tuple(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, list | tuple):
        return tuple(str(v) for v in value)
    return (str(value),)


def _principals(value: Any) -> tuple[Principal, ...]:
    if value is None:
        return ()
    if value == "*":
        return (Principal("*", "*"),)
    if not isinstance(value, Mapping):
        raise ValueError(f"Principal is neither '*' nor an object: {value!r}")
    return tuple(Principal(str(kind), v) for kind, vals in value.items()
                 for v in _as_tuple(vals))


def _conditions(value: Any) -> tuple[Condition, ...]:
    if value is None:
        return ()
    if not isinstance(value, Mapping):
        raise ValueError("Condition is not an object")
    out: list[Condition] = []
    for op, clause in value.items():
        if not isinstance(clause, Mapping):
            raise ValueError(f"Condition operator {op} has no key/value object")
        out.extend(Condition(str(op), str(k).lower(), _as_tuple(v)) for k, v in clause.items())
    return tuple(out)


def parse_policy(document: Any) -> PolicyDocument:
    """Parse a policy document given as a dict, JSON text or URL-encoded JSON text (IAM's
    query API returns documents URL-encoded, RFC 3986)."""
    if document is None:
        return PolicyDocument(problem="no policy document")
    raw = document
    if isinstance(raw, str):
        text = raw.strip()
        if text.startswith("%7B") or text.startswith("%7b"):
            text = unquote(text)
        try:
            raw = json.loads(text)
        except ValueError as exc:
            return PolicyDocument(problem=f"the policy is not JSON: {exc}", text=str(document)[:2000])
    if not isinstance(raw, Mapping):
        return PolicyDocument(problem="the policy is not a JSON object", text=str(raw)[:2000])
    text = json.dumps(raw, sort_keys=True, default=str)
    stmts = raw.get("Statement", [])
    if isinstance(stmts, Mapping):
        stmts = [stmts]
    if not isinstance(stmts, list):
        return PolicyDocument(problem="Statement is not a list", text=text)
    out: list[Statement] = []
    try:
        for n, s in enumerate(stmts):
            if not isinstance(s, Mapping):
                raise ValueError(f"statement {n} is not an object")
            out.append(Statement(
                sid=str(s.get("Sid", n)), effect=str(s.get("Effect", "")),
                actions=_as_tuple(s.get("Action")), not_actions=_as_tuple(s.get("NotAction")),
                resources=_as_tuple(s.get("Resource")),
                not_resources=_as_tuple(s.get("NotResource")),
                principals=_principals(s.get("Principal")),
                not_principals=_principals(s.get("NotPrincipal")),
                conditions=_conditions(s.get("Condition"))))
    except ValueError as exc:
        return PolicyDocument(problem=f"the policy cannot be read: {exc}", text=text)
    return PolicyDocument(tuple(out), None, text)


# ---------------------------------------------------------------------------------------
# the identity-platform table


@dataclass(frozen=True)
class IdentityPlatform:
    """One OIDC issuer family of data/identity_platforms.yaml (see the file's header)."""

    platform: str
    name: str
    issuer: re.Pattern[str]
    subject: re.Pattern[str] | None
    claims: tuple[str, ...]
    shared: bool
    docs: str
    host_is_org: bool = False

    def issuer_org(self, issuer: str) -> str | None:
        m = self.issuer.fullmatch(issuer)
        return (m.groupdict().get("org") or None) if m else None

    def subject_org(self, subject: str) -> str | None:
        """The organisation a subject pattern is limited to; None for a wildcard owner."""
        if self.subject is None:
            return None
        m = self.subject.match(subject.strip())
        org = (m.group("org") if m else "") or ""
        if not org or any(ch in org for ch in "*?"):
            return None
        return org.lower()


@functools.lru_cache(maxsize=1)
def identity_platforms() -> tuple[IdentityPlatform, ...]:
    import yaml

    text = resources.files("lockin_audit").joinpath("data/identity_platforms.yaml")
    data = yaml.safe_load(text.read_text("utf-8")) or {}
    return tuple(IdentityPlatform(
        str(p["platform"]), str(p["name"]), re.compile(str(p["issuer"]), re.IGNORECASE),
        re.compile(str(p["subject"])) if p.get("subject") else None,
        tuple(str(c) for c in p.get("claims") or ()), bool(p.get("shared")), str(p["docs"]),
        bool(p.get("host_is_org"))) for p in data.get("platforms", []))


def platform_of(issuer: str) -> IdentityPlatform | None:
    """The table entry whose issuer pattern matches (`issuer` without https:// and without
    a trailing slash)."""
    return next((p for p in identity_platforms() if p.issuer.fullmatch(issuer)), None)


# Shared issuers' host -> platform (kept for callers that only need the name).
OIDC_PLATFORMS: Mapping[str, str] = {
    "token.actions.githubusercontent.com": "github",
    "gitlab.com": "gitlab",
    "app.terraform.io": "terraform_cloud",
    "agent.buildkite.com": "buildkite",
    "login.app.env0.com": "env0",
}


def issuer_of(principal: str) -> str:
    """The issuer of a Federated OIDC principal (the oidc-provider ARN's path, or the bare
    issuer), without scheme and trailing slash: IAM's condition-key prefix."""
    issuer = principal.rpartition("oidc-provider/")[2] or principal
    return issuer.removeprefix("https://").rstrip("/")


# ---------------------------------------------------------------------------------------
# who is let in


@dataclass(frozen=True)
class EvalContext:
    """What the evaluator knows beyond the policy: the Organization of an account (the
    audited account's own, and its Organization's members when listed), so that a Deny
    conditioned on `aws:PrincipalOrgID` can be decided for an account."""

    org_of: Callable[[str], str | None] = lambda _account: None


NO_CONTEXT = EvalContext()


def _oidc_grantees(stmt: Statement, principal: Principal, ext: bool) -> list[Grantee]:
    issuer = issuer_of(principal.value)
    host = issuer.split("/")[0].lower()
    if host in WEB_IDENTITY:
        return [Grantee("web_identity", host, principal.value, external_id=ext, sid=stmt.sid)]
    entry = platform_of(issuer)
    subjects = stmt.condition_values(f"{issuer}:sub", f"{host}:sub")
    claimed = [v.lower() for c in (entry.claims if entry else ())
               for v in stmt.condition_values(f"{issuer}:{c}", f"{host}:{c}")
               if v and not any(ch in v for ch in "*?")]
    if entry is None:  # an issuer of its own: attributed by its host name, never "anyone"
        return [Grantee("oidc", f"issuer:{issuer}", principal.value, sub or "any subject",
                        ext, stmt.sid) for sub in (subjects or ("",))]
    pinned = entry.issuer_org(issuer)
    if pinned is not None:  # a per-organisation issuer: every token is that organisation's
        org = pinned.lower()
        return [Grantee("oidc", f"{entry.platform}:{org}", principal.value,
                        sub or "any subject of that issuer", ext, stmt.sid)
                for sub in (subjects or ("",))]
    if claimed:  # an organisation claim (repository_owner, organization_slug...)
        return [Grantee("oidc", f"{entry.platform}:{org}", principal.value,
                        ", ".join(subjects) or f"{entry.claims[0]} {org}", ext, stmt.sid)
                for org in dict.fromkeys(claimed)]
    if not subjects:  # no subject condition: every token the issuer signs is let in
        return [Grantee("any", f"{entry.platform} (any subject)", principal.value,
                        external_id=ext, sid=stmt.sid)]
    out: list[Grantee] = []
    for sub in subjects:
        owner = entry.subject_org(sub)
        if owner is None:  # a wildcard owner: any repository or project on the platform
            out.append(Grantee("any", f"{entry.platform}:*", principal.value, sub, ext, stmt.sid))
        else:
            out.append(Grantee("oidc", f"{entry.platform}:{owner}", principal.value, sub, ext,
                               stmt.sid))
    return out


def subject_org(platform: str | None, subject: str) -> str | None:
    """The organisation (GitHub org or user, GitLab top-level group, Terraform Cloud
    organization, Buildkite organization...) a token subject pattern is limited to, or
    None when it is a wildcard or the platform is not in the table."""
    entry = next((p for p in identity_platforms() if p.platform == platform), None)
    return entry.subject_org(subject) if entry is not None else None


def _service_grantees(stmt: Statement, principal: Principal, ext: bool,
                      own_account: str) -> list[Grantee]:
    """An AWS service principal acts for whichever account's resource triggers it; the
    source conditions say whose. A foreign account (or Organization) named there is let in
    through the service (a CloudFront distribution of another account reading a bucket).
    https://docs.aws.amazon.com/IAM/latest/UserGuide/confused-deputy.html"""
    out: list[Grantee] = []
    accounts = [a for a in stmt.condition_values("aws:sourceaccount") if _ACCOUNT.match(a)]
    arns = [m.group(1) for a in stmt.condition_values("aws:sourcearn")
            if (m := _ACCOUNT_IN_ARN.match(a))]
    # CloudFront distribution ARNs have no region: arn:aws:cloudfront::<account>:distribution/X
    for acct in dict.fromkeys([*accounts, *arns]):
        if acct != own_account:
            out.append(Grantee("account", acct, f"service {principal.value} for {acct}",
                               external_id=ext, sid=stmt.sid, service=principal.value))
    for org in stmt.condition_values("aws:sourceorgid"):
        out.append(Grantee("organization", org, f"service {principal.value} (aws:SourceOrgID)",
                           external_id=ext, sid=stmt.sid, service=principal.value))
    return out


def _allowed(document: PolicyDocument, own_account: str) -> list[tuple[Statement, Grantee]]:
    out: list[tuple[Statement, Grantee]] = []
    for stmt in document.statements:
        if not stmt.allows:
            continue
        ext = bool(stmt.condition_values(EXTERNAL_ID_KEY))
        principals = list(stmt.principals)
        if stmt.not_principals:  # Allow + NotPrincipal: everyone except those named
            principals.append(Principal("*", "NotPrincipal"))
        for p in principals:
            if p.kind == "Service":
                out.extend((stmt, g) for g in _service_grantees(stmt, p, ext, own_account))
                continue
            if p.kind == "Federated":
                if ":saml-provider/" in p.value:
                    out.append((stmt, Grantee("saml", p.value, p.value, external_id=ext,
                                              sid=stmt.sid)))
                else:
                    out.extend((stmt, g) for g in _oidc_grantees(stmt, p, ext))
                continue
            if p.kind == "CanonicalUser":
                out.append((stmt, Grantee("account", p.value, p.value, external_id=ext,
                                          sid=stmt.sid)))
                continue
            if p.kind == "*" or (p.kind == "AWS" and p.value == "*"):
                out.extend((stmt, g) for g in _narrowed(stmt, ext, own_account))
                continue
            acct = p.account
            if acct is None:
                # an AWS principal we cannot place (a unique id of a deleted principal)
                out.append((stmt, Grantee("account", p.value, p.value, external_id=ext,
                                          sid=stmt.sid)))
            elif acct != own_account:
                out.append((stmt, Grantee("account", acct, p.value, external_id=ext,
                                          sid=stmt.sid)))
    return out


def grantees(document: PolicyDocument, own_account: str,
             context: EvalContext = NO_CONTEXT) -> tuple[Grantee, ...]:
    """Everyone outside `own_account` an Allow statement of the document lets in, after
    the document's explicit Deny statements."""
    denies = [s for s in document.statements if s.effect == "Deny"]
    out: list[Grantee] = []
    for stmt, g in _allowed(document, own_account):
        out.extend(_after_denies(stmt, g, denies, context))
    return tuple(dict.fromkeys(out))


# -- Deny --------------------------------------------------------------------------------


def _covers_actions(allow: Statement, deny: Statement) -> bool:
    """Whether the Deny's actions cover every action the Allow statement grants."""
    if allow.not_actions:  # Allow NotAction: nearly everything; only a Deny of * covers
        return deny.allows_action("*") and not deny.not_actions
    for action in allow.actions:
        a = "*" if action in ("*", "*:*") else action.lower()
        if deny.not_actions:  # Deny NotAction X: covers what overlaps no exception
            if any(fnmatch.fnmatchcase(a, n.lower()) or fnmatch.fnmatchcase(n.lower(), a)
                   for n in deny.not_actions):
                return False
            continue
        if not any(fnmatch.fnmatchcase(a, "*" if d in ("*", "*:*") else d.lower())
                   for d in deny.actions):
            return False
    return bool(allow.actions) or bool(allow.not_actions)


def _covers_resources(allow: Statement, deny: Statement) -> bool:
    if deny.not_resources:
        return False  # a Deny on everything but some resources: not provably covering
    if not deny.resources or "*" in deny.resources:
        return True
    if allow.not_resources or not allow.resources:
        return False
    return all(any(fnmatch.fnmatchcase(r, d) for d in deny.resources) for r in allow.resources)


def _principal_applies(deny: Statement, g: Grantee) -> bool | None:
    """Whether a Deny's Principal (or NotPrincipal) names the grantee: True, False, or None
    when it names only part of it (a role in the grantee's account)."""
    if deny.not_principals:
        for p in deny.not_principals:
            if p.kind == "*" or p.value == "*":
                return False
            if g.kind == "account" and p.account == g.value:
                if _ACCOUNT.match(p.value) or p.value.endswith(":root"):
                    return False  # the whole account is excepted
                return None  # one principal of that account is excepted
        return True
    if not deny.principals:  # an identity policy's Deny applies to its holder
        return True
    for p in deny.principals:
        if p.kind == "*" or (p.kind == "AWS" and p.value == "*"):
            return True
        if g.kind == "account" and p.account == g.value:
            return True if (_ACCOUNT.match(p.value) or p.value.endswith(":root")) else None
        if p.kind == "Federated" and g.kind in ("oidc", "saml", "any", "web_identity") and \
                p.value == g.via:
            return True
        if p.kind == "Service" and g.service and p.value == g.service:
            return True
    return False


def _known_values(g: Grantee, key: str, context: EvalContext) -> tuple[str, ...] | None:
    """The values a condition key has for every request of this grantee, or None when the
    policy and context do not tell."""
    if g.kind == "account" and _ACCOUNT.match(g.value):
        if key in ("aws:principalaccount", "kms:calleraccount"):
            return None if g.service else (g.value,)
        if key == "aws:sourceaccount":
            return (g.value,) if g.service else None
        if key == "aws:principalorgid" and not g.service:
            org = context.org_of(g.value)
            return (org,) if org else None
        if key == "aws:principalisawsservice":
            return ("true",) if g.service else ("false",)
    if g.kind == "organization":
        if key == ("aws:sourceorgid" if g.service else "aws:principalorgid"):
            return (g.value,)
        if key == "aws:principalisawsservice":
            return ("true",) if g.service else ("false",)
    if g.kind in ("oidc", "saml", "web_identity", "any") and key == "aws:principalisawsservice":
        return ("false",) if g.kind != "any" or g.value == "*" else None
    return None


_CALLER_KEYS = ("aws:principal", "aws:source", "aws:userid", "aws:username", "aws:calledvia",
                "kms:calleraccount", "sts:", "saml:", "aws:federatedprovider",
                "aws:tokenissuetime", "aws:viaawsservice")


def _about_the_caller(key: str) -> bool:
    """Whether a condition key says who the caller is (its account, Organization, identity
    provider claims), as opposed to how the request is made."""
    if key.startswith(_CALLER_KEYS):
        return True
    # OIDC claims: <issuer>:sub, <issuer>:aud ...
    return ":" in key and ("/" in key.split(":")[0] or "." in key.split(":")[0])


def _condition_holds(c: Condition, g: Grantee, context: EvalContext) -> bool | None:
    """Whether one condition is true for every request of the grantee (None: unknown).
    https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html"""
    op = c.operator.lower()
    for prefix in ("foranyvalue:", "forallvalues:"):
        op = op.removeprefix(prefix)
    op = op.removesuffix("ifexists")  # the keys we know are always present in the request
    if not _about_the_caller(c.key):
        # a condition on the request (TLS, network, time, region...): the Deny removes
        # some requests, never the grantee
        return False
    known = _known_values(g, c.key, context)
    if known is None:
        return None
    if op == "null":
        return any(v.lower() == "false" for v in c.values)  # the key is present

    def match(value: str, pattern: str, like: bool, fold: bool) -> bool:
        if fold:
            value, pattern = value.lower(), pattern.lower()
        return fnmatch.fnmatchcase(value, pattern) if like else value == pattern

    positive = {"stringequals": (False, False), "stringlike": (True, False),
                "stringequalsignorecase": (False, True), "arnequals": (False, False),
                "arnlike": (True, False), "bool": (False, True)}
    negative = {"stringnotequals": (False, False), "stringnotlike": (True, False),
                "stringnotequalsignorecase": (False, True), "arnnotequals": (False, False),
                "arnnotlike": (True, False)}
    if op in positive:
        like, fold = positive[op]
        return all(any(match(v, p, like, fold) for p in c.values) for v in known)
    if op in negative:
        like, fold = negative[op]
        return all(not any(match(v, p, like, fold) for p in c.values) for v in known)
    return None


def _perimeter(deny: Statement) -> tuple[list[str], list[str]] | None:
    """The data-perimeter pattern: a Deny to every principal except those whose
    Organization or account is listed, under negated operators only
    (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-principalorgid).
    Returns (organizations, accounts) let through, or None when the Deny is not that."""
    if deny.not_principals or not any(p.kind == "*" or p.value == "*" for p in deny.principals):
        return None
    orgs: list[str] = []
    accounts: list[str] = []
    for c in deny.conditions:
        op = c.operator.lower().removeprefix("foranyvalue:").removeprefix("forallvalues:")
        if c.key == "aws:principalisawsservice" and op.startswith("bool"):
            continue  # services are exempt; they are not the grantees here
        if op.removesuffix("ifexists") not in ("stringnotequals", "stringnotlike"):
            return None
        if c.key == "aws:principalorgid":
            orgs.extend(c.values)
        elif c.key in ("aws:principalaccount", "kms:calleraccount"):
            accounts.extend(v for v in c.values if _ACCOUNT.match(v))
        else:
            return None
    if not (orgs or accounts):
        return None
    return orgs, accounts


def _after_denies(allow: Statement, g: Grantee, denies: list[Statement],
                  context: EvalContext) -> list[Grantee]:
    """The grantee as the Deny statements leave it: removed (an empty list), narrowed
    (the data perimeter around `*`), or kept, noting Denies whose effect is unknown."""
    limited: list[str] = []
    for deny in denies:
        if not (_covers_actions(allow, deny) and _covers_resources(allow, deny)):
            continue
        applies = _principal_applies(deny, g)
        if applies is False:
            continue
        if g.kind == "any" and g.value == "*":
            fence = _perimeter(deny)
            if fence is not None:  # `*` narrowed to the perimeter's Organizations/accounts
                orgs, accounts = fence
                return [*(Grantee("organization", o, f"Deny {deny.sid} outside {o}",
                                  external_id=g.external_id, sid=g.sid) for o in orgs),
                        *(Grantee("account", a, f"Deny {deny.sid} outside {a}",
                                  external_id=g.external_id, sid=g.sid) for a in accounts)]
        holds = [_condition_holds(c, g, context) for c in deny.conditions]
        if applies is True and all(h is True for h in holds):
            return []  # an explicit Deny removes the grant
        if any(h is False for h in holds):
            continue
        limited.append(deny.sid)
    if limited:
        return [Grantee(g.kind, g.value, g.via, g.subject, g.external_id, g.sid, g.service,
                        tuple(limited))]
    return [g]


def _narrowed(stmt: Statement, ext: bool, own_account: str) -> list[Grantee]:
    """A `*` principal, narrowed by the conditions that name accounts or an Organization."""
    out: list[Grantee] = []
    orgs = stmt.condition_values(*ORG_KEYS)
    paths = stmt.condition_values(*ORG_PATH_KEYS)
    accounts = [a for a in stmt.condition_values(*ACCOUNT_KEYS) if _ACCOUNT.match(a)]
    arns = [m.group(1) for a in stmt.condition_values(*ARN_KEYS)
            if (m := _ACCOUNT_IN_ARN.match(a))]
    for org in orgs:
        out.append(Grantee("organization", org, "aws:PrincipalOrgID", external_id=ext,
                           sid=stmt.sid))
    for path in paths:  # o-xxxxxxxxxx/r-xxxx/ou-xxxx-xxxxxxxx/...
        org = path.split("/")[0]
        if org.startswith("o-") and not any(ch in org for ch in "*?"):
            out.append(Grantee("organization", org, "aws:PrincipalOrgPaths", path.rstrip("*"),
                               external_id=ext, sid=stmt.sid))
        else:
            out.append(Grantee("any", "*", f"aws:PrincipalOrgPaths {path}", external_id=ext,
                               sid=stmt.sid))
    for acct in dict.fromkeys([*accounts, *arns]):
        if acct != own_account:
            out.append(Grantee("account", acct, "condition on '*'", external_id=ext,
                               sid=stmt.sid))
    if not (orgs or paths or accounts or arns):
        out.append(Grantee("any", "*", "Principal '*'", external_id=ext, sid=stmt.sid))
    return out


# ---------------------------------------------------------------------------------------
# administrator rights


def admin_grants(document: PolicyDocument) -> tuple[str, ...]:
    """The administrator-equivalent actions an Allow statement grants on every resource."""
    found: list[str] = []
    for stmt in document.statements:
        if not stmt.allows or not stmt.on_every_resource:
            continue
        if stmt.not_actions:
            found.append(f"NotAction {', '.join(stmt.not_actions)}")
            continue
        for action in ADMIN_EQUIVALENT:
            if stmt.allows_action(action):
                found.append(action)
                break
    return tuple(dict.fromkeys(found))


def any_admin(documents: Iterable[PolicyDocument]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(a for d in documents for a in admin_grants(d)))


def allows_on_every_resource(documents: Iterable[PolicyDocument], action: str) -> bool:
    """Whether an Allow statement without conditions grants `action` on every resource
    and no Deny statement without conditions takes it away."""
    docs = list(documents)
    allowed = any(s.allows and s.on_every_resource and s.allows_action(action)
                  for d in docs for s in d.statements)
    return allowed and not denied_everywhere(docs, action)


def denied_everywhere(documents: Iterable[PolicyDocument], action: str) -> bool:
    """Whether an unconditional Deny removes `action` on every resource."""
    return any(s.effect == "Deny" and not s.conditions and s.on_every_resource
               and s.allows_action(action) and not s.principals and not s.not_principals
               for d in documents for s in d.statements)


@dataclass(frozen=True)
class AdminVerdict:
    """Administrator equivalence of one principal: the actions that make it so, and what
    took rights away (a Deny, a permissions boundary)."""

    actions: tuple[str, ...]
    capped_by: str = ""  # "permissions boundary X" or "Deny statements"

    def __bool__(self) -> bool:
        return bool(self.actions)


def effective_admin(documents: Iterable[PolicyDocument],
                    boundary: PolicyDocument | None = None,
                    boundary_name: str = "") -> AdminVerdict:
    """The administrator-equivalent actions the identity policies grant on every resource,
    less those an unconditional Deny in them removes, and only those the permissions
    boundary (when there is one) also allows: the effective permissions are the
    intersection of the identity policies and the boundary
    (https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_boundaries.html)."""
    docs = list(documents)
    granted = [a for a in ADMIN_EQUIVALENT
               if any(s.allows and s.on_every_resource and s.allows_action(a)
                      for d in docs for s in d.statements)]
    if not granted:
        return AdminVerdict(())
    left = [a for a in granted if not denied_everywhere(docs, a)]
    if not left:
        return AdminVerdict((), "Deny statements in its own policies")
    if boundary is None:
        return AdminVerdict(tuple(left[:1]))
    capped = [a for a in left if allows_on_every_resource([boundary], a)]
    if not capped:
        return AdminVerdict((), f"permissions boundary {boundary_name}".strip())
    return AdminVerdict(tuple(capped[:1]))
