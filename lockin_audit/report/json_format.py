"""report.json: DESIGN.md section 5, validated by lockin_audit/schema/report.schema.json."""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

from lockin_audit.model import ScanResult
from lockin_audit.report.interface import Renderer

# Up to this many findings report.json is indented for reading (the demo, one client);
# above it, it is written compactly: Python's json module indents in pure Python only (the
# C encoder serves indent=None), which costs seconds at fleet and thousand-domain sizes.
# `python -m json.tool report.json` re-indents a compact one.
PRETTY_MAX_FINDINGS = 500


class JsonRenderer(Renderer):
    name = "json"
    filename = "report.json"

    def render(self, result: ScanResult) -> str:
        from lockin_audit.scoring import scored

        data = scored(result).to_dict()
        if len(result.findings) > PRETTY_MAX_FINDINGS:
            return json.dumps(data, ensure_ascii=False, separators=(",", ":")) + "\n"
        return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def load_schema() -> dict[str, Any]:
    text = resources.files("lockin_audit").joinpath("schema/report.schema.json").read_text(
        "utf-8")
    return json.loads(text)  # type: ignore[no-any-return]
