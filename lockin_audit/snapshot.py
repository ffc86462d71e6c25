"""The fact snapshot of a whole scan, and the sources that replay it.

A snapshot records, per source, what the scan read: not configured, its targets could not
be listed (with the FetchError), or each target with its typed facts or the FetchError
that stopped it. Facts go through the typed codec of `lockin_audit.facts`, so a snapshot
says exactly what the checks were given — nothing the checks did not see, and never a
credential (the facts hold none).

`recorded_sources(snapshot)` gives one `RecordedSource` per recorded source: the scanner
runs the current version's checks on them exactly as on live sources (`lockin-audit
judge`), offline.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from lockin_audit.facts import FetchError, SourceFailure
from lockin_audit.sources.interface import Source, SourceContext, Target

if TYPE_CHECKING:
    from lockin_audit.config import AuditConfig

SNAPSHOT_FORMAT = "lockin-audit-facts/1"


class SnapshotError(Exception):
    """A snapshot this version cannot read (too old, too new or damaged)."""


def _codec() -> tuple[Any, Any, Any]:
    from lockin_audit import facts

    return facts.fact_to_json, facts.fact_from_json, getattr(facts, "FACTS_FORMAT_VERSION", 1)


def _error_json(error: FetchError) -> dict[str, Any]:
    return {"source": error.source, "request": error.request, "reason": error.reason,
            "kind": error.kind, "permission": error.permission,
            "observed_at": error.observed_at}


def _error_from(data: Mapping[str, Any]) -> FetchError:
    return FetchError(str(data["source"]), str(data["request"]), str(data["reason"]),
                      kind=str(data.get("kind", "error")), permission=data.get("permission"),
                      observed_at=str(data.get("observed_at", "")))


@dataclass
class SourceRecord:
    """What one source did in a scan."""

    name: str
    area: str
    state: str  # "read" | "not_configured" | "not_listed"
    error: FetchError | None = None
    targets: tuple[tuple[Target, Any], ...] = ()  # each target with its facts or FetchError


def record(sources: Mapping[str, Source], facts: Any,
           targets: Mapping[str, list[Target]]) -> dict[str, Any]:
    """The snapshot of a finished scan (the scanner's sources, FactStore and targets)."""
    to_json, _, codec_version = _codec()
    out: dict[str, Any] = {}
    for name, source in sorted(sources.items()):
        failed = facts.source_error(name) if hasattr(facts, "source_error") else None
        listed = targets.get(name)
        entry: dict[str, Any] = {"area": source.area}
        if listed is None:
            entry["state"] = ("not_configured" if failed is not None
                              and failed.kind == "not_configured" else "not_listed")
            if failed is not None:
                entry["error"] = _error_json(failed)
            out[name] = entry
            continue
        entry["state"] = "read"
        rows = []
        by_target = facts.get(name, {})
        for target in listed:
            row: dict[str, Any] = {"target": to_json(target)}
            error = facts.error_of(name, target.id) if hasattr(facts, "error_of") else None
            if target.id in by_target:
                row["facts"] = to_json(by_target[target.id])
            elif error is not None:
                row["error"] = _error_json(error)
            else:
                row["error"] = _error_json(FetchError(name, target.label,
                                                      "not read before the scan ended",
                                                      kind="error"))
            rows.append(row)
        entry["targets"] = rows
        out[name] = entry
    return {"format": SNAPSHOT_FORMAT, "codec": codec_version, "sources": out}


def load(snapshot: Mapping[str, Any]) -> dict[str, SourceRecord]:
    """Read a snapshot back (SnapshotError for one of another format)."""
    _, from_json, codec_version = _codec()
    fmt = snapshot.get("format")
    if fmt != SNAPSHOT_FORMAT:
        raise SnapshotError(f"the fact snapshot is in format {fmt!r}; this version of "
                            f"lockin-audit reads {SNAPSHOT_FORMAT!r} (a bundle recorded by an "
                            "older release cannot be re-judged: scan again)")
    if snapshot.get("codec") != codec_version:
        raise SnapshotError(f"the fact snapshot records facts of version "
                            f"{snapshot.get('codec')!r}; this version of lockin-audit reads "
                            f"version {codec_version!r} (a bundle recorded by another release "
                            "cannot be re-judged: scan again)")
    records: dict[str, SourceRecord] = {}
    try:
        for name, entry in snapshot["sources"].items():
            rows = []
            for row in entry.get("targets", []):
                target = from_json(row["target"])
                value = (from_json(row["facts"]) if "facts" in row
                         else _error_from(row["error"]))
                rows.append((target, value))
            records[name] = SourceRecord(
                name, str(entry.get("area", name)), str(entry["state"]),
                _error_from(entry["error"]) if entry.get("error") else None, tuple(rows))
    except SnapshotError:
        raise
    except Exception as exc:  # a damaged or hand-edited snapshot: say so, never crash
        raise SnapshotError(f"the fact snapshot cannot be read: {type(exc).__name__}: "
                            f"{exc}") from None
    return records


class RecordedSource(Source):
    """A source that answers with what a recorded scan read (for `judge`)."""

    def __init__(self, record: SourceRecord, live: Source | None) -> None:
        self.record = record
        self.name = record.name  # type: ignore[misc]
        self.area = record.area  # type: ignore[misc]
        # the live source's declared order and dependencies, so checks that read another
        # source's facts (needs=) see them exactly as in the scan
        if live is not None:
            self.after = live.after  # type: ignore[misc]
            self.requires = live.requires  # type: ignore[misc]
        self._facts = {t.id: value for t, value in record.targets}

    def depends_on(self) -> tuple[str, ...]:  # type: ignore[override]
        return tuple(dict.fromkeys([*self.after, *(r.source for r in self.requires)]))

    def configured(self, config: AuditConfig) -> bool:
        return self.record.state != "not_configured"

    async def targets(self, ctx: SourceContext) -> list[Target]:
        if self.record.state == "not_listed":
            raise SourceFailure(self.record.error or FetchError(
                self.name, f"{self.name} targets", "its targets could not be listed"))
        return [t for t, _ in self.record.targets]

    async def fetch(self, target: Target, ctx: SourceContext) -> Any:
        value = self._facts[target.id]
        if isinstance(value, FetchError):
            raise SourceFailure(value)
        return value


def recorded_sources(records: Mapping[str, SourceRecord]) -> dict[str, Source]:
    from lockin_audit.sources import load_source

    out: dict[str, Source] = {}
    for name, rec in records.items():
        try:
            live: Source | None = load_source(name)
        except Exception:  # a source this version no longer has: replay it bare
            live = None
        out[name] = RecordedSource(rec, live)
    return out
