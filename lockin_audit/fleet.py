"""Fleet mode: many clients' audits in one run, in one engine, sharded across machines.

An MSP keeps one audit file per client. `lockin-audit fleet scan FILE...` loads them all,
keeps the clients of this shard (`--shard I/N`: a stable hash of the client's name, so a
client stays in its shard whatever the file order or the machine), and scans them
concurrently (`--jobs`) inside ONE engine: one pool, one set of per-host rate limits (200
clients' domains at one registry respect its limit together) and one set of caches of
public data (the RDAP bootstrap and answers, DNS answers; `Engine.shared`). Each client
gets its own sources, so its credentials (AWS profile or roles, Azure tenant and
credential) serve that client only, and its reports go to `OUTDIR/<client-slug>/`, written
by the same code as `lockin-audit scan`.

One client's failure (a bad audit file, dead credentials, a crash) is reported for that
client and never stops the others. The exit code summarises the fleet (`fleet_exit_code`).
"""

from __future__ import annotations

import asyncio
import glob
import hashlib
import json
import os
import re
import sys
import threading
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lockin_audit.config import AuditConfig, ConfigError, Limits, load_config
from lockin_audit.safety import printable, write_text_atomic

if TYPE_CHECKING:
    from lockin_audit.check import Check
    from lockin_audit.history.store import HistoryStore
    from lockin_audit.model import ScanResult

DEFAULT_JOBS = 8

# Exit codes of one client, and their precedence when summarising a fleet: the fleet exits
# with the code of highest precedence among its clients (a problem an operator must fix
# before a finding the business must act on).
EXIT_PRECEDENCE: tuple[int, ...] = (2, 3, 5, 4, 1, 0)


class FleetError(Exception):
    """A usage error of the fleet command itself (exit 2): bad --shard, no audit file."""


# ---------------------------------------------------------------------------------------
# shards


@dataclass(frozen=True)
class Shard:
    index: int  # 1-based
    count: int
    origin: str = "--shard"  # where index and count came from

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"


def client_key(name: str) -> str:
    """The name a client is known by for sharding and history: Unicode-normalised,
    case-folded, inner whitespace collapsed."""
    return " ".join(unicodedata.normalize("NFKC", name).casefold().split())


