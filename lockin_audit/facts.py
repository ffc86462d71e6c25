"""The bottom floor: what every layer above may rely on.

- `FetchError`: why a fact could not be read (a denied, throttled, timed-out or malformed
  read), with the evidence of the attempt;
- `ReadError` (a read that failed, carrying its FetchError) and `SourceFailure` (a whole
  target cannot be assessed);
- `Fetched`: the one value-or-error type. Every fact that may be missing is a `Fetched`
  (the value, or the FetchError saying why not, with what was asked, of whom and when),
  never a bare `T | FetchError`;
- the fact codec (`fact_to_json`/`fact_from_json`): typed facts to JSON and back.

Nothing here imports anything of lockin_audit but `model`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from lockin_audit.model import Evidence, iso, utc_now

T = TypeVar("T")
U = TypeVar("U")


@dataclass(frozen=True)
class FetchError:
    """Why a fact could not be read. `kind` is one of: denied, timeout, unavailable,
    malformed, not_found, unsupported, throttled, not_configured, error."""

    source: str
    request: str
    reason: str
    kind: str = "error"
    permission: str | None = None  # the missing permission, when access was denied
    observed_at: str = field(default_factory=lambda: iso(utc_now()))

    def describe(self) -> str:
        text = f"{self.request}: {self.reason}"
        if self.permission:
            text += f" (needs permission: {self.permission})"
        return text

    def evidence(self) -> Evidence:
        excerpt: dict[str, Any] = {"error": self.reason, "kind": self.kind}
        if self.permission:
            excerpt["missing_permission"] = self.permission
        return Evidence(self.source, self.request, self.observed_at, excerpt)


class ReadError(Exception):
    """A read that failed, carrying the FetchError that says why (raised inside a source's
    client and turned into a `Fetched` failure where the fact is kept)."""

    def __init__(self, error: FetchError) -> None:
        super().__init__(error.describe())
        self.error = error


class SourceFailure(ReadError):
    """Raised by a source when a whole target cannot be assessed."""


def _now() -> str:
    return iso(utc_now())


@dataclass(frozen=True, slots=True)  # one per read: slots keep 10,000s of them small
class Fetched(Generic[T]):
    """One read: its value, or the FetchError saying why it is missing, with the source
    that was asked, what was asked and when (the evidence of the read).

    Check `error` first, then use `ok`:

        if facts.mx.error:
            yield ctx.error(facts.mx.error, asset=...)
        else:
            for record in facts.mx.ok: ...

    `note` says why a value is empty by construction (e.g. no PIM licence, so no eligible
    assignments can exist), for the pass to say so."""

    source: str
    request: str
    value: T | FetchError
    observed_at: str = field(default_factory=_now)
    note: str | None = None

    @classmethod
    def failure(cls, error: FetchError) -> Fetched[Any]:
        """The read that failed, with the error's own source, request and time."""
        return cls(error.source, error.request, error, error.observed_at)

    @property
    def error(self) -> FetchError | None:
        return self.value if isinstance(self.value, FetchError) else None

    @property
    def ok(self) -> T:
        """The value; only use after checking `error` (a failed read raises ValueError)."""
        if isinstance(self.value, FetchError):
            raise ValueError(self.value.describe())
        return self.value

    def get(self) -> T:
        """The value, or SourceFailure with the reason (for a source that cannot go on
        without it)."""
        if isinstance(self.value, FetchError):
            raise SourceFailure(self.value)
        return self.value

    def evidence(self, excerpt: Any) -> Evidence:
        """Evidence of this read, with an excerpt of what it answered."""
        return Evidence(self.source, self.request, self.observed_at, excerpt)

    def map(self, parse: Callable[[T], U]) -> Fetched[U]:
        """The same read parsed; a parse failure becomes a `malformed` FetchError (a
        failed read stays the same failure)."""
        if isinstance(self.value, FetchError):
            return Fetched(self.source, self.request, self.value, self.observed_at, self.note)
        try:
            parsed = parse(self.value)
        except (KeyError, TypeError, ValueError, AttributeError, IndexError) as exc:
            return Fetched(self.source, self.request, FetchError(
                self.source, self.request, f"unexpected answer: {type(exc).__name__}: {exc}",
                kind="malformed", observed_at=self.observed_at), self.observed_at)
        return Fetched(self.source, self.request, parsed, self.observed_at, self.note)


