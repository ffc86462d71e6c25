"""A local Google for the demo and the tests: OAuth token endpoint, Admin SDK Directory
API, Cloud Resource Manager v3, Cloud Billing v1 and Essential Contacts v1.

One HTTPS server (a throwaway CA from `trustme`) that the real google-auth service-account
flow talks to: the token endpoint takes the JWT bearer grant (RFC 7523) that google-auth
signs with the throwaway key `ServiceAccountKey` generates, checks its RS256 signature,
audience and issuer, and grants a subject only the scopes listed in `delegated_scopes`
(the Admin console's domain-wide delegation), answering `unauthorized_client` otherwise as
Google does. API answers follow the reference pages cited at each route: list answers
page with `nextPageToken` (small pages, so paging is always exercised), optional fields
are omitted when empty, errors carry Google's error body (`error.code/message/status`
and an ErrorInfo detail), and a token without the method's scope gets
ACCESS_TOKEN_SCOPE_INSUFFICIENT.

`server.http` is the LocalHttpServer underneath, where the tests plug their hooks
(lockin_audit.demo.local_http).
"""

from __future__ import annotations

import base64
import json
import re
import secrets
import ssl
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from lockin_audit.demo.local_http import LocalHttpServer

Reply = tuple[int, dict[str, str], bytes]
JSON = {"Content-Type": "application/json; charset=UTF-8"}
PAGE = 2  # items per page, whatever maxResults asks (Google may return fewer than asked)
AUTH = "https://www.googleapis.com/auth/"
GOOGLE_TOKEN_AUDIENCE = "https://oauth2.googleapis.com/token"
# The scopes each API's reference page accepts (its "Authorization scopes" section).
DIRECTORY_USER = (AUTH + "admin.directory.user", AUTH + "admin.directory.user.readonly",
                  AUTH + "cloud-platform")
DIRECTORY_ROLES = (AUTH + "admin.directory.rolemanagement",
                   AUTH + "admin.directory.rolemanagement.readonly")
DIRECTORY_DOMAINS = (AUTH + "admin.directory.domain", AUTH + "admin.directory.domain.readonly")
DIRECTORY_CUSTOMER = (AUTH + "admin.directory.customer",
                      AUTH + "admin.directory.customer.readonly")
DIRECTORY_TOKENS = (AUTH + "admin.directory.user.security",)
CRM = (AUTH + "cloud-platform", AUTH + "cloud-platform.read-only")
BILLING = (AUTH + "cloud-billing", AUTH + "cloud-billing.readonly", AUTH + "cloud-platform")
CONTACTS = (AUTH + "cloud-platform",)


@dataclass
class GoogleData:
    """Raw resources as the APIs return them (documented field names)."""

    customer: dict[str, Any]
    users: list[dict[str, Any]]
    roles: list[dict[str, Any]]
    role_assignments: list[dict[str, Any]]
    domains: list[dict[str, Any]]
    tokens: dict[str, list[dict[str, Any]]]  # primaryEmail -> tokens
    organizations: list[dict[str, Any]]
    folders: list[dict[str, Any]]
    projects: list[dict[str, Any]]
    iam: dict[str, dict[str, Any]]  # organizations/N, projects/ID, billingAccounts/X
    billing_info: dict[str, dict[str, Any]]  # project id -> ProjectBillingInfo
    billing_accounts: dict[str, dict[str, Any]]  # account id -> BillingAccount
    contacts: dict[str, list[dict[str, Any]]]  # organizations/N or projects/ID -> contacts
    denied: set[str] = field(default_factory=set)  # resources the identity may not read
    # billingAccounts.list: the account ids the identity may view (billing.accounts.list
    # lists only those); billingAccounts.projects.list answers from billing_info
    visible_billing_accounts: list[str] = field(default_factory=list)


class ServiceAccountKey:
    """A throwaway service account key (the JSON file Google issues), pointed at a local
    token endpoint."""

    def __init__(self, token_uri: str, email: str = "lockin-audit@acme-audit.iam."
                 "gserviceaccount.com", client_id: str = "104857362910473829100") -> None:
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import rsa

        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.public_key = key.public_key()
        self.email = email
        self.client_id = client_id
        self.info = {
            "type": "service_account", "project_id": "acme-audit",
            "private_key_id": secrets.token_hex(20),
            "private_key": key.private_bytes(serialization.Encoding.PEM,
                                             serialization.PrivateFormat.PKCS8,
                                             serialization.NoEncryption()).decode(),
            "client_email": email, "client_id": client_id,
            "auth_uri": "https://accounts.google.com/o/oauth2/auth", "token_uri": token_uri,
        }

    def write(self, path: Path) -> Path:
        path.write_text(json.dumps(self.info), encoding="utf-8")
        path.chmod(0o600)
        return path