def shard_of(name: str, count: int) -> int:
    """The 1-based shard of a client: a stable hash of its name (sha256; never Python's
    per-process `hash`), the same on every machine and in every file order."""
    digest = hashlib.sha256(client_key(name).encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") % count + 1


def _int(value: str, what: str) -> int:
    try:
        return int(value.strip())
    except ValueError:
        raise FleetError(f"{what} must be a whole number, not {value!r}.") from None


def _checked(index: int, count: int, origin: str) -> Shard:
    if count < 1:
        raise FleetError(f"{origin}: the number of shards must be at least 1, not {count}.")
    if not 1 <= index <= count:
        raise FleetError(f"{origin}: shard {index} is outside 1..{count} (the shard index "
                         f"counts from 1 in --shard I/N; from 0 in the job engines' "
                         "variables, which --shard auto converts).")
    return Shard(index, count, origin)


# (index variable, count variable, index base, name) in the order --shard auto tries them.
AUTO_SOURCES: tuple[tuple[str, str | None, int, str], ...] = (
    ("LOCKIN_AUDIT_SHARD", None, 1, "LOCKIN_AUDIT_SHARD (I/N, e.g. from a CI matrix)"),
    ("JOB_COMPLETION_INDEX", None, 0, "Kubernetes Indexed Job"),
    ("AWS_BATCH_JOB_ARRAY_INDEX", "AWS_BATCH_JOB_ARRAY_SIZE", 0, "AWS Batch array job"),
    ("CI_NODE_INDEX", "CI_NODE_TOTAL", 1, "GitLab CI parallel job"),
    ("CIRCLE_NODE_INDEX", "CIRCLE_NODE_TOTAL", 0, "CircleCI parallelism"),
    ("BUILDKITE_PARALLEL_JOB", "BUILDKITE_PARALLEL_JOB_COUNT", 0, "Buildkite parallel job"),
)


def parse_shard(spec: str | None, *, env: Mapping[str, str] | None = None,
                count: int | None = None) -> Shard | None:
    """`--shard I/N`, `--shard auto` (from the job engine's environment) or None (every
    client). `count` is `--shard-count`, needed where the engine does not say how many
    shards there are (a Kubernetes Indexed Job's `completions`)."""
    if spec is None or spec.strip() == "":
        if count is not None:
            raise FleetError("--shard-count is only used with --shard auto.")
        return None
    spec = spec.strip()
    if spec.lower() != "auto":
        m = re.fullmatch(r"(\d+)\s*/\s*(\d+)", spec)
        if not m:
            raise FleetError(f"--shard must be I/N (like 2/5: the second of five shards) or "
                             f"auto, not {spec!r}.")
        return _checked(int(m.group(1)), int(m.group(2)), f"--shard {spec}")
    env = os.environ if env is None else env
    for index_var, count_var, base, name in AUTO_SOURCES:
        raw = env.get(index_var)
        if raw is None or raw.strip() == "":
            continue
        origin = f"--shard auto ({name}: {index_var})"
        if index_var == "LOCKIN_AUDIT_SHARD":  # I/N, 1-based
            index, total = _split_spec(raw, origin)
            if count is not None and count != total:
                raise FleetError(f"--shard-count {count} disagrees with {index_var}={raw}.")
            return Shard(index, total, origin)
        index = _int(raw, f"{origin}") - base + 1
        total_raw = env.get(count_var) if count_var else None
        if total_raw not in (None, ""):
            total = _int(str(total_raw), f"--shard auto: {count_var}")
            if count is not None and count != total:
                raise FleetError(f"--shard-count {count} disagrees with {count_var}={total}.")
        elif count is not None:
            total = count
        else:
            hint = f" or set {count_var}" if count_var else ""
            raise FleetError(f"{origin}: the number of shards is not in the environment; "
                             f"give it with --shard-count N{hint} (for a Kubernetes Indexed "
                             "Job: the Job's completions).")
        return _checked(index, total, origin)
    names = ", ".join(f"{i}" + (f" + {c}" if c else "") for i, c, _, _ in AUTO_SOURCES)
    raise FleetError("--shard auto found no shard in the environment; it reads (in this "
                     f"order) {names}. Set one of them, or give --shard I/N.")


def _split_spec(raw: str, origin: str) -> tuple[int, int]:
    m = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+)\s*", raw)
    if not m:
        raise FleetError(f"{origin} must be I/N (like 2/5), not {raw!r}.")
    shard = _checked(int(m.group(1)), int(m.group(2)), origin)
    return shard.index, shard.count


# ---------------------------------------------------------------------------------------
# members


def slugify(name: str) -> str:
    """A folder name for a client: ASCII letters, digits and dashes."""
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60].strip("-")
    return slug or "client"


@dataclass(frozen=True)
class Member:
    """One audit file of the fleet: its client, or why it cannot be scanned."""

    path: Path
    name: str  # the client's name, or the file's name when it cannot be read
    slug: str
    config: AuditConfig | None = None
    error: str | None = None

    @property
    def shard_name(self) -> str:
        return self.name


def expand(patterns: Sequence[str]) -> list[Path]:
    """Audit files from paths and globs (quoted globs are expanded here, for job specs
    that pass them without a shell). A pattern that matches nothing is an error."""
    found: list[Path] = []
    for pattern in patterns:
        if glob.has_magic(pattern):
            matches = sorted(glob.glob(os.path.expanduser(pattern), recursive=True))
            if not matches:
                raise FleetError(f"{pattern}: matches no audit file.")
            found.extend(Path(m) for m in matches if Path(m).is_file())
        else:
            found.append(Path(pattern))
    if not found:
        raise FleetError("no audit file given: lockin-audit fleet scan AUDIT_FILE... "
                         "(paths or globs such as 'clients/*.yaml').")
    unique: dict[str, Path] = {}
    for p in found:
        unique.setdefault(str(p.resolve()), p)
    return list(unique.values())


