"""The readiness score: a documented, deterministic formula.

1. Each assessed finding (every status but `error`) carries a weight by severity:
   critical 10, high 5, medium 3, low 1, info 0.
2. It earns credit by status: pass 1, manual 0.5 (evidence to collect), warn 0.5 (a risk
   or an unknown holder to classify), fail 0 (held by the provider).
3. base = 100 x (sum of weight x credit) / (sum of weights); when nothing weighs, 100 if
   everything was assessed and 0 if something could not be (an unreadable estate is not
   a ready one).
4. Coverage gaps cost 2 points each, at most 20: every `error` finding and every target
   that was configured but could not be assessed (sources the audit file does not
   configure are not gaps).
5. score = round(max(0, base - gap penalty)).
6. Grade: A >= 90, B >= 75, C >= 60, D >= 40, else F. A critical fail caps the grade at
   D: a business cannot be "ready" while the provider holds a critical asset.
7. Incomplete is not ready: when anything configured could not be assessed (a gap in 4.,
   or an interrupted scan) there is no grade (None) and the score is only a lower bound
   ("at least N, incomplete"): what could not be read may hold more lock-in.
8. Blockers: fail findings of severity high or critical.
9. Accepted findings (an acceptance file entry that has not expired; see
   lockin_audit/history/acceptance.py) count for none of the above: the business knowingly
   leaves them with the provider until the acceptance expires. Their deadlines still show.

The engine produces the result; this module (the report layer) judges it: `scored`
returns the result with its `readiness`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace

from lockin_audit.model import (
    Coverage,
    Deadline,
    Finding,
    Readiness,
    ScanResult,
    Severity,
    Status,
)

WEIGHTS = {Severity.CRITICAL: 10, Severity.HIGH: 5, Severity.MEDIUM: 3, Severity.LOW: 1,
           Severity.INFO: 0}
CREDIT = {Status.PASS: 1.0, Status.MANUAL: 0.5, Status.WARN: 0.5, Status.FAIL: 0.0}
GAP_POINTS, GAP_CAP = 2, 20
GRADES = ((90, "A"), (75, "B"), (60, "C"), (40, "D"))


def readiness(findings: Sequence[Finding], coverage: Iterable[Coverage], *,
              interrupted: bool = False) -> Readiness:
    all_findings, findings = findings, [f for f in findings if f.accepted is None]
    weight_total = 0.0
    earned = 0.0
    per_status: dict[str, int] = {}
    for f in findings:
        per_status[f.status.value] = per_status.get(f.status.value, 0) + 1
        if f.status is Status.ERROR:
            continue
        w = WEIGHTS[f.severity]
        weight_total += w
        earned += w * CREDIT[f.status]
    errors = sum(1 for f in findings if f.status is Status.ERROR)
    gaps_cov = sum(1 for c in coverage if not c.assessed and not c.not_configured)
    gaps = errors + gaps_cov
    if weight_total:
        base = 100.0 * earned / weight_total
    else:
        base = 0.0 if gaps else 100.0
    penalty = min(GAP_CAP, GAP_POINTS * gaps)
    score = round(max(0.0, base - penalty))
    grade = next((g for limit, g in GRADES if score >= limit), "F")
    critical_fail = any(f.status is Status.FAIL and f.severity is Severity.CRITICAL
                        for f in findings)
    if critical_fail and grade in ("A", "B", "C"):
        grade = "D"
    complete = not gaps and not interrupted
    blockers = sum(1 for f in findings
                   if f.status is Status.FAIL and f.severity.at_least(Severity.HIGH))
    deadlines = tuple(sorted(
        (Deadline(f.due, f.title, f.id, f.severity) for f in all_findings
         if f.due is not None and f.status is not Status.PASS),
        key=lambda d: (d.date, -d.severity.rank, d.title)))
    breakdown = {
        "formula": "score = max(0, 100 x sum(weight x credit) / sum(weight) - gap penalty)",
        "weights": {k.value: v for k, v in WEIGHTS.items()},
        "credit": {k.value: v for k, v in CREDIT.items()},
        "weighted_total": weight_total,
        "weighted_earned": round(earned, 2),
        "base": round(base, 1),
        "errors": errors,
        "coverage_gaps": gaps_cov,
        "gap_penalty": penalty,
        "critical_fail_caps_grade": critical_fail,
        "findings_by_status": per_status,
        "accepted": len(all_findings) - len(findings),
        "complete": complete,
    }
    return Readiness(score, grade if complete else None, blockers, deadlines, breakdown,
                     complete)


def scored(result: ScanResult) -> ScanResult:
    """The result with its readiness computed (unchanged when it already has one)."""
    if result.readiness is not None:
        return result
    return replace(result, readiness=readiness(
        result.findings, result.coverage, interrupted=result.interrupted))


def readiness_of(result: ScanResult) -> Readiness:
    """The result's readiness, computing it when the result has not been scored yet."""
    return result.readiness or readiness(result.findings, result.coverage,
                                         interrupted=result.interrupted)


def score_text(r: Readiness) -> str:
    """How to state the score: "72 / 100, grade B", or "at least 40 / 100, incomplete"."""
    if not r.complete or r.grade is None:
        return f"at least {r.score} / 100, incomplete"
    return f"{r.score} / 100, grade {r.grade}"


def rescore(result: ScanResult) -> ScanResult:
    """The result with its readiness computed again from its findings and coverage (after
    acceptances were applied)."""
    return replace(result, readiness=readiness(result.findings, result.coverage,
                                               interrupted=result.interrupted))
