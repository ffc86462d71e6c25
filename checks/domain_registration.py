"""Who holds each domain's registration, and when it expires (from RDAP)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator

from lockin_audit.check import CheckContext, check, deadline_band, worst_holder
from lockin_audit.identity import Attribution, IdKind
from lockin_audit.model import Asset, Finding, Holder, Severity, Status, human_date
from lockin_audit.sources.rdap import RdapDomainFacts, RdapEntity

EXPIRY_WARN_DAYS = 60
EXPIRY_CRITICAL_DAYS = 30
# EPP statuses (RFC 5731, RFC 3915) that mean the domain is, or is about to be, offline.
DANGER_STATUSES = ("client hold", "server hold", "redemption period", "pending delete",
                   "pending restore")
# Where to look a domain up when its registry has no RDAP service.
WHOIS_HINTS = {
    "de": "DENIC's domain query at https://www.denic.de/en/whois-service/ (or `whois -h "
          "whois.denic.de`); DENIC shows little for private holders, so ask the registrar "
          "(the provider's reseller, often) for the holder ('Domaininhaber') record",
    "es": "Red.es at https://www.dominios.es/",
    "it": "Registro .it at https://www.nic.it/ (`whois -h whois.nic.it`)",
    "au": "auDA's lookup at https://whois.auda.org.au/",
    "jp": "JPRS at https://whois.jprs.jp/",
}


def _tidy(text: str) -> str:
    """No doubled full stop where a name ending in one ends a sentence ("Inc..")."""
    return re.sub(r"\.\.(?=[\s)]|$)", ".", text)


def _entities_text(entities: list[RdapEntity]) -> str:
    parts = []
    for e in entities:
        who = e.org or e.name or e.handle or "(no name)"
        if e.emails:
            who += f" <{', '.join(e.emails)}>"
        parts.append(who)
    return "; ".join(dict.fromkeys(parts))


def _registrars_text(registrars: list[RdapEntity]) -> str:
    """The registrar(s) by name; one the registry names only by its IANA id (or a bare
    handle) is said to be so, never printed as if the number were its name."""
    parts = []
    for e in registrars:
        if e.org or e.name:
            parts.append(_entities_text([e]))
            continue
        number = e.iana_id or (e.handle if e.handle and e.handle.isdigit() else None)
        if number:
            parts.append(f"the registrar with IANA id {number} (the registry gives no "
                         "name; look it up at https://www.iana.org/assignments/registrar-ids)")
        elif e.handle:
            parts.append(f"a registrar the registry names only by its handle {e.handle}")
    return "; ".join(dict.fromkeys(parts))


def _attribute_entity(ctx: CheckContext, entity: RdapEntity, role: str, domain: str
                      ) -> list[Attribution]:
    seen = f"RDAP {role} of {domain}"
    found = []
    if entity.org:
        found.append(ctx.attribute(IdKind.ORG_NAME, entity.org, seen))
    for email in entity.emails:
        found.append(ctx.attribute(IdKind.EMAIL, email, seen))
    if not found and entity.name:
        # A person's or a registrar's name: only an exact alias match counts.
        found.append(ctx.attribute(IdKind.ORG_NAME, entity.name, seen))
    return found


def _excerpt(entities: list[RdapEntity]) -> list[dict[str, object]]:
    return [{"roles": list(e.roles), "org": e.org, "name": e.name, "email": list(e.emails),
             "iana_id": e.iana_id, "redacted": list(e.redacted), "card": e.card,
             "privacy_service": e.privacy_service,
             "forwarding_email": list(e.forwarding_emails)} for e in entities]


def _missing_note(facts: RdapDomainFacts, registrants: list[RdapEntity]) -> str:
    """Why the registrant cannot be read, exactly: redacted, not published (a handle
    only) or unreadable (a malformed contact card); empty when nothing is missing."""
    redacted = sorted({r for r in facts.redactions if "registrant" in r.lower()}
                      or {f"registrant {f}" for e in registrants for f in e.redacted})
    reasons = []
    if redacted:
        reasons.append(f"The registrant's details are redacted ({', '.join(redacted)})")
    handles = [e.handle or "no handle" for e in registrants if e.card == "absent"
               and not e.has_data]
    if handles:
        reasons.append("The registry publishes the registrant only as a handle "
                       f"({', '.join(handles)}), without a name or contact details "
                       "(not published)")
    if any(e.card == "malformed" for e in registrants):
        reasons.append("The registrant's contact card in the RDAP answer cannot be read "
                       "(a malformed vCard)")
    if not registrants:
        reasons.append("The RDAP answer lists no registrant at all")
    if not reasons:
        return ""
    return (" " + "; ".join(reasons) + ": ask the registrar, or whoever holds the "
            "registrar account, for the full registrant record (a screenshot of the "
            "account's contact page or the registrar's ownership confirmation).")


def _registrar_note(facts: RdapDomainFacts) -> str:
    err = facts.registrar_error
    if err is None:
        return ""
    what = ("answered 404: it has no record of the domain" if err.kind == "not_found"
            else f"could not be read ({err.reason})")
    return (f" The registrar's own record ({facts.registrar_url}) {what}, so only the "
            "registry's thinner answer was judged.")


def _not_registered(facts: RdapDomainFacts, ctx: CheckContext, asset: Asset) -> Finding:
    err = facts.not_registered
    assert err is not None
    return ctx.finding(
        asset=asset, holder=Holder.UNKNOWN, status=Status.FAIL, severity=Severity.CRITICAL,
        key="registrant", title="Domain not registered: anyone can register it today",
        detail=f"The .{facts.tld} registry answered that {facts.domain} does not exist "
               f"({err.request}: {err.reason}). The domain is not registered: it has "
               "lapsed, or was never registered in your business's name. Anyone can "
               "register it today and receive the mail and web traffic sent to it.",
        evidence=[err.evidence()],
        remediation=(
            "Register the domain now, in your company's name, from a registrar account "
            "you own (or ask the provider who was meant to renew it, then register it "
            "yourself at once).",
            "If it was in use, check whether it is in a redemption period at the old "
            "registrar: that registrar can restore it for a fee.",
            "Turn on auto-renewal with a payment card the business controls.",
        ))


def _no_service(facts: RdapDomainFacts, ctx: CheckContext, asset: Asset) -> Finding:
    hint = WHOIS_HINTS.get(facts.tld, f"the .{facts.tld} registry's WHOIS or web lookup "
                           f"(listed at https://www.iana.org/domains/root/db/{facts.tld}.html)")
    return ctx.finding(
        asset=asset, holder=Holder.UNKNOWN, status=Status.MANUAL, key="registrant",
        detail=f"The .{facts.tld} registry offers no RDAP service, so the holder of "
               f"{facts.domain} cannot be read automatically. Look it up in {hint}: note the "
               "holder (registrant) name, the admin contact, the registrar and any reseller, "
               "and check that the holder is your company, not the provider.",
        remediation=("Look the domain up as described and save a dated screenshot or "
                     "printout.", *ctx.meta.remediation))


@check(
    id="domain.registration.registrant",
    control="domain.registration",
    source="rdap",
    severity=Severity.CRITICAL,
)
def registrant(facts: RdapDomainFacts, ctx: CheckContext) -> Iterator[Finding]:
    asset = Asset("domain", facts.domain, facts.domain)
    if facts.no_service:
        yield _no_service(facts, ctx, asset)
        return
    if facts.not_registered is not None:
        yield _not_registered(facts, ctx, asset)
        return
    registrants = facts.with_role("registrant")
    resellers = facts.with_role("reseller")
    registrars = facts.with_role("registrar")
    contacts = facts.with_role("administrative") + facts.with_role("technical")
    reg_all = [a for e in registrants
               for a in _attribute_entity(ctx, e, "registrant", facts.domain)]
    # A privacy service's name (from the bundled list) stands in for the holder.
    privacy = sorted({e.privacy_service for e in registrants if e.privacy_service}
                     | {a.party for a in reg_all if a.category == "privacy" and a.party})
    reg_attr = [a for a in reg_all if a.category != "privacy"]
    res_attr = [a for e in resellers for a in _attribute_entity(ctx, e, "reseller", facts.domain)]
    con_attr = [a for e in contacts
                for a in _attribute_entity(ctx, e, "admin/tech contact", facts.domain)
                if a.category != "privacy"]
    evidence = [facts.evidence({
        "entities": _excerpt(registrants + resellers + registrars + contacts),
        "redacted": list(facts.redactions)})]
    if facts.registrar_error is not None:
        evidence.append(facts.registrar_error.evidence())
    redaction_note = _missing_note(facts, registrants) if not reg_attr else ""
    registrar_note = _registrar_note(facts)
    registrar_name = _registrars_text(registrars) or "unknown registrar"
    registrant_holder = worst_holder(reg_attr) if reg_attr else None
    # The registrar's record is authoritative for contacts: when it could not be read
    # (any failure but "no such record"), only a provider-held answer from the registry
    # still stands; anything milder would rest on the part that was not read.
    unread = (facts.registrar_error if facts.registrar_error is not None
              and facts.registrar_error.kind != "not_found" else None)
    if unread is not None and registrant_holder is not Holder.PROVIDER:
        yield ctx.error(asset, unread, key="registrant")
    elif registrant_holder is Holder.PROVIDER:
        detail = (f"{facts.domain} is registered to the provider "
                  f"({_entities_text(registrants)}) at {registrar_name}.")
        yield ctx.finding(asset=asset, holder=Holder.PROVIDER,
                          detail=_tidy(detail + registrar_note), evidence=evidence,
                          key="registrant")
    elif registrant_holder is Holder.CLIENT:
        detail = (f"{facts.domain} is registered to you ({_entities_text(registrants)}) at "
                  f"{registrar_name}.")
        yield ctx.finding(asset=asset, holder=Holder.CLIENT,
                          detail=_tidy(detail + registrar_note),
                          evidence=evidence, key="registrant")
    elif registrant_holder is not None:
        detail = (f"{facts.domain} is registered to {_entities_text(registrants)}, which is "
                  f"neither you nor the provider (at {registrar_name}): find out who that is, "
                  "or add it to the audit file as an alias.")
        yield ctx.finding(asset=asset, holder=registrant_holder, status=Status.WARN,
                          detail=_tidy(detail + registrar_note), evidence=evidence,
                          key="registrant")
    elif privacy:
        detail = (f"{facts.domain} is registered through a privacy service "
                  f"({', '.join(privacy)}) at {registrar_name}: the service's name stands "
                  "in for the real holder, so the registrant cannot be determined from "
                  f"RDAP. Ask the registrar ({registrar_name}), or whoever holds the "
                  "registrar account, for the underlying registrant record (name, "
                  "organisation, email) and for the privacy service to be turned off "
                  "before a transfer. The registrar account and any reseller decide who "
                  "controls the domain (see the account finding).")
        yield ctx.finding(asset=asset, holder=Holder.UNKNOWN, status=Status.MANUAL,
                          severity=Severity.HIGH, title="Registrant hidden by a privacy service",
                          detail=_tidy(detail + registrar_note), evidence=evidence,
                          key="registrant")
        redaction_note = (f" The registrant is hidden by a privacy service "
                          f"({', '.join(privacy)}).")
    else:
        detail = (f"The registry does not show who holds {facts.domain} (registrar "
                  f"{registrar_name}).{redaction_note}")
        yield ctx.finding(asset=asset, holder=Holder.UNKNOWN, status=Status.MANUAL,
                          severity=Severity.HIGH, detail=_tidy(detail + registrar_note),
                          evidence=evidence, key="registrant")
    # The registrar account: a reseller or contacts on the provider mean the provider
    # manages it, whoever the registrant is; otherwise it cannot be seen from outside.
    # A registrar's name is only compared with the parties (a ccTLD "registrar" is often
    # the provider's own registry tag); unknown registrar names are not worth classifying.
    rar_attr = [a for e in registrars for name in (e.org, e.name) if name
                for a in [ctx.attribute(IdKind.ORG_NAME, name, f"RDAP registrar of "
                                        f"{facts.domain}", record=False)]
                if a.holder in (Holder.PROVIDER, Holder.CLIENT)]
    account_attr = res_attr + con_attr + rar_attr
    account_holder = worst_holder(account_attr) if account_attr else None
    if unread is not None and account_holder is not Holder.PROVIDER:
        yield ctx.error(asset, unread, key="account")
    elif account_holder is Holder.PROVIDER:
        via = next(_entities_text(group) for group, attrs in
                   ((resellers, res_attr), (registrars, rar_attr), (contacts, con_attr))
                   if any(a.holder is Holder.PROVIDER for a in attrs))
        yield ctx.finding(
            asset=asset, holder=Holder.PROVIDER, severity=Severity.HIGH, key="account",
            title="Domain managed through the provider's registrar account",
            detail=_tidy(f"{facts.domain} is managed through the provider ({via}) at "
                         f"{registrar_name}: the registrar account is the provider's, "
                         f"whoever the registrant is.{redaction_note}{registrar_note}"),
            evidence=evidence)
    else:
        yield ctx.finding(
            asset=asset, holder=Holder.THIRD_PARTY, status=Status.MANUAL,
            severity=Severity.HIGH, key="account",
            title="Confirm the registrar account is yours",
            detail=_tidy(f"Who owns the registrar account at {registrar_name} cannot be "
                         "seen from outside. Ask for: the account in your company's name "
                         "with your email, the EPP auth code, and the transfer lock removed "
                         f"on request.{redaction_note}{registrar_note}"),
            evidence=evidence)


@check(
    id="domain.registration.expiry",
    control="domain.registration",
    source="rdap",
    severity=Severity.HIGH,
)
def expiry(facts: RdapDomainFacts, ctx: CheckContext) -> Iterator[Finding]:
    asset = Asset("domain", facts.domain, facts.domain)
    if facts.no_service or facts.not_registered is not None:
        return  # the registrant check already reports it
    # the registrar's dates when its record was read (the registrant check reports a
    # registrar record that could not be read)
    registrar_events = facts.registrar.ok.events if facts.registrar is not None and \
        facts.registrar.error is None else {}
    evidence = [facts.evidence({"events": dict(facts.events),
                                "registrar_events": dict(registrar_events),
                                "status": list(facts.statuses)})]
    dates: list[tuple[dt.date, str]] = []
    for label, events, action in (
            ("the registry's expiration date", facts.events, "expiration"),
            ("the registrar's 'registrar expiration' date", registrar_events,
             "registrar expiration"),
            ("the registry's 'registrar expiration' date", facts.events,
             "registrar expiration"),
            ("the registrar's expiration date", registrar_events, "expiration")):
        raw = events.get(action)
        if not raw:
            continue
        try:
            dates.append((dt.datetime.fromisoformat(raw.replace("Z", "+00:00")).date(),
                          label))
        except ValueError:
            yield ctx.error(asset, f"{label} {raw!r} is not a date", key="expiry")
            return
    if not dates:
        yield ctx.finding(asset=asset, holder=Holder.UNKNOWN, status=Status.MANUAL,
                          severity=Severity.MEDIUM, key="expiry", evidence=evidence,
                          detail=f"Neither the registry nor the registrar gives an expiry "
                                 f"date for {facts.domain}: check it in the registrar "
                                 "account.")
        return
    expires, source = min(dates)  # the earliest date is the deadline that counts
    others = sorted({f"{label}: {human_date(d)}" for d, label in dates if d != expires})
    days = (expires - ctx.today).days
    danger = [s for s in facts.statuses if s in DANGER_STATUSES]
    if danger:
        status, severity = Status.FAIL, Severity.CRITICAL
        detail = (f"{facts.domain} has the registry status {', '.join(danger)}: it is, or is "
                  f"about to be, offline. It expires on {human_date(expires)}.")
    else:
        status, severity = deadline_band(days, warn_days=EXPIRY_WARN_DAYS,
                                         critical_days=EXPIRY_CRITICAL_DAYS)
        detail = (f"{facts.domain} expires on {human_date(expires)} ({days} days after the scan)"
                  + (": renew it now." if status is Status.FAIL else "."))
    detail += f" The date is {source}" + (f" ({'; '.join(others)})." if others else ".")
    locks = [s for s in facts.statuses if "transfer prohibited" in s]
    if locks:
        detail += f" Transfer lock: {', '.join(locks)} (normal; lifted on request to transfer)."
    yield ctx.finding(asset=asset, holder=Holder.CLIENT if status is Status.PASS
                      else Holder.UNKNOWN, status=status, severity=severity, detail=detail,
                      evidence=evidence, due=expires, key="expiry")
