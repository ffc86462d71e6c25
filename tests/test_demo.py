"""The demo: a full scan of the simulated estate through the production code paths."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

from lockin_audit.report.json_format import load_schema

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def demo_out(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, subprocess.CompletedProcess[str]]:
    # A relative output folder, exactly as the README runs it.
    cwd = tmp_path_factory.mktemp("demo")
    out = cwd / "out"
    proc = subprocess.run([sys.executable, "-m", "lockin_audit", "demo", "-o", "out"],
                          capture_output=True, text=True, timeout=600, cwd=cwd,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    return out, proc


def test_demo_writes_every_report(demo_out: tuple[Path, subprocess.CompletedProcess[str]]) -> None:
    out, proc = demo_out
    assert proc.returncode == 0, proc.stdout + proc.stderr
    for name in ("report.html", "report.json", "report.md", "report.sarif", "letter.md",
                 "report.csv", "report.junit.xml"):
        assert (out / name).stat().st_size > 0, name
    assert proc.stdout.strip().splitlines()[-1] == f"Report: {(out / 'report.html').resolve()}"


def test_demo_output_holds_reports_only(
        demo_out: tuple[Path, subprocess.CompletedProcess[str]]) -> None:
    """The demo's AWS credentials file, CA files, zone files and server logs live in a
    temporary folder of their own (issue 27), never in the output folder."""
    out, _ = demo_out
    found = [p.relative_to(out).as_posix() for p in out.rglob("*")]
    assert not [p for p in found if p.startswith(".") or "/" in p], found
    for name in found:
        assert not any(word in name for word in ("credential", "aws-config", ".log", ".pem",
                                                  ".zone", "cache")), name
        assert "aws_secret_access_key" not in (out / name).read_text(errors="replace")


def test_demo_result_is_valid_and_covers_every_area(
        demo_out: tuple[Path, subprocess.CompletedProcess[str]]) -> None:
    out, _ = demo_out
    data = json.loads((out / "report.json").read_text())
    jsonschema.Draft202012Validator(load_schema(),
                                    format_checker=jsonschema.FormatChecker()).validate(data)
    areas_failed = {f["control"].split(".")[0] for f in data["findings"] if f["status"] == "fail"}
    assert {"domain", "aws", "azure", "m365", "contract", "custody", "network",
            "devices"} <= areas_failed
    # the Intune push certificate under the provider's Apple ID, with its expiry date
    apns = [f for f in data["findings"] if f["asset"]["type"] == "intune_apple_push_certificate"]
    assert [f["status"] for f in apns] == ["fail"] and apns[0]["due"]
    assert "mdm@bobsit.example" in apns[0]["detail"]
    assert all(c["assessed"] for c in data["coverage"] if "not configured" not in (c["reason"] or "")), \
        [c for c in data["coverage"] if not c["assessed"]]
    assert data["readiness"]["blockers"] > 0
    assert data["readiness"]["deadlines"]
    statuses = {f["status"] for f in data["findings"]}
    assert {"pass", "fail", "warn", "manual"} <= statuses


def test_hostile_dns_text_is_inert_in_every_output(
        demo_out: tuple[Path, subprocess.CompletedProcess[str]]) -> None:
    out, _ = demo_out
    raw = (out / "report.json").read_text()
    assert "<script>alert(1)</script>" in raw  # carried as data...
    for name in ("report.html", "report.md", "letter.md", "report.junit.xml"):
        assert "<script>alert(1)" not in (out / name).read_text(), name  # ...never as markup
    for line in (out / "report.csv").read_text().splitlines():
        for cell in line.split(","):
            assert not cell.strip('"').startswith("=HYPERLINK"), cell


def test_no_demo_finding_has_garbled_text(
        demo_out: tuple[Path, subprocess.CompletedProcess[str]]) -> None:
    """Every finding the demo produces: no empty name, 'None', '()' or doubled separator
    in its title, detail or remediation (tests/garbled.py says what counts)."""
    from lockin_audit.model import Finding
    from tests.garbled import garbled

    out, _ = demo_out
    data = json.loads((out / "report.json").read_text())
    findings = [Finding.from_dict(f) for f in data["findings"]]
    assert len(findings) > 100
    assert not garbled(findings)
