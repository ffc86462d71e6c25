"""`lockin-audit fleet scan` and `lockin-audit fleet report` (see lockin_audit/fleet.py).

Kept apart from cli.py so that `lockin-audit --help` stays light; the heavy work is
imported inside the commands.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

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
) -> None:
    """Scan many clients in one engine and write each one's reports to OUTDIR/<slug>/.

    Exit code: of the clients' codes, the first of 2 (a client could not be scanned: bad
    audit file, crash), 3 (a report could not be rendered), 4 (a client is incomplete,
    with --fail-on-gaps), 1 (a client reached --fail-on), else 0. A usage error of the
    command itself (bad --shard, no file) is 2 before anything runs; 130 interrupted.
    """
    import asyncio

    from lockin_audit.cli import (
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
    checks = select_checks(_split(only), _split(check))
    members = load_members(paths)
    mine = in_shard(members, picked)
    where = f" (shard {picked}, from {picked.origin})" if picked else ""
    if not quiet:
        print(f"fleet: {len(mine)} of {len(members)} client(s){where}; "
              f"{jobs} at a time in one engine", file=sys.stderr)
    run = FleetRun(mine, checks, output, fmts, jobs=jobs, fail_on=fail_on,
                   fail_on_gaps=fail_on_gaps, use_cache=not no_cache, cache_dir=scan_cache_dir,
                   on_done=(lambda o, n, t: None) if quiet else print_progress)
    interrupted = False
    try:
        asyncio.run(run.run())
    except KeyboardInterrupt:
        interrupted = True
    summary = write_summary(output, picked, run.outcomes, len(members) - len(mine))
    code = fleet_exit_code(run.outcomes)
    scanned = sum(1 for o in run.outcomes if o.error is None)
    print(f"Fleet: {scanned} client(s) scanned, {len(run.outcomes) - scanned} not "
          f"scanned; exit {130 if interrupted else code}. Summary: {summary}")
    if interrupted:
        raise typer.Exit(130)
    raise typer.Exit(code)
