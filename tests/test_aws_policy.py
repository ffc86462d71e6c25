"""The one policy evaluator (lockin_audit.sources.aws_policy) over AWS's documented policy
examples, SAML metadata parsing, and the rule that checks read no raw API dictionary."""

from __future__ import annotations

import ast
import json
from pathlib import Path
from typing import Any

from lockin_audit.sources.aws_facts import parse_saml_metadata
from lockin_audit.sources.aws_policy import admin_grants, grantees, parse_policy, subject_org

OWN = "111122223333"


def kinds(doc: object) -> set[tuple[str, str]]:
    return {(g.kind, g.value) for g in grantees(parse_policy(doc), OWN)}


def test_cross_account_trust_with_external_id() -> None:
    # https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_create_for-user_externalid.html
    doc: dict[str, Any] = {"Version": "2012-10-17", "Statement": {
        "Effect": "Allow", "Principal": {"AWS": "Example Corp's AWS Account ID"},
        "Action": "sts:AssumeRole", "Condition": {"StringEquals": {
            "sts:ExternalId": "Unique ID Assigned by Example Corp"}}}}
    (g,) = grantees(parse_policy(doc), OWN)
    assert g.external_id and g.kind == "account"
    doc["Statement"]["Principal"] = {"AWS": "arn:aws:iam::444455556666:root"}
    (g,) = grantees(parse_policy(json.dumps(doc)), OWN)
    assert (g.kind, g.value, g.external_id) == ("account", "444455556666", True)


def test_own_account_and_services_are_not_foreign() -> None:
    # https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html
    doc = {"Statement": [
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{OWN}:root"},
         "Action": "sts:AssumeRole"},
        {"Effect": "Allow", "Principal": {"Service": ["ec2.amazonaws.com"]},
         "Action": "sts:AssumeRole"},
        {"Effect": "Deny", "Principal": {"AWS": "999988887777"}, "Action": "*"}]}
    assert kinds(doc) == set()


def test_wildcard_principal_narrowed_by_conditions() -> None:
    # aws:PrincipalOrgID example: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-principalorgid
    org = {"Statement": [{"Sid": "AllowPutObject", "Effect": "Allow", "Principal": "*",
                          "Action": "s3:PutObject", "Resource": "arn:aws:s3:::amzn-s3-demo-bucket/*",
                          "Condition": {"StringEquals": {"aws:PrincipalOrgID": ["o-xxxxxxxxxxx"]}}}]}
    assert kinds(org) == {("organization", "o-xxxxxxxxxxx")}
    # kms:CallerAccount example: https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-caller-account
    kms: dict[str, Any] = {"Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"},
                          "Action": ["kms:Encrypt", "kms:Decrypt"], "Resource": "*",
                          "Condition": {"StringEquals": {"kms:CallerAccount": "111122223333",
                                                         "kms:ViaService": "ec2.us-west-2.amazonaws.com"}}}]}
    assert kinds(kms) == set()  # narrowed to the account itself
    kms["Statement"][0]["Condition"]["StringEquals"]["kms:CallerAccount"] = "444455556666"
    assert kinds(kms) == {("account", "444455556666")}
    public = {"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
                             "Resource": "arn:aws:s3:::amzn-s3-demo-bucket/*"}]}
    assert kinds(public) == {("any", "*")}


def test_not_principal_allow_lets_everyone_else_in() -> None:
    # https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notprincipal.html
    doc = {"Statement": [{"Effect": "Allow", "NotPrincipal": {
        "AWS": "arn:aws:iam::444455556666:user/Bob"}, "Action": "s3:*", "Resource": "*"}]}
    assert ("any", "*") in kinds(doc)


