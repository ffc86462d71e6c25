"""The demo estate: Acme Dental LLC and its outgoing provider, Bob's IT Services.

`demo_estate()` starts one local server per area (DNS, RDAP, moto for AWS, an ARM/Graph
server for Azure and Microsoft 365, a Google server for
Workspace and Cloud) and writes the inventory files, then yields an
AuditConfig pointing at them, so the demo runs exactly the production code paths,
offline. Each area contributes a module `lockin_audit.demo.<part>` with a
`start(workdir: Path) -> DemoPart` function.
"""

from __future__ import annotations

import contextlib
import importlib
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from lockin_audit.config import AuditConfig, config_from_mapping

PARTS: tuple[str, ...] = ("dns", "rdap", "aws", "azure", "google", "inventory", "endpoints")


class DemoUnavailable(Exception):
    """The demo cannot start (a missing optional dependency, say)."""


@dataclass
class DemoPart:
    scan: dict[str, Any] = field(default_factory=dict)  # merged into the audit file's scan
    client: dict[str, Any] = field(default_factory=dict)  # identifiers to add
    provider: dict[str, Any] = field(default_factory=dict)
    env: dict[str, str] = field(default_factory=dict)  # set while the scan runs
    stop: Callable[[], None] = lambda: None


CLIENT: dict[str, Any] = {
    "name": "Acme Dental LLC",
    "aliases": ["Acme Dental", "Acme Dental Practice"],
    "domains": [],
    "email_domains": [],
    "aws_account_ids": [],
    "azure_tenant_ids": ["c0ffee00-0000-4000-8000-000000000001"],
}
PROVIDER: dict[str, Any] = {
    "name": "Bob's IT Services",
    "aliases": ["BITS", "Bob's IT", "Bobs IT Services Ltd"],
    "domains": ["bobsit.example"],
    "aws_account_ids": [],
    "azure_tenant_ids": ["b0b5b0b5-0000-4000-8000-000000000002"],
    "partner_ids": ["1234567"],
    "ip_ranges": ["203.0.113.0/24"],
}


def _merge(base: dict[str, Any], extra: dict[str, Any]) -> None:
    for key, value in extra.items():
        if isinstance(value, list):
            base.setdefault(key, [])
            base[key].extend(v for v in value if v not in base[key])
        elif isinstance(value, dict) and isinstance(base.get(key), dict):
            _merge(base[key], value)
        else:
            base[key] = value


@contextlib.contextmanager
def demo_estate(workdir: Path) -> Iterator[AuditConfig]:
    # Absolute: the parts write paths into server configs and the audit file, which are
    # read against other folders than the current one.
    workdir = workdir.resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    data: dict[str, Any] = {
        "client": {k: list(v) if isinstance(v, list) else v for k, v in CLIENT.items()},
        "provider": {k: list(v) if isinstance(v, list) else v for k, v in PROVIDER.items()},
        "scan": {"limits": {"concurrency": 16, "timeout_s": 10}},
    }
    started: list[DemoPart] = []
    saved_env = dict(os.environ)
    try:
        for name in PARTS:
            try:
                module = importlib.import_module(f"lockin_audit.demo.{name}")
            except ModuleNotFoundError as exc:
                if exc.name == f"lockin_audit.demo.{name}":
                    continue  # that area has no demo part
                raise DemoUnavailable(
                    f"the demo needs an optional dependency ({exc.name}); install it with "
                    "pip install 'lockin-audit[demo]'") from None
            part: DemoPart = module.start(workdir)
            started.append(part)
            _merge(data["scan"], part.scan)
            _merge(data["client"], part.client)
            _merge(data["provider"], part.provider)
            os.environ.update(part.env)
        # written out as a user's audit file would be (the evidence bundle keeps it; it
        # names local endpoints and a profile, never a credential)
        audit_file = workdir / "demo-audit.yaml"
        audit_file.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
        yield config_from_mapping(data, audit_file)
    finally:
        for part in reversed(started):
            with contextlib.suppress(Exception):
                part.stop()
        os.environ.clear()
        os.environ.update(saved_env)
