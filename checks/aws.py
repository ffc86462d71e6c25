"""AWS checks: who holds the client's AWS account, its contacts, access, keys, networks,
images, backups, logs and domains. Each check reads the facts the AWS source fetched once
per account (lockin_audit.sources.aws.AwsFacts) and yields at least one finding per
account: a `pass` with its evidence when nothing foreign was found, an `error` naming the
missing permission when an API could not be read.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Any

from lockin_audit.check import CheckContext, check, status_for, worst_holder
from lockin_audit.identity import Attribution, IdKind
from lockin_audit.model import Asset, Holder, Severity, Status
from lockin_audit.sources.aws import (
    CONTACT_TYPES,
    AwsFacts,
    Fetched,
    account_asset,
    condition_values,
    grants_admin,
    policy_statements,
    running_instances,
    trusted_accounts,
    vendor_accounts,
)
from lockin_audit.sources.interface import FetchError

_ACCOUNT_IN_ARN = re.compile(r"^arn:[^:]+:[^:]*:[^:]*:(\d{12}):")
_URL = re.compile(r"https?://[^\s\"'<>]+")
_ADMIN_POLICIES = ("AdministratorAccess", "IAMFullAccess", "PowerUserAccess")


# ---------------------------------------------------------------------------------------
# helpers


def account_of_arn(arn: str | None) -> str | None:
    m = _ACCOUNT_IN_ARN.match(arn or "")
    return m.group(1) if m else None


def attribute_account(ctx: CheckContext, facts: AwsFacts, account: str,
                      seen_in: str) -> Attribution:
    """Attribute an AWS account id: the audited account itself is the client's; then the
    configured parties; then the bundled list of public vendor accounts."""
    if account == facts.account_id:
        return Attribution(Holder.CLIENT, None, IdKind.AWS_ACCOUNT, account,
                           f"{account} is the audited account itself", 1.0)
    if account == "*":
        return Attribution(Holder.UNKNOWN, None, IdKind.AWS_ACCOUNT, "*",
                           "any AWS account ('*' principal)", 0.0)
    found = ctx.attribute(IdKind.AWS_ACCOUNT, account, seen_in, record=False)
    if found.holder is Holder.UNKNOWN:
        vendor = vendor_accounts().get(found.value)
        if vendor:
            return Attribution(Holder.THIRD_PARTY, vendor, IdKind.AWS_ACCOUNT, found.value,
                               f"{found.value} is a published AWS account of {vendor}", 1.0,
                               "cloud")
        ctx.identity.record(found, seen_in, ctx.meta.control)
    return found


def holder_text(a: Attribution) -> str:
    return {Holder.CLIENT: "the client", Holder.PROVIDER: f"the provider ({a.party})",
            Holder.THIRD_PARTY: f"a known vendor ({a.party})",
            Holder.UNKNOWN: "an unidentified party"}[a.holder] + f": {a.reason}"


def errors_of(fetched: Iterable[Fetched]) -> list[FetchError]:
    return [f.error for f in fetched if f.error is not None]


def error_findings(ctx: CheckContext, facts: AwsFacts,
                   fetched: Iterable[tuple[str, Fetched]]) -> list[Any]:
    """One error finding per fact that could not be read. A check that reports errors
    never also reports a clean pass: what could not be read is not fine."""
    return [ctx.error(facts.asset, f.error, key=key) for key, f in fetched
            if f.error is not None]


def regional_items(facts: AwsFacts, name: str) -> Iterator[tuple[str, Fetched]]:
    for region, f in sorted(facts.by_region(name).items()):
        yield f"{name}@{region}", f


def clean(ctx: CheckContext, facts: AwsFacts, detail: str, evidence: Iterable[Any] = (),
          key: str = "") -> Any:
    """The pass finding when nothing foreign was found."""
    return ctx.finding(asset=facts.asset, holder=Holder.CLIENT, status=Status.PASS,
                       detail=detail, evidence=list(evidence), key=key or "clean")


# ---------------------------------------------------------------------------------------
# aws.billing


@check(
    id="aws.billing.organization",
    control="aws.billing",
    source="aws",
    title="Who pays for the AWS account (its Organization)",
    severity=Severity.CRITICAL,
    risk="""An AWS account inside someone else's Organization is billed to that
    Organization's management account, and its owner can restrict, move or close the
    account with policies the client cannot see. If the provider runs that Organization,
    the client's servers, data and backups depend on the provider paying and cooperating.""",
    remediation=(
        "Ask the provider to confirm which Organization the account belongs to and who "
        "holds its management account.",
        "Sign in as the account's root user (reset the root password to an address on "
        "your own domain if needed) and add your own payment method and support plan.",
        "Leave the Organization (AWS Organizations > Leave organization) or ask the "
        "provider to remove the account; then invite it into an Organization you own, if "
        "you want one.",
        "If the provider resells AWS through a channel (Solution Provider) agreement, "
        "ask for the account to be transferred off the partner's billing before the "
        "contract ends: AWS support does this on the partner's request.",
    ),
    references=("https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_accounts_leave-as-member.html",),
)
def organization(facts: AwsFacts, ctx: CheckContext) -> Iterator[Any]:
    f = facts.get("organization")
    if f.error:
        yield ctx.error(facts.asset, f.error)
        return
    if f.value is None:
        yield clean(ctx, facts, "The account is not in an AWS Organization: it is billed to "
                    "its own payment method.", [f.evidence({"organization": None})])
        return
    org = f.value["Organization"]
    master = str(org.get("MasterAccountId", ""))
    email = str(org.get("MasterAccountEmail", ""))
    where = f"management account of {org.get('Id')}"
    found = [attribute_account(ctx, facts, master, where)]
    if email and master != facts.account_id:
        # The email is listed as unidentified only when the account id identified nobody.
        found.append(ctx.attribute(IdKind.EMAIL, email, f"{where} (email)",
                                   record=found[0].holder is Holder.UNKNOWN))
    holder = worst_holder(found)
    excerpt = {"Id": org.get("Id"), "MasterAccountId": master, "MasterAccountEmail": email}
    if master == facts.account_id:
        detail = f"The account is the management account of Organization {org.get('Id')}."
    else:
        who = next(a for a in found if a.holder is holder)
        detail = (f"The account belongs to Organization {org.get('Id')}, whose management "
                  f"account {master} ({email}) pays its bill; held by {holder_text(who)}.")
    yield ctx.finding(asset=facts.asset, holder=holder, detail=detail,
                      evidence=[f.evidence(excerpt)])


