"""Renderers: every format read back with a real parser, hostile strings inert everywhere,
the JSON result valid against the shipped schema."""

from __future__ import annotations

import base64
import csv
import dataclasses
import datetime as dt
import hashlib
import io
import json
import re
import xml.etree.ElementTree as ET
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from lockin_audit.model import (
    NOT_CONFIGURED,
    Asset,
    CheckInfo,
    Coverage,
    Evidence,
    Finding,
    Holder,
    ScanResult,
    Severity,
    Status,
    Unidentified,
)
from lockin_audit.report.common import md_escape, steps, templates_dir
from lockin_audit.report.csv_format import COLUMNS
from lockin_audit.report.html import filter_script
from lockin_audit.report.interface import renderer, write_reports
from lockin_audit.report.json_format import load_schema
from lockin_audit.scoring import readiness

SCRIPT = "<script>alert(1)</script>"
FORMULA = '=HYPERLINK("http://evil.example","x")'
HOSTILE = (SCRIPT, FORMULA, "]]>", "a|b|c", "`rm -rf`", "line1\nline2", "[x](javascript:y)",
           "ctl\x00\x1b\x7fend", "+1 @cmd -2", 'txt,=cmd|"/c calc"!A1')
HOSTILE_TEXT = " ".join(HOSTILE)
OBSERVED = "2026-11-23T07:00:00Z"
TODAY = dt.date(2026, 11, 23)


def _ev(source: str, request: str, excerpt: Any) -> Evidence:
    return Evidence(source, request, OBSERVED, excerpt)


CHECKS = (
    CheckInfo("domain.registration.registrant", "domain", "domain.registration",
              "Who holds the domain registration", Severity.CRITICAL,
              "Whoever is the registrant legally controls the domain.",
              ("Ask the provider for the transfer code.", "Transfer the domain to your "
               "own registrar account."),
              ("https://www.icann.org/resources/pages/name-holder-faqs-2017-10-10-en",)),
    CheckInfo("domain.saas.txt", "domain", "domain.saas_verification",
              "Service verification records", Severity.LOW,
              "Verification records tie the domain to accounts.", ("Classify each record.",)),
)


def build_result(*, hostile: bool = True, provider_holds: bool = True) -> ScanResult:
    bad = HOSTILE_TEXT if hostile else "plain"
    txt = _ev("dns", "TXT acmedental.com", {"txt": list(HOSTILE) if hostile else ["ok"]})
    findings = [
        Finding("domain.registration.registrant", "domain.registration",
                Asset("domain", "acmedental.com"),
                Holder.PROVIDER if provider_holds else Holder.CLIENT,
                Status.FAIL if provider_holds else Status.PASS, Severity.CRITICAL,
                "Who holds the domain registration",
                f"The registrant is Bob's IT Services ({bad}).",
                "1. Ask the provider for the transfer code.\n2. Transfer the domain to your "
                "own registrar account.",
                risk="Whoever is the registrant legally controls the domain.",
                evidence=(_ev("rdap", "https://rdap.example/domain/acmedental.com",
                              {"vcard": ["fn", {}, "text", bad]}),),
                due=TODAY + dt.timedelta(days=20)),
        Finding("domain.saas.txt", "domain.saas_verification",
                Asset("domain", "acmedental.com", bad), Holder.UNKNOWN, Status.WARN,
                Severity.LOW, "Service verification records", bad,
                "1. Classify each record.", risk="Verification records tie the domain to "
                "accounts.", evidence=(txt,)),
        Finding("aws.billing.payer", "aws.billing",
                Asset("aws_account", "arn:aws:::account/222233334444", f"tag {bad}"),
                Holder.CLIENT, Status.PASS, Severity.HIGH, "Who pays for the AWS account",
                "Billed to the client's own organisation.", "1. Nothing to do.",
                risk="The payer controls the account.",
                evidence=(_ev("aws", "organizations:DescribeOrganization", {"Id": "o-1"}),)),
        Finding("aws.access.roles", "aws.access",
                Asset("aws_account", "arn:aws:::account/111122223333"), Holder.UNKNOWN,
                Status.ERROR, Severity.HIGH, "Who can administer the AWS account",
                "iam:ListRoles: AccessDenied (needs permission: iam:ListRoles)",
                "1. Grant the audit role iam:ListRoles.",
                evidence=(_ev("aws", "iam:ListRoles", {"error": "AccessDenied"}),)),
        Finding("custody.admin", "custody.admin_credentials",
                Asset("device", "FW-1", f"Firewall {bad}"),
                Holder.PROVIDER if provider_holds else Holder.CLIENT,
                Status.FAIL if provider_holds else Status.PASS, Severity.HIGH,
                "Who holds the firewall's admin credential", "Only the provider has it.",
                "1. Get the credential.\n2. Change it.", due=TODAY + dt.timedelta(days=8),
                evidence=(_ev("inventory", "contracts.yaml#FW-1",
                              {"admin_credential_holder": "provider"}),)),
        Finding("contract.holder", "contract.holder", Asset("contract", "INET-001"),
                Holder.THIRD_PARTY, Status.MANUAL, Severity.MEDIUM,
                "Who holds the internet line contract", "Confirm with Metro Fiber Co.",
                "1. Ask Metro Fiber Co who the account holder is."),
    ]
    coverage = (
        Coverage("domain", "acmedental.com", True),
        Coverage("azure", "azure (not configured)", False,
                 NOT_CONFIGURED),
        Coverage("aws", "profile acme", False, f"AccessDenied {bad}"),
    )
    unidentified = (
        Unidentified("hostname", "ns1.otherit.example", ("NS of acmedental.com",
                                                         "SOA of acmedental.com"),
                     ("domain.dns_hosting", "domain.mail")),
        Unidentified("domain", "vendor.unknown.example", (f"TXT {bad}",), ("domain.saas_verification",)),
    )
    return ScanResult(
        started_at="2026-11-23T06:59:00Z", finished_at="2026-11-23T07:01:00Z",
        client={"name": "Acme Dental LLC", "aliases": ["Acme Dental"],
                "domains": ["acmedental.com"]},
        provider=({"name": f"Bob's IT Services {bad}" if hostile else "Bob's IT Services",
                   "domains": ["bobsit.example"]},),
        readiness=readiness(findings, coverage), findings=tuple(findings),
        coverage=coverage, unidentified=unidentified, checks=CHECKS, tool_version="0.1.0",
        audit_file="audit.yaml")


