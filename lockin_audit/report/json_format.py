"""report.json: DESIGN.md section 5, validated by lockin_audit/schema/report.schema.json."""

from __future__ import annotations

import json
from collections.abc import Iterator
from importlib import resources
from typing import Any

from lockin_audit.model import ScanResult
from lockin_audit.report.interface import Renderer

# Up to this many findings report.json is indented for reading (the demo, one client);
# above it, it is written compactly: Python's json module indents in pure Python only (the
# C encoder serves indent=None), which costs seconds at fleet and thousand-domain sizes.
# `python -m json.tool report.json` re-indents a compact one.
PRETTY_MAX_FINDINGS = 500


# stands in for the findings in the document written around them
_FINDINGS_MARK = "\x00lockin-audit findings\x00"


def dumps_options(findings: int) -> dict[str, Any]:
    if findings > PRETTY_MAX_FINDINGS:
        return {"ensure_ascii": False, "separators": (",", ":")}
    return {"indent": 2, "ensure_ascii": False}


class JsonRenderer(Renderer):
    """The document is written around its findings, and the findings one at a time
    (`chunks`): neither the whole text nor the whole tree of dicts behind it is held at
    once, so memory stays flat however many findings a scan has (a 5,000-domain scan has
    55,000). The text is the same as `json.dumps` of `ScanResult.to_dict()`."""

    name = "json"
    filename = "report.json"

    def render(self, result: ScanResult) -> str:
        return "".join(self.chunks(result))

    def chunks(self, result: ScanResult) -> Iterator[str]:
        from lockin_audit.scoring import scored

        result = scored(result)
        options = dumps_options(len(result.findings))
        pretty = "indent" in options
        shell = result.to_dict(include_findings=False)
        shell["findings"] = _FINDINGS_MARK
        head, mark, tail = json.dumps(shell, **options).partition(
            json.dumps(_FINDINGS_MARK, **options))
        assert mark, "the findings' place in report.json"
        yield head
        if not result.findings:
            yield "[]"
        else:
            yield "["
            for n, f in enumerate(result.findings):
                text = json.dumps(f.to_dict(), **options)
                if pretty:  # the indentation json.dumps gives a list item at this depth
                    text = "\n" + "\n".join("    " + line for line in text.split("\n"))
                yield ("," if n else "") + text
            yield "\n  ]" if pretty else "]"
        yield tail + "\n"


def load_schema() -> dict[str, Any]:
    text = resources.files("lockin_audit").joinpath("schema/report.schema.json").read_text(
        "utf-8")
    return json.loads(text)  # type: ignore[no-any-return]
