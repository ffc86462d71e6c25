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
