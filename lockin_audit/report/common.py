"""What the human-readable renderers share: the templates, escaping, and one summary of a
ScanResult (counts, blockers, deadlines, findings grouped by area and control, coverage).

The summary is computed once per render in plain Python so that the templates only
display; nothing here trusts a string that came from a scanned system.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import jinja2
import markupsafe

from lockin_audit import catalogue
from lockin_audit.model import (
    CheckInfo,
    Coverage,
    Evidence,
    Finding,
    Gap,
    Holder,
    NotRead,
    Readiness,
    ScanResult,
    Severity,
    Status,
    human_date,
    human_datetime,
    sort_findings,
)
from lockin_audit.report.aws_handover import handover_users as aws_handover_users
from lockin_audit.report.history_view import exceeded_text, history_view
from lockin_audit.safety import printable
from lockin_audit.scoring import readiness_of

STATUS_ORDER: tuple[Status, ...] = (Status.FAIL, Status.ERROR, Status.WARN, Status.MANUAL,
                                    Status.PASS)
SEVERITY_ORDER: tuple[Severity, ...] = (Severity.CRITICAL, Severity.HIGH, Severity.MEDIUM,
                                        Severity.LOW, Severity.INFO)
STATUS_LABELS: dict[str, str] = {
    "fail": "Held by your provider",
    "error": "Could not be checked",
    "warn": "Risk to review",
    "manual": "Evidence to collect",
    "pass": "Held by you",
}
HOLDER_LABELS: dict[str, str] = {
    "client": "You (the client)",
    "provider": "The provider",
    "third_party": "A third party (vendor)",
    "unknown": "Unknown: classify it",
}
AREA_LABELS: dict[str, str] = {
    "domain": "Domains and DNS",
    "aws": "Amazon Web Services",
    "azure": "Microsoft Azure",
    "m365": "Microsoft 365",
    "contract": "Contracts",
    "custody": "Credentials and keys in custody",
    "network": "IP addresses and network",
}
TOP_BLOCKERS = 10


# ---------------------------------------------------------------- templates


def templates_dir() -> Path:
    """`lockin_audit/report_templates` in an installed wheel (pyproject force-includes
    it), the top-level `report_templates/` folder in a source checkout."""
    package = Path(__file__).resolve().parent.parent
    installed = package / "report_templates"
    if installed.is_dir():
        return installed
    return package.parent / "report_templates"


@cache
def environment(kind: str) -> jinja2.Environment:
    """`html`: HTML autoescaping. `md`: every `{{ ... }}` goes through `md_escape` (the
    Markdown equivalent of autoescaping); pre-rendered Markdown is wrapped in `MdSafe`."""
    loader = jinja2.FileSystemLoader(str(templates_dir()))
    if kind == "html":
        env = jinja2.Environment(loader=loader, autoescape=True, trim_blocks=True,
                                 lstrip_blocks=True, undefined=jinja2.StrictUndefined,
                                 finalize=_html_finalize)
    elif kind == "md":
        env = jinja2.Environment(loader=loader, autoescape=False, trim_blocks=True,
                                 lstrip_blocks=True, undefined=jinja2.StrictUndefined,
                                 finalize=md_escape, keep_trailing_newline=True)
        env.filters["raw"] = MdSafe
    else:
        raise ValueError(f"unknown template kind {kind!r}")
    env.filters["excerpt"] = excerpt_text
    env.filters["status_label"] = lambda s: STATUS_LABELS.get(str(s), str(s))
    env.filters["holder_label"] = lambda h: HOLDER_LABELS.get(str(h), str(h))
    env.filters["area_label"] = area_label
    env.filters["md_link"] = md_link
    env.filters["html_link"] = html_link
    env.filters["human_date"] = human_date
    env.filters["human_time"] = human_datetime
    env.filters["asset"] = asset_label
    env.filters["evidence_member"] = _evidence_member
    env.globals["history_view"] = history_view  # the _history/_accepted partials
    env.globals["exceeded_text"] = exceeded_text  # "accepted as warn, now fail"
    env.globals["aws_handover_users"] = aws_handover_users  # the _aws_handover partials
    return env


def render_template(kind: str, name: str, **context: Any) -> str:
    return environment(kind).get_template(name).render(**context)


# ---------------------------------------------------------------- escaping


class MdSafe(str):
    """Markdown produced by us (not from a scanned system): `md_escape` leaves it alone."""


# Brackets are escaped, so parentheses and "!" can never form a link or an image, and
# "#" only makes a heading at the start of a line (handled below): those stay as they are.
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]|~<>&])")
_MD_LEADING_LIST = re.compile(r"^(\d{1,9})([.)])(?=\s|$)")
_WHITESPACE = re.compile(r"\s+")
_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def md_escape(value: Any) -> str:
    """Make any value inert inline Markdown: one line (newlines would start blocks or
    break table rows), Markdown punctuation and the HTML specials `<`, `>` and `&`
    backslash-escaped (CommonMark shows an escaped character as itself, so a tag or an
    entity stays text without writing HTML entities into Markdown), and no leading
    list/heading/setext marker."""
    if value is None:
        return ""
    if isinstance(value, MdSafe):
        return str(value)
    # C0 controls dropped; C1 controls (the 8-bit CSI), bidirectional overrides and
    # zero-width characters shown as visible escapes (a report.md is often printed on a
    # terminal in CI logs)
    text = printable(_WHITESPACE.sub(" ", _CONTROL_CHARS.sub("", str(value))))
    text = _MD_SPECIAL.sub(r"\\\1", text)
    body = text.lstrip(" ")
    lead = text[: len(text) - len(body)]
    body = _MD_LEADING_LIST.sub(r"\1\\\2", body)
    if body[:1] in ("-", "+", "=", "#"):
        body = "\\" + body
    return lead + body


# A URL that can be written as a CommonMark autolink `<...>` as it is: an absolute http(s)
# URL without spaces, controls or angle brackets (inside an autolink backslash escapes are
# not processed, so escaping would change the link; CommonMark spec 6.5 "Autolinks").
_AUTOLINK_URL = re.compile(r"https?://[^\s<>\x00-\x1f\x7f]+")


def safe_url(value: Any) -> str | None:
    """The URL when it may be written as a link (an absolute http or https URL with
    nothing that could break out of the link), else None."""
    text = "" if value is None else str(value)
    return text if _AUTOLINK_URL.fullmatch(text) else None


def md_link(value: Any) -> MdSafe:
    """A reference as a Markdown autolink `<https://...>`, with the URL unescaped (escaping
    inside a URL breaks it); anything else as inert escaped text."""
    url = safe_url(value)
    return MdSafe(f"<{url}>") if url else MdSafe(md_escape(value))


def html_link(value: Any) -> markupsafe.Markup:
    """A reference as an HTML link (an http(s) URL, escaped as an attribute and as text);
    anything else as escaped text."""
    url = safe_url(value)
    if url is None:
        return markupsafe.escape(_CONTROL_CHARS.sub("", "" if value is None else str(value)))
    return markupsafe.Markup('<a href="{0}" rel="noopener noreferrer">{0}</a>').format(url)


def _html_finalize(value: Any) -> Any:
    """Control characters are not text in HTML either; autoescaping then runs as usual
    (markup we built ourselves, `Markup`, is left alone)."""
    if isinstance(value, str) and not isinstance(value, markupsafe.Markup):
        return _CONTROL_CHARS.sub("", value)
    return value


def xml_text(value: Any) -> str:
    """Characters XML 1.0 cannot carry at all (escaping does not help) are dropped."""
    return _CONTROL_CHARS.sub("", "" if value is None else str(value))


# ---------------------------------------------------------------- small helpers


def area_label(area: str) -> str:
    return AREA_LABELS.get(area, area)


_STEP_NUMBER = re.compile(r"^\s*\d+[.)]\s+")


def steps(remediation: str | Sequence[str]) -> list[str]:
    """The numbered steps of a finding's remediation text ("1. ...\\n2. ...") as a list
    without their numbers; lines that do not start a step continue the previous one."""
    if not isinstance(remediation, str):
        return [s for s in remediation if s.strip()]
    out: list[str] = []
    for line in remediation.splitlines():
        if not line.strip():
            continue
        if _STEP_NUMBER.match(line) or not out:
            out.append(_STEP_NUMBER.sub("", line).strip())
        else:
            out[-1] += " " + line.strip()
    return out


def excerpt_text(excerpt: Any) -> str:
    if isinstance(excerpt, str):
        return excerpt
    return json.dumps(excerpt, indent=2, ensure_ascii=False, default=str)


def scan_date(result: ScanResult) -> dt.date:
    try:
        return dt.datetime.fromisoformat(result.finished_at.replace("Z", "+00:00")).date()
    except ValueError:
        return dt.datetime.now(dt.UTC).date()


def asset_label(f: Finding) -> str:
    if f.asset.name and f.asset.name != f.asset.id:
        return f"{f.asset.name} ({f.asset.id})"
    return f.asset.id


# ---------------------------------------------------------------- the summary


@dataclass
class CheckGroup:
    """The findings of one check: its title, why it matters and its steps, once."""

    check_id: str
    title: str
    risk: str
    steps: list[str]
    references: list[str]
    findings: list[Finding] = field(default_factory=list)


@dataclass
class ControlGroup:
    control: str
    checks: list[CheckGroup]
    counts: dict[str, int]


@dataclass
class AreaGroup:
    area: str
    label: str
    controls: list[ControlGroup]
    counts: dict[str, int]


@dataclass
class DeadlineRow:
    date: dt.date
    days_left: int
    severity: str
    title: str
    finding: Finding | None


@dataclass
class Summary:
    result: ScanResult
    today: dt.date
    status_counts: dict[str, int]
    severity_counts: dict[str, dict[str, int]]  # severity -> status -> count
    blockers: list[Finding]
    deadlines: list[DeadlineRow]
    areas: list[AreaGroup]
    scanned: list[Coverage]
    skipped: list[Coverage]
    failed_targets: list[Coverage]
    errors: list[Finding]
    breakdown: list[tuple[str, str]]
    total: int
    parties: list[tuple[str, str, str]]
    readiness: Readiness
    gaps: list[GapRow]  # what could not be read and why (empty when the scan is complete)
    # per scanned platform (its name), the access paths this version does not read
    not_read: list[tuple[str, list[NotRead]]] = field(default_factory=list)


def _check_group(check_id: str, first: Finding, info: CheckInfo | None) -> CheckGroup:
    if info is not None:
        return CheckGroup(check_id, info.title, info.risk, list(info.remediation),
                          list(info.references))
    return CheckGroup(check_id, first.title, first.risk, steps(first.remediation),
                      list(first.references))


def check_groups(findings: Sequence[Finding],
                 checks: Mapping[str, CheckInfo]) -> list[CheckGroup]:
    """Findings of one check together (in the order given), each check's text once."""
    groups: dict[str, CheckGroup] = {}
    for f in findings:
        group = groups.get(f.check_id)
        if group is None:
            group = groups[f.check_id] = _check_group(f.check_id, f, checks.get(f.check_id))
        group.findings.append(f)
    return list(groups.values())


