"""The AWS read-only guard.

A botocore event hook, registered on every session and client the AWS source creates,
that refuses any API operation not on an exact allow-list (service, operation) *before*
the request is built or signed, so a bug in a check (or a plugin) can never change a client's account.
"""

from __future__ import annotations

from typing import Any

from lockin_audit.guards import WriteRefused

# The exact API operations the AWS source calls, by botocore service name (what
# `boto3.client(...)` takes) and operation name. Nothing else is sent: a new read must be
# added here (tests/test_hostile.py fails when the source calls an operation not listed).
# No prefix rule: "Get..." also names GetSecretValue, GetFederationToken and
# GetClusterCredentials, which hand out secrets or credentials. (secretsmanager
# GetResourcePolicy returns the secret's resource policy, never its value.)
READ_OPERATIONS: frozenset[tuple[str, str]] = frozenset({
    ("accessanalyzer", "ListAnalyzers"),
    ("accessanalyzer", "ListFindings"),
    ("account", "GetAlternateContact"),
    ("account", "GetContactInformation"),
    ("backup", "GetBackupPlan"),
    ("backup", "GetBackupVaultAccessPolicy"),
    ("backup", "ListBackupPlans"),
    ("backup", "ListBackupVaults"),
    ("cloudtrail", "DescribeTrails"),
    ("directconnect", "DescribeVirtualInterfaces"),
    ("ec2", "DescribeImageAttribute"),
    ("ec2", "DescribeImages"),
    ("ec2", "DescribeInstances"),
    ("ec2", "DescribeRegions"),
    ("ec2", "DescribeSnapshotAttribute"),
    ("ec2", "DescribeSnapshots"),
    ("ec2", "DescribeSubnets"),
    ("ec2", "DescribeTransitGatewayAttachments"),
    ("ec2", "DescribeVolumes"),
    ("ec2", "DescribeVpcPeeringConnections"),
    ("ecr", "DescribeRepositories"),
    ("ecr", "GetRepositoryPolicy"),
    ("iam", "GetAccessKeyLastUsed"),
    ("iam", "GetAccountAuthorizationDetails"),
    ("iam", "GetLoginProfile"),
    ("iam", "GetOpenIDConnectProvider"),
    ("iam", "GetSAMLProvider"),
    ("iam", "ListAccessKeys"),
    ("iam", "ListMFADevices"),
    ("iam", "ListOpenIDConnectProviders"),
    ("iam", "ListSAMLProviders"),
    ("iam", "ListUsers"),
    ("identitystore", "ListGroupMemberships"),
    ("identitystore", "ListGroups"),
    ("identitystore", "ListUsers"),
    ("kms", "DescribeKey"),
    ("kms", "GetKeyPolicy"),
    ("kms", "ListGrants"),
    ("kms", "ListKeys"),
    ("lambda", "GetPolicy"),
    ("lambda", "ListFunctions"),
    ("organizations", "DescribeOrganization"),
    ("organizations", "ListAccounts"),
    ("ram", "GetResourceShareAssociations"),
    ("ram", "GetResourceShares"),
    ("rds", "DescribeDBInstances"),
    ("rds", "DescribeDBSnapshotAttributes"),
    ("rds", "DescribeDBSnapshots"),
    ("route53", "ListHostedZones"),
    ("route53domains", "GetDomainDetail"),
    ("route53domains", "ListDomains"),
    ("s3", "GetBucketEncryption"),
    ("s3", "GetBucketPolicy"),
    ("s3", "GetBucketReplication"),
    ("s3", "ListBuckets"),
    ("secretsmanager", "GetResourcePolicy"),
    ("secretsmanager", "ListSecrets"),
    ("sns", "GetTopicAttributes"),
    ("sns", "ListTopics"),
    ("sqs", "GetQueueAttributes"),
    ("sqs", "ListQueues"),
    ("sso-admin", "DescribePermissionSet"),
    ("sso-admin", "GetInlinePolicyForPermissionSet"),
    ("sso-admin", "ListAccountAssignments"),
    ("sso-admin", "ListAccountsForProvisionedPermissionSet"),
    ("sso-admin", "ListInstances"),
    ("sso-admin", "ListManagedPoliciesInPermissionSet"),
    ("sso-admin", "ListPermissionSets"),
    ("sts", "GetCallerIdentity"),
})
# Operations of botocore's own credential chain (a profile's role_arn, web identity in
# CI, IAM Identity Center): they obtain or refresh the caller's temporary credentials and
# change nothing in any account. AssumeRole is also how role_arns are entered.
CREDENTIAL_OPERATIONS: frozenset[tuple[str, str]] = frozenset({
    ("sts", "AssumeRole"),
    ("sts", "AssumeRoleWithWebIdentity"),
    ("sso", "GetRoleCredentials"),
    ("sso-oidc", "CreateToken"),
})
ALLOWED_OPERATIONS: frozenset[tuple[str, str]] = READ_OPERATIONS | CREDENTIAL_OPERATIONS
# The events the hook listens on: the earliest point (parameter build) and the last point
# before the request is sent (before-call), so that neither path slips past.
GUARD_EVENTS: tuple[str, ...] = ("before-parameter-build", "before-call")


def is_read_only(service: str, operation: str) -> bool:
    """True only for an operation on the exact allow-list (`service` is botocore's
    service name, e.g. `sso-admin`, not the IAM prefix)."""
    return (service, operation) in ALLOWED_OPERATIONS


def _refuse(model: Any = None, **_: Any) -> None:
    if model is None:  # not an operation event
        return
    service = model.service_model.service_name
    if not is_read_only(service, model.name):
        raise WriteRefused(f"refused AWS {service}:{model.name}: lockin-audit only sends "
                           "the operations on its allow-list (lockin_audit/guards/aws.py)")


def guard_events(events: Any) -> None:
    """Register the guard on a botocore event emitter (a session's or a client's)."""
    for event in GUARD_EVENTS:
        events.register(event, _refuse, unique_id=f"lockin-audit-read-only-{event}")


def guard_client(client: Any) -> Any:
    """Register the guard on one client and return it."""
    guard_events(client.meta.events)
    return client


def guard_session(session: Any) -> Any:
    """Register the guard on a boto3 Session, so every client it creates is guarded."""
    guard_events(session.events)
    return session