@pytest.fixture(scope="module")
def result() -> ScanResult:
    return build_result()


@pytest.fixture(scope="module")
def rendered(result: ScanResult) -> dict[str, str]:
    return {name: renderer(name).render(result)
            for name in ("json", "html", "md", "csv", "sarif", "junit", "letter")}


# ------------------------------------------------------------------ JSON and its schema


def _validator() -> jsonschema.Draft202012Validator:
    schema = load_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())


def test_json_result_is_valid_against_the_schema(rendered: dict[str, str]) -> None:
    data = json.loads(rendered["json"])
    _validator().validate(data)
    assert {f["status"] for f in data["findings"]} == {"fail", "warn", "pass", "error",
                                                       "manual"}
    empty = ScanResult("2026-11-23T07:00:00Z", "2026-11-23T07:00:01Z", {"name": "X"}, (),
                       readiness([], []), (), (), ())
    _validator().validate(json.loads(renderer("json").render(empty)))


@pytest.mark.parametrize("path, bad", [
    (("findings", 0, "status"), "failed"),
    (("findings", 0, "holder"), "msp"),
    (("findings", 0, "severity"), "urgent"),
    (("findings", 0, "due"), "next week"),
    (("findings", 0, "id"), "not-a-hash"),
    (("findings", 0, "control"), "registration"),
    (("readiness", "grade"), "E"),
    (("readiness", "score"), 101),
    (("unidentified", 0, "kind"), "telex"),  # not a kind the schema lists
    (("coverage", 2, "reason"), None),  # not assessed needs a reason
    (("schema_version",), "2"),
    (("started_at",), "yesterday"),
])
def test_schema_rejects_wrong_values(rendered: dict[str, str], path: tuple[Any, ...],
                                     bad: Any) -> None:
    data = json.loads(rendered["json"])
    node = data
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = bad
    with pytest.raises(jsonschema.ValidationError):
        _validator().validate(data)


@pytest.mark.parametrize("path", [
    ("findings", 0, "evidence"), ("findings", 0, "asset"), ("findings", 0, "check_id"),
    ("findings", 0, "evidence", 0, "observed_at"), ("readiness",), ("coverage",),
    ("unidentified", 0, "seen_in"), ("tool",), ("checks", 0, "remediation"),
])
def test_schema_requires_every_key(rendered: dict[str, str], path: tuple[Any, ...]) -> None:
    data = json.loads(rendered["json"])
    node = data
    for key in path[:-1]:
        node = node[key]
    del node[path[-1]]
    with pytest.raises(jsonschema.ValidationError):
        _validator().validate(data)
    extra = json.loads(rendered["json"])
    extra["findings"][0]["surprise"] = 1
    with pytest.raises(jsonschema.ValidationError):
        _validator().validate(extra)


def test_saved_result_renders_the_same(result: ScanResult, rendered: dict[str, str]) -> None:
    """`lockin-audit report RESULT.json` re-renders from the JSON alone."""
    again = ScanResult.from_dict(json.loads(rendered["json"]))
    for name in ("html", "md", "csv", "sarif", "junit", "letter"):
        assert renderer(name).render(again) == rendered[name], name


# ------------------------------------------------------------------ HTML


_VOID = {"col", "meta", "br", "hr", "img", "input", "link", "wbr"}


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: Counter[str] = Counter()
        self.attrs: list[tuple[str, str, str | None]] = []
        self.text: list[str] = []
        self.style = ""
        self.ids: list[str] = []
        self.classes: Counter[str] = Counter()
        self._in_style = False
        self.stack: list[str] = []
        self.unbalanced: list[str] = []

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        self.handle_endtag(tag)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in _VOID:
            self.stack.append(tag)
        self.tags[tag] += 1
        self._in_style = tag == "style"
        for k, v in attrs:
            self.attrs.append((tag, k, v))
            if k == "id" and v:
                self.ids.append(v)
            if k == "class" and v:
                self.classes.update(v.split())

    def handle_endtag(self, tag: str) -> None:
        self._in_style = False
        if tag in _VOID:
            return
        if not self.stack or self.stack[-1] != tag:
            self.unbalanced.append(f"</{tag}> closes {self.stack[-3:]}")
        else:
            self.stack.pop()

    def handle_data(self, data: str) -> None:
        if self._in_style:
            self.style += data
        else:
            self.text.append(data)


