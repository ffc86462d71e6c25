"""`lockin-audit doctor`: what can and cannot be assessed with these credentials."""

from __future__ import annotations

from lockin_audit import catalogue
from lockin_audit.config import AuditConfig
from lockin_audit.sources import BUILTIN_SOURCES, load_source
from lockin_audit.sources.interface import SourceContext
from lockin_audit.transport import Engine


async def run_doctor(config: AuditConfig) -> list[tuple[str, str, bool, str]]:
    """(area, what, ok, detail) for every configured source and target."""
    engine = Engine.from_limits(config.scan.limits)
    ctx = SourceContext(config=config, engine=engine, facts={}, cache_dir=None)
    lines: list[tuple[str, str, bool, str]] = []
    try:
        for name in BUILTIN_SOURCES:
            try:
                source = load_source(name)
            except ImportError as exc:
                lines.append((name, name, False, f"not available: {exc}"))
                continue
            if not source.configured(config):
                lines.append((source.area, name, True, "not configured: nothing to assess"))
                continue
            try:
                for what, ok, detail in await source.doctor(ctx):
                    lines.append((source.area, what, ok, detail))
            except Exception as exc:
                lines.append((source.area, name, False, f"{type(exc).__name__}: {exc}"))
            finally:
                await source.close()
    finally:
        await engine.aclose()
    return lines


def catalogue_notes(areas: set[str]) -> list[str]:
    """From the control catalogue, for the configured areas: what each control needs, and
    how many documented access paths of each platform this version does not read."""
    out: list[str] = []
    controls = [c for c in catalogue.controls().values() if c.area in areas]
    if controls:
        out.append("What each control of the configured areas needs (the control catalogue):")
        out.extend(f"  [{c.area}] {c.id} ({c.title}): {'; '.join(c.permissions)}"
                   for c in controls)
    for p in catalogue.platforms():
        unread = [x for x in p.paths if not x.read]
        if unread and areas & set(p.areas):
            out.append(f"Not read by this version ({p.name}): "
                       + "; ".join(x.title for x in unread) + ".")
    return out
