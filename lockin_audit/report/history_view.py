"""What the reports show from history: "since the last scan", the trend chart, and the
items left with the provider under an acceptance.

The report templates include `_history.*.j2` (changes and trend) and `_accepted.*.j2`
(accepted and expired acceptances) with one line each; those partials call
`history_view(r)` (a template global) for everything they show. The trend is plain SVG
geometry computed here (no script, no external asset; readable in print); every string
in it is escaped by the template.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from lockin_audit.model import Acceptance, Finding, HistoryPoint, ScanResult, human_date

# One colour per area (the provider-held bars), readable in greyscale by order and label.
AREA_COLOURS: dict[str, str] = {
    "domain": "#1f77b4", "aws": "#ff7f0e", "azure": "#2ca02c", "m365": "#d62728",
    "contract": "#9467bd", "custody": "#8c564b", "network": "#e377c2", "gws": "#7f7f7f",
    "gcp": "#bcbd22",
}
_SPARE = ("#17becf", "#393b79", "#637939", "#8c6d31", "#843c39")


def exceeded_text(f: Finding) -> str:
    """"accepted as warn, now fail" for a finding that outgrew its acceptance, with the
    severity and the holder when they moved too."""
    a = f.acceptance_exceeded
    if a is None:
        return ""
    was = a.status.value if a.status else f.status.value
    if a.severity is not None and a.severity is not f.severity and was == f.status.value:
        text = f"accepted as {was} ({a.severity.value}), now {f.status.value} ({f.severity.value})"
    else:
        text = f"accepted as {was}, now {f.status.value}"
        if a.severity is not None and a.severity is not f.severity:
            text += f" (severity {a.severity.value} then, {f.severity.value} now)"
    if a.holder is not None and a.holder is not f.holder:
        text += (f" (held by {a.holder.value.replace('_', ' ')} then, by "
                 f"{'the provider' if f.holder.value == 'provider' else f.holder.value.replace('_', ' ')} now)")
    return text


def accepted_text(a: Acceptance) -> str:
    return f"accepted until {human_date(a.expires)} by {a.by}: {a.reason}"


def accepted_sarif(f: Finding) -> dict[str, Any]:
    """SARIF 2.1.0 §3.27.23 `suppressions` for an accepted finding (kind external: the
    acceptance lives outside the scanned artefact; status accepted; the justification
    names the reason, who and until when). Empty for other findings."""
    if f.accepted is None:
        return {}
    a = f.accepted
    return {"suppressions": [{
        "kind": "external", "status": "accepted",
        "justification": f"{a.reason} (accepted by {a.by} until {human_date(a.expires)})",
        "properties": {"accepted_by": a.by, "expires": a.expires.isoformat()},
    }]}


@dataclass(frozen=True)
class ChangeRow:
    kind: str                    # new | resolved | changed | worse
    control: str
    asset_id: str
    title: str
    before: str
    after: str
    link: str | None             # anchor of the finding in this report, if it is in it


@dataclass(frozen=True)
class TrendChart:
    width: int
    height: int
    # score panel
    score_path: str
    score_points: tuple[tuple[float, float, int, str], ...]   # x, y, score, label
    # provider-held panel: per scan, stacked segments (x, y, w, h, colour, area, n)
    bars: tuple[tuple[tuple[float, float, float, float, str, str, int], ...], ...]
    bar_labels: tuple[tuple[float, float, int], ...]           # x, y, total
    x_labels: tuple[tuple[float, str], ...]
    legend: tuple[tuple[str, str], ...]                        # area, colour
    max_held: int
    score_top: float
    score_bottom: float
    held_top: float
    held_bottom: float
    left: float
    right: float


@dataclass(frozen=True)
class HistoryView:
    baseline: str | None
    counts: Mapping[str, int]
    rows: tuple[ChangeRow, ...]
    trend: TrendChart | None
    points: tuple[HistoryPoint, ...]
    accepted: tuple[Finding, ...] = ()
    expired: tuple[Finding, ...] = ()
    areas: tuple[str, ...] = field(default_factory=tuple)
    # acceptances a finding outgrew: (finding, "accepted as warn, now fail")
    exceeded: tuple[tuple[Finding, str], ...] = ()
    # acceptance-file entries that match nothing: (entry, why)
    unmatched: tuple[tuple[str, str], ...] = ()
    # the history store refused this scan: (store, why); None when recorded or no store
    not_recorded: tuple[str, str] | None = None

    @property
    def has_changes(self) -> bool:
        return self.baseline is not None


def _state(s: Mapping[str, Any] | None, not_assessed: bool = False) -> str:
    if not s:
        return "not assessed" if not_assessed else "gone"
    holder = str(s.get("holder", "")).replace("_", " ")
    return f"{s.get('status')} ({holder}, {s.get('severity')})"


def _rows(result: ScanResult) -> tuple[ChangeRow, ...]:
    c = result.changes
    if c is None:
        return ()
    by_id = {f.id: f for f in result.findings}
    rows: list[ChangeRow] = []
    for fid in c.new:
        f = by_id.get(fid)
        if f is not None:
            rows.append(ChangeRow("new", f.control, f.asset.id, f.title, "",
                                  _state({"holder": f.holder.value, "status": f.status.value,
                                          "severity": f.severity.value}), f"f-{f.id}"))
    for r in c.resolved:
        rid = str(r.get("id"))
        rows.append(ChangeRow("resolved", str(r.get("control")), str(r.get("asset_id")),
                              str(r.get("title")), _state(r.get("before")),
                              _state(r.get("after")), f"f-{rid}" if rid in by_id else None))
    for r in c.changed:
        rid = str(r.get("id"))
        rows.append(ChangeRow("worse" if r.get("worse") else "changed", str(r.get("control")),
                              str(r.get("asset_id")), str(r.get("title")),
                              _state(r.get("before")),
                              _state(r.get("after"), bool(r.get("not_assessed"))),
                              f"f-{rid}" if rid in by_id else None))
    for r in c.not_scanned:
        rows.append(ChangeRow("not scanned", str(r.get("control")), str(r.get("asset_id")),
                              str(r.get("title")), _state(r.get("before")),
                              f"not scanned: {r.get('reason') or 'not looked at'}", None))
    return tuple(rows)


def trend_chart(points: Sequence[HistoryPoint], width: int = 640) -> TrendChart | None:
    """Two panels on one x axis (one column per scan, oldest left): the score (0-100) as
    a line, and provider-held findings by area as stacked bars."""
    if not points:
        return None
    areas = sorted({a for p in points for a in p.provider_held})
    colours = dict(AREA_COLOURS)
    spare = iter(_SPARE * 4)
    legend = tuple((a, colours.setdefault(a, next(spare, "#444444"))) for a in areas)
    left, right = 44.0, float(width - 16)
    score_top, score_bottom = 24.0, 120.0
    held_top, held_bottom = 172.0, 262.0
    height = 300
    n = len(points)
    step = (right - left) / n
    xs = [left + step * (i + 0.5) for i in range(n)]
    score_pts = tuple(
        (round(x, 1), round(score_bottom - (score_bottom - score_top) * p.score / 100, 1),
         p.score, p.grade or "-") for x, p in zip(xs, points, strict=True))
    path = " ".join(f"{'M' if i == 0 else 'L'}{x},{y}" for i, (x, y, _, _) in
                    enumerate(score_pts))
    max_held = max([sum(p.provider_held.values()) for p in points] + [1])
    bar_w = min(36.0, step * 0.6)
    bars = []
    labels = []
    for x, p in zip(xs, points, strict=True):
        y = held_bottom
        segs = []
        for area, colour in legend:
            count = int(p.provider_held.get(area, 0))
            if not count:
                continue
            h = (held_bottom - held_top) * count / max_held
            y -= h
            segs.append((round(x - bar_w / 2, 1), round(y, 1), round(bar_w, 1), round(h, 1),
                         colour, area, count))
        bars.append(tuple(segs))
        labels.append((round(x, 1), round(y - 4, 1), sum(p.provider_held.values())))
    x_labels = tuple((round(x, 1), f"#{p.scan} {p.finished_at[:10]}")
                     for x, p in zip(xs, points, strict=True))
    return TrendChart(width, height, path, score_pts, tuple(bars), tuple(labels), x_labels,
                      legend, max_held, score_top, score_bottom, held_top, held_bottom,
                      left, right)


def history_view(result: ScanResult) -> HistoryView:
    c = result.changes
    counts = ({"new": len(c.new), "resolved": len(c.resolved), "changed": len(c.changed),
               "not_scanned": len(c.not_scanned), "unchanged": c.unchanged} if c else {})
    accepted = tuple(sorted((f for f in result.findings if f.accepted is not None),
                            key=lambda f: (f.accepted.expires if f.accepted else None,
                                           f.control, f.asset.id)))
    expired = tuple(f for f in result.findings if f.acceptance_expired is not None)
    return HistoryView(
        baseline=c.baseline if c else None, counts=counts, rows=_rows(result),
        trend=trend_chart(result.history), points=tuple(result.history),
        accepted=accepted, expired=expired,
        areas=tuple(sorted({a for p in result.history for a in p.provider_held})),
        exceeded=tuple((f, exceeded_text(f)) for f in result.findings
                       if f.acceptance_exceeded is not None),
        unmatched=tuple((str(a.get("entry")), str(a.get("problem")))
                        for a in result.acceptances if a.get("problem")),
        not_recorded=_not_recorded(result))


def _not_recorded(result: ScanResult) -> tuple[str, str] | None:
    rec = result.recording
    if not rec or rec.get("recorded"):
        return None
    return str(rec.get("store") or ""), str(rec.get("error") or "not recorded")