# ---------------------------------------------------------------------------------------
# aws.contacts


@check(
    id="aws.contacts.account",
    control="aws.contacts",
    source="aws",
    title="Who receives the AWS account's notices (primary, alternate and root contacts)",
    severity=Severity.HIGH,
    risk="""AWS sends bills, security warnings, abuse reports and account-closure notices
    to the account's contacts. If those addresses are the provider's, the client will not
    hear about a suspended account or a breach after the provider leaves, and the root
    email is what resets the account's master password.""",
    remediation=(
        "In the AWS console (Account > Contact information) set the primary contact to "
        "your business's name and address.",
        "Set the billing, operations and security alternate contacts to addresses on your "
        "own email domain (a shared mailbox, not one person).",
        "Change the root user's email to an address on your own domain and store the "
        "root password and MFA device yourself.",
    ),
    references=("https://docs.aws.amazon.com/accounts/latest/reference/manage-acct-update-contact.html",),
)
def contacts(facts: AwsFacts, ctx: CheckContext) -> Iterator[Any]:
    info = facts.get("contact_information")
    if info.error:
        yield ctx.error(facts.asset, info.error, key="primary")
    else:
        ci = (info.value or {}).get("ContactInformation", {})
        found = [ctx.attribute(IdKind.ORG_NAME, ci["CompanyName"], "AWS primary contact")
                 ] if ci.get("CompanyName") else []
        if ci.get("WebsiteUrl"):
            found.append(ctx.attribute(IdKind.URL, ci["WebsiteUrl"], "AWS primary contact"))
        holder = worst_holder(found) if found else Holder.UNKNOWN
        status = status_for(holder) if found else Status.MANUAL
        yield ctx.finding(
            asset=facts.asset, holder=holder, status=status, key="primary",
            detail=(f"Primary contact: {ci.get('FullName')}, company "
                    f"{ci.get('CompanyName') or '(none)'}."
                    + ("" if found else " No company or website to attribute: confirm it.")),
            evidence=[info.evidence({k: ci.get(k) for k in
                                     ("FullName", "CompanyName", "WebsiteUrl", "CountryCode")})])
    for kind in CONTACT_TYPES:
        f = facts.get(f"alternate_contact.{kind}")
        if f.error:
            yield ctx.error(facts.asset, f.error, key=kind)
            continue
        contact = (f.value or {}).get("AlternateContact")
        if not contact:
            yield ctx.finding(asset=facts.asset, holder=Holder.UNKNOWN, status=Status.WARN,
                              severity=Severity.LOW, key=kind,
                              detail=f"No {kind.lower()} alternate contact is set: AWS "
                              "notices go to the root email only.",
                              evidence=[f.evidence({"AlternateContact": None})])
            continue
        email = str(contact.get("EmailAddress", ""))
        a = ctx.attribute(IdKind.EMAIL, email, f"AWS {kind.lower()} alternate contact")
        yield ctx.finding(asset=facts.asset, holder=a.holder, key=kind,
                          detail=f"The {kind.lower()} alternate contact is {email}; "
                          f"held by {holder_text(a)}.",
                          evidence=[f.evidence({"Name": contact.get("Name"),
                                                "EmailAddress": email})])
    members = facts.facts.get("org_accounts")
    if members is None:
        return
    if members.error:
        yield ctx.error(facts.asset, members.error, key="members")
    elif isinstance(members.value, dict):
        for acct in members.value.get("Accounts", []):
            email = str(acct.get("Email", ""))
            a = ctx.attribute(IdKind.EMAIL, email, f"root email of AWS account {acct['Id']}")
            yield ctx.finding(asset=account_asset(acct["Id"], acct.get("Name")),
                              holder=a.holder, key="root-email",
                              detail=f"Member account {acct['Id']} ({acct.get('Name')}) has "
                              f"root email {email}; held by {holder_text(a)}.",
                              evidence=[members.evidence({"Id": acct["Id"], "Email": email})])


