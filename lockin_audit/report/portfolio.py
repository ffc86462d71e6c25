"""The fleet's portfolio: one row per client from the history store (`fleet report`).

Each row: the latest scan's score and grade (or "incomplete" with the lower bound), the
provider-held findings by area, the next deadline, the change since the client's previous
scan, a small trend (inline SVG, no script) and a link to the client's latest report when
a folder of reports is given. Written as `portfolio.html` (self-contained, autoescaped,
a Content-Security-Policy that allows no script and no network) and `portfolio.json`.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import markupsafe

from lockin_audit.model import Status, iso, utc_now
from lockin_audit.safety import write_text_atomic

if TYPE_CHECKING:
    from lockin_audit.history.store import HistoryStore

PORTFOLIO_SCHEMA = "lockin-audit-portfolio/1"


@dataclass(frozen=True)
class TrendPoint:
    scan: str
    finished_at: str
    score: int
    complete: bool
    provider_held: int


@dataclass(frozen=True)
class PortfolioRow:
    client: str
    slug: str
    scan: str
    finished_at: str
    score: int
    grade: str | None
    complete: bool
    blockers: int
    provider_held: dict[str, int]
    next_deadline: dict[str, Any] | None  # date, days (from today; < 0 overdue), title, asset
    change: dict[str, Any] | None  # since the previous scan: score, provider_held, scan
    trend: tuple[TrendPoint, ...] = ()
    report: str | None = None  # path of the latest report.html, relative to the portfolio

    @property
    def held_total(self) -> int:
        return sum(self.provider_held.values())

    def to_dict(self) -> dict[str, Any]:
        return {
            "client": self.client, "slug": self.slug, "scan": self.scan,
            "finished_at": self.finished_at,
            "score": self.score, "grade": self.grade if self.complete else None,
            "complete": self.complete, "state": "complete" if self.complete else "incomplete",
            "blockers": self.blockers, "provider_held": dict(self.provider_held),
            "provider_held_total": self.held_total, "next_deadline": self.next_deadline,
            "change": self.change, "report": self.report,
            "trend": [{"scan": p.scan, "finished_at": p.finished_at, "score": p.score,
                       "complete": p.complete, "provider_held": p.provider_held}
                      for p in self.trend],
        }


@dataclass(frozen=True)
class Portfolio:
    generated_at: str
    store: str  # the store's display name (a URL's password is never shown)
    rows: tuple[PortfolioRow, ...]
    today: dt.date = field(default_factory=dt.date.today)

    @property
    def areas(self) -> list[str]:
        return sorted({a for r in self.rows for a in r.provider_held})

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema": PORTFOLIO_SCHEMA, "generated_at": self.generated_at,
            "store": self.store, "clients": len(self.rows),
            "incomplete": sum(1 for r in self.rows if not r.complete),
            "provider_held_total": sum(r.held_total for r in self.rows),
            "rows": [r.to_dict() for r in self.rows],
        }


def _slugs(report_dirs: Sequence[Path]) -> dict[str, str]:
    """Client name -> report folder name, from the fleet summaries (fleet*.json) that
    `fleet scan` wrote into the given folders."""
    found: dict[str, str] = {}
    for d in report_dirs:
        for path in sorted(d.glob("fleet*.json")):
            try:
                rows = json.loads(path.read_text(encoding="utf-8")).get("clients") or []
            except (OSError, ValueError, AttributeError):
                continue
            for row in rows:
                if isinstance(row, dict) and row.get("name") and row.get("slug"):
                    found.setdefault(str(row["name"]), str(row["slug"]))
    return found


def _report_link(slug: str, report_dirs: Sequence[Path], outdir: Path) -> str | None:
    """The newest `<dir>/<slug>/report.html` among the given folders, relative to the
    portfolio's folder."""
    found = [d / slug / "report.html" for d in report_dirs
             if (d / slug / "report.html").is_file()]
    if not found:
        return None
    newest = max(found, key=lambda p: p.stat().st_mtime)
    return Path(os.path.relpath(newest.resolve(), outdir.resolve())).as_posix()


