"""The result model: assets, findings, evidence, coverage and the scan result.

Everything here is a frozen dataclass so that checks cannot mutate what another check
(or a renderer) sees. `to_dict`/`from_dict` give the JSON shape of DESIGN.md section 5.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from lockin_audit import catalogue

SCHEMA_VERSION = "1"


class Holder(StrEnum):
    CLIENT = "client"
    PROVIDER = "provider"
    THIRD_PARTY = "third_party"
    UNKNOWN = "unknown"


class Status(StrEnum):
    PASS = "pass"
    FAIL = "fail"
    WARN = "warn"
    MANUAL = "manual"
    ERROR = "error"


class Severity(StrEnum):
    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"
    INFO = "info"

    @property
    def rank(self) -> int:
        """Higher is worse: critical=4 ... info=0."""
        return _SEVERITY_RANK[self]

    def at_least(self, other: Severity) -> bool:
        return self.rank >= other.rank


_SEVERITY_RANK = {
    Severity.CRITICAL: 4,
    Severity.HIGH: 3,
    Severity.MEDIUM: 2,
    Severity.LOW: 1,
    Severity.INFO: 0,
}

# The control vocabulary of DESIGN.md section 2, from the control catalogue
# (lockin_audit/catalogue). A control is `<area>.<what>`; the area is what `--only`
# selects. Plugins may add controls in new areas (validated by shape only).
CONTROLS: frozenset[str] = frozenset(catalogue.controls())
AREAS: tuple[str, ...] = tuple(catalogue.areas())


def control_area(control: str) -> str:
    area, sep, what = control.partition(".")
    if not sep or not area or not what:
        raise ValueError(f"control {control!r} must be named '<area>.<what>'")
    return area


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def iso(ts: dt.datetime) -> str:
    return ts.astimezone(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def human_date(value: dt.date | str | None) -> str:
    """A date as people write it, "6 December 2026" (a datetime or an ISO string is
    shown by its date; text that is not a date is returned as it is)."""
    if value is None or value == "":
        return ""
    day: dt.date
    if isinstance(value, str):
        try:
            day = dt.datetime.fromisoformat(value.replace("Z", "+00:00")).date()
        except ValueError:
            return value
    elif isinstance(value, dt.datetime):
        day = value.date()
    else:
        day = value
    return f"{day.day} {day:%B %Y}"


def human_datetime(value: dt.datetime | str | None) -> str:
    """A moment as people read it, "6 December 2026, 04:16:47 UTC" (never Python's repr
    `2026-12-06 04:16:47.143164+00:00`); a naive time is taken as UTC, a bare date is
    shown as a date, text that is not a time is returned as it is."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        text = value.strip()
        if len(text) == 10:
            return human_date(text)
        try:
            moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            return text
    else:
        moment = value
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    moment = moment.astimezone(dt.UTC)
    return f"{moment.day} {moment:%B %Y}, {moment:%H:%M:%S} UTC"


@dataclass(frozen=True)
class Asset:
    """What a finding is about. `id` follows DESIGN.md: domains lowercase without the
    trailing dot; AWS accounts as `arn:aws:::account/<12 digits>`, other AWS resources by
    ARN; Azure by full resource id; contracts by inventory id; IP blocks in CIDR form."""

    type: str
    id: str
    name: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"type": self.type, "id": self.id, "name": self.name}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Asset:
        return cls(type=d["type"], id=d["id"], name=d.get("name"))


def aws_account_asset_id(account_id: str) -> str:
    return f"arn:aws:::account/{account_id}"