# ---------------------------------------------------------------------------------------
# aws.access


_ACCESS_REMEDIATION = (
    "List every role, user and identity provider named here with the provider and agree "
    "which ones they still need until the handover date.",
    "Create your own administrator (an IAM Identity Center user or an IAM user with MFA) "
    "on your own email domain and test that it works.",
    "Delete the provider's roles, users and identity providers (or remove the provider's "
    "account from the roles' trust policies) on the handover date.",
    "For a known vendor's role, confirm the subscription at that vendor is in your name.",
)


@check(
    id="aws.access.roles",
    control="aws.access",
    source="aws",
    title="IAM roles that other AWS accounts can assume",
    severity=Severity.CRITICAL,
    risk="""A role that trusts another AWS account lets whoever controls that account act
    inside the client's account, without a password the client could change. A provider
    keeping such a role with administrator rights keeps full control after the contract
    ends.""",
    remediation=_ACCESS_REMEDIATION,
    references=("https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_common-scenarios_third-party.html",),
)
def roles(facts: AwsFacts, ctx: CheckContext) -> Iterator[Any]:
    f = facts.get("roles")
    if f.error:
        yield ctx.error(facts.asset, f.error)
        return
    count = 0
    for role in f.value.get("Roles", []):
        doc = role.get("AssumeRolePolicyDocument")
        foreign = trusted_accounts(doc, facts.account_id)
        if not foreign:
            continue
        asset = Asset("aws_iam_role", role["Arn"], role["RoleName"])
        pol = facts.get(f"role_policies.{role['RoleName']}")
        if pol.error:
            yield ctx.error(asset, pol.error, key="policies")
        policies = (pol.value or {}).get("AttachedPolicies", [])
        attached = [p["PolicyName"] for p in policies]
        admin = [p["PolicyName"] for p in policies if p["PolicyName"] in _ADMIN_POLICIES
                 or _admin_document(facts, p["PolicyArn"])]
        external = sorted({v for s in policy_statements(doc)
                           for v in condition_values(s, "sts:ExternalId")})
        for acct in foreign:
            count += 1
            a = attribute_account(ctx, facts, acct, f"trust policy of role {role['Arn']}")
            severity = Severity.CRITICAL if admin else Severity.HIGH
            if acct == "*":
                status, severity = Status.FAIL, Severity.CRITICAL
            else:
                status = status_for(a.holder)
            yield ctx.finding(
                asset=asset, holder=a.holder, status=status, severity=severity, key=acct,
                detail=(f"Role {role['RoleName']} trusts account {acct}, held by "
                        f"{holder_text(a)}. "
                        + (f"It has administrator rights ({', '.join(admin)}). " if admin
                           else f"Attached policies: {', '.join(attached) or 'none'}. ")
                        + ("Assuming it requires an ExternalId." if external
                           else "No ExternalId condition.")),
                evidence=[f.evidence({"RoleName": role["RoleName"],
                                      "AssumeRolePolicyDocument": doc}),
                          pol.evidence({"AttachedPolicies": attached})])
    if not count:
        yield clean(ctx, facts, f"None of the {len(f.value.get('Roles', []))} IAM roles "
                    "trusts another AWS account.", [f.evidence({"roles": len(f.value.get(
                        "Roles", []))})])


def _admin_document(facts: AwsFacts, policy_arn: str) -> bool:
    doc = facts.get(f"policy_document.{policy_arn}").value
    return isinstance(doc, dict) and grants_admin(doc.get("PolicyVersion", {}).get("Document"))


def _user_identifiers(user: dict[str, Any], tags: list[dict[str, Any]]) -> list[tuple[IdKind,
                                                                                     str]]:
    out: list[tuple[IdKind, str]] = []
    if "@" in user["UserName"]:
        out.append((IdKind.EMAIL, user["UserName"]))
    for t in tags:
        key, value = str(t.get("Key", "")).lower(), str(t.get("Value", ""))
        if not value:
            continue
        if "@" in value:
            out.append((IdKind.EMAIL, value))
        elif key in ("company", "organization", "organisation", "owner", "vendor"):
            out.append((IdKind.ORG_NAME, value))
    return out