def test_federated_principals() -> None:
    # GitHub: https://docs.github.com/en/actions/security-for-github-actions/security-hardening-your-deployments/configuring-openid-connect-in-amazon-web-services
    gh = "token.actions.githubusercontent.com"
    github: dict[str, Any] = {"Statement": [{"Effect": "Allow", "Action": "sts:AssumeRoleWithWebIdentity",
                             "Principal": {"Federated": f"arn:aws:iam::{OWN}:oidc-provider/{gh}"},
                             "Condition": {"StringEquals": {f"{gh}:aud": "sts.amazonaws.com"},
                                           "StringLike": {f"{gh}:sub": "repo:octo-org/octo-repo:*"}}}]}
    (g,) = grantees(parse_policy(github), OWN)
    assert (g.kind, g.value, g.subject) == ("oidc", "github:octo-org", "repo:octo-org/octo-repo:*")
    github["Statement"][0]["Condition"]["StringLike"][f"{gh}:sub"] = "repo:*"
    assert kinds(github) == {("any", "github:*")}
    del github["Statement"][0]["Condition"]["StringLike"]
    assert kinds(github) == {("any", "github (any subject)")}
    # GitLab: https://docs.gitlab.com/ee/ci/cloud_services/aws/
    gitlab = {"Statement": [{"Effect": "Allow", "Action": "sts:AssumeRoleWithWebIdentity",
                             "Principal": {"Federated": f"arn:aws:iam::{OWN}:oidc-provider/gitlab.com"},
                             "Condition": {"StringEquals": {
                                 "gitlab.com:sub": "project_path:mygroup/myproject:ref_type:branch:ref:main"}}}]}
    assert kinds(gitlab) == {("oidc", "gitlab:mygroup")}
    # Terraform Cloud: https://developer.hashicorp.com/terraform/cloud-docs/workspaces/dynamic-provider-credentials/aws-configuration
    tfc = {"Statement": [{"Effect": "Allow", "Action": "sts:AssumeRoleWithWebIdentity",
                          "Principal": {"Federated": f"arn:aws:iam::{OWN}:oidc-provider/app.terraform.io"},
                          "Condition": {"StringEquals": {"app.terraform.io:aud": "aws.workload.identity"},
                                        "StringLike": {"app.terraform.io:sub":
                                                       "organization:my-org:project:*:workspace:*:run_phase:*"}}}]}
    assert kinds(tfc) == {("oidc", "terraform_cloud:my-org")}
    # SAML: https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_create_for-idp_saml.html
    saml = {"Statement": [{"Effect": "Allow", "Action": "sts:AssumeRoleWithSAML",
                           "Principal": {"Federated": f"arn:aws:iam::{OWN}:saml-provider/ExampleOrgSSOProvider"},
                           "Condition": {"StringEquals": {"SAML:aud": "https://signin.aws.amazon.com/saml"}}}]}
    assert kinds(saml) == {("saml", f"arn:aws:iam::{OWN}:saml-provider/ExampleOrgSSOProvider")}
    cognito = {"Statement": [{"Effect": "Allow", "Action": "sts:AssumeRoleWithWebIdentity",
                              "Principal": {"Federated": "cognito-identity.amazonaws.com"}}]}
    assert kinds(cognito) == {("web_identity", "cognito-identity.amazonaws.com")}
    assert subject_org("github", "repo:Bobsit/*") == "bobsit"


