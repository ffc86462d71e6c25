"""Typed, frozen AWS facts, and the parsers that build them from boto3 answers.

Raw API dictionaries stay in this module and in the source (lockin_audit.sources.aws):
the checks read only these records. Each record keeps `excerpt`, the part of the answer
that evidence shows. Response shapes follow the AWS API references cited per parser.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar
from xml.etree import ElementTree

from lockin_audit.facts import Fetched, FetchError
from lockin_audit.sources.aws_policy import PolicyDocument, parse_policy

U = TypeVar("U")
SOURCE = "aws"
_ACCOUNT_IN_ARN = re.compile(r"^arn:[^:]+:[^:]*:[^:]*:(\d{12}):")


def account_of_arn(arn: str | None) -> str | None:
    m = _ACCOUNT_IN_ARN.match(arn or "")
    return m.group(1) if m else None


def _s(value: Any) -> str:
    return "" if value is None else str(value)


def _list(value: Any, key: str) -> list[Any]:
    if value is None:
        return []
    items = value.get(key, []) if isinstance(value, Mapping) else None
    if not isinstance(items, list):
        raise ValueError(f"{key} is not a list")
    return items


# ---------------------------------------------------------------------------------------
# account and Organization


@dataclass(frozen=True)
class Organization:
    """organizations:DescribeOrganization (Organization object)."""

    id: str
    management_account: str
    management_email: str

    @property
    def excerpt(self) -> dict[str, str]:
        return {"Id": self.id, "MasterAccountId": self.management_account,
                "MasterAccountEmail": self.management_email}


def parse_organization(value: Any) -> Organization | None:
    if value is None:
        return None
    org = value["Organization"]
    return Organization(_s(org["Id"]), _s(org.get("MasterAccountId")),
                        _s(org.get("MasterAccountEmail")))


@dataclass(frozen=True)
class OrgAccount:
    """organizations:ListAccounts (Account objects)."""

    id: str
    name: str
    email: str
    status: str


def parse_org_accounts(value: Any) -> tuple[OrgAccount, ...]:
    return tuple(OrgAccount(_s(a["Id"]), _s(a.get("Name")), _s(a.get("Email")),
                            _s(a.get("Status") or a.get("State") or "ACTIVE"))
                 for a in _list(value, "Accounts"))


@dataclass(frozen=True)
class ContactInformation:
    """account:GetContactInformation."""

    full_name: str
    company: str
    website: str
    country: str

    @property
    def excerpt(self) -> dict[str, str]:
        return {"FullName": self.full_name, "CompanyName": self.company,
                "WebsiteUrl": self.website, "CountryCode": self.country}


def parse_contact(value: Any) -> ContactInformation:
    ci = (value or {}).get("ContactInformation") or {}
    return ContactInformation(_s(ci.get("FullName")), _s(ci.get("CompanyName")),
                              _s(ci.get("WebsiteUrl")), _s(ci.get("CountryCode")))


@dataclass(frozen=True)
class AlternateContact:
    """account:GetAlternateContact (None when not set)."""

    kind: str
    name: str
    email: str


def parse_alternate(kind: str) -> Any:
    def parse(value: Any) -> AlternateContact | None:
        c = (value or {}).get("AlternateContact")
        if not c:
            return None
        return AlternateContact(kind, _s(c.get("Name")), _s(c.get("EmailAddress")))
    return parse


# ---------------------------------------------------------------------------------------
# IAM: one snapshot from GetAccountAuthorizationDetails
# https://docs.aws.amazon.com/IAM/latest/APIReference/API_GetAccountAuthorizationDetails.html


@dataclass(frozen=True)
class NamedPolicy:
    """An inline policy, or a managed policy attached to a principal."""

    name: str
    arn: str  # "" for inline policies
    document: PolicyDocument | None  # None: a managed policy whose document was not listed

    @property
    def aws_managed(self) -> bool:
        return ":iam::aws:policy/" in self.arn


@dataclass(frozen=True)
class Tag:
    key: str
    value: str


@dataclass(frozen=True)
class Role:
    name: str
    arn: str
    path: str
    trust: PolicyDocument
    inline: tuple[NamedPolicy, ...]
    attached: tuple[NamedPolicy, ...]
    tags: tuple[Tag, ...]
    last_used: str  # RoleLastUsed.LastUsedDate, "" when never or unknown
    boundary: NamedPolicy | None = None  # the permissions boundary, when one is set

    @property
    def policies(self) -> tuple[NamedPolicy, ...]:
        return self.inline + self.attached


@dataclass(frozen=True)
class Group:
    name: str
    arn: str
    inline: tuple[NamedPolicy, ...]
    attached: tuple[NamedPolicy, ...]


@dataclass(frozen=True)
class User:
    name: str
    arn: str
    path: str
    tags: tuple[Tag, ...]
    groups: tuple[str, ...]
    inline: tuple[NamedPolicy, ...]
    attached: tuple[NamedPolicy, ...]
    # iam:ListUsers' PasswordLastUsed ("" when never used); None: not read
    password_last_used: Fetched[str] | None = None
    boundary: NamedPolicy | None = None  # the permissions boundary, when one is set


@dataclass(frozen=True)
class IamSnapshot:
    roles: tuple[Role, ...]
    users: tuple[User, ...]
    groups: tuple[Group, ...]

    def group(self, name: str) -> Group | None:
        return next((g for g in self.groups if g.name == name), None)

    def user_policies(self, user: User) -> tuple[NamedPolicy, ...]:
        """A user's own policies plus those of its groups."""
        out = list(user.inline + user.attached)
        for g in user.groups:
            group = self.group(g)
            if group is not None:
                out.extend(group.inline + group.attached)
        return tuple(out)


