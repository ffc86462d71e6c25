"""Devices (control devices.mdm): the Apple and Android bindings Intune relies on.

The Apple MDM push certificate, the Apple Business Manager enrollment (ADE/DEP) tokens, the
Apple VPP tokens and the managed Google Play binding are each created with one outside
account (an Apple ID, a Google account). Whoever holds that account renews them; when it
is the provider's, the business cannot renew after the provider leaves and must re-enroll
every device (or re-buy the apps). The holder is judged by the account's domain; the
expiry is the finding's due date (the plan's step and the calendar event).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from lockin_audit.check import CheckContext, check
from lockin_audit.facts import Fetched
from lockin_audit.identity import Attribution, IdKind
from lockin_audit.microsoft_identity import attribute_address, sentence
from lockin_audit.model import Asset, Finding, Holder, Severity, Status
from lockin_audit.sources.graph import GRAPH, guest_email_from_upn
from lockin_audit.sources.intune import DeviceBinding, IntuneFacts, evidence

# What each binding is, in the owner's words, and what losing it costs.
WHAT: dict[str, tuple[str, str, str, Severity]] = {
    # kind: (name, the account's name, the cost when it cannot be renewed, severity)
    "apple_push_certificate": (
        "the Apple MDM push certificate", "Apple ID",
        "every enrolled iPhone, iPad and Mac stops taking commands and must be re-enrolled "
        "by hand (a visit to each device)", Severity.CRITICAL),
    "apple_enrollment_token": (
        "the Apple Business Manager enrollment token (automated device enrollment)",
        "Apple ID", "new and wiped Apple devices no longer enroll themselves, and the "
        "devices stay assigned to the provider's Apple Business Manager", Severity.HIGH),
    "apple_vpp_token": (
        "the Apple Volume Purchase (VPP) token", "Apple ID",
        "the app licences bought through it stay in the provider's Apple account and the "
        "apps must be bought again", Severity.HIGH),
    "android_enterprise": (
        "the managed Google Play (Android Enterprise) binding", "Google account",
        "managed Android devices and their work apps must be unenrolled and enrolled "
        "again under a new binding", Severity.HIGH),
}
READ_LABEL = {
    "apple_push_certificate": "the Apple MDM push certificate",
    "apple_enrollment_token": "Apple enrollment (ADE/DEP) tokens",
    "apple_vpp_token": "Apple VPP tokens",
    "android_enterprise": "the Android Enterprise binding",
}
FIELD_KIND = {"apple_push_certificate": "apple_push_certificate",
              "apple_enrollment_tokens": "apple_enrollment_token",
              "apple_vpp_tokens": "apple_vpp_token",
              "android_enterprise": "android_enterprise"}
SOON_DAYS = 30  # a certificate of the business's own expiring sooner is a warning


def _asset(facts: IntuneFacts, b: DeviceBinding) -> Asset:
    name, _, _, _ = WHAT[b.kind]
    label = name[4:] if name.startswith("the ") else name
    if b.name and b.kind != "apple_push_certificate":
        label += f" '{b.name}'"
    return Asset(f"intune_{b.kind}", f"{facts.tenant_id}/{b.kind}/{b.id}", label)


def _holder(ctx: CheckContext, account: str | None, own: frozenset[str],
            seen_in: str) -> Attribution:
    if not account:
        return Attribution(Holder.UNKNOWN, None, IdKind.EMAIL, "",
                           "the answer names no account", 0.0)
    if "@" not in account:
        return Attribution(Holder.UNKNOWN, None, IdKind.EMAIL, account,
                           f"{account} is not an address whose domain can be judged", 0.0)
    home = guest_email_from_upn(account)
    if home:  # an invited admin's sign-in name: its home address says whose it is
        found = attribute_address(ctx, home, own, seen_in)
        return Attribution(found.holder, found.party, found.kind, found.value,
                           f"{account} is a guest account whose home address is {home}: "
                           f"{found.reason}", found.confidence, found.category)
    found = attribute_address(ctx, account, own, seen_in)
    if found.holder is Holder.THIRD_PARTY:
        # an Apple ID at icloud.com or a gmail.com Google account is someone's personal
        # account, not the mail provider's
        return Attribution(Holder.UNKNOWN, None, found.kind, found.value,
                           f"{account} is a personal account at a public mail service: "
                           "whose person it is cannot be told from it", 0.0)
    return found


def _expiry_words(b: DeviceBinding, today: dt.date) -> str:
    when = b.expiry_date
    if when is None:
        return " No expiry date is reported."
    days = (when - today).days
    if days < 0:
        return f" It expired on {when.isoformat()} ({-days} days ago)."
    return f" It expires on {when.isoformat()} (in {days} days)."


@check(
    id="devices.mdm.apple-android-bindings",
    control="devices.mdm",
    source="intune",
    severity=Severity.CRITICAL,
    needs=(GRAPH,),
)
def apple_android_bindings(facts: IntuneFacts, ctx: CheckContext) -> Iterator[Finding]:
    graph = ctx.dependency(GRAPH, ctx.target.id)
    own = graph.ok.own_domains() if not graph.error else frozenset()
    today = ctx.today  # the scan's day (a replayed snapshot is judged on its own day)
    for field, fetched in facts.bindings():
        kind = FIELD_KIND[field]
        if fetched.error:
            yield ctx.error(facts.asset, fetched.error, key=f"{kind}:unreadable",
                            title=f"Not assessed: {READ_LABEL[kind]} in Intune")
            continue
        if not fetched.ok:
            yield ctx.finding(
                asset=facts.asset, holder=Holder.CLIENT, status=Status.PASS,
                severity=Severity.INFO, key=f"{kind}:none",
                detail=f"Intune lists no {READ_LABEL[kind].removeprefix('the ')} "
                       f"({fetched.note or 'none listed'}): nothing of this kind ties the "
                       "devices to an outside account in Intune.",
                evidence=[fetched.evidence({"value": [], **(
                    {"note": fetched.note} if fetched.note else {})})])
            continue
        for b in fetched.ok:
            yield _binding_finding(ctx, facts, fetched, b, own, today)


def _binding_finding(ctx: CheckContext, facts: IntuneFacts,
                     fetched: Fetched[tuple[DeviceBinding, ...]], b: DeviceBinding,
                     own: frozenset[str],
                     today: dt.date) -> Finding:
    name, account_name, cost, severity = WHAT[b.kind]
    who = _holder(ctx, b.account, own, f"{account_name} of {name} in tenant {facts.tenant_id}")
    account = b.account or "an account the answer does not name"
    extra = []
    if b.organization:
        extra.append(f"organisation {b.organization}")
    if b.devices is not None:
        extra.append(f"{b.devices} device(s) synced")
    if b.state:
        extra.append(f"state {b.state}")
    more = f" ({'; '.join(extra)})" if extra else ""
    detail = (f"{name[:1].upper()}{name[1:]} was created with the {account_name} "
              f"{account}{more}.{_expiry_words(b, today)} {sentence(who.reason)}")
    due = b.expiry_date
    if who.holder is Holder.PROVIDER:
        status = Status.FAIL
        detail += (f" Only the provider can renew it: if it is not transferred or "
                   f"re-created under the business's own {account_name}"
                   + (f" before {due.isoformat()}" if due else "")
                   + f", {cost}.")
    elif who.holder is Holder.CLIENT:
        soon = due is not None and (due - today).days <= SOON_DAYS
        status = Status.WARN if soon else Status.PASS
        severity = Severity.MEDIUM if soon else Severity.INFO
        if soon:
            detail += " Renew it before that date with the same account."
        else:
            due = None  # the business's own, not due soon: no deadline to act on
    else:
        status = Status.WARN
        severity = Severity.HIGH if severity is Severity.CRITICAL else Severity.MEDIUM
        detail += (f" Find out whose {account_name} this is before "
                   f"{due.isoformat() if due else 'the provider leaves'}: if it is not the "
                   f"business's, {cost}.")
    return ctx.finding(asset=_asset(facts, b), holder=who.holder, status=status,
                       severity=severity, detail=detail, due=due, key=b.kind,
                       evidence=[evidence(fetched, b)])