def test_admin_equivalence() -> None:
    # AdministratorAccess: https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AdministratorAccess.html
    admin = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
    assert admin_grants(parse_policy(admin)) == ("*",)
    # IAMFullAccess: https://docs.aws.amazon.com/aws-managed-policy/latest/reference/IAMFullAccess.html
    iam_full = {"Statement": [{"Effect": "Allow", "Action": ["iam:*", "organizations:DescribeAccount"],
                               "Resource": "*"}]}
    assert "iam:*" in admin_grants(parse_policy(iam_full))
    passrole = {"Statement": [{"Effect": "Allow", "Action": ["ec2:RunInstances", "iam:PassRole"],
                               "Resource": "*"}]}
    assert admin_grants(parse_policy(passrole)) == ("iam:passrole",)
    assume = {"Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}]}
    assert admin_grants(parse_policy(assume)) == ("sts:assumerole",)
    scoped = {"Statement": [{"Effect": "Allow", "Action": "iam:PassRole",
                             "Resource": "arn:aws:iam::111122223333:role/ec2-app"}]}
    assert admin_grants(parse_policy(scoped)) == ()
    # ReadOnlyAccess-like: https://docs.aws.amazon.com/aws-managed-policy/latest/reference/ReadOnlyAccess.html
    read = {"Statement": [{"Effect": "Allow", "Action": ["s3:Get*", "s3:List*", "ec2:Describe*"],
                           "Resource": "*"}]}
    assert admin_grants(parse_policy(read)) == ()
    # PowerUserAccess: everything except IAM (NotAction)
    power = {"Statement": [{"Effect": "Allow", "NotAction": ["iam:*", "organizations:*", "account:*"],
                            "Resource": "*"}]}
    assert admin_grants(parse_policy(power))
    # IAM's query API returns documents URL-encoded (RFC 3986)
    assert admin_grants(parse_policy("%7B%22Statement%22%3A%5B%7B%22Effect%22%3A%22Allow%22%2C"
                                     "%22Action%22%3A%22%2A%22%2C%22Resource%22%3A%22%2A%22%7D%5D%7D"))


def test_unreadable_documents_say_so() -> None:
    assert parse_policy("{not json").problem
    assert parse_policy({"Statement": [{"Effect": "Allow", "Principal": 5}]}).problem
    assert parse_policy(None).problem


def test_saml_metadata_is_parsed_as_xml() -> None:
    # Okta's IdP metadata shape: https://developer.okta.com/docs/guides/saml-application-setup/
    okta = ('<?xml version="1.0" encoding="UTF-8"?><md:EntityDescriptor '
            'xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="http://www.okta.com/exk1fxphvsBsdkHz0h8"'
            '><md:IDPSSODescriptor WantAuthnRequestsSigned="false" protocolSupportEnumeration='
            '"urn:oasis:names:tc:SAML:2.0:protocol"><md:NameIDFormat>urn:oasis:names:tc:SAML:1.1:'
            'nameid-format:unspecified</md:NameIDFormat><md:SingleSignOnService Binding="urn:oasis:'
            'names:tc:SAML:2.0:bindings:HTTP-POST" Location="https://bobsit.okta.com/app/amazon_aws/'
            'exk1fxphvsBsdkHz0h8/sso/saml"/></md:IDPSSODescriptor></md:EntityDescriptor>')
    meta = parse_saml_metadata(okta)
    assert meta.entity_id == "http://www.okta.com/exk1fxphvsBsdkHz0h8"
    assert meta.sso_locations == ("https://bobsit.okta.com/app/amazon_aws/exk1fxphvsBsdkHz0h8/sso/saml",)
    bomb = '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><x>&a;</x>'
    assert parse_saml_metadata(bomb).problem
    assert parse_saml_metadata("not xml").problem


def test_checks_read_no_raw_api_dictionary() -> None:
    """checks/aws.py judges typed facts: no string-keyed subscripts, no dict `.get("...")`,
    no `.raw`, and no import of a raw-answer helper."""
    source = (Path(__file__).parent.parent / "checks" / "aws.py").read_text("utf-8")
    tree = ast.parse(source)
    bad = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant) and \
                isinstance(node.slice.value, str):
            bad.append(f"line {node.lineno}: [{node.slice.value!r}]")
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and \
                node.func.attr == "get" and node.args and isinstance(node.args[0], ast.Constant) \
                and isinstance(node.args[0].value, str):
            bad.append(f"line {node.lineno}: .get({node.args[0].value!r})")
        if isinstance(node, ast.Attribute) and node.attr == "raw":
            bad.append(f"line {node.lineno}: .raw")
    assert not bad, bad


def test_vendor_accounts_cite_the_community_list() -> None:
    import yaml

    from lockin_audit.sources.aws import vendor_accounts

    data = yaml.safe_load((Path(__file__).parent.parent / "lockin_audit" / "data" /
                           "aws_vendor_accounts.yaml").read_text("utf-8"))
    for entry in data["accounts"]:
        assert len(entry["account_id"]) == 12 and entry["listed_as"] and entry["source"]
    vendors = vendor_accounts()
    assert vendors["517716713836"] == "CrowdStrike" and vendors["956993596390"] == "Vanta"
    assert vendors["434813966438"] == "Lacework"


