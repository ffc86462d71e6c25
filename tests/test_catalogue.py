"""The control catalogue is the single source (issue 19).

- every control record has every field; a file that lacks one is refused, naming it;
- every built-in check's control is catalogued, and every catalogued control has a check;
- every access path cites a page and is either read by named, existing checks or marked
  not read with the reason; every check of a platform with paths reads one of them;
- the plan, the asset map, the letter and `model.CONTROLS` are derived from it;
- a built-in check's texts (title, why, remediation, references) are its catalogue record
  over its control's: its `@check` gives none, and a check record names a real check and
  holds only what differs from the control.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from lockin_audit import catalogue, registry
from lockin_audit.catalogue import CatalogueError, load_platform
from lockin_audit.check import check
from lockin_audit.model import AREAS, CONTROLS, Severity
from lockin_audit.report import letter, owner

# Checks that never pass (they only ask for a manual step), so they speak for no path.
MANUAL_ONLY = {"gws.billing.reseller"}


def test_every_control_record_is_complete() -> None:
    assert catalogue.controls(), "the catalogue is empty"
    for c in catalogue.controls().values():
        for name in catalogue.CONTROL_FIELDS:
            value = getattr(c, name)
            if name == "references" and c.area in ("contract", "custody"):
                continue  # no vendor documents a contract's holder
            assert value, f"{c.id}: {name} is empty"
        assert all(r.startswith("https://") for r in c.references), c.id
        assert c.phase in catalogue.PHASE_KEYS and c.family in catalogue.FAMILY_KEYS


def test_every_check_control_is_catalogued_and_every_control_has_a_check() -> None:
    checks = [c for c in registry.all_checks() if c.origin == "builtin"]
    missing = sorted({f"{c.id} ({c.meta.control})" for c in checks
                      if c.meta.control not in catalogue.controls()})
    assert not missing, f"checks whose control is not in the catalogue: {missing}"
    checked = {c.meta.control for c in checks}
    assert not sorted(set(catalogue.controls()) - checked), "controls without a check"


def test_every_path_cites_a_page_and_is_read_by_real_checks_or_says_why_not() -> None:
    ids = {c.id for c in registry.all_checks()}
    for p in catalogue.paths():
        assert p.doc.startswith("https://"), p.id
        if p.read:
            unknown = set(p.read_by) - ids
            assert not unknown, f"{p.id}: read_by names unknown checks {sorted(unknown)}"
        else:
            assert p.not_read and not p.read_by, p.id


def test_every_check_of_a_platform_with_paths_reads_one_of_them() -> None:
    with_paths = {a for p in catalogue.platforms() if p.paths for a in p.areas}
    read = {c for p in catalogue.paths() for c in p.read_by}
    unread = sorted(c.id for c in registry.all_checks() if c.origin == "builtin"
                    and c.meta.area in with_paths and c.id not in read
                    and c.id not in MANUAL_ONLY)
    assert not unread, f"checks that read no catalogued access path: {unread}"


def test_each_platform_lists_paths_it_does_not_read() -> None:
    """The point of the list: every platform has documented paths this version does not
    read, and they are named (a platform whose list is all "read" is suspicious)."""
    for p in catalogue.platforms():
        if p.paths:
            assert any(not x.read for x in p.paths), p.id


def test_the_vocabulary_plan_map_and_letter_derive_from_the_catalogue() -> None:
    assert set(catalogue.controls()) == CONTROLS
    assert set(AREAS) == set(catalogue.areas())
    assert {"gws", "gcp"} <= set(AREAS)
    for c in catalogue.controls().values():
        assert owner.family_of(c.id) == c.family
        assert letter.ASKS[c.id] == c.ask and letter.SHORT_ASKS[c.id] == c.short_ask
        in_phase = [p.key for p in owner.PHASES if c.id in p.controls]
        assert in_phase == ([] if c.phase == "contract" else [c.phase]), c.id
    assert [p.key for p in owner.PHASES] + ["contract"] == list(catalogue.PHASE_KEYS)
    assert [k for k, _ in owner.FAMILIES] == list(catalogue.FAMILY_KEYS)


def test_not_read_lists_the_scanned_platforms_paths_with_reasons() -> None:
    got = catalogue.not_read({"aws", "domain"})
    assert set(got) == {"aws", "domains"}
    assert all(row["reason"] and row["path"] for rows in got.values() for row in rows)
    unread = next(x for x in catalogue.paths("aws") if not x.read)
    assert unread.id in {r["path"] for r in got["aws"]}
    # a path whose checks did not run in this scan (--check) is not read either
    ran = catalogue.not_read({"aws"}, checks_run={"aws.keys.kms"})
    reasons = {r["path"]: r["reason"] for r in ran["aws"]}
    assert "did not run" in reasons["aws.iam.role_trust"]
    assert "aws.kms.key_policies" not in reasons


def test_builtin_checks_take_their_texts_from_the_catalogue_only() -> None:
    """A built-in check's @check gives no title, risk, remediation or references (third-party
    plugins may: they cannot edit the catalogue); what its findings say is its check record
    over its control's record."""
    builtin = [c for c in registry.all_checks() if c.origin == "builtin"]
    assert len(builtin) > 50
    with_texts = sorted(f"{c.id} ({', '.join(c.meta.texts_given)})" for c in builtin
                        if c.meta.texts_given)
    assert not with_texts, ("built-in checks that pass texts to @check (move them to the "
                            f"catalogue's checks: section): {with_texts}")
    for c in builtin:
        texts = catalogue.check_texts(c.id, c.meta.control)
        assert texts is not None, f"{c.id}: control {c.meta.control} is not catalogued"
        assert (c.meta.title, c.meta.risk, c.meta.remediation, c.meta.references) == (
            texts.title, texts.why, texts.remediation, texts.references), c.id