def _tags(value: Any) -> tuple[Tag, ...]:
    return tuple(Tag(_s(t.get("Key")), _s(t.get("Value"))) for t in (value or []))


def _inline(items: Any, doc_key: str = "PolicyDocument") -> tuple[NamedPolicy, ...]:
    return tuple(NamedPolicy(_s(p["PolicyName"]), "", parse_policy(p.get(doc_key)))
                 for p in (items or []))


def _attached(items: Any, documents: Mapping[str, PolicyDocument]) -> tuple[NamedPolicy, ...]:
    return tuple(NamedPolicy(_s(p["PolicyName"]), _s(p["PolicyArn"]),
                             documents.get(_s(p["PolicyArn"])))
                 for p in (items or []))


def _boundary(item: Any, documents: Mapping[str, PolicyDocument]) -> NamedPolicy | None:
    """PermissionsBoundary {PermissionsBoundaryType, PermissionsBoundaryArn}: its document
    when GetAccountAuthorizationDetails listed it (None document: not listed)."""
    pb = item.get("PermissionsBoundary") or {}
    arn = _s(pb.get("PermissionsBoundaryArn"))
    if not arn:
        return None
    return NamedPolicy(arn.rpartition("/")[2], arn, documents.get(arn))


def parse_iam(value: Any, users: Fetched[Any] | None = None) -> IamSnapshot:
    """GetAccountAuthorizationDetails (all pages merged) plus ListUsers for the
    PasswordLastUsed field GetAccountAuthorizationDetails does not carry (None: not asked,
    the snapshot lists no user)."""
    documents: dict[str, PolicyDocument] = {}
    for p in _list(value, "Policies"):
        default = next((v for v in p.get("PolicyVersionList", []) if v.get("IsDefaultVersion")),
                       None)
        if default is not None:
            documents[_s(p["Arn"])] = parse_policy(default.get("Document"))
    listed = None if users is None else users.map(
        lambda v: {_s(u["UserName"]): _s(u.get("PasswordLastUsed")) for u in _list(v, "Users")})

    def last_use(name: str) -> Fetched[str] | None:
        return None if listed is None else listed.map(lambda found: found.get(name, ""))

    roles = tuple(Role(
        _s(r["RoleName"]), _s(r["Arn"]), _s(r.get("Path", "/")),
        parse_policy(r.get("AssumeRolePolicyDocument")), _inline(r.get("RolePolicyList")),
        _attached(r.get("AttachedManagedPolicies"), documents), _tags(r.get("Tags")),
        _s((r.get("RoleLastUsed") or {}).get("LastUsedDate")), _boundary(r, documents))
        for r in _list(value, "RoleDetailList"))
    groups = tuple(Group(_s(g["GroupName"]), _s(g["Arn"]), _inline(g.get("GroupPolicyList")),
                         _attached(g.get("AttachedManagedPolicies"), documents))
                   for g in _list(value, "GroupDetailList"))
    iam_users = tuple(User(
        _s(u["UserName"]), _s(u["Arn"]), _s(u.get("Path", "/")), _tags(u.get("Tags")),
        tuple(_s(g) for g in u.get("GroupList", [])), _inline(u.get("UserPolicyList")),
        _attached(u.get("AttachedManagedPolicies"), documents),
        last_use(_s(u["UserName"])), _boundary(u, documents))
        for u in _list(value, "UserDetailList"))
    return IamSnapshot(roles, iam_users, groups)


