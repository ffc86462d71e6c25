"""AWS checks: who holds the client's AWS account, its contacts, access, keys, networks,
images, backups, logs and domains. Each check reads the typed facts the AWS source
fetched once per account (lockin_audit.sources.aws_facts.AwsFacts) — never a raw API
dictionary — and yields at least one finding per account: a `pass` with its evidence only
when every fact it rests on was read, an `error` naming the missing permission otherwise.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Iterator, Sequence
from typing import Any
from urllib.parse import urlsplit

from lockin_audit.check import CheckContext, check, status_for, worst_holder
from lockin_audit.facts import Fetched, FetchError
from lockin_audit.identity import Attribution, IdKind, normalize_org
from lockin_audit.model import Asset, Holder, Severity, Status, human_datetime
from lockin_audit.sources.aws import CONTACT_TYPES, account_asset, vendor_accounts
from lockin_audit.sources.aws_facts import (
    Analyzer,
    AwsFacts,
    IamSnapshot,
    NamedPolicy,
    SamlMetadata,
    User,
    UserCredentials,
    account_of_arn,
)
from lockin_audit.sources.aws_policy import (
    EvalContext,
    Grantee,
    PolicyDocument,
    admin_grants,
    effective_admin,
    grantees,
    issuer_of,
    parse_policy,
    platform_of,
)

# AWS managed policies that grant administrator rights (or the power to take them).
# https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_job-functions.html
_ADMIN_POLICIES = frozenset({"AdministratorAccess", "IAMFullAccess", "PowerUserAccess"})
# Tag keys whose value names a person's or a company's identity.
_OWNER_TAGS = frozenset({"company", "organization", "organisation", "owner", "vendor",
                         "managedby", "managed-by", "managed_by", "team", "supplier"})


# ---------------------------------------------------------------------------------------
# helpers


def own_attribution(ctx: CheckContext, facts: AwsFacts) -> Attribution:
    """Whose the audited account itself is: configured ids decide; an account in neither
    party's ids is unknown (aws.billing.organization says whose it appears to be)."""
    return ctx.attribute(IdKind.AWS_ACCOUNT, facts.account_id, "the audited account",
                         record=False)


def attribute_account(ctx: CheckContext, facts: AwsFacts, account: str,
                      seen_in: str) -> Attribution:
    """Attribute an AWS account id: the configured parties; then the bundled list of
    published vendor accounts. The audited account itself is the client's unless the audit
    file says otherwise (aws.billing.organization judges the account itself)."""
    if account == "*":
        return Attribution(Holder.UNKNOWN, None, IdKind.AWS_ACCOUNT, "*",
                           "any AWS account ('*' principal)", 0.0)
    if account == facts.account_id:
        own = own_attribution(ctx, facts)
        if own.holder is not Holder.UNKNOWN:
            return own
        return Attribution(Holder.CLIENT, None, IdKind.AWS_ACCOUNT, account,
                           f"{account} is the audited account itself", 1.0)
    found = ctx.attribute(IdKind.AWS_ACCOUNT, account, seen_in, record=False)
    if found.holder is Holder.UNKNOWN:
        vendor = vendor_accounts().get(found.value)
        if vendor:
            return Attribution(Holder.THIRD_PARTY, vendor, IdKind.AWS_ACCOUNT, found.value,
                               f"{found.value} is a published AWS account of {vendor}", 1.0,
                               "cloud")
        ctx.identity.record(found, seen_in, ctx.meta.control)
    return found


def attribute_org(ctx: CheckContext, facts: AwsFacts, org_id: str,
                  seen_in: str, path: str = "") -> Attribution:
    """An Organization id (or OU path): the parties' aws_organization_ids first (the most
    specific entry); else the audited account's own Organization is held by whoever holds
    its management account; any other Organization is unknown (listed to classify)."""
    configured = ctx.attribute(IdKind.AWS_ORGANIZATION, path or org_id, seen_in, record=False)
    if configured.holder is not Holder.UNKNOWN:
        return configured
    read = facts.organization
    if read.error:
        return Attribution(Holder.UNKNOWN, None, IdKind.AWS_ACCOUNT, org_id,
                           f"whether {org_id} is this account's Organization cannot be told: "
                           f"{read.error.describe()}", 0.0)
    org = read.ok
    if org is not None and org.id == org_id:
        a = attribute_account(ctx, facts, org.management_account,
                              f"management account of {org_id}")
        return Attribution(a.holder, a.party, IdKind.AWS_ACCOUNT, org_id,
                           f"{org_id} is this account's Organization, managed from "
                           f"{org.management_account}: {a.reason}", a.confidence, a.category)
    ctx.identity.unidentified.add("aws_organization", org_id, seen_in, ctx.meta.control)
    return Attribution(Holder.UNKNOWN, None, IdKind.AWS_ACCOUNT, org_id,
                       f"{org_id} is another AWS Organization, not this account's", 0.0)


def holder_name(a: Attribution) -> str:
    return {Holder.CLIENT: "the client", Holder.PROVIDER: f"the provider ({a.party})",
            Holder.THIRD_PARTY: f"a known vendor ({a.party})",
            Holder.UNKNOWN: "an unidentified party"}[a.holder]


def holder_text(a: Attribution) -> str:
    return f"{holder_name(a)}: {a.reason}"


def clean(ctx: CheckContext, facts: AwsFacts, detail: str, evidence: Iterable[Any] = (),
          key: str = "") -> Any:
    """The pass finding when nothing foreign was found."""
    return ctx.finding(asset=facts.asset, holder=Holder.CLIENT, status=Status.PASS,
                       detail=detail, evidence=list(evidence), key=key or "clean")


def errors_in(ctx: CheckContext, asset: Asset, fetched: Iterable[tuple[str, Fetched[Any]]]
              ) -> list[Any]:
    """One error finding per fact that could not be read."""
    return [ctx.error(asset, f.error, key=key) for key, f in fetched if f.error is not None]


def regional(facts: AwsFacts, name: str) -> list[tuple[str, Fetched[Any]]]:
    return [(f"{name}@{r.region}", getattr(r, name)) for r in facts.regional]


def values(f: Fetched[Any]) -> Sequence[Any]:
    """The items of a list fact, or nothing when it failed (the caller reported it)."""
    return () if f.error is not None else f.ok


def name_matches(ctx: CheckContext, text: str) -> list[Attribution]:
    """Parties whose name or alias appears in `text` as whole words: the text is split
    into words (on separators, case changes are not split) and every run of consecutive
    words is compared exactly with each party's folded names (`BITS` matches `bits-admin`
    but never `orbits`)."""
    words = [w for w in "".join(ch if ch.isalnum() else " " for ch in text.lower()).split()]
    found: dict[str, Attribution] = {}
    for start in range(len(words)):
        for end in range(start + 1, min(len(words), start + 4) + 1):
            phrase = " ".join(words[start:end])
            if len(normalize_org(phrase)) < 3:  # 'it', 'co': too short to name anyone
                continue
            a = ctx.attribute(IdKind.ORG_NAME, phrase, "", record=False)
            if a.holder is not Holder.UNKNOWN and a.holder is not Holder.THIRD_PARTY:
                found.setdefault(a.party or "", Attribution(
                    a.holder, a.party, IdKind.ORG_NAME, phrase,
                    f"'{text}' contains '{phrase}', a name of {a.party}", 0.6))
    return list(found.values())


