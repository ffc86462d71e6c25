"""Microsoft 365 checks from fact snapshots (no server): typed GraphFacts, round-tripped
through the snapshot codec, judged by the checks — Conditional Access exclusions and a
person attributed by every address."""

from __future__ import annotations

import datetime as dt
import json
from typing import TypeVar

from lockin_audit import registry
from lockin_audit.check import CheckContext
from lockin_audit.facts import Fetched, FetchError, fact_from_json, fact_to_json
from lockin_audit.identity import Identity
from lockin_audit.model import Asset, Finding, Holder, Status
from lockin_audit.sources.graph import (
    CaPolicy,
    GraphFacts,
    Partner,
    Principal,
    RoleHolder,
)
from lockin_audit.sources.interface import Target

TENANT = "c0ffee00-0000-4000-8000-000000000001"
PROVIDER_TENANT = "b0b5b0b5-0000-4000-8000-000000000002"
T = TypeVar("T")
NOT_READ = Fetched.failure(FetchError("graph", "GET https://graph.example/v1.0/x",
                                      "not needed here"))


def fetched(*items: T) -> Fetched[tuple[T, ...]]:
    return Fetched("graph", "GET https://graph.example/v1.0/x", items, "2026-12-06T00:00:00Z")


def facts(*, role_holders: Fetched[tuple[RoleHolder, ...]] | None = None,
          partners: Fetched[tuple[Partner, ...]] = NOT_READ,
          ca_policies: Fetched[tuple[CaPolicy, ...]] | None = None) -> GraphFacts:
    """The reads these tests give; the others not read (role holders and Conditional
    Access policies read empty)."""
    value = GraphFacts(tenant_id=TENANT, endpoint="https://graph.example",
                       organization=NOT_READ, domains=NOT_READ,
                       role_holders=fetched() if role_holders is None else role_holders,
                       eligible_holders=fetched(),
                       guests=NOT_READ, service_principals=NOT_READ, partners=partners,
                       ca_policies=fetched() if ca_policies is None else ca_policies)
    again = fact_from_json(json.loads(json.dumps(fact_to_json(value))))
    assert isinstance(again, GraphFacts) and again == value
    return again


def run(check_id: str, value: GraphFacts) -> list[Finding]:
    check = next(c for c in registry.all_checks() if c.id == check_id)
    identity = Identity.from_mappings(
        {"name": "Acme Dental LLC", "domains": ["acmedental.com"],
         "azure_tenant_ids": [TENANT]},
        [{"name": "Bob's IT Services", "aliases": ["BITS"], "domains": ["bobsit.example"],
          "azure_tenant_ids": [PROVIDER_TENANT]}])
    target = Target("graph", "m365", TENANT, "t", Asset("m365_tenant", TENANT))
    return check.run(value, CheckContext(check.meta, target, identity, dt.date(2026, 12, 6), {}))


MEMBER = Principal("u1", "user", "IT Support", "itsupport@acmedental.com",
                   "support@bobsit.example", "Member",
                   proxy_addresses=("SMTP:support@bobsit.example",))
OWN = Principal("u2", "user", "Owner", "owner@acmedental.com", "owner@acmedental.com",
                "Member")


def test_ca_exclusion_of_the_providers_tenant_and_mailbox_fails() -> None:
    policy = CaPolicy("p1", "Require MFA", "enabled", ("mfa",), include_users=("All",),
                      exclude_users=("u1", "u2"), exclude_guest_types=("serviceProvider",),
                      exclude_tenants_kind="enumerated", exclude_tenants=(PROVIDER_TENANT,),
                      excluded=(MEMBER, OWN))
    found = {f.key: f for f in run("m365.conditional_access.exclusions",
                                   facts(ca_policies=fetched(policy)))}
    assert found[f"tenant:{PROVIDER_TENANT}"].status is Status.FAIL
    member = found["exclude:u1"]
    assert (member.status, member.holder) == (Status.FAIL, Holder.PROVIDER)
    assert "Decided by its mail support@bobsit.example" in member.detail
    assert "exclude:u2" not in found  # the business's own account


def test_ca_unreadable_is_an_error_disabled_policy_is_not_judged() -> None:
    denied = FetchError("graph", "GET https://graph.example/v1.0/identity/conditionalAccess/"
                        "policies", "HTTP 403", kind="denied", permission="Policy.Read.All")
    [error] = run("m365.conditional_access.exclusions",
                  facts(ca_policies=Fetched.failure(denied)))
    assert error.status is Status.ERROR and "Policy.Read.All" in error.detail
    off = CaPolicy("p2", "Old", "disabled", ("block",), exclude_users=("u1",),
                   excluded=(MEMBER,))
    [summary] = run("m365.conditional_access.exclusions", facts(ca_policies=fetched(off)))
    assert summary.status is Status.PASS and "1 disabled ones not judged" in summary.detail


def test_member_ga_with_the_providers_mailbox_is_not_the_business_own() -> None:
    value = facts(role_holders=fetched(RoleHolder(MEMBER, "active")))
    found = {f.key: f for f in run("m365.admins.global_admins", value)}
    assert found["active"].status is Status.FAIL
    assert found["summary"].title == "No Global Administrator account belongs to the business"


def test_a_partner_whose_name_was_not_read_is_an_error_a_gone_tenant_is_not() -> None:
    from lockin_audit.sources.graph import TenantInfo

    lookup = "GET https://graph.example/v1.0/tenantRelationships/findTenantInformation"
    throttled = FetchError("graph", lookup, "still throttled after retries", kind="throttled")
    gone = FetchError("graph", lookup, "HTTP 404", kind="not_found")
    other = "0be00000-0000-4000-8000-000000000003"
    value = facts(partners=fetched(
        Partner(PROVIDER_TENANT, True, Fetched("graph", lookup, TenantInfo(
            "Bob's IT Services", "bobsit.onmicrosoft.com"))),
        Partner(other, False, Fetched.failure(throttled)),
        Partner("0be00000-0000-4000-8000-000000000004", False, Fetched.failure(gone))))
    found = run("m365.partner.relationships", value)
    provider = next(f for f in found if f.asset.id == PROVIDER_TENANT and not f.key)
    assert provider.status is Status.FAIL and "Bob's IT Services" in provider.detail
    [error] = [f for f in found if f.status is Status.ERROR]
    assert error.asset.id == other and "throttled" in error.detail
    unnamed = next(f for f in found if f.asset.id == other and not f.key)
    assert "Its name could not be read" in unnamed.detail
