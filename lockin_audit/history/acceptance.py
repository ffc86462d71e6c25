"""Accepted items: findings the business knowingly leaves with the provider for now.

An acceptance file (`--accept FILE`, or `scan.accept: [FILE, ...]` in the audit file)::

    accept:
      - check: domain.dns.nameservers      # or  id: <finding id>
        asset: harborvet.com               # glob allowed: "*.harborvet.com", "*"
        reason: DNS moves with the new provider in March
        accepted_by: Jane Doe, owner
        expires: 2027-03-31
        status: warn                       # optional: the state accepted (also holder,
                                           # severity); default: the finding's state when
                                           # the acceptance first applied

An entry matches a finding by its stable id, or by check id (exact) and asset id (exact,
or a shell-style glob: `*`, `?`, `[...]`; case-sensitive, as asset ids are normalised).
`reason`, `accepted_by` and `expires` are required; `expires` is a date at most a year
after today. An acceptance applies until the end of its `expires` day; from the next day
on it has expired: the finding counts again and carries `acceptance_expired`, so the
report can say so. Passes and `error` (not assessed) findings are never accepted: an
acceptance cannot hide a gap. The first matching entry that has not expired wins.

An acceptance accepts a state, not a place: it is bound to the status, holder and
severity it was written for (given in the entry, else recorded from the finding when the
acceptance first applied, and carried from scan to scan in the history store and in
report.json). A finding worse than that (`history.diff.worse_state`: a higher status, a
higher severity, or the provider as holder) is not accepted: it carries
`acceptance_exceeded`, counts again, and is new-or-worse for `--fail-on-new`.

Any problem with the file is a ConfigError (exit 2) naming the file and the entry; so is
a check id that no check has (with a did-you-mean). An entry that matches nothing (a
pattern given as a check id, an asset that is gone, a check that did not run) is reported
per entry in `report.json` (`acceptances`), in the report and on stderr.
"""

from __future__ import annotations

import datetime as dt
import difflib
import fnmatch
import glob
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml

from lockin_audit.config import ConfigError
from lockin_audit.model import Acceptance, Finding, Holder, ScanResult, Severity, Status

ENTRY_KEYS = ("id", "check", "asset", "reason", "accepted_by", "expires", "status",
              "holder", "severity")
_STATE_KEYS: tuple[tuple[str, type[Status] | type[Holder] | type[Severity]], ...] = (
    ("status", Status), ("holder", Holder), ("severity", Severity))
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
    # the state written in the entry (each optional)
    status: Status | None = None
    holder: Holder | None = None
    severity: Severity | None = None

    @property
    def acceptance(self) -> Acceptance:
        return Acceptance(self.reason, self.by, self.expires, self.status, self.holder,
                          self.severity)

    def matches(self, f: Finding) -> bool:
        if self.finding_id is not None:
            return f.id == self.finding_id
        return f.check_id == self.check and fnmatch.fnmatchcase(f.asset.id, self.asset or "")

    def same_entry(self, a: Acceptance | None) -> bool:
        """Is `a` (recorded on a finding of an earlier scan) this entry's acceptance?"""
        return a is not None and a.reason == self.reason and a.by == self.by

    def expired(self, today: dt.date) -> bool:
        return self.expires < today

    def describe(self) -> str:
        what = (f"id {self.finding_id}" if self.finding_id
                else f"check {self.check}, asset {self.asset}")
        return f"{self.source} ({what})"


def _entry(raw: Any, where: str, today: dt.date,
           known_checks: Collection[str] | None = None) -> AcceptEntry:
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
        check_id = raw["check"].strip()
        if (known_checks is not None and check_id not in known_checks
                and not glob.has_magic(check_id)):
            close = difflib.get_close_matches(check_id, sorted(known_checks), n=2, cutoff=0.8)
            hint = (f" Did you mean {' or '.join(close)}?" if close
                    else " 'lockin-audit checks' lists them.")
            raise bad(f"'check': no check has the id {check_id!r}.{hint}")
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
    state: dict[str, Any] = {}
    for key, kind in _STATE_KEYS:
        value = raw.get(key)
        if value is None:
            continue
        try:
            state[key] = kind(str(value).strip().lower())
        except ValueError:
            raise bad(f"'{key}' must be one of {', '.join(v.value for v in kind)} (the "
                      f"state accepted), not {value!r}.") from None
    latest = today + dt.timedelta(days=MAX_AHEAD_DAYS)
    if expires > latest:
        raise bad(f"'expires' {expires.isoformat()} is more than a year ahead (latest "
                  f"{latest.isoformat()}): accept an item for at most a year, then review "
                  "it again.")
    return AcceptEntry(source=where, reason=raw["reason"].strip(),
                       by=raw["accepted_by"].strip(), expires=expires,
                       finding_id=raw["id"].strip() if has_id else None,
                       check=raw["check"].strip() if has_check else None,
                       asset=raw["asset"].strip() if has_check else None, **state)


def load_accept_file(path: Path, today: dt.date | None = None,
                     known_checks: Collection[str] | None = None) -> list[AcceptEntry]:
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
    return [_entry(raw, f"{path}, entry {n}", today, known_checks)
            for n, raw in enumerate(entries, 1)]


def load_accept_files(paths: Iterable[Path], today: dt.date | None = None,
                      known_checks: Collection[str] | None = None) -> list[AcceptEntry]:
    out: list[AcceptEntry] = []
    for p in paths:
        out.extend(load_accept_file(p, today, known_checks))
    return out


