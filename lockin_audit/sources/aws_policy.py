"""IAM policy documents as typed values, and the one evaluator the AWS checks use for trust
policies, permission policies and resource policies (S3 bucket, KMS key, backup vault).

The evaluator answers two questions, both conservatively (it over-reports rather than
under-reports, and never reads a Deny as removing a grant it cannot prove removed):

* `grantees(document, own_account)`: who outside the account an Allow statement lets in —
  AWS accounts (ARNs or bare ids), any principal (`*`, `NotPrincipal`) and what narrows it
  (`aws:PrincipalOrgID`, `aws:PrincipalAccount`, `aws:SourceAccount`, `aws:SourceOrgID`,
  `kms:CallerAccount`, account ids in `aws:PrincipalArn`/`aws:SourceArn`), federated web
  identities with the subjects their conditions allow (GitHub Actions `repo:<org>/...`,
  GitLab `project_path:<group>/...`, Terraform Cloud `organization:<org>:...`), SAML
  providers, and whether `sts:ExternalId` is required.
* `admin_grants(document)`: whether an Allow statement gives administrator or
  administrator-equivalent rights (all actions; `iam:*`; `iam:PassRole`, `sts:AssumeRole`
  on every resource; the IAM actions that let a principal raise its own rights).

Policy grammar: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_grammar.html
Principal element: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html
"""

from __future__ import annotations

import fnmatch
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

_ACCOUNT = re.compile(r"^\d{12}$")
_ACCOUNT_IN_ARN = re.compile(r"^arn:[^:]+:[^:]*:[^:]*:(\d{12}):")

# Condition keys that narrow a principal to accounts or an Organization (all case-insensitive).
# https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html
# https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-caller-account
ACCOUNT_KEYS = frozenset({"aws:principalaccount", "aws:sourceaccount", "kms:calleraccount",
                          "aws:resourceaccount"})
ARN_KEYS = frozenset({"aws:principalarn", "aws:sourcearn"})
ORG_KEYS = frozenset({"aws:principalorgid", "aws:sourceorgid"})
EXTERNAL_ID_KEY = "sts:externalid"

