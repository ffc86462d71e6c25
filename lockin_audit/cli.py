"""The command line (DESIGN.md section 3).

Exit codes: 0 done and nothing at or above --fail-on; 1 findings at or above --fail-on;
2 usage or configuration error (one paragraph, never a traceback); 3 a renderer failed;
4 incomplete under --fail-on-gaps; 5 the history store given with --history (or
scan.history) refused to record the scan; 130 interrupted.

Heavy modules (SDKs, the engine, renderers) are imported inside the commands so that
`lockin-audit --help` stays instant and never imports boto3 or azure.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from lockin_audit.safety import printable, write_text_atomic

if TYPE_CHECKING:
    from lockin_audit.config import AuditConfig
    from lockin_audit.evidence import EvidenceOptions
    from lockin_audit.history.scan_hooks import ScanHistory
    from lockin_audit.model import ScanResult

from lockin_audit.cli_common import (
    UsageError,
    _check_fail_on,
    _formats,
    _split,
    scan_cache_dir,
    select_checks,
)

app = typer.Typer(
    name="lockin-audit",
    help=(
        "Find which IT assets are held in your managed service provider's name instead of "
        "yours - domains, DNS, mail, AWS accounts, Azure subscriptions, Microsoft 365 "
        "admin and partner access, internet lines and other contracts - and write a "
        "migration-readiness report before you switch providers. Read-only: it never "
        "changes anything it inspects."
    ),
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
)

def _use_progress(no_progress: bool) -> bool:
    return not no_progress and sys.stderr.isatty() and not os.environ.get("CI")


class _PlainProgress:
    """One line per assessed target on stderr, for logs (not a terminal)."""

    def __init__(self, quiet: bool) -> None:
        self.quiet = quiet

    def add_targets(self, area: str, count: int) -> None:
        pass

    def target_done(self, area: str, target: str, ok: bool, detail: str) -> None:
        if not self.quiet:
            state = "ok" if ok else "NOT ASSESSED"
            print(printable(f"[{area}] {target}: {state} ({detail})"), file=sys.stderr)


class _RichProgress:
    def __init__(self) -> None:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

        self.bar = Progress(TextColumn("{task.description}"), BarColumn(),
                            MofNCompleteColumn(), transient=True)
        self.tasks: dict[str, Any] = {}

    def add_targets(self, area: str, count: int) -> None:
        if area in self.tasks:
            self.bar.update(self.tasks[area], total=self.bar.tasks[self.tasks[area]].total + count)
        else:
            self.tasks[area] = self.bar.add_task(f"{area:<9}", total=count)

    def target_done(self, area: str, target: str, ok: bool, detail: str) -> None:
        if area in self.tasks:
            self.bar.advance(self.tasks[area])


def run_scan(config: AuditConfig, *, outdir: Path, formats: list[str],
             only: list[str], check_ids: list[str], progress: bool, use_cache: bool = True,
             quiet: bool = False,
             finish: Callable[[ScanResult], ScanResult] | None = None,
             evidence: EvidenceOptions | None = None,
             ) -> tuple[ScanResult, list[Path]]:
    """Run a scan and write its reports; an interrupted scan still writes what it has.
    `finish` (history: acceptances, baseline, recording) runs before the reports;
    `evidence` writes the evidence bundle after them (exit 3 if it cannot be written)."""
    import asyncio

    from lockin_audit.engine import Scanner, ScanOptions
    from lockin_audit.report.interface import write_reports
    from lockin_audit.scoring import scored

    selected = select_checks(only, check_ids)
    live = _RichProgress() if progress else None
    sink = live or _PlainProgress(quiet)
    scanner = Scanner(config, selected, ScanOptions(
        areas=tuple(only), check_ids=tuple(check_ids), use_cache=use_cache,
        cache_dir=scan_cache_dir(config), progress=sink))
    interrupted = False
    try:
        if live:
            with live.bar:
                result = asyncio.run(scanner.run())
        else:
            result = asyncio.run(scanner.run())
    except KeyboardInterrupt:
        interrupted = True
        result = scanner.result(interrupted=True)
    result = scored(result)  # the report layer judges what the engine produced
    if finish is not None:
        result = finish(result)
    if evidence is not None:
        import dataclasses

        result = dataclasses.replace(result, evidence_bundle=evidence.path.name)
    written = write_reports(result, outdir, formats)
    if evidence is not None:
        written.append(_write_evidence(evidence, scanner, result, config, outdir))
    if interrupted:
        print(f"Interrupted: partial results written to {outdir}", file=sys.stderr)
        raise typer.Exit(130)
    return result, written


def _write_evidence(evidence: EvidenceOptions, scanner: Any, result: ScanResult,
                    config: AuditConfig, outdir: Path) -> Path:
    from lockin_audit.evidence import EvidenceError, write_bundle
    from lockin_audit.report.interface import renderer

    report_path = outdir / "report.json"
    report_json = (report_path.read_bytes() if report_path.is_file()
                   else renderer("json").render(result).encode("utf-8"))
    try:
        return write_bundle(evidence.path, result, report_json, scanner.snapshot(), config,
                            sign_key=evidence.sign_key, timestamp_url=evidence.timestamp_url)
    except EvidenceError as exc:
        print(f"evidence bundle not written: {exc}", file=sys.stderr)
        raise typer.Exit(3) from None


def _evidence_options(cfg: AuditConfig, evidence: Path | None, sign_key: Path | None,
                      timestamp: str | None) -> EvidenceOptions | None:
    from lockin_audit.evidence import EvidenceOptions

    path = evidence or (cfg.resolve_path(cfg.scan.evidence) if cfg.scan.evidence else None)
    if path is None:
        if sign_key or timestamp:
            raise UsageError("--sign-key and --timestamp sign the evidence bundle: give "
                             "--evidence FILE.zip (or scan.evidence in the audit file) too.")
        return None
    if sign_key is not None and not sign_key.is_file():
        raise UsageError(f"--sign-key {sign_key}: no such file (an SSH private key: "
                         "Ed25519, ECDSA or RSA).")
    return EvidenceOptions(Path(path), sign_key, timestamp)


def _summary(result: ScanResult, written: list[Path]) -> None:
    from lockin_audit.model import Status, held_by_provider, provider_held_accepted
    from lockin_audit.scoring import readiness_of

    r = readiness_of(result)
    counts = {s: len(result.findings_by_status(s)) for s in Status}
    if not r.complete:
        gaps = result.gaps()
        print(printable(f"Incomplete: {len(gaps)} thing(s) could not be read (first: "
                        f"{gaps[0].what}: {gaps[0].reason})") if gaps
              else "Incomplete: interrupted")
    score = (f"{r.score}/100 (grade {r.grade})" if r.complete
             else f"at least {r.score}/100 (incomplete, no grade)")
    held = sum(1 for f in result.findings if held_by_provider(f))
    accepted = sum(1 for f in result.findings if provider_held_accepted(f))
    other_fail = counts[Status.FAIL] - held - accepted
    print(f"Readiness {score}, {r.blockers} blocker(s); "
          f"{held} held by the provider"
          + (f" (and {accepted} accepted)" if accepted else "")
          + (f", {other_fail} failed with a holder to classify" if other_fail else "")
          + f", {counts[Status.WARN]} warnings, "
          f"{counts[Status.MANUAL]} to confirm, {counts[Status.ERROR]} not assessed, "
          f"{counts[Status.PASS]} in order.")
    for p in written:
        print(f"wrote {p}")


# Exit code when the scan is incomplete and --fail-on-gaps (or scan.fail_on_gaps) is set.
EXIT_INCOMPLETE = 4


def _exit_for(result: ScanResult, fail_on: str, fail_on_new: bool = False,
              fail_on_gaps: bool = False) -> int:
    """1 when a provider-held finding (not accepted) is at or above --fail-on; with
    --fail-on-new only findings new or worse than the baseline count. Else 4 when the
    scan is incomplete and gaps should fail it (--fail-on-gaps); else 0."""
    if _fail_on_hit(result, fail_on, fail_on_new):
        return 1
    if fail_on_gaps and not result.complete:
        return EXIT_INCOMPLETE
    return 0


def _fail_on_hit(result: ScanResult, fail_on: str, fail_on_new: bool) -> bool:
    from lockin_audit.history.diff import fails_gate

    return fails_gate(result, fail_on, fail_on_new)


def _history_for(cfg: AuditConfig, *, history: str | None, no_history: bool,
                 baseline: str | None, accept: list[Path] | None,
                 fail_on_new: bool) -> ScanHistory:
    """Prepare acceptances, the baseline and the store before scanning (exit 2 on a bad
    acceptance file, baseline or store)."""
    from lockin_audit.history.scan_hooks import ScanHistory

    if no_history and history:
        raise UsageError("--history and --no-history exclude each other.")
    if fail_on_new and baseline is None:
        if no_history:
            raise UsageError("--fail-on-new needs a baseline: --baseline FILE, or the "
                             "history store (drop --no-history).")
        baseline = "last"
    return ScanHistory(cfg, store_target=history, enabled=not no_history, baseline=baseline,
                       accept_files=list(accept or [])).prepare()


def _history_notes(hist: ScanHistory) -> None:
    for note in hist.notes:
        print(printable(f"history: {note}"), file=sys.stderr)
    if hist.scan_id is not None and hist.store is not None:
        print(printable(f"recorded scan {hist.scan_id} in {hist.store.display}"))


@app.command()
def scan(
    config: Annotated[Path, typer.Option("--config", "-c", help="The audit file (YAML).")],
    output: Annotated[Path, typer.Option("--output", "-o", help="Folder for the reports.")] = Path("lockin-report"),
    formats: Annotated[str, typer.Option("--format", "-f", help="Comma-separated: html,json,md,sarif,csv,junit (the letter to the provider, letter.md and letter.html, is always written).")] = "html,json,md",
    only: Annotated[list[str] | None, typer.Option("--only", help="Only these areas: domain, aws, azure, m365, contract, custody, network (comma-separated or repeated).")] = None,
    check: Annotated[list[str] | None, typer.Option("--check", help="Only this check id (repeatable).")] = None,
    fail_on: Annotated[str, typer.Option("--fail-on", help="Exit 1 when a provider-held finding is at or above this severity: critical, high, medium, low, info or none.")] = "high",
    no_progress: Annotated[bool, typer.Option("--no-progress", help="No progress bar (it is off anyway when not on a terminal or under CI).")] = False,
    no_cache: Annotated[bool, typer.Option("--no-cache", help="Ignore cached registry (RDAP) answers.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print only the summary.")] = False,
    fail_on_gaps: Annotated[bool, typer.Option("--fail-on-gaps", help="Exit 4 when the scan is incomplete (something configured could not be read) and nothing else failed it; also scan.fail_on_gaps in the audit file.")] = False,
    history: Annotated[str | None, typer.Option("--history", help="History store: a SQLite file path, sqlite:///PATH or postgresql://USER@HOST/DB (default: scan.history, else history.sqlite in your data folder).")] = None,
    no_history: Annotated[bool, typer.Option("--no-history", help="Record nothing and compare with nothing recorded.")] = False,
    baseline: Annotated[str | None, typer.Option("--baseline", help="Compare with this: a report.json, or a recorded scan (last, last~N, an id). Default with history: the last scan.")] = None,
    fail_on_new: Annotated[bool, typer.Option("--fail-on-new", help="Exit 1 only for findings new or worse than the baseline (default baseline: last).")] = False,
    accept: Annotated[list[Path] | None, typer.Option("--accept", help="Acceptance file: items knowingly left with the provider until a date (repeatable).")] = None,
    evidence: Annotated[Path | None, typer.Option("--evidence", help="Also write an evidence bundle (zip): the facts read, the report, the audit file and a manifest of SHA-256 hashes (also scan.evidence).")] = None,
    sign_key: Annotated[Path | None, typer.Option("--sign-key", help="Sign the bundle's manifest with this SSH private key (namespace lockin-audit; checkable with ssh-keygen -Y verify). A passphrase comes from $LOCKIN_AUDIT_SIGN_KEY_PASSPHRASE.")] = None,
    timestamp: Annotated[str | None, typer.Option("--timestamp", help="RFC 3161 time-stamping authority URL: a time stamp over the bundle's manifest (only its SHA-256 is sent).")] = None,
) -> None:
    """Scan what the audit file configures and write the reports."""
    from lockin_audit.config import load_config

    fail_on = _check_fail_on(fail_on)
    fmts = _formats(formats)
    cfg = load_config(config)
    evidence_opts = _evidence_options(cfg, evidence, sign_key, timestamp)
    hist = _history_for(cfg, history=history, no_history=no_history, baseline=baseline,
                        accept=accept, fail_on_new=fail_on_new)
    try:
        result, written = run_scan(cfg, outdir=output, formats=fmts, only=_split(only),
                                   check_ids=_split(check),
                                   progress=_use_progress(no_progress),
                                   use_cache=not no_cache, quiet=quiet, finish=hist.finish,
                                   evidence=evidence_opts)
    finally:
        hist.close()
    _summary(result, written)
    _history_notes(hist)
    if hist.record_failed and hist.explicit:
        from lockin_audit.history.scan_hooks import EXIT_NOT_RECORDED

        print(f"error: the scan was not recorded in the history store given with "
              f"--history/scan.history (exit {EXIT_NOT_RECORDED}); the reports are written "
              "and say so.", file=sys.stderr)
        raise typer.Exit(EXIT_NOT_RECORDED)
    raise typer.Exit(_exit_for(result, fail_on, fail_on_new,
                              fail_on_gaps or cfg.scan.fail_on_gaps))


@app.command()
def demo(
    output: Annotated[Path, typer.Option("--output", "-o", help="Folder for the reports.")] = Path("lockin-demo"),
    open_report: Annotated[bool, typer.Option("--open", help="Open report.html in a browser afterwards.")] = False,
    no_progress: Annotated[bool, typer.Option("--no-progress", help="No progress bar.")] = False,
    history: Annotated[str | None, typer.Option("--history", help="Record the demo scan in this history store (a path or URL) and show what changed since its last demo scan. Without it the demo records nothing.")] = None,
    fleet: Annotated[bool, typer.Option("--fleet", help="Scan an example fleet instead: an MSP and six clients, scanned in one engine; ends with the portfolio (default folder lockin-fleet-demo, history in it).")] = False,
    evidence: Annotated[Path | None, typer.Option("--evidence", help="Also write an evidence bundle (zip), as scan does.")] = None,
    sign_key: Annotated[Path | None, typer.Option("--sign-key", help="Sign the bundle's manifest with this SSH private key, as scan does.")] = None,
    timestamp: Annotated[str | None, typer.Option("--timestamp", help="RFC 3161 time-stamping authority URL, as scan does.")] = None,
) -> None:
    """Scan a built-in simulated estate (a dental practice and its IT provider), served by
    local servers that the demo starts and stops itself. Runs offline."""
    if fleet:
        from lockin_audit.fleet_cli import demo_fleet

        raise typer.Exit(demo_fleet(Path("lockin-fleet-demo") if output == Path("lockin-demo")
                                    else output, history=history))
    import tempfile

    from lockin_audit.demo import DemoUnavailable, demo_estate

    hist = None
    try:
        # The demo's servers, their logs, CA files and the demo AWS credentials file live
        # in a private temporary folder removed afterwards, never in the output folder.
        with tempfile.TemporaryDirectory(prefix="lockin-demo-") as work, \
                demo_estate(Path(work)) as cfg:
            evidence_opts = _evidence_options(cfg, evidence, sign_key, timestamp)
            if history:
                hist = _history_for(cfg, history=history, no_history=False, baseline=None,
                                    accept=None, fail_on_new=False)
            result, written = run_scan(
                cfg, outdir=output, formats=["html", "json", "md", "sarif", "csv", "junit"],
                only=[], check_ids=[], progress=_use_progress(no_progress), quiet=True,
                finish=hist.finish if hist else None, evidence=evidence_opts)
    except DemoUnavailable as exc:
        raise UsageError(str(exc)) from None
    finally:
        if hist:
            hist.close()
    _summary(result, written)
    if hist:
        _history_notes(hist)
    html = output / "report.html"
    if open_report:
        import webbrowser

        webbrowser.open(html.resolve().as_uri())
    print(f"Report: {html.resolve()}")


@app.command()
def verify(
    bundle: Annotated[Path, typer.Argument(help="An evidence bundle (zip) written by scan --evidence.")],
    allowed_signers: Annotated[Path | None, typer.Option("--allowed-signers", help="An ssh-keygen allowed-signers file: the signature must be by one of its keys (namespace lockin-audit).")] = None,
    tsa_ca: Annotated[Path | None, typer.Option("--tsa-ca", help="PEM certificate of the time-stamping authority's issuer, to check the time stamp's certificate against.")] = None,
) -> None:
    """Check an evidence bundle: every member's SHA-256 against the manifest, the SSH
    signature and the RFC 3161 time stamp. Exit 0 when all hold, 1 when anything fails."""
    from lockin_audit.evidence import EvidenceError, verify_bundle

    try:
        v = verify_bundle(bundle, allowed_signers=allowed_signers, tsa_ca=tsa_ca)
    except EvidenceError as exc:
        print(f"FAILED: {exc}")
        raise typer.Exit(1) from None
    for line in v.checked:
        print(f"ok: {line}")
    for line in v.notes:
        print(f"note: {line}")
    for line in v.failures:
        print(f"FAILED: {line}")
    print("verified" if v.ok else "NOT verified")
    raise typer.Exit(0 if v.ok else 1)


@app.command()
def judge(
    bundle: Annotated[Path, typer.Argument(help="An evidence bundle (zip) written by scan --evidence.")],
    output: Annotated[Path, typer.Option("--output", "-o", help="Folder for the reports.")] = Path("lockin-judged"),
    formats: Annotated[str, typer.Option("--format", "-f", help="Formats to render.")] = "html,json,md",
) -> None:
    """Re-run this version's checks on the facts recorded in a bundle, offline, and write
    the reports with a comparison against the report recorded in the bundle (judge.md).
    The bundle's hashes are checked first."""
    from lockin_audit.evidence import (
        EvidenceError,
        judge_bundle,
        judgement_markdown,
        verify_bundle,
    )
    from lockin_audit.report.interface import write_reports

    fmts = _formats(formats)
    try:
        v = verify_bundle(bundle)
        if not v.ok:
            raise UsageError(f"{bundle} does not verify ({'; '.join(v.failures)}): "
                             "nothing judged.")
        j = judge_bundle(bundle, output / ".bundle")
    except EvidenceError as exc:
        raise UsageError(f"{bundle}: {exc}") from None
    written = write_reports(j.result, output, fmts)
    summary = output / "judge.md"
    summary.write_text(judgement_markdown(j, bundle), encoding="utf-8")
    for path in [*written, summary]:
        print(f"wrote {path}")
    print("same judgement as recorded" if j.identical else
          f"judged differently: {len(j.new)} new, {len(j.gone)} gone, "
          f"{len(j.changed)} changed (see {summary})")


