"""The sources layer: one module per external system, read-only, fetched once per scan.

A source turns configuration into targets (a domain, an AWS account, an Azure tenant, an
inventory file) and fetches the facts of each target once; many checks then read those
facts. Sources never import checks or renderers.

A source may fail as a whole for a target (raise `SourceFailure`), or partially: a facts
object may hold a `FetchError` in place of one value (an API that was denied while the
rest answered); checks turn such a value into a `status: error` finding with the reason.
A fact is a value or a FetchError: never silently absent, never an empty stand-in.

Reading another source's facts is an explicit, typed dependency. The reader declares it
(`requires` on a Source, `needs=` on a check) and receives a `Fetched[T]` (the one
value-or-error type, `lockin_audit.facts`): the facts, or the FetchError saying why they are missing (the target failed, the source could not
list its targets, is not configured, or has no such target). It never receives "nothing"::

    GRAPH = Requires("graph", GraphFacts)          # the source name and the facts type

    class AzureSource(Source):
        requires = (GRAPH,)                        # runs after graph; may read its facts
        async def fetch(self, target, ctx):
            graph = ctx.dependency(GRAPH, graph_key(target.options))
            if graph.error is not None:            # e.g. Graph /users was throttled
                ...                                # keep the FetchError in the facts
            else:
                principals = graph.ok.guests       # a GraphFacts

    @check(id=..., source="azure", needs=(GRAPH,), ...)
    def access(facts, ctx):
        graph = ctx.dependency(GRAPH, ctx.target.id)
        if graph.error is not None:                # cannot judge who holds the roles:
            yield ctx.error(asset, graph.error)    # error for exactly those assets
            return

`ctx.dependencies(req)` gives every target of the other source (values and errors), for a
reader that aggregates (network reads every domain's addresses). Keys are the providing
source's target ids. Undeclared reads raise `UndeclaredDependency`.
"""

from __future__ import annotations

import datetime as dt
from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar

# FetchError and SourceFailure live on the facts floor; re-exported for existing plugins
from lockin_audit.facts import Fetched as Fetched
from lockin_audit.facts import FetchError as FetchError
from lockin_audit.facts import SourceFailure as SourceFailure
from lockin_audit.facts import fetched_value as fetched_value
from lockin_audit.model import Asset

if TYPE_CHECKING:
    from lockin_audit.config import AuditConfig
    from lockin_audit.transport import Engine

T = TypeVar("T")


# ---------------------------------------------------------------------------------------
# cross-source dependencies


class UndeclaredDependency(Exception):
    """A source or check read another source's facts without declaring it."""


@dataclass(frozen=True)
class Requires(Generic[T]):
    """A declared dependency on another source's facts (`source`), of type `facts_type`."""

    source: str
    facts_type: type[T]


@dataclass(frozen=True)
class Dependencies(Generic[T]):
    """Every target of another source: `values` read, `errors` not read (by key), and
    `source_error` when the source produced no targets at all (not configured, could not
    list them, could not be loaded)."""

    source: str
    values: Mapping[str, T]
    errors: Mapping[str, FetchError]
    source_error: FetchError | None = None

    @property
    def complete(self) -> bool:
        return not self.errors and self.source_error is None

    def all_errors(self) -> list[FetchError]:
        return ([self.source_error] if self.source_error else []) + list(self.errors.values())


class FactStore(Mapping[str, Mapping[str, Any]]):
    """What every source produced in this scan: per source and target id, the facts or
    the FetchError. As a Mapping it shows the facts only (source -> target id -> facts)."""

    def __init__(self) -> None:
        self._facts: dict[str, dict[str, Any]] = {}
        self._errors: dict[str, dict[str, FetchError]] = {}
        self._source_errors: dict[str, FetchError] = {}

    # -- writing (the engine) ----------------------------------------------------------
    def put(self, source: str, key: str, facts: Any) -> None:
        self._facts.setdefault(source, {})[key] = facts

    def fail(self, source: str, key: str, error: FetchError) -> None:
        self._errors.setdefault(source, {})[key] = error

    def fail_source(self, source: str, error: FetchError) -> None:
        self._source_errors[source] = error

    def started(self, source: str) -> None:
        self._facts.setdefault(source, {})

    # -- reading -----------------------------------------------------------------------
    def __getitem__(self, source: str) -> Mapping[str, Any]:
        return self._facts[source]

    def __iter__(self) -> Iterator[str]:
        return iter(self._facts)

    def __len__(self) -> int:
        return len(self._facts)

    def error_of(self, source: str, key: str) -> FetchError | None:
        """Why one target of a source was not read (None when it was, or never tried)."""
        return self._errors.get(source, {}).get(key)

    def source_error(self, source: str) -> FetchError | None:
        """Why a whole source was not read (not configured, targets not listed)."""
        return self._source_errors.get(source)

    def lookup(self, req: Requires[T], key: str) -> Fetched[T]:
        facts = self._facts.get(req.source, {})
        if key in facts:
            value = facts[key]
            if not isinstance(value, req.facts_type):
                return Fetched.failure(FetchError(
                    req.source, _request(req, key),
                    f"unexpected facts type {type(value).__name__}", kind="error"))
            return Fetched(req.source, _request(req, key), value)
        failed = self._errors.get(req.source, {}).get(key)
        if failed is not None:
            return Fetched.failure(failed)
        whole = self._source_errors.get(req.source)
        if whole is not None:
            return Fetched.failure(whole)
        return Fetched.failure(FetchError(
            req.source, _request(req, key),
            f"the {req.source} source has no target {key!r} in this scan", kind="not_found"))

    def lookup_all(self, req: Requires[T]) -> Dependencies[T]:
        values: dict[str, T] = {}
        errors = dict(self._errors.get(req.source, {}))
        for key, value in self._facts.get(req.source, {}).items():
            if isinstance(value, req.facts_type):
                values[key] = value
            else:
                errors[key] = FetchError(req.source, f"{req.source} facts of {key}",
                                         f"unexpected facts type {type(value).__name__}")
        whole = self._source_errors.get(req.source)
        if whole is None and req.source not in self._facts and not errors:
            whole = FetchError(req.source, f"{req.source} facts",
                               f"the {req.source} source did not run in this scan",
                               kind="not_found")
        return Dependencies(req.source, values, errors, whole)


