"""The control catalogue: one record per control and every platform's access paths.

The single source of what a control is (title, why it matters, remediation, references),
where it goes in the hand-over plan (`phase`) and the asset map (`family`), what the
request letter asks the provider for (`ask`, `short_ask`), and what the audit identity
needs to read it (`permissions`). The report's plan and letter, `model.CONTROLS`, the
README's list of areas, `docs/*-permissions.md`, `doctor` and `lockin-audit checks` are
derived from it.

It is also the only home of the built-in checks' texts: a check says its control's title,
why, remediation and references, except where its own record under `checks:` (keyed by
the check's id) gives another (`check_texts`); `@check` reads them from here.

Each platform's file also lists its **access paths**: every documented way another party
can hold access to or control over the business's assets there, citing the vendor's page.
A path is either `read_by` named checks (a pass of those checks covers it) or `not_read`
with the reason; `report.json`'s `not_read` and the report's coverage section list the
paths this version does not read.

The data lives in one YAML file per platform beside this module (`aws.yaml`,
`microsoft.yaml`, `google.yaml`, `domains.yaml`, `devices.yaml`, `inventory.yaml`);
docs/catalogue.md says how to add a control or a path. This module is pure data: it
imports nothing of lockin_audit, so every layer may read it.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).resolve().parent
# The order platforms (and so areas) are listed in: README, `checks`, permissions docs.
PLATFORM_FILES: tuple[str, ...] = ("domains", "aws", "microsoft", "google", "devices",
                                   "inventory")
# Steps of the hand-over plan, in order (their titles and reasons are the report's:
# lockin_audit.report.owner.PHASES); "contract" steps are dated by each contract.
PHASE_KEYS: tuple[str, ...] = ("admin", "billing", "registration", "dnssec", "dns", "mail",
                               "web", "addresses", "keys", "contract")
# Columns of the asset map (lockin_audit.report.owner.FAMILIES).
FAMILY_KEYS: tuple[str, ...] = ("registration", "dns", "mail", "web", "billing", "admin",
                                "keys", "contract")
CONTROL_FIELDS: tuple[str, ...] = ("id", "title", "why", "remediation", "references", "phase",
                                   "family", "ask", "short_ask", "permissions")
PATH_FIELDS: tuple[str, ...] = ("id", "title", "doc")
# The texts of a check; a check record (`checks:`) gives those that differ from its control's.
CHECK_TEXT_FIELDS: tuple[str, ...] = ("title", "why", "remediation", "references")


class CatalogueError(ValueError):
    """A catalogue file is not as docs/catalogue.md describes."""


@dataclass(frozen=True)
class Control:
    """One control: what the business must hold, `<area>.<what>`."""

    id: str
    platform: str
    title: str
    why: str
    remediation: tuple[str, ...]
    references: tuple[str, ...]
    phase: str
    family: str
    ask: str  # the letter's request, written once after short_ask: "Transfer ...: <ask>"
    short_ask: str  # the request's short name in the letter's tables
    permissions: tuple[str, ...]  # what the audit identity needs to read it

    @property
    def area(self) -> str:
        return self.id.partition(".")[0]


@dataclass(frozen=True)
class CheckRecord:
    """The texts of one built-in check that differ from its control's (`checks:` of a
    platform file); a field left out (None) is the control's."""

    id: str  # the check's id
    platform: str
    title: str | None = None
    why: str | None = None
    remediation: tuple[str, ...] | None = None
    references: tuple[str, ...] | None = None


@dataclass(frozen=True)
class CheckTexts:
    """What a check's findings say: its check record over its control's record."""

    title: str
    why: str
    remediation: tuple[str, ...]
    references: tuple[str, ...]


@dataclass(frozen=True)
class AccessPath:
    """One documented way another party can hold access to or control over an asset."""

    id: str
    platform: str
    title: str
    doc: str  # the vendor's (or the RFC's) page that documents it
    read_by: tuple[str, ...] = ()  # check ids whose passes cover it
    not_read: str | None = None  # why this version does not read it
    scope: str | None = None  # what of it is read, when not all of it

    @property
    def read(self) -> bool:
        return self.not_read is None

    def to_dict(self) -> dict[str, Any]:
        return {"path": self.id, "title": self.title, "reason": self.not_read,
                "doc": self.doc}


