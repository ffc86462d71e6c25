"""The evidence bundle: what a scan observed, in one archive anyone can check.

`write_bundle` makes a zip holding

    manifest.json          SHA-256 and size of every other member, the tool and its
                           dependencies' versions, the scan's start and end, who observed
                           (the identities the scan read as: AWS caller ARNs, Azure tenants,
                           the Google subject, DNS resolvers) — never a secret
    manifest.json.sig      optional: an SSH signature of manifest.json (namespace
                           lockin-audit), checkable with `ssh-keygen -Y verify`
    manifest.tsr           optional: an RFC 3161 time-stamp token over manifest.json
    report.json            the result, as written beside the bundle
    facts.json             the fact snapshot: everything the checks were given
    audit/<file>           the audit file as it was read
    evidence/<id>.json     each finding's evidence (what was asked, when, the excerpt)

`verify_bundle` checks every hash, the signature (against an allowed-signers file when
given) and the time stamp, and says exactly what fails. `judge_bundle` re-runs this
version's checks on the recorded facts, offline, and compares with the recorded report.

Nothing here reads a credential: members are built from the result, the snapshot and the
audit file (which never holds one: DESIGN.md section 4); a test plants credentials in the
environment and a key file and searches the archive for them.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
import tempfile
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

from lockin_audit import __version__

if TYPE_CHECKING:
    from lockin_audit.config import AuditConfig
    from lockin_audit.model import Finding, ScanResult

BUNDLE_FORMAT = "lockin-audit-evidence/1"
MANIFEST = "manifest.json"
SIGNATURE = "manifest.json.sig"
TIMESTAMP = "manifest.tsr"
# Limits for reading a bundle someone else made (a zip bomb must not take the machine).
MAX_MEMBERS = 200_000
MAX_TOTAL_BYTES = 2 * 1024**3
MAX_MEMBER_BYTES = 1024**3


class EvidenceError(Exception):
    """A bundle that cannot be written or read (the message says why)."""


def evidence_member(finding_id: str) -> str:
    """The bundle member that holds a finding's evidence (named in the HTML report)."""
    return f"evidence/{finding_id[:16]}.json"


@dataclass(frozen=True)
class EvidenceOptions:
    path: Path
    sign_key: Path | None = None
    timestamp_url: str | None = None


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _dump(obj: Any) -> bytes:
    return json.dumps(obj, indent=1, sort_keys=True, ensure_ascii=False).encode("utf-8")


def dependency_versions() -> dict[str, str]:
    """Versions of lockin-audit's declared dependencies, as installed."""
    out: dict[str, str] = {}
    try:
        requires = metadata.requires("lockin-audit") or []
    except metadata.PackageNotFoundError:
        requires = []
    for req in requires:
        if "extra ==" in req:
            continue
        name = req.split(";")[0].split("[")[0]
        for sep in "<>=!~ ":
            name = name.split(sep)[0]
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return dict(sorted(out.items()))


def observers(config: AuditConfig, snapshot: Mapping[str, Any]) -> dict[str, Any]:
    """Who observed: the identities the scan read as (never a secret). From the fact
    snapshot (AWS caller ARNs as GetCallerIdentity answered) and the audit file."""
    out: dict[str, Any] = {}
    aws: list[str] = []
    for row in snapshot.get("sources", {}).get("aws", {}).get("targets", []):
        arn = _find_key(row.get("facts"), "caller_arn")
        if arn:
            aws.append(arn)
    if aws:
        out["aws_caller_arns"] = sorted(set(aws))
    scan = config.scan
    azure = [{"tenant_id": a.tenant_id,
              "app_id": os.environ.get("AZURE_CLIENT_ID") or None}
             for a in getattr(scan, "azure", []) or []]
    if azure:
        out["azure"] = azure
    google = [{"customer_id": getattr(g, "customer_id", None),
               "subject": getattr(g, "subject", None),
               "service_account": _google_service_account()}
              for g in getattr(scan, "google", []) or []]
    if google:
        out["google"] = google
    resolvers = getattr(getattr(scan, "dns", None), "resolvers", None)
    if scan.domains:
        out["dns_resolvers"] = list(resolvers or ["public (1.1.1.1, 8.8.8.8, 9.9.9.9)"])
    return out


def _google_service_account() -> str | None:
    """The service account's e-mail from the ADC key file (the address only, not the key)."""
    path = os.environ.get("GOOGLE_APPLICATION_CREDENTIALS")
    if not path:
        return None
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    email = data.get("client_email") if isinstance(data, dict) else None
    return email if isinstance(email, str) else None


