"""What changed between two scans of one client (by stable finding id).

- new: in NEW, not in OLD, and not a pass.
- resolved: held by the provider (fail) in OLD, and in NEW held by the client (pass) or
  gone. A finding that moved from fail to `error` (could not be assessed) is *changed*,
  never resolved: not knowing is not an improvement.
- changed: in both, with holder, status or severity moved (before and after); `worse`
  when it became a fail, or a fail got more severe.
- unchanged: in both, same holder, status and severity.

A baseline finding that is gone is compared only when its check ran in the new scan; if
its area had a coverage gap in the new scan it is *changed* (not assessed), not resolved.

`--fail-on-new` gates only on findings that are new or worse (`new_or_worse_ids`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from lockin_audit.model import Changes, Finding, ScanResult, Status, sort_findings
from lockin_audit.safety import printable


def _state(f: Finding) -> dict[str, str]:
    return {"holder": f.holder.value, "status": f.status.value, "severity": f.severity.value}


def _ref(f: Finding) -> dict[str, Any]:
    return {"id": f.id, "check_id": f.check_id, "control": f.control,
            "asset_id": f.asset.id, "title": f.title}


def _worse(before: Finding, after: Finding) -> bool:
    if after.status is not Status.FAIL:
        return False
    return before.status is not Status.FAIL or after.severity.rank > before.severity.rank


def compare(old: ScanResult, new: ScanResult, baseline: str) -> Changes:
    before = {f.id: f for f in old.findings}
    after = {f.id: f for f in new.findings}
    new_ids: list[str] = []
    resolved: list[dict[str, Any]] = []
    changed: list[dict[str, Any]] = []
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
                            "worse": _worse(b, f)})
        else:
            unchanged += 1
    ran = {c.id for c in new.checks}
    gap_areas = {c.area for c in new.coverage if not c.assessed and not c.not_configured}
    for b in sort_findings(old.findings):
        if b.id in after or b.status is not Status.FAIL:
            continue
        if ran and b.check_id not in ran:
            continue  # that check did not run this time (--only, --check): not compared
        if b.area in gap_areas:
            # gone because part of the area could not be read: not knowing is not resolved
            changed.append({**_ref(b), "before": _state(b), "after": None, "worse": False,
                            "not_assessed": True})
        else:
            resolved.append({**_ref(b), "before": _state(b), "after": None})
    return Changes(baseline, tuple(new_ids), tuple(resolved), tuple(changed), unchanged)


def new_or_worse_ids(changes: Changes) -> set[str]:
    return set(changes.new) | {str(c["id"]) for c in changes.changed if c.get("worse")}


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
            "unchanged": c.unchanged}


def render_md(v: DiffView) -> str:
    from lockin_audit.report.common import md_escape

    c = v.changes
    n = counts(c)
    out = [f"# Changes from {md_escape(v.old_label)} to {md_escape(v.new_label)}", "",
           f"{n['new']} new, {n['resolved']} resolved, {n['changed']} changed, "
           f"{n['unchanged']} unchanged.", ""]
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
             f"{n['resolved']} resolved, {n['changed']} changed, {n['unchanged']} unchanged."]
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
    return "\n".join(printable(x) for x in lines) + "\n"
