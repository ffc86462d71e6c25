"""Devices (control devices.remote_access): the RMM and remote-control agents on the
business's machines, from the files `lockin-audit endpoint collect` wrote on them.

One finding per tool and instance, with the machines it is on. The instance decides the
holder: the provider's configured `remote_access` instances (or a host on the provider's
domains) are the provider's door into every one of those machines; the business's own are
a pass; an instance that cannot be told from the machine (TeamViewer, NinjaOne ...) or
that belongs to nobody configured is a warning to settle in writing. What was not read
(machines without a file, tools not in the catalogue) is never called clean.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator

from lockin_audit.check import CheckContext, check
from lockin_audit.identity import IdKind
from lockin_audit.model import Asset, Evidence, Finding, Holder, Severity, Status
from lockin_audit.sources.endpoints import EndpointAgent, EndpointFacts, Machine
from lockin_audit.sources.intune import DetectedRemoteApp, IntuneFacts

SHOWN_DEVICES = 50  # devices named in the detail; the evidence lists every one


def _asset(agent: EndpointAgent) -> Asset:
    instance = agent.instance or "instance not told"
    return Asset("remote_access", f"{agent.tool}:{agent.instance or 'unknown'}",
                 f"{agent.name} ({instance})")


def _devices(hosts: Iterable[str], noun: str = "device") -> str:
    names = sorted(set(hosts))
    shown = ", ".join(names[:SHOWN_DEVICES])
    more = f" and {len(names) - SHOWN_DEVICES} more" if len(names) > SHOWN_DEVICES else ""
    return f"{len(names)} {noun}{'s' if len(names) != 1 else ''} ({shown}{more})"


@check(
    id="devices.remote_access.agents",
    control="devices.remote_access",
    source="endpoints",
    severity=Severity.HIGH,
)
def remote_access_agents(facts: EndpointFacts, ctx: CheckContext) -> Iterator[Finding]:
    for problem in facts.unreadable:
        yield ctx.error(Asset("endpoint_file", problem.request, problem.request), problem,
                        key=problem.request)
    if not facts.machines:
        return
    groups: dict[tuple[str, str | None], list[tuple[Machine, EndpointAgent]]] = defaultdict(list)
    for machine in facts.machines:
        for agent in machine.agents:
            groups[(agent.tool, agent.instance)].append((machine, agent))
    read_scope = (f"the catalogued RMM and remote-control tools, on the {len(facts.machines)} "
                  "machine(s) whose collector files were read")
    if not groups:
        hosts = ", ".join(sorted(m.host for m in facts.machines)[:SHOWN_DEVICES])
        yield ctx.finding(
            asset=Asset("endpoint_files", "endpoint files", "endpoint files"),
            holder=Holder.CLIENT, status=Status.PASS, key="none-found",
            title="No catalogued remote-access agent on the machines read",
            detail=f"No catalogued remote-access agent was found ({read_scope}: {hosts}). "
                   "Machines without a collector file and tools outside the catalogue were "
                   "not read.")
        return
    for (_tool, instance), seen in sorted(groups.items(), key=lambda kv: (kv[0][0],
                                                                          kv[0][1] or "")):
        agent = seen[0][1]
        machines = [m for m, _ in seen]
        devices = _devices(m.host for m in machines)
        evidence = [Evidence("endpoints", f"endpoint collect on {m.host} ({m.file})",
                             m.collected_at, {"tool": a.name, "found_as": list(a.found_as),
                                              "instance": a.instance,
                                              "instance_from": a.instance_source})
                    for m, a in seen]
        yield _verdict(ctx, asset=_asset(agent), name=agent.name, kind=agent.kind,
                       instance=instance, note=agent.instance_note,
                       source=agent.instance_source or "the machine", devices=devices,
                       evidence=evidence, scope=read_scope)


def _verdict(ctx: CheckContext, *, asset: Asset, name: str, kind: str, instance: str | None,
             note: str, source: str, devices: str, evidence: list[Evidence],
             scope: str) -> Finding:
    """One tool and instance on some devices: whose door is it?"""
    if instance is None:
        return ctx.finding(
            asset=asset, holder=Holder.UNKNOWN, status=Status.WARN, evidence=evidence,
            detail=f"{name} is installed on {devices}; whose instance or account it reports "
                   f"to cannot be told ({note}). Ask the provider to remove its agents, or "
                   "confirm in writing that this instance is the business's own.")
    who = ctx.attribute(IdKind.REMOTE_ACCESS, instance, seen_in=f"{name} on {devices}")
    if who.holder is Holder.PROVIDER:
        return ctx.finding(
            asset=asset, holder=Holder.PROVIDER, evidence=evidence,
            severity=Severity.CRITICAL if kind == "rmm" else Severity.HIGH,
            detail=f"{name} on {devices} reports to {instance}, the provider's instance "
                   f"({who.reason}; read from {source}). The provider can reach every one "
                   "of these machines until the agents are removed.")
    if who.holder is Holder.CLIENT:
        return ctx.finding(
            asset=asset, holder=Holder.CLIENT, evidence=evidence,
            detail=f"{name} on {devices} reports to {instance}, the business's own instance "
                   f"({who.reason}). Scope: {scope}.")
    vendor = (f", an instance at {who.party}" if who.holder is Holder.THIRD_PARTY
              and who.party else "")
    return ctx.finding(
        asset=asset, holder=Holder.UNKNOWN, status=Status.WARN, evidence=evidence,
        detail=f"{name} on {devices} reports to {instance}{vendor}, which is configured for "
               "no party: it may be the provider's. Ask the provider to remove its agents, "
               "or list the instance under the right party's remote_access in the audit "
               "file.")


@check(
    id="devices.remote_access.intune",
    control="devices.remote_access",
    source="intune",
    severity=Severity.HIGH,
)
def intune_remote_access(facts: IntuneFacts, ctx: CheckContext) -> Iterator[Finding]:
    read = facts.remote_access_apps
    if read.error:
        yield ctx.error(facts.asset, read.error, key="detectedApps")
        return
    groups: dict[tuple[str, str | None], list[DetectedRemoteApp]] = defaultdict(list)
    for app in read.ok:
        groups[(app.tool, app.instance)].append(app)
    scope = ("the catalogued RMM and remote-control tools among the apps Intune discovered "
             "on its managed devices (unmanaged apps show for corporate-owned devices only)")
    if not groups:
        yield ctx.finding(
            asset=facts.asset, holder=Holder.CLIENT, status=Status.PASS, key="none-found",
            title="No catalogued remote-access tool among Intune's discovered apps",
            evidence=[read.evidence({"matched": 0})],
            detail=f"None found. Scope: {scope}; devices Intune does not manage were not read.")
        return
    for (tool, instance), apps in sorted(groups.items(), key=lambda kv: (kv[0][0],
                                                                         kv[0][1] or "")):
        first = apps[0]
        asset = Asset("remote_access", f"{tool}:{instance or 'unknown'}",
                      f"{first.tool_name} ({instance or 'instance not told'})")
        failed = [a.devices.error for a in apps if a.devices.error]
        if failed:
            yield ctx.error(asset, failed[0], key=f"devices:{tool}:{instance}")
            continue
        devices = _devices((d for a in apps for d in a.devices.ok), "managed device")
        evidence = [read.evidence({"displayName": a.display_name, "version": a.version,
                                   "deviceCount": a.device_count,
                                   "devices": list(a.devices.ok)}) for a in apps]
        yield _verdict(ctx, asset=asset, name=first.tool_name, kind=first.kind,
                       instance=instance, note=first.instance_note,
                       source="the app's name in Intune's discovered apps", devices=devices,
                       evidence=evidence, scope=scope)
