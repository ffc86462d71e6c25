"""Remote access the provider keeps (issue 26): the stdlib-only endpoint collector on fixture
trees per OS (tests/fixtures/endpoints: a regedit export, launch daemon plists and an app
bundle, systemd units, a dpkg status file and RustDesk's configuration, written from the
vendors' documented names and paths), on this machine itself, and as a single file with no
site-packages; then the devices.remote_access check from fact snapshots and through a scan.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from lockin_audit.check import Check, CheckContext
from lockin_audit.endpoint.collect import TOOLS, collect
from lockin_audit.facts import FetchError
from lockin_audit.identity import Identity
from lockin_audit.model import Asset, Finding, Holder, Severity, Status
from lockin_audit.sources.endpoints import EndpointAgent, EndpointFacts, Machine, parse_machine
from lockin_audit.sources.interface import Target

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).parent / "fixtures" / "endpoints"
COLLECTOR = ROOT / "lockin_audit" / "endpoint" / "collect.py"
CLIENT = {"name": "Acme Dental LLC", "domains": ["acmedental.com"],
          "remote_access": ["rd.acmedental.com"]}
PROVIDER = {"name": "Bob's IT Services", "domains": ["bobsit.example"],
            "remote_access": ["instance-bobsit-relay.screenconnect.com"]}


def _tools(data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {a["tool"]: a for a in data["agents"]}


def test_windows_registry_export() -> None:
    data = collect(registry_export=FIXTURES / "windows" / "frontdesk.reg",
                   hostname="FRONTDESK-01")
    found = _tools(data)
    assert set(found) == {"screenconnect", "teamviewer"}
    assert found["screenconnect"]["instance"] == "relay.bobsit.example"
    assert found["screenconnect"]["instance_source"] == "service launch parameters"
    assert "service: ScreenConnect Client (4f3c2b1a0e9d8c7b)" in found["screenconnect"]["found_as"]
    assert any(x.startswith("installed program: ScreenConnect Client")
               for x in found["screenconnect"]["found_as"])
    assert found["teamviewer"]["instance"] is None
    assert data["host"] == {"name": "FRONTDESK-01", "os": "windows", "os_version": None}
    assert "Windows services (3)" in data["read"] and "installed programs (3)" in data["read"]
    assert "PLANTED" not in json.dumps(data)  # the launch parameters' key is never copied


def test_macos_launch_daemons_and_applications() -> None:
    data = collect(root=FIXTURES / "macos", system="macos", hostname="mac-01")
    found = _tools(data)
    assert set(found) == {"screenconnect", "teamviewer"}
    assert found["screenconnect"]["instance"] == "relay.bobsit.example"
    assert found["teamviewer"]["found_as"] == [
        "application: TeamViewer.app (com.teamviewer.TeamViewer)"]
    assert "PLANTED" not in json.dumps(data)


def test_linux_systemd_units_packages_and_rustdesk_configuration() -> None:
    data = collect(root=FIXTURES / "linux", system="linux", hostname="srv-01")
    found = _tools(data)
    assert set(found) == {"screenconnect", "rustdesk"}
    assert found["screenconnect"]["instance"] == "relay.bobsit.example"
    assert found["rustdesk"]["instance"] == "rd.acmedental.com"
    assert found["rustdesk"]["instance_source"] == "file /root/.config/rustdesk/RustDesk2.toml"
    assert "PLANTED" not in json.dumps(data)  # RustDesk's server key is never copied


def test_on_this_machine_it_finds_nothing_and_says_so(tmp_path: Path) -> None:
    out = tmp_path / "here.json"
    proc = subprocess.run([sys.executable, "-m", "lockin_audit", "endpoint", "collect",
                           "-o", str(out)], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert proc.returncode == 0, proc.stderr
    data = json.loads(out.read_text())
    assert data["format"] == "lockin-audit-endpoint/1"
    # the test machine has no RMM agent; what was read is named, so "nothing" has a scope
    assert data["agents"] == [], data["agents"]
    assert "no catalogued remote-access agent found (read: " in proc.stdout
    assert data["read"]


def test_the_collector_runs_as_one_file_without_site_packages(tmp_path: Path) -> None:
    single = tmp_path / "collect.py"
    shutil.copy(COLLECTOR, single)
    out = tmp_path / "srv.json"
    proc = subprocess.run([sys.executable, "-I", "-S", str(single), "-o", str(out),
                           "--root", str(FIXTURES / "linux"), "--os", "linux",
                           "--hostname", "srv-01"], capture_output=True, text=True,
                          timeout=120, cwd=tmp_path, env={"PATH": os.environ["PATH"]})
    assert proc.returncode == 0, proc.stderr
    assert {a["tool"] for a in json.loads(out.read_text())["agents"]} == {
        "screenconnect", "rustdesk"}


def test_the_catalogue_cites_a_vendor_page_for_every_tool() -> None:
    ids = [t["id"] for t in TOOLS]
    assert len(ids) == len(set(ids)) >= 18
    for tool in TOOLS:
        assert tool["docs"].startswith("https://"), tool["id"]
        assert tool["windows_services"] or tool["macos"] or tool["linux"], tool["id"]
        assert tool["kind"] in ("rmm", "remote_control")
        assert isinstance(tool["verified"], bool)


# ---------------------------------------------------------------------------------------
# the check, from fact snapshots (no server, no files)


def _check() -> Check:
    from lockin_audit import registry

    return next(c for c in registry.all_checks() if c.id == "devices.remote_access.agents")


def _run(facts: EndpointFacts) -> list[Finding]:
    check = _check()
    identity = Identity.from_mappings(CLIENT, [PROVIDER])
    target = Target("endpoints", "devices", "endpoint files", "endpoint files",
                    Asset("endpoint_files", "endpoint files"))
    ctx = CheckContext(check.meta, target, identity, dt.date(2026, 12, 6), {})
    return check.run(facts, ctx)


def _agent(tool: str, instance: str | None, kind: str = "remote_control") -> EndpointAgent:
    return EndpointAgent(tool, {"screenconnect": "ConnectWise ScreenConnect",
                                "teamviewer": "TeamViewer", "rustdesk": "RustDesk",
                                "atera": "Atera"}[tool], kind, (f"service: {tool}",),
                         instance, "service launch parameters" if instance else None,
                         "cannot be told")


def _machine(host: str, *agents: EndpointAgent) -> Machine:
    return Machine(host, "windows", f"{host}.json", "2026-12-06T09:00:00+00:00", agents,
                   ("Windows services (120)",), ())


def test_provider_screenconnect_on_12_devices_fails_and_counts_them() -> None:
    provider = _agent("screenconnect", "instance-bobsit-relay.screenconnect.com")
    facts = EndpointFacts(tuple(_machine(f"PC-{i:02d}", provider) for i in range(12)), (),
                          "2026-12-06T09:00:00Z")
    [finding] = _run(facts)
    assert (finding.status, finding.holder) == (Status.FAIL, Holder.PROVIDER)
    assert "12 devices" in finding.detail and "PC-11" in finding.detail
    assert "configured as a remote-access instance of Bob's IT Services" in finding.detail
    assert len(finding.evidence) == 12


def test_teamviewer_whose_account_cannot_be_told_warns() -> None:
    facts = EndpointFacts((_machine("PC-01", _agent("teamviewer", None)),), (), "x")
    [finding] = _run(facts)
    assert (finding.status, finding.holder) == (Status.WARN, Holder.UNKNOWN)
    assert "cannot be told" in finding.detail
    assert "remove its agents, or confirm" in finding.detail


def test_the_business_s_own_instance_passes_and_names_its_scope() -> None:
    facts = EndpointFacts((_machine("PC-01", _agent("rustdesk", "rd.acmedental.com")),), (),
                          "x")
    [finding] = _run(facts)
    assert (finding.status, finding.holder) == (Status.PASS, Holder.CLIENT)
    assert "Scope: the catalogued RMM and remote-control tools, on the 1 machine(s)" in \
        finding.detail


def test_an_instance_of_nobody_configured_warns_and_an_rmm_of_the_provider_is_critical() -> None:
    facts = EndpointFacts((_machine("PC-01", _agent("screenconnect", "remote.elsewhere.example"),
                                    _agent("atera", "tech@bobsit.example", "rmm")),), (), "x")
    by_tool = {f.asset.id.split(":")[0]: f for f in _run(facts)}
    assert by_tool["screenconnect"].status is Status.WARN
    assert by_tool["screenconnect"].holder is Holder.UNKNOWN
    assert by_tool["atera"].status is Status.FAIL
    assert by_tool["atera"].severity is Severity.CRITICAL


def test_an_unreadable_file_is_an_error_never_a_clean_pass() -> None:
    facts = EndpointFacts((), (FetchError("endpoints", "endpoint file PC-02.json",
                                          "cannot be read: not JSON", kind="malformed"),), "x")
    findings = _run(facts)
    assert [f.status for f in findings] == [Status.ERROR]
    both = EndpointFacts((_machine("PC-01"),), facts.unreadable, "x")
    statuses = sorted(f.status.value for f in _run(both))
    assert statuses == ["error", "pass"]  # the read machine passes, the unread one errors


def test_no_agent_on_the_machines_read_is_a_pass_naming_what_was_read() -> None:
    [finding] = _run(EndpointFacts((_machine("PC-01"),), (), "x"))
    assert finding.status is Status.PASS
    assert "Machines without a collector file and tools outside the catalogue were not read" \
        in finding.detail


def test_a_file_that_is_not_a_collector_file_is_refused_with_the_reason() -> None:
    with pytest.raises(ValueError, match="not a lockin-audit endpoint file"):
        parse_machine({"format": "other"}, "x.json")
    with pytest.raises(ValueError, match="agents"):
        parse_machine({"format": "lockin-audit-endpoint/1", "host": {}, "agents": "no"},
                      "x.json")


def test_a_scan_reads_collector_files_by_glob(tmp_path: Path) -> None:
    files = tmp_path / "endpoints"
    files.mkdir()
    for i in range(12):
        data = collect(registry_export=FIXTURES / "windows" / "frontdesk.reg",
                       hostname=f"PC-{i:02d}")
        (files / f"pc{i:02d}.json").write_text(json.dumps(data))
    (files / "broken.json").write_text("{not json")
    audit = tmp_path / "audit.yaml"
    audit.write_text(
        "client: {name: Acme Dental LLC, domains: [acmedental.com]}\n"
        "provider: {name: Bob's IT Services, domains: [bobsit.example]}\n"
        "scan: {endpoints: ['endpoints/*.json', 'missing/*.json']}\n")
    proc = subprocess.run([sys.executable, "-m", "lockin_audit", "scan", "-c", str(audit),
                           "-o", str(tmp_path / "out"), "-f", "json", "--no-history",
                           "--only", "devices"], capture_output=True, text=True, timeout=300,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert proc.returncode == 1, proc.stderr  # a provider-held finding at high
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    found = {f["asset"]["id"]: f for f in report["findings"]
             if f["control"] == "devices.remote_access"}
    sc = found["screenconnect:relay.bobsit.example"]
    assert (sc["status"], sc["holder"]) == ("fail", "provider")
    assert "12 devices" in sc["detail"]
    assert found["teamviewer:unknown"]["status"] == "warn"
    errors = sorted(f["asset"]["id"] for f in report["findings"] if f["status"] == "error")
    assert errors == ["endpoint file broken.json", "scan.endpoints missing/*.json"]
    assert report["complete"] is False
