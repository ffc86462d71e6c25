"""The scan: sources -> facts -> checks -> ScanResult.

One bounded pool and one per-host rate limiter for the whole scan (ScoutSuite's idea): every
remote call of every source goes through `lockin_audit.transport.Engine` (re-exported here).

`Scanner` fetches each source's targets once, then evaluates every selected check on the
fetched facts. A source or check that fails yields `status: error` findings and coverage
with the reason and never stops the rest; an interrupted scan still returns its partial
result.
"""

from __future__ import annotations

import asyncio
import traceback
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from lockin_audit import __version__
from lockin_audit.check import Check, CheckContext
from lockin_audit.facts import FetchError, SourceFailure
from lockin_audit.guards import WriteRefused
from lockin_audit.guards.http import assert_read_only_http
from lockin_audit.identity import Identity
from lockin_audit.model import (
    NOT_CONFIGURED,
    Coverage,
    Finding,
    ScanResult,
    Severity,
    Status,
    dedupe_findings,
    iso,
    not_read_of,
    sort_findings,
    utc_now,
)
from lockin_audit.sources.interface import FactStore, Source, SourceContext, Target
from lockin_audit.transport import (
    CURRENT_BUDGET,
    Budget,
    BudgetExhausted,
    Engine,
    HostRateLimiter,
    HttpResponse,
    parse_retry_after,
)

if TYPE_CHECKING:
    import datetime as dt
    from pathlib import Path

    from lockin_audit.config import AuditConfig

T = TypeVar("T")
P = TypeVar("P")

# ---------------------------------------------------------------------------------------
# the scan

# How long past its budget a target's fetch is awaited before it is cancelled.
BUDGET_GRACE_S = 30.0


class Progress(Protocol):
    def add_targets(self, area: str, count: int) -> None: ...
    def target_done(self, area: str, target: str, ok: bool, detail: str) -> None: ...


class _NoProgress:
    def add_targets(self, area: str, count: int) -> None:
        pass

    def target_done(self, area: str, target: str, ok: bool, detail: str) -> None:
        pass


@dataclass
class ScanOptions:
    areas: tuple[str, ...] = ()
    check_ids: tuple[str, ...] = ()
    use_cache: bool = True
    cache_dir: Path | None = None
    today: dt.date | None = None
    progress: Progress | None = None


