"""`lockin-audit fleet scan` and `lockin-audit fleet report` (see lockin_audit/fleet.py).

Kept apart from cli.py so that `lockin-audit --help` stays light; the heavy work is
imported inside the commands.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from lockin_audit.safety import printable

fleet_app = typer.Typer(
    name="fleet",
    help=("Many clients in one run: one audit file per client, one engine (shared pool, "
          "rate limits and public-data caches), sharded across machines with --shard."),
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
)


@fleet_app.command("scan")
def fleet_scan(
    files: Annotated[list[str], typer.Argument(metavar="AUDIT_FILE...", help="Audit files, one per client (paths or globs such as 'clients/*.yaml').")],
    output: Annotated[Path, typer.Option("--output", "-o", help="Folder for the reports: one sub-folder per client (its slug).")] = Path("lockin-fleet"),
    shard: Annotated[str | None, typer.Option("--shard", help="Only this shard's clients: I/N (by a stable hash of the client's name), or auto (from the job engine's environment: LOCKIN_AUDIT_SHARD, Kubernetes Indexed Jobs, AWS Batch arrays, GitLab, CircleCI, Buildkite).")] = None,
    shard_count: Annotated[int | None, typer.Option("--shard-count", help="With --shard auto: the number of shards, where the environment does not say (a Kubernetes Indexed Job's completions).")] = None,
    jobs: Annotated[int, typer.Option("--jobs", "-j", help="Clients scanned at the same time (they share one engine).", min=1, max=256)] = 8,
    formats: Annotated[str, typer.Option("--format", "-f", help="Comma-separated: html,json,md,sarif,csv,junit (letter.md is always written).")] = "html,json,md",
    only: Annotated[list[str] | None, typer.Option("--only", help="Only these areas (comma-separated or repeated).")] = None,
    check: Annotated[list[str] | None, typer.Option("--check", help="Only this check id (repeatable).")] = None,
    fail_on: Annotated[str, typer.Option("--fail-on", help="A client exits 1 when a provider-held finding is at or above this severity: critical, high, medium, low, info or none.")] = "high",
    fail_on_gaps: Annotated[bool, typer.Option("--fail-on-gaps", help="A client whose scan is incomplete exits 4.")] = False,
    no_cache: Annotated[bool, typer.Option("--no-cache", help="Ignore cached registry (RDAP) answers.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No line per client.")] = False,
    history: Annotated[str | None, typer.Option("--history", help="The fleet's history store, where every client's scan is recorded: a SQLite file path, sqlite:///PATH or postgresql://USER@HOST/DB (shards share one PostgreSQL). Default: history.sqlite in your data folder.")] = None,
    no_history: Annotated[bool, typer.Option("--no-history", help="Record nothing (and write no portfolio).")] = False,
    baseline: Annotated[str | None, typer.Option("--baseline", help="Compare each client with this, as scan --baseline does: last or last~N (that client's recorded scans), or a folder an earlier 'fleet scan -o' wrote (its <slug>/report.json; a client without one: every finding is new). Default with history: each client's last scan.")] = None,
    fail_on_new: Annotated[bool, typer.Option("--fail-on-new", help="A client exits 1 only for provider-held findings new or worse than its baseline (default baseline: last), or that outgrew their acceptance.")] = False,
    accept: Annotated[list[Path] | None, typer.Option("--accept", help="Acceptance file applied to every client, besides each audit file's scan.accept (repeatable).")] = None,
) -> None:
    """Scan many clients in one engine and write each one's reports to OUTDIR/<slug>/.

    Every scan is recorded in the history store; without --shard the run ends by writing
    the portfolio of its clients (OUTDIR/portfolio.html); sharded runs leave that to
    `lockin-audit fleet report` once every shard is done.

    Exit code: of the clients' codes, the first of 2 (a client could not be scanned: bad
    audit file or acceptance file, crash), 3 (a report could not be written), 5 (the
    history store refused a client's scan), 4 (a client is incomplete, with
    --fail-on-gaps), 1 (a client reached --fail-on; with --fail-on-new only for something
    new or worse than its baseline), else 0. A usage error of the command itself (bad --shard, no file, a
    history store that cannot be opened) is 2 before anything runs; 130 interrupted.
    """
    raise typer.Exit(execute(
        files, output=output, shard=shard, shard_count=shard_count, jobs=jobs,
        formats=formats, only=only, check=check, fail_on=fail_on, fail_on_gaps=fail_on_gaps,
        no_cache=no_cache, quiet=quiet, history=history, no_history=no_history,
        baseline=baseline, fail_on_new=fail_on_new, accept=accept))


def execute(files: list[str], *, output: Path, shard: str | None = None,
            shard_count: int | None = None, jobs: int = 8, formats: str = "html,json,md",
            only: list[str] | None = None, check: list[str] | None = None,
            fail_on: str = "high", fail_on_gaps: bool = False, no_cache: bool = False,
            quiet: bool = False, history: str | None = None,
            no_history: bool = False, baseline: str | None = None,
            fail_on_new: bool = False, accept: list[Path] | None = None) -> int:
    """`fleet scan` (also run by `demo --fleet`); returns the exit code."""
    import asyncio

    from lockin_audit.cli_common import (
        UsageError,
        _check_fail_on,
        _formats,
        _split,
        scan_cache_dir,
        select_checks,
    )
    from lockin_audit.fleet import (
        FleetError,
        FleetRun,
        expand,
        fleet_exit_code,
        in_shard,
        load_members,
        parse_shard,
        print_progress,
        write_summary,
    )

    fail_on = _check_fail_on(fail_on)
    fmts = _formats(formats)
    try:
        picked = parse_shard(shard, count=shard_count)
        paths = expand(files)
    except FleetError as exc:
        raise UsageError(str(exc)) from None
    if no_history and history:
        raise UsageError("--history and --no-history exclude each other.")
    baseline = _fleet_baseline(baseline, fail_on_new=fail_on_new, no_history=no_history)
    for path in accept or []:
        if not path.is_file():
            raise UsageError(f"--accept {path}: acceptance file not found.")
    checks = select_checks(_split(only), _split(check))
    members = load_members(paths)
    mine = in_shard(members, picked)
    store = None if no_history else _open_history(history)
    where = f" (shard {picked}, from {picked.origin})" if picked else ""
    if not quiet:
        print(f"fleet: {len(mine)} of {len(members)} client(s){where}; "
              f"{jobs} at a time in one engine", file=sys.stderr)
    run = FleetRun(mine, checks, output, fmts, jobs=jobs, fail_on=fail_on,
                   fail_on_gaps=fail_on_gaps, use_cache=not no_cache, cache_dir=scan_cache_dir,
                   store=store, on_done=(lambda o, n, t: None) if quiet else print_progress,
                   baseline=baseline, fail_on_new=fail_on_new,
                   accept_files=tuple(accept or ()))
    interrupted = False
    portfolio = None
    try:
        try:
            asyncio.run(run.run())
        except KeyboardInterrupt:
            interrupted = True
        summary = write_summary(output, picked, run.outcomes, len(members) - len(mine))
        recorded = [o.name for o in run.outcomes if o.scan_id is not None]
        if store is not None and picked is None and recorded and not interrupted:
            portfolio = _write_portfolio(store, output, [output], clients=recorded)
    finally:
        if store is not None:
            store.close()
    code = fleet_exit_code(run.outcomes)
    scanned = sum(1 for o in run.outcomes if o.error is None)
    print(f"Fleet: {scanned} client(s) scanned, {len(run.outcomes) - scanned} not "
          f"scanned; exit {130 if interrupted else code}. Summary: {summary}")
    if store is not None:
        print(printable(f"Recorded {sum(1 for o in run.outcomes if o.scan_id)} scan(s) in "
                        f"{store.display}"))
    if portfolio is not None:
        print(f"Portfolio: {portfolio.resolve()}")
    elif picked is not None and store is not None:
        print("After every shard: lockin-audit fleet report --history URL -o DIR "
              "--reports OUTDIR... writes the portfolio.")
    return 130 if interrupted else code


def _fleet_baseline(baseline: str | None, *, fail_on_new: bool, no_history: bool
                    ) -> str | None:
    """--baseline for a fleet: last / last~N (each client's recorded scans) or a folder
    of an earlier `fleet scan -o` (UsageError otherwise)."""
    import re

    from lockin_audit.cli_common import UsageError

    if baseline is None:
        if not fail_on_new:
            return None
        if no_history:
            raise UsageError("--fail-on-new needs a baseline: --baseline FOLDER (an earlier "
                             "'fleet scan -o' folder), or the history store (drop "
                             "--no-history).")
        return "last"
    text = baseline.strip()
    if re.fullmatch(r"last(~\d+)?", text):
        if no_history:
            raise UsageError(f"--baseline {text}: a scan reference needs the history store; "
                             "drop --no-history or give a folder of an earlier fleet scan.")
        return text
    if Path(text).is_dir():
        return text
    if text.isdigit():
        raise UsageError(f"--baseline {text}: a scan id names one client's scan; for a fleet "
                         "use last, last~N or a folder an earlier 'fleet scan -o' wrote.")
    raise UsageError(f"--baseline {text}: not last, last~N or a folder (an earlier "
                     "'fleet scan -o' output with one <client-slug>/report.json per client).")


def demo_fleet(output: Path, *, clients: int = 6, history: str | None = None) -> int:
    """`lockin-audit demo --fleet`: an MSP and its clients served by local DNS and RDAP
    servers (lockin_audit/demo/fleet.py), scanned as a fleet; ends with the portfolio's
    path. The example's audit files stay in OUTDIR/clients (they point at servers that
    only live during the demo)."""
    from lockin_audit.cli_common import UsageError
    from lockin_audit.demo import DemoUnavailable
    from lockin_audit.demo.fleet import fleet_estate

    try:
        with fleet_estate(output / "clients", clients=clients) as estate:
            return execute([str(p) for p in estate.audit_files], output=output,
                           formats="html,json,md,sarif,csv,junit", fail_on="none",
                           history=history or str(output / "history.sqlite"))
    except DemoUnavailable as exc:
        raise UsageError(str(exc)) from None


def _open_history(history: str | None) -> Any:
    from lockin_audit.cli_common import UsageError
    from lockin_audit.history import HistoryError, open_store

    try:
        return open_store(history)
    except HistoryError as exc:
        raise UsageError(str(exc)) from None


def _write_portfolio(store: Any, outdir: Path, report_dirs: list[Path],
                     clients: list[str] | None = None) -> Path:
    from lockin_audit.history import HistoryError
    from lockin_audit.report.portfolio import build_portfolio, write_portfolio

    try:
        portfolio = build_portfolio(store, clients=clients, report_dirs=report_dirs,
                                    outdir=outdir)
    except HistoryError as exc:
        from lockin_audit.cli_common import UsageError

        raise UsageError(str(exc)) from None
    html, _ = write_portfolio(portfolio, outdir)
    return html


@fleet_app.command("report")
def fleet_report(
    output: Annotated[Path, typer.Option("--output", "-o", help="Folder for portfolio.html and portfolio.json.")] = Path("lockin-portfolio"),
    history: Annotated[str | None, typer.Option("--history", help="The fleet's history store (path or URL; default: history.sqlite in your data folder).")] = None,
    reports: Annotated[list[Path] | None, typer.Option("--reports", help="A folder `fleet scan -o` wrote (repeatable, e.g. one per shard): each client's row links to its latest report.html there.")] = None,
    client: Annotated[list[str] | None, typer.Option("--client", help="Only this client (repeatable; default: every client in the store).")] = None,
) -> None:
    """Write the portfolio: one row per client with its latest score (or "incomplete"),
    provider-held findings by area, next deadline, change since the previous scan and a
    small trend, as a self-contained portfolio.html and portfolio.json."""
    store = _open_history(history)
    try:
        html = _write_portfolio(store, output, list(reports or []), clients=client or None)
    finally:
        store.close()
    print(f"wrote {output / 'portfolio.json'}")
    print(f"Portfolio: {html.resolve()}")
