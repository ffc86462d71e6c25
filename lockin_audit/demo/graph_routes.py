"""The demo tenant's Microsoft Graph, in the shapes of Graph v1.0.

Mounted by the local ARM/Graph server of the demo (and the tests): `handle(method, path,
query, headers)` answers Graph paths and returns None for anything else.

Acme Dental's tenant (c0ffee00-...-0001) as Bob's IT Services left it: Global
Administrators are the provider's admin (a guest, admin@bobsit.example), a member account
the provider created in the business's directory ("BITS Admin") and the business's own
break-glass account on its initial domain (breakglass@acmedentalllc.onmicrosoft.com); a
second provider guest is PIM-eligible for it; a provider guest from the provider's own
onmicrosoft.com tenant holds Privileged Role Administrator; a deleted object still holds
Exchange Administrator; the provider's remote-management app holds application
permissions and its helpdesk portal a tenant-wide delegated Directory.ReadWrite.All; the
provider's tenant is a service-provider partner in the cross-tenant access policy;
technical and privacy notices go to the provider; acmedental.com signs in through the
provider's federation server (sts.bobsit.example).

Shapes as the Graph v1.0 reference documents them: expanded principals and getByIds
objects carry a user's default properties only (no userType: a guest is known by its
#EXT# sign-in name, https://learn.microsoft.com/graph/api/resources/user#properties);
unset properties are null or absent; one domain omits isVerified; users page with
@odata.nextLink; the first cross-tenant partners read of each server answers 429 with
Retry-After (https://learn.microsoft.com/graph/throttling); a tenant without Entra ID
P2 answers the PIM schedule APIs with the documented AadPremiumLicenseRequired error.

A path may start with `/scenario/<name>` (a real deployment reaches Graph through such a
prefix when it sits behind a proxy); the links it answers keep the prefix. A name selects
another tenant or Graph: `clean` (held by the client; no Entra ID P2 licence, so PIM
answers with a licence error), `providermail` (the only member Global Administrator has
the provider's mailbox), `noexpand` (a Graph that ignores $expand), `nofilter` (one that
ignores the roleDefinitionId filter); any other name serves the demo tenant.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any
from urllib.parse import unquote, urlencode

CLIENT_TENANT = "c0ffee00-0000-4000-8000-000000000001"
PROVIDER_TENANT = "b0b5b0b5-0000-4000-8000-000000000002"
VENDOR_TENANT = "5a1e5a1e-0000-4000-8000-000000000003"
PROVIDER_SANDBOX_TENANT = "b0b5b0b5-0000-4000-8000-000000000005"  # bobsit.onmicrosoft.com
LAB_TENANT = "1ab01ab0-0000-4000-8000-000000000004"  # smilelabpartners.onmicrosoft.com
MICROSOFT_SERVICES = "f8cdef31-a31e-4b4a-93e4-5f571e91255a"
GLOBAL_ADMIN = "62e90394-69f5-4237-9190-012177145e10"
USERS_PAGE = 2  # small pages so that the demo and the tests follow @odata.nextLink

# Object ids shared with the ARM side of the demo (role assignments name these principals).
PROVIDER_ADMIN_ID = "a11ce000-0000-4000-8000-0000000000a1"
PROVIDER_HELPDESK_ID = "a11ce000-0000-4000-8000-0000000000a2"
ACCOUNTANT_ID = "a11ce000-0000-4000-8000-0000000000a3"
CLIENT_ADMIN_ID = "a11ce000-0000-4000-8000-0000000000c1"
BREAKGLASS_ID = "a11ce000-0000-4000-8000-0000000000c3"
BITS_MEMBER_ID = "a11ce000-0000-4000-8000-0000000000a4"  # "BITS Admin", a member account
PROVIDER_TECH_ID = "a11ce000-0000-4000-8000-0000000000a5"  # guest from bobsit.onmicrosoft.com
DELETED_ID = "a11ce000-0000-4000-8000-0000000000d0"  # a deleted object still holding a role
BITS_GROUP_ID = "9a0c0000-0000-4000-8000-0000000000a6"  # group "BITS Engineers"
# role-assignable group "Helpdesk Admins" holding User Administrator
HELPDESK_ADMINS_ID = "9a0c0000-0000-4000-8000-0000000000c7"
HELPDESK_APP_SP_ID = "5e1f0000-0000-4000-8000-0000000000b2"
PRIVILEGED_ROLE_ADMIN = "e8611ab8-c189-46e8-94e1-60213ab1f814"
EXCHANGE_ADMIN = "29232cdf-9323-42fd-ade2-1d097af3e4de"
USER_ADMIN = "fe930be7-5e62-47db-91af-98c3a49a38b1"
RMM_SP_ID = "5e1f0000-0000-4000-8000-0000000000b1"
RMM_APP_ID = "a99a0000-0000-4000-8000-0000000000b1"
VENDOR_SP_ID = "5e1f0000-0000-4000-8000-0000000000d1"
CLIENT_APP_SP_ID = "5e1f0000-0000-4000-8000-0000000000c1"
GRAPH_SP_ID = "5e1f0000-0000-4000-8000-0000000000f1"

GRAPH_ROLES = {  # Microsoft Graph's published app role ids
    "19dbc75e-c2e2-444c-a770-ec69d8559fc7": "Directory.ReadWrite.All",
    "243333ab-4d21-40cb-a475-36241daa0842": "DeviceManagementManagedDevices.ReadWrite.All",
    "df021288-bdef-4463-88db-98f22de89214": "User.Read.All",
}


def _user(uid: str, name: str, upn: str, mail: str | None, user_type: str,
          creation: str | None = None, *, other_mails: list[str] | None = None,
          proxies: list[str] | None = None) -> dict[str, Any]:
    """A user with the properties Graph returns on $select (user resource, v1.0,
    https://learn.microsoft.com/graph/api/resources/user#properties): a member's mailbox
    lists its addresses in proxyAddresses ("SMTP:" the primary, "smtp:" aliases); a
    guest has none; otherMails is empty unless set."""
    if proxies is None:
        proxies = [f"SMTP:{mail}"] if mail and user_type == "Member" else []
    return {"@odata.type": "#microsoft.graph.user", "id": uid, "displayName": name,
            "userPrincipalName": upn, "mail": mail,
            "otherMails": other_mails if other_mails is not None else [],
            "proxyAddresses": proxies,
            "userType": user_type, "creationType": creation,
            "externalUserState": "Accepted" if user_type == "Guest" else None,
            "accountEnabled": True}


# The properties Graph returns for a user without $select (its default set), e.g. in an
# expanded `principal` or from getByIds: no userType, creationType or otherMails.
USER_DEFAULT = ("@odata.type", "id", "displayName", "userPrincipalName", "mail",
                "givenName", "surname", "jobTitle", "businessPhones", "mobilePhone",
                "officeLocation", "preferredLanguage")


def _default_view(obj: dict[str, Any]) -> dict[str, Any]:
    if obj.get("@odata.type") == "#microsoft.graph.user":
        return {k: obj.get(k) for k in USER_DEFAULT}
    return obj


def _group(gid: str, name: str) -> dict[str, Any]:
    return {"@odata.type": "#microsoft.graph.group", "id": gid, "displayName": name,
            "mail": None, "mailEnabled": False, "securityEnabled": True,
            "groupTypes": []}


def _sp(sid: str, app_id: str, name: str, owner: str, publisher: str,
        roles: dict[str, str] | None = None) -> dict[str, Any]:
    return {"@odata.type": "#microsoft.graph.servicePrincipal", "id": sid, "appId": app_id,
            "displayName": name, "appOwnerOrganizationId": owner, "publisherName": publisher,
            "servicePrincipalType": "Application", "accountEnabled": True,
            "appRoles": [{"id": k, "value": v, "allowedMemberTypes": ["Application"],
                          "displayName": v, "isEnabled": True}
                         for k, v in (roles or {}).items()]}


class Tenant:
    """One tenant's directory; answers Graph requests on it."""

    def __init__(self, *, org: dict[str, Any], domains: list[dict[str, Any]],
                 federation: dict[str, list[dict[str, Any]]], users: list[dict[str, Any]],
                 active: list[tuple[str, str]], eligible: list[tuple[str, str]],
                 sps: list[dict[str, Any]],
                 app_roles: dict[str, list[dict[str, Any]]],
                 grants: dict[str, list[dict[str, Any]]], partners: list[dict[str, Any]],
                 tenants: dict[str, dict[str, Any]], page_size: int = USERS_PAGE,
                 groups: list[dict[str, Any]] = (),  # type: ignore[assignment]
                 has_pim: bool = True, intune: dict[str, Any] | None = None,
                 ca_policies: list[dict[str, Any]] | None = None,
                 group_members: dict[str, list[str]] | None = None,
                 group_owners: dict[str, list[str]] | None = None,
                 group_eligible: dict[str, list[tuple[str, str]]] | None = None) -> None:
        self.page_size = page_size
        self.has_pim = has_pim
        self.intune = intune if intune is not None else no_intune_bindings()
        self.ca_policies = ca_policies or []
        self.group_members = group_members or {}
        self.group_owners = group_owners or {}
        self.group_eligible = group_eligible or {}  # group -> [(principal, accessId)]
        self.org, self.domains, self.federation = org, domains, federation
        self.users, self.active, self.eligible = users, active, eligible
        self.sps, self.app_roles, self.grants = sps, app_roles, grants
        self.partners, self.tenants = partners, tenants
        self.objects = {o["id"]: o for o in (*users, *sps, *groups)}


def _assignment(n: int, principal_id: str, role_id: str, objects: dict[str, Any],
                eligible: bool) -> dict[str, Any]:
    """A unifiedRoleAssignment (or eligibility instance). An expanded principal that no
    longer exists is null."""
    found = objects.get(principal_id)
    out: dict[str, Any] = {
        "id": f"{'el' if eligible else 'ra'}-{n}-{principal_id[-4:]}",
        "principalId": principal_id, "roleDefinitionId": role_id,
        "directoryScopeId": "/", "principal": _default_view(found) if found else None}
    if eligible:
        out.update({"memberType": "Direct", "startDateTime": "2025-01-01T00:00:00Z",
                    "endDateTime": None, "roleEligibilityScheduleId": f"sched-{n}"})
    return out


def demo_tenant() -> Tenant:
    admin = _user(PROVIDER_ADMIN_ID, "Bob's IT Admin",
                  "admin_bobsit.example#EXT#@acmedentalllc.onmicrosoft.com",
                  "admin@bobsit.example", "Guest", "Invitation")
    helpdesk = _user(PROVIDER_HELPDESK_ID, "BITS Helpdesk",
                     "helpdesk_bobsit.example#EXT#@acmedentalllc.onmicrosoft.com",
                     "helpdesk@bobsit.example", "Guest", "Invitation")
    accountant = _user(ACCOUNTANT_ID, "Jane (accountant)",
                       "jane_ledgerpros.example#EXT#@acmedentalllc.onmicrosoft.com",
                       "jane@ledgerpros.example", "Guest", "Invitation")
    frontdesk = _user("a11ce000-0000-4000-8000-0000000000c2", "Front Desk",
                      "frontdesk@acmedental.com", "frontdesk@acmedental.com", "Member")
    client_admin = _user(CLIENT_ADMIN_ID, "Dr. Acme", "owner@acmedental.com",
                         "owner@acmedental.com", "Member")
    breakglass = _user(BREAKGLASS_ID, "Emergency access 1",
                       "breakglass@acmedentalllc.onmicrosoft.com", None, "Member")
    bits_member = _user(BITS_MEMBER_ID, "BITS Admin", "bitsadmin@acmedental.com",
                        "bitsadmin@acmedental.com", "Member")
    tech = _user(PROVIDER_TECH_ID, "Tech (BITS)",
                 "tech_bobsit.onmicrosoft.com#EXT#@acmedentalllc.onmicrosoft.com",
                 "tech@bobsit.onmicrosoft.com", "Guest", "Invitation")
    helpdesk_app = _sp(HELPDESK_APP_SP_ID, "a99a0000-0000-4000-8000-0000000000b2",
                       "BITS Helpdesk Portal", PROVIDER_TENANT, "Bob's IT Services")
    graph = _sp(GRAPH_SP_ID, "00000003-0000-0000-c000-000000000000", "Microsoft Graph",
                MICROSOFT_SERVICES, "Microsoft Services", GRAPH_ROLES)
    rmm = _sp(RMM_SP_ID, RMM_APP_ID, "BITS Remote Management Connector", PROVIDER_TENANT,
              "Bob's IT Services")
    vendor = _sp(VENDOR_SP_ID, "a99a0000-0000-4000-8000-0000000000d1", "Practice Imaging Sync",
                 VENDOR_TENANT, "Example Practice Software")
    own = _sp(CLIENT_APP_SP_ID, "a99a0000-0000-4000-8000-0000000000c1", "Acme Booking",
              CLIENT_TENANT, "Acme Dental LLC")
    intune = demo_intune()
    return Tenant(
        org={"id": CLIENT_TENANT, "displayName": "Acme Dental LLC",
             "technicalNotificationMails": ["alerts@bobsit.example"],
             "securityComplianceNotificationMails": ["it@acmedental.com"],
             "privacyProfile": {"contactEmail": "privacy@bobsit.example",
                                "statementUrl": None},
             "verifiedDomains": [
                 {"name": "acmedentalllc.onmicrosoft.com", "isDefault": False,
                  "isInitial": True, "type": "Managed", "capabilities": "Email, OfficeCommunicationsOnline"},
                 {"name": "acmedental.com", "isDefault": True, "isInitial": False,
                  "type": "Federated", "capabilities": "Email, OfficeCommunicationsOnline"}]},
        domains=[
            {"id": "acmedentalllc.onmicrosoft.com", "authenticationType": "Managed",
             "isDefault": False, "isInitial": True, "isVerified": True, "isRoot": True,
             "supportedServices": ["Email", "OfficeCommunicationsOnline"]},
            {"id": "acmedental.com", "authenticationType": "Federated", "isDefault": True,
             "isInitial": False, "isVerified": True, "isRoot": True,
             "supportedServices": ["Email", "OfficeCommunicationsOnline"]},
            {"id": "acme-dental.net", "authenticationType": "Managed", "isDefault": False,
             "isInitial": False, "isVerified": True, "isRoot": True,
             "supportedServices": ["Email"]},
            {"id": "acmesmiles.com", "authenticationType": "Managed", "isDefault": False,
             "isInitial": False, "isVerified": False, "isRoot": True,
             "supportedServices": []},
            # isVerified is optional in the domain resource: absent means unknown
            {"id": "acme-dental.org", "authenticationType": "Managed", "isDefault": False,
             "isInitial": False, "isRoot": True, "supportedServices": []},
        ],
        federation={"acmedental.com": [{
            "@odata.type": "#microsoft.graph.internalDomainFederation",
            "id": "6601d14b-d113-8f64-fda2-9b5ddda18ecc", "displayName": "Bob's IT ADFS",
            "issuerUri": "http://sts.bobsit.example/adfs/services/trust",
            "metadataExchangeUri": "https://sts.bobsit.example/adfs/services/trust/mex",
            "passiveSignInUri": "https://sts.bobsit.example/adfs/ls/",
            "activeSignInUri": "https://sts.bobsit.example/adfs/services/trust/2005/"
                               "usernamemixed",
            "signOutUri": "https://sts.bobsit.example/adfs/ls/?wa=wsignout1.0",
            "preferredAuthenticationProtocol": "wsFed",
            "federatedIdpMfaBehavior": "acceptIfMfaDoneByFederatedIdp",
            "signingCertificate": "MIIC3jCCAcagAwIBAgIQdemo"}]},
        users=[admin, helpdesk, accountant, frontdesk, client_admin, breakglass,
               bits_member, tech],
        groups=[_group(BITS_GROUP_ID, "BITS Engineers"),
                {**_group(HELPDESK_ADMINS_ID, "Helpdesk Admins"), "isAssignableToRole": True}],
        # the role-assignable group's members and owners, and (PIM for groups) the
        # provider's technician eligible to become a member
        group_members={HELPDESK_ADMINS_ID: ["a11ce000-0000-4000-8000-0000000000c2"]},
        group_owners={HELPDESK_ADMINS_ID: [CLIENT_ADMIN_ID]},
        group_eligible={HELPDESK_ADMINS_ID: [(PROVIDER_TECH_ID, "member")]},
        active=[(PROVIDER_ADMIN_ID, GLOBAL_ADMIN), (BITS_MEMBER_ID, GLOBAL_ADMIN),
                (BREAKGLASS_ID, GLOBAL_ADMIN), (PROVIDER_TECH_ID, PRIVILEGED_ROLE_ADMIN),
                (CLIENT_ADMIN_ID, USER_ADMIN), (DELETED_ID, EXCHANGE_ADMIN),
                (HELPDESK_ADMINS_ID, USER_ADMIN)],
        eligible=[(PROVIDER_HELPDESK_ID, GLOBAL_ADMIN)],
        sps=[graph, rmm, vendor, own, helpdesk_app],
        app_roles={RMM_SP_ID: [
            {"id": f"ara-{n}", "appRoleId": role, "principalId": RMM_SP_ID,
             "principalType": "ServicePrincipal",
             "principalDisplayName": "BITS Remote Management Connector",
             "resourceId": GRAPH_SP_ID, "resourceDisplayName": "Microsoft Graph",
             "createdDateTime": "2024-03-01T10:00:00Z"}
            for n, role in enumerate(("19dbc75e-c2e2-444c-a770-ec69d8559fc7",
                                      "243333ab-4d21-40cb-a475-36241daa0842"))]},
        grants={VENDOR_SP_ID: [
            {"id": "grant-vendor-1", "clientId": VENDOR_SP_ID, "consentType": "AllPrincipals",
             "principalId": None, "resourceId": GRAPH_SP_ID,
             "scope": "User.Read offline_access"}],
            HELPDESK_APP_SP_ID: [
            {"id": "grant-helpdesk-1", "clientId": HELPDESK_APP_SP_ID,
             "consentType": "AllPrincipals", "principalId": None, "resourceId": GRAPH_SP_ID,
             "scope": " User.Read Directory.ReadWrite.All "}]},
        partners=[{"tenantId": PROVIDER_TENANT, "isServiceProvider": True,
                   "isInMultiTenantOrganization": False,
                   "inboundTrust": {"isMfaAccepted": True, "isCompliantDeviceAccepted": False,
                                    "isHybridAzureADJoinedDeviceAccepted": False},
                   "b2bCollaborationInbound": None, "b2bCollaborationOutbound": None,
                   "b2bDirectConnectInbound": None, "b2bDirectConnectOutbound": None,
                   "automaticUserConsentSettings": {"inboundAllowed": None,
                                                    "outboundAllowed": None}},
                  # two partners whose default domain is their tenant's initial
                  # <name>.onmicrosoft.com: the provider's sandbox tenant (named after
                  # it) and a dental lab's; neither is Microsoft's. Unset settings are
                  # null (crossTenantAccessPolicyConfigurationPartner,
                  # https://learn.microsoft.com/graph/api/resources/
                  # crosstenantaccesspolicyconfigurationpartner)
                  {"tenantId": PROVIDER_SANDBOX_TENANT, "isServiceProvider": False,
                   "isInMultiTenantOrganization": False, "inboundTrust": None,
                   "b2bCollaborationInbound": None, "b2bCollaborationOutbound": None},
                  {"tenantId": LAB_TENANT, "isServiceProvider": False,
                   "isInMultiTenantOrganization": False, "inboundTrust": None,
                   "b2bCollaborationInbound": None, "b2bCollaborationOutbound": None}],
        tenants={
            PROVIDER_TENANT: {"tenantId": PROVIDER_TENANT, "displayName": "Bob's IT Services",
                              "defaultDomainName": "bobsit.example",
                              "federationBrandName": None},
            VENDOR_TENANT: {"tenantId": VENDOR_TENANT,
                            "displayName": "Example Practice Software Inc",
                            "defaultDomainName": "practicesoft.example",
                            "federationBrandName": None},
            # tenantInformation (findTenantInformationByTenantId,
            # https://learn.microsoft.com/graph/api/tenantrelationship-findtenantinformationbytenantid)
            PROVIDER_SANDBOX_TENANT: {"tenantId": PROVIDER_SANDBOX_TENANT,
                                      "displayName": "BITS Sandbox",
                                      "defaultDomainName": "bobsit.onmicrosoft.com",
                                      "federationBrandName": None},
            LAB_TENANT: {"tenantId": LAB_TENANT, "displayName": "Smile Lab Partners",
                         "defaultDomainName": "smilelabpartners.onmicrosoft.com",
                         "federationBrandName": None},
            CLIENT_TENANT: {"tenantId": CLIENT_TENANT, "displayName": "Acme Dental LLC",
                            "defaultDomainName": "acmedental.com",
                            "federationBrandName": None},
        },
        intune=intune, ca_policies=demo_ca_policies(),
    )


def _at(days: int, hour: int = 9) -> str:
    """A Graph DateTimeOffset `days` from now (the demo's dates move with the clock)."""
    when = dt.datetime.now(dt.UTC).replace(hour=hour, minute=0, second=0, microsecond=0)
    return (when + dt.timedelta(days=days)).isoformat().replace("+00:00", "Z")


def ca_policy(pid: str, name: str, state: str, controls: list[str], *,
              exclude_users: list[str] | None = None, exclude_groups: list[str] | None = None,
              exclude_roles: list[str] | None = None,
              exclude_external: dict[str, Any] | None = None,
              exclude_apps: list[str] | None = None) -> dict[str, Any]:
    """A conditionalAccessPolicy as Graph v1.0 lists it
    (https://learn.microsoft.com/graph/api/resources/conditionalaccesspolicy): unset
    conditions are null, unset lists empty; excludeGuestsOrExternalUsers is a
    conditionalAccessGuestsOrExternalUsers whose externalTenants is
    conditionalAccessAllExternalTenants or conditionalAccessEnumeratedExternalTenants;
    a workload-identity policy names service principals under clientApplications."""
    users = {"includeUsers": ["All"] if not exclude_apps else ["None"],
             "excludeUsers": exclude_users or [], "includeGroups": [],
             "excludeGroups": exclude_groups or [], "includeRoles": [],
             "excludeRoles": exclude_roles or [], "includeGuestsOrExternalUsers": None,
             "excludeGuestsOrExternalUsers": exclude_external}
    apps = None
    if exclude_apps:
        apps = {"includeServicePrincipals": ["ServicePrincipalsInMyTenant"],
                "excludeServicePrincipals": exclude_apps}
    return {"id": pid, "templateId": None, "displayName": name,
            "createdDateTime": "2024-02-01T10:00:00Z", "modifiedDateTime": None,
            "state": state, "sessionControls": None,
            "conditions": {"userRiskLevels": [], "signInRiskLevels": [],
                           "clientAppTypes": ["all"], "platforms": None, "locations": None,
                           "times": None, "deviceStates": None, "devices": None,
                           "clientApplications": apps,
                           "applications": {"includeApplications": ["All"],
                                            "excludeApplications": [],
                                            "includeUserActions": [],
                                            "includeAuthenticationContextClassReferences": []},
                           "users": users},
            "grantControls": {"operator": "OR", "builtInControls": controls,
                              "customAuthenticationFactors": [], "termsOfUse": []}}


def demo_ca_policies() -> list[dict[str, Any]]:
    """Acme Dental's Conditional Access as the provider left it: MFA for everyone except
    the business's break-glass account (fine), the provider's admin guest, the "BITS
    Engineers" group and the provider's tenant (its service-provider and B2B users);
    legacy sign-in blocked except for the provider's remote-management app; a report-only
    policy excluding an outside accountant; a disabled policy (not judged)."""
    return [
        ca_policy("c4a00000-0000-4000-8000-000000000001", "Require MFA for all users",
                  "enabled", ["mfa"], exclude_users=[BREAKGLASS_ID, PROVIDER_ADMIN_ID],
                  exclude_groups=[BITS_GROUP_ID],
                  exclude_external={
                      "guestOrExternalUserTypes": "b2bCollaborationGuest,serviceProvider",
                      "externalTenants": {
                          "@odata.type": "#microsoft.graph."
                                         "conditionalAccessEnumeratedExternalTenants",
                          "membershipKind": "enumerated", "members": [PROVIDER_TENANT]}}),
        ca_policy("c4a00000-0000-4000-8000-000000000002", "Block workload sign-ins from "
                  "outside the office", "enabled", ["block"], exclude_apps=[RMM_SP_ID]),
        ca_policy("c4a00000-0000-4000-8000-000000000003", "Require compliant device",
                  "enabledForReportingButNotEnforced", ["compliantDevice"],
                  exclude_users=[ACCOUNTANT_ID]),
        ca_policy("c4a00000-0000-4000-8000-000000000004", "Old trial policy", "disabled",
                  ["block"], exclude_users=[PROVIDER_HELPDESK_ID]),
    ]


def no_intune_bindings() -> dict[str, Any]:
    """An Intune with nothing bound: no push certificate (GET answers 404), no tokens,
    managed Google Play not bound (bindStatus notBound)."""
    return {"apns": None, "dep": [], "vpp": [],
            "android": {"@odata.type": "#microsoft.graph."
                        "androidManagedStoreAccountEnterpriseSettings",
                        "id": "b71357c9-57c9-b713-c957-13b7c95713b7", "bindStatus": "notBound",
                        "lastAppSyncStatus": "success", "enrollmentTarget": "none",
                        "deviceOwnerManagementEnabled": False}}


def demo_intune() -> dict[str, Any]:
    """Acme Dental's Intune as the provider set it up, in the documented shapes:
    - applePushNotificationCertificate (v1.0, https://learn.microsoft.com/graph/api/
      resources/intune-devices-applepushnotificationcertificate): created with the
      provider's Apple ID, expiring in 40 days; `certificate` holds the certificate and is
      only returned when not excluded by $select; certificateUploadFailureReason unset
      (absent);
    - depOnboardingSetting (beta only, https://learn.microsoft.com/graph/api/resources/
      intune-enrollment-deponboardingsetting?view=graph-rest-beta): the business's own
      Apple Business Manager token, the provider's, and an old one whose appleIdentifier
      is unset (absent);
    - vppToken (v1.0, https://learn.microsoft.com/graph/api/resources/
      intune-onboarding-vpptoken): bought under the provider's Apple ID; `token` is the
      secret token string;
    - androidManagedStoreAccountEnterpriseSettings (beta only,
      https://learn.microsoft.com/graph/api/resources/intune-androidforwork-
      androidmanagedstoreaccountenterprisesettings?view=graph-rest-beta): bound by the
      provider's guest admin, under the provider's organisation name."""
    return {
        "apns": {"@odata.type": "#microsoft.graph.applePushNotificationCertificate",
                 "id": "3a1b2c4d-0000-4000-8000-0000000000a9",
                 "appleIdentifier": "mdm@bobsit.example",
                 "topicIdentifier": "com.apple.mgmt.External.5e4f1c2d-0000-4000-8000-0000000000a9",
                 "lastModifiedDateTime": _at(-325), "expirationDateTime": _at(40),
                 "certificateUploadStatus": "Succeeded",
                 "certificateSerialNumber": "4F1C2D0000A9",
                 "certificate": "MIIDemoSecretCertificateBodyNeverRead=="},
        "dep": [
            {"@odata.type": "#microsoft.graph.depOnboardingSetting",
             "id": "40342229-2229-4034-2922-3440292234c1",
             "appleIdentifier": "abm@acmedental.com", "tokenName": "Acme ABM",
             "tokenType": "dep", "tokenExpirationDateTime": _at(200),
             "lastModifiedDateTime": _at(-165), "lastSuccessfulSyncDateTime": _at(-1),
             "lastSyncTriggeredDateTime": _at(-1), "shareTokenWithSchoolDataSyncService":
             False, "lastSyncErrorCode": 0, "syncedDeviceCount": 3,
             "dataSharingConsentGranted": True},
            {"@odata.type": "#microsoft.graph.depOnboardingSetting",
             "id": "40342229-2229-4034-2922-3440292234a1",
             "appleIdentifier": "dep@bobsit.example", "tokenName": "BITS DEP",
             "tokenType": "dep", "tokenExpirationDateTime": _at(90),
             "lastModifiedDateTime": _at(-275), "lastSuccessfulSyncDateTime": _at(-1),
             "lastSyncTriggeredDateTime": _at(-1), "shareTokenWithSchoolDataSyncService":
             False, "lastSyncErrorCode": 0, "syncedDeviceCount": 17,
             "dataSharingConsentGranted": True},
            {"@odata.type": "#microsoft.graph.depOnboardingSetting",
             "id": "40342229-2229-4034-2922-3440292234d0", "tokenName": "Legacy token",
             "tokenType": "dep", "tokenExpirationDateTime": _at(120),
             "lastModifiedDateTime": _at(-345), "shareTokenWithSchoolDataSyncService":
             False, "lastSyncErrorCode": 0, "syncedDeviceCount": 0,
             "dataSharingConsentGranted": True}],
        "vpp": [
            {"@odata.type": "#microsoft.graph.vppToken",
             "id": "9e2a4f17-4f17-9e2a-174f-2a9e174f2aa1",
             "organizationName": "Bob's IT Services", "vppTokenAccountType": "business",
             "appleId": "apps@bobsit.example", "expirationDateTime": _at(300),
             "lastSyncDateTime": _at(-1), "token": "VPP-SECRET-TOKEN-NEVER-READ",
             "lastModifiedDateTime": _at(-65), "state": "valid",
             "lastSyncStatus": "completed", "automaticallyUpdateApps": True,
             "countryOrRegion": "us"}],
        "android": {"@odata.type": "#microsoft.graph."
                    "androidManagedStoreAccountEnterpriseSettings",
                    "id": "b71357c9-57c9-b713-c957-13b7c95713b7", "bindStatus": "bound",
                    "lastAppSyncDateTime": _at(-1), "lastAppSyncStatus": "success",
                    "ownerUserPrincipalName":
                        "admin_bobsit.example#EXT#@acmedentalllc.onmicrosoft.com",
                    "ownerOrganizationName": "Bob's IT Services",
                    "lastModifiedDateTime": _at(-400), "enrollmentTarget": "all",
                    "targetGroupIds": [], "deviceOwnerManagementEnabled": True},
        "detected_apps": demo_detected_apps(),
    }


def demo_detected_apps() -> list[dict[str, Any]]:
    """Intune's discovered apps on Acme Dental's PCs, as detectedApp (v1.0,
    https://learn.microsoft.com/graph/api/resources/intune-devices-detectedapp: id,
    displayName, version, sizeInByte, deviceCount, publisher (default ""), platform), each
    with the managedDevice objects of its managedDevices relationship
    (https://learn.microsoft.com/graph/api/resources/intune-devices-manageddevice: id,
    deviceName) under "_devices" (served by the relationship's route, never in the app):
    the provider's ScreenConnect client on the twelve PCs, TeamViewer on three, and apps
    that are no remote-access tool."""
    pcs = [(f"6d0c0000-0000-4000-8000-{n:012d}",
            f"ACME-{'FRONT' if n < 3 else 'SURG'}-{n + 1:02d}") for n in range(12)]

    def app(app_id: str, name: str, version: str, publisher: str, devices: list[tuple[str, str]],
            size: int) -> dict[str, Any]:
        return {"@odata.type": "#microsoft.graph.detectedApp", "id": app_id,
                "displayName": name, "version": version, "sizeInByte": size,
                "deviceCount": len(devices), "publisher": publisher, "platform": "windows",
                "_devices": [{"@odata.type": "#microsoft.graph.managedDevice", "id": i,
                              "deviceName": n} for i, n in devices]}

    return [
        app("0a7e5c1e-0000-4000-8000-000000000001", "ScreenConnect Client (4f3c2b1a0e9d8c7b)",
            "24.1.6.8926", "ScreenConnect Software", pcs, 25_165_824),
        app("0a7e5c1e-0000-4000-8000-000000000002", "TeamViewer", "15.49.2", "TeamViewer",
            pcs[:3], 98_566_144),
        app("0a7e5c1e-0000-4000-8000-000000000003", "7-Zip 23.01 (x64)", "23.01",
            "Igor Pavlov", pcs, 5_767_168),
        app("0a7e5c1e-0000-4000-8000-000000000004", "Microsoft Edge", "131.0.2903.70",
            "", pcs, 0),
    ]


# Graph paths of the Intune bindings: (version(s) that serve it, key in Tenant.intune).
# depOnboardingSettings and androidManagedStoreAccountEnterpriseSettings exist in beta only.
INTUNE_PATHS = {
    "/deviceManagement/applePushNotificationCertificate": (("v1.0", "beta"), "apns"),
    "/deviceManagement/depOnboardingSettings": (("beta",), "dep"),
    "/deviceAppManagement/vppTokens": (("v1.0", "beta"), "vpp"),
    "/deviceManagement/androidManagedStoreAccountEnterpriseSettings": (("beta",), "android"),
}


def _detected_apps(t: Tenant, rest: str, query: dict[str, list[str]], base: str
                   ) -> tuple[int, dict[str, str], bytes] | None:
    """detectedApps (List) and an app's managedDevices relationship, paged, $select
    honoured (v1.0 and beta both serve them)."""
    selected = [k for k in _first(query, "$select").split(",") if k]

    def view(obj: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in obj.items() if not k.startswith("_")
                and (not selected or k in selected or k == "@odata.type")}

    apps = t.intune.get("detected_apps") or []
    if rest == "/deviceManagement/detectedApps":
        return _paged(base, rest, "deviceManagement/detectedApps", [view(a) for a in apps],
                      query, t.page_size)
    m = re.fullmatch(r"/deviceManagement/detectedApps/([^/]+)/managedDevices", rest)
    if m is None:
        return None
    app = next((a for a in apps if a["id"] == m.group(1)), None)
    if app is None:
        return _error(404, "ResourceNotFound", f"detectedApp {m.group(1)} not found.")
    return _paged(base, rest, "deviceManagement/managedDevices",
                  [view(d) for d in app["_devices"]], query, t.page_size)


def _intune(t: Tenant, version: str, rest: str, query: dict[str, list[str]], base: str
            ) -> tuple[int, dict[str, str], bytes] | None:
    if rest.startswith("/deviceManagement/detectedApps"):
        return _detected_apps(t, rest, query, base)
    found = INTUNE_PATHS.get(rest)
    if found is None:
        return None
    versions, key = found
    segment = rest.rsplit("/", 1)[-1]
    if version not in versions:  # as Graph answers a segment missing from this version
        return _error(400, "BadRequest", f"Resource not found for the segment '{segment}'.")
    selected = [k for k in _first(query, "$select").split(",") if k]

    def view(obj: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in obj.items() if not selected or k in selected
                or k == "@odata.type"}

    value = t.intune.get(key)
    if isinstance(value, list):
        return _paged(base, rest, rest.strip("/"), [view(v) for v in value], query,
                      t.page_size)
    if value is None:
        return _error(404, "ResourceNotFound", f"{segment} is not set up in this tenant.")
    return _json(200, {"@odata.context": f"{base}/$metadata#{rest.strip('/')}", **view(value)})


def clean_tenant() -> Tenant:
    """The same practice after taking everything back: nothing held by the provider."""
    admin = _user(CLIENT_ADMIN_ID, "Break-glass admin", "breakglass@acmedental.com",
                  None, "Member")
    graph = _sp(GRAPH_SP_ID, "00000003-0000-0000-c000-000000000000", "Microsoft Graph",
                MICROSOFT_SERVICES, "Microsoft Services", GRAPH_ROLES)
    base = demo_tenant()
    return Tenant(
        org={**base.org, "technicalNotificationMails": ["it@acmedental.com"],
             "privacyProfile": {"contactEmail": "privacy@acmedental.com"}},
        domains=[{**d, "authenticationType": "Managed", "isVerified": d.get("isVerified", True)}
                 for d in base.domains],
        federation={}, users=[admin], active=[(CLIENT_ADMIN_ID, GLOBAL_ADMIN)], eligible=[],
        sps=[graph], app_roles={}, grants={}, partners=[], tenants=base.tenants,
        has_pim=False, ca_policies=[ca_policy(
            "c4a00000-0000-4000-8000-0000000000c1", "Require MFA for all users", "enabled",
            ["mfa"], exclude_users=[CLIENT_ADMIN_ID], exclude_roles=[GLOBAL_ADMIN])])


def scale_tenant(guests: int, apps: int) -> Tenant:
    """The demo tenant grown to `guests` guests and `apps` foreign apps (for the bench):
    half of the apps are the provider's, each with an application permission."""
    base = demo_tenant()
    users = [_user(f"9e570000-0000-4000-8000-{n:012d}", f"Guest {n}",
                   f"g{n}_partner{n % 7}.example#EXT#@acmedentalllc.onmicrosoft.com",
                   f"g{n}@partner{n % 7}.example", "Guest", "Invitation")
             for n in range(guests)]
    sps = [_sp(f"5e1f5ca1-0000-4000-8000-{n:012d}", f"a99a5ca1-0000-4000-8000-{n:012d}",
               f"Tool {n}", PROVIDER_TENANT if n % 2 else VENDOR_TENANT, "Vendor")
           for n in range(apps)]
    roles = {sp["id"]: [{"id": f"ara-{sp['id']}", "appRoleId": next(iter(GRAPH_ROLES)),
                         "principalId": sp["id"], "principalType": "ServicePrincipal",
                         "resourceId": GRAPH_SP_ID, "resourceDisplayName": "Microsoft Graph"}]
             for sp in sps}
    return Tenant(org=base.org, domains=base.domains, federation=base.federation,
                  users=base.users + users, active=base.active, eligible=base.eligible,
                  sps=base.sps + sps, app_roles={**base.app_roles, **roles},
                  grants=base.grants, partners=base.partners, tenants=base.tenants,
                  page_size=999, groups=[o for o in base.objects.values()
                                         if o.get("@odata.type") == "#microsoft.graph.group"])


def provider_mail_tenant() -> Tenant:
    """A tenant whose only member Global Administrator signs in on the business's own
    domain but whose mailbox is the provider's (mail, a proxy address and the recovery
    email): the provider's person, not the business's own admin."""
    base = clean_tenant()
    it = _user(CLIENT_ADMIN_ID, "IT Support", "itsupport@acmedental.com",
               "support@bobsit.example", "Member",
               other_mails=["noc@bobsit.example"],
               proxies=["SMTP:support@bobsit.example", "smtp:itsupport@acmedental.com"])
    return Tenant(org=base.org, domains=base.domains, federation={}, users=[it],
                  active=[(CLIENT_ADMIN_ID, GLOBAL_ADMIN)], eligible=[], sps=base.sps,
                  app_roles={}, grants={}, partners=[], tenants=base.tenants, has_pim=False)


TENANTS = {"": demo_tenant(), "clean": clean_tenant(), "providermail": provider_mail_tenant()}
_THROTTLED: set[str] = set()
_SCENARIO = re.compile(r"^/scenario/([a-z-]+)(/.*)$")
_VERSION = re.compile(r"^/(v1\.0|beta)(/.*)$")


def _json(status: int, body: Any, extra: dict[str, str] | None = None
          ) -> tuple[int, dict[str, str], bytes]:
    headers = {"Content-Type": "application/json; odata.metadata=minimal",
               "request-id": "00000000-0000-4000-8000-00000000d3m0"}
    headers.update(extra or {})
    return status, headers, json.dumps(body).encode()


def _error(status: int, code: str, message: str,
           extra: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    return _json(status, {"error": {"code": code, "message": message, "innerError": {
        "date": "2026-01-01T00:00:00", "request-id": "00000000-0000-4000-8000-00000000d3m0"}}},
        extra)


def _collection(base: str, entity: str, items: list[dict[str, Any]],
                next_link: str | None = None) -> tuple[int, dict[str, str], bytes]:
    body: dict[str, Any] = {"@odata.context": f"{base}/$metadata#{entity}", "value": items}
    if next_link:
        body["@odata.nextLink"] = next_link
    return _json(200, body)


def _paged(base: str, rest: str, entity: str, items: list[dict[str, Any]],
           query: dict[str, list[str]], size: int) -> tuple[int, dict[str, str], bytes]:
    """One page of a collection with an opaque-to-the-client @odata.nextLink carrying
    the original query (https://learn.microsoft.com/graph/paging)."""
    skip = int(_first(query, "$skiptoken") or 0)
    size = min(size, int(_first(query, "$top") or size))
    nxt = None
    if skip + size < len(items):
        keep = {k: _first(query, k) for k in query if k != "$skiptoken"}
        keep["$skiptoken"] = str(skip + size)
        nxt = f"{base}{rest}?{urlencode(keep)}"
    return _collection(base, entity, items[skip:skip + size], nxt)


def _first(query: dict[str, list[str]], key: str) -> str:
    values = query.get(key) or [""]
    return values[0]


def handle(method: str, path: str, query: dict[str, list[str]], headers: dict[str, str],
           body: bytes = b"") -> tuple[int, dict[str, str], bytes] | None:
    """Answer a Graph request, or None when the path is not a Graph path. `body` is only
    read by POST /directoryObjects/getByIds (servers that do not pass it get a 400)."""
    path = unquote(path)
    scenario = ""
    m = _SCENARIO.match(path)
    if m:
        scenario, path = m.group(1), m.group(2)
    v = _VERSION.match(path)
    if not v:
        return None
    version, rest = v.group(1), v.group(2).rstrip("/")
    lower = {k.lower(): val for k, val in headers.items()}
    if not lower.get("authorization", "").startswith("Bearer "):
        return _error(401, "InvalidAuthenticationToken", "Access token is empty.")
    prefix = f"/scenario/{scenario}" if scenario else ""
    # Graph's links are absolute; a server that does not pass Host gets endpoint-relative
    # ones, which the source also follows.
    host = lower.get("host")
    base = f"https://{host}{prefix}/{version}" if host else f"/{version}"
    tenant = TENANTS.get(scenario, TENANTS[""])
    if not tenant.has_pim and ("roleEligibilityScheduleInstances" in rest
                               or "eligibilityScheduleInstances" in rest):
        # A small business without Entra ID P2: PIM answers with the licence error
        # (code and message as Graph returns them).
        return _error(400, "AadPremiumLicenseRequired",
                      "The tenant needs to have Microsoft Entra ID P2 or Microsoft Entra ID "
                      "Governance license.")
    if scenario == "" and rest == "/policies/crossTenantAccessPolicy/partners" and host \
            and host not in _THROTTLED:
        # Throttled once per server: the engine waits Retry-After and asks again.
        _THROTTLED.add(host)
        return _error(429, "TooManyRequests", "Too many requests, retry after 1 second.",
                      {"Retry-After": "1"})
    if method.upper() == "POST" and rest == "/directoryObjects/getByIds":
        return _get_by_ids(tenant, body)
    if scenario == "noexpand":  # a Graph that ignores $expand: principals via getByIds
        query = {k: v for k, v in query.items() if k != "$expand"}
    if scenario == "nofilter" and "/roleManagement/" in rest:
        # a Graph that ignores $filter on role assignments: every row, every role
        return _route_roles_unfiltered(tenant, rest, base)
    if method.upper() == "GET":
        intune = _intune(tenant, version, rest, query, base)
        if intune is not None:
            return intune
    return _route(tenant, method.upper(), rest, query, base, lower)


def _route_roles_unfiltered(t: Tenant, rest: str, base: str
                            ) -> tuple[int, dict[str, str], bytes]:
    eligible = rest.endswith("roleEligibilityScheduleInstances")
    pairs = t.eligible if eligible else t.active
    return _collection(base, rest.strip("/"), [
        _assignment(n, pid, rid, t.objects, eligible) for n, (pid, rid) in enumerate(pairs)])


def _get_by_ids(t: Tenant, body: bytes) -> tuple[int, dict[str, str], bytes]:
    try:
        ids = json.loads(body or b"{}")["ids"]
    except (ValueError, KeyError, TypeError):
        return _error(400, "Request_BadRequest", "Send {\"ids\": [...]} as the JSON body.")
    return _json(200, {"value": [_default_view(t.objects[i]) for i in ids
                                 if i in t.objects]})


def _route(t: Tenant, method: str, rest: str, query: dict[str, list[str]], base: str,
           headers: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
    if method != "GET":
        return _error(405, "Request_BadRequest", "Method not allowed on the demo tenant.")
    if rest == "/organization":
        return _collection(base, "organization", [t.org])
    if rest == "/domains":
        return _paged(base, rest, "domains", t.domains, query, t.page_size)
    fed = re.fullmatch(r"/domains/([^/]+)/federationConfiguration", rest)
    if fed:
        name = fed.group(1).lower()
        if not any(d["id"] == name for d in t.domains):
            return _error(404, "Request_ResourceNotFound", f"Domain '{name}' not found.")
        return _collection(base, f"domains('{name}')/federationConfiguration",
                           t.federation.get(name, []))
    roles = re.fullmatch(r"/roleManagement/directory/(roleAssignments|"
                         r"roleEligibilityScheduleInstances)", rest)
    if roles:
        eligible = roles.group(1) != "roleAssignments"
        pairs = t.eligible if eligible else t.active
        wanted = re.fullmatch(r"roleDefinitionId eq '([0-9a-f-]+)'", _first(query, "$filter"))
        if not wanted:
            return _error(400, "BadRequest", "This demo answers a roleDefinitionId filter "
                          "only.")
        items = [_assignment(n, pid, rid, t.objects, eligible)
                 for n, (pid, rid) in enumerate(pairs) if rid == wanted.group(1)]
        if "principal" not in _first(query, "$expand"):
            for item in items:
                item.pop("principal")
        return _paged(base, rest, f"roleManagement/directory/{roles.group(1)}", items, query,
                      t.page_size)
    user = re.fullmatch(r"/users/([^/]+)", rest)
    if user:
        # GET /users/{id}?$select=... (user: get): the selected properties, null when
        # unset (https://learn.microsoft.com/graph/api/user-get)
        found = next((u for u in t.users if u["id"] == user.group(1)), None)
        if found is None:
            return _error(404, "Request_ResourceNotFound",
                          f"Resource '{user.group(1)}' does not exist or one of its queried "
                          "reference-property objects are not present.")
        selected = [k for k in _first(query, "$select").split(",") if k]
        view = ({k: found.get(k) for k in selected} if selected else _default_view(found))
        return _json(200, {"@odata.context": f"{base}/$metadata#users/$entity", **view})
    if rest == "/users":
        users = t.users
        if "userType eq 'Guest'" in _first(query, "$filter"):
            users = [u for u in users if u["userType"] == "Guest"]
        return _paged(base, rest, "users", users, query, t.page_size)
    if rest == "/servicePrincipals":
        return _paged(base, rest, "servicePrincipals",
                      [{k: v for k, v in sp.items() if k != "appRoles"} for sp in t.sps],
                      query, t.page_size)
    sp = re.fullmatch(r"/servicePrincipals/([^/]+)(/appRoleAssignments)?", rest)
    if sp:
        obj = next((s for s in t.sps if s["id"] == sp.group(1)), None)
        if obj is None:
            return _error(404, "Request_ResourceNotFound",
                          f"Resource '{sp.group(1)}' does not exist.")
        if sp.group(2):
            return _paged(base, rest, "appRoleAssignments", t.app_roles.get(obj["id"], []),
                          query, t.page_size)
        return _json(200, {"@odata.context": f"{base}/$metadata#servicePrincipals/$entity",
                           **obj})
    if rest == "/oauth2PermissionGrants":
        client = re.search(r"clientId eq '([^']+)'", _first(query, "$filter"))
        grants = t.grants.get(client.group(1), []) if client else [
            g for gs in t.grants.values() for g in gs]
        return _paged(base, rest, "oauth2PermissionGrants", grants, query, t.page_size)
    members = re.fullmatch(r"/groups/([^/]+)/(members|owners)", rest)
    if members:
        # group: list members / list owners (directoryObject collection, paged)
        source = t.group_members if members.group(2) == "members" else t.group_owners
        ids = source.get(members.group(1), [])
        return _paged(base, rest, "directoryObjects", [
            _default_view(t.objects[i]) for i in ids if i in t.objects], query, t.page_size)
    if rest == "/identityGovernance/privilegedAccess/group/eligibilityScheduleInstances":
        # privilegedAccessGroupEligibilityScheduleInstance (v1.0); groupId or principalId
        # filter required
        wanted = re.fullmatch(r"groupId eq '([0-9a-f-]+)'", _first(query, "$filter"))
        if not wanted:
            return _error(400, "BadRequest", "Filter on groupId or principalId is required.")
        gid = wanted.group(1)
        return _paged(base, rest, "identityGovernance/privilegedAccess/group/"
                      "eligibilityScheduleInstances", [
                          {"id": f"{gid[:8]}_{pid[-4:]}_{access}", "groupId": gid,
                           "principalId": pid, "accessId": access, "memberType": "direct",
                           "startDateTime": "2025-02-01T08:00:00Z", "endDateTime": None,
                           "eligibilityScheduleId": f"sched-{gid[:8]}-{pid[-4:]}"}
                          for pid, access in t.group_eligible.get(gid, [])],
                      query, t.page_size)
    if rest == "/identity/conditionalAccess/policies":
        return _paged(base, rest, "identity/conditionalAccess/policies", t.ca_policies,
                      query, t.page_size)
    if rest == "/policies/crossTenantAccessPolicy/partners":
        return _paged(base, rest, "policies/crossTenantAccessPolicy/partners", t.partners,
                      query, t.page_size)
    info = re.fullmatch(r"/tenantRelationships/findTenantInformationByTenantId"
                        r"\(tenantId='([0-9a-fA-F-]+)'\)", rest)
    if info:
        found = t.tenants.get(info.group(1).lower())
        if found is None:
            return _error(404, "Request_ResourceNotFound", "Tenant not found.")
        return _json(200, {"@odata.context": f"{base}/$metadata#microsoft.graph."
                           "tenantInformation", **found})
    return _error(404, "Request_UnsupportedQuery", f"Unsupported segment: {rest}")