def _page(html: str) -> _Page:
    p = _Page()
    p.feed(html)
    p.close()
    return p


def test_html_is_self_contained_and_inert(rendered: dict[str, str]) -> None:
    html = rendered["html"]
    page = _page(html)
    assert not page.unbalanced and not page.stack, (page.unbalanced, page.stack)
    # one inline script (the filters), allowed by its hash and by nothing else
    assert page.tags["script"] == 1 and page.tags["iframe"] == 0 and page.tags["link"] == 0
    assert not [a for a in page.attrs if a[0] == "script"]
    script, source = filter_script()
    assert f"<script>{script}</script>" in html
    digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
    assert source == f"sha256-{digest}"
    csp = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', html)
    assert csp and f"script-src '{source}'" in csp.group(1) and "default-src 'none'" in csp.group(1)
    assert "unsafe-inline'; img" not in csp.group(1).split("script-src")[1]
    assert page.tags["img"] == 0 and page.tags["object"] == 0
    assert not [a for a in page.attrs if a[1].startswith("on")]
    # nothing is loaded from elsewhere; the only outward links are references (https)
    assert not [a for a in page.attrs if a[1] == "src" and a[2]]
    assert not [a for a in page.attrs if a[1] == "href" and a[2]
                and not (a[2].startswith("#") or (a[0] == "a" and a[2].startswith("https://")))]
    assert "@import" not in page.style and "url(" not in page.style
    assert "http://" not in page.style and "https://" not in page.style
    text = "".join(page.text)
    # the hostile strings are there, as text
    assert SCRIPT in text and FORMULA in text and "]]>" in text and "[x](javascript:y)" in text
    assert "<script>alert" not in html


def test_html_content_for_the_owner(result: ScanResult, rendered: dict[str, str]) -> None:
    page = _page(rendered["html"])
    text = " ".join(" ".join(page.text).split())
    # the AWS profile could not be read: incomplete, so a lower bound and no grade
    assert result.readiness is not None and result.readiness.grade is None
    assert f"{result.readiness.score} / 100" in text and "Grade" not in text
    summary = text[text.index("Owner's summary"):]
    assert summary.startswith(f"Owner's summary Incomplete score at least "
                              f"{result.readiness.score} / 100, no grade")
    assert "Incomplete: not everything configured could be read" in summary
    assert "profile acme: AccessDenied" in summary
    assert "How the score was computed" in text and "Base score" in text
    for section in ("summary", "deadlines", "findings", "coverage", "unidentified",
                    "metadata"):
        assert section in page.ids
    # one card per finding, each with its anchor
    assert page.classes["finding"] == len(result.findings)
    for f in result.findings:
        assert f"f-{f.id}" in page.ids
    # the owner's summary first, then the findings in detail, by asset then by family
    assert text.index("Owner's summary") < text.index("What you hold, and what your provider holds") \
        < text.index("The plan: what to do, in this order") < text.index("Findings in detail")
    detail = text[text.index("Findings in detail"):text.index("What was checked, and what")]
    domain = detail[detail.index("acmedental.com (Domains)"):]
    assert domain.index("Registration") < domain.index("Who holds the domain registration") \
        < domain.index("DNS") < domain.index("Service verification records")
    # deadlines soonest first, with days left
    deadlines = text[text.index("Deadlines Due"):text.index("Blockers, by asset")]
    assert deadlines.index("1 December 2026") < deadlines.index("13 December 2026")
    assert "1 December 2026 8 high" in deadlines
    # holders named as a person would
    assert "Held by Your provider, Bob's IT Services" in detail
    # blockers: the critical fail first
    blockers = text[text.index("Blockers, by asset"):text.index("What could not be checked")]
    assert blockers.index("acmedental.com 1 Who holds the domain registration") \
        < blockers.index("Firewall " + SCRIPT) < blockers.index(
            "1 Who holds the firewall's admin credential")
    # why it matters, numbered steps, evidence with source, request, time and excerpt
    assert "Why it matters: Whoever is the registrant legally controls the domain." in text
    assert page.tags["ol"] >= 1 and "Transfer the domain to your own registrar account." in text
    assert "https://rdap.example/domain/acmedental.com" in text
    assert "23 November 2026, 07:00:00 UTC" in text  # OBSERVED, as people read it
    assert '"admin_credential_holder": "provider"' in text
    # coverage: scanned, skipped with reason, failed with reason; errors listed
    assert "Could not be assessed" in text and "AccessDenied" in text
    assert "Skipped not configured in the audit file" in text and "Scanned" in text
    assert "Checks that could not run" in text and "needs permission: iam:ListRoles" in text
    # unidentified, ranked as given
    assert text.index("ns1.otherit.example") < text.index("vendor.unknown.example")
    assert "lockin-audit 0.1.0" in text and "audit.yaml" in text
    assert "Client Acme Dental LLC Also known as: Acme Dental; Domains: acmedental.com" in text
    assert "Provider Bob's IT Services" in text and "Domains: bobsit.example" in text
    assert "Checks run (2)" in text and "domain.saas.txt" in text


