"""The facts-level fault matrix: every read of the demo failed in turn, judged offline.

The demo's scan is recorded as a fact snapshot (its evidence bundle's facts.json). Every
fact that may be missing is a `lockin_audit.facts.Fetched`, so each read is one place in
that snapshot. For each read that holds a value, the test replaces the value with a
FetchError (the read failed), replays the snapshot through the real Scanner, as
`lockin-audit judge` does, and compares the checks that read that source with the
judgement of the untouched snapshot. A failed read must never:

- crash a check (the engine would turn it into "the check failed: ...");
- give an error that does not carry the read's reason (an owner must see why);
- produce a pass, or a better status, or lose a provider holder, unless the check reports
  an error ("Absence of evidence is not evidence");
- leave a pass that cites the failed read as evidence without saying the read failed
  (a pass claiming more than was read);
- make a finding vanish while the check reports no error (unless the check gives the same
  asset an as bad or worse verdict instead).

The server-driven fault matrix (tests/test_fault_matrix.py) proves that a source turns a
failed HTTP/DNS/SDK answer into a FetchError; this one proves that each check turns each
FetchError it rests on into an honest result. It runs without servers: about 300 reads,
each re-judged in well under a second. A request whose answer sits in several
places (one DNS record set two domains name, one folder two projects sit in) fails in all
of them at once, as it would in a real scan.
"""

from __future__ import annotations

import asyncio
import copy
import datetime as dt
import json
import os
import subprocess
import sys
import zipfile
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from lockin_audit import registry
from lockin_audit.check import Check, CheckContext, check
from lockin_audit.config import AuditConfig, load_config
from lockin_audit.engine import Scanner, ScanOptions
from lockin_audit.facts import FetchError, fact_to_json
from lockin_audit.model import Finding, Holder, Severity, Status
from lockin_audit.snapshot import load, recorded_sources

ROOT = Path(__file__).resolve().parent.parent
INJECTED = "injected by the test: the read failed"
# better to worse: a failed read may only move a finding to the right (or to error)
RANK = {Status.PASS: 0, Status.MANUAL: 1, Status.WARN: 2, Status.ERROR: 3, Status.FAIL: 4}


@dataclass(frozen=True)
class Read:
    """One request in the snapshot and every place its answer sits (a client shares one
    answer between the facts that asked the same question, e.g. a DNS record set two
    domains name, or one folder that holds two projects): it fails everywhere at once."""

    source: str  # Fetched.source
    request: str  # Fetched.request
    places: tuple[tuple[str, tuple[str | int, ...]], ...]  # (recorded source, JSON path)

    @property
    def recorded_sources(self) -> frozenset[str]:
        return frozenset(source for source, _ in self.places)


@dataclass
class Demo:
    snapshot: dict[str, Any]
    config: AuditConfig
    today: dt.date


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Demo:
    tmp = tmp_path_factory.mktemp("fact-faults")
    proc = subprocess.run(
        [sys.executable, "-m", "lockin_audit", "demo", "--no-progress", "-o", str(tmp / "out"),
         "--evidence", str(tmp / "bundle.zip")], capture_output=True, text=True, timeout=900,
        env={**os.environ, "PYTHONPATH": str(ROOT), "XDG_DATA_HOME": str(tmp / "xdg")})
    assert proc.returncode == 0, proc.stderr[-3000:]
    with zipfile.ZipFile(tmp / "bundle.zip") as zf:
        names = zf.namelist()
        audit = next(n for n in names if n.startswith("audit/"))
        (tmp / "audit.yaml").write_bytes(zf.read(audit))
        snapshot = json.loads(zf.read("facts.json"))
        manifest = json.loads(zf.read("manifest.json"))
    started = manifest["scan"]["started_at"]
    today = dt.datetime.fromisoformat(started.replace("Z", "+00:00")).date()
    return Demo(snapshot, load_config(tmp / "audit.yaml"), today)


def reads(snapshot: dict[str, Any]) -> list[Read]:
    """Every request answered in the snapshot (a Fetched that holds a value), with every
    place its answer sits."""
    places: dict[tuple[str, str], list[tuple[str, tuple[str | int, ...]]]] = defaultdict(list)

    def walk(node: Any, path: tuple[str | int, ...], source: str) -> None:
        if isinstance(node, dict):
            if str(node.get("$dc", "")).endswith("lockin_audit.facts:Fetched"):
                value = node["f"]["value"]
                failed = isinstance(value, dict) and str(value.get("$dc", "")).endswith(
                    "lockin_audit.facts:FetchError")
                if not failed:
                    places[(node["f"]["source"], node["f"]["request"])].append(
                        (source, path))
            for key, child in node.items():
                walk(child, (*path, key), source)
        elif isinstance(node, list):
            for i, child in enumerate(node):
                walk(child, (*path, i), source)

    for name, entry in snapshot["sources"].items():
        walk(entry, ("sources", name), name)
    return [Read(source, request, tuple(where))
            for (source, request), where in places.items()]


def failed(snapshot: dict[str, Any], read: Read) -> dict[str, Any]:
    """The snapshot with this request failed wherever its answer sits."""
    tree = copy.deepcopy(snapshot)
    error = fact_to_json(FetchError(read.source, read.request, INJECTED, kind="unavailable"))
    # outermost first: an answer may hold a later read of the same request (a mapped
    # read), which goes with it
    for _, path in sorted(read.places, key=lambda place: len(place[1])):
        node: Any = tree
        try:
            for step in path:
                node = node[step]
        except (KeyError, IndexError, TypeError):
            continue  # inside an answer already failed
        node["f"]["value"] = error
    return tree


