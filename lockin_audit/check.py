"""How a check is declared.

A check is a small function over the facts one source fetched for one target:

    @check(
        id="azure.delegation.lighthouse",
        control="azure.delegation",
        source="azure",
        severity=Severity.HIGH,
    )
    def lighthouse(facts: AzureFacts, ctx: CheckContext) -> Iterator[Finding]:
        ...
        who = ctx.attribute(IdKind.AZURE_TENANT, a.managing_tenant_id, f"Lighthouse on {sub.id}")
        yield ctx.finding(asset=sub.asset, holder=who.holder, key=a.id, detail=...)

A built-in check's texts (title, risk, remediation, references) are not in its decorator:
they are its control's record in the control catalogue (`lockin_audit/catalogue/*.yaml`),
with the fields its own record under `checks:` gives instead (docs/catalogue.md: one
function, one catalogue record, one test). A third-party plugin, which cannot edit the
catalogue, passes them to `@check` (`title=`, `risk=`, `remediation=`, `references=`).

Every applicable check yields at least one finding per target (a `pass` when clean, naming
what was read), so that silence never stands for "fine". A fact that could not be read
(`FetchError`) becomes `ctx.error(...)`. Checks never call an SDK and never render anything.

A check that also judges another source's facts declares it with `needs=(Requires(...),)`
and reads them with `ctx.dependency(req, key)`, which gives a `Fetched`: the facts or the
FetchError: the check then emits `ctx.error(...)` for exactly the assets it could not judge
(see `lockin_audit.sources.interface` for an example)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, TypeVar

from lockin_audit import catalogue
from lockin_audit.facts import Fetched, FetchError
from lockin_audit.identity import Attribution, Identity, IdKind
from lockin_audit.model import (
    Asset,
    CheckInfo,
    Evidence,
    Finding,
    Holder,
    Severity,
    Status,
    control_area,
)
from lockin_audit.sources.interface import (
    Dependencies,
    Requires,
    Target,
    resolve_dependencies,
    resolve_dependency,
)

T = TypeVar("T")
CheckFunc = Callable[[Any, "CheckContext"], Iterable[Finding]]


@dataclass(frozen=True)
class CheckMeta:
    id: str
    control: str
    source: str
    title: str
    severity: Severity
    risk: str
    remediation: tuple[str, ...]
    references: tuple[str, ...] = ()
    needs: tuple[str, ...] = ()  # other sources whose facts the check reads
    # the texts @check was given (a plugin's); a built-in check's all come from the catalogue
    texts_given: tuple[str, ...] = ()

    @property
    def area(self) -> str:
        return control_area(self.control)

    def info(self) -> CheckInfo:
        return CheckInfo(self.id, self.area, self.control, self.title, self.severity,
                         self.risk, self.remediation, self.references)

    def remediation_text(self) -> str:
        return "\n".join(f"{n}. {step}" for n, step in enumerate(self.remediation, 1))


@dataclass(frozen=True)
class Check:
    meta: CheckMeta
    func: CheckFunc = field(compare=False)
    origin: str = "builtin"  # "builtin" or the plugin's distribution name

    @property
    def id(self) -> str:
        return self.meta.id

    def run(self, facts: Any, ctx: CheckContext) -> list[Finding]:
        return list(self.func(facts, ctx))


# Checks declared with @check while a module is being imported by the registry.
_DECLARED: list[Check] = []


# The texts a check's findings carry, as the decorator names them (`risk` is the
# catalogue's `why`).
TEXT_ARGUMENTS: tuple[str, ...] = ("title", "risk", "remediation", "references")


def check(
    *,
    id: str,
    control: str,
    source: str,
    severity: Severity,
    needs: Iterable[Requires[Any]] = (),
    title: str | None = None,
    risk: str | None = None,
    remediation: Iterable[str] | None = None,
    references: Iterable[str] | None = None,
) -> Callable[[CheckFunc], Check]:
    """Declare a check. Returns a `Check` (the decorated function stays callable as
    `.func`). `needs`: other sources' facts the check reads (`ctx.dependency`); the check
    then runs once those sources are done.

    A built-in check gives no texts: its title, risk (the catalogue's `why`), remediation
    and references are its record in the control catalogue (`checks:` of the platform's
    file) over its control's record. `title`, `risk`, `remediation` and `references` are
    for third-party plugins, which cannot edit the catalogue: each one given replaces the
    catalogue's (a plugin whose control is not catalogued gives at least the first three).
    """
    control_area(control)
    given = {name: value for name, value in zip(
        TEXT_ARGUMENTS, (title, risk, remediation, references), strict=True)
        if value is not None}
    texts = catalogue.check_texts(id, control)
    if texts is None and not {"title", "risk", "remediation"} <= set(given):
        raise ValueError(
            f"check {id}: its control {control!r} has no record in the control catalogue "
            "(lockin_audit/catalogue/*.yaml, see docs/catalogue.md); a check outside "
            "lockin-audit gives title, risk and remediation in @check instead")
    steps = tuple(remediation) if remediation is not None else (
        texts.remediation if texts else ())
    risk_text = risk if risk is not None else (texts.why if texts else "")
    title_text = title if title is not None else (texts.title if texts else "")
    refs = tuple(references) if references is not None else (
        texts.references if texts else ())
    if not title_text or not risk_text.strip() or not steps:
        raise ValueError(f"check {id}: title, risk and remediation steps are required")
    meta = CheckMeta(id, control, source, title_text, Severity(severity),
                     " ".join(risk_text.split()),
                     tuple(" ".join(s.split()) for s in steps), refs,
                     tuple(dict.fromkeys(r.source for r in needs)), tuple(given))

    def wrap(func: CheckFunc) -> Check:
        c = Check(meta, func)
        _DECLARED.append(c)
        return c

    return wrap


@lru_cache(maxsize=4096)
def remediation_text(steps: tuple[str, ...]) -> str:
    """The numbered steps as one text, one shared string per list of steps: a check's
    findings (55,000 in a 5,000-domain scan) share their remediation instead of holding a
    copy each."""
    return "\n".join(f"{n}. {s}" for n, s in enumerate(steps, 1))


def status_for(holder: Holder) -> Status:
    """The usual status for a holder: client pass, provider fail, third party manual
    (confirm the account at the vendor is yours), unknown warn (classify it)."""
    return {
        Holder.CLIENT: Status.PASS,
        Holder.PROVIDER: Status.FAIL,
        Holder.THIRD_PARTY: Status.MANUAL,
        Holder.UNKNOWN: Status.WARN,
    }[holder]


def deadline_band(days_left: int, *, warn_days: int, critical_days: int
                  ) -> tuple[Status, Severity]:
    """How urgent a dated deadline is: passed or under `critical_days` is a critical
    fail, under `warn_days` a high warning, later a pass (still dated, for the calendar)."""
    if days_left < critical_days:
        return Status.FAIL, Severity.CRITICAL
    if days_left < warn_days:
        return Status.WARN, Severity.HIGH
    return Status.PASS, Severity.INFO


def worst_holder(attributions: Iterable[Attribution]) -> Holder:
    """Provider beats unknown beats third party beats client."""
    order = [Holder.PROVIDER, Holder.UNKNOWN, Holder.THIRD_PARTY, Holder.CLIENT]
    found = {a.holder for a in attributions}
    for h in order:
        if h in found:
            return h
    return Holder.CLIENT


@dataclass
class CheckContext:
    """What a check may use while evaluating one target."""

    meta: CheckMeta
    target: Target
    identity: Identity
    today: dt.date
    facts: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    def facts_of(self, source: str) -> Mapping[str, Any]:
        """Facts other sources read (failures left out). Prefer `dependency`."""
        return self.facts.get(source, {})

    def dependency(self, req: Requires[T], key: str) -> Fetched[T]:
        """Another source's facts for one of its targets, or the FetchError saying why
        they are missing. The check must declare it (`needs=`)."""
        return resolve_dependency(self.facts, frozenset(self.meta.needs), req, key,
                                  f"check {self.meta.id}")

    def dependencies(self, req: Requires[T]) -> Dependencies[T]:
        """Every target of another source (`needs=`): the facts read and the errors."""
        return resolve_dependencies(self.facts, frozenset(self.meta.needs), req,
                                    f"check {self.meta.id}")

    def attribute(
        self, kind: IdKind | str, value: str, seen_in: str, *, record: bool = True
    ) -> Attribution:
        """Attribute an identifier; unknown ones are collected for the report."""
        attribution = self.identity.attribute(kind, value)
        if record:
            self.identity.record(attribution, seen_in, self.meta.control)
        return attribution

    def finding(
        self,
        *,
        asset: Asset,
        holder: Holder,
        detail: str,
        status: Status | None = None,
        title: str | None = None,
        severity: Severity | None = None,
        evidence: Iterable[Evidence] = (),
        due: dt.date | None = None,
        key: str = "",
        remediation: Iterable[str] | None = None,
    ) -> Finding:
        """A finding of this check. Status defaults from the holder (`status_for`);
        severity defaults to the check's; remediation to the check's steps."""
        steps = tuple(remediation) if remediation is not None else self.meta.remediation
        return Finding(
            check_id=self.meta.id,
            control=self.meta.control,
            asset=asset,
            holder=holder,
            status=status or status_for(holder),
            severity=severity or self.meta.severity,
            title=title or self.meta.title,
            detail=detail,
            remediation=remediation_text(steps),
            risk=self.meta.risk,
            evidence=tuple(evidence),
            due=due,
            references=self.meta.references,
            key=key,
        )

    def error(
        self, asset: Asset, problem: FetchError | str, *, key: str = "",
        title: str | None = None,
    ) -> Finding:
        """Not assessed: access denied, timeout, bad data. Never a pass."""
        evidence: tuple[Evidence, ...] = ()
        if isinstance(problem, FetchError):
            detail, evidence = problem.describe(), (problem.evidence(),)
        else:
            detail = problem
        return self.finding(
            asset=asset, holder=Holder.UNKNOWN, status=Status.ERROR,
            title=title or f"Not assessed: {self.meta.title}", detail=detail,
            evidence=evidence, key=key,
            remediation=("Fix the cause named in the detail (grant the missing read "
                         "permission, or make the service reachable) and run the scan "
                         "again.",),
        )
