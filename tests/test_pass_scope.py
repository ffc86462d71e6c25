"""A pass covers only what was read (issue 19): no pass sentence claims "every", "all",
"only yours", "no other" or "nothing" about more than its check reads.

The catalogue declares, per check, the phrases that name what its pass covers (`scopes:`
in lockin_audit/catalogue/<platform>.yaml); a check with declared scopes reads at least one
catalogued access path. The test walks every pass the demo produces: a sentence with such a
word must name one of its check's declared scopes.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from lockin_audit import catalogue, registry

ROOT = Path(__file__).resolve().parent.parent
# Words that claim completeness. "only yours" in any form; "no other", "nothing", "every",
# "all" as whole words.
CLAIMS = re.compile(r"\b(every|all|nothing|no other|only (yours|your|the business))\b", re.I)
SENTENCE = re.compile(r"(?<=[.;:!?])\s+")


def claims(text: str) -> list[str]:
    """The sentences of a pass text that claim completeness."""
    return [s for s in SENTENCE.split(text) if CLAIMS.search(s)]


def unscoped(check_id: str, text: str) -> list[str]:
    """The claiming sentences that name none of the check's declared scopes."""
    scopes = [s.lower() for s in catalogue.check_scopes(check_id)]
    return [s for s in claims(text) if not any(sc in s.lower() for sc in scopes)]


def test_declared_scopes_belong_to_checks_that_read_paths() -> None:
    ids = {c.id for c in registry.all_checks()}
    for check_id, scopes in catalogue.all_check_scopes().items():
        assert check_id in ids, f"scopes declared for unknown check {check_id}"
        assert scopes and all(s.strip() for s in scopes), check_id
        assert catalogue.paths_read_by(check_id), (
            f"{check_id} declares a pass scope but reads no catalogued access path")


def test_the_rule_catches_an_overclaim_and_allows_a_scoped_claim() -> None:
    over = "No other tenant manages Prod."
    scoped = "No other tenant manages Prod through Azure Lighthouse."
    assert unscoped("azure.delegation.lighthouse", over) == [over]
    assert unscoped("azure.delegation.lighthouse", scoped) == []
    assert unscoped("azure.delegation.lighthouse", "Every role is yours.") == [
        "Every role is yours."]
    assert unscoped("no.such.check", "All good.") == ["All good."]
    assert claims("The website at acme.com: under your company's own names.") == []


@pytest.fixture(scope="module")
def demo_passes(tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, str]]:
    out = tmp_path_factory.mktemp("demo-scope")
    proc = subprocess.run([sys.executable, "-m", "lockin_audit", "demo", "-o", str(out),
                           "--no-progress"], capture_output=True, text=True, timeout=900,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert proc.returncode == 0, proc.stderr[-2000:]
    data = json.loads((out / "report.json").read_text(encoding="utf-8"))
    return [f for f in data["findings"] if f["status"] == "pass"]


def test_no_demo_pass_claims_more_than_its_check_reads(
        demo_passes: list[dict[str, str]]) -> None:
    assert demo_passes, "the demo produced no pass"
    wrong = sorted({f"{f['check_id']}: {s}" for f in demo_passes
                    for s in unscoped(f["check_id"], f["title"] + ". " + f["detail"])})
    assert not wrong, ("passes that claim completeness without naming their scope "
                       "(declare it under scopes: in the catalogue, and say it in the "
                       "text):\n" + "\n".join(wrong))
