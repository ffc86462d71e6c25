"""report.sarif: SARIF 2.1.0 for GitHub code scanning and other SARIF viewers.

Written to GitHub's "SARIF support for code scanning" reference
(docs.github.com/en/code-security/code-scanning/integrating-with-code-scanning/
sarif-support-for-code-scanning; github/docs, content/code-security/code-scanning/
integrating-with-code-scanning/sarif-support-for-code-scanning.md), which says what code
scanning reads:

- **One alert per finding, stable across runs.** Code scanning matches results across
  runs by `ruleId` and `partialFingerprints`, and of those "only uses the
  `primaryLocationLineHash`"; when it is missing, the upload action computes it from the
  text of the result's line (codeql-action src/fingerprints.ts). Every result points at
  line 1 of the audit file (a lock-in finding has no line of code), so computed hashes
  would be equal and the results of one rule would collapse into one alert. Each result
  therefore carries its own `primaryLocationLineHash`, `<finding id>:1`, from the
  finding's stable id (check, asset, control, key); the upload action keeps a hash that is
  present (it only warns that it differs from the one it would compute).
- **Severity from the rule only.** Code scanning reads `security-severity` from the rule
  (`reportingDescriptor.properties`), never from a result, and ranks it as critical over
  9.0, high 7.0-8.9, medium 4.0-6.9, low 0.1-3.9. So one check has a rule per kind of
  result and severity: `<check id>` for findings held by someone other than you (status
  fail) at the check's severity, `<check id>/<severity>` at another one (a check may judge
  one asset more severe than its default), `<check id>/risk` for risks to review (warn:
  medium; `/risk/low` when the result is a note), `<check id>/to-confirm` (manual) and
  `<check id>/not-assessed` (error), which have no `security-severity` and no `security` tag (so they are never
  ranked High or Critical; `problem.severity` ranks them as recommendations) and results
  of level `none`. A result's `level` never exceeds its rule's.
- **Readable rule names**: `name` (shown to filter by rule, at most 255 characters) is
  the check's title in PascalCase, with the kind appended (`...ToConfirm`).
- Required properties are all present: rule `shortDescription`, `fullDescription`,
  `help.text` (and `help.markdown`, with references as autolinks), result `message.text`,
  a `physicalLocation` with the whole region (start and end line and column).

Accepted findings carry an external `suppression` (status accepted, with the reason, who
and until when), which code scanning shows as dismissed. Errors are also tool execution
notifications. Passes are left out.
"""

from __future__ import annotations

import json
import re
from pathlib import PurePath
from typing import Any
from urllib.parse import quote

from lockin_audit.model import (
    CheckInfo,
    Finding,
    ScanResult,
    Severity,
    Status,
    human_date,
    sort_findings,
)
from lockin_audit.report.common import (
    asset_label,
    evidence_line,
    md_escape,
    md_link,
    not_configured,
    steps,
)
from lockin_audit.report.history_view import accepted_sarif
from lockin_audit.report.interface import Renderer

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI = "https://github.com/lockin-audit/lockin-audit"
# GitHub: over 9.0 critical, 7.0-8.9 high, 4.0-6.9 medium, 0.1-3.9 low; 0.0 is none.
SECURITY_SEVERITY: dict[Severity, str] = {
    Severity.CRITICAL: "9.5", Severity.HIGH: "8.0", Severity.MEDIUM: "5.5",
    Severity.LOW: "3.0", Severity.INFO: "0.0",
}
FAIL_LEVEL: dict[Severity, str] = {
    Severity.CRITICAL: "error", Severity.HIGH: "error", Severity.MEDIUM: "warning",
    Severity.LOW: "note", Severity.INFO: "note",
}
# The kinds of result, one rule each: (rule id suffix, name suffix, short-description
# suffix, SARIF result kind)
KINDS: dict[Status, tuple[str, str, str, str]] = {
    Status.FAIL: ("", "", "", "fail"),
    Status.WARN: ("/risk", "Risk", " (a risk to review)", "fail"),
    Status.MANUAL: ("/to-confirm", "ToConfirm", " (to confirm)", "review"),
    Status.ERROR: ("/not-assessed", "NotAssessed", " (could not be checked)", "open"),
}
NAME_LIMIT = 255
DESCRIPTION_LIMIT = 1024


