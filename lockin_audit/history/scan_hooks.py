"""What a scan does with history: acceptances, the baseline comparison, recording, trend.

`ScanHistory` is prepared before the scan (so that a bad acceptance file, baseline or
store fails fast with exit 2, before anything is scanned) and `finish()` runs on the
result before the reports are written:

1. acceptances are applied, each bound to the state it was written for (carried from
   the client's last recorded scan, or the baseline report.json), and the result
   re-scored (accepted findings do not count);
2. the baseline (`--baseline FILE|last|last~N|ID`; by default the client's last recorded
   scan when history is on) is compared with the result -> `ScanResult.changes`;
3. the scan is recorded in the store (unless `--no-history` or interrupted); the
   outcome is `ScanResult.recording` - a store that refuses the write is in report.json
   and the report, and `record_failed` lets the CLI exit 5 when the store was asked for
   explicitly (`--history`, `scan.history`); with the default store it only warns;
4. the client's recorded scans become `ScanResult.history` (the trend).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from dataclasses import dataclass, field, replace
from pathlib import Path

from lockin_audit.config import AuditConfig, ConfigError
from lockin_audit.history.acceptance import (
    AcceptEntry,
    apply_acceptances,
    load_accept_files,
)
from lockin_audit.history.diff import compare
from lockin_audit.history.store import HistoryError, HistoryStore, open_store
from lockin_audit.model import Readiness, ScanResult
from lockin_audit.report.history_view import exceeded_text

_REF = re.compile(r"^(last(~\d+)?|\d+)$")

# Exit code of a scan whose history store, asked for explicitly (--history or
# scan.history), refused to record it (README: exit codes).
EXIT_NOT_RECORDED = 5


def known_check_ids() -> set[str] | None:
    """Every check id (built-in and plugins), to validate acceptance entries; None when
    the registry cannot be loaded (the scan reports that itself)."""
    from lockin_audit import registry

    try:
        return {c.id for c in registry.all_checks()}
    except registry.RegistryError:
        return None


def audit_hash(path: str | None) -> str | None:
    """SHA-256 of the audit file's bytes (None when the scan had no file)."""
    if not path:
        return None
    try:
        return hashlib.sha256(Path(path).read_bytes()).hexdigest()
    except OSError:
        return None


def load_result_file(path: Path) -> ScanResult:
    try:
        return ScanResult.from_dict(json.loads(path.read_text(encoding="utf-8")))
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such file (expected a report.json or a scan "
                          "reference: last, last~N or a scan id).") from None
    except (ValueError, KeyError, TypeError) as exc:
        raise ConfigError(f"{path}: is not a lockin-audit report.json ({exc}).") from None


def is_scan_ref(text: str) -> bool:
    return bool(_REF.match(text.strip()))