# Well-known OIDC issuers and the condition key each uses for the token's subject.
# GitHub: https://docs.github.com/en/actions/security-for-github-actions/security-hardening-your-deployments/configuring-openid-connect-in-amazon-web-services
# GitLab: https://docs.gitlab.com/ee/ci/cloud_services/aws/
# Terraform Cloud: https://developer.hashicorp.com/terraform/cloud-docs/workspaces/dynamic-provider-credentials/aws-configuration
OIDC_PLATFORMS: Mapping[str, str] = {
    "token.actions.githubusercontent.com": "github",
    "gitlab.com": "gitlab",
    "app.terraform.io": "terraform_cloud",
}
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
    oidc (value = platform:org, e.g. github:bobsit, or the issuer host when the platform is
    not known; subject = the allowed subject pattern) | saml (value = SAML provider ARN)
    | web_identity (value = provider)."""

    kind: str
    value: str
    via: str  # the principal or condition that named it
    subject: str = ""
    external_id: bool = False
    sid: str = ""


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
# who is let in


def _oidc_grantees(stmt: Statement, principal: Principal, ext: bool) -> list[Grantee]:
    issuer = principal.value.rpartition("oidc-provider/")[2] or principal.value
    host = issuer.split("/")[0].lower()
    if host in WEB_IDENTITY:
        return [Grantee("web_identity", host, principal.value, external_id=ext, sid=stmt.sid)]
    platform = OIDC_PLATFORMS.get(host)
    subjects = stmt.condition_values(f"{issuer}:sub", f"{host}:sub")
    if not subjects:  # no subject condition: every token the issuer signs is let in
        return [Grantee("any", f"{platform or host} (any subject)", principal.value,
                        external_id=ext, sid=stmt.sid)]
    out: list[Grantee] = []
    for sub in subjects:
        if platform is None:  # an issuer of its own: attributed by its host name
            out.append(Grantee("oidc", host, principal.value, sub, ext, stmt.sid))
            continue
        org = subject_org(platform, sub)
        if org is None:  # a wildcard owner: any repository or project on the platform
            out.append(Grantee("any", f"{platform}:*", principal.value, sub, ext, stmt.sid))
        else:
            out.append(Grantee("oidc", f"{platform}:{org}", principal.value, sub, ext, stmt.sid))
    return out


def subject_org(platform: str | None, subject: str) -> str | None:
    """The organisation (GitHub org or user, GitLab top-level group, Terraform Cloud
    organization) a token subject pattern is limited to, or None when it is a wildcard.

    GitHub: `repo:<owner>/<repo>:...`; GitLab: `project_path:<group>/<project>:...`;
    Terraform Cloud: `organization:<org>:project:...:workspace:...:run_phase:...`."""
    sub = subject.strip()
    prefix = {"github": "repo:", "gitlab": "project_path:", "terraform_cloud": "organization:"
              }.get(platform or "")
    if not prefix or not sub.lower().startswith(prefix):
        return None
    rest = sub[len(prefix):]
    sep = ":" if platform == "terraform_cloud" else "/"
    org = rest.split(sep)[0].split(":")[0]
    if not org or any(ch in org for ch in "*?"):
        return None
    return org.lower()


def grantees(document: PolicyDocument, own_account: str) -> tuple[Grantee, ...]:
    """Everyone outside `own_account` an Allow statement of the document lets in."""
    out: list[Grantee] = []
    for stmt in document.statements:
        if not stmt.allows:
            continue
        ext = bool(stmt.condition_values(EXTERNAL_ID_KEY))
        principals = list(stmt.principals)
        if stmt.not_principals:  # Allow + NotPrincipal: everyone except those named
            principals.append(Principal("*", "NotPrincipal"))
        for p in principals:
            if p.kind == "Service":
                continue  # an AWS service acting for the account
            if p.kind == "Federated":
                if ":saml-provider/" in p.value:
                    out.append(Grantee("saml", p.value, p.value, external_id=ext, sid=stmt.sid))
                else:
                    out.extend(_oidc_grantees(stmt, p, ext))
                continue
            if p.kind == "CanonicalUser":
                out.append(Grantee("account", p.value, p.value, external_id=ext, sid=stmt.sid))
                continue
            if p.kind == "*" or (p.kind == "AWS" and p.value == "*"):
                out.extend(_narrowed(stmt, ext, own_account))
                continue
            acct = p.account
            if acct is None:
                # an AWS principal we cannot place (a unique id of a deleted principal)
                out.append(Grantee("account", p.value, p.value, external_id=ext, sid=stmt.sid))
            elif acct != own_account:
                out.append(Grantee("account", acct, p.value, external_id=ext, sid=stmt.sid))
    return tuple(dict.fromkeys(out))


def _narrowed(stmt: Statement, ext: bool, own_account: str) -> list[Grantee]:
    """A `*` principal, narrowed by the conditions that name accounts or an Organization."""
    out: list[Grantee] = []
    orgs = stmt.condition_values(*ORG_KEYS)
    accounts = [a for a in stmt.condition_values(*ACCOUNT_KEYS) if _ACCOUNT.match(a)]
    arns = [m.group(1) for a in stmt.condition_values(*ARN_KEYS)
            if (m := _ACCOUNT_IN_ARN.match(a))]
    for org in orgs:
        out.append(Grantee("organization", org, "aws:PrincipalOrgID", external_id=ext,
                           sid=stmt.sid))
    for acct in dict.fromkeys([*accounts, *arns]):
        if acct != own_account:
            out.append(Grantee("account", acct, "condition on '*'", external_id=ext,
                               sid=stmt.sid))
    if not (orgs or accounts or arns):
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