def warn_level(severity: Severity) -> str:
    return "warning" if severity.at_least(Severity.MEDIUM) else "note"


def level_and_kind(f: Finding) -> tuple[str, str]:
    kind = KINDS[f.status][3]
    if f.status is Status.FAIL:
        return FAIL_LEVEL[f.severity], kind
    if f.status is Status.WARN:
        return warn_level(f.severity), kind
    return "none", kind  # to confirm, or not assessed: SARIF wants level none


def rule_severity(f: Finding) -> Severity:
    """The severity a result's rule stands for: the finding's own for fail (a check may
    judge one asset more severe than its default), medium or low for a risk to review
    (by the result's level), and the check's for the kinds without a security-severity."""
    if f.status is Status.WARN:
        return Severity.MEDIUM if warn_level(f.severity) == "warning" else Severity.LOW
    return f.severity


def rule_id(check_id: str, status: Status, severity: Severity | None = None,
            default: Severity | None = None) -> str:
    """`<check>` for the check's own severity, `<check>/<severity>` for another one (fail);
    `<check>/risk` (or `/risk/low`), `<check>/to-confirm`, `<check>/not-assessed`."""
    rid = check_id + KINDS[status][0]
    if status is Status.FAIL and severity is not None and severity is not default:
        rid += f"/{severity.value}"
    if status is Status.WARN and severity is Severity.LOW:
        rid += "/low"
    return rid


def result_rule_id(f: Finding, default: Severity) -> str:
    return rule_id(f.check_id, f.status, rule_severity(f), default)


def _security_severity(severity: Severity, status: Status) -> str | None:
    """What GitHub ranks the rule by: the check's severity for fail; for a risk to review
    at most medium (low when its results are notes); none for the other kinds."""
    if status is Status.FAIL:
        value = SECURITY_SEVERITY[severity]
        return None if value == "0.0" else value
    if status is Status.WARN:
        return SECURITY_SEVERITY[Severity.MEDIUM if warn_level(severity) == "warning"
                                 else Severity.LOW]
    return None


def rule_name(title: str, status: Status, qualifier: str = "") -> str:
    """PascalCase of the title's words (letters and digits), the kind appended."""
    words = re.findall(r"[^\W_]+", title)
    name = "".join(w[:1].upper() + w[1:] for w in words) or "Check"
    suffix = qualifier.capitalize() + KINDS[status][1]
    return name[: NAME_LIMIT - len(suffix)] + suffix