@dataclass
class ScanHistory:
    config: AuditConfig
    store_target: str | None = None       # None: the default SQLite file
    enabled: bool = True
    baseline: str | None = None
    accept_files: list[Path] = field(default_factory=list)
    today: dt.date = field(default_factory=dt.date.today)
    store: HistoryStore | None = None
    entries: list[AcceptEntry] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    scan_id: int | None = None
    explicit: bool | None = None          # the store was asked for (None: store_target or
                                          # scan.history given)
    record_error: str | None = None       # why the scan could not be recorded
    _baseline_result: ScanResult | None = None
    _baseline_label: str = ""
    _previous: ScanResult | None = None   # the last recorded scan (acceptance states)

    @property
    def client(self) -> str:
        return self.config.client.name

    def prepare(self) -> ScanHistory:
        files = list(self.accept_files) + [self.config.resolve_path(p)
                                           for p in self.config.scan.accept]
        self.entries = load_accept_files(files, self.today,
                                         known_check_ids() if files else None)
        target = self.store_target or self.config.scan.history
        if self.explicit is None:
            self.explicit = target is not None
        if self.enabled:
            try:
                self.store = open_store(target)
            except HistoryError as exc:
                if target is not None or self.baseline is not None:
                    raise ConfigError(str(exc)) from None
                # the default store (nobody asked for it) cannot be opened, e.g. a
                # read-only home folder: scan anyway, and say it was not recorded
                self.record_error = str(exc)
                self.notes.append(f"not recorded: {exc}")
        base = self.baseline
        if base is not None and not is_scan_ref(base):
            self._baseline_result = load_result_file(Path(base))
            self._baseline_label = base
        elif base is not None or self.store is not None:
            if self.store is None:
                raise ConfigError(f"--baseline {base}: a scan reference needs the history "
                                  "store; drop --no-history or give a report.json path.")
            ref = base or "last"
            try:
                stored = self.store.load(ref, client=self.client)
            except HistoryError:
                if base is not None and base != "last":
                    raise
                stored = None  # the client's first recorded scan: nothing to compare with
            if stored is not None:
                self._baseline_result = stored.result
                if ref == "last":
                    self._previous = stored.result
                self._baseline_label = (f"scan {stored.record.id} "
                                        f"({stored.record.finished_at})")
            elif base is not None:  # explicit --baseline last on the first scan
                self._baseline_result = ScanResult(
                    started_at="", finished_at="", client={"name": self.client},
                    provider=(), readiness=Readiness(0, "", 0), findings=(),
                    coverage=(), unidentified=())
                self._baseline_label = "none (first recorded scan)"
                self.notes.append("no earlier scan of this client is recorded: every "
                                  "finding counts as new.")
        if self.store is not None and self._previous is None and self.entries:
            try:  # the states the client's acceptances were bound to last time
                self._previous = self.store.load("last", client=self.client).result
            except HistoryError:
                self._previous = None
        if self._previous is None and self.baseline is not None and not is_scan_ref(
                self.baseline):
            self._previous = self._baseline_result
        return self

    def finish(self, result: ScanResult) -> ScanResult:
        applied = apply_acceptances(result, self.entries, self.today, self._previous)
        result = applied.result
        for u in applied.problems:
            self.notes.append(f"{u.entry.describe()} {u.problem}")
        if applied.expired:
            self.notes.append(f"{applied.expired} acceptance(s) have expired and count again.")
        for f in result.findings:
            if f.acceptance_exceeded is not None:
                self.notes.append(f"{f.check_id} on {f.asset.id}: {exceeded_text(f)}; it "
                                  "counts again.")
        if self._baseline_result is not None:
            result = replace(result, changes=compare(self._baseline_result, result,
                                                     self._baseline_label))
        if self.store is not None and not result.interrupted:
            try:
                self.scan_id = self.store.record(result, self.client,
                                                 audit_hash(self.config.source_path))
            except HistoryError as exc:
                self.record_error = str(exc)
                self.notes.append(f"not recorded: {exc}")
            else:
                try:
                    points = self.store.history_points(self.client, upto=self.scan_id)
                except HistoryError as exc:
                    self.notes.append(f"trend not read: {exc}")
                else:
                    result = replace(result, history=tuple(points))
        if (self.enabled or self.store is not None) and not result.interrupted:
            from lockin_audit.history.store import default_store_path, redact

            display = (self.store.display if self.store is not None
                       else redact(str(self.store_target or self.config.scan.history
                                       or default_store_path())))
            result = replace(result, recording={
                "store": display, "recorded": self.scan_id is not None,
                "scan": None if self.scan_id is None else str(self.scan_id),
                "error": self.record_error, "explicit": bool(self.explicit)})
        return result

    def first_scan(self, label: str) -> None:
        """Compare with nothing (every finding is new): a fleet client with no report.json
        in the baseline folder."""
        self._baseline_result = ScanResult(
            started_at="", finished_at="", client={"name": self.client}, provider=(),
            readiness=Readiness(0, "", 0), findings=(), coverage=(), unidentified=())
        self._baseline_label = label

    @property
    def record_failed(self) -> bool:
        """The store refused this scan (or could not be opened)."""
        return self.record_error is not None

    def close(self) -> None:
        if self.store is not None:
            self.store.close()


def with_recorded_history(result: ScanResult, store: HistoryStore) -> ScanResult:
    """A saved result with its client's trend read from the store (scans up to this one;
    this one added when it was not recorded) and, when it has no `changes`, the comparison
    with the client's last scan recorded before it."""
    from lockin_audit.model import HistoryPoint, held_by_area

    client = str(result.client.get("name") or "")
    records = [r for r in store.scans(client) if r.finished_at <= result.finished_at]
    points = [p for p in store.history_points(client)
              if p.finished_at <= result.finished_at]
    if not any(r.finished_at == result.finished_at for r in records):
        held = held_by_area(result.findings)
        rd = result.readiness
        points.append(HistoryPoint("this", result.finished_at, rd.score if rd else 0,
                                   rd.grade if rd else None, result.complete,
                                   dict(sorted(held.items()))))
    changes = result.changes
    earlier = [r for r in records if r.finished_at < result.finished_at]
    if changes is None and earlier:
        base = store.load(str(earlier[-1].id))
        changes = compare(base.result, result,
                          f"scan {base.record.id} ({base.record.finished_at})")
    return replace(result, history=tuple(points), changes=changes)