def group_findings(findings: Sequence[Finding],
                   checks: Mapping[str, CheckInfo]) -> list[AreaGroup]:
    """Area -> control -> check, worst first at each level (the order of `sort_findings`,
    which puts provider-held and severe findings first)."""
    ordered = sort_findings(findings)
    areas: dict[str, dict[str, dict[str, CheckGroup]]] = {}
    for f in ordered:
        by_check = areas.setdefault(f.area, {}).setdefault(f.control, {})
        group = by_check.get(f.check_id)
        if group is None:
            group = by_check[f.check_id] = _check_group(f.check_id, f,
                                                        checks.get(f.check_id))
        group.findings.append(f)
    out: list[AreaGroup] = []
    for area, controls in areas.items():
        cgroups = [ControlGroup(control, list(by_check.values()),
                                _counts(f for g in by_check.values() for f in g.findings))
                   for control, by_check in controls.items()]
        out.append(AreaGroup(area, area_label(area), cgroups,
                             _counts(f for c in cgroups for g in c.checks for f in g.findings)))
    return out


def _counts(findings: Iterable[Finding]) -> dict[str, int]:
    c = Counter(f.status.value for f in findings)
    return {s.value: c.get(s.value, 0) for s in STATUS_ORDER}


_BREAKDOWN_LABELS: dict[str, str] = {
    "formula": "Formula",
    "weighted_total": "Total weight of assessed findings",
    "weighted_earned": "Weight earned",
    "base": "Base score",
    "errors": "Findings that could not be checked",
    "coverage_gaps": "Targets that could not be assessed",
    "gap_penalty": "Penalty for gaps (points)",
    "critical_fail_caps_grade": "A critical item held by the provider caps the grade at D",
    "weights": "Weight per severity",
    "credit": "Credit per status",
    "findings_by_status": "Findings by status",
    "complete": "Everything configured was assessed",
}