def _clip(text: str, limit: int = DESCRIPTION_LIMIT) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _rule(info: CheckInfo, status: Status, severity: Severity, rid: str) -> dict[str, Any]:
    numbered = [f"{n}. {s}" for n, s in enumerate(info.remediation, 1)]
    help_text = f"Why it matters: {info.risk}\n\nWhat to do:\n" + "\n".join(numbered)
    help_md = (f"**Why it matters:** {md_escape(info.risk)}\n\n**What to do:**\n\n"
               + "\n".join(f"{n}. {md_escape(s)}" for n, s in enumerate(info.remediation, 1)))
    if info.references:
        help_text += "\n\nReferences:\n" + "\n".join(info.references)
        help_md += "\n\n**References:**\n\n" + "\n".join(
            f"- {md_link(ref)}" for ref in info.references)
    if status is Status.FAIL:
        default_level = FAIL_LEVEL[severity]
    elif status is Status.WARN:
        default_level = warn_level(severity)
    else:
        default_level = "note"
    security = _security_severity(severity, status)
    tags = ["lock-in", info.area, info.control]
    properties: dict[str, Any] = {
        "tags": ["security", *tags] if security else [
            *tags, *([KINDS[status][0].lstrip("/")] if KINDS[status][0] else [])],
        "precision": "high" if status in (Status.FAIL, Status.WARN) else "medium",
        "problem.severity": {"error": "error", "warning": "warning"}.get(
            default_level, "recommendation"),
    }
    if security:
        properties["security-severity"] = security
    qualifier = ""
    short = info.title + KINDS[status][2]
    if status is Status.FAIL and severity is not info.severity:
        qualifier = severity.value
        short += f" ({severity.value})"
    rule: dict[str, Any] = {
        "id": rid,
        "name": rule_name(info.title, status, qualifier),
        "shortDescription": {"text": _clip(short)},
        "fullDescription": {"text": _clip(info.risk or info.title)},
        "help": {"text": help_text, "markdown": help_md},
        "defaultConfiguration": {"level": default_level},
        "properties": properties,
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


def _holder_text(f: Finding) -> str:
    return {"client": "held by you", "provider": "held by your provider",
            "third_party": "held by a third party",
            "unknown": "held by someone not yet identified"}[f.holder.value]


def _result(f: Finding, rid: str, index: dict[str, int], uri: str) -> dict[str, Any]:
    level, kind = level_and_kind(f)
    text = f"{f.title}: {asset_label(f)} ({_holder_text(f)}). {f.detail}"
    if f.due:
        text += f" Due {human_date(f.due)}."
    return {
        "ruleId": rid,
        "ruleIndex": index[rid],
        "kind": kind,
        "level": level,
        "message": {"text": text},
        "locations": [{
            "physicalLocation": {"artifactLocation": {"uri": uri},
                                 "region": {"startLine": 1, "startColumn": 1,
                                            "endLine": 1, "endColumn": 2}},
            "logicalLocations": [{"name": f.asset.name or f.asset.id,
                                  "fullyQualifiedName": f"{f.asset.type}:{f.asset.id}",
                                  "kind": "resource"}],
        }],
        # GitHub uses only primaryLocationLineHash: one per finding, from its stable id
        "partialFingerprints": {"primaryLocationLineHash": f"{f.id}:1",
                                "lockinFindingId/v1": f.id},
        "properties": {
            "status": f.status.value, "holder": f.holder.value,
            "severity": f.severity.value, "control": f.control,
            "asset": f.asset.to_dict(), "due": f.due.isoformat() if f.due else None,
            "evidence": [evidence_line(e) for e in f.evidence],
        },
        **accepted_sarif(f),
    }


class SarifRenderer(Renderer):
    name = "sarif"
    filename = "report.sarif"

    def render(self, result: ScanResult) -> str:
        infos: dict[str, CheckInfo] = {c.id: c for c in result.checks}
        findings = sort_findings(f for f in result.findings if f.status is not Status.PASS)
        for f in findings:
            infos.setdefault(f.check_id, _info_from_finding(f))
        # every check's own rule, plus the other kinds and severities that have results
        wanted: dict[str, tuple[CheckInfo, Status, Severity]] = {
            i.id: (i, Status.FAIL, i.severity) for i in infos.values()}
        for f in findings:
            info = infos[f.check_id]
            wanted.setdefault(result_rule_id(f, info.severity),
                              (info, f.status, rule_severity(f)))
        rule_ids = sorted(wanted)
        rules = [_rule(*wanted[rid], rid) for rid in rule_ids]
        seen: dict[str, int] = {}
        for r in rules:  # names unique, so that filtering by name finds one rule
            n = seen[r["name"]] = seen.get(r["name"], 0) + 1
            if n > 1:
                r["name"] = f"{r['name'][:NAME_LIMIT - 4]}{n}"
        index = {rid: n for n, rid in enumerate(rule_ids)}
        uri = _artifact_uri(result.audit_file)
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
                "rules": rules,
            }},
            "automationDetails": {"id": "lockin-audit/"},
            "invocations": [{
                "executionSuccessful": not result.interrupted,
                "startTimeUtc": result.started_at,
                "endTimeUtc": result.finished_at,
                "toolExecutionNotifications": notifications,
            }],
            "results": [_result(f, result_rule_id(f, infos[f.check_id].severity), index, uri)
                        for f in findings],
        }
        doc = {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [run]}
        return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
