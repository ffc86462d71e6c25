"""A matcher for garbled finding text (shared by the Azure tests and the demo test):
findings must never show an empty name, 'None', '()' or a doubled separator."""

from __future__ import annotations

import re
from collections.abc import Iterable

from lockin_audit.model import Finding

# Garbled text: a 'None', an empty '()' or "''", a separator with nothing before or
# after it (" , ", " . ", ",,", ": ."), a doubled dot (not an ellipsis) or space, a
# parenthesis with a space inside. "None of ..." is English; "::" in an ARN is not a
# separator; ".de" and "..." are not doubled dots.
BAD_TEXT = re.compile(r"\bNone\b(?! of)|\(\)|''|\s[,;:](\s|$)|\s\.(\s|$)|[,;]\s*[,;.]|"
                      r":\s*[,;.](\s|$)|(?<!\.)\.\.(?!\.)|\S  \S|\( |\s\)|^\s|\s$")


def garbled(findings: Iterable[Finding]) -> list[tuple[str, str, str]]:
    """(check id, field, line) of every finding text that BAD_TEXT matches."""
    out = []
    for f in findings:
        for field in ("title", "detail", "remediation"):
            for line in getattr(f, field).splitlines():
                if BAD_TEXT.search(line):
                    out.append((f.check_id, field, line))
        if f.asset.name is not None and not f.asset.name.strip():
            out.append((f.check_id, "asset.name", repr(f.asset.name)))
    return out
