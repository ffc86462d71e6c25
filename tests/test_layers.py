"""Layers as DESIGN.md draws them, duplicates, and "incomplete is not ready".

- The read-only guards live below the sources: importing a guard module or any source
  module loads neither the engine nor the check API.
- Two findings with the same id: the most severe status wins.
- A scan in which something configured could not be read is incomplete: no grade, the
  score is a lower bound, the summaries say so first, and `--fail-on-gaps` exits 4.
"""

from __future__ import annotations

import json
import os
import pkgutil
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from lockin_audit.demo.local_http import LocalHttpServer
from lockin_audit.model import (
    Asset,
    Coverage,
    Finding,
    Holder,
    ScanResult,
    Severity,
    Status,
    dedupe_findings,
)
from lockin_audit.scoring import readiness, scored
from lockin_audit.sources import BUILTIN_SOURCES

ROOT = Path(__file__).resolve().parent.parent
GUARD_MODULES = ("lockin_audit.guards", "lockin_audit.guards.http", "lockin_audit.guards.aws",
                 "lockin_audit.guards.azure", "lockin_audit.guards.google",
                 "lockin_audit.sources.aws_guard")
# every module of the sources package, registered or not (helpers such as aws_facts too)
SOURCE_MODULES = tuple(sorted(
    {spec.partition(":")[0] for spec in BUILTIN_SOURCES.values()}
    | {f"lockin_audit.sources.{m.name}"
       for m in pkgutil.iter_modules([str(ROOT / "lockin_audit" / "sources")])}))


@pytest.mark.parametrize("module", GUARD_MODULES + SOURCE_MODULES
                         + ("lockin_audit.sources", "lockin_audit.sources.interface"))
