"""Remote access from Intune (issue 26): the catalogued tools among Intune's discovered
apps (detectedApps, paged, with each app's managedDevices relationship) on the local
Microsoft cloud, in the shapes Graph documents (lockin_audit/demo/graph_routes.py
`demo_detected_apps`), through the real azure-identity sign-in and the engine."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from lockin_audit import registry
from lockin_audit.config import config_from_mapping
from lockin_audit.demo import graph_routes
from lockin_audit.demo.azure_server import MicrosoftCloud
from lockin_audit.engine import Scanner
from lockin_audit.model import Holder, ScanResult, Severity, Status
from tests.hooks import hooks
from tests.test_intune import CLIENT_TENANT, azure_env, server  # noqa: F401 - fixtures

CHECK = "devices.remote_access.intune"


def scan(server: MicrosoftCloud, tmp_path: Path, scenario: str = "",  # noqa: F811
         provider_extra: dict[str, Any] | None = None) -> ScanResult:
    endpoint = server.url + (f"/scenario/{scenario}" if scenario else "")
    config = config_from_mapping({
        "client": {"name": "Acme Dental LLC", "domains": ["acmedental.com"],
                   "azure_tenant_ids": [CLIENT_TENANT]},
        "provider": {"name": "Bob's IT Services", "domains": ["bobsit.example"],
                     "azure_tenant_ids": [graph_routes.PROVIDER_TENANT],
                     **(provider_extra or {})},
        "scan": {"azure": [{"tenant_id": CLIENT_TENANT, "graph_endpoint": endpoint,
                            "authority_host": server.url, "ca_bundle": server.ca_path,
                            "credential": "environment"}],
                 "limits": {"timeout_s": 10, "max_retry_after_s": 3,
                            "per_host_rate": 500, "per_host_burst": 100}},
    }, tmp_path / "audit.yaml")
    checks = [c for c in registry.all_checks() if c.id == CHECK]
    return asyncio.run(Scanner(config, checks).run())


def test_provider_screenconnect_on_12_devices_and_teamviewer_untold(
        server: MicrosoftCloud, tmp_path: Path) -> None:  # noqa: F811
    result = scan(server, tmp_path, provider_extra={"remote_access": ["4f3c2b1a0e9d8c7b"]})
    found = {f.asset.id: f for f in result.findings if f.check_id == CHECK}
    assert set(found) == {"screenconnect:4f3c2b1a0e9d8c7b", "teamviewer:unknown"}
    sc = found["screenconnect:4f3c2b1a0e9d8c7b"]
    assert (sc.status, sc.holder, sc.severity) == (Status.FAIL, Holder.PROVIDER, Severity.HIGH)
    assert "12 managed devices" in sc.detail and "ACME-SURG-12" in sc.detail
    tv = found["teamviewer:unknown"]
    assert (tv.status, tv.holder) == (Status.WARN, Holder.UNKNOWN)
    assert "3 managed devices" in tv.detail
    # both lists were paged through (the local cloud pages every collection)
    assert any("managedDevices" in p and "skiptoken" in p for _, p, _ in hooks(server).log)


def test_an_instance_nobody_configured_is_a_warning_not_a_pass(
        server: MicrosoftCloud, tmp_path: Path) -> None:  # noqa: F811
    result = scan(server, tmp_path)
    sc = next(f for f in result.findings if f.check_id == CHECK
              and f.asset.id.startswith("screenconnect"))
    assert (sc.status, sc.holder) == (Status.WARN, Holder.UNKNOWN)
    assert "configured for no party" in sc.detail


def test_denied_detected_apps_is_an_error_naming_the_permission(
        server: MicrosoftCloud, tmp_path: Path) -> None:  # noqa: F811
    result = scan(server, tmp_path, "denied")
    [finding] = [f for f in result.findings if f.check_id == CHECK]
    assert finding.status is Status.ERROR
    assert "DeviceManagementManagedDevices.Read.All" in finding.detail