# ------------------------------------------------------------------ Markdown


def test_markdown_escapes_untrusted_text(rendered: dict[str, str]) -> None:
    md = re.sub(r"<https://[^\s<>]+>", "", rendered["md"])  # our references: autolinks
    assert not re.search(r"(?<!\\)[<>]", md)
    assert not re.search(r"&(gt|lt|amp|#)", md)
    assert "\\<script\\>alert(1)\\</script\\>" in md
    assert "`" not in md.replace("\\`", "")
    assert "](" not in md.replace("\\](", "").replace("\\]\\(", "")
    assert "\x00" not in md and "\x1b" not in md
    # every table row keeps its column count: untrusted pipes are escaped
    for block in re.findall(r"(?:^\|.*\|\n)+", md, flags=re.M):
        rows = block.splitlines()
        widths = {len(re.findall(r"(?<!\\)\|", row)) for row in rows}
        assert len(widths) == 1, rows


def test_markdown_content(result: ScanResult, rendered: dict[str, str]) -> None:
    md = rendered["md"]
    assert result.readiness is not None and result.readiness.grade is None
    assert (f"**Readiness score: at least {result.readiness.score} / 100, incomplete "
            "(no grade).**") in md
    summary = md[md.index("## Owner's summary"):]
    assert summary.split("\n", 2)[2].startswith("**Incomplete: not everything configured")
    assert md.index("| 1 December 2026 | 8 |") < md.index("| 13 December 2026 | 20 |")
    assert "1. Ask the provider for the transfer code." in md
    assert "2. Transfer the domain to your own registrar account." in md
    assert "*Why it matters:* Whoever is the registrant legally controls the domain." in md
    assert "Source rdap, request https://rdap.example/domain/acmedental.com" in md
    assert ("| Microsoft Azure | azure (not configured) | Skipped | not configured "
            "in the audit file |") in md
    assert md.index("ns1.otherit.example") < md.index("vendor.unknown.example")
    assert "| Client | Acme Dental LLC | Also known as: Acme Dental; Domains: acmedental.com |" in md
    assert "| domain.saas.txt | domain.saas\\_verification | low | Service verification records |" in md
    lines = md.splitlines()
    assert "References: <https://www.icann.org/" in md  # an autolink, the URL unescaped
    # a rule never turns the line above it into a heading
    assert all(lines[i - 1] == "" for i, line in enumerate(lines) if line == "---")
    # the owner's summary: map with words and symbols, plan in order, blockers per asset
    assert "| acmedental.com | ✗ Provider | ? Unknown | · |" in md
    assert "1. **By 24 November 2026: Regain admin access and credentials**" in md
    assert "| Firewall " in md and "Who holds the firewall's admin credential |" in md
    assert md.index("### acmedental.com (Domains)") < md.index("#### Registration") \
        < md.index("##### Who holds the domain registration")
    assert "- Held by: Your provider, Bob's IT Services" in md
    for heading in ("## Owner's summary", "## Deadlines", "## Findings in detail",
                    "### What you hold, and what your provider holds",
                    "### The plan: what to do, in this order", "### Blockers, by asset",
                    "## What was checked, and what could not be", "## Identifiers to classify",
                    "## About this scan"):
        assert heading + "\n" in md


@pytest.mark.parametrize("raw, expected", [
    ("a|b", "a\\|b"), ("<b>", "\\<b\\>"), ("# h", "\\# h"), ("- x", "\\- x"),
    ("1. x", "1\\. x"), ("a\n\nb", "a b"), ("`c`", "\\`c\\`"), ("[t](u)", "\\[t\\](u)"),
    ("![i](x)", "!\\[i\\](x)"), ("a #b", "a #b"), ("#b", "\\#b"),
    ("x & y", "x \\& y"), ("&gt;", "\\&gt;"), (None, ""), (3, "3"),
])
def test_md_escape(raw: Any, expected: str) -> None:
    assert md_escape(raw) == expected


# ------------------------------------------------------------------ CSV


def test_csv_rows_and_formula_injection(result: ScanResult, rendered: dict[str, str]) -> None:
    rows = list(csv.reader(io.StringIO(rendered["csv"], newline="")))
    assert tuple(rows[0]) == COLUMNS
    assert len(rows) == 1 + len(result.findings)
    for row in rows:
        assert len(row) == len(COLUMNS)
        for cell in row:
            for line in cell.split("\n"):
                assert not line.startswith(("=", "+", "-", "@", "\t", "\r")), cell
    by_id = {r[0]: dict(zip(COLUMNS, r, strict=True)) for r in rows[1:]}
    warn = next(f for f in result.findings if f.status is Status.WARN)
    # text that does not start a cell or a line is kept as it is
    detail = by_id[warn.id]["detail"]
    assert detail.startswith(SCRIPT) and FORMULA in detail and "\nline2" in detail
    assert "'+1 @cmd" not in detail and "\x00" not in detail
    fail = next(f for f in result.findings if f.check_id == "domain.registration.registrant")
    frow = by_id[fail.id]
    assert frow["status"] == "fail" and frow["holder"] == "provider"
    assert frow["due"] == "2026-12-13" and frow["asset_id"] == "acmedental.com"
    assert frow["remediation"].splitlines() == ["1. Ask the provider for the transfer code.",
                                               "2. Transfer the domain to your own "
                                               "registrar account."]
    # a cell that starts with a formula is quoted, and so is a formula after a newline
    f = dataclasses.replace(warn, detail=FORMULA + "\n" + FORMULA)
    one = ScanResult(result.started_at, result.finished_at, result.client, result.provider,
                     result.readiness, (f,), (), ())
    only = list(csv.reader(io.StringIO(renderer("csv").render(one), newline="")))[1]
    assert dict(zip(COLUMNS, only, strict=True))["detail"] == "'" + FORMULA + "\n'" + FORMULA