# The documents of the AWS managed policies judged by name when GetAccountAuthorizationDetails
# did not list them (https://docs.aws.amazon.com/aws-managed-policy/latest/reference/).
_MANAGED_DOCUMENTS = {
    "AdministratorAccess": {"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]},
    "IAMFullAccess": {"Statement": [{"Effect": "Allow", "Action": "iam:*", "Resource": "*"}]},
    "PowerUserAccess": {"Statement": [{"Effect": "Allow", "NotAction": [
        "iam:*", "organizations:*", "account:*"], "Resource": "*"}]},
    "ReadOnlyAccess": {"Statement": [{"Effect": "Allow", "Action": [
        "*:Describe*", "*:Get*", "*:List*"], "Resource": "*"}]},
}


def _document(p: NamedPolicy) -> PolicyDocument | None:
    if p.document is not None:
        return p.document
    if p.aws_managed and p.name in _MANAGED_DOCUMENTS:
        return parse_policy(_MANAGED_DOCUMENTS[p.name])
    return None


def policy_admin(policies: Iterable[NamedPolicy], boundary: NamedPolicy | None = None
                 ) -> tuple[list[str], str]:
    """Names of the policies (inline or attached) that give administrator rights, after
    the Deny statements of those policies and the permissions boundary; and what capped
    them ("" when nothing did, or the reason the cap could not be read)."""
    items = list(policies)
    out = []
    for p in items:
        doc = _document(p)
        grants = admin_grants(doc) if doc is not None else ()
        if (p.name in _ADMIN_POLICIES and p.aws_managed) or grants:
            out.append(f"{p.name}{' (inline)' if not p.arn else ''}"
                       + (f": {', '.join(grants)}" if grants else ""))
    if not out:
        return [], ""
    docs = [d for d in (_document(p) for p in items) if d is not None]
    cap_doc = _document(boundary) if boundary is not None else None
    if boundary is not None and cap_doc is None:
        verdict = effective_admin(docs)
        return (out if verdict else []), (
            f"its permissions boundary {boundary.name} was not listed, so whether it caps "
            "these rights cannot be told")
    verdict = effective_admin(docs, cap_doc, boundary.name if boundary else "")
    if not verdict:
        return [], verdict.capped_by
    return out, ""


def excerpt_of(doc: PolicyDocument) -> str:
    return doc.text[:4000]


# ---------------------------------------------------------------------------------------
# aws.billing


@check(
    id="aws.billing.organization",
    control="aws.billing",
    source="aws",
    severity=Severity.CRITICAL,
)
def organization(facts: AwsFacts, ctx: CheckContext) -> Iterator[Any]:
    f = facts.organization
    if f.error:
        yield ctx.error(facts.asset, f.error)
        return
    own = own_attribution(ctx, facts)
    org = f.ok
    if org is None or org.management_account == facts.account_id:
        where = ("is not in an AWS Organization: it is billed to its own payment method"
                 if org is None else f"is the management account of Organization {org.id}")
        excerpt = {"organization": None} if org is None else org.excerpt
        if own.holder is Holder.UNKNOWN:
            ctx.identity.record(own, "the audited AWS account", ctx.meta.control)
            yield ctx.finding(
                asset=facts.asset, holder=Holder.UNKNOWN, status=Status.WARN,
                detail=f"The account {where}, but it is in neither the client's nor the "
                f"provider's aws_account_ids, so whose it is cannot be told from here. "
                f"{_appears(ctx, facts)}Add it to client.aws_account_ids if it is yours, "
                "or to provider.aws_account_ids if it is the provider's.",
                evidence=[f.evidence(excerpt)])
            return
        yield ctx.finding(asset=facts.asset, holder=own.holder,
                          detail=f"The account {where}; the account itself is held by "
                          f"{holder_text(own)}.", evidence=[f.evidence(excerpt)])
        return
    where = f"management account of {org.id}"
    found = [attribute_account(ctx, facts, org.management_account, where)]
    if org.management_email:
        # The email is listed as unidentified only when the account id identified nobody.
        found.append(ctx.attribute(IdKind.EMAIL, org.management_email, f"{where} (email)",
                                   record=found[0].holder is Holder.UNKNOWN))
    if own.holder is Holder.PROVIDER:
        found.append(own)
    holder = worst_holder(found)
    who = next(a for a in found if a.holder is holder)
    unlisted = ""
    if own.holder is Holder.UNKNOWN:
        ctx.identity.record(own, "the audited AWS account", ctx.meta.control)
        unlisted = (f" The account itself is in neither party's aws_account_ids. "
                    f"{_appears(ctx, facts)}")
    # An unlisted account in the client's own Organization is likely, not shown, the client's.
    status = Status.WARN if unlisted and holder is Holder.CLIENT else None
    yield ctx.finding(asset=facts.asset, holder=holder, status=status,
                      detail=f"The account belongs to Organization {org.id}, whose management "
                      f"account {org.management_account} ({org.management_email}) pays its "
                      f"bill; held by {holder_text(who)}.{unlisted}",
                      evidence=[f.evidence(org.excerpt)])


def _appears(ctx: CheckContext, facts: AwsFacts) -> str:
    """What the account's own data says about whose it is (contact company, alternates)."""
    hints = []
    if not facts.contact.error and facts.contact.ok.company:
        company = facts.contact.ok.company
        a = ctx.attribute(IdKind.ORG_NAME, company, "AWS primary contact", record=False)
        hints.append(f"its primary contact company is '{company}'"
                     + (f" ({a.party})" if a.party else ""))
    for alt in facts.alternate_contacts:
        c = None if alt.error else alt.ok
        if c is not None and c.email:
            a = ctx.attribute(IdKind.EMAIL, c.email, "AWS alternate contact", record=False)
            if a.party:
                hints.append(f"its {c.kind.lower()} contact {c.email} is {a.party}'s")
    return ("It appears to be: " + "; ".join(hints) + ". ") if hints else ""


# ---------------------------------------------------------------------------------------
# aws.contacts


@check(
    id="aws.contacts.account",
    control="aws.contacts",
    source="aws",
    severity=Severity.HIGH,
)
def contacts(facts: AwsFacts, ctx: CheckContext) -> Iterator[Any]:
    info = facts.contact
    if info.error:
        yield ctx.error(facts.asset, info.error, key="primary")
    else:
        ci = info.ok
        found = [ctx.attribute(IdKind.ORG_NAME, ci.company, "AWS primary contact")
                 ] if ci.company else []
        if ci.website:
            found.append(ctx.attribute(IdKind.URL, ci.website, "AWS primary contact"))
        holder = worst_holder(found) if found else Holder.UNKNOWN
        status = status_for(holder) if found else Status.MANUAL
        yield ctx.finding(
            asset=facts.asset, holder=holder, status=status, key="primary",
            detail=(f"Primary contact: {ci.full_name}, company {ci.company or '(none)'}."
                    + ("" if found else " No company or website to attribute: confirm it.")),
            evidence=[info.evidence(ci.excerpt)])
    for kind, f in zip(CONTACT_TYPES, facts.alternate_contacts, strict=True):
        if f.error:
            yield ctx.error(facts.asset, f.error, key=kind)
            continue
        contact = f.ok
        if contact is None:
            yield ctx.finding(asset=facts.asset, holder=Holder.UNKNOWN, status=Status.WARN,
                              severity=Severity.LOW, key=kind,
                              detail=f"No {kind.lower()} alternate contact is set: AWS "
                              "notices go to the root email only.",
                              evidence=[f.evidence({"AlternateContact": None})])
            continue
        a = ctx.attribute(IdKind.EMAIL, contact.email, f"AWS {kind.lower()} alternate contact")
        yield ctx.finding(asset=facts.asset, holder=a.holder, key=kind,
                          detail=f"The {kind.lower()} alternate contact is {contact.email}; "
                          f"held by {holder_text(a)}.",
                          evidence=[f.evidence({"Name": contact.name,
                                                "EmailAddress": contact.email})])
    members = facts.org_accounts
    if members is None:
        if facts.organization.error:  # whether this account manages members is unknown
            yield ctx.error(facts.asset, facts.organization.error, key="members")
        return
    if members.error:
        yield ctx.error(facts.asset, members.error, key="members")
        return
    for acct in members.ok:
        a = ctx.attribute(IdKind.EMAIL, acct.email, f"root email of AWS account {acct.id}")
        yield ctx.finding(asset=account_asset(acct.id, acct.name), holder=a.holder,
                          key="root-email",
                          detail=f"Member account {acct.id} ({acct.name}) has root email "
                          f"{acct.email}; held by {holder_text(a)}.",
                          evidence=[members.evidence({"Id": acct.id, "Email": acct.email})])


# ---------------------------------------------------------------------------------------
# aws.access


def describe_grantee(g: Grantee) -> str:
    return _describe(g) + (
        f" (unless Deny statement {', '.join(g.limited_by)} applies: its conditions cannot "
        "be decided from the policy)" if g.limited_by else "")


def _describe(g: Grantee) -> str:
    if g.service:
        who = f"account {g.value}" if g.kind == "account" else f"Organization {g.value}"
        return f"the AWS service {g.service} acting for {who} (its source condition)"
    if g.kind == "account":
        return f"account {g.value}"
    if g.kind == "organization":
        if g.subject:
            return f"the accounts under {g.subject} (aws:PrincipalOrgPaths) of Organization {g.value}"
        return f"every account of Organization {g.value}"
    if g.kind == "oidc":
        if g.value.startswith("issuer:"):
            return (f"tokens of the OIDC issuer {g.value.removeprefix('issuer:')} "
                    f"({g.subject or 'any subject'})")
        return f"tokens of {g.value} ({g.subject or 'any subject'}, via {g.via})"
    if g.kind == "saml":
        return f"users of SAML provider {g.value}"
    if g.kind == "web_identity":
        return f"any user of {g.value}"
    return f"anyone: {g.value} ({g.subject or g.via})"


def eval_context(facts: AwsFacts) -> EvalContext:
    """What the evaluator may know about accounts' Organizations: the audited account's
    own, and (from its management account) the members listed."""
    org = None if facts.organization.error else facts.organization.ok
    if org is None:
        return EvalContext()
    members = {facts.account_id, org.management_account}
    listed = facts.org_accounts
    if listed is not None and not listed.error:
        members |= {a.id for a in listed.ok}
    org_id = org.id
    return EvalContext(lambda account: org_id if account in members else None)


def _saml_problem(facts: AwsFacts, arn: str) -> FetchError | None:
    """Why the SAML provider a trust names could not be read (its list or its details)."""
    if facts.saml_providers.error:
        return facts.saml_providers.error
    return next((d.fetched.error for d in facts.saml_providers.ok
                 if d.id == arn and d.fetched.error), None)


def grantee_evidence(facts: AwsFacts, g: Grantee) -> list[Any]:
    """The failed read a grantee's attribution rests on, if any (named in evidence)."""
    err = facts.organization.error if g.kind == "organization" else (
        _saml_problem(facts, g.value) if g.kind == "saml" else None)
    return [err.evidence()] if err is not None else []


def attribute_oidc(ctx: CheckContext, g: Grantee, seen_in: str) -> Attribution:
    """A federated OIDC grantee: `platform:org` against the parties' identity_orgs (a
    GitHub Enterprise Server is also attributed by its host name); an issuer in no entry of
    the identity-platform table by its host name, and named when nobody holds it."""
    if g.value.startswith("issuer:"):
        issuer = g.value.removeprefix("issuer:")
        host = issuer.split("/")[0]
        a = ctx.attribute(IdKind.HOSTNAME, host, seen_in)
        if a.holder is Holder.UNKNOWN:
            return Attribution(Holder.UNKNOWN, None, IdKind.HOSTNAME, host,
                               f"the OIDC issuer {issuer} is not a platform lockin-audit "
                               "knows and its host is no party's domain: ask who runs it",
                               0.0)
        return a
    platform, _, org = g.value.partition(":")
    a = ctx.attribute(IdKind.IDENTITY_ORG, g.value, seen_in,
                      record=platform != "github_enterprise_server")
    if a.holder is Holder.UNKNOWN and platform == "github_enterprise_server":
        return ctx.attribute(IdKind.HOSTNAME, org, seen_in)
    return a


def attribute_grantee(ctx: CheckContext, facts: AwsFacts, g: Grantee,
                      seen_in: str) -> tuple[Attribution, Status | None]:
    """Who a grantee is, and a status override (anyone at all is a fail whoever holds it)."""
    if g.kind == "account":
        return attribute_account(ctx, facts, g.value, seen_in), None
    if g.kind == "organization":
        unread = Status.ERROR if facts.organization.error else None
        return attribute_org(ctx, facts, g.value, seen_in, g.subject), unread
    if g.kind == "oidc":
        return attribute_oidc(ctx, g, seen_in), None
    if g.kind == "saml":
        owner = account_of_arn(g.value)
        if owner and owner != facts.account_id:
            return attribute_account(ctx, facts, owner, seen_in), None
        problem = _saml_problem(facts, g.value)
        if problem is not None:
            return Attribution(Holder.UNKNOWN, None, IdKind.URL, g.value,
                               f"the SAML provider could not be read: {problem.describe()}",
                               0.0), Status.ERROR
        found = [a for d in values(facts.saml_providers)
                 if d.id == g.value and not d.fetched.error
                 for a in saml_attributions(ctx, d.fetched.ok.metadata, seen_in)]
        if found:
            holder = worst_holder(found)
            return next(a for a in found if a.holder is holder), None
        return Attribution(Holder.UNKNOWN, None, IdKind.URL, g.value,
                           "the SAML provider's organisation cannot be told (see "
                           "aws.access.identity_providers)", 0.0), Status.MANUAL
    if g.kind == "web_identity":
        return Attribution(Holder.UNKNOWN, None, IdKind.HOSTNAME, g.value,
                           f"any user of the public identity provider {g.value}", 0.0), None
    return Attribution(Holder.UNKNOWN, None, IdKind.AWS_ACCOUNT, g.value,
                       "not limited to any account or organisation", 0.0), Status.FAIL


@check(
    id="aws.access.roles",
    control="aws.access",
    source="aws",
    severity=Severity.CRITICAL,
)
def roles(facts: AwsFacts, ctx: CheckContext) -> Iterator[Any]:
    f = facts.iam
    if f.error:
        yield ctx.error(facts.asset, f.error)
        return
    iam: IamSnapshot = f.ok
    count = problems = 0
    for role in iam.roles:
        asset = Asset("aws_iam_role", role.arn, role.name)
        if role.trust.problem:
            problems += 1
            yield ctx.error(asset, f"trust policy of {role.name}: {role.trust.problem}",
                            key="trust")
            continue
        found = grantees(role.trust, facts.account_id, eval_context(facts))
        if not found:
            continue
        admin, capped = policy_admin(role.policies, role.boundary)
        unread = [p.name for p in role.attached if p.document is None and not p.aws_managed]
        policies = ", ".join(p.name + (" (inline)" if not p.arn else "")
                             for p in role.policies) or "none"
        for g in found:
            count += 1
            a, override = attribute_grantee(ctx, facts, g, f"trust policy of role {role.arn}")
            anyone = g.kind == "any"
            severity = Severity.CRITICAL if admin or anyone else Severity.HIGH
            yield ctx.finding(
                asset=asset, holder=a.holder, status=override or status_for(a.holder),
                severity=severity, key=f"{g.kind}:{g.value}:{g.subject}",
                detail=(f"Role {role.name} lets in {describe_grantee(g)}, held by "
                        f"{holder_text(a)}. "
                        + (f"It has administrator rights ({'; '.join(admin)}). " if admin
                           else f"Policies: {policies}. ")
                        + (f"Administrator rights: {capped}. " if capped else "")
                        + (f"The documents of {', '.join(unread)} were not listed. "
                           if unread else "")
                        + ("Assuming it requires an ExternalId."
                           if g.external_id else "No ExternalId condition.")
                        + (f" Last used: {human_datetime(role.last_used)}." if role.last_used else "")),
                evidence=[f.evidence({"RoleName": role.name,
                                      "AssumeRolePolicyDocument": excerpt_of(role.trust),
                                      "Policies": [p.name for p in role.policies],
                                      **({"PermissionsBoundary": role.boundary.arn}
                                         if role.boundary else {})}),
                          *grantee_evidence(facts, g)])
    if not count and not problems:
        yield clean(ctx, facts, f"None of the {len(iam.roles)} IAM roles lets in another "
                    "AWS account, Organization, federated identity or anyone.",
                    [f.evidence({"roles": len(iam.roles)})])


def _user_attributions(ctx: CheckContext, user: User) -> list[Attribution]:
    seen = f"IAM user {user.name}"
    out: list[Attribution] = []
    if "@" in user.name:
        out.append(ctx.attribute(IdKind.EMAIL, user.name, seen))
    for t in user.tags:
        if "@" in t.value:
            out.append(ctx.attribute(IdKind.EMAIL, t.value.strip(), seen))
        elif t.key.lower() in _OWNER_TAGS and t.value.strip():
            out.append(ctx.attribute(IdKind.ORG_NAME, t.value, seen, record=False))
    for text in (user.name.partition("@")[0], user.path, *(t.value for t in user.tags)):
        out.extend(name_matches(ctx, text))
    return [a for a in out if a.holder is not Holder.UNKNOWN] or out


def _mask(key_id: str) -> str:
    return key_id[:4] + "…" + key_id[-4:] if len(key_id) > 8 else key_id


def _can_sign_in(creds: Fetched[UserCredentials] | None) -> bool:
    """Whether the user can (or might: unread) sign in: a console password or an active
    access key."""
    if creds is None or creds.error:
        return True
    c = creds.ok
    return (c.console_password.error is not None or c.console_password.ok
            or c.keys.error is not None or bool(c.active_keys))


def _credential_problems(creds: Fetched[UserCredentials] | None,
                         user: User) -> list[FetchError]:
    """Every read about a user's sign-in means that failed (each named in evidence)."""
    last_use = user.password_last_used
    out = [last_use.error] if last_use is not None and last_use.error else []
    if creds is not None and creds.error:
        out.append(creds.error)
    elif creds is not None:
        out.extend(creds.ok.problems)
    return out


def credential_text(user: User, creds: Fetched[UserCredentials] | None
                    ) -> tuple[str, dict[str, Any]]:
    """What the user can sign in with, as a sentence and an evidence excerpt."""
    if creds is None or creds.error:
        why = creds.error.describe() if creds is not None and creds.error else "not read"
        return f"Its credentials could not be read ({why}).", {"credentials": why}
    c = creds.ok

    def part(read: Fetched[bool], yes: str, no: str) -> str:
        if read.error:
            return f"unknown ({read.error.reason})"
        return yes if read.ok else no

    if c.keys.error:
        key_text = f"unknown ({c.keys.error.reason})"
        key_ev: Any = c.keys.error.reason
    else:
        key_text = "; ".join(f"{_mask(k.id)} {k.status.lower()}, created {k.created[:10]}, "
                             f"last used {k.last_used or 'never'}" for k in c.keys.ok) or "none"
        key_ev = [{"AccessKeyId": _mask(k.id), "Status": k.status, "LastUsed": k.last_used}
                  for k in c.keys.ok]
    last_use = user.password_last_used
    last_used = None if last_use is None or last_use.error else last_use.ok
    console = part(c.console_password, "yes", "no")
    if not c.console_password.error and c.console_password.ok:
        last = "unknown" if last_used is None else last_used or "never"
        console += f" (last used {last})"
    text = f"Console password: {console}; MFA: {part(c.mfa, 'yes', 'no')}; access keys: {key_text}."
    return text, {"ConsolePassword": part(c.console_password, "yes", "no"),
                  "PasswordLastUsed": "unknown" if last_used is None else last_used or None,
                  "MFA": part(c.mfa, "yes", "no"), "AccessKeys": key_ev}


@check(
    id="aws.access.users",
    control="aws.access",
    source="aws",
    severity=Severity.HIGH,
)
def users(facts: AwsFacts, ctx: CheckContext) -> Iterator[Any]:
    f = facts.iam
    if f.error:
        yield ctx.error(facts.asset, f.error)
        return
    iam: IamSnapshot = f.ok
    own = own_attribution(ctx, facts)
    flagged = unread = 0
    clients: list[str] = []
    for user in iam.users:
        found = _user_attributions(ctx, user)
        if own.holder is Holder.PROVIDER:
            found.append(own)
        holder = worst_holder(found) if found else Holder.UNKNOWN
        creds = facts.credentials.get(user.name)
        problems = _credential_problems(creds, user)
        if holder is Holder.CLIENT:
            clients.append(user.name)
            # the user is the client's; what it signs in with could not all be read
            for n, problem in enumerate(problems):
                unread += 1
                yield ctx.error(Asset("aws_iam_user", user.arn, user.name), problem,
                                key=f"credentials-{n}")
            continue
        flagged += 1
        admin, capped = policy_admin(iam.user_policies(user), user.boundary)
        who = next((a for a in found if a.holder is holder), None)
        text, cred_ev = credential_text(user, creds)
        signs_in = _can_sign_in(creds)
        owner = (holder_text(who) if who else
                 "nobody identifiable: no email, company tag, or name of a party in its "
                 "name, path or tags; classify it")
        yield ctx.finding(
            asset=Asset("aws_iam_user", user.arn, user.name), holder=holder, key=user.name,
            severity=(Severity.CRITICAL if admin else None if signs_in else Severity.MEDIUM),
            detail=(f"IAM user {user.name} is held by {owner}. {text}"
                    + (f" It has administrator rights ({'; '.join(admin)})." if admin else "")
                    + (f" Administrator rights: {capped}." if capped else "")
                    + (f" Groups: {', '.join(user.groups)}." if user.groups else "")),
            evidence=[f.evidence({"UserName": user.name, "Arn": user.arn, "Path": user.path,
                                  "Tags": [{"Key": t.key, "Value": t.value} for t in user.tags],
                                  "Groups": list(user.groups)}),
                      *([creds.evidence(cred_ev)] if creds is not None else []),
                      *(p.evidence() for p in problems)])
    if not flagged and not unread:
        yield clean(ctx, facts, f"All {len(iam.users)} IAM users are the client's "
                    f"({', '.join(clients) or 'none'}).", [f.evidence({"users": clients})])


_SHARED_IDP_HOSTS = frozenset({"www.okta.com", "accounts.google.com", "sso.jumpcloud.com",
                               "jumpcloud.com", "login.microsoftonline.com",
                               "sts.windows.net"})


def entra_tenant(url: str) -> str | None:
    """The Entra ID tenant id in an issuer or endpoint URL: https://sts.windows.net/<tid>/
    (the issuer of Entra SAML tokens) or https://login.microsoftonline.com/<tid>/...
    https://learn.microsoft.com/en-us/entra/identity-platform/reference-saml-tokens"""
    parts = urlsplit(url.strip())
    host = (parts.hostname or "").lower()
    if host not in ("sts.windows.net", "login.microsoftonline.com", "login.windows.net",
                    "login.microsoftonline.us", "login.partner.microsoftonline.cn"):
        return None
    first = parts.path.strip("/").split("/")[0].lower()
    return first if re.fullmatch(r"[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}", first) else None


def saml_attributions(ctx: CheckContext, meta: SamlMetadata, seen_in: str) -> list[Attribution]:
    """Entra tenants against azure_tenant_ids, Okta orgs against identity_orgs.okta, other
    hosts against the parties' domains; shared sign-in hosts say nothing on their own."""
    out: list[Attribution] = []
    for url in (meta.entity_id, *meta.sso_locations):
        tenant = entra_tenant(url)
        if tenant:
            out.append(ctx.attribute(IdKind.AZURE_TENANT, tenant, seen_in))
            continue
        host = (urlsplit(url if "//" in url else "//" + url).hostname or "").lower()
        if not host or host in _SHARED_IDP_HOSTS:
            continue
        if host.endswith((".okta.com", ".oktapreview.com", ".okta-emea.com")):
            a = ctx.attribute(IdKind.IDENTITY_ORG, f"okta:{host}", seen_in, record=False)
            if a.holder is Holder.UNKNOWN:
                a = ctx.attribute(IdKind.IDENTITY_ORG, f"okta:{host}", seen_in)
            out.append(a)
            continue
        out.append(ctx.attribute(IdKind.HOSTNAME, host, seen_in))
    return list({(a.holder, a.value): a for a in out}.values())


@check(
    id="aws.access.identity_providers",
    control="aws.access",
    source="aws",
    severity=Severity.HIGH,
)
def identity_providers(facts: AwsFacts, ctx: CheckContext) -> Iterator[Any]:
    lists: list[tuple[str, Fetched[Any]]] = [("saml_providers", facts.saml_providers),
                                            ("oidc_providers", facts.oidc_providers)]
    errors = errors_in(ctx, facts.asset, lists)
    yield from errors
    seen = 0
    for d in values(facts.saml_providers):
        seen += 1  # listed, even when its details cannot be read (never "none")
        p = d.fetched
        if p.error:
            yield ctx.error(Asset("aws_iam_identity_provider", d.id, d.id.rpartition("/")[2]),
                            p.error, key=d.id)
            continue
        prov, meta = p.ok, p.ok.metadata
        asset = Asset("aws_iam_identity_provider", prov.arn, prov.arn.rpartition("/")[2])
        ev = [p.evidence({"entityID": meta.entity_id,
                          "SingleSignOnService": list(meta.sso_locations)})]
        if meta.problem:
            yield ctx.finding(asset=asset, holder=Holder.UNKNOWN, status=Status.MANUAL,
                              key=prov.arn, evidence=ev,
                              detail=f"SAML provider {prov.arn}: {meta.problem}; open its "
                              "metadata and confirm whose identity platform it is.")
            continue
        found = saml_attributions(ctx, meta, f"SAML provider {prov.arn}")
        holder = worst_holder(found) if found else Holder.UNKNOWN
        who = next((a for a in found if a.holder is holder), None)
        yield ctx.finding(
            asset=asset, holder=holder, key=prov.arn, evidence=ev,
            status=status_for(holder) if found else Status.MANUAL,
            detail=(f"SAML provider {prov.arn} (entity {meta.entity_id}) signs people in "
                    + (f"for {holder_text(who)}." if who else
                       "from a shared sign-in host that does not name the organisation: "
                       "ask which Okta, Google Workspace or JumpCloud organisation it is, "
                       "and who administers it.")))
    for p in values(facts.oidc_providers):
        seen += 1  # listed, even when its details cannot be read (never "none")
        if p.error:
            yield ctx.error(facts.asset, p.error, key=p.request)
            continue
        prov = p.ok
        issuer = issuer_of(prov.url)
        host = issuer.split("/")[0].lower()
        asset = Asset("aws_iam_identity_provider", prov.arn, host)
        ev = [p.evidence({"Url": prov.url, "ClientIDList": list(prov.client_ids)})]
        entry = platform_of(issuer)
        if entry is not None and entry.shared:
            yield ctx.finding(asset=asset, holder=Holder.CLIENT, status=Status.PASS,
                              key=prov.arn, evidence=ev,
                              detail=f"OIDC provider {issuer} is {entry.name}'s shared token "
                              "issuer; which of its organisations may sign in is decided by "
                              "each role's trust policy (judged in aws.access.roles).")
            continue
        if entry is not None:
            org = entry.issuer_org(issuer) or ""
            g = Grantee("oidc", f"{entry.platform}:{org.lower()}", prov.arn)
            a = attribute_oidc(ctx, g, f"OIDC provider {prov.arn}")
            yield ctx.finding(asset=asset, holder=a.holder, key=prov.arn, evidence=ev,
                              detail=f"OIDC provider {issuer} is the token issuer of the "
                              f"{entry.name} organisation {org}, held by {holder_text(a)}.")
            continue
        a = ctx.attribute(IdKind.HOSTNAME, host, f"OIDC provider {prov.arn}")
        yield ctx.finding(asset=asset, holder=a.holder, key=prov.arn, evidence=ev,
                          detail=f"OIDC provider {prov.url} is held by {holder_text(a)}.")
    if not seen and not errors:
        yield clean(ctx, facts, "No SAML or OIDC identity provider is configured.",
                    [f.evidence({"providers": 0}) for _, f in lists])


@check(
    id="aws.access.bucket_policies",
    control="aws.access",
    source="aws",
    severity=Severity.HIGH,
)
def bucket_policies(facts: AwsFacts, ctx: CheckContext) -> Iterator[Any]:
    if facts.buckets.error:
        yield ctx.error(facts.asset, facts.buckets.error)
        return
    flagged = errors = 0
    for b in facts.buckets.ok:
        asset = Asset("aws_s3_bucket", b.arn, b.name)
        if b.policy.error:
            errors += 1
            yield ctx.error(asset, b.policy.error, key="policy")
            continue
        doc = b.policy.ok
        if doc is None:
            continue
        if doc.problem:
            errors += 1
            yield ctx.error(asset, f"bucket policy of {b.name}: {doc.problem}", key="policy")
            continue
        for g in grantees(doc, facts.account_id, eval_context(facts)):
            flagged += 1
            a, override = attribute_grantee(ctx, facts, g, f"policy of bucket {b.name}")
            yield ctx.finding(asset=asset, holder=a.holder, key=f"{g.kind}:{g.value}",
                              status=override or status_for(a.holder),
                              severity=Severity.CRITICAL if g.kind == "any" else None,
                              detail=f"The policy of bucket {b.name} lets in "
                              f"{describe_grantee(g)}, held by {holder_text(a)}.",
                              evidence=[b.policy.evidence({"Policy": excerpt_of(doc)}),
                                        *grantee_evidence(facts, g)])
    if not flagged and not errors:
        yield clean(ctx, facts, f"No policy of the {len(facts.buckets.ok)} buckets lets in "
                    "another account, Organization or anyone.",
                    [facts.buckets.evidence({"buckets": [b.name for b in facts.buckets.ok]})])


# ---------------------------------------------------------------------------------------
# aws.identity


@check(
    id="aws.identity.identity_center",
    control="aws.identity",
    source="aws",
    severity=Severity.HIGH,
)
def identity_center(facts: AwsFacts, ctx: CheckContext) -> Iterator[Any]:
    items = regional(facts, "sso_instances")
    errors = errors_in(ctx, facts.asset, items)
    yield from errors
    for r in facts.regional:
        for ic in r.identity_center:
            yield from _ic_assignments(ctx, facts, ic)
    seen: set[str] = set()
    for _, f in items:
        for inst in values(f):
            if inst.arn in seen:
                continue
            seen.add(inst.arn)
            owner = inst.owner or facts.account_id
            a = attribute_account(ctx, facts, owner, f"IAM Identity Center {inst.arn}")
            yield ctx.finding(asset=Asset("aws_sso_instance", inst.arn, inst.name or None),
                              holder=a.holder, key=inst.arn,
                              detail=f"IAM Identity Center instance {inst.arn} is owned by "
                              f"account {owner}, held by {holder_text(a)}.",
                              evidence=[f.evidence({"InstanceArn": inst.arn,
                                                    "OwnerAccountId": inst.owner,
                                                    "IdentityStoreId": inst.identity_store})])
    if seen or errors:
        return
    # Nothing visible. In a member account that is expected even when Identity Center
    # runs: an organization instance lives in the management account and a member
    # account's ListInstances does not show it. Not visible is not absent.
    org = facts.organization
    ev = [f.evidence({"Instances": []}) for _, f in items[:1]]
    if org.error:
        yield ctx.error(facts.asset, org.error, key="organization")
        return
    o = org.ok
    if o is None or o.management_account == facts.account_id:
        yield clean(ctx, facts, "No IAM Identity Center instance exists: the account is "
                    + ("in no Organization" if o is None else "its Organization's management "
                       "account") + f" and ListInstances in {', '.join(facts.regions)} lists "
                    "none.", ev)
        return
    a = attribute_account(ctx, facts, o.management_account,
                          f"management account of {o.id} (IAM Identity Center)")
    yield ctx.finding(
        asset=facts.asset, holder=a.holder, status=Status.MANUAL, key="not-visible",
        detail=f"No IAM Identity Center instance is visible from this member account. If "
        f"people sign in through Identity Center, it runs in the management account "
        f"{o.management_account} of Organization {o.id}, held by {holder_text(a)}, and is "
        "administered there. Ask who administers it (or scan the management account), and "
        "look at the account's sign-in page (AWS access portal URL) your staff use.",
        evidence=[*ev, org.evidence(o.excerpt)])


def _ic_user_attribution(ctx: CheckContext, user: Any, seen_in: str) -> Attribution | None:
    found = [ctx.attribute(IdKind.EMAIL, e, seen_in) for e in user.emails]
    if "@" in user.name and user.name not in user.emails:
        found.append(ctx.attribute(IdKind.EMAIL, user.name, seen_in))
    if not found:
        return None
    holder = worst_holder(found)
    return next(a for a in found if a.holder is holder)


def _ic_assignments(ctx: CheckContext, facts: AwsFacts, ic: Any) -> Iterator[Any]:
    """Who Identity Center lets into which account with which permission set: each user
    (directly or through a group) attributed by their email addresses; administrator
    permission sets are critical."""
    asset = Asset("aws_sso_instance", ic.instance, None)
    if ic.permission_sets.error:
        yield ctx.error(asset, ic.permission_sets.error, key="permission-sets")
        return
    sets = []
    for f in ic.permission_sets.ok:
        if f.error:
            yield ctx.error(asset, f.error, key=f.request)
            continue
        sets.append(f.ok)
    if not any(ps.assignments for ps in sets):
        return
    for part in (ic.users, ic.groups):
        if part is not None and part.error:
            yield ctx.error(asset, part.error, key=part.request)
            return
    users = {u.id: u for u in values(ic.users)} if ic.users is not None else {}
    groups: dict[str, Any] = {}
    for g in values(ic.groups) if ic.groups is not None else ():
        if g.error:
            yield ctx.error(asset, g.error, key=g.request)
            continue
        groups[g.ok.id] = g.ok
    for ps in sets:
        policies = [NamedPolicy(name, f"arn:aws:iam::aws:policy/{name}", None)
                    for name in ps.managed]
        if ps.inline is not None:
            policies.append(NamedPolicy("inline", "", ps.inline))
        admin, _ = policy_admin(policies)
        for account, ptype, pid in ps.assignments:
            if ptype == "GROUP":
                group = groups.get(pid)
                members = [users[m] for m in (group.members if group else ()) if m in users]
                via = f"group {group.name if group else pid}"
            else:
                members = [users[pid]] if pid in users else []
                via = "a direct assignment"
            if not members:
                yield ctx.finding(
                    asset=asset, holder=Holder.UNKNOWN, status=Status.WARN,
                    key=f"{ps.arn}:{account}:{pid}",
                    detail=f"Permission set {ps.name} on account {account} is assigned to "
                    f"{ptype.lower()} {pid}, whose users could not be listed: classify it.",
                    evidence=[ic.permission_sets.evidence({"PermissionSet": ps.name,
                                                           "PrincipalId": pid})])
                continue
            for user in members:
                seen_in = f"IAM Identity Center user {user.name}"
                a = _ic_user_attribution(ctx, user, seen_in)
                holder = a.holder if a else Holder.UNKNOWN
                yield ctx.finding(
                    asset=Asset("aws_sso_user", f"{ic.identity_store}/{user.id}", user.name),
                    holder=holder, key=f"{ps.arn}:{account}:{user.id}",
                    status=status_for(holder),
                    severity=Severity.CRITICAL if admin and holder is not Holder.CLIENT
                    else None,
                    detail=f"Identity Center user {user.name} ({', '.join(user.emails) or 'no email'})"
                    f" signs in to account {account} with permission set {ps.name}"
                    + (f" (administrator: {'; '.join(admin)})" if admin else "")
                    + f" through {via}; held by "
                    + (holder_text(a) if a else "nobody identifiable: no email names a party")
                    + ".",
                    evidence=[ic.permission_sets.evidence({
                        "PermissionSet": ps.name, "ManagedPolicies": list(ps.managed),
                        "AccountId": account, "PrincipalType": ptype, "PrincipalId": pid}),
                        *([ic.users.evidence({"UserName": user.name,
                                              "Emails": list(user.emails)})]
                          if ic.users is not None else [])])


# ---------------------------------------------------------------------------------------
# aws.keys


@check(
    id="aws.keys.kms",
    control="aws.keys",
    source="aws",
    severity=Severity.CRITICAL,
)
def keys(facts: AwsFacts, ctx: CheckContext) -> Iterator[Any]:
    items = [i for n in ("kms_keys", "volumes", "databases") for i in regional(facts, n)]
    errors = errors_in(ctx, facts.asset, items)
    yield from errors
    flagged = problems = 0
    for r in facts.regional:
        for key in values(r.kms_keys):
            if key.aws_managed:
                continue  # AWS-managed keys cannot be shared
            asset = Asset("aws_kms_key", key.arn)
            for finding in _grants(ctx, facts, key, asset):
                if finding.status is Status.ERROR:
                    problems += 1
                else:
                    flagged += 1
                yield finding
            if key.manager.error:  # judged by its policy all the same
                problems += 1
                yield ctx.error(asset, key.manager.error, key="metadata")
            if key.policy.error:
                problems += 1
                yield ctx.error(asset, key.policy.error)
                continue
            doc = key.policy.ok
            if doc.problem:
                problems += 1
                yield ctx.error(asset, f"policy of {key.arn}: {doc.problem}")
                continue
            for g in grantees(doc, facts.account_id, eval_context(facts)):
                flagged += 1
                a, override = attribute_grantee(ctx, facts, g, f"policy of KMS key {key.arn}")
                yield ctx.finding(asset=asset, holder=a.holder, key=f"{g.kind}:{g.value}",
                                  status=override or status_for(a.holder),
                                  detail=f"The policy of KMS key {key.arn} lets in "
                                  f"{describe_grantee(g)}, held by {holder_text(a)}.",
                                  evidence=[key.policy.evidence({"Policy": excerpt_of(doc)}),
                                            *grantee_evidence(facts, g)])
    for res_asset, key_id, f in _encrypted_resources(facts):
        owner = account_of_arn(key_id)
        if not owner or owner == facts.account_id:
            continue
        flagged += 1
        a = attribute_account(ctx, facts, owner, f"KMS key of {res_asset.id}")
        yield ctx.finding(asset=res_asset, holder=a.holder, key=key_id,
                          detail=f"{res_asset.name or res_asset.id} is encrypted with KMS key "
                          f"{key_id} in account {owner}, held by {holder_text(a)}.",
                          evidence=[f.evidence({"KmsKeyId": key_id})])
    buckets_failed = [b for b in values(facts.buckets) if b.encryption_keys.error]
    for b in buckets_failed:
        problems += 1
        yield ctx.error(Asset("aws_s3_bucket", b.arn, b.name), b.encryption_keys.error or "",
                        key="encryption")
    if facts.buckets.error:
        problems += 1
        yield ctx.error(facts.asset, facts.buckets.error, key="buckets")
    if not flagged and not errors and not problems:
        yield clean(ctx, facts, "No KMS key policy or grant (customer managed keys, "
                    f"regions {', '.join(facts.regions)}) lets in another account, and no EBS "
                    "volume, S3 bucket or RDS database uses a key held elsewhere.",
                    [f.evidence({"checked": n}) for n, f in items[:3]])


def _grants(ctx: CheckContext, facts: AwsFacts, key: Any, asset: Asset) -> Iterator[Any]:
    """KMS grants: a grant lets its grantee use the key whatever the key policy says
    (https://docs.aws.amazon.com/kms/latest/developerguide/grants.html)."""
    if key.grants is None:
        return
    if key.grants.error:
        yield ctx.error(asset, key.grants.error, key="grants")
        return
    for grant in key.grants.ok:
        owner = grant.grantee_account
        if owner is None or owner == facts.account_id:
            continue  # a service principal, or a principal of this account
        a = attribute_account(ctx, facts, owner, f"grant {grant.grant_id} on KMS key {key.arn}")
        yield ctx.finding(
            asset=asset, holder=a.holder, key=f"grant:{grant.grant_id}",
            detail=f"Grant {grant.name or grant.grant_id} on KMS key {key.arn} lets "
            f"{grant.grantee} ({', '.join(grant.operations) or 'no operations'}) use the key "
            f"without the key policy naming it: account {owner}, held by {holder_text(a)}. "
            f"Retire or revoke it (aws kms revoke-grant --key-id {key.arn} --grant-id "
            f"{grant.grant_id}).",
            evidence=[key.grants.evidence({"GrantId": grant.grant_id,
                                           "GranteePrincipal": grant.grantee,
                                           "Operations": list(grant.operations),
                                           "IssuingAccount": grant.issuing_account})])


def _encrypted_resources(facts: AwsFacts) -> Iterator[tuple[Asset, str, Fetched[Any]]]:
    for r in facts.regional:
        for v in values(r.volumes):
            if v.kms_key:
                yield Asset("aws_ebs_volume", v.id, v.id), v.kms_key, r.volumes
        for d in values(r.databases):
            if d.kms_key:
                yield Asset("aws_rds_instance", d.arn, d.id), d.kms_key, r.databases
    for b in values(facts.buckets):
        for key_id in values(b.encryption_keys):
            yield Asset("aws_s3_bucket", b.arn, b.name), key_id, b.encryption_keys


# ---------------------------------------------------------------------------------------
# aws.network


@check(
    id="aws.network.shared",
    control="aws.network",
    source="aws",
    severity=Severity.HIGH,
)
def network(facts: AwsFacts, ctx: CheckContext) -> Iterator[Any]:
    items = [(f"network{n}@{r.region}", f) for r in facts.regional
             for n, f in enumerate(r.network)]
    errors = errors_in(ctx, facts.asset, items)
    yield from errors
    flagged = 0
    kinds = {"share": "aws_ram_share", "subnet": "aws_subnet", "peering": "aws_vpc_peering",
             "tgw_attachment": "aws_tgw_attachment", "dx_interface": "aws_dx_virtual_interface"}
    for _, f in items:
        for link in values(f):
            if not link.owner or link.owner == facts.account_id:
                continue
            flagged += 1
            a = attribute_account(ctx, facts, link.owner, link.detail)
            yield ctx.finding(asset=Asset(kinds[link.kind], link.id, link.name or None),
                              holder=a.holder, key=link.owner,
                              detail=f"{link.detail}: owned by account {link.owner}, held by "
                              f"{holder_text(a)}.",
                              evidence=[f.evidence({"resource": link.id, "owner": link.owner})])
    if not flagged and not errors:
        yield clean(ctx, facts, "No resource share, shared subnet, peering, transit gateway "
                    "attachment or Direct Connect interface involves another account.",
                    [f.evidence({"checked": n}) for n, f in items[:5]])


# ---------------------------------------------------------------------------------------
# aws.images


@check(
    id="aws.images.instances",
    control="aws.images",
    source="aws",
    severity=Severity.MEDIUM,
)
def images(facts: AwsFacts, ctx: CheckContext) -> Iterator[Any]:
    items = regional(facts, "instances") + [(f"images@{r.region}", r.images)
                                            for r in facts.regional if r.images is not None]
    errors = errors_in(ctx, facts.asset, items)
    yield from errors
    flagged = total = 0
    for r in facts.regional:
        if r.instances.error or (r.images is not None and r.images.error):
            continue
        imgs = r.images.ok if r.images is not None else {}
        for inst in r.instances.ok:
            total += 1
            asset = Asset("aws_ec2_instance", f"arn:{facts.partition}:ec2:{r.region}:"
                          f"{facts.account_id}:instance/{inst.id}", inst.id)
            img = imgs.get(inst.image_id)
            if img is None:
                flagged += 1
                yield ctx.finding(asset=asset, holder=Holder.UNKNOWN, status=Status.MANUAL,
                                  key=inst.image_id, detail=f"Instance {inst.id} was launched "
                                  f"from image {inst.image_id}, which this account can no "
                                  "longer see (deregistered or no longer shared): ask who "
                                  "owned it and make your own image of the server.",
                                  evidence=[r.instances.evidence({"InstanceId": inst.id,
                                                                  "ImageId": inst.image_id})])
                continue
            if img.owner == facts.account_id or img.owner_alias in ("amazon", "aws-marketplace"):
                continue  # own, or public AWS and Marketplace images that stay available
            flagged += 1
            a = attribute_account(ctx, facts, img.owner, f"owner of image {img.id}")
            ev = r.images.evidence({"ImageId": img.id, "OwnerId": img.owner, "Name": img.name}
                                   ) if r.images is not None else r.instances.evidence({})
            yield ctx.finding(asset=asset, holder=a.holder, key=img.id,
                              detail=f"Instance {inst.id} runs image {img.id} ({img.name}) "
                              f"owned by account {img.owner}, held by {holder_text(a)}.",
                              evidence=[ev])
    if not flagged and not errors:
        yield clean(ctx, facts, f"All {total} instances run images owned by this account "
                    "or public AWS/Marketplace images.",
                    [f.evidence({"instances": total}) for _, f in items[:1]])


# ---------------------------------------------------------------------------------------
# where copies and logs go


def bucket_owner(ctx: CheckContext, facts: AwsFacts, bucket: str,
                 seen_in: str) -> Attribution | None:
    """Who holds a bucket outside this account, from what can be seen without reading
    it: its name naming a party (whole words). None when no owner can be told."""
    found = name_matches(ctx, bucket)
    if not found:
        ctx.identity.unidentified.add("aws_s3_bucket", bucket, seen_in, ctx.meta.control)
        return None
    holder = worst_holder(found)
    return next(a for a in found if a.holder is holder)


_ASK_BUCKET = ("ask the provider which AWS account owns bucket {b} and for its bucket "
               "policy; or run `aws s3api get-bucket-location --bucket {b} "
               "--expected-bucket-owner <your account id>` (it fails when the bucket is not "
               "yours)")


# ---------------------------------------------------------------------------------------
# aws.backups


@check(
    id="aws.backups.copies",
    control="aws.backups",
    source="aws",
    severity=Severity.HIGH,
)
def backups(facts: AwsFacts, ctx: CheckContext) -> Iterator[Any]:
    items = regional(facts, "backup_plans") + regional(facts, "backup_vaults")
    items.append(("buckets", facts.buckets))
    errors = errors_in(ctx, facts.asset, items)
    yield from errors
    flagged = problems = 0
    own = facts.account_id
    for r in facts.regional:
        for plan_f in values(r.backup_plans):
            if plan_f.error:
                problems += 1
                yield ctx.error(facts.asset, plan_f.error, key=plan_f.request)
                continue
            plan = plan_f.ok
            asset = Asset("aws_backup_plan", plan.arn or plan.id, plan.name or None)
            for copy in plan.copies:
                owner = account_of_arn(copy.destination)
                if owner == own:
                    continue
                flagged += 1
                what = f"Backup rule {copy.rule} copies to {copy.destination}"
                if owner is None:
                    yield ctx.finding(asset=asset, holder=Holder.UNKNOWN, status=Status.WARN,
                                      key=what, evidence=[plan_f.evidence({"destination": copy.destination})],
                                      detail=f"{what}; the destination names no account: ask "
                                      "the provider whose vault it is.")
                    continue
                a = attribute_account(ctx, facts, owner, what)
                yield ctx.finding(asset=asset, holder=a.holder, key=f"{what}:{owner}",
                                  detail=f"{what}: account {owner}, held by {holder_text(a)}.",
                                  evidence=[plan_f.evidence({"destination_account": owner,
                                                             "what": what})])
        for vault in values(r.backup_vaults):
            asset = Asset("aws_backup_vault", vault.arn, vault.name)
            if vault.policy.error:
                problems += 1
                yield ctx.error(asset, vault.policy.error, key="policy")
                continue
            doc = vault.policy.ok
            if doc is None:
                continue
            if doc.problem:
                problems += 1
                yield ctx.error(asset, f"access policy of {vault.name}: {doc.problem}")
                continue
            for g in grantees(doc, own, eval_context(facts)):
                flagged += 1
                a, override = attribute_grantee(ctx, facts, g, f"policy of vault {vault.name}")
                yield ctx.finding(asset=asset, holder=a.holder, key=f"{g.kind}:{g.value}",
                                  status=override or status_for(a.holder),
                                  detail=f"The access policy of vault {vault.name} lets in "
                                  f"{describe_grantee(g)}, held by {holder_text(a)}.",
                                  evidence=[vault.policy.evidence({"Policy": excerpt_of(doc)}),
                                            *grantee_evidence(facts, g)])
    own_buckets = facts.bucket_names
    for b in values(facts.buckets):
        asset = Asset("aws_s3_bucket", b.arn, b.name)
        if b.replication.error:
            problems += 1
            yield ctx.error(asset, b.replication.error, key="replication")
            continue
        for rule in b.replication.ok:
            what = f"Bucket {b.name} replicates to {rule.bucket}"
            ev = [b.replication.evidence({"rule": rule.rule_id, "bucket": rule.bucket,
                                          "account": rule.account})]
            if rule.account and rule.account != own:
                flagged += 1
                a = attribute_account(ctx, facts, rule.account, what)
                yield ctx.finding(asset=asset, holder=a.holder, key=f"{what}:{rule.account}",
                                  detail=f"{what}: account {rule.account}, held by "
                                  f"{holder_text(a)}.", evidence=ev)
            elif not rule.account and rule.bucket not in own_buckets:
                flagged += 1
                found = bucket_owner(ctx, facts, rule.bucket, what)
                if found is None:
                    yield ctx.finding(asset=asset, holder=Holder.UNKNOWN, status=Status.WARN,
                                      key=what, evidence=ev,
                                      detail=f"{what}, which is not in this account and whose "
                                      "owner cannot be told: " + _ASK_BUCKET.format(b=rule.bucket) + ".")
                else:
                    yield ctx.finding(asset=asset, holder=found.holder, status=Status.WARN,
                                      key=what, evidence=ev,
                                      detail=f"{what}, which is not in this account; {found.reason}"
                                      f": it appears to be held by {holder_name(found)}. "
                                      "Confirm: " + _ASK_BUCKET.format(b=rule.bucket) + ".")
    if not flagged and not errors and not problems:
        yield clean(ctx, facts, "No backup plan copies to, no vault policy admits, and no "
                    "S3 bucket replicates to another account.",
                    [f.evidence({"checked": n}) for n, f in items[:3]])


# ---------------------------------------------------------------------------------------
# aws.logging


@check(
    id="aws.logging.trails",
    control="aws.logging",
    source="aws",
    severity=Severity.MEDIUM,
)
def trails(facts: AwsFacts, ctx: CheckContext) -> Iterator[Any]:
    items = [*regional(facts, "trails"), ("buckets", facts.buckets)]
    errors = errors_in(ctx, facts.asset, items)
    yield from errors
    own_buckets = facts.bucket_names
    seen: set[str] = set()
    own_trails = 0
    for _, f in items[:-1]:
        for t in values(f):
            if t.arn in seen:
                continue
            seen.add(t.arn)
            owner = account_of_arn(t.arn) or facts.account_id
            asset = Asset("aws_cloudtrail_trail", t.arn, t.name)
            ev = [f.evidence(t.excerpt)]
            if owner != facts.account_id:
                a = attribute_account(ctx, facts, owner, f"organization trail {t.arn}")
                yield ctx.finding(asset=asset, holder=a.holder, key=t.arn,
                                  severity=Severity.LOW if a.holder is Holder.CLIENT else None,
                                  detail=f"Organization trail {t.name} of account "
                                  f"{owner} ({holder_text(a)}) records this account's "
                                  f"activity into bucket {t.bucket}.", evidence=ev)
                continue
            own_trails += 1
            if facts.buckets.error:
                continue  # reported: where the bucket is cannot be told
            if t.bucket in own_buckets:
                yield ctx.finding(asset=asset, holder=Holder.CLIENT, key=t.arn, evidence=ev,
                                  detail=f"Trail {t.name} delivers to bucket {t.bucket} "
                                  "in this account.")
                continue
            found = bucket_owner(ctx, facts, t.bucket, f"destination of trail {t.arn}")
            for what, acct in t.linked_accounts:  # the trail's key, topic or log group
                if found is None and acct != facts.account_id:
                    a = attribute_account(ctx, facts, acct, f"{what} of trail {t.arn}")
                    found = Attribution(a.holder, a.party, a.kind, a.value,
                                        f"the trail's {what} is in account {acct}, held by "
                                        f"{holder_text(a)}", 0.5, a.category)
            if found is None:
                yield ctx.finding(asset=asset, holder=Holder.UNKNOWN, status=Status.WARN,
                                  key=t.arn, evidence=ev,
                                  detail=f"Trail {t.name} delivers to bucket {t.bucket}, which "
                                  "is not in this account and whose owner cannot be told: "
                                  + _ASK_BUCKET.format(b=t.bucket) + ".")
            else:
                yield ctx.finding(asset=asset, holder=found.holder,
                                  status=status_for(found.holder), key=t.arn, evidence=ev,
                                  detail=f"Trail {t.name} delivers to bucket {t.bucket}, which "
                                  f"is not in this account; {found.reason}: it appears to be "
                                  f"held by {holder_name(found)}. Confirm: "
                                  + _ASK_BUCKET.format(b=t.bucket) + ".")
    if not own_trails and not errors:
        yield ctx.finding(asset=facts.asset, holder=Holder.UNKNOWN, status=Status.WARN,
                          severity=Severity.LOW, key="no-own-trail",
                          detail="The account has no CloudTrail trail of its own: only the "
                          "90-day event history (and any organization trail) records activity.",
                          evidence=[f.evidence({"trailList": len(seen)}) for _, f in items[:1]])


# ---------------------------------------------------------------------------------------
# aws.domains


@check(
    id="aws.domains.route53",
    control="aws.domains",
    source="aws",
    severity=Severity.HIGH,
)
def domains(facts: AwsFacts, ctx: CheckContext) -> Iterator[Any]:
    lists: list[tuple[str, Fetched[Any]]] = [("domains", facts.domains),
                                            ("hosted_zones", facts.hosted_zones)]
    errors = errors_in(ctx, facts.asset, lists)
    yield from errors
    flagged = 0
    for f in values(facts.domains):
        if f.error:
            yield ctx.error(facts.asset, f.error, key=f.request)
            continue
        d = f.ok
        asset = Asset("domain", d.name.lower().rstrip("."), d.name)
        flagged += 1
        found = []
        for c in d.contacts:
            if c.email:
                found.append(ctx.attribute(IdKind.EMAIL, c.email, f"{c.role} of {d.name}"))
            if c.organization:
                found.append(ctx.attribute(IdKind.ORG_NAME, c.organization,
                                           f"{c.role} of {d.name}"))
        holder = worst_holder(found) if found else Holder.UNKNOWN
        who = next((a for a in found if a.holder is holder), None)
        yield ctx.finding(asset=asset, holder=holder, key="route53domains",
                          status=status_for(holder) if found else Status.MANUAL,
                          detail=f"{d.name} is registered through Route 53 in account "
                          f"{facts.account_id}; its contacts are held by "
                          f"{holder_text(who) if who else 'nobody identifiable'}.",
                          evidence=[f.evidence({c.role: {"OrganizationName": c.organization,
                                                         "Email": c.email}
                                                for c in d.contacts})])
    client_domains = set(ctx.identity.client.domains)
    acct = own_attribution(ctx, facts)
    for z in values(facts.hosted_zones):
        if z.private or not any(z.name == d or z.name.endswith("." + d)
                                for d in client_domains):
            continue
        flagged += 1
        holder = acct.holder if acct.holder is not Holder.UNKNOWN else Holder.CLIENT
        yield ctx.finding(asset=Asset("domain", z.name, z.name), holder=holder, key="zone",
                          detail=f"The public zone for {z.name} lives in account "
                          f"{facts.account_id}"
                          + (f", held by {holder_text(acct)}." if acct.holder is not
                             Holder.UNKNOWN else ", the audited account."),
                          evidence=[facts.hosted_zones.evidence({"Id": z.id, "Name": z.name})])
    if not flagged and not errors:
        yield clean(ctx, facts, "No domain is registered through Route 53 in this account "
                    "and no public hosted zone serves one of the client's domains.",
                    [f.evidence({"checked": n}) for n, f in lists])


# ---------------------------------------------------------------------------------------
# copies shared with other accounts, resource policies, and IAM Access Analyzer

_SHARED_KIND = {"ebs_snapshot": ("aws_ebs_snapshot", "EBS snapshot", "create volumes from it"),
                "rds_snapshot": ("aws_rds_snapshot", "RDS snapshot", "restore a database from it"),
                "ami": ("aws_ami", "machine image", "launch servers from it")}


def _share_target(ctx: CheckContext, facts: AwsFacts, who: str,
                  seen_in: str) -> tuple[Attribution, Status | None]:
    """Who a snapshot/image/share is shared with: an account id, `all` (public), or an
    Organization or OU ARN (arn:aws:organizations::<mgmt>:organization/o-... or
    ...:ou/o-.../ou-...)."""
    if who.lower() == "all":
        return Attribution(Holder.UNKNOWN, None, IdKind.AWS_ACCOUNT, "all",
                           "public: every AWS account", 0.0), Status.FAIL
    m = re.match(r"^arn:[^:]+:organizations::\d{12}:(organization|ou)/(o-[a-z0-9]+)(/.*)?$", who)
    if m:
        path = f"{m.group(2)}{m.group(3) or ''}"
        if m.group(1) == "ou":  # ou/o-xxx/ou-yyy: the OU inside o-xxx
            path = f"{m.group(2)}/{(m.group(3) or '').strip('/')}"
        return attribute_org(ctx, facts, m.group(2), seen_in,
                             path if m.group(1) == "ou" else ""), None
    return attribute_account(ctx, facts, who, seen_in), None


@check(
    id="aws.backups.shared",
    control="aws.backups",
    source="aws",
    severity=Severity.HIGH,
)
def shared_copies(facts: AwsFacts, ctx: CheckContext) -> Iterator[Any]:
    lists = [(f"shared{n}@{r.region}", f) for r in facts.regional for n, f in enumerate(r.shared)]
    errors = errors_in(ctx, facts.asset, lists)
    yield from errors
    flagged = problems = checked = 0
    for _, f in lists:
        for item in values(f):
            checked += 1
            asset_type, what, can = _SHARED_KIND[item.kind]
            asset = Asset(asset_type, item.arn, item.id)
            if item.with_.error:
                problems += 1
                yield ctx.error(asset, item.with_.error, key="permissions")
                continue
            for who in item.with_.ok:
                if who == facts.account_id:
                    continue
                flagged += 1
                a, override = _share_target(ctx, facts, who, f"permissions of {what} {item.id}")
                yield ctx.finding(
                    asset=asset, holder=a.holder, key=who,
                    status=override or status_for(a.holder),
                    severity=Severity.CRITICAL if who.lower() == "all" else None,
                    detail=f"{what[0].upper() + what[1:]} {item.id} is shared with {who}: "
                    f"held by {holder_text(a)}; it can {can}.",
                    evidence=[item.with_.evidence({"id": item.id, "shared_with": list(item.with_.ok)})])
    if not flagged and not errors and not problems:
        covered = [r.region for r in facts.regional if r.covered_by]
        scope = (f"own machine images in {', '.join(facts.regions)}; EBS and manual RDS "
                 f"snapshots in {', '.join(r.region for r in facts.regional if not r.covered_by) or 'no region'}")
        if covered:
            scope += (f" (snapshots in {', '.join(covered)} are judged by the account's IAM "
                      "Access Analyzer: aws.access.analyzer)")
        yield clean(ctx, facts, f"None of the {checked} snapshots and images read is shared "
                    f"with another account or publicly. Read: {scope}.",
                    [f.evidence({"checked": n}) for n, f in lists[:3]])


_POLICY_KIND = {"secret": ("aws_secretsmanager_secret", "Secrets Manager secret"),
                "queue": ("aws_sqs_queue", "SQS queue"), "topic": ("aws_sns_topic", "SNS topic"),
                "function": ("aws_lambda_function", "Lambda function"),
                "repository": ("aws_ecr_repository", "ECR repository")}


@check(
    id="aws.access.resource_policies",
    control="aws.access",
    source="aws",
    severity=Severity.HIGH,
)
def resource_policies(facts: AwsFacts, ctx: CheckContext) -> Iterator[Any]:
    lists: list[tuple[str, Fetched[Any]]] = [
        (f"policies{n}@{r.region}", f) for r in facts.regional
        for n, f in enumerate(r.resource_policies)]
    lists += [(f"shares@{r.region}", r.share_associations) for r in facts.regional
              if r.share_associations is not None]
    errors = errors_in(ctx, facts.asset, lists)
    yield from errors
    flagged = problems = checked = 0
    context = eval_context(facts)
    for r in facts.regional:
        for f in r.resource_policies:
            for res in values(f):
                checked += 1
                asset_type, what = _POLICY_KIND[res.kind]
                asset = Asset(asset_type, res.arn, res.name or None)
                if res.policy.error:
                    problems += 1
                    yield ctx.error(asset, res.policy.error, key="policy")
                    continue
                doc = res.policy.ok
                if doc is None:
                    continue
                if doc.problem:
                    problems += 1
                    yield ctx.error(asset, f"policy of {what} {res.name}: {doc.problem}",
                                    key="policy")
                    continue
                for g in grantees(doc, facts.account_id, context):
                    flagged += 1
                    a, override = attribute_grantee(ctx, facts, g, f"policy of {what} {res.arn}")
                    yield ctx.finding(
                        asset=asset, holder=a.holder, key=f"{g.kind}:{g.value}",
                        status=override or status_for(a.holder),
                        severity=Severity.CRITICAL if g.kind == "any" else None,
                        detail=f"The policy of {what} {res.name} lets in "
                        f"{describe_grantee(g)}, held by {holder_text(a)}.",
                        evidence=[res.policy.evidence({"Policy": excerpt_of(doc)}),
                                  *grantee_evidence(facts, g)])
        if r.share_associations is None:
            continue
        for assoc in values(r.share_associations):
            checked += 1
            if assoc.principal == facts.account_id:
                continue
            flagged += 1
            a, override = _share_target(ctx, facts, assoc.principal,
                                        f"resource share {assoc.share_arn}")
            yield ctx.finding(
                asset=Asset("aws_ram_share", assoc.share_arn, assoc.share_name or None),
                holder=a.holder, key=assoc.principal, status=override or status_for(a.holder),
                detail=f"Resource share {assoc.share_name} of this account is shared with "
                f"{assoc.principal}" + (" (outside the Organization)" if assoc.external else "")
                + f": held by {holder_text(a)}.",
                evidence=[r.share_associations.evidence({
                    "resourceShareArn": assoc.share_arn, "associatedEntity": assoc.principal,
                    "status": assoc.status, "external": assoc.external})])
    if not flagged and not errors and not problems:
        own = [r.region for r in facts.regional if not r.covered_by]
        covered = [r.region for r in facts.regional if r.covered_by]
        scope = (f"resource shares owned in {', '.join(facts.regions)}; the policies of "
                 "secrets, queues, topics, functions and repositories in "
                 f"{', '.join(own) or 'no region'}")
        if covered:
            scope += (f" (in {', '.join(covered)} those are judged by the account's IAM Access "
                      "Analyzer: aws.access.analyzer)")
        yield clean(ctx, facts, f"None of the {checked} resources and shares read lets in "
                    f"another account, Organization or anyone. Read: {scope}.",
                    [f.evidence({"checked": n}) for n, f in lists[:3]])


# Access Analyzer resource types lockin-audit also reads itself.
_OWN_TYPES = frozenset({"AWS::IAM::Role", "AWS::S3::Bucket", "AWS::KMS::Key",
                        "AWS::SecretsManager::Secret", "AWS::SQS::Queue", "AWS::SNS::Topic",
                        "AWS::Lambda::Function", "AWS::ECR::Repository", "AWS::EC2::Snapshot",
                        "AWS::RDS::DBSnapshot"})


def _own_view(facts: AwsFacts) -> dict[str, set[tuple[str, str]]]:
    """What our own evaluator found per resource ARN: the foreign grantees (kind, value)
    of every resource it read (an empty set: read, nobody foreign)."""
    context = eval_context(facts)
    view: dict[str, set[tuple[str, str]]] = {}

    def add(arn: str, doc: PolicyDocument | None) -> None:
        found = view.setdefault(arn, set())
        if doc is not None and not doc.problem:
            found.update((g.kind, g.value) for g in grantees(doc, facts.account_id, context))

    if not facts.iam.error:
        for role in facts.iam.ok.roles:
            add(role.arn, role.trust)
    for b in values(facts.buckets):
        if not b.policy.error:
            add(b.arn, b.policy.ok)
    for r in facts.regional:
        for key in values(r.kms_keys):
            if key.policy.error:
                continue
            add(key.arn, key.policy.ok)
            if key.grants is not None and not key.grants.error:
                view[key.arn].update(("account", g.grantee_account) for g in key.grants.ok
                                     if g.grantee_account and g.grantee_account != facts.account_id)
        for f in r.resource_policies:
            for res in values(f):
                if not res.policy.error:
                    add(res.arn, res.policy.ok)
        for shared in r.shared:
            for item in values(shared):
                if not item.with_.error:
                    view.setdefault(item.arn, set()).update(
                        ("account", w) for w in item.with_.ok if w != facts.account_id)
    return view


def finding_grantees(facts: AwsFacts, finding: Any) -> tuple[Grantee, ...]:
    """The grantees of an analyzer finding, through the one evaluator."""
    return grantees(finding.as_policy(), finding.owner or facts.account_id, eval_context(facts))


def _resource_asset(finding: Any) -> Asset:
    kind = "aws_" + re.sub(r"[^a-z0-9]+", "_", finding.resource_type.lower().removeprefix(
        "aws::")).strip("_")
    name = finding.resource.rpartition("/")[2].rpartition(":")[2] or None
    return Asset(kind, finding.resource, name)


def _unread_findings(ctx: CheckContext, facts: AwsFacts, region: str,
                     analyzer: Analyzer | None, error: FetchError) -> Any:
    """The error for an analyzer whose active findings could not be read: what it
    reports is unknown, so nothing is said for it (no pass, no disagreement)."""
    asset = (Asset("aws_access_analyzer", analyzer.arn, analyzer.name)
             if analyzer is not None else facts.asset)
    which = (f"IAM Access Analyzer {analyzer.name} ({analyzer.type}, {region})"
             if analyzer is not None else f"an IAM Access Analyzer of {region}")
    needs = ("" if error.permission else
             f" The read needs permission {_LIST_FINDINGS} (and the service reachable).")
    found = ctx.error(asset, error, key="findings")
    return dataclasses.replace(
        found, detail=f"The active findings of {which} could not be read, so what it "
        f"reports is unknown and no verdict rests on it: {error.describe()}.{needs}")


_LIST_FINDINGS = "access-analyzer:ListFindings"


def _covering(arn: str, read: list[tuple[str, Analyzer, Fetched[Any]]],
              unread: list[tuple[str, Analyzer | None]]
              ) -> list[tuple[str, Analyzer, Fetched[Any]]]:
    """The account analyzers whose read findings would hold a finding for `arn`: those of
    its region (an ARN without a region, a role or bucket: all of them). None when one
    that could hold it was not read."""
    arn_region = arn.split(":")[3] if arn.count(":") >= 5 else ""

    def could(region: str) -> bool:
        return not arn_region or region == arn_region

    if any(could(region) and (az is None or az.type == "ACCOUNT") for region, az in unread):
        return []
    return [(region, az, f) for region, az, f in read if az.type == "ACCOUNT" and could(region)]


@check(
    id="aws.access.analyzer",
    control="aws.access",
    source="aws",
    severity=Severity.HIGH,
)
def analyzer(facts: AwsFacts, ctx: CheckContext) -> Iterator[Any]:
    lists = [(f"analyzers@{r.region}", r.analyzers) for r in facts.regional
             if r.analyzers is not None]
    errors = errors_in(ctx, facts.asset, lists)
    yield from errors
    found_any = False
    external: list[tuple[str, Any]] = []
    # the analyzers whose active findings were read (with that read), and those whose
    # findings could not be read: no verdict may rest on the latter
    read: list[tuple[str, Analyzer, Fetched[Any]]] = []
    unread: list[tuple[str, Analyzer | None]] = []
    view = _own_view(facts)
    reported: set[str] = set()
    for r in facts.regional:
        ext = [a for a in (values(r.analyzers) if r.analyzers is not None else ())
               if a.external_access and a.status == "ACTIVE"]
        external += [(r.region, a) for a in ext]
        # the source reads the findings of each of these analyzers, in this order
        for n, f in enumerate(r.findings):
            az = ext[n] if n < len(ext) else None
            if f.error:
                unread.append((r.region, az))
                yield _unread_findings(ctx, facts, r.region, az, f.error)
                continue
            if az is not None:
                read.append((r.region, az, f))
            for item in f.ok:
                found_any = True
                reported.add(item.resource)
                asset = _resource_asset(item)
                found = finding_grantees(facts, item)
                ours = view.get(item.resource)
                ev = [f.evidence({**item.excerpt, "analyzer": item.analyzer})]
                if not found:
                    yield ctx.finding(asset=asset, holder=Holder.UNKNOWN, status=Status.WARN,
                                      key=item.id, evidence=ev,
                                      detail=f"IAM Access Analyzer reports external access to "
                                      f"{item.resource} ({item.resource_type}) by "
                                      f"{dict(item.principal) or 'a principal it does not name'}"
                                      ": whose it is cannot be told; see the finding in the "
                                      "console.")
                    continue
                for g in found:
                    a, override = attribute_grantee(ctx, facts, g,
                                                    f"Access Analyzer finding on {item.resource}")
                    if ours is None and item.resource_type not in _OWN_TYPES:
                        own = ("lockin-audit does not read this resource type itself: the "
                               "analyzer's view is the only one.")
                    elif ours is None:
                        own = ("lockin-audit did not read this resource itself in this scan "
                               "(the analyzer stands in for it here, or its own read failed: "
                               "see that check): the analyzer's view is reported.")
                    elif (g.kind, g.value) in ours:
                        own = "lockin-audit's own evaluator found the same access."
                    else:
                        own = ("lockin-audit's own evaluator did not find this access in the "
                               "resource's policy: the analyzer's view is reported.")
                    yield ctx.finding(
                        asset=asset, holder=a.holder, key=f"{item.id}:{g.kind}:{g.value}",
                        status=override or status_for(a.holder),
                        severity=Severity.CRITICAL if item.is_public else None,
                        detail=f"IAM Access Analyzer reports that {item.resource} "
                        f"({item.resource_type}) lets in {describe_grantee(g)}, held by "
                        f"{holder_text(a)}. {own}",
                        evidence=ev)
    # our evaluator flagged a resource the account's own analyzer has no finding for:
    # said only where every account analyzer that could hold that finding was read (an
    # analyzer whose findings were not read cannot be said to have none)
    for arn, grants in sorted(view.items()):
        foreign = sorted(g for g in grants if g[0] in ("account", "organization", "any"))
        if not foreign or arn in reported:
            continue
        covering = _covering(arn, read, unread)
        if not covering:
            continue
        yield ctx.finding(
            asset=Asset("aws_resource", arn, arn.rpartition("/")[2] or None),
            holder=Holder.UNKNOWN, status=Status.WARN, severity=Severity.LOW,
            key=f"disagree:{arn}",
            detail=f"lockin-audit's own evaluator finds {arn} open to "
            f"{', '.join(v for _, v in foreign)}, but the account's analyzer "
            f"{covering[0][1].name} has no active finding for it (archived, or the analyzer "
            "reads a condition as limiting it). The finding of the resource's own check "
            "stands; look at the analyzer's archived findings to settle it.",
            evidence=[f.evidence({"resource": arn, "analyzer": az.arn})
                      for _, az, f in covering[:1]])
    if errors:
        return
    if not external:
        yield ctx.finding(
            asset=facts.asset, holder=Holder.CLIENT, status=Status.MANUAL,
            severity=Severity.LOW, key="no-analyzer",
            detail=f"No IAM Access Analyzer for external access exists in "
            f"{', '.join(facts.regions)}. lockin-audit relied on its own reads of roles, "
            "buckets, keys, grants, snapshots, images, secrets, queues, topics, functions, "
            "repositories and shares. An external-access analyzer (zone of trust: this "
            "account) is free and gives AWS's own second opinion; create it in the console "
            "(lockin-audit never creates it: that is a write).",
            evidence=[f.evidence({"analyzers": []}) for _, f in lists[:1]])
        return
    if unread:
        # "no active finding" rests on every analyzer's findings: one unread, no pass (its
        # error above says which and why)
        return
    if not found_any:
        names = ", ".join(f"{a.name} ({a.type}, {region})" for region, a, _ in read)
        yield clean(ctx, facts, f"The account's external-access analyzers ({names}) have no "
                    "active finding (their active findings were read).",
                    [f.evidence({"findings": 0, "analyzer": a.arn}) for _, a, f in read])