def _breakdown_value(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, Mapping):
        return ", ".join(f"{k} {_breakdown_value(v)}" for k, v in value.items())
    return str(value)


def breakdown_rows(breakdown: Mapping[str, Any]) -> list[tuple[str, str]]:
    return [(_BREAKDOWN_LABELS.get(str(k), str(k).replace("_", " ")), _breakdown_value(v))
            for k, v in breakdown.items()]


def summarize(result: ScanResult) -> Summary:
    readiness = readiness_of(result)
    today = scan_date(result)
    by_id = {f.id: f for f in result.findings}
    severity_counts: dict[str, dict[str, int]] = {
        s.value: {st.value: 0 for st in STATUS_ORDER} for s in SEVERITY_ORDER}
    for f in result.findings:
        severity_counts[f.severity.value][f.status.value] += 1
    blockers = [f for f in sort_findings(result.findings)
                if f.status is Status.FAIL and f.accepted is None][:TOP_BLOCKERS]
    deadlines = sorted(
        (DeadlineRow(d.date, (d.date - today).days, d.severity.value, d.title,
                     by_id.get(d.finding_id)) for d in readiness.deadlines),
        key=lambda r: (r.date, -Severity(r.severity).rank, r.title))
    skipped = [c for c in result.coverage if not c.assessed and not_configured(c)]
    failed = [c for c in result.coverage if not c.assessed and not not_configured(c)]
    return Summary(
        result=result,
        today=today,
        status_counts=_counts(result.findings),
        severity_counts=severity_counts,
        blockers=blockers,
        deadlines=deadlines,
        areas=group_findings(result.findings, {c.id: c for c in result.checks}),
        scanned=[c for c in result.coverage if c.assessed],
        skipped=skipped,
        failed_targets=failed,
        errors=sort_findings(f for f in result.findings if f.status is Status.ERROR),
        breakdown=breakdown_rows(readiness.breakdown),
        total=len(result.findings),
        parties=party_rows(result),
        readiness=readiness,
        gaps=gap_rows(result.gaps()),
        not_read=not_read_rows(result),
    )