def test_negated_and_if_exists_conditions_do_not_narrow() -> None:
    # Condition operators: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html
    base = {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "*"}
    negated = {"Statement": [dict(base, Condition={
        "StringNotEquals": {"aws:PrincipalOrgID": "o-xxxxxxxxxxx"}})]}
    assert kinds(negated) == {("any", "*")}
    if_exists = {"Statement": [dict(base, Condition={
        "StringEqualsIfExists": {"aws:PrincipalAccount": "444455556666"}})]}
    assert kinds(if_exists) == {("any", "*")}
    for_any = {"Statement": [dict(base, Condition={
        "ForAnyValue:StringLike": {"aws:PrincipalOrgID": ["o-aaaaaaaaaa"]}})]}
    assert kinds(for_any) == {("organization", "o-aaaaaaaaaa")}
    gh = "token.actions.githubusercontent.com"
    not_like = {"Statement": [{"Effect": "Allow", "Action": "sts:AssumeRoleWithWebIdentity",
                               "Principal": {"Federated": f"arn:aws:iam::{OWN}:oidc-provider/{gh}"},
                               "Condition": {"StringNotLike": {f"{gh}:sub": "repo:evil/*"}}}]}
    assert kinds(not_like) == {("any", "github (any subject)")}
    star_star = {"Statement": [{"Effect": "Allow", "Action": "*:*", "Resource": "*"}]}
    assert admin_grants(parse_policy(star_star)) == ("*",)


def test_identity_orgs_match_exactly() -> None:
    import pytest

    from lockin_audit.config import ConfigError, config_from_mapping
    from lockin_audit.identity import Identity, IdKind
    from lockin_audit.model import Holder

    cfg = config_from_mapping({
        "client": {"name": "Acme", "identity_orgs": {"github": ["acme-dental"]}},
        "provider": {"name": "Bob's IT", "identity_orgs": {"github": ["BobsIT"],
                                                            "okta": ["bobsit.okta.com"]}},
    }, Path("audit.yaml"))
    ident = Identity.from_mappings(cfg.client.model_dump(),
                                   [p.model_dump() for p in cfg.provider])
    assert ident.attribute(IdKind.IDENTITY_ORG, "github:bobsit").holder is Holder.PROVIDER
    assert ident.attribute(IdKind.IDENTITY_ORG, "github:acme-dental").holder is Holder.CLIENT
    assert ident.attribute(IdKind.IDENTITY_ORG, "github:bobsit-labs").holder is Holder.UNKNOWN
    assert ident.attribute(IdKind.IDENTITY_ORG, "gitlab:bobsit").holder is Holder.UNKNOWN
    assert ident.attribute(IdKind.IDENTITY_ORG, "okta:BOBSIT.okta.com").holder is Holder.PROVIDER
    with pytest.raises(ConfigError, match="identity_orgs"):
        config_from_mapping({"client": {"name": "A"}, "provider": {
            "name": "B", "identity_orgs": {"github": ["bobsit/*"]}}}, Path("audit.yaml"))
    with pytest.raises(ConfigError):
        config_from_mapping({"client": {"name": "A"}, "provider": {
            "name": "B", "identity_orgs": {"githb": ["bobsit"]}}}, Path("audit.yaml"))


# ------------------------------------------------------------- AWS's evaluation logic
# https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html

PROVIDER_ACCOUNT = "444455556666"


