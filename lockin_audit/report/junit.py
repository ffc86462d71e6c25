"""report.junit.xml: a testcase per finding, one testsuite per area, so a CI system
shows lock-in like failing tests.

Valid against the Jenkins xunit plugin's JUnit schema (junit-10.xsd, vendored in
tests/data with its source), which GitLab and GitHub test-report actions also read:

- a finding held by someone other than you (fail, no acceptance in force) -> <failure>
  (what the CI gate is about); error (not assessed) -> <error>;
- a risk to review (warn) and an item to confirm (manual) -> <skipped>, never a green
  pass: GitLab shows a skipped test's element content, Jenkins its message, so both carry
  the reason ("Risk to review: ..." / "To confirm: ..."); an accepted finding and a
  target that could not be assessed are skipped with their reason too;
- pass -> a passing testcase.

Names are short: `classname` is the check id (Jenkins and GitLab group by it) and `name`
the asset (with the finding's discriminator when it adds something). Counts per suite
include `skipped`; `<testsuites>` carries only the attributes the schema allows (name,
time, tests, failures, errors). ElementTree escapes every string; characters XML cannot
carry at all are dropped.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections import defaultdict

from lockin_audit.model import Coverage, Finding, ScanResult, Status, human_date, sort_findings
from lockin_audit.report.common import asset_label, evidence_line, steps, xml_text
from lockin_audit.report.history_view import accepted_text
from lockin_audit.report.interface import Renderer

SKIP_LABEL: dict[Status, str] = {Status.WARN: "Risk to review", Status.MANUAL: "To confirm"}


def _text(f: Finding) -> str:
    lines = [f"{f.title}: {f.detail}",
             f"Asset: {f.asset.type} {asset_label(f)}",
             f"Holder: {f.holder.value}", f"Severity: {f.severity.value}",
             f"Finding: {f.id}"]
    if f.due:
        lines.append(f"Due: {human_date(f.due)}")
    if f.risk:
        lines.append(f"Why it matters: {f.risk}")
    lines += ["Remediation:"] + [f"  {n}. {s}" for n, s in enumerate(steps(f.remediation), 1)]
    lines += ["Evidence:"] + [f"  {evidence_line(e)}" for e in f.evidence]
    return xml_text("\n".join(lines))


def case_name(f: Finding) -> str:
    """The asset, and the finding's key when it says more than the asset id does."""
    name = f.asset.name or f.asset.id
    if f.key and f.key not in (f.asset.id, f.asset.name) and f.asset.id not in f.key:
        name += f" ({f.key})"
    return name


def is_failure(f: Finding) -> bool:
    return f.status is Status.FAIL and f.accepted is None


def is_skipped(f: Finding) -> bool:
    return f.accepted is not None or f.status in (Status.WARN, Status.MANUAL)


def _testcase(parent: ET.Element, f: Finding) -> None:
    case = ET.SubElement(parent, "testcase", classname=xml_text(f.check_id),
                         name=xml_text(case_name(f)), time="0")
    message = xml_text(f"{f.title}: {f.detail}")
    if f.accepted is not None:
        el = ET.SubElement(case, "skipped", message=xml_text(
            f"Accepted: {accepted_text(f.accepted)}"), type="accepted")
        el.text = _text(f)
    elif f.status is Status.FAIL:
        el = ET.SubElement(case, "failure", message=message, type=f.severity.value)
        el.text = _text(f)
    elif f.status is Status.ERROR:
        el = ET.SubElement(case, "error", message=message, type="not_assessed")
        el.text = _text(f)
    elif f.status in SKIP_LABEL:
        label = SKIP_LABEL[f.status]
        el = ET.SubElement(case, "skipped", message=xml_text(f"{label}: {f.title}: {f.detail}"),
                           type=f.status.value)
        el.text = xml_text(f"{label}. ") + _text(f)
    else:
        ET.SubElement(case, "system-out").text = _text(f)


def _coverage_case(parent: ET.Element, c: Coverage) -> None:
    case = ET.SubElement(parent, "testcase", classname=xml_text(f"{c.area}.coverage"),
                         name=xml_text(c.target), time="0")
    reason = xml_text(c.reason or "not assessed")
    el = ET.SubElement(case, "skipped", message=reason, type="not_assessed")
    el.text = f"Not assessed: {reason}"


class JunitRenderer(Renderer):
    name = "junit"
    filename = "report.junit.xml"

    def render(self, result: ScanResult) -> str:
        by_area: dict[str, list[Finding]] = defaultdict(list)
        for f in sort_findings(result.findings):
            by_area[f.area].append(f)
        gaps: dict[str, list[Coverage]] = defaultdict(list)
        for c in result.coverage:
            if not c.assessed:
                gaps[c.area].append(c)
        root = ET.Element("testsuites", name="lockin-audit")
        totals = dict.fromkeys(("tests", "failures", "errors"), 0)
        for area in sorted(set(by_area) | set(gaps)):
            findings, missing = by_area.get(area, []), gaps.get(area, [])
            counts = {
                "tests": len(findings) + len(missing),
                "failures": sum(is_failure(f) for f in findings),
                "errors": sum(f.status is Status.ERROR and f.accepted is None
                              for f in findings),
                "skipped": sum(is_skipped(f) for f in findings) + len(missing),
            }
            attrs = {"name": xml_text(area), "timestamp": xml_text(result.started_at),
                     "time": "0", **{k: str(v) for k, v in counts.items()}}
            suite = ET.SubElement(root, "testsuite", attrs)
            for f in findings:
                _testcase(suite, f)
            for c in missing:
                _coverage_case(suite, c)
            for k in totals:
                totals[k] += counts[k]
        root.set("time", "0")
        for k, v in totals.items():
            root.set(k, str(v))
        ET.indent(root)
        return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"
