"""The Google read-only guard: an allow-list of API methods, each with its documented
HTTP verb and the narrowest OAuth scope that grants it.

Every request the gws and gcp sources send names its API method (e.g.
`cloudresourcemanager.projects.getIamPolicy`); `assert_google_read` refuses anything not
on the list, or sent with another verb, before a request is built. The engine's HTTP guard
(`lockin_audit.guards.http`) applies as well when the request is sent.
"""

from __future__ import annotations

from dataclasses import dataclass

from lockin_audit.guards import WriteRefused

SCOPE_URL = "https://www.googleapis.com/auth/"
# The narrowest documented scope of each API the checks read (see docs/google-permissions.md).
USERS = "admin.directory.user.readonly"
ROLES = "admin.directory.rolemanagement.readonly"
DOMAINS = "admin.directory.domain.readonly"
CUSTOMER = "admin.directory.customer.readonly"
TOKENS = "admin.directory.user.security"  # tokens.list documents no read-only scope
CLOUD_READ = "cloud-platform.read-only"
BILLING_READ = "cloud-billing.readonly"
CLOUD = "cloud-platform"  # Essential Contacts' discovery document lists only this scope

@dataclass(frozen=True)
class Method:
    verb: str  # the documented HTTP verb
    scope: str  # the narrowest scope that grants it
    role: str  # the least IAM role or admin privilege that allows it (for error messages)


# The only API methods lockin-audit sends. Each is documented as a read; getIamPolicy on
# Resource Manager is a POST that reads (cloud.google.com/resource-manager/reference/rest/
# v3/projects/getIamPolicy), Cloud Billing's is a GET.
READ_METHODS: dict[str, Method] = {
    "admin.users.list": Method("GET", USERS, "a Workspace admin who can read users"),
    "admin.roles.list": Method("GET", ROLES, "a Workspace admin who can read admin roles"),
    "admin.roleAssignments.list": Method("GET", ROLES,
                                         "a Workspace admin who can read admin roles"),
    "admin.domains.list": Method("GET", DOMAINS, "a Workspace admin who can read domains"),
    "admin.customers.get": Method("GET", CUSTOMER,
                                  "a Workspace admin who can read the account settings"),
    "admin.tokens.list": Method("GET", TOKENS,
                                "a Workspace admin who can read users' security settings"),
    "cloudresourcemanager.organizations.search": Method(
        "GET", CLOUD_READ, "Organization Viewer (roles/resourcemanager.organizationViewer)"),
    "cloudresourcemanager.organizations.getIamPolicy": Method(
        "POST", CLOUD_READ, "Security Reviewer (roles/iam.securityReviewer)"),
    "cloudresourcemanager.folders.get": Method(
        "GET", CLOUD_READ, "Folder Viewer (roles/resourcemanager.folderViewer)"),
    "cloudresourcemanager.projects.search": Method("GET", CLOUD_READ,
                                                   "Browser (roles/browser)"),
    "cloudresourcemanager.projects.get": Method("GET", CLOUD_READ, "Browser (roles/browser)"),
    "cloudresourcemanager.projects.getIamPolicy": Method(
        "POST", CLOUD_READ, "Security Reviewer (roles/iam.securityReviewer)"),
    "cloudbilling.projects.getBillingInfo": Method("GET", BILLING_READ,
                                                   "Browser (roles/browser) on the project"),
    "cloudbilling.billingAccounts.get": Method(
        "GET", BILLING_READ, "Billing Account Viewer (roles/billing.viewer)"),
    "cloudbilling.billingAccounts.getIamPolicy": Method(
        "GET", BILLING_READ, "Billing Account Viewer (roles/billing.viewer)"),
    # cloud.google.com/billing/docs/reference/rest/v1/billingAccounts/list and
    # …/billingAccounts.projects/list (billing.resourceAssociations.list)
    "cloudbilling.billingAccounts.list": Method(
        "GET", BILLING_READ, "Billing Account Viewer (roles/billing.viewer)"),
    "cloudbilling.billingAccounts.projects.list": Method(
        "GET", BILLING_READ, "Billing Account Viewer (roles/billing.viewer) on the account"),
    "essentialcontacts.organizations.contacts.list": Method(
        "GET", CLOUD, "Essential Contacts Viewer (roles/essentialcontacts.viewer)"),
    "essentialcontacts.projects.contacts.list": Method(
        "GET", CLOUD, "Essential Contacts Viewer (roles/essentialcontacts.viewer)"),
}
READ_VERBS = ("get", "list", "search", "getIamPolicy", "getBillingInfo")


def assert_google_read(verb: str, method: str) -> Method:
    """The method's definition, or WriteRefused for anything not a documented read."""
    spec = READ_METHODS.get(method)
    action = method.rpartition(".")[2]
    if spec is None or spec.verb != verb.upper() or not action.startswith(READ_VERBS):
        raise WriteRefused(f"refused {verb.upper()} {method}: lockin-audit only reads (the "
                           "Google API method is not on the read-only allow-list)")
    return spec


def scope_url(scope: str) -> str:
    return SCOPE_URL + scope


__all__ = ["READ_METHODS", "Method", "assert_google_read", "scope_url"]