def test_check_records_name_real_checks_and_hold_only_what_differs() -> None:
    checks = {c.id: c for c in registry.all_checks() if c.origin == "builtin"}
    for p in catalogue.platforms():
        for cid, rec in p.checks.items():
            where = f"{p.id}.yaml checks.{cid}"
            assert cid in checks, f"{where}: no built-in check has this id"
            base = catalogue.controls()[checks[cid].meta.control]
            assert base.platform == p.id, (f"{where}: the check's control {base.id} is in "
                                           f"{base.platform}.yaml; its record belongs there")
            same = [f for f in catalogue.CHECK_TEXT_FIELDS
                    if getattr(rec, f) is not None and getattr(rec, f) == getattr(base, f)]
            assert not same, f"{where}: {same} repeat the control's (leave them out)"


def test_a_check_whose_control_is_not_catalogued_needs_its_own_texts() -> None:
    with pytest.raises(ValueError, match="no record in the control catalogue"):
        check(id="example.nowhere.check", control="nowhere.thing", source="x",
              severity=Severity.HIGH)
    with pytest.raises(ValueError, match="no record in the control catalogue"):
        check(id="example.nowhere.check", control="nowhere.thing", source="x",
              severity=Severity.HIGH, title="Only a title")
    # a plugin gives its own texts; with a catalogued control it may give only some
    own = check(id="example.nowhere.check", control="nowhere.thing", source="x",
                severity=Severity.HIGH, title="T", risk="R", remediation=["Do it."])
    assert own(lambda facts, ctx: []).meta.texts_given == ("title", "risk", "remediation")
    partial = check(id="example.contract.check", control="contract.holder", source="x",
                    severity=Severity.HIGH, title="A plugin's own title")(lambda facts, ctx: [])
    holder = catalogue.controls()["contract.holder"]
    assert partial.meta.title == "A plugin's own title"
    assert (partial.meta.risk, partial.meta.remediation) == (holder.why, holder.remediation)


@pytest.mark.parametrize(("body", "message"), [
    ("checks:\n  aws.x.y: {titel: T}\n", r"x.yaml.checks.aws.x.y: unknown titel"),
    ("checks:\n  aws.x.y: {}\n", r"x.yaml.checks.aws.x.y: a mapping of the texts"),
    ("checks:\n  gcp.x.y: {title: T}\n", r"x.yaml.checks.gcp.x.y: a check id is"),
    ("checks:\n  aws.x.y: {remediation: Do it}\n",
     r"x.yaml.checks.aws.x.y.remediation: a list is required"),
    ("checks:\n  aws.x.y: {why: ''}\n", r"x.yaml.checks.aws.x.y.why: a non-empty text"),
    ("checks: [aws.x.y]\n", r"x.yaml.checks: a mapping of check id"),
    ("checks:\n  aws.x.y: {references: []}\n",  # leave it out to cite the control's pages
     r"x.yaml.checks.aws.x.y.references: a list is required"),

    ("controls:\n- id: aws.x\n  title: T\n", "missing why"),
    ("paths:\n- id: p\n  title: T\n  doc: https://x\n", "either read_by"),
    ("paths:\n- id: p\n  title: T\n  doc: http://x\n  not_read: r\n", "https"),
    ("controls:\n- {id: aws.x, title: T, why: W, remediation: [a], references: [],"
     " phase: nowhere, family: admin, ask: a, short_ask: s, permissions: [p]}\n", "phase"),
])
def test_a_malformed_file_is_refused_naming_the_entry(tmp_path: Path, body: str,
                                                      message: str) -> None:
    f = tmp_path / "x.yaml"
    f.write_text("platform: x\nname: X\nareas: {aws: AWS}\n" + body, encoding="utf-8")
    with pytest.raises(CatalogueError, match=message):
        load_platform(f)


def test_the_generated_docs_are_current() -> None:
    """docs/*-permissions.md and the README's list of areas are generated from the
    catalogue: run `python -m lockin_audit.catalogue.docs` after changing it."""
    from lockin_audit.catalogue.docs import expected

    root = Path(__file__).resolve().parent.parent
    stale = [str(path.relative_to(root)) for path, text in expected(root).items()
             if not path.exists() or path.read_text(encoding="utf-8") != text]
    assert not stale, ("stale generated docs (run `python -m lockin_audit.catalogue.docs`): "
                       f"{stale}")
    readme = (root / "README.md").read_text(encoding="utf-8")
    for area in catalogue.areas():
        assert f"`{area}`" in readme


