"""The endpoints source: the files `lockin-audit endpoint collect` wrote on the business's
machines (`scan.endpoints`, globs allowed), read into typed facts.

One target for all of them ("endpoint files"), so that a check can count devices per tool
and instance. A pattern that matches no file, or a file that cannot be read or is not a
collector file, is kept as a FetchError beside the machines that were read: its checks
report it as not assessed, never as "no agent found".
"""

from __future__ import annotations

import glob
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lockin_audit.facts import FetchError
from lockin_audit.model import Asset, iso, utc_now
from lockin_audit.safety import printable
from lockin_audit.sources.interface import Source, SourceContext, Target

NAME = "endpoints"
FORMAT = "lockin-audit-endpoint/1"
MAX_FILE_BYTES = 5_000_000


@dataclass(frozen=True)
class EndpointAgent:
    tool: str  # the catalogue id (lockin_audit.endpoint.collect.TOOLS)
    name: str
    kind: str  # rmm | remote_control
    found_as: tuple[str, ...]
    instance: str | None  # the host or account it connects to, when the machine tells
    instance_source: str | None
    instance_note: str


@dataclass(frozen=True)
class Machine:
    host: str
    os: str
    file: str
    collected_at: str
    agents: tuple[EndpointAgent, ...]
    read: tuple[str, ...]
    not_read: tuple[str, ...]


@dataclass(frozen=True)
class EndpointFacts:
    machines: tuple[Machine, ...]
    unreadable: tuple[FetchError, ...]  # patterns with no file, files that cannot be read
    observed_at: str


def _text(value: Any, limit: int = 300) -> str:
    return printable(str(value))[:limit]


def parse_machine(data: Any, file: str) -> Machine:
    """One collector file (ValueError with the reason for anything else)."""
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ValueError(f"not a lockin-audit endpoint file (format {FORMAT!r} expected)")
    host = data.get("host")
    agents_raw = data.get("agents")
    if not isinstance(host, dict) or not isinstance(agents_raw, list):
        raise ValueError("'host' (an object) and 'agents' (a list) are required")
    agents = []
    for i, a in enumerate(agents_raw):
        if not isinstance(a, dict) or not isinstance(a.get("tool"), str):
            raise ValueError(f"agents[{i}]: an object with 'tool' expected")
        instance = a.get("instance")
        agents.append(EndpointAgent(
            tool=_text(a["tool"], 60), name=_text(a.get("name") or a["tool"], 120),
            kind=_text(a.get("kind") or "remote_control", 30),
            found_as=tuple(_text(x) for x in a.get("found_as") or ()),
            instance=_text(instance, 253).lower() if isinstance(instance, str) and instance
            else None,
            instance_source=_text(a["instance_source"]) if a.get("instance_source") else None,
            instance_note=_text(a.get("instance_note") or "")))
    return Machine(
        host=_text(host.get("name") or Path(file).stem, 120), os=_text(host.get("os") or "?", 20),
        file=file, collected_at=_text(data.get("collected_at") or "", 40),
        agents=tuple(agents), read=tuple(_text(x) for x in data.get("read") or ()),
        not_read=tuple(_text(x) for x in data.get("not_read") or ()))


class EndpointsSource(Source):
    name = NAME
    area = "devices"

    def configured(self, config: Any) -> bool:
        return bool(getattr(config.scan, "endpoints", None))

    async def targets(self, ctx: SourceContext) -> list[Target]:
        patterns = list(ctx.config.scan.endpoints)
        return [Target(NAME, self.area, "endpoint files",
                       f"endpoint files ({', '.join(patterns)})",
                       Asset("endpoint_files", "endpoint files", "endpoint files"))]

    async def fetch(self, target: Target, ctx: SourceContext) -> EndpointFacts:
        machines: list[Machine] = []
        unreadable: list[FetchError] = []
        for pattern in ctx.config.scan.endpoints:
            resolved = str(ctx.config.resolve_path(pattern))
            files = sorted(glob.glob(resolved, recursive=True))
            if not files:
                unreadable.append(FetchError(NAME, f"scan.endpoints {pattern}",
                                             "matches no file", kind="not_found"))
                continue
            for file in files:
                path = Path(file)
                try:
                    if path.stat().st_size > MAX_FILE_BYTES:
                        raise ValueError(f"over {MAX_FILE_BYTES // 1_000_000} MB")
                    machines.append(parse_machine(
                        json.loads(path.read_text(encoding="utf-8")), path.name))
                except (OSError, ValueError) as exc:
                    reason = getattr(exc, "strerror", None) or str(exc)
                    unreadable.append(FetchError(NAME, f"endpoint file {path.name}",
                                                 f"cannot be read: {reason}",
                                                 kind="malformed"))
        return EndpointFacts(tuple(machines), tuple(unreadable), iso(utc_now()))