def load_members(paths: Iterable[Path]) -> list[Member]:
    """Load every audit file. A file that cannot be read or is invalid becomes a member
    with an error (reported for that file, never stopping the others); two files naming
    the same client (or the same folder) are errors for the later files."""
    members: list[Member] = []
    names: dict[str, Path] = {}
    slugs: dict[str, str] = {}
    for path in paths:
        try:
            config = load_config(path)
        except ConfigError as exc:
            members.append(Member(path, path.stem, slugify(path.stem), error=str(exc)))
            continue
        except Exception as exc:  # an unreadable file must not stop the fleet
            members.append(Member(path, path.stem, slugify(path.stem),
                                  error=f"{path}: cannot be read: {type(exc).__name__}: {exc}"))
            continue
        name = config.client.name
        key = client_key(name)
        slug = slugify(name)
        if key in names:
            members.append(Member(path, name, slug, error=(
                f"{path}: client.name {name!r} is also the client of {names[key]}; each "
                "client needs one audit file (its history and its report folder are "
                "keyed by the name).")))
            continue
        if slug in slugs:
            slug = f"{slug}-{hashlib.sha256(key.encode()).hexdigest()[:6]}"
        names[key] = path
        slugs[slug] = key
        members.append(Member(path, name, slug, config=config))
    return members


def in_shard(members: Iterable[Member], shard: Shard | None) -> list[Member]:
    if shard is None:
        return list(members)
    return [m for m in members if shard_of(m.shard_name, shard.count) == shard.index]


def fleet_limits(configs: Iterable[AuditConfig]) -> Limits:
    """The one engine's limits: the widest pool and timeouts any client asks for, and for
    every host the strictest rate any client sets (a registry's limit holds for all)."""
    configs = list(configs)
    if not configs:
        return Limits()
    limits = [c.scan.limits for c in configs]
    host_rates: dict[str, float] = {}
    for lim in limits:
        for host, rate in lim.host_rates.items():
            host_rates[host] = min(rate, host_rates.get(host, rate))
    return limits[0].model_copy(update={
        "concurrency": max(lim.concurrency for lim in limits),
        "timeout_s": max(lim.timeout_s for lim in limits),
        "per_host_rate": min(lim.per_host_rate for lim in limits),
        "per_host_burst": min(lim.per_host_burst for lim in limits),
        "host_rates": host_rates,
        "max_retry_after_s": max(lim.max_retry_after_s for lim in limits),
    })


# ---------------------------------------------------------------------------------------
# running


@dataclass(frozen=True)
class ClientOutcome:
    """What became of one client in a fleet run (the fleet summary's row)."""

    name: str
    slug: str
    audit_file: str
    exit_code: int
    error: str | None = None  # why the client was not scanned (bad file, crash)
    score: int | None = None
    grade: str | None = None
    complete: bool | None = None
    provider_held: int | None = None
    outdir: str | None = None
    written: tuple[str, ...] = ()
    render_error: str | None = None
    scan_id: str | None = None  # the history store's id, when recorded
    notes: tuple[str, ...] = ()  # from the history: unused or expired acceptances
    record_error: str | None = None  # the history store refused this client's scan
    new_or_worse: int | None = None  # provider-held findings new or worse than the
                                     # baseline (None: no baseline)

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "slug": self.slug, "audit_file": self.audit_file,
                "exit_code": self.exit_code, "error": self.error, "score": self.score,
                "grade": self.grade, "complete": self.complete,
                "provider_held": self.provider_held, "outdir": self.outdir,
                "written": list(self.written), "render_error": self.render_error,
                "scan_id": self.scan_id, "notes": list(self.notes),
                "record_error": self.record_error, "new_or_worse": self.new_or_worse}


def is_complete(result: ScanResult) -> bool:
    """Every configured source and target assessed and no error finding."""
    return bool(result.complete)


def client_exit_code(result: ScanResult, *, fail_on: str, fail_on_gaps: bool,
                     render_failed: bool, not_recorded: bool = False,
                     fail_on_new: bool = False) -> int:
    """The code `lockin-audit scan` would exit with for this client (README: exit codes):
    3 a report could not be rendered, else 5 the scan could not be recorded in the fleet's
    history store, else 1 a provider-held finding at or above --fail-on (with
    --fail-on-new: only one new or worse than the client's baseline, or one that outgrew
    its acceptance), else 4 incomplete under --fail-on-gaps, else 0."""
    from lockin_audit.history.diff import fails_gate

    if render_failed:
        return 3
    if not_recorded:
        return 5
    if fails_gate(result, fail_on, fail_on_new):
        return 1
    if fail_on_gaps and not is_complete(result):
        return 4
    return 0


