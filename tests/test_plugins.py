"""Third-party checks arrive through the `lockin_audit.checks` entry-point group."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PLUGIN = Path(__file__).resolve().parent / "plugin_example"


def test_installed_plugin_check_is_listed_and_runs(tmp_path: Path) -> None:
    target = tmp_path / "site"
    install = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
         "--target", str(target), str(PLUGIN)],
        capture_output=True, text=True, timeout=300)
    assert install.returncode == 0, install.stderr
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(target)])}
    listed = subprocess.run([sys.executable, "-m", "lockin_audit", "checks", "--format", "json"],
                            capture_output=True, text=True, env=env, timeout=120)
    assert listed.returncode == 0, listed.stderr
    rows = {r["id"]: r for r in json.loads(listed.stdout)}
    plugin = rows["example.contract.provider-is-msp"]
    assert plugin["origin"] == "lockin-audit-example-plugin"
    assert plugin["control"] == "contract.holder"

    inventory = tmp_path / "contracts.yaml"
    inventory.write_text(
        "contracts:\n"
        "  - {id: MSP-1, category: msp_agreement, provider: \"Bob's IT Services, LLC\",\n"
        "     account_holder: Acme Dental LLC, term_start: 2025-01-01, term_months: 36}\n")
    cfg = tmp_path / "audit.yaml"
    cfg.write_text("client: {name: Acme Dental LLC}\nprovider: {name: Bob's IT Services}\n"
                   "scan: {inventory: [contracts.yaml]}\n")
    scan = subprocess.run(
        [sys.executable, "-m", "lockin_audit", "scan", "-c", str(cfg), "-o", str(tmp_path / "o"),
         "--check", "example.contract.provider-is-msp", "-f", "json", "--fail-on", "none"],
        capture_output=True, text=True, env=env, timeout=120)
    assert scan.returncode == 0, scan.stderr
    findings = json.loads((tmp_path / "o" / "report.json").read_text())["findings"]
    assert [(f["check_id"], f["asset"]["id"], f["status"]) for f in findings] == [
        ("example.contract.provider-is-msp", "MSP-1", "fail")]