def _find_key(obj: Any, key: str) -> str | None:
    """The first string value under `key` in a codec JSON tree (facts are nested)."""
    if isinstance(obj, dict):
        value = obj.get(key)
        if isinstance(value, str) and value:
            return value
        for v in obj.values():
            found = _find_key(v, key)
            if found:
                return found
    elif isinstance(obj, list):
        for v in obj:
            found = _find_key(v, key)
            if found:
                return found
    return None


def finding_evidence(finding: Finding) -> dict[str, Any]:
    return {"finding": finding.id, "check_id": finding.check_id, "control": finding.control,
            "asset": finding.asset.to_dict(), "status": finding.status.value,
            "holder": finding.holder.value, "title": finding.title,
            "evidence": [e.to_dict() for e in finding.evidence]}


def build_members(result: ScanResult, report_json: bytes, snapshot: Mapping[str, Any],
                  config: AuditConfig) -> dict[str, bytes]:
    members: dict[str, bytes] = {"report.json": report_json, "facts.json": _dump(snapshot)}
    if config.source_path is not None:
        try:
            members[f"audit/{Path(config.source_path).name}"] = Path(
                config.source_path).read_bytes()
        except OSError as exc:
            raise EvidenceError(f"cannot read the audit file {config.source_path} for the "
                                f"evidence bundle: {exc.strerror}") from None
    for finding in result.findings:
        members[evidence_member(finding.id)] = _dump(finding_evidence(finding))
    return members


def manifest_for(result: ScanResult, members: Mapping[str, bytes], config: AuditConfig,
                 snapshot: Mapping[str, Any]) -> bytes:
    manifest = {
        "format": BUNDLE_FORMAT,
        "tool": {"name": "lockin-audit", "version": __version__},
        "dependencies": dependency_versions(),
        "scan": {"started_at": result.started_at, "finished_at": result.finished_at,
                 "client": result.client.get("name"),
                 "complete": result.complete, "findings": len(result.findings)},
        "observer": observers(config, snapshot),
        "members": {name: {"sha256": _sha256(data), "bytes": len(data)}
                    for name, data in sorted(members.items())},
    }
    return _dump(manifest)


def write_bundle(path: Path, result: ScanResult, report_json: bytes,
                 snapshot: Mapping[str, Any], config: AuditConfig, *,
                 sign_key: Path | None = None, timestamp_url: str | None = None) -> Path:
    """Write the bundle atomically (a temporary file moved into place, never through a
    symlink) and return its path."""
    from lockin_audit import sshsig, timestamp

    members = build_members(result, report_json, snapshot, config)
    manifest = manifest_for(result, members, config, snapshot)
    extra: dict[str, bytes] = {}
    if sign_key is not None:
        try:
            extra[SIGNATURE] = sshsig.sign(manifest, sign_key).encode()
        except sshsig.SignatureError as exc:
            raise EvidenceError(str(exc)) from None
    if timestamp_url:
        try:
            extra[TIMESTAMP] = timestamp.fetch(timestamp_url, manifest).token
        except timestamp.TimestampError as exc:
            raise EvidenceError(str(exc)) from None
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".evidence-", suffix=".zip", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as raw, zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED,
                                                         compresslevel=6) as zf:
            for name, data in [(MANIFEST, manifest), *sorted(extra.items()),
                               *sorted(members.items())]:
                info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
                info.compress_type = zipfile.ZIP_DEFLATED
                info.external_attr = (stat.S_IFREG | 0o644) << 16
                zf.writestr(info, data)
        os.replace(tmp, path)  # replaces a symlink itself, never writes through it
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


# ---------------------------------------------------------------------------------------
# reading and verifying


@dataclass
class Verification:
    ok: bool = True
    checked: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def fail(self, text: str) -> None:
        self.ok = False
        self.failures.append(text)