@dataclass(frozen=True)
class KeyLastUse:
    """iam:GetAccessKeyLastUsed (AccessKeyLastUsed): when and with which service the key
    was last used ("" when never)."""

    date: str
    service: str = ""


def parse_key_last_use(value: Any) -> KeyLastUse:
    used = value.get("AccessKeyLastUsed") or {}
    return KeyLastUse(_s(used.get("LastUsedDate")), _s(used.get("ServiceName")))


@dataclass(frozen=True)
class AccessKey:
    """iam:ListAccessKeys (AccessKeyMetadata), with the key's last use."""

    id: str  # the access key id (an identifier, not a secret)
    status: str  # Active | Inactive
    created: str
    last_use: Fetched[KeyLastUse]

    @property
    def last_used(self) -> str:
        """The last use's date: "" when never used; "unknown (...)" when it could not be
        read."""
        error = self.last_use.error
        return f"unknown ({error.reason})" if error else self.last_use.ok.date


def parse_access_keys(value: Any) -> tuple[tuple[str, str, str], ...]:
    """iam:ListAccessKeys: (access key id, status, created) of each key."""
    return tuple((_s(k["AccessKeyId"]), _s(k.get("Status")), _s(k.get("CreateDate")))
                 for k in _list(value, "AccessKeyMetadata"))


@dataclass(frozen=True)
class UserCredentials:
    """A user's sign-in means: iam:GetLoginProfile, ListAccessKeys (+ GetAccessKeyLastUsed
    per key), ListMFADevices. Each part is its own read (a value or the reason it could not
    be read)."""

    console_password: Fetched[bool]
    keys: Fetched[tuple[AccessKey, ...]]
    mfa: Fetched[bool]

    @property
    def active_keys(self) -> tuple[AccessKey, ...]:
        return tuple(k for k in self.keys.ok if k.status == "Active") if not \
            self.keys.error else ()

    @property
    def problems(self) -> tuple[FetchError, ...]:
        out = [x.error for x in (self.console_password, self.keys, self.mfa) if x.error]
        if not self.keys.error:
            out.extend(k.last_use.error for k in self.keys.ok if k.last_use.error)
        return tuple(out)


# ---------------------------------------------------------------------------------------
# identity providers


@dataclass(frozen=True)
class SamlMetadata:
    """What a SAML metadata document says about its identity provider
    (OASIS SAML 2.0 metadata, saml-metadata-2.0-os section 2.3.2 and 2.4.3)."""

    entity_id: str
    sso_locations: tuple[str, ...]
    problem: str | None = None


_MD = "urn:oasis:names:tc:SAML:2.0:metadata"


def parse_saml_metadata(text: str) -> SamlMetadata:
    """Parse metadata XML; documents with a DTD are refused (no entity expansion)."""
    if "<!DOCTYPE" in text.upper() or "<!ENTITY" in text.upper():
        return SamlMetadata("", (), "the metadata carries a DTD, which is refused")
    try:
        root = ElementTree.fromstring(text)
    except ElementTree.ParseError as exc:
        return SamlMetadata("", (), f"the metadata is not XML: {exc}")
    entity = root if root.tag == f"{{{_MD}}}EntityDescriptor" else root.find(
        f".//{{{_MD}}}EntityDescriptor")
    if entity is None:
        return SamlMetadata("", (), "no EntityDescriptor in the metadata")
    locations = [e.get("Location", "") for e in entity.iter(f"{{{_MD}}}SingleSignOnService")]
    return SamlMetadata(entity.get("entityID", ""),
                        tuple(dict.fromkeys(x for x in locations if x)))


@dataclass(frozen=True)
class Detail(Generic[U]):
    """A listed item's id and the read of its details: a value, or the reason it failed
    (so a check can tell which item could not be read)."""

    id: str
    fetched: Fetched[U]


@dataclass(frozen=True)
class SamlProvider:
    arn: str
    metadata: SamlMetadata


def parse_saml_provider(arn: str) -> Any:
    """iam:GetSAMLProvider: the provider's metadata document."""
    def parse(value: Any) -> SamlProvider:
        return SamlProvider(arn, parse_saml_metadata(_s(value.get("SAMLMetadataDocument"))))
    return parse


@dataclass(frozen=True)
class OidcProvider:
    arn: str
    url: str
    client_ids: tuple[str, ...]


def parse_oidc(arn: str) -> Any:
    def parse(value: Any) -> OidcProvider:
        return OidcProvider(arn, _s(value.get("Url")),
                            tuple(_s(c) for c in value.get("ClientIDList", [])))
    return parse


# ---------------------------------------------------------------------------------------
# storage, keys, logs, backups


