"""The sources layer: one module per external system, read-only, fetched once per scan.

A source turns configuration into targets (a domain, an AWS account, an Azure tenant, an
inventory file) and fetches the facts of each target once; many checks then read those
facts. Sources never import checks or renderers.

A source may fail as a whole for a target (raise `SourceFailure`), or partially: a facts
object may hold a `FetchError` in place of one value (an API that was denied while the
rest answered); checks turn such a value into a `status: error` finding with the reason.
"""

from __future__ import annotations

import datetime as dt
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from lockin_audit.model import Asset, Evidence, iso, utc_now

if TYPE_CHECKING:
    from lockin_audit.config import AuditConfig
    from lockin_audit.engine import Engine

T = TypeVar("T")


@dataclass(frozen=True)
class FetchError:
    """Why a fact could not be read. `kind` is one of: denied, timeout, unavailable,
    malformed, not_found, unsupported, throttled, error."""

    source: str
    request: str
    reason: str
    kind: str = "error"
    permission: str | None = None  # the missing permission, when access was denied
    observed_at: str = field(default_factory=lambda: iso(utc_now()))

    def describe(self) -> str:
        text = f"{self.request}: {self.reason}"
        if self.permission:
            text += f" (needs permission: {self.permission})"
        return text

    def evidence(self) -> Evidence:
        excerpt: dict[str, Any] = {"error": self.reason, "kind": self.kind}
        if self.permission:
            excerpt["missing_permission"] = self.permission
        return Evidence(self.source, self.request, self.observed_at, excerpt)


class SourceFailure(Exception):
    """Raised by a source when a whole target cannot be assessed."""

    def __init__(self, error: FetchError) -> None:
        super().__init__(error.describe())
        self.error = error


def fetched_value(value: T | FetchError) -> T:
    """Return the value or raise SourceFailure for a FetchError (for code that needs it)."""
    if isinstance(value, FetchError):
        raise SourceFailure(value)
    return value


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
    facts: Mapping[str, Mapping[str, Any]]  # source name -> target id -> facts
    cache_dir: Path | None
    use_cache: bool = True
    today: dt.date = field(default_factory=dt.date.today)

    def facts_of(self, source: str) -> Mapping[str, Any]:
        return self.facts.get(source, {})


class Source(ABC):
    """Base class of every source. Subclasses set `name` (used by checks' `source=`),
    `area` (the coverage area) and optionally `after` (sources whose facts they read)."""

    name: ClassVar[str]
    area: ClassVar[str]
    after: ClassVar[tuple[str, ...]] = ()

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