def _request(req: Requires[Any], key: str) -> str:
    return f"{req.source} facts of {key}"


def resolve_dependency(facts: Mapping[str, Mapping[str, Any]], declared: Any, req: Requires[T],
                       key: str, reader: str) -> Fetched[T]:
    """Look one dependency up in a FactStore (or a plain mapping: then only facts)."""
    _check_declared(declared, req, reader)
    if isinstance(facts, FactStore):
        return facts.lookup(req, key)
    store = FactStore()
    for source, by_key in facts.items():
        for k, v in by_key.items():
            store.put(source, k, v)
    return store.lookup(req, key)


def resolve_dependencies(facts: Mapping[str, Mapping[str, Any]], declared: Any,
                         req: Requires[T], reader: str) -> Dependencies[T]:
    _check_declared(declared, req, reader)
    if isinstance(facts, FactStore):
        return facts.lookup_all(req)
    store = FactStore()
    for source, by_key in facts.items():
        store.started(source)
        for k, v in by_key.items():
            store.put(source, k, v)
    return store.lookup_all(req)


def _check_declared(declared: Any, req: Requires[Any], reader: str) -> None:
    if declared is not None and req.source not in declared:
        raise UndeclaredDependency(f"{reader} reads the {req.source} source's facts without "
                                   f"declaring it (add it to `requires` / `needs=`)")


@dataclass(frozen=True)
class Target:
    """One thing a source assesses. `id` is stable (a domain, an account id, a tenant id,
    a file path); `asset` is what error findings for the whole target are attached to."""

    source: str
    area: str
    id: str
    label: str
    asset: Asset
    options: Any = None  # the source's own per-target configuration


@dataclass
class SourceContext:
    """What a source may use: the configuration, the shared engine (pool, rate limits,
    timeouts, read-only HTTP), the facts of the sources it runs after, and the cache."""

    config: AuditConfig
    engine: Engine
    facts: Mapping[str, Mapping[str, Any]]  # source name -> target id -> facts (FactStore)
    cache_dir: Path | None
    use_cache: bool = True
    today: dt.date = field(default_factory=dt.date.today)
    # The sources this source declared (`after` and `requires`); None: not enforced.
    declared: frozenset[str] | None = None
    reader: str = "a source"

    def facts_of(self, source: str) -> Mapping[str, Any]:
        """The facts another source read (failures left out). Prefer `dependency` /
        `dependencies`, which also say what could not be read."""
        return self.facts.get(source, {})

    def dependency(self, req: Requires[T], key: str) -> Fetched[T]:
        """Another source's facts for one of its targets, or the FetchError saying why
        they are missing (declared in `after` or `requires`)."""
        return resolve_dependency(self.facts, self.declared, req, key, self.reader)

    def dependencies(self, req: Requires[T]) -> Dependencies[T]:
        """Every target of another source: the facts read and the errors."""
        return resolve_dependencies(self.facts, self.declared, req, self.reader)


class Source(ABC):
    """Base class of every source. Subclasses set `name` (used by checks' `source=`),
    `area` (the coverage area) and optionally `after` (sources whose facts they read)."""

    name: ClassVar[str]
    area: ClassVar[str]
    after: ClassVar[tuple[str, ...]] = ()
    # Typed dependencies on other sources' facts (see the module docstring); the source
    # runs after each of them, as with `after`.
    requires: ClassVar[tuple[Requires[Any], ...]] = ()

    @classmethod
    def depends_on(cls) -> tuple[str, ...]:
        """Every source this one runs after (`after` and `requires`)."""
        return tuple(dict.fromkeys([*cls.after, *(r.source for r in cls.requires)]))

    def configured(self, config: AuditConfig) -> bool:
        """Whether the audit file configures anything for this source."""
        return True

    @abstractmethod
    async def targets(self, ctx: SourceContext) -> list[Target]:
        """The targets to assess. May raise SourceFailure (then nothing is assessed)."""

    @abstractmethod
    async def fetch(self, target: Target, ctx: SourceContext) -> Any:
        """Fetch every fact the checks of this source need for one target."""

    async def doctor(self, ctx: SourceContext) -> list[tuple[str, bool, str]]:
        """(what, ok, detail) lines for `lockin-audit doctor`; default: list the targets."""
        try:
            targets = await self.targets(ctx)
        except SourceFailure as exc:
            return [(self.name, False, exc.error.describe())]
        return [(t.label, True, "configured") for t in targets]

    async def close(self) -> None:  # noqa: B027 - optional hook, not abstract
        """Release clients; called once at the end of the scan."""