def read_members(path: Path) -> dict[str, bytes]:
    """Every member of a bundle, with limits against hostile archives."""
    try:
        zf = zipfile.ZipFile(path)
    except (OSError, zipfile.BadZipFile) as exc:
        raise EvidenceError(f"{path} is not a readable zip archive: {exc}") from None
    out: dict[str, bytes] = {}
    total = 0
    with zf:
        infos = zf.infolist()
        if len(infos) > MAX_MEMBERS:
            raise EvidenceError(f"{path} has {len(infos)} members (limit {MAX_MEMBERS})")
        for info in infos:
            name = info.filename
            pure = PurePosixPath(name)
            if pure.is_absolute() or ".." in pure.parts or "\\" in name:
                raise EvidenceError(f"{path}: unsafe member name {name!r}")
            if name in out:
                raise EvidenceError(f"{path}: member {name!r} appears twice")
            if info.file_size > MAX_MEMBER_BYTES or total + info.file_size > MAX_TOTAL_BYTES:
                raise EvidenceError(f"{path}: member {name!r} is too large to read")
            with zf.open(info) as fh:
                data = fh.read(MAX_MEMBER_BYTES + 1)
            if len(data) > MAX_MEMBER_BYTES:
                raise EvidenceError(f"{path}: member {name!r} is too large to read")
            total += len(data)
            out[name] = data
    return out


def verify_bundle(path: Path, *, allowed_signers: Path | None = None,
                  tsa_ca: Path | None = None) -> Verification:
    from lockin_audit import sshsig, timestamp

    v = Verification()
    members = read_members(path)
    manifest_bytes = members.get(MANIFEST)
    if manifest_bytes is None:
        v.fail("no manifest.json in the bundle")
        return v
    listed: dict[str, Any] = {}
    try:
        manifest = json.loads(manifest_bytes)
        listed = dict(manifest["members"])
        if manifest.get("format") != BUNDLE_FORMAT:
            v.fail(f"manifest format {manifest.get('format')!r}, expected {BUNDLE_FORMAT!r}")
    except (ValueError, KeyError, TypeError) as exc:
        # still check the signature and time stamp below: they say whether the manifest
        # itself was changed after signing
        v.fail(f"manifest.json cannot be read: {exc}")
    for name, expected in sorted(listed.items()):
        data = members.get(name)
        if data is None:
            v.fail(f"{name}: listed in the manifest but missing from the bundle")
        elif _sha256(data) != expected.get("sha256"):
            v.fail(f"{name}: SHA-256 {_sha256(data)} does not match the manifest's "
                   f"{expected.get('sha256')} (the member was changed)")
    extra = (sorted(set(members) - set(listed) - {MANIFEST, SIGNATURE, TIMESTAMP})
             if listed else [])
    for name in extra:
        v.fail(f"{name}: in the bundle but not in the manifest (added afterwards)")
    if v.ok:
        v.checked.append(f"hashes: all {len(listed)} members match the manifest")
    sig = members.get(SIGNATURE)
    if sig is None:
        if allowed_signers is not None:
            v.fail("the bundle is not signed (no manifest.json.sig), but --allowed-signers "
                   "asks for a signature")
        else:
            v.notes.append("not signed: the hashes prove integrity of the members against "
                           "the manifest, not who made it")
    else:
        try:
            verified = sshsig.verify(manifest_bytes, sig.decode("utf-8", "replace"))
        except sshsig.SignatureError as exc:
            v.fail(f"signature: {exc}")
        else:
            if allowed_signers is not None:
                try:
                    allowed = allowed_signers.read_text(encoding="utf-8")
                except OSError as exc:
                    raise EvidenceError(f"cannot read {allowed_signers}: {exc.strerror}") \
                        from None
                principal = sshsig.allowed_signer(verified, allowed)
                if principal is None:
                    v.fail(f"signature: valid, but the key {verified.fingerprint} is not in "
                           f"{allowed_signers} for namespace lockin-audit")
                else:
                    v.checked.append(f"signature: good, by {principal} "
                                     f"({verified.key_type} {verified.fingerprint})")
            else:
                v.checked.append(f"signature: good, by key {verified.fingerprint} "
                                 f"({verified.key_type}); give --allowed-signers to check "
                                 "whose key it is")
    tsr = members.get(TIMESTAMP)
    if tsr is not None:
        try:
            ts = timestamp.verify_token(tsr, manifest_bytes, tsa_ca=tsa_ca)
        except timestamp.TimestampError as exc:
            v.fail(f"time stamp: {exc}")
        else:
            chain = (f"issued under {tsa_ca}" if tsa_ca else
                     "its certificate chain not checked (give --tsa-ca)")
            v.checked.append(f"time stamp: the manifest existed at {ts.gen_time} "
                             f"({ts.authority}, serial {ts.serial}; {chain})")
    return v


# ---------------------------------------------------------------------------------------
# judging again