@check(
    id="aws.access.users",
    control="aws.access",
    source="aws",
    title="IAM users that belong to the provider",
    severity=Severity.HIGH,
    risk="""IAM users with the provider's email addresses are the provider's own logins to
    the client's account. With console passwords or access keys they keep working after
    the contract ends unless the client deletes them.""",
    remediation=_ACCESS_REMEDIATION,
)
def users(facts: AwsFacts, ctx: CheckContext) -> Iterator[Any]:
    f = facts.get("users")
    if f.error:
        yield ctx.error(facts.asset, f.error)
        return
    flagged = 0
    errors = []
    for user in f.value.get("Users", []):
        name = user["UserName"]
        tags_f = facts.get(f"user_tags.{name}")
        if tags_f.error:
            errors.append(ctx.error(Asset("aws_iam_user", user["Arn"], name), tags_f.error))
            yield errors[-1]
            continue
        ids = _user_identifiers(user, (tags_f.value or {}).get("Tags", []))
        if not ids:
            continue
        found = [ctx.attribute(k, v, f"IAM user {name}") for k, v in ids]
        holder = worst_holder(found)
        if holder is Holder.CLIENT:
            continue
        flagged += 1
        login, mfa = facts.get(f"user_login.{name}"), facts.get(f"user_mfa.{name}")
        console = ("unknown (" + login.error.describe() + ")" if login.error
                   else "yes" if login.value else "no")
        mfa_text = ("unknown" if mfa.error
                    else "yes" if (mfa.value or {}).get("MFADevices") else "no")
        who = next(a for a in found if a.holder is holder)
        yield ctx.finding(
            asset=Asset("aws_iam_user", user["Arn"], name), holder=holder, key=name,
            detail=(f"IAM user {name} is held by {holder_text(who)}. Console password: "
                    f"{console}; MFA: {mfa_text}; password last used: "
                    f"{user.get('PasswordLastUsed') or 'never'}."),
            evidence=[f.evidence({"UserName": name, "Arn": user["Arn"]}),
                      tags_f.evidence({"Tags": (tags_f.value or {}).get("Tags", [])})])
    if not flagged and not errors:
        yield clean(ctx, facts, f"None of the {len(f.value.get('Users', []))} IAM users "
                    "carries a provider's or unidentified email or company tag.",
                    [f.evidence({"users": [u["UserName"] for u in f.value.get("Users", [])]})])


@check(
    id="aws.access.identity_providers",
    control="aws.access",
    source="aws",
    title="SAML and OIDC identity providers that sign people into the account",
    severity=Severity.HIGH,
    risk="""A SAML or OIDC identity provider lets the users of another directory sign in
    to the client's account. If it points at the provider's identity platform, the
    provider decides who gets in.""",
    remediation=_ACCESS_REMEDIATION,
)
def identity_providers(facts: AwsFacts, ctx: CheckContext) -> Iterator[Any]:
    lists = [("saml_providers", facts.get("saml_providers")),
             ("oidc_providers", facts.get("oidc_providers"))]
    errors = error_findings(ctx, facts, lists)
    yield from errors
    seen = 0
    for name, f in facts.facts.items():
        kind, _, arn = name.partition(".")
        if kind not in ("saml", "oidc"):
            continue
        asset = Asset("aws_iam_identity_provider", arn, arn.rpartition("/")[2])
        if f.error:
            yield ctx.error(asset, f.error)
            continue
        seen += 1
        text = (f.value.get("SAMLMetadataDocument", "") if kind == "saml"
                else "https://" + str(f.value.get("Url", "")).removeprefix("https://"))
        urls = sorted(set(_URL.findall(text)))
        found = [ctx.attribute(IdKind.URL, u, f"{kind.upper()} provider {arn}")
                 for u in urls[:20]]
        holder = worst_holder(found) if found else Holder.UNKNOWN
        status = status_for(holder) if found else Status.MANUAL
        yield ctx.finding(asset=asset, holder=holder, status=status, key=arn,
                          detail=f"{kind.upper()} identity provider {arn} points at "
                          f"{', '.join(urls[:3]) or '(no URL found)'}.",
                          evidence=[f.evidence({"urls": urls[:20]})])
    if not seen and not errors:
        yield clean(ctx, facts, "No SAML or OIDC identity provider is configured.",
                    [f.evidence(f.value) for _, f in lists])


# ---------------------------------------------------------------------------------------
# aws.identity


@check(
    id="aws.identity.identity_center",
    control="aws.identity",
    source="aws",
    title="Who administers IAM Identity Center (single sign-on)",
    severity=Severity.HIGH,
    risk="""IAM Identity Center is the front door for people signing in to AWS. The
    account that owns the instance decides who may sign in and with which permissions;
    if that is the provider's account, the client cannot add or remove its own staff.""",
    remediation=(
        "Find the Identity Center instance's owning account (Identity Center > Settings).",
        "If the provider's Organization owns it, plan your own Identity Center in an "
        "Organization you own before leaving theirs, and re-create your users there.",
    ),
)
def identity_center(facts: AwsFacts, ctx: CheckContext) -> Iterator[Any]:
    items = list(regional_items(facts, "sso_instances"))
    errors = error_findings(ctx, facts, items)
    yield from errors
    seen: set[str] = set()
    for _, f in items:
        for inst in (f.value or {}).get("Instances", []) if not f.error else []:
            arn = inst.get("InstanceArn", "")
            if arn in seen:
                continue
            seen.add(arn)
            owner = str(inst.get("OwnerAccountId") or facts.account_id)
            a = attribute_account(ctx, facts, owner, f"IAM Identity Center {arn}")
            yield ctx.finding(asset=Asset("aws_sso_instance", arn, inst.get("Name")),
                              holder=a.holder, key=arn,
                              detail=f"IAM Identity Center instance {arn} is owned by account "
                              f"{owner}, held by {holder_text(a)}.",
                              evidence=[f.evidence({k: inst.get(k) for k in (
                                  "InstanceArn", "OwnerAccountId", "IdentityStoreId")})])
    if not seen and not errors:
        yield clean(ctx, facts, "No IAM Identity Center instance is visible from this "
                    "account.", [f.evidence({"Instances": []}) for _, f in items[:1]])


# ---------------------------------------------------------------------------------------
# aws.keys