@dataclass(frozen=True)
class Platform:
    id: str
    name: str
    areas: Mapping[str, str]  # area -> what it covers, in plain words
    controls: tuple[Control, ...]
    paths: tuple[AccessPath, ...]
    # check id -> phrases naming what its pass covers; a pass sentence that claims
    # completeness ("every", "all", "no other", "nothing", "only yours") names one of them
    scopes: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    # check id -> the texts of that built-in check that differ from its control's
    checks: Mapping[str, CheckRecord] = field(default_factory=dict)


def _text(value: Any, where: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise CatalogueError(f"{where}: a non-empty text is required")
    return " ".join(value.split())


def _texts(value: Any, where: str, *, allow_empty: bool = False) -> tuple[str, ...]:
    if not isinstance(value, list) or (not value and not allow_empty):
        raise CatalogueError(f"{where}: a list is required"
                             + ("" if allow_empty else " (at least one entry)"))
    return tuple(_text(v, f"{where}[{n}]") for n, v in enumerate(value))


def _control(raw: Any, platform: str, where: str) -> Control:
    if not isinstance(raw, dict):
        raise CatalogueError(f"{where}: a control is a mapping")
    missing = [k for k in CONTROL_FIELDS if k not in raw]
    extra = sorted(set(raw) - set(CONTROL_FIELDS))
    if missing or extra:
        raise CatalogueError(f"{where} ({raw.get('id')}): "
                             + (f"missing {', '.join(missing)}" if missing else "")
                             + ("; " if missing and extra else "")
                             + (f"unknown {', '.join(extra)}" if extra else ""))
    cid = _text(raw["id"], f"{where}.id")
    area, dot, what = cid.partition(".")
    if not dot or not area or not what:
        raise CatalogueError(f"{where}: control {cid!r} must be named '<area>.<what>'")
    where = f"{where} ({cid})"
    phase, family = _text(raw["phase"], where), _text(raw["family"], where)
    if phase not in PHASE_KEYS:
        raise CatalogueError(f"{where}: phase {phase!r} is not one of {', '.join(PHASE_KEYS)}")
    if family not in FAMILY_KEYS:
        raise CatalogueError(f"{where}: family {family!r} is not one of "
                             f"{', '.join(FAMILY_KEYS)}")
    return Control(
        id=cid, platform=platform, title=_text(raw["title"], f"{where}.title"),
        why=_text(raw["why"], f"{where}.why"),
        remediation=_texts(raw["remediation"], f"{where}.remediation"),
        references=_texts(raw["references"], f"{where}.references", allow_empty=True),
        phase=phase, family=family, ask=_text(raw["ask"], f"{where}.ask"),
        short_ask=_text(raw["short_ask"], f"{where}.short_ask"),
        permissions=_texts(raw["permissions"], f"{where}.permissions"))


def _path(raw: Any, platform: str, where: str) -> AccessPath:
    if not isinstance(raw, dict):
        raise CatalogueError(f"{where}: a path is a mapping")
    missing = [k for k in PATH_FIELDS if k not in raw]
    extra = sorted(set(raw) - {*PATH_FIELDS, "read_by", "not_read", "scope"})
    if missing or extra:
        raise CatalogueError(f"{where} ({raw.get('id')}): "
                             + (f"missing {', '.join(missing)} " if missing else "")
                             + (f"unknown {', '.join(extra)}" if extra else ""))
    pid = _text(raw["id"], f"{where}.id")
    where = f"{where} ({pid})"
    doc = _text(raw["doc"], f"{where}.doc")
    if not doc.startswith("https://"):
        raise CatalogueError(f"{where}: doc must be the https address of the documenting page")
    has_read, has_not = "read_by" in raw, "not_read" in raw
    if has_read == has_not:
        raise CatalogueError(f"{where}: give either read_by (check ids) or not_read (the "
                             "reason), not both or neither")
    scope = _text(raw["scope"], f"{where}.scope") if raw.get("scope") is not None else None
    if has_read:
        return AccessPath(pid, platform, _text(raw["title"], f"{where}.title"), doc,
                          read_by=_texts(raw["read_by"], f"{where}.read_by"), scope=scope)
    return AccessPath(pid, platform, _text(raw["title"], f"{where}.title"), doc,
                      not_read=_text(raw["not_read"], f"{where}.not_read"), scope=scope)


def _check_record(key: Any, raw: Any, platform: str, areas: Mapping[str, Any],
                  where: str) -> CheckRecord:
    if not isinstance(key, str) or not key.strip():
        raise CatalogueError(f"{where}: a check record is keyed by the check's id")
    where = f"{where}.{key}"
    area, dot, rest = key.partition(".")
    if not dot or not rest or area not in areas:
        raise CatalogueError(f"{where}: a check id is '<area>.<...>' with an area of this "
                             f"file ({', '.join(map(str, areas)) or 'none'})")
    if not isinstance(raw, dict) or not raw:
        raise CatalogueError(f"{where}: a mapping of the texts that differ from the "
                             f"control's ({', '.join(CHECK_TEXT_FIELDS)})")
    extra = sorted(str(k) for k in set(raw) - set(CHECK_TEXT_FIELDS))
    if extra:
        raise CatalogueError(f"{where}: unknown {', '.join(extra)} (a check record gives "
                             f"only {', '.join(CHECK_TEXT_FIELDS)})")
    return CheckRecord(
        id=key, platform=platform,
        title=_text(raw["title"], f"{where}.title") if "title" in raw else None,
        why=_text(raw["why"], f"{where}.why") if "why" in raw else None,
        remediation=(_texts(raw["remediation"], f"{where}.remediation")
                     if "remediation" in raw else None),
        references=(_texts(raw["references"], f"{where}.references")
                    if "references" in raw else None))


def load_platform(path: Path) -> Platform:
    """One platform file, validated (CatalogueError names the file and the entry)."""
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    raw = yaml.load(path.read_text(encoding="utf-8"), Loader=loader)
    where = path.name
    if not isinstance(raw, dict):
        raise CatalogueError(f"{where}: a mapping with platform, name, areas, controls, "
                             "checks, paths")
    pid = _text(raw.get("platform"), f"{where}.platform")
    areas = raw.get("areas") or {}
    if not isinstance(areas, dict):
        raise CatalogueError(f"{where}.areas: a mapping of area to what it covers")
    controls = tuple(_control(c, pid, f"{where}.controls[{n}]")
                     for n, c in enumerate(raw.get("controls") or []))
    for c in controls:
        if c.area not in areas:
            raise CatalogueError(f"{where}: control {c.id} is in area {c.area!r}, which the "
                                 "file's areas do not list")
    paths = tuple(_path(p, pid, f"{where}.paths[{n}]")
                  for n, p in enumerate(raw.get("paths") or []))
    scopes = raw.get("scopes") or {}
    if not isinstance(scopes, dict):
        raise CatalogueError(f"{where}.scopes: a mapping of check id to scope phrases")
    checks = raw.get("checks") or {}
    if not isinstance(checks, dict):
        raise CatalogueError(f"{where}.checks: a mapping of check id to the texts that "
                             "differ from its control's")
    return Platform(pid, _text(raw.get("name"), f"{where}.name"),
                    {str(k): _text(v, f"{where}.areas.{k}") for k, v in areas.items()},
                    controls, paths,
                    {str(k): _texts(v, f"{where}.scopes.{k}") for k, v in scopes.items()},
                    {str(k): _check_record(k, v, pid, areas, f"{where}.checks")
                     for k, v in checks.items()})


@functools.cache
def platforms() -> tuple[Platform, ...]:
    """Every platform, in PLATFORM_FILES order. Ids of controls and paths are unique."""
    out = tuple(load_platform(HERE / f"{name}.yaml") for name in PLATFORM_FILES)
    for kind in ("controls", "paths"):
        seen: set[str] = set()
        for p in out:
            for item in getattr(p, kind):
                if item.id in seen:
                    raise CatalogueError(f"{p.id}.yaml: {kind[:-1]} {item.id} is listed twice")
                seen.add(item.id)
    records: dict[str, str] = {}
    for p in out:
        for cid in p.checks:
            if cid in records:
                raise CatalogueError(f"{p.id}.yaml: check {cid} has a record in "
                                     f"{records[cid]}.yaml too")
            records[cid] = p.id
    return out


@functools.cache
def controls() -> Mapping[str, Control]:
    """Every control by id, in catalogue order."""
    return {c.id: c for p in platforms() for c in p.controls}


def control(control_id: str) -> Control | None:
    return controls().get(control_id)


@functools.cache
def check_records() -> Mapping[str, CheckRecord]:
    """Every check record (the texts of a built-in check that differ from its control's)."""
    return {k: r for p in platforms() for k, r in p.checks.items()}


def check_texts(check_id: str, control_id: str) -> CheckTexts | None:
    """A built-in check's title, why, remediation and references: its check record's
    fields over its control's. Without references of its own, a check cites its control's
    and the vendor pages of the access paths it reads. None when the control has no record."""
    base = control(control_id)
    if base is None:
        return None
    rec = check_records().get(check_id) or CheckRecord(check_id, base.platform)
    if rec.references is None:
        read = (x.doc for x in paths(base.platform) if check_id in x.read_by)
        references = tuple(dict.fromkeys((*base.references, *read)))
    else:
        references = rec.references
    return CheckTexts(
        title=base.title if rec.title is None else rec.title,
        why=base.why if rec.why is None else rec.why,
        remediation=base.remediation if rec.remediation is None else rec.remediation,
        references=references)


def paths(platform: str | None = None) -> tuple[AccessPath, ...]:
    return tuple(x for p in platforms() if platform in (None, p.id) for x in p.paths)


@functools.cache
def areas() -> Mapping[str, str]:
    """Every area (what `--only` selects) with what it covers, in catalogue order."""
    return {a: text for p in platforms() for a, text in p.areas.items()}


def platform_of_area(area: str) -> Platform | None:
    return next((p for p in platforms() if area in p.areas), None)


@functools.cache
def all_check_scopes() -> Mapping[str, tuple[str, ...]]:
    """Every check's declared pass scopes (check id -> phrases)."""
    return {k: v for p in platforms() for k, v in p.scopes.items()}


def check_scopes(check_id: str) -> tuple[str, ...]:
    return all_check_scopes().get(check_id, ())


def paths_read_by(check_id: str) -> tuple[AccessPath, ...]:
    """The access paths a check reads: what its pass may speak for."""
    return tuple(x for x in paths() if check_id in x.read_by)


def not_read(areas_scanned: Iterable[str], checks_run: Iterable[str] | None = None
             ) -> dict[str, list[dict[str, Any]]]:
    """`report.json`'s `not_read`: for each platform one of whose areas was scanned, the
    access paths this version does not read, each with its reason. With `checks_run`
    (the ids of the checks that ran), a path whose checks were all left out of this scan
    (`--only`, `--check`) is listed too, saying so."""
    scanned = set(areas_scanned)
    ran = set(checks_run) if checks_run is not None else None
    out: dict[str, list[dict[str, Any]]] = {}
    for p in platforms():
        if not p.paths or not scanned & set(p.areas):
            continue
        rows: list[dict[str, Any]] = []
        for x in p.paths:
            if not x.read:
                rows.append(x.to_dict())
            elif ran is not None and not ran & set(x.read_by):
                rows.append({**x.to_dict(), "reason": "its checks ("
                             + ", ".join(x.read_by) + ") did not run in this scan"})
        out[p.id] = rows
    return out
