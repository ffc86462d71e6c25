"""The inventory source: contracts, admin credentials and backups the owner describes.

No API shows who signed an internet line or who holds the firewall's only admin login,
so the owner lists them in YAML (three lists: contracts, credentials, backups) or CSV
(contracts only, the usual spreadsheet export, same column names). Each file is one
target. A bad row never stops the file: it becomes a `RowProblem` (file, line or row,
column, what was expected) that the checks report as an error, and the good rows are
still assessed. The format is documented in docs/inventory.md.
"""

from __future__ import annotations

import calendar
import csv
import datetime as dt
import difflib
import io
import ipaddress
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import yaml

from lockin_audit.facts import FetchError, SourceFailure
from lockin_audit.model import Asset, Evidence, iso, utc_now
from lockin_audit.safety import UnsafeYaml, printable, safe_yaml_load
from lockin_audit.sources.interface import Source, SourceContext, Target

CATEGORIES = ("internet_line", "voice", "colocation", "hosting", "software", "saas",
              "msp_agreement", "email_filtering", "backup", "other")
HOLDER_WORDS = ("client", "provider", "both")
CONTRACTED_VIA = ("client", "provider", "broker")
FEE_TYPES = ("fixed", "remaining_months_x_mrc")

CONTRACT_COLUMNS = (
    "id", "category", "provider", "account_number", "account_holder", "billed_to",
    "contracted_via", "circuit_id", "site", "term_start", "term_months", "term_end",
    "auto_renew", "renewal_term_months", "notice_period_days", "notice_method",
    "early_termination_fee", "static_ip_blocks", "phone_numbers", "evidence", "notes",
)
CREDENTIAL_COLUMNS = ("system", "admin_holder", "last_tested", "notes")
BACKUP_COLUMNS = ("name", "location", "key_holder", "retention_after_cancel_days", "notes")
SECTIONS: dict[str, tuple[str, ...]] = {
    "contracts": CONTRACT_COLUMNS, "credentials": CREDENTIAL_COLUMNS,
    "backups": BACKUP_COLUMNS,
}
# CSV spellings of the nested early_termination_fee mapping.
FEE_COLUMNS = ("early_termination_fee_type", "early_termination_fee_amount",
               "early_termination_fee_mrc", "early_termination_fee_currency")

# Day-first for slashes and dots (31/01/2026, 31.01.2026), as on most invoices outside
# the US; a date that only makes sense month-first (01/31/2026) is read that way.
_NUMERIC_DATE = re.compile(r"^(\d{1,2})[/.](\d{1,2})[/.](\d{4})$")
_TEXT_DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%d %B %Y", "%d %b %Y", "%B %d, %Y",
                      "%b %d, %Y", "%B %d %Y", "%b %d %Y")


# ---------------------------------------------------------------------------------------
# facts


@dataclass(frozen=True)
class Fee:
    type: str  # fixed or remaining_months_x_mrc
    currency: str
    amount: Decimal | None = None  # fixed
    mrc: Decimal | None = None  # monthly recurring charge


@dataclass(frozen=True)
class PhoneNumber:
    number: str
    port_pin_holder: str | None  # client, provider or both; None when not stated


@dataclass(frozen=True)
class Contract:
    id: str
    category: str
    provider: str
    where: str  # file and line/row, for evidence
    account_number: str | None = None
    account_holder: str | None = None
    billed_to: str | None = None
    contracted_via: str | None = None
    circuit_id: str | None = None
    site: str | None = None
    term_start: dt.date | None = None
    term_months: int | None = None
    term_end: dt.date | None = None
    auto_renew: bool = False
    renewal_term_months: int | None = None
    notice_period_days: int | None = None
    notice_method: str | None = None
    early_termination_fee: Fee | None = None
    static_ip_blocks: tuple[str, ...] = ()
    phone_numbers: tuple[PhoneNumber, ...] = ()
    evidence: tuple[str, ...] = ()
    notes: str | None = None

    @property
    def asset(self) -> Asset:
        return Asset("contract", self.id, f"{self.category.replace('_', ' ')}: "
                                          f"{self.provider}")