@dataclass
class Judgement:
    result: ScanResult
    recorded: ScanResult
    same: int
    new: list[str]
    gone: list[str]
    changed: list[tuple[str, str, str]]  # id, before, after

    @property
    def identical(self) -> bool:
        return not (self.new or self.gone or self.changed)


def load_bundle_parts(path: Path) -> tuple[dict[str, bytes], dict[str, Any]]:
    members = read_members(path)
    if MANIFEST not in members:
        raise EvidenceError(f"{path} has no manifest.json: not an evidence bundle")
    return members, json.loads(members[MANIFEST])


def judge_bundle(path: Path, workdir: Path) -> Judgement:
    """Re-run this version's checks on the bundle's facts, offline."""
    import asyncio
    import datetime as dt

    from lockin_audit import registry
    from lockin_audit.config import ConfigError, load_config
    from lockin_audit.engine import Scanner, ScanOptions
    from lockin_audit.model import ScanResult
    from lockin_audit.scoring import scored
    from lockin_audit.snapshot import SnapshotError, load, recorded_sources

    members, manifest = load_bundle_parts(path)
    audits = [n for n in members if n.startswith("audit/")]
    if not audits or "facts.json" not in members or "report.json" not in members:
        raise EvidenceError(f"{path} lacks the audit file, facts.json or report.json")
    workdir.mkdir(parents=True, exist_ok=True)
    audit_path = workdir / PurePosixPath(audits[0]).name
    audit_path.write_bytes(members[audits[0]])
    try:
        config = load_config(audit_path)
    except ConfigError as exc:
        raise EvidenceError(f"the bundle's audit file cannot be read: {exc}") from None
    try:
        records = load(json.loads(members["facts.json"]))
    except SnapshotError as exc:
        raise EvidenceError(str(exc)) from None
    recorded = ScanResult.from_dict(json.loads(members["report.json"]))
    ran = {c.id for c in recorded.checks}
    checks = [c for c in registry.all_checks() if c.id in ran or not ran]
    sources = recorded_sources(records)
    checks = [c for c in checks if c.meta.source in sources]
    started = manifest.get("scan", {}).get("started_at") or recorded.started_at
    today = dt.datetime.fromisoformat(started.replace("Z", "+00:00")).date()
    scanner = Scanner(config, checks, ScanOptions(use_cache=False, today=today),
                      sources=sources)
    result = scored(asyncio.run(scanner.run()))
    before = {f.id: f for f in recorded.findings}
    after = {f.id: f for f in result.findings}
    changed = []
    for fid in sorted(set(before) & set(after)):
        b, a = before[fid], after[fid]
        sb = f"{b.holder.value}/{b.status.value}/{b.severity.value}"
        sa = f"{a.holder.value}/{a.status.value}/{a.severity.value}"
        if sb != sa:
            changed.append((fid, sb, sa))
    same = len(set(before) & set(after)) - len(changed)
    return Judgement(result, recorded, same, sorted(set(after) - set(before)),
                     sorted(set(before) - set(after)), changed)


def judgement_markdown(j: Judgement, bundle: Path) -> str:
    lines = [f"# Judged again: {bundle.name}", "",
             f"This version of lockin-audit ({__version__}) re-ran its checks on the facts "
             f"recorded in the bundle (scan of {j.recorded.started_at}, recorded by "
             f"{j.recorded.tool_version}).", ""]
    if j.identical:
        lines.append(f"**Same judgement**: all {j.same} findings are as recorded.")
    else:
        lines.append(f"{j.same} findings as recorded; {len(j.new)} new, {len(j.gone)} no "
                     f"longer reported, {len(j.changed)} judged differently.")
        title = {f.id: f.title for f in (*j.result.findings, *j.recorded.findings)}
        for label, ids in (("New", j.new), ("No longer reported", j.gone)):
            if ids:
                lines += ["", f"## {label}", ""] + [f"- `{i[:12]}` {title.get(i, '')}"
                                                    for i in ids]
        if j.changed:
            lines += ["", "## Judged differently", "", "| finding | recorded | now |",
                      "|---|---|---|"]
            lines += [f"| `{i[:12]}` {title.get(i, '')} | {b} | {a} |"
                      for i, b, a in j.changed]
    return "\n".join(lines) + "\n"


def report_json_bytes(outdir: Path) -> bytes:
    return (outdir / "report.json").read_bytes()


__all__ = ["EvidenceError", "EvidenceOptions", "Verification", "evidence_member",
           "judge_bundle", "read_members", "verify_bundle", "write_bundle"]
