"""Accepted items: findings the business knowingly leaves with the provider for now.

An acceptance file (`--accept FILE`, or `scan.accept: [FILE, ...]` in the audit file)::

    accept:
      - check: domain.dns.nameservers      # or  id: <finding id>
        asset: harborvet.com               # glob allowed: "*.harborvet.com", "*"
        reason: DNS moves with the new provider in March
        accepted_by: Jane Doe, owner
        expires: 2027-03-31

An entry matches a finding by its stable id, or by check id (exact) and asset id (exact,
or a shell-style glob: `*`, `?`, `[...]`; case-sensitive, as asset ids are normalised).
`reason`, `accepted_by` and `expires` are required; `expires` is a date at most a year
after today. An acceptance applies until the end of its `expires` day; from the next day
on it has expired: the finding counts again and carries `acceptance_expired`, so the
report can say so. Passes and `error` (not assessed) findings are never accepted: an
acceptance cannot hide a gap. The first matching entry that has not expired wins.

Any problem with the file is a ConfigError (exit 2) naming the file and the entry.
"""

from __future__ import annotations

import datetime as dt
import fnmatch
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import yaml

from lockin_audit.config import ConfigError
from lockin_audit.model import Acceptance, Finding, ScanResult, Status

ENTRY_KEYS = ("id", "check", "asset", "reason", "accepted_by", "expires")
MAX_AHEAD_DAYS = 366  # "at most a year ahead" (a leap year has 366 days)


@dataclass(frozen=True)
class AcceptEntry:
    source: str          # "file, entry N" for messages
    reason: str
    by: str
    expires: dt.date
    finding_id: str | None = None
    check: str | None = None
    asset: str | None = None

    @property
    def acceptance(self) -> Acceptance:
        return Acceptance(self.reason, self.by, self.expires)

    def matches(self, f: Finding) -> bool:
        if self.finding_id is not None:
            return f.id == self.finding_id
        return f.check_id == self.check and fnmatch.fnmatchcase(f.asset.id, self.asset or "")

    def expired(self, today: dt.date) -> bool:
        return self.expires < today

    def describe(self) -> str:
        what = (f"id {self.finding_id}" if self.finding_id
                else f"check {self.check}, asset {self.asset}")
        return f"{self.source} ({what})"


def _entry(raw: Any, where: str, today: dt.date) -> AcceptEntry:
    def bad(msg: str) -> ConfigError:
        return ConfigError(f"{where}: {msg}")

    if not isinstance(raw, dict):
        raise bad("expected a mapping with check and asset (or id), reason, accepted_by "
                  "and expires.")
    unknown = [k for k in raw if k not in ENTRY_KEYS]
    if unknown:
        raise bad(f"unknown key(s) {', '.join(map(str, unknown))}; an entry has "
                  f"{', '.join(ENTRY_KEYS)}.")
    for key in ("reason", "accepted_by"):
        value = raw.get(key)
        if not isinstance(value, str) or not value.strip():
            raise bad(f"'{key}' is required and must be non-empty text.")
    has_id, has_check = raw.get("id") is not None, raw.get("check") is not None
    if has_id == has_check:
        raise bad("give either 'id' (a finding id from report.json) or 'check' with "
                  "'asset', not both and not neither.")
    if has_id:
        if not isinstance(raw["id"], str) or not raw["id"].strip():
            raise bad("'id' must be a finding id (text).")
        if raw.get("asset") is not None:
            raise bad("'asset' goes with 'check', not with 'id'.")
    else:
        if not isinstance(raw["check"], str) or not raw["check"].strip():
            raise bad("'check' must be a check id, e.g. domain.dns.nameservers.")
        asset = raw.get("asset")
        if not isinstance(asset, str) or not asset.strip():
            raise bad("'asset' is required with 'check': an asset id, or a glob such as "
                      "'*.harborvet.com' or '*'.")
    expires = raw.get("expires")
    if isinstance(expires, dt.datetime):
        expires = expires.date()
    elif isinstance(expires, str):
        try:
            expires = dt.date.fromisoformat(expires.strip())
        except ValueError:
            expires = None
    if not isinstance(expires, dt.date):
        raise bad("'expires' is required: a date as YYYY-MM-DD.")
    latest = today + dt.timedelta(days=MAX_AHEAD_DAYS)
    if expires > latest:
        raise bad(f"'expires' {expires.isoformat()} is more than a year ahead (latest "
                  f"{latest.isoformat()}): accept an item for at most a year, then review "
                  "it again.")
    return AcceptEntry(source=where, reason=raw["reason"].strip(),
                       by=raw["accepted_by"].strip(), expires=expires,
                       finding_id=raw["id"].strip() if has_id else None,
                       check=raw["check"].strip() if has_check else None,
                       asset=raw["asset"].strip() if has_check else None)


def load_accept_file(path: Path, today: dt.date | None = None) -> list[AcceptEntry]:
    """Read and validate one acceptance file (ConfigError naming file and entry)."""
    today = today or dt.date.today()
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: acceptance file not found.") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the acceptance file: "
                          f"{exc.strerror or exc}.") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f" at line {mark.line + 1}" if mark is not None else ""
        raise ConfigError(f"{path}: not valid YAML{at}.") from None
    if data is None:
        return []
    if not isinstance(data, dict) or set(data) - {"accept"}:
        raise ConfigError(f"{path}: expected a mapping with one key, 'accept', holding a "
                          "list of entries.")
    entries = data.get("accept") or []
    if not isinstance(entries, list):
        raise ConfigError(f"{path}: 'accept' must be a list of entries.")
    return [_entry(raw, f"{path}, entry {n}", today) for n, raw in enumerate(entries, 1)]


def load_accept_files(paths: Iterable[Path], today: dt.date | None = None) -> list[AcceptEntry]:
    out: list[AcceptEntry] = []
    for p in paths:
        out.extend(load_accept_file(p, today))
    return out


@dataclass(frozen=True)
class Applied:
    result: ScanResult
    unused: tuple[AcceptEntry, ...]   # entries that matched no finding
    accepted: int
    expired: int


def apply_acceptances(result: ScanResult, entries: Sequence[AcceptEntry],
                      today: dt.date | None = None) -> Applied:
    """Mark matching findings accepted (or acceptance_expired) and re-score: accepted
    findings do not count for the grade, blockers or --fail-on."""
    from lockin_audit.scoring import rescore

    today = today or dt.date.today()
    used: set[int] = set()
    findings: list[Finding] = []
    n_acc = n_exp = 0
    for f in result.findings:
        if f.status in (Status.PASS, Status.ERROR) or not entries:
            findings.append(f)
            continue
        live = expired = None
        for n, e in enumerate(entries):
            if e.matches(f):
                used.add(n)
                if not e.expired(today):
                    live = live or e
                else:
                    expired = expired or e
        if live is not None:
            findings.append(replace(f, accepted=live.acceptance, acceptance_expired=None))
            n_acc += 1
        elif expired is not None:
            findings.append(replace(f, accepted=None, acceptance_expired=expired.acceptance))
            n_exp += 1
        else:
            findings.append(f)
    new = rescore(replace(result, findings=tuple(findings)))
    unused = tuple(e for n, e in enumerate(entries) if n not in used)
    return Applied(new, unused, n_acc, n_exp)
