"""report.junit.xml: a testcase per finding (check and asset), one testsuite per area,
so a CI system shows lock-in like failing tests.

fail -> <failure>, error -> <error>, manual -> <skipped>, accepted (an acceptance that
has not expired) -> <skipped> with the reason, (a person must collect the
evidence), warn -> passes with the warning in <system-out>, pass -> passes. Targets that
were not assessed appear as skipped testcases with the reason. ElementTree escapes every
string; characters XML cannot carry at all are dropped.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections import defaultdict

from lockin_audit.model import Coverage, Finding, ScanResult, Status, sort_findings
from lockin_audit.report.common import evidence_line, steps, xml_text
from lockin_audit.report.history_view import accepted_text
from lockin_audit.report.interface import Renderer


def _text(f: Finding) -> str:
    lines = [f"Asset: {f.asset.type} {f.asset.id}" + (f" ({f.asset.name})" if f.asset.name
                                                       else ""),
             f"Holder: {f.holder.value}", f"Severity: {f.severity.value}",
             f"Detail: {f.detail}"]
    if f.due:
        lines.append(f"Due: {f.due.isoformat()}")
    if f.risk:
        lines.append(f"Why it matters: {f.risk}")
    lines += ["Remediation:"] + [f"  {n}. {s}" for n, s in enumerate(steps(f.remediation), 1)]
    lines += ["Evidence:"] + [f"  {evidence_line(e)}" for e in f.evidence]
    return xml_text("\n".join(lines))


def _testcase(parent: ET.Element, f: Finding) -> None:
    name = f"{f.check_id} [{f.asset.id}]" + (f" {f.key}" if f.key else "")
    case = ET.SubElement(parent, "testcase", classname=xml_text(f.control),
                         name=xml_text(name), time="0")
    message = xml_text(f"{f.title}: {f.detail}")
    if f.accepted is not None:
        ET.SubElement(case, "skipped", message=xml_text(accepted_text(f.accepted)))
        ET.SubElement(case, "system-out").text = _text(f)
    elif f.status is Status.FAIL:
        el = ET.SubElement(case, "failure", message=message, type=f.severity.value)
        el.text = _text(f)
    elif f.status is Status.ERROR:
        el = ET.SubElement(case, "error", message=message, type="not_assessed")
        el.text = _text(f)
    elif f.status is Status.MANUAL:
        ET.SubElement(case, "skipped", message=xml_text(f"manual check: {f.detail}"))
        ET.SubElement(case, "system-out").text = _text(f)
    else:
        out = ET.SubElement(case, "system-out")
        out.text = (("WARNING: " if f.status is Status.WARN else "") + _text(f))


def _coverage_case(parent: ET.Element, c: Coverage) -> None:
    case = ET.SubElement(parent, "testcase", classname=xml_text(f"{c.area}.coverage"),
                         name=xml_text(f"coverage [{c.target}]"), time="0")
    ET.SubElement(case, "skipped", message=xml_text(c.reason or "not assessed"))


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
        totals = dict.fromkeys(("tests", "failures", "errors", "skipped"), 0)
        for area in sorted(set(by_area) | set(gaps)):
            findings, missing = by_area.get(area, []), gaps.get(area, [])
            counts = {
                "tests": len(findings) + len(missing),
                "failures": sum(f.status is Status.FAIL and f.accepted is None
                                for f in findings),
                "errors": sum(f.status is Status.ERROR for f in findings),
                "skipped": sum(f.status is Status.MANUAL or f.accepted is not None
                               for f in findings) + len(missing),
            }
            attrs = {"name": xml_text(area), "timestamp": xml_text(result.started_at),
                     "time": "0", **{k: str(v) for k, v in counts.items()}}
            suite = ET.SubElement(root, "testsuite", attrs)
            for f in findings:
                _testcase(suite, f)
            for c in missing:
                _coverage_case(suite, c)
            for k, v in counts.items():
                totals[k] += v
        for k, v in totals.items():
            root.set(k, str(v))
        ET.indent(root)
        return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"
