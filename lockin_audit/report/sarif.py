"""report.sarif: SARIF 2.1.0 for GitHub code scanning and other SARIF viewers.

One rule per check id (title, why it matters, the numbered steps as help, and a
`security-severity` GitHub uses to rank alerts). Every finding that is not a pass is a
result: fail and warn as `kind: fail` with a level from the severity; manual as
`kind: review` and error as `kind: open` (SARIF requires level `none` for those); errors
are also tool execution notifications. An accepted finding carries an external
`suppression` (status accepted, with the reason, who and until when), which code
scanning shows as dismissed. A result points at the audit file (code scanning
needs a physical location) and names the asset as a logical location. Passes are left out.
"""

from __future__ import annotations

import json
from pathlib import PurePath
from typing import Any
from urllib.parse import quote

from lockin_audit.model import CheckInfo, Finding, ScanResult, Severity, Status, sort_findings
from lockin_audit.report.common import evidence_line, md_escape, not_configured, steps
from lockin_audit.report.history_view import accepted_sarif
from lockin_audit.report.interface import Renderer

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI = "https://github.com/lockin-audit/lockin-audit"
# GitHub: over 9.0 critical, 7.0-8.9 high, 4.0-6.9 medium, 0.1-3.9 low.
SECURITY_SEVERITY: dict[Severity, str] = {
    Severity.CRITICAL: "9.5", Severity.HIGH: "8.0", Severity.MEDIUM: "5.5",
    Severity.LOW: "3.0", Severity.INFO: "0.0",
}
FAIL_LEVEL: dict[Severity, str] = {
    Severity.CRITICAL: "error", Severity.HIGH: "error", Severity.MEDIUM: "warning",
    Severity.LOW: "note", Severity.INFO: "note",
}


def level_and_kind(f: Finding) -> tuple[str, str]:
    if f.status is Status.FAIL:
        return FAIL_LEVEL[f.severity], "fail"
    if f.status is Status.WARN:
        return ("warning" if f.severity.at_least(Severity.MEDIUM) else "note"), "fail"
    if f.status is Status.MANUAL:
        return "none", "review"
    return "none", "open"  # error: not assessed


def _rule(info: CheckInfo) -> dict[str, Any]:
    numbered = [f"{n}. {s}" for n, s in enumerate(info.remediation, 1)]
    help_text = f"Why it matters: {info.risk}\n\nWhat to do:\n" + "\n".join(numbered)
    help_md = (f"**Why it matters:** {md_escape(info.risk)}\n\n**What to do:**\n\n"
               + "\n".join(f"{n}. {md_escape(s)}" for n, s in enumerate(info.remediation, 1)))
    rule: dict[str, Any] = {
        "id": info.id,
        "name": "".join(p.capitalize() for p in info.id.replace("-", ".").split(".") if p),
        "shortDescription": {"text": info.title},
        "fullDescription": {"text": info.risk or info.title},
        "help": {"text": help_text, "markdown": help_md},
        "defaultConfiguration": {"level": FAIL_LEVEL[info.severity]},
        "properties": {
            "security-severity": SECURITY_SEVERITY[info.severity],
            "tags": ["security", "lock-in", info.area, info.control],
            "precision": "high",
            "problem.severity": {"error": "error", "warning": "warning"}.get(
                FAIL_LEVEL[info.severity], "recommendation"),
        },
    }
    if info.references:
        rule["helpUri"] = info.references[0]
    return rule


def _info_from_finding(f: Finding) -> CheckInfo:
    return CheckInfo(f.check_id, f.area, f.control, f.title, f.severity, f.risk,
                     tuple(steps(f.remediation)), f.references)


def _artifact_uri(audit_file: str | None) -> str:
    """A repository-relative path when the audit file is relative, its name otherwise."""
    if not audit_file:
        return "audit.yaml"
    path = PurePath(audit_file)
    return quote((path.name if path.is_absolute() else path.as_posix()), safe="/")


def _result(f: Finding, rule_index: int, uri: str) -> dict[str, Any]:
    level, kind = level_and_kind(f)
    text = f"{f.title}: {f.asset.id} is held by {f.holder.value.replace('_', ' ')}. {f.detail}"
    if f.due:
        text += f" Due {f.due.isoformat()}."
    return {
        "ruleId": f.check_id,
        "ruleIndex": rule_index,
        "kind": kind,
        "level": level,
        "message": {"text": text},
        "locations": [{
            "physicalLocation": {"artifactLocation": {"uri": uri},
                                 "region": {"startLine": 1}},
            "logicalLocations": [{"name": f.asset.name or f.asset.id,
                                  "fullyQualifiedName": f"{f.asset.type}:{f.asset.id}",
                                  "kind": "resource"}],
        }],
        "partialFingerprints": {"lockinFindingId/v1": f.id},
        "properties": {
            "status": f.status.value, "holder": f.holder.value,
            "severity": f.severity.value, "control": f.control,
            "asset": f.asset.to_dict(), "due": f.due.isoformat() if f.due else None,
            "security-severity": SECURITY_SEVERITY[f.severity],
            "evidence": [evidence_line(e) for e in f.evidence],
        },
        **accepted_sarif(f),
    }


class SarifRenderer(Renderer):
    name = "sarif"
    filename = "report.sarif"

    def render(self, result: ScanResult) -> str:
        infos: dict[str, CheckInfo] = {c.id: c for c in result.checks}
        for f in result.findings:
            infos.setdefault(f.check_id, _info_from_finding(f))
        rule_ids = sorted(infos)
        index = {rid: n for n, rid in enumerate(rule_ids)}
        uri = _artifact_uri(result.audit_file)
        findings = sort_findings(f for f in result.findings if f.status is not Status.PASS)
        notifications = [
            {"level": "error", "message": {"text": f"{f.check_id} on {f.asset.id}: {f.detail}"},
             "descriptor": {"id": f.check_id}}
            for f in findings if f.status is Status.ERROR
        ] + [
            {"level": "warning", "message": {"text": f"{c.area} {c.target}: {c.reason}"}}
            for c in result.coverage
            if not c.assessed and not not_configured(c)
        ]
        run: dict[str, Any] = {
            "tool": {"driver": {
                "name": "lockin-audit",
                "version": result.tool_version or "0",
                "semanticVersion": result.tool_version or "0.0.0",
                "informationUri": INFORMATION_URI,
                "rules": [_rule(infos[rid]) for rid in rule_ids],
            }},
            "automationDetails": {"id": "lockin-audit/"},
            "invocations": [{
                "executionSuccessful": not result.interrupted,
                "startTimeUtc": result.started_at,
                "endTimeUtc": result.finished_at,
                "toolExecutionNotifications": notifications,
            }],
            "results": [_result(f, index[f.check_id], uri) for f in findings],
        }
        doc = {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [run]}
        return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