@app.command("checks")
def list_checks(
    fmt: Annotated[str, typer.Option("--format", help="table or json")] = "table",
) -> None:
    """List every check, built-in and from plugins."""
    import json

    from lockin_audit import registry

    try:
        checks = registry.all_checks()
    except registry.RegistryError as exc:
        raise UsageError(str(exc)) from None
    if fmt == "json":
        rows = [{**c.meta.info().to_dict(), "source": c.meta.source, "origin": c.origin,
                 **_catalogue_of(c.id, c.meta.control)} for c in checks]
        print(json.dumps(rows, indent=2))
        return
    if fmt != "table":
        raise UsageError(f"--format must be table or json, not {fmt!r}.")
    from rich.console import Console
    from rich.table import Table

    from lockin_audit import catalogue

    table = Table(title=f"{len(checks)} checks")
    for col in ("id", "control", "severity", "title", "plan step", "paths read", "origin"):
        table.add_column(col)
    for c in checks:
        control = catalogue.control(c.meta.control)
        table.add_row(c.id, c.meta.control, c.meta.severity.value, c.meta.title,
                      control.phase if control else "", str(len(catalogue.paths_read_by(c.id))),
                      c.origin)
    console = Console(width=160)
    console.print(table)
    for p in catalogue.platforms():
        unread = [x for x in p.paths if not x.read]
        if unread:
            console.print(f"{p.name}: {len(unread)} of {len(p.paths)} documented access paths "
                          "are not read by this version (see docs/catalogue.md).")