def fetched_value(value: T | FetchError) -> T:
    """Return the value or raise SourceFailure for a FetchError (a source's own
    intermediate results; facts hold `Fetched`)."""
    if isinstance(value, FetchError):
        raise SourceFailure(value)
    return value


# ---------------------------------------------------------------------------------------
# the fact codec: typed facts to JSON and back
#
# Facts are frozen dataclasses (with enums, dates, tuples, frozensets, mappings, address
# objects and FetchErrors inside). The codec is self-describing, so no source needs code of
# its own: a dataclass is {"$dc": "module:QualName", "f": {...fields}}. Reading refuses any
# type outside lockin_audit's own modules and the standard types listed here, so a hostile
# snapshot cannot make us import or build anything else.

# The version of the fact shapes a snapshot records; bump it when a fact type's fields
# change (2: every fact that may be missing is a `Fetched`), so that `judge` refuses an older
# snapshot with a sentence instead of misreading it.
FACTS_FORMAT_VERSION = 2
_OWN_MODULES = ("lockin_audit.", "checks.")  # module-name prefixes read back


class FactCodecError(ValueError):
    """A value the codec cannot write, or a snapshot it will not read."""


def fact_to_json(value: Any) -> Any:
    """A JSON-able tree for a fact value (see the comment above for the shapes)."""
    return _encode(value, "facts")


def fact_from_json(data: Any) -> Any:
    """The fact value back from `fact_to_json`'s tree."""
    return _decode(data, "facts")


def _type_name(cls: type) -> str:
    return f"{cls.__module__}:{cls.__qualname__}"


def _encode(value: Any, where: str) -> Any:
    import dataclasses
    import datetime as dt
    import decimal
    import enum
    import ipaddress
    from pathlib import PurePath

    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, int) and not isinstance(value, enum.Enum):
        return value
    if isinstance(value, float):
        return {"$float": repr(value)} if value != value or value in (
            float("inf"), float("-inf")) else value
    if isinstance(value, enum.Enum):
        return {"$enum": _type_name(type(value)), "v": _encode(value.value, where)}
    if isinstance(value, dt.datetime):
        return {"$datetime": value.isoformat()}
    if isinstance(value, dt.date):
        return {"$date": value.isoformat()}
    if isinstance(value, decimal.Decimal):
        return {"$decimal": str(value)}
    if isinstance(value, bytes):
        import base64

        return {"$bytes": base64.b64encode(value).decode()}
    if isinstance(value, ipaddress.IPv4Network | ipaddress.IPv6Network
                  | ipaddress.IPv4Address | ipaddress.IPv6Address):
        return {"$ip": type(value).__name__, "v": str(value)}
    if isinstance(value, PurePath):
        return {"$path": str(value)}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        cls = type(value)
        if cls.__name__ == "Target" and cls.__module__ == "lockin_audit.sources.interface":
            # a target's options are the source's live configuration (an AWS account's
            # session among them): never recorded; checks do not read them
            value = dataclasses.replace(value, options=None)  # type: ignore[arg-type]
        fields = {f.name: _encode(getattr(value, f.name), f"{where}.{f.name}")
                  for f in dataclasses.fields(value) if f.init}
        return {"$dc": _type_name(cls), "f": fields}
    if isinstance(value, tuple):
        return {"$tuple": [_encode(v, f"{where}[{i}]") for i, v in enumerate(value)]}
    if isinstance(value, list):
        return [_encode(v, f"{where}[{i}]") for i, v in enumerate(value)]
    if isinstance(value, frozenset | set):
        items = [_encode(v, f"{where}{{}}") for v in value]
        items.sort(key=lambda x: json_key(x))
        return {"$frozenset" if isinstance(value, frozenset) else "$set": items}
    if isinstance(value, Mapping):
        return {"$map": [[_encode(k, f"{where} key"), _encode(v, f"{where}[{k!r}]")]
                         for k, v in value.items()]}
    model_dump = getattr(value, "model_dump", None)
    if callable(model_dump):  # a pydantic model (configuration carried in facts)
        return {"$model": _type_name(type(value)), "v": _encode(model_dump(), where)}
    raise FactCodecError(f"{where}: cannot record a {type(value).__module__}."
                         f"{type(value).__qualname__} in a fact snapshot")


