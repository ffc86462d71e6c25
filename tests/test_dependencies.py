"""The typed cross-source dependency API: a reader gets the other source's facts or the
FetchError saying why not, never "nothing"; a check that needs them emits error for
exactly the assets it could not judge; undeclared reads and cycles are refused."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from lockin_audit.check import CheckContext, check
from lockin_audit.config import config_from_mapping
from lockin_audit.engine import Scanner, ScanOptions
from lockin_audit.facts import FetchError, SourceFailure
from lockin_audit.model import Asset, Finding, Holder, Severity, Status
from lockin_audit.sources.interface import Requires, Source, SourceContext, Target


@dataclass(frozen=True)
class Directory:
    """Toy facts: the guests of one tenant."""

    guests: frozenset[str]


@dataclass(frozen=True)
class Roles:
    """Toy facts: who holds a role on each subscription of one tenant."""

    holders: tuple[tuple[str, str], ...]  # (subscription, principal)
    guests: frozenset[str] | FetchError


DIRECTORY = Requires("directory", Directory)


class DirectorySource(Source):
    name = "directory"
    area = "azure"

    async def targets(self, ctx: SourceContext) -> list[Target]:
        return [Target(self.name, self.area, t, t, Asset("tenant", t)) for t in ("t1", "t2")]

    async def fetch(self, target: Target, ctx: SourceContext) -> Directory:
        if target.id == "t2":  # the directory of t2 answered 429 past the retries
            raise SourceFailure(FetchError("directory", "GET /users", "still throttled "
                                           "(HTTP 429) after retries", kind="throttled"))
        return Directory(frozenset({"guest-1"}))


class RolesSource(Source):
    name = "roles"
    area = "azure"
    requires = (DIRECTORY,)

    async def targets(self, ctx: SourceContext) -> list[Target]:
        return [Target(self.name, self.area, t, t, Asset("tenant", t)) for t in ("t1", "t2")]

    async def fetch(self, target: Target, ctx: SourceContext) -> Roles:
        directory = ctx.dependency(DIRECTORY, target.id)
        guests = directory.error if directory.error else directory.get().guests
        return Roles(((f"{target.id}/sub-a", "guest-1"), (f"{target.id}/sub-b", "owner-1")),
                     guests)


@check(id="test.dep.guests", control="azure.access", source="roles", title="Guests",
       severity=Severity.CRITICAL, risk="Test only.", remediation=("Nothing.",),
       needs=(DIRECTORY,))
def guest_roles(facts: Roles, ctx: CheckContext) -> Iterator[Finding]:
    directory = ctx.dependency(DIRECTORY, ctx.target.id)
    for sub, principal in facts.holders:
        asset = Asset("subscription", sub)
        if directory.error is not None:  # cannot tell a guest from the tenant's own
            yield ctx.error(asset, directory.error)
            continue
        guest = principal in directory.get().guests
        yield ctx.finding(asset=asset, holder=Holder.UNKNOWN if guest else Holder.CLIENT,
                          detail=f"{principal} holds a role")


@check(id="test.dep.undeclared", control="azure.access", source="roles", title="Sneaky",
       severity=Severity.LOW, risk="Test only.", remediation=("Nothing.",))
def undeclared(facts: Roles, ctx: CheckContext) -> Iterator[Finding]:
    ctx.dependency(DIRECTORY, ctx.target.id)  # not declared in needs=
    yield ctx.finding(asset=ctx.target.asset, holder=Holder.CLIENT, detail="fine")


def _config() -> Any:
    return config_from_mapping({"client": {"name": "Acme"}, "provider": {"name": "Bob"}},
                               Path("audit.yaml"))


def _scan(sources: dict[str, Source], checks: list[Any]) -> list[Finding]:
    scanner = Scanner(_config(), checks, ScanOptions(), sources=sources)
    return list(asyncio.run(scanner.run()).findings)


def test_a_failed_dependency_is_an_error_for_exactly_the_assets_it_decides() -> None:
    found = _scan({"roles": RolesSource(), "directory": DirectorySource()}, [guest_roles])
    by = {f.asset.id: f for f in found}
    assert by["t1/sub-a"].status is Status.WARN  # the guest, judged
    assert by["t1/sub-b"].status is Status.PASS
    for sub in ("t2/sub-a", "t2/sub-b"):  # directory of t2 throttled: never a pass
        assert by[sub].status is Status.ERROR
        assert "429" in by[sub].detail and by[sub].evidence[0].source == "directory"


def test_the_source_side_keeps_the_fetch_error_in_its_facts() -> None:
    scanner = Scanner(_config(), [guest_roles], ScanOptions(),
                      sources={"roles": RolesSource(), "directory": DirectorySource()})
    asyncio.run(scanner.run())
    assert scanner.facts["roles"]["t1"].guests == frozenset({"guest-1"})
    failed = scanner.facts["roles"]["t2"].guests
    assert isinstance(failed, FetchError) and failed.kind == "throttled"


def test_a_dependency_on_a_source_that_is_not_configured_names_why() -> None:
    class Unconfigured(DirectorySource):
        def configured(self, config: Any) -> bool:
            return False

    found = _scan({"roles": RolesSource(), "directory": Unconfigured()}, [guest_roles])
    assert {f.status for f in found} == {Status.ERROR}
    assert all("not configured in the audit file" in f.detail for f in found)


def test_an_undeclared_read_is_refused() -> None:
    found = _scan({"roles": RolesSource(), "directory": DirectorySource()}, [undeclared])
    assert {f.status for f in found} == {Status.ERROR}
    assert all("UndeclaredDependency" in f.detail for f in found)


def test_sources_that_wait_for_each_other_are_refused() -> None:
    class A(DirectorySource):
        name = "a"
        after = ("b",)

    class B(DirectorySource):
        name = "b"
        after = ("a",)

    with pytest.raises(ValueError, match="cycle"):
        Scanner(_config(), [], ScanOptions(), sources={"a": A(), "b": B()})


def test_dependencies_lists_values_and_errors() -> None:
    seen: dict[str, Any] = {}

    class Counter(RolesSource):
        name = "counter"

        async def targets(self, ctx: SourceContext) -> list[Target]:
            deps = ctx.dependencies(DIRECTORY)
            seen.update(values=sorted(deps.values), errors=sorted(deps.errors),
                        complete=deps.complete)
            return []

    Scanner(_config(), [], ScanOptions(),
            sources={"counter": Counter(), "directory": DirectorySource()})
    asyncio.run(Scanner(_config(), [], ScanOptions(),
                        sources={"counter": Counter(), "directory": DirectorySource()}).run())
    assert seen == {"values": ["t1"], "errors": ["t2"], "complete": False}