@dataclass(frozen=True)
class Credential:
    system: str
    admin_holder: str  # client, provider or both
    where: str
    last_tested: dt.date | None = None
    notes: str | None = None

    @property
    def asset(self) -> Asset:
        return Asset("system", f"system:{self.system.lower()}", self.system)


@dataclass(frozen=True)
class Backup:
    name: str
    key_holder: str  # client, provider or both
    where: str
    location: str | None = None
    retention_after_cancel_days: int | None = None
    notes: str | None = None

    @property
    def asset(self) -> Asset:
        return Asset("backup", f"backup:{self.name.lower()}", self.name)


@dataclass(frozen=True)
class RowProblem:
    """A row that could not be read (an error) or a column that was ignored (a warning)."""

    where: str  # file:line or file row N
    column: str | None
    message: str
    row_id: str | None = None  # the row's id/system/name when it had one
    warning: bool = False
    section: str | None = None  # contracts, credentials, backups; None for the file

    def describe(self) -> str:
        column = f", column {self.column!r}" if self.column else ""
        return f"{self.where}{column}: {self.message}"

    def as_error(self) -> FetchError:
        return FetchError("inventory", self.where, self.describe(), kind="malformed")


@dataclass(frozen=True)
class InventoryFacts:
    path: str
    observed_at: str
    contracts: tuple[Contract, ...] = ()
    credentials: tuple[Credential, ...] = ()
    backups: tuple[Backup, ...] = ()
    problems: tuple[RowProblem, ...] = ()

    def evidence(self, where: str, excerpt: Mapping[str, Any] | str) -> Evidence:
        return Evidence("inventory", where, self.observed_at, excerpt)


# ---------------------------------------------------------------------------------------
# value parsing (each raises ValueError with what was expected)


def parse_date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = str(value).strip()
    m = _NUMERIC_DATE.match(text)
    if m:
        a, b, year = (int(x) for x in m.groups())
        day, month = (b, a) if a <= 12 < b else (a, b)
        try:
            return dt.date(year, month, day)
        except ValueError:
            raise ValueError(f"{text!r} is not a real date") from None
    for fmt in _TEXT_DATE_FORMATS:
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise ValueError(f"expected a date such as 2026-03-31 or 31/03/2026, got {text!r}")


def parse_int(value: Any, *, minimum: int = 0) -> int:
    if isinstance(value, bool):
        raise ValueError(f"expected a whole number, got {value!r}")
    try:
        number = int(str(value).strip())
    except ValueError:
        raise ValueError(f"expected a whole number, got {value!r}") from None
    if number < minimum:
        raise ValueError(f"expected a number of at least {minimum}, got {number}")
    return number


def parse_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("yes", "y", "true", "1", "auto"):
        return True
    if text in ("no", "n", "false", "0", ""):
        return False
    raise ValueError(f"expected yes or no, got {value!r}")


def parse_choice(value: Any, choices: tuple[str, ...]) -> str:
    text = str(value).strip().lower().replace(" ", "_").replace("-", "_")
    if text not in choices:
        raise ValueError(f"expected one of {', '.join(choices)}, got {value!r}")
    return text


def parse_money(value: Any) -> Decimal:
    try:
        return Decimal(str(value).strip().replace(",", ""))
    except InvalidOperation:
        raise ValueError(f"expected an amount such as 1200.00, got {value!r}") from None


def parse_fee(value: Any) -> Fee:
    """{type: fixed, amount, currency} or {type: remaining_months_x_mrc, mrc, currency};
    in a CSV cell: 'fixed 1200 EUR' or 'remaining_months_x_mrc 450 USD'."""
    if isinstance(value, str):
        parts = value.split()
        if len(parts) not in (2, 3):
            raise ValueError("expected 'fixed <amount> <currency>' or "
                             f"'remaining_months_x_mrc <monthly charge> <currency>', got {value!r}")
        kind = parse_choice(parts[0], FEE_TYPES)
        value = {"type": kind, "amount" if kind == "fixed" else "mrc": parts[1],
                 "currency": parts[2] if len(parts) == 3 else ""}
    if not isinstance(value, Mapping):
        raise ValueError(f"expected a mapping with type, amount or mrc, and currency, got {value!r}")
    kind = parse_choice(value.get("type", ""), FEE_TYPES)
    currency = str(value.get("currency") or "").upper()
    if kind == "fixed":
        if value.get("amount") in (None, ""):
            raise ValueError("a fixed fee needs an amount")
        return Fee(kind, currency, amount=parse_money(value["amount"]))
    if value.get("mrc") in (None, ""):
        raise ValueError("a remaining_months_x_mrc fee needs mrc (the monthly charge)")
    return Fee(kind, currency, mrc=parse_money(value["mrc"]))


