"""Contracts, admin credentials and backups from the owner's inventory.

Who signed a line, who holds the firewall's admin login and who holds the backup key
cannot be read from any API, so these checks work on what the owner wrote down, date
the notice deadlines and attribute every name with the same exact matching as the rest
of the scan (legal suffixes and aliases, never substrings).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterator
from decimal import Decimal

from lockin_audit.check import CheckContext, check, deadline_band, worst_holder
from lockin_audit.identity import Attribution, IdKind
from lockin_audit.model import Asset, Evidence, Finding, Holder, Severity, Status, human_date
from lockin_audit.sources.inventory import Contract, InventoryFacts, RowProblem, add_months

WARN_DAYS = 90
CRITICAL_DAYS = 30
STALE_TEST_DAYS = 365
_WORD_HOLDER = {"client": Holder.CLIENT, "provider": Holder.PROVIDER, "both": Holder.PROVIDER}


# Problems in these contract columns are reported by the deadline check, the rest of the
# contract and file-level problems by the holder check: each problem exactly once.
DATE_COLUMNS = frozenset({"term_start", "term_months", "term_end", "auto_renew",
                          "renewal_term_months", "notice_period_days",
                          "early_termination_fee"})


def _row_problems(facts: InventoryFacts, ctx: CheckContext, sections: set[str | None],
                  *, dates: bool | None = None) -> Iterator[Finding]:
    """Bad rows become errors (never silently dropped); ignored columns become warnings."""
    for problem in facts.problems:
        if problem.section not in sections:
            continue
        if dates is not None and (problem.column in DATE_COLUMNS) != dates:
            continue
        asset = _problem_asset(facts, problem)
        if problem.warning:
            yield ctx.finding(asset=asset, holder=Holder.UNKNOWN, status=Status.WARN,
                              severity=Severity.LOW, title="Inventory column ignored",
                              detail=problem.describe(), key=f"warn:{problem.describe()}",
                              evidence=[facts.evidence(problem.where, problem.message)],
                              remediation=["Rename or remove the column (see "
                                           "docs/inventory.md for the column names)."])
        else:
            yield ctx.error(asset, problem.as_error(), key=f"row:{problem.describe()}",
                            title="Inventory row could not be read")


def _problem_asset(facts: InventoryFacts, problem: RowProblem) -> Asset:
    if problem.row_id:
        return Asset("inventory_row", f"{facts.path}#{problem.row_id}", problem.row_id)
    return Asset("inventory_file", facts.path, facts.path.rsplit("/", 1)[-1])


def _holder_of_word(word: str | None) -> Holder:
    return _WORD_HOLDER.get(word or "", Holder.UNKNOWN)


@check(
    id="contract.holder.account",
    control="contract.holder",
    source="inventory",
    severity=Severity.HIGH,
)
def contract_holder(facts: InventoryFacts, ctx: CheckContext) -> Iterator[Finding]:
    yield from _row_problems(facts, ctx, {"contracts", None}, dates=False)
    for contract in facts.contracts:
        yield _contract_holder(contract, facts, ctx)
        for phone in contract.phone_numbers:
            if phone.port_pin_holder in ("provider", "both"):
                yield ctx.finding(
                    asset=contract.asset, holder=Holder.PROVIDER, key=f"phone:{phone.number}",
                    title="Phone number's port-out PIN held by the provider",
                    detail=f"The port-out PIN of {phone.number} on {contract.id} is held "
                           f"by {'the provider' if phone.port_pin_holder == 'provider' else 'the provider as well as you'}: "
                           "it can block or delay porting the number away.",
                    evidence=[facts.evidence(contract.where, {"number": phone.number,
                                             "port_pin_holder": phone.port_pin_holder})])


def _contract_holder(contract: Contract, facts: InventoryFacts, ctx: CheckContext) -> Finding:
    seen = f"inventory {contract.id}"
    names: list[tuple[str, Attribution]] = []
    if contract.account_holder:
        names.append(("account holder", ctx.attribute(IdKind.ORG_NAME, contract.account_holder,
                                                      f"{seen} account_holder")))
    if contract.billed_to:
        names.append(("billed to", ctx.attribute(IdKind.ORG_NAME, contract.billed_to,
                                                 f"{seen} billed_to")))
    attributions = [a for _, a in names]
    via = contract.contracted_via
    holder = worst_holder(attributions) if attributions else Holder.UNKNOWN
    if via == "provider":
        holder = Holder.PROVIDER
    parts = [f"{label}: {a.reason}" for label, a in names]
    if via:
        parts.append(f"contracted via: {via}")
    excerpt = {k: v for k, v in (("account_holder", contract.account_holder),
                                 ("billed_to", contract.billed_to),
                                 ("contracted_via", via),
                                 ("account_number", contract.account_number)) if v}
    evidence = [facts.evidence(contract.where, excerpt)]
    if not names and via is None:
        return ctx.finding(asset=contract.asset, holder=Holder.UNKNOWN, status=Status.WARN,
                           detail=f"{contract.id} ({contract.provider}) does not say whose name "
                                  "it is in: fill in account_holder exactly as on the invoice.",
                           evidence=evidence)
    if holder is Holder.PROVIDER:
        detail = (f"{contract.id} with {contract.provider} is in the provider's name "
                  f"({'; '.join(parts)}). Ask for it to be assigned to you.")
    elif holder is Holder.CLIENT:
        detail = f"{contract.id} with {contract.provider} is in your name ({'; '.join(parts)})."
    elif holder is Holder.THIRD_PARTY:
        detail = (f"{contract.id} with {contract.provider} is held by a third party "
                  f"({'; '.join(parts)}): confirm the account there is yours.")
    else:
        detail = (f"{contract.id} with {contract.provider} names a holder that is neither "
                  f"you nor the provider ({'; '.join(parts)}): add it to the audit file as "
                  "an alias, or find out who it is.")
    return ctx.finding(asset=contract.asset, holder=holder, detail=detail, evidence=evidence)


# ---------------------------------------------------------------------------------------
# deadlines


def term_end(contract: Contract) -> dt.date | None:
    if contract.term_end:
        return contract.term_end
    if contract.term_start and contract.term_months:
        return add_months(contract.term_start, contract.term_months)
    return None


def current_term_end(contract: Contract, today: dt.date) -> tuple[dt.date | None, int]:
    """The end of the term that is running today, rolling auto-renewals forward;
    returns (end, renewals rolled)."""
    end = term_end(contract)
    if end is None or not contract.auto_renew:
        return end, 0
    months = contract.renewal_term_months or contract.term_months or 12
    rolled = 0
    while end < today:  # every term that ended without notice renewed
        end = add_months(end, months)
        rolled += 1
    return end, rolled


def termination_fee(contract: Contract, today: dt.date, end: dt.date) -> str | None:
    fee = contract.early_termination_fee
    if fee is None:
        return None
    currency = f" {fee.currency}" if fee.currency else ""
    if fee.type == "fixed" and fee.amount is not None:
        return f"early termination fee {fee.amount:,.2f}{currency} (fixed)"
    if fee.mrc is None:
        return None
    months = max(0, math.ceil((end - today).days / 30.4375))
    total = fee.mrc * Decimal(months)
    return (f"early termination fee about {total:,.2f}{currency} ({months} remaining "
            f"months x {fee.mrc:,.2f}{currency} monthly)")


@check(
    id="contract.deadline.notice",
    control="contract.deadline",
    source="inventory",
    severity=Severity.HIGH,
)
def contract_deadline(facts: InventoryFacts, ctx: CheckContext) -> Iterator[Finding]:
    yield from _row_problems(facts, ctx, {"contracts"}, dates=True)
    for contract in facts.contracts:
        yield _deadline(contract, facts, ctx)


def _deadline(contract: Contract, facts: InventoryFacts, ctx: CheckContext) -> Finding:
    today = ctx.today
    excerpt = {k: (v.isoformat() if isinstance(v, dt.date) else v) for k, v in (
        ("term_start", contract.term_start), ("term_months", contract.term_months),
        ("term_end", contract.term_end), ("auto_renew", contract.auto_renew),
        ("renewal_term_months", contract.renewal_term_months),
        ("notice_period_days", contract.notice_period_days),
        ("notice_method", contract.notice_method)) if v is not None}
    evidence = [facts.evidence(contract.where, excerpt)]
    end, rolled = current_term_end(contract, today)
    if end is None:
        return ctx.finding(asset=contract.asset, holder=Holder.UNKNOWN, status=Status.WARN,
                           severity=Severity.MEDIUM, evidence=evidence,
                           detail=f"{contract.id}: no term_end, and no term_start with "
                                  "term_months, so the notice deadline cannot be dated.")
    notice_days = contract.notice_period_days or 0
    deadline = end - dt.timedelta(days=notice_days)
    renewal = (f" It has renewed automatically {rolled} time(s) since the first term."
               if rolled else "")
    fee = termination_fee(contract, today, end)
    fee_text = f" Leaving before {human_date(end)} costs an {fee}." if fee else ""
    method = f" Notice by: {contract.notice_method}." if contract.notice_method else ""
    if not contract.auto_renew:
        days = (end - today).days
        detail = (f"{contract.id} ({contract.provider}) ends on {human_date(end)} without "
                  f"renewing ({days} days after the scan): arrange a renewal or replacement "
                  f"before then.{fee_text}")
        if end < today:
            return ctx.finding(asset=contract.asset, holder=Holder.UNKNOWN,
                               status=Status.WARN, severity=Severity.MEDIUM, evidence=evidence,
                               detail=f"{contract.id} ended on {human_date(end)}: update the "
                                      "inventory if it continues on other terms.")
        return _dated(ctx, contract, evidence, detail, end, days)
    days = (deadline - today).days
    if days < 0:
        next_end = add_months(end, contract.renewal_term_months or contract.term_months or 12)
        next_deadline = next_end - dt.timedelta(days=notice_days)
        detail = (f"{contract.id} ({contract.provider}): the notice deadline for the term "
                  f"ending {human_date(end)} passed on {human_date(deadline)}; it will renew "
                  f"automatically. The next notice deadline is {human_date(next_deadline)}."
                  f"{renewal}{fee_text}{method}")
        return ctx.finding(asset=contract.asset, holder=Holder.UNKNOWN, status=Status.FAIL,
                           severity=Severity.CRITICAL, detail=detail, evidence=evidence,
                           due=deadline, key="notice")
    detail = (f"{contract.id} ({contract.provider}) renews automatically on "
              f"{human_date(end)} unless notice is given {notice_days} days before: by "
              f"{human_date(deadline)} ({days} days after the scan).{renewal}{fee_text}{method}")
    return _dated(ctx, contract, evidence, detail, deadline, days)


def _dated(ctx: CheckContext, contract: Contract, evidence: list[Evidence], detail: str,
           due: dt.date, days: int) -> Finding:
    status, severity = deadline_band(days, warn_days=WARN_DAYS, critical_days=CRITICAL_DAYS)
    return ctx.finding(asset=contract.asset, holder=Holder.UNKNOWN if status is not Status.PASS
                       else Holder.CLIENT, status=status, severity=severity, detail=detail,
                       evidence=evidence, due=due, key="notice")


# ---------------------------------------------------------------------------------------
# custody


@check(
    id="custody.admin-credentials.holder",
    control="custody.admin_credentials",
    source="inventory",
    severity=Severity.CRITICAL,
)
def admin_credentials(facts: InventoryFacts, ctx: CheckContext) -> Iterator[Finding]:
    yield from _row_problems(facts, ctx, {"credentials"})
    for cred in facts.credentials:
        evidence = [facts.evidence(cred.where, {
            "system": cred.system, "admin_holder": cred.admin_holder,
            "last_tested": cred.last_tested.isoformat() if cred.last_tested else None})]
        stale = (cred.last_tested is None
                 or (ctx.today - cred.last_tested).days > STALE_TEST_DAYS)
        tested = (f"last tested {human_date(cred.last_tested)}" if cred.last_tested
                  else "never tested")
        if cred.admin_holder == "provider":
            yield ctx.finding(asset=cred.asset, holder=Holder.PROVIDER, evidence=evidence,
                              detail=f"Only the provider holds a working admin login to "
                                     f"{cred.system}.")
        elif cred.admin_holder == "both":
            yield ctx.finding(asset=cred.asset, holder=Holder.PROVIDER, status=Status.WARN,
                              severity=Severity.MEDIUM, evidence=evidence,
                              detail=f"You and the provider both hold admin logins to "
                                     f"{cred.system} ({tested}): remove the provider's when "
                                     "it leaves." + (" Test yours: a login nobody has "
                                                     "tried in a year may not work."
                                                     if stale else ""))
        elif stale:
            yield ctx.finding(asset=cred.asset, holder=Holder.CLIENT, status=Status.WARN,
                              severity=Severity.MEDIUM, evidence=evidence,
                              detail=f"You hold the admin login to {cred.system} but it was "
                                     f"{tested}: try it now, before you need it.")
        else:
            yield ctx.finding(asset=cred.asset, holder=Holder.CLIENT, evidence=evidence,
                              detail=f"You hold a working admin login to {cred.system} "
                                     f"({tested}).")


@check(
    id="custody.backup-keys.holder",
    control="custody.backup_keys",
    source="inventory",
    severity=Severity.CRITICAL,
)
def backup_keys(facts: InventoryFacts, ctx: CheckContext) -> Iterator[Finding]:
    yield from _row_problems(facts, ctx, {"backups"})
    for backup in facts.backups:
        evidence = [facts.evidence(backup.where, {
            "name": backup.name, "location": backup.location, "key_holder": backup.key_holder,
            "retention_after_cancel_days": backup.retention_after_cancel_days})]
        retention = (f" The backups are deleted {backup.retention_after_cancel_days} days "
                     "after the service is cancelled: copy what you must keep before then."
                     if backup.retention_after_cancel_days is not None else "")
        where = f" at {backup.location}" if backup.location else ""
        if backup.key_holder == "provider":
            yield ctx.finding(asset=backup.asset, holder=Holder.PROVIDER, evidence=evidence,
                              detail=f"Only the provider holds the encryption key of "
                                     f"{backup.name}{where}.{retention}")
        elif backup.key_holder == "both":
            yield ctx.finding(asset=backup.asset, holder=Holder.PROVIDER, status=Status.WARN,
                              severity=Severity.MEDIUM, evidence=evidence,
                              detail=f"You and the provider both hold the key of "
                                     f"{backup.name}{where}: re-key after the provider leaves."
                                     f"{retention}")
        else:
            yield ctx.finding(asset=backup.asset, holder=Holder.CLIENT, evidence=evidence,
                              detail=f"You hold the encryption key of {backup.name}{where}."
                                     f"{retention}")
