"""Benchmark of the renderers on a large result (not a test).

Run: python bench/bench_report.py [--findings 20000]

Builds a ScanResult with N findings spread over every status, severity and area (with
evidence, deadlines and unidentified identifiers), renders it in every format and prints
per format: wall time, peak Python memory while rendering (tracemalloc), output size, and
the time and memory ratios against JSON (the cheapest format: the goal is that the human
formats stay within a small constant factor of it, i.e. linear in the findings).
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import sys
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from lockin_audit.model import (
    CONTROLS,
    Asset,
    Coverage,
    Evidence,
    Finding,
    Holder,
    ScanResult,
    Severity,
    Status,
    Unidentified,
)
from lockin_audit.report.interface import renderer
from lockin_audit.scoring import readiness

FORMATS = ("json", "html", "md", "csv", "sarif", "junit", "letter")
HOLDER_OF = {Status.PASS: Holder.CLIENT, Status.FAIL: Holder.PROVIDER,
             Status.WARN: Holder.UNKNOWN, Status.MANUAL: Holder.THIRD_PARTY,
             Status.ERROR: Holder.UNKNOWN}


def build(n: int) -> ScanResult:
    controls = sorted(CONTROLS)
    statuses = list(Status)
    severities = list(Severity)
    today = dt.date(2026, 11, 23)
    findings = []
    for i in range(n):
        control = controls[i % len(controls)]
        status = statuses[i % len(statuses)]
        asset = Asset("domain", f"d{i}.example", f"Asset {i} <b>tag</b>")
        ev = Evidence("dns", f"TXT d{i}.example", "2026-11-23T07:00:00Z",
                      {"answer": [f"v=spf1 include:_spf{i}.example -all",
                                  "<script>alert(1)</script>"]})
        findings.append(Finding(
            check_id=f"{control}.check{i % 3}", control=control, asset=asset,
            holder=HOLDER_OF[status], status=status, severity=severities[i % len(severities)],
            title=f"Check {control} {i % 3}", detail=f"Finding {i}: held as observed.",
            remediation="1. Ask the provider for it.\n2. Move it to your own account.",
            risk="Whoever holds this controls it.", evidence=(ev,),
            due=today + dt.timedelta(days=i % 400) if i % 7 == 0 else None, key=str(i)))
    coverage = tuple(Coverage("domain", f"d{i}.example", i % 50 != 0,
                              None if i % 50 else "timeout") for i in range(0, n, 10))
    unidentified = tuple(Unidentified("domain", f"u{i}.example", (f"NS of d{i}.example",),
                                      ("domain.dns_hosting",)) for i in range(200))
    return ScanResult("2026-11-23T07:00:00Z", "2026-11-23T07:05:00Z", {"name": "Acme"},
                      ({"name": "Bob's IT"},), readiness(findings, coverage),
                      tuple(findings), coverage, unidentified, tool_version="bench")


def measure(name: str, result: ScanResult) -> tuple[float, int, int]:
    """Wall time without tracing (tracemalloc slows Python down several times), then the
    peak traced memory of a second render."""
    r = renderer(name)
    r.render(result)  # warm up: template compilation is a one-off cost
    gc.collect()
    t0 = time.perf_counter()
    text = r.render(result)
    elapsed = time.perf_counter() - t0
    size = len(text.encode("utf-8"))
    del text
    gc.collect()
    tracemalloc.start()
    r.render(result)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return elapsed, peak, size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--findings", type=int, default=20000)
    args = parser.parse_args()
    result = build(args.findings)
    print(f"{args.findings} findings; time and peak memory of one render per format")
    print(f"{'format':8} {'time s':>8} {'peak MB':>8} {'out MB':>8} {'time/json':>10} "
          f"{'mem/json':>9}")
    base: tuple[float, int, int] | None = None
    for name in FORMATS:
        t, peak, size = measure(name, result)
        base = base or (t, peak, size)
        print(f"{name:8} {t:8.2f} {peak / 1e6:8.1f} {size / 1e6:8.1f} {t / base[0]:10.1f} "
              f"{peak / base[1]:9.1f}")


if __name__ == "__main__":
    main()
