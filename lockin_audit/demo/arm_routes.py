"""Azure Resource Manager answers in the real REST shapes, for the demo and the tests.

`ArmData` holds what the client's sign-in can see; `handle(data, method, path, query)`
answers the ARM paths the azure source reads (subscriptions, role assignments and
definitions, classic administrators, Lighthouse registration assignments, resource
groups, resources, Partner Admin Link) and returns None for anything else. Paths are
matched case-insensitively, as ARM does. `faults` maps a lower-case path to an answer
(a 403 AuthorizationFailed, a 429 with Retry-After, broken JSON) for the tests.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

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


@dataclass
class ArmData:
    subscriptions: list[dict[str, Any]] = field(default_factory=list)
    role_assignments: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    classic_admins: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    registration_assignments: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    resource_groups: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    resources: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    partner: dict[str, Any] | None = None  # the Partner Admin Link of the signed-in identity
    faults: dict[str, tuple[int, dict[str, str], bytes]] = field(default_factory=dict)
    requests: list[tuple[str, str]] = field(default_factory=list)


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
                    role: str) -> dict[str, Any]:
    name = f"{n:08x}-0000-4000-8000-{n:012x}"
    scope = f"/subscriptions/{sub_id}"
    return {
        "id": f"{scope}/providers/Microsoft.Authorization/roleAssignments/{name}",
        "type": "Microsoft.Authorization/roleAssignments", "name": name,
        "properties": {
            "roleDefinitionId": f"{scope}/providers/Microsoft.Authorization/roleDefinitions/{role}",
            "principalId": principal, "principalType": principal_type, "scope": scope,
            "condition": None, "createdOn": "2023-04-03T09:00:00Z",
            "updatedOn": "2023-04-03T09:00:00Z", "createdBy": None, "updatedBy": None,
        },
    }


def lighthouse(sub_id: str, tenant: str, tenant_name: str, offer: str,
               authorizations: list[tuple[str, str, str]],
               eligible: list[tuple[str, str, str]] = ()) -> dict[str, Any]:  # type: ignore[assignment]
    scope = f"/subscriptions/{sub_id}"
    definition_id = "d3f1d3f1-0000-4000-8000-0000000000d1"
    return {
        "id": f"{scope}/providers/Microsoft.ManagedServices/registrationAssignments/"
              "a551a551-0000-4000-8000-0000000000a1",
        "type": "Microsoft.ManagedServices/registrationAssignments",
        "name": "a551a551-0000-4000-8000-0000000000a1",
        "properties": {
            "registrationDefinitionId": f"{scope}/providers/Microsoft.ManagedServices/"
                                        f"registrationDefinitions/{definition_id}",
            "provisioningState": "Succeeded",
            "registrationDefinition": {
                "id": f"{scope}/providers/Microsoft.ManagedServices/registrationDefinitions/"
                      f"{definition_id}",
                "type": "Microsoft.ManagedServices/registrationDefinitions",
                "name": definition_id,
                "properties": {
                    "registrationDefinitionName": offer,
                    "description": f"{tenant_name} managed services",
                    "managedByTenantId": tenant, "managedByTenantName": tenant_name,
                    "manageeTenantId": CLIENT_TENANT, "manageeTenantName": "Acme Dental LLC",
                    "provisioningState": "Succeeded",
                    "authorizations": [{"principalId": p, "principalIdDisplayName": d,
                                        "roleDefinitionId": r} for p, d, r in authorizations],
                    "eligibleAuthorizations": [{"principalId": p, "principalIdDisplayName": d,
                                                "roleDefinitionId": r}
                                               for p, d, r in eligible],
                },
            },
        },
    }


def demo_data() -> ArmData:
    data = ArmData()
    data.subscriptions = [
        subscription(CSP_SUBSCRIPTION, "Acme Dental - Production", CLIENT_TENANT,
                     "CSP_2015-05-01", managed_by=(PROVIDER_TENANT,)),
        subscription(DIRECT_SUBSCRIPTION, "Acme Dental - Imaging archive", CLIENT_TENANT,
                     "PayAsYouGo_2014-09-01"),
    ]
    data.role_assignments = {
        CSP_SUBSCRIPTION: [
            role_assignment(CSP_SUBSCRIPTION, 1, FOREIGN_GROUP_ID, "ForeignGroup", OWNER),
            role_assignment(CSP_SUBSCRIPTION, 2, graph_routes.CLIENT_ADMIN_ID, "User", OWNER),
            role_assignment(CSP_SUBSCRIPTION, 3, graph_routes.RMM_SP_ID, "ServicePrincipal",
                            CONTRIBUTOR),
            role_assignment(CSP_SUBSCRIPTION, 5, graph_routes.PROVIDER_ADMIN_ID, "User",
                            USER_ACCESS_ADMIN),
        ],
        DIRECT_SUBSCRIPTION: [
            role_assignment(DIRECT_SUBSCRIPTION, 4, graph_routes.CLIENT_ADMIN_ID, "User",
                            OWNER),
        ],
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
    data.registration_assignments = {
        CSP_SUBSCRIPTION: [lighthouse(
            CSP_SUBSCRIPTION, PROVIDER_TENANT, "Bob's IT Services", "BITS Managed Azure",
            [("b17500a0-0000-4000-8000-0000000000e1", "BITS Engineers", OWNER),
             ("b17500a0-0000-4000-8000-0000000000e2", "BITS Helpdesk", CONTRIBUTOR)],
            [("b17500a0-0000-4000-8000-0000000000e3", "BITS Escalation",
              USER_ACCESS_ADMIN)])],
        DIRECT_SUBSCRIPTION: [],
    }
    rg = f"/subscriptions/{CSP_SUBSCRIPTION}/resourceGroups"
    data.resource_groups = {
        CSP_SUBSCRIPTION: [
            {"id": f"{rg}/rg-practice", "name": "rg-practice", "location": "eastus",
             "type": "Microsoft.Resources/resourceGroups",
             "properties": {"provisioningState": "Succeeded"}, "tags": {"owner": "it"}},
            {"id": f"{rg}/mrg-bits-backup", "name": "mrg-bits-backup", "location": "eastus",
             "type": "Microsoft.Resources/resourceGroups",
             "managedBy": f"{rg}/rg-practice/providers/Microsoft.Solutions/applications/"
                          "bits-backup",
             "properties": {"provisioningState": "Succeeded"},
             "tags": {"managed-by": "<script>alert(1)</script>"}},
        ],
        DIRECT_SUBSCRIPTION: [],
    }
    data.resources = {
        CSP_SUBSCRIPTION: [
            {"id": f"{rg}/rg-practice/providers/Microsoft.Solutions/applications/bits-backup",
             "name": "bits-backup", "type": "Microsoft.Solutions/applications",
             "kind": "MarketPlace", "location": "eastus",
             "plan": {"name": "backup-standard", "publisher": "Bob's IT Services",
                      "product": "bits-backup", "version": "1.0.3"},
             "managedBy": None},
        ],
        DIRECT_SUBSCRIPTION: [],
    }
    data.partner = None  # the client's own reader identity has no Partner Admin Link
    return data


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


def handle(data: ArmData, method: str, path: str, query: dict[str, list[str]]
           ) -> tuple[int, dict[str, str], bytes] | None:
    lower = path.rstrip("/").lower()
    if not (lower.startswith("/subscriptions") or lower.startswith("/providers/")):
        return None
    data.requests.append((method, path))
    if lower in data.faults:
        return data.faults[lower]
    if method.upper() != "GET":
        return arm_error(405, "MethodNotAllowed", "the demo serves reads only")
    parts = lower.strip("/").split("/")
    if lower == "/providers/microsoft.managementpartner/partners":
        if data.partner is None:
            return arm_error(404, "PartnerNotFound", "No partner is linked to this identity.")
        return _ok(data.partner)
    if parts == ["subscriptions"]:
        return _ok({"value": data.subscriptions, "count": {"type": "Total",
                                                          "value": len(data.subscriptions)}})
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
        return _ok({"value": data.role_assignments.get(sid, [])})
    if rest == "providers/microsoft.authorization/roledefinitions":
        return _ok({"value": [
            {"id": f"/subscriptions/{sid}/providers/Microsoft.Authorization/roleDefinitions/{rid}",
             "name": rid, "type": "Microsoft.Authorization/roleDefinitions",
             "properties": {"roleName": name, "type": "BuiltInRole",
                            "assignableScopes": ["/"], "permissions": []}}
            for rid, name in BUILTIN_ROLES.items()]})
    if rest == "providers/microsoft.authorization/classicadministrators":
        return _ok({"value": data.classic_admins.get(sid, [])})
    if rest == "providers/microsoft.managedservices/registrationassignments":
        return _ok({"value": data.registration_assignments.get(sid, [])})
    if rest == "resourcegroups":
        return _ok({"value": data.resource_groups.get(sid, [])})
    if rest == "resources":
        return _ok({"value": data.resources.get(sid, [])})
    return arm_error(404, "NotFound", f"no route for {path}")