@dataclass(frozen=True)
class ReplicationRule:
    rule_id: str
    bucket: str  # destination bucket name
    account: str  # destination account, "" when the rule does not say


@dataclass(frozen=True)
class Bucket:
    name: str
    encryption_keys: Fetched[tuple[str, ...]]  # KMS key ids of default encryption
    replication: Fetched[tuple[ReplicationRule, ...]]
    policy: Fetched[PolicyDocument | None]  # None: no bucket policy

    @property
    def arn(self) -> str:
        return f"arn:aws:s3:::{self.name}"


def parse_bucket_encryption(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    rules = value["ServerSideEncryptionConfiguration"].get("Rules", [])
    return tuple(_s(r["ApplyServerSideEncryptionByDefault"]["KMSMasterKeyID"]) for r in rules
                 if (r.get("ApplyServerSideEncryptionByDefault") or {}).get("KMSMasterKeyID"))


def parse_replication(value: Any) -> tuple[ReplicationRule, ...]:
    if value is None:
        return ()
    out = []
    for r in value["ReplicationConfiguration"].get("Rules", []):
        dest = r.get("Destination") or {}
        out.append(ReplicationRule(_s(r.get("ID")), _s(dest.get("Bucket")).rpartition(":")[2],
                                   _s(dest.get("Account"))))
    return tuple(out)


def parse_bucket_policy(value: Any) -> PolicyDocument | None:
    return None if value is None else parse_policy(value["Policy"])


@dataclass(frozen=True)
class KmsKey:
    arn: str
    manager: Fetched[str]  # kms:DescribeKey's KeyManager: AWS | CUSTOMER
    policy: Fetched[PolicyDocument]
    grants: Fetched[tuple[KmsGrant, ...]] | None = None  # None: an AWS managed key

    @property
    def aws_managed(self) -> bool:
        """An AWS managed key (read as such; an unread manager is judged as the client's)."""
        return not self.manager.error and self.manager.ok == "AWS"


def parse_key_manager(value: Any) -> str:
    """kms:DescribeKey (KeyMetadata.KeyManager)."""
    return _s(value["KeyMetadata"].get("KeyManager"))


@dataclass(frozen=True)
class Volume:
    id: str
    kms_key: str


@dataclass(frozen=True)
class Database:
    id: str
    arn: str
    kms_key: str


@dataclass(frozen=True)
class Instance:
    id: str
    image_id: str


@dataclass(frozen=True)
class Image:
    id: str
    owner: str
    name: str
    owner_alias: str  # amazon | aws-marketplace | ""


_LIVE = ("pending", "running", "stopping", "stopped")


def parse_instances(value: Any) -> tuple[Instance, ...]:
    return tuple(Instance(_s(i["InstanceId"]), _s(i.get("ImageId")))
                 for r in _list(value, "Reservations") for i in r.get("Instances", [])
                 if (i.get("State") or {}).get("Name") in _LIVE)


def parse_images(value: Any) -> dict[str, Image]:
    return {_s(i["ImageId"]): Image(_s(i["ImageId"]), _s(i.get("OwnerId")), _s(i.get("Name")),
                                    _s(i.get("ImageOwnerAlias")))
            for i in _list(value, "Images")}


def parse_volumes(value: Any) -> tuple[Volume, ...]:
    return tuple(Volume(_s(v["VolumeId"]), _s(v.get("KmsKeyId"))) for v in _list(value, "Volumes"))


def parse_databases(value: Any) -> tuple[Database, ...]:
    return tuple(Database(_s(d["DBInstanceIdentifier"]),
                          _s(d.get("DBInstanceArn") or d["DBInstanceIdentifier"]),
                          _s(d.get("KmsKeyId"))) for d in _list(value, "DBInstances"))


@dataclass(frozen=True)
class NetworkLink:
    """Something network-shaped another account owns: kind is share, subnet, peering,
    tgw_attachment or dx_interface."""

    kind: str
    id: str
    name: str
    owner: str
    detail: str


def parse_shares(value: Any) -> tuple[NetworkLink, ...]:
    return tuple(NetworkLink("share", _s(s["resourceShareArn"]), _s(s.get("name")),
                             _s(s.get("owningAccountId")), f"Resource share {s.get('name')} received")
                 for s in _list(value, "resourceShares"))


def parse_subnets(value: Any) -> tuple[NetworkLink, ...]:
    return tuple(NetworkLink("subnet", _s(s.get("SubnetArn") or s["SubnetId"]), _s(s["SubnetId"]),
                             _s(s.get("OwnerId")), f"Subnet {s['SubnetId']} is shared into this account")
                 for s in _list(value, "Subnets"))


def parse_peerings(value: Any) -> tuple[NetworkLink, ...]:
    out = []
    for p in _list(value, "VpcPeeringConnections"):
        if (p.get("Status") or {}).get("Code") in ("deleted", "rejected", "failed", "expired"):
            continue
        for side in ("AccepterVpcInfo", "RequesterVpcInfo"):
            info = p.get(side) or {}
            pid = _s(p["VpcPeeringConnectionId"])
            out.append(NetworkLink("peering", pid, pid, _s(info.get("OwnerId")),
                                   f"VPC peering {pid} to {info.get('VpcId')}"))
    return tuple(out)


def parse_tgw(value: Any) -> tuple[NetworkLink, ...]:
    return tuple(NetworkLink("tgw_attachment", _s(t["TransitGatewayAttachmentId"]),
                             _s(t["TransitGatewayAttachmentId"]),
                             _s(t.get("TransitGatewayOwnerId")),
                             f"Transit gateway attachment {t['TransitGatewayAttachmentId']} to "
                             f"{t.get('TransitGatewayId')}")
                 for t in _list(value, "TransitGatewayAttachments"))


def parse_dx(value: Any) -> tuple[NetworkLink, ...]:
    return tuple(NetworkLink("dx_interface", _s(v["virtualInterfaceId"]),
                             _s(v.get("virtualInterfaceName")), _s(v.get("ownerAccount")),
                             f"Direct Connect virtual interface {v['virtualInterfaceId']}")
                 for v in _list(value, "virtualInterfaces"))


@dataclass(frozen=True)
class CopyAction:
    rule: str
    destination: str  # vault ARN


@dataclass(frozen=True)
class BackupPlan:
    id: str
    arn: str
    name: str
    copies: tuple[CopyAction, ...]


def parse_backup_plan(value: Any) -> BackupPlan:
    plan = value["BackupPlan"]
    return BackupPlan(_s(value.get("BackupPlanId")), _s(value.get("BackupPlanArn")),
                      _s(plan.get("BackupPlanName")),
                      tuple(CopyAction(_s(r.get("RuleName")), _s(a.get("DestinationBackupVaultArn")))
                            for r in plan.get("Rules", []) for a in r.get("CopyActions", [])))


@dataclass(frozen=True)
class BackupVault:
    name: str
    arn: str
    policy: Fetched[PolicyDocument | None]


@dataclass(frozen=True)
class Trail:
    arn: str
    name: str
    bucket: str
    organization_trail: bool
    home_region: str
    kms_key: str = ""  # KmsKeyId (an ARN)
    sns_topic: str = ""  # SnsTopicARN
    log_group: str = ""  # CloudWatchLogsLogGroupArn

    @property
    def linked_accounts(self) -> tuple[tuple[str, str], ...]:
        """(what, account) for the trail's KMS key, SNS topic and log group ARNs."""
        out = []
        for what, arn in (("KMS key", self.kms_key), ("SNS topic", self.sns_topic),
                          ("log group", self.log_group)):
            acct = account_of_arn(arn)
            if acct:
                out.append((f"{what} {arn}", acct))
        return tuple(out)

    @property
    def excerpt(self) -> dict[str, Any]:
        return {"TrailARN": self.arn, "S3BucketName": self.bucket,
                "IsOrganizationTrail": self.organization_trail, "HomeRegion": self.home_region}


def parse_trails(value: Any) -> tuple[Trail, ...]:
    return tuple(Trail(_s(t.get("TrailARN")), _s(t.get("Name")), _s(t.get("S3BucketName")),
                       bool(t.get("IsOrganizationTrail")), _s(t.get("HomeRegion")),
                       _s(t.get("KmsKeyId")), _s(t.get("SnsTopicARN")),
                       _s(t.get("CloudWatchLogsLogGroupArn")))
                 for t in _list(value, "trailList"))


@dataclass(frozen=True)
class SsoInstance:
    arn: str
    name: str
    owner: str
    identity_store: str


def parse_sso(value: Any) -> tuple[SsoInstance, ...]:
    return tuple(SsoInstance(_s(i.get("InstanceArn")), _s(i.get("Name")),
                             _s(i.get("OwnerAccountId")), _s(i.get("IdentityStoreId")))
                 for i in _list(value, "Instances"))


# ---------------------------------------------------------------------------------------
# resources other accounts may be let into: grants, shares and resource policies


@dataclass(frozen=True)
class KmsGrant:
    """kms:ListGrants (GrantListEntry): a grant lets its grantee use the key without the key
    policy naming it. https://docs.aws.amazon.com/kms/latest/APIReference/API_ListGrants.html"""

    key_arn: str
    grant_id: str
    name: str
    grantee: str  # GranteePrincipal: an account, role or user ARN, or a service principal
    retiring: str
    operations: tuple[str, ...]
    issuing_account: str

    @property
    def grantee_account(self) -> str | None:
        if re.fullmatch(r"\d{12}", self.grantee):
            return self.grantee
        return account_of_arn(self.grantee)


def parse_grants(key_arn: str) -> Any:
    def parse(value: Any) -> tuple[KmsGrant, ...]:
        return tuple(KmsGrant(key_arn, _s(g.get("GrantId")), _s(g.get("Name")),
                              _s(g.get("GranteePrincipal")), _s(g.get("RetiringPrincipal")),
                              tuple(_s(o) for o in g.get("Operations") or ()),
                              _s(g.get("IssuingAccount")))
                     for g in _list(value, "Grants"))
    return parse


@dataclass(frozen=True)
class Shared:
    """A snapshot or image and whom it is shared with: an EBS snapshot's
    createVolumePermission, an AMI's launchPermission, an RDS snapshot's `restore`
    attribute. `with_` holds account ids, `all` (public), and Organization/OU ARNs."""

    kind: str  # ebs_snapshot | ami | rds_snapshot
    id: str
    arn: str
    with_: Fetched[tuple[str, ...]]


def parse_snapshot_ids(account: str) -> Any:
    """ec2:DescribeSnapshots(OwnerIds=[self]): the snapshots this account owns."""
    def parse(value: Any) -> tuple[str, ...]:
        return tuple(_s(x["SnapshotId"]) for x in _list(value, "Snapshots")
                     if _s(x.get("OwnerId")) in ("", account))
    return parse


def parse_own_image_ids(account: str) -> Any:
    """ec2:DescribeImages(Owners=[self]): the images this account owns (an image of another
    owner in the answer is not this account's to share)."""
    def parse(value: Any) -> tuple[str, ...]:
        return tuple(_s(x["ImageId"]) for x in _list(value, "Images")
                     if _s(x.get("OwnerId")) in ("", account))
    return parse


def parse_db_snapshots(value: Any) -> tuple[tuple[str, str], ...]:
    """rds:DescribeDBSnapshots(SnapshotType=manual): (identifier, ARN)."""
    return tuple((_s(x["DBSnapshotIdentifier"]), _s(x.get("DBSnapshotArn")))
                 for x in _list(value, "DBSnapshots"))


def parse_create_volume_permissions(value: Any) -> tuple[str, ...]:
    """ec2:DescribeSnapshotAttribute(createVolumePermission): UserId or Group 'all'.
    https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeSnapshotAttribute.html"""
    return tuple(_s(p.get("UserId") or p.get("Group"))
                 for p in _list(value, "CreateVolumePermissions")
                 if p.get("UserId") or p.get("Group"))


def parse_launch_permissions(value: Any) -> tuple[str, ...]:
    """ec2:DescribeImageAttribute(launchPermission): UserId, Group 'all', OrganizationArn,
    OrganizationalUnitArn. https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_LaunchPermission.html"""
    out = []
    for p in _list(value, "LaunchPermissions"):
        who = p.get("UserId") or p.get("Group") or p.get("OrganizationArn") or \
            p.get("OrganizationalUnitArn")
        if who:
            out.append(_s(who))
    return tuple(out)


def parse_restore_attribute(value: Any) -> tuple[str, ...]:
    """rds:DescribeDBSnapshotAttributes: the `restore` attribute's values (account ids or
    'all'). https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_DescribeDBSnapshotAttributes.html"""
    result = value["DBSnapshotAttributesResult"]
    return tuple(_s(v) for a in result.get("DBSnapshotAttributes") or ()
                 if a.get("AttributeName") == "restore" for v in a.get("AttributeValues") or ())


@dataclass(frozen=True)
class ResourcePolicy:
    """A resource with a resource-based policy: a Secrets Manager secret, an SQS queue, an
    SNS topic, a Lambda function or an ECR repository. policy None: it has none."""

    kind: str  # secret | queue | topic | function | repository
    arn: str
    name: str
    policy: Fetched[PolicyDocument | None]


@dataclass(frozen=True)
class ShareAssociation:
    """ram:GetResourceShareAssociations(associationType=PRINCIPAL): a share this account
    owns and a principal it is shared with (an account id, or an Organization/OU ARN)."""

    share_arn: str
    share_name: str
    principal: str
    status: str
    external: bool


def parse_share_associations(value: Any) -> tuple[ShareAssociation, ...]:
    return tuple(ShareAssociation(_s(a.get("resourceShareArn")), _s(a.get("resourceShareName")),
                                  _s(a.get("associatedEntity")), _s(a.get("status")),
                                  bool(a.get("external")))
                 for a in _list(value, "resourceShareAssociations")
                 if _s(a.get("status")) in ("ASSOCIATED", "ASSOCIATING", ""))


# ---------------------------------------------------------------------------------------
# IAM Access Analyzer
# https://docs.aws.amazon.com/access-analyzer/latest/APIReference/API_ListAnalyzers.html
# https://docs.aws.amazon.com/access-analyzer/latest/APIReference/API_ListFindings.html


@dataclass(frozen=True)
class Analyzer:
    arn: str
    name: str
    type: str  # ACCOUNT | ORGANIZATION | ACCOUNT_UNUSED_ACCESS | ORGANIZATION_UNUSED_ACCESS ...
    status: str  # ACTIVE | CREATING | DISABLED | FAILED

    @property
    def external_access(self) -> bool:
        return self.type in ("ACCOUNT", "ORGANIZATION")


def parse_analyzers(value: Any) -> tuple[Analyzer, ...]:
    return tuple(Analyzer(_s(a["arn"]), _s(a.get("name")), _s(a.get("type")),
                          _s(a.get("status")))
                 for a in _list(value, "analyzers"))


@dataclass(frozen=True)
class AnalyzerFinding:
    """One active external-access finding (FindingSummary): the resource, and the external
    principal it lets in (`principal`: AWS account/ARN, Federated, Service, or '*' when
    public), under `condition`."""

    id: str
    analyzer: str
    resource: str
    resource_type: str
    owner: str
    principal: tuple[tuple[str, str], ...]
    is_public: bool
    actions: tuple[str, ...]
    condition: tuple[tuple[str, str], ...]
    status: str

    def as_policy(self) -> PolicyDocument:
        """The finding's principal and condition as the policy statement they describe,
        so the one evaluator judges it like any policy."""
        principal = dict(self.principal)
        if self.is_public and not principal:
            principal = {"AWS": "*"}
        statement: dict[str, Any] = {
            "Effect": "Allow", "Action": list(self.actions) or "*",
            "Principal": "*" if principal == {"AWS": "*"} else principal}
        if self.condition:
            statement["Condition"] = {"StringLike": dict(self.condition)}
        return parse_policy({"Statement": [statement]})

    @property
    def excerpt(self) -> dict[str, Any]:
        return {"id": self.id, "resource": self.resource, "resourceType": self.resource_type,
                "principal": dict(self.principal), "isPublic": self.is_public,
                "condition": dict(self.condition), "action": list(self.actions)[:10]}


def parse_findings(analyzer: str) -> Any:
    def parse(value: Any) -> tuple[AnalyzerFinding, ...]:
        out = []
        for f in _list(value, "findings"):
            out.append(AnalyzerFinding(
                _s(f["id"]), analyzer, _s(f.get("resource")), _s(f["resourceType"]),
                _s(f.get("resourceOwnerAccount")),
                tuple(sorted((_s(k), _s(v)) for k, v in (f.get("principal") or {}).items())),
                bool(f.get("isPublic")), tuple(_s(a) for a in f.get("action") or ()),
                tuple(sorted((_s(k), _s(v)) for k, v in (f.get("condition") or {}).items())),
                _s(f.get("status"))))
        return tuple(x for x in out if x.status in ("ACTIVE", ""))
    return parse


# ---------------------------------------------------------------------------------------
# IAM Identity Center: permission sets, account assignments, users and groups


@dataclass(frozen=True)
class PermissionSet:
    arn: str
    name: str
    managed: tuple[str, ...]  # attached AWS managed policy names
    inline: PolicyDocument | None
    assignments: tuple[tuple[str, str, str], ...]  # (account, principal type, principal id)


@dataclass(frozen=True)
class IcUser:
    id: str
    name: str
    emails: tuple[str, ...]
    display: str


@dataclass(frozen=True)
class IcGroup:
    id: str
    name: str
    members: tuple[str, ...]  # user ids


@dataclass(frozen=True)
class IdentityCenter:
    """What the account's own Identity Center instance grants, read with sso-admin and
    identitystore; each part a value or the reason it could not be read."""

    instance: str
    identity_store: str
    permission_sets: Fetched[tuple[Fetched[PermissionSet], ...]]
    users: Fetched[tuple[IcUser, ...]] | None  # None: no assignment needed them
    groups: Fetched[tuple[Fetched[IcGroup], ...]] | None


def parse_ic_users(value: Any) -> tuple[IcUser, ...]:
    """identitystore:ListUsers (User objects)."""
    return tuple(IcUser(_s(u["UserId"]), _s(u.get("UserName")),
                        tuple(_s(e.get("Value")) for e in u.get("Emails") or () if e.get("Value")),
                        _s(u.get("DisplayName")))
                 for u in _list(value, "Users"))


# ---------------------------------------------------------------------------------------
# DNS and domains


@dataclass(frozen=True)
class HostedZone:
    id: str
    name: str  # lower case, no trailing dot
    private: bool


def parse_zones(value: Any) -> tuple[HostedZone, ...]:
    return tuple(HostedZone(_s(z["Id"]), _s(z["Name"]).rstrip(".").lower(),
                            bool((z.get("Config") or {}).get("PrivateZone")))
                 for z in _list(value, "HostedZones"))


@dataclass(frozen=True)
class DomainContact:
    role: str  # RegistrantContact | AdminContact | TechContact
    organization: str
    email: str


@dataclass(frozen=True)
class RegisteredDomain:
    name: str
    contacts: tuple[DomainContact, ...]


def parse_domain(name: str) -> Any:
    def parse(value: Any) -> RegisteredDomain:
        return RegisteredDomain(name, tuple(
            DomainContact(role, _s((value.get(role) or {}).get("OrganizationName")),
                          _s((value.get(role) or {}).get("Email")))
            for role in ("RegistrantContact", "AdminContact", "TechContact")))
    return parse


def domain_names(value: Any) -> tuple[str, ...]:
    return tuple(_s(d["DomainName"]) for d in _list(value, "Domains"))


# ---------------------------------------------------------------------------------------
# one region, and the whole account


@dataclass(frozen=True)
class RegionFacts:
    region: str
    kms_keys: Fetched[tuple[KmsKey, ...]]
    volumes: Fetched[tuple[Volume, ...]]
    instances: Fetched[tuple[Instance, ...]]
    images: Fetched[dict[str, Image]] | None  # None when no instance needed a look-up
    databases: Fetched[tuple[Database, ...]]
    network: tuple[Fetched[tuple[NetworkLink, ...]], ...]
    backup_plans: Fetched[tuple[Fetched[BackupPlan], ...]]
    backup_vaults: Fetched[tuple[BackupVault, ...]]
    trails: Fetched[tuple[Trail, ...]]
    sso_instances: Fetched[tuple[SsoInstance, ...]]
    analyzers: Fetched[tuple[Analyzer, ...]] | None = None
    # the active findings of each external-access analyzer of the region
    findings: tuple[Fetched[tuple[AnalyzerFinding, ...]], ...] = ()
    # own reads: None where an external-access analyzer whose zone of trust is the
    # account (or the client's Organization) covers the region
    # one listing each: own AMIs (always), EBS and RDS snapshots (own reads)
    shared: tuple[Fetched[tuple[Shared, ...]], ...] = ()
    # one listing per service: secrets, queues, topics, functions, repositories
    resource_policies: tuple[Fetched[tuple[ResourcePolicy, ...]], ...] = ()
    share_associations: Fetched[tuple[ShareAssociation, ...]] | None = None
    identity_center: tuple[IdentityCenter, ...] = ()
    covered_by: str = ""  # the analyzer whose findings stand in for own reads


@dataclass(frozen=True)
class AwsFacts:
    """Everything the aws checks read about one account."""

    account_id: str
    label: str
    partition: str
    caller_arn: str
    regions: tuple[str, ...]
    organization: Fetched[Organization | None]
    org_accounts: Fetched[tuple[OrgAccount, ...]] | None  # None: not a management account
    contact: Fetched[ContactInformation]
    alternate_contacts: tuple[Fetched[AlternateContact | None], ...]
    iam: Fetched[IamSnapshot]
    credentials: Mapping[str, Fetched[UserCredentials]]  # by user name
    saml_providers: Fetched[tuple[Detail[SamlProvider], ...]]
    oidc_providers: Fetched[tuple[Fetched[OidcProvider], ...]]
    buckets: Fetched[tuple[Bucket, ...]]
    hosted_zones: Fetched[tuple[HostedZone, ...]]
    domains: Fetched[tuple[Fetched[RegisteredDomain], ...]]
    regional: tuple[RegionFacts, ...]

    @property
    def asset(self) -> Any:
        from lockin_audit.model import Asset, aws_account_asset_id

        return Asset("aws_account", aws_account_asset_id(self.account_id), self.label)

    @property
    def bucket_names(self) -> frozenset[str]:
        return frozenset() if self.buckets.error else frozenset(
            b.name for b in self.buckets.ok)
