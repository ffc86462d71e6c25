"""Benchmark of the evidence bundle (not a test): what writing it adds to a scan.

Run: python bench/bench_evidence.py [--runs 3]

Starts the demo estate once, then scans it `--runs` times without and with the bundle
(the fact snapshot, the manifest, an SSH signature with a fresh Ed25519 key), alternating
so that load on the machine hits both alike, and prints the median scan time of each, the
bundle's own time (snapshot + zip + signature), the ratio (goal: under 1.10) and the
bundle's size (goal: under 5 MB for the demo).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from lockin_audit import registry
from lockin_audit.demo import demo_estate
from lockin_audit.engine import Scanner, ScanOptions
from lockin_audit.evidence import write_bundle
from lockin_audit.report.interface import renderer
from lockin_audit.scoring import scored


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-evidence-"))
    key = work / "id_ed25519"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)],
                   check=True)
    checks = registry.all_checks()
    plain: list[float] = []
    with_bundle: list[float] = []
    bundle_only: list[float] = []
    size = 0
    with demo_estate(work / "demo") as cfg:
        for i in range(args.runs * 2):
            started = time.perf_counter()
            scanner = Scanner(cfg, checks, ScanOptions(use_cache=False))
            result = scored(asyncio.run(scanner.run()))
            report = renderer("json").render(result).encode()
            scanned = time.perf_counter()
            if i % 2:
                path = write_bundle(work / f"b{i}.zip", result, report, scanner.snapshot(),
                                    cfg, sign_key=key)
                done = time.perf_counter()
                size = path.stat().st_size
                with_bundle.append(done - started)
                bundle_only.append(done - scanned)
            else:
                plain.append(scanned - started)
    base, full = statistics.median(plain), statistics.median(with_bundle)
    print(f"scan without bundle: {base:.2f} s (median of {len(plain)})")
    print(f"scan with bundle:    {full:.2f} s (median of {len(with_bundle)})")
    print(f"bundle itself:       {statistics.median(bundle_only):.3f} s "
          f"(snapshot, manifest, zip, signature)")
    print(f"ratio: {full / base:.3f} (goal < 1.10); bundle size {size / 1e6:.2f} MB "
          f"(goal < 5 MB)")


if __name__ == "__main__":
    main()