@dataclass(frozen=True)
class Evidence:
    """Where a fact came from, so a finding can be shown to a provider or a lawyer.

    `source` is dns, rdap, aws, azure, graph or inventory; `request` is what was asked
    (a DNS query, a URL, an API operation); `excerpt` is the relevant part of the answer.
    Never put a credential or token here."""

    source: str
    request: str
    observed_at: str
    excerpt: Mapping[str, Any] | str | list[Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "request": self.request,
            "observed_at": self.observed_at,
            "excerpt": _plain(self.excerpt),
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Evidence:
        return cls(d["source"], d["request"], d["observed_at"], d.get("excerpt") or {})


def _plain(value: Any) -> Any:
    """Turn mappings/tuples/dates into JSON-ready values."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_plain(v) for v in value]
    if isinstance(value, dt.datetime):
        return iso(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return str(value)


def finding_id(check_id: str, asset: Asset, control: str, key: str = "") -> str:
    """Stable id: the same check, asset, control (and optional discriminator) always give
    the same id, across runs and machines."""
    raw = "\x1f".join((check_id, asset.type, asset.id, control, key))
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()[:20]


@dataclass(frozen=True)
class Acceptance:
    """The business knowingly leaves a finding with the provider until `expires` (an
    acceptance file entry, lockin_audit.history.acceptance). `by` is who accepted it."""

    reason: str
    by: str
    expires: dt.date
    # The state the acceptance was written for (from the entry, or recorded from the
    # finding when the acceptance first applied): a finding worse than this counts again.
    status: Status | None = None
    holder: Holder | None = None
    severity: Severity | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"reason": self.reason, "by": self.by,
                               "expires": self.expires.isoformat()}
        for key in ("status", "holder", "severity"):
            value = getattr(self, key)
            if value is not None:
                out[key] = value.value
        return out

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Acceptance:
        return cls(str(d["reason"]), str(d["by"]), dt.date.fromisoformat(d["expires"]),
                   Status(d["status"]) if d.get("status") else None,
                   Holder(d["holder"]) if d.get("holder") else None,
                   Severity(d["severity"]) if d.get("severity") else None)

    def state_text(self) -> str:
        """"warn" / "fail, high" / "" : the accepted state in words."""
        parts = [p.value for p in (self.status, self.severity) if p is not None]
        return ", ".join(parts)


@dataclass(frozen=True)
class Finding:
    check_id: str
    control: str
    asset: Asset
    holder: Holder
    status: Status
    severity: Severity
    title: str
    detail: str
    remediation: str
    risk: str = ""
    evidence: tuple[Evidence, ...] = ()
    due: dt.date | None = None
    references: tuple[str, ...] = ()
    # Distinguishes several findings of one check on one asset and control (e.g. two MX
    # hosts). Part of the id; not shown.
    key: str = ""
    # An acceptance that applies (the finding keeps its status and holder but does not
    # count for --fail-on, blockers or the grade), or one that matched but has expired.
    accepted: Acceptance | None = None
    acceptance_expired: Acceptance | None = None
    # An acceptance that matched but was written for a better state than the finding's
    # now ("accepted as warn, now fail"): the finding counts again.
    acceptance_exceeded: Acceptance | None = None

    @functools.cached_property
    def id(self) -> str:
        """Computed once per finding (renderers, merging and history ask it many times);
        `dataclasses.replace` makes a new finding, which computes its own."""
        return finding_id(self.check_id, self.asset, self.control, self.key)

    @property
    def area(self) -> str:
        return control_area(self.control)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "check_id": self.check_id,
            "control": self.control,
            "asset": self.asset.to_dict(),
            "holder": self.holder.value,
            "status": self.status.value,
            "severity": self.severity.value,
            "title": self.title,
            "detail": self.detail,
            "risk": self.risk,
            "evidence": [e.to_dict() for e in self.evidence],
            "remediation": self.remediation,
            "references": list(self.references),
            "due": self.due.isoformat() if self.due else None,
            "key": self.key,
            **({"accepted": self.accepted.to_dict()} if self.accepted else {}),
            **({"acceptance_expired": self.acceptance_expired.to_dict()}
               if self.acceptance_expired else {}),
            **({"acceptance_exceeded": self.acceptance_exceeded.to_dict()}
               if self.acceptance_exceeded else {}),
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Finding:
        return cls(
            check_id=d["check_id"],
            control=d["control"],
            asset=Asset.from_dict(d["asset"]),
            holder=Holder(d["holder"]),
            status=Status(d["status"]),
            severity=Severity(d["severity"]),
            title=d["title"],
            detail=d.get("detail", ""),
            remediation=d.get("remediation", ""),
            risk=d.get("risk", ""),
            evidence=tuple(Evidence.from_dict(e) for e in d.get("evidence", [])),
            due=dt.date.fromisoformat(d["due"]) if d.get("due") else None,
            references=tuple(d.get("references", [])),
            key=d.get("key", ""),
            accepted=Acceptance.from_dict(d["accepted"]) if d.get("accepted") else None,
            acceptance_expired=(Acceptance.from_dict(d["acceptance_expired"])
                                if d.get("acceptance_expired") else None),
            acceptance_exceeded=(Acceptance.from_dict(d["acceptance_exceeded"])
                                 if d.get("acceptance_exceeded") else None),
        )


# The reason given for a source the audit file does not configure: not a coverage gap.
NOT_CONFIGURED = "not configured in the audit file"


@dataclass(frozen=True)
class Coverage:
    """Whether one target of one area was assessed, and if not, why."""

    area: str
    target: str
    assessed: bool
    reason: str | None = None

    @property
    def not_configured(self) -> bool:
        """Skipped because the audit file does not ask for it: not a gap. Decided by the
        constant the engine writes, never by wording."""
        return not self.assessed and self.reason == NOT_CONFIGURED

    def to_dict(self) -> dict[str, Any]:
        return {"area": self.area, "target": self.target, "assessed": self.assessed,
                "reason": self.reason}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Coverage:
        return cls(d["area"], d["target"], bool(d["assessed"]), d.get("reason"))


@dataclass(frozen=True)
class NotRead:
    """An access path of a scanned platform that this version does not read (the control
    catalogue, lockin_audit/catalogue): no pass speaks for it. `doc` is the vendor's page
    that documents the path."""

    path: str
    title: str
    reason: str
    doc: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"path": self.path, "title": self.title, "reason": self.reason, "doc": self.doc}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> NotRead:
        return cls(str(d["path"]), str(d.get("title") or d["path"]), str(d["reason"]),
                   str(d.get("doc") or ""))


def not_read_of(areas_scanned: Iterable[str], checks_run: Iterable[str] | None = None
                ) -> dict[str, tuple[NotRead, ...]]:
    """Per platform whose areas were scanned, the access paths not read (catalogue)."""
    return {platform: tuple(NotRead.from_dict(row) for row in rows)
            for platform, rows in catalogue.not_read(areas_scanned, checks_run).items()}


@dataclass(frozen=True)
class Unidentified:
    """A foreign identifier that matched no configured or known party."""

    kind: str
    value: str
    seen_in: tuple[str, ...]
    controls: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "value": self.value, "seen_in": list(self.seen_in),
                "controls": list(self.controls)}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Unidentified:
        return cls(d["kind"], d["value"], tuple(d.get("seen_in", [])),
                   tuple(d.get("controls", [])))


@dataclass(frozen=True)
class Deadline:
    date: dt.date
    title: str
    finding_id: str
    severity: Severity

    def to_dict(self) -> dict[str, Any]:
        return {"date": self.date.isoformat(), "title": self.title,
                "finding_id": self.finding_id, "severity": self.severity.value}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Deadline:
        return cls(dt.date.fromisoformat(d["date"]), d["title"], d["finding_id"],
                   Severity(d["severity"]))


@dataclass(frozen=True)
class Readiness:
    """The report layer's judgement of a result (`lockin_audit.scoring`). When the
    scan is incomplete `grade` is None and `score` is a lower bound (`complete` False)."""

    score: int
    grade: str | None
    blockers: int
    deadlines: tuple[Deadline, ...] = ()
    breakdown: Mapping[str, Any] = field(default_factory=dict)
    complete: bool = True

    def to_dict(self) -> dict[str, Any]:
        return {"score": self.score, "grade": self.grade, "blockers": self.blockers,
                "complete": self.complete,
                "deadlines": [d.to_dict() for d in self.deadlines],
                "breakdown": _plain(self.breakdown)}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Readiness:
        return cls(int(d["score"]), d.get("grade"), int(d["blockers"]),
                   tuple(Deadline.from_dict(x) for x in d.get("deadlines", [])),
                   d.get("breakdown") or {}, bool(d.get("complete", d.get("grade") is not None)))


@dataclass(frozen=True)
class CheckInfo:
    """Check metadata carried in the result so renderers need nothing but the result."""

    id: str
    area: str
    control: str
    title: str
    severity: Severity
    risk: str
    remediation: tuple[str, ...]
    references: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "area": self.area, "control": self.control,
                "title": self.title, "severity": self.severity.value, "risk": self.risk,
                "remediation": list(self.remediation), "references": list(self.references)}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> CheckInfo:
        return cls(d["id"], d["area"], d["control"], d["title"], Severity(d["severity"]),
                   d.get("risk", ""), tuple(d.get("remediation", [])),
                   tuple(d.get("references", [])))


@dataclass(frozen=True)
class Gap:
    """Something configured that could not be read, and why: an unassessed coverage entry
    or an error finding."""

    area: str
    what: str
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return {"area": self.area, "what": self.what, "reason": self.reason}


@dataclass(frozen=True)
class Changes:
    """What changed against a baseline (lockin_audit.history.diff): `new` are ids of
    findings of this scan that are new or worse; `resolved` were held by the provider and
    now are not (or are gone), with enough to name them; `changed` moved holder, status
    or severity (with before and after)."""

    baseline: str
    new: tuple[str, ...] = ()
    resolved: tuple[Mapping[str, Any], ...] = ()
    changed: tuple[Mapping[str, Any], ...] = ()
    unchanged: int = 0
    # baseline findings not looked at this time (target removed from the audit file or
    # not reachable, check not run): never counted as resolved
    not_scanned: tuple[Mapping[str, Any], ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"baseline": self.baseline, "new": list(self.new),
                "resolved": [_plain(r) for r in self.resolved],
                "changed": [_plain(c) for c in self.changed], "unchanged": self.unchanged,
                "not_scanned": [_plain(n) for n in self.not_scanned]}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Changes:
        return cls(str(d["baseline"]), tuple(d.get("new", [])),
                   tuple(d.get("resolved", [])), tuple(d.get("changed", [])),
                   int(d.get("unchanged", 0)), tuple(d.get("not_scanned", [])))


@dataclass(frozen=True)
class HistoryPoint:
    """One recorded scan of the same client, for the trend (oldest first)."""

    scan: str
    finished_at: str
    score: int
    grade: str | None
    complete: bool = True
    provider_held: Mapping[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"scan": self.scan, "finished_at": self.finished_at, "score": self.score,
                "grade": self.grade, "complete": self.complete,
                "provider_held": dict(self.provider_held)}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> HistoryPoint:
        return cls(str(d["scan"]), d["finished_at"], int(d["score"]), d.get("grade"),
                   bool(d.get("complete", True)), dict(d.get("provider_held") or {}))


@dataclass(frozen=True)
class ScanResult:
    """What the engine produced. `readiness` is the report layer's judgement
    (`lockin_audit.scoring.scored`): None until the result has been scored."""

    started_at: str
    finished_at: str
    client: Mapping[str, Any]
    provider: tuple[Mapping[str, Any], ...]
    readiness: Readiness | None
    findings: tuple[Finding, ...]
    coverage: tuple[Coverage, ...]
    unidentified: tuple[Unidentified, ...]
    checks: tuple[CheckInfo, ...] = ()
    tool_version: str = ""
    interrupted: bool = False
    audit_file: str | None = None
    schema_version: str = SCHEMA_VERSION
    changes: Changes | None = None
    history: tuple[HistoryPoint, ...] = ()
    # the signed evidence bundle written with this result (its file name), if any: the
    # HTML names it and each finding's member (lockin_audit.evidence.evidence_member)
    evidence_bundle: str | None = None
    # Where this scan was recorded: {"store", "recorded", "scan", "error"} (None: history
    # off). A store that could not be written says so here, not only on stderr.
    recording: Mapping[str, Any] | None = None
    # One entry per acceptance-file entry: what it matched (and why nothing, if nothing).
    acceptances: tuple[Mapping[str, Any], ...] = ()
    # per platform, the access paths this version does not read (DESIGN.md section 2)
    not_read: Mapping[str, tuple[NotRead, ...]] = field(default_factory=dict)

    def __repr__(self) -> str:
        """Short on purpose: Python 3.11's asyncio.Runner builds the repr of the main task
        (and so of its result) when it checks the SIGINT handler at the end of
        `asyncio.run`; the generated repr of every finding cost 300 MB at 5,000 domains."""
        return (f"ScanResult({self.started_at} .. {self.finished_at}, "
                f"{len(self.findings)} findings, {len(self.coverage)} coverage entries)")

    def to_dict(self, *, include_findings: bool = True) -> dict[str, Any]:
        """The JSON shape; without the findings (an empty list in their place) when a
        writer streams them one by one (`report.json_format`)."""
        return {
            "schema_version": self.schema_version,
            "tool": {"name": "lockin-audit", "version": self.tool_version},
            "started_at": self.started_at,
            "finished_at": self.finished_at,
            "interrupted": self.interrupted,
            "audit_file": self.audit_file,
            "client": _plain(self.client),
            "provider": [_plain(p) for p in self.provider],
            "complete": self.complete,
            "readiness": self.readiness.to_dict() if self.readiness else None,
            "findings": [f.to_dict() for f in self.findings] if include_findings else [],
            "coverage": [c.to_dict() for c in self.coverage],
            "not_read": {platform: [p.to_dict() for p in paths]
                         for platform, paths in self.not_read.items()},
            "unidentified": [u.to_dict() for u in self.unidentified],
            "checks": [c.to_dict() for c in self.checks],
            "changes": self.changes.to_dict() if self.changes else None,
            "history": [h.to_dict() for h in self.history],
            "evidence_bundle": self.evidence_bundle,
            "recording": _plain(self.recording) if self.recording is not None else None,
            "acceptances": [_plain(a) for a in self.acceptances],
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> ScanResult:
        return cls(
            started_at=d["started_at"],
            finished_at=d["finished_at"],
            client=d.get("client") or {},
            provider=tuple(d.get("provider") or []),
            readiness=Readiness.from_dict(d["readiness"]) if d.get("readiness") else None,
            findings=tuple(Finding.from_dict(f) for f in d.get("findings", [])),
            coverage=tuple(Coverage.from_dict(c) for c in d.get("coverage", [])),
            unidentified=tuple(Unidentified.from_dict(u) for u in d.get("unidentified", [])),
            checks=tuple(CheckInfo.from_dict(c) for c in d.get("checks", [])),
            tool_version=(d.get("tool") or {}).get("version", ""),
            interrupted=bool(d.get("interrupted", False)),
            audit_file=d.get("audit_file"),
            schema_version=d.get("schema_version", SCHEMA_VERSION),
            changes=Changes.from_dict(d["changes"]) if d.get("changes") else None,
            history=tuple(HistoryPoint.from_dict(h) for h in d.get("history") or []),
            evidence_bundle=d.get("evidence_bundle"),
            recording=d.get("recording"),
            acceptances=tuple(d.get("acceptances") or []),
            not_read={str(platform): tuple(NotRead.from_dict(p) for p in paths)
                      for platform, paths in (d.get("not_read") or {}).items()},
        )

    def findings_by_status(self, *statuses: Status) -> list[Finding]:
        return [f for f in self.findings if f.status in statuses]

    def gaps(self) -> list[Gap]:
        """What could not be read and why: every coverage entry that was not assessed
        (sources the audit file does not configure excepted) and every error finding."""
        out = [Gap(c.area, c.target, c.reason or "not assessed") for c in self.coverage
               if not c.assessed and not c.not_configured]
        out.extend(Gap(f.area, f"{f.title} ({f.asset.id})", f.detail)
                   for f in self.findings if f.status is Status.ERROR)
        return out

    @property
    def complete(self) -> bool:
        """True when every configured source and target was assessed and no finding is an
        error. An incomplete scan shows no grade and only a lower bound of the score."""
        return not self.interrupted and not self.gaps()


# When two findings share an id, the most severe status wins: a fail (held by the provider)
# or an error (not assessed) is never hidden behind a pass of the same check and asset.
STATUS_PRECEDENCE: Mapping[Status, int] = {
    Status.FAIL: 4, Status.ERROR: 3, Status.WARN: 2, Status.MANUAL: 1, Status.PASS: 0,
}


def dedupe_findings(findings: Iterable[Finding]) -> list[Finding]:
    """One finding per id, keeping the most severe status (then the higher severity; on a
    tie, the first). Order of first appearance is kept."""
    kept: dict[str, Finding] = {}
    for f in findings:
        old = kept.get(f.id)
        if old is None or ((STATUS_PRECEDENCE[f.status], f.severity.rank)
                           > (STATUS_PRECEDENCE[old.status], old.severity.rank)):
            kept[f.id] = f
    return list(kept.values())


def sort_findings(findings: Iterable[Finding]) -> list[Finding]:
    """Blockers first: fail before error/warn/manual/pass, then by severity, control, asset."""
    order = {Status.FAIL: 0, Status.ERROR: 1, Status.WARN: 2, Status.MANUAL: 3, Status.PASS: 4}
    return sorted(
        findings,
        key=lambda f: (order[f.status], -f.severity.rank, f.control, f.asset.id, f.check_id,
                       f.key),
    )


# ---------------------------------------------------------------- held by your provider
# ONE definition, used by the owner's summary, the trend, the CLI line, `history`, the
# history store's counts, fleet outcomes and the portfolio (issue 28): a finding is "held
# by your provider" when its status is fail (lock-in), its holder is the provider, and no
# acceptance is in force. Accepted ones are counted apart (`provider_held_accepted`); a
# fail whose holder is unknown or a third party is a problem to classify, not "held by
# your provider".
HELD_BY_PROVIDER_DEFINITION = (
    "Held by your provider: findings the provider holds (status fail, holder provider) "
    "that no acceptance in force covers. Accepted ones are counted apart; failures whose "
    "holder is not yet identified are listed to classify, not counted here.")


def holds_for_provider(f: Finding) -> bool:
    """Status fail and holder provider, accepted or not."""
    return f.status is Status.FAIL and f.holder is Holder.PROVIDER


def held_by_provider(f: Finding) -> bool:
    """THE definition of "held by your provider" (see HELD_BY_PROVIDER_DEFINITION)."""
    return holds_for_provider(f) and f.accepted is None


def provider_held_accepted(f: Finding) -> bool:
    """Held by the provider, with an acceptance in force (left there knowingly)."""
    return holds_for_provider(f) and f.accepted is not None


def held_by_area(findings: Iterable[Finding]) -> dict[str, int]:
    """Area -> how many findings are held by your provider (areas with none left out)."""
    held: dict[str, int] = {}
    for f in findings:
        if held_by_provider(f):
            held[f.area] = held.get(f.area, 0) + 1
    return dict(sorted(held.items()))
