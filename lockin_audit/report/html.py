"""report.html: one self-contained file that a business owner can read on a phone, print
to PDF and hand to a lawyer: the owner's summary (score, asset map, plan, deadlines,
blockers per asset, what could not be checked) first, then the findings in detail by asset.

The template (report_templates/report.html.j2) is rendered with autoescaping on, so every
string from a scanned system is text, never markup. Its one inline script (the filters,
report_templates/report_filter.js) is allowed by its hash in the page's
Content-Security-Policy; nothing else can run, and the page needs no network.
"""

from __future__ import annotations

import base64
import hashlib
from functools import cache
from typing import Any

import markupsafe

from lockin_audit.model import (
    HELD_BY_PROVIDER_DEFINITION,
    Finding,
    Holder,
    ScanResult,
    held_by_provider,
    provider_held_accepted,
)
from lockin_audit.report.common import (
    STATUS_LABELS,
    STATUS_ORDER,
    area_label,
    check_groups,
    render_template,
    steps,
    summarize,
    templates_dir,
)
from lockin_audit.report.interface import Renderer
from lockin_audit.report.owner import FAMILIES, FAMILY_LABELS, holder_phrase, owner_view

# Colours of the status badges (also in the template's CSS); each also has a word and a
# symbol, so that nothing is told by colour alone.
STATUS_COLOURS: dict[str, str] = {
    "fail": "#b42318", "error": "#6941c6", "warn": "#b54708", "manual": "#175cd3",
    "pass": "#067647",
}
STATUS_SYMBOLS: dict[str, str] = {
    "fail": "✗", "error": "⊘", "warn": "!", "manual": "✎", "pass": "✓",
}
HOLDER_FILTER_LABELS: dict[str, str] = {
    "client": "you", "provider": "your provider", "third_party": "a third party (vendor)",
    "unknown": "someone not yet identified",
}
SCRIPT_NAME = "report_filter.js"


@cache
def filter_script() -> tuple[str, str]:
    """The filters' script and its CSP source expression ('sha256-...')."""
    text = (templates_dir() / SCRIPT_NAME).read_text(encoding="utf-8")
    if "</" in text:
        raise ValueError(f"{SCRIPT_NAME} must not contain '</'")
    digest = base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode()
    return text, f"sha256-{digest}"


def context(result: ScanResult) -> dict[str, Any]:
    """What report.html and report.md show: the summary, the owner's view and helpers."""
    summary = summarize(result)
    view = owner_view(result, summary.today)
    checks = {c.id: c for c in result.checks}
    held = [f for f in result.findings if held_by_provider(f)]
    held_rows = {row.key for row in view.rows for f in row.findings if held_by_provider(f)}
    held_accepted = sum(1 for f in result.findings if provider_held_accepted(f))
    script, script_hash = filter_script()
    areas = list(dict.fromkeys(f.area for f in result.findings))
    holders = [h for h in Holder if any(f.holder is h for f in result.findings)]
    return {
        "s": summary, "r": result, "ov": view, "steps": steps,
        "complete": summary.readiness.complete,
        "held_count": len(held), "held_assets": len(held_rows),
        "held_accepted": held_accepted, "held_definition": HELD_BY_PROVIDER_DEFINITION,
        "families": FAMILIES, "family_labels": FAMILY_LABELS,
        "check_groups": lambda fs: check_groups(fs, checks),
        "held_by": lambda h: holder_phrase(h, result),
        "status_symbols": STATUS_SYMBOLS,
        "holder_options": [(h.value, HOLDER_FILTER_LABELS[h.value]) for h in holders],
        "status_options": [(st.value, STATUS_LABELS[st.value]) for st in STATUS_ORDER
                           if any(f.status is st for f in result.findings)],
        "area_options": [(a, area_label(a)) for a in areas],
        "script": markupsafe.Markup(script), "script_hash": script_hash,
    }


def finding_anchor(f: Finding) -> str:
    return f"f-{f.id}"


class HtmlRenderer(Renderer):
    name = "html"
    filename = "report.html"

    def render(self, result: ScanResult) -> str:
        return render_template("html", "report.html.j2", **context(result))
