"""The bottom floor: what every layer above may rely on.

- `FetchError`: why a fact could not be read (a denied, throttled, timed-out or malformed
  read), with the evidence of the attempt;
- `SourceFailure`: raised when a whole target cannot be assessed;
- `fetched_value`: a value-or-error unwrapped, or SourceFailure.

Nothing here imports anything of lockin_audit but `model`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, TypeVar

from lockin_audit.model import Evidence, iso, utc_now

T = TypeVar("T")


@dataclass(frozen=True)
class FetchError:
    """Why a fact could not be read. `kind` is one of: denied, timeout, unavailable,
    malformed, not_found, unsupported, throttled, not_configured, error."""

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
