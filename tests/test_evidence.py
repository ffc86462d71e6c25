"""The evidence bundle (issue 25): written by the demo with the scan's own options, checked
by `verify` and by Debian's real `ssh-keygen -Y verify`, time-stamped by a local RFC 3161
authority (tests/tsa.py), rejected after any one-byte change, re-judged offline by `judge`,
and free of every credential of the test estate.
"""

from __future__ import annotations

import datetime as dt
import decimal
import ipaddress
import json
import os
import shutil
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from lockin_audit import sshsig
from lockin_audit.facts import (
    FACTS_FORMAT_VERSION,
    FactCodecError,
    FetchError,
    fact_from_json,
    fact_to_json,
)
from lockin_audit.model import Asset, Holder
from lockin_audit.snapshot import SNAPSHOT_FORMAT, SnapshotError, load
from tests.tsa import LocalTsa

ROOT = Path(__file__).resolve().parent.parent
SSH_KEYGEN = shutil.which("ssh-keygen")
needs_ssh_keygen = pytest.mark.skipif(SSH_KEYGEN is None, reason="ssh-keygen not installed")
PLANTED_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYPLANTEDKEY"
PLANTED_TOKEN = "ya29.PLANTED-TOKEN-never-in-a-bundle"


def _cli(*args: str, env: dict[str, str] | None = None,
         cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "lockin_audit", *args], capture_output=True,
                          text=True, timeout=600, cwd=cwd,
                          env={**os.environ, "PYTHONPATH": str(ROOT), **(env or {})})


def _keygen(path: Path, kind: str = "ed25519") -> Path:
    assert SSH_KEYGEN is not None
    subprocess.run([SSH_KEYGEN, "-q", "-t", kind, "-N", "", "-C", "auditor@acme",
                    "-f", str(path)], check=True)
    return path