def _split_list(value: Any) -> list[str]:
    if value is None or value == "":
        return []
    if isinstance(value, list | tuple):
        if any(isinstance(v, list | tuple | dict) for v in value):
            raise ValueError("expected a list of text items, got a nested list or mapping")
        return [str(v).strip() for v in value if str(v).strip()]
    if isinstance(value, dict):
        raise ValueError("expected text or a list of text items, got a mapping")
    return [p for p in re.split(r"[\s,|]+", str(value)) if p]


def parse_blocks(value: Any) -> tuple[str, ...]:
    blocks = []
    for item in _split_list(value):
        try:
            blocks.append(str(ipaddress.ip_network(item, strict=False)))
        except ValueError:
            raise ValueError(f"expected CIDR blocks such as 203.0.113.64/29, got {item!r}") from None
    return tuple(blocks)


def parse_phones(value: Any) -> tuple[PhoneNumber, ...]:
    """A list of {number, port_pin_holder}; in CSV '+4930123=provider | +4930124=client'."""
    items: list[Any] = value if isinstance(value, list) else [
        p.strip() for p in re.split(r"[|\n]", str(value or "")) if p.strip()]
    numbers = []
    for item in items:
        if isinstance(item, Mapping):
            number, holder = item.get("number"), item.get("port_pin_holder")
        else:
            number, _, holder = str(item).partition("=")
        if not number:
            raise ValueError(f"expected a phone number, got {item!r}")
        numbers.append(PhoneNumber(str(number).strip(),
                                   parse_choice(holder, HOLDER_WORDS) if holder else None))
    return tuple(numbers)


def add_months(day: dt.date, months: int) -> dt.date:
    """Calendar months; the 31st or 29 February clamps to the month's last day."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


# ---------------------------------------------------------------------------------------
# rows -> facts


class _Row:
    """One row's raw values, with problems collected per column."""

    def __init__(self, values: Mapping[str, Any], where: str, row_id: str | None,
                 section: str) -> None:
        self.values = values
        self.where = where
        self.row_id = row_id
        self.section = section
        self.problems: list[RowProblem] = []

    def problem(self, column: str | None, message: str) -> None:
        self.problems.append(RowProblem(self.where, column, message, self.row_id,
                                        section=self.section))

    def get(self, column: str, parse: Callable[[Any], Any] | None = None,
            *, required: bool = False) -> Any:
        raw = self.values.get(column)
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            if required:
                self.problem(column, "is required but empty")
            return None
        if parse is None:
            if isinstance(raw, (list, dict)):  # text expected: never str() a structure
                self.problem(column, f"expected text, got a {_kind(raw)}")
                return None
            return str(raw).strip()
        try:
            return parse(raw)
        except ValueError as exc:
            self.problem(column, str(exc))
            return None


def _kind(value: Any) -> str:
    return "list" if isinstance(value, list) else "mapping"