def json_key(value: Any) -> str:
    import json

    return json.dumps(value, sort_keys=True, default=str)


def _own_type(name: Any, where: str) -> type:
    import importlib

    if not isinstance(name, str) or ":" not in name:
        raise FactCodecError(f"{where}: bad type name {name!r}")
    module, _, qualname = name.partition(":")
    if not (module + ":").startswith(_OWN_MODULES):
        raise FactCodecError(f"{where}: refusing type {name} (only lockin-audit's own "
                             "fact types are read from a snapshot)")
    module = module.replace("checks.", "lockin_audit.builtin_checks.", 1) \
        if module.startswith("checks.") else module
    try:
        obj: Any = importlib.import_module(module)
        for part in qualname.split("."):
            obj = getattr(obj, part)
    except (ImportError, AttributeError):
        raise FactCodecError(f"{where}: this version has no type {name} (the snapshot "
                             "was recorded by another version)") from None
    if not isinstance(obj, type):
        raise FactCodecError(f"{where}: {name} is not a type")
    return obj


def _decode(data: Any, where: str) -> Any:
    import dataclasses
    import datetime as dt
    import enum
    import ipaddress
    from pathlib import Path

    if data is None or isinstance(data, bool | str | int | float):
        return data
    if isinstance(data, list):
        return [_decode(v, f"{where}[{i}]") for i, v in enumerate(data)]
    if not isinstance(data, dict) or len(data) not in (1, 2):
        raise FactCodecError(f"{where}: not a fact snapshot value")
    if "$dc" in data:
        cls = _own_type(data["$dc"], where)
        if not dataclasses.is_dataclass(cls):
            raise FactCodecError(f"{where}: {data['$dc']} is not a fact type")
        raw = data.get("f")
        if not isinstance(raw, dict):
            raise FactCodecError(f"{where}: fields missing")
        known = {f.name for f in dataclasses.fields(cls) if f.init}
        unknown = set(raw) - known
        if unknown:
            raise FactCodecError(f"{where}: {data['$dc']} has no field(s) "
                                 f"{', '.join(sorted(unknown))} in this version")
        return cls(**{k: _decode(v, f"{where}.{k}") for k, v in raw.items()})
    if "$enum" in data:
        cls = _own_type(data["$enum"], where)
        if not issubclass(cls, enum.Enum):
            raise FactCodecError(f"{where}: {data['$enum']} is not an enum")
        return cls(_decode(data.get("v"), where))
    if "$model" in data:
        cls = _own_type(data["$model"], where)
        return cls.model_validate(_decode(data.get("v"), where))  # type: ignore[attr-defined]
    if "$tuple" in data:
        return tuple(_decode(v, f"{where}[{i}]") for i, v in enumerate(data["$tuple"]))
    if "$frozenset" in data:
        return frozenset(_decode(v, where) for v in data["$frozenset"])
    if "$set" in data:
        return {_decode(v, where) for v in data["$set"]}
    if "$map" in data:
        return {_decode(k, where): _decode(v, where) for k, v in data["$map"]}
    if "$datetime" in data:
        return dt.datetime.fromisoformat(data["$datetime"])
    if "$date" in data:
        return dt.date.fromisoformat(data["$date"])
    if "$decimal" in data:
        import decimal

        return decimal.Decimal(data["$decimal"])
    if "$float" in data:
        return float(data["$float"])
    if "$bytes" in data:
        import base64

        return base64.b64decode(data["$bytes"])
    if "$path" in data:
        return Path(data["$path"])
    if "$ip" in data:
        kinds = {"IPv4Network": ipaddress.IPv4Network, "IPv6Network": ipaddress.IPv6Network,
                 "IPv4Address": ipaddress.IPv4Address, "IPv6Address": ipaddress.IPv6Address}
        if data["$ip"] not in kinds:
            raise FactCodecError(f"{where}: unknown address type {data['$ip']!r}")
        return kinds[data["$ip"]](data["v"])
    raise FactCodecError(f"{where}: unknown value shape {sorted(data)}")
