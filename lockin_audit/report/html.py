"""report.html: one self-contained file (inline CSS, inline SVG, no script, no external
asset) that a business owner can read, print to PDF and hand to a lawyer.

The template (report_templates/report.html.j2) is rendered with autoescaping on, so every
string from a scanned system is text, never markup.
"""

from __future__ import annotations

from lockin_audit.model import ScanResult
from lockin_audit.report.common import STATUS_ORDER, render_template, steps, summarize
from lockin_audit.report.interface import Renderer

# Colours of the status chart and badges (also in the template's CSS).
STATUS_COLOURS: dict[str, str] = {
    "fail": "#b42318", "error": "#6941c6", "warn": "#b54708", "manual": "#175cd3",
    "pass": "#067647",
}


def status_bar(counts: dict[str, int], width: int = 600) -> list[dict[str, object]]:
    """Segments of a stacked bar of findings by status (x, width, colour, label)."""
    total = sum(counts.values()) or 1
    x = 0.0
    out: list[dict[str, object]] = []
    for status in STATUS_ORDER:
        n = counts.get(status.value, 0)
        if not n:
            continue
        w = width * n / total
        out.append({"x": round(x, 2), "w": round(w, 2), "colour": STATUS_COLOURS[status.value],
                    "status": status.value, "count": n})
        x += w
    return out


class HtmlRenderer(Renderer):
    name = "html"
    filename = "report.html"

    def render(self, result: ScanResult) -> str:
        summary = summarize(result)
        return render_template("html", "report.html.j2", s=summary, r=result,
                               steps=steps, bar=status_bar(summary.status_counts),
                               colours=STATUS_COLOURS)