def _contract(row: _Row) -> Contract | None:
    fee_raw = row.values.get("early_termination_fee")
    if fee_raw in (None, "") and any(row.values.get(c) for c in FEE_COLUMNS):
        fee_raw = {k.removeprefix("early_termination_fee_"): row.values.get(k)
                   for k in FEE_COLUMNS}
    values = {**row.values, "early_termination_fee": fee_raw}
    row.values = values
    contract_id = row.get("id", required=True)
    category = row.get("category", lambda v: parse_choice(v, CATEGORIES), required=True)
    provider = row.get("provider", required=True)
    term_months = row.get("term_months", lambda v: parse_int(v, minimum=1))
    term_start = row.get("term_start", parse_date)
    term_end = row.get("term_end", parse_date)
    if term_start and term_end and term_end <= term_start:
        row.problem("term_end", f"ends on or before term_start ({term_end} <= {term_start})")
    built = dict(
        account_number=row.get("account_number"), account_holder=row.get("account_holder"),
        billed_to=row.get("billed_to"),
        contracted_via=row.get("contracted_via", lambda v: parse_choice(v, CONTRACTED_VIA)),
        circuit_id=row.get("circuit_id"), site=row.get("site"), term_start=term_start,
        term_months=term_months, term_end=term_end,
        auto_renew=bool(row.get("auto_renew", parse_bool)),
        renewal_term_months=row.get("renewal_term_months", lambda v: parse_int(v, minimum=1)),
        notice_period_days=row.get("notice_period_days", parse_int),
        notice_method=row.get("notice_method"),
        early_termination_fee=row.get("early_termination_fee", parse_fee),
        static_ip_blocks=row.get("static_ip_blocks", parse_blocks) or (),
        phone_numbers=row.get("phone_numbers", parse_phones) or (),
        evidence=tuple(row.get("evidence", _split_list) or ()),
        notes=row.get("notes"),
    )
    if row.problems or not (contract_id and category and provider):
        return None
    return Contract(contract_id, category, provider, row.where, **built)


def _credential(row: _Row) -> Credential | None:
    system = row.get("system", required=True)
    holder = row.get("admin_holder", lambda v: parse_choice(v, HOLDER_WORDS), required=True)
    last_tested = row.get("last_tested", parse_date)
    notes = row.get("notes")
    if row.problems or not (system and holder):
        return None
    return Credential(system, holder, row.where, last_tested, notes)


def _backup(row: _Row) -> Backup | None:
    name = row.get("name", required=True)
    holder = row.get("key_holder", lambda v: parse_choice(v, HOLDER_WORDS), required=True)
    location = row.get("location")
    retention = row.get("retention_after_cancel_days", parse_int)
    notes = row.get("notes")
    if row.problems or not (name and holder):
        return None
    return Backup(name, holder, row.where, location, retention, notes)


_BUILDERS: dict[str, Callable[[_Row], Any]] = {
    "contracts": _contract, "credentials": _credential, "backups": _backup,
}
_ID_COLUMN = {"contracts": "id", "credentials": "system", "backups": "name"}


def _unknown_columns(columns: list[str], known: tuple[str, ...], where: str,
                     section: str | None = None) -> list[RowProblem]:
    allowed = set(known) | (set(FEE_COLUMNS) if "early_termination_fee" in known else set())
    problems = []
    for column in columns:
        if column in allowed or column == "__line__":
            continue
        hint = difflib.get_close_matches(column, sorted(allowed), n=1)
        suffix = f" (did you mean {hint[0]!r}?)" if hint else ""
        problems.append(RowProblem(where, column, f"unknown column, ignored{suffix}",
                                   warning=True, section=section))
    return problems


class _LineLoader(yaml.SafeLoader):
    """Records each mapping's line so a bad row can be named by its line number."""


def _mapping_with_line(loader: _LineLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    mapping = loader.construct_mapping(node, deep=True)
    mapping["__line__"] = node.start_mark.line + 1
    return mapping


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping_with_line)


def _collect(section: str, rows: Sequence[tuple[Mapping[str, Any], str]],
             into: dict[str, list[Any]], problems: list[RowProblem]) -> None:
    seen: dict[str, str] = {}
    for values, where in rows:
        raw_id = values.get(_ID_COLUMN[section])
        row = _Row(values, where, str(raw_id).strip() if raw_id not in (None, "") else None,
                   section)
        item = _BUILDERS[section](row)
        problems.extend(row.problems)
        if item is None:
            continue
        key = str(row.row_id).lower()
        if key in seen:
            row.problem(_ID_COLUMN[section], f"duplicate {row.row_id!r} (first at {seen[key]})")
            problems.extend(row.problems[-1:])
            continue
        seen[key] = where
        into[section].append(item)


