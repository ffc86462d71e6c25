"""The command line: instant --help without SDKs, checks listing, init, report, exit codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from lockin_audit.config import load_config

ROOT = Path(__file__).resolve().parent.parent


def cli(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None,
        timeout: int = 120) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
    return subprocess.run([sys.executable, "-m", "lockin_audit", *args], capture_output=True,
                          text=True, cwd=cwd, env=full_env, timeout=timeout)


def test_help_does_not_import_heavy_sdks() -> None:
    code = (
        "import sys\n"
        "sys.argv = ['lockin-audit', '--help']\n"
        "from lockin_audit.cli import main\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in "
        "('boto3', 'botocore', 'azure', 'google', 'googleapiclient', 'moto', 'dns', "
        "'httpx', 'jinja2', 'requests'))\n"
        "print('HEAVY', heavy)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=60)
    assert "Usage" in proc.stdout
    assert "HEAVY []" in proc.stdout, proc.stdout


def test_every_subcommand_has_help() -> None:
    for sub in ("scan", "demo", "checks", "init", "report", "doctor"):
        proc = cli(sub, "--help")
        assert proc.returncode == 0, proc.stderr
        assert "Usage" in proc.stdout


def test_checks_json_lists_every_check_with_metadata() -> None:
    proc = cli("checks", "--format", "json")
    assert proc.returncode == 0, proc.stderr
    rows = json.loads(proc.stdout)
    assert rows, "no checks were found"
    for row in rows:
        for key in ("id", "area", "control", "severity", "title", "risk", "remediation"):
            assert row[key], (row["id"], key)
        assert row["control"].startswith(row["area"] + ".")
    assert len({r["id"] for r in rows}) == len(rows)


def test_init_writes_a_valid_file_and_refuses_to_overwrite(tmp_path: Path) -> None:
    target = tmp_path / "audit.yaml"
    assert cli("init", str(target)).returncode == 0
    assert load_config(target).client.name
    again = cli("init", str(target))
    assert again.returncode == 2 and "already exists" in again.stderr


def test_usage_errors_exit_2_without_traceback(tmp_path: Path) -> None:
    for args in (["scan"], ["scan", "-c", str(tmp_path / "missing.yaml")],
                 ["scan", "-c", "x.yaml", "--fail-on", "sometimes"],
                 ["scan", "-c", "x.yaml", "-f", "pdf"], ["report", str(tmp_path / "no.json")]):
        proc = cli(*args, cwd=tmp_path)
        assert proc.returncode == 2, (args, proc.stdout, proc.stderr)
        assert "Traceback" not in proc.stderr


def test_unknown_area_is_a_usage_error(tmp_path: Path) -> None:
    cfg = tmp_path / "audit.yaml"
    cfg.write_text("client: {name: A}\nprovider: {name: B}\n")
    proc = cli("scan", "-c", str(cfg), "--only", "dns", "-o", str(tmp_path / "o"))
    assert proc.returncode == 2 and "unknown area" in proc.stderr


@pytest.mark.parametrize(("fail_on", "code"), [("critical", 1), ("none", 0)])
def test_fail_on_exit_codes_and_report_rerender(tmp_path: Path, fail_on: str, code: int) -> None:
    inventory = tmp_path / "contracts.yaml"
    inventory.write_text(
        "credentials:\n"
        "  - {system: Office firewall, admin_holder: provider, last_tested: 2026-01-10}\n")
    cfg = tmp_path / "audit.yaml"
    cfg.write_text("client: {name: Acme Dental LLC}\nprovider: {name: Bob's IT Services}\n"
                   "scan:\n  inventory: [contracts.yaml]\n")
    out = tmp_path / "out"
    proc = cli("scan", "-c", str(cfg), "-o", str(out), "--only", "custody", "--fail-on",
               fail_on, "-f", "json")
    assert proc.returncode == code, proc.stderr
    data = json.loads((out / "report.json").read_text())
    assert any(f["status"] == "fail" and f["severity"] == "critical" for f in data["findings"])
    rerender = cli("report", str(out / "report.json"), "-f", "md,csv")
    assert rerender.returncode == 0, rerender.stderr
    assert (out / "report.md").exists() and (out / "report.csv").exists()