@check(
    id="aws.keys.kms",
    control="aws.keys",
    source="aws",
    title="Encryption keys shared with, or held by, other accounts",
    severity=Severity.CRITICAL,
    risk="""Data encrypted with a KMS key is readable only while the key exists and its
    policy allows it. A key held in the provider's account (or whose policy lets the
    provider's account use or manage it) means the provider can read the client's disks
    and backups, or make them unreadable by deleting the key.""",
    remediation=(
        "Create customer-managed KMS keys in your own account.",
        "Re-encrypt the listed volumes, buckets and databases with your own keys (copy a "
        "snapshot with the new key, re-create the volume; S3 batch copy; RDS snapshot copy).",
        "Remove foreign accounts from your keys' policies.",
    ),
)
def keys(facts: AwsFacts, ctx: CheckContext) -> Iterator[Any]:
    names = ("kms_keys", "volumes", "db_instances")
    items = [i for n in names for i in regional_items(facts, n)]
    errors = error_findings(ctx, facts, items)
    yield from errors
    flagged = 0
    for name, by_region in facts.regional.items():
        if not name.startswith("key_policy."):
            continue
        key_arn = name.partition(".")[2]
        for region, f in by_region.items():
            meta = facts.by_region(f"key.{key_arn}").get(region)
            if meta and not meta.error and meta.value["KeyMetadata"].get("KeyManager") == "AWS":
                continue  # AWS-managed keys cannot be shared
            asset = Asset("aws_kms_key", key_arn)
            if f.error:
                yield ctx.error(asset, f.error)
                continue
            for acct in trusted_accounts(f.value.get("Policy"), facts.account_id):
                flagged += 1
                a = attribute_account(ctx, facts, acct, f"policy of KMS key {key_arn}")
                yield ctx.finding(asset=asset, holder=a.holder, key=acct,
                                  detail=f"The policy of KMS key {key_arn} grants account "
                                  f"{acct}, held by {holder_text(a)}.",
                                  evidence=[f.evidence({"Policy": f.value.get("Policy")})])
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
    if not flagged and not errors:
        yield clean(ctx, facts, "No KMS key policy grants another account, and no EBS "
                    "volume, S3 bucket or RDS database uses a key held elsewhere.",
                    [f.evidence({"checked": n}) for n, f in items[:3] if not f.error])


def _encrypted_resources(facts: AwsFacts) -> Iterator[tuple[Asset, str, Fetched]]:
    for f in facts.by_region("volumes").values():
        for v in (f.value or {}).get("Volumes", []) if not f.error else []:
            if v.get("KmsKeyId"):
                yield Asset("aws_ebs_volume", v["VolumeId"], v["VolumeId"]), v["KmsKeyId"], f
    for f in facts.by_region("db_instances").values():
        for d in (f.value or {}).get("DBInstances", []) if not f.error else []:
            if d.get("KmsKeyId"):
                yield (Asset("aws_rds_instance", d.get("DBInstanceArn", d["DBInstanceIdentifier"]),
                             d["DBInstanceIdentifier"]), d["KmsKeyId"], f)
    for name, f in facts.facts.items():
        if not name.startswith("bucket_encryption.") or f.error or not f.value:
            continue
        bucket = name.partition(".")[2]
        for rule in f.value.get("ServerSideEncryptionConfiguration", {}).get("Rules", []):
            key_id = rule.get("ApplyServerSideEncryptionByDefault", {}).get("KMSMasterKeyID")
            if key_id:
                yield Asset("aws_s3_bucket", f"arn:aws:s3:::{bucket}", bucket), key_id, f


# ---------------------------------------------------------------------------------------
# aws.network


@check(
    id="aws.network.shared",
    control="aws.network",
    source="aws",
    title="Networks shared from, peered with or attached to other accounts",
    severity=Severity.HIGH,
    risk="""Subnets shared through Resource Access Manager, VPC peerings, transit gateway
    attachments and Direct Connect interfaces owned by another account carry the client's
    traffic over the provider's network. When the provider stops sharing, the client's
    servers lose their network or their link to the office.""",
    remediation=(
        "Build your own VPC and subnets (and, if needed, transit gateway or VPN) in your "
        "own account.",
        "Move the instances and databases in the listed shared subnets to your own subnets "
        "during a maintenance window.",
        "Then delete the peerings and attachments to the provider's account and ask the "
        "provider to stop sharing.",
    ),
)
def network(facts: AwsFacts, ctx: CheckContext) -> Iterator[Any]:
    names = ("ram_shares", "subnets", "peerings", "tgw_attachments", "dx_interfaces")
    items = [i for n in names for i in regional_items(facts, n)]
    errors = error_findings(ctx, facts, items)
    yield from errors
    flagged = 0
    for asset, owner, what, f in _network_links(facts):
        flagged += 1
        a = attribute_account(ctx, facts, owner, what)
        yield ctx.finding(asset=asset, holder=a.holder, key=owner,
                          detail=f"{what}: owned by account {owner}, held by {holder_text(a)}.",
                          evidence=[f.evidence({"resource": asset.id, "owner": owner})])
    if not flagged and not errors:
        yield clean(ctx, facts, "No resource share, shared subnet, peering, transit gateway "
                    "attachment or Direct Connect interface involves another account.",
                    [f.evidence({"checked": n}) for n, f in items[:5] if not f.error])


