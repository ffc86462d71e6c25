"""report.md: the HTML report's content as Markdown (for a ticket, a wiki or a pull request):
the owner's summary (score, asset map, plan, deadlines, blockers per asset), then the
findings in detail by asset.

Rendered by report_templates/report.md.j2 in an environment whose `finalize` passes every
`{{ ... }}` through `md_escape`, the Markdown counterpart of HTML autoescaping: untrusted
strings become one inert line (HTML as entities, Markdown punctuation and pipes escaped).
"""

from __future__ import annotations

import json
from typing import Any

from lockin_audit.model import ScanResult
from lockin_audit.report.common import render_template
from lockin_audit.report.interface import Renderer


def compact(excerpt: Any) -> str:
    """An evidence excerpt on one line (md_escape then makes it inert)."""
    if isinstance(excerpt, str):
        return excerpt
    return json.dumps(excerpt, ensure_ascii=False, separators=(", ", ": "), default=str)


class MarkdownRenderer(Renderer):
    name = "md"
    filename = "report.md"

    def render(self, result: ScanResult) -> str:
        from lockin_audit.report.html import context

        return render_template("md", "report.md.j2", **context(result), compact=compact)