class Scanner:
    def __init__(self, config: AuditConfig, checks: Iterable[Check],
                 options: ScanOptions | None = None,
                 sources: Mapping[str, Source] | None = None,
                 engine: Engine | None = None) -> None:
        """`engine`: run in an engine shared with other scans (a fleet); its owner closes
        it. Without one the scan makes its own from `scan.limits` and closes it."""
        import datetime as dt

        from lockin_audit.sources import load_source

        self.config = config
        self.options = options or ScanOptions()
        self.checks = list(checks)
        self.today = self.options.today or dt.date.today()
        self.identity = Identity.from_mappings(
            config.client.model_dump(), [p.model_dump() for p in config.provider])
        self._own_engine = engine is None
        self.engine = engine or Engine.from_limits(config.scan.limits)
        self.progress = self.options.progress or _NoProgress()
        self.started_at = utc_now()
        self.findings: list[Finding] = []
        self.coverage: list[Coverage] = []
        # per source and target: the facts or the FetchError (what dependencies read)
        self.facts = FactStore()
        self._pending: dict[tuple[str, str], Target] = {}
        # per source: the targets it listed (the fact snapshot records them with their facts)
        self.targets: dict[str, list[Target]] = {}
        self.sources: dict[str, Source] = dict(sources or {})
        self.unavailable: dict[str, str] = {}
        queue = list(dict.fromkeys([*(c.meta.source for c in self.checks),
                                    *(n for c in self.checks for n in c.meta.needs)]))
        while queue:
            name = queue.pop()
            if name in self.sources or name in self.unavailable:
                continue
            try:
                self.sources[name] = load_source(name)
            except Exception as exc:  # a missing optional dependency must not stop the scan
                self.unavailable[name] = f"source {name!r} cannot be loaded: {_crash(exc)}"
                continue
            queue.extend(self.sources[name].depends_on())
        for name, reason in self.unavailable.items():
            self.facts.fail_source(name, FetchError(name, f"source {name}", reason,
                                                    kind="unsupported"))
            areas = sorted({c.meta.area for c in self.checks if c.meta.source == name})
            for area in areas or [name]:
                self.coverage.append(Coverage(area, name, False, reason))
        self.checks = [c for c in self.checks if c.meta.source not in self.unavailable]
        # what each source waits for: its own dependencies and those of its checks
        self.waits: dict[str, tuple[str, ...]] = {
            name: tuple(dict.fromkeys([
                *src.depends_on(),
                *(n for c in self.checks if c.meta.source == name for n in c.meta.needs
                  if n != name)]))
            for name, src in self.sources.items()}
        _refuse_cycles(self.waits)

    # -- running -----------------------------------------------------------------------
    async def run(self) -> ScanResult:
        done = {name: asyncio.Event() for name in self.sources}
        for name in self.unavailable:
            done[name] = asyncio.Event()
            done[name].set()
        try:
            await asyncio.gather(*(self._run_source(name, src, done)
                                   for name, src in self.sources.items()))
        finally:
            for src in self.sources.values():
                try:
                    await src.close()
                except Exception:  # closing must not hide the result
                    pass
            if self._own_engine:
                await self.engine.aclose()
        return self.result()

    async def _run_source(self, name: str, source: Source,
                          done: Mapping[str, asyncio.Event]) -> None:
        try:
            for dep in self.waits.get(name, source.after):
                if dep in done:
                    await done[dep].wait()
            ctx = self._source_context(source)
            if not source.configured(self.config):
                self.facts.fail_source(name, FetchError(name, f"source {name}",
                                                        NOT_CONFIGURED, kind="not_configured"))
                self.coverage.append(Coverage(source.area, f"{name} (not configured)", False,
                                              NOT_CONFIGURED))
                return
            try:
                targets = await source.targets(ctx)
            except SourceFailure as exc:
                self.facts.fail_source(name, exc.error)
                self.coverage.append(Coverage(source.area, name, False, exc.error.describe()))
                return
            except Exception as exc:
                reason = f"could not list targets: {_crash(exc)}"
                self.facts.fail_source(name, FetchError(name, f"{name} targets", reason))
                self.coverage.append(Coverage(source.area, name, False, reason))
                return
            self.facts.started(name)
            self.targets[name] = list(targets)
            for t in targets:
                self._pending[(name, t.id)] = t
            self.progress.add_targets(source.area, len(targets))
            await asyncio.gather(*(self._run_target(name, source, t, ctx) for t in targets))
        finally:
            done[name].set()

    async def _run_target(self, name: str, source: Source, target: Target,
                          ctx: SourceContext) -> None:
        checks = [c for c in self.checks if c.meta.source == name]
        budget_s = self.config.scan.limits.target_budget_s
        CURRENT_BUDGET.set(Budget.start(budget_s))  # this task's (this target's) budget
        try:
            # the engine bounds every request by the budget; this bounds what a source
            # might do outside the engine (a grace period lets in-flight requests end)
            facts = await asyncio.wait_for(source.fetch(target, ctx),
                                           budget_s + BUDGET_GRACE_S)
        except SourceFailure as exc:
            self._target_failed(name, source, target, checks, exc.error.describe(), exc.error)
            return
        except BudgetExhausted as exc:
            self._target_failed(name, source, target, checks, str(exc),
                                FetchError(name, target.label, str(exc), kind="timeout"))
            return
        except TimeoutError:
            reason = f"no answer in time while fetching (target budget {budget_s:g} s)"
            self._target_failed(name, source, target, checks, reason,
                                FetchError(name, target.label, reason, kind="timeout"))
            return
        except Exception as exc:
            self._target_failed(name, source, target, checks, _crash(exc), None)
            return
        self.facts.put(name, target.id, facts)
        produced = 0
        for c in checks:
            produced += len(self._evaluate(c, target, facts))
        self.coverage.append(Coverage(source.area, target.label, True, None))
        self._pending.pop((name, target.id), None)
        self.progress.target_done(source.area, target.label, True, f"{produced} findings")

    def _evaluate(self, check: Check, target: Target, facts: Any) -> list[Finding]:
        ctx = CheckContext(check.meta, target, self.identity, self.today, self.facts)
        try:
            found = check.run(facts, ctx)
        except Exception as exc:
            found = [ctx.error(target.asset, f"the check failed: {_crash(exc)}")]
        self.findings.extend(found)
        return found

    def _target_failed(self, name: str, source: Source, target: Target, checks: list[Check],
                       reason: str, error: FetchError | None) -> None:
        self.facts.fail(name, target.id,
                        error or FetchError(name, target.label, reason, kind="error"))
        for c in checks:
            ctx = CheckContext(c.meta, target, self.identity, self.today, self.facts)
            self.findings.append(ctx.error(target.asset, error or reason))
        self.coverage.append(Coverage(source.area, target.label, False, reason))
        self._pending.pop((name, target.id), None)
        self.progress.target_done(source.area, target.label, False, reason)

    def _source_context(self, source: Source | None = None) -> SourceContext:
        return SourceContext(config=self.config, engine=self.engine, facts=self.facts,
                             cache_dir=self.options.cache_dir,
                             use_cache=self.options.use_cache, today=self.today,
                             declared=(frozenset(source.depends_on()) if source is not None
                                       else None),
                             reader=f"source {source.name}" if source is not None
                             else "a source")

    def snapshot(self) -> dict[str, Any]:
        """The fact snapshot of this scan (lockin_audit.snapshot): what each source read."""
        from lockin_audit.snapshot import record

        return record(self.sources, self.facts, self.targets)

    # -- the result --------------------------------------------------------------------
    def result(self, *, interrupted: bool = False) -> ScanResult:
        coverage = list(self.coverage)
        for (name, _), target in list(self._pending.items()):
            coverage.append(Coverage(self.sources[name].area, target.label, False,
                                     "the scan was interrupted before this was assessed"))
        findings = tuple(sort_findings(dedupe_findings(self.findings)))
        return ScanResult(
            started_at=iso(self.started_at),
            finished_at=iso(utc_now()),
            client=self.identity.client.summary(),
            provider=tuple(p.summary() for p in self.identity.providers),
            readiness=None,  # judged by the report layer (lockin_audit.scoring.scored)
            findings=findings,
            coverage=tuple(coverage),
            unidentified=self.identity.unidentified.ranked(),
            checks=tuple(c.meta.info() for c in self.checks),
            tool_version=__version__,
            interrupted=interrupted,
            audit_file=self.config.source_path,
            not_read=not_read_of(
                {c.area for c in coverage if not c.not_configured}
                | {f.area for f in findings}, {c.id for c in self.checks}),
        )


