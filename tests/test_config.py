"""The audit file: clear one-paragraph errors naming the file, the key and what was expected."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from lockin_audit.config import STARTER, ConfigError, load_config


def write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "audit.yaml"
    p.write_text(text)
    return p


BASE = "client:\n  name: Acme\nprovider:\n  name: Bob\n"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (BASE + "scan:\n  domians: [a.com]\n",
         ["audit.yaml", "unknown key 'scan.domians'", "Did you mean 'domains'?"]),
        ("client:\n  name: Acme\n  domain: [a.com]\nprovider:\n  name: B\n",
         ["unknown key 'client.domain'", "Did you mean 'domains'?"]),
        ("client:\n  name: Acme\nprovider:\n  - name: B\n    aws_account_ids: [1234]\n",
         ["provider[0].aws_account_ids", "12-digit AWS account id"]),
        (BASE + "scan:\n  domains: ['not a domain']\n", ["scan.domains", "not a domain name"]),
        (BASE + "scan:\n  dns: {timeout_s: fast}\n", ["scan.dns.timeout_s", "number"]),
        (BASE + "scan:\n  aws: [{regions: 5}]\n", ["scan.aws[0].regions"]),
        (BASE + "scan:\n  azure: [{tenant_id: nope}]\n", ["scan.azure[0].tenant_id", "GUID"]),
        ("provider:\n  name: Bob\n", ["key 'client' is required"]),
        ("client: [1, 2]\nprovider: {name: B}\n", ["client"]),
        ("client:\n  name: Acme\n provider: x\n", ["not valid YAML", "line"]),
        ("- just a list\n", ["expected a mapping"]),
        ("client:\n  name: Acme\nprovider:\n  name: B\n  email_domains: [GMail.com]\n",
         ["provider[0].email_domains", "consumer mailbox service (Gmail)", "emails:"]),
        ("client:\n  name: Acme\n  emails: [not-an-address]\nprovider:\n  name: B\n",
         ["client.emails", "not an email address"]),
    ],
)
def test_errors_name_file_key_and_expectation(tmp_path: Path, text: str,
                                              expected: list[str]) -> None:
    with pytest.raises(ConfigError) as err:
        load_config(write(tmp_path, text))
    message = str(err.value)
    for part in expected:
        assert part in message
    assert "\n" not in message.strip()  # one paragraph


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load_config(tmp_path / "nope.yaml")


def test_starter_file_validates(tmp_path: Path) -> None:
    cfg = load_config(write(tmp_path, STARTER))
    assert cfg.client.name == "Acme Dental LLC"
    assert cfg.provider[0].domains == ["bobsit.example"]
    assert cfg.scan.domains == ["acmedental.com"]


def test_provider_may_be_a_list_and_paths_resolve_beside_the_file(tmp_path: Path) -> None:
    cfg = load_config(write(tmp_path, "client: {name: A}\nprovider:\n  - {name: B}\n  - {name: C}\n"
                            "scan:\n  inventory: [contracts.yaml]\n  domains: [Example.COM.]\n"))
    assert [p.name for p in cfg.provider] == ["B", "C"]
    assert cfg.resolve_path(cfg.scan.inventory[0]) == tmp_path / "contracts.yaml"
    assert cfg.scan.domains == ["example.com"]


def test_cli_exits_2_with_one_paragraph_and_no_traceback(tmp_path: Path) -> None:
    broken = write(tmp_path, BASE + "scan:\n  aws: [{profile: x, regoins: all}]\n")
    proc = subprocess.run([sys.executable, "-m", "lockin_audit", "scan", "-c", str(broken),
                           "-o", str(tmp_path / "out")], capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert "scan.aws[0].regoins" in proc.stderr and "Did you mean 'regions'?" in proc.stderr
    assert str(broken) in proc.stderr