def _network_links(facts: AwsFacts) -> Iterator[tuple[Asset, str, str, Fetched]]:
    own = facts.account_id
    for f in facts.by_region("ram_shares").values():
        for s in (f.value or {}).get("resourceShares", []) if not f.error else []:
            owner = str(s.get("owningAccountId", ""))
            if owner and owner != own:
                yield (Asset("aws_ram_share", s["resourceShareArn"], s.get("name")), owner,
                       f"Resource share {s.get('name')} received", f)
    for f in facts.by_region("subnets").values():
        for s in (f.value or {}).get("Subnets", []) if not f.error else []:
            owner = str(s.get("OwnerId", ""))
            if owner and owner != own:
                arn = s.get("SubnetArn") or s["SubnetId"]
                yield (Asset("aws_subnet", arn, s["SubnetId"]), owner,
                       f"Subnet {s['SubnetId']} is shared into this account", f)
    for f in facts.by_region("peerings").values():
        for p in (f.value or {}).get("VpcPeeringConnections", []) if not f.error else []:
            if p.get("Status", {}).get("Code") in ("deleted", "rejected", "failed", "expired"):
                continue
            for side in ("AccepterVpcInfo", "RequesterVpcInfo"):
                owner = str(p.get(side, {}).get("OwnerId", ""))
                if owner and owner != own:
                    pid = p["VpcPeeringConnectionId"]
                    yield (Asset("aws_vpc_peering", pid, pid), owner,
                           f"VPC peering {pid} to {p.get(side, {}).get('VpcId')}", f)
    for f in facts.by_region("tgw_attachments").values():
        for t in (f.value or {}).get("TransitGatewayAttachments", []) if not f.error else []:
            owner = str(t.get("TransitGatewayOwnerId", ""))
            if owner and owner != own:
                tid = t["TransitGatewayAttachmentId"]
                yield (Asset("aws_tgw_attachment", tid, tid), owner,
                       f"Transit gateway attachment {tid} to {t.get('TransitGatewayId')}", f)
    for f in facts.by_region("dx_interfaces").values():
        for v in (f.value or {}).get("virtualInterfaces", []) if not f.error else []:
            owner = str(v.get("ownerAccount", ""))
            if owner and owner != own:
                vid = v["virtualInterfaceId"]
                yield (Asset("aws_dx_virtual_interface", vid, v.get("virtualInterfaceName")),
                       owner, f"Direct Connect virtual interface {vid}", f)


# ---------------------------------------------------------------------------------------
# aws.images


@check(
    id="aws.images.instances",
    control="aws.images",
    source="aws",
    title="Servers launched from images owned by other accounts",
    severity=Severity.MEDIUM,
    risk="""A server launched from the provider's private machine image cannot be rebuilt
    the same way once the provider stops sharing that image: disaster recovery, scaling
    and rebuilding all depend on it.""",
    remediation=(
        "For each listed server, create your own image of it (EC2 > Create image) in your "
        "own account.",
        "Point launch templates and auto scaling groups at your own images.",
    ),
)
def images(facts: AwsFacts, ctx: CheckContext) -> Iterator[Any]:
    items = list(regional_items(facts, "instances")) + list(regional_items(facts, "images"))
    errors = error_findings(ctx, facts, items)
    yield from errors
    flagged = total = 0
    for region, f in sorted(facts.by_region("instances").items()):
        if f.error:
            continue
        img_f = facts.by_region("images").get(region)
        imgs = {i["ImageId"]: i for i in ((img_f.value or {}).get("Images", [])
                                          if img_f and not img_f.error else [])}
        for inst in running_instances(f.value):
            total += 1
            image_id = inst.get("ImageId", "")
            asset = Asset("aws_ec2_instance", f"arn:{facts.partition}:ec2:{region}:"
                          f"{facts.account_id}:instance/{inst['InstanceId']}", inst["InstanceId"])
            img = imgs.get(image_id)
            if img is None:
                if img_f is not None and img_f.error:
                    continue  # already reported as an error
                flagged += 1
                yield ctx.finding(asset=asset, holder=Holder.UNKNOWN, status=Status.MANUAL,
                                  key=image_id, detail=f"Instance {inst['InstanceId']} was "
                                  f"launched from image {image_id}, which this account can no "
                                  "longer see (deregistered or no longer shared): ask who "
                                  "owned it and make your own image of the server.",
                                  evidence=[f.evidence({"InstanceId": inst["InstanceId"],
                                                        "ImageId": image_id})])
                continue
            owner = str(img.get("OwnerId", ""))
            if owner == facts.account_id:
                continue
            if img.get("ImageOwnerAlias") in ("amazon", "aws-marketplace"):
                continue  # public AWS and Marketplace images stay available
            flagged += 1
            a = attribute_account(ctx, facts, owner, f"owner of image {image_id}")
            yield ctx.finding(asset=asset, holder=a.holder, key=image_id,
                              detail=f"Instance {inst['InstanceId']} runs image {image_id} "
                              f"({img.get('Name')}) owned by account {owner}, held by "
                              f"{holder_text(a)}.",
                              evidence=[img_f.evidence({"ImageId": image_id, "OwnerId": owner,
                                                        "Name": img.get("Name")})
                                        if img_f else f.evidence({})])
    if not flagged and not errors:
        yield clean(ctx, facts, f"All {total} instances run images owned by this account "
                    "or public AWS/Marketplace images.",
                    [f.evidence({"instances": total}) for _, f in items[:1]])