def fleet_exit_code(outcomes: Iterable[ClientOutcome]) -> int:
    """The fleet's exit code: of its clients' codes, the first in EXIT_PRECEDENCE
    (2 a client could not be scanned, 3 a report could not be rendered, 5 a client's scan
    could not be recorded in the history store, 4 a client is incomplete under
    --fail-on-gaps, 1 a client reached --fail-on, 0 none of these)."""
    codes = {o.exit_code for o in outcomes}
    for code in EXIT_PRECEDENCE:
        if code in codes:
            return code
    return 0


@dataclass
class FleetRun:
    members: list[Member]
    checks: list[Check]
    outdir: Path
    formats: list[str]
    jobs: int = DEFAULT_JOBS
    fail_on: str = "high"
    fail_on_gaps: bool = False
    use_cache: bool = True
    cache_dir: Callable[[AuditConfig], Path | None] = lambda c: None
    store: HistoryStore | None = None  # the fleet's one history store (None: no history)
    # as `scan`, per client: the baseline (last, last~N from the store, or a folder an
    # earlier `fleet scan -o` wrote: <folder>/<slug>/report.json), --fail-on-new and
    # acceptance files applied to every client (besides each one's scan.accept)
    baseline: str | None = None
    fail_on_new: bool = False
    accept_files: tuple[Path, ...] = ()
    on_done: Callable[[ClientOutcome, int, int], None] = lambda o, n, total: None
    outcomes: list[ClientOutcome] = field(default_factory=list)

    async def run(self) -> list[ClientOutcome]:
        from lockin_audit.transport import Engine

        good = [m for m in self.members if m.config is not None]
        engine = Engine.from_limits(fleet_limits(m.config for m in good if m.config))
        jobs = asyncio.Semaphore(max(1, self.jobs))
        total = len(self.members)

        async def one(member: Member) -> None:
            async with jobs:
                outcome = await self._client(member, engine)
            self.outcomes.append(outcome)
            self.on_done(outcome, len(self.outcomes), total)

        try:
            for m in self.members:
                if m.config is None:
                    outcome = ClientOutcome(m.name, m.slug, str(m.path), 2, error=m.error)
                    self.outcomes.append(outcome)
                    self.on_done(outcome, len(self.outcomes), total)
            await asyncio.gather(*(one(m) for m in good))
        finally:
            await engine.aclose()
        return self.outcomes

    async def _client(self, member: Member, engine: Any) -> ClientOutcome:
        from lockin_audit.engine import Scanner, ScanOptions
        from lockin_audit.history.scan_hooks import ScanHistory
        from lockin_audit.model import held_by_provider
        from lockin_audit.report.interface import RenderFailed, write_reports

        config = member.config
        assert config is not None
        outdir = self.outdir / member.slug
        # The client's acceptances (scan.accept) and its baseline (its last recorded
        # scan) are read before it is scanned; a bad acceptance file stops this client only.
        base, first = self.baseline, None
        if base is not None and Path(base).is_dir():
            saved = Path(base) / member.slug / "report.json"
            base = str(saved) if saved.is_file() else None
            if base is None:
                first = f"none (no {saved})"
        hist = ScanHistory(config, enabled=False, store=self.store, baseline=base,
                           accept_files=list(self.accept_files), explicit=True)
        try:
            await _in_thread(hist.prepare)
            if first is not None:
                hist.first_scan(first)
        except Exception as exc:  # ConfigError, HistoryError: one paragraph
            return ClientOutcome(member.name, member.slug, str(member.path), 2,
                                 error=str(exc))
        try:
            scanner = Scanner(config, self.checks, ScanOptions(
                use_cache=self.use_cache, cache_dir=self.cache_dir(config)), engine=engine)
            result = await scanner.run()
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # one client's crash never stops the others
            return ClientOutcome(member.name, member.slug, str(member.path), 2,
                                 error=f"the scan stopped: {type(exc).__name__}: {exc}")
        from lockin_audit.scoring import readiness_of, scored

        result = scored(result)  # the report layer judges what the engine produced
        # acceptances, the comparison with the last scan, the record and the trend: what
        # `lockin-audit scan` does before it writes the reports
        result = await _in_thread(hist.finish, result)
        problems = [n for n in hist.notes if n.startswith("not recorded")]
        gate = None
        if result.changes is not None:
            from lockin_audit.history.diff import gate_ids

            ids = gate_ids(result)
            gate = sum(1 for f in result.findings if held_by_provider(f) and f.id in ids)
        render_error = None
        try:
            written = await asyncio.to_thread(write_reports, result, outdir, self.formats)
        except RenderFailed as exc:
            render_error = str(exc)
            written = sorted(p for p in outdir.iterdir() if p.is_file())
        held = sum(1 for f in result.findings if held_by_provider(f))
        record_error = "; ".join(problems) or None  # reports written, history lacks it
        code = client_exit_code(result, fail_on=self.fail_on,
                                fail_on_gaps=self.fail_on_gaps or config.scan.fail_on_gaps,
                                render_failed=render_error is not None,
                                not_recorded=record_error is not None,
                                fail_on_new=self.fail_on_new)
        return ClientOutcome(
            member.name, member.slug, str(member.path), code, score=readiness_of(result).score,
            grade=readiness_of(result).grade, complete=is_complete(result), provider_held=held,
            outdir=str(outdir), written=tuple(str(p) for p in written),
            render_error=render_error,
            scan_id=None if hist.scan_id is None else str(hist.scan_id),
            notes=tuple(n for n in hist.notes if n not in problems),
            record_error=record_error, new_or_worse=gate)