def _catalogue_of(check_id: str, control_id: str) -> dict[str, Any]:
    """What the control catalogue says of a check: its control's plan step, letter ask and
    permissions, and the access paths the check reads."""
    from lockin_audit import catalogue

    control = catalogue.control(control_id)
    out: dict[str, Any] = {"paths": [p.id for p in catalogue.paths_read_by(check_id)],
                           "scopes": list(catalogue.check_scopes(check_id))}
    if control is not None:
        out.update({"control_title": control.title, "phase": control.phase,
                    "ask": f"{control.short_ask}: {control.ask}",
                    "permissions": list(control.permissions)})
    return out


@app.command()
def init(
    path: Annotated[Path, typer.Argument(help="Where to write the starter audit file.")] = Path("audit.yaml"),
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
) -> None:
    """Write a commented starter audit file."""
    from lockin_audit.config import STARTER

    if path.exists() and not force:
        raise UsageError(f"{path} already exists; use --force to overwrite it.")
    write_text_atomic(path, STARTER)
    print(f"wrote {path}; edit it, then run: lockin-audit scan -c {path}")


@app.command()
def report(
    result_file: Annotated[Path, typer.Argument(help="A report.json from an earlier scan.")],
    formats: Annotated[str, typer.Option("--format", "-f", help="Formats to render.")] = "html",
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Folder (default: beside the JSON).")] = None,
    history: Annotated[str | None, typer.Option("--history", help="Also read the client's trend (and, when the result has none, what changed since the scan before it) from this history store.")] = None,
) -> None:
    """Re-render a saved result in other formats (with its recorded history, if any)."""
    import json

    from lockin_audit.model import ScanResult
    from lockin_audit.report.interface import write_reports

    fmts = _formats(formats)
    try:
        data = json.loads(result_file.read_text(encoding="utf-8"))
        result = ScanResult.from_dict(data)
    except FileNotFoundError:
        raise UsageError(f"{result_file}: no such file.") from None
    except (ValueError, KeyError, TypeError) as exc:
        raise UsageError(f"{result_file}: is not a lockin-audit report.json ({exc}).") from None
    if history:
        from lockin_audit.history import HistoryError
        from lockin_audit.history.scan_hooks import with_recorded_history

        with _open_history(history) as store:
            try:
                result = with_recorded_history(result, store)
            except HistoryError as exc:
                raise UsageError(str(exc)) from None
    written = write_reports(result, output or result_file.parent, fmts)
    for p in written:
        print(f"wrote {p}")