@dataclass
class EntryUse:
    """What one entry did in one scan (report.json `acceptances`)."""

    entry: AcceptEntry
    matched: int = 0     # findings it matched (passes and errors, never accepted, aside)
    ignored: int = 0     # passes and errors it matched
    accepted: int = 0
    expired: int = 0
    exceeded: int = 0
    problem: str | None = None

    def to_dict(self) -> dict[str, Any]:
        e = self.entry
        return {"entry": e.source, "id": e.finding_id, "check": e.check, "asset": e.asset,
                "matched": self.matched, "accepted": self.accepted, "expired": self.expired,
                "exceeded": self.exceeded, "problem": self.problem}


@dataclass(frozen=True)
class Applied:
    result: ScanResult
    unused: tuple[AcceptEntry, ...]   # entries that matched no finding
    accepted: int
    expired: int
    exceeded: int = 0
    uses: tuple[EntryUse, ...] = field(default=())

    @property
    def problems(self) -> list[EntryUse]:
        return [u for u in self.uses if u.problem]


def _state(f: Finding) -> dict[str, str]:
    return {"status": f.status.value, "holder": f.holder.value, "severity": f.severity.value}


def bound_acceptance(entry: AcceptEntry, f: Finding,
                     previous: Mapping[str, Finding] | None = None) -> Acceptance:
    """The entry's acceptance bound to a state: each of status, holder and severity as
    written in the entry, else as recorded when this entry applied to this finding in the
    previous scan, else the finding's own (the acceptance applies for the first time)."""
    prior = previous.get(f.id) if previous else None
    recorded = None
    if prior is not None:
        for a in (prior.accepted, prior.acceptance_exceeded):
            if entry.same_entry(a):
                recorded = a
                break
    values: dict[str, Any] = {}
    for key, _kind in _STATE_KEYS:
        values[key] = (getattr(entry, key) or (getattr(recorded, key) if recorded else None)
                       or getattr(f, key))
    return Acceptance(entry.reason, entry.by, entry.expires, **values)


def exceeds(f: Finding, a: Acceptance) -> bool:
    """Is the finding worse than the state the acceptance was written for?"""
    from lockin_audit.history.diff import worse_state

    bound = {k: getattr(a, k).value for k, _ in _STATE_KEYS if getattr(a, k) is not None}
    return worse_state(bound, _state(f))


def _no_match_reason(e: AcceptEntry, result: ScanResult) -> str:
    if e.finding_id is not None:
        return f"no finding has the id {e.finding_id} in this scan."
    check = e.check or ""
    if glob.has_magic(check):
        return (f"check {check!r} is not a pattern: an entry names one check by its exact "
                "id (only 'asset' may be a glob), so it matches nothing.")
    ran = {c.id for c in result.checks}
    if ran and check not in ran:
        return f"check {check} did not run in this scan (--only or --check)."
    assets = sorted({f.asset.id for f in result.findings if f.check_id == check})
    if not assets:
        return f"check {check} reported nothing in this scan."
    close = difflib.get_close_matches(e.asset or "", assets, n=2, cutoff=0.6)
    hint = f" Did you mean {' or '.join(close)}?" if close else ""
    shown = ", ".join(assets[:5]) + (f" and {len(assets) - 5} more" if len(assets) > 5 else "")
    return (f"check {check} reported no asset matching {e.asset!r} (it reported on "
            f"{shown}).{hint}")


def apply_acceptances(result: ScanResult, entries: Sequence[AcceptEntry],
                      today: dt.date | None = None,
                      previous: ScanResult | None = None) -> Applied:
    """Mark matching findings accepted (or acceptance_expired, or acceptance_exceeded
    when worse than the state accepted) and re-score: accepted findings do not count for
    the grade, blockers or --fail-on. `previous` is the client's last recorded scan (or
    the baseline report.json): the states its acceptances were bound to carry over."""
    from lockin_audit.scoring import rescore

    today = today or dt.date.today()
    before = {f.id: f for f in previous.findings} if previous is not None else {}
    uses = [EntryUse(e) for e in entries]
    findings: list[Finding] = []
    n_acc = n_exp = n_exc = 0
    for f in result.findings:
        if not entries:
            findings.append(f)
            continue
        live = expired = None
        for n, e in enumerate(entries):
            if e.matches(f):
                if f.status in (Status.PASS, Status.ERROR):
                    uses[n].ignored += 1
                    continue
                uses[n].matched += 1
                if not e.expired(today):
                    live = live if live is not None else n
                else:
                    expired = expired if expired is not None else n
        if live is not None:
            bound = bound_acceptance(entries[live], f, before)
            if exceeds(f, bound):
                findings.append(replace(f, accepted=None, acceptance_expired=None,
                                        acceptance_exceeded=bound))
                uses[live].exceeded += 1
                n_exc += 1
            else:
                findings.append(replace(f, accepted=bound, acceptance_expired=None,
                                        acceptance_exceeded=None))
                uses[live].accepted += 1
                n_acc += 1
        elif expired is not None:
            findings.append(replace(f, accepted=None,
                                    acceptance_expired=entries[expired].acceptance))
            uses[expired].expired += 1
            n_exp += 1
        else:
            findings.append(f)
    for u in uses:
        if u.matched == 0 and u.ignored:
            u.problem = ("matches only passes or findings that could not be checked, which "
                         "are never accepted.")
        elif u.matched == 0:
            u.problem = "matches nothing: " + _no_match_reason(u.entry, result)
    new = rescore(replace(result, findings=tuple(findings),
                          acceptances=tuple(u.to_dict() for u in uses)))
    unused = tuple(u.entry for u in uses if u.matched == 0)
    return Applied(new, unused, n_acc, n_exp, n_exc, tuple(uses))