def test_not_read_travels_through_report_json_and_shows_in_html_and_markdown() -> None:
    import json

    import jsonschema

    from lockin_audit.model import Coverage, ScanResult, not_read_of
    from lockin_audit.report.interface import renderer
    from lockin_audit.report.json_format import load_schema
    from lockin_audit.scoring import readiness

    nr = not_read_of({"aws"})
    result = ScanResult("2026-11-23T07:00:00Z", "2026-11-23T07:00:01Z", {"name": "Acme"}, (),
                        readiness([], []), (), (Coverage("aws", "acct", True),), (),
                        not_read=nr)
    data = json.loads(renderer("json").render(result))
    jsonschema.Draft202012Validator(load_schema()).validate(data)
    unread = next(x for x in catalogue.paths("aws") if not x.read)
    row = next(p for p in data["not_read"]["aws"] if p["path"] == unread.id)
    assert row["reason"] == unread.not_read and row["doc"].startswith("https://")
    assert ScanResult.from_dict(data).not_read == nr  # re-rendering keeps this version's list
    html = renderer("html").render(result)
    md = renderer("md").render(result)
    for text in (html, md):
        assert "Not read by this version" in text and unread.title[:30] in text
    assert html.index("Not read by this version") > html.index('id="coverage"')


def test_checks_and_doctor_speak_from_the_catalogue() -> None:
    import json
    import os
    import subprocess
    import sys

    root = Path(__file__).resolve().parent.parent
    proc = subprocess.run([sys.executable, "-m", "lockin_audit", "checks", "--format", "json"],
                          capture_output=True, text=True, timeout=120,
                          env={**os.environ, "PYTHONPATH": str(root)})
    assert proc.returncode == 0, proc.stderr
    rows = {r["id"]: r for r in json.loads(proc.stdout)}
    kms = rows["aws.keys.kms"]
    record = catalogue.controls()["aws.keys"]
    assert kms["phase"] == record.phase and kms["permissions"] == list(record.permissions)
    assert kms["paths"] == [p.id for p in catalogue.paths_read_by("aws.keys.kms")]

    from lockin_audit.doctor import catalogue_notes

    notes = "\n".join(catalogue_notes({"aws"}))
    assert "aws.keys" in notes and "kms:GetKeyPolicy" in notes
    assert "Not read by this version (Amazon Web Services)" in notes
    assert "azure" not in notes.lower().split("not read")[0]


def test_the_worked_example_of_adding_a_check_matches_the_code() -> None:
    """docs/catalogue.md shows the real azure.delegation.lighthouse: its text-free
    decorator, its control's record and its snapshot test; and gcp.organization.owner's."""
    import textwrap

    root = Path(__file__).resolve().parent.parent
    guide = (root / "docs" / "catalogue.md").read_text(encoding="utf-8")
    decorator = ('@check(\n    id="azure.delegation.lighthouse",\n    control="azure.delegation",'
                 '\n    source="azure",\n    severity=Severity.HIGH,\n)\n')
    assert textwrap.indent(decorator, "   ") in guide
    assert decorator in (root / "checks" / "azure.py").read_text(encoding="utf-8")
    control = catalogue.controls()["azure.delegation"]
    for line in (f"title: {control.title}", f"ask: {control.ask}",
                 f"short_ask: {control.short_ask}", *(f"- {p}" for p in control.permissions)):
        assert line in guide, line
    owner = catalogue.check_records()["gcp.organization.owner"]
    assert owner.title and f"title: {owner.title}" in guide
    assert owner.why and owner.why[:60] in " ".join(guide.split())
    assert owner.remediation is None and owner.references is None
    aws = (root / "lockin_audit" / "catalogue" / "aws.yaml").read_text(encoding="utf-8")
    assert "remediation: &aws_access_steps" in aws and "remediation: *aws_access_steps" in aws
    tests = (root / "tests" / "test_check_snapshots.py").read_text(encoding="utf-8")
    assert "def test_azure_lighthouse_failed_read_provider_delegation_and_pass_side_by_side" \
        in tests and 'assert "through Azure Lighthouse" in clean[0].detail' in tests


def test_every_vendor_check_cites_a_vendor_page() -> None:
    """A check on a vendor's platform cites at least one page (its own references, else its
    control's and those of the access paths it reads); only the inventory's contract and
    custody checks, which no vendor documents, cite none."""
    uncited = sorted(c.id for c in registry.all_checks() if c.origin == "builtin"
                     and not c.meta.references and c.meta.area not in ("contract", "custody"))
    assert not uncited, f"checks citing no page: {uncited}"
    for c in registry.all_checks():
        if c.origin == "builtin":
            assert all(r.startswith("https://") for r in c.meta.references), c.id
    kms = next(c for c in registry.all_checks() if c.id == "aws.keys.kms")
    read = [p.doc for p in catalogue.paths("aws") if "aws.keys.kms" in p.read_by]
    assert read and set(read) <= set(kms.meta.references)