# ---------------------------------------------------------------------------------------
# aws.backups


@check(
    id="aws.backups.copies",
    control="aws.backups",
    source="aws",
    title="Backups copied to, or readable by, other accounts",
    severity=Severity.HIGH,
    risk="""Backups copied into the provider's vaults or buckets are the provider's copies:
    the client cannot restore from them without the provider, and a vault access policy
    or S3 replication to a foreign account lets someone else read the client's data.""",
    remediation=(
        "Create a backup vault (and, for S3, a bucket) in an account you own.",
        "Change the backup plans' copy rules and the S3 replication rules to your own "
        "destinations, and remove foreign accounts from vault access policies.",
        "Ask the provider for the restore points they hold, then for their deletion.",
    ),
)
def backups(facts: AwsFacts, ctx: CheckContext) -> Iterator[Any]:
    items = [i for n in ("backup_plans", "backup_vaults") for i in regional_items(facts, n)]
    items += [(n, f) for n, f in facts.regional_flat("backup_plan.", "vault_policy.")]
    items += [(n, f) for n, f in facts.facts.items() if n.startswith("bucket_replication.")]
    errors = error_findings(ctx, facts, items)
    yield from errors
    flagged = 0
    for name, f in items:
        if f.error or not f.value:
            continue
        for asset, owner, what in _backup_links(facts, name, f.value):
            flagged += 1
            if owner is None:
                yield ctx.finding(asset=asset, holder=Holder.UNKNOWN, status=Status.MANUAL,
                                  key=what, detail=f"{what}; the destination's account "
                                  "cannot be seen from here: confirm it is yours.",
                                  evidence=[f.evidence({"destination": what})])
                continue
            a = attribute_account(ctx, facts, owner, what)
            yield ctx.finding(asset=asset, holder=a.holder, key=f"{what}:{owner}",
                              detail=f"{what}: account {owner}, held by {holder_text(a)}.",
                              evidence=[f.evidence({"destination_account": owner,
                                                    "what": what})])
    if not flagged and not errors:
        yield clean(ctx, facts, "No backup plan copies to, no vault policy admits, and no "
                    "S3 bucket replicates to another account.",
                    [f.evidence({"checked": n}) for n, f in items[:3] if not f.error])


def _backup_links(facts: AwsFacts, name: str,
                  value: dict[str, Any]) -> Iterator[tuple[Asset, str | None, str]]:
    own = facts.account_id
    if name.startswith("backup_plan."):
        plan = value.get("BackupPlan", {})
        asset = Asset("aws_backup_plan", value.get("BackupPlanArn", name), plan.get(
            "BackupPlanName"))
        for rule in plan.get("Rules", []):
            for action in rule.get("CopyActions", []):
                dest = action.get("DestinationBackupVaultArn", "")
                owner = account_of_arn(dest)
                if owner != own:
                    yield asset, owner, f"Backup rule {rule.get('RuleName')} copies to {dest}"
    elif name.startswith("vault_policy."):
        asset = Asset("aws_backup_vault", value.get("BackupVaultArn", name.partition(".")[2]),
                      value.get("BackupVaultName"))
        for acct in trusted_accounts(value.get("Policy"), own):
            yield asset, acct, f"Access policy of vault {value.get('BackupVaultName')} admits"
    elif name.startswith("bucket_replication."):
        bucket = name.partition(".")[2]
        asset = Asset("aws_s3_bucket", f"arn:aws:s3:::{bucket}", bucket)
        own_buckets = {b["Name"] for b in (facts.get("buckets").value or {}).get("Buckets", [])}
        for rule in value.get("ReplicationConfiguration", {}).get("Rules", []):
            dest = rule.get("Destination", {})
            target = str(dest.get("Bucket", "")).rpartition(":")[2]
            owner = dest.get("Account")
            if owner and owner != own:
                yield asset, str(owner), f"Bucket {bucket} replicates to {target}"
            elif not owner and target not in own_buckets:
                yield asset, None, f"Bucket {bucket} replicates to {target}"


# ---------------------------------------------------------------------------------------
# aws.logging


