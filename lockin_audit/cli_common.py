"""What the scan and fleet commands share: usage errors, option parsing, check selection.

Kept apart from `cli` so that `fleet_cli` and `cli` do not import each other.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from lockin_audit.check import Check
    from lockin_audit.config import AuditConfig

SEVERITIES = ("critical", "high", "medium", "low", "info", "none")


class UsageError(Exception):
    """A usage or configuration problem: printed as one paragraph, exit code 2."""


def _split(values: list[str] | None) -> list[str]:
    out: list[str] = []
    for v in values or []:
        out.extend(x.strip() for x in v.split(",") if x.strip())
    return out


def _formats(value: str) -> list[str]:
    from lockin_audit.report.interface import RENDERERS

    names = _split([value])
    bad = [n for n in names if n not in RENDERERS]
    if bad:
        raise UsageError(f"unknown report format(s): {', '.join(bad)}. Choose from: "
                         f"{', '.join(RENDERERS)}.")
    return names


def default_cache_dir() -> Path:
    """The user's cache folder (XDG), where public registry (RDAP) answers are kept for
    `scan.rdap.cache_ttl_s` so that a rerun does not ask again. Never holds a secret."""
    import os

    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "lockin-audit"


def select_checks(only: list[str], check_ids: list[str]) -> list[Check]:
    """The checks `--only` and `--check` select (UsageError for unknown ones)."""
    from lockin_audit import registry
    from lockin_audit.model import AREAS

    try:
        checks = registry.all_checks()
    except registry.RegistryError as exc:
        raise UsageError(str(exc)) from None
    known_areas = set(AREAS) | {c.meta.area for c in checks}
    bad_areas = [a for a in only if a not in known_areas]
    if bad_areas:
        raise UsageError(f"--only: unknown area(s) {', '.join(bad_areas)}; areas are "
                         f"{', '.join(sorted(known_areas))}.")
    known_ids = {c.id for c in checks}
    bad_ids = [i for i in check_ids if i not in known_ids]
    if bad_ids:
        raise UsageError(f"--check: unknown check id(s) {', '.join(bad_ids)}; "
                         "'lockin-audit checks' lists them.")
    return registry.select(checks, areas=only, ids=check_ids)


def scan_cache_dir(config: AuditConfig) -> Path:
    """Where the scan keeps public registry answers: `scan.rdap.cache_dir` or the user's
    cache folder."""
    return (config.resolve_path(config.scan.rdap.cache_dir)
            if config.scan.rdap.cache_dir else default_cache_dir())


def _check_fail_on(value: str) -> str:
    if value not in SEVERITIES:
        raise UsageError(f"--fail-on must be one of {', '.join(SEVERITIES)}, not {value!r}.")
    return value