@pytest.fixture(scope="module")
def demo_bundle(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """One demo run with --evidence, --sign-key and --timestamp (a local TSA), with
    credentials planted in the environment and in a key file."""
    if SSH_KEYGEN is None:
        pytest.skip("ssh-keygen not installed")
    tmp = tmp_path_factory.mktemp("evidence")
    key = _keygen(tmp / "id_ed25519")
    planted_file = tmp / "planted-service-account.json"
    planted_file.write_text(json.dumps({"type": "service_account",
                                        "private_key": PLANTED_SECRET}))
    tsa = LocalTsa()
    url = tsa.start()
    try:
        env = {"AWS_SECRET_ACCESS_KEY_PLANTED": PLANTED_SECRET,
               "AZURE_CLIENT_SECRET": PLANTED_SECRET, "GOOGLE_OAUTH_ACCESS_TOKEN": PLANTED_TOKEN,
               "LOCKIN_AUDIT_PLANTED_KEY_FILE": str(planted_file),
               "XDG_DATA_HOME": str(tmp / "xdg")}
        proc = _cli("demo", "-o", str(tmp / "out"), "--no-progress", "--evidence",
                    str(tmp / "bundle.zip"), "--sign-key", str(key), "--timestamp", url,
                    env=env)
    finally:
        tsa.stop()
    assert proc.returncode == 0, proc.stderr[-3000:]
    (tmp / "tsa-ca.pem").write_bytes(tsa.ca_pem)
    return {"dir": tmp, "bundle": tmp / "bundle.zip", "key": key, "out": tmp / "out",
            "tsa_ca": tmp / "tsa-ca.pem", "stdout": proc.stdout}


def _members(bundle: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(bundle) as zf:
        return {i.filename: zf.read(i) for i in zf.infolist()}


def _rewrite(bundle: Path, target: Path, change: dict[str, bytes | None]) -> Path:
    members = _members(bundle)
    for name, data in change.items():
        if data is None:
            members.pop(name)
        else:
            members[name] = data
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return target


def test_the_demo_bundle_verifies_hashes_signature_and_time_stamp(
        demo_bundle: dict[str, Any]) -> None:
    tmp = demo_bundle["dir"]
    allowed = tmp / "allowed_signers"
    pub = (tmp / "id_ed25519.pub").read_text().split()
    allowed.write_text(f'auditor@acme namespaces="lockin-audit" {pub[0]} {pub[1]}\n')
    proc = _cli("verify", str(demo_bundle["bundle"]), "--allowed-signers", str(allowed),
                "--tsa-ca", str(demo_bundle["tsa_ca"]))
    assert proc.returncode == 0, proc.stdout
    assert "ok: hashes: all" in proc.stdout
    assert "signature: good, by auditor@acme" in proc.stdout
    assert "time stamp: the manifest existed at" in proc.stdout
    assert f"issued under {demo_bundle['tsa_ca']}" in proc.stdout
    assert proc.stdout.strip().endswith("verified")


@needs_ssh_keygen
def test_ssh_keygen_itself_accepts_the_signature(demo_bundle: dict[str, Any]) -> None:
    tmp = demo_bundle["dir"]
    members = _members(demo_bundle["bundle"])
    (tmp / "manifest.json").write_bytes(members["manifest.json"])
    (tmp / "manifest.json.sig").write_bytes(members["manifest.json.sig"])
    pub = (tmp / "id_ed25519.pub").read_text().split()
    (tmp / "allowed").write_text(f"auditor@acme {pub[0]} {pub[1]}\n")
    assert SSH_KEYGEN is not None
    with (tmp / "manifest.json").open("rb") as fh:
        proc = subprocess.run([SSH_KEYGEN, "-Y", "verify", "-f", str(tmp / "allowed"),
                               "-I", "auditor@acme", "-n", "lockin-audit",
                               "-s", str(tmp / "manifest.json.sig")],
                              stdin=fh, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert 'Good "lockin-audit" signature for auditor@acme' in proc.stdout


def test_a_one_byte_change_to_any_member_is_rejected(demo_bundle: dict[str, Any]) -> None:
    tmp = demo_bundle["dir"]
    members = _members(demo_bundle["bundle"])
    names = ["report.json", "facts.json", "manifest.json",
             next(n for n in members if n.startswith("evidence/")),
             next(n for n in members if n.startswith("audit/"))]
    for i, name in enumerate(names):
        data = bytearray(members[name])
        # change one byte inside a value (a digit of a hash or a letter of text), and also
        # check below that a change that breaks the manifest's JSON is caught the same way
        pos = len(data) // 2
        data[pos] = (data[pos] + 1) % 256
        changed = _rewrite(demo_bundle["bundle"], tmp / f"changed-{i}.zip",
                           {name: bytes(data)})
        proc = _cli("verify", str(changed))
        assert proc.returncode == 1, (name, proc.stdout)
        expected = "signature" if name == "manifest.json" else name
        assert any(expected in line for line in proc.stdout.splitlines()
                   if line.startswith("FAILED")), (name, proc.stdout)


def test_a_manifest_that_no_longer_parses_still_names_the_signature(
        demo_bundle: dict[str, Any]) -> None:
    members = _members(demo_bundle["bundle"])
    broken = members["manifest.json"].replace(b'"members"', b'"members', 1)
    changed = _rewrite(demo_bundle["bundle"], demo_bundle["dir"] / "broken-manifest.zip",
                       {"manifest.json": broken})
    proc = _cli("verify", str(changed))
    assert proc.returncode == 1
    assert "FAILED: manifest.json cannot be read" in proc.stdout
    assert "FAILED: signature: the signature does not match" in proc.stdout


def test_an_added_or_removed_member_is_rejected(demo_bundle: dict[str, Any]) -> None:
    tmp = demo_bundle["dir"]
    added = _rewrite(demo_bundle["bundle"], tmp / "added.zip", {"evidence/extra.json": b"{}"})
    proc = _cli("verify", str(added))
    assert proc.returncode == 1
    assert "evidence/extra.json: in the bundle but not in the manifest" in proc.stdout
    removed = _rewrite(demo_bundle["bundle"], tmp / "removed.zip", {"facts.json": None})
    proc = _cli("verify", str(removed))
    assert proc.returncode == 1
    assert "facts.json: listed in the manifest but missing" in proc.stdout


def test_a_signature_by_another_key_is_not_accepted(demo_bundle: dict[str, Any]) -> None:
    tmp = demo_bundle["dir"]
    other = _keygen(tmp / "other_key")
    pub = (tmp / "other_key.pub").read_text().split()
    (tmp / "other_allowed").write_text(f"someone@else {pub[0]} {pub[1]}\n")
    proc = _cli("verify", str(demo_bundle["bundle"]), "--allowed-signers",
                str(tmp / "other_allowed"))
    assert proc.returncode == 1
    assert "is not in" in proc.stdout
    assert other.exists()


def test_no_credential_of_the_estate_is_in_the_bundle(demo_bundle: dict[str, Any]) -> None:
    members = _members(demo_bundle["bundle"])
    blob = b"\n".join(members.values())
    key_text = demo_bundle["key"].read_text()
    secrets = [PLANTED_SECRET, PLANTED_TOKEN,
               *(line for line in key_text.splitlines() if len(line) > 20
                 and not line.startswith("-----"))]
    # (moto's demo keys are short words such as "demo" that occur in any text: only a
    # value long enough to be a real secret is searched for)
    for secret in (s for s in secrets if len(s) >= 12):
        assert secret.encode() not in blob, f"a credential is in the bundle: {secret[:8]}..."
    assert "manifest.json.sig" in members and "manifest.tsr" in members


def test_the_manifest_names_versions_scan_and_observers(demo_bundle: dict[str, Any]) -> None:
    manifest = json.loads(_members(demo_bundle["bundle"])["manifest.json"])
    assert manifest["format"] == "lockin-audit-evidence/1"
    assert manifest["tool"]["name"] == "lockin-audit"
    assert "boto3" in manifest["dependencies"] and "httpx" in manifest["dependencies"]
    assert manifest["scan"]["started_at"] and manifest["scan"]["finished_at"]
    assert manifest["observer"]["aws_caller_arns"], manifest["observer"]
    assert all(arn.startswith("arn:aws:") for arn in manifest["observer"]["aws_caller_arns"])
    assert manifest["observer"]["dns_resolvers"]
    assert demo_bundle["bundle"].stat().st_size < 5 * 1024 * 1024


def test_the_html_report_names_the_bundle_and_each_evidence_member(
        demo_bundle: dict[str, Any]) -> None:
    html = (demo_bundle["out"] / "report.html").read_text()
    report = json.loads((demo_bundle["out"] / "report.json").read_text())
    assert report["evidence_bundle"] == "bundle.zip"
    assert "<code>bundle.zip</code>" in html
    members = _members(demo_bundle["bundle"])
    with_evidence = [f for f in report["findings"] if f["evidence"]]
    assert with_evidence
    for f in with_evidence[:20]:
        member = f"evidence/{f['id'][:16]}.json"
        assert member in members
        assert f"<code>{member}</code>" in html


def test_judge_reproduces_the_demo_findings_exactly(demo_bundle: dict[str, Any]) -> None:
    out = demo_bundle["dir"] / "judged"
    proc = _cli("judge", str(demo_bundle["bundle"]), "-o", str(out), "-f", "json")
    assert proc.returncode == 0, proc.stderr
    assert "same judgement as recorded" in proc.stdout
    recorded = json.loads(_members(demo_bundle["bundle"])["report.json"])
    judged = json.loads((out / "report.json").read_text())

    def key(f: dict[str, Any]) -> tuple[Any, ...]:
        return (f["id"], f["holder"], f["status"], f["severity"], f["detail"])

    assert sorted(map(key, judged["findings"])) == sorted(map(key, recorded["findings"]))
    assert "Same judgement" in (out / "judge.md").read_text()


def test_judge_refuses_a_bundle_that_does_not_verify(demo_bundle: dict[str, Any]) -> None:
    tmp = demo_bundle["dir"]
    members = _members(demo_bundle["bundle"])
    facts = json.loads(members["facts.json"])
    facts["sources"].pop("dns", None)
    changed = _rewrite(demo_bundle["bundle"], tmp / "judge-changed.zip",
                       {"facts.json": json.dumps(facts).encode()})
    proc = _cli("judge", str(changed), "-o", str(tmp / "judge-changed"))
    assert proc.returncode == 2
    assert "does not verify" in proc.stderr + proc.stdout


def test_judge_says_clearly_when_the_fact_format_is_too_old(tmp_path: Path) -> None:
    from lockin_audit.config import config_from_mapping
    from lockin_audit.evidence import write_bundle
    from lockin_audit.model import ScanResult

    audit = tmp_path / "audit.yaml"
    audit.write_text("client: {name: Acme}\nprovider: {name: Bob}\n")
    cfg = config_from_mapping({"client": {"name": "Acme"}, "provider": {"name": "Bob"}}, audit)
    result = ScanResult("2026-12-01T00:00:00Z", "2026-12-01T00:01:00Z", {"name": "Acme"}, (),
                        None, (), (), ())
    old = {"format": "lockin-audit-facts/0", "sources": {}}
    bundle = write_bundle(tmp_path / "old.zip", result, json.dumps(result.to_dict()).encode(),
                          old, cfg)
    proc = _cli("judge", str(bundle), "-o", str(tmp_path / "judged"))
    assert proc.returncode == 2, proc.stdout
    message = proc.stderr + proc.stdout
    assert "lockin-audit-facts/0" in message and "older release" in message
    assert "Traceback" not in message


def test_a_refusing_time_stamp_authority_is_named_and_exits_3(tmp_path: Path) -> None:
    tsa = LocalTsa(mode="refuse")
    url = tsa.start()
    try:
        proc = _cli("demo", "-o", str(tmp_path / "out"), "--no-progress", "--evidence",
                    str(tmp_path / "b.zip"), "--timestamp", url,
                    env={"XDG_DATA_HOME": str(tmp_path / "xdg")})
    finally:
        tsa.stop()
    assert proc.returncode == 3, proc.stderr[-2000:]
    assert "time-stamping authority refused: rejection" in proc.stderr
    assert (tmp_path / "out" / "report.json").is_file()  # the reports were still written
    assert not (tmp_path / "b.zip").exists()


def test_sign_key_without_evidence_is_a_usage_error(tmp_path: Path) -> None:
    audit = tmp_path / "audit.yaml"
    audit.write_text("client: {name: Acme}\nprovider: {name: Bob}\n")
    proc = _cli("scan", "-c", str(audit), "-o", str(tmp_path / "o"), "--sign-key",
                str(tmp_path / "nokey"))
    assert proc.returncode == 2
    assert "--evidence" in proc.stderr + proc.stdout


# ---------------------------------------------------------------------------------------
# the pieces


@needs_ssh_keygen
@pytest.mark.parametrize("kind", ["ed25519", "ecdsa", "rsa"])
def test_our_signatures_and_ssh_keygen_s_check_each_other(tmp_path: Path, kind: str) -> None:
    assert SSH_KEYGEN is not None
    key = _keygen(tmp_path / f"id_{kind}", kind)
    message = tmp_path / "m"
    message.write_bytes(b"lockin-audit manifest\n")
    ours = sshsig.sign(message.read_bytes(), key)
    (tmp_path / "ours.sig").write_text(ours)
    pub = (tmp_path / f"id_{kind}.pub").read_text().split()
    (tmp_path / "allowed").write_text(f"a@b {pub[0]} {pub[1]}\n")
    with message.open("rb") as fh:
        proc = subprocess.run([SSH_KEYGEN, "-Y", "verify", "-f", str(tmp_path / "allowed"),
                               "-I", "a@b", "-n", "lockin-audit", "-s",
                               str(tmp_path / "ours.sig")], stdin=fh, capture_output=True,
                              timeout=60)
    assert proc.returncode == 0, proc.stderr
    subprocess.run([SSH_KEYGEN, "-Y", "sign", "-f", str(key), "-n", "lockin-audit",
                    str(message)], check=True, capture_output=True, timeout=60)
    theirs = (tmp_path / "m.sig").read_text()
    verified = sshsig.verify(message.read_bytes(), theirs)
    assert sshsig.allowed_signer(verified, (tmp_path / "allowed").read_text()) == "a@b"
    with pytest.raises(sshsig.SignatureError, match="does not match"):
        sshsig.verify(b"another manifest\n", theirs)
    with pytest.raises(sshsig.SignatureError, match="namespace"):
        sshsig.verify(message.read_bytes(), theirs, namespace="file")


def test_an_encrypted_key_without_passphrase_is_named(tmp_path: Path) -> None:
    if SSH_KEYGEN is None:
        pytest.skip("ssh-keygen not installed")
    subprocess.run([SSH_KEYGEN, "-q", "-t", "ed25519", "-N", "s3cret", "-f",
                    str(tmp_path / "k")], check=True)
    env_before = os.environ.pop(sshsig.PASSPHRASE_ENV, None)
    try:
        with pytest.raises(sshsig.SignatureError, match=sshsig.PASSPHRASE_ENV):
            sshsig.sign(b"x", tmp_path / "k")
        os.environ[sshsig.PASSPHRASE_ENV] = "s3cret"
        sshsig.verify(b"x", sshsig.sign(b"x", tmp_path / "k"))
    finally:
        os.environ.pop(sshsig.PASSPHRASE_ENV, None)
        if env_before is not None:
            os.environ[sshsig.PASSPHRASE_ENV] = env_before


@dataclass(frozen=True)
class _Inner:
    when: dt.date
    at: dt.datetime
    net: ipaddress.IPv4Network
    money: decimal.Decimal


@dataclass(frozen=True)
class _Facts:
    holder: Holder
    asset: Asset
    names: tuple[str, ...]
    tags: frozenset[str]
    by_key: dict[tuple[str, int], _Inner]
    missing: FetchError | None
    ratio: float


def test_the_fact_codec_round_trips_typed_facts(monkeypatch: pytest.MonkeyPatch) -> None:
    from lockin_audit import facts as facts_module

    # the test's own fact types stand in for a source's (reading admits own modules only)
    monkeypatch.setattr(facts_module, "_OWN_MODULES",
                        (*facts_module._OWN_MODULES, _Facts.__module__ + ":"))
    inner = _Inner(dt.date(2027, 1, 31), dt.datetime(2026, 12, 6, 4, 0, tzinfo=dt.UTC),
                   ipaddress.IPv4Network("203.0.113.0/24"), decimal.Decimal("49.99"))
    facts = _Facts(Holder.PROVIDER, Asset("domain", "acme.com", "Acme"), ("a", "b"),
                   frozenset({"x", "y"}), {("k", 1): inner},
                   FetchError("aws", "ListGrants", "AccessDenied", kind="denied"), 0.5)
    text = json.dumps(fact_to_json(facts))
    assert fact_from_json(json.loads(text)) == facts


def test_the_fact_codec_refuses_foreign_types_and_unknown_fields() -> None:
    with pytest.raises(FactCodecError, match="refusing type os:system"):
        fact_from_json({"$dc": "os:system", "f": {}})
    good = fact_to_json(Asset("domain", "acme.com"))
    good["f"]["planted"] = 1
    with pytest.raises(FactCodecError, match="no field"):
        fact_from_json(good)
    with pytest.raises(FactCodecError, match="cannot record"):
        fact_to_json(object())


def test_a_snapshot_of_another_format_is_refused_clearly() -> None:
    with pytest.raises(SnapshotError, match="older release"):
        load({"format": "lockin-audit-facts/0", "sources": {}})
    # the facts of an older release (before every fact that may be missing was a Fetched)
    with pytest.raises(SnapshotError, match=r"facts of version 1.*another release"):
        load({"format": SNAPSHOT_FORMAT, "codec": 1, "sources": {}})
    with pytest.raises(SnapshotError, match="cannot be read"):
        load({"format": SNAPSHOT_FORMAT, "codec": FACTS_FORMAT_VERSION,
              "sources": {"dns": {"state": "read", "targets": [{"target": {"$dc": 1}}]}}})