def _open_history(history: str | None) -> Any:
    from lockin_audit.history import HistoryError, open_store

    try:
        return open_store(history)
    except HistoryError as exc:
        raise UsageError(str(exc)) from None


@app.command("history")
def history_cmd(
    client: Annotated[str | None, typer.Option("--client", help="Only this client's scans.")] = None,
    history: Annotated[str | None, typer.Option("--history", help="History store (path or URL; default: history.sqlite in your data folder).")] = None,
    fmt: Annotated[str, typer.Option("--format", "-f", help="table or json")] = "table",
) -> None:
    """List the scans recorded in the history store."""
    import json

    if fmt not in ("table", "json"):
        raise UsageError(f"--format must be table or json, not {fmt!r}.")
    with _open_history(history) as store:
        from lockin_audit.history import HistoryError

        try:
            records = store.scans(client)
        except HistoryError as exc:
            raise UsageError(str(exc)) from None
        display = store.display
    if fmt == "json":
        print(json.dumps({"store": display, "scans": [r.to_dict() for r in records]},
                         indent=2, ensure_ascii=False))
        return
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    table = Table(title=f"{len(records)} scan(s) in {escape(printable(display))}")
    for col in ("scan", "client", "finished", "score", "grade", "blockers",
                "provider-held", "complete"):
        table.add_column(col)
    for r in records:
        table.add_row(str(r.id), escape(printable(r.client)), r.finished_at, str(r.score),
                      r.grade or "-", str(r.blockers), str(r.provider_held),
                      "yes" if r.complete else "no")
    Console(width=160).print(table)


