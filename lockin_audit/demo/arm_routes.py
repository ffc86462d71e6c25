"""Azure Resource Manager answers in the real REST shapes, for the demo and the tests.

`ArmData` holds what the client's sign-in can see; `handle(data, method, path, query,
host)` answers the ARM paths the azure source reads (subscriptions, role assignments and
definitions, classic administrators, Lighthouse registration assignments and
definitions, resource groups, resources, managed applications, billing properties,
Partner Admin Link) and returns None for anything else. Paths are matched
case-insensitively, as ARM does.

Shapes follow the REST reference, not the parser:
- every list pages with an absolute `nextLink` (`page_size` items a page; the demo's
  role assignments span several pages);
- Lighthouse assignments carry only `registrationDefinitionId` unless
  `$expandRegistrationDefinition=true` is asked (Registration Assignments - List,
  https://learn.microsoft.com/rest/api/managedservices/registration-assignments/list);
  `expand_supported=False` plays an older API version that ignores the flag;
- role assignments list for a subscription returns assignments at, above (management
  group, root) and below (resource group) the subscription (Role Assignments - List For
  Subscription, https://learn.microsoft.com/rest/api/authorization/role-assignments/
  list-for-subscription); optional properties (condition, description, createdBy...) are
  omitted;
- `/resources` is the generic list (no `properties`); a managed application's
  `publisherTenantId` is only in `Microsoft.Solutions/applications` (Applications - List
  By Subscription, api-version 2019-07-01,
  https://learn.microsoft.com/rest/api/managedapplications/applications/list-by-subscription).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from lockin_audit.demo import graph_routes

CLIENT_TENANT = graph_routes.CLIENT_TENANT
PROVIDER_TENANT = graph_routes.PROVIDER_TENANT
OWNER = "8e3af657-a8ff-443c-a75c-2fe8c4bcb635"
CONTRIBUTOR = "b24988ac-6180-42a0-ab88-20f7382dd24c"
READER = "acdd72a7-3385-48ef-bd42-f606fba81ae7"
USER_ACCESS_ADMIN = "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9"
BUILTIN_ROLES = {OWNER: "Owner", CONTRIBUTOR: "Contributor", READER: "Reader",
                 USER_ACCESS_ADMIN: "User Access Administrator"}

CSP_SUBSCRIPTION = "5eb5c5b0-0000-4000-8000-000000000011"
DIRECT_SUBSCRIPTION = "5eb5d1e0-0000-4000-8000-000000000012"
PROVIDER_SUBSCRIPTION = "5eb5b0b5-0000-4000-8000-000000000013"  # in the provider's tenant
FOREIGN_GROUP_ID = "f0e1a000-0000-4000-8000-0000000000f1"  # the partner's AdminAgents
ROOT_MANAGEMENT_GROUP = f"/providers/Microsoft.Management/managementGroups/{CLIENT_TENANT}"
PRACTICE_RG = f"/subscriptions/{CSP_SUBSCRIPTION}/resourceGroups/rg-practice"
BITS_BACKUP_APP = f"{PRACTICE_RG}/providers/Microsoft.Solutions/applications/bits-backup"
PAGE_SIZE = 2


@dataclass
class ArmData:
    subscriptions: list[dict[str, Any]] = field(default_factory=list)
    role_assignments: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    classic_admins: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    registration_assignments: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    resource_groups: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    resources: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    registration_definitions: dict[str, dict[str, Any]] = field(default_factory=dict)
    applications: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    billing: dict[str, dict[str, Any]] = field(default_factory=dict)  # sub -> billingProperty
    partner: dict[str, Any] | None = None  # the Partner Admin Link of the signed-in identity
    page_size: int = PAGE_SIZE
    expand_supported: bool = True  # False: an API version that ignores $expand...
    # management groups as listed (id, type, name, properties), their parents (name ->
    # parent name; None: the tenant root group), the role assignments made at each
    # (name -> list), and PIM eligibility schedule instances by scope (lower-case scope ->
    # list; a subscription's list also returns those above and below it)
    management_groups: list[dict[str, Any]] = field(default_factory=list)
    mg_parents: dict[str, str | None] = field(default_factory=dict)
    mg_role_assignments: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    eligibility: dict[str, list[dict[str, Any]]] = field(default_factory=dict)


def subscription(sub_id: str, name: str, tenant: str, quota: str,
                 managed_by: tuple[str, ...] = ()) -> dict[str, Any]:
    return {
        "id": f"/subscriptions/{sub_id}", "authorizationSource": "RoleBased",
        "managedByTenants": [{"tenantId": t} for t in managed_by],
        "subscriptionId": sub_id, "tenantId": tenant, "displayName": name,
        "state": "Enabled",
        "subscriptionPolicies": {"locationPlacementId": "Public_2014-09-01",
                                 "quotaId": quota, "spendingLimit": "Off"},
    }


def role_assignment(sub_id: str, n: int, principal: str, principal_type: str,
                    role: str, scope: str | None = None) -> dict[str, Any]:
    """One role assignment as ARM lists it (api-version 2022-04-01). `scope` defaults to
    the subscription; a resource group, a management group or "/" is also possible. The
    role definition id is subscription-qualified for assignments at or below the
    subscription and tenant-level above it, as ARM returns them."""
    name = f"{n:08x}-0000-4000-8000-{n:012x}"
    scope = scope or f"/subscriptions/{sub_id}"
    definition_base = (f"/subscriptions/{sub_id}" if scope.startswith("/subscriptions/")
                       else "")
    return {
        "id": f"{scope.rstrip('/')}/providers/Microsoft.Authorization/roleAssignments/{name}",
        "type": "Microsoft.Authorization/roleAssignments", "name": name,
        "properties": {
            "roleDefinitionId": f"{definition_base}/providers/Microsoft.Authorization/"
                                f"roleDefinitions/{role}",
            "principalId": principal, "principalType": principal_type, "scope": scope,
            "createdOn": "2023-04-03T09:00:00Z", "updatedOn": "2023-04-03T09:00:00Z",
        },
    }


def management_group(name: str, display: str) -> dict[str, Any]:
    """A management group as Management Groups - List returns it (api-version
    2021-04-01, https://learn.microsoft.com/rest/api/managementgroups/management-groups/
    list): id, type, name and properties.tenantId/displayName only."""
    return {"id": f"/providers/Microsoft.Management/managementGroups/{name}",
            "type": "Microsoft.Management/managementGroups", "name": name,
            "properties": {"tenantId": CLIENT_TENANT, "displayName": display}}


def eligibility(scope: str, n: int, principal: str, principal_type: str, role: str, *,
                end: str | None = None, expanded: dict[str, Any] | None = None
                ) -> dict[str, Any]:
    """A PIM role eligibility schedule instance as ARM lists it (api-version 2020-10-01,
    Role Eligibility Schedule Instances - List For Scope,
    https://learn.microsoft.com/rest/api/authorization/role-eligibility-schedule-instances/
    list-for-scope). endDateTime is absent for a permanent eligibility; condition and
    expandedProperties are optional."""
    name = f"e1e1{n:04x}-0000-4000-8000-{n:012x}"
    definition_base = (scope.split("/providers/", 1)[0] if scope.startswith("/subscriptions/")
                       else "")
    props: dict[str, Any] = {
        "scope": scope,
        "roleDefinitionId": f"{definition_base}/providers/Microsoft.Authorization/"
                            f"roleDefinitions/{role}",
        "principalId": principal, "principalType": principal_type,
        "roleEligibilityScheduleId": f"{scope}/providers/Microsoft.Authorization/"
                                     f"roleEligibilitySchedules/{name}",
        "status": "Provisioned", "startDateTime": "2025-03-01T08:00:00.000Z",
        "memberType": "Direct", "createdOn": "2025-03-01T08:00:00.000Z"}
    if end:
        props["endDateTime"] = end
    if expanded:
        props["expandedProperties"] = expanded
    return {"id": f"{scope}/providers/Microsoft.Authorization/"
                  f"roleEligibilityScheduleInstances/{name}",
            "name": name, "type": "Microsoft.Authorization/roleEligibilityScheduleInstances",
            "properties": props}


def lighthouse(sub_id: str, tenant: str, tenant_name: str | None, offer: str,
               authorizations: list[tuple[str, str | None, str]],
               eligible: list[tuple[str, str | None, str]] = (),  # type: ignore[assignment]
               *, scope: str | None = None, n: int = 1) -> tuple[dict[str, Any],
                                                                  dict[str, Any]]:
    """(assignment, definition) as the Lighthouse API returns them. The definition is
    only embedded in the assignment when the list asks for it ($expandRegistrationDefinition).
    `principalIdDisplayName` and `managedByTenantName` are optional in the reference:
    pass None to omit them."""
    scope = scope or f"/subscriptions/{sub_id}"
    definition_id = f"d3f1d3f1-0000-4000-8000-{n:012x}"
    assignment_id = f"a551a551-0000-4000-8000-{n:012x}"
    definition_path = (f"/subscriptions/{sub_id}/providers/Microsoft.ManagedServices/"
                       f"registrationDefinitions/{definition_id}")

    def auth(p: str, d: str | None, r: str) -> dict[str, Any]:
        out = {"principalId": p, "roleDefinitionId": r}
        if d is not None:
            out["principalIdDisplayName"] = d
        return out

    props: dict[str, Any] = {
        "registrationDefinitionName": offer, "description": f"{offer} managed services",
        "managedByTenantId": tenant, "manageeTenantId": CLIENT_TENANT,
        "manageeTenantName": "Acme Dental LLC", "provisioningState": "Succeeded",
        "authorizations": [auth(*a) for a in authorizations]}
    if tenant_name is not None:
        props["managedByTenantName"] = tenant_name
    if eligible:
        props["eligibleAuthorizations"] = [auth(*a) for a in eligible]
    definition = {"id": definition_path, "type": "Microsoft.ManagedServices/"
                  "registrationDefinitions", "name": definition_id, "properties": props}
    assignment = {
        "id": f"{scope}/providers/Microsoft.ManagedServices/registrationAssignments/"
              f"{assignment_id}",
        "type": "Microsoft.ManagedServices/registrationAssignments", "name": assignment_id,
        "properties": {"registrationDefinitionId": definition_path,
                       "provisioningState": "Succeeded"},
    }
    return assignment, definition


def managed_application(app_id: str, publisher_tenant: str | None, managed_rg: str,
                        plan_publisher: str | None) -> dict[str, Any]:
    """A managed application as Microsoft.Solutions/applications lists it (2019-07-01).
    `plan.publisher` is the marketplace publisher id, not a display name."""
    props: dict[str, Any] = {"managedResourceGroupId": managed_rg,
                             "provisioningState": "Succeeded"}
    if publisher_tenant:
        props["publisherTenantId"] = publisher_tenant
    out: dict[str, Any] = {"id": app_id, "name": app_id.rsplit("/", 1)[-1],
                           "type": "Microsoft.Solutions/applications",
                           "location": "eastus", "kind": "MarketPlace", "properties": props}
    if plan_publisher:
        out["plan"] = {"name": "backup-standard", "publisher": plan_publisher,
                       "product": "bits-backup", "version": "1.0.3"}
    return out


def demo_data() -> ArmData:
    data = ArmData()
    data.subscriptions = [
        subscription(CSP_SUBSCRIPTION, "Acme Dental - Production", CLIENT_TENANT,
                     "CSP_2015-05-01", managed_by=(PROVIDER_TENANT,)),
        subscription(DIRECT_SUBSCRIPTION, "Acme Dental - Imaging archive", CLIENT_TENANT,
                     "PayAsYouGo_2014-09-01"),
    ]
    g = graph_routes
    data.role_assignments = {
        CSP_SUBSCRIPTION: [
            role_assignment(CSP_SUBSCRIPTION, 1, FOREIGN_GROUP_ID, "ForeignGroup", OWNER),
            role_assignment(CSP_SUBSCRIPTION, 2, g.CLIENT_ADMIN_ID, "User", OWNER),
            role_assignment(CSP_SUBSCRIPTION, 3, g.RMM_SP_ID, "ServicePrincipal",
                            CONTRIBUTOR),
            role_assignment(CSP_SUBSCRIPTION, 5, g.PROVIDER_ADMIN_ID, "User",
                            USER_ACCESS_ADMIN),
            # the provider's member account in the business's own directory, on one
            # resource group only
            role_assignment(CSP_SUBSCRIPTION, 6, g.BITS_MEMBER_ID, "User", CONTRIBUTOR,
                            scope=PRACTICE_RG),
            # inherited from the root management group: the business's break-glass
            role_assignment(CSP_SUBSCRIPTION, 7, g.BREAKGLASS_ID, "User", OWNER,
                            scope=ROOT_MANAGEMENT_GROUP),
            # a group of the business's directory named after the provider
            role_assignment(CSP_SUBSCRIPTION, 8, g.BITS_GROUP_ID, "Group", READER),
        ],
        DIRECT_SUBSCRIPTION: [
            role_assignment(DIRECT_SUBSCRIPTION, 4, g.CLIENT_ADMIN_ID, "User", OWNER),
            role_assignment(DIRECT_SUBSCRIPTION, 9, g.BREAKGLASS_ID, "User", OWNER,
                            scope=ROOT_MANAGEMENT_GROUP),
        ],
    }
    # Management groups: the tenant root group and "Acme Production" under it, holding
    # both subscriptions. The business's break-glass is Owner at the root; the provider's
    # technician (a guest from the provider's onmicrosoft.com tenant) is Owner of Acme
    # Production. A subscription's role assignment list includes those inherited.
    data.management_groups = [management_group(CLIENT_TENANT, "Tenant Root Group"),
                              management_group("acme-production", "Acme Production")]
    data.mg_parents = {CLIENT_TENANT: None, "acme-production": CLIENT_TENANT}
    production = "/providers/Microsoft.Management/managementGroups/acme-production"
    data.mg_role_assignments = {
        CLIENT_TENANT: [role_assignment(CSP_SUBSCRIPTION, 7, g.BREAKGLASS_ID, "User", OWNER,
                                        scope=ROOT_MANAGEMENT_GROUP)],
        "acme-production": [role_assignment(CSP_SUBSCRIPTION, 10, g.PROVIDER_TECH_ID, "User",
                                            OWNER, scope=production)],
    }
    for sid in (CSP_SUBSCRIPTION, DIRECT_SUBSCRIPTION):
        data.role_assignments[sid].append(role_assignment(
            sid, 10, g.PROVIDER_TECH_ID, "User", OWNER, scope=production))
    # PIM: the provider's helpdesk guest is eligible for Owner of the CSP subscription
    csp = f"/subscriptions/{CSP_SUBSCRIPTION}"
    data.eligibility = {
        # ...and its admin guest is eligible for Contributor on one resource group
        # (a subscription's list also returns the eligibilities below it)
        csp.lower(): [eligibility(PRACTICE_RG, 2, g.PROVIDER_ADMIN_ID, "User", CONTRIBUTOR,
                                  end="2027-06-30T00:00:00.000Z"),
                      eligibility(csp, 1, g.PROVIDER_HELPDESK_ID, "User", OWNER,
                                  expanded={"principal": {
                                      "id": g.PROVIDER_HELPDESK_ID,
                                      "displayName": "BITS Helpdesk",
                                      "email": "helpdesk@bobsit.example", "type": "User"}})],
        f"/subscriptions/{DIRECT_SUBSCRIPTION}".lower(): [],
    }
    data.classic_admins = {
        CSP_SUBSCRIPTION: [{
            "id": f"/subscriptions/{CSP_SUBSCRIPTION}/providers/Microsoft.Authorization/"
                  "classicAdministrators/admin@bobsit.example",
            "name": "admin@bobsit.example",
            "type": "Microsoft.Authorization/classicAdministrators",
            "properties": {"emailAddress": "admin@bobsit.example",
                           "role": "ServiceAdministrator;AccountAdministrator"}}],
        DIRECT_SUBSCRIPTION: [],
    }
    sub_offer, sub_def = lighthouse(
        CSP_SUBSCRIPTION, PROVIDER_TENANT, "Bob's IT Services", "BITS Managed Azure",
        [("b17500a0-0000-4000-8000-0000000000e1", "BITS Engineers", OWNER),
         ("b17500a0-0000-4000-8000-0000000000e2", "BITS Helpdesk", CONTRIBUTOR)],
        [("b17500a0-0000-4000-8000-0000000000e3", None, USER_ACCESS_ADMIN)])
    rg_offer, rg_def = lighthouse(
        CSP_SUBSCRIPTION, PROVIDER_TENANT, None, "BITS Backup Operators",
        [("b17500a0-0000-4000-8000-0000000000e4", None, CONTRIBUTOR)],
        scope=PRACTICE_RG, n=2)
    data.registration_assignments = {CSP_SUBSCRIPTION: [sub_offer, rg_offer],
                                     DIRECT_SUBSCRIPTION: []}
    data.registration_definitions = {d["id"].lower(): d for d in (sub_def, rg_def)}
    rg = f"/subscriptions/{CSP_SUBSCRIPTION}/resourceGroups"
    data.resource_groups = {
        CSP_SUBSCRIPTION: [
            {"id": PRACTICE_RG, "name": "rg-practice", "location": "eastus",
             "type": "Microsoft.Resources/resourceGroups",
             "properties": {"provisioningState": "Succeeded"}, "tags": {"owner": "it"}},
            {"id": f"{rg}/mrg-bits-backup", "name": "mrg-bits-backup", "location": "eastus",
             "type": "Microsoft.Resources/resourceGroups", "managedBy": BITS_BACKUP_APP,
             "properties": {"provisioningState": "Succeeded"},
             "tags": {"managed-by": "<script>alert(1)</script>"}},
            {"id": f"{rg}/rg-imaging", "name": "rg-imaging", "location": "eastus",
             "type": "Microsoft.Resources/resourceGroups",
             "properties": {"provisioningState": "Succeeded"}},
        ],
        DIRECT_SUBSCRIPTION: [],
    }
    vm = f"{PRACTICE_RG}/providers/Microsoft.Compute/virtualMachines/SimpleWinVM"
    data.resources = {
        CSP_SUBSCRIPTION: [
            # the generic list: no properties, so no publisher tenant
            {"id": BITS_BACKUP_APP, "name": "bits-backup",
             "type": "Microsoft.Solutions/applications", "kind": "MarketPlace",
             "location": "eastus",
             "plan": {"name": "backup-standard", "publisher": "bobsit-marketplace",
                      "product": "bits-backup", "version": "1.0.3"}},
            {"id": vm, "name": "SimpleWinVM", "type": "Microsoft.Compute/virtualMachines",
             "location": "eastus"},
            # a disk is managed by the business's own virtual machine: not an application
            {"id": f"{PRACTICE_RG}/providers/Microsoft.Compute/disks/SimpleWinVM_OsDisk_1",
             "name": "SimpleWinVM_OsDisk_1", "type": "Microsoft.Compute/disks",
             "location": "eastus", "managedBy": vm,
             "sku": {"name": "Premium_LRS", "tier": "Premium"}},
        ],
        DIRECT_SUBSCRIPTION: [],
    }
    data.applications = {
        CSP_SUBSCRIPTION: [managed_application(BITS_BACKUP_APP, PROVIDER_TENANT,
                                               f"{rg}/mrg-bits-backup",
                                               "bobsit-marketplace")],
        DIRECT_SUBSCRIPTION: [],
    }
    # Billing properties are readable only with a billing role: the CSP subscription's
    # answer is a 403 (the demo's reader has none there); the direct one is readable.
    data.billing = {
        DIRECT_SUBSCRIPTION: billing_property(
            DIRECT_SUBSCRIPTION, "MicrosoftOnlineServicesProgram", "Acme Dental LLC",
            CLIENT_TENANT, admin_email="billing@acmedental.com"),
    }
    data.partner = None  # the client's own reader identity has no Partner Admin Link
    return data


def billing_property(sub_id: str, agreement: str, account_name: str,
                     billing_tenant: str | None, *, admin_email: str | None = None
                     ) -> dict[str, Any]:
    """GET /subscriptions/{id}/providers/Microsoft.Billing/billingProperty/default
    (api-version 2020-05-01, Billing Property - Get,
    https://learn.microsoft.com/rest/api/billing/billing-property/get); the optional
    properties are omitted when not given."""
    props: dict[str, Any] = {
        "billingAccountAgreementType": agreement,
        "billingAccountDisplayName": account_name,
        "billingAccountId": "/providers/Microsoft.Billing/billingAccounts/0000000000",
        "billingProfileDisplayName": account_name, "productName": "Azure subscription"}
    if billing_tenant:
        props["billingTenantId"] = billing_tenant
    if admin_email:
        props["accountAdminNotificationEmailAddress"] = admin_email
    return {"id": f"/subscriptions/{sub_id}/providers/Microsoft.Billing/billingProperty/"
                  "default", "name": "default",
            "type": "Microsoft.Billing/billingProperty", "properties": props}


def arm_error(status: int, code: str, message: str,
              headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    return status, {"Content-Type": "application/json", **(headers or {})}, json.dumps(
        {"error": {"code": code, "message": message}}).encode()


def denied(action: str, scope: str) -> tuple[int, dict[str, str], bytes]:
    return arm_error(403, "AuthorizationFailed",
                     "The client 'reader@acmedental.com' with object id "
                     f"'{graph_routes.CLIENT_ADMIN_ID}' does not have authorization to perform "
                     f"action '{action}' over scope '{scope}' or the scope is invalid. If "
                     "access was recently granted, please refresh your credentials.")


def _ok(body: Any) -> tuple[int, dict[str, str], bytes]:
    return 200, {"Content-Type": "application/json"}, json.dumps(body).encode()


def _page(data: ArmData, items: list[dict[str, Any]], path: str,
          query: dict[str, list[str]], host: str) -> tuple[int, dict[str, str], bytes]:
    """One page of a list with an absolute nextLink (ARM's shape; the SDK pagers follow
    it as given)."""
    skip = int((query.get("$skiptoken") or ["0"])[0] or 0)
    size = max(1, data.page_size)
    body: dict[str, Any] = {"value": items[skip:skip + size]}
    if skip + size < len(items):
        keep = {k: v[0] for k, v in query.items() if k != "$skiptoken" and v}
        keep["$skiptoken"] = str(skip + size)
        base = f"https://{host}" if host else ""
        body["nextLink"] = f"{base}{path}?{urlencode(keep)}"
    return _ok(body)


def _flag(query: dict[str, list[str]], key: str) -> bool:
    return any(v.lower() == "true" for v in query.get(key, []))


def handle(data: ArmData, method: str, path: str, query: dict[str, list[str]],
           host: str = "") -> tuple[int, dict[str, str], bytes] | None:
    lower = path.rstrip("/").lower()
    if not (lower.startswith("/subscriptions") or lower.startswith("/providers/")):
        return None
    if method.upper() != "GET":
        return arm_error(405, "MethodNotAllowed", "the demo serves reads only")
    parts = lower.strip("/").split("/")
    if lower == "/providers/microsoft.managementpartner/partners":
        if data.partner is None:
            return arm_error(404, "PartnerNotFound", "No partner is linked to this identity.")
        return _ok(data.partner)
    if parts == ["subscriptions"]:
        return _page(data, data.subscriptions, path, query, host)
    if parts[:3] == ["providers", "microsoft.management", "managementgroups"]:
        return _management_groups(data, parts[3:], path, query, host)
    if len(parts) < 2:
        return None
    sub = next((s for s in data.subscriptions if s["subscriptionId"] == parts[1]), None)
    if sub is None:
        return arm_error(404, "SubscriptionNotFound",
                         f"The subscription '{parts[1]}' could not be found.")
    sid = sub["subscriptionId"]
    rest = "/".join(parts[2:])
    if rest == "":
        return _ok(sub)
    if rest == "providers/microsoft.authorization/roleassignments":
        return _page(data, data.role_assignments.get(sid, []), path, query, host)
    if rest == "providers/microsoft.authorization/roleeligibilityscheduleinstances":
        return _page(data, data.eligibility.get(f"/subscriptions/{sid}".lower(), []), path, query,
                     host)
    if rest == "providers/microsoft.authorization/roledefinitions":
        return _page(data, [
            {"id": f"/subscriptions/{sid}/providers/Microsoft.Authorization/roleDefinitions/{rid}",
             "name": rid, "type": "Microsoft.Authorization/roleDefinitions",
             "properties": {"roleName": name, "type": "BuiltInRole",
                            "assignableScopes": ["/"], "permissions": []}}
            for rid, name in BUILTIN_ROLES.items()], path, query, host)
    if rest == "providers/microsoft.authorization/classicadministrators":
        return _page(data, data.classic_admins.get(sid, []), path, query, host)
    if rest == "providers/microsoft.managedservices/registrationassignments":
        items = data.registration_assignments.get(sid, [])
        if data.expand_supported and _flag(query, "$expandRegistrationDefinition"):
            items = [_expanded(data, a) for a in items]
        return _page(data, items, path, query, host)
    if rest.startswith("providers/microsoft.managedservices/registrationdefinitions/"):
        definition = data.registration_definitions.get(lower)
        if definition is None:
            return arm_error(404, "RegistrationDefinitionNotFound",
                             "The registration definition could not be found.")
        return _ok(definition)
    if rest == "resourcegroups":
        return _page(data, data.resource_groups.get(sid, []), path, query, host)
    if rest == "resources":
        return _page(data, data.resources.get(sid, []), path, query, host)
    if rest == "providers/microsoft.solutions/applications":
        return _page(data, data.applications.get(sid, []), path, query, host)
    if rest == "providers/microsoft.billing/billingproperty/default":
        found = data.billing.get(sid)
        if found is None:
            return denied("Microsoft.Billing/billingProperty/read", f"/subscriptions/{sid}")
        return _ok(found)
    return arm_error(404, "NotFound", f"no route for {path}")


def _management_groups(data: ArmData, parts: list[str], path: str,
                       query: dict[str, list[str]], host: str
                       ) -> tuple[int, dict[str, str], bytes]:
    """Management Groups - List and Get (details.parent: null for the root group), and
    the role assignments / eligibility instances at a group with $filter=atScope(): those
    at the group and above it, the tenant root scope "/" included."""
    if not parts:
        return _page(data, data.management_groups, path, query, host)
    by_name = {g["name"].lower(): g for g in data.management_groups}
    group = by_name.get(parts[0])
    if group is None:
        return arm_error(404, "NotFound", f"'{parts[0]}' management group not found")
    rest = "/".join(parts[1:])
    if rest == "":
        parent = data.mg_parents.get(group["name"])
        parent_obj = None if parent is None else {
            "id": f"/providers/Microsoft.Management/managementGroups/{parent}",
            "name": parent, "displayName": by_name[parent.lower()]["properties"]["displayName"]}
        return _ok({**group, "properties": {**group["properties"], "details": {
            "version": 1, "updatedTime": "2024-01-10T09:00:00Z",
            "updatedBy": graph_routes.CLIENT_ADMIN_ID, "parent": parent_obj}}})
    chain: list[str] = []
    name: str | None = group["name"]
    while name is not None and name not in chain:
        chain.append(name)
        name = data.mg_parents.get(name)
    if rest == "providers/microsoft.authorization/roleassignments":
        return _page(data, [ra for n in chain for ra in data.mg_role_assignments.get(n, [])],
                     path, query, host)
    if rest == "providers/microsoft.authorization/roleeligibilityscheduleinstances":
        scopes = [f"/providers/microsoft.management/managementgroups/{n}".lower()
                  for n in chain] + ["/"]
        return _page(data, [e for sc in scopes for e in data.eligibility.get(sc, [])],
                     path, query, host)
    return arm_error(404, "NotFound", f"no route for {path}")


def _expanded(data: ArmData, assignment: dict[str, Any]) -> dict[str, Any]:
    props = assignment["properties"]
    definition = data.registration_definitions.get(props["registrationDefinitionId"].lower())
    if definition is None:
        return assignment
    return {**assignment, "properties": {**props, "registrationDefinition": definition}}
