"""Finds checks: built-in ones from checks/ and plugins from the `lockin_audit.checks`
entry-point group.

In a source checkout the built-in checks are the top-level `checks/` folder; in an
installed wheel they are `lockin_audit/builtin_checks/` (see pyproject.toml). Either way
they are imported as `lockin_audit.builtin_checks.<module>`, so nothing installs or
imports a generic top-level `checks` package.

A plugin's entry point names a module (all `@check`s declared in it are taken), a
`Check`, or a callable returning an iterable of `Check`s.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import types
from collections.abc import Iterable
from importlib.metadata import entry_points
from pathlib import Path

from lockin_audit import check as check_api
from lockin_audit.check import Check

ENTRY_POINT_GROUP = "lockin_audit.checks"
_BUILTIN_PACKAGE = "lockin_audit.builtin_checks"


class RegistryError(Exception):
    pass


def builtin_checks_dir() -> Path:
    here = Path(__file__).resolve().parent
    installed = here / "builtin_checks"
    if installed.is_dir():
        return installed
    return here.parent / "checks"


def _import_collecting(importer: types.FunctionType | object, *args: object) -> list[Check]:
    start = len(check_api._DECLARED)
    importer(*args)  # type: ignore[operator]
    return check_api._DECLARED[start:]


def _load_builtin() -> list[Check]:
    folder = builtin_checks_dir()
    if _BUILTIN_PACKAGE not in sys.modules:
        pkg = types.ModuleType(_BUILTIN_PACKAGE)
        pkg.__path__ = [str(folder)]
        pkg.__package__ = _BUILTIN_PACKAGE
        sys.modules[_BUILTIN_PACKAGE] = pkg
    found: list[Check] = []
    for path in sorted(folder.glob("*.py")):
        if path.name.startswith("_"):
            continue
        name = f"{_BUILTIN_PACKAGE}.{path.stem}"
        if name in sys.modules:
            found.extend(_module_checks(sys.modules[name]))
            continue
        found.extend(_import_collecting(importlib.import_module, name))
    return found


def _module_checks(module: types.ModuleType) -> list[Check]:
    return [v for v in vars(module).values() if isinstance(v, Check)]


def _load_plugins() -> list[Check]:
    found: list[Check] = []
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        try:
            obj = ep.load()
        except Exception as exc:  # a broken plugin must not take the scanner down
            raise RegistryError(f"plugin entry point {ep.name!r} ({ep.value}) failed to "
                                f"load: {exc}") from exc
        dist = ep.dist.name if ep.dist else ep.name
        if isinstance(obj, types.ModuleType):
            items: Iterable[Check] = _module_checks(obj)
        elif isinstance(obj, Check):
            items = [obj]
        elif callable(obj):
            items = list(obj())
        else:
            raise RegistryError(f"plugin entry point {ep.name!r} is not a module, a Check "
                                "or a callable returning checks")
        for c in items:
            found.append(Check(c.meta, c.func, origin=dist))
    return found


_CACHE: list[Check] | None = None


def all_checks(*, reload: bool = False) -> list[Check]:
    """Every check, built-in first, sorted by id within each origin. Ids must be unique."""
    global _CACHE
    if _CACHE is not None and not reload:
        return _CACHE
    checks = _load_builtin() + _load_plugins()
    seen: dict[str, Check] = {}
    for c in checks:
        if c.id in seen and seen[c.id].func is not c.func:
            raise RegistryError(f"two checks share the id {c.id!r} ({seen[c.id].origin} and "
                                f"{c.origin})")
        seen[c.id] = c
    _CACHE = sorted(seen.values(), key=lambda c: (c.origin != "builtin", c.meta.area, c.id))
    return _CACHE


def select(checks: Iterable[Check], *, areas: Iterable[str] = (),
           ids: Iterable[str] = ()) -> list[Check]:
    """Exact selection: `areas` by control area (`--only`), `ids` by check id (`--check`)."""
    areas, ids = set(areas), set(ids)
    chosen = [c for c in checks
              if (not areas or c.meta.area in areas) and (not ids or c.id in ids)]
    return chosen
