"""report.csv: one row per finding, for spreadsheets.

Spreadsheets run a cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage return as
a formula (CSV injection), and scanned values (DNS TXT records, tags, contact names) are
attacker-controlled. Such cells, lines inside multi-line cells and comma-separated pieces
of a cell get a leading apostrophe; the csv module quotes every cell. The file starts
with a UTF-8 byte order mark (Excel's cue that the file is UTF-8).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator

from lockin_audit.model import Finding, ScanResult, sort_findings
from lockin_audit.report.common import evidence_line, steps, xml_text
from lockin_audit.report.interface import Renderer

COLUMNS: tuple[str, ...] = (
    "id", "status", "severity", "holder", "area", "control", "check_id", "asset_type",
    "asset_id", "asset_name", "title", "detail", "due", "why_it_matters", "remediation",
    "evidence", "references", "accepted_until", "accepted_reason", "accepted_by",
)
# The start of the cell, of a line in it, and of a comma-separated piece of it (for naive
# consumers that split lines on commas without honouring quotes), after any quotes.
_FORMULA_START = re.compile(r"(^|\n|,)(\"*)(?=[=+\-@\t\r])")


def safe_cell(value: object) -> str:
    """The cell's text, with every formula trigger neutralised by an apostrophe."""
    text = xml_text(value).replace("\r\n", "\n")
    return _FORMULA_START.sub(r"\1\2'", text)


def csv_chunks(columns: Iterable[str], rows: Iterable[Iterable[object]]) -> Iterator[str]:
    """A CSV file, every cell quoted and made safe (`safe_cell`), in chunks of about 64 KB
    (the file is never held whole)."""
    buf = io.StringIO()
    writer = csv.writer(buf, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
    writer.writerow(columns)
    for values in rows:
        writer.writerow([safe_cell(v) for v in values])
        if buf.tell() > 65536:
            yield buf.getvalue()
            buf.seek(0)
            buf.truncate()
    yield buf.getvalue()


def row(f: Finding) -> list[object]:
    return [
        f.id, f.status.value, f.severity.value, f.holder.value, f.area, f.control,
        f.check_id, f.asset.type, f.asset.id, f.asset.name or "", f.title, f.detail,
        f.due.isoformat() if f.due else "", f.risk,
        "\n".join(f"{n}. {s}" for n, s in enumerate(steps(f.remediation), 1)),
        "\n".join(evidence_line(e) for e in f.evidence), "\n".join(f.references),
        f.accepted.expires.isoformat() if f.accepted else "",
        f.accepted.reason if f.accepted else "", f.accepted.by if f.accepted else "",
    ]


class CsvRenderer(Renderer):
    name = "csv"
    filename = "report.csv"
    # A UTF-8 byte order mark first: Excel on Windows opens a CSV without one in the ANSI
    # code page and garbles every non-ASCII name (csv.DictReader callers: read the file
    # with encoding="utf-8-sig").
    encoding = "utf-8-sig"

    def render(self, result: ScanResult) -> str:
        return "".join(self.chunks(result))

    def chunks(self, result: ScanResult) -> Iterator[str]:
        """A row at a time (the file is never held whole)."""
        return csv_chunks(COLUMNS, (row(f) for f in sort_findings(result.findings)))