def _refuse_cycles(waits: Mapping[str, Iterable[str]]) -> None:
    """Sources that wait for each other would never start: a programming error."""
    state: dict[str, int] = {}

    def visit(node: str, path: tuple[str, ...]) -> None:
        if state.get(node) == 2:
            return
        if state.get(node) == 1:
            raise ValueError("sources depend on each other in a cycle: "
                             + " -> ".join((*path, node)))
        state[node] = 1
        for dep in waits.get(node, ()):
            visit(dep, (*path, node))
        state[node] = 2

    for name in waits:
        visit(name, ())


def _crash(exc: BaseException) -> str:
    frame = traceback.extract_tb(exc.__traceback__)[-1] if exc.__traceback__ else None
    where = f" (at {frame.filename.rsplit('/', 1)[-1]}:{frame.lineno})" if frame else ""
    return f"{type(exc).__name__}: {exc}{where}"


def fail_on_reached(result: ScanResult, threshold: Severity) -> bool:
    """True when a provider-held (fail) finding is at or above the threshold severity
    (accepted findings do not count)."""
    return any(f.status is Status.FAIL and f.severity.at_least(threshold)
               and f.accepted is None for f in result.findings)


__all__ = [
    "CURRENT_BUDGET",
    "Budget",
    "BudgetExhausted",
    "Engine",
    "HostRateLimiter",
    "HttpResponse",
    "ScanOptions",
    "Scanner",
    "WriteRefused",
    "assert_read_only_http",
    "fail_on_reached",
    "parse_retry_after",
]