def build_portfolio(store: HistoryStore, *, clients: Iterable[str] | None = None,
                    report_dirs: Sequence[Path] = (), outdir: Path = Path("."),
                    today: dt.date | None = None, trend_points: int = 12) -> Portfolio:
    """One row per client (all clients in the store, or the given ones that have a scan),
    most provider-held first."""
    from lockin_audit.fleet import slugify

    today = today or dt.date.today()
    names = list(clients) if clients is not None else store.clients()
    slugs = _slugs(report_dirs)
    rows = []
    for name in names:
        points = store.history_points(name)
        if not points:
            continue
        last = points[-1]
        latest = store.load(last.scan, client=name)
        record = latest.record
        deadline = None
        dated = sorted(
            (f for f in latest.result.findings
             if f.due is not None and f.status in (Status.FAIL, Status.WARN)
             and f.accepted is None),
            key=lambda f: (f.due, f.title))
        if dated:  # the first one still ahead, else the one that passed last
            ahead = [f for f in dated if f.due is not None and f.due >= today]
            f = ahead[0] if ahead else dated[-1]
            deadline = {"date": f.due.isoformat() if f.due else "", "title": f.title,
                        "asset": f.asset.name or f.asset.id,
                        "days": (f.due - today).days if f.due else 0}
        change = None
        if len(points) > 1:
            prev = points[-2]
            change = {"scan": prev.scan, "finished_at": prev.finished_at,
                      "score": last.score - prev.score,
                      "provider_held": (sum(last.provider_held.values())
                                        - sum(prev.provider_held.values()))}
        trend = tuple(TrendPoint(p.scan, p.finished_at, p.score, p.complete,
                                 sum(p.provider_held.values()))
                      for p in points[-trend_points:])
        slug = slugs.get(name) or slugify(name)
        rows.append(PortfolioRow(
            client=name, slug=slug, scan=last.scan, finished_at=last.finished_at,
            score=last.score, grade=last.grade, complete=last.complete,
            blockers=record.blockers, provider_held=dict(last.provider_held),
            next_deadline=deadline, change=change, trend=trend,
            report=_report_link(slug, report_dirs, outdir)))
    rows.sort(key=lambda r: (-r.held_total, r.score, r.client.casefold()))
    return Portfolio(iso(utc_now()), store.display, tuple(rows), today)


# ---------------------------------------------------------------- rendering


def trend_svg(points: Sequence[TrendPoint], width: int = 120, height: int = 32) -> markupsafe.Markup:
    """A sparkline of the score (0-100) over the client's scans; incomplete scans are
    hollow dots. Only numbers go into it."""
    if not points:
        return markupsafe.Markup("")
    pad = 3
    n = len(points)
    step = (width - 2 * pad) / max(1, n - 1)

    def xy(i: int, score: int) -> tuple[float, float]:
        return (pad + i * step if n > 1 else width / 2,
                pad + (100 - max(0, min(100, score))) * (height - 2 * pad) / 100)

    coords = [xy(i, p.score) for i, p in enumerate(points)]
    line = " ".join(f"{x:.1f},{y:.1f}" for x, y in coords)
    dots = "".join(
        f'<circle cx="{x:.1f}" cy="{y:.1f}" r="2.5" '
        f'fill="{"#175cd3" if p.complete else "#ffffff"}" stroke="#175cd3"/>'
        for (x, y), p in zip(coords, points, strict=True))
    label = ", ".join(f"{p.score}" + ("" if p.complete else " (incomplete)") for p in points)
    svg = (f'<svg class="trend" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
           f'role="img" aria-label="score over {n} scan(s): {label}">'
           f'<title>score over {n} scan(s): {label}</title>'
           f'<line x1="0" y1="{height - pad}" x2="{width}" y2="{height - pad}" stroke="#d0d5dd"/>'
           f'<polyline points="{line}" fill="none" stroke="#175cd3" stroke-width="1.5"/>'
           f'{dots}</svg>')
    return markupsafe.Markup(svg)


def render_html(portfolio: Portfolio) -> str:
    from lockin_audit.report.common import render_template

    return render_template("html", "portfolio.html.j2", p=portfolio, areas=portfolio.areas,
                           trend_svg=trend_svg)


def write_portfolio(portfolio: Portfolio, outdir: Path) -> tuple[Path, Path]:
    outdir.mkdir(parents=True, exist_ok=True)
    html_path = outdir / "portfolio.html"
    json_path = outdir / "portfolio.json"
    write_text_atomic(json_path, json.dumps(portfolio.to_dict(), indent=2) + "\n")
    write_text_atomic(html_path, render_html(portfolio))
    return html_path, json_path