def _b64(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def google_error(code: int, status: str, message: str, *,
                 detail: Mapping[str, Any] | None = None,
                 headers: Mapping[str, str] | None = None) -> Reply:
    """Google's error body (cloud.google.com/apis/design/errors#http_mapping)."""
    err: dict[str, Any] = {"code": code, "message": message, "status": status}
    if detail is not None:
        err["details"] = [{"@type": "type.googleapis.com/google.rpc.ErrorInfo", **detail}]
    return code, {**JSON, **(headers or {})}, json.dumps({"error": err}).encode()


def _page(items: list[dict[str, Any]], key: str, query: Mapping[str, list[str]],
          extra: Mapping[str, Any] | None = None) -> Reply:
    start = int((query.get("pageToken") or ["0"])[0] or 0)
    size = min(PAGE, int((query.get("maxResults") or query.get("pageSize") or ["100"])[0]))
    chunk = items[start:start + size]
    body: dict[str, Any] = dict(extra or {})
    if chunk:  # Google omits an empty repeated field
        body[key] = chunk
    if start + size < len(items):
        body["nextPageToken"] = str(start + size)
    return 200, dict(JSON), json.dumps(body).encode()


def _ok(body: Mapping[str, Any]) -> Reply:
    return 200, dict(JSON), json.dumps(body).encode()


class GoogleCloud:
    def __init__(self, data: GoogleData, *, workdir: Path,
                 delegated_scopes: frozenset[str] | None = None) -> None:
        import trustme

        self.data = data
        self.keys: dict[str, Any] = {}  # client_email -> public key
        self.delegated_scopes = delegated_scopes  # None: every scope is delegated
        self.token_lifetime = 3599  # seconds, as Google's expires_in
        self._tokens: dict[str, tuple[frozenset[str], str | None]] = {}
        self._lock = threading.Lock()
        ca = trustme.CA()
        cert = ca.issue_cert("127.0.0.1", "localhost")
        workdir.mkdir(parents=True, exist_ok=True)
        self.ca_path = str(workdir / "local-google-ca.pem")
        ca.cert_pem.write_to_path(self.ca_path)
        tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        cert.configure_cert(tls)
        self.http = LocalHttpServer(self.answer, tls=tls)
        self.url = self.http.url
        self.token_uri = self.url + "/token"

    def new_key(self) -> ServiceAccountKey:
        key = ServiceAccountKey(self.token_uri)
        self.keys[key.email] = key.public_key
        return key

    def stop(self) -> None:
        self.http.stop()

    # -- the OAuth token endpoint (RFC 7523 JWT bearer grant, as Google's) ---------------
    def _token(self, body: bytes) -> Reply:
        from cryptography.exceptions import InvalidSignature
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import padding

        def refuse(code: str, text: str, status: int = 400) -> Reply:
            return status, dict(JSON), json.dumps({"error": code,
                                                   "error_description": text}).encode()

        form = parse_qs(body.decode())
        if form.get("grant_type") != ["urn:ietf:params:oauth:grant-type:jwt-bearer"]:
            return refuse("unsupported_grant_type", "Invalid grant_type")
        try:
            header_b64, payload_b64, sig_b64 = form["assertion"][0].split(".")
            header, claims = json.loads(_b64(header_b64)), json.loads(_b64(payload_b64))
        except (KeyError, ValueError):
            return refuse("invalid_grant", "Invalid JWT: malformed")
        key = self.keys.get(str(claims.get("iss")))
        if header.get("alg") != "RS256" or key is None:
            return refuse("invalid_grant", "Invalid JWT Signature.")
        try:
            key.verify(_b64(sig_b64), f"{header_b64}.{payload_b64}".encode(),
                       padding.PKCS1v15(), hashes.SHA256())
        except InvalidSignature:
            return refuse("invalid_grant", "Invalid JWT Signature.")
        # Google's endpoint takes its own URI as the audience (google-auth always sends it,
        # whatever token_uri the key names).
        if claims.get("aud") not in (GOOGLE_TOKEN_AUDIENCE, self.token_uri) or \
                float(claims.get("exp", 0)) < time.time():
            return refuse("invalid_grant", "Invalid JWT: Token must be a short-lived token "
                          "and in a reasonable timeframe.")
        scopes = frozenset(str(claims.get("scope") or "").split())
        subject = claims.get("sub")
        if subject and self.delegated_scopes is not None and \
                not scopes <= self.delegated_scopes:
            return refuse("unauthorized_client", "Client is unauthorized to retrieve access "
                          "tokens using this method, or client not authorized for any of "
                          "the scopes requested.", 401)
        token = "ya29.local-" + secrets.token_urlsafe(24)
        with self._lock:
            self._tokens[token] = (scopes, subject)
        return _ok({"access_token": token, "expires_in": self.token_lifetime,
                    "token_type": "Bearer"})

    # -- dispatch ------------------------------------------------------------------------
    def answer(self, method: str, raw_path: str, headers: dict[str, str], body: bytes) -> Reply:
        url = urlsplit(raw_path)
        query = parse_qs(url.query)
        path = unquote(url.path)
        if path == "/token" and method == "POST":
            return self._token(body)
        auth = headers.get("Authorization") or headers.get("authorization") or ""
        granted = self._tokens.get(auth.removeprefix("Bearer "))
        if granted is None:
            return google_error(401, "UNAUTHENTICATED", "Request had invalid authentication "
                                "credentials. Expected OAuth 2 access token.")
        for pattern, verb, name, scopes, handler in ROUTES:
            m = re.fullmatch(pattern, path)
            if m is None or verb != method:
                continue
            if not granted[0] & set(scopes):
                return google_error(403, "PERMISSION_DENIED",
                                    "Request had insufficient authentication scopes.",
                                    detail={"reason": "ACCESS_TOKEN_SCOPE_INSUFFICIENT",
                                            "domain": "googleapis.com",
                                            "metadata": {"method": name}})
            return handler(self, m.groupdict(), query)
        if method not in ("GET", "HEAD"):
            # A write that reached the server: tests assert this never happens.
            return _ok({"done": True})
        return google_error(404, "NOT_FOUND", f"Method not found: {path}")

    # -- Directory API (developers.google.com/workspace/admin/directory/reference/rest/v1)
    def _customer_ok(self, key: str) -> bool:
        return key in ("my_customer", self.data.customer["id"])

    def users_list(self, _: dict[str, str], query: Mapping[str, list[str]]) -> Reply:
        # users.list: customer or domain is required.
        if not (query.get("customer") or query.get("domain")):
            return google_error(400, "INVALID_ARGUMENT", "Bad Request")
        if query.get("customer") and not self._customer_ok(query["customer"][0]):
            return google_error(404, "NOT_FOUND", "Resource Not Found: customer")
        return _page(self.data.users, "users", query,
                     {"kind": "admin#directory#users", "etag": '"e-users"'})

    def roles_list(self, params: dict[str, str], query: Mapping[str, list[str]]) -> Reply:
        if not self._customer_ok(params["customer"]):
            return google_error(404, "NOT_FOUND", "Resource Not Found: customer")
        return _page(self.data.roles, "items", query,
                     {"kind": "admin#directory#roles", "etag": '"e-roles"'})

    def role_assignments_list(self, params: dict[str, str],
                              query: Mapping[str, list[str]]) -> Reply:
        if not self._customer_ok(params["customer"]):
            return google_error(404, "NOT_FOUND", "Resource Not Found: customer")
        return _page(self.data.role_assignments, "items", query,
                     {"kind": "admin#directory#roleAssignments", "etag": '"e-ra"'})

    def domains_list(self, params: dict[str, str], _: Mapping[str, list[str]]) -> Reply:
        # domains.list has no paging parameters.
        if not self._customer_ok(params["customer"]):
            return google_error(404, "NOT_FOUND", "Resource Not Found: customer")
        return _ok({"kind": "admin#directory#domains2", "etag": '"e-domains"',
                    "domains": self.data.domains})

    def customers_get(self, params: dict[str, str], _: Mapping[str, list[str]]) -> Reply:
        if not self._customer_ok(params["customer"]):
            return google_error(404, "NOT_FOUND", "Resource Not Found: customer")
        return _ok(self.data.customer)

    def tokens_list(self, params: dict[str, str], _: Mapping[str, list[str]]) -> Reply:
        user = params["user"].lower()
        if not any(u["primaryEmail"] == user or u["id"] == user for u in self.data.users):
            return google_error(404, "NOT_FOUND", "Resource Not Found: userKey")
        body: dict[str, Any] = {"kind": "admin#directory#tokenList", "etag": '"e-tokens"'}
        if self.data.tokens.get(user):
            body["items"] = self.data.tokens[user]
        return _ok(body)

    # -- Resource Manager v3 (cloud.google.com/resource-manager/reference/rest/v3) --------
    def _denied(self, resource: str, permission: str) -> Reply | None:
        if resource in self.data.denied:
            return google_error(403, "PERMISSION_DENIED", "The caller does not have "
                                "permission", detail={
                                    "reason": "IAM_PERMISSION_DENIED",
                                    "domain": "cloudresourcemanager.googleapis.com",
                                    "metadata": {"permission": permission,
                                                 "resource": resource}})
        return None

    def organizations_search(self, _: dict[str, str], query: Mapping[str, list[str]]) -> Reply:
        return _page([o for o in self.data.organizations if o["name"] not in self.data.denied],
                     "organizations", query)

    def projects_search(self, _: dict[str, str], query: Mapping[str, list[str]]) -> Reply:
        visible = [p for p in self.data.projects if f"projects/{p['projectId']}"
                   not in self.data.denied]
        return _page(visible, "projects", query)

    def _project(self, key: str) -> dict[str, Any] | None:
        return next((p for p in self.data.projects
                     if key in (p["projectId"], p["name"].removeprefix("projects/"))), None)

    def projects_get(self, params: dict[str, str], _: Mapping[str, list[str]]) -> Reply:
        project = self._project(params["project"])
        if project is None:
            # Resource Manager answers 403 for a project that does not exist or is hidden.
            return google_error(403, "PERMISSION_DENIED", "The caller does not have "
                                "permission", detail={"reason": "IAM_PERMISSION_DENIED",
                                                      "domain": "cloudresourcemanager."
                                                                "googleapis.com",
                                                      "metadata": {"permission": "resource"
                                                                   "manager.projects.get"}})
        return self._denied(f"projects/{project['projectId']}",
                            "resourcemanager.projects.get") or _ok(project)

    def folders_get(self, params: dict[str, str], _: Mapping[str, list[str]]) -> Reply:
        folder = next((f for f in self.data.folders
                       if f["name"] == f"folders/{params['folder']}"), None)
        if folder is None:
            return google_error(403, "PERMISSION_DENIED", "The caller does not have "
                                "permission")
        return _ok(folder)

    def _policy(self, resource: str, permission: str) -> Reply:
        denied = self._denied(resource, permission)
        if denied is not None:
            return denied
        policy = self.data.iam.get(resource)
        if policy is None:
            return google_error(403, "PERMISSION_DENIED", "The caller does not have "
                                "permission")
        return _ok(policy)

    def organization_policy(self, params: dict[str, str], _: Any) -> Reply:
        return self._policy(f"organizations/{params['org']}",
                            "resourcemanager.organizations.getIamPolicy")

    def project_policy(self, params: dict[str, str], _: Any) -> Reply:
        project = self._project(params["project"])
        key = f"projects/{project['projectId']}" if project else f"projects/{params['project']}"
        return self._policy(key, "resourcemanager.projects.getIamPolicy")

    # -- Cloud Billing v1 (cloud.google.com/billing/docs/reference/rest/v1) ---------------
    def billing_info(self, params: dict[str, str], _: Any) -> Reply:
        pid = params["project"]
        info = self.data.billing_info.get(pid)
        if info is None:
            return google_error(403, "PERMISSION_DENIED", "The caller does not have "
                                "permission", detail={"reason": "IAM_PERMISSION_DENIED",
                                                      "domain": "cloudbilling.googleapis.com",
                                                      "metadata": {"permission": "resource"
                                                                   "manager.projects.get"}})
        return _ok(info)

    def billing_account(self, params: dict[str, str], _: Any) -> Reply:
        account = self.data.billing_accounts.get(params["account"])
        key = f"billingAccounts/{params['account']}"
        if account is None or key in self.data.denied:
            return google_error(403, "PERMISSION_DENIED", "The caller does not have "
                                "permission", detail={"reason": "IAM_PERMISSION_DENIED",
                                                      "domain": "cloudbilling.googleapis.com",
                                                      "metadata": {"permission": "billing."
                                                                   "accounts.get"}})
        return _ok(account)

    def billing_accounts_list(self, _: dict[str, str], query: Mapping[str, list[str]]) -> Reply:
        # billingAccounts.list (…/rest/v1/billingAccounts/list): the accounts the caller
        # has permission to view, paged with pageSize/pageToken; an empty result omits
        # billingAccounts.
        rows = [self.data.billing_accounts[a] for a in self.data.visible_billing_accounts
                if a in self.data.billing_accounts]
        return _page(rows, "billingAccounts", query)

    def billing_account_projects(self, params: dict[str, str],
                                 query: Mapping[str, list[str]]) -> Reply:
        # billingAccounts.projects.list (…/rest/v1/billingAccounts.projects/list): the
        # ProjectBillingInfo of every project linked to the account, paged; needs
        # billing.resourceAssociations.list on the account.
        account = params["account"]
        if account not in self.data.visible_billing_accounts or \
                f"billingAccounts/{account}" in self.data.denied:
            return google_error(403, "PERMISSION_DENIED", "The caller does not have "
                                "permission", detail={"reason": "IAM_PERMISSION_DENIED",
                                                      "domain": "cloudbilling.googleapis.com",
                                                      "metadata": {"permission": "billing."
                                                                   "resourceAssociations."
                                                                   "list"}})
        rows = [info for _, info in sorted(self.data.billing_info.items())
                if info.get("billingAccountName") == f"billingAccounts/{account}"]
        return _page(rows, "projectBillingInfo", query)

    def billing_policy(self, params: dict[str, str], _: Any) -> Reply:
        return self._policy(f"billingAccounts/{params['account']}",
                            "billing.accounts.getIamPolicy")

    # -- Essential Contacts v1 (cloud.google.com/resource-manager/docs/reference/
    # essentialcontacts/rest/v1/projects.contacts/list) -------------------------------------
    def contacts_list(self, params: dict[str, str], query: Mapping[str, list[str]]) -> Reply:
        parent = f"{params['kind']}/{params['id']}"
        denied = self._denied(parent, "essentialcontacts.contacts.list")
        if denied is not None:
            return denied
        return _page(self.data.contacts.get(parent, []), "contacts", query)


Handler = Callable[[GoogleCloud, dict[str, str], Mapping[str, list[str]]], Reply]
_D = "/admin/directory/v1"
ROUTES: tuple[tuple[str, str, str, tuple[str, ...], Handler], ...] = (
    (_D + r"/users", "GET", "admin.users.list", DIRECTORY_USER, GoogleCloud.users_list),
    (_D + r"/customer/(?P<customer>[^/]+)/roles", "GET", "admin.roles.list", DIRECTORY_ROLES,
     GoogleCloud.roles_list),
    (_D + r"/customer/(?P<customer>[^/]+)/roleassignments", "GET",
     "admin.roleAssignments.list", DIRECTORY_ROLES, GoogleCloud.role_assignments_list),
    (_D + r"/customer/(?P<customer>[^/]+)/domains", "GET", "admin.domains.list",
     DIRECTORY_DOMAINS, GoogleCloud.domains_list),
    (_D + r"/customers/(?P<customer>[^/]+)", "GET", "admin.customers.get",
     DIRECTORY_CUSTOMER, GoogleCloud.customers_get),
    (_D + r"/users/(?P<user>[^/]+)/tokens", "GET", "admin.tokens.list", DIRECTORY_TOKENS,
     GoogleCloud.tokens_list),
    (r"/v3/organizations:search", "GET", "cloudresourcemanager.organizations.search", CRM,
     GoogleCloud.organizations_search),
    (r"/v3/projects:search", "GET", "cloudresourcemanager.projects.search", CRM,
     GoogleCloud.projects_search),
    (r"/v3/projects/(?P<project>[^/:]+)", "GET", "cloudresourcemanager.projects.get", CRM,
     GoogleCloud.projects_get),
    (r"/v3/folders/(?P<folder>[^/:]+)", "GET", "cloudresourcemanager.folders.get", CRM,
     GoogleCloud.folders_get),
    (r"/v3/organizations/(?P<org>[^/:]+):getIamPolicy", "POST",
     "cloudresourcemanager.organizations.getIamPolicy", CRM, GoogleCloud.organization_policy),
    (r"/v3/projects/(?P<project>[^/:]+):getIamPolicy", "POST",
     "cloudresourcemanager.projects.getIamPolicy", CRM, GoogleCloud.project_policy),
    (r"/v1/projects/(?P<project>[^/:]+)/billingInfo", "GET",
     "cloudbilling.projects.getBillingInfo", BILLING, GoogleCloud.billing_info),
    (r"/v1/billingAccounts", "GET", "cloudbilling.billingAccounts.list", BILLING,
     GoogleCloud.billing_accounts_list),
    (r"/v1/billingAccounts/(?P<account>[^/:]+)/projects", "GET",
     "cloudbilling.billingAccounts.projects.list", BILLING,
     GoogleCloud.billing_account_projects),
    (r"/v1/billingAccounts/(?P<account>[^/:]+)", "GET", "cloudbilling.billingAccounts.get",
     BILLING, GoogleCloud.billing_account),
    (r"/v1/billingAccounts/(?P<account>[^/:]+):getIamPolicy", "GET",
     "cloudbilling.billingAccounts.getIamPolicy", BILLING, GoogleCloud.billing_policy),
    (r"/v1/(?P<kind>organizations|projects)/(?P<id>[^/:]+)/contacts", "GET",
     "essentialcontacts.contacts.list", CONTACTS, GoogleCloud.contacts_list),
)


# ---------------------------------------------------------------------------------------
# the demo estate: Acme Dental's Workspace and Cloud, set up by Bob's IT Services

CUSTOMER_ID = "C03az79cb"
CLIENT_ORG = "417305281994"
PROVIDER_ORG = "908172635401"
CLIENT_FOLDER = "281739462015"
SUB_ACCOUNT = "01A2B3-C4D5E6-F7A8B9"  # the practice's sub-account under the MSP's reseller
RESELLER_MASTER = "0F1E2D-3C4B5A-697887"  # Bob's IT Services' reseller (master) account
PROVIDER_ACCOUNT = "0A1B2C-3D4E5F-6A7B8C"  # Bob's own directly billed account
RMM_CLIENT_ID = "371924658203-bitsrmm.apps.googleusercontent.com"
PROVIDER_PROJECT = "bits-tools-prod"
CLIENT_ACCOUNT = "01C1E2-A3C4D5-E6F7A8"  # the practice's own, directly billed account
SUPPORT_DOMAIN = "bobsit-support.com"  # a secondary domain named like the provider's
OWNER_ADMIN = "106172839405162738495"  # the business's own super admin...
OWNER_RECOVERY = "tech@bobsit.example"  # ...whose recovery email is the provider's


def _user(uid: str, email: str, name: str, *, admin: bool = False, delegated: bool = False,
          twosv: bool = True, last: str | None = "2026-11-27T08:12:44.000Z",
          recovery_email: str | None = None, recovery_phone: str | None = None,
          emails: list[dict[str, Any]] | None = None,
          phones: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    # users resource (…/directory/reference/rest/v1/users): lastLoginTime omitted when the
    # user never signed in is shown by Google as 1970-01-01T00:00:00.000Z.
    user: dict[str, Any] = {
        "kind": "admin#directory#user", "id": uid, "etag": f'"e-{uid}"',
        "primaryEmail": email, "name": {"givenName": name.split()[0],
                                        "familyName": name.split()[-1], "fullName": name},
        "isAdmin": admin, "isDelegatedAdmin": delegated, "agreedToTerms": True,
        "suspended": False, "archived": False, "changePasswordAtNextLogin": False,
        "ipWhitelisted": False, "customerId": CUSTOMER_ID, "orgUnitPath": "/",
        "isMailboxSetup": True, "includeInGlobalAddressList": True,
        "isEnrolledIn2Sv": twosv, "isEnforcedIn2Sv": False,
        "creationTime": "2021-03-02T10:00:00.000Z",
    }
    if last:
        user["lastLoginTime"] = last
    # recoveryEmail / recoveryPhone (E.164) are omitted when not set; emails[] lists the
    # primary address too (primary: true), phones[] carries value/type (users resource).
    if recovery_email:
        user["recoveryEmail"] = recovery_email
    if recovery_phone:
        user["recoveryPhone"] = recovery_phone
    if emails is not None:
        user["emails"] = [{"address": email, "primary": True}, *emails]
    if phones:
        user["phones"] = phones
    return user


def demo_data() -> GoogleData:
    users = [
        _user("114820391746250937461", "bits.admin@acmedental.com", "BITS Admin", admin=True),
        # The business's own super admin, recovered through the provider's mailbox.
        _user(OWNER_ADMIN, "it-owner@acmedental.com", "Jane Smith", admin=True,
              recovery_email=OWNER_RECOVERY, recovery_phone="+12175550199",
              emails=[{"address": "it-owner@acme-dental.net", "type": "work"}],
              phones=[{"value": "+1 217 555 0142", "type": "work"}]),
        _user("108374619204857361920", "dr.smith@acmedental.com", "Jane Smith",
              recovery_email="jane.smith.dds@gmail.com", recovery_phone="+12175550143"),
        # A delegated admin on a secondary domain named like the provider's.
        _user("120394857610293847562", f"support@{SUPPORT_DOMAIN}", "Support Desk",
              delegated=True),
        _user("117264039581726354019", "helpdesk@acmedental.com", "Bobs IT Helpdesk",
              delegated=True, twosv=False),
        _user("102938475610293847561", "frontdesk@acmedental.com", "Front Desk", twosv=False),
        _user("119283746501928374650", "hygiene@acmedental.com", "Hygiene Team",
              last="1970-01-01T00:00:00.000Z"),
    ]
    super_privileges = [{"serviceId": "00haapch16h1ysv", "privilegeName": p}
                        for p in ("USERS_ALL", "GROUPS_ALL", "DOMAIN_MANAGEMENT",
                                  "SECURITY_SETTINGS", "ORGANIZATION_UNITS_ALL")]
    roles = [
        {"kind": "admin#directory#role", "roleId": "36028797018963969",
         "roleName": "_SEED_ADMIN_ROLE", "roleDescription": "Super Admin",
         "rolePrivileges": super_privileges, "isSystemRole": True, "isSuperAdminRole": True},
        {"kind": "admin#directory#role", "roleId": "36028797018963970",
         "roleName": "_GROUPS_ADMIN_ROLE", "roleDescription": "Groups Administrator",
         "rolePrivileges": [{"serviceId": "00haapch16h1ysv", "privilegeName": "GROUPS_ALL"}],
         "isSystemRole": True},
        {"kind": "admin#directory#role", "roleId": "36028797018963971",
         "roleName": "_USER_MANAGEMENT_ADMIN_ROLE",
         "roleDescription": "User Management Administrator",
         "rolePrivileges": [{"serviceId": "00haapch16h1ysv", "privilegeName": "USERS_ALL"}],
         "isSystemRole": True},
    ]
    assignments = [
        {"kind": "admin#directory#roleAssignment", "roleAssignmentId": "91827364501",
         "roleId": "36028797018963969", "assignedTo": "114820391746250937461",
         "assigneeType": "user", "scopeType": "CUSTOMER"},
        {"kind": "admin#directory#roleAssignment", "roleAssignmentId": "91827364502",
         "roleId": "36028797018963971", "assignedTo": "117264039581726354019",
         "assigneeType": "user", "scopeType": "CUSTOMER"},
        {"kind": "admin#directory#roleAssignment", "roleAssignmentId": "91827364503",
         "roleId": "36028797018963971", "assignedTo": "03ep43zb3ab9x1d",
         "assigneeType": "group", "scopeType": "CUSTOMER"},
        {"kind": "admin#directory#roleAssignment", "roleAssignmentId": "91827364504",
         "roleId": "36028797018963969", "assignedTo": OWNER_ADMIN,
         "assigneeType": "user", "scopeType": "CUSTOMER"},
        {"kind": "admin#directory#roleAssignment", "roleAssignmentId": "91827364505",
         "roleId": "36028797018963971", "assignedTo": "120394857610293847562",
         "assigneeType": "user", "scopeType": "CUSTOMER"},
    ]
    domains = [
        {"kind": "admin#directory#domain", "domainName": "acmedental.com", "isPrimary": True,
         "verified": True, "creationTime": "1614679200000",
         "domainAliases": [{"kind": "admin#directory#domainAlias",
                            "domainAliasName": "acme-dental.net",
                            "parentDomainName": "acmedental.com", "verified": True,
                            "creationTime": "1614679200000"}]},
        {"kind": "admin#directory#domain", "domainName": "acmesmiles.com", "isPrimary": False,
         "verified": False, "creationTime": "1650000000000"},
        {"kind": "admin#directory#domain", "domainName": SUPPORT_DOMAIN, "isPrimary": False,
         "verified": True, "creationTime": "1662000000000"},
    ]
    rmm_scopes = [AUTH + "admin.directory.user", AUTH + "admin.directory.device.chromeos",
                  AUTH + "admin.directory.group"]
    tokens = {
        "bits.admin@acmedental.com": [
            {"kind": "admin#directory#token", "clientId": RMM_CLIENT_ID,
             "displayText": "BITS RMM Agent", "scopes": rmm_scopes, "anonymous": False,
             "nativeApp": False, "userKey": "114820391746250937461"}],
        "dr.smith@acmedental.com": [
            {"kind": "admin#directory#token",
             "clientId": "554433221100-dentrix.apps.googleusercontent.com",
             "displayText": "Dentrix Ascend", "scopes": [AUTH + "calendar"],
             "anonymous": False, "nativeApp": False, "userKey": "108374619204857361920"}],
    }
    organizations = [
        {"name": f"organizations/{CLIENT_ORG}", "displayName": "acmedental.com",
         "directoryCustomerId": CUSTOMER_ID, "state": "ACTIVE",
         "createTime": "2022-01-10T09:00:00Z", "etag": "BwXhqU5wXmM="},
    ]
    folders = [{"name": f"folders/{CLIENT_FOLDER}", "parent": f"organizations/{CLIENT_ORG}",
                "displayName": "Production", "state": "ACTIVE"}]
    projects = [
        {"name": "projects/415104041262", "parent": f"folders/{CLIENT_FOLDER}",
         "projectId": "acme-dental-web", "state": "ACTIVE",
         "displayName": "Acme Dental website", "createTime": "2022-01-12T10:00:00Z",
         "etag": "W/\"a1\""},
        {"name": "projects/730219465118", "parent": f"organizations/{PROVIDER_ORG}",
         "projectId": "acme-xray-archive", "state": "ACTIVE",
         "displayName": "Acme X-ray archive", "createTime": "2023-05-02T10:00:00Z",
         "etag": "W/\"a2\""},
        # Billed to the business's own account: one sitting in the provider's organization
        # (visible, outside the audited organization), one in no organization (parent
        # omitted, as v3 does for a project without one), one in the business's folder.
        {"name": "projects/562930174855", "parent": f"organizations/{PROVIDER_ORG}",
         "projectId": "acme-backups", "state": "ACTIVE", "displayName": "Acme backups",
         "createTime": "2024-02-01T10:00:00Z", "etag": "W/\"a3\""},
        {"name": "projects/348102937465", "projectId": "acme-lab-sandbox", "state": "ACTIVE",
         "displayName": "Lab sandbox", "createTime": "2024-06-11T10:00:00Z",
         "etag": "W/\"a4\""},
        {"name": "projects/993817264501", "parent": f"folders/{CLIENT_FOLDER}",
         "projectId": "acme-imaging", "state": "ACTIVE", "displayName": "Imaging",
         "createTime": "2024-09-30T10:00:00Z", "etag": "W/\"a5\""},
    ]
    iam = {
        f"organizations/{CLIENT_ORG}": {"version": 1, "etag": "BwXo1", "bindings": [
            {"role": "roles/resourcemanager.organizationAdmin",
             "members": ["group:gcp-admins@bobsit.example", "user:dr.smith@acmedental.com"]},
            {"role": "roles/billing.creator", "members": ["domain:acmedental.com"]},
        ]},
        "projects/acme-dental-web": {"version": 1, "etag": "BwXp1", "bindings": [
            {"role": "roles/owner", "members": ["user:tech@bobsit.example"]},
            {"role": "roles/editor", "members": [
                f"serviceAccount:rmm-agent@{PROVIDER_PROJECT}.iam.gserviceaccount.com",
                "serviceAccount:415104041262@cloudservices.gserviceaccount.com"]},
            {"role": "roles/viewer", "members": ["user:dr.smith@acmedental.com"]},
            {"role": "roles/logging.serviceAgent", "members": [
                "serviceAccount:service-415104041262@gcp-sa-logging.iam.gserviceaccount.com"]},
            # cloud.google.com/iam/docs/service-agents: the Compute Engine Service Agent of
            # this project (Google's); cloud.google.com/iam/docs/service-account-types:
            # default service accounts are user-managed, in their project (App Engine:
            # PROJECT_ID@appspot…, Compute Engine: PROJECT_NUMBER-compute@developer…).
            {"role": "roles/compute.serviceAgent", "members": [
                "serviceAccount:service-415104041262@compute-system.iam.gserviceaccount.com"]},
            {"role": "roles/owner", "members": [
                f"serviceAccount:service-backup@{PROVIDER_PROJECT}.iam.gserviceaccount.com"]},
            {"role": "roles/storage.admin", "members": [
                f"serviceAccount:{PROVIDER_PROJECT}@appspot.gserviceaccount.com",
                "serviceAccount:730219465118-compute@developer.gserviceaccount.com"]},
        ]},
        "projects/acme-xray-archive": {"version": 1, "etag": "BwXp2", "bindings": [
            {"role": "roles/owner", "members": ["user:tech@bobsit.example"]},
            {"role": "roles/storage.objectViewer", "members": ["user:dr.smith@acmedental.com"]},
        ]},
        "projects/acme-backups": {"version": 1, "etag": "BwXp3", "bindings": [
            {"role": "roles/owner", "members": ["user:tech@bobsit.example"]},
        ]},
        "projects/acme-imaging": {"version": 1, "etag": "BwXp5", "bindings": [
            {"role": "roles/owner", "members": ["user:dr.smith@acmedental.com"]},
        ]},
        "projects/acme-lab-sandbox": {"version": 1, "etag": "BwXp4", "bindings": [
            {"role": "roles/owner", "members": ["user:lab.tech.acme@gmail.com"]},
        ]},
        f"billingAccounts/{SUB_ACCOUNT}": {"version": 1, "etag": "BwXb1", "bindings": [
            {"role": "roles/billing.admin", "members": ["user:billing@bobsit.example"]},
            {"role": "roles/billing.viewer", "members": ["user:dr.smith@acmedental.com"]},
        ]},
        f"billingAccounts/{PROVIDER_ACCOUNT}": {"version": 1, "etag": "BwXb2", "bindings": [
            {"role": "roles/billing.admin", "members": ["user:billing@bobsit.example"]},
        ]},
        f"billingAccounts/{CLIENT_ACCOUNT}": {"version": 1, "etag": "BwXb3", "bindings": [
            {"role": "roles/billing.admin", "members": ["user:dr.smith@acmedental.com"]},
        ]},
    }
    billing_info: dict[str, dict[str, Any]] = {
        "acme-dental-web": {"name": "projects/acme-dental-web/billingInfo",
                            "projectId": "acme-dental-web",
                            "billingAccountName": f"billingAccounts/{SUB_ACCOUNT}",
                            "billingEnabled": True},
        "acme-xray-archive": {"name": "projects/acme-xray-archive/billingInfo",
                              "projectId": "acme-xray-archive",
                              "billingAccountName": f"billingAccounts/{PROVIDER_ACCOUNT}",
                              "billingEnabled": True},
        **{pid: {"name": f"projects/{pid}/billingInfo", "projectId": pid,
                 "billingAccountName": f"billingAccounts/{CLIENT_ACCOUNT}",
                 "billingEnabled": True}
           for pid in ("acme-backups", "acme-lab-sandbox", "acme-imaging")},
    }
    billing_accounts = {
        SUB_ACCOUNT: {"name": f"billingAccounts/{SUB_ACCOUNT}", "open": True,
                      "displayName": "Acme Dental (via BITS)", "currencyCode": "USD",
                      "masterBillingAccount": f"billingAccounts/{RESELLER_MASTER}"},
        PROVIDER_ACCOUNT: {"name": f"billingAccounts/{PROVIDER_ACCOUNT}", "open": True,
                           "displayName": "Bob's IT Services", "currencyCode": "USD",
                           "parent": f"organizations/{PROVIDER_ORG}"},
        CLIENT_ACCOUNT: {"name": f"billingAccounts/{CLIENT_ACCOUNT}", "open": True,
                         "displayName": "Acme Dental LLC", "currencyCode": "USD"},
    }
    contacts = {
        f"organizations/{CLIENT_ORG}": [
            {"name": f"organizations/{CLIENT_ORG}/contacts/1", "email": "alerts@bobsit.example",
             "notificationCategorySubscriptions": ["SECURITY", "TECHNICAL", "SUSPENSION"],
             "languageTag": "en-US", "validationState": "VALID",
             "validateTime": "2022-01-12T10:00:00Z"},
            {"name": f"organizations/{CLIENT_ORG}/contacts/2",
             "email": "dr.smith@acmedental.com",
             "notificationCategorySubscriptions": ["LEGAL", "BILLING"],
             "languageTag": "en-US", "validationState": "VALID",
             "validateTime": "2022-01-12T10:00:00Z"},
        ],
        # a personal mailbox: an unidentified person, not Google's
        "projects/acme-dental-web": [
            {"name": "projects/acme-dental-web/contacts/3", "email": "jane.smith.dds@gmail.com",
             "notificationCategorySubscriptions": ["BILLING", "SUSPENSION"],
             "languageTag": "en-US", "validationState": "VALID",
             "validateTime": "2023-03-01T10:00:00Z"},
        ],
    }
    customer = {
        "kind": "admin#directory#customer", "id": CUSTOMER_ID, "etag": '"e-customer"',
        "customerDomain": "acmedental.com", "alternateEmail": "gsuite-billing@bobsit.example",
        "customerCreationTime": "2021-03-02T09:58:11.000Z", "language": "en",
        "postalAddress": {"contactName": "Jane Smith", "organizationName": "Acme Dental LLC",
                          "addressLine1": "12 Main Street", "locality": "Springfield",
                          "region": "IL", "postalCode": "62701", "countryCode": "US"},
        "phoneNumber": "+1 217 555 0142",
    }
    return GoogleData(customer=customer, users=users, roles=roles, role_assignments=assignments,
                      domains=domains, tokens=tokens, organizations=organizations,
                      folders=folders, projects=projects, iam=iam, billing_info=billing_info,
                      billing_accounts=billing_accounts, contacts=contacts,
                      visible_billing_accounts=[SUB_ACCOUNT, CLIENT_ACCOUNT])