@app.command()
def diff(
    old: Annotated[str, typer.Argument(help="A report.json, or a recorded scan: last, last~N or a scan id.")],
    new: Annotated[str, typer.Argument(help="A report.json, or a recorded scan: last, last~N or a scan id.")],
    fmt: Annotated[str, typer.Option("--format", "-f", help="table, md or json")] = "table",
    client: Annotated[str | None, typer.Option("--client", help="Whose scans 'last' means (needed when the store holds several clients).")] = None,
    history: Annotated[str | None, typer.Option("--history", help="History store (path or URL; default: history.sqlite in your data folder).")] = None,
) -> None:
    """Print the findings that are new, resolved and changed between two scans."""
    from lockin_audit.history import HistoryError
    from lockin_audit.history.diff import render_json, render_md, render_table, view
    from lockin_audit.history.scan_hooks import is_scan_ref, load_result_file

    if fmt not in ("table", "md", "json"):
        raise UsageError(f"--format must be table, md or json, not {fmt!r}.")
    sides: dict[str, tuple[ScanResult | None, str]] = {}
    for name in (old, new):
        if not is_scan_ref(name):
            r = load_result_file(Path(name))
            sides[name] = (r, name)
            client = client or str(r.client.get("name") or "") or None
    refs = [n for n in (old, new) if n not in sides]
    if refs:
        with _open_history(history) as store:
            try:
                for ref in refs:
                    stored = store.load(ref, client=client)
                    sides[ref] = (stored.result,
                                  f"scan {stored.record.id} ({stored.record.finished_at})")
            except HistoryError as exc:
                raise UsageError(str(exc)) from None
    (old_r, old_label), (new_r, new_label) = sides[old], sides[new]
    assert old_r is not None and new_r is not None
    v = view(old_r, new_r, old_label, new_label)
    render = {"table": render_table, "md": render_md, "json": render_json}[fmt]
    sys.stdout.write(render(v))