@check(
    id="aws.logging.trails",
    control="aws.logging",
    source="aws",
    title="Where the account's audit log (CloudTrail) goes",
    severity=Severity.MEDIUM,
    risk="""CloudTrail is the record of who did what in the account. If it is delivered
    only to the provider's bucket, or only recorded by the provider's organization trail,
    the client has no audit log of its own once the provider leaves.""",
    remediation=(
        "Create a trail in your own account that logs all regions to a bucket you own.",
        "Keep it running through the handover, so the provider's last actions are on your "
        "record.",
    ),
)
def trails(facts: AwsFacts, ctx: CheckContext) -> Iterator[Any]:
    items = list(regional_items(facts, "trails"))
    errors = error_findings(ctx, facts, items)
    yield from errors
    own_buckets = {b["Name"] for b in (facts.get("buckets").value or {}).get("Buckets", [])}
    seen: set[str] = set()
    own_trails = 0
    for _, f in items:
        for t in (f.value or {}).get("trailList", []) if not f.error else []:
            arn = t.get("TrailARN", "")
            if arn in seen:
                continue
            seen.add(arn)
            owner = account_of_arn(arn) or facts.account_id
            asset = Asset("aws_cloudtrail_trail", arn, t.get("Name"))
            ev = [f.evidence({k: t.get(k) for k in ("TrailARN", "S3BucketName",
                                                   "IsOrganizationTrail", "HomeRegion")})]
            if owner != facts.account_id:
                a = attribute_account(ctx, facts, owner, f"organization trail {arn}")
                yield ctx.finding(asset=asset, holder=a.holder, key=arn,
                                  severity=Severity.LOW if a.holder is Holder.CLIENT else None,
                                  detail=f"Organization trail {t.get('Name')} of account "
                                  f"{owner} ({holder_text(a)}) records this account's "
                                  f"activity into bucket {t.get('S3BucketName')}.", evidence=ev)
                continue
            own_trails += 1
            bucket = str(t.get("S3BucketName", ""))
            if bucket in own_buckets:
                yield ctx.finding(asset=asset, holder=Holder.CLIENT, key=arn, evidence=ev,
                                  detail=f"Trail {t.get('Name')} delivers to bucket {bucket} "
                                  "in this account.")
            else:
                yield ctx.finding(asset=asset, holder=Holder.UNKNOWN, status=Status.WARN,
                                  key=arn, evidence=ev,
                                  detail=f"Trail {t.get('Name')} delivers to bucket {bucket}, "
                                  "which is not in this account: confirm who owns it.")
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
    title="Domains registered and DNS zones hosted in the AWS account",
    severity=Severity.HIGH,
    risk="""Domains registered through Route 53 belong to whoever the registrant contact
    names, and a hosted zone for the client's domain in an account the client does not
    hold means the provider controls where the client's website and email go.""",
    remediation=(
        "Change the registrant, admin and tech contacts of each listed domain to your "
        "business and an address on your own domain (Route 53 > Registered domains).",
        "If a zone for your domain lives in the provider's account, create the zone in "
        "your own account, copy the records and change the domain's name servers.",
    ),
)
def domains(facts: AwsFacts, ctx: CheckContext) -> Iterator[Any]:
    lists = [("domains", facts.get("domains")), ("hosted_zones", facts.get("hosted_zones"))]
    errors = error_findings(ctx, facts, lists)
    yield from errors
    flagged = 0
    for name, f in facts.facts.items():
        if not name.startswith("domain."):
            continue
        domain = name.partition(".")[2]
        asset = Asset("domain", domain.lower().rstrip("."), domain)
        if f.error:
            yield ctx.error(asset, f.error, key="route53domains")
            continue
        flagged += 1
        found = []
        excerpt = {}
        for role in ("RegistrantContact", "AdminContact", "TechContact"):
            c = f.value.get(role) or {}
            excerpt[role] = {"OrganizationName": c.get("OrganizationName"),
                             "Email": c.get("Email")}
            if c.get("Email"):
                found.append(ctx.attribute(IdKind.EMAIL, c["Email"], f"{role} of {domain}"))
            if c.get("OrganizationName"):
                found.append(ctx.attribute(IdKind.ORG_NAME, c["OrganizationName"],
                                           f"{role} of {domain}"))
        holder = worst_holder(found) if found else Holder.UNKNOWN
        who = next((a for a in found if a.holder is holder), None)
        yield ctx.finding(asset=asset, holder=holder, key="route53domains",
                          status=status_for(holder) if found else Status.MANUAL,
                          detail=f"{domain} is registered through Route 53 in account "
                          f"{facts.account_id}; its contacts are held by "
                          f"{holder_text(who) if who else 'nobody identifiable'}.",
                          evidence=[f.evidence(excerpt)])
    zones = facts.get("hosted_zones")
    client_domains = set(ctx.identity.client.domains)
    acct = ctx.attribute(IdKind.AWS_ACCOUNT, facts.account_id, "hosted zones",
                         record=False)
    for z in (zones.value or {}).get("HostedZones", []) if not zones.error else []:
        zname = str(z.get("Name", "")).rstrip(".").lower()
        if z.get("Config", {}).get("PrivateZone") or not any(
                zname == d or zname.endswith("." + d) for d in client_domains):
            continue
        flagged += 1
        holder = acct.holder if acct.holder is not Holder.UNKNOWN else Holder.CLIENT
        yield ctx.finding(asset=Asset("domain", zname, zname), holder=holder, key="zone",
                          detail=f"The public zone for {zname} lives in account "
                          f"{facts.account_id}"
                          + (f", held by {holder_text(acct)}." if acct.holder is not
                             Holder.UNKNOWN else ", the audited account."),
                          evidence=[zones.evidence({"Id": z.get("Id"), "Name": z.get("Name")})])
    if not flagged and not errors:
        yield clean(ctx, facts, "No domain is registered through Route 53 in this account "
                    "and no public hosted zone serves one of the client's domains.",
                    [f.evidence({"checked": n}) for n, f in lists])
