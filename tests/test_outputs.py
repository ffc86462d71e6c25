"""Outputs where people put them (issue 28): the demo run twice into one history store,
then every output checked the way its consumer reads it: one count of "held by your
provider" everywhere, the same finding ids in both runs, SARIF as GitHub code scanning
reads it, JUnit against the Jenkins xunit schema, Markdown links through a CommonMark
renderer, the CSV's BOM, the calendar's alarms and wording."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from lockin_audit.model import Finding, held_by_provider

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class DemoRuns:
    first: Path
    second: Path
    store: Path
    cli_line: str  # the CLI's summary line of the second run
    cwd: Path


def _run(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run([sys.executable, "-m", "lockin_audit", *args], capture_output=True,
                          text=True, timeout=600, cwd=cwd,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> DemoRuns:
    cwd = tmp_path_factory.mktemp("outputs")
    store = cwd / "history.sqlite"
    _run(["demo", "-o", "one", "--no-progress", "--history", str(store)], cwd)
    proc = _run(["demo", "-o", "two", "--no-progress", "--history", str(store)], cwd)
    line = next(x for x in proc.stdout.splitlines() if x.startswith("Readiness"))
    return DemoRuns(cwd / "one", cwd / "two", store, line, cwd)


def _findings(out: Path) -> list[Finding]:
    data = json.loads((out / "report.json").read_text(encoding="utf-8"))
    return [Finding.from_dict(f) for f in data["findings"]]


def test_two_demo_runs_give_identical_finding_ids(demo: DemoRuns) -> None:
    one = sorted(f.id for f in _findings(demo.first))
    two = sorted(f.id for f in _findings(demo.second))
    assert one == two and len(set(one)) == len(one)


def test_one_count_of_held_by_your_provider_in_every_output(demo: DemoRuns) -> None:
    findings = _findings(demo.second)
    held = sum(1 for f in findings if held_by_provider(f))
    # the demo has fails whose holder is not the provider: the definition matters
    assert any(f.status.value == "fail" and f.holder.value != "provider" for f in findings)
    assert held > 0
    # the CLI line
    assert re.search(rf"; {held} held by the provider\b", demo.cli_line), demo.cli_line
    # the owner's summary, in Markdown and HTML, with the definition stated
    md = (demo.second / "report.md").read_text(encoding="utf-8")
    assert f"\n{held} items held by your provider across" in md
    assert "Held by your provider: findings the provider holds" in md
    html = (demo.second / "report.html").read_text(encoding="utf-8")
    assert f"<strong>{held}</strong> items held by your provider across" in html
    assert 'id="held-definition"' in html
    # the trend (report.json's history and the Markdown trend table's last row)
    data = json.loads((demo.second / "report.json").read_text(encoding="utf-8"))
    assert sum(data["history"][-1]["provider_held"].values()) == held
    trend = [line for line in md.splitlines() if line.startswith("| ")]
    assert trend and any(line.endswith(f" {held} |") for line in trend)
    # history --format json
    hist = json.loads(_run(["history", "--format", "json", "--history", str(demo.store)],
                           demo.cwd).stdout)
    assert hist["scans"][-1]["provider_held"] == held
    # the fleet portfolio over the same store
    _run(["fleet", "report", "--history", str(demo.store), "-o", "portfolio"], demo.cwd)
    portfolio = json.loads((demo.cwd / "portfolio" / "portfolio.json").read_text())
    assert portfolio["provider_held_total"] == held


# ------------------------------------------------------------------ SARIF

SARIF_SCHEMA = ROOT / "tests" / "data" / "sarif-schema-2.1.0.json"
GITHUB_RANK = (("critical", 9.0, 10.0), ("high", 7.0, 8.9), ("medium", 4.0, 6.9),
               ("low", 0.1, 3.9))  # GitHub's reading of security-severity


def _github_rank(value: str | None) -> str | None:
    if value is None:
        return None
    score = float(value)
    for name, low, high in GITHUB_RANK:
        if (low < score <= high) if name == "critical" else (low <= score <= high):
            return name
    return None


def test_sarif_is_what_github_code_scanning_reads(demo: DemoRuns) -> None:
    import jsonschema

    doc = json.loads((demo.second / "report.sarif").read_text(encoding="utf-8"))
    jsonschema.Draft4Validator(json.loads(SARIF_SCHEMA.read_text(encoding="utf-8"))
                               ).validate(doc)
    assert doc["version"] == "2.1.0" and doc["$schema"]
    (run,) = doc["runs"]
    rules = run["tool"]["driver"]["rules"]
    by_id = {r["id"]: r for r in rules}
    assert len(by_id) == len(rules)
    # the properties GitHub documents as required, non-empty, within its limits
    for r in rules:
        assert r["shortDescription"]["text"] and len(r["shortDescription"]["text"]) <= 1024
        assert r["fullDescription"]["text"] and len(r["fullDescription"]["text"]) <= 1024
        assert r["help"]["text"]
        assert re.fullmatch(r"[A-Z][A-Za-z0-9]*", r["name"]) and len(r["name"]) <= 255
        assert "_" not in r["name"]
        assert r["defaultConfiguration"]["level"] in ("note", "warning", "error")
    assert len({r["name"] for r in rules}) == len(rules)
    findings = {f.id: f for f in _findings(demo.second)}
    results = run["results"]
    assert len(results) == sum(f.status.value != "pass" for f in findings.values())
    # one alert per finding: GitHub keys alerts by rule and primaryLocationLineHash
    keys = [(r["ruleId"], r["partialFingerprints"]["primaryLocationLineHash"]) for r in results]
    assert len(set(keys)) == len(keys)
    hashes = [k[1] for k in keys]
    assert len(set(hashes)) == len(hashes)
    first = json.loads((demo.first / "report.sarif").read_text(encoding="utf-8"))
    assert sorted(hashes) == sorted(r["partialFingerprints"]["primaryLocationLineHash"]
                                    for r in first["runs"][0]["results"])  # stable
    levels = {"none": 0, "note": 1, "warning": 2, "error": 3}
    for r in results:
        assert r["message"]["text"]
        region = r["locations"][0]["physicalLocation"]["region"]
        assert {"startLine", "startColumn", "endLine", "endColumn"} <= set(region)
        assert r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        rule = rules[r["ruleIndex"]]
        assert rule["id"] == r["ruleId"]
        f = findings[r["partialFingerprints"]["lockinFindingId/v1"]]
        rank = _github_rank(rule["properties"].get("security-severity"))
        # security-severity is read from the rule only: never on a result
        assert "security-severity" not in r.get("properties", {})
        if f.status.value in ("manual", "error"):  # to confirm / not assessed
            assert r["level"] == "none" and rank is None
            assert "security" not in rule["properties"]["tags"]
        if r["level"] in ("none", "note"):
            assert rank not in ("high", "critical"), (r["ruleId"], rank)
        if r["level"] == "warning":
            assert rank in (None, "low", "medium"), (r["ruleId"], rank)
        if f.status.value == "fail" and f.severity.value in ("critical", "high"):
            assert rank == f.severity.value and r["level"] == "error"
        assert levels[r["level"]] <= levels[rule["defaultConfiguration"]["level"]]
        if rank is not None:
            assert "security" in rule["properties"]["tags"]
    statuses = {findings[r["partialFingerprints"]["lockinFindingId/v1"]].status.value
                for r in results}
    assert {"fail", "warn", "manual"} <= statuses


# ------------------------------------------------------------------ JUnit

XUNIT_XSD = ROOT / "tests" / "data" / "jenkins-xunit-junit-10.xsd"


def test_junit_is_valid_for_jenkins_xunit_and_shows_what_needs_attention(
        demo: DemoRuns) -> None:
    from lxml import etree

    schema = etree.XMLSchema(etree.parse(str(XUNIT_XSD)))
    doc = etree.parse(str(demo.second / "report.junit.xml"))
    assert schema.validate(doc), schema.error_log
    findings = _findings(demo.second)
    by_asset: dict[tuple[str, str], list[Finding]] = {}
    for f in findings:
        by_asset.setdefault((f.check_id, f.asset.name or f.asset.id), []).append(f)
    root = doc.getroot()
    cases = root.findall(".//testcase")
    assert len(cases) >= len(findings)
    gate = [f for f in findings if f.status.value == "fail" and f.accepted is None]
    assert len(root.findall(".//failure")) == int(root.get("failures")) == len(gate)
    skipped = root.findall(".//skipped")
    warn = [f for f in findings if f.status.value == "warn"]
    manual = [f for f in findings if f.status.value == "manual"]
    assert warn and manual
    # warnings and items to confirm are skipped (not green), the reason as content
    assert sum((s.text or "").startswith("Risk to review.") for s in skipped) == len(warn)
    assert sum((s.text or "").startswith("To confirm.") for s in skipped) == len(manual)
    for s in skipped:
        assert (s.text or "").strip() and s.get("message")
    # short names: the check is the class name, the asset is not repeated in the name
    for c in cases:
        name, classname = c.get("name"), c.get("classname")
        assert "[" not in name and classname not in name
        assert len(name) < 200
    for (check_id, asset), fs in by_asset.items():
        if len(fs) == 1:
            assert any(c.get("classname") == check_id and c.get("name").startswith(asset)
                       for c in cases), (check_id, asset)


# ------------------------------------------------------------------ Markdown and HTML


def test_markdown_reference_links_survive_a_commonmark_renderer(demo: DemoRuns) -> None:
    from markdown_it import MarkdownIt

    data = json.loads((demo.second / "report.json").read_text(encoding="utf-8"))
    references = {ref for c in data["checks"] for ref in c.get("references", [])}
    references |= {ref for f in data["findings"] for ref in f.get("references", [])}
    assert any("_" in ref for ref in references)  # the case escaping used to break
    md = (demo.second / "report.md").read_text(encoding="utf-8")
    html = MarkdownIt("commonmark").render(md)
    hrefs = set(re.findall(r'<a href="([^"]+)"', html))
    import html as htmllib
    hrefs = {htmllib.unescape(h) for h in hrefs}
    shown = {ref for ref in references if ref in md}
    assert shown and shown <= hrefs, sorted(shown - hrefs)[:5]
    assert not any("%5C" in h for h in hrefs)
    # the HTML report links them too
    report = (demo.second / "report.html").read_text(encoding="utf-8")
    linked = {htmllib.unescape(h) for h in re.findall(r'<a href="([^"#][^"]*)"', report)}
    assert shown <= linked, sorted(shown - linked)[:5]


# ------------------------------------------------------------------ CSV, dates, calendar, guests


def test_csv_starts_with_a_utf8_bom(demo: DemoRuns) -> None:
    import csv
    import io

    raw = (demo.second / "report.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"), newline="")))
    assert rows and "id" in rows[0]


PY_DATETIME = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d+)?(\+00:00)?")


def test_no_python_datetime_repr_in_any_output(demo: DemoRuns) -> None:
    for path in sorted(demo.second.iterdir()):
        if path.is_dir() or path.suffix in (".json",):
            continue  # data: ISO 8601 timestamps
        text = path.read_text(encoding="utf-8-sig")
        assert not PY_DATETIME.search(text), (path.name, PY_DATETIME.search(text))


def test_calendar_alarms_at_a_working_hour_and_no_relative_wording(demo: DemoRuns) -> None:
    import datetime as dt

    import icalendar

    cal = icalendar.Calendar.from_ical((demo.second / "report.ics").read_bytes())
    events = [c for c in cal.walk("VEVENT")]
    assert events
    for ev in events:
        start = ev.decoded("dtstart")
        assert isinstance(start, dt.date) and not isinstance(start, dt.datetime)  # all day
        text = str(ev.get("description"))
        assert not re.search(r"days? (from|after) (today|the scan)|\bfrom today\b", text), text
        alarms = ev.walk("VALARM")
        assert alarms
        for alarm in alarms:
            trigger = alarm.decoded("trigger")
            assert isinstance(trigger, dt.timedelta) and trigger < dt.timedelta(0)
            # relative to local midnight of the day: fires at 09:00 local, not at midnight
            fires = dt.datetime.combine(start, dt.time()) + trigger
            assert fires.time() == dt.time(9, 0), fires
            assert not re.search(r"\bin \d+ day", str(alarm.get("description")), re.I)


def test_guests_are_shown_by_their_address(demo: DemoRuns) -> None:
    findings = _findings(demo.second)
    guests = [f for f in findings if f.asset.type == "entra_user"
              and "bobsit" in (f.asset.name or "")]
    assert guests
    for f in guests:
        assert "#EXT#" not in (f.asset.name or "") and "@" in (f.asset.name or "")
    assert any(f.asset.name == "admin@bobsit.example" for f in guests)


# ------------------------------------------------------------------ streamed report.json


def test_report_json_is_streamed_and_equal_to_the_whole_document(demo: DemoRuns) -> None:
    import dataclasses

    from lockin_audit.model import ScanResult
    from lockin_audit.report.json_format import (
        PRETTY_MAX_FINDINGS,
        JsonRenderer,
        dumps_options,
    )
    from lockin_audit.scoring import scored

    result = ScanResult.from_dict(json.loads((demo.second / "report.json").read_text("utf-8")))
    many = dataclasses.replace(result, findings=result.findings * (
        PRETTY_MAX_FINDINGS // len(result.findings) + 1))
    for r in (result, many, dataclasses.replace(result, findings=())):
        pieces = list(JsonRenderer().chunks(r))
        assert len(pieces) >= len(r.findings)  # one piece per finding, never one string
        whole = json.dumps(scored(r).to_dict(), **dumps_options(len(r.findings))) + "\n"
        assert "".join(pieces) == whole
    assert (demo.second / "report.json").read_text("utf-8") == JsonRenderer().render(result)


def test_a_scan_result_has_a_short_repr(demo: DemoRuns) -> None:
    # asyncio.run (3.11) builds the repr of the main task's result when it exits: a repr
    # of every finding cost 300 MB at 5,000 domains (bench/README.md)
    from lockin_audit.model import ScanResult

    result = ScanResult.from_dict(json.loads((demo.second / "report.json").read_text("utf-8")))
    assert len(repr(result)) < 200 and f"{len(result.findings)} findings" in repr(result)