def test_a_deny_that_removes_the_only_grant_leaves_nothing() -> None:
    doc = {"Statement": [
        {"Sid": "Provider", "Effect": "Allow",
         "Principal": {"AWS": f"arn:aws:iam::{PROVIDER_ACCOUNT}:root"},
         "Action": ["kms:Decrypt", "kms:Encrypt"], "Resource": "*"},
        {"Sid": "NotTheProvider", "Effect": "Deny",
         "Principal": {"AWS": PROVIDER_ACCOUNT}, "Action": "kms:*", "Resource": "*"}]}
    assert kinds(doc) == set()
    # a Deny of fewer actions than granted leaves the grant
    doc["Statement"][1]["Action"] = "kms:Decrypt"
    assert kinds(doc) == {("account", PROVIDER_ACCOUNT)}
    # a Deny on the request (TLS), not the caller, never removes a grantee, nor notes one
    tls = {"Statement": [doc["Statement"][0], {
        "Sid": "TLS", "Effect": "Deny", "Principal": "*", "Action": "*", "Resource": "*",
        "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]}
    (g,) = grantees(parse_policy(tls), OWN)
    assert g.value == PROVIDER_ACCOUNT and g.limited_by == ()


def test_deny_with_not_principal_spares_whom_it_names() -> None:
    # https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notprincipal.html
    allow = {"Sid": "A", "Effect": "Allow", "Principal": {"AWS": [
        f"arn:aws:iam::{PROVIDER_ACCOUNT}:root", "arn:aws:iam::777788889999:root"]},
        "Action": "s3:GetObject", "Resource": "arn:aws:s3:::bucket/*"}
    deny = {"Sid": "OnlyThem", "Effect": "Deny", "NotPrincipal": {
        "AWS": "arn:aws:iam::777788889999:root"}, "Action": "s3:*", "Resource": "*"}
    assert kinds({"Statement": [allow, deny]}) == {("account", "777788889999")}


def test_data_perimeter_narrows_anyone_to_the_organization() -> None:
    # The identity perimeter of AWS's data-perimeter examples:
    # https://github.com/aws-samples/data-perimeter-policy-examples (resource-based policies)
    allow = {"Sid": "Read", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
             "Resource": "arn:aws:s3:::bucket/*"}
    perimeter = {"Sid": "EnforceIdentityPerimeter", "Effect": "Deny", "Principal": "*",
                 "Action": "s3:*", "Resource": ["arn:aws:s3:::bucket", "arn:aws:s3:::bucket/*"],
                 "Condition": {"StringNotEqualsIfExists": {"aws:PrincipalOrgID": "o-clientorg01"},
                               "BoolIfExists": {"aws:PrincipalIsAWSService": "false"}}}
    assert kinds({"Statement": [allow, perimeter]}) == {("organization", "o-clientorg01")}
    # an account grant outside the perimeter, whose Organization the context knows
    from lockin_audit.sources.aws_policy import EvalContext

    provider = dict(allow, Principal={"AWS": PROVIDER_ACCOUNT})
    doc = parse_policy({"Statement": [provider, perimeter]})
    outside = EvalContext(lambda a: "o-provider01" if a == PROVIDER_ACCOUNT else None)
    assert grantees(doc, OWN, outside) == ()
    inside = EvalContext(lambda a: "o-clientorg01")
    assert [g.value for g in grantees(doc, OWN, inside)] == [PROVIDER_ACCOUNT]
    # not knowing the account's Organization keeps the grant and names the Deny
    (g,) = grantees(doc, OWN)
    assert g.limited_by == ("EnforceIdentityPerimeter",)


def test_principal_org_paths_and_configured_organizations() -> None:
    from lockin_audit.config import config_from_mapping
    from lockin_audit.identity import Identity, IdKind
    from lockin_audit.model import Holder

    doc = {"Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole",
                          "Condition": {"ForAnyValue:StringLike": {"aws:PrincipalOrgPaths": [
                              "o-bobsit0001/r-ab12/ou-ab12-11111111/*"]}}}]}
    (g,) = grantees(parse_policy(doc), OWN)
    assert (g.kind, g.value, g.subject) == ("organization", "o-bobsit0001",
                                            "o-bobsit0001/r-ab12/ou-ab12-11111111/")
    cfg = config_from_mapping({
        "client": {"name": "Acme", "aws_organization_ids": [
            "o-bobsit0001/r-ab12/ou-ab12-22222222"]},
        "provider": {"name": "Bob's IT", "aws_organization_ids": ["o-bobsit0001"]},
    }, Path("audit.yaml"))
    ident = Identity.from_mappings(cfg.client.model_dump(), [p.model_dump() for p in cfg.provider])
    org = IdKind.AWS_ORGANIZATION
    assert ident.attribute(org, "o-bobsit0001").holder is Holder.PROVIDER
    assert ident.attribute(org, g.subject).holder is Holder.PROVIDER
    # the client's own OU inside the provider's Organization is the client's (most specific)
    assert ident.attribute(org, "o-bobsit0001/r-ab12/ou-ab12-22222222/ou-ab12-33333333"
                           ).holder is Holder.CLIENT
    assert ident.attribute(org, "o-other00001").holder is Holder.UNKNOWN


def test_cloudfront_oac_of_another_account() -> None:
    # https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/private-content-restricting-access-to-s3.html
    doc: dict[str, Any] = {"Version": "2012-10-17", "Statement": {
        "Sid": "AllowCloudFrontServicePrincipalReadOnly", "Effect": "Allow",
        "Principal": {"Service": "cloudfront.amazonaws.com"}, "Action": "s3:GetObject",
        "Resource": "arn:aws:s3:::amzn-s3-demo-bucket/*",
        "Condition": {"StringEquals": {"AWS:SourceArn":
                      f"arn:aws:cloudfront::{PROVIDER_ACCOUNT}:distribution/EDFDVBD6EXAMPLE"}}}}
    (g,) = grantees(parse_policy(doc), OWN)
    assert (g.kind, g.value, g.service) == ("account", PROVIDER_ACCOUNT,
                                            "cloudfront.amazonaws.com")
    doc["Statement"]["Condition"]["StringEquals"]["AWS:SourceArn"] = (
        f"arn:aws:cloudfront::{OWN}:distribution/EDFDVBD6EXAMPLE")
    assert kinds(doc) == set()  # the account's own distribution


def test_bitbucket_circleci_buildkite_and_unknown_issuers() -> None:
    # Bitbucket: https://support.atlassian.com/bitbucket-cloud/docs/deploy-on-aws-using-bitbucket-pipelines-openid-connect/
    bb = "api.bitbucket.org/2.0/workspaces/bobsit/pipelines-config/identity/oidc"
    bitbucket = {"Statement": [{"Effect": "Allow", "Action": "sts:AssumeRoleWithWebIdentity",
                                "Principal": {"Federated": f"arn:aws:iam::{OWN}:oidc-provider/{bb}"},
                                "Condition": {"StringLike": {f"{bb}:sub": "{8a6c3d4e-1111-2222-3333-444455556666}:*"}}}]}
    assert kinds(bitbucket) == {("oidc", "bitbucket:bobsit")}
    # CircleCI: https://circleci.com/docs/openid-connect-tokens/
    org_id = "1c2d3e4f-aaaa-bbbb-cccc-111122223333"
    cc = f"oidc.circleci.com/org/{org_id}"
    circleci = {"Statement": [{"Effect": "Allow", "Action": "sts:AssumeRoleWithWebIdentity",
                               "Principal": {"Federated": f"arn:aws:iam::{OWN}:oidc-provider/{cc}"},
                               "Condition": {"StringLike": {f"{cc}:sub": f"org/{org_id}/project/*/user/*"}}}]}
    assert kinds(circleci) == {("oidc", f"circleci:{org_id}")}
    # Buildkite: https://buildkite.com/docs/pipelines/security/oidc/aws
    bk = "agent.buildkite.com"
    buildkite: dict[str, Any] = {"Statement": [{"Effect": "Allow", "Action": "sts:AssumeRoleWithWebIdentity",
                                "Principal": {"Federated": f"arn:aws:iam::{OWN}:oidc-provider/{bk}"},
                                "Condition": {"StringEquals": {f"{bk}:aud": "sts.amazonaws.com"},
                                              "StringLike": {f"{bk}:sub": "organization:bobsit:pipeline:deploy:*"}}}]}
    assert kinds(buildkite) == {("oidc", "buildkite:bobsit")}
    del buildkite["Statement"][0]["Condition"]["StringLike"]
    assert kinds(buildkite) == {("any", "buildkite (any subject)")}  # a shared issuer
    # GitHub Enterprise Cloud's per-enterprise issuer names the enterprise
    ghe = "token.actions.githubusercontent.com/bobsit-enterprise"
    assert kinds({"Statement": [{"Effect": "Allow", "Action": "sts:AssumeRoleWithWebIdentity",
                                 "Principal": {"Federated": f"arn:aws:iam::{OWN}:oidc-provider/{ghe}"}}]}
                 ) == {("oidc", "github_enterprise:bobsit-enterprise")}
    # an issuer the table does not know is named, never "anyone"
    own = {"Statement": [{"Effect": "Allow", "Action": "sts:AssumeRoleWithWebIdentity",
                          "Principal": {"Federated": f"arn:aws:iam::{OWN}:oidc-provider/ci.example.net/oidc"}}]}
    assert kinds(own) == {("oidc", "issuer:ci.example.net/oidc")}


def test_boundary_caps_an_administrator() -> None:
    from lockin_audit.sources.aws_policy import effective_admin

    admin = parse_policy({"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]})
    # the boundary example of https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_boundaries.html
    boundary = parse_policy({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Action": ["s3:*", "cloudwatch:*", "ec2:*"], "Resource": "*"}]})
    assert effective_admin([admin])
    verdict = effective_admin([admin], boundary, "S3CloudWatchEC2")
    assert not verdict and verdict.capped_by == "permissions boundary S3CloudWatchEC2"
    # a boundary that allows everything caps nothing
    assert effective_admin([admin], admin, "AdministratorAccess")
    # an unconditional Deny of everything in the role's own policies
    deny = parse_policy({"Statement": [{"Effect": "Deny", "Action": "*", "Resource": "*"}]})
    assert not effective_admin([admin, deny])


def test_known_accounts_list_is_imported_whole(tmp_path: Path) -> None:
    """data/aws_known_accounts.yaml is the community list, whole, with its source and date;
    the refresh script rebuilds it from the list's own accounts.yaml format."""
    import subprocess
    import sys

    import yaml

    from lockin_audit.sources.aws import vendor_accounts

    root = Path(__file__).parent.parent
    data = yaml.safe_load((root / "lockin_audit" / "data" / "aws_known_accounts.yaml"
                           ).read_text("utf-8"))
    assert data["source"] == "https://github.com/fwdcloudsec/known_aws_accounts"
    assert len(data["commit"]) == 40 and data["date"]
    assert len(data["vendors"]) >= 200
    vendors = vendor_accounts()
    every = {a for v in data["vendors"] for a in v["accounts"]}
    assert every <= set(vendors)
    assert vendors["127311923021"].startswith("Amazon Web Services")  # type: aws
    # the refresh script on a two-entry list in the community list's own format
    sample = tmp_path / "accounts.yaml"
    sample.write_text("- name: 'Datadog'\n  source: ['https://docs.datadoghq.com/x']\n"
                      "  accounts: ['464622532012', '865078226113']\n"
                      "- name: 'ELB logs'\n  type: 'aws'\n  source: ['https://docs.aws.amazon.com/x']\n"
                      "  accounts: ['127311923021']\n", encoding="utf-8")
    out = tmp_path / "out.yaml"
    subprocess.run([sys.executable, str(root / "scripts" / "refresh_known_aws_accounts.py"),
                    "--from", str(sample), "--commit", "a" * 40, "--date", "2026-01-01",
                    "-o", str(out)], check=True, capture_output=True)
    got = yaml.safe_load(out.read_text("utf-8"))
    assert got["commit"] == "a" * 40 and got["date"] == "2026-01-01"
    assert got["vendors"][1] == {"name": "ELB logs", "accounts": ["127311923021"],
                                 "source": ["https://docs.aws.amazon.com/x"], "aws": True}
