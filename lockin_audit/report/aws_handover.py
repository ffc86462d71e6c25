"""The AWS sign-ins to change on the handover day: every IAM user the scan could not show
to be the client's (the provider's, a vendor's or unidentified), with its console password
and its last use, MFA and access keys (masked ids, status, last use), read from the
`aws.access.users` findings' evidence. Used by the `_aws_handover` report partials."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from lockin_audit.model import Finding, ScanResult, Status

CHECK_ID = "aws.access.users"


@dataclass(frozen=True)
class HandoverUser:
    finding_id: str
    account: str
    user: str
    holder: str
    console: str  # yes | no | unknown (...)
    password_last_used: str
    mfa: str
    active_keys: tuple[tuple[str, str], ...]  # (masked key id, last used)

    @property
    def can_sign_in(self) -> bool:
        return self.console != "no" or bool(self.active_keys)


def _credentials(f: Finding) -> Mapping[str, Any] | None:
    for e in f.evidence:
        if isinstance(e.excerpt, Mapping) and "ConsolePassword" in e.excerpt:
            return e.excerpt
    return None


def _account(arn: str) -> str:
    parts = arn.split(":")
    return parts[4] if len(parts) > 4 else ""


def handover_users(result: ScanResult) -> Sequence[HandoverUser]:
    """Users to close or re-key, the ones that can sign in first."""
    out: list[HandoverUser] = []
    for f in result.findings:
        if f.check_id != CHECK_ID or f.status not in (Status.FAIL, Status.WARN, Status.MANUAL):
            continue
        creds = _credentials(f)
        if creds is None:
            continue
        keys = creds.get("AccessKeys")
        active = tuple((str(k.get("AccessKeyId", "")), str(k.get("LastUsed") or "never"))
                       for k in (keys if isinstance(keys, list) else [])
                       if isinstance(k, Mapping) and k.get("Status") == "Active")
        out.append(HandoverUser(
            f.id, _account(f.asset.id), f.asset.name or f.asset.id, str(f.holder),
            str(creds.get("ConsolePassword", "unknown")),
            str(creds.get("PasswordLastUsed") or "never"), str(creds.get("MFA", "unknown")),
            active))
    return sorted(out, key=lambda u: (not u.can_sign_in, u.account, u.user))