_STORE_LOCK = threading.Lock()  # one client at a time talks to the history store


async def _in_thread(fn: Callable[..., Any], *args: Any) -> Any:
    """Run a blocking step (the history store) off the event loop, one at a time."""
    def locked() -> Any:
        with _STORE_LOCK:
            return fn(*args)

    return await asyncio.to_thread(locked)


def summary_path(outdir: Path, shard: Shard | None) -> Path:
    name = "fleet.json" if shard is None else f"fleet-shard-{shard.index}-of-{shard.count}.json"
    return outdir / name


def write_summary(outdir: Path, shard: Shard | None, outcomes: Sequence[ClientOutcome],
                  skipped: int) -> Path:
    """The run's summary: one row per client of this shard, and the fleet's exit code."""
    from lockin_audit import __version__

    path = summary_path(outdir, shard)
    outdir.mkdir(parents=True, exist_ok=True)
    data = {
        "tool": {"name": "lockin-audit", "version": __version__},
        "shard": None if shard is None else {"index": shard.index, "count": shard.count,
                                             "from": shard.origin},
        "clients_in_other_shards": skipped,
        "exit_code": fleet_exit_code(outcomes),
        "clients": [o.to_dict() for o in sorted(outcomes, key=lambda o: o.slug)],
    }
    write_text_atomic(path, json.dumps(data, indent=2) + "\n")
    return path


def describe(outcome: ClientOutcome) -> str:
    """One line for the log."""
    if outcome.error:
        return f"{outcome.name}: NOT SCANNED (exit 2): {outcome.error}"
    state = (f"readiness {outcome.score}/100 (grade {outcome.grade})" if outcome.complete
             else f"incomplete: readiness at least {outcome.score}/100")
    extra = f"; a report failed: {outcome.render_error}" if outcome.render_error else ""
    if outcome.record_error:
        extra += f"; {outcome.record_error}"
    if outcome.new_or_worse is not None:
        extra += f"; {outcome.new_or_worse} new or worse since the baseline"
    return (f"{outcome.name}: {state}, {outcome.provider_held} held by the provider "
            f"(exit {outcome.exit_code}) -> {outcome.outdir}{extra}")


def print_progress(outcome: ClientOutcome, n: int, total: int) -> None:
    print(printable(f"fleet [{n}/{total}] {describe(outcome)}"), file=sys.stderr, flush=True)
