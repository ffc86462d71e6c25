#!/usr/bin/env python3
"""Refresh lockin_audit/data/aws_known_accounts.yaml from the community list of known AWS
accounts maintained by fwd:cloudsec (https://github.com/fwdcloudsec/known_aws_accounts,
Apache-2.0), imported whole: every entry, its vendor name, its cited sources, and whether
it is an AWS service's own account (`type: aws`).

    python scripts/refresh_known_aws_accounts.py                 # download accounts.yaml
    python scripts/refresh_known_aws_accounts.py --from PATH     # a local copy (a clone)
        [--commit SHA] [--date YYYY-MM-DD]                       # what the copy is

Downloading asks GitHub for the newest commit of accounts.yaml (its id and date are
written into the file's header) and then for that commit's raw file. Review the diff
before committing: an id that moved from one vendor to another is worth a look.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import urllib.request
from pathlib import Path
from typing import Any

import yaml

REPO = "fwdcloudsec/known_aws_accounts"
OUT = Path(__file__).resolve().parent.parent / "lockin_audit" / "data" / "aws_known_accounts.yaml"


def _get(url: str) -> bytes:
    req = urllib.request.Request(url, headers={"User-Agent": "lockin-audit-refresh"})
    with urllib.request.urlopen(req, timeout=30) as resp:
        return bytes(resp.read())


def download() -> tuple[str, str, str]:
    commits = json.loads(_get(f"https://api.github.com/repos/{REPO}/commits?path=accounts.yaml"
                              "&per_page=1"))
    sha = str(commits[0]["sha"])
    date = str(commits[0]["commit"]["committer"]["date"])[:10]
    text = _get(f"https://raw.githubusercontent.com/{REPO}/{sha}/accounts.yaml").decode()
    return text, sha, date


def convert(text: str, sha: str, date: str) -> str:
    entries: list[dict[str, Any]] = yaml.safe_load(text) or []
    if not isinstance(entries, list):
        raise SystemExit("accounts.yaml is not a list of entries")
    lines = [
        "# The community list of known AWS accounts, imported whole by",
        "# scripts/refresh_known_aws_accounts.py (do not edit by hand: re-run the script).",
        f"# source: https://github.com/{REPO} (accounts.yaml)",
        f"# commit: {sha}",
        f"# date: {date}",
        "# licence: Apache-2.0 (the list's own licence)",
        "# Each entry: the vendor's name, its 12-digit account ids, the public pages the list",
        "# cites for them, `aws: true` for an AWS service's own account, and `enabled: false` /",
        "# `deprecated` as the list marks them. Vendor ids published in the vendors' own",
        "# onboarding templates that the list lacks go in aws_vendor_accounts.yaml, cited.",
        f"source: https://github.com/{REPO}",
        f"commit: {sha}",
        f"date: '{date}'",
        "vendors:",
    ]
    for e in entries:
        accounts = [str(a) for a in e.get("accounts") or []]
        bad = [a for a in accounts if not re.fullmatch(r"\d{12}", a)]
        if bad:
            raise SystemExit(f"{e.get('name')}: not 12-digit account ids: {bad}")
        item: dict[str, Any] = {"name": str(e["name"]), "accounts": accounts,
                                "source": [str(s) for s in e.get("source") or []]}
        if e.get("type") == "aws":
            item["aws"] = True
        if e.get("enabled") is False:
            item["enabled"] = False
        if e.get("deprecated_date"):
            item["deprecated"] = str(e["deprecated_date"])
        lines.append("  - " + json.dumps(item, ensure_ascii=False))
    return "\n".join(lines) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--from", dest="path", help="a local accounts.yaml instead of downloading")
    ap.add_argument("--commit", default="unknown", help="the commit the local copy is from")
    ap.add_argument("--date", default="unknown", help="that commit's date (YYYY-MM-DD)")
    ap.add_argument("-o", "--output", default=str(OUT))
    args = ap.parse_args()
    if args.path:
        text, sha, date = Path(args.path).read_text("utf-8"), args.commit, args.date
    else:
        text, sha, date = download()
    out = convert(text, sha, date)
    Path(args.output).write_text(out, encoding="utf-8")
    count = sum(1 for line in out.splitlines() if line.startswith("  - "))
    print(f"wrote {args.output}: {count} vendors from {REPO} at {sha} ({date})", file=sys.stderr)


if __name__ == "__main__":
    main()