@app.command()
def doctor(
    config: Annotated[Path, typer.Option("--config", "-c", help="The audit file (YAML).")],
) -> None:
    """Say, per target, what can and cannot be assessed with the current credentials."""
    import asyncio

    from lockin_audit.config import load_config
    from lockin_audit.doctor import run_doctor

    cfg = load_config(config)
    lines = asyncio.run(run_doctor(cfg))
    ok_all = True
    for area, what, ok, detail in lines:
        ok_all &= ok
        print(printable(f"{'OK ' if ok else 'NO '} [{area}] {what}: {detail}"))
    if not ok_all:
        print("Some targets cannot be fully assessed; a scan will report them as errors.")
    from lockin_audit.doctor import catalogue_notes

    for line in catalogue_notes({area for area, _, _, detail in lines
                                 if not detail.startswith("not configured")}):
        print(printable(line))


def _add_fleet() -> None:
    from lockin_audit.fleet_cli import fleet_app

    app.add_typer(fleet_app, name="fleet")


_add_fleet()

endpoint_app = typer.Typer(help="Remote-access agents on the business's machines.",
                           no_args_is_help=True, add_completion=False, rich_markup_mode=None)
app.add_typer(endpoint_app, name="endpoint")


@endpoint_app.command("collect")
def endpoint_collect(
    output: Annotated[Path, typer.Option("--output", "-o", help="The JSON file to write (give these files to scan.endpoints).")],
    root: Annotated[Path | None, typer.Option("--root", help="Read the file system below this folder (a mounted disk image; a Windows drive as ROOT/C/...).")] = None,
    registry_export: Annotated[Path | None, typer.Option("--registry-export", help="A regedit /e export to read instead of the live registry.")] = None,
    os_name: Annotated[str | None, typer.Option("--os", help="windows, macos or linux (default: this machine's).")] = None,
    hostname: Annotated[str | None, typer.Option("--hostname", help="The machine's name in the file (default: this machine's).")] = None,
) -> None:
    """List the RMM and remote-control agents on this machine and the instance each
    reports to (read-only, standard library only; never reads secrets). The same code runs
    alone as `python3 collect.py -o FILE.json` on a machine without lockin-audit."""
    from lockin_audit.endpoint.collect import main as collect_main

    argv = ["-o", str(output)]
    for flag, value in (("--root", root), ("--registry-export", registry_export),
                        ("--os", os_name), ("--hostname", hostname)):
        if value is not None:
            argv += [flag, str(value)]
    raise typer.Exit(collect_main(argv))


def main() -> None:
    from lockin_audit.config import ConfigError
    from lockin_audit.report.interface import RenderFailed

    try:
        # Without standalone mode click returns a command's exit code instead of exiting.
        code = app(standalone_mode=False)
        if isinstance(code, int) and code:
            sys.exit(code)
    except RenderFailed as exc:
        print(printable(f"error: {exc}", keep_newlines=True), file=sys.stderr)
        sys.exit(3)
    except (ConfigError, UsageError) as exc:
        print(printable(f"error: {exc}", keep_newlines=True), file=sys.stderr)
        sys.exit(2)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except (typer.Abort, KeyboardInterrupt):
        print("aborted", file=sys.stderr)
        sys.exit(130)
    except Exception as exc:
        # Click's usage errors arrive here in non-standalone mode (typer may vendor click,
        # so recognise them by shape rather than by class).
        if callable(getattr(exc, "show", None)) and isinstance(getattr(exc, "exit_code", None), int):
            exc.show()  # type: ignore[attr-defined]
            sys.exit(2)
        raise


if __name__ == "__main__":
    main()