# ------------------------------------------------------------------ SARIF

# The parts of the SARIF 2.1.0 schema (OASIS) that this renderer uses: required members,
# enums and no unknown members, so a typo or a wrong level fails here.
_TEXT = {"type": "object", "required": ["text"], "additionalProperties": False,
         "properties": {"text": {"type": "string"}, "markdown": {"type": "string"}}}
_SARIF_SUBSET: dict[str, Any] = {
    "type": "object", "required": ["version", "runs"], "additionalProperties": False,
    "properties": {
        "$schema": {"type": "string"}, "version": {"const": "2.1.0"},
        "runs": {"type": "array", "minItems": 1, "items": {
            "type": "object", "required": ["tool"], "additionalProperties": False,
            "properties": {
                "tool": {"type": "object", "required": ["driver"], "properties": {"driver": {
                    "type": "object", "required": ["name"], "additionalProperties": False,
                    "properties": {
                        "name": {"type": "string"}, "version": {"type": "string"},
                        "semanticVersion": {"type": "string"},
                        "informationUri": {"type": "string"},
                        "rules": {"type": "array", "items": {
                            "type": "object", "required": ["id"], "additionalProperties": False,
                            "properties": {
                                "id": {"type": "string"}, "name": {"type": "string"},
                                "shortDescription": _TEXT, "fullDescription": _TEXT,
                                "help": _TEXT, "helpUri": {"type": "string"},
                                "defaultConfiguration": {"type": "object", "properties": {
                                    "level": {"enum": ["none", "note", "warning", "error"]}}},
                                "properties": {"type": "object"}}}}}}}},
                "automationDetails": {"type": "object"},
                "invocations": {"type": "array", "items": {
                    "type": "object", "required": ["executionSuccessful"],
                    "properties": {"toolExecutionNotifications": {"type": "array", "items": {
                        "type": "object", "required": ["message"],
                        "properties": {"message": _TEXT,
                                       "level": {"enum": ["none", "note", "warning",
                                                          "error"]}}}}}}},
                "results": {"type": "array", "items": {
                    "type": "object", "required": ["message"], "additionalProperties": False,
                    "properties": {
                        "ruleId": {"type": "string"},
                        "ruleIndex": {"type": "integer", "minimum": 0},
                        "kind": {"enum": ["notApplicable", "pass", "fail", "review", "open",
                                          "informational"]},
                        "level": {"enum": ["none", "note", "warning", "error"]},
                        "message": _TEXT,
                        "locations": {"type": "array", "items": {
                            "type": "object", "additionalProperties": False, "properties": {
                                "physicalLocation": {
                                    "type": "object", "additionalProperties": False,
                                    "properties": {
                                        "artifactLocation": {
                                            "type": "object", "required": ["uri"],
                                            "properties": {"uri": {"type": "string"}}},
                                        "region": {"type": "object", "properties": {
                                            "startLine": {"type": "integer",
                                                          "minimum": 1}}}}},
                                "logicalLocations": {"type": "array", "items": {
                                    "type": "object", "additionalProperties": False,
                                    "properties": {
                                        "name": {"type": "string"},
                                        "fullyQualifiedName": {"type": "string"},
                                        "kind": {"type": "string"}}}}}}},
                        "partialFingerprints": {"type": "object", "additionalProperties": {
                            "type": "string"}},
                        "properties": {"type": "object"}},
                    # SARIF: a result whose kind is not "fail" has level "none"
                    "if": {"properties": {"kind": {"not": {"const": "fail"}}},
                           "required": ["kind"]},
                    "then": {"properties": {"level": {"const": "none"}}}}}}}},
    },
}


