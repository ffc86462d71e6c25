"""What changed between two scans of one client (by stable finding id).

- new: in NEW, not in OLD, and not a pass.
- resolved: held by the provider (fail) in OLD, and in NEW held by the client (pass) or
  gone while its target was scanned again. A finding that moved from fail to `error`
  (could not be assessed) is *changed*, never resolved: not knowing is not an improvement.
- changed: in both, with holder, status or severity moved (before, after and `what`
  moved); `worse` when the state went up the order below.
- not_scanned: in OLD (not a pass), gone from NEW because it was not looked at this time:
  its check did not run (`--only`, `--check`), its target was removed from the audit file,
  or its target (or area) could not be read. Never counted as resolved.
- unchanged: in both, same holder, status and severity.

States are ordered: status pass < manual < warn < error < fail, then severity (info <
... < critical); a finding whose holder became the provider is worse too. `worse_state`
is the one definition, used by the diff and by acceptances (an acceptance written for a
state does not cover a worse one).

`--fail-on-new` gates only on findings that are new or worse (`new_or_worse_ids`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from lockin_audit.model import (
    STATUS_PRECEDENCE,
    Changes,
    Finding,
    Holder,
    ScanResult,
    Severity,
    Status,
    sort_findings,
)
from lockin_audit.safety import printable


def _state(f: Finding) -> dict[str, str]:
    return {"holder": f.holder.value, "status": f.status.value, "severity": f.severity.value}


def _ref(f: Finding) -> dict[str, Any]:
    return {"id": f.id, "check_id": f.check_id, "control": f.control,
            "asset_id": f.asset.id, "title": f.title}


def state_rank(status: Status, severity: Severity) -> tuple[int, int]:
    """The order of states: status (pass < manual < warn < error < fail), then severity."""
    return STATUS_PRECEDENCE[status], severity.rank


def worse_state(before: Mapping[str, Any], after: Mapping[str, Any]) -> bool:
    """True when `after` is worse than `before` (each a mapping of holder, status and
    severity; a missing key is not compared): a higher status, the same status at a
    higher severity, or a holder that became the provider."""
    b_status, a_status = before.get("status"), after.get("status")
    if b_status is not None and a_status is not None:
        b_rank, a_rank = STATUS_PRECEDENCE[Status(b_status)], STATUS_PRECEDENCE[Status(a_status)]
        if a_rank != b_rank:
            return a_rank > b_rank
    b_sev, a_sev = before.get("severity"), after.get("severity")
    if b_sev is not None and a_sev is not None and Severity(a_sev).rank > Severity(b_sev).rank:
        return True
    b_holder, a_holder = before.get("holder"), after.get("holder")
    return (b_holder is not None and a_holder == Holder.PROVIDER.value
            and b_holder != Holder.PROVIDER.value)


def _worse(before: Finding, after: Finding) -> bool:
    return worse_state(_state(before), _state(after))


def what_changed(before: Mapping[str, Any], after: Mapping[str, Any]) -> str:
    """"status pass -> warn, holder client -> third party": what moved, in words."""
    parts = []
    for key in ("status", "holder", "severity"):
        b, a = before.get(key), after.get(key)
        if b is not None and a is not None and b != a:
            parts.append(f"{key} {str(b).replace('_', ' ')} -> {str(a).replace('_', ' ')}")
    return ", ".join(parts)


def _domain_targets(new: ScanResult) -> dict[str, bool]:
    """Domains and address blocks that are scan targets of NEW: name -> assessed."""
    out: dict[str, bool] = {}
    for c in new.coverage:
        if c.not_configured or c.area not in ("domain", "network"):
            continue
        name = c.target.split(" ", 1)[0].lower().rstrip(".")
        if "." in name or "/" in name:
            out[name] = out.get(name, False) or c.assessed
    return out


def _not_scanned_reason(b: Finding, new: ScanResult, ran: set[str],
                        targets: dict[str, bool]) -> str | None:
    """Why a gone baseline finding was not looked at this time (None: it was)."""
    if ran and b.check_id not in ran:
        return "its check did not run this time (--only or --check)"
    if not new.coverage:
        return None  # nothing says what was looked at (a scan recorded before 0003)
    area_cov = [c for c in new.coverage if c.area == b.area]
    if b.asset.type in ("domain", "ip_block") and b.area in ("domain", "network"):
        name = b.asset.id.lower().rstrip(".")
        target = next((t for t in targets
                       if name == t or (b.asset.type == "domain" and name.endswith("." + t))),
                      None)
        if target is None:
            return f"{b.asset.id} is no longer a scan target (removed from the audit file)"
        if not targets[target]:
            return f"{target} could not be read this time"
        return None
    if not any(c.assessed for c in area_cov):
        if all(c.not_configured for c in area_cov):
            return f"the {b.area} area is no longer configured in the audit file"
        return f"the {b.area} area could not be read this time"
    if any(not c.assessed and not c.not_configured for c in area_cov):
        return f"part of the {b.area} area could not be read this time"
    return None


def compare(old: ScanResult, new: ScanResult, baseline: str) -> Changes:
    before = {f.id: f for f in old.findings}
    after = {f.id: f for f in new.findings}
    new_ids: list[str] = []
    resolved: list[dict[str, Any]] = []
    changed: list[dict[str, Any]] = []
    not_scanned: list[dict[str, Any]] = []
    unchanged = 0
    for f in sort_findings(new.findings):
        b = before.get(f.id)
        if b is None:
            if f.status is not Status.PASS:
                new_ids.append(f.id)
        elif b.status is Status.FAIL and f.status is Status.PASS:
            resolved.append({**_ref(b), "before": _state(b), "after": _state(f)})
        elif _state(b) != _state(f):
            changed.append({**_ref(f), "before": _state(b), "after": _state(f),
                            "worse": _worse(b, f),
                            "what": what_changed(_state(b), _state(f))})
        else:
            unchanged += 1
    ran = {c.id for c in new.checks}
    targets = _domain_targets(new)
    for b in sort_findings(old.findings):
        if b.id in after or b.status is Status.PASS:
            continue
        reason = _not_scanned_reason(b, new, ran, targets)
        if reason is not None:
            not_scanned.append({**_ref(b), "before": _state(b), "after": None,
                                "reason": reason})
        elif b.status is Status.FAIL:
            resolved.append({**_ref(b), "before": _state(b), "after": None})
    return Changes(baseline, tuple(new_ids), tuple(resolved), tuple(changed), unchanged,
                   tuple(not_scanned))


def new_or_worse_ids(changes: Changes) -> set[str]:
    return set(changes.new) | {str(c["id"]) for c in changes.changed if c.get("worse")}


def gate_ids(result: ScanResult) -> set[str]:
    """What `--fail-on-new` gates on: findings new or worse than the baseline, and
    findings that outgrew the state their acceptance was written for."""
    ids = new_or_worse_ids(result.changes) if result.changes is not None else set()
    return ids | {f.id for f in result.findings if f.acceptance_exceeded is not None}


def fails_gate(result: ScanResult, fail_on: str, fail_on_new: bool) -> bool:
    """Exit 1 (for `scan` and for each client of `fleet scan`): a provider-held finding,
    not accepted, at or above `fail_on`; with `fail_on_new` (and a baseline) only one
    that is new or worse, or that outgrew its acceptance (`gate_ids`)."""
    from lockin_audit.engine import fail_on_reached

    if fail_on == "none":
        return False
    threshold = Severity(fail_on)
    if fail_on_new and result.changes is not None:
        ids = gate_ids(result)
        return any(f.status is Status.FAIL and f.accepted is None
                   and f.severity.at_least(threshold) and f.id in ids
                   for f in result.findings)
    return fail_on_reached(result, threshold)


@dataclass(frozen=True)
class DiffView:
    """A diff for printing: the changes plus the findings they name."""

    old_label: str
    new_label: str
    changes: Changes
    new_findings: tuple[Finding, ...]


def view(old: ScanResult, new: ScanResult, old_label: str, new_label: str) -> DiffView:
    changes = compare(old, new, old_label)
    by_id = {f.id: f for f in new.findings}
    return DiffView(old_label, new_label, changes,
                    tuple(by_id[i] for i in changes.new if i in by_id))


def _state_text(s: Mapping[str, Any] | None, not_assessed: bool = False) -> str:
    if not s:
        return "not assessed" if not_assessed else "gone"
    return f"{s['status']} / {str(s['holder']).replace('_', ' ')} / {s['severity']}"


def render_json(v: DiffView) -> str:
    d = v.changes.to_dict()
    d["new"] = [{"id": f.id, "check_id": f.check_id, "control": f.control,
                 "asset_id": f.asset.id, "title": f.title, "after": _state(f)}
                for f in v.new_findings]
    return json.dumps({"old": v.old_label, "new_scan": v.new_label, **d,
                       "counts": counts(v.changes)}, indent=2, ensure_ascii=False) + "\n"


def counts(c: Changes) -> dict[str, int]:
    return {"new": len(c.new), "resolved": len(c.resolved), "changed": len(c.changed),
            "not_scanned": len(c.not_scanned), "unchanged": c.unchanged}


def render_md(v: DiffView) -> str:
    from lockin_audit.report.common import md_escape

    c = v.changes
    n = counts(c)
    out = [f"# Changes from {md_escape(v.old_label)} to {md_escape(v.new_label)}", "",
           f"{n['new']} new, {n['resolved']} resolved, {n['changed']} changed, "
           f"{n['not_scanned']} not scanned, {n['unchanged']} unchanged.", ""]
    rows: list[tuple[str, str, str, str, str]] = []
    rows += [("new", f.control, f.asset.id, f.title, _state_text(_state(f)))
             for f in v.new_findings]
    rows += [("resolved", str(r["control"]), str(r["asset_id"]), str(r["title"]),
              f"{_state_text(r['before'])} -> {_state_text(r.get('after'))}")
             for r in c.resolved]
    rows += [("changed" + (" (worse)" if r.get("worse") else ""), str(r["control"]),
              str(r["asset_id"]), str(r["title"]),
              f"{_state_text(r['before'])} -> "
              f"{_state_text(r['after'], bool(r.get('not_assessed')))}") for r in c.changed]
    rows += [("not scanned", str(r["control"]), str(r["asset_id"]), str(r["title"]),
              f"{_state_text(r['before'])} -> not scanned: {r.get('reason') or ''}")
             for r in c.not_scanned]
    if rows:
        out += ["| change | control | asset | finding | before -> after |",
                "|---|---|---|---|---|"]
        out += ["| " + " | ".join(md_escape(x) for x in row) + " |" for row in rows]
    return "\n".join(out) + "\n"


def render_table(v: DiffView) -> str:
    """Plain text for a terminal (untrusted strings are printed as text, one per cell)."""
    c = v.changes
    n = counts(c)
    lines = [f"Changes from {v.old_label} to {v.new_label}: {n['new']} new, "
             f"{n['resolved']} resolved, {n['changed']} changed, "
             f"{n['not_scanned']} not scanned, {n['unchanged']} unchanged."]
    for f in v.new_findings:
        lines.append(f"  NEW       {f.control:<24} {f.asset.id}  {f.title} "
                     f"[{_state_text(_state(f))}]")
    for r in c.resolved:
        lines.append(f"  RESOLVED  {r['control']:<24} {r['asset_id']}  {r['title']} "
                     f"[{_state_text(r['before'])} -> {_state_text(r.get('after'))}]")
    for r in c.changed:
        tag = "WORSE   " if r.get("worse") else "CHANGED "
        lines.append(f"  {tag}  {r['control']:<24} {r['asset_id']}  {r['title']} "
                     f"[{_state_text(r['before'])} -> "
                     f"{_state_text(r['after'], bool(r.get('not_assessed')))}]")
    for r in c.not_scanned:
        lines.append(f"  NOT SCANNED {r['control']:<22} {r['asset_id']}  {r['title']} "
                     f"[{_state_text(r['before'])}; {r.get('reason') or ''}]")
    return "\n".join(printable(x) for x in lines) + "\n"