def parse_yaml(text: str, name: str) -> tuple[dict[str, list[Any]], list[RowProblem]]:
    try:
        data = safe_yaml_load(text, _LineLoader)
    except UnsafeYaml as exc:
        raise ValueError(f"{name}: {exc}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{name}:{mark.line + 1}" if mark else name
        raise ValueError(f"{where}: not valid YAML: {getattr(exc, 'problem', exc)}") from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ValueError(f"{name}: expected a mapping with contracts, credentials and "
                         f"backups lists, got {type(data).__name__}")
    into: dict[str, list[Any]] = {s: [] for s in SECTIONS}
    problems = _unknown_columns([k for k in data if k != "__line__"], tuple(SECTIONS), name)
    for section, columns in SECTIONS.items():
        items = data.get(section) or []
        if not isinstance(items, list):
            problems.append(RowProblem(f"{name}:{data.get('__line__', 1)}", section,
                                       "expected a list", section=section))
            continue
        rows: list[tuple[Mapping[str, Any], str]] = []
        for n, item in enumerate(items, 1):
            if not isinstance(item, dict):
                problems.append(RowProblem(f"{name} {section}[{n}]", None,
                                           "expected a mapping, got "
                                           f"{printable(repr(item), limit=80)}",
                                           section=section))
                continue
            where = f"{name}:{item.get('__line__', '?')}"
            problems.extend(_unknown_columns(list(item), columns, where, section))
            rows.append((item, where))
        _collect(section, rows, into, problems)
    return into, problems


def parse_csv(text: str, name: str) -> tuple[dict[str, list[Any]], list[RowProblem]]:
    text = text.removeprefix("\ufeff")
    first_line = text.split("\n", 1)[0]
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=delimiter)
    header = [h.strip().lower() for h in (reader.fieldnames or [])]
    if not header:
        raise ValueError(f"{name}: empty CSV file (expected a header row with {', '.join(CONTRACT_COLUMNS[:3])}, ...)")
    reader.fieldnames = header
    missing = [c for c in ("id", "category", "provider") if c not in header]
    if missing:
        raise ValueError(f"{name}: the header row lacks the column(s) {', '.join(missing)}")
    problems = _unknown_columns(header, CONTRACT_COLUMNS, f"{name} header", "contracts")
    rows = []
    for values in reader:
        if not any((v or "").strip() for v in values.values() if isinstance(v, str)):
            continue  # blank line
        rows.append(({k: v for k, v in values.items() if k}, f"{name} row {reader.line_num}"))
    into: dict[str, list[Any]] = {s: [] for s in SECTIONS}
    _collect("contracts", rows, into, problems)
    return into, problems


def read_inventory(path: Path, display: str | None = None) -> InventoryFacts:
    """Read one inventory file; raises ValueError when the whole file is unusable."""
    name = display or path.name
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise ValueError(f"{name}: cannot read: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise ValueError(f"{name}: not UTF-8 text (save the file as UTF-8 or CSV UTF-8)") from None
    parse = parse_csv if path.suffix.lower() in (".csv", ".txt") else parse_yaml
    into, problems = parse(text, name)
    return InventoryFacts(str(path), iso(utc_now()), tuple(into["contracts"]),
                          tuple(into["credentials"]), tuple(into["backups"]),
                          tuple(problems))


# ---------------------------------------------------------------------------------------
# the source


@dataclass
class InventorySource(Source):
    name = "inventory"
    area = "contract"
    _paths: dict[str, Path] = field(default_factory=dict)

    def configured(self, config: Any) -> bool:
        return bool(config.scan.inventory)

    async def targets(self, ctx: SourceContext) -> list[Target]:
        targets = []
        for entry in ctx.config.scan.inventory:
            path = ctx.config.resolve_path(entry)
            self._paths[entry] = path
            targets.append(Target(self.name, self.area, entry, f"inventory {entry}",
                                  Asset("inventory_file", entry, path.name)))
        return targets

    async def fetch(self, target: Target, ctx: SourceContext) -> InventoryFacts:
        path = self._paths[target.id]
        try:
            return read_inventory(path, target.id)
        except ValueError as exc:
            raise SourceFailure(FetchError("inventory", f"read {target.id}", str(exc),
                                           kind="malformed")) from None