def test_sarif_structure_rules_and_levels(result: ScanResult, rendered: dict[str, str]) -> None:
    doc = json.loads(rendered["sarif"])
    jsonschema.Draft202012Validator(_SARIF_SUBSET).validate(doc)
    run = doc["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    ids = [r["id"] for r in rules]
    # a rule per check, plus one per other kind of result it has (to confirm, ...)
    assert len(ids) == len(set(ids))
    assert ({c.id for c in result.checks}
            | {f.check_id for f in result.findings if f.status is not Status.PASS}
            == {i.split("/")[0] for i in ids})
    for r in rules:
        assert r["help"]["text"].startswith("Why it matters:") and "1. " in r["help"]["text"]
        assert r["help"]["markdown"].startswith("**Why it matters:**")
        if "/" in r["id"] and not r["id"].split("/", 1)[1].startswith(("risk", "critical",
                                                                           "high", "medium",
                                                                           "low")):
            assert "security-severity" not in r["properties"]
        else:
            assert float(r["properties"].get("security-severity", "0")) >= 0
    reg = rules[ids.index("domain.registration.registrant")]
    assert reg["properties"]["security-severity"] == "9.5"
    assert "2. Transfer the domain to your own registrar account." in reg["help"]["text"]
    results = run["results"]
    assert len(results) == sum(f.status is not Status.PASS for f in result.findings)
    by_fp = {r["partialFingerprints"]["lockinFindingId/v1"]: r for r in results}
    for f in result.findings:
        if f.status is Status.PASS:
            assert f.id not in by_fp
            continue
        r = by_fp[f.id]
        assert rules[r["ruleIndex"]]["id"] == r["ruleId"]
        assert r["ruleId"].split("/")[0] == f.check_id
        logical = r["locations"][0]["logicalLocations"][0]
        assert logical["fullyQualifiedName"] == f"{f.asset.type}:{f.asset.id}"
        assert r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "audit.yaml"
        expected = {
            Status.FAIL: ("error" if f.severity.at_least(Severity.HIGH) else "warning", "fail"),
            Status.WARN: ("note", "fail"),  # low-severity warning in this result
            Status.MANUAL: ("none", "review"), Status.ERROR: ("none", "open"),
        }[f.status]
        assert (r["level"], r["kind"]) == expected
    notes = run["invocations"][0]["toolExecutionNotifications"]
    assert any("AccessDenied" in n["message"]["text"] for n in notes)
    assert not any("not configured" in n["message"]["text"] for n in notes)


# ------------------------------------------------------------------ JUnit


def test_junit_cases_and_escaping(result: ScanResult, rendered: dict[str, str]) -> None:
    root = ET.fromstring(rendered["junit"].encode("utf-8"))
    assert root.tag == "testsuites"
    cases = root.findall("./testsuite/testcase")
    gaps = [c for c in result.coverage if not c.assessed]
    assert len(cases) == len(result.findings) + len(gaps)
    assert int(root.get("tests", "0")) == len(cases)
    assert int(root.get("failures", "0")) == len(root.findall(".//failure")) == 2
    assert int(root.get("errors", "0")) == len(root.findall(".//error")) == 1
    assert "skipped" not in root.attrib  # not an attribute of testsuites (xunit schema)
    assert sum(int(s.get("skipped", "0")) for s in root.findall("testsuite")) == len(
        root.findall(".//skipped")) == 1 + len(gaps) + sum(
            f.status is Status.WARN for f in result.findings)  # risks to review: not green
    for suite in root.findall("testsuite"):
        assert int(suite.get("tests", "0")) == len(suite.findall("testcase"))
    fail = next(c for c in cases if c.get("classname") == "domain.registration.registrant"
                and c.get("name") == "acmedental.com")
    failure = fail.find("failure")
    assert failure is not None and failure.get("type") == "critical"
    assert SCRIPT in (failure.text or "") and "]]>" in (failure.text or "")
    assert "1. Ask the provider for the transfer code." in (failure.text or "")
    assert "\x00" not in rendered["junit"] and "\x1b" not in rendered["junit"]
    assert "<script>" not in rendered["junit"]
    skipped = [c.find("skipped") for c in cases if c.find("skipped") is not None]
    assert any("AccessDenied" in (s.get("message") or "") for s in skipped if s is not None)


# ------------------------------------------------------------------ letter


def test_letter_asks_the_provider_for_each_held_item(result: ScanResult,
                                                     rendered: dict[str, str]) -> None:
    letter = rendered["letter"]
    r = renderer("letter")
    assert r.wanted(result)
    assert "Dear Bob's IT Services" in letter
    held = [f for f in result.findings if f.holder is Holder.PROVIDER]
    # every provider-held finding reaches the letter, by its reference
    for f in held:
        assert f.id[:8] in letter, f.title
    # grouped by system, one table each: item, what we ask, by when
    assert letter.index("## Domains") < letter.index("## Credentials and backups")
    assert "| # | Item | What we ask | By |" in letter
    assert "## Checklist: every item" in letter  # one line per item, with its reference
    requests, checklist = letter.split("## Checklist: every item")
    rows = re.findall(r"^\| (\d+) \|", requests, flags=re.M)
    assert rows == [str(n) for n in range(1, len(held) + 1)]
    # the checklist: a line per held finding, naming it, with its reference
    lines = re.findall(r"^- \*\*(\d+)\*\*: (.+)$", checklist, flags=re.M)
    refs = [r for _, items in lines for r in re.findall(r"\b[0-9a-f]{8}\b", items)]
    assert sorted(refs) == sorted(f.id[:8] for f in held)
    # the full ask once per kind, under its group
    assert letter.count("**Transfer the registration:** make us the registrant, unlock the "
                        "domain and give us its transfer (EPP) code.") == 1
    assert "**Hand over the admin login:** securely" in letter
    # dates from the plan: the firewall's admin login first, a week before its own due
    # date; the domain, due in 20 days, a week before that
    assert "| acmedental.com | Transfer the registration | 6 December 2026 \\* |\n" in letter
    assert "1. By 24 November 2026: Regain admin access and credentials (item 2)" in letter
    assert "2. By 6 December 2026: Transfer the domain registrations (item 1)" in letter
    assert "by 7 December 2026**" in letter
    assert "[Name], [Title]" in letter and "Yours sincerely" in letter
    assert "admin_credential_holder" not in letter
    # Markdown escaping, not HTML entities
    assert not re.search(r"&(gt|lt|amp|#)", letter)
    assert not re.search(r"(?<!\\)<", letter)
    # nothing held by the provider: no letter
    clean = build_result(provider_holds=False)
    assert not r.wanted(clean) and not renderer("letter_html").wanted(clean)


def _many_domains(count: int) -> ScanResult:
    """A scan of `count` domains the provider runs: each one's DNS and its mail records
    (two findings, told apart by their keys), the last domain's name hostile."""
    findings = []
    for n in range(count):
        name = f"client{n:05d}.example" if n < count - 1 else f'=cmd|"/c calc"!A{n}.example'
        findings.append(Finding(
            "domain.dns.nameservers", "domain.dns_hosting", Asset("domain", name),
            Holder.PROVIDER, Status.FAIL, Severity.HIGH, "Who runs the domain's DNS",
            "The domain's DNS: held by your IT provider.", "1. Move the DNS."))
        for key in ("mx", "spf"):
            findings.append(Finding(
                "domain.dns.mail", "domain.mail", Asset("domain", name), Holder.PROVIDER,
                Status.FAIL, Severity.HIGH, "Who routes the domain's mail",
                f"Mail ({key}): held by your IT provider.", "1. Move the mail records.",
                key=key))
    return ScanResult(
        started_at="2026-11-23T06:59:00Z", finished_at="2026-11-23T07:01:00Z",
        client={"name": "Client Co", "domains": ["client.example"]},
        provider=({"name": "Provider Inc", "domains": ["provider.test"]},),
        readiness=readiness(findings, ()), findings=tuple(findings), coverage=(),
        unidentified=(), checks=(), tool_version="0.1.0", audit_file="audit.yaml")


def test_letter_of_a_large_scan_names_a_bounded_part_and_lists_every_item_in_a_csv(
        tmp_path: Path) -> None:
    """A scan of 1,500 domains: the letter stays a few pages (a row names 10 domains and
    counts the rest; the checklist names 60 items per request and counts the rest) and
    letter-checklist.csv, written beside it, lists every item with its reference. The
    letter's memory grows with the items, not with items x domains (3c4f1c7 kept the
    request's whole list of domains once per checklist line: 3.1 GB at 5,000 domains)."""
    import tracemalloc

    from lockin_audit.report.letter import LINES_NAMED, THINGS_NAMED

    count = 1500
    result = _many_domains(count)
    tracemalloc.start()
    try:
        letter = renderer("letter").render(result)
        html = renderer("letter_html").render(result)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 40 * 2**20, f"{peak / 2**20:.0f} MB traced"
    assert len(letter.encode()) < 16_000 and len(html.encode()) < 60_000
    rows = re.findall(r"^\| (\d+) \| (.+?) \|", letter, flags=re.M)
    assert [n for n, _ in rows] == ["1", "2"]
    for _, item in rows:
        assert item.count(".example") == THINGS_NAMED
        assert item.endswith(f" and {count - THINGS_NAMED:,} more")
    checklist = letter.split("## Checklist: every item in letter-checklist.csv", 1)[1]
    lines = re.findall(r"^- \*\*(\d+)\*\*: (.+)$", checklist, flags=re.M)
    assert [n for n, _ in lines] == ["1", "2"]
    for (_, items), total in zip(lines, (count, 2 * count), strict=True):
        assert len(re.findall(r"\b[0-9a-f]{8}\b", items)) == LINES_NAMED
        assert items.endswith(f"; and {total - LINES_NAMED:,} more items (in "
                              "letter-checklist.csv)")
    assert "client00000.example: mx (" in checklist
    assert "letter-checklist.csv, sent with this letter, lists every item" in letter
    page = _page(html)
    assert not page.unbalanced and not page.stack
    assert page.classes["more"] == 2 and html.count('class="tick"') == 2 * LINES_NAMED
    # the CSV: every item, once, with its request and reference; formulas neutralised
    assert renderer("letter_checklist").wanted(result)
    written = {p.name for p in write_reports(result, tmp_path, ["json"])}
    assert {"letter.md", "letter.html", "letter-checklist.csv"} <= written
    with (tmp_path / "letter-checklist.csv").open(encoding="utf-8-sig", newline="") as fh:
        table = list(csv.DictReader(fh))
    assert sorted(r["finding_id"] for r in table) == sorted(f.id for f in result.findings)
    assert all(r["reference"] == r["finding_id"][:8] for r in table)
    assert Counter(r["request"] for r in table) == {"1": count, "2": 2 * count}
    assert {"client00000.example", "client00000.example: mx"} <= {r["item"] for r in table}
    hostile = [r for r in table if "cmd" in r["item"]]
    assert len(hostile) == 3 and all(r["item"].startswith("'=") for r in hostile)
    # a letter that names every item has no CSV beside it
    small = build_result()
    assert not renderer("letter_checklist").wanted(small)
    assert "letter-checklist.csv" not in {p.name for p in write_reports(small, tmp_path / "s",
                                                                          ["json"])}


def test_the_letters_renderers_share_one_letter_per_result() -> None:
    """letter.md, letter.html and letter-checklist.csv render one Letter per result
    object, which is dropped with its result."""
    import gc

    from lockin_audit.report import letter as letter_module

    one = build_result()
    first = letter_module.letter_of(one)
    assert letter_module.letter_of(one) is first
    assert letter_module.letter_of(build_result()) is not first
    key = id(one)
    del one, first
    gc.collect()
    assert key not in letter_module._LETTERS


def test_letter_html_is_printable_and_escaped(result: ScanResult) -> None:
    html = renderer("letter_html").render(result)
    page = _page(html)
    assert not page.unbalanced and not page.stack
    assert page.tags["script"] == 0 and page.tags["link"] == 0 and page.tags["img"] == 0
    text = " ".join(" ".join(page.text).split())
    assert SCRIPT in text and "<script>alert" not in html  # the hostile name, as text
    assert "\\(" not in text and "**" not in text  # no Markdown in HTML
    assert "Yours sincerely" in text and "Received and acknowledged" in text
    assert page.classes["signoff"] == 1 and page.classes["line"] == 2
    for f in result.findings:
        if f.holder is Holder.PROVIDER:
            assert f.id[:8] in text


def test_letter_keeps_accepted_items_and_says_so(result: ScanResult) -> None:
    from lockin_audit.model import Acceptance

    accepted = dataclasses.replace(
        result.findings[4], accepted=Acceptance("until the move", "owner",
                                                dt.date(2027, 3, 1)))
    r = dataclasses.replace(result, findings=(*result.findings[:4], accepted,
                                              *result.findings[5:]))
    letter = renderer("letter").render(r)
    assert accepted.id[:8] in letter
    assert "Keep running for now (accepted until 1 March 2027)" in letter


# ------------------------------------------------------------------ all formats


def test_empty_and_interrupted_results_render() -> None:
    empty = ScanResult("2026-11-23T07:00:00Z", "2026-11-23T07:00:01Z", {"name": "Acme"}, (),
                       readiness([], []), (), (), (), interrupted=True)
    out = {name: renderer(name).render(empty)
           for name in ("html", "md", "csv", "sarif", "junit", "letter")}
    assert "This scan was interrupted" in out["html"] and "interrupted" in out["md"]
    assert "No findings." in out["html"] and "No dated deadlines" in out["md"]
    assert ET.fromstring(out["junit"]).get("tests") == "0"
    sarif = json.loads(out["sarif"])
    assert sarif["runs"][0]["results"] == []
    assert sarif["runs"][0]["invocations"][0]["executionSuccessful"] is False
    assert len(list(csv.reader(io.StringIO(out["csv"])))) == 1
    assert not renderer("letter").wanted(empty)



def test_hostile_strings_inert_in_every_format(rendered: dict[str, str]) -> None:
    for name in ("html", "md", "letter", "junit"):
        assert "<script>alert(1)" not in rendered[name], name
        assert "\x00" not in rendered[name], name
    ET.fromstring(rendered["junit"].encode())  # ]]> and control characters did not break it
    json.loads(rendered["sarif"])
    for row in csv.reader(io.StringIO(rendered["csv"], newline="")):
        assert not any(c.startswith("=") for c in row)
    # even for a consumer that splits lines on commas and ignores the quoting
    for line in rendered["csv"].splitlines():
        for piece in line.split(","):
            assert not piece.strip('"').startswith(("=", "+", "@")), piece


def test_write_reports_writes_every_format(tmp_path: Path, result: ScanResult) -> None:
    formats = ["html", "json", "md", "sarif", "csv", "junit"]
    written = {p.name for p in write_reports(result, tmp_path, formats)}
    assert {"report.html", "report.json", "report.md", "report.sarif", "report.csv",
            "report.junit.xml", "letter.md", "letter.html"} <= written
    _validator().validate(json.loads((tmp_path / "report.json").read_text("utf-8")))


def test_templates_are_found() -> None:
    names = {p.name for p in templates_dir().iterdir()}
    assert {"report.html.j2", "report.md.j2", "letter.md.j2", "letter.html.j2",
            "report_filter.js"} <= names


def test_steps_parsing() -> None:
    assert steps("1. One\n2. Two\n   continued\n") == ["One", "Two continued"]
    assert steps("just text") == ["just text"]
    assert steps(("a", "", "b")) == ["a", "b"]


def test_large_json_results_are_written_compactly_small_ones_indented(
        result: ScanResult) -> None:
    from lockin_audit.report.json_format import PRETTY_MAX_FINDINGS

    small = renderer("json").render(result)
    assert "\n  " in small  # the demo-sized report stays readable
    many = tuple(dataclasses.replace(f, key=f"k{n}") for n in range(
        PRETTY_MAX_FINDINGS // len(result.findings) + 1) for f in result.findings)
    big = renderer("json").render(dataclasses.replace(result, findings=many))
    assert big.count("\n") == 1 and json.loads(big)["findings"][0]["id"]
    assert len({f["id"] for f in json.loads(big)["findings"]}) == len(many)
    _validator().validate(json.loads(big))