def judged(demo: Demo, snapshot: dict[str, Any], checks: Sequence[Check]) -> list[Finding]:
    sources = recorded_sources(load(snapshot))
    runnable = [c for c in checks if c.meta.source in sources]
    scanner = Scanner(demo.config, runnable, ScanOptions(use_cache=False, today=demo.today),
                      sources=sources)
    return list(asyncio.run(scanner.run()).findings)


def readers(checks: Sequence[Check], sources: frozenset[str]) -> list[Check]:
    """The checks that judge these sources' facts, directly or as a declared dependency."""
    return [c for c in checks if c.meta.source in sources or sources & set(c.meta.needs)]


def violations(demo: Demo, checks: Sequence[Check], only: Sequence[Read] | None = None
               ) -> list[str]:
    baseline = {f.id: f for f in judged(demo, demo.snapshot, checks)}
    out: list[str] = []
    for read in (reads(demo.snapshot) if only is None else only):
        affected = readers(checks, read.recorded_sources)
        ids = {c.id for c in affected}
        before = {i: f for i, f in baseline.items() if f.check_id in ids}
        after_list = judged(demo, failed(demo.snapshot, read), affected)
        after = {f.id: f for f in after_list}
        errors: dict[str, int] = defaultdict(int)
        for f in after_list:
            if f.status is Status.ERROR:
                errors[f.check_id] += 1
        where = f"{read.source} {read.request!r} failed"
        for f in after_list:
            if f.status is Status.ERROR and INJECTED not in f.detail and (
                    f.id not in before or before[f.id].status is not Status.ERROR):
                out.append(f"{where}: {f.check_id} reports an error for {f.asset.id} "
                           f"without the read's reason: {f.detail[:200]}")
            if f.detail.startswith("the check failed"):
                out.append(f"{where}: {f.check_id} crashed: {f.detail[:200]}")
            elif f.status is Status.PASS:
                old = before.get(f.id)
                if old is None or old.status is not Status.PASS:
                    out.append(f"{where}: {f.check_id} newly passes {f.asset.id}: "
                               f"{f.detail[:200]}")
                elif INJECTED not in f.detail and any(
                        e.source == read.source and e.request == read.request
                        for e in f.evidence):
                    out.append(f"{where}: {f.check_id} still passes {f.asset.id} citing "
                               f"that read, without saying it failed: {f.detail[:200]}")
        for i, old in before.items():
            if errors[old.check_id]:
                continue  # the check says what it could not read
            new = after.get(i)
            if new is None and any(
                    f.check_id == old.check_id and f.asset == old.asset
                    and RANK[f.status] >= RANK[old.status] for f in after_list):
                continue  # replaced by an as bad or worse verdict on the same asset
            if new is None:
                out.append(f"{where}: {old.check_id}'s {old.status.value} for "
                           f"{old.asset.id} vanished without an error: {old.detail[:150]}")
            elif RANK[new.status] < RANK[old.status] or (
                    old.holder is Holder.PROVIDER and new.holder is not Holder.PROVIDER):
                out.append(f"{where}: {old.check_id} for {old.asset.id} went from "
                           f"{old.status.value}/{old.holder.value} to "
                           f"{new.status.value}/{new.holder.value} without an error: "
                           f"{new.detail[:150]}")
    return out


def test_the_demo_snapshot_has_reads_of_every_platform(demo: Demo) -> None:
    found = reads(demo.snapshot)
    platforms = {r.source for r in found}
    assert {"dns", "aws", "azure", "graph", "gws", "gcp"} <= platforms, platforms
    assert len(found) > 200


def test_no_failed_read_becomes_a_pass_a_crash_or_silence(demo: Demo) -> None:
    checks = [c for c in registry.all_checks() if c.origin == "builtin"]
    found = violations(demo, checks)
    assert not found, f"{len(found)} failed reads judged dishonestly:\n" + "\n".join(found)


# -- the matrix can fail: a check that reads past a failed read is caught -------------

@check(id="test.fact-faults.careless", control="domain.mail", source="dns",
       severity=Severity.HIGH, title="Careless", risk="Test only.",
       remediation=("Nothing.",))
def careless(facts: Any, ctx: CheckContext) -> Iterator[Finding]:
    """Passes on the MX read whatever it holds, citing it."""
    yield ctx.finding(asset=ctx.target.asset, holder=Holder.CLIENT, status=Status.PASS,
                      detail="Mail is yours.", evidence=[facts.mx.evidence({})])


@check(id="test.fact-faults.crashing", control="domain.mail", source="dns",
       severity=Severity.HIGH, title="Crashing", risk="Test only.",
       remediation=("Nothing.",))
def crashing(facts: Any, ctx: CheckContext) -> Iterator[Finding]:
    """Uses the MX answer without asking whether it was read."""
    yield ctx.finding(asset=ctx.target.asset, holder=Holder.CLIENT, status=Status.PASS,
                      detail=f"{len(facts.mx.ok.records)} MX records.")


def test_the_matrix_catches_a_check_that_ignores_a_failed_read(demo: Demo) -> None:
    mx = [r for r in reads(demo.snapshot) if r.source == "dns" and r.request.endswith(" MX")]
    assert mx, "the demo read no MX record set"
    found = violations(demo, [careless, crashing], only=mx[:1])
    assert any("test.fact-faults.careless still passes" in v for v in found), found
    assert any("test.fact-faults.crashing crashed" in v for v in found), found
