"""The formats layer: a renderer reads only a ScanResult and returns one file's text."""

from __future__ import annotations

import codecs
import importlib
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import ClassVar

from lockin_audit.model import ScanResult
from lockin_audit.safety import write_chunks_atomic


class Renderer(ABC):
    name: ClassVar[str]  # what `-f` selects
    filename: ClassVar[str]  # the file written in the output folder
    # how the file is written: "utf-8-sig" puts a byte order mark first (the CSV, so that
    # Excel on Windows reads it as UTF-8 instead of the ANSI code page)
    encoding: ClassVar[str] = "utf-8"

    @abstractmethod
    def render(self, result: ScanResult) -> str:
        """The whole file's text. Must escape every untrusted string for its format."""

    def chunks(self, result: ScanResult) -> Iterator[str]:
        """The file's text in pieces, as `write_reports` writes it: a renderer whose output
        grows with the estate (report.json) streams it, so that the whole text (and the
        whole document tree behind it) is never held at once. By default, `render`."""
        yield self.render(result)

    def wanted(self, result: ScanResult) -> bool:
        """Companion outputs may skip themselves (an empty calendar, say)."""
        return True


# format name -> "module:Class"; imported lazily
RENDERERS: dict[str, str] = {
    "json": "lockin_audit.report.json_format:JsonRenderer",
    "html": "lockin_audit.report.html:HtmlRenderer",
    "md": "lockin_audit.report.markdown:MarkdownRenderer",
    "sarif": "lockin_audit.report.sarif:SarifRenderer",
    "csv": "lockin_audit.report.csv_format:CsvRenderer",
    "junit": "lockin_audit.report.junit:JunitRenderer",
    "letter": "lockin_audit.report.letter:LetterRenderer",
    "letter_html": "lockin_audit.report.letter:LetterHtmlRenderer",
    "letter_checklist": "lockin_audit.report.letter:LetterChecklistRenderer",
    "ics": "lockin_audit.report.ics:IcsRenderer",
}
# Written with every scan, whatever -f says: the request letter to the provider (Markdown
# and printable HTML), its complete checklist as a CSV when the letter names only part of
# it (a scan of thousands of items), and the deadlines calendar (each may skip itself when
# it has nothing to say).
COMPANIONS: tuple[str, ...] = ("letter", "letter_html", "letter_checklist", "ics")
DEFAULT_FORMATS: tuple[str, ...] = ("html", "json", "md")


class UnknownFormat(ValueError):
    pass


def renderer(name: str) -> Renderer:
    try:
        spec = RENDERERS[name]
    except KeyError:
        raise UnknownFormat(f"unknown format {name!r}; choose from "
                            f"{', '.join(RENDERERS)}") from None
    module_name, _, cls_name = spec.partition(":")
    cls = getattr(importlib.import_module(module_name), cls_name)
    return cls()  # type: ignore[no-any-return]


def _encoded(chunks: Iterable[str], encoding: str) -> Iterator[bytes]:
    """One incremental encoder for the whole file (a byte order mark only once)."""
    encoder = codecs.getincrementalencoder(encoding)()
    for chunk in chunks:
        data = encoder.encode(chunk)
        if data:
            yield data
    tail = encoder.encode("", final=True)
    if tail:
        yield tail


class RenderFailed(Exception):
    """Some formats could not be rendered; the others were written."""


def write_reports(result: ScanResult, outdir: Path, formats: list[str]) -> list[Path]:
    """Write the chosen formats plus the companions; returns the paths written.

    The result is scored first (`lockin_audit.scoring.scored`). JSON goes first, and one
    renderer failing never stops the others from being written
    (the failure is raised afterwards), so a result is not lost to a template bug."""
    from lockin_audit.scoring import scored

    result = scored(result)
    outdir.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    failures: list[str] = []
    names = sorted(dict.fromkeys([*formats, *COMPANIONS]), key=lambda n: n != "json")
    for name in names:
        try:
            r = renderer(name)
        except (UnknownFormat, ImportError):
            if name in COMPANIONS:
                continue
            raise
        if name in COMPANIONS and name not in formats and not r.wanted(result):
            continue
        path = outdir / r.filename
        try:
            # streamed to a temporary file and renamed: a symlink planted at `path` is
            # replaced, not followed, and a renderer failing halfway leaves no half file
            write_chunks_atomic(path, _encoded(r.chunks(result), r.encoding))
        except Exception as exc:
            failures.append(f"{name}: {type(exc).__name__}: {exc}")
            continue
        written.append(path)
    if failures:
        raise RenderFailed("could not render " + "; ".join(failures) + " (other formats: "
                           + ", ".join(str(p) for p in written) + ")")
    return written
