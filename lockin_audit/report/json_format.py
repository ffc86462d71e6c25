"""report.json: DESIGN.md section 5, validated by lockin_audit/schema/report.schema.json."""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

from lockin_audit.model import ScanResult
from lockin_audit.report.interface import Renderer


class JsonRenderer(Renderer):
    name = "json"
    filename = "report.json"

    def render(self, result: ScanResult) -> str:
        from lockin_audit.scoring import scored

        return json.dumps(scored(result).to_dict(), indent=2, ensure_ascii=False) + "\n"


def load_schema() -> dict[str, Any]:
    text = resources.files("lockin_audit").joinpath("schema/report.schema.json").read_text(
        "utf-8")
    return json.loads(text)  # type: ignore[no-any-return]
