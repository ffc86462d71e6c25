"""Checks judged from small fact snapshots, no server (issue 19 item 5).

Each case is a typed fact snapshot, round-tripped through the fact codec
(`lockin_audit.facts.fact_to_json` / `fact_from_json`, what `judge` replays), and the check
run on it: the failed read, the path not covered and the pass side by side. A pass names
its scope; a failed read is an error, never a pass.

How to add a check's test: build its source's frozen facts (optional fields left out as the
API leaves them out), run `judge(check_id, facts)`, assert the statuses.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from lockin_audit import catalogue, registry
from lockin_audit.check import Check, CheckContext
from lockin_audit.facts import FetchError, fact_from_json, fact_to_json
from lockin_audit.identity import Identity
from lockin_audit.model import Asset, Finding, Status
from lockin_audit.sources.google_api import Fetched
from lockin_audit.sources.gws import GwsDomain, GwsFacts, Tokens
from lockin_audit.sources.interface import Target

CLIENT = {"name": "Acme Dental LLC", "domains": ["acmedental.com", "acme-dental.net"]}
PROVIDER = {"name": "Bob's IT Services", "domains": ["bobsit.example"]}
NOW = "2026-12-01T00:00:00Z"


def check(check_id: str) -> Check:
    return next(c for c in registry.all_checks() if c.id == check_id)


def snapshot(facts: Any) -> Any:
    """The facts as a snapshot stores them, and back: a check sees what `judge` sees."""
    return fact_from_json(json.loads(json.dumps(fact_to_json(facts))))


def judge(check_id: str, facts: Any, others: dict[str, dict[str, Any]] | None = None
          ) -> list[Finding]:
    c = check(check_id)
    target = Target(c.meta.source, c.meta.area, "t", "t", Asset("x", "t"))
    ctx = CheckContext(c.meta, target, Identity.from_mappings(CLIENT, [PROVIDER]),
                       dt.date(2026, 12, 6), others or {})
    return c.run(snapshot(facts), ctx)


def listed(*items: Any) -> Fetched[Any]:
    return Fetched("gws", "GET admin/directory/v1/customer/C03az79cb/domains", NOW, items)


def workspace(domains: Fetched[GwsDomain] | FetchError) -> GwsFacts:
    empty = listed()
    return GwsFacts(customer_key="C03az79cb", subject=None,
                    customer=FetchError("gws", "customers.get", "not needed here"),
                    users=empty, roles=empty, assignments=empty, domains=domains,
                    tokens=Tokens(empty, (), ()), label="Acme")


def test_gws_domains_failed_read_unlisted_domain_and_pass_side_by_side() -> None:
    assert catalogue.paths_read_by("gws.domains.verified")
    denied = FetchError("gws", "domains.list", "403: Not Authorized to access this "
                        "resource/api", kind="denied")
    failed = judge("gws.domains.verified", workspace(denied))
    assert [f.status for f in failed] == [Status.ERROR]
    assert "403" in failed[0].detail

    # acme-dental.net is not in the account: not read there, so not a pass
    partial = judge("gws.domains.verified",
                    workspace(listed(GwsDomain("acmedental.com", True, True))))
    by_domain = {f.asset.id: f for f in partial}
    assert by_domain["acmedental.com"].status is Status.PASS
    assert by_domain["acme-dental.net"].status is not Status.PASS
    assert "verified in the business's Workspace" in by_domain["acmedental.com"].detail

    both = judge("gws.domains.verified", workspace(listed(
        GwsDomain("acmedental.com", True, True),
        GwsDomain("acme-dental.net", True, False, alias_of="acmedental.com"))))
    assert {f.status for f in both} == {Status.PASS}