def test_guards_and_sources_do_not_import_the_engine_or_the_check_api(module: str) -> None:
    code = ("import importlib, sys\n"
            f"importlib.import_module({module!r})\n"
            "print(sorted(m for m in sys.modules if m in "
            "('lockin_audit.engine', 'lockin_audit.check') "
            "or m.startswith('lockin_audit.report')))\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]", f"{module} imports {proc.stdout.strip()}"


def test_the_guard_still_refuses_through_its_new_home() -> None:
    from lockin_audit.guards import WriteRefused
    from lockin_audit.guards.http import assert_read_only_http

    assert_read_only_http("GET", "https://management.azure.com/subscriptions")
    assert_read_only_http("POST", "https://graph.microsoft.com/v1.0/directoryObjects/getByIds")
    with pytest.raises(WriteRefused):
        assert_read_only_http("POST", "https://graph.microsoft.com/v1.0/users")
    with pytest.raises(WriteRefused):
        assert_read_only_http("DELETE", "https://management.azure.com/subscriptions/x")


def _finding(status: Status, severity: Severity = Severity.HIGH, detail: str = "") -> Finding:
    holder = {Status.PASS: Holder.CLIENT, Status.FAIL: Holder.PROVIDER}.get(status,
                                                                           Holder.UNKNOWN)
    return Finding("t.check", "domain.registration", Asset("domain", "acme.com"), holder,
                   status, severity, "Who registered the domain", detail or status.value, "1. x")


@pytest.mark.parametrize(("statuses", "winner"), [
    ((Status.PASS, Status.FAIL), Status.FAIL),
    ((Status.FAIL, Status.PASS), Status.FAIL),
    ((Status.PASS, Status.ERROR), Status.ERROR),
    ((Status.ERROR, Status.WARN, Status.PASS), Status.ERROR),
    ((Status.MANUAL, Status.WARN), Status.WARN),
    ((Status.PASS, Status.MANUAL), Status.MANUAL),
    ((Status.ERROR, Status.FAIL), Status.FAIL),
])
def test_duplicates_keep_the_most_severe_status(statuses: tuple[Status, ...],
                                                winner: Status) -> None:
    findings = [_finding(s) for s in statuses]
    assert len({f.id for f in findings}) == 1
    kept = dedupe_findings(findings)
    assert [f.status for f in kept] == [winner]


def test_duplicates_same_status_keep_the_higher_severity_then_the_first() -> None:
    low, high = _finding(Status.FAIL, Severity.LOW), _finding(Status.FAIL, Severity.CRITICAL)
    assert dedupe_findings([low, high]) == [high]
    first, second = _finding(Status.PASS, detail="first"), _finding(Status.PASS, detail="2nd")
    assert dedupe_findings([first, second]) == [first]


def _result(findings: list[Finding], coverage: list[Coverage]) -> ScanResult:
    return ScanResult("2026-11-23T06:59:00Z", "2026-11-23T07:00:00Z", {"name": "Acme"},
                      ({"name": "Bob"},), None, tuple(findings), tuple(coverage), ())


def test_complete_scan_has_a_grade_and_incomplete_one_a_lower_bound() -> None:
    ok = scored(_result([_finding(Status.PASS)],
                        [Coverage("domain", "acme.com", True),
                         Coverage("aws", "aws (not configured)", False,
                                  "not configured in the audit file")]))
    assert ok.complete and ok.readiness is not None
    assert (ok.readiness.grade, ok.readiness.score, ok.readiness.complete) == ("A", 100, True)
    assert ok.to_dict()["complete"] is True
    # the same, but a configured target could not be read
    gap = scored(_result([_finding(Status.PASS)],
                         [Coverage("domain", "acme.com", True),
                          Coverage("aws", "profile acme", False, "access denied")]))
    assert not gap.complete and gap.readiness is not None
    assert gap.readiness.grade is None and not gap.readiness.complete
    assert [g.reason for g in gap.gaps()] == ["access denied"]
    data = gap.to_dict()
    assert data["complete"] is False and data["readiness"]["grade"] is None
    # an error finding alone makes a scan incomplete too
    err = readiness([_finding(Status.PASS), _finding(Status.ERROR, detail="HTTP 429")], [])
    assert err.grade is None and not err.complete
    # "not configured" is decided by the constant, not by wording
    assert not Coverage("aws", "x", False, "the profile is not configured for SSO").not_configured


# --- the CLI: invalid AWS credentials + one inventory file + --fail-on-gaps ----------------

# STS's documented error for a key it does not know (Query protocol, HTTP 403):
# https://docs.aws.amazon.com/STS/latest/APIReference/CommonErrors.html
STS_INVALID_TOKEN = (b'<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">'
                     b"<Error><Type>Sender</Type><Code>InvalidClientTokenId</Code>"
                     b"<Message>The security token included in the request is invalid."
                     b"</Message></Error><RequestId>4c1b2f3e-0000-4000-8000-000000000000"
                     b"</RequestId></ErrorResponse>")


def _invalid_token(method: str, path: str, headers: dict[str, str],
                   body: bytes) -> tuple[int, dict[str, str], bytes]:
    return 403, {"Content-Type": "text/xml"}, STS_INVALID_TOKEN


def test_invalid_aws_credentials_with_fail_on_gaps_exit_4(tmp_path: Path) -> None:
    server = LocalHttpServer(_invalid_token)
    try:
        (tmp_path / "aws-credentials").write_text(
            "[expired]\naws_access_key_id = AKIAEXPIREDEXPIRED00\n"
            "aws_secret_access_key = no-longer-valid\n", encoding="utf-8")
        (tmp_path / "aws-config").write_text("[profile expired]\nregion = us-east-1\n",
                                             encoding="utf-8")
        (tmp_path / "contracts.yaml").write_text(yaml.safe_dump({"contracts": [{
            "id": "INET-001", "category": "internet_line", "provider": "Metro Fiber Co",
            "account_holder": "Acme Dental LLC"}]}), encoding="utf-8")
        (tmp_path / "audit.yaml").write_text(yaml.safe_dump({
            "client": {"name": "Acme Dental LLC"},
            "provider": {"name": "Bob's IT Services"},
            "scan": {"inventory": ["contracts.yaml"],
                     "aws": [{"profile": "expired", "regions": ["us-east-1"],
                              "endpoint_url": server.url, "max_attempts": 1}]},
        }), encoding="utf-8")
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        env.update({"PYTHONPATH": str(ROOT), "CI": "true",
                    "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "aws-credentials"),
                    "AWS_CONFIG_FILE": str(tmp_path / "aws-config"),
                    "AWS_EC2_METADATA_DISABLED": "true"})

        def run(*extra: str) -> subprocess.CompletedProcess[str]:
            return subprocess.run(
                [sys.executable, "-m", "lockin_audit", "scan", "-c",
                 str(tmp_path / "audit.yaml"), "-o", str(tmp_path / "out"), "-f",
                 "html,json,md", "--no-history", *extra],
                capture_output=True, text=True, env=env, timeout=120)

        proc = run("--fail-on", "high", "--fail-on-gaps")
        assert proc.returncode == 4, proc.stdout + proc.stderr
        assert "Incomplete" in proc.stdout and "at least" in proc.stdout
        data = json.loads((tmp_path / "out" / "report.json").read_text("utf-8"))
        assert data["complete"] is False
        assert data["readiness"]["grade"] is None and data["readiness"]["complete"] is False
        assert any(c["area"] == "aws" and not c["assessed"] for c in data["coverage"])
        assert any(c["area"] == "contract" and c["assessed"] for c in data["coverage"])
        md = (tmp_path / "out" / "report.md").read_text("utf-8")
        summary = md[md.index("## Owner's summary"):].split("\n", 2)[2]
        assert summary.startswith("**Incomplete:")
        assert "InvalidClientTokenId" in summary
        assert "grade" not in md.split("### What you hold")[0].replace("no grade", "")
        html = (tmp_path / "out" / "report.html").read_text("utf-8")
        summary_html = html[html.index('<section id="summary">'):]
        text = " ".join(re.sub(r"<[^>]+>", " ", summary_html).split())
        assert text.startswith("Owner's summary Incomplete"), text[:200]
        assert "Incomplete: not everything configured could be read" in text
        assert "InvalidClientTokenId" in text
        assert "Grade " not in html
        # without --fail-on-gaps the same scan exits 0; scan.fail_on_gaps does the same
        assert run("--fail-on", "high").returncode == 0
        cfg = yaml.safe_load((tmp_path / "audit.yaml").read_text("utf-8"))
        cfg["scan"]["fail_on_gaps"] = True
        (tmp_path / "audit.yaml").write_text(yaml.safe_dump(cfg), encoding="utf-8")
        assert run("--fail-on", "high").returncode == 4
    finally:
        server.stop()


# ---------------------------------------------------------------------------------------
# the import graph, read statically: every import counts (TYPE_CHECKING and function-level
# imports too), because a circle hidden behind TYPE_CHECKING is still a circle in the design


def _import_graph() -> dict[str, set[str]]:
    import ast

    modules: dict[str, Path] = {}
    for base in ("lockin_audit", "checks"):
        for path in (ROOT / base).rglob("*.py"):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts = parts[:-1]
            modules[".".join(parts)] = path

    def known(name: str) -> str | None:  # the longest module prefix we have
        while name and name not in modules:
            name = name.rpartition(".")[0]
        return name or None

    graph: dict[str, set[str]] = {m: set() for m in modules}
    for module, path in modules.items():
        package = module if path.name == "__init__.py" else module.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    up = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                    base = ".".join([*up, base] if base else up)
                names = [base] + [f"{base}.{alias.name}" for alias in node.names]
            for name in names:
                target = known(name.replace("lockin_audit.builtin_checks", "checks"))
                # importing one's own package (parent) is how Python loads a submodule
                if target and target != module and not module.startswith(target + "."):
                    graph[module].add(target)
    return graph


def _circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_no_import_circle_among_all_modules_type_checking_included() -> None:
    assert _circles(_import_graph()) == []


def test_the_circle_finder_finds_a_circle() -> None:
    assert _circles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


LOWER_FLOORS = ("lockin_audit.facts", "lockin_audit.transport", "lockin_audit.guards",
                "lockin_audit.sources", "lockin_audit.scoring", "lockin_audit.model",
                "lockin_audit.identity", "lockin_audit.catalogue")
UPPER_FLOORS = ("lockin_audit.engine", "lockin_audit.check", "lockin_audit.report",
                "lockin_audit.cli", "lockin_audit.fleet", "lockin_audit.history", "checks")


def test_lower_floors_never_import_upper_ones_type_checking_included() -> None:
    graph = _import_graph()
    wrong = sorted(
        (module, target) for module, targets in graph.items() for target in targets
        if module.startswith(LOWER_FLOORS) and target.startswith(UPPER_FLOORS))
    assert wrong == []


def test_history_and_fleet_score_without_the_report_layer() -> None:
    graph = _import_graph()
    assert "lockin_audit.scoring" in graph["lockin_audit.history.store"] | graph["lockin_audit.fleet"]
    assert not any(t.startswith("lockin_audit.report") for t in graph["lockin_audit.scoring"])


# Test-only hooks live in the tests (tests/hooks.py), not in the shipped demo: its local
# servers offer one neutral hook point (LocalHttpServer's observers and interceptors) and
# define no fault map, request log or hit counter of their own.
TEST_ONLY_WORDS = frozenset({"fault", "faults", "requests", "calls", "hits"})


def _identifier_words(name: str) -> set[str]:
    return {w.lower() for w in re.findall(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])", name)}


def _test_only_names(source: str) -> list[tuple[int, str]]:
    import ast

    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(source)):
        names: list[str] = []
        if isinstance(node, ast.Name):
            names = [node.id]
        elif isinstance(node, ast.Attribute):
            names = [node.attr]
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names = [node.name]
        elif isinstance(node, ast.arg):
            names = [node.arg]
        elif isinstance(node, ast.keyword) and node.arg:
            names = [node.arg]
        elif isinstance(node, ast.Import | ast.ImportFrom):
            names = [a.asname or a.name for a in node.names]
            if isinstance(node, ast.ImportFrom) and node.module:
                names.append(node.module)
            if any(n == "tests" or n.startswith("tests.") for n in names):
                found.append((node.lineno, "imports from tests"))
        found.extend((getattr(node, "lineno", 0), n) for n in names
                     if _identifier_words(n) & TEST_ONLY_WORDS)
    return found


def test_the_shipped_demo_defines_no_fault_maps_or_request_logs() -> None:
    demo = ROOT / "lockin_audit" / "demo"
    wrong = {path.name: hits for path in sorted(demo.glob("*.py"))
             if (hits := _test_only_names(path.read_text(encoding="utf-8")))}
    assert wrong == {}, "test-only hooks belong in tests/hooks.py"
    # The demo plugs nothing into its servers' hook point: only tests do.
    for path in sorted(demo.glob("*.py")):
        if path.name != "local_http.py":
            text = path.read_text(encoding="utf-8")
            assert ".observers" not in text and ".interceptors" not in text, path.name


def test_the_demo_guard_finds_what_it_forbids() -> None:
    assert [n for _, n in _test_only_names("self.faults = {}\n")] == ["faults"]
    assert [n for _, n in _test_only_names("class FaultRule: pass\n")] == ["FaultRule"]
    assert [n for _, n in _test_only_names("x.requests.append(1)\n")] == ["requests"]
    assert [n for _, n in _test_only_names("def f(hits): pass\n")] == ["hits"]
    assert _test_only_names("from tests.hooks import watch\n")[0][1] == "imports from tests"
    assert _test_only_names("field(default_factory=dict)\nx.request\n") == []