def not_read_rows(result: ScanResult) -> list[tuple[str, list[NotRead]]]:
    """The result's `not_read`, each platform under its catalogue name."""
    names = {p.id: p.name for p in catalogue.platforms()}
    return [(names.get(platform, platform), list(paths))
            for platform, paths in result.not_read.items() if paths]


@dataclass(frozen=True)
class GapRow:
    """Gaps with one reason in one area, folded into one line: the first thing that could
    not be read, and how many others share that reason."""

    area: str
    what: str
    reason: str
    others: int = 0


def gap_rows(gaps: Iterable[Gap]) -> list[GapRow]:
    rows: dict[tuple[str, str], GapRow] = {}
    for g in gaps:
        key = (g.area, g.reason)
        if key in rows:
            row = rows[key]
            rows[key] = GapRow(row.area, row.what, row.reason, row.others + 1)
        else:
            rows[key] = GapRow(g.area, g.what, g.reason)
    return list(rows.values())


def not_configured(c: Coverage) -> bool:
    """A target skipped because the audit file does not ask for it (the engine's
    `NOT_CONFIGURED` reason), as opposed to one that failed."""
    return c.not_configured


PARTY_FIELDS: dict[str, str] = {
    "aliases": "Also known as", "domains": "Domains", "email_domains": "Email domains",
    "aws_account_ids": "AWS accounts", "aws_organization_ids": "AWS Organizations",
    "azure_tenant_ids": "Azure tenants",
    "partner_ids": "Microsoft partner ids", "ip_ranges": "IP ranges",
    "google_customer_ids": "Google customers", "gcp_organization_ids": "Cloud organizations",
    "gcp_billing_account_ids": "Cloud Billing accounts", "gcp_project_ids": "Cloud projects",
    "google_oauth_client_ids": "Google OAuth clients",
}


def party_rows(result: ScanResult) -> list[tuple[str, str, str]]:
    """(role, name, identifiers) for the client and each provider, as configured."""
    rows: list[tuple[str, str, str]] = []
    for role, party in [("Client", result.client)] + [("Provider", p) for p in result.provider]:
        ids = [f"{label}: {', '.join(str(v) for v in party[key])}"
               for key, label in PARTY_FIELDS.items() if party.get(key)]
        rows.append((role, str(party.get("name") or ""), "; ".join(ids)))
    return rows


def provider_findings(result: ScanResult) -> list[Finding]:
    """What the request letter asks for: everything the provider holds."""
    return sort_findings(f for f in result.findings if f.holder is Holder.PROVIDER)


def evidence_line(e: Evidence) -> str:
    return f"{e.source}: {e.request} ({human_datetime(e.observed_at)})"


def _evidence_member(finding_id: str) -> str:
    from lockin_audit.evidence import evidence_member

    return evidence_member(finding_id)
