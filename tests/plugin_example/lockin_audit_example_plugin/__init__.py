"""An example plugin: flags inventory contracts whose provider is the outgoing MSP itself."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from lockin_audit.check import CheckContext, check
from lockin_audit.identity import IdKind
from lockin_audit.model import Asset, Finding, Severity


@check(
    id="example.contract.provider-is-msp",
    control="contract.holder",
    source="inventory",
    title="A contract whose supplier is the outgoing provider itself",
    severity=Severity.MEDIUM,
    risk="A service bought directly from the provider ends when the provider relationship "
    "ends, unless it is replaced in time.",
    remediation=("Find a replacement supplier before the notice date.",),
)
def provider_is_supplier(facts: Any, ctx: CheckContext) -> Iterator[Finding]:
    for contract in getattr(facts, "contracts", ()):
        who = ctx.attribute(IdKind.ORG_NAME, contract.provider, seen_in=f"contract {contract.id}")
        yield ctx.finding(asset=Asset("contract", contract.id), holder=who.holder,
                          detail=f"supplier: {contract.provider}")
